// SPDX-License-Identifier: Apache-2.0
/* netctl: the command-line client of netd. An HTTP client only. */
#include "cli/netctl.h"

static const struct cli_cmd top_cmds[] = {
	{ "network", "Manage networks", NULL, cli_network_cmds },
	{ "sandbox", "Manage sandboxes (network namespaces)", NULL, cli_sandbox_cmds },
	{ "explain", "Explain why a packet from SRC reaches DST (or not)", cmd_explain, NULL },
	{ "image", "Manage images", NULL, cli_image_cmds },
	{ "volume", "Manage volumes", NULL, cli_volume_cmds },
	{ "images", "List images (image ls)", cmd_images, NULL },
	{ "commit", "Make an image from a container's changes", cmd_commit, NULL },
	{ "pull", "Pull an image from a registry", cmd_pull, NULL },
	{ "push", "Push an image to a registry", cmd_push, NULL },
	{ "login", "Log netd in to a registry", cmd_login, NULL },
	{ "logout", "Forget netd's credentials for a registry", cmd_logout, NULL },
	{ "container", "Manage containers", NULL, cli_container_cmds },
	{ "run", "Create and start a container (container run)", cli_container_alias, NULL },
	{ "create", "Create a container (container create)", cli_container_alias, NULL },
	{ "start", "Start containers", cli_container_alias, NULL },
	{ "stop", "Stop containers", cli_container_alias, NULL },
	{ "kill", "Signal containers", cli_container_alias, NULL },
	{ "restart", "Restart containers", cli_container_alias, NULL },
	{ "rm", "Remove containers", cli_container_alias, NULL },
	{ "wait", "Wait for containers; print exit codes", cli_container_alias, NULL },
	{ "ps", "List containers", cli_container_alias, NULL },
	{ "logs", "Show a container's output", cli_container_alias, NULL },
	{ "inspect", "Show containers in detail (JSON)", cli_container_alias, NULL },
	{ "exec", "Run a command in a running container", cli_container_alias, NULL },
	{ "attach", "Attach to a running container's stdio", cli_container_alias, NULL },
	{ "port", "List a container's published ports", cli_container_alias, NULL },
	{ "pause", "Freeze containers", cmd_pause, NULL },
	{ "unpause", "Thaw paused containers", cmd_unpause, NULL },
	{ "rename", "Rename a container", cmd_rename, NULL },
	{ "update", "Change containers' limits and restart policy", cmd_update, NULL },
	{ "top", "List a container's processes", cmd_top, NULL },
	{ "diff", "List a container's file changes", cmd_diff, NULL },
	{ "stats", "Show containers' resource use", cmd_stats, NULL },
	{ "version", "Show the netctl and netd versions", cmd_version, NULL },
	{ "info", "Show what netd runs and how", cmd_info, NULL },
	{ "topology", "Draw networks, sandboxes, endpoints and ports (json, dot, svg)", cmd_topology, NULL },
	{ "ui", "Serve a live web view of the topology on 127.0.0.1", cmd_ui, NULL },
	{ "tls", "Make certificates for netd's TCP listener (tls init)", NULL, cli_tls_cmds },
	{ NULL },
};

static void usage(FILE *out, const char *prog, const struct cli_cmd *cmds, bool top)
{
	if (top)
		fprintf(out,
			"Usage: netctl [-H unix:///path/to/netd.sock | -H tcp://HOST:PORT --tlsverify] COMMAND [ARGS...]\n"
			"\n"
			"netctl talks to netd, the container network daemon: networks, sandboxes,\n"
			"endpoints and containers, with Docker's names for things.\n"
			"\n"
			"Global options:\n"
			"  -H, --host URL   netd's address: unix:///PATH or tcp://HOST:PORT (default $NETD_HOST,\n"
			"                   else unix:///run/netd/netd.sock)\n"
			"  --tlsverify      TCP with mutual TLS (or $NETD_TLS_VERIFY=1); the files below default\n"
			"                   to $NETD_CERT_PATH/{ca,cert,key}.pem, else ~/.netd/\n"
			"  --tlscacert FILE the CA that signed netd's certificate\n"
			"  --tlscert FILE   our client certificate\n"
			"  --tlskey FILE    our client key\n"
			"  -h, --help       this help\n"
			"  -v, --version    netctl's version\n"
			"\n"
			"Commands:\n");
	else
		fprintf(out, "Usage: %s COMMAND [ARGS...]\n\nCommands:\n", prog);
	for (const struct cli_cmd *c = cmds; c->name; c++)
		fprintf(out, "  %-12s %s\n", c->name, c->summary);
	fprintf(out, "\nRun '%s COMMAND --help' for more on a command.\n", prog);
}

