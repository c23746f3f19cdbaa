// SPDX-License-Identifier: Apache-2.0
/* drivers/bridge: endpoints = veth pairs; the host end is a bridge port, the
 * other end is born inside the sandbox.
 *
 * Moving an interface into another namespace, and unregistering one, each
 * end in an rcu_barrier() in the kernel (~15-25 ms on these machines; the
 * move waits for it with the RTNL held). So the pair is never moved, and the
 * caller never waits for a deletion unless it asks to.
 *
 * Lifecycle (every step idempotent):
 *   endpoint_create  names and MAC only (recorded in ep->data): the pair
 *                    needs the sandbox, which join brings.
 *   join             one RTM_NEWLINK makes veth<7hex> (bridge port) and its
 *                    peer directly inside the sandbox (IFLA_NET_NS_FD in
 *                    VETH_INFO_PEER) with its final name, MAC and MTU; the
 *                    host end goes up without IPv6; then, from a thread
 *                    inside the sandbox: IPv6 on/off, up, addresses, lo up,
 *                    default routes. A pair already there (replay, repair) is
 *                    checked and completed; one whose peer sits in the
 *                    sandbox under another name is replaced; one whose peer
 *                    is elsewhere is refused (another endpoint's). A pair
 *                    left by an older netd (peer vp<7hex> still in netd's
 *                    namespace) is moved in, as before.
 *   leave            inside the sandbox the interface goes down and becomes
 *                    vdel<ifindex> (no connectivity; its name is free for the
 *                    next join at once); the host end likewise; the deletion
 *                    finishes on a detached thread (ctx->wait_teardown: the
 *                    pair is deleted before leave returns).
 *   endpoint_delete  the same for the host end (the peer loses its carrier),
 *                    if the pair still exists.
 */
#include "drivers/bridge/bridge.h"
#include "drivers/nl.h"

#include <fcntl.h>
#include <linux/if_link.h>
#include <netlink/route/link/veth.h>

static int bridge__ep_names(const struct nd_drv_endpoint *ep, char host[IFNAMSIZ], char peer[IFNAMSIZ],
			    struct nd_error *err)
{
	if (bridge__veth_names(ep->id, host, peer) < 0)
		return nd_error_set(err, -EINVAL, "invalid endpoint id \"%s\"", ep->id ? ep->id : "");
	return 0;
}

/* The host end's name: from the id, else (reconcile's orphans, which have no
 * id) the recorded host_ifname when it is one of ours. */
int bridge__ep_host_name(const struct nd_drv_endpoint *ep, char host[IFNAMSIZ], struct nd_error *err)
{
	char peer[IFNAMSIZ];
	if (bridge__veth_names(ep->id, host, peer) == 0)
		return 0;
	const char *h = ep->data ? nd_json_str(ep->data, "host_ifname") : NULL;
	if (h && bridge__owns_ifname(h) && !nd_str_has_prefix(h, "br-") && strlen(h) < IFNAMSIZ) {
		snprintf(host, IFNAMSIZ, "%s", h);
		return 0;
	}
	return nd_error_set(err, -EINVAL, "invalid endpoint id \"%s\"", ep->id ? ep->id : "");
}

/* Is link (seen in the sandbox) the veth whose other end is host_ifindex? */
static bool bridge__is_peer_of(struct rtnl_link *link, int host_ifindex)
{
	return nd_nl_link_is_kind(link, "veth") && rtnl_link_get_link(link) == host_ifindex;
}

static int bridge__ep_fill_mac(struct nd_drv_endpoint *ep, struct nd_error *err)
{
	if (ep->mac[0])
		return 0;
	int r = ep->ipv4[0] ? bridge__mac_from_ipv4(ep->ipv4, ep->mac) : bridge__mac_random(ep->mac);
	if (r < 0)
		return nd_error_set(err, r, "endpoint %s: cannot derive a MAC from \"%s\"", ep->id, ep->ipv4);
	return 0;
}

