// SPDX-License-Identifier: Apache-2.0
/* netctl rename|pause|unpause|update|top|diff|stats|container prune: the
 * container operations beside the life cycle, each one call of netd's API. */
#include "cli/netctl.h"

#include <time.h>

static bool help(int argc, char **argv, const char *text)
{
	for (int i = 1; i < argc; i++)
		if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
			fputs(text, stdout);
			return true;
		}
	return false;
}

static int call_each(struct cli *cli, int argc, char **argv, const char *fmt)
{
	if (argc < 2)
		return cli_usage_error(cli->prog, "expects at least one container");
	int status = 0;
	for (int i = 1; i < argc; i++) {
		_cleanup_free_ char *path = cli_path(cli, fmt, argv[i]);
		struct nd_error err = { 0 };
		if (client_call(cli->client, "POST", path, NULL, NULL, &err) < 0) {
			status = cli_fail(&err);
			continue;
		}
		printf("%s\n", argv[i]);
	}
	return status;
}

int cmd_pause(struct cli *cli, int argc, char **argv)
{
	if (help(argc, argv, "Usage: netctl pause CONTAINER...\n\nFreeze every process of containers (the cgroup freezer).\n"))
		return 0;
	return call_each(cli, argc, argv, "/containers/%s/pause");
}

int cmd_unpause(struct cli *cli, int argc, char **argv)
{
	if (help(argc, argv, "Usage: netctl unpause CONTAINER...\n\nThaw paused containers.\n"))
		return 0;
	return call_each(cli, argc, argv, "/containers/%s/unpause");
}

int cmd_rename(struct cli *cli, int argc, char **argv)
{
	if (help(argc, argv, "Usage: netctl rename CONTAINER NEW_NAME\n\nRename a container.\n"))
		return 0;
	if (argc != 3)
		return cli_usage_error(cli->prog, "expects CONTAINER NEW_NAME");
	_cleanup_free_ char *base = cli_path(cli, "/containers/%s/rename", argv[1]);
	_cleanup_free_ char *name = wire_query_escape(argv[2]);
	_cleanup_free_ char *path = NULL;
	if (!base || !name || asprintf(&path, "%s?name=%s", base, name) < 0)
		return 1;
	struct nd_error err = { 0 };
	return client_call(cli->client, "POST", path, NULL, NULL, &err) < 0 ? cli_fail(&err) : 0;
}

static int parse_size(const char *s, long long *out)
{
	char *end;
	double v = strtod(s, &end);
	if (end == s || v < 0)
		return -EINVAL;
	long long mul = 1;
	switch (*end) {
	case 'k': case 'K': mul = 1ll << 10; end++; break;
	case 'm': case 'M': mul = 1ll << 20; end++; break;
	case 'g': case 'G': mul = 1ll << 30; end++; break;
	case 'b': case 'B': end++; break;
	default: break;
	}
	if (*end == 'b' || *end == 'B')
		end++;
	if (*end)
		return -EINVAL;
	*out = (long long)(v * (double)mul);
	return 0;
}

int cmd_update(struct cli *cli, int argc, char **argv)
{
	static const char *const usage =
		"Usage: netctl update [OPTIONS] CONTAINER...\n\n"
		"Change a container's limits, live when it runs, and its restart policy.\n\n"
		"  --cpus N            CPUs (0.5, 2)\n"
		"  --cpu-shares N      relative weight (2..262144)\n"
		"  -m, --memory SIZE   memory limit (64m, 1g)\n"
		"  --pids-limit N      most processes (-1: unlimited)\n"
		"  --restart POLICY    no, always, unless-stopped, on-failure[:N]\n";
	static const struct option opts[] = {
		{ "cpus", required_argument, NULL, 'c' }, { "cpu-shares", required_argument, NULL, 's' },
		{ "memory", required_argument, NULL, 'm' }, { "pids-limit", required_argument, NULL, 'p' },
		{ "restart", required_argument, NULL, 'r' }, { "help", no_argument, NULL, 'h' }, { NULL, 0, NULL, 0 },
	};
	_cleanup_json_ json_t *body = json_object();
	int c;
	optind = 1;
	while ((c = getopt_long(argc, argv, "+m:h", opts, NULL)) != -1) {
		char *end;
		switch (c) {
		case 'c': {
			double v = strtod(optarg, &end);
			if (*end || v <= 0)
				return cli_usage_error(cli->prog, "invalid --cpus \"%s\"", optarg);
			json_object_set_new(body, "NanoCpus", json_integer((json_int_t)(v * 1e9 + 0.5)));
			break;
		}
		case 's':
			json_object_set_new(body, "CpuShares", json_integer(strtoll(optarg, NULL, 10)));
			break;
		case 'm': {
			long long v;
			if (parse_size(optarg, &v) < 0)
				return cli_usage_error(cli->prog, "invalid --memory \"%s\"", optarg);
			json_object_set_new(body, "Memory", json_integer(v));
			break;
		}
		case 'p':
			json_object_set_new(body, "PidsLimit", json_integer(strtoll(optarg, NULL, 10)));
			break;
		case 'r': {
			char name[32];
			snprintf(name, sizeof(name), "%s", optarg);
			char *colon = strchr(name, ':');
			int max = 0;
			if (colon) {
				*colon = '\0';
				max = atoi(colon + 1);
			}
			json_object_set_new(body, "RestartPolicy", json_pack("{s:s, s:i}", "Name", name, "MaximumRetryCount", max));
			break;
		}
		case 'h':
			fputs(usage, stdout);
			return 0;
		default:
			return 2;
		}
	}
	if (optind >= argc)
		return cli_usage_error(cli->prog, "expects at least one container");
	if (json_object_size(body) == 0)
		return cli_usage_error(cli->prog, "nothing to update: give at least one option");
	int status = 0;
	for (int i = optind; i < argc; i++) {
		_cleanup_free_ char *path = cli_path(cli, "/containers/%s/update", argv[i]);
		struct nd_error err = { 0 };
		_cleanup_json_ json_t *resp = NULL;
		if (client_call(cli->client, "POST", path, body, &resp, &err) < 0) {
			status = cli_fail(&err);
			continue;
		}
		printf("%s\n", argv[i]);
	}
	return status;
}

