// SPDX-License-Identifier: Apache-2.0
/* netctl network create|ls|inspect|rm|prune|connect|disconnect */
#include "cli/netctl.h"

#include <arpa/inet.h>

/* Is addr (v4 or v6 text) inside cidr? Used to pair --gateway, --ip-range
 * and --aux-address with their --subnet, as Docker does. */
static bool cidr_contains(const char *cidr, const char *addr)
{
	char net[64];
	snprintf(net, sizeof(net), "%s", cidr);
	char *slash = strchr(net, '/');
	if (!slash)
		return false;
	*slash = '\0';
	int len = atoi(slash + 1);
	char a_only[64];
	snprintf(a_only, sizeof(a_only), "%s", addr);
	char *s2 = strchr(a_only, '/');
	if (s2)
		*s2 = '\0';
	unsigned char n[16], a[16];
	int fam = strchr(net, ':') ? AF_INET6 : AF_INET;
	if (inet_pton(fam, net, n) != 1 || inet_pton(fam, a_only, a) != 1)
		return false;
	for (int bit = 0; bit < len; bit++) {
		int byte = bit / 8, mask = 0x80 >> (bit % 8);
		if ((n[byte] & mask) != (a[byte] & mask))
			return false;
	}
	return true;
}

static int kv_add(json_t *obj, const char *kv, const char *what, const char *prog)
{
	const char *eq = strchr(kv, '=');
	if (!eq || eq == kv)
		return cli_usage_error(prog, "invalid %s \"%s\": want KEY=VALUE", what, kv);
	char key[256];
	snprintf(key, sizeof(key), "%.*s", (int)(eq - kv), kv);
	json_object_set_new(obj, key, json_string(eq + 1));
	return 0;
}

static const char create_help[] =
	"Usage: netctl network create [OPTIONS] NAME\n\n"
	"Create a network.\n\n"
	"Options:\n"
	"  -d, --driver NAME       driver: bridge (default), macvlan, or vxlan (alias overlay: across hosts,\n"
	"                          needs netd's --cluster-store)\n"
	"      --subnet CIDR       subnet (repeat for IPv4 + IPv6); default: next free from the pools\n"
	"      --gateway IP        gateway of the subnet that contains it (default: first address)\n"
	"      --ip-range CIDR     allocate dynamic addresses from this sub-range\n"
	"      --aux-address N=IP  reserve an address (repeatable)\n"
	"      --ipv6              enable IPv6 (needs an IPv6 --subnet)\n"
	"      --internal          no way out of the network\n"
	"      --attachable        allow manual attachment\n"
	"  -o, --opt KEY=VALUE     driver option, e.g. com.docker.network.bridge.enable_icc=false,\n"
	"                          com.docker.network.bridge.name=br0, com.docker.network.driver.mtu=1400;\n"
	"                          macvlan: parent=IF or parent=IF.VLAN, macvlan_mode=bridge|private|vepa|passthru,\n"
	"                          netd.macvlan.host_access=true (the host reaches the containers);\n"
	"                          vxlan: mtu=N (default: the underlay's - 50), vni=N (default: a free one)\n"
	"      --label KEY=VALUE   label (repeatable)\n";

