// SPDX-License-Identifier: Apache-2.0
/* Endpoints: connect, disconnect, forget, and their repair. */
#include "netd/core/events.h"
#include "netd/net/net.h"

void net_drv_endpoint(const struct nd_endpoint_rec *ep, struct nd_drv_endpoint *out)
{
	memset(out, 0, sizeof(*out));
	out->id = ep->id;
	out->network_id = ep->network_id;
	snprintf(out->mac, sizeof(out->mac), "%s", ep->mac);
	snprintf(out->ipv4, sizeof(out->ipv4), "%s", ep->ipv4);
	snprintf(out->ipv6, sizeof(out->ipv6), "%s", ep->ipv6);
	out->data = ep->driver_data;
}

void net_drv_sandbox(const struct nd_sandbox_rec *sb, const struct nd_endpoint_rec *ep, struct nd_drv_sandbox *out)
{
	memset(out, 0, sizeof(*out));
	out->id = sb->id;
	out->netns_path = sb->netns_path;
	snprintf(out->ifname, sizeof(out->ifname), "%s", ep->ifname[0] ? ep->ifname : "eth0");
	out->default_route = ep->default_route;
}

/* "172.18.0.2/16" -> pool of the matching family containing it */
static struct net_pool *pool_for(struct net_network *n, const char *cidr, struct ipam_addr *a)
{
	struct nd_error e = { 0 };
	struct ipam_prefix p;
	if (!cidr || !*cidr || ipam_prefix_parse(cidr, "address", IPAM_PREFIX_HOST_BITS_OK, &p, &e) < 0)
		return NULL;
	*a = p.addr;
	for (int i = 0; i < n->npools; i++)
		if (ipam_prefix_contains(ipam_pool_subnet(n->pools[i].pool), a))
			return &n->pools[i];
	return NULL;
}

void net_endpoint_release_pools(struct net_network *n, const struct nd_endpoint_rec *ep)
{
	const char *addrs[] = { ep->ipv4, ep->ipv6 };
	for (size_t i = 0; i < ARRAY_SIZE(addrs); i++) {
		struct ipam_addr a;
		struct net_pool *p = pool_for(n, addrs[i], &a);
		struct nd_error e = { 0 };
		if (p)
			ipam_pool_release(p->pool, &a, &e);
	}
}

/* The target of connect/disconnect: a sandbox, or what an upper layer's
 * hook resolves (a container's sandbox). */
struct target {
	struct nd_sandbox_rec sb;
	char owner_id[ND_ID_LEN + 1];    /* "" when the target is the sandbox itself */
	char owner_name[ND_NAME_MAX + 1];
};

static int resolve_target(struct netd *d, const char *ref, struct target *t, struct nd_error *err)
{
	char sbid[ND_ID_LEN + 1];
	memset(t, 0, sizeof(*t));
	struct nd_error e = { 0 };
	if (net_sandbox_lookup(d, ref, &t->sb, &e) == 0) {
		snprintf(t->owner_name, sizeof(t->owner_name), "%s", t->sb.name);
		return 0;
	}
	const struct net_hooks *h = &net_of(d)->hooks;
	if (!h->resolve_target)
		return nd_error_set(err, -ENOENT, "no such sandbox: %s", ref);
	int rc = h->resolve_target(d, ref, sbid, t->owner_id, t->owner_name, err);
	if (rc < 0)
		return rc;
	return net_sandbox_lookup(d, sbid, &t->sb, err);
}

static int pick_ifname(struct netd *d, const char *sbid, const char *want, char out[IFNAMSIZ], bool *first,
		       struct nd_error *err)
{
	struct nd_endpoint_list eps;
	int rc = net_endpoint_list(d, NULL, sbid, &eps, err);
	if (rc < 0)
		return rc;
	*first = true;
	for (size_t k = 0; k < eps.n; k++)
		*first &= !eps.v[k].default_route;
	if (want && *want) {
		/* the caller's name (CNI_IFNAME): unique in the sandbox */
		for (size_t k = 0; k < eps.n; k++) {
			if (strcmp(eps.v[k].ifname, want) == 0) {
				nd_endpoint_list_clear(&eps);
				return nd_error_set(err, -EEXIST, "sandbox %.12s already has an interface %s", sbid, want);
			}
		}
		nd_endpoint_list_clear(&eps);
		snprintf(out, IFNAMSIZ, "%s", want);
		return 0;
	}
	for (int i = 0; i < 1000; i++) {
		snprintf(out, IFNAMSIZ, "eth%d", i);
		bool used = false;
		for (size_t k = 0; k < eps.n; k++)
			used |= strcmp(eps.v[k].ifname, out) == 0;
		if (!used) {
			nd_endpoint_list_clear(&eps);
			return 0;
		}
	}
	nd_endpoint_list_clear(&eps);
	return nd_error_set(err, -ENOSPC, "sandbox %.12s has too many interfaces", sbid);
}

