// SPDX-License-Identifier: Apache-2.0
/* /networks: create, list, inspect, connect, disconnect, delete, prune.
 * Decodes bodies into net's typed requests and encodes Docker's views. */
#include "netd/api/api.h"

/* One IPAM.Config entry: Docker's four keys, nothing else. */
static int parse_ipam(const json_t *cfg, struct nd_ipam_rec *out, struct nd_error *err)
{
	static const char *const known[] = { "Subnet", "IPRange", "Gateway", "AuxiliaryAddresses" };
	memset(out, 0, sizeof(*out));
	if (!json_is_object(cfg))
		return nd_error_set(err, -EINVAL, "each IPAM config must be an object");
	const char *k;
	json_t *v;
	json_object_foreach((json_t *)cfg, k, v) {
		bool ok = false;
		for (size_t i = 0; i < ARRAY_SIZE(known); i++)
			ok |= strcmp(k, known[i]) == 0;
		if (!ok)
			return nd_error_set(err, -EINVAL, "IPAM config: unknown field \"%s\" (netd takes Subnet, IPRange, "
					    "Gateway, AuxiliaryAddresses)", k);
	}
	const char *subnet = NULL, *range = NULL, *gw = NULL;
	int rc;
	if ((rc = nd_json_get_str(cfg, "Subnet", &subnet, false, err)) < 0 ||
	    (rc = nd_json_get_str(cfg, "IPRange", &range, false, err)) < 0 ||
	    (rc = nd_json_get_str(cfg, "Gateway", &gw, false, err)) < 0)
		return rc;
	if (!subnet || !*subnet)
		return nd_error_set(err, -EINVAL, "IPAM config needs a subnet");
	if (nd_snprintf(out->subnet, sizeof(out->subnet), "%s", subnet) < 0 ||
	    nd_snprintf(out->ip_range, sizeof(out->ip_range), "%s", range ? range : "") < 0 ||
	    nd_snprintf(out->gateway, sizeof(out->gateway), "%s", gw ? gw : "") < 0)
		return nd_error_set(err, -EINVAL, "IPAM config: an address is too long");
	json_t *aux = json_object_get(cfg, "AuxiliaryAddresses");
	if (aux && !json_is_null(aux)) {
		if (!json_is_object(aux))
			return nd_error_set(err, -EINVAL, "\"AuxiliaryAddresses\" must be an object of name: address");
		out->aux = json_deep_copy(aux);
	}
	return 0;
}

static int parse_create(const json_t *body, struct net_network_create_req *c, struct nd_error *err)
{
	int rc;
	if ((rc = nd_json_get_str(body, "Name", &c->name, true, err)) < 0 ||
	    (rc = nd_json_get_str(body, "Driver", &c->driver, false, err)) < 0 ||
	    (rc = nd_json_get_bool(body, "Internal", &c->internal, err)) < 0 ||
	    (rc = nd_json_get_bool(body, "EnableIPv6", &c->ipv6, err)) < 0 ||
	    (rc = nd_json_get_bool(body, "Attachable", &c->attachable, err)) < 0 ||
	    (rc = nd_json_get_strmap(body, "Options", &c->options, err)) < 0 ||
	    (rc = nd_json_get_strmap(body, "Labels", &c->labels, err)) < 0)
		return rc;
	json_t *ipam = json_object_get(body, "IPAM");
	if (ipam && !json_is_null(ipam)) {
		if (!json_is_object(ipam))
			return nd_error_set(err, -EINVAL, "\"IPAM\" must be an object");
		const char *ipam_drv = NULL;
		if ((rc = nd_json_get_str(ipam, "Driver", &ipam_drv, false, err)) < 0)
			return rc;
		if (ipam_drv && *ipam_drv && strcmp(ipam_drv, "default") != 0)
			return nd_error_set(err, -EINVAL, "unknown IPAM driver \"%s\": netd has \"default\"", ipam_drv);
		json_t *cfgs = json_object_get(ipam, "Config");
		if (cfgs && !json_is_null(cfgs) && !json_is_array(cfgs))
			return nd_error_set(err, -EINVAL, "\"IPAM.Config\" must be a list");
		if (json_array_size(cfgs) > ND_REC_MAX_SUBNETS)
			return nd_error_set(err, -EINVAL, "at most %d subnets per network", ND_REC_MAX_SUBNETS);
		size_t i;
		json_t *cfg;
		json_array_foreach(cfgs, i, cfg) {
			if ((rc = parse_ipam(cfg, &c->ipam[c->nipam], err)) < 0)
				return rc;
			c->nipam++;
		}
	}
	return 0;
}

