// SPDX-License-Identifier: Apache-2.0
/* The net layer: networks, sandboxes, endpoints and the port publisher.
 * It knows nothing of containers: the layers above register hooks
 * (struct net_hooks) for what they must do before a disconnect or a
 * teardown. Services take structs and an nd_error; none speaks HTTP. */
#pragma once

#if defined(ND_LAYER_CORE) || defined(ND_LAYER_HTTP)
#error "netd/net/net.h: the core and http layers sit below net and must not include it"
#endif

#include "drivers/driver.h"
#include "ipam/ipam.h"
#include "proxy/proxy.h"
#include "netd/core/daemon.h"
#include "netd/core/records.h"

/* What an endpoint's owner adds to its DNS names and resolver (hooks.dns_owner). */
struct net_dns_owner {
	char hostname[256];              /* "" = none */
	char servers[8][64];             /* the owner's own upstreams (--dns), "IP" */
	size_t nservers;
};

/* What the layers above plug into net (all optional). */
struct net_hooks {
	/* A connect/disconnect target that is not a sandbox (e.g. a container
	 * ref): its sandbox id, the id and name its endpoints record as their
	 * owner. -ENOENT when it is nothing the hook knows. */
	int (*resolve_target)(struct netd *d, const char *ref, char sandbox_id[ND_ID_LEN + 1],
			      char owner_id[ND_ID_LEN + 1], char owner_name[ND_NAME_MAX + 1], struct nd_error *err);
	/* Before the endpoint of owner_id on network_id goes: unpublish what rides on it. */
	void (*before_disconnect)(struct netd *d, const char *owner_id, const char *network_id);
	/* A sandbox an upper object still uses: deleting it needs force. */
	bool (*sandbox_in_use)(struct netd *d, const char *sandbox_id);
	/* The firewall was restored (or the publisher opened): publish again
	 * every port the upper layer records. */
	void (*ports_resync)(struct netd *d);
	/* An endpoint owner's hostname and upstream name servers (a container's
	 * Config.Hostname and HostConfig.Dns); -ENOENT when unknown. */
	int (*dns_owner)(struct netd *d, const char *owner_id, struct net_dns_owner *out);
};
void net_hooks_register(struct netd *d, const struct net_hooks *hooks);

struct net_pool {
	struct ipam_pool *pool;
	char key[IPAM_PREFIX_STRLEN + ND_ID_LEN + 2];   /* "<netid>/<subnet>": the store's pool key */
	int family;
};

struct net_network {
	struct nd_network_rec rec;       /* what the store records */
	const struct nd_driver_ops *drv;
	struct net_pool pools[ND_DRV_MAX_SUBNETS];
	int npools;
	struct dns_listener *dns;        /* dns.c: its gateway name server, NULL when none */
	char dns_addr[64];
	bool dormant;                    /* global.c: a global network without an endpoint on
	                                  * this host has nothing in this host's kernel */
	struct net_network *next;
};

struct net_state {
	struct nd_fw *fw;
	struct nd_drv_ctx drv_ctx;
	struct ipam_space *space;
	struct net_network *networks;
	char netns_dir[PATH_MAX];
	uv_timer_t reconcile;
	unsigned reconcile_ticks;
	struct nd_fw_foreign fw_foreign; /* last nd_fw_foreign_sync() (reconcile) */
	char fw_foreign_err[256];        /* its last error, logged once */
	struct nd_ports *ports;          /* published ports (ports.c); NULL when unavailable */
	char ports_pin[PATH_MAX];
	char ports_error[256];
	struct net_hooks hooks;
	const struct nd_driver_ops *const *drivers; /* NULL-terminated; nd_driver_all() unless a test sets it */
	struct dns_engine *dnsr;         /* the embedded DNS resolver (dns*.c) */
	struct net_global *global;       /* global.c; NULL without a cluster store */
};

static inline struct net_state *net_of(struct netd *d) { return d->net; }