static int cmd_net_create(struct cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "driver", required_argument, NULL, 'd' }, { "subnet", required_argument, NULL, 's' },
		{ "gateway", required_argument, NULL, 'g' }, { "ip-range", required_argument, NULL, 'r' },
		{ "aux-address", required_argument, NULL, 'a' }, { "ipv6", no_argument, NULL, '6' },
		{ "internal", no_argument, NULL, 'i' }, { "attachable", no_argument, NULL, 'A' },
		{ "opt", required_argument, NULL, 'o' }, { "label", required_argument, NULL, 'l' },
		{ "help", no_argument, NULL, 'h' }, { 0 },
	};
	_cleanup_json_ json_t *body = json_pack("{s:{}, s:{}}", "Options", "Labels");
	_cleanup_json_ json_t *cfgs = json_array();
	_cleanup_json_ json_t *gws = json_array(), *ranges = json_array(), *aux = json_array();
	int c, rc;
	optind = 1;
	while ((c = getopt_long(argc, argv, "+d:o:h", opts, NULL)) != -1) {
		switch (c) {
		case 'd': json_object_set_new(body, "Driver", json_string(optarg)); break;
		case 's': json_array_append_new(cfgs, json_pack("{s:s}", "Subnet", optarg)); break;
		case 'g': json_array_append_new(gws, json_string(optarg)); break;
		case 'r': json_array_append_new(ranges, json_string(optarg)); break;
		case 'a': json_array_append_new(aux, json_string(optarg)); break;
		case '6': json_object_set_new(body, "EnableIPv6", json_true()); break;
		case 'i': json_object_set_new(body, "Internal", json_true()); break;
		case 'A': json_object_set_new(body, "Attachable", json_true()); break;
		case 'o':
			if ((rc = kv_add(json_object_get(body, "Options"), optarg, "option", cli->prog)))
				return rc;
			break;
		case 'l':
			if ((rc = kv_add(json_object_get(body, "Labels"), optarg, "label", cli->prog)))
				return rc;
			break;
		case 'h': fputs(create_help, stdout); return 0;
		default: return cli_usage_error(cli->prog, "unknown option \"%s\"", argv[optind - 1]);
		}
	}
	if (optind != argc - 1)
		return cli_usage_error(cli->prog, "expects exactly one network name");
	json_object_set_new(body, "Name", json_string(argv[optind]));
	/* pair gateways, ranges and aux addresses with the subnet containing them */
	struct { json_t *list; const char *key; const char *what; } attach[] = {
		{ gws, "Gateway", "--gateway" }, { ranges, "IPRange", "--ip-range" }, { aux, NULL, "--aux-address" },
	};
	for (size_t k = 0; k < ARRAY_SIZE(attach); k++) {
		size_t i;
		json_t *v;
		json_array_foreach(attach[k].list, i, v) {
			const char *val = json_string_value(v);
			const char *addr = val;
			char name[128] = "";
			if (!attach[k].key) {
				const char *eq = strchr(val, '=');
				if (!eq)
					return cli_usage_error(cli->prog, "invalid --aux-address \"%s\": want NAME=IP", val);
				snprintf(name, sizeof(name), "%.*s", (int)(eq - val), val);
				addr = eq + 1;
			}
			json_t *owner = NULL;
			size_t j;
			json_t *cfg;
			json_array_foreach(cfgs, j, cfg) {
				if (cidr_contains(nd_json_str(cfg, "Subnet"), addr)) {
					owner = cfg;
					break;
				}
			}
			if (!owner)
				return cli_usage_error(cli->prog, "%s %s is not inside any --subnet", attach[k].what, addr);
			if (attach[k].key) {
				json_object_set_new(owner, attach[k].key, json_string(addr));
			} else {
				json_t *a = json_object_get(owner, "AuxiliaryAddresses");
				if (!a)
					json_object_set_new(owner, "AuxiliaryAddresses", a = json_object());
				json_object_set_new(a, name, json_string(addr));
			}
		}
	}
	if (json_array_size(cfgs))
		json_object_set_new(body, "IPAM", json_pack("{s:s, s:O}", "Driver", "default", "Config", cfgs));
	struct nd_error err = { 0 };
	_cleanup_json_ json_t *resp = NULL;
	if (client_call(cli->client, "POST", "/networks/create", body, &resp, &err) < 0)
		return cli_fail(&err);
	printf("%s\n", nd_json_str(resp, "Id"));
	return 0;
}

