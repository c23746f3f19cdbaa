// SPDX-License-Identifier: Apache-2.0
/* drivers: libnetwork's driver API as a const vtable. netd calls drivers only
 * through struct nd_driver_ops and never switches on a driver name.
 *
 * All strings are plain C strings that netd owns for the duration of a call.
 * Every operation is idempotent in the kernel: "already exists" on create and
 * "not found" on delete are success when the intent is the same, so netd can
 * replay any step after a crash. Operations run on the caller's thread in the
 * caller's (netd's) network namespace; a driver that needs to act inside a
 * sandbox opens a netlink socket there from a short-lived thread. */
#pragma once

#include "common/common.h"

#include <net/if.h>
#include <limits.h>

struct nd_fw; /* proxy/'s firewall handle: netd's own nftables table */

#define ND_DRV_MAX_SUBNETS 4

/* One subnet of a network, as IPAM settled it. */
struct nd_drv_subnet {
	char subnet[64];    /* CIDR, e.g. "172.18.0.0/16", "fd00:1::/64" */
	char gateway[64];   /* address without prefix, e.g. "172.18.0.1"; "" = none */
	char ip_range[64];  /* CIDR the dynamic addresses come from; "" = the whole subnet */
	const json_t *aux;  /* auxiliary addresses {name: address} or NULL (borrowed) */
	bool ipv6;
};

/* An address a driver asks netd to keep out of the pools (network_check),
 * recorded as an auxiliary address called name of the subnet holding it. */
struct nd_drv_reserved {
	char name[48];
	char addr[64];
};

struct nd_drv_network {
	const char *id;          /* 64 hex */
	const char *name;
	const json_t *options;   /* driver options (-o k=v): object of strings, never NULL */
	bool internal;           /* no way out of the network */
	bool ipv6;
	int nsubnets;
	struct nd_drv_subnet subnets[ND_DRV_MAX_SUBNETS];
	json_t *data;            /* driver-private persistent state (object, owned by
	                          * netd, stored with the network); drivers may
	                          * read and add keys in network_create */
	/* network_check's requests, at most one per subnet */
	int nreserved;
	struct nd_drv_reserved reserved[ND_DRV_MAX_SUBNETS];
};

struct nd_drv_endpoint {
	const char *id;
	const char *network_id;
	char mac[18];            /* "02:42:ac:12:00:02"; the driver fills it if empty */
	char ipv4[64];           /* CIDR "172.18.0.2/16" or "" */
	char ipv6[64];           /* CIDR or "" */
	json_t *data;            /* driver-private persistent state (object) */
};

struct nd_drv_sandbox {
	const char *id;
	const char *netns_path;  /* bind-mounted netns file under the exec root */
	char ifname[IFNAMSIZ];   /* name inside the sandbox: "eth0", "eth1", ... */
	bool default_route;      /* install default route(s) through this endpoint */
};

struct nd_drv_ctx;
/* One of netd's other networks (networks_foreach): its driver's name and
 * the same view a driver gets of its own networks (read only). */
typedef int (*nd_drv_network_fn)(const char *driver, const struct nd_drv_network *net, void *arg);

/* What netd records, for a driver's sweep at start. */
struct nd_drv_records {
	const struct nd_drv_network *networks;   /* this driver's networks */
	size_t nnetworks;
	const struct nd_drv_endpoint *endpoints; /* the endpoints on them */
	size_t nendpoints;
	const char *const *netns_paths;          /* every recorded sandbox's netns */
	size_t nnetns;
};

/* What a driver gets from netd: shared handles, no globals. */
struct nd_drv_ctx {
	struct nd_fw *fw;        /* may be NULL in unit tests */
	const char *exec_root;
	/* false (netd, zero-initialised): leave and endpoint_delete return
	 * as soon as the endpoint is cut off (down, renamed out of the way,
	 * no connectivity, the sandbox's interface name free for reuse) and
	 * the kernel's slow part of deleting the interface (~20 ms of
	 * rcu_barrier per veth) finishes on a detached thread; a process that
	 * exits at once may leave it to the next reconcile (owns_ifname names
	 * it). true: they return when the interfaces are gone (one-shot
	 * tools that exit right after the call). */
	bool wait_teardown;
	/* netd's other networks, for drivers whose networks share a host
	 * resource (a parent interface) and must not collide: calls fn for
	 * each recorded network whose id is not skip_id, stops at fn's first
	 * non-zero return and returns it. NULL (tests, tools): none known. */
	int (*networks_foreach)(struct nd_drv_ctx *ctx, const char *skip_id, nd_drv_network_fn fn, void *arg);
	void *owner;             /* netd's, for networks_foreach */
	/* Global scope: this host's underlay address (cluster-advertise), the
	 * local VTEP of overlay networks; "" or NULL when netd runs without a
	 * cluster store. */
	const char *advertise;
};

/* A remote endpoint of a global-scope network (on another host), as the
 * cluster store records it: what the data plane needs to reach it. */
