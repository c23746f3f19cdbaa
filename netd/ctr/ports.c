// SPDX-License-Identifier: Apache-2.0
/* Published ports of containers (`netctl run -p`): Docker's
 * HostConfig.PortBindings / PublishAllPorts and the mappings recorded in the
 * container document, published through the net layer's nd_ports handle
 * (net/ports.c). When the publisher is unavailable netd still runs;
 * starting a container that publishes ports then fails with the reason.
 *
 * The document of a container records what is published while it runs,
 * intent first (saved before nd_ports_add, removed with the unpublish):
 *   "PortMappings": [{"Proto":"tcp", "HostIp":"", "HostPort":8080,
 *                     "ContainerIp":"172.17.0.2", "ContainerPort":80,
 *                     "NetworkID":"..."}]
 * netd's start and the reconcile after `nft flush ruleset` sync the proxy to
 * the union of these records (nd_ports_sync). A mapping leaves with the
 * container's network teardown (exit, failed start, rm) or the disconnect
 * from the network that carries it. */
#include "netd/ctr/ctr.h"
#include "netd/net/net.h"

#include "proxy/proxy.h"
#include "wire/wire.h"

#include <arpa/inet.h>
#include <netinet/in.h>

/* ---- helpers ------------------------------------------------------------------- */

static int proto_num(const char *s)
{
	int proto;
	if (!s || !*s)
		return IPPROTO_TCP;
	return wire_ports_proto_from_name(s, &proto) < 0 ? -EINVAL : proto;
}

static bool is_v6(const char *ip) { return ip && strchr(ip, ':'); }

/* "172.17.0.2/16" -> "172.17.0.2" */
static void addr_of(const char *cidr, char out[46])
{
	snprintf(out, 46, "%s", cidr ? cidr : "");
	char *s = strchr(out, '/');
	if (s)
		*s = '\0';
}

static json_t *map_to_json(const struct nd_port_map *m, const char *netid)
{
	return json_pack("{s:s, s:s, s:i, s:s, s:i, s:s}", "Proto", wire_ports_proto_name(m->proto), "HostIp", m->host_ip,
			 "HostPort", (int)m->host_port, "ContainerIp", m->container_ip, "ContainerPort",
			 (int)m->container_port, "NetworkID", netid ? netid : "");
}

static int map_from_json(const json_t *j, struct nd_port_map *m)
{
	memset(m, 0, sizeof(*m));
	int proto = proto_num(nd_json_str(j, "Proto"));
	json_int_t hp = json_integer_value(json_object_get(j, "HostPort"));
	json_int_t cp = json_integer_value(json_object_get(j, "ContainerPort"));
	if (proto < 0 || hp <= 0 || hp > 65535 || cp <= 0 || cp > 65535)
		return -EINVAL;
	m->proto = proto;
	m->host_port = (uint16_t)hp;
	m->container_port = (uint16_t)cp;
	snprintf(m->host_ip, sizeof(m->host_ip), "%s", nd_json_str(j, "HostIp") ?: "");
	snprintf(m->container_ip, sizeof(m->container_ip), "%s", nd_json_str(j, "ContainerIp") ?: "");
	m->caller_reserves = json_is_true(json_object_get(j, "CallerReserves")); /* CNI attachments' */
	return 0;
}

/* "80/tcp" -> port, proto */
static int key_parse(const char *key, uint16_t *port, int *proto, struct nd_error *err)
{
	char buf[32];
	snprintf(buf, sizeof(buf), "%s", key);
	char *slash = strchr(buf, '/');
	if (slash)
		*slash++ = '\0';
	char *end;
	long p = strtol(buf, &end, 10);
	if (!*buf || *end || p < 1 || p > 65535)
		return nd_error_set(err, -EINVAL, "invalid port \"%s\" (want PORT[/tcp|udp|sctp])", key);
	if ((*proto = proto_num(slash)) < 0)
		return nd_error_set(err, -EINVAL, "invalid protocol in \"%s\" (tcp, udp or sctp)", key);
	*port = (uint16_t)p;
	return 0;
}

