// SPDX-License-Identifier: Apache-2.0
/* drivers/macvlan: what a crash can leave, found by the driver's marks.
 *
 *   mvh/mvi/mvo/mvl<id12> in netd's namespace: ours by name (owns_ifname),
 *       deleted by orphan_delete when no network records them;
 *   IF.VLAN marked "netd-macvlan-net:<id>" of a network no longer recorded
 *       (deleted between the store and the kernel): handed to another
 *       network on the same VLAN link, else deleted;
 *   a /32 (/128) route through an mvh<id12> child to an address that no
 *       recorded endpoint holds (host access; a disconnect cut short): deleted;
 *   a child in a sandbox marked "netd-macvlan-ep:<id>" of an endpoint no
 *       longer recorded (disconnected between the store and the kernel), or
 *       an mvdel<hex> whose background deletion died with netd: deleted.
 */
#include "drivers/macvlan/macvlan.h"
#include "drivers/nl.h"

#include <fcntl.h>
#include <netlink/route/route.h>
#include <netlink/route/nexthop.h>

static bool macvlan__net_recorded(const struct nd_drv_records *rec, const char *id)
{
	for (size_t i = 0; i < rec->nnetworks; i++)
		if (rec->networks[i].id && strcmp(rec->networks[i].id, id) == 0)
			return true;
	return false;
}

static bool macvlan__ep_recorded(const struct nd_drv_records *rec, const char *id)
{
	for (size_t i = 0; i < rec->nendpoints; i++)
		if (rec->endpoints[i].id && strcmp(rec->endpoints[i].id, id) == 0)
			return true;
	return false;
}

/* the interfaces to delete, collected first: never delete while walking a cache */
struct macvlan__victims {
	int idx[64];
	int n;
};

static int macvlan__sb_sweep(struct nd_nl *nl, void *arg, struct nd_error *err)
{
	const struct nd_drv_records *rec = arg;
	struct nl_cache *cache = NULL;
	int r = ND_NL(nl, rtnl_link_alloc_cache(nl->sk, AF_UNSPEC, &cache));
	if (r < 0)
		return nd_nl_fail(nl, r, err, "list the sandbox's interfaces");
	struct macvlan__victims v = { .n = 0 };
	for (struct nl_object *o = nl_cache_get_first(cache); o && v.n < (int)ARRAY_SIZE(v.idx); o = nl_cache_get_next(o)) {
		struct rtnl_link *l = (struct rtnl_link *)o;
		if (!nd_nl_link_is_kind(l, "macvlan"))
			continue;
		const char *a = rtnl_link_get_ifalias(l);
		bool orphan = a && nd_str_has_prefix(a, MACVLAN_MARK_EP) &&
			      !macvlan__ep_recorded(rec, a + strlen(MACVLAN_MARK_EP));
		if (orphan || macvlan__is_tomb(rtnl_link_get_name(l))) {
			log_info("reconcile: deleting orphaned macvlan child %s (%s)", rtnl_link_get_name(l), a ? a : "");
			v.idx[v.n++] = rtnl_link_get_ifindex(l);
		}
	}
	nl_cache_free(cache);
	int first = 0;
	for (int i = 0; i < v.n; i++)
		if ((r = nd_nl_link_del_index(nl, v.idx[i], err)) < 0 && !first)
			first = r;
	return first;
}

static bool macvlan__addr_recorded(const struct nd_drv_records *rec, struct nl_addr *dst)
{
	char want[64];
	nl_addr2str(dst, want, sizeof(want));
	want[strcspn(want, "/")] = '\0';
	for (size_t i = 0; i < rec->nendpoints; i++) {
		const char *mine[2] = { rec->endpoints[i].ipv4, rec->endpoints[i].ipv6 };
		for (int k = 0; k < 2; k++) {
			char a[64];
			macvlan__addr_only(mine[k], a, sizeof(a));
			if (a[0] && strcmp(a, want) == 0)
				return true;
		}
	}
	return false;
}

/* host access: a route through an mvh<id12> child to an address no recorded
 * endpoint holds (a disconnect cut short between the store and leave) */
