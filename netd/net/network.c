/* Networks: /networks/create, list, inspect, rm, prune; the default network. */
#include "netd/net/net.h"

#include <arpa/inet.h>

#define DEFAULT_NETWORK "bridge"

/* ---- in-memory networks ------------------------------------------------------ */

void net_network_free(struct net_network *n)
{
	if (!n)
		return;
	for (int i = 0; i < n->npools; i++)
		ipam_pool_free(n->pools[i].pool);
	json_decref(n->doc);
	free(n);
}

struct net_network *net_network_find(struct netd *d, const char *ref, struct nd_error *err)
{
	char id[ND_ID_LEN + 1];
	if (store_obj_lookup(d->store, "network", ref, id, NULL, err) < 0)
		return NULL;
	for (struct net_network *n = net_of(d)->networks; n; n = n->next)
		if (strcmp(n->id, id) == 0)
			return n;
	nd_error_set(err, -ENOENT, "no such network: %s", ref);
	return NULL;
}

void net_drv_network(const struct net_network *n, struct nd_drv_network *out)
{
	memset(out, 0, sizeof(*out));
	out->id = n->id;
	out->name = n->name;
	out->options = json_object_get(n->doc, "Options");
	out->internal = json_is_true(json_object_get(n->doc, "Internal"));
	out->ipv6 = json_is_true(json_object_get(n->doc, "EnableIPv6"));
	out->data = json_object_get(n->doc, "DriverData");
	json_t *cfgs = json_object_get(json_object_get(n->doc, "IPAM"), "Config");
	size_t i;
	json_t *c;
	json_array_foreach(cfgs, i, c) {
		if (out->nsubnets == ND_DRV_MAX_SUBNETS)
			break;
		struct nd_drv_subnet *s = &out->subnets[out->nsubnets++];
		snprintf(s->subnet, sizeof(s->subnet), "%s", nd_json_str(c, "Subnet") ?: "");
		snprintf(s->gateway, sizeof(s->gateway), "%s", nd_json_str(c, "Gateway") ?: "");
		s->ipv6 = strchr(s->subnet, ':') != NULL;
	}
}