static void network_created(struct netd *d, void *arg, struct net_network *n, int rc, const struct nd_error *err)
{
	struct http_req *req = arg;
	if (rc < 0) {
		http_reply_error(req, err);
		return;
	}
	http_reply_json(req, 201, json_pack("{s:s, s:s}", "Id", n->rec.id, "Warning", ""));
}

void api_network_create(struct http_req *req, void *ctx)
{
	struct netd *d = ctx;
	struct nd_error err = { 0 };
	_cleanup_json_ json_t *body = http_req_json(req, &err);
	struct net_network_create_req c = { 0 };
	struct net_network *n;
	if (body && api_pseudo_network_refuse(d, req, nd_json_str(body, "Name"), "create"))
		return;
	if (!body || parse_create(body, &c, &err) < 0) {
		net_network_create_req_clear(&c);
		http_reply_error(req, &err);
		return;
	}
	const struct nd_driver_ops *drv = net__driver_find(d, c.driver && *c.driver ? c.driver : "bridge");
	if (drv && strcmp(drv->scope, "global") == 0) {
		/* through the cluster store: answered when it has recorded it */
		if (net_global_network_create(d, &c, network_created, req, &err) < 0)
			http_reply_error(req, &err);
		net_network_create_req_clear(&c);
		return;
	}
	if (net_network_create(d, &c, &n, &err) < 0) {
		net_network_create_req_clear(&c);
		http_reply_error(req, &err);
		return;
	}
	net_network_create_req_clear(&c);
	http_reply_json(req, 201, json_pack("{s:s, s:s}", "Id", n->rec.id, "Warning", ""));
}

static json_t *network_view(struct netd *d, struct net_network *n, bool with_endpoints)
{
	json_t *v = nd_network_rec_to_json(&n->rec);
	json_object_del(v, "DriverData");
	json_object_del(v, "Cursors");
	json_object_del(v, "Builtin");
	json_object_set_new(v, "ConfigOnly", json_false());
	json_object_set_new(v, "ConfigFrom", json_pack("{s:s}", "Network", ""));
	json_t *state = net_network_driver_state(d, n);   /* netd's own field */
	if (state)
		json_object_set_new(v, "DriverState", state);
	if (!with_endpoints)
		return v;
	json_t *peers = net_network_global(n) ? net_global_peers(d, n->rec.id) : NULL;
	if (peers)   /* Docker's field for an overlay: the hosts with endpoints on it */
		json_object_set_new(v, "Peers", peers);
	json_t *cont = json_object();
	struct nd_endpoint_list eps;
	struct nd_error err = { 0 };
	if (net_endpoint_list(d, n->rec.id, NULL, &eps, &err) == 0) {
		for (size_t i = 0; i < eps.n; i++) {
			const struct nd_endpoint_rec *ep = &eps.v[i];
			const char *owner = ep->container_id[0] ? ep->container_id : ep->sandbox_id;
			json_object_set_new(cont, owner[0] ? owner : ep->id,
				json_pack("{s:s, s:s, s:s, s:s, s:s, s:s}", "Name", ep->owner_name, "EndpointID", ep->id,
					  "SandboxID", ep->sandbox_id, "MacAddress", ep->mac, "IPv4Address", ep->ipv4,
					  "IPv6Address", ep->ipv6));
		}
		nd_endpoint_list_clear(&eps);
	}
	json_object_set_new(v, "Containers", cont);
	return v;
}

void api_network_inspect(struct http_req *req, void *ctx)
{
	struct netd *d = ctx;
	struct nd_error err = { 0 };
	const char *pseudo = api_pseudo_network(d, req->params[0]);
	if (pseudo && store_obj_lookup(d->store, "network", req->params[0], NULL, NULL, &(struct nd_error){ 0 }) < 0) {
		http_reply_json(req, 200, api_pseudo_network_view(d, pseudo));
		return;
	}
	struct net_network *n = net_network_find(d, req->params[0], &err);
	if (!n) {
		http_reply_error(req, &err);
		return;
	}
	http_reply_json(req, 200, network_view(d, n, true));
}

struct match_ctx {
	struct net_network *n;
};

static bool m_name(const char *v, void *data)
{
	return strstr(((struct match_ctx *)data)->n->rec.name, v) != NULL;
}

static bool m_id(const char *v, void *data)
{
	return nd_str_has_prefix(((struct match_ctx *)data)->n->rec.id, v);
}

static bool m_driver(const char *v, void *data)
{
	return strcmp(((struct match_ctx *)data)->n->drv->name, v) == 0;
}

static bool m_label(const char *v, void *data)
{
	return api_labels_match(((struct match_ctx *)data)->n->rec.labels, v);
}

