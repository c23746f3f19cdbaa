// SPDX-License-Identifier: Apache-2.0
/* The global scope (DESIGN.md decision 5): networks, address allocations
 * and endpoint records of global-scope networks (the vxlan driver) live in
 * the cluster store; every netd mirrors them from the store's watch.
 *
 * Keys (docs/cluster-store.md, "The global scope"):
 *   /netd/v1/networks/<netid>          the network record (JSON), no lease
 *   /netd/v1/names/<name>              <netid>: one name cluster-wide
 *   /netd/v1/vni/<vni>                 <netid>: one VNI per network
 *   /netd/v1/ipam/<netid>/<addr>       {"host","vtep"}: the address is taken,
 *                                      under the allocating host's lease
 *   /netd/v1/endpoints/<netid>/<epid>  {"ipv4","ipv6","mac","vtep","host","name"},
 *                                      under the owning host's lease
 *
 * The mirror: a global network is cached in the local store like any other
 * (so find/list/inspect and the endpoint code work unchanged); addresses
 * other hosts hold are marked in the in-memory pool; other hosts' endpoints
 * are the driver's peers (peer_add / peer_remove on events, peers_sync on a
 * resync). This host's leased keys are kept in `mine` and put again under a
 * new lease, and after an outage; keys to delete while the store was away
 * wait in `gone`. Nothing here blocks the loop: every store round trip is a
 * netd_cluster_run job. */
#include "netd/core/events.h"
#include "netd/net/global.h"

#include <sys/random.h>

#define ADDR_TRIES 64
#define VNI_AUTO_MIN 4096u    /* automatic VNIs start here (Docker's first) */
#define VNI_AUTO_MAX 16000000u

/* ---- helpers ----------------------------------------------------------------- */

/* "10.200.0.5/16" -> "10.200.0.5" */
void net__g_bare_addr(const char *cidr, char out[64])
{
	snprintf(out, 64, "%s", cidr ? cidr : "");
	char *s = strchr(out, '/');
	if (s)
		*s = '\0';
}

json_t *net__g_sub(json_t *o, const char *k)
{
	json_t *v = json_object_get(o, k);
	if (!v) {
		v = json_object();
		json_object_set_new(o, k, v);
	}
	return v;
}

/* key = prefix + "<a>/<b>": a and b into the buffers; false when not that shape */
static bool split2(const char *key, const char *prefix, char a[128], char b[128])
{
	if (!nd_str_has_prefix(key, prefix))
		return false;
	const char *r = key + strlen(prefix);
	const char *slash = strchr(r, '/');
	if (!slash || slash == r || !slash[1] || (size_t)(slash - r) >= 128 || strlen(slash + 1) >= 128)
		return false;
	snprintf(a, 128, "%.*s", (int)(slash - r), r);
	snprintf(b, 128, "%s", slash + 1);
	return true;
}

struct net_pool *net__g_v4_pool(struct net_network *n)
{
	for (int i = 0; i < n->npools; i++)
		if (n->pools[i].family == AF_INET)
			return &n->pools[i];
	return NULL;
}

void net__g_pool_mark(struct net_network *n, const char *addr, bool mark)
{
	struct ipam_addr a;
	struct nd_error e = { 0 };
	if (ipam_addr_parse(addr, "address", &a, &e) < 0)
		return;
	for (int i = 0; i < n->npools; i++) {
		if (!ipam_prefix_contains(ipam_pool_subnet(n->pools[i].pool), &a))
			continue;
		if (mark)
			ipam_pool_mark(n->pools[i].pool, &a, &e);
		else
			ipam_pool_release(n->pools[i].pool, &a, &e);
	}
}

static void peer_of(const json_t *rec, struct nd_drv_peer *p)
{
	memset(p, 0, sizeof(*p));
	snprintf(p->mac, sizeof(p->mac), "%s", nd_json_str(rec, "mac") ? nd_json_str(rec, "mac") : "");
	net__g_bare_addr(nd_json_str(rec, "ipv4"), p->ipv4);
	net__g_bare_addr(nd_json_str(rec, "ipv6"), p->ipv6);
	snprintf(p->vtep, sizeof(p->vtep), "%s", nd_json_str(rec, "vtep") ? nd_json_str(rec, "vtep") : "");
}

/* ---- the data plane follows the mirror -------------------------------------- */

/* The network's remote entries become exactly the mirror's other hosts' endpoints. */
static void peers_sync(struct netd *d, struct net_network *n)
{
	struct net_global *g = net__g(d);
	if (!n->drv->peers_sync || n->dormant)
		return;
	json_t *eps = json_object_get(g->eps, n->rec.id);
	size_t cnt = json_object_size(eps), k = 0;
	_cleanup_free_ struct nd_drv_peer *peers = calloc(cnt + 1, sizeof(*peers));
	if (!peers)
		return;
	const char *epid;
	json_t *rec;
	json_object_foreach(eps, epid, rec) {
		const char *host = nd_json_str(rec, "host");
		if (host && strcmp(host, net__g_me(d)) == 0)
			continue;
		peer_of(rec, &peers[k++]);
	}
	struct nd_drv_network dn;
	net_drv_network(n, &dn);
	struct nd_error e = { 0 };
	if (n->drv->peers_sync(&net_of(d)->drv_ctx, &dn, peers, k, &e) < 0)
		log_warn("cluster: network=%s: peers: %s", n->rec.name, e.msg);
	else
		log_debug("cluster: network=%s: %zu remote endpoints in place", n->rec.name, k);
}

