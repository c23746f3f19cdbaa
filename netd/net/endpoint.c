/* Endpoints: connect, disconnect, forget, and their repair. */
#include "netd/net/net.h"

void net_drv_endpoint(const json_t *ep, struct nd_drv_endpoint *out)
{
	memset(out, 0, sizeof(*out));
	out->id = nd_json_str(ep, "Id");
	out->network_id = nd_json_str(ep, "NetworkID");
	snprintf(out->mac, sizeof(out->mac), "%s", nd_json_str(ep, "MacAddress") ?: "");
	snprintf(out->ipv4, sizeof(out->ipv4), "%s", nd_json_str(ep, "IPv4Address") ?: "");
	snprintf(out->ipv6, sizeof(out->ipv6), "%s", nd_json_str(ep, "IPv6Address") ?: "");
	out->data = json_object_get(ep, "DriverData");
}

void net_drv_sandbox(const json_t *sb, const json_t *ep, struct nd_drv_sandbox *out)
{
	memset(out, 0, sizeof(*out));
	out->id = nd_json_str(sb, "Id");
	out->netns_path = nd_json_str(sb, "NetnsPath");
	snprintf(out->ifname, sizeof(out->ifname), "%s", nd_json_str(ep, "Ifname") ?: "eth0");
	out->default_route = json_is_true(json_object_get(ep, "DefaultRoute"));
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

void net_endpoint_release_pools(struct net_network *n, const json_t *ep)
{
	static const char *const keys[] = { "IPv4Address", "IPv6Address" };
	for (size_t i = 0; i < ARRAY_SIZE(keys); i++) {
		struct ipam_addr a;
		struct net_pool *p = pool_for(n, nd_json_str(ep, keys[i]), &a);
		struct nd_error e = { 0 };
		if (p)
			ipam_pool_release(p->pool, &a, &e);
	}
}

/* The target of connect/disconnect: a sandbox, or what an upper layer's
 * hook resolves (a container's sandbox). */
struct target {
	json_t *sb;                      /* the sandbox record, owned */
	char owner_id[ND_ID_LEN + 1];    /* "" when the target is the sandbox itself */
	char owner_name[ND_NAME_MAX + 1];
};

static int resolve_target(struct netd *d, const char *ref, struct target *t, struct nd_error *err)
{
	char id[ND_ID_LEN + 1], sbid[ND_ID_LEN + 1];
	memset(t, 0, sizeof(*t));
	struct nd_error e = { 0 };
	if (net_sandbox_lookup(d, ref, id, &t->sb, &e) == 0) {
		snprintf(t->owner_name, sizeof(t->owner_name), "%s", nd_json_str(t->sb, "Name") ?: "");
		return 0;
	}
	const struct net_hooks *h = &net_of(d)->hooks;
	if (!h->resolve_target)
		return nd_error_set(err, -ENOENT, "no such sandbox: %s", ref);
	int rc = h->resolve_target(d, ref, sbid, t->owner_id, t->owner_name, err);
	if (rc < 0)
		return rc;
	return net_sandbox_lookup(d, sbid, id, &t->sb, err);
}

static int pick_ifname(struct netd *d, const char *sbid, char out[IFNAMSIZ], bool *first,
		       struct nd_error *err)
{
	_cleanup_json_ json_t *eps = NULL;
	int rc = store_obj_list(d->store, "endpoint", NULL, sbid, &eps, err);
	if (rc < 0)
		return rc;
	*first = true;
	for (int i = 0; i < 1000; i++) {
		snprintf(out, IFNAMSIZ, "eth%d", i);
		bool used = false;
		size_t k;
		json_t *ep;
		json_array_foreach(eps, k, ep) {
			used |= strcmp(nd_json_str(ep, "Ifname") ?: "", out) == 0;
			*first &= !json_is_true(json_object_get(ep, "DefaultRoute"));
		}
		if (!used)
			return 0;
	}
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
						  ipam_addr_format(want, b), n->name);
				goto undo;
			}
			continue;
		}
		if ((rc = ipam_pool_alloc(p->pool, want, &addr[fam], err)) < 0) {
			nd_error_wrap(err, "network %s", n->name);
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

static int claim_addrs(struct netd *d, struct net_network *n, const json_t *ep, struct nd_error *err)
{
	static const char *const keys[] = { "IPv4Address", "IPv6Address" };
	json_t *cursors = json_object_get(n->doc, "Cursors");
	bool cursor_moved = false;
	for (size_t i = 0; i < ARRAY_SIZE(keys); i++) {
		struct ipam_addr a;
		struct net_pool *p = pool_for(n, nd_json_str(ep, keys[i]), &a);
		if (!p)
			continue;
		char b[IPAM_ADDR_STRLEN];
		int rc = store_addr_claim(d->store, p->key, ipam_addr_format(&a, b), nd_json_str(ep, "Id"), err);
		if (rc < 0)
			return rc;
		struct ipam_addr cur;
		if (ipam_pool_cursor_get(p->pool, &cur)) {
			char cb[IPAM_ADDR_STRLEN];
			char sb[IPAM_PREFIX_STRLEN];
			json_object_set_new(cursors, ipam_prefix_format(ipam_pool_subnet(p->pool), sb),
					    json_string(ipam_addr_format(&cur, cb)));
			cursor_moved = true;
		}
	}
	if (cursor_moved) {
		struct store_obj_ref ref = { .kind = "network", .id = n->id, .name = n->name };
		return store_obj_put(d->store, &ref, n->doc, err);
	}
	return 0;
}

static int endpoint_save(struct netd *d, const json_t *ep, struct nd_error *err)
{
	struct store_obj_ref ref = {
		.kind = "endpoint", .id = nd_json_str(ep, "Id"),
		.parent = nd_json_str(ep, "NetworkID"), .owner = nd_json_str(ep, "SandboxID"),
	};
	return store_obj_put(d->store, &ref, ep, err);
}

/* The arguments of one driver call about an endpoint, built once. */
struct drv_call {
	struct nd_drv_ctx *ctx;
	struct nd_drv_network dn;
	struct nd_drv_endpoint de;
	struct nd_drv_sandbox ds;      /* valid when a sandbox was given */
};

static void drv_call_fill(struct drv_call *c, struct netd *d, const struct net_network *n, const json_t *ep,
			  const json_t *sb)
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
static int endpoint_plumb(struct netd *d, struct net_network *n, json_t *ep, const json_t *sb,
			  struct nd_error *err)
{
	struct drv_call c;
	drv_call_fill(&c, d, n, ep, sb);
	int rc;
	if ((rc = n->drv->endpoint_create(c.ctx, &c.dn, &c.de, err)) < 0 ||
	    (rc = n->drv->join(c.ctx, &c.dn, &c.de, &c.ds, err)) < 0 ||
	    (rc = n->drv->program_external_connectivity(c.ctx, &c.dn, &c.de, err)) < 0)
		return rc;
	if (c.de.mac[0] && !nd_json_str(ep, "MacAddress"))
		json_object_set_new(ep, "MacAddress", json_string(c.de.mac));
	return 0;
}

static void endpoint_unplumb(struct netd *d, struct net_network *n, const json_t *ep, const json_t *sb)
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

int net_endpoint_repair(struct netd *d, struct net_network *n, json_t *ep, json_t *sb, struct nd_error *err)
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
	if (before && after && strcmp(before, after) != 0 && (rc = endpoint_save(d, ep, err)) < 0)
		return rc;
	if (n->drv->endpoint_ok && n->drv->endpoint_ok(c.ctx, &c.dn, &c.de, &c.ds))
		return 0;
	log_info("endpoint=%.12s network=%s sandbox=%.12s: repairing", c.de.id, n->name, c.ds.id);
	return endpoint_plumb(d, n, ep, sb, err);
}

