// SPDX-License-Identifier: Apache-2.0
/* drivers/vxlan: internals of the multi-host overlay driver (the public face
 * is nd_vxlan_driver in drivers/driver.h).
 *
 * One network on one host = a Linux bridge ov-<id12> with the network's
 * gateway address (the same address and the same MAC on every host: each
 * host is its own containers' way out, an anycast gateway) + a VXLAN device
 * vx-<id12> (VNI from the cluster store, UDP 4789, local = the advertise
 * address, learning off, ARP/ND proxy on) as a port of that bridge.
 * Endpoints are veth pairs into the bridge, built by the bridge driver's
 * endpoint code (drivers/bridge/endpoint.c) on a view of the network that
 * names ov-<id12> as its bridge.
 *
 * Remote endpoints (peers) are, on the VXLAN device: a static FDB entry
 * MAC -> VTEP (NTF_SELF), a permanent neighbour entry IP -> MAC (answered
 * locally by the device's proxy), and per remote VTEP a flood entry
 * 00:00:00:00:00:00 -> VTEP; on the bridge, a static entry MAC -> vx port
 * (NTF_MASTER) so frames to a remote endpoint are never flooded. Every such
 * entry on a vx-<id12> device is netd's: the device is, so reconcile
 * (peers_sync) removes whatever no peer names. */
#pragma once

#include "drivers/driver.h"
#include "drivers/nl.h"

#define VXLAN_PORT 4789
#define VXLAN_OPT_MTU        "mtu"
#define VXLAN_OPT_MTU_DOCKER "com.docker.network.driver.mtu"
#define VXLAN_OPT_VNI        "vni"
#define VXLAN_OPT_VNI_DOCKER "com.docker.network.driver.overlay.vxlanid_list"
#define VXLAN_VNI_MIN 4096   /* automatic VNIs: 4096.. (Docker's start) */
#define VXLAN_VNI_MAX 16777215

struct vxlan_opts {
	int mtu;        /* 0 = underlay MTU - 50 (IPv4) / - 70 (IPv6) */
	uint32_t vni;   /* 0 = allocated by the cluster store */
};

/* options.c: pure */
int vxlan__opts_parse(const json_t *options, struct vxlan_opts *o, struct nd_error *err);
int vxlan__options_validate(const json_t *options, struct nd_error *err);
bool vxlan__owns_ifname(const char *ifname);
/* "ov-<id12>" and "vx-<id12>" */
int vxlan__names(const char *net_id, char br[IFNAMSIZ], char vx[IFNAMSIZ]);
/* The MTU an overlay over an underlay of this MTU gets. */
int vxlan__mtu_for(int underlay_mtu, bool underlay_v6);

/* network.c */
int vxlan__network_create(struct nd_drv_ctx *ctx, struct nd_drv_network *net, struct nd_error *err);
int vxlan__network_delete(struct nd_drv_ctx *ctx, struct nd_drv_network *net, struct nd_error *err);
int vxlan__network_restore(struct nd_drv_ctx *ctx, struct nd_drv_network *net, struct nd_error *err);
json_t *vxlan__network_status(struct nd_drv_ctx *ctx, const struct nd_drv_network *net);
/* The VNI the network records (net->data "vni"), 0 when none. */
uint32_t vxlan__vni_of(const struct nd_drv_network *net);

/* explain.c: netctl explain's layer 2 (the bridge view's, then the VTEP) */
int vxlan__explain_path(struct nd_drv_ctx *ctx, const struct nd_drv_network *net, struct nd_drv_path *p,
			struct nd_error *err);

/* peers.c */
int vxlan__peer_add(struct nd_drv_ctx *ctx, struct nd_drv_network *net, const struct nd_drv_peer *p,
		    struct nd_error *err);
int vxlan__peer_remove(struct nd_drv_ctx *ctx, struct nd_drv_network *net, const struct nd_drv_peer *p,
		       struct nd_error *err);
int vxlan__peers_sync(struct nd_drv_ctx *ctx, struct nd_drv_network *net, const struct nd_drv_peer *peers,
		      size_t n, struct nd_error *err);