/* Allocates one address per pool family; static wishes must fit a pool. */
static int alloc_addrs(struct net_network *n, const struct net_connect_req *c, char v4[64], char v6[64],
		       struct nd_error *err)
{
	v4[0] = v6[0] = '\0';
	struct ipam_addr want4, want6;
	bool has4 = c->ipv4 && *c->ipv4, has6 = c->ipv6 && *c->ipv6;
	int rc;
	if (has4 && (rc = ipam_addr_parse(c->ipv4, "IPv4 address", &want4, err)) < 0)
		return rc;
	if (has6 && (rc = ipam_addr_parse(c->ipv6, "IPv6 address", &want6, err)) < 0)
		return rc;
	if (has4 && want4.family != AF_INET)
		return nd_error_set(err, -EINVAL, "\"%s\" is not an IPv4 address", c->ipv4);
	if (has6 && want6.family != AF_INET6)
		return nd_error_set(err, -EINVAL, "\"%s\" is not an IPv6 address", c->ipv6);
	struct net_pool *got[2] = { NULL, NULL };
	struct ipam_addr addr[2];
	for (int fam = 0; fam < 2; fam++) {
		int family = fam ? AF_INET6 : AF_INET;
		const struct ipam_addr *want = fam ? (has6 ? &want6 : NULL) : (has4 ? &want4 : NULL);
		struct net_pool *p = NULL;
		for (int i = 0; i < n->npools && !p; i++) {
			if (n->pools[i].family != family)
				continue;
			if (!want || ipam_prefix_contains(ipam_pool_subnet(n->pools[i].pool), want))
				p = &n->pools[i];
		}
		if (!p) {
			if (want) {
				char b[IPAM_ADDR_STRLEN];
				rc = nd_error_set(err, -EINVAL, "address %s is not in any subnet of network %s",
						  ipam_addr_format(want, b), n->rec.name);
				goto undo;
			}
			continue;
		}
		if ((rc = ipam_pool_alloc(p->pool, want, &addr[fam], err)) < 0) {
			nd_error_wrap(err, "network %s", n->rec.name);
			goto undo;
		}
		got[fam] = p;
		char b[IPAM_ADDR_STRLEN];
		snprintf(fam ? v6 : v4, 64, "%s/%d", ipam_addr_format(&addr[fam], b), ipam_pool_subnet(p->pool)->len);
	}
	return 0;
undo:
	for (int fam = 0; fam < 2; fam++)
		if (got[fam])
			ipam_pool_release(got[fam]->pool, &addr[fam], &(struct nd_error){ 0 });
	return rc;
}

static int claim_addrs(struct netd *d, struct net_network *n, const struct nd_endpoint_rec *ep, struct nd_error *err)
{
	const char *addrs[] = { ep->ipv4, ep->ipv6 };
	bool cursor_moved = false;
	for (size_t i = 0; i < ARRAY_SIZE(addrs); i++) {
		struct ipam_addr a;
		struct net_pool *p = pool_for(n, addrs[i], &a);
		if (!p)
			continue;
		char b[IPAM_ADDR_STRLEN];
		int rc = store_addr_claim(d->store, p->key, ipam_addr_format(&a, b), ep->id, err);
		if (rc < 0)
			return rc;
		struct ipam_addr cur;
		if (ipam_pool_cursor_get(p->pool, &cur)) {
			char cb[IPAM_ADDR_STRLEN];
			char sb[IPAM_PREFIX_STRLEN];
			json_object_set_new(n->rec.cursors, ipam_prefix_format(ipam_pool_subnet(p->pool), sb),
					    json_string(ipam_addr_format(&cur, cb)));
			cursor_moved = true;
		}
	}
	return cursor_moved ? net__network_save(d, n, err) : 0;
}

/* The arguments of one driver call about an endpoint, built once. */
struct drv_call {
	struct nd_drv_ctx *ctx;
	struct nd_drv_network dn;
	struct nd_drv_endpoint de;
	struct nd_drv_sandbox ds;      /* valid when a sandbox was given */
};