static int macvlan__sweep_routes(struct nd_nl *nl, struct nl_cache *links, const struct nd_drv_records *rec,
				 struct nd_error *err)
{
	int first = 0;
	for (int fam = 0; fam < 2; fam++) {
		struct nl_cache *routes = NULL;
		int r = ND_NL(nl, rtnl_route_alloc_cache(nl->sk, fam ? AF_INET6 : AF_INET, 0, &routes));
		if (r < 0)
			return nd_nl_fail(nl, r, err, "list routes");
		struct rtnl_route *victims[64];
		int n = 0;
		for (struct nl_object *o = nl_cache_get_first(routes); o && n < (int)ARRAY_SIZE(victims);
		     o = nl_cache_get_next(o)) {
			struct rtnl_route *rt = (struct rtnl_route *)o;
			struct nl_addr *dst = rtnl_route_get_dst(rt);
			/* ours: main table, unicast, one hop (not the kernel's local route of mvh's own address) */
			if (rtnl_route_get_table(rt) != RT_TABLE_MAIN || rtnl_route_get_type(rt) != RTN_UNICAST ||
			    rtnl_route_get_nnexthops(rt) != 1 || !dst || nl_addr_get_prefixlen(dst) != (fam ? 128 : 32))
				continue;
			int oif = rtnl_route_nh_get_ifindex(rtnl_route_nexthop_n(rt, 0));
			char name[IFNAMSIZ] = "";
			rtnl_link_i2name(links, oif, name, sizeof(name));
			if (!nd_str_has_prefix(name, "mvh") || !macvlan__owns_ifname(name) ||
			    macvlan__addr_recorded(rec, dst))
				continue;
			nl_object_get(o);
			victims[n++] = rt;
		}
		for (int i = 0; i < n; i++) {
			char b[64];
			log_info("reconcile: deleting the host-access route to %s: no endpoint has it",
				 nl_addr2str(rtnl_route_get_dst(victims[i]), b, sizeof(b)));
			r = ND_NL(nl, rtnl_route_delete(nl->sk, victims[i], 0));
			if (r < 0 && r != -ESRCH && !first)
				first = nd_nl_fail(nl, r, err, "delete a host-access route");
			rtnl_route_put(victims[i]);
		}
		nl_cache_free(routes);
	}
	return first;
}

int macvlan__sweep(struct nd_drv_ctx *ctx, const struct nd_drv_records *rec, struct nd_error *err)
{
	struct nd_nl nl;
	int r = nd_nl_open(&nl, err), first = 0;
	if (r < 0)
		return r;
	struct nl_cache *cache = NULL;
	r = ND_NL(&nl, rtnl_link_alloc_cache(nl.sk, AF_UNSPEC, &cache));
	if (r < 0) {
		r = nd_nl_fail(&nl, r, err, "list interfaces");
		nd_nl_close(&nl);
		return r;
	}
	for (struct nl_object *o = nl_cache_get_first(cache); o; o = nl_cache_get_next(o)) {
		struct rtnl_link *l = (struct rtnl_link *)o;
		const char *a = rtnl_link_get_ifalias(l);
		if (!nd_nl_link_is_kind(l, "vlan") || !a || !nd_str_has_prefix(a, MACVLAN_MARK_NET))
			continue;
		const char *id = a + strlen(MACVLAN_MARK_NET);
		if (macvlan__net_recorded(rec, id))
			continue;
		log_info("reconcile: VLAN link %s belongs to no recorded network", rtnl_link_get_name(l));
		struct nd_error e = { 0 };
		if ((r = macvlan__vlan_release(ctx, &nl, l, id, &e)) < 0 && !first) {
			first = r;
			if (err)
				*err = e;
		}
	}
	struct nd_error rerr = { 0 };
	if ((r = macvlan__sweep_routes(&nl, cache, rec, &rerr)) < 0 && !first) {
		first = r;
		if (err)
			*err = rerr;
	}
	nl_cache_free(cache);
	nd_nl_close(&nl);

	/* without a macvlan network no child can be left in a sandbox but by
	 * two crashes in a row: spare every sandbox a thread */
	if (rec->nnetworks == 0)
		return first;
	for (size_t i = 0; i < rec->nnetns; i++) {
		_cleanup_close_ int fd = open(rec->netns_paths[i], O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			continue;
		struct nd_error e = { 0 };
		if ((r = nd_nl_in_netns(fd, macvlan__sb_sweep, (void *)rec, &e)) < 0 && !first) {
			first = r;
			if (err)
				nd_error_set(err, r, "sandbox %s: %s", rec->netns_paths[i], e.msg);
		}
	}
	return first;
}

int macvlan__orphan_delete(struct nd_drv_ctx *ctx, const char *ifname, struct nd_error *err)
{
	if (!macvlan__owns_ifname(ifname))
		return nd_error_set(err, -EPERM, "%s is not an interface of the macvlan driver", ifname);
	struct nd_nl nl;
	int r = nd_nl_open(&nl, err);
	if (r < 0)
		return r;
	r = nd_nl_link_del(&nl, ifname, err);
	nd_nl_close(&nl);
	return r;
}
