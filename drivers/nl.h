// SPDX-License-Identifier: Apache-2.0
/* drivers: a thin layer over libnl-route-3 shared by the drivers. Internal to
 * drivers/ (not a public header). Every function returns 0 or a negative
 * errno: libnl's -NLE_* codes are converted here, and the kernel's own errno
 * and extended-ACK text are captured from the NLMSG_ERROR reply so that
 * messages read "create bridge br-3f2a: File exists (kernel: ...)".
 *
 * One struct nd_nl is one NETLINK_ROUTE socket in the network namespace of
 * the thread that opened it. Never keep one across namespaces. */
#pragma once

#include "common/common.h"

#include <net/if.h>

#include <netlink/netlink.h>
#include <netlink/route/link.h>
#include <netlink/route/addr.h>

#define ND_NL_EXTACK_MAX 256

struct nd_nl {
	struct nl_sock *sk;
	int kerrno;                      /* errno of the last NLMSG_ERROR (positive), 0 if none */
	char extack[ND_NL_EXTACK_MAX];   /* kernel's extended-ACK text for it, "" if none */
};

int nd_nl_open(struct nd_nl *nl, struct nd_error *err);
void nd_nl_close(struct nd_nl *nl);

/* Forget the last kernel error; call before each request. */
void nd_nl_reset(struct nd_nl *nl);
/* Turns a libnl return value into 0 / -errno, preferring the kernel's errno. */
int nd_nl_rc(struct nd_nl *nl, int nlret);
/* Runs EXPR (a libnl call) and converts its result with the kernel's errno. */
#define ND_NL(nl, expr) (nd_nl_reset(nl), nd_nl_rc((nl), (expr)))
/* Sets err from code with "what: strerror (kernel: extack)". Returns code. */
int nd_nl_fail(struct nd_nl *nl, int code, struct nd_error *err, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
/* libnl error code (negative NLE_*) to negative errno. */
int nd_nl_errno(int nlret);

/* Link by name: 0 and *out (rtnl_link_put it), -ENODEV when absent. */
int nd_nl_link_get(struct nd_nl *nl, const char *name, struct rtnl_link **out);
/* Link by ifindex: 0 and *out (rtnl_link_put it), -ENODEV when absent. */
int nd_nl_link_get_index(struct nd_nl *nl, int ifindex, struct rtnl_link **out);
/* Deletes a link by ifindex; absent = 0. */
int nd_nl_link_del_index(struct nd_nl *nl, int ifindex, struct nd_error *err);
/* Takes link down and renames it to newname (one RTM_SETLINK; two on
 * kernels before 6.2, which refuse to rename an interface that is up).
 * Neither waits for an RCU grace period of the normal kind. */
int nd_nl_link_down_rename(struct nd_nl *nl, struct rtnl_link *link, const char *newname,
			   struct nd_error *err);
/* Deletes ifindex from a detached thread that takes over nl's socket (nl is
 * closed on return, whatever happens). Unregistering a netdevice ends in an
 * rcu_barrier() (~15-25 ms here) after the RTNL is released; this keeps the
 * caller from waiting on it. Falls back to a synchronous delete when no
 * thread can be started. Failures in the background are logged at debug
 * level only: the interface is left for reconcile. */
int nd_nl_link_del_index_bg(struct nd_nl *nl, int ifindex, struct nd_error *err);
/* Deletes a link by name; absent = 0. */
int nd_nl_link_del(struct nd_nl *nl, const char *name, struct nd_error *err);
/* Adds "addr/prefixlen" (IPv6 with IFA_F_NODAD) on ifindex; already there = 0. */
int nd_nl_addr_add(struct nd_nl *nl, int ifindex, const char *cidr, struct nd_error *err);
/* Does ifindex carry this exact local address (prefix length ignored)? */
int nd_nl_addr_has(struct nd_nl *nl, int ifindex, const char *cidr, bool *out);
/* Default route of gw's family via gw on ifindex; already there = 0. */
int nd_nl_route_default_add(struct nd_nl *nl, int ifindex, const char *gw, struct nd_error *err);
/* Brings the link called name up, without looking it up first. */
int nd_nl_link_up_name(struct nd_nl *nl, const char *name, struct nd_error *err);
/* Brings a link up (by ifindex); already up = cheap no-op when link given. */
int nd_nl_link_up(struct nd_nl *nl, struct rtnl_link *link, struct nd_error *err);
/* Sets a bridge port's flag attribute (IFLA_BRPORT_*, u8) with a raw
 * RTM_SETLINK/AF_BRIDGE + nested IFLA_PROTINFO: libnl 3.7 has no setter for
 * e.g. IFLA_BRPORT_ISOLATED. */
int nd_nl_brport_set_u8(struct nd_nl *nl, int ifindex, int attr, uint8_t value, struct nd_error *err);

/* A live description of the link called name in this socket's namespace,
 * for network_status's "Links" (see drivers/driver.h): {Name, Kind,
 * Ifindex, Role, Owned, Up, Mac, Mtu, Addresses} (+ VNI for a vxlan device). A link
 * that is absent is {Name, Role, Owned, Missing: true}. NULL: out of memory. */
json_t *nd_nl_link_status(struct nd_nl *nl, const char *name, const char *role, bool owned);
/* Every bridge FDB entry of this namespace (an RTM_GETNEIGH dump of family
 * AF_BRIDGE, what `bridge fdb show` reads), on a socket of its own; fn is
 * called for each (the neighbour is the dump's: do not keep it). */
struct rtnl_neigh;
typedef void (*nd_nl_fdb_fn)(struct rtnl_neigh *n, void *arg);
int nd_nl_fdb_foreach(nd_nl_fdb_fn fn, void *arg, struct nd_error *err);

/* Runs fn in the network namespace netns_fd from a short-lived thread that
 * setns()es, opens its own socket, runs fn and exits; the caller's thread
 * never changes namespace. Returns fn's result; fn fills err. */
typedef int (*nd_nl_ns_fn)(struct nd_nl *nl, void *arg, struct nd_error *err);
int nd_nl_in_netns(int netns_fd, nd_nl_ns_fn fn, void *arg, struct nd_error *err);

/* Writes value to /proc/sys/<path> of the calling thread's network namespace
 * unless it already holds it. A missing file is -ENOENT. */
int nd_sysctl_set(const char *path, const char *value, struct nd_error *err);
/* IPv6 on or off on ifname (net/ipv6/conf/IFNAME/disable_ipv6), in the
 * caller's namespace; set while the link is down. Off on a kernel without
 * IPv6 (-ENOENT) is success; on there is an error. */
int nd_nl_ipv6_set(const char *ifname, bool on, struct nd_error *err);
/* Is the link of this kind ("veth", "macvlan", "vlan", ...)? */
bool nd_nl_link_is_kind(struct rtnl_link *link, const char *kind);
/* Are the two addresses (bare or CIDR) of one family? */
bool nd_addr_same_family(const char *a, const char *b);
/* a name the kernel takes for an interface (its dev_valid_name()) */
bool nd_ifname_valid(const char *s);
/* A sandbox interface's last steps: its addresses (ipv4, ipv6: CIDR or "")
 * on ifindex, then lo up. Idempotent. */
int nd_nl_sb_addrs_lo(struct nd_nl *nl, int ifindex, const char *ipv4, const char *ipv6, struct nd_error *err);
