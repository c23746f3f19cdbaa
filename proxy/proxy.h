// SPDX-License-Identifier: Apache-2.0
/* proxy: netd's firewall layer — netd's own nftables table `inet netd`,
 * programmed through libnftnl messages sent as one batch per logical change
 * over libmnl. Nothing here ever execs nft/iptables, and nothing here reads
 * or writes a table netd does not own, except the accept rules that
 * nd_fw_foreign_sync() appends to other tables' drop-policy forward chains.
 *
 * The ruleset is fixed (a small number of rules); a network is only set
 * elements keyed by its bridge's interface name:
 *
 *   table inet netd
 *     set bridges, masq_bridges, internal_bridges   { type ifname }
 *     set self_pairs, noicc_pairs                   { type ifname . ifname }
 *     chain postrouting (nat, srcnat):
 *       iifname @masq_bridges oifname != @bridges masquerade
 *     chain forward (filter, filter):
 *       iifname . oifname @noicc_pairs drop     (icc=false; needs br_netfilter)
 *       iifname . oifname @self_pairs accept    (intra-bridge)
 *       iifname @internal_bridges drop
 *       oifname @internal_bridges drop
 *       ct state established,related accept
 *       ct status dnat accept                   (published ports, later)
 *       iifname @bridges oifname @bridges drop  (network isolation)
 *       iifname @bridges accept                 (forwarding permission)
 *       oifname @bridges drop                   (no direct routing in)
 *
 * Every rule has a `counter` before its verdict (netctl explain shows it).
 *
 * An `accept` here does not override a `drop` in another table or in
 * legacy iptables: every base chain on the hook must accept. See
 * nd_fw_foreign_sync().
 *
 * A handle is not thread-safe; use one per thread. All calls act in the
 * network namespace the handle was opened in. */
#pragma once

#include "common/common.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define ND_FW_TABLE_DEFAULT "netd"
#define ND_FW_MAX_SUBNETS 4

struct nd_fw;

/* Opens a netfilter netlink socket (in the caller's netns). table NULL means
 * ND_FW_TABLE_DEFAULT. Nothing is sent to the kernel yet. */
int nd_fw_open(const char *table, struct nd_fw **out, struct nd_error *err);
void nd_fw_free(struct nd_fw *fw);
const char *nd_fw_table(const struct nd_fw *fw);

/* Ensures table, base chains, sets and the fixed rules exist. Cheap when
 * everything is in place (one small dump, no batch); otherwise one batch that
 * (re)creates what is missing and rewrites our chains' rules, keeping the
 * elements of our sets. Idempotent. */
int nd_fw_ensure(struct nd_fw *fw, struct nd_error *err);

struct nd_fw_network {
	const char *bridge;           /* ifname of the network's bridge */
	bool internal;                /* no traffic in or out of the bridge */
	bool icc;                     /* endpoints of the bridge may talk to each other */
	bool masquerade;              /* masquerade traffic leaving the host (ignored when internal) */
	const char *subnets[ND_FW_MAX_SUBNETS]; /* CIDRs, v4 or v6: validated; the
	                               * rules match on the bridge, see proxy.h top */
	int nsubnets;
};

/* Puts the network's elements in exactly the sets its flags call for (and
 * takes them out of the others), in one batch. Idempotent; the table must
 * exist (nd_fw_ensure), else -ENOENT. */
int nd_fw_network_add(struct nd_fw *fw, const struct nd_fw_network *n, struct nd_error *err);
/* Removes the network's elements in one batch; absent elements are success.
 * Only n->bridge is used. */
int nd_fw_network_del(struct nd_fw *fw, const struct nd_fw_network *n, struct nd_error *err);

/* Replaces the whole desired state atomically: one batch that deletes our
 * table (if any), recreates it and adds every element for these networks.
 * For reconcile after `nft flush ruleset`, a restart, or drift. */
int nd_fw_sync(struct nd_fw *fw, const struct nd_fw_network *nets, size_t n, struct nd_error *err);

/* Is our table there with its base chains and all of its rules? (one dump) */
bool nd_fw_present(struct nd_fw *fw);

