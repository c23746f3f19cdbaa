// SPDX-License-Identifier: Apache-2.0
/* The networking side of the daemon: start (load, restore, reconcile),
 * a periodic reconcile, stop, and its section of /info. */
#include "netd/net/net.h"

#include "proxy/proxy.h"

#include <net/if.h>
#include <ifaddrs.h>

#define RECONCILE_MS 2000

/* Interfaces the drivers own and the store still records (by any string in
 * a network's or endpoint's DriverData), so reconcile can tell orphans. */
static void collect_names(const json_t *data, json_t *set)
{
	const char *k;
	json_t *v;
	json_object_foreach((json_t *)data, k, v) {
		if (json_is_string(v))
			json_object_set_new(set, json_string_value(v), json_true());
	}
}

static int remove_orphans(struct netd *d, const json_t *recorded)
{
	struct ifaddrs *ifa = NULL;
	if (getifaddrs(&ifa) < 0)
		return -errno;
	json_t *seen = json_object();
	for (struct ifaddrs *i = ifa; i; i = i->ifa_next) {
		if (!i->ifa_name || json_object_get(seen, i->ifa_name))
			continue;
		json_object_set_new(seen, i->ifa_name, json_true());
	}
	freeifaddrs(ifa);
	const char *name;
	json_t *v;
	const struct nd_driver_ops *const *all = net__drivers(d);
	json_object_foreach(seen, name, v) {
		if (json_object_get(recorded, name))
			continue;
		for (size_t k = 0; all[k]; k++) {
			if (!all[k]->owns_ifname || !all[k]->owns_ifname(name))
				continue;
			/* ours by name, recorded nowhere: left by a crash */
			if (!if_nametoindex(name) || !all[k]->orphan_delete)
				break;
			log_info("reconcile: deleting orphaned interface %s", name);
			struct nd_error e = { 0 };
			if (all[k]->orphan_delete(&net_of(d)->drv_ctx, name, &e) < 0)
				log_warn("reconcile: %s", e.msg);
			break;
		}
	}
	json_decref(seen);
	return 0;
}

/* ctx->networks_foreach: the recorded networks, as drivers see them */
static int networks_foreach(struct nd_drv_ctx *ctx, const char *skip_id, nd_drv_network_fn fn, void *arg)
{
	struct netd *d = ctx->owner;
	for (struct net_network *n = net_of(d)->networks; n; n = n->next) {
		if (skip_id && strcmp(n->rec.id, skip_id) == 0)
			continue;
		struct nd_drv_network dn;
		net_drv_network(n, &dn);
		int rc = fn(n->drv->name, &dn, arg);
		if (rc)
			return rc;
	}
	return 0;
}

void net__drv_ctx_init(struct netd *d)
{
	net_of(d)->drv_ctx.networks_foreach = networks_foreach;
	net_of(d)->drv_ctx.owner = d;
}

/* At start: each driver with a sweep gets its networks, their endpoints and
 * every sandbox's netns, and deletes what it made that none records. */
static void sweep_drivers(struct netd *d, const struct nd_sandbox_list *sbs)
{
	struct net_state *ns = net_of(d);
	const struct nd_driver_ops *const *all = net__drivers(d);
	_cleanup_free_ const char **paths = calloc(sbs->n + 1, sizeof(*paths));
	if (!paths)
		return;
	for (size_t i = 0; i < sbs->n; i++)
		paths[i] = sbs->v[i].netns_path;
	for (size_t k = 0; all[k]; k++) {
		if (!all[k]->sweep)
			continue;
		size_t nn = 0;
		for (struct net_network *n = ns->networks; n; n = n->next)
			nn += n->drv == all[k];
		_cleanup_free_ struct nd_drv_network *nets = calloc(nn + 1, sizeof(*nets));
		struct nd_endpoint_list eps = { 0 };
		struct nd_error e = { 0 };
		if (!nets || net_endpoint_list(d, NULL, NULL, &eps, &e) < 0) {
			log_warn("reconcile: %s sweep skipped: %s", all[k]->name, e.msg[0] ? e.msg : "out of memory");
			continue;
		}
		nn = 0;
		for (struct net_network *n = ns->networks; n; n = n->next)
			if (n->drv == all[k])
				net_drv_network(n, &nets[nn++]);
		_cleanup_free_ struct nd_drv_endpoint *deps = calloc(eps.n + 1, sizeof(*deps));
		size_t ne = 0;
		for (size_t i = 0; deps && i < eps.n; i++) {
			struct net_network *n = net_network_find(d, eps.v[i].network_id, &(struct nd_error){ 0 });
			if (n && n->drv == all[k])
				net_drv_endpoint(&eps.v[i], &deps[ne++]);
		}
		if (deps) {
			struct nd_drv_records rec = { .networks = nets, .nnetworks = nn, .endpoints = deps,
						      .nendpoints = ne, .netns_paths = paths, .nnetns = sbs->n };
			if (all[k]->sweep(&ns->drv_ctx, &rec, &e) < 0)
				log_warn("reconcile: %s: %s", all[k]->name, e.msg);
		}
		nd_endpoint_list_clear(&eps);
	}
}

