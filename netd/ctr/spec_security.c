// SPDX-License-Identifier: Apache-2.0
/* Containers: HostConfig's security options (Privileged, CapAdd, CapDrop,
 * SecurityOpt, Devices, GroupAdd, Ulimits, Sysctls) into the runtime's
 * struct rt_security. The one decoder: the API checks a create body with it
 * (nothing is recorded when it refuses) and the start builds the spec with
 * it. Every refusal names the option and says why. */
#include "netd/ctr/ctr.h"
#include "wire/wire.h"

#include <strings.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#ifndef CAP_SYS_RESOURCE
#define CAP_SYS_RESOURCE 24
#endif

static bool netd_holds(int cap)
{
	return prctl(PR_CAPBSET_READ, cap, 0, 0, 0) == 1;
}

static bool is_all(const char *s)
{
	return strcasecmp(s, "ALL") == 0 || strcasecmp(s, "CAP_ALL") == 0;
}

static int names_check(const json_t *a, const char *field, bool *has_all, struct nd_error *err)
{
	*has_all = false;
	if (a && !json_is_null(a) && !json_is_array(a))
		return nd_error_set(err, -EINVAL, "HostConfig.%s must be an array of capability names", field);
	size_t i;
	json_t *x;
	json_array_foreach(a, i, x) {
		const char *n = json_string_value(x);
		if (!n)
			return nd_error_set(err, -EINVAL, "HostConfig.%s[%zu] must be a string", field, i);
		if (is_all(n)) {
			*has_all = true;
			continue;
		}
		if (wire_cap_from_name(n) < 0)
			return nd_error_set(err, -EINVAL, "%s: unknown capability: \"%s\"", field, n);
	}
	return 0;
}

static uint64_t names_mask(const json_t *a)
{
	uint64_t m = 0;
	size_t i;
	json_t *x;
	json_array_foreach(a, i, x) {
		int c = wire_cap_from_name(json_string_value(x));
		if (c >= 0)
			m |= 1ull << c;
	}
	return m;
}

/* Docker's TweakCapabilities: privileged all; ALL in CapAdd: all but the
 * dropped; ALL in CapDrop: only the added; else default - dropped + added */
static int caps_build(const json_t *hc, struct rt_security *out, struct nd_error *err)
{
	const json_t *add = json_object_get(hc, "CapAdd"), *drop = json_object_get(hc, "CapDrop");
	bool add_all, drop_all;
	int r;
	if ((r = names_check(add, "CapAdd", &add_all, err)) < 0 || (r = names_check(drop, "CapDrop", &drop_all, err)) < 0)
		return r;
	if (out->privileged || (!json_array_size(add) && !json_array_size(drop)))
		return 0;
	uint64_t all = 0;
	for (int c = 0; c <= wire_cap_last(); c++)
		all |= 1ull << c;
	uint64_t a = names_mask(add), d = names_mask(drop);
	for (int c = 0; c <= wire_cap_last(); c++)
		if ((a & (1ull << c)) && !netd_holds(c))
			return nd_error_set(err, -EPERM, "CapAdd: %s: netd itself does not hold this capability (it "
					    "is not in netd's bounding set), so it cannot give it", wire_cap_name(c));
	out->caps_set = true;
	if (add_all)
		out->caps = all & ~d;
	else if (drop_all)
		out->caps = a;
	else
		out->caps = (wire_cap_default_mask() & ~d) | a;
	return 0;
}