/* Parse one IPAM config entry into a pool config (aux names point into c). */
static int pool_config(const json_t *c, struct ipam_pool_config *pc, struct ipam_aux_addr *aux,
		       size_t aux_max, struct nd_error *err)
{
	memset(pc, 0, sizeof(*pc));
	const char *subnet, *gw, *range;
	int rc;
	if ((rc = nd_json_get_str(c, "Subnet", &subnet, false, err)) < 0 ||
	    (rc = nd_json_get_str(c, "Gateway", &gw, false, err)) < 0 ||
	    (rc = nd_json_get_str(c, "IPRange", &range, false, err)) < 0)
		return rc;
	if (!subnet || !*subnet)
		return nd_error_set(err, -EINVAL, "IPAM config needs a subnet");
	if ((rc = ipam_prefix_parse(subnet, "subnet", 0, &pc->subnet, err)) < 0)
		return rc;
	if (gw && *gw && (rc = ipam_addr_parse(gw, "gateway", &pc->gateway, err)) < 0)
		return rc;
	if (range && *range && (rc = ipam_prefix_parse(range, "ip-range", 0, &pc->range, err)) < 0)
		return rc;
	json_t *a = json_object_get(c, "AuxiliaryAddresses");
	if (a && !json_is_null(a)) {
		if (!json_is_object(a))
			return nd_error_set(err, -EINVAL, "\"AuxiliaryAddresses\" must be an object of name: address");
		const char *k;
		json_t *v;
		json_object_foreach(a, k, v) {
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

#define AUX_MAX 64

/* Builds the network's pools from its document and marks its recorded
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

int net_network_load(struct netd *d, json_t *doc, struct net_network **out, struct nd_error *err)
{
	struct net_network *n = calloc(1, sizeof(*n));
	if (!n)
		return nd_error_set(err, -ENOMEM, "out of memory");
	n->doc = json_incref(doc);
	snprintf(n->id, sizeof(n->id), "%s", nd_json_str(doc, "Id") ?: "");
	snprintf(n->name, sizeof(n->name), "%s", nd_json_str(doc, "Name") ?: "");
	n->builtin = json_is_true(json_object_get(doc, "Builtin"));
	n->drv = net__driver_find(d, nd_json_str(doc, "Driver") ?: "");
	int rc;
	if (!n->drv) {
		rc = nd_error_set(err, -ENOENT, "network %s: driver \"%s\" is not available", n->name,
				  nd_json_str(doc, "Driver") ?: "");
		goto fail;
	}
	json_t *cfgs = json_object_get(json_object_get(doc, "IPAM"), "Config");
	json_t *cursors = json_object_get(doc, "Cursors");
	size_t i;
	json_t *c;
	json_array_foreach(cfgs, i, c) {
		if (n->npools == ND_DRV_MAX_SUBNETS)
			break;
		struct ipam_pool_config pc;
		struct ipam_aux_addr aux[AUX_MAX];
		struct net_pool *p = &n->pools[n->npools];
		if ((rc = pool_config(c, &pc, aux, AUX_MAX, err)) < 0 ||
		    (rc = ipam_pool_new(&pc, &p->pool, err)) < 0)
			goto fail;
		n->npools++;
		p->family = pc.subnet.addr.family;
		char key[sizeof(p->key)];
		snprintf(key, sizeof(key), "%s/%s", nd_json_str(doc, "Id"), nd_json_str(c, "Subnet"));
		memcpy(p->key, key, sizeof(key));
		if ((rc = store_addr_foreach(d->store, p->key, mark_addr, p, err)) < 0)
			goto fail;
		const char *cur = nd_json_str(cursors, nd_json_str(c, "Subnet"));
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

static void network_link(struct netd *d, struct net_network *n)
{
	n->next = net_of(d)->networks;
	net_of(d)->networks = n;
}

static void network_unlink(struct netd *d, struct net_network *n)
{
	for (struct net_network **pp = &net_of(d)->networks; *pp; pp = &(*pp)->next) {
		if (*pp == n) {
			*pp = n->next;
			return;
		}
	}
}

static int network_save(struct netd *d, struct net_network *n, struct nd_error *err)
{
	struct store_obj_ref ref = { .kind = "network", .id = n->id, .name = n->name };
	return store_obj_put(d->store, &ref, n->doc, err);
}

/* ---- create ------------------------------------------------------------------- */

void net_network_create_req_clear(struct net_network_create_req *c)
{
	json_decref(c->options);
	json_decref(c->labels);
	json_decref(c->ipam_cfgs);
	c->options = c->labels = c->ipam_cfgs = NULL;
}

static int subnets_in_use(struct netd *d, struct ipam_prefix **out, size_t *n)
{
	size_t cap = 0, len = 0;
	struct ipam_prefix *arr = NULL;
	for (struct net_network *nw = net_of(d)->networks; nw; nw = nw->next) {
		for (int i = 0; i < nw->npools; i++) {
			if (len == cap) {
				cap = cap ? cap * 2 : 16;
				struct ipam_prefix *na = realloc(arr, cap * sizeof(*arr));
				if (!na) {
					free(arr);
					return -ENOMEM;
				}
				arr = na;
			}
			arr[len++] = *ipam_pool_subnet(nw->pools[i].pool);
		}
	}
	*out = arr;
	*n = len;
	return 0;
}

/* Validates every subnet, checks overlaps, fills in an automatic IPv4 subnet
 * and default gateways: the final IPAM config of the network. */
static int settle_ipam(struct netd *d, struct net_network_create_req *c, struct nd_error *err)
{
	_cleanup_free_ struct ipam_prefix *used = NULL;
	size_t nused = 0;
	if (subnets_in_use(d, &used, &nused) < 0)
		return nd_error_set(err, -ENOMEM, "out of memory");
	struct ipam_prefix mine[ND_DRV_MAX_SUBNETS];
	size_t nmine = 0;
	bool have4 = false, have6 = false;
	size_t i;
	json_t *cfg;
	int rc;
	json_array_foreach(c->ipam_cfgs, i, cfg) {
		if (!json_is_object(cfg))
			return nd_error_set(err, -EINVAL, "each IPAM config must be an object");
		struct ipam_pool_config pc;
		struct ipam_aux_addr aux[AUX_MAX];
		if ((rc = pool_config(cfg, &pc, aux, AUX_MAX, err)) < 0)
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
		struct ipam_addr gw;
		char gb[IPAM_ADDR_STRLEN];
		if (ipam_pool_gateway(pool, &gw))
			json_object_set_new(cfg, "Gateway", json_string(ipam_addr_format(&gw, gb)));
		ipam_pool_free(pool);
		json_object_set_new(cfg, "Subnet", json_string(sb));
	}
	if (have6)
		c->ipv6 = true;
	if (c->ipv6 && !have6)
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
		char sb[IPAM_PREFIX_STRLEN], gb[IPAM_ADDR_STRLEN];
		ipam_pool_gateway(pool, &gw);
		ipam_pool_free(pool);
		json_array_insert_new(c->ipam_cfgs, 0,
				      json_pack("{s:s, s:s}", "Subnet", ipam_prefix_format(&pick, sb), "Gateway",
						ipam_addr_format(&gw, gb)));
	}
	return 0;
}

int net_network_create(struct netd *d, struct net_network_create_req *c, struct net_network **out,
		       struct nd_error *err)
{
	struct net_state *ns = net_of(d);
	const struct nd_driver_ops *drv = net__driver_find(d, c->driver && *c->driver ? c->driver : "bridge");
	int rc;
	if (!c->name || !nd_name_valid(c->name))
		return nd_error_set(err, -EINVAL,
				    "invalid network name \"%s\": use letters, digits, '_', '.' and '-', "
				    "starting with a letter or digit", c->name ? c->name : "");
	if (!c->options && !(c->options = json_object()))
		return nd_error_set(err, -ENOMEM, "out of memory");
	if (!c->labels && !(c->labels = json_object()))
		return nd_error_set(err, -ENOMEM, "out of memory");
	if (!c->ipam_cfgs && !(c->ipam_cfgs = json_array()))
		return nd_error_set(err, -ENOMEM, "out of memory");
	if (json_array_size(c->ipam_cfgs) > ND_DRV_MAX_SUBNETS)
		return nd_error_set(err, -EINVAL, "at most %d subnets per network", ND_DRV_MAX_SUBNETS);
	if (!drv) {
		const struct nd_driver_ops *const *all = net__drivers(d);
		char names[128] = "";
		for (size_t i = 0; all[i]; i++)
			snprintf(names + strlen(names), sizeof(names) - strlen(names), "%s%s", i ? ", " : "",
				 all[i]->name);
		return nd_error_set(err, -EINVAL, "unknown network driver \"%s\" (available: %s)", c->driver, names);
	}
	if ((rc = drv->options_validate(c->options, err)) < 0)
		return rc;
	if (store_obj_lookup(d->store, "network", c->name, NULL, NULL, &(struct nd_error){ 0 }) == 0)
		return nd_error_set(err, -EEXIST, "network with name %s already exists", c->name);
	if ((rc = settle_ipam(d, c, err)) < 0)
		return rc;

	char id[ND_ID_LEN + 1], now[40];
	if ((rc = nd_id_new(id)) < 0)
		return nd_error_set(err, rc, "generating id: %s", strerror(-rc));
	nd_time_rfc3339(now);
	json_t *doc = json_pack("{s:s, s:s, s:s, s:s, s:s, s:b, s:b, s:b, s:b, s:{s:s, s:{}, s:O}, s:O, s:O,"
				" s:{}, s:{}, s:b}",
		"Name", c->name, "Id", id, "Created", now, "Scope", drv->scope, "Driver", drv->name,
		"EnableIPv6", c->ipv6, "Internal", c->internal, "Attachable", c->attachable, "Ingress", 0,
		"IPAM", "Driver", "default", "Options", "Config", c->ipam_cfgs,
		"Options", c->options, "Labels", c->labels,
		"DriverData", "Cursors", "Builtin", c->builtin);
	if (!doc)
		return nd_error_set(err, -ENOMEM, "out of memory");
	struct net_network *n;
	rc = net_network_load(d, doc, &n, err);
	json_decref(doc);
	if (rc < 0)
		return rc;

	/* intent first: the network is recorded, then the kernel is touched; a
	 * crash in between is finished by reconcile (network_restore) */
	if ((rc = network_save(d, n, err)) < 0) {
		net_network_free(n);
		return rc;
	}
	struct nd_drv_network dn;
	net_drv_network(n, &dn);
	if ((rc = drv->network_create(&ns->drv_ctx, &dn, err)) < 0) {
		struct nd_error e2 = { 0 };
		drv->network_delete(&ns->drv_ctx, &dn, &e2);
		store_obj_del(d->store, "network", n->id, &e2);
		net_network_free(n);
		return nd_error_wrap(err, "network \"%s\"", c->name);
	}
	struct nd_error e3 = { 0 };
	if (network_save(d, n, &e3) < 0)   /* driver data (bridge name): re-derivable */
		log_warn("network=%s: saving driver data: %s", c->name, e3.msg);
	network_link(d, n);
	log_info("network created name=%s id=%.12s driver=%s", n->name, n->id, drv->name);
	if (out)
		*out = n;
	return 0;
}

int net_default_network(struct netd *d, struct nd_error *err)
{
	if (store_obj_lookup(d->store, "network", DEFAULT_NETWORK, NULL, NULL, &(struct nd_error){ 0 }) == 0)
		return 0;
	struct net_network_create_req c = {
		.name = DEFAULT_NETWORK, .driver = "bridge", .builtin = true,
		.options = json_pack("{s:s, s:s}", "com.docker.network.bridge.default_bridge", "true",
				     "com.docker.network.bridge.name", "netd0"),
		.labels = json_object(),
		.ipam_cfgs = json_array(),
	};
	int rc = net_network_create(d, &c, NULL, err);
	net_network_create_req_clear(&c);
	return rc < 0 ? nd_error_wrap(err, "creating the default network") : 0;
}

/* ---- inspect / list ------------------------------------------------------------ */

/* ---- delete / prune ------------------------------------------------------------- */

int net_network_delete(struct netd *d, struct net_network *n, struct nd_error *err)
{
	struct net_state *ns = net_of(d);
	if (n->builtin)
		return nd_error_set(err, -EPERM, "%s is a pre-defined network and cannot be removed", n->name);
	_cleanup_json_ json_t *eps = NULL;
	int rc = store_obj_list(d->store, "endpoint", n->id, NULL, &eps, err);
	if (rc < 0)
		return rc;
	if (json_array_size(eps) > 0)
		return nd_error_set(err, -EBUSY, "network %s has %zu active endpoint%s; disconnect them first",
				    n->name, json_array_size(eps), json_array_size(eps) == 1 ? "" : "s");
	/* intent: the record goes first; a crash before the kernel step leaves
	 * an owned bridge nobody records, which reconcile removes */
	if ((rc = store_tx_begin(d->store, err)) < 0)
		return rc;
	if ((rc = store_obj_del(d->store, "network", n->id, err)) < 0) {
		store_tx_rollback(d->store);
		return rc;
	}
	if ((rc = store_tx_commit(d->store, err)) < 0)
		return rc;
	network_unlink(d, n);
	struct nd_drv_network dn;
	net_drv_network(n, &dn);
	struct nd_error e2 = { 0 };
	if (n->drv->network_delete(&ns->drv_ctx, &dn, &e2) < 0)
		log_warn("network=%s id=%.12s: kernel cleanup incomplete (reconcile will retry): %s", n->name,
			 n->id, e2.msg);
	log_info("network removed name=%s id=%.12s", n->name, n->id);
	net_network_free(n);
	return 0;
}

static int by_created(const void *a, const void *b)
{
	const struct net_network *x = *(struct net_network *const *)a, *y = *(struct net_network *const *)b;
	int c = strcmp(nd_json_str(x->doc, "Created") ?: "", nd_json_str(y->doc, "Created") ?: "");
	return c ? c : strcmp(x->id, y->id);
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