static bool net__sandbox_empty(struct netd *d, const char *sbid)
{
	struct nd_endpoint_list eps;
	struct nd_error e = { 0 };
	if (net_endpoint_list(d, NULL, sbid, &eps, &e) < 0)
		return false;
	bool empty = eps.n == 0;
	nd_endpoint_list_clear(&eps);
	return empty;
}

int net_reconcile(struct netd *d, bool startup, struct nd_error *err)
{
	struct net_state *ns = net_of(d);
	json_t *recorded = json_object();
	int failures = 0;
	for (struct net_network *n = ns->networks; n; n = n->next) {
		struct nd_drv_network dn;
		net_drv_network(n, &dn);
		struct nd_error e = { 0 };
		collect_names(n->rec.driver_data, recorded);
		if (net__global_reconcile_dormant(d, n))
			continue;
		_cleanup_free_ char *before = nd_json_dump(dn.data);
		if (n->drv->network_restore(&ns->drv_ctx, &dn, &e) < 0) {
			log_error("reconcile: network=%s: %s", n->rec.name, e.msg);
			failures++;
		}
		_cleanup_free_ char *after = nd_json_dump(dn.data);
		/* driver data a crash kept from the store (bridge name) */
		if (before && after && strcmp(before, after) != 0 && net__network_save(d, n, &e) < 0)
			log_error("reconcile: network=%s: %s", n->rec.name, e.msg);
		collect_names(n->rec.driver_data, recorded);
	}
	struct nd_sandbox_list sbs = { 0 };
	int rc = net_sandbox_list(d, &sbs, err);
	if (rc < 0) {
		json_decref(recorded);
		return rc;
	}
	for (size_t i = 0; i < sbs.n; i++) {
		const struct nd_sandbox_rec *sb = &sbs.v[i];
		struct nd_error e = { 0 };
		if (sb->caller_owned && (!netns_alive(sb->netns_path) || net__sandbox_empty(d, sb->id))) {
			/* the caller's namespace went while netd was away (or an
			 * attach was cut short before its endpoint): release what
			 * netd holds for it, never re-create it */
			log_info("reconcile: sandbox=%.12s name=%s: caller's namespace %s %s, releasing", sb->id, sb->name,
				 sb->netns_path, netns_alive(sb->netns_path) ? "has no endpoint" : "is gone");
			if (net_sandbox_delete(d, sb->id, true, &e) < 0) {
				log_error("reconcile: sandbox=%.12s: %s", sb->id, e.msg);
				failures++;
			}
			continue;
		}
		if (!netns_alive(sb->netns_path)) {
			log_info("reconcile: sandbox=%.12s: network namespace missing, re-creating", sb->id);
			if (netns_create(sb->netns_path, &e) < 0) {
				log_error("reconcile: sandbox=%.12s: %s", sb->id, e.msg);
				failures++;
				continue;
			}
		}
		struct nd_endpoint_list eps;
		if (net_endpoint_list(d, NULL, sb->id, &eps, &e) < 0)
			continue;
		for (size_t k = 0; k < eps.n; k++) {
			struct net_network *n = net_network_find(d, eps.v[k].network_id, &e);
			if (!n)
				continue;
			if (net_endpoint_repair(d, n, &eps.v[k], sb, &e) < 0) {
				log_error("reconcile: endpoint=%.12s: %s", eps.v[k].id, e.msg);
				failures++;
			}
			collect_names(eps.v[k].driver_data, recorded);
		}
		nd_endpoint_list_clear(&eps);
	}
	if (startup)
		sweep_drivers(d, &sbs);
	nd_sandbox_list_clear(&sbs);
	if (startup)
		remove_orphans(d, recorded);
	json_decref(recorded);
	if (failures)
		log_warn("reconcile finished with %d failure%s", failures, failures == 1 ? "" : "s");
	return 0;
}

/* Other tables' forward chains with policy drop (proxy.h): keep netd's
 * accept rules there in step with our bridges; say so once when it changes. */
