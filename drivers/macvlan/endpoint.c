// SPDX-License-Identifier: Apache-2.0
/* drivers/macvlan: endpoints = macvlan children of the network's parent,
 * each born inside its sandbox.
 *
 * Lifecycle (every step idempotent):
 *   endpoint_create  the MAC only (02:42 + IPv4, as Docker's macvlan; in
 *                    passthru mode the child takes the parent's).
 *   join             one RTM_NEWLINK makes the child directly in the
 *                    sandbox (IFLA_LINK = the parent in netd's namespace,
 *                    IFLA_NET_NS_FD = the sandbox) with its final name, MAC,
 *                    mode and the parent's MTU: no move, so no rcu_barrier.
 *                    Then, from a short-lived thread inside the sandbox: the
 *                    mark (alias "netd-macvlan-ep:<endpoint id>") and up in
 *                    one request, addresses, lo, default routes, and the
 *                    announcement (gratuitous ARP, unsolicited NA). With host
 *                    access, a /32 (/128) route to the container through the
 *                    host-access child, in netd's namespace.
 *   leave            the host route goes; inside the sandbox the child goes
 *                    down and becomes mvdel<ifindex> (off the segment, its
 *                    name free), and is deleted on a detached thread
 *                    (ctx->wait_teardown: before leave returns).
 *   endpoint_delete  nothing left: the child lives only in the sandbox.
 * A child is ours when it carries our mark, or (a join a crash cut short
 * before the mark) when it is a macvlan with the endpoint's MAC.
 */
#include "drivers/macvlan/macvlan.h"
#include "drivers/nl.h"

#include <fcntl.h>
#include <unistd.h>
#include <linux/if_link.h>
#include <netlink/route/link/macvlan.h>
#include <netlink/route/route.h>
#include <netlink/route/nexthop.h>

int macvlan__endpoint_create(struct nd_drv_ctx *ctx, struct nd_drv_network *net,
			     struct nd_drv_endpoint *ep, struct nd_error *err)
{
	struct macvlan_opts o;
	int r = macvlan__opts_parse(net->options, &o, err);
	if (r < 0)
		return r;
	if (o.mode == MACVLAN_M_PASSTHRU) {
		/* the kernel gives the child the parent's MAC; join records it */
		if (ep->mac[0] && !(ep->data && json_object_get(ep->data, "mac")))
			return nd_error_set(err, -EINVAL, "--mac-address cannot be used on network %s: in passthru mode "
					    "the container's interface takes the parent's MAC", net->name);
		return 0;
	}
	if (ep->mac[0])
		return 0;
	if ((r = macvlan__mac_for(ep->ipv4, ep->mac)) < 0)
		return nd_error_set(err, r, "endpoint %s: cannot derive a MAC from \"%s\"", ep->id, ep->ipv4);
	return 0;
}

int macvlan__endpoint_delete(struct nd_drv_ctx *ctx, struct nd_drv_network *net,
			     struct nd_drv_endpoint *ep, struct nd_error *err)
{
	return 0;
}

/* ---- host access: a route per container through mvh<id12> ---------------- */