/* ---- create: HostConfig.PortBindings, PublishAllPorts, ExposedPorts -------------------- */

int ctr_ports_parse(const json_t *body, const json_t *image_cfg, json_t *hc_out, json_t **exposed_out,
		    struct nd_error *err)
{
	const json_t *hc = json_object_get(body, "HostConfig");
	const json_t *pb = json_object_get(hc, "PortBindings");
	const json_t *pa = json_object_get(hc, "PublishAllPorts");
	const json_t *ex = json_object_get(body, "ExposedPorts");
	*exposed_out = NULL;
	if (pa && !json_is_null(pa) && !json_is_boolean(pa))
		return nd_error_set(err, -EINVAL, "\"PublishAllPorts\" must be a boolean");
	if (pb && !json_is_null(pb) && !json_is_object(pb))
		return nd_error_set(err, -EINVAL, "\"PortBindings\" must be an object like {\"80/tcp\": [{\"HostPort\": \"8080\"}]}");
	if (ex && !json_is_null(ex) && !json_is_object(ex))
		return nd_error_set(err, -EINVAL, "\"ExposedPorts\" must be an object like {\"80/tcp\": {}}");
	_cleanup_json_ json_t *bindings = json_object(), *exposed = json_object();
	const char *key;
	json_t *v;
	uint16_t port;
	int proto, rc;
	char canon[32];
	/* Docker: the image's ExposedPorts, the request's, and every bound port */
	const json_t *sources[2] = { json_object_get(image_cfg, "ExposedPorts"), ex };
	for (int s = 0; s < 2; s++) {
		if (!json_is_object(sources[s]))
			continue;
		json_object_foreach((json_t *)sources[s], key, v) {
			if ((rc = key_parse(key, &port, &proto, err)) < 0)
				return nd_error_wrap(err, "ExposedPorts");
			snprintf(canon, sizeof(canon), "%u/%s", port, wire_ports_proto_name(proto));
			json_object_set_new(exposed, canon, json_object());
		}
	}
	json_object_foreach((json_t *)pb, key, v) {
		if ((rc = key_parse(key, &port, &proto, err)) < 0)
			return nd_error_wrap(err, "PortBindings");
		snprintf(canon, sizeof(canon), "%u/%s", port, wire_ports_proto_name(proto));
		json_object_set_new(exposed, canon, json_object());
		json_t *list = json_object_get(bindings, canon);
		if (!list) {
			list = json_array();
			json_object_set_new(bindings, canon, list);
		}
		if (json_is_null(v))
			continue;
		if (!json_is_array(v))
			return nd_error_set(err, -EINVAL, "PortBindings \"%s\": want a list of {\"HostIp\", \"HostPort\"}", key);
		size_t i;
		json_t *b;
		json_array_foreach(v, i, b) {
			const char *hip = NULL, *hport = NULL;
			if (!json_is_object(b) || nd_json_get_str(b, "HostIp", &hip, false, err) < 0 ||
			    nd_json_get_str(b, "HostPort", &hport, false, err) < 0)
				return nd_error_wrap(err, "PortBindings \"%s\"", key);
			hip = hip ? hip : "";
			hport = hport ? hport : "";
			/* the proxy's parser is the judge of addresses and ports */
			char spec[128];
			struct nd_port_map m[2];
			size_t n = 0;
			snprintf(spec, sizeof(spec), "%s%s%s%s%s:%u/%s", is_v6(hip) ? "[" : "", hip, is_v6(hip) ? "]" : "",
				 *hip ? ":" : "", hport, port, wire_ports_proto_name(proto));
			if (nd_ports_parse(spec, m, ARRAY_SIZE(m), &n, err) < 0)
				return nd_error_wrap(err, "PortBindings \"%s\"", key);
			if (n != 1)
				return nd_error_set(err, -EINVAL, "PortBindings \"%s\": one host port per binding", key);
			char hp[8] = "";
			if (m[0].host_port)
				snprintf(hp, sizeof(hp), "%u", m[0].host_port);
			json_array_append_new(list, json_pack("{s:s, s:s}", "HostIp", m[0].host_ip, "HostPort", hp));
		}
	}
	json_object_set(hc_out, "PortBindings", bindings);
	json_object_set_new(hc_out, "PublishAllPorts", json_boolean(json_is_true(pa)));
	const char *mode = nd_json_str(hc_out, "NetworkMode") ?: "";
	if (nd_str_has_prefix(mode, "container:") && (json_object_size(bindings) > 0 || json_is_true(pa)))
		return nd_error_set(err, -EINVAL, "conflicting options: port publishing and the container type network mode");
	*exposed_out = TAKE_PTR(exposed);
	return 0;
}

