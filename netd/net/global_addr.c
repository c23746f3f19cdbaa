// SPDX-License-Identifier: Apache-2.0
/* The global scope's addresses: an address of a global network is taken by
 * a compare-and-swap create of /netd/v1/ipam/<netid>/<addr> under this
 * host's lease (on -EEXIST another host has it: it stays marked in our pool
 * and the next one is tried), in a thread-pool job. Taken, it is *reserved*
 * here until an endpoint uses it: net_endpoint_connect on a global network
 * takes a reservation (net__global_take) instead of allocating, so the
 * synchronous connect path never hands out an address the store has not
 * given this host. API connects and container starts reserve first
 * (net_global_reserve), then connect. */
#include "netd/net/global.h"

#define ADDR_TRIES 64

struct reserve_job {
	char netid[ND_ID_LEN + 1];
	int family;           /* AF_INET or AF_INET6 */
	char addr[64];        /* the candidate */
	bool wished;          /* the caller asked for this address */
	bool held;            /* addr is allocated in the local pool for us */
	char key[512];
	char *value;
	int64_t lease;
	int tries;
	char *got;            /* NULL, or where the address taken goes (64 bytes) */
	net_global_done done;
	void *arg;
};

static void reserve_free(struct reserve_job *j)
{
	free(j->value);
	free(j);
}

static int cas_work(struct nd_etcd *e, void *arg, struct nd_error *err)
{
	struct reserve_job *j = arg;
	return nd_etcd_create(e, j->key, j->value, j->lease, err);
}

static void reserve_fail(struct netd *d, struct reserve_job *j, int rc, const struct nd_error *err)
{
	struct net_network *n = net_network_find(d, j->netid, &(struct nd_error){ 0 });
	if (n && j->held)
		net__g_pool_mark(n, j->addr, false);
	j->done(d, j->arg, rc, err);
	reserve_free(j);
}

static void cas_done(struct netd *d, void *arg, int rc, const struct nd_error *err);

/* The next candidate and its CAS job. */
static int reserve_try(struct netd *d, struct reserve_job *j, struct nd_error *err)
{
	struct net_network *n = net_network_find(d, j->netid, err);
	if (!n)
		return err->code;
	struct net_pool *p = NULL;
	for (int i = 0; i < n->npools && !p; i++)
		if (n->pools[i].family == j->family)
			p = &n->pools[i];
	if (!p)
		return nd_error_set(err, -EINVAL, "network %s has no IPv%d subnet", n->rec.name, j->family == AF_INET ? 4 : 6);
	struct ipam_addr a;
	int rc;
	if (j->wished) {
		struct ipam_addr want;
		if ((rc = ipam_addr_parse(j->addr, j->family == AF_INET ? "IPv4 address" : "IPv6 address", &want, err)) < 0)
			return rc;
		if (want.family != j->family)
			return nd_error_set(err, -EINVAL, "\"%s\" is not an IPv%d address", j->addr, j->family == AF_INET ? 4 : 6);
		if (!ipam_prefix_contains(ipam_pool_subnet(p->pool), &want))
			return nd_error_set(err, -EINVAL, "address %s is not in any subnet of network %s", j->addr,
					    n->rec.name);
		if ((rc = ipam_pool_alloc(p->pool, &want, &a, err)) < 0)
			return nd_error_wrap(err, "network %s", n->rec.name);
	} else if ((rc = ipam_pool_alloc(p->pool, NULL, &a, err)) < 0) {
		return nd_error_wrap(err, "network %s", n->rec.name);
	}
	char b[IPAM_ADDR_STRLEN];
	snprintf(j->addr, sizeof(j->addr), "%s", ipam_addr_format(&a, b));
	j->held = true;
	net__g_ipam_key(j->key, sizeof(j->key), j->netid, j->addr);
	free(j->value);
	j->value = net__g_ipam_value(d);
	j->lease = netd_cluster_lease(d);
	if (!j->lease || !j->value)
		rc = nd_error_set(err, -EAGAIN, "network %s: this host has no lease in the cluster store yet; try again",
				  n->rec.name);
	else
		rc = netd_cluster_run(d, cas_work, cas_done, j, err);
	if (rc < 0) {
		net__g_pool_mark(n, j->addr, false);
		j->held = false;
	}
	return rc;
}

