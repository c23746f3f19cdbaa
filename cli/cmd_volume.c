// SPDX-License-Identifier: Apache-2.0
/* netctl volume create|ls|inspect|rm|prune, and the mount options of
 * netctl run/create (-v, --mount, --tmpfs, --read-only, --volumes-from)
 * turned into Docker's create body, as Docker's CLI sends them. */
#include "cli/netctl.h"

/* ---- run/create options ----------------------------------------------------------- */

static json_t *obj_member(json_t *o, const char *k, bool list)
{
	json_t *v = json_object_get(o, k);
	if (!v) {
		v = list ? json_array() : json_object();
		json_object_set_new(o, k, v);
	}
	return v;
}

static int bool_value(const char *v, bool *out)
{
	if (!v || !strcmp(v, "true") || !strcmp(v, "1"))
		*out = true;
	else if (!strcmp(v, "false") || !strcmp(v, "0"))
		*out = false;
	else
		return -EINVAL;
	return 0;
}

static int size_value(const char *s, long long *out)
{
	char *end;
	double v = strtod(s, &end);
	if (end == s || v < 0)
		return -EINVAL;
	long long mul = 1;
	switch (*end) {
	case '\0': case 'b': case 'B': break;
	case 'k': case 'K': mul = 1ll << 10; break;
	case 'm': case 'M': mul = 1ll << 20; break;
	case 'g': case 'G': mul = 1ll << 30; break;
	default: return -EINVAL;
	}
	*out = (long long)(v * (double)mul);
	return 0;
}

/* --mount type=bind,source=/a,target=/b,readonly,... (Docker's CSV) */
static int parse_mount(const char *spec, json_t **out, struct nd_error *err)
{
	_cleanup_json_ json_t *m = json_pack("{s:s}", "Type", "volume");
	_cleanup_free_ char *copy = strdup(spec);
	char *save = NULL;
	for (char *t = copy ? strtok_r(copy, ",", &save) : NULL; t; t = strtok_r(NULL, ",", &save)) {
		char *eq = strchr(t, '=');
		const char *v = eq ? eq + 1 : NULL;
		if (eq)
			*eq = '\0';
		bool b;
		if (!strcmp(t, "type") && v) {
			json_object_set_new(m, "Type", json_string(v));
		} else if ((!strcmp(t, "source") || !strcmp(t, "src")) && v) {
			json_object_set_new(m, "Source", json_string(v));
		} else if ((!strcmp(t, "target") || !strcmp(t, "destination") || !strcmp(t, "dst")) && v) {
			json_object_set_new(m, "Target", json_string(v));
		} else if (!strcmp(t, "readonly") || !strcmp(t, "ro")) {
			if (bool_value(v, &b) < 0)
				return nd_error_set(err, -EINVAL, "--mount: invalid value for %s: %s", t, v);
			json_object_set_new(m, "ReadOnly", json_boolean(b));
		} else if (!strcmp(t, "bind-propagation") && v) {
			json_object_set_new(obj_member(m, "BindOptions", false), "Propagation", json_string(v));
		} else if (!strcmp(t, "bind-create-mountpoint")) {
			if (bool_value(v, &b) < 0)
				return nd_error_set(err, -EINVAL, "--mount: invalid value for %s: %s", t, v);
			json_object_set_new(obj_member(m, "BindOptions", false), "CreateMountpoint", json_boolean(b));
		} else if (!strcmp(t, "bind-nonrecursive")) {
			if (bool_value(v, &b) < 0)
				return nd_error_set(err, -EINVAL, "--mount: invalid value for %s: %s", t, v);
			json_object_set_new(obj_member(m, "BindOptions", false), "NonRecursive", json_boolean(b));
		} else if (!strcmp(t, "bind-recursive") && v) {
			/* enabled (the default), disabled, writable (read-only on top only), readonly */
			json_t *bo = obj_member(m, "BindOptions", false);
			if (!strcmp(v, "disabled"))
				json_object_set_new(bo, "NonRecursive", json_true());
			else if (!strcmp(v, "writable"))
				json_object_set_new(bo, "ReadOnlyNonRecursive", json_true());
			else if (!strcmp(v, "readonly"))
				json_object_set_new(bo, "ReadOnlyForceRecursive", json_true());
			else if (strcmp(v, "enabled"))
				return nd_error_set(err, -EINVAL, "--mount: bind-recursive=%s (enabled, disabled, writable, readonly)", v);
		} else if (!strcmp(t, "volume-nocopy")) {
			if (bool_value(v, &b) < 0)
				return nd_error_set(err, -EINVAL, "--mount: invalid value for %s: %s", t, v);
			json_object_set_new(obj_member(m, "VolumeOptions", false), "NoCopy", json_boolean(b));
		} else if (!strcmp(t, "volume-driver") && v) {
			json_t *vo = obj_member(m, "VolumeOptions", false);
			json_object_set_new(obj_member(vo, "DriverConfig", false), "Name", json_string(v));
		} else if ((!strcmp(t, "volume-label") || !strcmp(t, "volume-opt")) && v && strchr(v, '=')) {
			json_t *vo = obj_member(m, "VolumeOptions", false);
			json_t *dst = !strcmp(t, "volume-label") ? obj_member(vo, "Labels", false)
								 : obj_member(obj_member(vo, "DriverConfig", false), "Options", false);
			char key[256];
			snprintf(key, sizeof(key), "%.*s", (int)(strchr(v, '=') - v), v);
			json_object_set_new(dst, key, json_string(strchr(v, '=') + 1));
		} else if (!strcmp(t, "tmpfs-size") && v) {
			long long sz;
			if (size_value(v, &sz) < 0)
				return nd_error_set(err, -EINVAL, "--mount: invalid tmpfs-size %s", v);
			json_object_set_new(obj_member(m, "TmpfsOptions", false), "SizeBytes", json_integer(sz));
		} else if (!strcmp(t, "tmpfs-mode") && v) {
			char *end;
			long mode = strtol(v, &end, 8);
			if (*end || mode < 0)
				return nd_error_set(err, -EINVAL, "--mount: invalid tmpfs-mode %s", v);
			json_object_set_new(obj_member(m, "TmpfsOptions", false), "Mode", json_integer(mode));
		} else {
			return nd_error_set(err, -EINVAL, "--mount: unknown or incomplete field \"%s\"", t);
		}
	}
	if (!json_object_get(m, "Target"))
		return nd_error_set(err, -EINVAL, "--mount %s: target is required", spec);
	*out = TAKE_PTR(m);
	return 0;
}