static void peer_event(struct netd *d, const char *netid, const json_t *rec, bool add)
{
	struct net_network *n = net_network_find(d, netid, &(struct nd_error){ 0 });
	if (!n || !net_network_global(n) || n->dormant)
		return;
	struct nd_drv_peer p;
	peer_of(rec, &p);
	struct nd_drv_network dn;
	net_drv_network(n, &dn);
	struct nd_error e = { 0 };
	int rc = add ? n->drv->peer_add(&net_of(d)->drv_ctx, &dn, &p, &e)
		     : n->drv->peer_remove(&net_of(d)->drv_ctx, &dn, &p, &e);
	net__g(d)->peer_events++;
	if (rc < 0)
		log_warn("cluster: network=%s: peer %s %s: %s", n->rec.name, add ? "add" : "remove", p.mac, e.msg);
	else
		log_debug("cluster: network=%s: peer %s %s (%s via %s)", n->rec.name, p.mac, add ? "added" : "removed",
			  p.ipv4, p.vtep);
}

/* ---- networks: the mirror ---------------------------------------------------- */

/* A network the store records and this host does not have yet. */
static void net_arrived(struct netd *d, const char *value)
{
	json_error_t je;
	_cleanup_json_ json_t *j = json_loads(value, JSON_REJECT_DUPLICATES, &je);
	struct nd_network_rec rec;
	struct nd_error e = { 0 };
	if (!j || nd_network_rec_from_json(j, &rec, &e) < 0) {
		log_warn("cluster: ignoring a network record that does not parse: %s", e.msg[0] ? e.msg : je.text);
		return;
	}
	if (net_network_find(d, rec.id, &(struct nd_error){ 0 })) {
		nd_network_rec_clear(&rec);
		return;
	}
	struct net_network *n;
	char name[ND_NAME_MAX + 1];
	snprintf(name, sizeof(name), "%s", rec.name);
	/* a local network of the same name: the store's wins the name in the
	 * cluster; here both exist, the local one found first by name */
	if (net__network_commit(d, &rec, &n, &e) < 0) {
		log_error("cluster: network %s: %s", name, e.msg);
		return;
	}
	peers_sync(d, n);
	/* addresses other hosts took before it arrived here */
	json_t *addrs = json_object_get(net__g(d)->ipam, n->rec.id);
	const char *a;
	json_t *h;
	json_object_foreach(addrs, a, h) {
		if (!json_is_string(h) || strcmp(json_string_value(h), net__g_me(d)) != 0)
			net__g_pool_mark(n, a, true);
	}
}

/* The store no longer has it: gone here too, unless this host still has
 * endpoints on it (then it stays until they leave). */
static void net_left(struct netd *d, struct net_network *n)
{
	struct nd_error e = { 0 };
	char name[ND_NAME_MAX + 1];
	snprintf(name, sizeof(name), "%s", n->rec.name);
	if (net__network_remove(d, n, &e) < 0)
		log_warn("cluster: network %s was deleted in the cluster store but stays here: %s", name, e.msg);
	else
		log_info("cluster: network %s deleted in the cluster store", name);
}

/* This host's keys another host took while our lease was lost: put again
 * (an address key only goes in once that host let go of it). */
static void conflicted_retry(struct netd *d)
{
	struct net_global *g = net__g(d);
	const char *k;
	json_t *v;
	json_object_foreach(g->conflicted, k, v) {
		if (!json_object_get(g->mine, k))
			json_object_set(g->mine, k, v);
	}
	net__g_republish(d);
}

/* ---- watch: events and resync ------------------------------------------------ */

static void ipam_event(struct netd *d, const char *netid, const char *addr, const char *value, bool put)
{
	struct net_global *g = net__g(d);
	json_t *m = net__g_sub(g->ipam, netid);
	struct net_network *n = net_network_find(d, netid, &(struct nd_error){ 0 });
	if (put) {
		_cleanup_json_ json_t *v = json_loads(value ? value : "", 0, NULL);
		const char *host = v ? nd_json_str(v, "host") : NULL;
		json_object_set_new(m, addr, json_string(host ? host : ""));
		if (n && (!host || strcmp(host, net__g_me(d)) != 0))
			net__g_pool_mark(n, addr, true);
		return;
	}
	json_t *was = json_object_get(m, addr);
	bool remote = was && (!json_is_string(was) || strcmp(json_string_value(was), net__g_me(d)) != 0);
	json_object_del(m, addr);
	char key[512];
	net__g_ipam_key(key, sizeof(key), netid, addr);
	if (json_object_get(g->conflicted, key)) {
		/* the host that took our endpoint's address let go: it stays
		 * allocated here, and our endpoint is announced again now */
		conflicted_retry(d);
		return;
	}
	if (n && remote)
		net__g_pool_mark(n, addr, false);
}

static void ep_event(struct netd *d, const char *netid, const char *epid, const char *value, bool put)
{
	struct net_global *g = net__g(d);
	json_t *m = net__g_sub(g->eps, netid);
	if (put) {
		json_t *v = json_loads(value ? value : "", 0, NULL);
		if (!v)
			return;
		json_object_set_new(m, epid, v);
		const char *host = nd_json_str(v, "host");
		if (host && strcmp(host, net__g_me(d)) != 0) {
			peer_event(d, netid, v, true);
			net__dns_remote_put(d, netid, epid, v);
		}
		return;
	}
	json_t *was = json_incref(json_object_get(m, epid));
	json_object_del(m, epid);
	if (was) {
		const char *host = nd_json_str(was, "host");
		if (host && strcmp(host, net__g_me(d)) != 0) {
			peer_event(d, netid, was, false);
			net_dns_names_drop(d, netid, epid);
		}
		json_decref(was);
	}
}