/* add (or, with del, remove) "addr/32 dev mvh src host" for each family */
static int macvlan__host_routes(struct nd_nl *nl, const struct nd_drv_network *net, const struct nd_drv_endpoint *ep,
				bool del, bool *added, struct nd_error *err)
{
	char host[IFNAMSIZ];
	if (macvlan__name("mvh", net->id, host) < 0)
		return nd_error_set(err, -EINVAL, "invalid network id");
	int oif = 0;
	struct rtnl_link *hl = NULL;
	int r = nd_nl_link_get(nl, host, &hl);
	if (r == -ENODEV)
		return del ? 0 : nd_error_set(err, -ENODEV, "host-access child %s is missing", host);
	if (r < 0)
		return nd_nl_fail(nl, r, err, "look up %s", host);
	oif = rtnl_link_get_ifindex(hl);
	rtnl_link_put(hl);
	const char *mine[2] = { ep->ipv4, ep->ipv6 };
	for (int i = 0; i < 2; i++) {
		if (!mine[i][0])
			continue;
		const char *src = NULL;
		for (int k = 0; k < net->nsubnets && !src; k++)
			if (net->subnets[k].ipv6 == (i == 1))
				src = macvlan__host_addr_of(&net->subnets[k]);
		if (!src)
			continue;
		char a[64], cidr[80];
		macvlan__addr_only(mine[i], a, sizeof(a));
		snprintf(cidr, sizeof(cidr), "%s/%d", a, i ? 128 : 32);
		struct nl_addr *dst = NULL, *pref = NULL;
		struct rtnl_route *rt = rtnl_route_alloc();
		struct rtnl_nexthop *nh = rtnl_route_nh_alloc();
		if (!rt || !nh || nl_addr_parse(cidr, i ? AF_INET6 : AF_INET, &dst) < 0 ||
		    nl_addr_parse(src, i ? AF_INET6 : AF_INET, &pref) < 0) {
			r = nd_error_set(err, -EINVAL, "host route to %s: cannot build request", cidr);
		} else {
			rtnl_route_set_family(rt, (uint8_t)(i ? AF_INET6 : AF_INET));
			rtnl_route_set_dst(rt, dst);
			rtnl_route_set_table(rt, RT_TABLE_MAIN);
			rtnl_route_set_protocol(rt, RTPROT_STATIC);
			rtnl_route_set_scope(rt, RT_SCOPE_LINK);
			rtnl_route_set_type(rt, RTN_UNICAST);
			rtnl_route_set_pref_src(rt, pref);
			rtnl_route_nh_set_ifindex(nh, oif);
			rtnl_route_add_nexthop(rt, TAKE_PTR(nh));
			if (del) {
				r = ND_NL(nl, rtnl_route_delete(nl->sk, rt, 0));
				if (r == -ESRCH || r == -ENOENT)
					r = 0;
			} else {
				r = ND_NL(nl, rtnl_route_add(nl->sk, rt, NLM_F_CREATE | NLM_F_EXCL));
				if (r == 0 && added)
					*added = true;
				if (r == -EEXIST) /* the same route, or one to this address elsewhere: take it over */
					r = ND_NL(nl, rtnl_route_add(nl->sk, rt, NLM_F_CREATE | NLM_F_REPLACE));
			}
			if (r < 0)
				nd_nl_fail(nl, r, err, "%s the host route to %s via %s", del ? "delete" : "add", cidr, host);
		}
		if (nh)
			rtnl_route_nh_free(nh);
		if (rt)
			rtnl_route_put(rt);
		nl_addr_put(dst);
		nl_addr_put(pref);
		if (r < 0)
			return r;
	}
	return 0;
}

/* ---- inside the sandbox ------------------------------------------------- */

struct macvlan__sb_job {
	const struct nd_drv_network *net;
	const struct nd_drv_endpoint *ep;
	const struct nd_drv_sandbox *sb;
	bool created;       /* configure: join made the child just now */
	bool passthru;
	bool wait;          /* detach: delete before returning */
	bool ok;            /* check's answer */
	char mac[18];       /* configure: the child's MAC as the kernel has it */
};

static void macvlan__mark(const struct nd_drv_endpoint *ep, char out[96])
{
	snprintf(out, 96, MACVLAN_MARK_EP "%s", ep->id);
}

/* is link the endpoint's child? */
static bool macvlan__is_ours(struct rtnl_link *l, const struct nd_drv_endpoint *ep)
{
	if (!nd_nl_link_is_kind(l, "macvlan"))
		return false;
	char mark[96];
	macvlan__mark(ep, mark);
	const char *a = rtnl_link_get_ifalias(l);
	if (a && *a)
		return strcmp(a, mark) == 0;
	struct nl_addr *cur = rtnl_link_get_addr(l);
	char buf[32];
	return ep->mac[0] && cur && strcasecmp(nl_addr2str(cur, buf, sizeof(buf)), ep->mac) == 0;
}

