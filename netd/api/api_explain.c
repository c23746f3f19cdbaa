// SPDX-License-Identifier: Apache-2.0
/* GET /explain?src=SRC&dst=DST[&port=N][&proto=tcp|udp]: netctl explain. */
#include "netd/api/api.h"

#include <netinet/in.h>

static json_t *explain_view(const struct net_explain *ex)
{
	json_t *hops = json_array();
	for (size_t i = 0; i < ex->nhops; i++) {
		const struct net_explain_hop *h = &ex->hops[i];
		json_array_append_new(hops, json_pack("{s:s, s:s, s:s, s:s}", "kind", h->kind, "object", h->object,
						      "detail", h->detail, "command", h->command));
	}
	json_t *v = json_pack("{s:{s:s, s:s}, s:{s:s, s:s}, s:s, s:o, s:{s:s, s:s, s:s}}",
			      "src", "ref", ex->src, "address", ex->src_addr,
			      "dst", "ref", ex->dst, "address", ex->dst_addr,
			      "proto", ex->proto,
			      "hops", hops,
			      "verdict", "result", net_explain_result_name(ex->result), "reason", ex->reason, "rule",
			      ex->rule);
	if (v && ex->port)
		json_object_set_new(v, "port", json_integer(ex->port));
	return v;
}

static void explain_done(void *data, int rc, const struct nd_error *err, const struct net_explain *ex)
{
	struct http_req *req = data;
	if (rc < 0 || !ex) {
		http_reply_error(req, err);
		return;
	}
	http_reply_json(req, 200, explain_view(ex));
}

void api_explain(struct http_req *req, void *ctx)
{
	struct netd *d = ctx;
	struct nd_error err = { 0 };
	_cleanup_free_ char *src = http_req_query(req, "src");
	_cleanup_free_ char *dst = http_req_query(req, "dst");
	_cleanup_free_ char *port = http_req_query(req, "port");
	_cleanup_free_ char *proto = http_req_query(req, "proto");
	struct net_explain_req r = { .src = src, .dst = dst };
	if (port && *port) {
		char *end = NULL;
		errno = 0;
		long p = strtol(port, &end, 10);
		if (errno || !end || *end || p < 1 || p > 65535) {
			http_reply_errorf(req, 400, "port: \"%s\" is not a port (1-65535)", port);
			return;
		}
		r.port = (uint16_t)p;
	}
	if (proto && *proto) {
		if (!strcmp(proto, "tcp"))
			r.proto = IPPROTO_TCP;
		else if (!strcmp(proto, "udp"))
			r.proto = IPPROTO_UDP;
		else {
			http_reply_errorf(req, 400, "proto: \"%s\" is not tcp or udp", proto);
			return;
		}
	}
	if (net_explain(d, &r, explain_done, req, &err) < 0)
		http_reply_error(req, &err);
}