/* Other tables' forward chains (see proxy/fw_foreign.c): every base chain on
 * the forward hook must accept, so a `policy drop` chain elsewhere — e.g.
 * iptables-nft's `ip filter FORWARD` after Docker or ufw set it to DROP —
 * would drop our bridges' traffic whatever our table accepts; so would a
 * chain that ends in an unconditional reject (firewalld). With `apply`,
 * netd appends to each such chain (inserts before that final reject), per
 * bridge of our set `bridges`,
 *   iifname "BR" counter accept comment "netd: out of BR"
 *   oifname "BR" counter accept comment "netd: into BR"
 * (after the owner's rules: their explicit drops still win; our own forward
 * chain still decides), and deletes its rules there for bridges that are gone
 * or where the policy is no longer drop. Nothing else in those tables is
 * touched. Without `apply`, only reports. Legacy (x_tables) iptables cannot be
 * changed through nftables: its FORWARD DROP is only reported (`legacy`).
 * nd_fw_network_add/_del and nd_fw_sync call it with apply (best effort);
 * netd's reconcile timer repeats it. Returns the number of drop chains. */
struct nd_fw_foreign {
	unsigned nchains;        /* forward base chains in other tables with policy drop */
	char where[256];         /* "ip filter FORWARD, ip6 filter FORWARD" */
	unsigned bridges;        /* netd bridges (elements of our set) */
	unsigned rules;          /* netd's accept rules in those chains (after the call) */
	unsigned added, removed; /* by this call */
	char legacy[96];         /* "iptables-legacy filter FORWARD" when its policy is DROP, else "" */
};
int nd_fw_foreign_sync(struct nd_fw *fw, bool apply, struct nd_fw_foreign *out, struct nd_error *err);

/* Removes, in one batch, netd's accept rules from every other table's
 * forward chains (whatever the policy) and our table with everything in it
 * (sets, maps: published ports included). report (may be NULL) gets one
 * line per rule and for the table. Returns how many things were removed
 * (0: nothing of ours was there). For `netd --cleanup`. */
int nd_fw_remove_all(struct nd_fw *fw, void (*report)(const char *line, void *data), void *data,
		     struct nd_error *err);

/* Validates a network description (ifname, CIDRs) without the kernel. */
/* The embedded DNS resolver's redirection in the CALLING thread's network
 * namespace (a sandbox's, entered by a short-lived thread): a table
 * `inet netd-dns` whose output nat chain sends 127.0.0.11:53 UDP to
 * 127.0.0.11:udp_port and TCP to 127.0.0.11:tcp_port. Replaces an earlier
 * one in one batch, or with `keep` (the ports are those it was made for)
 * leaves an existing one as it is. */
int nd_fw_dns_redirect(uint16_t udp_port, uint16_t tcp_port, bool keep, struct nd_error *err);

int nd_fw_network_validate(const struct nd_fw_network *n, struct nd_error *err);

