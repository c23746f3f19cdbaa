// SPDX-License-Identifier: Apache-2.0
/* Networks: create, delete, find, list; their IPAM pools; the default network. */
#include "netd/core/events.h"
#include "netd/net/net.h"

#include <arpa/inet.h>

#define DEFAULT_NETWORK "bridge"
#define AUX_MAX 64

_Static_assert(ND_REC_MAX_SUBNETS == ND_DRV_MAX_SUBNETS, "a record holds what a driver takes");

/* ---- in-memory networks ------------------------------------------------------ */

void net_network_free(struct net_network *n)
{
	if (!n)
		return;
	for (int i = 0; i < n->npools; i++)
		ipam_pool_free(n->pools[i].pool);
	nd_network_rec_clear(&n->rec);
	free(n);
}

struct net_network *net_network_find(struct netd *d, const char *ref, struct nd_error *err)
{
	char id[ND_ID_LEN + 1];
	/* a full id (what records hold) is found in memory, without a query */
	if (ref && nd_id_valid(ref))
		for (struct net_network *n = net_of(d)->networks; n; n = n->next)
			if (strcmp(n->rec.id, ref) == 0)
				return n;
	if (store_obj_lookup(d->store, "network", ref, id, NULL, err) < 0)
		return NULL;
	for (struct net_network *n = net_of(d)->networks; n; n = n->next)
		if (strcmp(n->rec.id, id) == 0)
			return n;
	nd_error_set(err, -ENOENT, "no such network: %s", ref);
	return NULL;
}

void net_drv_network_of_rec(const struct nd_network_rec *rec, struct nd_drv_network *out)
{
	memset(out, 0, sizeof(*out));
	out->id = rec->id;
	out->name = rec->name;
	out->options = rec->options;
	out->internal = rec->internal;
	out->ipv6 = rec->ipv6;
	out->data = rec->driver_data;
	for (int i = 0; i < rec->nipam; i++) {
		struct nd_drv_subnet *s = &out->subnets[out->nsubnets++];
		snprintf(s->subnet, sizeof(s->subnet), "%s", rec->ipam[i].subnet);
		snprintf(s->gateway, sizeof(s->gateway), "%s", rec->ipam[i].gateway);
		snprintf(s->ip_range, sizeof(s->ip_range), "%s", rec->ipam[i].ip_range);
		s->aux = rec->ipam[i].aux;
		s->ipv6 = strchr(s->subnet, ':') != NULL;
	}
}

void net_drv_network(const struct net_network *n, struct nd_drv_network *out)
{
	net_drv_network_of_rec(&n->rec, out);
}

json_t *net_network_driver_state(struct netd *d, const struct net_network *n)
{
	if (!n->drv->network_status)
		return NULL;
	struct nd_drv_network dn;
	net_drv_network(n, &dn);
	return n->drv->network_status(&net_of(d)->drv_ctx, &dn);
}

/* The driver's last word before the network is recorded: conflicts with
 * the kernel or other networks, and addresses it keeps out of the pools
 * (recorded as auxiliary addresses of their subnet). */