/* net.c: start (load, restore, reconcile), stop, and its section of /info */
int netd_net_start(struct netd *d, struct nd_error *err);
void netd_net_stop(struct netd *d);
void netd_net_info(struct netd *d, json_t *info);

/* netns.c: network namespaces bind-mounted under <exec-root>/netns */
int netns_dir_prepare(const char *dir, struct nd_error *err);
int netns_create(const char *path, struct nd_error *err);
int netns_destroy(const char *path, struct nd_error *err);
bool netns_alive(const char *path);

/* ---- networks (network.c) ---------------------------------------------------- */

struct net_network_create_req {
	const char *name;
	const char *driver;              /* NULL or "": bridge */
	bool internal, ipv6, attachable;
	bool builtin;                    /* the default network (netd itself) */
	json_t *options;                 /* string map, owned, may be NULL; driver options */
	json_t *labels;                  /* string map, owned, may be NULL */
	struct nd_ipam_rec ipam[ND_REC_MAX_SUBNETS]; /* wishes; aux owned; subnet "" is refused */
	int nipam;                       /* 0: an automatic IPv4 subnet */
};
void net_network_create_req_clear(struct net_network_create_req *c);

/* Validates, settles the IPAM config, records, then creates in the kernel. */
int net_network_create(struct netd *d, struct net_network_create_req *c, struct net_network **out,
		       struct nd_error *err);
/* Refuses builtin networks and networks with endpoints; a global network
 * is deleted through the cluster store (net_global_network_delete). */
int net_network_delete(struct netd *d, struct net_network *n, struct nd_error *err);
/* The two halves of create: validate and settle into rec (nothing
 * recorded); then record, create in the kernel, link (takes rec). */
int net__network_prepare(struct netd *d, struct net_network_create_req *c, struct nd_network_rec *rec,
			 struct nd_error *err);
int net__network_commit(struct netd *d, struct nd_network_rec *rec, struct net_network **out, struct nd_error *err);
/* net_network_delete without the global-scope refusal (global.c's mirror). */
int net__network_remove(struct netd *d, struct net_network *n, struct nd_error *err);
void net__network_link(struct netd *d, struct net_network *n);
void net__network_unlink(struct netd *d, struct net_network *n);
static inline bool net_network_global(const struct net_network *n)
{
	return n && n->drv && strcmp(n->drv->scope, "global") == 0;
}
/* By id, unique id prefix or name; NULL and -ENOENT in err when none. */
struct net_network *net_network_find(struct netd *d, const char *ref, struct nd_error *err);
/* Every network, oldest first; the caller frees the array (not the networks). */
int net_network_list(struct netd *d, struct net_network ***out, size_t *n, struct nd_error *err);
void net_drv_network(const struct net_network *n, struct nd_drv_network *out);
void net_drv_network_of_rec(const struct nd_network_rec *rec, struct nd_drv_network *out);
/* What the driver shows of the network's kernel side (network_status), or NULL. */
json_t *net_network_driver_state(struct netd *d, const struct net_network *n);
/* Takes the record (moved into the network, rec is left empty). */
int net_network_load(struct netd *d, struct nd_network_rec *rec, struct net_network **out, struct nd_error *err);
int net__network_save(struct netd *d, const struct net_network *n, struct nd_error *err);
void net_network_free(struct net_network *n);
int net_default_network(struct netd *d, struct nd_error *err);

/* ---- the embedded DNS resolver (dns*.c) ----------------------------------------
 * One engine per daemon: per-network name tables, forwarding to upstreams
 * with a cache, listeners on 127.0.0.11 inside sandboxes and on networks'
 * gateways. */

/* The name table API. An entry is one owner's names and addresses on one
 * network; `owner` is unique in the network (a local endpoint's id, or a
 * remote endpoint's id for a global network's peers on other hosts). Put
 * replaces the owner's entry as a whole (a query never sees it half made);
 * drop removes it. Local endpoints are put and dropped by net itself; the
 * overlay feeds remote endpoints through the same two calls. */