/* ---- port publishing ------------------------------------------------------
 * `netctl run -p [HOSTIP:]HOSTPORT:CPORT[/tcp|udp|sctp]`, without a proxy
 * process per port, with the client's own address visible in the container.
 *
 * Traffic from other hosts (and from containers, hairpin included): DNAT in
 * table inet netd through four maps, one element per published port, added
 * and removed in one batch (never a rule reload):
 *
 *   map ports4  { type inet_proto . inet_service : ipv4_addr . inet_service }
 *   map ports4a { type ipv4_addr . inet_proto . inet_service : ipv4_addr . inet_service }
 *   map ports6, ports6a likewise with ipv6_addr
 *   chain prerouting (nat, dstnat):
 *     fib daddr type local dnat ip to ip daddr . meta l4proto . th dport map @ports4a
 *     fib daddr type local meta nfproto ipv4 dnat ip to meta l4proto . th dport map @ports4
 *     (ip6 likewise)
 *   chain forward: the existing `ct status dnat accept` lets them through
 *   chain postrouting: ct status dnat iifname . oifname @self_pairs masquerade
 *     (hairpin inside one bridge: the reply must come back through the host;
 *      only then is the source rewritten — outside clients keep theirs)
 *
 * Traffic that starts on the host (127.0.0.1, ::1, any host address):
 *   mode "ebpf": cgroup sock_addr programs (connect4/6, sendmsg4/6, recvmsg4/6,
 *     getpeername4/6) on cfg->cgroup_path rewrite the destination at the
 *     socket call — no NAT, no conntrack, no proxy. They act only on sockets
 *     of the netns nd_ports_open() ran in (netns cookie) and only on
 *     published ports; "all addresses" ports only for loopback and the
 *     addresses of this netns (IPv6 link-local ones aside), kept in a map:
 *     a snapshot refreshed by nd_ports_add/_sync/_refresh_addrs and, when
 *     there is a cfg->loop, after every RTM_NEWADDR/RTM_DELADDR (debounced
 *     20 ms), so an address added later works at once. Maps and links are
 *     pinned under cfg->pin_dir (bpffs), so a netd restart or crash keeps
 *     localhost working.
 *   mode "userland": where eBPF cannot load, a libuv TCP/UDP proxy on
 *     cfg->loop listens on the published ports (the DNAT path above is the
 *     same); the container sees the host's bridge address for those.
 *
 * IPv4-only containers from IPv6 sockets (Docker's behaviour): an IPv4 "all
 * addresses" port that no IPv6 mapping shares gets an IPv6 side, [::]:port
 * with the v4-mapped container address (::ffff:a.b.c.d) as target: it is
 * not a mapping of its own (not counted, not in nft: NAT does not cross
 * families) and an IPv6 mapping of the port, published later, takes its
 * place.
 *   ebpf: connect6 rewrites ::1 or a host IPv6 address to ::ffff:<container>
 *     and the kernel goes on over IPv4 (tcp_v6_connect/ip6_datagram_connect
 *     hand a v4-mapped destination to tcp_v4_connect/ip4_datagram_connect);
 *     getpeername6/recvmsg6 show ::1 again. TCP and connected UDP work; a
 *     V6ONLY socket fails with ENETUNREACH; an unconnected UDP sendmsg to ::1
 *     fails with EPERM (udpv6_sendmsg refuses a v4-mapped rewrite: ENOTSUPP).
 *     A dual-stack socket asking for ::ffff:127.0.0.1 or another v4-mapped
 *     host address is redirected as its IPv4 address would be. TCP from
 *     other hosts and containers (which the programs never see) reaches
 *     [::]:port, which listens and is relayed over IPv4 (ports_relay.c), as
 *     Docker's proxy does: the container sees the host's address; IPv6 UDP
 *     from other hosts is not forwarded.
 *   userland: the proxy listens on [::]:port too and relays to the container
 *     over IPv4 (V6ONLY clients and unconnected UDP included).
 *
 * Reservations: every published host port holds a socket bound to it
 * (SO_REUSEADDR off, not listening in ebpf mode; the proxy's own listener
 * in userland mode), so no host process can take the port later; the IPv6
 * side above holds [::]:port (or, when a host process has it already, is
 * left out: that process keeps IPv6). A port that is already published, or
 * already bound by a host process, is refused before anything changes.
 *
 * Not thread-safe; call on one thread (netd's loop thread). */

struct uv_loop_s;

struct nd_port_map {
	int proto;                 /* IPPROTO_TCP, IPPROTO_UDP, IPPROTO_SCTP */
	char host_ip[46];          /* "" = all addresses of the family of container_ip */
	uint16_t host_port;        /* 0 only in nd_ports_parse() output: pick one */
	char container_ip[46];     /* v4 or v6, the family of host_ip when given */
	uint16_t container_port;
	/* The caller holds the host port itself (a CNI runtime such as podman
	 * binds its published ports): no reservation socket and no IPv6 side,
	 * in ebpf mode. The userland proxy listens on the port, so it reserves
	 * anyway. */
	bool caller_reserves;
};

/* Parses one -p value into 1..max mappings (a range gives one per port):
 *   [HOSTIP:][HOSTPORT[-END]]:CPORT[-END][/tcp|udp|sctp]  or  CPORT[-END][/proto]
 * HOSTIP may be [v6] in brackets; an empty or absent HOSTPORT gives
 * host_port 0 (nd_ports_pick_free). container_ip is left "" for the caller. */
int nd_ports_parse(const char *spec, struct nd_port_map *out, size_t max, size_t *n, struct nd_error *err);
/* "8080:10.1.0.2:80/tcp"-style text for logs and errors ("[::1]:8080->[fd00::2]:80/udp"). */
const char *nd_port_map_str(const struct nd_port_map *m, char *buf, size_t len);

enum nd_ports_mode { ND_PORTS_AUTO = 0, ND_PORTS_EBPF, ND_PORTS_USERLAND };

#define ND_PORTS_CGROUP_DEFAULT "/sys/fs/cgroup/unified"
#define ND_PORTS_PIN_DEFAULT "/sys/fs/bpf/netd"