static void on_events(struct netd *d, const struct nd_etcd_event *evs, size_t n, int64_t rev)
{
	for (size_t i = 0; i < n; i++) {
		const struct nd_etcd_event *ev = &evs[i];
		const char *key = ev->kv.key;
		bool put = ev->type == ND_ETCD_EV_PUT;
		char a[128], b[128];
		if (nd_str_has_prefix(key, K_NETS)) {
			const char *id = key + strlen(K_NETS);
			struct net_network *nw = net_network_find(d, id, &(struct nd_error){ 0 });
			if (put && !nw)
				net_arrived(d, ev->kv.value);
			else if (!put && nw && net_network_global(nw))
				net_left(d, nw);
		} else if (split2(key, K_IPAM, a, b)) {
			ipam_event(d, a, b, ev->kv.value, put);
		} else if (split2(key, K_EPS, a, b)) {
			ep_event(d, a, b, ev->kv.value, put);
		}
		/* a key of ours deleted by someone else (or lost with a lease):
		 * put it back */
		if (!put && json_object_get(net__g(d)->mine, key))
			net__g_republish(d);
	}
	(void)rev;
}

static void on_resync(struct netd *d, const struct nd_etcd_kv *kvs, size_t n, int64_t rev)
{
	struct net_global *g = net__g(d);
	struct net_state *ns = net_of(d);
	g->resyncs++;
	/* 1. networks: add what is new; drop global networks the store lost */
	json_t *ids = json_object();
	for (size_t i = 0; i < n; i++) {
		if (!nd_str_has_prefix(kvs[i].key, K_NETS))
			continue;
		const char *id = kvs[i].key + strlen(K_NETS);
		json_object_set_new(ids, id, json_true());
		if (!net_network_find(d, id, &(struct nd_error){ 0 }))
			net_arrived(d, kvs[i].value);
	}
	for (struct net_network *nw = ns->networks, *next; nw; nw = next) {
		next = nw->next;
		if (net_network_global(nw) && !json_object_get(ids, nw->rec.id))
			net_left(d, nw);
	}
	json_decref(ids);
	/* 2. addresses: the pools forget the other hosts' old marks, take the new */
	json_t *old = g->ipam;
	g->ipam = json_object();
	for (size_t i = 0; i < n; i++) {
		char a[128], b[128];
		if (split2(kvs[i].key, K_IPAM, a, b)) {
			_cleanup_json_ json_t *v = json_loads(kvs[i].value ? kvs[i].value : "", 0, NULL);
			const char *host = v ? nd_json_str(v, "host") : NULL;
			json_object_set_new(net__g_sub(g->ipam, a), b, json_string(host ? host : ""));
		}
	}
	for (struct net_network *nw = ns->networks; nw; nw = nw->next) {
		if (!net_network_global(nw))
			continue;
		const char *a;
		json_t *h;
		json_object_foreach(json_object_get(old, nw->rec.id), a, h) {
			bool remote = !json_is_string(h) || strcmp(json_string_value(h), net__g_me(d)) != 0;
			if (remote && !json_object_get(json_object_get(g->ipam, nw->rec.id), a))
				net__g_pool_mark(nw, a, false);
		}
		json_object_foreach(json_object_get(g->ipam, nw->rec.id), a, h) {
			if (!json_is_string(h) || strcmp(json_string_value(h), net__g_me(d)) != 0)
				net__g_pool_mark(nw, a, true);
		}
	}
	json_decref(old);
	/* 3. endpoints: the mirror is replaced; each network's peers and the
	 * names of other hosts' endpoints follow it (within this one turn of
	 * the loop: no query sees a name missing) */
	const char *onet, *oep;
	json_t *oeps, *orec;
	json_object_foreach(g->eps, onet, oeps) {
		json_object_foreach(oeps, oep, orec) {
			const char *host = nd_json_str(orec, "host");
			if (host && strcmp(host, net__g_me(d)) != 0)
				net_dns_names_drop(d, onet, oep);
		}
	}
	json_decref(g->eps);
	g->eps = json_object();
	for (size_t i = 0; i < n; i++) {
		char a[128], b[128];
		if (!split2(kvs[i].key, K_EPS, a, b))
			continue;
		json_t *v = json_loads(kvs[i].value ? kvs[i].value : "", 0, NULL);
		if (!v)
			continue;
		json_object_set_new(net__g_sub(g->eps, a), b, v);
		const char *host = nd_json_str(v, "host");
		if (host && strcmp(host, net__g_me(d)) != 0)
			net__dns_remote_put(d, a, b, v);
	}
	for (struct net_network *nw = ns->networks; nw; nw = nw->next)
		if (net_network_global(nw))
			peers_sync(d, nw);
	g->synced = true;
	log_info("cluster: in step with the store at revision %lld (%zu keys)", (long long)rev, n);
	/* 4. this host's keys: whatever the store lost comes back */
	net__g_republish(d);
}

/* ---- this host's keys: put again (new lease, outage over), deletions -------- */

struct flush_job {
	json_t *put;       /* key -> value */
	json_t *del;       /* key -> true */
	int64_t lease;
	size_t failed;
	json_t *deleted;   /* keys really deleted */
	json_t *conflicts; /* address keys another host holds now */
	char *ipam_value;  /* this host's value of an address key */
};

static void flush_job_free(struct flush_job *j)
{
	json_decref(j->put);
	json_decref(j->del);
	json_decref(j->deleted);
	json_decref(j->conflicts);
	free(j->ipam_value);
	free(j);
}