struct net_dns_names {
	const char *owner;
	const char *sandbox_id;          /* the local sandbox; NULL or "" for a remote owner */
	const char *const *names;        /* case is ignored; names[0] answers PTR */
	size_t nnames;
	const char *ipv4, *ipv6;         /* address or CIDR; NULL or "" = none */
};
int net_dns_names_put(struct netd *d, const char *network_id, const struct net_dns_names *e, struct nd_error *err);
void net_dns_names_drop(struct netd *d, const char *network_id, const char *owner);
/* The names a local endpoint answers to, as a new JSON list (what its
 * record in the cluster store carries for the other hosts). */
json_t *net__dns_endpoint_names(struct netd *d, const struct nd_endpoint_rec *ep);
/* An endpoint of another host (its cluster-store record: "names" or "name",
 * "ipv4", "ipv6") answers on network_id; net_dns_names_drop(epid) removes it. */
void net__dns_remote_put(struct netd *d, const char *network_id, const char *epid, const json_t *rec);
/* The names of owner on network_id, a new JSON list (empty when none). */
json_t *net_dns_names_json(struct netd *d, const char *network_id, const char *owner);
/* The sandbox has a resolver on 127.0.0.11 (its resolv.conf names it). */
bool net_dns_sandbox_served(struct netd *d, const char *sandbox_id);
/* The host resolv.conf's search list, space separated ("" = none). */
const char *net_dns_host_search(struct netd *d);
/* The resolver's state for /info ("DNS"). */
void net_dns_info(struct netd *d, json_t *info);

/* A network's gateway listener (UDP 53 on its IPv4 gateway when that is a
 * host address): its names for CNI callers, REFUSED for the rest. */
void net_dns_start(struct netd *d, struct net_network *n);
void net_dns_stop(struct netd *d, struct net_network *n);
/* The address it answers on, NULL when the network has none. */
const char *net_dns_addr(const struct net_network *n);

/* internal to net: the engine's life and the endpoint events */
int net__dns_engine_start(struct netd *d, struct nd_error *err);
void net__dns_engine_stop(struct netd *d);
void net__dns_endpoint_up(struct netd *d, const struct nd_endpoint_rec *ep, const struct nd_sandbox_rec *sb);
void net__dns_endpoint_down(struct netd *d, const struct nd_endpoint_rec *ep);
void net__dns_sandbox_gone(struct netd *d, const char *sandbox_id);
void net__dns_network_gone(struct netd *d, const char *network_id);
void net__dns_ports_forget(struct netd *d, const char *sandbox_id);
void net__dns_walk(struct netd *d);

/* ---- endpoints (endpoint.c) -------------------------------------------------- */

struct net_connect_req {
	const char *target;              /* a sandbox, or what hooks.resolve_target knows */
	const char *ipv4, *ipv6, *mac;   /* wishes; NULL or "" = allocate */
	const json_t *aliases;           /* list of names or NULL; borrowed */
	const char *ifname;              /* NULL or "": the next free ethN; else unique in the sandbox */
};

/* Connects target to the network; ep_out (may be NULL) gets the endpoint record. */
int net_endpoint_connect(struct netd *d, const char *network, const struct net_connect_req *c,
			 struct nd_endpoint_rec *ep_out, struct nd_error *err);
/* Disconnects target from the network (hooks.before_disconnect first). */
int net_endpoint_disconnect(struct netd *d, const char *network, const char *target, bool force,
			    struct nd_error *err);
/* The endpoint records of a network and/or a sandbox (NULL: any), oldest first. */
int net_endpoint_list(struct netd *d, const char *network_id, const char *sandbox_id, struct nd_endpoint_list *out,
		      struct nd_error *err);