/* Who owns an instance's pins (eBPF mode). With an owner, cfg->pin_dir is
 * the pin path that several netd instances share, and this instance's maps
 * and links live in a folder of its own, <pin_dir>/<first 16 hex of id>,
 * next to a pinned one-element array map `nd_owner` that records the owner
 * (struct nd_ports_owner_rec below) so that a later netd can tell, from the
 * bpffs alone, whose pins these are and whether that netd can come back:
 * nd_ports_open() removes (links detached, pins unlinked, folder removed,
 * logged at info) the folders of instances whose exec root no longer
 * exists AND whose network namespace no longer exists AND whose process no
 * longer runs. A netd that merely crashed keeps its pins (its exec root is
 * still there) and re-adopts them when it starts again.
 *   Old layout (before owners): the maps and links directly in a folder,
 * either the configured pin path itself or /sys/fs/bpf/netd-<hash of the
 * exec root>; the caller names it in legacy_dir, and its pins move into
 * the instance folder at the first start (re-adopted, ports kept). Other
 * old-layout folders /sys/fs/bpf/netd-XXXXXXXX are removed when the
 * network namespace their nd_cfg map names (by cookie) no longer exists. */
struct nd_ports_owner {
	const char *id;                /* the daemon id (64 hex, at least 16) */
	const char *exec_root;         /* its --exec-root */
	const char *legacy_dir;        /* NULL, or the folder of this instance's old-layout pins */
};

/* The owner record (value of nd_owner[0]), host byte order. */
#define ND_PORTS_OWNER_MAGIC 0x4e444f57u /* "NDOW" */
struct nd_ports_owner_rec {
	uint32_t magic;
	uint32_t version;              /* 1 */
	uint64_t netns_dev;            /* stat() of /proc/self/ns/net */
	uint64_t netns_ino;
	uint64_t netns_cookie;         /* SO_NETNS_COOKIE, never reused */
	uint64_t pid;
	uint64_t start_time;           /* /proc/PID/stat field 22 */
	char id[72];
	char exec_root[1024];
};

/* Sweeps the pin path: removes the folders of dead instances as above
 * (never self's own folder; self may be NULL). report (may be NULL) gets
 * one line per object removed. Returns the number of folders removed, or
 * -errno when the pin path cannot be read (a missing one is 0). */
int nd_ports_pins_sweep(const char *pin_dir, const struct nd_ports_owner *self,
			void (*report)(const char *line, void *data), void *data, struct nd_error *err);
/* Removes everything of this owner's instance under pin_dir (its folder,
 * by owner->id (may be NULL), and any folder whose record names
 * owner->exec_root and whose process is gone: links detached from their
 * cgroup, maps unpinned; its old-layout pins in owner->legacy_dir), then
 * pin_dir itself when it is left empty. report gets
 * one line per object removed. Idempotent: nothing there is 0. For
 * `netd --cleanup`; the netd must not be running. */
int nd_ports_pins_remove(const char *pin_dir, const struct nd_ports_owner *owner,
			 void (*report)(const char *line, void *data), void *data, struct nd_error *err);

struct nd_ports_config {
	struct nd_fw *fw;              /* required, opened in the same netns; must outlive the handle */
	const char *cgroup_path;       /* NULL: ND_PORTS_CGROUP_DEFAULT */
	const char *pin_dir;           /* NULL: ND_PORTS_PIN_DEFAULT (made; must be on bpffs,
	                                * /sys/fs/bpf is mounted when it is not) */
	const struct nd_ports_owner *owner; /* NULL: the pins are directly in pin_dir (one
	                                * instance per pin_dir, no owner record, no sweep);
	                                * else see struct nd_ports_owner */
	enum nd_ports_mode mode;       /* AUTO: ebpf, else userland */
	struct uv_loop_s *loop;        /* the userland proxy and the watch of host addresses
	                                * run here; required unless EBPF (without it, call
	                                * nd_ports_refresh_addrs when addresses change) */
};

struct nd_ports;

/* Opens the handle: the eBPF programs (or the userland proxy), attached and
 * pinned, with whatever ports a previous netd left in the pinned maps kept
 * until the first nd_ports_sync(). Publishes nothing by itself. */
int nd_ports_open(const struct nd_ports_config *cfg, struct nd_ports **out, struct nd_error *err);
/* Releases the handle: reservations and proxy sockets are closed; nft
 * elements, pinned maps and links stay (a restart keeps them). Use
 * nd_ports_sync(p, NULL, 0) first to unpublish everything. libuv handles
 * are closed: run the loop once more before freeing it. */
