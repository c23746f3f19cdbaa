// SPDX-License-Identifier: Apache-2.0
/* nd-drv-test: drives a network driver's vtable from the command line, for
 * tests/integration/t_bridge*.sh and measurements. Not installed.
 *
 * State (network and endpoint descriptions, driver data) is kept as JSON
 * files in the state dir (-s DIR, default $ND_DRV_STATE or "."), the way
 * netd keeps it in its store, so each step can run as its own process.
 *
 *   nd-drv-test [-s DIR] [-d DRIVER] [--fw] [--wait-teardown|--no-wait-teardown] COMMAND ...
 *     validate [-o k=v]...
 *     net-create NETID NAME SUBNET GATEWAY [SUBNET GATEWAY]... [-o k=v]... [--internal]
 *     net-restore NETID
 *     net-delete NETID
 *     ep-create NETID EPID ADDR/LEN [ADDR/LEN]
 *     ep-delete NETID EPID
 *     join NETID EPID NETNS_PATH IFNAME [--no-default-route]
 *     leave NETID EPID NETNS_PATH IFNAME
 *     ep-ok NETID EPID [NETNS_PATH IFNAME]        exit 0 = ok, 1 = not ok
 *     owns IFNAME                                 exit 0 = owned
 *     orphan IFNAME                               delete an owned interface as netd's
 *                                                 reconcile does (endpoint_delete, no id)
 *     bench NETID NETNS_PATH COUNT                endpoint create+join+leave+delete
 *     peer-add NETID MAC IPV4 VTEP                global-scope drivers' peer ops
 *     peer-del NETID MAC IPV4 VTEP                (--advertise ADDR: this host's VTEP)
 *     peers-sync NETID [MAC IPV4 VTEP]...
 *
 * One-shot commands wait for interfaces to be deleted (wait_teardown), since
 * the process exits right after; bench runs as netd does (no wait) and then
 * waits for the background deletions before it exits. The flags override.
 */
#include "drivers/driver.h"

#include <getopt.h>
#include <net/if.h>
#include <time.h>

#if defined(ND_HAVE_PROXY) && __has_include("proxy/proxy.h")
#include "proxy/proxy.h"
#define HAVE_FW 1
#else
#define HAVE_FW 0
#endif

static const char *state_dir = ".";
static const struct nd_driver_ops *drv;

static void die(const char *what, const struct nd_error *e)
{
	fprintf(stderr, "nd-drv-test: %s: %s\n", what, e->msg[0] ? e->msg : strerror(-e->code));
	exit(2);
}

static void usage(void)
{
	fprintf(stderr, "usage: nd-drv-test [-s DIR] [-d DRIVER] [--fw] COMMAND ... (see the source)\n");
	exit(2);
}

static json_t *load(const char *kind, const char *id)
{
	char p[512];
	snprintf(p, sizeof(p), "%s/%s-%s.json", state_dir, kind, id);
	json_error_t je;
	json_t *j = json_load_file(p, JSON_REJECT_DUPLICATES, &je);
	if (!j) {
		fprintf(stderr, "nd-drv-test: %s: %s\n", p, je.text);
		exit(2);
	}
	return j;
}

static void save(const char *kind, const char *id, json_t *j)
{
	char p[512];
	snprintf(p, sizeof(p), "%s/%s-%s.json", state_dir, kind, id);
	if (json_dump_file(j, p, JSON_INDENT(1)) < 0) {
		fprintf(stderr, "nd-drv-test: cannot write %s\n", p);
		exit(2);
	}
}

static void forget(const char *kind, const char *id)
{
	char p[512];
	snprintf(p, sizeof(p), "%s/%s-%s.json", state_dir, kind, id);
	unlink(p);
}