/* The driver's view of an endpoint (borrows from ep). */
void net_drv_endpoint(const struct nd_endpoint_rec *ep, struct nd_drv_endpoint *out);
void net_drv_sandbox(const struct nd_sandbox_rec *sb, const struct nd_endpoint_rec *ep, struct nd_drv_sandbox *out);
int net_endpoint_repair(struct netd *d, struct net_network *n, struct nd_endpoint_rec *ep,
			const struct nd_sandbox_rec *sb, struct nd_error *err);
/* Releases the endpoint's addresses from the in-memory pools. */
void net_endpoint_release_pools(struct net_network *n, const struct nd_endpoint_rec *ep);
/* Drops endpoint records and their address claims in the caller's
 * transaction (store_tx_begin done): the one way an endpoint is forgotten. */
int net__endpoints_forget(struct netd *d, const struct nd_endpoint_rec *eps, size_t n, struct nd_error *err);

/* ---- sandboxes (sandbox.c) --------------------------------------------------- */

/* By id, unique prefix or name; out (cleared first) gets the record. */
int net_sandbox_lookup(struct netd *d, const char *ref, struct nd_sandbox_rec *out, struct nd_error *err);
/* Records the sandbox (intent first), then creates its netns. A name is
 * optional (NULL or ""); labels may be NULL. out (may be NULL) gets the record. */
int net_sandbox_create(struct netd *d, const char *name, const json_t *labels, struct nd_sandbox_rec *out,
		       struct nd_error *err);
/* Records a caller-owned sandbox (CNI): netns_path must be a network
 * namespace; netd never creates or destroys it. name as above. */
int net_sandbox_adopt(struct netd *d, const char *name, const char *netns_path, const json_t *labels,
		      struct nd_sandbox_rec *out, struct nd_error *err);
/* A sandbox that hooks.sandbox_in_use claims needs force (-EBUSY). A
 * caller-owned sandbox's namespace is left alone. */
int net_sandbox_delete(struct netd *d, const char *id, bool force, struct nd_error *err);
int net_sandbox_list(struct netd *d, struct nd_sandbox_list *out, struct nd_error *err);

/* endpoint_owner.c: the endpoints of sandbox_id take new_name where they
 * had old_name (owner name and alias): a renamed container, as peers see it. */
int net_endpoint_owner_rename(struct netd *d, const char *sandbox_id, const char *old_name, const char *new_name,
			      struct nd_error *err);

/* link_stats.c: the counters of every interface but lo in the namespace
 * bound at netns_path (a sandbox's), read by rtnetlink from a short-lived
 * thread in that namespace. Blocks: call it off the loop. Free *out. */
struct net_link_stats {
	char ifname[IFNAMSIZ];
	uint64_t rx_bytes, rx_packets, rx_errors, rx_dropped;
	uint64_t tx_bytes, tx_packets, tx_errors, tx_dropped;
};
int net_sandbox_link_stats(const char *netns_path, struct net_link_stats **out, size_t *n, struct nd_error *err);

/* ---- published ports (ports.c): the daemon's nd_ports handle ----------------- */

int net_ports_open(struct netd *d, struct nd_error *err);
void net_ports_close(struct netd *d);
void net_ports_info(struct netd *d, json_t *info);
/* The pin path (config bpf-pin-path or the default) and the folder of this
 * instance's old-layout pins (before pins had owners). */
void net_ports_pin_paths(struct netd *d, char *base, size_t base_len, char *legacy, size_t legacy_len);
/* The publisher, NULL when unavailable (then net_ports_error says why). */
struct nd_ports *net_ports(struct netd *d);
const char *net_ports_error(struct netd *d);

/* The drivers this net layer uses, and one by name (NULL when unknown). */
const struct nd_driver_ops *const *net__drivers(struct netd *d);
const struct nd_driver_ops *net__driver_find(struct netd *d, const char *name);

/* net.c: the drivers' view of the other networks (ctx->networks_foreach) */
void net__drv_ctx_init(struct netd *d);

