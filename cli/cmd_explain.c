// SPDX-License-Identifier: Apache-2.0
/* netctl explain SRC DST[:PORT][/tcp|udp] [--format json]: why a packet from
 * SRC reaches DST (or not), as netd reads it from the kernel (GET /explain). */
#include "cli/netctl.h"

static const char explain_help[] =
	"Usage: netctl explain SRC DST[:PORT][/tcp|udp] [--format table|json]\n\n"
	"Explain the path of a packet from SRC to DST hop by hop, from the kernel's live\n"
	"state: the route SRC's namespace picks, the veth pair, the bridge port and FDB\n"
	"entry (or the macvlan mode), the nftables rules that match (netd's and other\n"
	"tables'), the DNAT map element or eBPF map entry of a published port,\n"
	"masquerade, and whether a socket listens at DST. Then a verdict: delivered,\n"
	"dropped (by which rule), no-route, no-listener or unknown. Under each hop is the\n"
	"command that shows it.\n\n"
	"SRC and DST: a container, a sandbox, \"host\", or an address. Without a port the\n"
	"packet is a ping; with one it is TCP unless /udp is given. IPv6: [ADDR]:PORT.\n\n"
	"Examples:\n"
	"  netctl explain web db:5432\n"
	"  netctl explain 192.0.2.1 host:8080          (a published port, from outside)\n"
	"  netctl explain host web:80/tcp --format json\n";

/* "DST[:PORT][/proto]" -> dst, port, proto; 0 or an exit status */
static int parse_dst(struct cli *cli, const char *arg, char *dst, size_t len, char *port, size_t plen, char *proto,
		     size_t prlen)
{
	char buf[512];
	snprintf(buf, sizeof(buf), "%s", arg);
	port[0] = proto[0] = '\0';
	char *slash = strrchr(buf, '/');
	if (slash && (!strcmp(slash, "/tcp") || !strcmp(slash, "/udp"))) {
		snprintf(proto, prlen, "%s", slash + 1);
		*slash = '\0';
	} else if (slash) {
		return cli_usage_error(cli->prog, "\"%s\": the protocol after / is tcp or udp", arg);
	}
	char *p = NULL;
	if (buf[0] == '[') {
		char *end = strchr(buf, ']');
		if (!end)
			return cli_usage_error(cli->prog, "\"%s\": missing ] after the IPv6 address", arg);
		*end = '\0';
		if (end[1] == ':')
			p = end + 2;
		else if (end[1])
			return cli_usage_error(cli->prog, "\"%s\": want [ADDR]:PORT", arg);
		snprintf(dst, len, "%s", buf + 1);
	} else {
		char *c = strchr(buf, ':');
		if (c && !strchr(c + 1, ':')) { /* exactly one ':': NAME:PORT */
			*c = '\0';
			p = c + 1;
		}
		snprintf(dst, len, "%s", buf);
	}
	if (p) {
		char *end = NULL;
		long n = strtol(p, &end, 10);
		if (!*p || *end || n < 1 || n > 65535)
			return cli_usage_error(cli->prog, "\"%s\": the port is a number from 1 to 65535", arg);
		snprintf(port, plen, "%ld", n);
	}
	if (proto[0] && !port[0])
		return cli_usage_error(cli->prog, "\"%s\": /%s needs a port (DST:PORT/%s)", arg, proto, proto);
	if (!dst[0])
		return cli_usage_error(cli->prog, "\"%s\": no destination", arg);
	return 0;
}

static void print_wrapped(const char *indent, const char *text)
{
	/* one line per ~76 columns, broken at spaces */
	const size_t width = 76;
	const char *s = text;
	while (*s) {
		size_t n = strlen(s);
		if (n > width) {
			n = width;
			while (n > 20 && s[n] != ' ')
				n--;
			if (s[n] != ' ')
				n = width;
		}
		printf("%s%.*s\n", indent, (int)n, s);
		s += n;
		while (*s == ' ')
			s++;
	}
}