/* network JSON -> struct (borrowing strings from j) */
static void net_from_json(json_t *j, struct nd_drv_network *net)
{
	memset(net, 0, sizeof(*net));
	net->id = nd_json_str(j, "id");
	net->name = nd_json_str(j, "name");
	net->options = json_object_get(j, "options");
	net->internal = json_is_true(json_object_get(j, "internal"));
	net->data = json_object_get(j, "data");
	size_t i;
	json_t *s;
	json_array_foreach(json_object_get(j, "subnets"), i, s) {
		if (i >= ND_DRV_MAX_SUBNETS)
			break;
		struct nd_drv_subnet *d = &net->subnets[net->nsubnets++];
		snprintf(d->subnet, sizeof(d->subnet), "%s", json_string_value(json_array_get(s, 0)));
		snprintf(d->gateway, sizeof(d->gateway), "%s", json_string_value(json_array_get(s, 1)));
		d->ipv6 = strchr(d->subnet, ':') != NULL;
		if (d->ipv6)
			net->ipv6 = true;
	}
}

static void ep_from_json(json_t *j, struct nd_drv_endpoint *ep)
{
	memset(ep, 0, sizeof(*ep));
	ep->id = nd_json_str(j, "id");
	ep->network_id = nd_json_str(j, "network_id");
	snprintf(ep->mac, sizeof(ep->mac), "%s", nd_json_str(j, "mac") ? nd_json_str(j, "mac") : "");
	snprintf(ep->ipv4, sizeof(ep->ipv4), "%s", nd_json_str(j, "ipv4") ? nd_json_str(j, "ipv4") : "");
	snprintf(ep->ipv6, sizeof(ep->ipv6), "%s", nd_json_str(j, "ipv6") ? nd_json_str(j, "ipv6") : "");
	ep->data = json_object_get(j, "data");
}

static void sb_init(struct nd_drv_sandbox *sb, const char *path, const char *ifname, bool defroute)
{
	memset(sb, 0, sizeof(*sb));
	sb->id = "sandbox";
	sb->netns_path = path;
	snprintf(sb->ifname, sizeof(sb->ifname), "%s", ifname);
	sb->default_route = defroute;
}