static void cas_done(struct netd *d, void *arg, int rc, const struct nd_error *err)
{
	struct reserve_job *j = arg;
	struct nd_error e = { 0 };
	struct net_global *g = net__g(d);
	struct net_network *n = g ? net_network_find(d, j->netid, &e) : NULL;
	if (!n) {
		j->held = false;
		if (!g)
			nd_error_set(&e, -ESHUTDOWN, "netd is stopping");
		reserve_fail(d, j, e.code, &e);
		return;
	}
	if (rc == -EEXIST) {
		/* another host has it: it stays marked in our pool (the
		 * watch releases it when that host lets go); the next one */
		json_t *m = net__g_sub(g->ipam, j->netid);
		if (!json_object_get(m, j->addr))
			json_object_set_new(m, j->addr, json_string(""));
		j->held = false;
		g->races++;
		if (j->wished) {
			nd_error_set(&e, -EEXIST, "address %s is already in use in network %s (another host)", j->addr,
				     n->rec.name);
			reserve_fail(d, j, e.code, &e);
			return;
		}
		if (++j->tries >= ADDR_TRIES) {
			nd_error_set(&e, -ENOSPC, "network %s: no free address after %d tries", n->rec.name, j->tries);
			reserve_fail(d, j, e.code, &e);
			return;
		}
		if (reserve_try(d, j, &e) < 0)
			reserve_fail(d, j, e.code, &e);
		return;
	}
	if (rc < 0) {
		reserve_fail(d, j, rc, err);
		return;
	}
	/* ours in the cluster: reserved here (still allocated in the pool),
	 * and put again under every new lease until it is released */
	json_object_set_new(net__g_sub(g->ipam, j->netid), j->addr, json_string(net__g_me(d)));
	json_object_set_new(net__g_sub(g->reserved, j->netid), j->addr, json_true());
	json_object_set_new(g->mine, j->key, json_string(j->value));
	json_object_del(g->gone, j->key);
	if (j->got)
		snprintf(j->got, 64, "%s", j->addr);
	j->done(d, j->arg, 0, NULL);
	reserve_free(j);
}

static bool has_family(const struct net_network *n, int family)
{
	for (int i = 0; i < n->npools; i++)
		if (n->pools[i].family == family)
			return true;
	return false;
}

static bool is_family(const char *addr, int family)
{
	return (strchr(addr, ':') != NULL) == (family == AF_INET6);
}

/* A reservation of this family on n (wish, or any): its address, or NULL. */
static const char *reserved_addr(struct netd *d, const struct net_network *n, int family, const char *wish)
{
	struct net_global *g = net__g(d);
	json_t *r = g ? json_object_get(g->reserved, n->rec.id) : NULL;
	if (wish && *wish)
		return json_object_get(r, wish) ? wish : NULL;
	const char *a;
	json_t *v;
	json_object_foreach(r, a, v) {
		if (is_family(a, family))
			return a;
	}
	return NULL;
}

static int reserve_one(struct netd *d, struct net_network *n, int family, const char *wish, char *got,
		       net_global_done done, void *arg, struct nd_error *err)
{
	struct reserve_job *j = calloc(1, sizeof(*j));
	if (!j)
		return nd_error_set(err, -ENOMEM, "out of memory");
	snprintf(j->netid, sizeof(j->netid), "%s", n->rec.id);
	j->family = family;
	j->wished = wish && *wish;
	if (j->wished)
		snprintf(j->addr, sizeof(j->addr), "%s", wish);
	j->got = got;
	j->done = done;
	j->arg = arg;
	int rc = reserve_try(d, j, err);
	if (rc < 0)
		reserve_free(j);
	return rc;
}