/* the existing host end: make sure it is our bridge's port, up */
static int bridge__port_fix(struct nd_nl *nl, struct rtnl_link *host, int brindex, struct nd_error *err)
{
	const char *name = rtnl_link_get_name(host);
	if (!nd_nl_link_is_kind(host, "veth"))
		return nd_error_set(err, -EEXIST, "interface %s already exists and is not a veth", name);
	struct rtnl_link *ch = rtnl_link_alloc();
	if (!ch)
		return nd_error_set(err, -ENOMEM, "%s: out of memory", name);
	bool change = false;
	if (rtnl_link_get_master(host) != brindex) {
		rtnl_link_set_master(ch, brindex);
		change = true;
	}
	if (!(rtnl_link_get_flags(host) & IFF_UP)) {
		rtnl_link_set_flags(ch, IFF_UP);
		change = true;
	}
	int r = change ? ND_NL(nl, rtnl_link_change(nl->sk, host, ch, 0)) : 0;
	rtnl_link_put(ch);
	if (r < 0)
		return nd_nl_fail(nl, r, err, "attach %s to the bridge", name);
	return 0;
}

/* One RTM_NEWLINK: host end on the bridge; peer born in the sandbox with
 * its final name, MAC and MTU. Then the host end without IPv6, up. -EEXIST untouched for the caller
 * (either name may be taken). */
static int bridge__pair_create(struct nd_nl *nl, const char *host, const struct nd_drv_sandbox *sb, int nsfd,
			       const char *macs, unsigned mtu, int brindex, struct nd_error *err)
{
	struct rtnl_link *veth = rtnl_link_veth_alloc();
	struct nl_addr *mac = NULL;
	int r;
	if (!veth || nl_addr_parse(macs, AF_LLC, &mac) < 0) {
		r = nd_error_set(err, veth ? -EINVAL : -ENOMEM, "veth %s: bad MAC \"%s\" or out of memory", host, macs);
		goto out;
	}
	struct rtnl_link *pl = rtnl_link_veth_get_peer(veth);
	rtnl_link_set_name(veth, host);
	rtnl_link_set_mtu(veth, mtu);
	rtnl_link_set_master(veth, brindex);
	rtnl_link_set_name(pl, sb->ifname);
	rtnl_link_set_mtu(pl, mtu);
	rtnl_link_set_addr(pl, mac);
	/* not up here: veth_open() of the peer runs before the pair is
	 * linked and fails with ENOTCONN; the sandbox thread brings it up */
	rtnl_link_set_ns_fd(pl, nsfd);
	rtnl_link_put(pl);
	r = ND_NL(nl, rtnl_link_add(nl->sk, veth, NLM_F_CREATE | NLM_F_EXCL));
	if (r < 0) {
		if (r != -EEXIST)
			nd_nl_fail(nl, r, err, "create veth pair %s / %s in sandbox %s", host, sb->ifname,
				   sb->netns_path);
		goto out;
	}
	/* A bridge port needs no IPv6 of its own. Left on, every new port
	 * would send DAD, MLD and router solicitations that the bridge floods
	 * to every other port: O(ports) work per join (~15 ms at 1,000 ports
	 * here). IFLA_AF_SPEC is refused on RTM_NEWLINK, so: sysctl while
	 * down, then up. */
	if ((r = nd_nl_ipv6_set(host, false, err)) < 0)
		goto out;
	r = nd_nl_link_up_name(nl, host, err);
out:
	if (mac)
		nl_addr_put(mac);
	if (veth)
		rtnl_link_veth_release(veth);
	return r;
}

/* Cuts the host end off and deletes the pair: down and renamed vdel<ifindex>
 * (its name free at once), deleted on a detached thread, which takes nl's
 * socket; with ctx->wait_teardown (or when the rename fails) deleted here.
 * nl may be closed on return. */