static void foreign_sync(struct net_state *ns, bool startup)
{
	if (!ns->fw)
		return;
	struct nd_error e = { 0 };
	struct nd_fw_foreign f;
	if (nd_fw_foreign_sync(ns->fw, true, &f, &e) < 0) {
		/* e.g. a table owned by another process (EPERM): say it once, not every period */
		if (strcmp(e.msg, ns->fw_foreign_err))
			log_warn("reconcile: %s", e.msg);
		snprintf(ns->fw_foreign_err, sizeof(ns->fw_foreign_err), "%s", e.msg);
		return;
	}
	ns->fw_foreign_err[0] = '\0';
	if (f.legacy[0] && (startup || strcmp(f.legacy, ns->fw_foreign.legacy)))
		log_warn("%s has policy DROP: netd cannot add rules to legacy iptables, so forwarded traffic of "
			 "netd's networks (published ports included) is dropped there; see `netctl info`", f.legacy);
	ns->fw_foreign = f;
}

/* Caller-owned sandboxes whose namespace the caller deleted without a DEL
 * (a runtime that crashed): released, as a GC would. */
static void release_orphaned_attachments(struct netd *d)
{
	struct nd_sandbox_list sbs;
	struct nd_error e = { 0 };
	if (net_sandbox_list(d, &sbs, &e) < 0)
		return;
	for (size_t i = 0; i < sbs.n; i++) {
		if (!sbs.v[i].caller_owned || netns_alive(sbs.v[i].netns_path))
			continue;
		log_info("reconcile: sandbox=%.12s name=%s: the caller's namespace %s is gone, releasing", sbs.v[i].id,
			 sbs.v[i].name, sbs.v[i].netns_path);
		nd_error_clear(&e);
		if (net_sandbox_delete(d, sbs.v[i].id, true, &e) < 0)
			log_error("reconcile: sandbox=%.12s: %s", sbs.v[i].id, e.msg);
	}
	nd_sandbox_list_clear(&sbs);
}

static void on_reconcile(uv_timer_t *t)
{
	struct netd *d = t->data;
	struct net_state *ns = net_of(d);
	static const unsigned every = 5;   /* ticks: 10 s */
	if (++ns->reconcile_ticks % every == 0) {
		release_orphaned_attachments(d);
		/* overlay entries someone changed by hand follow the store again */
		net_global_reconcile(d);
	}
	/* cheap check first: our table, then the bridges */
	if (ns->fw && !nd_fw_present(ns->fw)) {
		log_warn("reconcile: nftables table %s is gone (flushed?); restoring", nd_fw_table(ns->fw));
		struct nd_error e = { 0 };
		if (nd_fw_ensure(ns->fw, &e) < 0)
			log_error("reconcile: %s", e.msg);
		for (struct net_network *n = ns->networks; n; n = n->next) {
			struct nd_drv_network dn;
			if (n->dormant)
				continue;
			net_drv_network(n, &dn);
			nd_error_clear(&e);
			if (n->drv->network_restore(&ns->drv_ctx, &dn, &e) < 0)
				log_error("reconcile: network=%s: %s", n->rec.name, e.msg);
		}
		if (ns->hooks.ports_resync)
			ns->hooks.ports_resync(d);
	}
	foreign_sync(ns, false);
}