/* ---- CNI attachments (attach.c) ----------------------------------------------
 * An attachment is one endpoint, keyed by (container ID, interface name,
 * network), in a caller-owned sandbox named "cni-<container ID>" whose
 * namespace is the runtime's. Its published ports are recorded in the
 * endpoint record (PortMappings) before they are published. */

struct net_attach_key {
	const char *container_id;        /* [A-Za-z0-9_.-]+, at most NET_ATTACH_CID_MAX */
	const char *ifname;              /* a valid interface name */
	const char *network;             /* a network id, prefix or name */
};
#define NET_ATTACH_CID_MAX (ND_NAME_MAX - 4)

struct net_attach_req {
	struct net_attach_key key;
	const char *netns;               /* the caller's namespace (a path on nsfs) */
	const char *ipv4, *ipv6, *mac;   /* wishes (capabilities ips, mac); NULL or "" = allocate */
	const json_t *aliases;           /* list of names or NULL; borrowed */
	const struct nd_port_map *ports; /* host_port set, container_ip ""; proto any */
	size_t nports;
};

struct net_attachment {
	struct nd_sandbox_rec sb;
	struct nd_endpoint_rec ep;
	char network_id[ND_ID_LEN + 1], network_name[ND_NAME_MAX + 1];
	char gateway4[64], gateway6[64]; /* of the subnets the addresses are in, "" = none */
	int mtu;                         /* the network's MTU option, 0 = the kernel's default */
	char dns4[64];                   /* the network's name server (dns.c), "" = none */
};
void net_attachment_clear(struct net_attachment *a);

/* Checks the key's syntax (no lookups). */
int net_attach_key_check(const struct net_attach_key *k, struct nd_error *err);
/* Adds the attachment, all or nothing. An existing attachment of the same
 * key in the same namespace is returned as it is (-EEXIST when the
 * namespace differs). */
int net_attach_add(struct netd *d, const struct net_attach_req *req, struct net_attachment *out,
		   struct nd_error *err);
/* Releases the attachment (ports, firewall elements, addresses, interfaces)
 * and the sandbox record once it has no endpoint. Idempotent: an unknown
 * attachment or network, or a namespace already gone, is success. */
int net_attach_del(struct netd *d, const struct net_attach_key *k, struct nd_error *err);
/* -ENOENT when there is no such attachment. */
int net_attach_get(struct netd *d, const struct net_attach_key *k, struct net_attachment *out, struct nd_error *err);
/* Releases every attachment of network not in valid[0..n) (keys with
 * network ignored), and caller-owned sandboxes left without endpoints;
 * *released counts attachments. */
int net_attach_gc(struct netd *d, const char *network, const struct net_attach_key *valid, size_t n,
		  size_t *released, struct nd_error *err);
/* The network is usable for attachments (exists, the firewall is in place). */
int net_attach_status(struct netd *d, const char *network, struct nd_error *err);
/* Appends every attachment's port records to all (the port publisher's
 * sync takes the union with the containers'). */
int net_attach_port_records(struct netd *d, json_t *all, struct nd_error *err);
/* Unpublishes an endpoint's recorded ports (after its record is gone). */
void net__endpoint_ports_del(struct netd *d, const struct nd_endpoint_rec *ep);

/* net.c: reconcile */
int net_reconcile(struct netd *d, bool startup, struct nd_error *err);

/* ---- topology (topology.c): what netd records, as the kernel has it now ------ */

