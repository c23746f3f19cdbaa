// SPDX-License-Identifier: Apache-2.0
/* drivers/bridge: netctl explain's layer 2 — the veth pair, the bridge port
 * (state, hairpin, isolation) and the FDB entry a frame follows, read live
 * from the kernel in netd's namespace (the bridge side of every pair lives
 * there). */
#include "drivers/bridge/bridge.h"
#include "drivers/nl.h"

#include <fcntl.h>
#include <linux/if_bridge.h>
#include <linux/if_link.h>
#include <linux/rtnetlink.h>
#include <netlink/msg.h>
#include <netlink/attr.h>
#include <netlink/route/neighbour.h>

struct brport {
	int ifindex;
	bool found;
	uint8_t state;
	bool hairpin, isolated;
};

static int brport_cb(struct nl_msg *msg, void *arg)
{
	struct brport *b = arg;
	struct nlmsghdr *nlh = nlmsg_hdr(msg);
	if (nlh->nlmsg_type != RTM_NEWLINK || nlmsg_datalen(nlh) < (int)sizeof(struct ifinfomsg))
		return NL_OK;
	const struct ifinfomsg *ifi = nlmsg_data(nlh);
	if (ifi->ifi_index != b->ifindex)
		return NL_OK;
	struct nlattr *tb[IFLA_MAX + 1];
	if (nlmsg_parse(nlh, sizeof(*ifi), tb, IFLA_MAX, NULL) < 0 || !tb[IFLA_PROTINFO])
		return NL_OK;
	struct nlattr *pt[IFLA_BRPORT_MAX + 1];
	if (nla_parse_nested(pt, IFLA_BRPORT_MAX, tb[IFLA_PROTINFO], NULL) < 0)
		return NL_OK;
	b->found = true;
	if (pt[IFLA_BRPORT_STATE])
		b->state = nla_get_u8(pt[IFLA_BRPORT_STATE]);
	if (pt[IFLA_BRPORT_MODE])
		b->hairpin = nla_get_u8(pt[IFLA_BRPORT_MODE]);
	if (pt[IFLA_BRPORT_ISOLATED])
		b->isolated = nla_get_u8(pt[IFLA_BRPORT_ISOLATED]);
	return NL_OK;
}

/* A bridge port's flags: RTM_GETLINK dump of family AF_BRIDGE (libnl 3.7
 * has no getter for IFLA_BRPORT_ISOLATED). */
static int brport_get(struct nd_nl *nl, int ifindex, struct brport *out)
{
	memset(out, 0, sizeof(*out));
	out->ifindex = ifindex;
	struct ifinfomsg ifi = { .ifi_family = AF_BRIDGE };
	/* a socket of its own: nl's sequence numbers stay in step */
	struct nd_nl one;
	struct nd_error e = { 0 };
	(void)nl;
	if (nd_nl_open(&one, &e) < 0)
		return e.code;
	nl_socket_disable_auto_ack(one.sk);
	nl_socket_modify_cb(one.sk, NL_CB_VALID, NL_CB_CUSTOM, brport_cb, out);
	int r = ND_NL(&one, nl_send_simple(one.sk, RTM_GETLINK, NLM_F_DUMP, &ifi, sizeof(ifi)));
	if (r >= 0)
		r = ND_NL(&one, nl_recvmsgs_default(one.sk));
	nd_nl_close(&one);
	return r < 0 ? r : 0;
}

static const char *brport_state(uint8_t s)
{
	static const char *names[] = { "disabled", "listening", "learning", "forwarding", "blocking" };
	return s < ARRAY_SIZE(names) ? names[s] : "?";
}

/* The FDB entry of mac on bridge brindex: the port's ifindex (the bridge's
 * own for its address), 0 when the bridge has not learnt it. */
struct fdb_find {
	struct nl_addr *want;
	int brindex;
	int port;
	bool permanent, exact;
};

static void fdb_cb(struct rtnl_neigh *n, void *arg)
{
	struct fdb_find *f = arg;
	struct nl_addr *ll = rtnl_neigh_get_lladdr(n);
	int master = rtnl_neigh_get_master(n), ifindex = rtnl_neigh_get_ifindex(n);
	if (f->exact || !ll || nl_addr_cmp(ll, f->want) != 0 || (master != f->brindex && ifindex != f->brindex))
		return;
	f->port = ifindex;
	f->permanent = rtnl_neigh_get_state(n) & (NUD_PERMANENT | NUD_NOARP);
	f->exact = rtnl_neigh_get_vlan(n) <= 0; /* prefer the entry without a VLAN */
}