/* the bindings to publish at start: PortBindings, plus every exposed port
 * without one when PublishAllPorts */
static json_t *effective_bindings(const json_t *doc)
{
	const json_t *hc = json_object_get(doc, "HostConfig");
	json_t *out = json_deep_copy(json_object_get(hc, "PortBindings") ?: json_object());
	if (!out)
		return NULL;
	if (json_is_true(json_object_get(hc, "PublishAllPorts"))) {
		const char *key;
		json_t *v;
		json_object_foreach(json_object_get(json_object_get(doc, "Config"), "ExposedPorts"), key, v) {
			json_t *l = json_object_get(out, key);
			if (json_array_size(l) == 0)
				json_object_set_new(out, key, json_pack("[{s:s, s:s}]", "HostIp", "", "HostPort", ""));
		}
	}
	return out;
}

/* ---- start / stop ------------------------------------------------------------------------ */

/* the endpoint that carries published ports: the first requested network's */
struct carrier {
	char network_id[ND_ID_LEN + 1];
	char ipv4[64], ipv6[64];
};

static int carrier_endpoint(struct netd *d, const struct nd_container_rec *r, struct carrier *out,
			    struct nd_error *err)
{
	const char *sbid = r->sandbox_id;
	struct nd_endpoint_list eps = { 0 };
	int rc;
	if (!*sbid || (rc = net_endpoint_list(d, NULL, sbid, &eps, err)) < 0 || eps.n == 0) {
		nd_endpoint_list_clear(&eps);
		return err->code ? err->code : nd_error_set(err, -ENOTCONN, "publish ports: the container has no network endpoint");
	}
	const char *want = nd_json_str(json_array_get(json_object_get(r->doc, "NetworkRequests"), 0), "NetworkID");
	const struct nd_endpoint_rec *ep = &eps.v[0];
	for (size_t i = 0; i < eps.n; i++)
		if (want && strcmp(eps.v[i].network_id, want) == 0)
			ep = &eps.v[i];
	snprintf(out->network_id, sizeof(out->network_id), "%s", ep->network_id);
	snprintf(out->ipv4, sizeof(out->ipv4), "%s", ep->ipv4);
	snprintf(out->ipv6, sizeof(out->ipv6), "%s", ep->ipv6);
	nd_endpoint_list_clear(&eps);
	return 0;
}

static int maps_of(const json_t *records, struct nd_port_map **out, size_t *n)
{
	size_t cnt = json_array_size(records);
	*n = 0;
	*out = calloc(cnt ? cnt : 1, sizeof(**out));
	if (!*out)
		return -ENOMEM;
	size_t i;
	json_t *r;
	json_array_foreach(records, i, r)
		if (map_from_json(r, &(*out)[*n]) == 0)
			(*n)++;
	return 0;
}