#define NET_TOPO_ADDRS 8
/* One interface read live by rtnetlink; kind "" when the kernel has none of that name. */
struct net_topo_link {
	char name[IFNAMSIZ];
	char kind[24];               /* "veth", "macvlan", "bridge", "vxlan", ... */
	int ifindex;
	int link_ifindex;            /* IFLA_LINK: a veth's peer, a macvlan child's parent */
	char master[IFNAMSIZ];       /* the bridge it is a port of, "" = none */
	char mac[18];
	unsigned mtu;
	bool up;
	int naddrs;
	char addrs[NET_TOPO_ADDRS][64];  /* CIDRs of global scope */
};
struct net_topo_endpoint {
	struct nd_endpoint_rec rec;
	struct net_topo_link inner;  /* rec.ifname in the sandbox */
	struct net_topo_link outer;  /* in netd's namespace: the link inner.link_ifindex names (a veth's
	                              * host end, a macvlan child's parent); kind "" = none */
};
struct net_topo_sandbox {
	struct nd_sandbox_rec rec;
	bool alive;                  /* its namespace could be entered */
};
struct net_topo_network {
	struct nd_network_rec rec;   /* a copy (maps referenced) */
	const char *driver_scope;    /* the driver's scope ("local", "global"): static */
	json_t *driver_state;        /* network_status, owned, NULL when the driver has none */
};
struct net_topology {
	char hostname[256];
	struct net_topo_network *networks;
	size_t nnetworks;
	struct net_topo_sandbox *sandboxes;
	size_t nsandboxes;
	struct net_topo_endpoint *endpoints;
	size_t nendpoints;
};
void net_topology_clear(struct net_topology *t);
/* Takes the records and the drivers' network_status on the loop, reads the
 * interfaces of every sandbox (a short-lived thread in each namespace) and
 * netd's own in the pool, then calls cb on the loop; t is the callee's to
 * clear (net_topology_clear) and only valid during cb. */
typedef void (*net_topology_cb)(void *data, int rc, const struct nd_error *err, struct net_topology *t);
void net_topology_read(struct netd *d, net_topology_cb cb, void *data);

/* ---- explain (explain.c): why a packet from SRC reaches DST, or not ----------
 * The path hop by hop from the kernel's live state (routes, links, the
 * bridge FDB, the nftables rulesets, netd's DNAT maps and eBPF maps,
 * listening sockets), each hop with the command a student can run to see
 * it, then a verdict. SRC and DST: a container (hooks.resolve_target), a
 * sandbox, "host", or an address. Runs in an nd_job; namespaces are entered
 * from short-lived threads. */
struct net_explain_req {
	const char *src, *dst;
	uint16_t port;                   /* 0: none (ICMP echo when proto is 0) */
	int proto;                       /* IPPROTO_TCP, IPPROTO_UDP, or 0: tcp with a port, else icmp */
};

enum net_explain_result {
	NET_EXPLAIN_DELIVERED = 0,
	NET_EXPLAIN_DROPPED,
	NET_EXPLAIN_NO_ROUTE,
	NET_EXPLAIN_NO_LISTENER,
	NET_EXPLAIN_UNKNOWN,
};
const char *net_explain_result_name(enum net_explain_result r);

struct net_explain_hop {
	char kind[24];                   /* route, veth, bridge-port, fdb, nft, dnat, ebpf, masquerade, listener... */
	char object[200];                /* what the command shows */
	char detail[512];
	char command[400];
};

struct net_explain {
	char src[200], dst[200];         /* what SRC and DST resolved to, in words */
	char src_addr[64], dst_addr[64]; /* the packet's addresses as sent */
	char proto[8];                   /* "tcp", "udp", "icmp" */
	uint16_t port;
	struct net_explain_hop *hops;
	size_t nhops, cap;
	enum net_explain_result result;
	char reason[512];
	char rule[400];                  /* the rule or object that decided ("" when none) */
};
void net_explain_free(struct net_explain *ex);

/* Validates and resolves on the caller's (loop) thread: bad input or an
 * unknown SRC/DST is returned at once (-EINVAL, -ENOENT) and cb is not
 * called. Otherwise 0, and cb runs later on the loop thread with the
 * result (ex is the callee's: valid during the call only). */
typedef void (*net_explain_cb)(void *data, int rc, const struct nd_error *err, const struct net_explain *ex);
int net_explain(struct netd *d, const struct net_explain_req *req, net_explain_cb cb, void *data,
		struct nd_error *err);