int cmd_explain(struct cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "format", required_argument, NULL, 'f' }, { "help", no_argument, NULL, 'h' }, { 0 },
	};
	enum cli_format fmt = CLI_FMT_TABLE;
	int c;
	optind = 1;
	while ((c = getopt_long(argc, argv, "+hf:", opts, NULL)) != -1) {
		switch (c) {
		case 'f': {
			int rc = cli_parse_format(optarg, &fmt);
			if (rc)
				return rc;
			break;
		}
		case 'h': fputs(explain_help, stdout); return 0;
		default: return cli_usage_error(cli->prog, "unknown option \"%s\"", argv[optind - 1]);
		}
	}
	if (argc - optind != 2)
		return cli_usage_error(cli->prog, "want SRC and DST[:PORT][/tcp|udp] (see --help)");
	char dst[256], port[8], proto[8];
	int rc = parse_dst(cli, argv[optind + 1], dst, sizeof(dst), port, sizeof(port), proto, sizeof(proto));
	if (rc)
		return rc;
	struct wire_buf b = { 0 };
	if (wire_buf_puts(&b, "/explain") < 0 || wire_query_append(&b, "src", argv[optind]) < 0 ||
	    wire_query_append(&b, "dst", dst) < 0 || (port[0] && wire_query_append(&b, "port", port) < 0) ||
	    (proto[0] && wire_query_append(&b, "proto", proto) < 0)) {
		wire_buf_free(&b);
		return cli_fail(&(struct nd_error){ .code = -ENOMEM, .msg = "out of memory" });
	}
	struct nd_error err = { 0 };
	_cleanup_json_ json_t *resp = NULL;
	int r = client_call(cli->client, "GET", b.data, NULL, &resp, &err);
	wire_buf_free(&b);
	if (r < 0)
		return cli_fail(&err);
	if (fmt == CLI_FMT_JSON) {
		cli_print_json(resp);
		return 0;
	}
	const json_t *src = json_object_get(resp, "src"), *dj = json_object_get(resp, "dst");
	const char *sr = nd_json_str(src, "ref") ?: "", *dr = nd_json_str(dj, "ref") ?: "";
	const char *sa = nd_json_str(src, "address"), *da = nd_json_str(dj, "address");
	json_int_t pt = json_integer_value(json_object_get(resp, "port"));
	bool show_sa = sa && *sa && !strstr(sr, sa), show_da = da && *da && strcmp(da, dr);
	printf("%s%s%s%s -> %s", sr, show_sa ? " (" : "", show_sa ? sa : "", show_sa ? ")" : "", dr);
	if (show_da)
		printf(" %s", da);
	else if (!da || !*da)
		printf(" ");
	if (pt)
		printf("%s%lld", show_da || strcmp(da ? da : "", dr) == 0 ? ":" : "port ", (long long)pt);
	printf(" %s\n\n", nd_json_str(resp, "proto"));
	size_t i;
	json_t *h;
	json_array_foreach(json_object_get(resp, "hops"), i, h) {
		char head[64];
		snprintf(head, sizeof(head), "%2zu. %-12s ", i + 1, nd_json_str(h, "kind"));
		printf("%s%s\n", head, nd_json_str(h, "object"));
		const char *d = nd_json_str(h, "detail");
		if (d && *d)
			print_wrapped("                 ", d);
		const char *cmd = nd_json_str(h, "command");
		if (cmd && *cmd)
			printf("                 $ %s\n", cmd);
	}
	const json_t *v = json_object_get(resp, "verdict");
	printf("\nverdict: %s\n", nd_json_str(v, "result"));
	const char *reason = nd_json_str(v, "reason"), *rule = nd_json_str(v, "rule");
	if (reason && *reason)
		print_wrapped("  ", reason);
	if (rule && *rule)
		printf("  rule: %s\n", rule);
	return 0;
}