static int bridge__host_retire(struct nd_drv_ctx *ctx, struct nd_nl *nl, struct rtnl_link *hl,
			       struct nd_error *err)
{
	int ifindex = rtnl_link_get_ifindex(hl);
	if (ctx && ctx->wait_teardown)
		return nd_nl_link_del_index(nl, ifindex, err);
	if (!bridge__is_tomb(rtnl_link_get_name(hl))) {
		char tomb[IFNAMSIZ];
		bridge__tomb_name(ifindex, tomb);
		struct nd_error e = { 0 };
		if (nd_nl_link_down_rename(nl, hl, tomb, &e) < 0) {
			log_debug("bridge: %s: %s; deleting it now", rtnl_link_get_name(hl), e.msg);
			return nd_nl_link_del_index(nl, ifindex, err);
		}
	}
	return nd_nl_link_del_index_bg(nl, ifindex, err);
}

int bridge__endpoint_create(struct nd_drv_ctx *ctx, struct nd_drv_network *net,
			    struct nd_drv_endpoint *ep, struct nd_error *err)
{
	char host[IFNAMSIZ], peer[IFNAMSIZ];
	struct bridge_opts o;
	int r;
	if ((r = bridge__ep_names(ep, host, peer, err)) < 0 || (r = bridge__opts_parse(net->options, &o, err)) < 0 ||
	    (r = bridge__ep_fill_mac(ep, err)) < 0)
		return r;
	if (ep->data && json_is_object(ep->data) &&
	    json_object_set_new(ep->data, "host_ifname", json_string(host)) < 0)
		return nd_error_set(err, -ENOMEM, "endpoint %s: out of memory", ep->id);
	return 0;
}

int bridge__endpoint_delete(struct nd_drv_ctx *ctx, struct nd_drv_network *net,
			    struct nd_drv_endpoint *ep, struct nd_error *err)
{
	char host[IFNAMSIZ];
	int r = bridge__ep_host_name(ep, host, err);
	if (r < 0)
		return r;
	struct nd_nl nl;
	if ((r = nd_nl_open(&nl, err)) < 0)
		return r;
	struct rtnl_link *hl = NULL;
	r = nd_nl_link_get(&nl, host, &hl);
	if (r == 0) /* takes the peer with it, wherever it is */
		r = bridge__host_retire(ctx, &nl, hl, err);
	else if (r == -ENODEV)
		r = 0;
	else
		nd_nl_fail(&nl, r, err, "look up %s", host);
	if (hl)
		rtnl_link_put(hl);
	nd_nl_close(&nl);
	return r;
}

/* ---- inside the sandbox ------------------------------------------------- */

struct bridge__sb_job {
	const struct nd_drv_network *net;
	const struct nd_drv_endpoint *ep;
	const struct nd_drv_sandbox *sb;
	int host_ifindex;   /* > 0: sb->ifname must be this host end's peer */
	int peer_ifindex;   /* the host end's peer, as the host end reports it */
	bool ok;            /* endpoint_ok's answer */
	bool stale;         /* configure: sb->ifname missing or not our peer */
	bool peer_here;     /* configure, stale: the peer is in this sandbox all the same */
	int link_of;        /* inspect: the other end's ifindex of sb->ifname, 0 = not a veth */
};

/* configure found no peer under sb->ifname: is it here under another name? */
static void bridge__sb_find_peer(struct nd_nl *nl, struct bridge__sb_job *j)
{
	struct rtnl_link *p = NULL;
	j->stale = true;
	j->peer_here = j->peer_ifindex > 0 && nd_nl_link_get_index(nl, j->peer_ifindex, &p) == 0 &&
		       bridge__is_peer_of(p, j->host_ifindex);
	if (p)
		rtnl_link_put(p);
}

