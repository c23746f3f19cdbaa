// SPDX-License-Identifier: Apache-2.0
/* drivers/macvlan: internals of the macvlan driver (not a public header;
 * the public face is nd_macvlan_driver in drivers/driver.h).
 *
 * A network is a parent link: an interface the user names (-o parent=IF),
 * an 802.1Q sub-interface netd makes on it (-o parent=IF.VLAN), or, for an
 * --internal network without a parent, a veth pair netd makes whose far end
 * goes nowhere (this kernel has no dummy links). An endpoint is a macvlan
 * child of the parent, born inside the sandbox with its final name.
 *
 * What netd makes, and how it knows its own:
 *   mvh<id12>   the host-access child (netd.macvlan.host_access=true)
 *   mvi<id12>   the internal parent (a veth) and mvo<id12> its far end
 *   mvl<id12>   a VLAN sub-interface before it takes its final name
 *   IF.VLAN     the VLAN sub-interface, marked "netd-macvlan-net:<net id>"
 *               in its alias (IFLA_IFALIAS): the user picks the name
 *   ethN        a child in a sandbox, marked "netd-macvlan-ep:<endpoint id>"
 *   mvdel<hex>  a child on its way out (leave), in its sandbox
 */
#pragma once

#include "drivers/driver.h"

#define MACVLAN_OPT_PARENT      "parent"
#define MACVLAN_OPT_MODE        "macvlan_mode"
#define MACVLAN_OPT_HOST_ACCESS "netd.macvlan.host_access"
#define MACVLAN_OPT_HOST_ADDR   "netd.macvlan.host_address"
#define MACVLAN_OPT_HOST_ADDR6  "netd.macvlan.host_address6"

/* the auxiliary address (IPAM) that holds the host-access child's address */
#define MACVLAN_AUX_HOST        "netd.macvlan.host"

#define MACVLAN_MARK_NET        "netd-macvlan-net:"
#define MACVLAN_MARK_EP         "netd-macvlan-ep:"
#define MACVLAN_TOMB_PREFIX     "mvdel"

enum macvlan_mode_e {
	MACVLAN_M_BRIDGE,
	MACVLAN_M_PRIVATE,
	MACVLAN_M_VEPA,
	MACVLAN_M_PASSTHRU,
};

struct macvlan_opts {
	char parent[IFNAMSIZ];     /* as given; "" = none (--internal) */
	char base[IFNAMSIZ];       /* the interface under the VLAN (= parent without one) */
	int vlan;                  /* 1..4094, 0 = none */
	enum macvlan_mode_e mode;  /* default bridge */
	bool host_access;
	char host_addr4[64];       /* "" = netd picks */
	char host_addr6[64];
};

/* options.c: pure, no kernel */
int macvlan__opts_parse(const json_t *options, struct macvlan_opts *o, struct nd_error *err);
int macvlan__options_validate(const json_t *options, struct nd_error *err);
const char *macvlan__mode_name(enum macvlan_mode_e m);
uint32_t macvlan__mode_kernel(enum macvlan_mode_e m);
/* "<prefix><first 12 of id>"; -EINVAL for a bad id */
int macvlan__name(const char *prefix, const char *id, char out[IFNAMSIZ]);
/* The link the children hang off: the parent option or mvi<id12>. */
/* explain.c */
int macvlan__explain_path(struct nd_drv_ctx *ctx, const struct nd_drv_network *net, struct nd_drv_path *p,
			  struct nd_error *err);
int macvlan__parent_link(const struct nd_drv_network *net, const struct macvlan_opts *o, char out[IFNAMSIZ],
			 struct nd_error *err);
bool macvlan__owns_ifname(const char *ifname);
bool macvlan__is_tomb(const char *ifname);
void macvlan__tomb_name(int ifindex, char out[IFNAMSIZ]);
/* 02:42 + the IPv4 address (Docker's choice for macvlan too); random when none */
int macvlan__mac_for(const char *ipv4, char out[18]);
/* a locally administered MAC from a network id (host-access child) */
int macvlan__mac_from_id(const char *id, char out[18]);
/* The host-access address of a subnet: its MACVLAN_AUX_HOST aux address. */
const char *macvlan__host_addr_of(const struct nd_drv_subnet *s);
/* Picks the host-access address of subnet s: want (checked) or the highest
 * usable address of the ip-range (else the subnet) that is neither the
 * gateway nor an auxiliary address. */
int macvlan__host_addr_pick(const struct nd_drv_subnet *s, const char *want, char out[64], struct nd_error *err);
/* "a.b.c.d/len" -> "a.b.c.d" (into out) */
void macvlan__addr_only(const char *cidr, char *out, size_t size);

/* network.c */
int macvlan__network_check(struct nd_drv_ctx *ctx, struct nd_drv_network *net, struct nd_error *err);
int macvlan__network_create(struct nd_drv_ctx *ctx, struct nd_drv_network *net, struct nd_error *err);
int macvlan__network_delete(struct nd_drv_ctx *ctx, struct nd_drv_network *net, struct nd_error *err);
int macvlan__network_restore(struct nd_drv_ctx *ctx, struct nd_drv_network *net, struct nd_error *err);
json_t *macvlan__network_status(struct nd_drv_ctx *ctx, const struct nd_drv_network *net);
/* The host-access child, as network_restore makes it (join, when it is gone). */
int macvlan__host_ensure(const struct nd_drv_network *net, struct nd_error *err);
struct nd_nl;
struct rtnl_link;
/* A VLAN link l marked for a network that goes (skip_id): hand it to
 * another recorded network on the same link (ctx->networks_foreach), else
 * delete it. */
int macvlan__vlan_release(struct nd_drv_ctx *ctx, struct nd_nl *nl, struct rtnl_link *l, const char *skip_id,
			  struct nd_error *err);

/* endpoint.c */
int macvlan__endpoint_create(struct nd_drv_ctx *ctx, struct nd_drv_network *net,
			     struct nd_drv_endpoint *ep, struct nd_error *err);
int macvlan__endpoint_delete(struct nd_drv_ctx *ctx, struct nd_drv_network *net,
			     struct nd_drv_endpoint *ep, struct nd_error *err);
int macvlan__join(struct nd_drv_ctx *ctx, struct nd_drv_network *net, struct nd_drv_endpoint *ep,
		  struct nd_drv_sandbox *sb, struct nd_error *err);
int macvlan__leave(struct nd_drv_ctx *ctx, struct nd_drv_network *net, struct nd_drv_endpoint *ep,
		   struct nd_drv_sandbox *sb, struct nd_error *err);
bool macvlan__endpoint_ok(struct nd_drv_ctx *ctx, struct nd_drv_network *net, struct nd_drv_endpoint *ep,
			  struct nd_drv_sandbox *sb);

/* sweep.c */
int macvlan__sweep(struct nd_drv_ctx *ctx, const struct nd_drv_records *rec, struct nd_error *err);
int macvlan__orphan_delete(struct nd_drv_ctx *ctx, const char *ifname, struct nd_error *err);

/* announce.c: from inside the sandbox's namespace (the calling thread's),
 * on the interface ifindex with hardware address mac: a gratuitous ARP
 * (and an ARP request for the gateway, which makes a router learn the
 * address even where gratuitous ARP is ignored) for ipv4; an unsolicited
 * neighbour advertisement (and a solicitation of the gateway) for ipv6.
 * Addresses as "addr/len" or "addr"; "" = none. Best effort: returns the
 * first failure, having tried everything. */
int macvlan__announce(int ifindex, const char *mac, const char *ipv4, const char *gw4, const char *ipv6,
		      const char *gw6, struct nd_error *err);