/* An address key of ours, again: put when it is absent or still ours (its
 * value names this host), never over another host's (it may have taken the
 * address while our lease was lost): -EEXIST then. */
static int own_put(struct nd_etcd *e, const char *k, const char *v, int64_t lease, struct nd_error *err)
{
	const struct nd_etcd_cmp cmp = { .key = k, .kind = ND_ETCD_CMP_VALUE, .value = v };
	const struct nd_etcd_op op = { .kind = ND_ETCD_OP_PUT, .key = k, .value = v, .lease = lease };
	int rc = nd_etcd_txn(e, &cmp, 1, &op, 1, NULL, err);
	if (rc == -EAGAIN)
		rc = nd_etcd_create(e, k, v, lease, err);
	return rc;
}

/* An address key of ours, gone: deleted only while it is still ours. */
static int own_delete(struct nd_etcd *e, const char *k, const char *mine, struct nd_error *err)
{
	const struct nd_etcd_cmp cmp = { .key = k, .kind = ND_ETCD_CMP_VALUE, .value = mine };
	const struct nd_etcd_op op = { .kind = ND_ETCD_OP_DELETE, .key = k };
	int rc = nd_etcd_txn(e, &cmp, 1, &op, 1, NULL, err);
	return rc == -EAGAIN ? 0 : rc;   /* absent, or another host's now */
}

static int flush_work(struct nd_etcd *e, void *arg, struct nd_error *err)
{
	struct flush_job *j = arg;
	const char *k;
	json_t *v;
	int rc = 0;
	/* addresses first: an endpoint whose address another host holds now
	 * is not put back (its peers would point two ways) */
	for (int pass = 0; pass < 2; pass++) {
		json_object_foreach(j->put, k, v) {
			struct nd_error e2 = { 0 };
			bool addr = nd_str_has_prefix(k, K_IPAM);
			if (addr != (pass == 0))
				continue;
			char na[128], nb[128];
			if (!addr && split2(k, K_EPS, na, nb)) {
				_cleanup_json_ json_t *rec = json_loads(json_string_value(v), 0, NULL);
				bool clash = false;
				for (int f = 0; f < 2 && rec; f++) {
					char a[64], ik[512];
					net__g_bare_addr(nd_json_str(rec, f ? "ipv6" : "ipv4"), a);
					net__g_ipam_key(ik, sizeof(ik), na, a);
					clash |= a[0] && json_object_get(j->conflicts, ik);
				}
				if (clash) {
					json_object_set_new(j->conflicts, k, json_true());
					continue;
				}
			}
			int r = addr ? own_put(e, k, json_string_value(v), j->lease, &e2)
				     : nd_etcd_put(e, k, json_string_value(v), j->lease, &e2);
			if (r == -EEXIST) {
				json_object_set_new(j->conflicts, k, json_true());
			} else if (r < 0) {
				j->failed++;
				if (!rc) {
					rc = e2.code;
					*err = e2;
				}
			}
		}
	}
	json_object_foreach(j->del, k, v) {
		struct nd_error e2 = { 0 };
		int r = nd_str_has_prefix(k, K_IPAM) && j->ipam_value ? own_delete(e, k, j->ipam_value, &e2)
								      : nd_etcd_delete(e, k, false, 0, &e2);
		if (r < 0) {
			j->failed++;
			if (!rc) {
				rc = e2.code;
				*err = e2;
			}
		} else {
			json_object_set_new(j->deleted, k, json_true());
		}
	}
	return rc;
}

static void flush_done(struct netd *d, void *arg, int rc, const struct nd_error *err)
{
	struct flush_job *j = arg;
	struct net_global *g = net__g(d);
	if (g) {
		const char *k;
		json_t *v;
		json_object_foreach(j->deleted, k, v) {
			if (!json_object_get(g->mine, k))
				json_object_del(g->gone, k);
		}
		g->flushing = false;
		g->dirty = rc < 0;   /* the periodic reconcile tries again */
		const char *ck;
		json_t *cv;
		json_object_foreach(j->conflicts, ck, cv) {
			/* our lease was lost (an outage longer than the TTL) and
			 * another host took the address meanwhile: two endpoints
			 * have it now. Ours is not announced (the others keep
			 * reaching the new owner) until that host lets go of it:
			 * the periodic reconcile tries again. A reservation no
			 * endpoint uses yet is simply void. */
			char cn[128], ca[128];
			bool reservation = split2(ck, K_IPAM, cn, ca) && json_object_get(json_object_get(g->reserved, cn), ca);
			if (reservation)
				json_object_del(json_object_get(g->reserved, cn), ca);
			json_t *was = json_object_get(j->put, ck);
			if (!reservation && was) {
				if (nd_str_has_prefix(ck, K_IPAM) && !json_object_get(g->conflicted, ck))
					log_error("cluster: %s: another host took this address while this host's lease was "
						  "lost; the local endpoint holding it is not announced until that host lets "
						  "go of it (or reconnect it for a new address)", ck);
				json_object_set(g->conflicted, ck, was);   /* its latest value */
			}
			json_object_del(g->mine, ck);
		}
		/* keys that were in conflict and went in this time: announced again */
		json_object_foreach(j->put, ck, cv) {
			if (rc == 0 && json_object_get(g->conflicted, ck) && !json_object_get(j->conflicts, ck)) {
				if (nd_str_has_prefix(ck, K_IPAM))
					log_info("cluster: %s: the other host let go of this address; the local endpoint "
						 "holding it is announced again", ck);
				json_object_del(g->conflicted, ck);
			}
		}
		if (rc < 0)
			log_warn("cluster: %zu key%s of this host not written yet (retried when the store answers): %s",
				 j->failed, j->failed == 1 ? "" : "s", err ? err->msg : "");
		else if (json_object_size(j->put) > json_object_size(j->conflicts))   /* not for conflicts tried again */
			log_info("cluster: %zu key%s of this host put under lease %llx",
				 json_object_size(j->put) - json_object_size(j->conflicts),
				 json_object_size(j->put) - json_object_size(j->conflicts) == 1 ? "" : "s",
				 (unsigned long long)j->lease);
		if (g->again) {
			g->again = false;
			net__g_republish(d);
		}
	}
	flush_job_free(j);
}