int cmd_top(struct cli *cli, int argc, char **argv)
{
	if (help(argc, argv, "Usage: netctl top CONTAINER [ps OPTIONS]\n\nList a container's processes (-ef, aux, -e).\n"))
		return 0;
	if (argc < 2 || argc > 3)
		return cli_usage_error(cli->prog, "expects CONTAINER [ps OPTIONS]");
	_cleanup_free_ char *base = cli_path(cli, "/containers/%s/top", argv[1]);
	_cleanup_free_ char *args = argc == 3 ? wire_query_escape(argv[2]) : NULL;
	_cleanup_free_ char *path = NULL;
	if (!base || asprintf(&path, "%s%s%s", base, args ? "?ps_args=" : "", args ? args : "") < 0)
		return 1;
	struct nd_error err = { 0 };
	_cleanup_json_ json_t *resp = NULL;
	if (client_call(cli->client, "GET", path, NULL, &resp, &err) < 0)
		return cli_fail(&err);
	json_t *titles = json_object_get(resp, "Titles");
	size_t i, j;
	json_t *x, *row;
	json_array_foreach(titles, i, x)
		printf("%s%s", i ? "\t" : "", json_string_value(x));
	printf("\n");
	json_array_foreach(json_object_get(resp, "Processes"), j, row) {
		json_array_foreach(row, i, x)
			printf("%s%s", i ? "\t" : "", json_string_value(x));
		printf("\n");
	}
	return 0;
}

int cmd_diff(struct cli *cli, int argc, char **argv)
{
	if (help(argc, argv, "Usage: netctl diff CONTAINER\n\nList the files a container added (A), changed (C) and deleted (D).\n"))
		return 0;
	if (argc != 2)
		return cli_usage_error(cli->prog, "expects one container");
	_cleanup_free_ char *path = cli_path(cli, "/containers/%s/changes", argv[1]);
	struct nd_error err = { 0 };
	_cleanup_json_ json_t *resp = NULL;
	if (client_call(cli->client, "GET", path, NULL, &resp, &err) < 0)
		return cli_fail(&err);
	size_t i;
	json_t *x;
	json_array_foreach(resp, i, x) {
		int k = (int)json_integer_value(json_object_get(x, "Kind"));
		printf("%c %s\n", k == 1 ? 'A' : k == 2 ? 'D' : 'C', json_string_value(json_object_get(x, "Path")));
	}
	return 0;
}

static void human_bytes(double b, char *out, size_t size)
{
	static const char *const u[] = { "B", "KiB", "MiB", "GiB", "TiB" };
	int i = 0;
	while (b >= 1024 && i < 4) {
		b /= 1024;
		i++;
	}
	snprintf(out, size, "%.4g%s", b, u[i]);
}