static int bridge__sb_configure(struct nd_nl *nl, void *arg, struct nd_error *err)
{
	struct bridge__sb_job *j = arg;
	const char *ifname = j->sb->ifname;
	struct rtnl_link *link = NULL, *ch = NULL;
	struct nl_addr *mac = NULL;
	int r = nd_nl_link_get(nl, ifname, &link);
	if (r == -ENODEV && j->host_ifindex > 0) {
		bridge__sb_find_peer(nl, j);
		r = 0;
		goto out;
	}
	if (r < 0) {
		r = nd_nl_fail(nl, r, err, "look up %s in the sandbox", ifname);
		goto out;
	}
	if (j->host_ifindex > 0 && !bridge__is_peer_of(link, j->host_ifindex)) {
		bridge__sb_find_peer(nl, j);
		goto out;
	}
	int ifindex = rtnl_link_get_ifindex(link);

	/* IPv6 on exactly when the endpoint has an IPv6 address (Docker >= 26
	 * does the same); set before the interface comes up, so an IPv4-only
	 * endpoint never sends DAD/MLD/RS that the bridge floods to every
	 * port */
	if ((r = nd_nl_ipv6_set(ifname, j->ep->ipv6[0] != '\0', err)) < 0)
		goto out;

	ch = rtnl_link_alloc();
	if (!ch) {
		r = nd_error_set(err, -ENOMEM, "%s: out of memory", ifname);
		goto out;
	}
	bool change = false;
	if (j->ep->mac[0]) {
		if (nl_addr_parse(j->ep->mac, AF_LLC, &mac) < 0) {
			r = nd_error_set(err, -EINVAL, "endpoint %s: bad MAC \"%s\"", j->ep->id, j->ep->mac);
			goto out;
		}
		struct nl_addr *cur = rtnl_link_get_addr(link);
		if (!cur || nl_addr_cmp(cur, mac) != 0) {
			rtnl_link_set_addr(ch, mac);
			change = true;
		}
	}
	if (!(rtnl_link_get_flags(link) & IFF_UP)) {
		rtnl_link_set_flags(ch, IFF_UP);
		change = true;
	}
	if (change && (r = ND_NL(nl, rtnl_link_change(nl->sk, link, ch, 0))) < 0) {
		r = nd_nl_fail(nl, r, err, "configure %s in the sandbox", ifname);
		goto out;
	}
	if ((r = nd_nl_sb_addrs_lo(nl, ifindex, j->ep->ipv4, j->ep->ipv6, err)) < 0)
		goto wrap;

	/* internal networks have no way out: no default route (Docker's Join
	 * sets no gateway for them) */
	if (j->sb->default_route && !j->net->internal) {
		for (int i = 0; i < j->net->nsubnets; i++) {
			const struct nd_drv_subnet *s = &j->net->subnets[i];
			if (!s->gateway[0])
				continue;
			const char *mine = s->ipv6 ? j->ep->ipv6 : j->ep->ipv4;
			if (!mine[0] || !nd_addr_same_family(mine, s->gateway))
				continue;
			if ((r = nd_nl_route_default_add(nl, ifindex, s->gateway, err)) < 0)
				goto wrap;
		}
	}
	r = 0;
	goto out;
wrap:
	nd_error_wrap(err, "sandbox interface %s", ifname);
out:
	if (mac)
		nl_addr_put(mac);
	if (ch)
		rtnl_link_put(ch);
	if (link)
		rtnl_link_put(link);
	return r;
}

/* leave: sb->ifname, if it is our peer, goes down and becomes vdel<ifindex> */
static int bridge__sb_detach(struct nd_nl *nl, void *arg, struct nd_error *err)
{
	struct bridge__sb_job *j = arg;
	struct rtnl_link *link = NULL;
	int r = nd_nl_link_get(nl, j->sb->ifname, &link);
	if (r == -ENODEV)
		return 0;
	if (r < 0)
		return nd_nl_fail(nl, r, err, "look up %s in the sandbox", j->sb->ifname);
	if (bridge__is_peer_of(link, j->host_ifindex)) {
		char tomb[IFNAMSIZ];
		bridge__tomb_name(rtnl_link_get_ifindex(link), tomb);
		r = nd_nl_link_down_rename(nl, link, tomb, err);
	}
	rtnl_link_put(link);
	return r;
}