static int endpoint_connect(struct netd *d, struct net_network *n, const struct net_connect_req *c, json_t **out,
		   struct nd_error *err)
{
	struct target t;
	int rc = resolve_target(d, c->target, &t, err);
	_cleanup_json_ json_t *sb = t.sb;
	if (rc < 0)
		return rc;
	const char *sbid = nd_json_str(sb, "Id");
	_cleanup_json_ json_t *existing = NULL;
	if ((rc = store_obj_list(d->store, "endpoint", n->id, sbid, &existing, err)) < 0)
		return rc;
	if (json_array_size(existing) > 0)
		return nd_error_set(err, -EEXIST, "%s is already connected to network %s", c->target, n->name);

	char ifname[IFNAMSIZ];
	bool first = true;
	if ((rc = pick_ifname(d, sbid, ifname, &first, err)) < 0)
		return rc;
	char v4[64], v6[64], id[ND_ID_LEN + 1];
	if ((rc = nd_id_new(id)) < 0)
		return nd_error_set(err, rc, "generating id: %s", strerror(-rc));
	if ((rc = alloc_addrs(n, c, v4, v6, err)) < 0)
		return rc;
	bool internal = json_is_true(json_object_get(n->doc, "Internal"));
	const char *owner_name = t.owner_name;
	json_t *ep = json_pack("{s:s, s:s, s:s, s:s, s:s, s:b, s:o, s:{}}",
		"Id", id, "NetworkID", n->id, "SandboxID", sbid, "Ifname", ifname,
		"OwnerName", owner_name ? owner_name : "",
		"DefaultRoute", first && !internal,
		"Aliases", c->aliases ? json_deep_copy(c->aliases) : json_array(), "DriverData");
	if (!ep)
		return nd_error_set(err, -ENOMEM, "out of memory");
	if (t.owner_id[0])
		json_object_set_new(ep, "ContainerID", json_string(t.owner_id));
	if (v4[0])
		json_object_set_new(ep, "IPv4Address", json_string(v4));
	if (v6[0])
		json_object_set_new(ep, "IPv6Address", json_string(v6));
	if (c->mac && *c->mac)
		json_object_set_new(ep, "MacAddress", json_string(c->mac));

