// SPDX-License-Identifier: Apache-2.0
/* netctl topology [--format json|dot|svg] [-H HOST]...: the picture of
 * what netd made, from one daemon or several (a lab). */
#include "cli/netctl.h"
#include "cli/topology.h"

static const char topology_help[] =
	"Usage: netctl topology [--format json|dot|svg] [-H HOST]...\n"
	"\n"
	"The networks with their drivers and kernel objects (bridge, VXLAN device and VNI,\n"
	"macvlan parent), the sandboxes and containers with their endpoints (both ends of\n"
	"each interface, addresses, MACs) and published ports, as the kernel has them now.\n"
	"Several -H (or a comma-separated $NETD_HOST) draw the hosts of a lab in one\n"
	"picture, a network spanning hosts drawn once.\n"
	"\n"
	"  -f, --format F  json (default): every host's GET /topology\n"
	"                  dot: Graphviz DOT text; svg: laid out and rendered by libgvc\n"
	"  -H, --host URL  a daemon (repeatable); default the global -H, $NETD_HOST\n"
	"  -o, --output F  write to the file F instead of standard output\n";

int cli_topo_args(struct cli *cli, int argc, char **argv, const char *shortopts, const struct option *longopts,
		  const char *help, cli_topo_opt opt, void *ctx, struct cli_topo_hosts *hosts)
{
	int c;
	hosts->n = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, shortopts, longopts, NULL)) != -1) {
		int rc = -1;
		switch (c) {
		case 'H':
			if (hosts->n == ARRAY_SIZE(hosts->v))
				return cli_usage_error(cli->prog, "at most %zu hosts", ARRAY_SIZE(hosts->v));
			hosts->v[hosts->n++] = optarg;
			break;
		case 'h':
			fputs(help, stdout);
			return 0;
		case '?':
			return cli_usage_error(cli->prog, "unknown option \"%s\"", argv[optind - 1]);
		default:
			rc = opt(cli, c, optarg, ctx);
			break;
		}
		if (rc >= 0)
			return rc;
	}
	if (optind < argc)
		return cli_usage_error(cli->prog, "unexpected argument \"%s\"", argv[optind]);
	return -1;
}

struct topology_args {
	const char *format, *output;
};

static int topology_opt(struct cli *cli, int c, char *arg, void *ctx)
{
	(void)cli;
	struct topology_args *a = ctx;
	if (c == 'f')
		a->format = arg;
	else if (c == 'o')
		a->output = arg;
	return -1;
}

int cmd_topology(struct cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "format", required_argument, NULL, 'f' }, { "host", required_argument, NULL, 'H' },
		{ "output", required_argument, NULL, 'o' }, { "help", no_argument, NULL, 'h' }, { 0 },
	};
	struct topology_args a = { .format = "json" };
	struct cli_topo_hosts hosts;
	int rc = cli_topo_args(cli, argc, argv, "+f:H:o:h", opts, topology_help, topology_opt, &a, &hosts);
	if (rc >= 0)
		return rc;
	const char *format = a.format, *output = a.output;
	if (strcmp(format, "json") && strcmp(format, "dot") && strcmp(format, "svg"))
		return cli_usage_error(cli->prog, "unknown format \"%s\": use json, dot or svg", format);

	struct nd_error err = { 0 };
	struct topo_hosts th;
	_cleanup_json_ json_t *topo = NULL;
	if (topo_hosts_open(cli->opts, hosts.v, hosts.n, &th, &err) < 0)
		return cli_fail(&err);
	rc = topo_fetch(&th, &topo, &err);
	topo_hosts_close(&th);
	if (rc < 0)
		return cli_fail(&err);
	_cleanup_free_ char *text = NULL;
	size_t len = 0;
	if (strcmp(format, "json") == 0) {
		text = json_dumps(topo, JSON_INDENT(2) | JSON_SORT_KEYS);
		len = text ? strlen(text) : 0;
	} else {
		text = topo_dot(topo);
		len = text ? strlen(text) : 0;
		if (text && strcmp(format, "svg") == 0) {
			char *svg = NULL;
			if (topo_svg(text, &svg, &len, &err) < 0)
				return cli_fail(&err);
			free(text);
			text = svg;
		}
	}
	if (!text) {
		nd_error_set(&err, -ENOMEM, "out of memory");
		return cli_fail(&err);
	}
	FILE *f = output ? fopen(output, "we") : stdout;
	if (!f) {
		nd_error_set(&err, -errno, "%s: %s", output, strerror(errno));
		return cli_fail(&err);
	}
	bool ok = fwrite(text, 1, len, f) == len && (len && text[len - 1] == '\n' ? true : fputc('\n', f) != EOF);
	ok &= (output ? fclose(f) : fflush(f)) == 0;
	if (!ok) {
		nd_error_set(&err, -EIO, "%s: write failed", output ? output : "standard output");
		return cli_fail(&err);
	}
	return 0;
}