static int secopt_build(const json_t *hc, struct rt_security *out, struct nd_error *err)
{
	const json_t *opts = json_object_get(hc, "SecurityOpt");
	if (opts && !json_is_null(opts) && !json_is_array(opts))
		return nd_error_set(err, -EINVAL, "HostConfig.SecurityOpt must be an array of strings");
	int nnp = -1;
	size_t i;
	json_t *x;
	json_array_foreach(opts, i, x) {
		const char *o = json_string_value(x);
		if (!o)
			return nd_error_set(err, -EINVAL, "HostConfig.SecurityOpt[%zu] must be a string", i);
		/* KEY=VALUE, or the old KEY:VALUE */
		size_t kl = strcspn(o, "=:");
		const char *v = o[kl] ? o + kl + 1 : NULL;
		if (kl == 17 && !strncmp(o, "no-new-privileges", kl)) {
			if (!v || !strcmp(v, "true"))
				nnp = 1;
			else if (!strcmp(v, "false"))
				nnp = 0;
			else
				return nd_error_set(err, -EINVAL, "invalid --security-opt %s: want no-new-privileges[:true|false]", o);
		} else if (kl == 7 && !strncmp(o, "seccomp", kl) && v && *v) {
			free(out->seccomp);
			out->seccomp = strdup(v);
			if (!out->seccomp)
				return nd_error_set(err, -ENOMEM, "out of memory");
		} else if (kl == 8 && !strncmp(o, "apparmor", kl) && v) {
			/* netd loads no AppArmor profile: asking for none is honoured */
			if (strcmp(v, "unconfined") != 0)
				return nd_error_set(err, -ENOTSUP, "--security-opt %s: netd does not support AppArmor "
						    "profiles (only apparmor=unconfined, which is what it does)", o);
		} else if (kl == 5 && !strncmp(o, "label", kl) && v) {
			if (strcmp(v, "disable") != 0)
				return nd_error_set(err, -ENOTSUP, "--security-opt %s: netd does not support SELinux "
						    "labels (only label=disable, which is what it does)", o);
		} else {
			return nd_error_set(err, -ENOTSUP, "--security-opt %.80s: not supported by netd (it honours "
					    "no-new-privileges, seccomp=unconfined|PROFILE, apparmor=unconfined, "
					    "label=disable)", o);
		}
	}
	/* netd sets no_new_privs unless asked not to; privileged lifts it,
	 * as Docker (which never sets it by default) */
	out->new_privs = nnp == 0 || (nnp < 0 && out->privileged);
	if (out->seccomp && strcmp(out->seccomp, "unconfined") != 0) {
		struct rt_seccomp_profile p;
		int r = rt_seccomp_profile_parse(out->seccomp, rt_security_caps(out), NULL, &p, err);
		rt_seccomp_profile_clear(&p);
		if (r < 0)
			return nd_error_wrap(err, "--security-opt seccomp");
	}
	return 0;
}

static bool path_ok(const char *p)
{
	return p && p[0] == '/' && !strstr(p, "..") && strlen(p) < 4096;
}

static int devices_build(const json_t *hc, struct rt_security *out, struct nd_error *err)
{
	const json_t *devs = json_object_get(hc, "Devices");
	if (devs && !json_is_null(devs) && !json_is_array(devs))
		return nd_error_set(err, -EINVAL, "HostConfig.Devices must be an array");
	if (!json_array_size(devs))
		return 0;
	struct rt_cgroup_layout layout;
	struct nd_error e = { 0 };
	if (rt_cgroup_layout_detect(&layout, &e) == 0 && layout.mode == RT_CGROUP_V2)
		return nd_error_set(err, -ENOTSUP, "--device: this host has cgroup v2 only, and netd does not load "
				    "cgroup2 device programs yet: it will not hand out a device it cannot limit");
	out->devices = calloc(json_array_size(devs), sizeof(*out->devices));
	if (!out->devices)
		return nd_error_set(err, -ENOMEM, "out of memory");
	size_t i;
	json_t *x;
	json_array_foreach(devs, i, x) {
		const char *host = nd_json_str(x, "PathOnHost"), *ctr = nd_json_str(x, "PathInContainer");
		const char *perms = nd_json_str(x, "CgroupPermissions");
		if (!json_is_object(x) || !path_ok(host))
			return nd_error_set(err, -EINVAL, "--device: PathOnHost must be an absolute path");
		if (!ctr || !*ctr)
			ctr = host;
		if (!path_ok(ctr) || !strcmp(ctr, "/"))
			return nd_error_set(err, -EINVAL, "--device %s: the path in the container (\"%s\") must be "
					    "absolute, without ..", host, ctr);
		if (!perms || !*perms)
			perms = "rwm";
		if (strlen(perms) > 3 || strspn(perms, "rwm") != strlen(perms))
			return nd_error_set(err, -EINVAL, "--device %s: invalid permissions \"%s\" (a subset of rwm)",
					    host, perms);
		struct stat st;
		if (stat(host, &st) < 0)
			return nd_error_set(err, -errno, "--device %s: %m", host);
		if (!S_ISCHR(st.st_mode) && !S_ISBLK(st.st_mode))
			return nd_error_set(err, -EINVAL, "--device %s: not a device node%s", host,
					    S_ISDIR(st.st_mode) ? " (netd maps single nodes, not directories)" : "");
		struct rt_device *d = &out->devices[out->n_devices++];
		d->path = strdup(ctr);
		d->type = S_ISCHR(st.st_mode) ? 'c' : 'b';
		d->major = major(st.st_rdev);
		d->minor = minor(st.st_rdev);
		d->mode = st.st_mode & 07777;
		d->uid = st.st_uid;
		d->gid = st.st_gid;
		snprintf(d->perms, sizeof(d->perms), "%s", perms);
		if (!d->path)
			return nd_error_set(err, -ENOMEM, "out of memory");
	}
	return 0;
}