/* One reservation per family the network has: IPv4 first, then IPv6. */
struct pair_job {
	char netid[ND_ID_LEN + 1];
	char wish6[64];
	char got4[64];        /* the IPv4 address this job reserved */
	net_global_done done;
	void *arg;
};

/* A reservation nothing will use: out of the reservations and the pool,
 * its key deleted from the store. */
static void reservation_drop(struct netd *d, const char *netid, const char *addr)
{
	struct net_global *g = net__g(d);
	if (!g || !json_object_get(json_object_get(g->reserved, netid), addr))
		return;
	json_object_del(json_object_get(g->reserved, netid), addr);
	struct net_network *n = net_network_find(d, netid, &(struct nd_error){ 0 });
	if (n)
		net__g_pool_mark(n, addr, false);
	net__global_addr_unused(d, netid, addr);
}

static void pair_v6_done(struct netd *d, void *arg, int rc, const struct nd_error *err)
{
	struct pair_job *p = arg;
	/* the connect fails: the IPv4 address taken for it goes back */
	if (rc < 0 && p->got4[0])
		reservation_drop(d, p->netid, p->got4);
	p->done(d, p->arg, rc, err);
	free(p);
}

static void pair_v4_done(struct netd *d, void *arg, int rc, const struct nd_error *err)
{
	struct pair_job *p = arg;
	struct nd_error e = { 0 };
	struct net_network *n = rc < 0 ? NULL : net_network_find(d, p->netid, &e);
	if (rc < 0 || !n) {
		p->done(d, p->arg, rc < 0 ? rc : e.code, rc < 0 ? err : &e);
		free(p);
		return;
	}
	if (!has_family(n, AF_INET6) || reserved_addr(d, n, AF_INET6, p->wish6)) {
		pair_v6_done(d, p, 0, NULL);
		return;
	}
	if ((rc = reserve_one(d, n, AF_INET6, p->wish6, NULL, pair_v6_done, p, &e)) < 0)
		pair_v6_done(d, p, rc, &e);
}

int net_global_reserve(struct netd *d, struct net_network *n, const char *wish4, const char *wish6,
		       net_global_done done, void *arg, struct nd_error *err)
{
	int rc;
	if ((rc = netd_cluster_check(d, err)) < 0)
		return nd_error_wrap(err, "network %s", n->rec.name);
	if (!net__g(d) || !net__g(d)->synced)
		return nd_error_set(err, -EAGAIN, "network %s: this host is not in step with the cluster store yet; "
				    "try again", n->rec.name);
	if (wish6 && *wish6 && !has_family(n, AF_INET6))
		return nd_error_set(err, -EINVAL, "network %s has no IPv6 subnet", n->rec.name);
	if (wish4 && *wish4 && !has_family(n, AF_INET))
		return nd_error_set(err, -EINVAL, "network %s has no IPv4 subnet", n->rec.name);
	struct pair_job *p = calloc(1, sizeof(*p));
	if (!p)
		return nd_error_set(err, -ENOMEM, "out of memory");
	snprintf(p->netid, sizeof(p->netid), "%s", n->rec.id);
	snprintf(p->wish6, sizeof(p->wish6), "%s", wish6 ? wish6 : "");
	p->done = done;
	p->arg = arg;
	if (!has_family(n, AF_INET) || reserved_addr(d, n, AF_INET, wish4)) {
		/* the IPv6 one alone (a job: done never runs before we return) */
		if (!has_family(n, AF_INET6) || reserved_addr(d, n, AF_INET6, wish6)) {
			free(p);
			return nd_error_set(err, -EALREADY, "network %s: addresses reserved already", n->rec.name);
		}
		rc = reserve_one(d, n, AF_INET6, wish6, NULL, pair_v6_done, p, err);
	} else {
		rc = reserve_one(d, n, AF_INET, wish4, p->got4, pair_v4_done, p, err);
	}
	if (rc < 0)
		free(p);
	return rc;
}