int cli_mount_option(json_t *body, const char *opt, const char *arg, struct nd_error *err)
{
	json_t *hc = obj_member(body, "HostConfig", false);
	if (!strcmp(opt, "volume")) {
		/* -v /path alone is an anonymous volume (Config.Volumes), as Docker's CLI sends it */
		if (arg[0] == '/' && !strchr(arg, ':'))
			json_object_set_new(obj_member(body, "Volumes", false), arg, json_object());
		else
			json_array_append_new(obj_member(hc, "Binds", true), json_string(arg));
	} else if (!strcmp(opt, "mount")) {
		json_t *m = NULL;
		int rc = parse_mount(arg, &m, err);
		if (rc < 0)
			return rc;
		json_array_append_new(obj_member(hc, "Mounts", true), m);
	} else if (!strcmp(opt, "tmpfs")) {
		char path[4096];
		snprintf(path, sizeof(path), "%s", arg);
		char *colon = strchr(path, ':');
		if (colon)
			*colon = '\0';
		json_object_set_new(obj_member(hc, "Tmpfs", false), path, json_string(colon ? colon + 1 : ""));
	} else if (!strcmp(opt, "read-only")) {
		json_object_set_new(hc, "ReadonlyRootfs", json_true());
	} else if (!strcmp(opt, "volumes-from")) {
		json_array_append_new(obj_member(hc, "VolumesFrom", true), json_string(arg));
	} else {
		return nd_error_set(err, -EINVAL, "unknown mount option %s", opt);
	}
	return 0;
}

/* ---- netctl volume ... --------------------------------------------------------------- */

static int kv_into(json_t *obj, const char *kv, const char *what, const char *prog)
{
	const char *eq = strchr(kv, '=');
	if (!eq || eq == kv)
		return cli_usage_error(prog, "invalid %s \"%s\": want KEY=VALUE", what, kv);
	char key[256];
	snprintf(key, sizeof(key), "%.*s", (int)(eq - kv), kv);
	json_object_set_new(obj, key, json_string(eq + 1));
	return 0;
}