static int macvlan__sb_configure(struct nd_nl *nl, void *arg, struct nd_error *err)
{
	struct macvlan__sb_job *j = arg;
	const char *ifname = j->sb->ifname;
	struct rtnl_link *link = NULL, *ch = NULL;
	int r = nd_nl_link_get(nl, ifname, &link);
	if (r < 0) {
		r = nd_nl_fail(nl, r, err, "look up %s in the sandbox", ifname);
		goto out;
	}
	if (!j->created && !macvlan__is_ours(link, j->ep)) {
		r = nd_error_set(err, -EEXIST, "interface %s already exists in sandbox %s", ifname, j->sb->netns_path);
		goto out;
	}
	int ifindex = rtnl_link_get_ifindex(link);

	/* IPv6 on exactly when the endpoint has an IPv6 address, set while down */
	if ((r = nd_nl_ipv6_set(ifname, j->ep->ipv6[0] != '\0', err)) < 0)
		goto out;

	char mark[96];
	macvlan__mark(j->ep, mark);
	const char *alias = rtnl_link_get_ifalias(link);
	bool up = rtnl_link_get_flags(link) & IFF_UP;
	if (!up || !alias || strcmp(alias, mark) != 0) {
		ch = rtnl_link_alloc();
		if (!ch) {
			r = nd_error_set(err, -ENOMEM, "out of memory");
			goto out;
		}
		rtnl_link_set_ifalias(ch, mark);
		rtnl_link_set_flags(ch, IFF_UP);
		if ((r = ND_NL(nl, rtnl_link_change(nl->sk, link, ch, 0))) < 0) {
			r = nd_nl_fail(nl, r, err, "set %s up in the sandbox", ifname);
			goto out;
		}
	}
	struct nl_addr *cur = rtnl_link_get_addr(link);
	if (cur)
		nl_addr2str(cur, j->mac, sizeof(j->mac));
	if ((r = nd_nl_sb_addrs_lo(nl, ifindex, j->ep->ipv4, j->ep->ipv6, err)) < 0)
		goto wrap;

	const char *gw4 = "", *gw6 = "";
	for (int i = 0; i < j->net->nsubnets; i++) {
		const struct nd_drv_subnet *s = &j->net->subnets[i];
		const char *mine = s->ipv6 ? j->ep->ipv6 : j->ep->ipv4;
		if (!s->gateway[0] || !mine[0] || !nd_addr_same_family(mine, s->gateway))
			continue;
		if (s->ipv6 && !gw6[0])
			gw6 = s->gateway;
		else if (!s->ipv6 && !gw4[0])
			gw4 = s->gateway;
		/* the gateway is the segment's router, outside netd; internal
		 * networks have no way out */
		if (j->sb->default_route && !j->net->internal &&
		    (r = nd_nl_route_default_add(nl, ifindex, s->gateway, err)) < 0)
			goto wrap;
	}
	/* the segment learns the container now, not at its first packet */
	struct nd_error ae = { 0 };
	if (macvlan__announce(ifindex, j->mac, j->ep->ipv4, gw4, j->ep->ipv6, gw6, &ae) < 0)
		log_debug("macvlan: announcing %s: %s", ifname, ae.msg);
	r = 0;
	goto out;
wrap:
	nd_error_wrap(err, "sandbox interface %s", ifname);
out:
	if (ch)
		rtnl_link_put(ch);
	if (link)
		rtnl_link_put(link);
	return r;
}