static int dispatch(struct cli *cli, const struct cli_cmd *cmds, const char *prog, int argc, char **argv,
		    bool top)
{
	if (argc < 1 || strcmp(argv[0], "--help") == 0 || strcmp(argv[0], "-h") == 0 ||
	    strcmp(argv[0], "help") == 0) {
		usage(argc < 1 ? stderr : stdout, prog, cmds, top);
		return argc < 1 ? 2 : 0;
	}
	for (const struct cli_cmd *c = cmds; c->name; c++) {
		if (strcmp(c->name, argv[0]) != 0)
			continue;
		char sub[256];
		snprintf(sub, sizeof(sub), "%s %s", prog, c->name);
		if (c->sub)
			return dispatch(cli, c->sub, sub, argc - 1, argv + 1, false);
		cli->prog = sub;
		return c->fn(cli, argc, argv);
	}
	fprintf(stderr, "%s: unknown command \"%s\" (see '%s --help')\n", prog, argv[0], prog);
	return 2;
}

int main(int argc, char **argv)
{
	struct client_opts co = { 0 };
	int i = 1;
	for (; i < argc; i++) {
		static const struct { const char *name; size_t off; } files[] = {
			{ "--tlscacert", offsetof(struct client_opts, tlscacert) },
			{ "--tlscert", offsetof(struct client_opts, tlscert) },
			{ "--tlskey", offsetof(struct client_opts, tlskey) },
		};
		bool matched = false;
		for (size_t f = 0; f < ARRAY_SIZE(files) && !matched; f++) {
			size_t nl = strlen(files[f].name);
			const char **dst = (const char **)((char *)&co + files[f].off);
			if (strcmp(argv[i], files[f].name) == 0 && i + 1 < argc) {
				*dst = argv[++i];
				matched = true;
			} else if (strncmp(argv[i], files[f].name, nl) == 0 && argv[i][nl] == '=') {
				*dst = argv[i] + nl + 1;
				matched = true;
			}
		}
		if (matched)
			continue;
		if (strcmp(argv[i], "--tlsverify") == 0 || strcmp(argv[i], "--tlsverify=true") == 0) {
			co.tlsverify = true;
		} else if ((strcmp(argv[i], "-H") == 0 || strcmp(argv[i], "--host") == 0) && i + 1 < argc) {
			co.host = argv[++i];
		} else if (nd_str_has_prefix(argv[i], "--host=")) {
			co.host = argv[i] + 7;
		} else if (strcmp(argv[i], "-v") == 0 || strcmp(argv[i], "--version") == 0) {
			printf("netctl version %s\n", NETD_VERSION);
			return 0;
		} else if (argv[i][0] == '-' && strcmp(argv[i], "-h") != 0 && strcmp(argv[i], "--help") != 0) {
			fprintf(stderr, "netctl: unknown option \"%s\" (see 'netctl --help')\n", argv[i]);
			return 2;
		} else {
			break;
		}
	}
	struct cli cli = { .prog = "netctl", .opts = &co };
	struct nd_error err = { 0 };
	if (client_new(&co, &cli.client, &err) < 0)
		return cli_fail(&err);
	int rc = dispatch(&cli, top_cmds, "netctl", argc - i, argv + i, true);
	client_free(cli.client);
	return rc;
}
