// SPDX-License-Identifier: Apache-2.0
/* nd-fw-test: a tiny CLI over proxy.h for tests/integration/t_firewall.sh.
 * Not installed.
 *
 *   nd-fw-test [--table T] ensure
 *   nd-fw-test [--table T] present                    (exit 0 present, 1 not)
 *   nd-fw-test [--table T] add BRIDGE [SUBNET...] [--internal] [--no-icc] [--no-masq]
 *   nd-fw-test [--table T] del BRIDGE
 *   nd-fw-test [--table T] sync [NET...]   NET = BRIDGE[,SUBNET...][,internal][,no-icc][,no-masq]
 *   nd-fw-test [--table T] foreign-drop               (exit 0 found, 1 none; read only)
 *   nd-fw-test [--table T] foreign-sync               (accept rules in foreign drop chains)
 *   nd-fw-test [--table T] bench N                    (prints timings)
 */
#include "proxy/proxy.h"

#include <net/if.h>

static int usage(void)
{
	fprintf(stderr, "usage: nd-fw-test [--table T] ensure|present|add BRIDGE [SUBNET...] [--internal] "
			"[--no-icc] [--no-masq]|del BRIDGE|sync [BRIDGE[,SUBNET...][,internal][,no-icc][,no-masq]...]|"
			"foreign-drop|foreign-sync|bench N\n");
	return 2;
}

static void net_init(struct nd_fw_network *n, const char *bridge)
{
	*n = (struct nd_fw_network){ .bridge = bridge, .icc = true, .masquerade = true };
}

static int net_flag(struct nd_fw_network *n, const char *f)
{
	if (!strcmp(f, "internal"))
		n->internal = true;
	else if (!strcmp(f, "no-icc"))
		n->icc = false;
	else if (!strcmp(f, "no-masq"))
		n->masquerade = false;
	else
		return -1;
	return 0;
}

/* BRIDGE[,SUBNET...][,flag...]: tokens live in `spec`, modified in place */
static int net_parse(struct nd_fw_network *n, char *spec)
{
	char *save = NULL, *tok = strtok_r(spec, ",", &save);
	if (!tok)
		return -1;
	net_init(n, tok);
	while ((tok = strtok_r(NULL, ",", &save))) {
		if (strchr(tok, '/')) {
			if (n->nsubnets == ND_FW_MAX_SUBNETS)
				return -1;
			n->subnets[n->nsubnets++] = tok;
		} else if (net_flag(n, tok) < 0) {
			return -1;
		}
	}
	return 0;
}

static double ms_since(uint64_t t0) { return (double)(nd_now_ns() - t0) / 1e6; }

static int bench(struct nd_fw *fw, int n, struct nd_error *err)
{
	struct nd_fw_network *nets = calloc((size_t)n, sizeof(*nets));
	char (*names)[IFNAMSIZ] = calloc((size_t)n, IFNAMSIZ);
	if (!nets || !names)
		return nd_error_set(err, -ENOMEM, "out of memory");
	for (int i = 0; i < n; i++) {
		snprintf(names[i], IFNAMSIZ, "bb%05d", i);
		net_init(&nets[i], names[i]);
		nets[i].icc = i % 2;
	}
	int r;
	uint64_t t0 = nd_now_ns();
	if ((r = nd_fw_sync(fw, NULL, 0, err)) < 0)
		goto out;
	printf("sync 0 networks: %.2f ms\n", ms_since(t0));
	t0 = nd_now_ns();
	uint64_t worst = 0;
	for (int i = 0; i < n; i++) {
		uint64_t t1 = nd_now_ns();
		if ((r = nd_fw_network_add(fw, &nets[i], err)) < 0)
			goto out;
		if (nd_now_ns() - t1 > worst)
			worst = nd_now_ns() - t1;
	}
	double tot = ms_since(t0);
	printf("network_add x%d (one batch each): total %.1f ms, mean %.3f ms, max %.3f ms\n", n, tot, tot / n,
	       (double)worst / 1e6);
	t0 = nd_now_ns();
	if ((r = nd_fw_ensure(fw, err)) < 0)
		goto out;
	printf("ensure (present, %d networks): %.3f ms\n", n, ms_since(t0));
	t0 = nd_now_ns();
	if ((r = nd_fw_sync(fw, nets, (size_t)n, err)) < 0)
		goto out;
	printf("sync %d networks (one batch): %.2f ms\n", n, ms_since(t0));
	t0 = nd_now_ns();
	for (int i = 0; i < n; i++)
		if ((r = nd_fw_network_del(fw, &nets[i], err)) < 0)
			goto out;
	tot = ms_since(t0);
	printf("network_del x%d: total %.1f ms, mean %.3f ms\n", n, tot, tot / n);
out:
	free(nets);
	free(names);
	return r;
}