struct nd_drv_peer {
	char mac[18];            /* "02:42:0a:c8:00:02" */
	char ipv4[64];           /* bare address or "" */
	char ipv6[64];           /* bare address or "" */
	char vtep[64];           /* underlay address of its host */
};


/* ---- explain (netctl explain): a driver describes its own part of a path ----
 * netd walks a packet from the kernel's live state (routes, nftables) and
 * asks the network's driver what happens at layer 2 inside its network: the
 * link pair or child, the port, the forwarding entry, the mode. Each hop
 * names the object and the command a student can run to see it. */
#define ND_DRV_HOPS_MAX 8

struct nd_drv_hop {
	char kind[24];           /* "veth", "bridge-port", "fdb", "macvlan", "vxlan-fdb", ... */
	char object[160];        /* what the command shows: "vethab12 master br-3f2a" */
	char detail[384];        /* one sentence for a student */
	char command[320];       /* e.g. "bridge fdb show br br-3f2a | grep 02:42:ac:12:00:03" */
};

enum nd_drv_path_dir {
	ND_DRV_PATH_OUT = 0,     /* a frame from src's sandbox interface into the network */
	ND_DRV_PATH_IN,          /* a frame the host routes into the network, to dst */
};

enum nd_drv_path_end {
	ND_DRV_END_UNKNOWN = 0,  /* the driver cannot tell */
	ND_DRV_END_HOST,         /* reaches the host's side of the network (host_ifname) */
	ND_DRV_END_PEER,         /* reaches dst's interface in its sandbox */
	ND_DRV_END_DROP,         /* dropped at layer 2 (reason says why) */
	ND_DRV_END_OUT,          /* leaves the host: through a physical parent (host_ifname), or
	                          * a bridge port no endpoint owns (out_port) */
};

struct nd_drv_path {
	/* in */
	enum nd_drv_path_dir dir;
	const struct nd_drv_endpoint *src;   /* OUT: the sending endpoint; IN: the endpoint of this network
	                                      * the packet entered the host from (hairpin), or NULL */
	const struct nd_drv_sandbox *src_sb;
	const struct nd_drv_endpoint *dst;   /* the endpoint to reach, NULL when not one of ours */
	const struct nd_drv_sandbox *dst_sb;
	char dst_mac[18];        /* the frame's destination MAC ("" unknown: the driver may
	                          * use dst's, or find it) */
	char next_hop[64];       /* the address the frame is for (the gateway, or the
	                          * destination on the link), "" unknown; with dst NULL
	                          * (IN: an address no local endpoint has) the driver
	                          * says where the frame goes, if anywhere */
	/* out */
	struct nd_drv_hop hops[ND_DRV_HOPS_MAX + 1]; /* the last: scratch for hops past the max */
	size_t nhops;
	enum nd_drv_path_end end;
	char reason[256];        /* for END_DROP / END_UNKNOWN */
	char host_ifname[IFNAMSIZ]; /* the network's interface in netd's namespace (the bridge,
	                          * the parent): where routed traffic enters/leaves */
	char out_port[IFNAMSIZ]; /* END_OUT from a bridge: the port the frame leaves through
	                          * (no endpoint's: a VXLAN device, a physical port) */
	bool l3_filtered;        /* frames between two endpoints pass netfilter's forward hook
	                          * as host_ifname -> host_ifname (bridge + br_netfilter) */
};
/* Adds a hop (ignored past ND_DRV_HOPS_MAX); returns it for further fields. */
struct nd_drv_hop *nd_drv_path_hop(struct nd_drv_path *p, const char *kind, const char *command_fmt, ...)
	__attribute__((format(printf, 3, 4)));

struct nd_driver_ops {
	const char *name;        /* "bridge", "macvlan", "vxlan" */
	const char *scope;       /* "local" or "global" */
	const char *alias;       /* another name it answers to (Docker's), or NULL */

	/* Reject unknown or malformed options before anything changes. */
	int (*options_validate)(const json_t *options, struct nd_error *err);
	/* May be NULL. Called once the subnets are settled and before the
	 * network is recorded: refuses what cannot work (a missing parent, a
	 * conflict with the kernel or with another network, see
	 * ctx->networks_foreach) without changing anything (-EINVAL bad input,
	 * -EEXIST/-EBUSY conflict), and may ask for reserved addresses
	 * (net->reserved). */
	int (*network_check)(struct nd_drv_ctx *ctx, struct nd_drv_network *net, struct nd_error *err);

	int (*network_create)(struct nd_drv_ctx *ctx, struct nd_drv_network *net, struct nd_error *err);
	int (*network_delete)(struct nd_drv_ctx *ctx, struct nd_drv_network *net, struct nd_error *err);
	/* Re-create whatever of the network is missing in the kernel (restart,
	 * reconcile). Must be cheap when everything is in place. */
	int (*network_restore)(struct nd_drv_ctx *ctx, struct nd_drv_network *net, struct nd_error *err);