/* leave: the child goes down, becomes mvdel<ifindex> and is deleted */
static int macvlan__sb_detach(struct nd_nl *nl, void *arg, struct nd_error *err)
{
	struct macvlan__sb_job *j = arg;
	struct rtnl_link *link = NULL;
	int r = nd_nl_link_get(nl, j->sb->ifname, &link);
	if (r == -ENODEV)
		return 0;
	if (r < 0)
		return nd_nl_fail(nl, r, err, "look up %s in the sandbox", j->sb->ifname);
	int ifindex = rtnl_link_get_ifindex(link);
	bool ours = macvlan__is_ours(link, j->ep);
	if (ours && !j->wait) {
		/* Taking a macvlan down waits for an RCU grace period (its MAC
		 * leaves the port's hash with synchronize_rcu(), ~10 ms here);
		 * unregistering it does not (the wait comes after the RTNL, on
		 * the deleting thread). So: renamed as it is (the name free at
		 * once; kernels before 6.2 need it down first), and deleted
		 * right away on a detached thread, which takes it off the
		 * segment within a fraction of a millisecond. */
		char tomb[IFNAMSIZ];
		macvlan__tomb_name(ifindex, tomb);
		struct nd_error e = { 0 };
		struct rtnl_link *ch = rtnl_link_alloc();
		r = -ENOMEM;
		if (ch) {
			rtnl_link_set_name(ch, tomb);
			r = ND_NL(nl, rtnl_link_change(nl->sk, link, ch, 0));
			rtnl_link_put(ch);
		}
		if (r == -EBUSY)
			r = nd_nl_link_down_rename(nl, link, tomb, &e);
		if (r == 0) {
			rtnl_link_put(link);
			return nd_nl_link_del_index_bg(nl, ifindex, err);
		}
		log_debug("macvlan: rename %s: %s; deleting it now", j->sb->ifname, e.msg[0] ? e.msg : strerror(-r));
	}
	rtnl_link_put(link);
	return ours ? nd_nl_link_del_index(nl, ifindex, err) : 0;
}

static int macvlan__sb_check(struct nd_nl *nl, void *arg, struct nd_error *err)
{
	struct macvlan__sb_job *j = arg;
	struct rtnl_link *link = NULL;
	j->ok = false;
	if (nd_nl_link_get(nl, j->sb->ifname, &link) < 0)
		return 0;
	int ifindex = rtnl_link_get_ifindex(link);
	char mark[96];
	macvlan__mark(j->ep, mark);
	const char *a = rtnl_link_get_ifalias(link);
	bool up = (rtnl_link_get_flags(link) & IFF_UP) && nd_nl_link_is_kind(link, "macvlan") && a &&
		  strcmp(a, mark) == 0;
	rtnl_link_put(link);
	if (!up)
		return 0;
	const char *addrs[] = { j->ep->ipv4, j->ep->ipv6 };
	for (size_t i = 0; i < ARRAY_SIZE(addrs); i++) {
		bool has = false;
		if (addrs[i][0] && (nd_nl_addr_has(nl, ifindex, addrs[i], &has) < 0 || !has))
			return 0;
	}
	j->ok = true;
	return 0;
}

/* ---- join / leave ------------------------------------------------------- */