static void drv_call_fill(struct drv_call *c, struct netd *d, const struct net_network *n,
			  const struct nd_endpoint_rec *ep, const struct nd_sandbox_rec *sb)
{
	c->ctx = &net_of(d)->drv_ctx;
	net_drv_network(n, &c->dn);
	net_drv_endpoint(ep, &c->de);
	if (sb)
		net_drv_sandbox(sb, ep, &c->ds);
	else
		memset(&c->ds, 0, sizeof(c->ds));
}

/* Kernel side of an endpoint: create + join, idempotent. */
static int endpoint_plumb(struct netd *d, struct net_network *n, struct nd_endpoint_rec *ep,
			  const struct nd_sandbox_rec *sb, struct nd_error *err)
{
	struct drv_call c;
	drv_call_fill(&c, d, n, ep, sb);
	int rc;
	if ((rc = n->drv->endpoint_create(c.ctx, &c.dn, &c.de, err)) < 0 ||
	    (rc = n->drv->join(c.ctx, &c.dn, &c.de, &c.ds, err)) < 0 ||
	    (rc = n->drv->program_external_connectivity(c.ctx, &c.dn, &c.de, err)) < 0)
		return rc;
	if (c.de.mac[0] && !ep->mac[0])
		snprintf(ep->mac, sizeof(ep->mac), "%s", c.de.mac);
	return 0;
}

static void endpoint_unplumb(struct netd *d, struct net_network *n, const struct nd_endpoint_rec *ep,
			     const struct nd_sandbox_rec *sb)
{
	struct drv_call c;
	drv_call_fill(&c, d, n, ep, sb);
	struct nd_error e = { 0 };
	if (n->drv->revoke_external_connectivity(c.ctx, &c.dn, &c.de, &e) < 0)
		log_warn("endpoint=%.12s: revoke connectivity: %s", c.de.id, e.msg);
	if (sb) {
		nd_error_clear(&e);
		if (n->drv->leave(c.ctx, &c.dn, &c.de, &c.ds, &e) < 0)
			log_warn("endpoint=%.12s: leave: %s", c.de.id, e.msg);
	}
	nd_error_clear(&e);
	if (n->drv->endpoint_delete(c.ctx, &c.dn, &c.de, &e) < 0)
		log_warn("endpoint=%.12s: delete: %s", c.de.id, e.msg);
}

int net_endpoint_repair(struct netd *d, struct net_network *n, struct nd_endpoint_rec *ep,
			const struct nd_sandbox_rec *sb, struct nd_error *err)
{
	struct drv_call c;
	drv_call_fill(&c, d, n, ep, sb);
	/* A crash between plumbing and saving the driver's data leaves an
	 * endpoint whose interface names are not recorded: endpoint_create is
	 * idempotent and records them, so reconcile never takes a working
	 * endpoint's veth for an orphan. */
	_cleanup_free_ char *before = nd_json_dump(c.de.data);
	int rc = n->drv->endpoint_create(c.ctx, &c.dn, &c.de, err);
	if (rc < 0)
		return rc;
	_cleanup_free_ char *after = nd_json_dump(c.de.data);
	if (before && after && strcmp(before, after) != 0 && (rc = store_endpoint_put(d->store, ep, err)) < 0)
		return rc;
	if (n->drv->endpoint_ok && n->drv->endpoint_ok(c.ctx, &c.dn, &c.de, &c.ds))
		return 0;
	log_info("endpoint=%.12s network=%s sandbox=%.12s: repairing", c.de.id, n->rec.name, c.ds.id);
	return endpoint_plumb(d, n, ep, sb, err);
}

/* Drops one endpoint's record and claims in a transaction of its own. */
static void endpoint_forget_one(struct netd *d, const struct nd_endpoint_rec *ep)
{
	struct nd_error e = { 0 };
	if (store_tx_begin(d->store, &e) < 0)
		return;
	if (net__endpoints_forget(d, ep, 1, &e) < 0)
		store_tx_rollback(d->store);
	else
		store_tx_commit(d->store, &e);
}