static int list_opts(struct cli *cli, int argc, char **argv, const char *help, enum cli_format *fmt,
		     bool *quiet, json_t *filters)
{
	static const struct option opts[] = {
		{ "format", required_argument, NULL, 'f' }, { "quiet", no_argument, NULL, 'q' },
		{ "filter", required_argument, NULL, 'F' }, { "help", no_argument, NULL, 'h' }, { 0 },
	};
	int c;
	optind = 1;
	while ((c = getopt_long(argc, argv, "+qf:h", opts, NULL)) != -1) {
		switch (c) {
		case 'f':
			if (cli_parse_format(optarg, fmt) < 0)
				return cli_usage_error(cli->prog, "unknown format \"%s\": use table or json", optarg);
			break;
		case 'q': *quiet = true; break;
		case 'F': {
			const char *eq = strchr(optarg, '=');
			if (!filters || !eq)
				return cli_usage_error(cli->prog, "invalid filter \"%s\": want KEY=VALUE", optarg);
			char key[64];
			snprintf(key, sizeof(key), "%.*s", (int)(eq - optarg), optarg);
			json_t *arr = json_object_get(filters, key);
			if (!arr)
				json_object_set_new(filters, key, arr = json_array());
			json_array_append_new(arr, json_string(eq + 1));
			break;
		}
		case 'h': fputs(help, stdout); return -1;
		default: return cli_usage_error(cli->prog, "unknown option \"%s\"", argv[optind - 1]);
		}
	}
	return 0;
}

static int cmd_net_ls(struct cli *cli, int argc, char **argv)
{
	enum cli_format fmt = CLI_FMT_TABLE;
	bool quiet = false;
	_cleanup_json_ json_t *filters = json_object();
	int rc = list_opts(cli, argc, argv,
			   "Usage: netctl network ls [-q] [--filter KEY=VALUE]... [--format table|json]\n\n"
			   "List networks. Filters: name, id, driver, label, type (custom|builtin), scope.\n",
			   &fmt, &quiet, filters);
	if (rc)
		return rc < 0 ? 0 : rc;
	if (optind < argc)
		return cli_usage_error(cli->prog, "unexpected argument \"%s\"", argv[optind]);
	char path[4096] = "/networks";
	if (json_object_size(filters)) {
		_cleanup_free_ char *fs = nd_json_dump(filters);
		_cleanup_free_ char *p = cli_path(cli, "/networks?filters=%s", fs);
		snprintf(path, sizeof(path), "%s", p);
	}
	struct nd_error err = { 0 };
	_cleanup_json_ json_t *nets = NULL;
	if (client_call(cli->client, "GET", path, NULL, &nets, &err) < 0)
		return cli_fail(&err);
	if (fmt == CLI_FMT_JSON) {
		cli_print_json(nets);
		return 0;
	}
	size_t i;
	json_t *n;
	if (quiet) {
		json_array_foreach(nets, i, n)
			printf("%.12s\n", nd_json_str(n, "Id"));
		return 0;
	}
	struct cli_table *t = cli_table_new(5, "NETWORK ID", "NAME", "DRIVER", "SCOPE", "SUBNETS");
	json_array_foreach(nets, i, n) {
		char id[13], subnets[256] = "";
		snprintf(id, sizeof(id), "%.12s", nd_json_str(n, "Id"));
		size_t k;
		json_t *c;
		json_array_foreach(json_object_get(json_object_get(n, "IPAM"), "Config"), k, c)
			snprintf(subnets + strlen(subnets), sizeof(subnets) - strlen(subnets), "%s%s", k ? "," : "",
				 nd_json_str(c, "Subnet"));
		cli_table_row(t, id, nd_json_str(n, "Name"), nd_json_str(n, "Driver"), nd_json_str(n, "Scope"), subnets);
	}
	cli_table_print(t);
	return 0;
}