/* who holds sb->ifname: the other end's ifindex when it is a veth */
static int bridge__sb_inspect(struct nd_nl *nl, void *arg, struct nd_error *err)
{
	struct bridge__sb_job *j = arg;
	struct rtnl_link *link = NULL;
	j->link_of = 0;
	if (nd_nl_link_get(nl, j->sb->ifname, &link) < 0)
		return 0;
	if (nd_nl_link_is_kind(link, "veth"))
		j->link_of = rtnl_link_get_link(link);
	rtnl_link_put(link);
	return 0;
}

/* The pair is there already (replayed join, repair, or an older netd's
 * endpoint): complete the host end, move a legacy peer in. */
static int bridge__join_existing(struct nd_nl *nl, struct rtnl_link *hl, int brindex, const char *peer,
				 const struct nd_drv_sandbox *sb, int nsfd, struct nd_error *err)
{
	int r = bridge__port_fix(nl, hl, brindex, err);
	if (r < 0)
		return r;
	struct rtnl_link *pl = NULL;
	r = nd_nl_link_get(nl, peer, &pl);
	if (r == -ENODEV)
		return 0;
	if (r < 0)
		return nd_nl_fail(nl, r, err, "look up %s", peer);
	struct rtnl_link *ch = rtnl_link_alloc();
	if (!ch) {
		rtnl_link_put(pl);
		return nd_error_set(err, -ENOMEM, "%s: out of memory", peer);
	}
	rtnl_link_set_ns_fd(ch, nsfd);
	rtnl_link_set_name(ch, sb->ifname);
	r = ND_NL(nl, rtnl_link_change(nl->sk, pl, ch, 0));
	if (r < 0)
		nd_nl_fail(nl, r, err, "move %s into sandbox %s as %s", peer, sb->netns_path, sb->ifname);
	rtnl_link_put(ch);
	rtnl_link_put(pl);
	return r;
}

int bridge__join(struct nd_drv_ctx *ctx, struct nd_drv_network *net, struct nd_drv_endpoint *ep,
		 struct nd_drv_sandbox *sb, struct nd_error *err)
{
	char host[IFNAMSIZ], peer[IFNAMSIZ], br[IFNAMSIZ];
	struct bridge_opts o;
	int r;
	if ((r = bridge__ep_names(ep, host, peer, err)) < 0 || (r = bridge__bridge_name_of(net, br, err)) < 0 ||
	    (r = bridge__opts_parse(net->options, &o, err)) < 0)
		return r;
	if (!nd_ifname_valid(sb->ifname))
		return nd_error_set(err, -EINVAL, "invalid interface name \"%s\"", sb->ifname);
	_cleanup_close_ int nsfd = open(sb->netns_path, O_RDONLY | O_CLOEXEC);
	if (nsfd < 0)
		return nd_error_set(err, -errno, "open sandbox netns %s: %s", sb->netns_path, strerror(errno));
	if ((r = bridge__ep_fill_mac(ep, err)) < 0)
		return r;

	struct nd_nl nl;
	if ((r = nd_nl_open(&nl, err)) < 0)
		return r;
	struct rtnl_link *brl = NULL, *hl = NULL, *other = NULL;
	r = nd_nl_link_get(&nl, br, &brl);
	if (r < 0) {
		r = nd_nl_fail(&nl, r == -ENODEV ? -ENOENT : r, err, "bridge %s of network %s", br, net->id);
		goto out;
	}
	int brindex = rtnl_link_get_ifindex(brl);
	unsigned mtu = rtnl_link_get_mtu(brl);
	struct bridge__sb_job j = { .net = net, .ep = ep, .sb = sb };
	bool replaced = false;
	int reaped = 0;

