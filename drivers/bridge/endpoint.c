/* drivers/bridge: endpoints = veth pairs; the host end is a bridge port, the
 * peer is moved into the sandbox on join.
 *
 * Lifecycle (every step idempotent):
 *   endpoint_create  veth<7hex> (bridge port, up) + vp<7hex> (MAC, MTU) in
 *                    netd's netns
 *   join             vp<7hex> moved into the sandbox and renamed to sb->ifname
 *                    in the same RTM_NEWLINK; then, from a thread inside the
 *                    sandbox: MAC, up, addresses, lo up, default routes.
 *                    If the pair is gone (after leave) it is created again.
 *   leave            deletes the pair (deleting the host end takes the peer in
 *                    the sandbox with it): one RTM_DELLINK, one synchronize_net
 *                    in the kernel, instead of a move back (another
 *                    synchronize_net) followed by a delete later.
 *   endpoint_delete  deletes the pair if still there.
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

static bool bridge__is_kind(struct rtnl_link *link, const char *kind)
{
	const char *k = rtnl_link_get_type(link);
	return k && strcmp(k, kind) == 0;
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

/* the existing host end: make sure it is our bridge's port, up, isolated */
static int bridge__port_fix(struct nd_nl *nl, struct rtnl_link *host, int brindex, struct nd_error *err)
{
	const char *name = rtnl_link_get_name(host);
	if (!bridge__is_kind(host, "veth"))
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

int bridge__endpoint_create(struct nd_drv_ctx *ctx, struct nd_drv_network *net,
			    struct nd_drv_endpoint *ep, struct nd_error *err)
{
	char host[IFNAMSIZ], peer[IFNAMSIZ], br[IFNAMSIZ];
	struct bridge_opts o;
	int r;
	if ((r = bridge__ep_names(ep, host, peer, err)) < 0 || (r = bridge__bridge_name_of(net, br, err)) < 0 ||
	    (r = bridge__opts_parse(net->options, &o, err)) < 0 || (r = bridge__ep_fill_mac(ep, err)) < 0)
		return r;

	struct nd_nl nl;
	if ((r = nd_nl_open(&nl, err)) < 0)
		return r;
	struct rtnl_link *brl = NULL, *hl = NULL, *veth = NULL;
	struct nl_addr *mac = NULL;
	r = nd_nl_link_get(&nl, br, &brl);
	if (r < 0) {
		r = nd_nl_fail(&nl, r == -ENODEV ? -ENOENT : r, err, "bridge %s of network %s", br, net->id);
		goto out;
	}
	int brindex = rtnl_link_get_ifindex(brl);
	unsigned mtu = rtnl_link_get_mtu(brl);

	r = nd_nl_link_get(&nl, host, &hl);
	if (r == -ENODEV) {
		veth = rtnl_link_veth_alloc();
		if (!veth || nl_addr_parse(ep->mac, AF_LLC, &mac) < 0) {
			r = nd_error_set(err, veth ? -EINVAL : -ENOMEM, "veth %s: bad MAC \"%s\" or out of memory",
					 host, ep->mac);
			goto out;
		}
		struct rtnl_link *pl = rtnl_link_veth_get_peer(veth);
		rtnl_link_set_name(veth, host);
		rtnl_link_set_mtu(veth, mtu);
		rtnl_link_set_master(veth, brindex);
		rtnl_link_set_flags(veth, IFF_UP);
		rtnl_link_set_name(pl, peer);
		rtnl_link_set_mtu(pl, mtu);
		rtnl_link_set_addr(pl, mac);
		rtnl_link_put(pl);
		r = ND_NL(&nl, rtnl_link_add(nl.sk, veth, NLM_F_CREATE | NLM_F_EXCL));
		if (r < 0 && r != -EEXIST) {
			r = nd_nl_fail(&nl, r, err, "create veth pair %s/%s", host, peer);
			goto out;
		}
		log_debug("bridge: created veth %s/%s endpoint=%s", host, peer, ep->id);
		if (r == -EEXIST || !o.icc) /* raced, or we need its ifindex */
			r = nd_nl_link_get(&nl, host, &hl);
		else
			r = 0;
		if (r < 0) {
			r = nd_nl_fail(&nl, r, err, "look up %s", host);
			goto out;
		}
	} else if (r < 0) {
		r = nd_nl_fail(&nl, r, err, "look up %s", host);
		goto out;
	}
	if (hl && (r = bridge__port_fix(&nl, hl, brindex, err)) < 0)
		goto out;

	/* icc=false: an isolated port talks only to non-isolated ports, i.e. the
	 * bridge itself (the gateway), never to another endpoint */
	if (!o.icc && (r = nd_nl_brport_set_u8(&nl, rtnl_link_get_ifindex(hl), IFLA_BRPORT_ISOLATED, 1, err)) < 0)
		goto out;

	if (ep->data && json_is_object(ep->data)) {
		json_object_set_new(ep->data, "host_ifname", json_string(host));
		json_object_set_new(ep->data, "peer_ifname", json_string(peer));
	}
	r = 0;
out:
	if (mac)
		nl_addr_put(mac);
	if (veth)
		rtnl_link_veth_release(veth);
	if (hl)
		rtnl_link_put(hl);
	if (brl)
		rtnl_link_put(brl);
	nd_nl_close(&nl);
	return r;
}

int bridge__endpoint_delete(struct nd_drv_ctx *ctx, struct nd_drv_network *net,
			    struct nd_drv_endpoint *ep, struct nd_error *err)
{
	char host[IFNAMSIZ], peer[IFNAMSIZ];
	int r = bridge__ep_names(ep, host, peer, err);
	if (r < 0)
		return r;
	struct nd_nl nl;
	if ((r = nd_nl_open(&nl, err)) < 0)
		return r;
	r = nd_nl_link_del(&nl, host, err); /* takes the peer with it, wherever it is */
	nd_nl_close(&nl);
	return r;
}

int bridge__leave(struct nd_drv_ctx *ctx, struct nd_drv_network *net, struct nd_drv_endpoint *ep,
		  struct nd_drv_sandbox *sb, struct nd_error *err)
{
	return bridge__endpoint_delete(ctx, net, ep, err);
}

/* ---- inside the sandbox ------------------------------------------------- */

struct bridge__sb_job {
	const struct nd_drv_network *net;
	const struct nd_drv_endpoint *ep;
	const struct nd_drv_sandbox *sb;
	const char *peer;
	bool ok; /* endpoint_ok's answer */
};

static bool bridge__same_family(const char *a, const char *b)
{
	return (strchr(a, ':') != NULL) == (strchr(b, ':') != NULL);
}

static int bridge__sb_configure(struct nd_nl *nl, void *arg, struct nd_error *err)
{
	struct bridge__sb_job *j = arg;
	const char *ifname = j->sb->ifname;
	struct rtnl_link *link = NULL, *lo = NULL, *ch = NULL;
	struct nl_addr *mac = NULL;
	int r = nd_nl_link_get(nl, ifname, &link);
	if (r == -ENODEV) {
		r = nd_error_set(err, -ENOENT, "interface %s is neither in netd's namespace (%s) nor in the sandbox (%s)",
				 j->peer, j->peer, ifname);
		goto out;
	}
	if (r < 0) {
		r = nd_nl_fail(nl, r, err, "look up %s in the sandbox", ifname);
		goto out;
	}
	int ifindex = rtnl_link_get_ifindex(link);

	if (j->ep->ipv6[0]) {
		char path[96];
		snprintf(path, sizeof(path), "net/ipv6/conf/%s/disable_ipv6", ifname);
		if ((r = nd_sysctl_set(path, "0", err)) < 0)
			goto out;
	}

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
	const char *addrs[] = { j->ep->ipv4, j->ep->ipv6 };
	for (size_t i = 0; i < ARRAY_SIZE(addrs); i++)
		if (addrs[i][0] && (r = nd_nl_addr_add(nl, ifindex, addrs[i], err)) < 0)
			goto wrap;

	if ((r = nd_nl_link_get(nl, "lo", &lo)) < 0) {
		r = nd_nl_fail(nl, r, err, "look up lo");
		goto out;
	}
	if ((r = nd_nl_link_up(nl, lo, err)) < 0)
		goto out;

	/* internal networks have no way out: no default route (Docker's Join
	 * sets no gateway for them) */
	if (j->sb->default_route && !j->net->internal) {
		for (int i = 0; i < j->net->nsubnets; i++) {
			const struct nd_drv_subnet *s = &j->net->subnets[i];
			if (!s->gateway[0])
				continue;
			const char *mine = s->ipv6 ? j->ep->ipv6 : j->ep->ipv4;
			if (!mine[0] || !bridge__same_family(mine, s->gateway))
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
	if (lo)
		rtnl_link_put(lo);
	if (link)
		rtnl_link_put(link);
	return r;
}

int bridge__join(struct nd_drv_ctx *ctx, struct nd_drv_network *net, struct nd_drv_endpoint *ep,
		 struct nd_drv_sandbox *sb, struct nd_error *err)
{
	char host[IFNAMSIZ], peer[IFNAMSIZ];
	int r = bridge__ep_names(ep, host, peer, err);
	if (r < 0)
		return r;
	if (!bridge__ifname_valid(sb->ifname))
		return nd_error_set(err, -EINVAL, "invalid interface name \"%s\"", sb->ifname);
	_cleanup_close_ int nsfd = open(sb->netns_path, O_RDONLY | O_CLOEXEC);
	if (nsfd < 0)
		return nd_error_set(err, -errno, "open sandbox netns %s: %s", sb->netns_path, strerror(errno));
	if ((r = bridge__ep_fill_mac(ep, err)) < 0)
		return r;

	struct nd_nl nl;
	if ((r = nd_nl_open(&nl, err)) < 0)
		return r;
	struct rtnl_link *pl = NULL, *hl = NULL, *ch = NULL;
	r = nd_nl_link_get(&nl, peer, &pl);
	if (r == -ENODEV) {
		/* already moved (replayed join), or the pair is gone (after leave) */
		r = nd_nl_link_get(&nl, host, &hl);
		if (r == -ENODEV) {
			if ((r = bridge__endpoint_create(ctx, net, ep, err)) < 0)
				goto out;
			r = nd_nl_link_get(&nl, peer, &pl);
		}
	}
	if (r < 0) {
		r = nd_nl_fail(&nl, r, err, "look up %s", pl || !hl ? peer : host);
		goto out;
	}
	if (pl) {
		ch = rtnl_link_alloc();
		if (!ch) {
			r = nd_error_set(err, -ENOMEM, "%s: out of memory", peer);
			goto out;
		}
		rtnl_link_set_ns_fd(ch, nsfd);
		rtnl_link_set_name(ch, sb->ifname);
		r = ND_NL(&nl, rtnl_link_change(nl.sk, pl, ch, 0));
		if (r < 0) {
			r = nd_nl_fail(&nl, r, err, "move %s into sandbox %s as %s", peer, sb->netns_path, sb->ifname);
			goto out;
		}
	}
	struct bridge__sb_job j = { .net = net, .ep = ep, .sb = sb, .peer = peer };
	r = nd_nl_in_netns(nsfd, bridge__sb_configure, &j, err);
out:
	if (ch)
		rtnl_link_put(ch);
	if (pl)
		rtnl_link_put(pl);
	if (hl)
		rtnl_link_put(hl);
	nd_nl_close(&nl);
	if (r < 0)
		nd_error_wrap(err, "endpoint %.12s join", ep->id);
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
	bool up = rtnl_link_get_flags(link) & IFF_UP;
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
		  bridge__is_kind(hl, "veth") && rtnl_link_get_master(hl) == rtnl_link_get_ifindex(brl) &&
		  (rtnl_link_get_flags(hl) & IFF_UP);
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
	struct bridge__sb_job j = { .net = net, .ep = ep, .sb = sb, .peer = peer };
	struct nd_error e = { 0 };
	return nd_nl_in_netns(nsfd, bridge__sb_check, &j, &e) == 0 && j.ok;
}