static int network_check(struct netd *d, const struct nd_driver_ops *drv, struct nd_network_rec *rec,
			 struct nd_error *err)
{
	if (!drv->network_check)
		return 0;
	struct nd_drv_network dn;
	net_drv_network_of_rec(rec, &dn);
	int rc = drv->network_check(&net_of(d)->drv_ctx, &dn, err);
	if (rc < 0)
		return rc;
	for (int k = 0; k < dn.nreserved && k < ND_DRV_MAX_SUBNETS; k++) {
		const struct nd_drv_reserved *rv = &dn.reserved[k];
		struct ipam_addr a;
		int i;
		if ((rc = ipam_addr_parse(rv->addr, "reserved address", &a, err)) < 0)
			return rc;
		for (i = 0; i < rec->nipam; i++) {
			struct ipam_prefix p;
			struct nd_error e = { 0 };
			if (ipam_prefix_parse(rec->ipam[i].subnet, "subnet", 0, &p, &e) == 0 && ipam_prefix_contains(&p, &a))
				break;
		}
		if (i == rec->nipam)
			return nd_error_set(err, -EINVAL, "driver %s reserves %s, which is in no subnet", drv->name, rv->addr);
		struct nd_ipam_rec *ir = &rec->ipam[i];
		if (!ir->aux && !(ir->aux = json_object()))
			return nd_error_set(err, -ENOMEM, "out of memory");
		const char *have = nd_json_str(ir->aux, rv->name);
		if (have && strcmp(have, rv->addr) != 0)
			return nd_error_set(err, -EINVAL, "auxiliary address \"%s\" is netd's (%s)", rv->name, rv->addr);
		const char *k2;
		json_t *v;
		json_object_foreach(ir->aux, k2, v) {
			if (strcmp(k2, rv->name) != 0 && json_is_string(v) && strcmp(json_string_value(v), rv->addr) == 0)
				return nd_error_set(err, -EINVAL, "%s is auxiliary address \"%s\" already; the driver "
						    "needs it for %s", rv->addr, k2, rv->name);
		}
		json_object_set_new(ir->aux, rv->name, json_string(rv->addr));
	}
	return 0;
}

int net__network_save(struct netd *d, const struct net_network *n, struct nd_error *err)
{
	return store_network_put(d->store, &n->rec, err);
}

/* One IPAM entry as a pool config (aux names point into r->aux). */
static int pool_config(const struct nd_ipam_rec *r, struct ipam_pool_config *pc, struct ipam_aux_addr *aux,
		       size_t aux_max, struct nd_error *err)
{
	memset(pc, 0, sizeof(*pc));
	int rc;
	if (!r->subnet[0])
		return nd_error_set(err, -EINVAL, "IPAM config needs a subnet");
	if ((rc = ipam_prefix_parse(r->subnet, "subnet", 0, &pc->subnet, err)) < 0)
		return rc;
	if (r->gateway[0] && (rc = ipam_addr_parse(r->gateway, "gateway", &pc->gateway, err)) < 0)
		return rc;
	if (r->ip_range[0] && (rc = ipam_prefix_parse(r->ip_range, "ip-range", 0, &pc->range, err)) < 0)
		return rc;
	if (r->aux) {
		const char *k;
		json_t *v;
		json_object_foreach(r->aux, k, v) {
			if (pc->n_aux == aux_max)
				return nd_error_set(err, -EINVAL, "too many auxiliary addresses (max %zu)", aux_max);
			if (!json_is_string(v))
				return nd_error_set(err, -EINVAL, "auxiliary address \"%s\" must be a string", k);
			aux[pc->n_aux].name = k;
			if ((rc = ipam_addr_parse(json_string_value(v), "auxiliary address",
						  &aux[pc->n_aux].addr, err)) < 0)
				return rc;
			pc->n_aux++;
		}
		pc->aux = aux;
	}
	return ipam_pool_config_validate(pc, err);
}

/* Builds the network's pools from its record and marks its recorded
 * allocations (restart) — the store is the truth. */
static int mark_addr(const char *pool, const char *addr, const char *owner, void *data)
{
	struct net_pool *p = data;
	struct ipam_addr a;
	struct nd_error e = { 0 };
	if (strcmp(pool, p->key) != 0)
		return 0;
	if (ipam_addr_parse(addr, "address", &a, &e) < 0 || ipam_pool_mark(p->pool, &a, &e) < 0)
		log_warn("store: ignoring recorded address %s in pool %s: %s", addr, pool, e.msg);
	return 0;
}