static int groups_build(const json_t *hc, struct rt_security *out, struct nd_error *err)
{
	const json_t *g = json_object_get(hc, "GroupAdd");
	if (g && !json_is_null(g) && !json_is_array(g))
		return nd_error_set(err, -EINVAL, "HostConfig.GroupAdd must be an array of strings");
	if (!json_array_size(g))
		return 0;
	out->groups = calloc(json_array_size(g) + 1, sizeof(char *));
	if (!out->groups)
		return nd_error_set(err, -ENOMEM, "out of memory");
	size_t i;
	json_t *x;
	json_array_foreach(g, i, x) {
		const char *s = json_string_value(x);
		if (!s || !*s || strlen(s) > 64 || strpbrk(s, ": \t\n/"))
			return nd_error_set(err, -EINVAL, "--group-add \"%s\": want a group name or number",
					    s ? s : "(not a string)");
		out->groups[i] = strdup(s);
	}
	return 0;
}

static const struct {
	const char *name;
	int res;
} rlimits[] = {
	{ "core", RLIMIT_CORE },     { "cpu", RLIMIT_CPU },         { "data", RLIMIT_DATA },
	{ "fsize", RLIMIT_FSIZE },   { "locks", RLIMIT_LOCKS },     { "memlock", RLIMIT_MEMLOCK },
	{ "msgqueue", RLIMIT_MSGQUEUE }, { "nice", RLIMIT_NICE },   { "nofile", RLIMIT_NOFILE },
	{ "nproc", RLIMIT_NPROC },   { "rss", RLIMIT_RSS },         { "rtprio", RLIMIT_RTPRIO },
	{ "rttime", RLIMIT_RTTIME }, { "sigpending", RLIMIT_SIGPENDING }, { "stack", RLIMIT_STACK },
};

static uint64_t lim(json_int_t v)
{
	return v < 0 ? (uint64_t)RLIM_INFINITY : (uint64_t)v;
}

static int ulimits_build(const json_t *hc, struct rt_security *out, struct nd_error *err)
{
	const json_t *u = json_object_get(hc, "Ulimits");
	if (u && !json_is_null(u) && !json_is_array(u))
		return nd_error_set(err, -EINVAL, "HostConfig.Ulimits must be an array");
	if (!json_array_size(u))
		return 0;
	out->ulimits = calloc(json_array_size(u), sizeof(*out->ulimits));
	if (!out->ulimits)
		return nd_error_set(err, -ENOMEM, "out of memory");
	size_t i;
	json_t *x;
	json_array_foreach(u, i, x) {
		const char *name = NULL;
		json_int_t soft = 0, hard = 0;
		json_error_t je;
		if (json_unpack_ex(x, &je, 0, "{s:s,s:I,s:I}", "Name", &name, "Soft", &soft, "Hard", &hard) < 0)
			return nd_error_set(err, -EINVAL, "HostConfig.Ulimits[%zu]: %s", i, je.text);
		int res = -1;
		for (size_t k = 0; k < ARRAY_SIZE(rlimits); k++)
			if (!strcmp(rlimits[k].name, name))
				res = rlimits[k].res;
		if (res < 0)
			return nd_error_set(err, -EINVAL, "--ulimit: invalid ulimit type: %s", name);
		uint64_t s = lim(soft), h = lim(hard);
		if (s > h)
			return nd_error_set(err, -EINVAL, "--ulimit %s: soft limit %lld is above the hard limit %lld", name,
					    (long long)soft, (long long)hard);
		for (size_t k = 0; k < out->n_ulimits; k++)
			if (out->ulimits[k].resource == res)
				return nd_error_set(err, -EINVAL, "--ulimit %s: given twice", name);
		/* netd never raises a hard limit by default; a user's raise
		 * needs CAP_SYS_RESOURCE, which some hosts do not give root */
		struct rlimit now;
		if (getrlimit(res, &now) == 0 && now.rlim_max != RLIM_INFINITY && h > (uint64_t)now.rlim_max &&
		    !netd_holds(CAP_SYS_RESOURCE))
			return nd_error_set(err, -EPERM, "--ulimit %s=%lld:%lld: the hard limit is above netd's own (%llu) "
					    "and raising it needs CAP_SYS_RESOURCE, which netd does not hold on this host",
					    name, (long long)soft, (long long)hard, (unsigned long long)now.rlim_max);
		out->ulimits[out->n_ulimits++] = (struct rt_ulimit){ res, s, h };
	}
	return 0;
}