void net__g_republish(struct netd *d)
{
	struct net_global *g = net__g(d);
	if (!g)
		return;
	if (g->flushing) {
		g->again = true;
		return;
	}
	int64_t lease = netd_cluster_lease(d);
	if (!lease || !netd_cluster_healthy(d))
		return; /* on_lease / on_health call again */
	if (!json_object_size(g->mine) && !json_object_size(g->gone))
		return;
	struct flush_job *j = calloc(1, sizeof(*j));
	if (!j)
		return;
	j->put = json_deep_copy(g->mine);
	j->del = json_deep_copy(g->gone);
	j->deleted = json_object();
	j->conflicts = json_object();
	j->ipam_value = net__g_ipam_value(d);
	j->lease = lease;
	struct nd_error e = { 0 };
	g->flushing = true;
	if (netd_cluster_run(d, flush_work, flush_done, j, &e) < 0) {
		g->flushing = false;
		g->dirty = true;
		flush_job_free(j);
	}
}

static void on_lease(struct netd *d, int64_t lease)
{
	log_info("cluster: lease %llx; putting this host's keys under it", (unsigned long long)lease);
	net__g_republish(d);
}

static void on_health(struct netd *d, bool healthy)
{
	if (healthy)
		net__g_republish(d);
}

/* ---- this host's endpoint records -------------------------------------------- */

void net__g_ipam_key(char *out, size_t size, const char *netid, const char *addr)
{
	snprintf(out, size, K_IPAM "%s/%s", netid, addr);
}

void net__g_ep_key(char *out, size_t size, const char *netid, const char *epid)
{
	snprintf(out, size, K_EPS "%s/%s", netid, epid);
}

char *net__g_ipam_value(struct netd *d)
{
	_cleanup_json_ json_t *v = json_pack("{s:s, s:s}", "host", net__g_me(d), "vtep", netd_cluster_advertise(d));
	return json_dumps(v, JSON_COMPACT);
}

char *net__g_ep_value(struct netd *d, const struct nd_endpoint_rec *ep)
{
	_cleanup_json_ json_t *v = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:o}", "ipv4", ep->ipv4, "ipv6", ep->ipv6,
					     "mac", ep->mac, "vtep", netd_cluster_advertise(d), "host", net__g_me(d),
					     "name", ep->owner_name, "sandbox", ep->sandbox_id,
					     "names", net__dns_endpoint_names(d, ep));
	return json_dumps(v, JSON_COMPACT);
}

/* This host's endpoint's keys, remembered (and so put under every lease). */
void net__g_mine_add(struct netd *d, const struct nd_endpoint_rec *ep)
{
	struct net_global *g = net__g(d);
	char k[512], a[64];
	_cleanup_free_ char *iv = net__g_ipam_value(d);
	_cleanup_free_ char *ev = net__g_ep_value(d, ep);
	const char *addrs[] = { ep->ipv4, ep->ipv6 };
	for (size_t i = 0; i < ARRAY_SIZE(addrs); i++) {
		net__g_bare_addr(addrs[i], a);
		if (a[0] && iv) {
			net__g_ipam_key(k, sizeof(k), ep->network_id, a);
			json_object_set_new(g->mine, k, json_string(iv));
			json_object_del(g->gone, k);
		}
	}
	net__g_ep_key(k, sizeof(k), ep->network_id, ep->id);
	if (ev) {
		json_object_set_new(g->mine, k, json_string(ev));
		json_object_del(g->gone, k);
	}
}

void net__global_endpoint_gone(struct netd *d, const struct nd_endpoint_rec *ep)
{
	struct net_global *g = net__g(d);
	if (!g)
		return;
	char k[512], a[64];
	const char *addrs[] = { ep->ipv4, ep->ipv6 };
	for (size_t i = 0; i < ARRAY_SIZE(addrs); i++) {
		net__g_bare_addr(addrs[i], a);
		if (!a[0])
			continue;
		net__g_ipam_key(k, sizeof(k), ep->network_id, a);
		json_object_del(g->mine, k);
		json_object_del(g->conflicted, k);
		json_object_set_new(g->gone, k, json_true());
	}
	net__g_ep_key(k, sizeof(k), ep->network_id, ep->id);
	json_object_del(g->mine, k);
	json_object_del(g->conflicted, k);
	json_object_set_new(g->gone, k, json_true());
	net__g_republish(d);
}

/* At start: the keys of the endpoints this host records on global networks. */
static void mine_load(struct netd *d)
{
	for (struct net_network *n = net_of(d)->networks; n; n = n->next) {
		if (!net_network_global(n))
			continue;
		struct nd_endpoint_list eps;
		if (net_endpoint_list(d, n->rec.id, NULL, &eps, &(struct nd_error){ 0 }) < 0)
			continue;
		for (size_t i = 0; i < eps.n; i++)
			net__g_mine_add(d, &eps.v[i]);
		nd_endpoint_list_clear(&eps);
	}
}

