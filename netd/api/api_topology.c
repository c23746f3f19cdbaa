// SPDX-License-Identifier: Apache-2.0
/* GET /topology: networks with their kernel objects, sandboxes, endpoints
 * with both ends of their interfaces, containers and their published ports,
 * as the kernel has them now (docs/topology.md has the schema). */
#include "netd/api/api.h"

static json_t *link_view(const struct net_topo_link *l)
{
	if (!l->kind[0])
		return json_null();
	json_t *addrs = json_array();
	for (int i = 0; i < l->naddrs; i++)
		json_array_append_new(addrs, json_string(l->addrs[i]));
	json_t *v = json_pack("{s:s, s:s, s:i, s:s, s:i, s:b, s:o}", "Name", l->name, "Kind", l->kind, "Ifindex",
			      l->ifindex, "Mac", l->mac, "Mtu", (int)l->mtu, "Up", l->up, "Addresses", addrs);
	if (v && l->master[0])
		json_object_set_new(v, "Master", json_string(l->master));
	if (v && l->link_ifindex > 0)
		json_object_set_new(v, "LinkIfindex", json_integer(l->link_ifindex));
	return v ? v : json_null();
}

static json_t *topology_view(const struct ctr_topology *t)
{
	const struct net_topology *nt = t->net;
	json_t *nets = json_array(), *sbs = json_array(), *eps = json_array(), *ctrs = json_array();
	for (size_t i = 0; i < nt->nnetworks; i++) {
		const struct net_topo_network *n = &nt->networks[i];
		json_t *subnets = json_array();
		for (int k = 0; k < n->rec.nipam; k++)
			json_array_append_new(subnets, json_pack("{s:s, s:s}", "Subnet", n->rec.ipam[k].subnet,
								 "Gateway", n->rec.ipam[k].gateway));
		json_t *links = json_object_get(n->driver_state, "Links");
		json_array_append_new(nets, json_pack("{s:s, s:s, s:s, s:s, s:b, s:o, s:O, s:O}", "Id", n->rec.id,
			"Name", n->rec.name, "Driver", n->rec.driver, "Scope", n->driver_scope, "Internal",
			n->rec.internal, "Subnets", subnets, "Links", json_is_array(links) ? links : json_array(),
			"DriverState", n->driver_state ? n->driver_state : json_object()));
	}
	for (size_t i = 0; i < nt->nsandboxes; i++) {
		const struct net_topo_sandbox *s = &nt->sandboxes[i];
		json_array_append_new(sbs, json_pack("{s:s, s:s, s:s, s:b, s:b}", "Id", s->rec.id, "Name", s->rec.name,
			"NetnsPath", s->rec.netns_path, "CallerOwned", s->rec.caller_owned, "Alive", s->alive));
	}
	for (size_t i = 0; i < nt->nendpoints; i++) {
		const struct net_topo_endpoint *e = &nt->endpoints[i];
		json_array_append_new(eps, json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:O, s:O, s:o, s:o}",
			"Id", e->rec.id, "NetworkId", e->rec.network_id, "SandboxId", e->rec.sandbox_id,
			"ContainerId", e->rec.container_id, "Name", e->rec.owner_name, "IfName", e->rec.ifname,
			"MacAddress", e->rec.mac, "IPv4Address", e->rec.ipv4, "IPv6Address", e->rec.ipv6,
			"Aliases", e->rec.aliases, "PortMappings", e->rec.port_mappings,
			"Interface", link_view(&e->inner), "HostLink", link_view(&e->outer)));
	}
	for (size_t i = 0; i < t->ncontainers; i++) {
		const struct ctr_topo_container *c = &t->containers[i];
		json_array_append_new(ctrs, json_pack("{s:s, s:s, s:s, s:s, s:s, s:O}", "Id", c->id, "Name", c->name,
			"Image", c->image, "State", c->status, "SandboxId", c->sandbox_id, "Ports", c->port_mappings));
	}
	return json_pack("{s:s, s:o, s:o, s:o, s:o}", "Host", nt->hostname, "Networks", nets, "Sandboxes", sbs,
			 "Endpoints", eps, "Containers", ctrs);
}

/* The request stays the handler's until it is answered, even when the
 * client goes away meanwhile (the transport frees it then). */
static void topo_done(void *data, int rc, const struct nd_error *err, const struct ctr_topology *t)
{
	struct http_req *req = data;
	if (rc < 0)
		http_reply_error(req, err);
	else
		http_reply_json(req, 200, topology_view(t));
}

void api_topology(struct http_req *req, void *ctx)
{
	ctr_topology_read(ctx, topo_done, req);
}