/* Takes the record (moved into the network, rec is left empty). */
int net_network_load(struct netd *d, struct nd_network_rec *rec, struct net_network **out, struct nd_error *err)
{
	struct net_network *n = calloc(1, sizeof(*n));
	if (!n)
		return nd_error_set(err, -ENOMEM, "out of memory");
	n->rec = *rec;
	memset(rec, 0, sizeof(*rec));
	n->drv = net__driver_find(d, n->rec.driver);
	int rc;
	if (!n->drv) {
		rc = nd_error_set(err, -ENOENT, "network %s: driver \"%s\" is not available", n->rec.name, n->rec.driver);
		goto fail;
	}
	for (int i = 0; i < n->rec.nipam; i++) {
		const struct nd_ipam_rec *c = &n->rec.ipam[i];
		struct ipam_pool_config pc;
		struct ipam_aux_addr aux[AUX_MAX];
		struct net_pool *p = &n->pools[n->npools];
		if ((rc = pool_config(c, &pc, aux, AUX_MAX, err)) < 0 ||
		    (rc = ipam_pool_new(&pc, &p->pool, err)) < 0)
			goto fail;
		n->npools++;
		p->family = pc.subnet.addr.family;
		char key[sizeof(p->key)];
		snprintf(key, sizeof(key), "%s/%s", n->rec.id, c->subnet);
		memcpy(p->key, key, sizeof(key));
		if ((rc = store_addr_foreach(d->store, p->key, mark_addr, p, err)) < 0)
			goto fail;
		const char *cur = nd_json_str(n->rec.cursors, c->subnet);
		struct ipam_addr ca;
		struct nd_error e2 = { 0 };
		if (cur && ipam_addr_parse(cur, "cursor", &ca, &e2) == 0)
			ipam_pool_cursor_set(p->pool, &ca, &e2);
	}
	*out = n;
	return 0;
fail:
	net_network_free(n);
	return rc;
}

void net__network_link(struct netd *d, struct net_network *n)
{
	n->next = net_of(d)->networks;
	net_of(d)->networks = n;
}

void net__network_unlink(struct netd *d, struct net_network *n)
{
	for (struct net_network **pp = &net_of(d)->networks; *pp; pp = &(*pp)->next) {
		if (*pp == n) {
			*pp = n->next;
			return;
		}
	}
}

/* ---- create ------------------------------------------------------------------- */

void net_network_create_req_clear(struct net_network_create_req *c)
{
	json_decref(c->options);
	json_decref(c->labels);
	for (int i = 0; i < c->nipam; i++)
		json_decref(c->ipam[i].aux);
	c->options = c->labels = NULL;
	c->nipam = 0;
}

static int subnets_in_use(struct netd *d, struct ipam_prefix **out, size_t *n)
{
	size_t len = 0;
	for (struct net_network *nw = net_of(d)->networks; nw; nw = nw->next)
		len += (size_t)nw->npools;
	struct ipam_prefix *arr = calloc(len + 1, sizeof(*arr));
	if (!arr)
		return -ENOMEM;
	len = 0;
	for (struct net_network *nw = net_of(d)->networks; nw; nw = nw->next)
		for (int i = 0; i < nw->npools; i++)
			arr[len++] = *ipam_pool_subnet(nw->pools[i].pool);
	*out = arr;
	*n = len;
	return 0;
}

/* Validates every subnet, checks overlaps, fills in an automatic IPv4 subnet
 * and default gateways: the network's final IPAM entries, into rec. */