/* ---- the global scope (global.c): networks, addresses and endpoints in
 * the cluster store (netd/core/cluster.h), mirrored here from its watch ----- */

struct net_global;
/* Registers with the cluster owner when a cluster store is configured. */
int net_global_start(struct netd *d, struct nd_error *err);
void net_global_stop(struct netd *d);
void net_global_info(struct netd *d, json_t *info);
/* Every global network's remote entries made exactly the mirror's again
 * (the periodic reconcile; cheap: one dump per network). */
void net_global_reconcile(struct netd *d);

/* Creates a global network: validated here, then recorded in the store (a
 * transaction that also takes its name and VNI), then made on this host;
 * done runs on the loop (n valid only during the call). A refusal before
 * anything is queued returns < 0 with err set, and done is not called. */
typedef void (*net_global_network_done)(struct netd *d, void *arg, struct net_network *n, int rc,
					const struct nd_error *err);
int net_global_network_create(struct netd *d, struct net_network_create_req *c, net_global_network_done done,
			      void *arg, struct nd_error *err);
typedef void (*net_global_done)(struct netd *d, void *arg, int rc, const struct nd_error *err);
int net_global_network_delete(struct netd *d, struct net_network *n, net_global_done done, void *arg,
			      struct nd_error *err);
/* Takes addresses of the global network n in the store for this host (an
 * IPv4 and/or an IPv6 one, as n has subnets; the wishes or the next free):
 * reservations that the next connect to n here uses (a container start
 * reserves before it starts). -EALREADY when all are reserved already. */
int net_global_reserve(struct netd *d, struct net_network *n, const char *wish4, const char *wish6,
		       net_global_done done, void *arg, struct nd_error *err);
/* Does this host hold reservations on n for each of its families? */
bool net_global_reserved(struct netd *d, const struct net_network *n, const char *wish4, const char *wish6);
/* endpoint.c, connecting to a global network: the reserved addresses to
 * use ("" for a family n lacks); -EAGAIN with a sentence when none is. */
int net__global_take(struct netd *d, struct net_network *n, const char *wish4, const char *wish6, char out4[64],
		     char out6[64], struct nd_error *err);
/* endpoint.c: the endpoint is connected (its record goes to the store), or
 * a taken address was not used after all (it leaves the store). */
void net__global_endpoint_added(struct netd *d, const struct nd_endpoint_rec *ep);
void net__global_addr_unused(struct netd *d, const char *network_id, const char *cidr);
/* net__endpoints_forget calls it for an endpoint of a global network: its
 * keys leave the store (retried after an outage). */
void net__global_endpoint_gone(struct netd *d, const struct nd_endpoint_rec *ep);
/* A global network's data plane exists only on hosts with endpoints on it:
 * wake makes it (bridge, VXLAN device, peers) before the first endpoint
 * here; sleep removes it when the last one left. */
int net__global_wake(struct netd *d, struct net_network *n, struct nd_error *err);
void net__global_sleep_if_idle(struct netd *d, struct net_network *n);
/* net_reconcile at start: true when n is global and this host has no
 * endpoint on it (then it is made dormant, leftovers removed). */
bool net__global_reconcile_dormant(struct netd *d, struct net_network *n);
/* The endpoints of a global network on other hosts (for DNS): fn per
 * endpoint with its owner name, bare IPv4 (or "") and IPv6 (or ""). */
typedef void (*net_global_peer_fn)(const char *name, const char *ipv4, const char *ipv6, const char *host, void *arg);
void net_global_remote_foreach(struct netd *d, const char *network_id, net_global_peer_fn fn, void *arg);
/* Docker's "Peers" of an overlay network: [{"Name": host, "IP": VTEP}] for
 * every host with endpoints on it (this one included), from the mirror. */
json_t *net_global_peers(struct netd *d, const char *network_id);