int main(int argc, char **argv)
{
	const char *table = NULL;
	int i = 1;
	if (i + 1 < argc && !strcmp(argv[i], "--table")) {
		table = argv[i + 1];
		i += 2;
	}
	if (i >= argc)
		return usage();
	const char *cmd = argv[i++];
	struct nd_error err = { 0 };
	struct nd_fw *fw = NULL;
	int r = nd_fw_open(table, &fw, &err);
	if (r < 0)
		goto fail;

	if (!strcmp(cmd, "ensure")) {
		r = nd_fw_ensure(fw, &err);
	} else if (!strcmp(cmd, "present")) {
		bool p = nd_fw_present(fw);
		printf("%s\n", p ? "present" : "absent");
		nd_fw_free(fw);
		return p ? 0 : 1;
	} else if (!strcmp(cmd, "add") || !strcmp(cmd, "del")) {
		if (i >= argc)
			return usage();
		struct nd_fw_network n;
		net_init(&n, argv[i++]);
		for (; i < argc; i++) {
			if (!strncmp(argv[i], "--", 2)) {
				if (net_flag(&n, argv[i] + 2) < 0)
					return usage();
			} else if (n.nsubnets < ND_FW_MAX_SUBNETS) {
				n.subnets[n.nsubnets++] = argv[i];
			} else {
				return usage();
			}
		}
		r = cmd[0] == 'a' ? nd_fw_network_add(fw, &n, &err) : nd_fw_network_del(fw, &n, &err);
	} else if (!strcmp(cmd, "sync")) {
		size_t n = (size_t)(argc - i);
		struct nd_fw_network *nets = calloc(n ? n : 1, sizeof(*nets));
		if (!nets)
			return 1;
		for (size_t k = 0; k < n; k++)
			if (net_parse(&nets[k], argv[i + (int)k]) < 0) {
				free(nets);
				return usage();
			}
		r = nd_fw_sync(fw, nets, n, &err);
		free(nets);
	} else if (!strcmp(cmd, "foreign-drop") || !strcmp(cmd, "foreign-sync")) {
		struct nd_fw_foreign f;
		bool apply = !strcmp(cmd, "foreign-sync");
		r = nd_fw_foreign_sync(fw, apply, &f, &err);
		if (r >= 0) {
			if (apply)
				printf("chains=%u bridges=%u rules=%u added=%u removed=%u where=%s legacy=%s\n", f.nchains,
				       f.bridges, f.rules, f.added, f.removed, f.where, f.legacy);
			else
				printf("%s\n", r ? f.where : "none");
			nd_fw_free(fw);
			return r || apply ? 0 : 1;
		}
	} else if (!strcmp(cmd, "bench")) {
		if (i >= argc)
			return usage();
		r = bench(fw, atoi(argv[i]), &err);
	} else {
		nd_fw_free(fw);
		return usage();
	}
fail:
	nd_fw_free(fw);
	if (r < 0) {
		fprintf(stderr, "nd-fw-test: %s\n", err.msg);
		return 1;
	}
	return 0;
}