bool net_global_reserved(struct netd *d, const struct net_network *n, const char *wish4, const char *wish6)
{
	return (!has_family(n, AF_INET) || reserved_addr(d, n, AF_INET, wish4)) &&
	       (!has_family(n, AF_INET6) || reserved_addr(d, n, AF_INET6, wish6));
}

int net__global_take(struct netd *d, struct net_network *n, const char *wish4, const char *wish6, char out4[64],
		     char out6[64], struct nd_error *err)
{
	struct net_global *g = net__g(d);
	json_t *r = g ? json_object_get(g->reserved, n->rec.id) : NULL;
	const char *wishes[2] = { wish4, wish6 };
	char *outs[2] = { out4, out6 };
	const int fams[2] = { AF_INET, AF_INET6 };
	out4[0] = out6[0] = '\0';
	for (int f = 0; f < 2; f++) {
		if (!has_family(n, fams[f]))
			continue;
		const char *a = reserved_addr(d, n, fams[f], wishes[f]);
		if (!a || !is_family(a, fams[f])) {
			if (f == 1 && out4[0]) {   /* give the IPv4 one back to the reservations */
				json_object_set_new(r, out4, json_true());
				net__g_pool_mark(n, out4, true);
			}
			return nd_error_set(err, -EAGAIN, "network %s is global: %s is not taken in the cluster store for "
					    "this host (connect through the API, which takes it first)", n->rec.name,
					    wishes[f] && *wishes[f] ? wishes[f] : fams[f] == AF_INET ? "an IPv4 address" :
					    "an IPv6 address");
		}
		snprintf(outs[f], 64, "%s", a);
		json_object_del(r, outs[f]);
		/* connect allocates it again as its wish */
		net__g_pool_mark(n, outs[f], false);
	}
	return 0;
}

/* ---- the endpoint's record ---------------------------------------------------- */

struct epput_job {
	char key[512];
	char *value;
	int64_t lease;
};

static int epput_work(struct nd_etcd *e, void *arg, struct nd_error *err)
{
	struct epput_job *j = arg;
	return nd_etcd_put(e, j->key, j->value, j->lease, err);
}

static void epput_done(struct netd *d, void *arg, int rc, const struct nd_error *err)
{
	struct epput_job *j = arg;
	if (rc < 0)   /* in `mine`: put again when the store answers */
		log_warn("cluster: %s: not in the store yet: %s", j->key, err ? err->msg : "");
	free(j->value);
	free(j);
}

void net__global_endpoint_added(struct netd *d, const struct nd_endpoint_rec *ep)
{
	struct net_global *g = net__g(d);
	if (!g)
		return;
	net__g_mine_add(d, ep);
	struct epput_job *j = calloc(1, sizeof(*j));
	if (!j)
		return;
	net__g_ep_key(j->key, sizeof(j->key), ep->network_id, ep->id);
	j->value = net__g_ep_value(d, ep);
	j->lease = netd_cluster_lease(d);
	struct nd_error e = { 0 };
	if (!j->value || !j->lease || netd_cluster_run(d, epput_work, epput_done, j, &e) < 0) {
		free(j->value);
		free(j);
		net__g_republish(d);   /* when the store answers */
	}
}

void net__global_addr_unused(struct netd *d, const char *network_id, const char *cidr)
{
	struct net_global *g = net__g(d);
	if (!g || !cidr || !*cidr)
		return;
	char a[64], k[512];
	net__g_bare_addr(cidr, a);
	net__g_ipam_key(k, sizeof(k), network_id, a);
	json_object_del(g->mine, k);
	json_object_set_new(g->gone, k, json_true());
	net__g_republish(d);
}