/* Docker's (runc's) namespaced sysctls */
static bool sysctl_namespaced(const char *k, bool *net)
{
	static const char *const ipc[] = { "kernel.msgmax", "kernel.msgmnb", "kernel.msgmni", "kernel.sem",
					   "kernel.shmall", "kernel.shmmax", "kernel.shmmni", "kernel.shm_rmid_forced" };
	*net = nd_str_has_prefix(k, "net.");
	if (*net || nd_str_has_prefix(k, "fs.mqueue."))
		return true;
	for (size_t i = 0; i < ARRAY_SIZE(ipc); i++)
		if (!strcmp(ipc[i], k))
			return true;
	return false;
}

static int sysctls_build(const json_t *hc, const char *network_mode, struct rt_security *out, struct nd_error *err)
{
	const json_t *s = json_object_get(hc, "Sysctls");
	if (s && !json_is_null(s) && !json_is_object(s))
		return nd_error_set(err, -EINVAL, "HostConfig.Sysctls must be an object of strings");
	if (!json_object_size(s))
		return 0;
	out->sysctls = calloc(json_object_size(s), sizeof(*out->sysctls));
	if (!out->sysctls)
		return nd_error_set(err, -ENOMEM, "out of memory");
	const char *k;
	json_t *v;
	json_object_foreach((json_t *)s, k, v) {
		const char *val = json_string_value(v);
		if (!val || strpbrk(val, "\n"))
			return nd_error_set(err, -EINVAL, "--sysctl %s: the value must be a one-line string", k);
		if (!*k || strspn(k, "abcdefghijklmnopqrstuvwxyz0123456789._-") != strlen(k) || strstr(k, ".."))
			return nd_error_set(err, -EINVAL, "--sysctl \"%s\": invalid name", k);
		bool net;
		if (!sysctl_namespaced(k, &net))
			return nd_error_set(err, -EINVAL, "--sysctl %s: not a namespaced sysctl: it would change the "
					    "whole host (netd allows net.*, kernel.shm*, kernel.msg*, kernel.sem, fs.mqueue.*)", k);
		if (net && network_mode && (!strcmp(network_mode, "host") || nd_str_has_prefix(network_mode, "container:")))
			return nd_error_set(err, -EINVAL, "--sysctl %s: the container shares %s network namespace, so a "
					    "net.* sysctl would change it", k,
					    !strcmp(network_mode, "host") ? "the host's" : "another container's");
		out->sysctls[out->n_sysctls].key = strdup(k);
		out->sysctls[out->n_sysctls].value = strdup(val);
		out->n_sysctls++;
	}
	return 0;
}

int ctr_security_build(const json_t *hc, const char *network_mode, struct rt_security *out, struct nd_error *err)
{
	memset(out, 0, sizeof(*out));
	const json_t *p = json_object_get(hc, "Privileged");
	if (p && !json_is_boolean(p) && !json_is_null(p))
		return nd_error_set(err, -EINVAL, "HostConfig.Privileged must be a boolean");
	out->privileged = json_is_true(p);
	int r;
	if ((r = caps_build(hc, out, err)) < 0 || (r = secopt_build(hc, out, err)) < 0 ||
	    (r = devices_build(hc, out, err)) < 0 || (r = groups_build(hc, out, err)) < 0 ||
	    (r = ulimits_build(hc, out, err)) < 0 || (r = sysctls_build(hc, network_mode, out, err)) < 0) {
		rt_security_clear(out);
		return r;
	}
	return 0;
}
