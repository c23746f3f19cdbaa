// SPDX-License-Identifier: Apache-2.0
/* netctl create/run: the security options (--privileged, --cap-add,
 * --cap-drop, --security-opt, --device, --group-add, --ulimit, --sysctl)
 * into HostConfig, shaped as Docker's CLI sends them (a seccomp profile's
 * file content travels in SecurityOpt). netd judges them; here only the
 * syntax and the file are read. */
#include "cli/netctl.h"

#include <strings.h>

const char cli_security_help[] =
	"      --privileged        every capability, no seccomp filter, the host's devices\n"
	"      --cap-add CAP       add a capability (NET_ADMIN or CAP_NET_ADMIN, ALL; repeatable)\n"
	"      --cap-drop CAP      drop a capability (or ALL; repeatable)\n"
	"      --security-opt OPT  no-new-privileges[=true|false], seccomp=unconfined|FILE.json\n"
	"      --device H[:C][:P]  give the host's device node H (as C, permissions rwm)\n"
	"      --group-add GROUP   an extra group of the container's processes (repeatable)\n"
	"      --ulimit N=S[:H]    an rlimit (nofile=1024:2048; never above netd's hard limit)\n"
	"      --sysctl K=V        a namespaced sysctl (net.*, kernel.shm*, kernel.msg*, kernel.sem,\n"
	"                          fs.mqueue.*)\n";

static json_t *list(json_t *hc, const char *k)
{
	json_t *a = json_object_get(hc, k);
	if (!a) {
		a = json_array();
		json_object_set_new(hc, k, a);
	}
	return a;
}

static int secopt(struct cli *cli, const char *opt, json_t *hc)
{
	size_t kl = strcspn(opt, "=:");
	if (kl == 7 && !strncmp(opt, "seccomp", kl) && opt[kl] && strcmp(opt + kl + 1, "unconfined") != 0) {
		const char *file = opt + kl + 1;
		json_error_t je;
		_cleanup_json_ json_t *p = json_load_file(file, JSON_REJECT_DUPLICATES, &je);
		if (!p)
			return cli_usage_error(cli->prog, "--security-opt seccomp=%s: %s", file, je.text);
		_cleanup_free_ char *txt = json_dumps(p, JSON_COMPACT | JSON_PRESERVE_ORDER);
		_cleanup_free_ char *v = NULL;
		if (!txt || asprintf(&v, "seccomp=%s", txt) < 0)
			return cli_usage_error(cli->prog, "out of memory");
		json_array_append_new(list(hc, "SecurityOpt"), json_string(v));
		return 0;
	}
	json_array_append_new(list(hc, "SecurityOpt"), json_string(opt));
	return 0;
}

/* "H[:C][:P]" as Docker's CLI: a last part made of r, w, m is the permissions */
static int device(struct cli *cli, const char *spec, json_t *hc)
{
	char buf[4096];
	if (nd_snprintf(buf, sizeof(buf), "%s", spec) < 0)
		return cli_usage_error(cli->prog, "--device: too long");
	char *parts[3] = { buf, NULL, NULL };
	int n = 1;
	for (char *p = buf; *p && n < 4; p++)
		if (*p == ':') {
			if (n == 3)
				return cli_usage_error(cli->prog, "invalid --device %s (want HOST[:CONTAINER][:rwm])", spec);
			*p = '\0';
			parts[n++] = p + 1;
		}
	const char *host = parts[0], *ctr = parts[0], *perms = "rwm";
	if (n == 3) {
		ctr = parts[1];
		perms = parts[2];
	} else if (n == 2) {
		if (*parts[1] && strspn(parts[1], "rwm") == strlen(parts[1]))
			perms = parts[1];
		else
			ctr = parts[1];
	}
	json_array_append_new(list(hc, "Devices"), json_pack("{s:s,s:s,s:s}", "PathOnHost", host, "PathInContainer",
							     ctr, "CgroupPermissions", perms));
	return 0;
}

static int lim(const char *s, long long *out)
{
	if (!strcmp(s, "unlimited") || !strcmp(s, "-1")) {
		*out = -1;
		return 0;
	}
	char *end;
	errno = 0;
	*out = strtoll(s, &end, 10);
	return *s && !*end && !errno && *out >= 0 ? 0 : -EINVAL;
}

static int ulimit(struct cli *cli, const char *spec, json_t *hc)
{
	char name[64], v[128];
	const char *eq = strchr(spec, '=');
	if (!eq || eq == spec || (size_t)(eq - spec) >= sizeof(name) || nd_snprintf(v, sizeof(v), "%s", eq + 1) < 0)
		return cli_usage_error(cli->prog, "invalid --ulimit %s (want NAME=SOFT[:HARD])", spec);
	snprintf(name, sizeof(name), "%.*s", (int)(eq - spec), spec);
	char *colon = strchr(v, ':');
	if (colon)
		*colon = '\0';
	long long soft, hard;
	if (lim(v, &soft) < 0 || lim(colon ? colon + 1 : v, &hard) < 0)
		return cli_usage_error(cli->prog, "invalid --ulimit %s (want NAME=SOFT[:HARD], numbers or unlimited)", spec);
	json_array_append_new(list(hc, "Ulimits"), json_pack("{s:s,s:I,s:I}", "Name", name, "Soft", (json_int_t)soft,
							     "Hard", (json_int_t)hard));
	return 0;
}

int cli_security_opt(struct cli *cli, int c, const char *arg, json_t *hc)
{
	switch (c) {
	case CLI_O_PRIVILEGED: json_object_set_new(hc, "Privileged", json_true()); return 0;
	case CLI_O_CAP_ADD: json_array_append_new(list(hc, "CapAdd"), json_string(arg)); return 0;
	case CLI_O_CAP_DROP: json_array_append_new(list(hc, "CapDrop"), json_string(arg)); return 0;
	case CLI_O_GROUP_ADD: json_array_append_new(list(hc, "GroupAdd"), json_string(arg)); return 0;
	case CLI_O_SECURITY_OPT: return secopt(cli, arg, hc);
	case CLI_O_DEVICE: return device(cli, arg, hc);
	case CLI_O_ULIMIT: return ulimit(cli, arg, hc);
	case CLI_O_SYSCTL: {
		const char *eq = strchr(arg, '=');
		if (!eq || eq == arg)
			return cli_usage_error(cli->prog, "invalid --sysctl %s (want KEY=VALUE)", arg);
		json_t *m = json_object_get(hc, "Sysctls");
		if (!m) {
			m = json_object();
			json_object_set_new(hc, "Sysctls", m);
		}
		char key[256];
		snprintf(key, sizeof(key), "%.*s", (int)(eq - arg), arg);
		json_object_set_new(m, key, json_string(eq + 1));
		return 0;
	}
	}
	return -ENOENT;
}