static int settle_ipam(struct netd *d, const struct net_network_create_req *c, struct nd_network_rec *rec,
		       struct nd_error *err)
{
	_cleanup_free_ struct ipam_prefix *used = NULL;
	size_t nused = 0;
	if (subnets_in_use(d, &used, &nused) < 0)
		return nd_error_set(err, -ENOMEM, "out of memory");
	struct ipam_prefix mine[ND_REC_MAX_SUBNETS];
	size_t nmine = 0;
	bool have4 = false, have6 = false;
	int rc;
	/* an automatic IPv4 subnet goes first, as Docker lists it */
	int first = 0;
	for (int i = 0; i < c->nipam; i++)
		have4 |= strchr(c->ipam[i].subnet, ':') == NULL && c->ipam[i].subnet[0];
	if (!have4)
		first = 1;
	if (c->nipam + first > ND_REC_MAX_SUBNETS)
		return nd_error_set(err, -EINVAL, "at most %d subnets per network", ND_REC_MAX_SUBNETS);
	have4 = false;
	for (int i = 0; i < c->nipam; i++) {
		struct ipam_pool_config pc;
		struct ipam_aux_addr aux[AUX_MAX];
		if ((rc = pool_config(&c->ipam[i], &pc, aux, AUX_MAX, err)) < 0)
			return rc;
		char sb[IPAM_PREFIX_STRLEN];
		ipam_prefix_format(&pc.subnet, sb);
		for (size_t k = 0; k < nused; k++) {
			if (ipam_prefix_overlaps(&pc.subnet, &used[k])) {
				char ub[IPAM_PREFIX_STRLEN];
				return nd_error_set(err, -EEXIST, "subnet %s overlaps with %s of another network", sb,
						    ipam_prefix_format(&used[k], ub));
			}
		}
		for (size_t k = 0; k < nmine; k++)
			if (ipam_prefix_overlaps(&pc.subnet, &mine[k]))
				return nd_error_set(err, -EINVAL, "subnet %s is given twice or overlaps another of this network", sb);
		mine[nmine++] = pc.subnet;
		if (pc.subnet.addr.family == AF_INET6)
			have6 = true;
		else
			have4 = true;
		/* normalise: canonical subnet text, explicit gateway */
		struct ipam_pool *pool;
		if ((rc = ipam_pool_new(&pc, &pool, err)) < 0)
			return rc;
		struct nd_ipam_rec *out = &rec->ipam[first + i];
		*out = c->ipam[i];
		out->aux = c->ipam[i].aux ? json_deep_copy(c->ipam[i].aux) : NULL;
		snprintf(out->subnet, sizeof(out->subnet), "%s", sb);
		struct ipam_addr gw;
		char gb[IPAM_ADDR_STRLEN];
		if (ipam_pool_gateway(pool, &gw))
			snprintf(out->gateway, sizeof(out->gateway), "%s", ipam_addr_format(&gw, gb));
		ipam_pool_free(pool);
		rec->nipam = first + i + 1;
	}
	rec->ipv6 = c->ipv6 || have6;
	if (rec->ipv6 && !have6)
		return nd_error_set(err, -EINVAL, "--ipv6 needs an IPv6 --subnet (e.g. fd00:1::/64)");
	if (!have4) {
		struct ipam_prefix pick;
		if ((rc = ipam_space_pick_family(net_of(d)->space, AF_INET, used, nused, &pick, err)) < 0)
			return rc;
		struct ipam_pool_config pc = { .subnet = pick };
		struct ipam_pool *pool;
		if ((rc = ipam_pool_new(&pc, &pool, err)) < 0)
			return rc;
		struct ipam_addr gw;
		char gb[IPAM_ADDR_STRLEN];
		ipam_pool_gateway(pool, &gw);
		ipam_pool_free(pool);
		ipam_prefix_format(&pick, rec->ipam[0].subnet);
		snprintf(rec->ipam[0].gateway, sizeof(rec->ipam[0].gateway), "%s", ipam_addr_format(&gw, gb));
		if (rec->nipam == 0)
			rec->nipam = 1;
	}
	return 0;
}

static void list_drivers(struct netd *d, char *names, size_t size)
{
	const struct nd_driver_ops *const *all = net__drivers(d);
	names[0] = '\0';
	for (size_t i = 0; all[i]; i++)
		snprintf(names + strlen(names), size - strlen(names), "%s%s", i ? ", " : "", all[i]->name);
}

