// SPDX-License-Identifier: Apache-2.0
/* netctl sandbox create|ls|inspect|rm|exec */
#include "cli/netctl.h"

#include <fcntl.h>
#include <sched.h>

static int cmd_sb_create(struct cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "name", required_argument, NULL, 'n' }, { "label", required_argument, NULL, 'l' },
		{ "help", no_argument, NULL, 'h' }, { 0 },
	};
	_cleanup_json_ json_t *body = json_pack("{s:{}}", "Labels");
	int c;
	optind = 1;
	while ((c = getopt_long(argc, argv, "+h", opts, NULL)) != -1) {
		switch (c) {
		case 'n': json_object_set_new(body, "Name", json_string(optarg)); break;
		case 'l': {
			const char *eq = strchr(optarg, '=');
			if (!eq)
				return cli_usage_error(cli->prog, "invalid label \"%s\": want KEY=VALUE", optarg);
			char k[256];
			snprintf(k, sizeof(k), "%.*s", (int)(eq - optarg), optarg);
			json_object_set_new(json_object_get(body, "Labels"), k, json_string(eq + 1));
			break;
		}
		case 'h':
			fputs("Usage: netctl sandbox create [--name NAME] [--label KEY=VALUE]...\n\n"
			      "Create a sandbox: an empty network namespace (lo up) that networks can be\n"
			      "connected to. Prints its ID.\n", stdout);
			return 0;
		default: return cli_usage_error(cli->prog, "unknown option \"%s\"", argv[optind - 1]);
		}
	}
	if (optind < argc)
		return cli_usage_error(cli->prog, "unexpected argument \"%s\" (use --name)", argv[optind]);
	struct nd_error err = { 0 };
	_cleanup_json_ json_t *resp = NULL;
	if (client_call(cli->client, "POST", "/sandboxes", body, &resp, &err) < 0)
		return cli_fail(&err);
	printf("%s\n", nd_json_str(resp, "Id"));
	return 0;
}

static int cmd_sb_ls(struct cli *cli, int argc, char **argv)
{
	enum cli_format fmt = CLI_FMT_TABLE;
	bool quiet = false;
	int rc = cli_list_opts(cli, argc, argv, "Usage: netctl sandbox ls [-q] [--format table|json]\n\nList sandboxes.\n",
			       &fmt, &quiet);
	if (rc)
		return rc < 0 ? 0 : rc;
	struct nd_error err = { 0 };
	_cleanup_json_ json_t *sbs = NULL;
	if (client_call(cli->client, "GET", "/sandboxes", NULL, &sbs, &err) < 0)
		return cli_fail(&err);
	if (fmt == CLI_FMT_JSON) {
		cli_print_json(sbs);
		return 0;
	}
	size_t i;
	json_t *s;
	if (quiet) {
		json_array_foreach(sbs, i, s)
			printf("%.12s\n", nd_json_str(s, "Id"));
		return 0;
	}
	struct cli_table *t = cli_table_new(4, "SANDBOX ID", "NAME", "NETWORKS", "CREATED");
	json_array_foreach(sbs, i, s) {
		char id[13], nets[512] = "";
		snprintf(id, sizeof(id), "%.12s", nd_json_str(s, "Id"));
		const char *k;
		json_t *ep;
		json_object_foreach(json_object_get(s, "Networks"), k, ep) {
			const char *ip = nd_json_str(ep, "IPv4Address");
			snprintf(nets + strlen(nets), sizeof(nets) - strlen(nets), "%s%s=%s", nets[0] ? " " : "", k,
				 ip && *ip ? ip : nd_json_str(ep, "IPv6Address"));
		}
		cli_table_row(t, id, nd_json_str(s, "Name"), nets, nd_json_str(s, "Created"));
	}
	cli_table_print(t);
	return 0;
}

static int cmd_sb_inspect(struct cli *cli, int argc, char **argv)
{
	return cli_each_arg(cli, argc, argv, "Usage: netctl sandbox inspect SANDBOX...\n\nShow sandboxes as JSON.\n",
			    "GET", "/sandboxes/%s", true, false);
}

static int cmd_sb_rm(struct cli *cli, int argc, char **argv)
{
	return cli_each_arg(cli, argc, argv,
			    "Usage: netctl sandbox rm SANDBOX...\n\nRemove sandboxes with their endpoints.\n",
			    "DELETE", "/sandboxes/%s", false, true);
}

/* Runs a command inside the sandbox's network namespace (the teaching-demo
 * primitive): netctl asks netd where the namespace is, enters it, execs. */
static int cmd_sb_exec(struct cli *cli, int argc, char **argv)
{
	if (argc >= 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
		fputs("Usage: netctl sandbox exec SANDBOX [--] COMMAND [ARGS...]\n\n"
		      "Run a command inside the sandbox's network namespace (root only), e.g.\n"
		      "  netctl sandbox exec web -- ip addr\n"
		      "  netctl sandbox exec web -- ping -c1 172.18.0.3\n", stdout);
		return 0;
	}
	if (argc < 3)
		return cli_usage_error(cli->prog, "expects SANDBOX and a COMMAND");
	int cmd = 2;
	if (strcmp(argv[2], "--") == 0)
		cmd = 3;
	if (cmd >= argc)
		return cli_usage_error(cli->prog, "expects a COMMAND after the sandbox");
	_cleanup_free_ char *path = cli_path(cli, "/sandboxes/%s", argv[1]);
	struct nd_error err = { 0 };
	_cleanup_json_ json_t *sb = NULL;
	if (client_call(cli->client, "GET", path, NULL, &sb, &err) < 0)
		return cli_fail(&err);
	const char *ns = nd_json_str(sb, "NetnsPath");
	int fd = open(ns ? ns : "", O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		nd_error_set(&err, -errno, "open %s: %s", ns ? ns : "(none)", strerror(errno));
		return cli_fail(&err);
	}
	if (setns(fd, CLONE_NEWNET) < 0) {
		nd_error_set(&err, -errno, "enter sandbox %s: %s%s", argv[1], strerror(errno),
			     errno == EPERM ? " (needs root)" : "");
		close(fd);
		return cli_fail(&err);
	}
	close(fd);
	execvp(argv[cmd], argv + cmd);
	fprintf(stderr, "netctl: exec %s: %s\n", argv[cmd], strerror(errno));
	return errno == ENOENT ? 127 : 126;
}

const struct cli_cmd cli_sandbox_cmds[] = {
	{ "create", "Create a sandbox (a network namespace)", cmd_sb_create, NULL },
	{ "ls", "List sandboxes", cmd_sb_ls, NULL },
	{ "inspect", "Show sandboxes in detail (JSON)", cmd_sb_inspect, NULL },
	{ "rm", "Remove sandboxes", cmd_sb_rm, NULL },
	{ "exec", "Run a command in a sandbox's network namespace", cmd_sb_exec, NULL },
	{ NULL },
};