static const char vcreate_help[] =
	"Usage: netctl volume create [OPTIONS] [NAME]\n\n"
	"Create a volume (a random name without NAME).\n\n"
	"Options:\n"
	"  -d, --driver NAME       driver: local (the only one)\n"
	"  -o, --opt KEY=VALUE     the local driver's type, device, o: e.g.\n"
	"                          -o type=tmpfs -o device=tmpfs -o o=size=64m, or\n"
	"                          -o type=none -o device=/srv/data -o o=bind\n"
	"      --label KEY=VALUE   label (repeatable)\n";

static int cmd_vol_create(struct cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "driver", required_argument, NULL, 'd' }, { "opt", required_argument, NULL, 'o' },
		{ "label", required_argument, NULL, 'l' },  { "name", required_argument, NULL, 'n' },
		{ "help", no_argument, NULL, 'h' },         { 0 },
	};
	_cleanup_json_ json_t *body = json_pack("{s:{}, s:{}}", "DriverOpts", "Labels");
	int c, rc;
	optind = 1;
	while ((c = getopt_long(argc, argv, "+d:o:h", opts, NULL)) != -1) {
		switch (c) {
		case 'd': json_object_set_new(body, "Driver", json_string(optarg)); break;
		case 'n': json_object_set_new(body, "Name", json_string(optarg)); break;
		case 'o':
			if ((rc = kv_into(json_object_get(body, "DriverOpts"), optarg, "option", cli->prog)))
				return rc;
			break;
		case 'l':
			if ((rc = kv_into(json_object_get(body, "Labels"), optarg, "label", cli->prog)))
				return rc;
			break;
		case 'h': fputs(vcreate_help, stdout); return 0;
		default: return cli_usage_error(cli->prog, "unknown option \"%s\"", argv[optind - 1]);
		}
	}
	if (argc - optind > 1)
		return cli_usage_error(cli->prog, "expects at most one volume name");
	if (optind < argc)
		json_object_set_new(body, "Name", json_string(argv[optind]));
	struct nd_error err = { 0 };
	_cleanup_json_ json_t *resp = NULL;
	if (client_call(cli->client, "POST", "/volumes/create", body, &resp, &err) < 0)
		return cli_fail(&err);
	printf("%s\n", nd_json_str(resp, "Name") ?: "");
	return 0;
}

/* --filter KEY=VALUE into Docker's filters object */
static int filter_add(json_t *filters, const char *kv, const char *prog)
{
	const char *eq = strchr(kv, '=');
	if (!eq || eq == kv)
		return cli_usage_error(prog, "invalid filter \"%s\": want KEY=VALUE", kv);
	char key[64];
	snprintf(key, sizeof(key), "%.*s", (int)(eq - kv), kv);
	json_array_append_new(obj_member(filters, key, true), json_string(eq + 1));
	return 0;
}

static int cmd_vol_ls(struct cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "quiet", no_argument, NULL, 'q' }, { "filter", required_argument, NULL, 'f' },
		{ "format", required_argument, NULL, 'F' }, { "help", no_argument, NULL, 'h' }, { 0 },
	};
	_cleanup_json_ json_t *filters = json_object();
	enum cli_format fmt = CLI_FMT_TABLE;
	bool quiet = false;
	int c, rc;
	optind = 1;
	while ((c = getopt_long(argc, argv, "+qf:h", opts, NULL)) != -1) {
		switch (c) {
		case 'q': quiet = true; break;
		case 'f':
			if ((rc = filter_add(filters, optarg, cli->prog)))
				return rc;
			break;
		case 'F':
			if (cli_parse_format(optarg, &fmt) < 0)
				return cli_usage_error(cli->prog, "unknown format \"%s\" (table or json)", optarg);
			break;
		case 'h':
			fputs("Usage: netctl volume ls [-q] [--filter KEY=VALUE]... [--format table|json]\n\n"
			      "List volumes. Filters: name, driver, label, dangling (true|false).\n", stdout);
			return 0;
		default: return cli_usage_error(cli->prog, "unknown option \"%s\"", argv[optind - 1]);
		}
	}
	if (optind < argc)
		return cli_usage_error(cli->prog, "unexpected argument \"%s\"", argv[optind]);
	_cleanup_free_ char *path = NULL;
	if (json_object_size(filters)) {
		_cleanup_free_ char *fs = nd_json_dump(filters);
		path = cli_path(cli, "/volumes?filters=%s", fs);
	} else {
		path = strdup("/volumes");
	}
	struct nd_error err = { 0 };
	_cleanup_json_ json_t *resp = NULL;
	if (client_call(cli->client, "GET", path, NULL, &resp, &err) < 0)
		return cli_fail(&err);
	json_t *vols = json_object_get(resp, "Volumes");
	if (fmt == CLI_FMT_JSON) {
		cli_print_json(vols);
		return 0;
	}
	size_t i;
	json_t *v;
	if (quiet) {
		json_array_foreach(vols, i, v)
			printf("%s\n", nd_json_str(v, "Name") ?: "");
		return 0;
	}
	struct cli_table *t = cli_table_new(2, "DRIVER", "VOLUME NAME");
	json_array_foreach(vols, i, v)
		cli_table_row(t, nd_json_str(v, "Driver") ?: "", nd_json_str(v, "Name") ?: "");
	cli_table_print(t);
	return 0;
}