/* ---- create / delete a global network ---------------------------------------- */

struct create_job {
	struct nd_network_rec rec;
	char *value;
	uint32_t vni;
	bool vni_given;
	int tries;
	net_global_network_done done;
	void *arg;
	char name[ND_NAME_MAX + 1];
	int name_taken;   /* work: 1 when the name key exists */
};

static int create_work(struct nd_etcd *e, void *arg, struct nd_error *err)
{
	struct create_job *j = arg;
	char kn[64 + ND_NAME_MAX], kv[64], kk[64 + ND_ID_LEN], vni[16];
	snprintf(kn, sizeof(kn), K_NAMES "%s", j->rec.name);
	snprintf(kv, sizeof(kv), K_VNI "%u", j->vni);
	snprintf(kk, sizeof(kk), K_NETS "%s", j->rec.id);
	snprintf(vni, sizeof(vni), "%u", j->vni);
	const struct nd_etcd_cmp cmps[] = {
		{ .key = kn, .kind = ND_ETCD_CMP_ABSENT },
		{ .key = kv, .kind = ND_ETCD_CMP_ABSENT },
		{ .key = kk, .kind = ND_ETCD_CMP_ABSENT },
	};
	const struct nd_etcd_op ops[] = {
		{ .kind = ND_ETCD_OP_PUT, .key = kn, .value = j->rec.id },
		{ .kind = ND_ETCD_OP_PUT, .key = kv, .value = j->rec.id },
		{ .kind = ND_ETCD_OP_PUT, .key = kk, .value = j->value },
	};
	int rc = nd_etcd_txn(e, cmps, ARRAY_SIZE(cmps), ops, ARRAY_SIZE(ops), NULL, err);
	if (rc == -EAGAIN) {
		struct nd_etcd_kv kvn = { 0 };
		j->name_taken = nd_etcd_get(e, kn, &kvn, NULL, &(struct nd_error){ 0 }) == 0;
		nd_etcd_kv_clear(&kvn);
	}
	return rc;
}

static uint32_t random_vni(void)
{
	uint32_t r = 0;
	if (getrandom(&r, sizeof(r), 0) != sizeof(r))
		r = (uint32_t)nd_now_ns();
	return VNI_AUTO_MIN + r % (VNI_AUTO_MAX - VNI_AUTO_MIN);
}

static int create_value(struct create_job *j, struct nd_error *err)
{
	json_object_set_new(j->rec.driver_data, "vni", json_integer(j->vni));
	free(j->value);
	_cleanup_json_ json_t *v = nd_network_rec_to_json(&j->rec);
	j->value = v ? json_dumps(v, JSON_COMPACT) : NULL;
	return j->value ? 0 : nd_error_set(err, -ENOMEM, "out of memory");
}

static void create_free(struct create_job *j)
{
	nd_network_rec_clear(&j->rec);
	free(j->value);
	free(j);
}

static void create_done(struct netd *d, void *arg, int rc, const struct nd_error *err)
{
	struct create_job *j = arg;
	struct nd_error e = { 0 };
	if (rc == -EAGAIN && !j->name_taken && !j->vni_given && ++j->tries < 8) {
		j->vni = random_vni();   /* the VNI was taken: another one */
		if (create_value(j, &e) == 0 && netd_cluster_run(d, create_work, create_done, j, &e) == 0)
			return;
		rc = e.code;
		err = &e;
	}
	if (rc == -EAGAIN) {
		if (j->name_taken)
			nd_error_set(&e, -EEXIST, "network with name %s already exists in the cluster", j->name);
		else
			nd_error_set(&e, -EEXIST, "VNI %u is taken by another network", j->vni);
		j->done(d, j->arg, NULL, e.code, &e);
		create_free(j);
		return;
	}
	if (rc < 0) {
		j->done(d, j->arg, NULL, rc, err);
		create_free(j);
		return;
	}
	/* recorded in the store; here at once (the watch's event finds it) */
	struct net_network *n = net_network_find(d, j->rec.id, &(struct nd_error){ 0 });
	if (!n) {
		if (net__network_commit(d, &j->rec, &n, &e) < 0) {
			/* the store has it: this host retries at its next resync */
			j->done(d, j->arg, NULL, e.code, &e);
			create_free(j);
			return;
		}
		peers_sync(d, n);
	}
	j->done(d, j->arg, n, 0, NULL);
	create_free(j);
}

int net_global_network_create(struct netd *d, struct net_network_create_req *c, net_global_network_done done,
			      void *arg, struct nd_error *err)
{
	int rc;
	if ((rc = netd_cluster_check(d, err)) < 0)
		return rc;
	if (!net__g(d))
		return nd_error_set(err, -ENOTSUP, "the cluster store is not set up in the net layer");
	struct create_job *j = calloc(1, sizeof(*j));
	if (!j)
		return nd_error_set(err, -ENOMEM, "out of memory");
	if ((rc = net__network_prepare(d, c, &j->rec, err)) < 0) {
		free(j);
		return rc;
	}
	snprintf(j->name, sizeof(j->name), "%s", j->rec.name);
	/* the VNI: -o vni= or a random free one (the transaction proves it free) */
	json_t *opt = json_object_get(j->rec.options, "vni");
	if (!opt)
		opt = json_object_get(j->rec.options, "com.docker.network.driver.overlay.vxlanid_list");
	j->vni_given = opt != NULL;
	j->vni = opt ? (uint32_t)strtoul(json_string_value(opt), NULL, 10) : random_vni();
	j->done = done;
	j->arg = arg;
	if ((rc = create_value(j, err)) < 0 || (rc = netd_cluster_run(d, create_work, create_done, j, err)) < 0) {
		create_free(j);
		return rc;
	}
	return 0;
}

