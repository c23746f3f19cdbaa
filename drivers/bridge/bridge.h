// SPDX-License-Identifier: Apache-2.0
/* drivers/bridge: internals of the Linux bridge driver (not a public header;
 * the public face is nd_bridge_driver in drivers/driver.h). */
#pragma once

#include "drivers/driver.h"

#define BRIDGE_OPT_NAME        "com.docker.network.bridge.name"
#define BRIDGE_OPT_MTU         "com.docker.network.driver.mtu"
#define BRIDGE_OPT_ICC         "com.docker.network.bridge.enable_icc"
#define BRIDGE_OPT_MASQUERADE  "com.docker.network.bridge.enable_ip_masquerade"
#define BRIDGE_OPT_HOST_BIND   "com.docker.network.bridge.host_binding_ipv4"
#define BRIDGE_OPT_DEFAULT     "com.docker.network.bridge.default_bridge"

#define BRIDGE_VETH_HEX 11  /* "veth" + 11 hex = 15 chars (IFNAMSIZ - 1), "vp" + 11 = 13:
                             * two ids collide with odds ~1e-7 at 1,000 endpoints */

/* Parsed driver options, Docker's defaults where absent. */
struct bridge_opts {
	char name[IFNAMSIZ];      /* "" = derive br-<id12> */
	int mtu;                  /* 0 = kernel default */
	bool icc;                 /* default true */
	bool masquerade;          /* default true */
	bool default_bridge;      /* default false */
	char host_binding_ipv4[16]; /* "" = 0.0.0.0 */
};

/* options.c: pure, no kernel. */
int bridge__opts_parse(const json_t *options, struct bridge_opts *o, struct nd_error *err);
int bridge__options_validate(const json_t *options, struct nd_error *err);
/* "br-" + first 12 of the network id, or the name option. */
int bridge__bridge_name(const struct nd_drv_network *net, const struct bridge_opts *o, char out[IFNAMSIZ]);
/* The bridge name for an existing network: net->data "bridge" first. */
int bridge__bridge_name_of(const struct nd_drv_network *net, char out[IFNAMSIZ], struct nd_error *err);
/* "veth<7 hex>" / "vp<7 hex>" from the endpoint id. */
int bridge__veth_names(const char *ep_id, char host[IFNAMSIZ], char peer[IFNAMSIZ]);
/* Docker's genMAC: 02:42 + the 4 bytes of the IPv4 (cidr or bare address). */
int bridge__mac_from_ipv4(const char *ipv4, char out[18]);
/* Random unicast, locally administered MAC. */
int bridge__mac_random(char out[18]);
/* Deterministic locally administered MAC for the bridge from the network id,
 * so the bridge never takes over a port's MAC (the kernel otherwise copies the
 * lowest port MAC into a bridge whose address was not set). */
int bridge__mac_from_id(const char *id, char out[18]);
bool bridge__owns_ifname(const char *ifname);
/* A retired endpoint interface waiting for deletion: "vdel" + its ifindex in
 * hex (unique in its namespace while it exists). */
#define BRIDGE_TOMB_PREFIX "vdel"
void bridge__tomb_name(int ifindex, char out[IFNAMSIZ]);
bool bridge__is_tomb(const char *ifname);

/* firewall.c: ctx->fw when present (proxy/ built in), else a no-op. */
int bridge__fw_add(struct nd_drv_ctx *ctx, const struct nd_drv_network *net,
		   const struct bridge_opts *o, const char *brname, struct nd_error *err);
int bridge__fw_del(struct nd_drv_ctx *ctx, const struct nd_drv_network *net,
		   const struct bridge_opts *o, const char *brname, struct nd_error *err);

/* network.c */
int bridge__network_create(struct nd_drv_ctx *ctx, struct nd_drv_network *net, struct nd_error *err);
int bridge__network_delete(struct nd_drv_ctx *ctx, struct nd_drv_network *net, struct nd_error *err);
int bridge__network_restore(struct nd_drv_ctx *ctx, struct nd_drv_network *net, struct nd_error *err);
json_t *bridge__network_status(struct nd_drv_ctx *ctx, const struct nd_drv_network *net);

/* endpoint.c */
/* The host end's name of an endpoint's veth pair. */
int bridge__ep_host_name(const struct nd_drv_endpoint *ep, char host[IFNAMSIZ], struct nd_error *err);
int bridge__endpoint_create(struct nd_drv_ctx *ctx, struct nd_drv_network *net,
			    struct nd_drv_endpoint *ep, struct nd_error *err);
int bridge__endpoint_delete(struct nd_drv_ctx *ctx, struct nd_drv_network *net,
			    struct nd_drv_endpoint *ep, struct nd_error *err);
int bridge__join(struct nd_drv_ctx *ctx, struct nd_drv_network *net, struct nd_drv_endpoint *ep,
		 struct nd_drv_sandbox *sb, struct nd_error *err);
int bridge__leave(struct nd_drv_ctx *ctx, struct nd_drv_network *net, struct nd_drv_endpoint *ep,
		  struct nd_drv_sandbox *sb, struct nd_error *err);
/* explain.c: netctl explain's layer 2 in a bridge network */
int bridge__explain_path(struct nd_drv_ctx *ctx, const struct nd_drv_network *net, struct nd_drv_path *p,
			 struct nd_error *err);
bool bridge__endpoint_ok(struct nd_drv_ctx *ctx, struct nd_drv_network *net, struct nd_drv_endpoint *ep,
			 struct nd_drv_sandbox *sb);