static int fdb_lookup(struct nd_nl *nl, int brindex, const char *mac, int *port, bool *permanent)
{
	(void)nl;
	*port = 0;
	*permanent = false;
	struct fdb_find f = { .brindex = brindex };
	if (nl_addr_parse(mac, AF_LLC, &f.want) < 0)
		return -EINVAL;
	struct nd_error e = { 0 };
	int r = nd_nl_fdb_foreach(fdb_cb, &f, &e);
	nl_addr_put(f.want);
	*port = f.port;
	*permanent = f.permanent;
	return r;
}

static bool br_netfilter_on(bool v6)
{
	_cleanup_close_ int fd = open(v6 ? "/proc/sys/net/bridge/bridge-nf-call-ip6tables"
					 : "/proc/sys/net/bridge/bridge-nf-call-iptables",
				      O_RDONLY | O_CLOEXEC);
	char c = '0';
	return fd >= 0 && read(fd, &c, 1) == 1 && c == '1';
}

static void ifname_of(struct nd_nl *nl, int ifindex, char out[IFNAMSIZ])
{
	struct rtnl_link *l = NULL;
	snprintf(out, IFNAMSIZ, "if%d", ifindex);
	if (nd_nl_link_get_index(nl, ifindex, &l) == 0 && l) {
		snprintf(out, IFNAMSIZ, "%s", rtnl_link_get_name(l) ?: "?");
		rtnl_link_put(l);
	}
}

/* the veth pair of an endpoint: sandbox side, host side */
static void hop_veth(struct nd_drv_path *p, const struct nd_drv_sandbox *sb, const char *host, const char *br,
		     bool out)
{
	struct nd_drv_hop *h = nd_drv_path_hop(p, "veth", "ip -d link show %s", host);
	snprintf(h->object, sizeof(h->object), "%s", host);
	if (out)
		snprintf(h->detail, sizeof(h->detail),
			 "%s in the sandbox is one end of a veth pair; what it sends comes out of %s, "
			 "the other end, in the host's namespace, a port of bridge %s",
			 sb ? sb->ifname : "the interface", host, br);
	else
		snprintf(h->detail, sizeof(h->detail),
			 "%s is the host's end of a veth pair: what the bridge sends out of it arrives on %s "
			 "in the destination's sandbox",
			 host, sb ? sb->ifname : "its peer");
}

static void hop_port(struct nd_drv_path *p, const char *host, const char *br, const struct brport *bp)
{
	struct nd_drv_hop *h = nd_drv_path_hop(p, "bridge-port", "bridge -d link show dev %s", host);
	snprintf(h->object, sizeof(h->object), "%s", host);
	snprintf(h->detail, sizeof(h->detail), "port of %s: state %s, hairpin %s, isolated %s", br,
		 bp->found ? brport_state(bp->state) : "?", bp->hairpin ? "on" : "off", bp->isolated ? "on" : "off");
}

int bridge__explain_path(struct nd_drv_ctx *ctx, const struct nd_drv_network *net, struct nd_drv_path *p,
			 struct nd_error *err)
{
	(void)ctx;
	char br[IFNAMSIZ];
	int r = bridge__bridge_name_of(net, br, err);
	if (r < 0)
		return r;
	snprintf(p->host_ifname, sizeof(p->host_ifname), "%s", br);
	bool v6 = (p->dst && !p->dst->ipv4[0] && p->dst->ipv6[0]);
	p->l3_filtered = br_netfilter_on(v6);

	struct nd_nl nl;
	if ((r = nd_nl_open(&nl, err)) < 0)
		return r;
	struct rtnl_link *brl = NULL;
	if ((r = nd_nl_link_get(&nl, br, &brl)) < 0) {
		r = nd_nl_fail(&nl, r, err, "bridge %s", br);
		goto out;
	}
	int brindex = rtnl_link_get_ifindex(brl);
	char brmac[18] = "";
	struct nl_addr *a = rtnl_link_get_addr(brl);
	if (a)
		nl_addr2str(a, brmac, sizeof(brmac));

