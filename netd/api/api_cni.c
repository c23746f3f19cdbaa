// SPDX-License-Identifier: Apache-2.0
/* /cni/...: the netd-only API that the CNI plugin (netd-cni) calls. Each
 * handler decodes the body into a typed request, calls one attachment
 * service of the net layer (net/attach.c) and encodes the attachment.
 *
 *   POST /cni/add    {"ContainerID","Ifname","Network","Netns", "IPv4","IPv6",
 *                     "MacAddress","Aliases":[...], "RuntimeHoldsPorts": false,
 *                     "PortMappings":[{"HostPort","ContainerPort","Protocol","HostIP"}]}
 *                    -> 200 attachment
 *   POST /cni/check  {"ContainerID","Ifname","Network"} -> 200 attachment | 404
 *   POST /cni/del    {"ContainerID","Ifname","Network"} -> 204 (idempotent)
 *   POST /cni/gc     {"Network","Valid":[{"ContainerID","Ifname"}]} -> {"Released": n}
 *   GET  /cni/status?network=NAME -> {"Network","Ready":true} | 404 | 503
 */
#include "netd/api/api.h"

#include "wire/wire.h"

#include <arpa/inet.h>

#define CNI_MAX_PORTS 256

static int key_of(const json_t *body, struct net_attach_key *k, struct nd_error *err)
{
	memset(k, 0, sizeof(*k));
	int rc;
	if ((rc = nd_json_get_str(body, "ContainerID", &k->container_id, true, err)) < 0 ||
	    (rc = nd_json_get_str(body, "Ifname", &k->ifname, true, err)) < 0 ||
	    (rc = nd_json_get_str(body, "Network", &k->network, true, err)) < 0)
		return rc;
	return 0;
}

static int port_of(const json_t *j, struct nd_port_map *m, struct nd_error *err)
{
	memset(m, 0, sizeof(*m));
	if (!json_is_object(j))
		return nd_error_set(err, -EINVAL, "a port mapping must be an object");
	json_t *hp = json_object_get(j, "HostPort"), *cp = json_object_get(j, "ContainerPort");
	if (!json_is_integer(hp) || json_integer_value(hp) < 1 || json_integer_value(hp) > 65535)
		return nd_error_set(err, -EINVAL, "port mapping: \"HostPort\" must be a port number (1-65535)");
	if (!json_is_integer(cp) || json_integer_value(cp) < 1 || json_integer_value(cp) > 65535)
		return nd_error_set(err, -EINVAL, "port mapping: \"ContainerPort\" must be a port number (1-65535)");
	m->host_port = (uint16_t)json_integer_value(hp);
	m->container_port = (uint16_t)json_integer_value(cp);
	const char *proto = NULL, *hip = NULL;
	int rc;
	if ((rc = nd_json_get_str(j, "Protocol", &proto, false, err)) < 0 ||
	    (rc = nd_json_get_str(j, "HostIP", &hip, false, err)) < 0)
		return rc;
	m->proto = IPPROTO_TCP;
	if (proto && *proto && wire_ports_proto_from_name(proto, &m->proto) < 0)
		return nd_error_set(err, -EINVAL, "port mapping: unknown protocol \"%s\" (tcp, udp or sctp)", proto);
	if (hip && *hip) {
		unsigned char buf[16];
		if (inet_pton(AF_INET, hip, buf) != 1 && inet_pton(AF_INET6, hip, buf) != 1)
			return nd_error_set(err, -EINVAL, "port mapping: invalid host address \"%s\"", hip);
		/* "all addresses" is "" for the publisher */
		if (strcmp(hip, "0.0.0.0") && strcmp(hip, "::"))
			snprintf(m->host_ip, sizeof(m->host_ip), "%s", hip);
		else if (strcmp(hip, "::") == 0)
			return nd_error_set(err, -EINVAL, "port mapping: host address \"::\": use \"\" for all addresses");
	}
	return 0;
}