static void parse_opt(json_t *opts, const char *kv)
{
	const char *eq = strchr(kv, '=');
	if (!eq)
		usage();
	char key[256];
	snprintf(key, sizeof(key), "%.*s", (int)(eq - kv), kv);
	json_object_set_new(opts, key, json_string(eq + 1));
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

static double ms(uint64_t ns) { return (double)ns / 1e6; }

static void report(const char *what, uint64_t *v, int n)
{
	qsort(v, (size_t)n, sizeof(*v), cmp_u64);
	printf("%-28s n=%d median=%.3f ms p90=%.3f ms min=%.3f ms max=%.3f ms\n", what, n, ms(v[n / 2]),
	       ms(v[(n * 9) / 10]), ms(v[0]), ms(v[n - 1]));
}

static int bench(struct nd_drv_ctx *ctx, const char *netid, const char *nspath, int count)
{
	json_t *nj = load("net", netid);
	struct nd_drv_network net;
	net_from_json(nj, &net);
	uint64_t *tot = calloc((size_t)count, sizeof(uint64_t)), *t[4];
	for (int k = 0; k < 4; k++)
		t[k] = calloc((size_t)count, sizeof(uint64_t));
	char v4net[64] = "";
	for (int i = 0; i < net.nsubnets; i++)
		if (!net.subnets[i].ipv6)
			snprintf(v4net, sizeof(v4net), "%s", net.subnets[i].subnet);
	unsigned a, b, c, d, plen;
	if (sscanf(v4net, "%u.%u.%u.%u/%u", &a, &b, &c, &d, &plen) != 5) {
		fprintf(stderr, "nd-drv-test: bench needs an IPv4 subnet\n");
		return 2;
	}
	for (int i = 0; i < count; i++) {
		char id[ND_ID_LEN + 1];
		nd_id_new(id);
		struct nd_drv_endpoint ep = { .id = id, .network_id = netid, .data = json_object() };
		snprintf(ep.ipv4, sizeof(ep.ipv4), "%u.%u.%u.%u/%u", a, b, c, d + 10 + (unsigned)(i % 200), plen);
		struct nd_drv_sandbox sb;
		sb_init(&sb, nspath, "bench0", true);
		struct nd_error e = { 0 };
		uint64_t t0 = nd_now_ns();
		if (drv->endpoint_create(ctx, &net, &ep, &e) < 0)
			die("ep-create", &e);
		uint64_t t1 = nd_now_ns();
		if (drv->join(ctx, &net, &ep, &sb, &e) < 0)
			die("join", &e);
		uint64_t t2 = nd_now_ns();
		if (drv->leave(ctx, &net, &ep, &sb, &e) < 0)
			die("leave", &e);
		uint64_t t3 = nd_now_ns();
		if (drv->endpoint_delete(ctx, &net, &ep, &e) < 0)
			die("ep-delete", &e);
		uint64_t t4 = nd_now_ns();
		json_decref(ep.data);
		tot[i] = t4 - t0;
		t[0][i] = t1 - t0;
		t[1][i] = t2 - t1;
		t[2][i] = t3 - t2;
		t[3][i] = t4 - t3;
	}
	uint64_t *con = calloc((size_t)count, sizeof(uint64_t)), *dis = calloc((size_t)count, sizeof(uint64_t));
	for (int i = 0; i < count; i++) {
		con[i] = t[0][i] + t[1][i];
		dis[i] = t[2][i] + t[3][i];
	}
	printf("teardown: %s\n", ctx->wait_teardown ? "waited for (wait_teardown)" : "in the background (as netd)");
	report("create+join+leave+delete", tot, count);
	report("connect (create+join)", con, count);
	report("disconnect (leave+delete)", dis, count);
	report("endpoint_create", t[0], count);
	report("join", t[1], count);
	report("leave", t[2], count);
	report("endpoint_delete", t[3], count);
	/* the background deletions must be done before we exit */
	uint64_t w0 = nd_now_ns();
	int left = 1;
	while (left && nd_now_ns() - w0 < 30ull * 1000000000ull) {
		left = 0;
		struct if_nameindex *ix = if_nameindex();
		for (struct if_nameindex *p = ix; p && p->if_index; p++)
			left += drv->owns_ifname && drv->owns_ifname(p->if_name) && strncmp(p->if_name, "vdel", 4) == 0;
		if_freenameindex(ix);
		if (left)
			nanosleep(&(struct timespec){ .tv_nsec = 2000000 }, NULL);
	}
	printf("background deletions drained in %.1f ms%s\n", ms(nd_now_ns() - w0), left ? " (NOT all: timeout)" : "");
	for (int k = 0; k < 4; k++)
		free(t[k]);
	free(tot);
	free(con);
	free(dis);
	json_decref(nj);
	return left ? 1 : 0;
}

int main(int argc, char **argv)
{
	const char *drvname = "bridge";
	bool use_fw = false;
	int wait_teardown = -1;
	const char *advertise = "";
	if (getenv("ND_DRV_STATE"))
		state_dir = getenv("ND_DRV_STATE");
	int i = 1;
	for (; i < argc && argv[i][0] == '-'; i++) {
		if (strcmp(argv[i], "-s") == 0 && i + 1 < argc)
			state_dir = argv[++i];
		else if (strcmp(argv[i], "-d") == 0 && i + 1 < argc)
			drvname = argv[++i];
		else if (strcmp(argv[i], "--fw") == 0)
			use_fw = true;
		else if (strcmp(argv[i], "--advertise") == 0 && i + 1 < argc)
			advertise = argv[++i];
		else if (strcmp(argv[i], "--wait-teardown") == 0)
			wait_teardown = 1;
		else if (strcmp(argv[i], "--no-wait-teardown") == 0)
			wait_teardown = 0;
		else
			usage();
	}
	if (i >= argc)
		usage();
	drv = nd_driver_find(drvname);
	if (!drv) {
		fprintf(stderr, "nd-drv-test: no driver \"%s\"\n", drvname);
		return 2;
	}
	const char *cmd = argv[i++];
	char **av = argv + i;
	int ac = argc - i;
	struct nd_error e = { 0 };
	struct nd_drv_ctx ctx = { .fw = NULL, .exec_root = state_dir,
				  .wait_teardown = wait_teardown >= 0 ? wait_teardown : strcmp(cmd, "bench") != 0,
				  .advertise = advertise };
#if HAVE_FW
	if (use_fw && nd_fw_open(NULL, &ctx.fw, &e) < 0)
		die("open firewall", &e);
	if (use_fw && nd_fw_ensure(ctx.fw, &e) < 0)
		die("firewall", &e);
#else
	if (use_fw) {
		fprintf(stderr, "nd-drv-test: built without proxy/, --fw unavailable\n");
		return 77;
	}
#endif
	int rc = 0;

	if (strcmp(cmd, "validate") == 0 || strcmp(cmd, "net-create") == 0) {
		json_t *opts = json_object(), *subnets = json_array();
		bool internal = false;
		const char *pos[2 + 2 * ND_DRV_MAX_SUBNETS];
		int npos = 0;
		for (int k = 0; k < ac; k++) {
			if (strcmp(av[k], "-o") == 0 && k + 1 < ac)
				parse_opt(opts, av[++k]);
			else if (strcmp(av[k], "--internal") == 0)
				internal = true;
			else if (npos < (int)ARRAY_SIZE(pos))
				pos[npos++] = av[k];
			else
				usage();
		}
		if (drv->options_validate(opts, &e) < 0)
			die("options", &e);
		if (cmd[0] == 'v') {
			json_decref(opts);
			json_decref(subnets);
			return 0;
		}
		if (npos < 4 || npos % 2)
			usage();
		for (int k = 2; k + 1 < npos; k += 2)
			json_array_append_new(subnets, json_pack("[ss]", pos[k], pos[k + 1]));
		json_t *nj = json_pack("{s:s, s:s, s:o, s:b, s:o, s:o}", "id", pos[0], "name", pos[1], "options", opts,
				       "internal", internal, "subnets", subnets, "data", json_object());
		struct nd_drv_network net;
		net_from_json(nj, &net);
		if (drv->network_create(&ctx, &net, &e) < 0)
			die("net-create", &e);
		save("net", pos[0], nj);
		json_decref(nj);
	} else if ((strcmp(cmd, "net-restore") == 0 || strcmp(cmd, "net-delete") == 0) && ac == 1) {
		json_t *nj = load("net", av[0]);
		struct nd_drv_network net;
		net_from_json(nj, &net);
		if (cmd[4] == 'r') {
			if (drv->network_restore(&ctx, &net, &e) < 0)
				die("net-restore", &e);
			save("net", av[0], nj);
		} else {
			if (drv->network_delete(&ctx, &net, &e) < 0)
				die("net-delete", &e);
			forget("net", av[0]);
		}
		json_decref(nj);
	} else if (strcmp(cmd, "ep-create") == 0 && (ac == 3 || ac == 4)) {
		json_t *nj = load("net", av[0]);
		struct nd_drv_network net;
		net_from_json(nj, &net);
		json_t *ej = json_pack("{s:s, s:s, s:o}", "id", av[1], "network_id", av[0], "data", json_object());
		for (int k = 2; k < ac; k++)
			json_object_set_new(ej, strchr(av[k], ':') ? "ipv6" : "ipv4", json_string(av[k]));
		struct nd_drv_endpoint ep;
		ep_from_json(ej, &ep);
		if (drv->endpoint_create(&ctx, &net, &ep, &e) < 0)
			die("ep-create", &e);
		json_object_set_new(ej, "mac", json_string(ep.mac));
		save("ep", av[1], ej);
		json_decref(ej);
		json_decref(nj);
	} else if ((strcmp(cmd, "ep-delete") == 0 && ac == 2) ||
		   ((strcmp(cmd, "join") == 0 || strcmp(cmd, "leave") == 0) && (ac == 4 || ac == 5)) ||
		   (strcmp(cmd, "ep-ok") == 0 && (ac == 2 || ac == 4))) {
		json_t *nj = load("net", av[0]), *ej = load("ep", av[1]);
		struct nd_drv_network net;
		struct nd_drv_endpoint ep;
		struct nd_drv_sandbox sb;
		net_from_json(nj, &net);
		ep_from_json(ej, &ep);
		if (ac >= 4)
			sb_init(&sb, av[2], av[3], !(ac == 5 && strcmp(av[4], "--no-default-route") == 0));
		if (strcmp(cmd, "ep-delete") == 0) {
			if (drv->endpoint_delete(&ctx, &net, &ep, &e) < 0)
				die("ep-delete", &e);
			forget("ep", av[1]);
		} else if (strcmp(cmd, "join") == 0) {
			if (drv->join(&ctx, &net, &ep, &sb, &e) < 0)
				die("join", &e);
			json_object_set_new(ej, "mac", json_string(ep.mac));
			save("ep", av[1], ej);
		} else if (strcmp(cmd, "leave") == 0) {
			if (drv->leave(&ctx, &net, &ep, &sb, &e) < 0)
				die("leave", &e);
		} else {
			rc = drv->endpoint_ok(&ctx, &net, &ep, ac >= 4 ? &sb : NULL) ? 0 : 1;
			printf("%s\n", rc ? "not ok" : "ok");
		}
		json_decref(ej);
		json_decref(nj);
	} else if (strcmp(cmd, "owns") == 0 && ac == 1) {
		rc = drv->owns_ifname && drv->owns_ifname(av[0]) ? 0 : 1;
	} else if (strcmp(cmd, "orphan") == 0 && ac == 1) {
		/* what netd/net.c's remove_orphans passes */
		json_t *opts = json_object();
		struct nd_drv_network dn = { .id = "", .name = av[0], .options = opts };
		struct nd_drv_endpoint de = { .id = "", .data = json_pack("{s:s}", "host_ifname", av[0]) };
		if (!drv->owns_ifname || !drv->owns_ifname(av[0]) || strncmp(av[0], "br-", 3) == 0) {
			fprintf(stderr, "nd-drv-test: %s is not an endpoint interface of this driver\n", av[0]);
			rc = 2;
		} else if (drv->endpoint_delete(&ctx, &dn, &de, &e) < 0) {
			die("orphan", &e);
		}
		json_decref(de.data);
		json_decref(opts);
	} else if ((strcmp(cmd, "peer-add") == 0 || strcmp(cmd, "peer-del") == 0) && ac == 4) {
		json_t *nj = load("net", av[0]);
		struct nd_drv_network net;
		net_from_json(nj, &net);
		struct nd_drv_peer p = { 0 };
		snprintf(p.mac, sizeof(p.mac), "%s", av[1]);
		snprintf(p.ipv4, sizeof(p.ipv4), "%s", av[2]);
		snprintf(p.vtep, sizeof(p.vtep), "%s", av[3]);
		if (!drv->peer_add) {
			fprintf(stderr, "nd-drv-test: driver %s has no peers\n", drv->name);
			rc = 2;
		} else if ((cmd[5] == 'a' ? drv->peer_add(&ctx, &net, &p, &e) : drv->peer_remove(&ctx, &net, &p, &e)) < 0) {
			die(cmd, &e);
		}
		json_decref(nj);
	} else if (strcmp(cmd, "peers-sync") == 0 && ac >= 1 && (ac - 1) % 3 == 0 && drv->peers_sync) {
		json_t *nj = load("net", av[0]);
		struct nd_drv_network net;
		net_from_json(nj, &net);
		size_t n = (size_t)(ac - 1) / 3;
		struct nd_drv_peer *ps = calloc(n + 1, sizeof(*ps));
		for (size_t k = 0; ps && k < n; k++) {
			snprintf(ps[k].mac, sizeof(ps[k].mac), "%s", av[1 + 3 * k]);
			snprintf(ps[k].ipv4, sizeof(ps[k].ipv4), "%s", av[2 + 3 * k]);
			snprintf(ps[k].vtep, sizeof(ps[k].vtep), "%s", av[3 + 3 * k]);
		}
		if (!ps || drv->peers_sync(&ctx, &net, ps, n, &e) < 0)
			die("peers-sync", &e);
		free(ps);
		json_decref(nj);
	} else if (strcmp(cmd, "bench") == 0 && ac == 3) {
		rc = bench(&ctx, av[0], av[1], atoi(av[2]) > 0 ? atoi(av[2]) : 1);
	} else {
		usage();
	}
#if HAVE_FW
	nd_fw_free(ctx.fw);
#endif
	return rc;
}