	for (;;) {
		bool created = false;
		r = bridge__pair_create(&nl, host, sb, nsfd, ep->mac, mtu, brindex, err);
		if (r == 0) {
			created = true;
			log_debug("bridge: created veth %s / %s in %s endpoint=%s", host, sb->ifname, sb->netns_path, ep->id);
		} else if (r != -EEXIST) {
			goto out;
		}
		{ /* who has the name / the port's ifindex (hairpin, isolation) */
			r = nd_nl_link_get(&nl, host, &hl);
			if (r == -ENODEV && !created) {
				/* the sandbox's name is taken: by a pair on its way out? */
				if ((r = nd_nl_in_netns(nsfd, bridge__sb_inspect, &j, err)) < 0)
					goto out;
				bool dying = j.link_of > 0 && nd_nl_link_get_index(&nl, j.link_of, &other) == 0 &&
					     bridge__is_tomb(rtnl_link_get_name(other)) && nd_nl_link_is_kind(other, "veth");
				if (other) {
					rtnl_link_put(other);
					other = NULL;
				}
				if (dying && ++reaped <= 3) {
					/* a retired pair of ours (endpoint_delete
					 * without leave; or its background delete
					 * died with a netd that exited): finish it */
					log_debug("bridge: %s in %s belongs to a retired pair, deleting it now",
						  sb->ifname, sb->netns_path);
					if ((r = nd_nl_link_del_index(&nl, j.link_of, err)) < 0)
						goto out;
					continue;
				}
				r = nd_error_set(err, -EEXIST, "interface %s already exists in sandbox %s",
						 sb->ifname, sb->netns_path);
				goto out;
			}
			if (r < 0) {
				r = nd_nl_fail(&nl, r, err, "look up %s", host);
				goto out;
			}
		}
		if (!created && (r = bridge__join_existing(&nl, hl, brindex, peer, sb, nsfd, err)) < 0)
			goto out;

		/* icc=false: an isolated port talks only to non-isolated ports,
		 * i.e. the bridge itself (the gateway), never to another endpoint */
		if (!o.icc && (r = nd_nl_brport_set_u8(&nl, rtnl_link_get_ifindex(hl), IFLA_BRPORT_ISOLATED, 1, err)) < 0)
			goto out;
		/* hairpin: a container reaching its own published port through a
		 * host address; with br_netfilter the DNATed frame is bridged back
		 * out of the port it came in on (see proxy/proxy.h, port publishing) */
		if ((r = nd_nl_brport_set_u8(&nl, rtnl_link_get_ifindex(hl), IFLA_BRPORT_MODE, 1, err)) < 0)
			goto out;

		j.host_ifindex = created ? 0 : rtnl_link_get_ifindex(hl);
		j.peer_ifindex = created ? 0 : rtnl_link_get_link(hl);
		j.stale = j.peer_here = false;
		r = nd_nl_in_netns(nsfd, bridge__sb_configure, &j, err);
		if (r < 0 || !j.stale)
			break;
		/* the pair's other end is not the sandbox's interface */
		if (!j.peer_here) {
			/* in another namespace: another endpoint's pair (ids
			 * that share their first 7 hex digits), or moved away
			 * by hand; never take it */
			r = nd_error_set(err, -EEXIST, "%s already exists and its peer is not in sandbox %s "
					 "(another endpoint with the same first %d id digits?)",
					 host, sb->netns_path, BRIDGE_VETH_HEX);
			break;
		}
		/* in this sandbox under another name: replace the pair, once */
		if (replaced) {
			r = nd_error_set(err, -EEXIST, "interface %s in sandbox %s is not the peer of %s",
					 sb->ifname, sb->netns_path, host);
			break;
		}
		log_debug("bridge: %s has no peer %s in %s, replacing the pair", host, sb->ifname, sb->netns_path);
		if ((r = nd_nl_link_del_index(&nl, rtnl_link_get_ifindex(hl), err)) < 0)
			break;
		rtnl_link_put(hl);
		hl = NULL;
		replaced = true;
	}
out:
	if (hl)
		rtnl_link_put(hl);
	if (brl)
		rtnl_link_put(brl);
	nd_nl_close(&nl);
	if (r < 0)
		nd_error_wrap(err, "endpoint %.12s join", ep->id);
	return r;
}