static bool m_type(const char *v, void *data)
{
	bool builtin = ((struct match_ctx *)data)->n->rec.builtin;
	return strcmp(v, builtin ? "builtin" : "custom") == 0;
}

static bool m_scope(const char *v, void *data)
{
	return strcmp(((struct match_ctx *)data)->n->drv->scope, v) == 0;
}

static bool network_matches(struct net_network *n, const json_t *f)
{
	struct match_ctx m = { n };
	return api_filter_any(f, "name", m_name, &m) && api_filter_any(f, "id", m_id, &m) &&
	       api_filter_any(f, "driver", m_driver, &m) && api_filter_any(f, "label", m_label, &m) &&
	       api_filter_any(f, "type", m_type, &m) && api_filter_any(f, "scope", m_scope, &m);
}

void api_network_list(struct http_req *req, void *ctx)
{
	struct netd *d = ctx;
	struct nd_error err = { 0 };
	static const char *const allowed[] = { "name", "id", "driver", "label", "type", "scope", NULL };
	_cleanup_json_ json_t *f = NULL;
	if (api_filters(req, allowed, &f, &err) < 0) {
		http_reply_error(req, &err);
		return;
	}
	_cleanup_free_ struct net_network **all = NULL;
	size_t n;
	if (net_network_list(d, &all, &n, &err) < 0) {
		http_reply_error(req, &err);
		return;
	}
	json_t *arr = json_array();
	for (size_t i = 0; i < n; i++)   /* oldest first */
		if (network_matches(all[i], f))
			json_array_append_new(arr, network_view(d, all[i], false));
	api_pseudo_networks_list(d, f, arr);
	http_reply_json(req, 200, arr);
}

static void network_deleted(struct netd *d, void *arg, int rc, const struct nd_error *err)
{
	struct http_req *req = arg;
	if (rc < 0)
		http_reply_error(req, err);
	else
		http_reply_empty(req, 204);
}

void api_network_delete(struct http_req *req, void *ctx)
{
	struct netd *d = ctx;
	struct nd_error err = { 0 };
	if (api_pseudo_network_refuse(d, req, req->params[0], "delete"))
		return;
	struct net_network *n = net_network_find(d, req->params[0], &err);
	if (n && net_network_global(n)) {
		if (net_global_network_delete(d, n, network_deleted, req, &err) < 0)
			http_reply_error(req, &err);
		return;
	}
	if (!n || net_network_delete(d, n, &err) < 0) {
		http_reply_error(req, &err);
		return;
	}
	http_reply_empty(req, 204);
}

void api_network_prune(struct http_req *req, void *ctx)
{
	struct netd *d = ctx;
	struct nd_error err = { 0 };
	static const char *const allowed[] = { "label", "until", NULL };
	_cleanup_json_ json_t *f = NULL;
	if (api_filters(req, allowed, &f, &err) < 0) {
		http_reply_error(req, &err);
		return;
	}
	_cleanup_free_ struct net_network **all = NULL;
	size_t n;
	if (net_network_list(d, &all, &n, &err) < 0) {
		http_reply_error(req, &err);
		return;
	}
	json_t *deleted = json_array();
	for (size_t i = 0; i < n; i++) {
		struct match_ctx m = { all[i] };
		if (all[i]->rec.builtin || !api_filter_any(f, "label", m_label, &m))
			continue;
		char name[ND_NAME_MAX + 1];
		snprintf(name, sizeof(name), "%s", all[i]->rec.name);
		struct nd_error e2 = { 0 };
		if (net_network_delete(d, all[i], &e2) == 0)   /* frees all[i] */
			json_array_append_new(deleted, json_string(name));
	}
	http_reply_json(req, 200, json_pack("{s:o}", "NetworksDeleted", deleted));
}

static int parse_connect(const json_t *body, struct net_connect_req *c, struct nd_error *err)
{
	int rc;
	if ((rc = nd_json_get_str(body, "Container", &c->target, true, err)) < 0)
		return rc;
	json_t *ec = json_object_get(body, "EndpointConfig");
	if (ec && !json_is_null(ec)) {
		if (!json_is_object(ec))
			return nd_error_set(err, -EINVAL, "\"EndpointConfig\" must be an object");
		json_t *ic = json_object_get(ec, "IPAMConfig");
		if (ic && !json_is_null(ic)) {
			if (!json_is_object(ic))
				return nd_error_set(err, -EINVAL, "\"IPAMConfig\" must be an object");
			if ((rc = nd_json_get_str(ic, "IPv4Address", &c->ipv4, false, err)) < 0 ||
			    (rc = nd_json_get_str(ic, "IPv6Address", &c->ipv6, false, err)) < 0)
				return rc;
		}
		if ((rc = nd_json_get_str(ec, "MacAddress", &c->mac, false, err)) < 0)
			return rc;
		c->aliases = json_object_get(ec, "Aliases");
		if (json_is_null(c->aliases))
			c->aliases = NULL;
	}
	return 0;
}