void nd_ports_free(struct nd_ports *p);
/* Removes the pinned programs and maps of this handle's pin dir (uninstall,
 * tests). The handle stays usable only for nd_ports_free(). */
int nd_ports_purge(struct nd_ports *p, struct nd_error *err);

/* Publishes maps[0..n): all or nothing. host_port must be set (pick with
 * nd_ports_pick_free). A mapping already published exactly so is success;
 * another one on the same host port is -EEXIST, a port bound by a host
 * process -EADDRINUSE, both before anything changes. */
int nd_ports_add(struct nd_ports *p, const struct nd_port_map *maps, size_t n, struct nd_error *err);
/* Unpublishes; a mapping not published is success. Best effort: every
 * mapping is tried, the first failure is returned. */
int nd_ports_del(struct nd_ports *p, const struct nd_port_map *maps, size_t n, struct nd_error *err);
/* Reconcile: makes the published set exactly all[0..n) in the kernel (nft
 * maps in one batch, the table rebuilt when `nft flush ruleset` removed it;
 * pinned maps re-pinned and rewritten; reservations re-bound). Best effort:
 * failures are collected in err, the rest is still repaired. */
int nd_ports_sync(struct nd_ports *p, const struct nd_port_map *all, size_t n, struct nd_error *err);
/* "ebpf" | "userland" */
const char *nd_ports_mode(const struct nd_ports *p);
/* A free host port for proto on host_ip ("" = all): not published and
 * bindable now, from ip_local_port_range. */
int nd_ports_pick_free(struct nd_ports *p, int proto, const char *host_ip, uint16_t *port, struct nd_error *err);
/* Re-reads the addresses of this netns for "all addresses" ports on the
 * eBPF path. The handle does it itself on cfg->loop after address changes
 * (and add and sync do it); without a loop, call it on RTM_NEWADDR/DELADDR. */
int nd_ports_refresh_addrs(struct nd_ports *p, struct nd_error *err);
/* How many mappings are published (IPv6 sides of IPv4 ports not counted). */
size_t nd_ports_count(const struct nd_ports *p);

/* ---- explain (fw_explain.c): what the rulesets do to one packet -------------
 * Reads every nftables table of the handle's netns (ours and foreign ones)
 * and evaluates the base chains of one hook for a described packet, as far
 * as it can do so reliably: meta (iif/oifname, nfproto, l4proto), payload
 * (addresses, ports, protocol), cmp, bitwise, range, lookup in sets and maps
 * (verdict maps and DNAT maps included), ct state/status, fib address type,
 * counter, immediate verdicts, jump/goto, nat/masquerade/reject. Any other
 * expression makes the rule "unknown": a chain whose verdict depends on it
 * is reported as unknown, never guessed. Reads only; changes nothing. */
enum nd_fw_hook { ND_FW_PREROUTING = 0, ND_FW_INPUT, ND_FW_FORWARD, ND_FW_OUTPUT, ND_FW_POSTROUTING };

struct nd_fw_pkt {
	int family;               /* AF_INET, AF_INET6 */
	uint8_t saddr[16], daddr[16];
	uint8_t l4proto;          /* IPPROTO_TCP, _UDP, _ICMP, _ICMPV6 */
	uint16_t sport, dport;    /* host byte order; 0: none */
	char iif[16], oif[16];    /* "" where the hook has none */
	uint32_t iif_index, oif_index;
	uint32_t ct_state;        /* NF_CT_STATE_BIT(...) (a new connection: NF_CT_STATE_NEW_BIT) */
	uint32_t ct_status;       /* IPS_* (IPS_DST_NAT once DNATed) */
	bool daddr_local, saddr_local; /* fib ... type local */
};

enum nd_fw_verdict { ND_FW_ACCEPT = 1, ND_FW_DROP = 0, ND_FW_UNKNOWN = -1 };
enum nd_fw_nat { ND_FW_NAT_NONE = 0, ND_FW_NAT_DNAT, ND_FW_NAT_SNAT, ND_FW_NAT_MASQ };

