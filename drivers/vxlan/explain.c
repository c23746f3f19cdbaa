// SPDX-License-Identifier: Apache-2.0
/* drivers/vxlan: netctl explain's layer 2 in an overlay network. The local
 * part is the bridge driver's (veth, port, FDB of ov-<id12>, on the bridge
 * view); a frame for a remote endpoint leaves the bridge through vx-<id12>,
 * whose FDB entry names the remote VTEP it is encapsulated to. */
#include "drivers/vxlan/view.h"

#include <arpa/inet.h>
#include <netlink/route/neighbour.h>

/* The VTEP(s) the device sends mac to: its own entry, else the flood entries */
struct vx_find {
	struct nl_addr *want, *zero;
	int ifindex;
	char own[INET6_ADDRSTRLEN];
	char flood[256];
};

static void vx_cb(struct rtnl_neigh *n, void *arg)
{
	struct vx_find *f = arg;
	struct nl_addr *ll = rtnl_neigh_get_lladdr(n), *dst = rtnl_neigh_get_dst(n);
	if (rtnl_neigh_get_ifindex(n) != f->ifindex || !ll || !dst)
		return;
	bool own = nl_addr_cmp(ll, f->want) == 0, flood = nl_addr_cmp(ll, f->zero) == 0;
	unsigned l = nl_addr_get_len(dst);
	char a[INET6_ADDRSTRLEN] = "";
	if ((!own && !flood) || (l != 4 && l != 16) ||
	    !inet_ntop(l == 4 ? AF_INET : AF_INET6, nl_addr_get_binary_addr(dst), a, sizeof(a)))
		return;
	if (own)
		snprintf(f->own, sizeof(f->own), "%s", a);
	else {
		size_t o = strlen(f->flood);
		snprintf(f->flood + o, sizeof(f->flood) - o, "%s%s", o ? ", " : "", a);
	}
}

static int vx_fdb(struct nd_nl *nl, int ifindex, const char *mac, char *vtep, size_t len, bool *flood)
{
	(void)nl;
	vtep[0] = '\0';
	*flood = false;
	struct vx_find f = { .ifindex = ifindex };
	if (nl_addr_parse(mac, AF_LLC, &f.want) < 0 || nl_addr_parse("00:00:00:00:00:00", AF_LLC, &f.zero) < 0) {
		if (f.want)
			nl_addr_put(f.want);
		return -EINVAL;
	}
	struct nd_error e = { 0 };
	int r = nd_nl_fdb_foreach(vx_cb, &f, &e);
	nl_addr_put(f.want);
	nl_addr_put(f.zero);
	if (f.own[0])
		snprintf(vtep, len, "%s", f.own);
	else if (f.flood[0]) {
		snprintf(vtep, len, "%s", f.flood);
		*flood = true;
	}
	return r;
}

/* A remote endpoint's MAC from the device's proxy entry (IP -> MAC), as the
 * sandbox would learn it by ARP */
static void vx_proxy_mac(const char *vx, const char *ip, char mac[18])
{
	struct nd_nl nl;
	struct nd_error e = { 0 };
	if (nd_nl_open(&nl, &e) < 0)
		return;
	struct rtnl_link *l = NULL;
	struct nl_cache *cache = NULL;
	struct nl_addr *want = NULL;
	if (nd_nl_link_get(&nl, vx, &l) == 0 && ND_NL(&nl, rtnl_neigh_alloc_cache(nl.sk, &cache)) == 0 &&
	    nl_addr_parse(ip, strchr(ip, ':') ? AF_INET6 : AF_INET, &want) == 0) {
		struct rtnl_neigh *n = rtnl_neigh_get(cache, rtnl_link_get_ifindex(l), want);
		if (n) {
			struct nl_addr *ll = rtnl_neigh_get_lladdr(n);
			if (ll)
				nl_addr2str(ll, mac, 18);
			rtnl_neigh_put(n);
		}
	}
	if (want)
		nl_addr_put(want);
	if (cache)
		nl_cache_free(cache);
	if (l)
		rtnl_link_put(l);
	nd_nl_close(&nl);
}

