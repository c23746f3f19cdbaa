// SPDX-License-Identifier: Apache-2.0
/* drivers/macvlan: netctl explain's layer 2 — a child's mode on its parent
 * decides whether two children of one parent see each other. */
#include "drivers/macvlan/macvlan.h"

int macvlan__explain_path(struct nd_drv_ctx *ctx, const struct nd_drv_network *net, struct nd_drv_path *p,
			  struct nd_error *err)
{
	(void)ctx;
	struct macvlan_opts o;
	int r = macvlan__opts_parse(net->options, &o, err);
	if (r < 0)
		return r;
	char parent[IFNAMSIZ];
	if ((r = macvlan__parent_link(net, &o, parent, err)) < 0)
		return r;
	snprintf(p->host_ifname, sizeof(p->host_ifname), "%s", parent);
	const char *mode = macvlan__mode_name(o.mode);
	if (p->dir != ND_DRV_PATH_OUT || !p->src || !p->src_sb) {
		p->end = ND_DRV_END_UNKNOWN;
		snprintf(p->reason, sizeof(p->reason),
			 "the host reaches a macvlan network only through a host-access child; netd cannot tell this path");
		return 0;
	}
	struct nd_drv_hop *h = nd_drv_path_hop(p, "macvlan", "nsenter --net=%s ip -d link show %s",
					       p->src_sb->netns_path, p->src_sb->ifname);
	snprintf(h->object, sizeof(h->object), "macvlan mode %s", mode);
	snprintf(h->detail, sizeof(h->detail), "%s in the sandbox is a macvlan child of %s in %s mode", p->src_sb->ifname,
		 parent, mode);
	if (!p->dst || !p->dst_sb) {
		p->end = ND_DRV_END_OUT;
		snprintf(p->reason, sizeof(p->reason), "the frame leaves through %s onto its segment", parent);
		return 0;
	}
	switch (o.mode) {
	case MACVLAN_M_PRIVATE:
		p->end = ND_DRV_END_DROP;
		snprintf(p->reason, sizeof(p->reason),
			 "macvlan private mode: children of %s never exchange frames, not even through an external switch",
			 parent);
		return 0;
	case MACVLAN_M_VEPA:
		p->end = ND_DRV_END_UNKNOWN;
		snprintf(p->reason, sizeof(p->reason),
			 "macvlan vepa mode: the frame goes out of %s and comes back only if the switch there reflects it "
			 "(hairpin), which netd cannot see", parent);
		return 0;
	case MACVLAN_M_PASSTHRU:
		p->end = ND_DRV_END_UNKNOWN;
		snprintf(p->reason, sizeof(p->reason), "macvlan passthru mode has a single child per parent");
		return 0;
	case MACVLAN_M_BRIDGE:
	default:
		break;
	}
	h = nd_drv_path_hop(p, "macvlan", "nsenter --net=%s ip -d link show %s", p->dst_sb->netns_path,
			    p->dst_sb->ifname);
	snprintf(h->object, sizeof(h->object), "macvlan mode %s", mode);
	snprintf(h->detail, sizeof(h->detail),
		 "bridge mode: %s hands the frame straight to the sibling child %s in the destination's sandbox", parent,
		 p->dst_sb->ifname);
	p->end = ND_DRV_END_PEER;
	return 0;
}