static json_t *attachment_view(const struct net_attachment *a)
{
	json_t *v = json_object();
	if (!v)
		return NULL;
	const struct { const char *k, *v; } strs[] = {
		{ "ContainerID", nd_json_str(a->sb.labels, "cni.dev/container-id") ?: "" },
		{ "Ifname", a->ep.ifname }, { "NetworkID", a->network_id }, { "Network", a->network_name },
		{ "SandboxID", a->sb.id }, { "Netns", a->sb.netns_path }, { "EndpointID", a->ep.id },
		{ "MacAddress", a->ep.mac }, { "IPv4Address", a->ep.ipv4 }, { "IPv6Address", a->ep.ipv6 },
		{ "IPv4Gateway", a->gateway4 }, { "IPv6Gateway", a->gateway6 }, { "Nameserver", a->dns4 },
	};
	for (size_t i = 0; i < ARRAY_SIZE(strs); i++)
		json_object_set_new(v, strs[i].k, json_string(strs[i].v));
	json_object_set_new(v, "DefaultRoute", json_boolean(a->ep.default_route));
	json_object_set_new(v, "MTU", json_integer(a->mtu));
	json_object_set_new(v, "Aliases", a->ep.aliases ? json_deep_copy(a->ep.aliases) : json_array());
	json_object_set_new(v, "PortMappings", a->ep.port_mappings ? json_deep_copy(a->ep.port_mappings) : json_array());
	return v;
}

static void cni_reserved(struct netd *d, void *arg, int rc, const struct nd_error *err)
{
	struct http_req *req = arg;
	if (rc < 0)
		http_reply_error(req, err);
	else
		api_cni_add(req, d);
}

void api_cni_add(struct http_req *req, void *ctx)
{
	struct netd *d = ctx;
	struct nd_error err = { 0 };
	_cleanup_json_ json_t *body = http_req_json(req, &err);
	struct net_attach_req r = { 0 };
	struct nd_port_map ports[CNI_MAX_PORTS];
	if (!body || key_of(body, &r.key, &err) < 0 || nd_json_get_str(body, "Netns", &r.netns, true, &err) < 0 ||
	    nd_json_get_str(body, "IPv4", &r.ipv4, false, &err) < 0 ||
	    nd_json_get_str(body, "IPv6", &r.ipv6, false, &err) < 0 ||
	    nd_json_get_str(body, "MacAddress", &r.mac, false, &err) < 0) {
		http_reply_error(req, &err);
		return;
	}
	bool holds = false;
	if (nd_json_get_bool(body, "RuntimeHoldsPorts", &holds, &err) < 0) {
		http_reply_error(req, &err);
		return;
	}
	r.aliases = json_object_get(body, "Aliases");
	if (json_is_null(r.aliases))
		r.aliases = NULL;
	json_t *pm = json_object_get(body, "PortMappings");
	if (pm && !json_is_null(pm)) {
		if (!json_is_array(pm) || json_array_size(pm) > CNI_MAX_PORTS) {
			nd_error_set(&err, -EINVAL, "\"PortMappings\" must be a list of at most %d mappings", CNI_MAX_PORTS);
			http_reply_error(req, &err);
			return;
		}
		size_t i;
		json_t *m;
		json_array_foreach(pm, i, m) {
			if (port_of(m, &ports[r.nports], &err) < 0) {
				http_reply_error(req, &err);
				return;
			}
			ports[r.nports++].caller_reserves = holds;
		}
		r.ports = ports;
	}
	struct net_attachment a;
	/* a global network: the address is taken in the cluster store first
	 * (a job), then this handler runs again (not for an attachment that
	 * exists: ADD answers it as it is) */
	struct nd_error e2 = { 0 };
	struct net_network *gn = net_network_find(d, r.key.network, &e2);
	if (gn && net_network_global(gn) && !net_global_reserved(d, gn, r.ipv4, r.ipv6)) {
		bool exists = net_attach_get(d, &r.key, &a, &e2) == 0;
		if (exists)
			net_attachment_clear(&a);
		else {
			if (net_global_reserve(d, gn, r.ipv4, r.ipv6, cni_reserved, req, &err) < 0)
				http_reply_error(req, &err);
			return;
		}
	}
	if (net_attach_add(d, &r, &a, &err) < 0) {
		http_reply_error(req, &err);
		return;
	}
	http_reply_json(req, 200, attachment_view(&a));
	net_attachment_clear(&a);
}