/* inspect/rm style: one request per argument; exit 1 if any failed */
static int each_arg(struct cli *cli, int argc, char **argv, const char *help, const char *method,
		    const char *fmt, bool print_json, bool print_name)
{
	if (argc >= 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
		fputs(help, stdout);
		return 0;
	}
	int first = 1;
	if (argc >= 3 && strcmp(argv[1], "--format") == 0)
		first = 3;   /* inspect prints JSON either way */
	if (argc <= first)
		return cli_usage_error(cli->prog, "expects at least one argument");
	int status = 0;
	_cleanup_json_ json_t *out = json_array();
	for (int i = first; i < argc; i++) {
		_cleanup_free_ char *path = cli_path(cli, fmt, argv[i]);
		struct nd_error err = { 0 };
		json_t *resp = NULL;
		if (client_call(cli->client, method, path, NULL, &resp, &err) < 0) {
			status = cli_fail(&err);
			continue;
		}
		if (print_json && resp)
			json_array_append_new(out, resp);
		else
			json_decref(resp);
		if (print_name)
			printf("%s\n", argv[i]);
	}
	if (print_json)
		cli_print_json(out);
	return status;
}

static int cmd_net_inspect(struct cli *cli, int argc, char **argv)
{
	return each_arg(cli, argc, argv, "Usage: netctl network inspect NETWORK...\n\nShow networks as JSON.\n",
			"GET", "/networks/%s", true, false);
}

static int cmd_net_rm(struct cli *cli, int argc, char **argv)
{
	return each_arg(cli, argc, argv, "Usage: netctl network rm NETWORK...\n\nRemove networks.\n", "DELETE",
			"/networks/%s", false, true);
}

static int cmd_net_prune(struct cli *cli, int argc, char **argv)
{
	enum cli_format fmt = CLI_FMT_TABLE;
	bool quiet = false;
	_cleanup_json_ json_t *filters = json_object();
	/* -f/--force: accepted for Docker compatibility; netctl never prompts */
	char *args[64];
	int nargs = 0;
	for (int i = 0; i < argc && nargs < 63; i++)
		if (strcmp(argv[i], "-f") != 0 && strcmp(argv[i], "--force") != 0)
			args[nargs++] = argv[i];
	args[nargs] = NULL;
	argc = nargs;
	argv = args;
	int rc = list_opts(cli, argc, argv,
			   "Usage: netctl network prune [-f] [--filter label=...]\n\n"
			   "Remove every network no endpoint uses (never the default 'bridge').\n",
			   &fmt, &quiet, filters);
	if (rc)
		return rc < 0 ? 0 : rc;
	struct nd_error err = { 0 };
	_cleanup_json_ json_t *resp = NULL;
	char path[4096] = "/networks/prune";
	if (json_object_size(filters)) {
		_cleanup_free_ char *fs = nd_json_dump(filters);
		_cleanup_free_ char *p = cli_path(cli, "/networks/prune?filters=%s", fs);
		snprintf(path, sizeof(path), "%s", p);
	}
	if (client_call(cli->client, "POST", path, NULL, &resp, &err) < 0)
		return cli_fail(&err);
	if (fmt == CLI_FMT_JSON) {
		cli_print_json(resp);
		return 0;
	}
	size_t i;
	json_t *n;
	json_t *del = json_object_get(resp, "NetworksDeleted");
	if (json_array_size(del))
		printf("Deleted Networks:\n");
	json_array_foreach(del, i, n)
		printf("%s\n", json_string_value(n));
	return 0;
}

