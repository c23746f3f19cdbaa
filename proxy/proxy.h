/* proxy: netd's firewall layer — netd's own nftables table `inet netd`,
 * programmed through libnftnl messages sent as one batch per logical change
 * over libmnl. Nothing here ever execs nft/iptables, and nothing here reads
 * or writes a table netd does not own, except the read-only dump of
 * nd_fw_foreign_forward_drop().
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
 * An `accept` here does not override a `drop` in another table or in
 * legacy iptables: every base chain on the hook must accept. See
 * nd_fw_foreign_forward_drop().
 *
 * A handle is not thread-safe; use one per thread. All calls act in the
 * network namespace the handle was opened in. */
#pragma once

#include "common/common.h"

#include <stdbool.h>
#include <stddef.h>

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

/* Read-only: is there a base chain in another table on the forward hook
 * whose policy is drop (e.g. iptables-nft's `ip filter FORWARD` after Docker
 * set it to DROP)? Such a chain drops our bridges' traffic whatever our table
 * accepts. Fills `where` with "ip filter FORWARD" for the first one found.
 * Returns 1 (found), 0 (none) or a negative errno. Legacy (x_tables)
 * iptables is invisible to nftables and not detected. */
int nd_fw_foreign_forward_drop(struct nd_fw *fw, char *where, size_t wsize, struct nd_error *err);

/* Validates a network description (ifname, CIDRs) without the kernel. */
int nd_fw_network_validate(const struct nd_fw_network *n, struct nd_error *err);

/* ---- port publishing: planned (next issue), not implemented ---------------
 * One published port = one map element, added/removed in one batch:
 *
 *   map ports4  { type inet_proto . inet_service : ipv4_addr . inet_service }
 *   map ports4a { type ipv4_addr . inet_proto . inet_service
 *                 : ipv4_addr . inet_service }            (host address given)
 *   map ports6, ports6a likewise with ipv6_addr
 *   chain prerouting (nat, dstnat) and chain output (nat, dstnat):
 *     fib daddr type local dnat ip  to ip  daddr . meta l4proto . th dport map @ports4a
 *     fib daddr type local dnat ip  to meta l4proto . th dport map @ports4
 *     (and ip6 likewise; output adds `oifname "lo"`-aware hairpin handling)
 *   forward: the existing `ct status dnat accept` already lets them through;
 *   postrouting: hairpin masquerade for ct status dnat with iifname == oifname.
 *
 * struct nd_fw_port { int proto; const char *host_addr; uint16_t host_port;
 *                     const char *addr; uint16_t port; };
 * int nd_fw_port_add(struct nd_fw *, const struct nd_fw_port *, size_t n, struct nd_error *);
 * int nd_fw_port_del(struct nd_fw *, const struct nd_fw_port *, size_t n, struct nd_error *);
 */
