/* /sandboxes and /endpoints: netd's own objects (no Docker equivalent). */
#include "netd/api/api.h"

void api_endpoint_list(struct http_req *req, void *ctx)
{
	struct netd *d = ctx;
	struct nd_error err = { 0 };
	json_t *eps = NULL;
	if (net_endpoint_list(d, NULL, NULL, &eps, &err) < 0) {
		http_reply_error(req, &err);
		return;
	}
	size_t i;
	json_t *ep;
	json_array_foreach(eps, i, ep)
		json_object_del(ep, "DriverData");
	http_reply_json(req, 200, eps);
}

void api_sandbox_create(struct http_req *req, void *ctx)
{
	struct netd *d = ctx;
	struct nd_error err = { 0 };
	_cleanup_json_ json_t *body = http_req_json(req, &err);
	const char *name = NULL;
	_cleanup_json_ json_t *labels = NULL;
	_cleanup_json_ json_t *doc = NULL;
	char id[ND_ID_LEN + 1];
	if (!body || nd_json_get_str(body, "Name", &name, false, &err) < 0 ||
	    nd_json_get_strmap(body, "Labels", &labels, &err) < 0 ||
	    net_sandbox_create(d, name, labels, id, &doc, &err) < 0) {
		http_reply_error(req, &err);
		return;
	}
	http_reply_json(req, 201, json_pack("{s:s, s:s}", "Id", id, "NetnsPath", nd_json_str(doc, "NetnsPath")));
}

static json_t *sandbox_view(struct netd *d, json_t *sb)
{
	json_t *v = json_deep_copy(sb);
	json_t *eps = NULL;
	json_t *nets = json_object();
	struct nd_error err = { 0 };
	if (net_endpoint_list(d, NULL, nd_json_str(sb, "Id"), &eps, &err) == 0) {
		size_t i;
		json_t *ep;
		json_array_foreach(eps, i, ep) {
			const char *netname = nd_json_str(ep, "NetworkID");
			struct net_network *n = net_network_find(d, netname ? netname : "", &err);
			if (n)
				netname = n->name;
			json_object_set_new(nets, netname ? netname : "?",
				json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:O}",
					  "NetworkID", nd_json_str(ep, "NetworkID"),
					  "EndpointID", nd_json_str(ep, "Id"),
					  "Ifname", nd_json_str(ep, "Ifname") ?: "",
					  "MacAddress", nd_json_str(ep, "MacAddress") ?: "",
					  "IPv4Address", nd_json_str(ep, "IPv4Address") ?: "",
					  "IPv6Address", nd_json_str(ep, "IPv6Address") ?: "",
					  "Aliases", json_object_get(ep, "Aliases") ?: json_null()));
		}
		json_decref(eps);
	}
	json_object_set_new(v, "Networks", nets);
	return v;
}

void api_sandbox_list(struct http_req *req, void *ctx)
{
	struct netd *d = ctx;
	struct nd_error err = { 0 };
	json_t *docs = NULL;
	if (net_sandbox_list(d, &docs, &err) < 0) {
		http_reply_error(req, &err);
		return;
	}
	json_t *arr = json_array();
	size_t i;
	json_t *sb;
	json_array_foreach(docs, i, sb)
		json_array_append_new(arr, sandbox_view(d, sb));
	json_decref(docs);
	http_reply_json(req, 200, arr);
}

void api_sandbox_inspect(struct http_req *req, void *ctx)
{
	struct netd *d = ctx;
	struct nd_error err = { 0 };
	_cleanup_json_ json_t *sb = NULL;
	if (net_sandbox_lookup(d, req->params[0], NULL, &sb, &err) < 0) {
		http_reply_error(req, &err);
		return;
	}
	http_reply_json(req, 200, sandbox_view(d, sb));
}

void api_sandbox_delete(struct http_req *req, void *ctx)
{
	struct netd *d = ctx;
	struct nd_error err = { 0 };
	_cleanup_json_ json_t *sb = NULL;
	char id[ND_ID_LEN + 1];
	if (net_sandbox_lookup(d, req->params[0], id, &sb, &err) < 0 ||
	    net_sandbox_delete(d, id, http_req_query_bool(req, "force", false), &err) < 0) {
		http_reply_error(req, &err);
		return;
	}
	http_reply_empty(req, 204);
}