static int endpoint_connect(struct netd *d, struct net_network *n, const struct net_connect_req *c,
			    struct nd_endpoint_rec *ep, struct nd_error *err)
{
	struct target t;
	int rc = resolve_target(d, c->target, &t, err);
	if (rc < 0)
		return rc;
	struct nd_endpoint_list existing = { 0 };
	if ((rc = net_endpoint_list(d, n->rec.id, t.sb.id, &existing, err)) < 0)
		goto out_sb;
	size_t nexisting = existing.n;
	nd_endpoint_list_clear(&existing);
	if (nexisting > 0) {
		rc = nd_error_set(err, -EEXIST, "%s is already connected to network %s", c->target, n->rec.name);
		goto out_sb;
	}
	/* a global network's first endpoint here: its data plane first */
	if (n->dormant && (rc = net__global_wake(d, n, err)) < 0)
		goto out_sb;
	bool first = true;
	if ((rc = nd_endpoint_rec_init(ep)) < 0) {
		nd_error_set(err, rc, "out of memory");
		goto out_sb;
	}
	if ((rc = pick_ifname(d, t.sb.id, c->ifname, ep->ifname, &first, err)) < 0)
		goto out_ep;
	if ((rc = nd_id_new(ep->id)) < 0) {
		nd_error_set(err, rc, "generating id: %s", strerror(-rc));
		goto out_ep;
	}
	/* a global network: the address this host took in the cluster store */
	struct net_connect_req cg = *c;
	char taken[64] = "", taken6[64] = "";
	bool global = net_network_global(n);
	if (global) {
		if ((rc = net__global_take(d, n, c->ipv4, c->ipv6, taken, taken6, err)) < 0)
			goto out_ep;
		cg.ipv4 = taken;
		cg.ipv6 = taken6;
		c = &cg;
	}
	if ((rc = alloc_addrs(n, c, ep->ipv4, ep->ipv6, err)) < 0)
		goto out_taken;
	snprintf(ep->network_id, sizeof(ep->network_id), "%s", n->rec.id);
	snprintf(ep->sandbox_id, sizeof(ep->sandbox_id), "%s", t.sb.id);
	snprintf(ep->container_id, sizeof(ep->container_id), "%s", t.owner_id);
	snprintf(ep->owner_name, sizeof(ep->owner_name), "%s", t.owner_name);
	snprintf(ep->mac, sizeof(ep->mac), "%s", c->mac ? c->mac : "");
	ep->default_route = first && !n->rec.internal;
	if (c->aliases)
		json_array_extend(ep->aliases, (json_t *)c->aliases);

	/* intent: the endpoint and its addresses are recorded in one
	 * transaction before the kernel is touched; reconcile finishes or
	 * repairs a connect that a crash interrupted */
	if ((rc = store_tx_begin(d->store, err)) < 0)
		goto fail_pools;
	if ((rc = store_endpoint_put(d->store, ep, err)) < 0 || (rc = claim_addrs(d, n, ep, err)) < 0) {
		store_tx_rollback(d->store);
		goto fail_pools;
	}
	if ((rc = store_tx_commit(d->store, err)) < 0)
		goto fail_pools;

	if ((rc = endpoint_plumb(d, n, ep, &t.sb, err)) < 0) {
		nd_error_wrap(err, "connect %s to network %s", c->target, n->rec.name);
		endpoint_unplumb(d, n, ep, &t.sb);
		endpoint_forget_one(d, ep);
		goto fail_pools;
	}
	struct nd_error e3 = { 0 };
	if (store_endpoint_put(d->store, ep, &e3) < 0)   /* driver data: re-derivable from the id */
		log_warn("endpoint=%.12s: saving driver data: %s", ep->id, e3.msg);
	log_info("endpoint connected id=%.12s network=%s sandbox=%.12s ifname=%s ipv4=%s", ep->id, n->rec.name,
		 t.sb.id, ep->ifname, ep->ipv4);
	net__dns_endpoint_up(d, ep, &t.sb);   /* its names answer from here on */
	/* Docker's attribute is "container": net knows the endpoint's owner id
	 * (a container's, or "" for a bare sandbox: then the sandbox's) */
	nd_events_publish(d, "network", "connect", n->rec.id,
			  json_pack("{s:s, s:s, s:s}", "name", n->rec.name, "type", n->rec.driver, "container",
				    t.owner_id[0] ? t.owner_id : t.sb.id));
	if (global)   /* its record (IP, MAC, VTEP) to the cluster store */
		net__global_endpoint_added(d, ep);
	nd_sandbox_rec_clear(&t.sb);
	return 0;

fail_pools:
	net_endpoint_release_pools(n, ep);
out_taken:
	if (global) {   /* the store gives them back */
		net__global_addr_unused(d, n->rec.id, taken);
		net__global_addr_unused(d, n->rec.id, taken6);
	}
out_ep:
	nd_endpoint_rec_clear(ep);
out_sb:
	nd_sandbox_rec_clear(&t.sb);
	return rc;
}