	int (*endpoint_create)(struct nd_drv_ctx *ctx, struct nd_drv_network *net,
			       struct nd_drv_endpoint *ep, struct nd_error *err);
	int (*endpoint_delete)(struct nd_drv_ctx *ctx, struct nd_drv_network *net,
			       struct nd_drv_endpoint *ep, struct nd_error *err);

	int (*join)(struct nd_drv_ctx *ctx, struct nd_drv_network *net, struct nd_drv_endpoint *ep,
		    struct nd_drv_sandbox *sb, struct nd_error *err);
	int (*leave)(struct nd_drv_ctx *ctx, struct nd_drv_network *net, struct nd_drv_endpoint *ep,
		     struct nd_drv_sandbox *sb, struct nd_error *err);
	/* Is this endpoint fully in place (kernel objects present)? For reconcile. */
	bool (*endpoint_ok)(struct nd_drv_ctx *ctx, struct nd_drv_network *net, struct nd_drv_endpoint *ep,
			    struct nd_drv_sandbox *sb);

	int (*program_external_connectivity)(struct nd_drv_ctx *ctx, struct nd_drv_network *net,
					     struct nd_drv_endpoint *ep, struct nd_error *err);
	int (*revoke_external_connectivity)(struct nd_drv_ctx *ctx, struct nd_drv_network *net,
					    struct nd_drv_endpoint *ep, struct nd_error *err);

	/* Names of host interfaces this driver owns for a network and its
	 * endpoints, so reconcile can delete owned interfaces no longer recorded
	 * and never touch anything else. May be NULL. */
	bool (*owns_ifname)(const char *ifname);
	/* Delete an interface owns_ifname() claims but no record names (left by
	 * a crash), whatever kind it is. Missing = success. May be NULL. */
	int (*orphan_delete)(struct nd_drv_ctx *ctx, const char *ifname, struct nd_error *err);
	/* May be NULL. At start, after restore and repair: delete what the
	 * driver made that no record names and that owns_ifname cannot tell by
	 * name (found by the driver's own marks, in netd's namespace and in
	 * the sandboxes'); never anything else. */
	int (*sweep)(struct nd_drv_ctx *ctx, const struct nd_drv_records *rec, struct nd_error *err);
	/* May be NULL. What `network inspect` shows of the network's kernel
	 * side beyond Docker's fields (a new JSON object, or NULL), read live
	 * from the kernel. Its member "Links" (GET /topology draws it, see
	 * docs/topology.md) lists the interfaces in netd's namespace that make
	 * the network, one nd_nl_link_status() object each: {Name, Kind,
	 * Ifindex, Role ("bridge", "parent", "vxlan", ...), Owned (netd made
	 * it), Up, Mac, Mtu, Addresses (global scope), VNI for a vxlan device}, or {Name, Role, Owned,
	 * Missing: true} when the kernel has no such link. */
	json_t *(*network_status)(struct nd_drv_ctx *ctx, const struct nd_drv_network *net);
	/* May be NULL (netd then says it cannot tell). netctl explain: what a
	 * frame does in this network (struct nd_drv_path), read live from the
	 * kernel; runs off the loop thread, in netd's namespace (enter a
	 * sandbox's from a short-lived thread). The bridge driver reports the
	 * veth pair, its port and the FDB entry; macvlan its mode; the vxlan
	 * driver the bridge's part, then its device's FDB entry and the remote
	 * VTEP. */
	int (*explain_path)(struct nd_drv_ctx *ctx, const struct nd_drv_network *net, struct nd_drv_path *p,
			    struct nd_error *err);

	/* Global-scope drivers (may be NULL otherwise): a remote endpoint
	 * appeared or went (libnetwork's peer add/delete events). Idempotent.
	 * peers_sync makes the network's remote entries exactly peers[0..n):
	 * missing ones added, ones no peer names removed (restart, resync). */
	int (*peer_add)(struct nd_drv_ctx *ctx, struct nd_drv_network *net, const struct nd_drv_peer *peer,
			struct nd_error *err);
	int (*peer_remove)(struct nd_drv_ctx *ctx, struct nd_drv_network *net, const struct nd_drv_peer *peer,
			   struct nd_error *err);
	int (*peers_sync)(struct nd_drv_ctx *ctx, struct nd_drv_network *net, const struct nd_drv_peer *peers,
			  size_t n, struct nd_error *err);
};

/* The registry: a const table, looked up by name or alias ("overlay" is
 * the vxlan driver, as Docker names its overlay driver). */
const struct nd_driver_ops *nd_driver_find(const char *name);
/* NULL-terminated list of all drivers. */
const struct nd_driver_ops *const *nd_driver_all(void);

extern const struct nd_driver_ops nd_bridge_driver;
extern const struct nd_driver_ops nd_macvlan_driver;
extern const struct nd_driver_ops nd_vxlan_driver;