int net__network_prepare(struct netd *d, struct net_network_create_req *c, struct nd_network_rec *rec,
			 struct nd_error *err)
{
	const char *dname = c->driver && *c->driver ? c->driver : "bridge";
	const struct nd_driver_ops *drv = net__driver_find(d, dname);
	int rc;
	if (!c->name || !nd_name_valid(c->name))
		return nd_error_set(err, -EINVAL,
				    "invalid network name \"%s\": use letters, digits, '_', '.' and '-', "
				    "starting with a letter or digit", c->name ? c->name : "");
	if (!drv) {
		char names[128];
		list_drivers(d, names, sizeof(names));
		return nd_error_set(err, -EINVAL, "unknown network driver \"%s\" (available: %s)", dname, names);
	}
	_cleanup_json_ json_t *no_options = json_object();
	if ((rc = drv->options_validate(c->options ? c->options : no_options, err)) < 0)
		return rc;
	if (store_obj_lookup(d->store, "network", c->name, NULL, NULL, &(struct nd_error){ 0 }) == 0)
		return nd_error_set(err, -EEXIST, "network with name %s already exists", c->name);

	if (nd_network_rec_init(rec) < 0)
		return nd_error_set(err, -ENOMEM, "out of memory");
	if ((rc = settle_ipam(d, c, rec, err)) < 0)
		goto fail;
	if ((rc = nd_id_new(rec->id)) < 0) {
		nd_error_set(err, rc, "generating id: %s", strerror(-rc));
		goto fail;
	}
	snprintf(rec->name, sizeof(rec->name), "%s", c->name);
	nd_time_rfc3339(rec->created);
	snprintf(rec->driver, sizeof(rec->driver), "%s", drv->name);
	snprintf(rec->scope, sizeof(rec->scope), "%s", drv->scope);
	rec->internal = c->internal;
	rec->attachable = c->attachable;
	rec->builtin = c->builtin;
	if (c->options)
		json_object_update(rec->options, c->options);
	if (c->labels)
		json_object_update(rec->labels, c->labels);
	if ((rc = network_check(d, drv, rec, err)) < 0)
		goto fail;
	return 0;
fail:
	nd_network_rec_clear(rec);
	return rc;
}

int net__network_commit(struct netd *d, struct nd_network_rec *rec, struct net_network **out, struct nd_error *err)
{
	struct net_state *ns = net_of(d);
	struct net_network *n;
	int rc;
	if ((rc = net_network_load(d, rec, &n, err)) < 0) {
		nd_network_rec_clear(rec);
		return rc;
	}
	const struct nd_driver_ops *drv = n->drv;

	/* intent first: the network is recorded, then the kernel is touched; a
	 * crash in between is finished by reconcile (network_restore) */
	if ((rc = net__network_save(d, n, err)) < 0) {
		net_network_free(n);
		return rc;
	}
	struct nd_drv_network dn;
	net_drv_network(n, &dn);
	/* a global network reaches this host's kernel with its first endpoint
	 * here (net__global_wake) */
	n->dormant = net_network_global(n);
	if (!n->dormant && (rc = drv->network_create(&ns->drv_ctx, &dn, err)) < 0) {
		struct nd_error e2 = { 0 };
		drv->network_delete(&ns->drv_ctx, &dn, &e2);
		store_obj_del(d->store, "network", n->rec.id, &e2);
		nd_error_wrap(err, "network \"%s\"", n->rec.name);
		net_network_free(n);
		return rc;
	}
	struct nd_error e3 = { 0 };
	if (net__network_save(d, n, &e3) < 0)   /* driver data (bridge name): re-derivable */
		log_warn("network=%s: saving driver data: %s", n->rec.name, e3.msg);
	net__network_link(d, n);
	net_dns_start(d, n);
	log_info("network created name=%s id=%.12s driver=%s", n->rec.name, n->rec.id, drv->name);
	nd_events_publish(d, "network", "create", n->rec.id, json_pack("{s:s, s:s}", "name", n->rec.name, "type", drv->name));
	if (out)
		*out = n;
	return 0;
}

int net_network_create(struct netd *d, struct net_network_create_req *c, struct net_network **out,
		       struct nd_error *err)
{
	const struct nd_driver_ops *drv = net__driver_find(d, c->driver && *c->driver ? c->driver : "bridge");
	if (drv && strcmp(drv->scope, "global") == 0)   /* through the cluster store: global.c */
		return nd_error_set(err, -ENOTSUP, "a %s network is created through the cluster store "
				    "(net_global_network_create)", drv->name);
	struct nd_network_rec rec;
	int rc = net__network_prepare(d, c, &rec, err);
	return rc < 0 ? rc : net__network_commit(d, &rec, out, err);
}