static int cmd_net_connect(struct cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "ip", required_argument, NULL, '4' }, { "ip6", required_argument, NULL, '6' },
		{ "alias", required_argument, NULL, 'a' }, { "mac-address", required_argument, NULL, 'm' },
		{ "help", no_argument, NULL, 'h' }, { 0 },
	};
	_cleanup_json_ json_t *ipam = json_object();
	_cleanup_json_ json_t *aliases = json_array();
	const char *mac = NULL;
	int c;
	optind = 1;
	while ((c = getopt_long(argc, argv, "+h", opts, NULL)) != -1) {
		switch (c) {
		case '4': json_object_set_new(ipam, "IPv4Address", json_string(optarg)); break;
		case '6': json_object_set_new(ipam, "IPv6Address", json_string(optarg)); break;
		case 'a': json_array_append_new(aliases, json_string(optarg)); break;
		case 'm': mac = optarg; break;
		case 'h':
			fputs("Usage: netctl network connect [--ip IP] [--ip6 IP] [--alias NAME]... [--mac-address MAC]"
			      " NETWORK SANDBOX|CONTAINER\n\nConnect a sandbox or container to a network.\n", stdout);
			return 0;
		default: return cli_usage_error(cli->prog, "unknown option \"%s\"", argv[optind - 1]);
		}
	}
	if (optind != argc - 2)
		return cli_usage_error(cli->prog, "expects NETWORK and SANDBOX|CONTAINER");
	_cleanup_json_ json_t *body = json_pack("{s:s, s:{s:O, s:O}}", "Container", argv[optind + 1],
						"EndpointConfig", "IPAMConfig", ipam, "Aliases", aliases);
	if (mac)
		json_object_set_new(json_object_get(body, "EndpointConfig"), "MacAddress", json_string(mac));
	_cleanup_free_ char *path = cli_path(cli, "/networks/%s/connect", argv[optind]);
	struct nd_error err = { 0 };
	if (client_call(cli->client, "POST", path, body, NULL, &err) < 0)
		return cli_fail(&err);
	return 0;
}

static int cmd_net_disconnect(struct cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "force", no_argument, NULL, 'f' }, { "help", no_argument, NULL, 'h' }, { 0 },
	};
	bool force = false;
	int c;
	optind = 1;
	while ((c = getopt_long(argc, argv, "+fh", opts, NULL)) != -1) {
		switch (c) {
		case 'f': force = true; break;
		case 'h':
			fputs("Usage: netctl network disconnect [-f] NETWORK SANDBOX|CONTAINER\n\n"
			      "Disconnect a sandbox or container from a network.\n", stdout);
			return 0;
		default: return cli_usage_error(cli->prog, "unknown option \"%s\"", argv[optind - 1]);
		}
	}
	if (optind != argc - 2)
		return cli_usage_error(cli->prog, "expects NETWORK and SANDBOX|CONTAINER");
	_cleanup_json_ json_t *body = json_pack("{s:s, s:b}", "Container", argv[optind + 1], "Force", force);
	_cleanup_free_ char *path = cli_path(cli, "/networks/%s/disconnect", argv[optind]);
	struct nd_error err = { 0 };
	if (client_call(cli->client, "POST", path, body, NULL, &err) < 0)
		return cli_fail(&err);
	return 0;
}

const struct cli_cmd cli_network_cmds[] = {
	{ "create", "Create a network", cmd_net_create, NULL },
	{ "ls", "List networks", cmd_net_ls, NULL },
	{ "inspect", "Show networks in detail (JSON)", cmd_net_inspect, NULL },
	{ "rm", "Remove networks", cmd_net_rm, NULL },
	{ "prune", "Remove unused networks", cmd_net_prune, NULL },
	{ "connect", "Connect a sandbox or container to a network", cmd_net_connect, NULL },
	{ "disconnect", "Disconnect a sandbox or container from a network", cmd_net_disconnect, NULL },
	{ NULL },
};

/* shared with cmd_sandbox.c */
int cli_list_opts(struct cli *cli, int argc, char **argv, const char *help, enum cli_format *fmt,
		  bool *quiet)
{
	return list_opts(cli, argc, argv, help, fmt, quiet, NULL);
}

int cli_each_arg(struct cli *cli, int argc, char **argv, const char *help, const char *method,
		 const char *fmt, bool print_json, bool print_name)
{
	return each_arg(cli, argc, argv, help, method, fmt, print_json, print_name);
}