int netd_net_start(struct netd *d, struct nd_error *err)
{
	struct net_state *ns = calloc(1, sizeof(*ns));
	if (!ns)
		return nd_error_set(err, -ENOMEM, "out of memory");
	d->net = ns;
	int rc;
	snprintf(ns->netns_dir, sizeof(ns->netns_dir), "%s/netns", d->cfg.exec_root);
	if ((rc = netns_dir_prepare(ns->netns_dir, err)) < 0)
		return rc;
	ns->drv_ctx.exec_root = d->cfg.exec_root;
	net__drv_ctx_init(d);

	/* address space for automatic subnets: config or Docker's defaults */
	if (d->cfg.npools) {
		struct ipam_space_entry ents[NETD_CONFIG_MAX_POOLS];
		for (size_t i = 0; i < d->cfg.npools; i++) {
			if ((rc = ipam_prefix_parse(d->cfg.pools[i].base, "default-address-pools base", 0, &ents[i].base,
						    err)) < 0)
				return nd_error_wrap(err, "config");
			ents[i].size = d->cfg.pools[i].size;
		}
		if ((rc = ipam_space_new(ents, d->cfg.npools, &ns->space, err)) < 0)
			return nd_error_wrap(err, "config");
	} else if ((rc = ipam_space_default(&ns->space, err)) < 0) {
		return rc;
	}

	if ((rc = nd_fw_open("netd", &ns->fw, err)) < 0 || (rc = nd_fw_ensure(ns->fw, err)) < 0)
		return nd_error_wrap(err, "firewall");
	ns->drv_ctx.fw = ns->fw;

	/* networks from the store, with their recorded allocations */
	struct nd_network_rec *recs = NULL;
	size_t nrecs = 0;
	if ((rc = store_network_list(d->store, &recs, &nrecs, err)) < 0)
		return nd_error_wrap(err, "loading networks");
	for (size_t i = 0; i < nrecs && rc == 0; i++) {
		struct net_network *n;
		if ((rc = net_network_load(d, &recs[i], &n, err)) < 0) {
			nd_error_wrap(err, "loading networks");
			break;
		}
		n->next = ns->networks;
		ns->networks = n;
	}
	for (size_t i = 0; i < nrecs; i++)
		nd_network_rec_clear(&recs[i]);
	free(recs);
	if (rc < 0)
		return rc;
	/* the global scope: the mirror of the cluster store (before reconcile,
	 * which restores overlay networks with this host's VTEP) */
	if ((rc = net_global_start(d, err)) < 0)
		return rc;
	if ((rc = net_default_network(d, err)) < 0)
		return rc;
	/* the resolver first of all (names, a listener in every living
	 * sandbox): after a restart, containers' queries wait in its sockets
	 * while the rest starts, instead of being refused */
	if ((rc = net__dns_engine_start(d, err)) < 0)
		return rc;
	struct nd_error e = { 0 };
	/* published ports (their maps live in the firewall's table) */
	if (net_ports_open(d, &e) < 0)
		log_error("ports: port publishing unavailable: %s", e.msg);
	if ((rc = net_reconcile(d, true, err)) < 0)
		return rc;
	net__dns_walk(d);   /* sandboxes reconcile re-created */
	for (struct net_network *n = ns->networks; n; n = n->next)
		net_dns_start(d, n);   /* the gateways are in place now */
	foreign_sync(ns, true);

	uv_timer_init(d->loop, &ns->reconcile);
	ns->reconcile.data = d;
	uv_timer_start(&ns->reconcile, on_reconcile, RECONCILE_MS, RECONCILE_MS);
	return 0;
}

void netd_net_stop(struct netd *d)
{
	struct net_state *ns = net_of(d);
	if (!ns)
		return;
	/* networks, sandboxes and rules stay: containers outlive netd */
	net_global_stop(d);
	struct net_network *next;
	for (struct net_network *n = ns->networks; n; n = next) {
		next = n->next;
		net_dns_stop(d, n);
		net_network_free(n);
	}
	net__dns_engine_stop(d);
	ipam_space_free(ns->space);
	net_ports_close(d);   /* before the firewall it uses */
	nd_fw_free(ns->fw);
	free(ns);
	d->net = NULL;
}

void netd_net_info(struct netd *d, json_t *info)
{
	struct net_state *ns = net_of(d);
	if (!ns)
		return;
	/* as the last reconcile (at most RECONCILE_MS ago) left it: /info is
	 * a hot path, no netlink dump per request */
	const struct nd_fw_foreign f = ns->fw_foreign;
	char action[512] = "";
	if (f.nchains)
		snprintf(action, sizeof(action),
			 "%s drop%s forwarded traffic by default; netd added %u accept rule%s for its %u bridge%s "
			 "there (iifname/oifname BRIDGE accept, comment \"netd: ...\"), after the owner's own rules",
			 f.where, f.nchains == 1 ? "s" : "", f.rules, f.rules == 1 ? "" : "s", f.bridges,
			 f.bridges == 1 ? "" : "s");
	char legacy[256] = "";
	if (f.legacy[0])
		snprintf(legacy, sizeof(legacy),
			 "%s has policy DROP; netd cannot change legacy iptables, so netd's forwarded traffic "
			 "(published ports included) is dropped until it is accepted there", f.legacy);
	if (f.nchains && ns->fw_foreign_err[0])
		snprintf(action + strlen(action), sizeof(action) - strlen(action), "; the last attempt failed: %s",
			 ns->fw_foreign_err);
	json_object_set_new(info, "Firewall", json_pack("{s:s, s:s, s:b, s:s, s:s, s:i, s:s}",
		"Backend", "nftables",
		"Table", ns->fw ? nd_fw_table(ns->fw) : "",
		"ForeignForwardDrop", f.nchains > 0 || f.legacy[0],
		"ForeignForwardDropWhere", f.where,
		"ForeignForwardAction", action,
		"ForeignForwardRules", (int)f.rules,
		"LegacyIptables", legacy));
	net_ports_info(d, info);
	net_dns_info(d, info);
	json_t *drivers = json_array();
	const struct nd_driver_ops *const *all = net__drivers(d);
	for (size_t i = 0; all[i]; i++)
		json_array_append_new(drivers, json_string(all[i]->name));
	json_object_set_new(json_object_get(info, "Plugins"), "Network", drivers);
}