int net_default_network(struct netd *d, struct nd_error *err)
{
	if (store_obj_lookup(d->store, "network", DEFAULT_NETWORK, NULL, NULL, &(struct nd_error){ 0 }) == 0)
		return 0;
	struct net_network_create_req c = {
		.name = DEFAULT_NETWORK, .driver = "bridge", .builtin = true,
		.options = json_pack("{s:s, s:s}", "com.docker.network.bridge.default_bridge", "true",
				     "com.docker.network.bridge.name", "netd0"),
	};
	int rc = net_network_create(d, &c, NULL, err);
	net_network_create_req_clear(&c);
	return rc < 0 ? nd_error_wrap(err, "creating the default network") : 0;
}

/* ---- delete ------------------------------------------------------------------- */

int net_network_delete(struct netd *d, struct net_network *n, struct nd_error *err)
{
	if (net_network_global(n))
		return nd_error_set(err, -ENOTSUP, "network %s is global: it is deleted through the cluster store",
				    n->rec.name);
	return net__network_remove(d, n, err);
}

int net__network_remove(struct netd *d, struct net_network *n, struct nd_error *err)
{
	struct net_state *ns = net_of(d);
	if (n->rec.builtin)
		return nd_error_set(err, -EPERM, "%s is a pre-defined network and cannot be removed", n->rec.name);
	struct nd_endpoint_list eps = { 0 };
	int rc = net_endpoint_list(d, n->rec.id, NULL, &eps, err);
	if (rc < 0)
		return rc;
	size_t neps = eps.n;
	nd_endpoint_list_clear(&eps);
	if (neps > 0)
		return nd_error_set(err, -EBUSY, "network %s has %zu active endpoint%s; disconnect them first",
				    n->rec.name, neps, neps == 1 ? "" : "s");
	/* intent: the record goes first; a crash before the kernel step leaves
	 * an owned bridge nobody records, which reconcile removes */
	if ((rc = store_obj_del(d->store, "network", n->rec.id, err)) < 0)
		return rc;
	net__network_unlink(d, n);
	net_dns_stop(d, n);
	net__dns_network_gone(d, n->rec.id);
	struct nd_drv_network dn;
	net_drv_network(n, &dn);
	struct nd_error e2 = { 0 };
	if (n->drv->network_delete(&ns->drv_ctx, &dn, &e2) < 0)
		log_warn("network=%s id=%.12s: kernel cleanup incomplete (reconcile will retry): %s", n->rec.name,
			 n->rec.id, e2.msg);
	log_info("network removed name=%s id=%.12s", n->rec.name, n->rec.id);
	nd_events_publish(d, "network", "destroy", n->rec.id,
			  json_pack("{s:s, s:s}", "name", n->rec.name, "type", n->drv->name));
	net_network_free(n);
	return 0;
}

/* ---- list --------------------------------------------------------------------- */

static int by_created(const void *a, const void *b)
{
	const struct net_network *x = *(struct net_network *const *)a, *y = *(struct net_network *const *)b;
	int c = strcmp(x->rec.created, y->rec.created);
	return c ? c : strcmp(x->rec.id, y->rec.id);
}

int net_network_list(struct netd *d, struct net_network ***out, size_t *n, struct nd_error *err)
{
	size_t cnt = 0;
	for (struct net_network *nw = net_of(d)->networks; nw; nw = nw->next)
		cnt++;
	struct net_network **arr = calloc(cnt ? cnt : 1, sizeof(*arr));
	if (!arr)
		return nd_error_set(err, -ENOMEM, "out of memory");
	cnt = 0;
	for (struct net_network *nw = net_of(d)->networks; nw; nw = nw->next)
		arr[cnt++] = nw;
	qsort(arr, cnt, sizeof(*arr), by_created);
	*out = arr;
	*n = cnt;
	return 0;
}