/* builds the records for doc's bindings (ports picked where HostPort is empty) */
static int build_records(struct netd *d, const json_t *doc, const json_t *bindings, const struct carrier *ep,
			 json_t *records, struct nd_error *err)
{
	struct nd_ports *p = net_ports(d);
	char v4[46], v6[46];
	addr_of(ep->ipv4, v4);
	addr_of(ep->ipv6, v6);
	const char *netid = ep->network_id;
	const char *key;
	json_t *list;
	json_object_foreach((json_t *)bindings, key, list) {
		uint16_t cport;
		int proto, rc;
		if ((rc = key_parse(key, &cport, &proto, err)) < 0)
			return rc;
		size_t i;
		json_t *b;
		json_array_foreach(list, i, b) {
			const char *hip = nd_json_str(b, "HostIp") ?: "";
			const char *hps = nd_json_str(b, "HostPort") ?: "";
			uint16_t hport = (uint16_t)atoi(hps);
			/* "" = both families the container has; 0.0.0.0 / :: = all of one */
			bool want4 = !*hip || (!is_v6(hip)), want6 = !*hip || is_v6(hip);
			bool any = !*hip || strcmp(hip, "0.0.0.0") == 0 || strcmp(hip, "::") == 0;
			if (want4 && !*v4 && *hip)
				return nd_error_set(err, -EINVAL, "%s:%s -> %s: the container has no IPv4 address", hip, hps, key);
			if (want6 && !*v6 && *hip)
				return nd_error_set(err, -EINVAL, "[%s]:%s -> %s: the container has no IPv6 address", hip, hps, key);
			if (!hport && (rc = nd_ports_pick_free(p, proto, any ? (want4 && *v4 ? "" : "::") : hip, &hport, err)) < 0)
				return rc;
			for (int fam = 0; fam < 2; fam++) {
				const char *cip = fam == 0 ? v4 : v6;
				if (!(fam == 0 ? want4 : want6) || !*cip)
					continue;
				struct nd_port_map m = { .proto = proto, .host_port = hport, .container_port = cport };
				snprintf(m.host_ip, sizeof(m.host_ip), "%s", any ? "" : hip);
				snprintf(m.container_ip, sizeof(m.container_ip), "%s", cip);
				json_array_append_new(records, map_to_json(&m, netid));
			}
		}
	}
	return 0;
}

static void del_records(struct netd *d, const char *id, const json_t *records)
{
	struct nd_ports *p = net_ports(d);
	size_t i;
	json_t *r;
	if (!p)
		return;
	json_array_foreach(records, i, r) {
		struct nd_port_map m;
		struct nd_error e = { 0 };
		char s[160];
		/* one by one: a mapping now held by someone else fails alone */
		if (map_from_json(r, &m) == 0 && nd_ports_del(p, &m, 1, &e) < 0)
			log_warn("container=%.12s: unpublish %s: %s", id, nd_port_map_str(&m, s, sizeof(s)), e.msg);
	}
}

int ctr_ports_publish(struct netd *d, struct nd_container_rec *r, struct nd_error *err)
{
	struct nd_ports *ports = net_ports(d);
	json_t *doc = r->doc;
	const char *id = r->id;
	_cleanup_json_ json_t *bindings = effective_bindings(doc);
	if (!bindings)
		return nd_error_set(err, -ENOMEM, "out of memory");
	if (json_object_size(bindings) == 0)
		return 0;
	const char *mode = r->network_mode;
	if (strcmp(mode, "host") == 0 || strcmp(mode, "none") == 0 || !r->sandbox_id[0]) {
		log_info("container=%.12s: network mode %s: published ports are ignored", id, mode);
		return 0;
	}
	if (!ports)
		return nd_error_set(err, -ENOTSUP, "port publishing is unavailable: %s", net_ports_error(d));
	struct carrier ep;
	if (carrier_endpoint(d, r, &ep, err) < 0)
		return err->code ? err->code : nd_error_set(err, -ENOTCONN, "publish ports: the container has no network endpoint");
	int rc = 0;
	for (int attempt = 0; attempt < 4; attempt++) {
		json_t *records = json_array();
		json_object_set_new(doc, "PortMappings", records);
		nd_error_clear(err);
		if ((rc = build_records(d, doc, bindings, &ep, records, err)) < 0)
			break;
		/* intent first: a netd killed after this save publishes them at its start */
		if ((rc = ctr_save(d, r, err)) < 0)
			break;
		_cleanup_free_ struct nd_port_map *maps = NULL;
		size_t n;
		if (maps_of(records, &maps, &n) < 0) {
			rc = nd_error_set(err, -ENOMEM, "out of memory");
			break;
		}
		rc = nd_ports_add(ports, maps, n, err);
		if (rc == 0) {
			char s[160];
			for (size_t i = 0; i < n; i++)
				log_info("container=%.12s published %s", id, nd_port_map_str(&maps[i], s, sizeof(s)));
			return 0;
		}
		/* a picked port may be free for one family only: pick again */
		bool picked = false;
		const char *key;
		json_t *list;
		json_object_foreach(bindings, key, list) {
			size_t i;
			json_t *b;
			json_array_foreach(list, i, b)
				picked |= !*(nd_json_str(b, "HostPort") ?: "");
		}
		if (!picked || (rc != -EADDRINUSE && rc != -EEXIST))
			break;
	}
	/* nothing was published: the record goes (the caller saves the doc) */
	json_object_del(doc, "PortMappings");
	return rc;
}