	char src_host[IFNAMSIZ] = "", dst_host[IFNAMSIZ] = "";
	struct brport src_bp = { 0 }, dst_bp = { 0 };
	if (p->dir == ND_DRV_PATH_OUT && p->src) {
		if ((r = bridge__ep_host_name(p->src, src_host, err)) < 0)
			goto out;
		int idx = 0;
		struct rtnl_link *l = NULL;
		if (nd_nl_link_get(&nl, src_host, &l) == 0) {
			idx = rtnl_link_get_ifindex(l);
			rtnl_link_put(l);
		}
		if (!idx) {
			p->end = ND_DRV_END_DROP;
			snprintf(p->reason, sizeof(p->reason), "the host end %s of the endpoint's veth pair is missing",
				 src_host);
			r = 0;
			goto out;
		}
		(void)brport_get(&nl, idx, &src_bp);
		hop_veth(p, p->src_sb, src_host, br, true);
		hop_port(p, src_host, br, &src_bp);
	}

	const char *mac = p->dst_mac[0] ? p->dst_mac : p->dst ? p->dst->mac : "";
	if (p->dir == ND_DRV_PATH_OUT && mac[0] && brmac[0] && !strcasecmp(mac, brmac)) {
		struct nd_drv_hop *h = nd_drv_path_hop(p, "fdb", "bridge fdb show br %s | grep -i %s", br, mac);
		snprintf(h->object, sizeof(h->object), "%s", mac);
		snprintf(h->detail, sizeof(h->detail),
			 "%s is the bridge's own address (the gateway): the frame goes up to the host, "
			 "which routes the packet", mac);
		p->end = ND_DRV_END_HOST;
		r = 0;
		goto out;
	}
	if (!p->dst && mac[0] && strcasecmp(mac, brmac)) {
		/* not the bridge, not an endpoint here: where the FDB sends it */
		int port = 0;
		bool perm = false;
		(void)fdb_lookup(&nl, brindex, mac, &port, &perm);
		if (!port) {
			p->end = ND_DRV_END_UNKNOWN;
			snprintf(p->reason, sizeof(p->reason), "%s has no FDB entry for %s: the frame is flooded", br, mac);
			r = 0;
			goto out;
		}
		char pname[IFNAMSIZ];
		ifname_of(&nl, port, pname);
		struct nd_drv_hop *fh = nd_drv_path_hop(p, "fdb", "bridge fdb show br %s | grep -i %s", br, mac);
		snprintf(fh->object, sizeof(fh->object), "%s", mac);
		snprintf(fh->detail, sizeof(fh->detail), "%s's forwarding database: %s is behind port %s%s", br, mac, pname,
			 perm ? " (a static entry)" : "");
		snprintf(p->out_port, sizeof(p->out_port), "%s", pname);
		p->end = ND_DRV_END_OUT;
		snprintf(p->reason, sizeof(p->reason), "the frame leaves %s through port %s", br, pname);
		r = 0;
		goto out;
	}
	if (!p->dst && !mac[0] && p->next_hop[0]) {
		/* nobody known has the next hop: the host, if the bridge holds it */
		bool mine = false;
		if (nd_nl_addr_has(&nl, brindex, p->next_hop, &mine) == 0 && !mine) {
			struct nd_drv_hop *nh = nd_drv_path_hop(p, "arp", "ip -br addr show dev %s", br);
			snprintf(nh->object, sizeof(nh->object), "%s", br);
			snprintf(nh->detail, sizeof(nh->detail),
				 "no endpoint of network %s has %s, nor has the bridge %s (its addresses are listed): an ARP "
				 "request for it goes unanswered", net->name, p->next_hop, br);
			p->end = ND_DRV_END_DROP;
			snprintf(p->reason, sizeof(p->reason),
				 "nothing on %s answers for %s: the sandbox's neighbour lookup fails (host unreachable)", br,
				 p->next_hop);
			r = 0;
			goto out;
		}
	}
	if (!p->dst || !mac[0]) {
		p->end = p->dir == ND_DRV_PATH_OUT ? ND_DRV_END_HOST : ND_DRV_END_UNKNOWN;
		snprintf(p->reason, sizeof(p->reason), "no endpoint of network %s has this address", net->name);
		r = 0;
		goto out;
	}
	if ((r = bridge__ep_host_name(p->dst, dst_host, err)) < 0)
		goto out;
	int port = 0;
	bool perm = false;
	(void)fdb_lookup(&nl, brindex, mac, &port, &perm);
	int dst_idx = 0;
	{
		struct rtnl_link *l = NULL;
		if (nd_nl_link_get(&nl, dst_host, &l) == 0) {
			dst_idx = rtnl_link_get_ifindex(l);
			rtnl_link_put(l);
		}
	}
	if (!dst_idx) {
		p->end = ND_DRV_END_DROP;
		snprintf(p->reason, sizeof(p->reason), "the host end %s of the destination's veth pair is missing",
			 dst_host);
		r = 0;
		goto out;
	}
	(void)brport_get(&nl, dst_idx, &dst_bp);
	struct nd_drv_hop *h;
	if (port) {
		char pname[IFNAMSIZ];
		ifname_of(&nl, port, pname);
		h = nd_drv_path_hop(p, "fdb", "bridge fdb show br %s | grep -i %s", br, mac);
		snprintf(h->object, sizeof(h->object), "%s", mac);
		snprintf(h->detail, sizeof(h->detail), "%s's forwarding database: %s is behind port %s%s", br, mac, pname,
			 port == dst_idx ? "" : " (not the destination's port!)");
		if (port != dst_idx) {
			p->end = ND_DRV_END_UNKNOWN;
			snprintf(p->reason, sizeof(p->reason), "the FDB sends %s to %s, not to %s", mac, pname, dst_host);
			r = 0;
			goto out;
		}
	} else {
		h = nd_drv_path_hop(p, "fdb", "bridge fdb show br %s", br);
		snprintf(h->object, sizeof(h->object), "%s", dst_host);
		snprintf(h->detail, sizeof(h->detail),
			 "%s has no FDB entry for %s yet: the first frame is flooded to every port and "
			 "reaches %s (the reply teaches the bridge where %s is)", br, mac, dst_host, mac);
	}
	hop_port(p, dst_host, br, &dst_bp);
	if (dst_bp.found && dst_bp.state != BR_STATE_FORWARDING) {
		p->end = ND_DRV_END_DROP;
		snprintf(p->reason, sizeof(p->reason), "bridge port %s is in state %s, not forwarding", dst_host,
			 brport_state(dst_bp.state));
		r = 0;
		goto out;
	}
	if (p->dir == ND_DRV_PATH_OUT && src_bp.isolated && dst_bp.isolated) {
		p->end = ND_DRV_END_DROP;
		snprintf(p->reason, sizeof(p->reason),
			 "ports %s and %s of %s are both isolated (icc off): the bridge never forwards between them",
			 src_host, dst_host, br);
		r = 0;
		goto out;
	}
	if (p->dir == ND_DRV_PATH_IN && p->src) {
		/* routed (or, with br_netfilter, DNATed and bridged) back towards
		 * the endpoint it came from: out of the port it came in on */
		char in_host[IFNAMSIZ];
		struct nd_error e2 = { 0 };
		if (bridge__ep_host_name(p->src, in_host, &e2) == 0 && !strcmp(in_host, dst_host)) {
			if (!dst_bp.hairpin) {
				p->end = ND_DRV_END_DROP;
				snprintf(p->reason, sizeof(p->reason),
					 "the frame must go back out of %s, the port it came in on, and hairpin mode is off there",
					 dst_host);
				r = 0;
				goto out;
			}
			h = nd_drv_path_hop(p, "hairpin", "bridge -d link show dev %s", dst_host);
			snprintf(h->object, sizeof(h->object), "hairpin on");
			snprintf(h->detail, sizeof(h->detail),
				 "the frame goes back out of %s, the port it came in on: the bridge allows that only "
				 "because the port is in hairpin mode", dst_host);
		}
	}
	if (p->dir == ND_DRV_PATH_OUT && !strcmp(src_host, dst_host) && !src_bp.hairpin) {
		p->end = ND_DRV_END_DROP;
		snprintf(p->reason, sizeof(p->reason), "a frame back out of the port it came in on needs hairpin mode on %s",
			 src_host);
		r = 0;
		goto out;
	}
	hop_veth(p, p->dst_sb, dst_host, br, false);
	p->end = ND_DRV_END_PEER;
	r = 0;
out:
	if (brl)
		rtnl_link_put(brl);
	nd_nl_close(&nl);
	return r;
}