void api_cni_check(struct http_req *req, void *ctx)
{
	struct netd *d = ctx;
	struct nd_error err = { 0 };
	_cleanup_json_ json_t *body = http_req_json(req, &err);
	struct net_attach_key k;
	struct net_attachment a;
	if (!body || key_of(body, &k, &err) < 0 || net_attach_get(d, &k, &a, &err) < 0) {
		http_reply_error(req, &err);
		return;
	}
	http_reply_json(req, 200, attachment_view(&a));
	net_attachment_clear(&a);
}

void api_cni_del(struct http_req *req, void *ctx)
{
	struct netd *d = ctx;
	struct nd_error err = { 0 };
	_cleanup_json_ json_t *body = http_req_json(req, &err);
	struct net_attach_key k;
	if (!body || key_of(body, &k, &err) < 0 || net_attach_del(d, &k, &err) < 0) {
		http_reply_error(req, &err);
		return;
	}
	http_reply_empty(req, 204);
}

void api_cni_gc(struct http_req *req, void *ctx)
{
	struct netd *d = ctx;
	struct nd_error err = { 0 };
	_cleanup_json_ json_t *body = http_req_json(req, &err);
	const char *network = NULL;
	if (!body || nd_json_get_str(body, "Network", &network, true, &err) < 0) {
		http_reply_error(req, &err);
		return;
	}
	json_t *valid = json_object_get(body, "Valid");
	if (valid && !json_is_null(valid) && !json_is_array(valid)) {
		nd_error_set(&err, -EINVAL, "\"Valid\" must be a list of {\"ContainerID\", \"Ifname\"}");
		http_reply_error(req, &err);
		return;
	}
	size_t n = json_array_size(valid);
	_cleanup_free_ struct net_attach_key *keys = calloc(n + 1, sizeof(*keys));
	if (!keys) {
		nd_error_set(&err, -ENOMEM, "out of memory");
		http_reply_error(req, &err);
		return;
	}
	size_t i;
	json_t *v;
	json_array_foreach(valid, i, v) {
		if (!json_is_object(v) || nd_json_get_str(v, "ContainerID", &keys[i].container_id, true, &err) < 0 ||
		    nd_json_get_str(v, "Ifname", &keys[i].ifname, true, &err) < 0) {
			if (!err.code)
				nd_error_set(&err, -EINVAL, "\"Valid\" entries must be {\"ContainerID\", \"Ifname\"}");
			http_reply_error(req, &err);
			return;
		}
	}
	size_t released = 0;
	if (net_attach_gc(d, network, keys, n, &released, &err) < 0) {
		http_reply_error(req, &err);
		return;
	}
	http_reply_json(req, 200, json_pack("{s:I}", "Released", (json_int_t)released));
}

void api_cni_status(struct http_req *req, void *ctx)
{
	struct netd *d = ctx;
	struct nd_error err = { 0 };
	_cleanup_free_ char *network = http_req_query(req, "network");
	if (!network || !*network) {
		nd_error_set(&err, -EINVAL, "?network= is required");
		http_reply_error(req, &err);
		return;
	}
	if (net_attach_status(d, network, &err) < 0) {
		http_reply_error(req, &err);
		return;
	}
	http_reply_json(req, 200, json_pack("{s:s, s:b}", "Network", network, "Ready", 1));
}