int cmd_stats(struct cli *cli, int argc, char **argv)
{
	if (help(argc, argv, "Usage: netctl stats [--no-stream] CONTAINER...\n\n"
			     "Show containers' CPU, memory, network, block I/O and pids (each second, or once).\n"))
		return 0;
	bool once = false;
	int first = 1;
	if (argc > 1 && strcmp(argv[1], "--no-stream") == 0) {
		once = true;
		first = 2;
	}
	if (first >= argc)
		return cli_usage_error(cli->prog, "expects at least one container");
	for (;;) {
		struct cli_table *t = cli_table_new(7, "CONTAINER", "NAME", "CPU %", "MEM USAGE / LIMIT", "NET I/O", "BLOCK I/O", "PIDS");
		int status = 0;
		for (int i = first; i < argc; i++) {
			_cleanup_free_ char *base = cli_path(cli, "/containers/%s/stats", argv[i]);
			_cleanup_free_ char *path = NULL;
			if (!base || asprintf(&path, "%s?stream=false", base) < 0)
				return 1;
			struct nd_error err = { 0 };
			_cleanup_json_ json_t *s = NULL;
			if (client_call(cli->client, "GET", path, NULL, &s, &err) < 0) {
				status = cli_fail(&err);
				continue;
			}
			json_t *cpu = json_object_get(s, "cpu_stats"), *pre = json_object_get(s, "precpu_stats");
			double dc = (double)json_integer_value(json_object_get(json_object_get(cpu, "cpu_usage"), "total_usage")) -
				    (double)json_integer_value(json_object_get(json_object_get(pre, "cpu_usage"), "total_usage"));
			double ds = (double)json_integer_value(json_object_get(cpu, "system_cpu_usage")) -
				    (double)json_integer_value(json_object_get(pre, "system_cpu_usage"));
			double ncpu = (double)json_integer_value(json_object_get(cpu, "online_cpus"));
			double pct = ds > 0 && dc > 0 ? dc / ds * ncpu * 100.0 : 0;
			json_t *mem = json_object_get(s, "memory_stats");
			char c1[32], c2[32], m[80], n1[32], n2[32], net[80], b1[32], b2[32], blk[80], pc[32], pids[32];
			human_bytes((double)json_integer_value(json_object_get(mem, "usage")), c1, sizeof(c1));
			human_bytes((double)json_integer_value(json_object_get(mem, "limit")), c2, sizeof(c2));
			snprintf(m, sizeof(m), "%s / %s", c1, c2);
			double rx = 0, tx = 0, rd = 0, wr = 0;
			const char *k;
			json_t *v;
			json_object_foreach(json_object_get(s, "networks"), k, v) {
				rx += (double)json_integer_value(json_object_get(v, "rx_bytes"));
				tx += (double)json_integer_value(json_object_get(v, "tx_bytes"));
			}
			size_t j;
			json_array_foreach(json_object_get(json_object_get(s, "blkio_stats"), "io_service_bytes_recursive"), j, v) {
				const char *op = json_string_value(json_object_get(v, "op")) ?: "";
				double val = (double)json_integer_value(json_object_get(v, "value"));
				if (strcasecmp(op, "read") == 0)
					rd += val;
				else if (strcasecmp(op, "write") == 0)
					wr += val;
			}
			human_bytes(rx, n1, sizeof(n1));
			human_bytes(tx, n2, sizeof(n2));
			snprintf(net, sizeof(net), "%s / %s", n1, n2);
			human_bytes(rd, b1, sizeof(b1));
			human_bytes(wr, b2, sizeof(b2));
			snprintf(blk, sizeof(blk), "%s / %s", b1, b2);
			snprintf(pc, sizeof(pc), "%.2f%%", pct);
			snprintf(pids, sizeof(pids), "%lld", (long long)json_integer_value(json_object_get(json_object_get(s, "pids_stats"), "current")));
			char id[13];
			snprintf(id, sizeof(id), "%s", json_string_value(json_object_get(s, "id")) ?: "");
			const char *name = json_string_value(json_object_get(s, "name")) ?: "";
			cli_table_row(t, id, name[0] == '/' ? name + 1 : name, pc, m, net, blk, pids);
		}
		cli_table_print(t);
		if (once || status)
			return status;
		fflush(stdout);
	}
}

int cmd_container_prune(struct cli *cli, int argc, char **argv)
{
	static const char *const usage = "Usage: netctl container prune [--filter until=T|label=K[=V]]...\n\n"
					 "Remove every stopped container (that matches the filters).\n";
	if (help(argc, argv, usage))
		return 0;
	_cleanup_json_ json_t *filters = json_object();
	for (int i = 1; i < argc; i++) {
		if ((strcmp(argv[i], "--filter") == 0 || strcmp(argv[i], "-f") == 0) && i + 1 < argc) {
			const char *f = argv[++i];
			const char *eq = strchr(f, '=');
			if (!eq)
				return cli_usage_error(cli->prog, "a filter is KEY=VALUE: \"%s\"", f);
			_cleanup_free_ char *key = strndup(f, (size_t)(eq - f));
			json_t *vals = json_object_get(filters, key);
			if (!vals)
				json_object_set_new(filters, key, vals = json_array());
			json_array_append_new(vals, json_string(eq + 1));
		} else {
			return cli_usage_error(cli->prog, "unknown argument \"%s\"", argv[i]);
		}
	}
	_cleanup_free_ char *fj = json_dumps(filters, JSON_COMPACT);
	_cleanup_free_ char *fe = fj ? wire_query_escape(fj) : NULL;
	_cleanup_free_ char *path = NULL;
	if (!fe || asprintf(&path, "/containers/prune?filters=%s", fe) < 0)
		return 1;
	struct nd_error err = { 0 };
	_cleanup_json_ json_t *resp = NULL;
	if (client_call(cli->client, "POST", path, NULL, &resp, &err) < 0)
		return cli_fail(&err);
	size_t i;
	json_t *x;
	json_array_foreach(json_object_get(resp, "ContainersDeleted"), i, x)
		printf("%s\n", json_string_value(x));
	return 0;
}