struct delete_job {
	char id[ND_ID_LEN + 1];
	char name[ND_NAME_MAX + 1];
	uint32_t vni;
	net_global_done done;
	void *arg;
};

static int delete_work(struct nd_etcd *e, void *arg, struct nd_error *err)
{
	struct delete_job *j = arg;
	char kn[64 + ND_NAME_MAX], kv[64], kk[64 + ND_ID_LEN], ki[64 + ND_ID_LEN], ke[64 + ND_ID_LEN];
	snprintf(kn, sizeof(kn), K_NAMES "%s", j->name);
	snprintf(kv, sizeof(kv), K_VNI "%u", j->vni);
	snprintf(kk, sizeof(kk), K_NETS "%s", j->id);
	snprintf(ki, sizeof(ki), K_IPAM "%s/", j->id);
	snprintf(ke, sizeof(ke), K_EPS "%s/", j->id);
	const struct nd_etcd_cmp cmps[] = { { .key = kn, .kind = ND_ETCD_CMP_VALUE, .value = j->id } };
	const struct nd_etcd_op ops[] = {
		{ .kind = ND_ETCD_OP_DELETE, .key = kk },
		{ .kind = ND_ETCD_OP_DELETE, .key = kn },
		{ .kind = ND_ETCD_OP_DELETE, .key = kv },
		{ .kind = ND_ETCD_OP_DELETE_PREFIX, .key = ki },
		{ .kind = ND_ETCD_OP_DELETE_PREFIX, .key = ke },
	};
	int rc = nd_etcd_txn(e, cmps, ARRAY_SIZE(cmps), ops, ARRAY_SIZE(ops), NULL, err);
	if (rc == -EAGAIN) /* the name is not ours (any more): delete the record alone */
		rc = nd_etcd_delete(e, kk, false, 0, err);
	return rc;
}

static void delete_done(struct netd *d, void *arg, int rc, const struct nd_error *err)
{
	struct delete_job *j = arg;
	struct nd_error e = { 0 };
	if (rc == 0) {
		struct net_network *n = net_network_find(d, j->id, &(struct nd_error){ 0 });
		if (n && net__network_remove(d, n, &e) < 0)
			log_warn("cluster: network %s: %s", j->name, e.msg);
	}
	j->done(d, j->arg, rc, err);
	free(j);
}

int net_global_network_delete(struct netd *d, struct net_network *n, net_global_done done, void *arg,
			      struct nd_error *err)
{
	int rc;
	if ((rc = netd_cluster_check(d, err)) < 0)
		return rc;
	json_t *eps = net__g(d) ? json_object_get(net__g(d)->eps, n->rec.id) : NULL;
	struct nd_endpoint_list local = { 0 };
	if ((rc = net_endpoint_list(d, n->rec.id, NULL, &local, err)) < 0)
		return rc;
	size_t cnt = json_object_size(eps) > local.n ? json_object_size(eps) : local.n;
	nd_endpoint_list_clear(&local);
	if (cnt)
		return nd_error_set(err, -EBUSY, "network %s has %zu active endpoint%s in the cluster; disconnect them first",
				    n->rec.name, cnt, cnt == 1 ? "" : "s");
	struct delete_job *j = calloc(1, sizeof(*j));
	if (!j)
		return nd_error_set(err, -ENOMEM, "out of memory");
	snprintf(j->id, sizeof(j->id), "%s", n->rec.id);
	snprintf(j->name, sizeof(j->name), "%s", n->rec.name);
	json_t *v = json_object_get(n->rec.driver_data, "vni");
	j->vni = json_is_integer(v) ? (uint32_t)json_integer_value(v) : 0;
	j->done = done;
	j->arg = arg;
	if ((rc = netd_cluster_run(d, delete_work, delete_done, j, err)) < 0)
		free(j);
	return rc;
}

/* ---- the data plane only where there are endpoints ------------------------ */

static bool has_local_endpoints(struct netd *d, struct net_network *n)
{
	struct nd_endpoint_list eps = { 0 };
	if (net_endpoint_list(d, n->rec.id, NULL, &eps, &(struct nd_error){ 0 }) < 0)
		return true;   /* unsure: keep it */
	bool any = eps.n > 0;
	nd_endpoint_list_clear(&eps);
	return any;
}

int net__global_wake(struct netd *d, struct net_network *n, struct nd_error *err)
{
	if (!n->dormant)
		return 0;
	struct nd_drv_network dn;
	net_drv_network(n, &dn);
	int rc = n->drv->network_create(&net_of(d)->drv_ctx, &dn, err);
	if (rc < 0)
		return nd_error_wrap(err, "network %s", n->rec.name);
	n->dormant = false;
	struct nd_error e = { 0 };
	if (net__network_save(d, n, &e) < 0)   /* driver data: re-derivable */
		log_warn("network=%s: saving driver data: %s", n->rec.name, e.msg);
	log_info("cluster: network=%s: first endpoint on this host, its bridge and VXLAN device are up", n->rec.name);
	peers_sync(d, n);
	net_dns_start(d, n);
	return 0;
}

void net__global_sleep_if_idle(struct netd *d, struct net_network *n)
{
	if (n->dormant || !net_network_global(n) || has_local_endpoints(d, n))
		return;
	net_dns_stop(d, n);
	struct nd_drv_network dn;
	net_drv_network(n, &dn);
	struct nd_error e = { 0 };
	if (n->drv->network_delete(&net_of(d)->drv_ctx, &dn, &e) < 0)
		log_warn("cluster: network=%s: removing its data plane: %s", n->rec.name, e.msg);
	n->dormant = true;
	log_info("cluster: network=%s: no endpoint left on this host, its bridge and VXLAN device are gone",
		 n->rec.name);
}