int vxlan__explain_path(struct nd_drv_ctx *ctx, const struct nd_drv_network *net, struct nd_drv_path *p,
			struct nd_error *err)
{
	char br[IFNAMSIZ], vx[IFNAMSIZ];
	if (vxlan__names(net->id, br, vx) < 0)
		return nd_error_set(err, -EINVAL, "invalid network id");
	if (!p->dst && !p->dst_mac[0] && p->next_hop[0])
		vx_proxy_mac(vx, p->next_hop, p->dst_mac);
	struct vxlan_view v;
	int r = vxlan__view_init(&v, net, br, 0, err);
	if (r < 0)
		return r;
	r = nd_bridge_driver.explain_path(ctx, &v.net, p, err);
	vxlan__view_clear(&v);
	if (r < 0 || p->end != ND_DRV_END_OUT || strcmp(p->out_port, vx))
		return r;
	/* the frame leaves the bridge through the VXLAN device: to which VTEP? */
	const char *mac = p->dst_mac;
	struct nd_nl nl;
	if ((r = nd_nl_open(&nl, err)) < 0)
		return r;
	struct rtnl_link *l = NULL;
	if ((r = nd_nl_link_get(&nl, vx, &l)) < 0) {
		r = nd_nl_fail(&nl, r, err, "VXLAN device %s", vx);
		nd_nl_close(&nl);
		return r;
	}
	int ifindex = rtnl_link_get_ifindex(l);
	rtnl_link_put(l);
	char vtep[256];
	bool flood = false;
	(void)vx_fdb(&nl, ifindex, mac, vtep, sizeof(vtep), &flood);
	nd_nl_close(&nl);
	uint32_t vni = vxlan__vni_of(net);
	struct nd_drv_hop *h = nd_drv_path_hop(p, "vxlan", "ip -d link show %s", vx);
	snprintf(h->object, sizeof(h->object), "vxlan id %u", vni);
	snprintf(h->detail, sizeof(h->detail),
		 "%s is the VXLAN device of network %s: it wraps the frame in UDP (port %d) with VNI %u", vx, net->name,
		 VXLAN_PORT, vni);
	if (!vtep[0]) {
		p->end = ND_DRV_END_DROP;
		snprintf(p->reason, sizeof(p->reason),
			 "%s has no FDB entry for %s and no flood entry: no other host of the overlay is known (the "
			 "cluster store names no peer)", vx, mac);
		return 0;
	}
	h = nd_drv_path_hop(p, "vxlan-fdb", flood ? "bridge fdb show dev %s | grep 00:00:00:00:00:00" : "bridge fdb show dev %s | grep -i %s",
			    vx, mac);
	snprintf(h->object, sizeof(h->object), "dst %.*s", (int)strcspn(vtep, ","), vtep);
	if (flood)
		snprintf(h->detail, sizeof(h->detail),
			 "%s has no entry for %s: the frame is sent to every remote VTEP (%s)", vx, mac, vtep);
	else
		snprintf(h->detail, sizeof(h->detail),
			 "%s's FDB: %s lives on the host whose VTEP is %s (the cluster store's peer entry)", vx, mac, vtep);
	p->end = ND_DRV_END_OUT;
	snprintf(p->reason, sizeof(p->reason),
		 "encapsulated by %s (VXLAN VNI %u, UDP %d) and sent to the VTEP %s, the destination's host%s", vx, vni,
		 VXLAN_PORT, vtep,
		 p->dir == ND_DRV_PATH_IN
			 ? ". Replies are that host's business: the overlay's gateway address is on every host (each is "
			   "its own containers' way out), so a reply to this host's gateway address stays there"
			 : "");
	return 0;
}