static int macvlan__child_create(struct nd_nl *nl, struct rtnl_link *parent, const struct macvlan_opts *o,
				 const struct nd_drv_network *net, const struct nd_drv_endpoint *ep,
				 const struct nd_drv_sandbox *sb, int nsfd, struct nd_error *err)
{
	struct rtnl_link *m = rtnl_link_macvlan_alloc();
	struct nl_addr *mac = NULL;
	int r;
	if (!m)
		return nd_error_set(err, -ENOMEM, "out of memory");
	if (o->mode != MACVLAN_M_PASSTHRU && ep->mac[0]) {
		if (nl_addr_parse(ep->mac, AF_LLC, &mac) < 0) {
			rtnl_link_put(m);
			return nd_error_set(err, -EINVAL, "bad MAC \"%s\"", ep->mac);
		}
		rtnl_link_set_addr(m, mac);
	}
	rtnl_link_set_name(m, sb->ifname);
	rtnl_link_set_link(m, rtnl_link_get_ifindex(parent));
	rtnl_link_set_mtu(m, rtnl_link_get_mtu(parent));
	rtnl_link_macvlan_set_mode(m, macvlan__mode_kernel(o->mode));
	rtnl_link_set_ns_fd(m, nsfd);
	r = ND_NL(nl, rtnl_link_add(nl->sk, m, NLM_F_CREATE | NLM_F_EXCL));
	rtnl_link_put(m);
	if (mac)
		nl_addr_put(mac);
	if (r == 0 || r == -EEXIST)
		return r;
	const char *pname = rtnl_link_get_name(parent);
	if (r == -EADDRINUSE)
		return nd_error_set(err, -EADDRINUSE, "MAC %s is already in use on %s (another child or the parent "
				    "itself has it)", ep->mac, pname);
	if (o->mode == MACVLAN_M_PASSTHRU && (r == -EINVAL || r == -EBUSY))
		return nd_error_set(err, -EBUSY, "network %s is in passthru mode: its parent %s takes one container, "
				    "and it has one already", net->name, pname);
	if (r == -EBUSY)
		return nd_nl_fail(nl, r, err, "create a macvlan child of %s (is %s in passthru use, or a port of "
				  "a bridge or bond?)", pname, pname);
	return nd_nl_fail(nl, r, err, "create a macvlan child of %s in sandbox %s", pname, sb->netns_path);
}

int macvlan__join(struct nd_drv_ctx *ctx, struct nd_drv_network *net, struct nd_drv_endpoint *ep,
		  struct nd_drv_sandbox *sb, struct nd_error *err)
{
	struct macvlan_opts o;
	char link[IFNAMSIZ];
	int r;
	if ((r = macvlan__opts_parse(net->options, &o, err)) < 0 || (r = macvlan__parent_link(net, &o, link, err)) < 0)
		return r;
	if (!nd_ifname_valid(sb->ifname))
		return nd_error_set(err, -EINVAL, "invalid interface name \"%s\"", sb->ifname);
	_cleanup_close_ int nsfd = open(sb->netns_path, O_RDONLY | O_CLOEXEC);
	if (nsfd < 0)
		return nd_error_set(err, -errno, "open sandbox netns %s: %s", sb->netns_path, strerror(errno));

	struct nd_nl nl;
	if ((r = nd_nl_open(&nl, err)) < 0)
		return r;
	struct rtnl_link *parent = NULL;
	r = nd_nl_link_get(&nl, link, &parent);
	if (r < 0) {
		r = r == -ENODEV ? nd_error_set(err, -ENOENT, "parent %s of network %s is missing", link, net->name)
				 : nd_nl_fail(&nl, r, err, "look up %s", link);
		goto out;
	}
	r = macvlan__child_create(&nl, parent, &o, net, ep, sb, nsfd, err);
	/* the MAC may still sit on a child that a leave just handed to its
	 * background deletion (same static MAC or address, reconnected at
	 * once): that takes well under a millisecond once it has the RTNL */
	for (int tries = 0; r == -EADDRINUSE && tries < 5; tries++) {
		usleep(1000u << tries);
		nd_error_clear(err);
		r = macvlan__child_create(&nl, parent, &o, net, ep, sb, nsfd, err);
	}
	if (r < 0 && r != -EEXIST)
		goto out;
	struct macvlan__sb_job j = { .net = net, .ep = ep, .sb = sb, .created = r == 0,
				     .passthru = o.mode == MACVLAN_M_PASSTHRU };
	if (j.created)
		log_debug("macvlan: created %s on %s in %s endpoint=%s", sb->ifname, link, sb->netns_path, ep->id);
	if ((r = nd_nl_in_netns(nsfd, macvlan__sb_configure, &j, err)) < 0)
		goto out;
	if (j.passthru && j.mac[0]) {
		snprintf(ep->mac, sizeof(ep->mac), "%s", j.mac);
		if (ep->data && json_is_object(ep->data))
			json_object_set_new(ep->data, "mac", json_string(j.mac));
	}
	if (o.host_access) {
		r = macvlan__host_routes(&nl, net, ep, false, NULL, err);
		if (r == -ENODEV) { /* someone deleted it: as restore would, make it again */
			nd_error_clear(err);
			if ((r = macvlan__host_ensure(net, err)) == 0)
				r = macvlan__host_routes(&nl, net, ep, false, NULL, err);
		}
	}
out:
	if (parent)
		rtnl_link_put(parent);
	nd_nl_close(&nl);
	if (r < 0)
		nd_error_wrap(err, "endpoint %.12s join", ep->id);
	return r;
}