bool net__global_reconcile_dormant(struct netd *d, struct net_network *n)
{
	if (!net_network_global(n) || has_local_endpoints(d, n))
		return false;
	n->dormant = false;   /* whatever a crash left: removed */
	net__global_sleep_if_idle(d, n);
	return true;
}

void net_global_reconcile(struct netd *d)
{
	struct net_global *g = net__g(d);
	if (!g || !g->synced)
		return;
	for (struct net_network *n = net_of(d)->networks; n; n = n->next) {
		if (!net_network_global(n))
			continue;
		net__global_sleep_if_idle(d, n);   /* a sandbox removed with its endpoints */
		peers_sync(d, n);
	}
	if (json_object_size(g->conflicted))
		conflicted_retry(d);
	else if (g->dirty || json_object_size(g->gone))
		net__g_republish(d);
}

/* ---- DNS and /info ---------------------------------------------------------------- */

void net_global_remote_foreach(struct netd *d, const char *network_id, net_global_peer_fn fn, void *arg)
{
	struct net_global *g = net__g(d);
	if (!g)
		return;
	const char *epid;
	json_t *rec;
	json_object_foreach(json_object_get(g->eps, network_id), epid, rec) {
		const char *host = nd_json_str(rec, "host");
		if (host && strcmp(host, net__g_me(d)) == 0)
			continue;
		char v4[64], v6[64];
		net__g_bare_addr(nd_json_str(rec, "ipv4"), v4);
		net__g_bare_addr(nd_json_str(rec, "ipv6"), v6);
		fn(nd_json_str(rec, "name") ? nd_json_str(rec, "name") : "", v4, v6, host ? host : "", arg);
	}
}

json_t *net_global_peers(struct netd *d, const char *network_id)
{
	struct net_global *g = net__g(d);
	if (!g)
		return NULL;
	json_t *seen = json_object(), *out = json_array();
	const char *epid;
	json_t *rec;
	json_object_foreach(json_object_get(g->eps, network_id), epid, rec) {
		const char *host = nd_json_str(rec, "host"), *vtep = nd_json_str(rec, "vtep");
		if (!host || !vtep || json_object_get(seen, host))
			continue;
		json_object_set_new(seen, host, json_true());
		json_array_append_new(out, json_pack("{s:s%, s:s}", "Name", host, (size_t)ND_ID_SHORT, "IP", vtep));
	}
	json_decref(seen);
	return out;
}

void net_global_info(struct netd *d, json_t *info)
{
	struct net_global *g = net__g(d);
	json_t *c = json_object_get(info, "Cluster");
	if (!g || !json_is_object(c))
		return;
	size_t remote = 0;
	const char *netid;
	json_t *m;
	json_object_foreach(g->eps, netid, m) {
		const char *epid;
		json_t *rec;
		json_object_foreach(m, epid, rec) {
			const char *host = nd_json_str(rec, "host");
			remote += !host || strcmp(host, net__g_me(d)) != 0;
		}
	}
	/* addresses of this host's endpoints another host holds (an outage longer than the lease) */
	json_t *conflicts = json_array();
	const char *k;
	json_t *v;
	json_object_foreach(g->conflicted, k, v) {
		char nid[128], addr[128];
		if (split2(k, K_IPAM, nid, addr))
			json_array_append_new(conflicts, json_pack("{s:s, s:s}", "Network", nid, "Address", addr));
	}
	json_object_set_new(c, "GlobalScope", json_pack("{s:b, s:I, s:I, s:I, s:I, s:I, s:I, s:o}", "InStep", g->synced,
		"AddressRaces", (json_int_t)g->races,
		"RemoteEndpoints", (json_int_t)remote, "OwnKeys", (json_int_t)json_object_size(g->mine),
		"PendingDeletes", (json_int_t)json_object_size(g->gone), "PeerEvents", (json_int_t)g->peer_events,
		"Resyncs", (json_int_t)g->resyncs, "AddressConflicts", conflicts));
}

/* ---- start / stop -------------------------------------------------------------- */

int net_global_start(struct netd *d, struct nd_error *err)
{
	struct net_state *ns = net_of(d);
	ns->drv_ctx.advertise = netd_cluster_configured(d) ? netd_cluster_advertise(d) : "";
	if (!netd_cluster_configured(d))
		return 0;
	struct net_global *g = calloc(1, sizeof(*g));
	if (!g)
		return nd_error_set(err, -ENOMEM, "out of memory");
	g->eps = json_object();
	g->ipam = json_object();
	g->mine = json_object();
	g->gone = json_object();
	g->reserved = json_object();
	g->conflicted = json_object();
	ns->global = g;
	mine_load(d);
	static const struct netd_cluster_hooks hooks = {
		.on_resync = on_resync,
		.on_events = on_events,
		.on_lease = on_lease,
		.on_health = on_health,
	};
	netd_cluster_set_hooks(d, &hooks);
	return 0;
}

void net_global_stop(struct netd *d)
{
	struct net_global *g = net__g(d);
	if (!g)
		return;
	json_decref(g->eps);
	json_decref(g->ipam);
	json_decref(g->mine);
	json_decref(g->gone);
	json_decref(g->reserved);
	json_decref(g->conflicted);
	free(g);
	net_of(d)->global = NULL;
}