static void network_reserved(struct netd *d, void *arg, int rc, const struct nd_error *err)
{
	struct http_req *req = arg;
	if (rc < 0)
		http_reply_error(req, err);
	else
		api_network_connect(req, d);
}

void api_network_connect(struct http_req *req, void *ctx)
{
	struct netd *d = ctx;
	struct nd_error err = { 0 };
	_cleanup_json_ json_t *body = http_req_json(req, &err);
	struct net_connect_req c = { 0 };
	struct nd_endpoint_rec ep;
	if (api_pseudo_network_refuse(d, req, req->params[0], "connect"))
		return;
	if (!body || parse_connect(body, &c, &err) < 0) {
		http_reply_error(req, &err);
		return;
	}
	/* a container that is not running: recorded, connected at its next start (Docker's behaviour) */
	bool running = false;
	_cleanup_json_ json_t *doc = NULL;
	char cid[ND_ID_LEN + 1];
	struct nd_error e2 = { 0 };
	bool is_ctr = ctr_lookup(d, c.target, cid, &doc, &e2) == 0;
	struct ctr *ct = is_ctr ? ctr_find(d, cid) : NULL;
	running = ct && (ctr_running(ct) || ct->phase == CTR_STARTING);
	if (is_ctr && !running) {
		if (ctr_network_record(d, c.target, req->params[0], c.ipv4, c.aliases, true, &running, &err) < 0)
			http_reply_error(req, &err);
		else
			http_reply_empty(req, 200);
		return;
	}
	/* a global network: the address is taken in the cluster store first
	 * (a job), then this handler runs again and connects with it */
	struct net_network *gn = net_network_find(d, req->params[0], &e2);
	if (gn && net_network_global(gn) && !net_global_reserved(d, gn, c.ipv4, c.ipv6)) {
		if (net_global_reserve(d, gn, c.ipv4, c.ipv6, network_reserved, req, &err) < 0)
			http_reply_error(req, &err);
		return;
	}
	if (net_endpoint_connect(d, req->params[0], &c, &ep, &err) < 0) {
		http_reply_error(req, &err);
		return;
	}
	if (is_ctr && ctr_network_record(d, c.target, req->params[0], c.ipv4, c.aliases, true, &running, &e2) < 0 &&
	    e2.code != -EEXIST)
		log_warn("container=%.12s: recording network %s: %s", cid, req->params[0], e2.msg);
	/* Docker answers an empty 200; we add what was allocated */
	json_t *r = json_pack("{s:s, s:s, s:s, s:s, s:s}", "EndpointID", ep.id, "IPv4Address", ep.ipv4,
			      "IPv6Address", ep.ipv6, "MacAddress", ep.mac, "Ifname", ep.ifname);
	nd_endpoint_rec_clear(&ep);
	http_reply_json(req, 200, r);
}

void api_network_disconnect(struct http_req *req, void *ctx)
{
	struct netd *d = ctx;
	struct nd_error err = { 0 };
	_cleanup_json_ json_t *body = http_req_json(req, &err);
	const char *target = NULL;
	bool force = false;
	if (api_pseudo_network_refuse(d, req, req->params[0], "disconnect"))
		return;
	if (!body || nd_json_get_str(body, "Container", &target, true, &err) < 0 ||
	    nd_json_get_bool(body, "Force", &force, &err) < 0) {
		http_reply_error(req, &err);
		return;
	}
	_cleanup_json_ json_t *doc = NULL;
	char cid[ND_ID_LEN + 1];
	struct nd_error e2 = { 0 };
	bool is_ctr = ctr_lookup(d, target, cid, &doc, &e2) == 0;
	struct ctr *ct = is_ctr ? ctr_find(d, cid) : NULL;
	bool running = ct && (ctr_running(ct) || ct->phase == CTR_STARTING);
	if (!is_ctr || running) {
		if (net_endpoint_disconnect(d, req->params[0], target, force, &err) < 0) {
			http_reply_error(req, &err);
			return;
		}
	}
	if (is_ctr && ctr_network_record(d, target, req->params[0], NULL, NULL, false, &running, &err) < 0 &&
	    !running) {
		http_reply_error(req, &err);
		return;
	}
	http_reply_empty(req, 200);
}
