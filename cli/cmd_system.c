// SPDX-License-Identifier: Apache-2.0
/* netctl version, netctl info */
#include "cli/netctl.h"

static int parse_format_only(struct cli *cli, int argc, char **argv, const char *help,
			     enum cli_format *fmt)
{
	static const struct option opts[] = {
		{ "format", required_argument, NULL, 'f' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	int c;
	optind = 1;
	while ((c = getopt_long(argc, argv, "+f:h", opts, NULL)) != -1) {
		switch (c) {
		case 'f':
			if (cli_parse_format(optarg, fmt) < 0)
				return cli_usage_error(cli->prog, "unknown format \"%s\": use table or json", optarg);
			break;
		case 'h':
			fputs(help, stdout);
			return -1;
		default:
			return cli_usage_error(cli->prog, "unknown option \"%s\"", argv[optind - 1]);
		}
	}
	if (optind < argc)
		return cli_usage_error(cli->prog, "unexpected argument \"%s\"", argv[optind]);
	return 0;
}

int cmd_version(struct cli *cli, int argc, char **argv)
{
	enum cli_format fmt = CLI_FMT_TABLE;
	int rc = parse_format_only(cli, argc, argv,
				   "Usage: netctl version [--format table|json]\n\n"
				   "Show the netctl and netd versions.\n", &fmt);
	if (rc)
		return rc < 0 ? 0 : rc;
	struct nd_error err = { 0 };
	_cleanup_json_ json_t *v = NULL;
	rc = client_call(cli->client, "GET", "/version", NULL, &v, &err);
	if (fmt == CLI_FMT_JSON) {
		if (rc < 0)
			return cli_fail(&err);
		_cleanup_json_ json_t *out = json_pack("{s:{s:s}, s:O}", "Client", "Version", NETD_VERSION,
						       "Server", v);
		cli_print_json(out);
		return 0;
	}
	printf("Client:\n Version:      %s\n\n", NETD_VERSION);
	if (rc < 0)
		return cli_fail(&err);
	printf("Server: netd\n Version:      %s\n API version:  %s (minimum %s)\n OS/Arch:      %s/%s\n"
	       " Kernel:       %s\n",
	       nd_json_str(v, "Version"), nd_json_str(v, "ApiVersion"), nd_json_str(v, "MinAPIVersion"),
	       nd_json_str(v, "Os"), nd_json_str(v, "Arch"), nd_json_str(v, "KernelVersion"));
	return 0;
}

static void print_value(const char *indent, const char *key, const json_t *v)
{
	if (json_is_object(v)) {
		printf("%s%s:\n", indent, key);
		char sub[64];
		snprintf(sub, sizeof(sub), "%s  ", indent);
		const char *k;
		json_t *x;
		json_object_foreach((json_t *)v, k, x)
			print_value(sub, k, x);
	} else if (json_is_array(v)) {
		printf("%s%s:", indent, key);
		size_t i;
		json_t *x;
		json_array_foreach(v, i, x) {
			_cleanup_free_ char *s = json_is_string(x) ? strdup(json_string_value(x)) : nd_json_dump(x);
			printf("%s%s", i ? ", " : " ", s ? s : "");
		}
		printf("\n");
	} else if (json_is_string(v)) {
		printf("%s%s: %s\n", indent, key, json_string_value(v));
	} else {
		_cleanup_free_ char *s = nd_json_dump(v);
		printf("%s%s: %s\n", indent, key, s ? s : "");
	}
}

int cmd_info(struct cli *cli, int argc, char **argv)
{
	enum cli_format fmt = CLI_FMT_TABLE;
	int rc = parse_format_only(cli, argc, argv,
				   "Usage: netctl info [--format table|json]\n\n"
				   "Show what netd runs: objects, paths, kernel, firewall and port-proxy modes.\n",
				   &fmt);
	if (rc)
		return rc < 0 ? 0 : rc;
	struct nd_error err = { 0 };
	_cleanup_json_ json_t *info = NULL;
	if (client_call(cli->client, "GET", "/info", NULL, &info, &err) < 0)
		return cli_fail(&err);
	if (fmt == CLI_FMT_JSON) {
		cli_print_json(info);
		return 0;
	}
	const char *k;
	json_t *v;
	json_object_foreach(info, k, v)
		print_value("", k, v);
	return 0;
}