int bridge__leave(struct nd_drv_ctx *ctx, struct nd_drv_network *net, struct nd_drv_endpoint *ep,
		  struct nd_drv_sandbox *sb, struct nd_error *err)
{
	char host[IFNAMSIZ], peer[IFNAMSIZ];
	int r = bridge__ep_names(ep, host, peer, err);
	if (r < 0)
		return r;
	struct nd_nl nl;
	if ((r = nd_nl_open(&nl, err)) < 0)
		return r;
	struct rtnl_link *hl = NULL;
	r = nd_nl_link_get(&nl, host, &hl);
	if (r == -ENODEV) { /* left already */
		r = 0;
		goto out;
	}
	if (r < 0) {
		r = nd_nl_fail(&nl, r, err, "look up %s", host);
		goto out;
	}
	if (!(ctx && ctx->wait_teardown) && sb && sb->netns_path) {
		/* the sandbox's side first: no connectivity, its name free */
		_cleanup_close_ int nsfd = open(sb->netns_path, O_RDONLY | O_CLOEXEC);
		struct bridge__sb_job j = { .net = net, .ep = ep, .sb = sb, .host_ifindex = rtnl_link_get_ifindex(hl) };
		struct nd_error e = { 0 };
		if (nsfd < 0 || nd_nl_in_netns(nsfd, bridge__sb_detach, &j, &e) < 0) {
			/* sandbox gone, or cannot get in: the name must not
			 * outlive the call, so delete now */
			if (nsfd >= 0)
				log_debug("bridge: leave %s: %s; deleting the pair now", host, e.msg);
			r = nd_nl_link_del_index(&nl, rtnl_link_get_ifindex(hl), err);
			goto out;
		}
	}
	/* the host end, and with it the peer */
	r = bridge__host_retire(ctx, &nl, hl, err);
out:
	if (hl)
		rtnl_link_put(hl);
	nd_nl_close(&nl);
	if (r < 0)
		nd_error_wrap(err, "endpoint %.12s leave", ep->id);
	return r;
}

static int bridge__sb_check(struct nd_nl *nl, void *arg, struct nd_error *err)
{
	struct bridge__sb_job *j = arg;
	struct rtnl_link *link = NULL;
	j->ok = false;
	if (nd_nl_link_get(nl, j->sb->ifname, &link) < 0)
		return 0;
	int ifindex = rtnl_link_get_ifindex(link);
	bool up = (rtnl_link_get_flags(link) & IFF_UP) && bridge__is_peer_of(link, j->host_ifindex);
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

bool bridge__endpoint_ok(struct nd_drv_ctx *ctx, struct nd_drv_network *net, struct nd_drv_endpoint *ep,
			 struct nd_drv_sandbox *sb)
{
	char host[IFNAMSIZ], peer[IFNAMSIZ], br[IFNAMSIZ];
	if (bridge__veth_names(ep->id, host, peer) < 0 || bridge__bridge_name_of(net, br, NULL) < 0)
		return false;
	struct nd_nl nl;
	if (nd_nl_open(&nl, NULL) < 0)
		return false;
	struct rtnl_link *brl = NULL, *hl = NULL;
	bool ok = nd_nl_link_get(&nl, br, &brl) == 0 && nd_nl_link_get(&nl, host, &hl) == 0 &&
		  nd_nl_link_is_kind(hl, "veth") && rtnl_link_get_master(hl) == rtnl_link_get_ifindex(brl) &&
		  (rtnl_link_get_flags(hl) & IFF_UP);
	int host_ifindex = ok ? rtnl_link_get_ifindex(hl) : 0;
	if (hl)
		rtnl_link_put(hl);
	if (brl)
		rtnl_link_put(brl);
	nd_nl_close(&nl);
	if (!ok || !sb)
		return ok;
	_cleanup_close_ int nsfd = open(sb->netns_path, O_RDONLY | O_CLOEXEC);
	if (nsfd < 0)
		return false;
	struct bridge__sb_job j = { .net = net, .ep = ep, .sb = sb, .host_ifindex = host_ifindex };
	struct nd_error e = { 0 };
	return nd_nl_in_netns(nsfd, bridge__sb_check, &j, &e) == 0 && j.ok;
}