static int cmd_vol_inspect(struct cli *cli, int argc, char **argv)
{
	return cli_each_arg(cli, argc, argv, "Usage: netctl volume inspect VOLUME...\n\nShow volumes as JSON.\n", "GET",
			    "/volumes/%s", true, false);
}

static int cmd_vol_rm(struct cli *cli, int argc, char **argv)
{
	static const char help[] = "Usage: netctl volume rm [-f] VOLUME...\n\n"
				   "Remove volumes (not while a container uses one; -f: a missing one is fine).\n";
	bool force = false;
	int i = 1;
	for (; i < argc && argv[i][0] == '-'; i++) {
		if (!strcmp(argv[i], "-f") || !strcmp(argv[i], "--force"))
			force = true;
		else if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
			fputs(help, stdout);
			return 0;
		} else
			return cli_usage_error(cli->prog, "unknown option \"%s\"", argv[i]);
	}
	if (i >= argc)
		return cli_usage_error(cli->prog, "expects at least one volume");
	int status = 0;
	for (; i < argc; i++) {
		_cleanup_free_ char *p = cli_path(cli, "/volumes/%s", argv[i]);
		char path[4096];
		snprintf(path, sizeof(path), "%s%s", p, force ? "?force=1" : "");
		struct nd_error err = { 0 };
		if (client_call(cli->client, "DELETE", path, NULL, NULL, &err) < 0) {
			status = cli_fail(&err);
			continue;
		}
		printf("%s\n", argv[i]);
	}
	return status;
}

static int cmd_vol_prune(struct cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "all", no_argument, NULL, 'a' }, { "force", no_argument, NULL, 'f' },
		{ "filter", required_argument, NULL, 'F' }, { "help", no_argument, NULL, 'h' }, { 0 },
	};
	_cleanup_json_ json_t *filters = json_object();
	int c, rc;
	optind = 1;
	while ((c = getopt_long(argc, argv, "+afh", opts, NULL)) != -1) {
		switch (c) {
		case 'a': json_object_set_new(filters, "all", json_pack("[s]", "true")); break;
		case 'f': break;   /* netctl never prompts */
		case 'F':
			if ((rc = filter_add(filters, optarg, cli->prog)))
				return rc;
			break;
		case 'h':
			fputs("Usage: netctl volume prune [-a] [-f] [--filter label=...]\n\n"
			      "Remove the anonymous volumes no container uses; -a: named ones too.\n", stdout);
			return 0;
		default: return cli_usage_error(cli->prog, "unknown option \"%s\"", argv[optind - 1]);
		}
	}
	_cleanup_free_ char *fs = nd_json_dump(filters);
	_cleanup_free_ char *path = cli_path(cli, "/volumes/prune?filters=%s", fs);
	struct nd_error err = { 0 };
	_cleanup_json_ json_t *resp = NULL;
	if (client_call(cli->client, "POST", path, NULL, &resp, &err) < 0)
		return cli_fail(&err);
	size_t i;
	json_t *v;
	json_array_foreach(json_object_get(resp, "VolumesDeleted"), i, v)
		printf("%s\n", json_string_value(v));
	printf("Total reclaimed space: %lld B\n", (long long)json_integer_value(json_object_get(resp, "SpaceReclaimed")));
	return 0;
}

const struct cli_cmd cli_volume_cmds[] = {
	{ "create", "Create a volume", cmd_vol_create, NULL },
	{ "ls", "List volumes", cmd_vol_ls, NULL },
	{ "inspect", "Show volumes in detail (JSON)", cmd_vol_inspect, NULL },
	{ "rm", "Remove volumes", cmd_vol_rm, NULL },
	{ "prune", "Remove unused volumes", cmd_vol_prune, NULL },
	{ NULL },
};