void ctr_ports_unpublish(struct netd *d, struct nd_container_rec *r)
{
	json_t *records = json_object_get(r->doc, "PortMappings");
	if (!records)
		return;
	del_records(d, r->id, records);
	json_object_del(r->doc, "PortMappings");
}

/* ---- the daemon: open, sync, close, info ---------------------------------------------- */

int ctr_ports_sync(struct netd *d, struct nd_error *err)
{
	struct nd_ports *ports = net_ports(d);
	if (!ports)
		return 0;
	_cleanup_json_ json_t *docs = NULL, *all = json_array();
	int rc = ctr_list(d, &docs, err);
	if (rc < 0)
		return rc;
	size_t i;
	json_t *doc;
	json_array_foreach(docs, i, doc)
		json_array_extend(all, json_object_get(doc, "PortMappings") ?: json_array());
	/* and what CNI attachments publish (net layer records) */
	if ((rc = net_attach_port_records(d, all, err)) < 0)
		return rc;
	_cleanup_free_ struct nd_port_map *maps = NULL;
	size_t n;
	if (maps_of(all, &maps, &n) < 0)
		return nd_error_set(err, -ENOMEM, "out of memory");
	if ((rc = nd_ports_sync(ports, maps, n, err)) < 0)
		return nd_error_wrap(err, "sync %zu published port%s", n, n == 1 ? "" : "s");
	log_debug("ports: synced %zu mapping%s", n, n == 1 ? "" : "s");
	return 0;
}

/* ---- disconnect: the mappings that ride on that network go first ------------------------- */

void ctr_ports_unpublish_network(struct netd *d, const char *id, const char *network_id)
{
	struct nd_error e = { 0 };
	struct nd_container_rec rec;
	if (ctr_load(d, id, &rec, &e) < 0)
		return;
	json_t *doc = rec.doc;
	if (json_array_size(json_object_get(doc, "PortMappings")) == 0) {
		nd_container_rec_clear(&rec);
		return;
	}
	json_t *keep = json_array(), *drop = json_array();
	size_t i;
	json_t *r;
	json_array_foreach(json_object_get(doc, "PortMappings"), i, r)
		json_array_append(strcmp(nd_json_str(r, "NetworkID") ?: "", network_id) == 0 ? drop : keep, r);
	if (json_array_size(drop)) {
		del_records(d, id, drop);
		json_object_set_new(doc, "PortMappings", keep);
		if (ctr_save(d, &rec, &e) < 0)
			log_error("container=%.12s: %s", id, e.msg);
		log_info("container=%.12s: %zu published port%s unpublished: disconnected from network %.12s", id,
			 json_array_size(drop), json_array_size(drop) == 1 ? "" : "s", network_id);
	} else {
		json_decref(keep);
	}
	json_decref(drop);
	nd_container_rec_clear(&rec);
}

/* ---- views ---------------------------------------------------------------------------- */

/* An IPv4 port on all host addresses without an IPv6 mapping of the same
 * host port: the proxy gives it an IPv6 side (`[::]:port` to the IPv4
 * container, proxy/ports.c), shown as Docker shows it. */