#define ND_FW_RULE_TEXT 320
struct nd_fw_rule_hit {
	uint64_t handle;
	char chain[64];           /* the chain holding it (a jump target, or the base chain) */
	char text[ND_FW_RULE_TEXT]; /* "iifname . oifname @self_pairs accept" (nft-like) */
	char comment[128];
	bool has_counter;
	uint64_t packets, bytes;
	bool unknown;             /* it has an expression we cannot evaluate */
	int verdict;              /* enum nd_fw_verdict, or 2: none (goes on) */
};

#define ND_FW_MAX_HITS 8
struct nd_fw_chain_eval {
	char family[8];           /* "inet", "ip", "ip6" */
	char table[64], chain[64], type[16];
	int32_t prio;
	bool ours;                /* the handle's own table */
	int policy;               /* enum nd_fw_verdict */
	int verdict;              /* enum nd_fw_verdict for this chain */
	bool by_policy;           /* no rule decided: the policy did */
	struct nd_fw_rule_hit decided; /* the rule that decided (when !by_policy) */
	struct nd_fw_rule_hit hits[ND_FW_MAX_HITS]; /* rules that matched, in order */
	size_t nhits;
	int nat;                  /* enum nd_fw_nat done by this chain */
	uint8_t nat_addr[16];     /* DNAT/SNAT target (family of the packet); zero when kept */
	uint16_t nat_port;        /* host order, 0 when kept */
	char nat_via[160];        /* the map element or rule that gave the target */
};

struct nd_fw_hook_eval {
	struct nd_fw_chain_eval *chains; /* base chains of the hook, by priority */
	size_t n;
	int verdict;              /* drop if one chain drops, unknown if one cannot tell, else accept */
	size_t decider;           /* index of the chain that dropped/could not tell (n when accepted) */
	struct nd_fw_pkt after;   /* the packet after the hook's NAT */
};
void nd_fw_hook_eval_clear(struct nd_fw_hook_eval *h);

int nd_fw_explain_hook(struct nd_fw *fw, enum nd_fw_hook hook, const struct nd_fw_pkt *pkt,
		       struct nd_fw_hook_eval *out, struct nd_error *err);
/* The same on one snapshot of the rulesets, read once for several hooks
 * (a whole path sees one consistent ruleset; sets' elements are read when
 * a rule first looks into them). fw must outlive it; one thread. */
struct nd_fw_ruleset;
int nd_fw_ruleset_read(struct nd_fw *fw, struct nd_fw_ruleset **out, struct nd_error *err);
void nd_fw_ruleset_free(struct nd_fw_ruleset *rs);
int nd_fw_ruleset_eval(struct nd_fw_ruleset *rs, enum nd_fw_hook hook, const struct nd_fw_pkt *pkt,
		       struct nd_fw_hook_eval *out, struct nd_error *err);
const char *nd_fw_hook_name(enum nd_fw_hook hook);
/* Base chains of the families explain does not evaluate (bridge, netdev,
 * arp) in the snapshot: fn for each, with its family, table, chain, hook
 * and priority. Returns how many. */
typedef void (*nd_fw_unread_fn)(const char *family, const char *table, const char *chain, const char *hook, int prio,
				void *arg);
size_t nd_fw_ruleset_unread(const struct nd_fw_ruleset *rs, nd_fw_unread_fn fn, void *arg);

/* The eBPF redirection for a socket of the host (ebpf mode): the pinned
 * nd_ports map under pin_dir looked up as the programs do (the exact
 * address, then "all addresses" when addr is loopback or an address of the
 * host, per nd_local). 0 and *hit set; *hit false when nothing redirects.
 * key_hex gets the hex bytes of the key that matched (for bpftool). */
struct nd_ports_ebpf_hit {
	bool hit;
	int family;
	uint8_t addr[16];         /* the container address the socket is sent to */
	uint16_t port;            /* host order */
	char map_path[512];       /* the pinned map */
	char key_hex[160];        /* "0x02 0x06 0x1f 0x90 ..." */
	bool any_addr;            /* the "all addresses" entry matched */
};
int nd_ports_ebpf_lookup(const char *pin_dir, int family, int proto, const uint8_t addr[16], uint16_t port,
			 struct nd_ports_ebpf_hit *hit, struct nd_error *err);
/* The instance's pin folder (where nd_ports and nd_local are pinned), or
 * NULL when the handle is not in ebpf mode. */
const char *nd_ports_pin_dir(const struct nd_ports *p);
/* The cgroup the eBPF programs act under (ebpf mode), or NULL. */
const char *nd_ports_cgroup(const struct nd_ports *p);