	/* intent: the endpoint and its addresses are recorded in one
	 * transaction before the kernel is touched; reconcile finishes or
	 * repairs a connect that a crash interrupted */
	if ((rc = store_tx_begin(d->store, err)) < 0)
		goto fail_pools;
	if ((rc = endpoint_save(d, ep, err)) < 0 || (rc = claim_addrs(d, n, ep, err)) < 0) {
		store_tx_rollback(d->store);
		goto fail_pools;
	}
	if ((rc = store_tx_commit(d->store, err)) < 0)
		goto fail_pools;

	if ((rc = endpoint_plumb(d, n, ep, sb, err)) < 0) {
		nd_error_wrap(err, "connect %s to network %s", c->target, n->name);
		endpoint_unplumb(d, n, ep, sb);
		struct nd_error e2 = { 0 };
		_cleanup_json_ json_t *one = json_pack("[O]", ep);
		if (store_tx_begin(d->store, &e2) == 0) {
			if (net__endpoints_forget(d, one, &e2) < 0)
				store_tx_rollback(d->store);
			else
				store_tx_commit(d->store, &e2);
		}
		goto fail_pools;
	}
	struct nd_error e3 = { 0 };
	if (endpoint_save(d, ep, &e3) < 0)   /* driver data: re-derivable from the id */
		log_warn("endpoint=%.12s: saving driver data: %s", id, e3.msg);
	log_info("endpoint connected id=%.12s network=%s sandbox=%.12s ifname=%s ipv4=%s", id, n->name, sbid,
		 ifname, v4);
	*out = ep;
	return 0;

fail_pools:
	net_endpoint_release_pools(n, ep);
	json_decref(ep);
	return rc;
}

int net_endpoint_connect(struct netd *d, const char *network, const struct net_connect_req *c, json_t **ep_out,
			 struct nd_error *err)
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
	json_t *ep = NULL;
	int rc = endpoint_connect(d, n, c, &ep, err);
	if (rc < 0)
		return rc;
	if (ep_out)
		*ep_out = ep;
	else
		json_decref(ep);
	return 0;
}

int net__endpoints_forget(struct netd *d, const json_t *eps, struct nd_error *err)
{
	size_t i;
	json_t *ep;
	json_array_foreach(eps, i, ep) {
		const char *id = nd_json_str(ep, "Id");
		int rc;
		if ((rc = store_obj_del(d->store, "endpoint", id, err)) < 0 ||
		    (rc = store_addr_release_owner(d->store, id, err)) < 0)
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
	int rc = resolve_target(d, target, &t, err);
	_cleanup_json_ json_t *sb = t.sb;
	_cleanup_json_ json_t *eps = NULL;
	if (rc < 0 || (rc = net_endpoint_list(d, n->id, nd_json_str(sb, "Id"), &eps, err)) < 0)
		return rc;
	json_t *ep = json_array_get(eps, 0);
	if (!ep)
		return nd_error_set(err, -ENOTCONN, "%s is not connected to network %s", target, n->name);
	const char *epid = nd_json_str(ep, "Id");
	/* what rides on the endpoint (published ports) goes first */
	if (t.owner_id[0] && net_of(d)->hooks.before_disconnect)
		net_of(d)->hooks.before_disconnect(d, t.owner_id, n->id);
	/* intent first: a crash after this commit leaves an owned veth that
	 * nobody records, which reconcile deletes */
	if ((rc = store_tx_begin(d->store, err)) < 0)
		return rc;
	if ((rc = net__endpoints_forget(d, eps, err)) < 0) {
		store_tx_rollback(d->store);
		return rc;
	}
	if ((rc = store_tx_commit(d->store, err)) < 0)
		return rc;
	net_endpoint_release_pools(n, ep);
	endpoint_unplumb(d, n, ep, sb);
	log_info("endpoint disconnected id=%.12s network=%s", epid, n->name);
	return 0;
}

int net_endpoint_list(struct netd *d, const char *network_id, const char *sandbox_id, json_t **out,
		      struct nd_error *err)
{
	return store_obj_list(d->store, "endpoint", network_id, sandbox_id, out, err);
}