static bool v6_side(const json_t *records, const json_t *r)
{
	const char *hip = nd_json_str(r, "HostIp") ?: "";
	if (*hip || is_v6(nd_json_str(r, "ContainerIp")))
		return false;
	size_t i;
	const json_t *o;
	json_array_foreach(records, i, o)
		if (is_v6(nd_json_str(o, "ContainerIp")) &&
		    json_integer_value(json_object_get(o, "HostPort")) == json_integer_value(json_object_get(r, "HostPort")) &&
		    strcmp(nd_json_str(o, "Proto") ?: "", nd_json_str(r, "Proto") ?: "") == 0)
			return false;
	return true;
}

/* NetworkSettings.Ports: {"80/tcp": [{"HostIp": "0.0.0.0", "HostPort": "8080"}], "81/tcp": null} */
json_t *ctr_ports_view(const json_t *doc)
{
	json_t *out = json_object();
	const json_t *records = json_object_get(doc, "PortMappings");
	if (!records)
		return out;   /* not running: Docker shows {} */
	const char *key;
	json_t *v;
	json_object_foreach(json_object_get(json_object_get(doc, "Config"), "ExposedPorts"), key, v)
		json_object_set_new(out, key, json_null());
	size_t i;
	json_t *r;
	json_array_foreach(records, i, r) {
		char k[32], hp[8];
		snprintf(k, sizeof(k), "%d/%s", (int)json_integer_value(json_object_get(r, "ContainerPort")),
			 nd_json_str(r, "Proto") ?: "tcp");
		snprintf(hp, sizeof(hp), "%d", (int)json_integer_value(json_object_get(r, "HostPort")));
		const char *hip = nd_json_str(r, "HostIp") ?: "";
		if (!*hip)
			hip = is_v6(nd_json_str(r, "ContainerIp")) ? "::" : "0.0.0.0";
		json_t *l = json_object_get(out, k);
		if (!json_is_array(l)) {
			l = json_array();
			json_object_set_new(out, k, l);
		}
		json_array_append_new(l, json_pack("{s:s, s:s}", "HostIp", hip, "HostPort", hp));
		if (v6_side(records, r))
			json_array_append_new(l, json_pack("{s:s, s:s}", "HostIp", "::", "HostPort", hp));
	}
	return out;
}

/* /containers/json "Ports": [{"IP", "PrivatePort", "PublicPort", "Type"}] */
json_t *ctr_ports_summary(const json_t *doc)
{
	json_t *out = json_array();
	const json_t *records = json_object_get(doc, "PortMappings");
	size_t i;
	json_t *r;
	json_array_foreach(records, i, r) {
		const char *hip = nd_json_str(r, "HostIp") ?: "";
		if (!*hip)
			hip = is_v6(nd_json_str(r, "ContainerIp")) ? "::" : "0.0.0.0";
		for (int side = 0; side < (v6_side(records, r) ? 2 : 1); side++)
			json_array_append_new(out, json_pack("{s:s, s:I, s:I, s:s}", "IP", side ? "::" : hip, "PrivatePort",
				json_integer_value(json_object_get(r, "ContainerPort")), "PublicPort",
				json_integer_value(json_object_get(r, "HostPort")), "Type", nd_json_str(r, "Proto") ?: "tcp"));
	}
	const char *key;
	json_t *v;
	json_object_foreach(json_object_get(json_object_get(doc, "Config"), "ExposedPorts"), key, v) {
		uint16_t port;
		int proto;
		struct nd_error e = { 0 };
		bool published = false;
		if (key_parse(key, &port, &proto, &e) < 0)
			continue;
		json_array_foreach(records, i, r)
			published |= json_integer_value(json_object_get(r, "ContainerPort")) == port &&
				     strcmp(nd_json_str(r, "Proto") ?: "", wire_ports_proto_name(proto)) == 0;
		if (!published)
			json_array_append_new(out, json_pack("{s:i, s:s}", "PrivatePort", (int)port, "Type", wire_ports_proto_name(proto)));
	}
	return out;
}