int macvlan__leave(struct nd_drv_ctx *ctx, struct nd_drv_network *net, struct nd_drv_endpoint *ep,
		   struct nd_drv_sandbox *sb, struct nd_error *err)
{
	struct macvlan_opts o;
	int r = 0, first = 0;
	if (macvlan__opts_parse(net->options, &o, NULL) < 0)
		macvlan__opts_parse(NULL, &o, NULL);
	if (o.host_access) {
		struct nd_nl nl;
		if ((r = nd_nl_open(&nl, err)) < 0)
			return r;
		first = macvlan__host_routes(&nl, net, ep, true, NULL, err);
		nd_nl_close(&nl);
	}
	if (!sb || !sb->netns_path)
		return first;
	_cleanup_close_ int nsfd = open(sb->netns_path, O_RDONLY | O_CLOEXEC);
	if (nsfd < 0) /* the sandbox is gone, and its children with it */
		return first;
	/* passthru: the parent takes one child, counted until it is unregistered */
	struct macvlan__sb_job j = { .net = net, .ep = ep, .sb = sb,
				     .wait = (ctx && ctx->wait_teardown) || o.mode == MACVLAN_M_PASSTHRU };
	struct nd_error e = { 0 };
	r = nd_nl_in_netns(nsfd, macvlan__sb_detach, &j, &e);
	if (r < 0 && !first) {
		first = r;
		if (err)
			*err = e;
	}
	if (first < 0)
		nd_error_wrap(err, "endpoint %.12s leave", ep->id);
	return first;
}

bool macvlan__endpoint_ok(struct nd_drv_ctx *ctx, struct nd_drv_network *net, struct nd_drv_endpoint *ep,
			  struct nd_drv_sandbox *sb)
{
	struct macvlan_opts o;
	char link[IFNAMSIZ];
	if (macvlan__opts_parse(net->options, &o, NULL) < 0 || macvlan__parent_link(net, &o, link, NULL) < 0)
		return false;
	struct nd_nl nl;
	if (nd_nl_open(&nl, NULL) < 0)
		return false;
	struct rtnl_link *parent = NULL;
	bool ok = nd_nl_link_get(&nl, link, &parent) == 0;
	if (parent)
		rtnl_link_put(parent);
	/* a host route cannot be looked up for less than it costs to put it
	 * back: add it here (EEXIST when in place) */
	if (ok && o.host_access && macvlan__host_routes(&nl, net, ep, false, NULL, NULL) < 0)
		ok = false;
	nd_nl_close(&nl);
	if (!ok || !sb)
		return ok;
	_cleanup_close_ int nsfd = open(sb->netns_path, O_RDONLY | O_CLOEXEC);
	if (nsfd < 0)
		return false;
	struct macvlan__sb_job j = { .net = net, .ep = ep, .sb = sb };
	struct nd_error e = { 0 };
	return nd_nl_in_netns(nsfd, macvlan__sb_check, &j, &e) == 0 && j.ok;
}
