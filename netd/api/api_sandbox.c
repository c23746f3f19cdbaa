// SPDX-License-Identifier: Apache-2.0
/* /sandboxes and /endpoints: netd's own objects (no Docker equivalent). */
#include "netd/api/api.h"

static json_t *endpoint_view(const struct nd_endpoint_rec *ep)
{
	json_t *v = nd_endpoint_rec_to_json(ep);
	json_object_del(v, "DriverData");
	return v;
}

void api_endpoint_list(struct http_req *req, void *ctx)
{
	struct netd *d = ctx;
	struct nd_error err = { 0 };
	struct nd_endpoint_list eps;
	if (net_endpoint_list(d, NULL, NULL, &eps, &err) < 0) {
		http_reply_error(req, &err);
		return;
	}
	json_t *arr = json_array();
	for (size_t i = 0; i < eps.n; i++)
		json_array_append_new(arr, endpoint_view(&eps.v[i]));
	nd_endpoint_list_clear(&eps);
	http_reply_json(req, 200, arr);
}

void api_sandbox_create(struct http_req *req, void *ctx)
{
	struct netd *d = ctx;
	struct nd_error err = { 0 };
	_cleanup_json_ json_t *body = http_req_json(req, &err);
	const char *name = NULL;
	_cleanup_json_ json_t *labels = NULL;
	struct nd_sandbox_rec sb;
	if (!body || nd_json_get_str(body, "Name", &name, false, &err) < 0 ||
	    nd_json_get_strmap(body, "Labels", &labels, &err) < 0 ||
	    net_sandbox_create(d, name, labels, &sb, &err) < 0) {
		http_reply_error(req, &err);
		return;
	}
	http_reply_json(req, 201, json_pack("{s:s, s:s}", "Id", sb.id, "NetnsPath", sb.netns_path));
	nd_sandbox_rec_clear(&sb);
}

static json_t *sandbox_view(struct netd *d, const struct nd_sandbox_rec *sb)
{
	json_t *v = nd_sandbox_rec_to_json(sb);
	json_t *nets = json_object();
	struct nd_endpoint_list eps;
	struct nd_error err = { 0 };
	if (net_endpoint_list(d, NULL, sb->id, &eps, &err) == 0) {
		for (size_t i = 0; i < eps.n; i++) {
			const struct nd_endpoint_rec *ep = &eps.v[i];
			struct net_network *n = net_network_find(d, ep->network_id, &err);
			json_object_set_new(nets, n ? n->rec.name : ep->network_id,
				json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:O, s:o}", "NetworkID", ep->network_id,
					  "EndpointID", ep->id, "Ifname", ep->ifname, "MacAddress", ep->mac,
					  "IPv4Address", ep->ipv4, "IPv6Address", ep->ipv6, "Aliases", ep->aliases,
					  "DNSNames", net_dns_names_json(d, ep->network_id, ep->id)));
		}
		nd_endpoint_list_clear(&eps);
	}
	json_object_set_new(v, "Networks", nets);
	json_object_set_new(v, "DNSResolver", json_boolean(net_dns_sandbox_served(d, sb->id)));
	return v;
}

void api_sandbox_list(struct http_req *req, void *ctx)
{
	struct netd *d = ctx;
	struct nd_error err = { 0 };
	struct nd_sandbox_list sbs;
	if (net_sandbox_list(d, &sbs, &err) < 0) {
		http_reply_error(req, &err);
		return;
	}
	json_t *arr = json_array();
	for (size_t i = 0; i < sbs.n; i++)
		json_array_append_new(arr, sandbox_view(d, &sbs.v[i]));
	nd_sandbox_list_clear(&sbs);
	http_reply_json(req, 200, arr);
}

void api_sandbox_inspect(struct http_req *req, void *ctx)
{
	struct netd *d = ctx;
	struct nd_error err = { 0 };
	struct nd_sandbox_rec sb;
	if (net_sandbox_lookup(d, req->params[0], &sb, &err) < 0) {
		http_reply_error(req, &err);
		return;
	}
	http_reply_json(req, 200, sandbox_view(d, &sb));
	nd_sandbox_rec_clear(&sb);
}

void api_sandbox_delete(struct http_req *req, void *ctx)
{
	struct netd *d = ctx;
	struct nd_error err = { 0 };
	if (net_sandbox_delete(d, req->params[0], http_req_query_bool(req, "force", false), &err) < 0) {
		http_reply_error(req, &err);
		return;
	}
	http_reply_empty(req, 204);
}