int net_endpoint_connect(struct netd *d, const char *network, const struct net_connect_req *c,
			 struct nd_endpoint_rec *ep_out, struct nd_error *err)
{
	struct net_network *n = net_network_find(d, network, err);
	if (!n)
		return err->code;
	if (!c->target || !*c->target)
		return nd_error_set(err, -EINVAL, "\"Container\" is required");
	if (c->mac && *c->mac) {
		unsigned b[6];
		char tail;
		if (sscanf(c->mac, "%2x:%2x:%2x:%2x:%2x:%2x%c", &b[0], &b[1], &b[2], &b[3], &b[4], &b[5], &tail) != 6 ||
		    strlen(c->mac) != 17 || (b[0] & 1))
			return nd_error_set(err, -EINVAL, "invalid MAC address \"%s\" (want a unicast xx:xx:xx:xx:xx:xx)", c->mac);
	}
	if (c->aliases) {
		size_t i;
		json_t *a;
		if (!json_is_array(c->aliases))
			return nd_error_set(err, -EINVAL, "\"Aliases\" must be a list of names");
		json_array_foreach(c->aliases, i, a) {
			if (!json_is_string(a) || !nd_name_valid(json_string_value(a)))
				return nd_error_set(err, -EINVAL, "invalid alias in \"Aliases\"");
		}
	}
	struct nd_endpoint_rec ep;
	int rc = endpoint_connect(d, n, c, &ep, err);
	if (rc < 0)
		return rc;
	if (ep_out)
		*ep_out = ep;
	else
		nd_endpoint_rec_clear(&ep);
	return 0;
}

int net__endpoints_forget(struct netd *d, const struct nd_endpoint_rec *eps, size_t n, struct nd_error *err)
{
	for (size_t i = 0; i < n; i++) {
		int rc;
		struct net_network *nw = net_network_find(d, eps[i].network_id, &(struct nd_error){ 0 });
		if (net_network_global(nw))   /* its keys leave the cluster store */
			net__global_endpoint_gone(d, &eps[i]);
		if ((rc = store_obj_del(d->store, "endpoint", eps[i].id, err)) < 0 ||
		    (rc = store_addr_release_owner(d->store, eps[i].id, err)) < 0)
			return rc;
	}
	return 0;
}

int net_endpoint_disconnect(struct netd *d, const char *network, const char *target, bool force,
			    struct nd_error *err)
{
	struct net_network *n = net_network_find(d, network, err);
	if (!n)
		return err->code;
	if (!target || !*target)
		return nd_error_set(err, -EINVAL, "\"Container\" is required");
	struct target t;
	struct nd_endpoint_list eps = { 0 };
	int rc = resolve_target(d, target, &t, err);
	if (rc < 0)
		return rc;
	if ((rc = net_endpoint_list(d, n->rec.id, t.sb.id, &eps, err)) < 0)
		goto out;
	if (eps.n == 0) {
		rc = nd_error_set(err, -ENOTCONN, "%s is not connected to network %s", target, n->rec.name);
		goto out;
	}
	/* what rides on the endpoint (published ports) goes first */
	if (t.owner_id[0] && net_of(d)->hooks.before_disconnect)
		net_of(d)->hooks.before_disconnect(d, t.owner_id, n->rec.id);
	/* intent first: a crash after this commit leaves an owned veth that
	 * nobody records, which reconcile deletes */
	if ((rc = store_tx_begin(d->store, err)) < 0)
		goto out;
	if ((rc = net__endpoints_forget(d, eps.v, eps.n, err)) < 0) {
		store_tx_rollback(d->store);
		goto out;
	}
	if ((rc = store_tx_commit(d->store, err)) < 0)
		goto out;
	net__dns_endpoint_down(d, &eps.v[0]);
	net_endpoint_release_pools(n, &eps.v[0]);
	net__endpoint_ports_del(d, &eps.v[0]);
	endpoint_unplumb(d, n, &eps.v[0], &t.sb);
	if (net_network_global(n))   /* the last one here: its data plane goes */
		net__global_sleep_if_idle(d, n);
	log_info("endpoint disconnected id=%.12s network=%s", eps.v[0].id, n->rec.name);
	nd_events_publish(d, "network", "disconnect", n->rec.id,
			  json_pack("{s:s, s:s, s:s}", "name", n->rec.name, "type", n->rec.driver, "container",
				    t.owner_id[0] ? t.owner_id : t.sb.id));
out:
	nd_endpoint_list_clear(&eps);
	nd_sandbox_rec_clear(&t.sb);
	return rc;
}

int net_endpoint_list(struct netd *d, const char *network_id, const char *sandbox_id, struct nd_endpoint_list *out,
		      struct nd_error *err)
{
	return store_endpoint_list(d->store, network_id, sandbox_id, out, err);
}
