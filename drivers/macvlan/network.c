// SPDX-License-Identifier: Apache-2.0
/* drivers/macvlan: networks = a parent link (check, create, restore,
 * delete, status). Children are made at join (endpoint.c). */
#include "drivers/macvlan/macvlan.h"
#include "drivers/nl.h"

#include <net/if_arp.h>
#include <linux/if_link.h>
#include <netlink/route/link/vlan.h>
#include <netlink/route/link/veth.h>
#include <netlink/route/link/macvlan.h>

static bool macvlan__kind_is(struct rtnl_link *l, const char *kind)
{
	const char *k = rtnl_link_get_type(l);
	return k && strcmp(k, kind) == 0;
}

static bool macvlan__marked(struct rtnl_link *l, const char *prefix, const char *id)
{
	const char *a = rtnl_link_get_ifalias(l);
	return a && id && nd_str_has_prefix(a, prefix) && strcmp(a + strlen(prefix), id) == 0;
}

/* ---- conflicts with other networks ----------------------------------------- */

struct macvlan__peer_check {
	const struct nd_drv_network *net;
	const struct macvlan_opts *o;
	const char *link;          /* my parent link */
	struct nd_error *err;
};

static bool macvlan__data_names(const json_t *data, const char *a, const char *b)
{
	const char *k;
	json_t *v;
	json_object_foreach((json_t *)data, k, v) {
		if (!json_is_string(v))
			continue;
		const char *s = json_string_value(v);
		if ((a && *a && strcmp(s, a) == 0) || (b && *b && strcmp(s, b) == 0))
			return true;
	}
	return false;
}

static int macvlan__peer_fn(const char *driver, const struct nd_drv_network *other, void *arg)
{
	struct macvlan__peer_check *c = arg;
	const char *base = c->o->base[0] ? c->o->base : NULL;
	if (strcmp(driver, "macvlan") != 0) {
		/* another driver's interfaces (a netd bridge) are never a parent */
		if (other->data && macvlan__data_names(other->data, base, c->o->parent))
			return nd_error_set(c->err, -EEXIST, "parent %s is an interface of network %s (driver %s)",
					    c->o->parent, other->name, driver);
		return 0;
	}
	struct macvlan_opts oo;
	char olink[IFNAMSIZ];
	if (macvlan__opts_parse(other->options, &oo, NULL) < 0 || macvlan__parent_link(other, &oo, olink, NULL) < 0)
		return 0;
	/* its host-access child or its internal parent pair */
	char own[3][IFNAMSIZ];
	const char *pre[3] = { "mvh", "mvi", "mvo" };
	for (int i = 0; i < 3; i++) {
		if (macvlan__name(pre[i], other->id, own[i]) < 0)
			continue;
		if ((base && strcmp(own[i], base) == 0) || strcmp(own[i], c->link) == 0)
			return nd_error_set(c->err, -EEXIST, "parent %s is an interface netd made for macvlan network %s",
					    c->o->parent[0] ? c->o->parent : c->link, other->name);
	}
	if (strcmp(olink, c->link) != 0)
		return 0;
	if (oo.mode == MACVLAN_M_PASSTHRU)
		return nd_error_set(c->err, -EBUSY, "parent %s is taken by network %s in passthru mode (its one child "
				    "takes the whole parent)", c->link, other->name);
	if (c->o->mode == MACVLAN_M_PASSTHRU)
		return nd_error_set(c->err, -EBUSY, "macvlan_mode=passthru needs a parent of its own, and %s is "
				    "already the parent of network %s", c->link, other->name);
	return 0;
}

/* passthru: does anything in netd's namespace hang a macvlan off ifindex? */
static int macvlan__has_children(struct nd_nl *nl, int ifindex, char who[IFNAMSIZ])
{
	struct nl_cache *cache = NULL;
	int r = ND_NL(nl, rtnl_link_alloc_cache(nl->sk, AF_UNSPEC, &cache));
	if (r < 0)
		return r;
	int found = 0;
	for (struct nl_object *o = nl_cache_get_first(cache); o && !found; o = nl_cache_get_next(o)) {
		struct rtnl_link *l = (struct rtnl_link *)o;
		if (rtnl_link_get_link(l) == ifindex && rtnl_link_get_ifindex(l) != ifindex &&
		    (macvlan__kind_is(l, "macvlan") || macvlan__kind_is(l, "macvtap"))) {
			snprintf(who, IFNAMSIZ, "%s", rtnl_link_get_name(l));
			found = 1;
		}
	}
	nl_cache_free(cache);
	return found;
}

/* the kernel's side of the parent: exists, Ethernet, not enslaved */
static int macvlan__check_kernel(const struct macvlan_opts *o, struct nd_error *err)
{
	struct nd_nl nl;
	int r = nd_nl_open(&nl, err);
	if (r < 0)
		return r;
	struct rtnl_link *base = NULL, *par = NULL, *master = NULL;
	r = nd_nl_link_get(&nl, o->base, &base);
	if (r == -ENODEV) {
		r = nd_error_set(err, -EINVAL, "parent interface %s does not exist", o->base);
		goto out;
	}
	if (r < 0) {
		r = nd_nl_fail(&nl, r, err, "look up parent %s", o->base);
		goto out;
	}
	if (rtnl_link_get_arptype(base) != ARPHRD_ETHER || (rtnl_link_get_flags(base) & IFF_LOOPBACK)) {
		r = nd_error_set(err, -EINVAL, "parent %s is not an Ethernet interface (macvlan needs one)", o->base);
		goto out;
	}
	int mi = rtnl_link_get_master(base);
	if (mi > 0) {
		const char *mn = "?";
		if (nd_nl_link_get_index(&nl, mi, &master) == 0)
			mn = rtnl_link_get_name(master);
		r = nd_error_set(err, -EBUSY, "parent %s is a port of %s: the kernel gives its frames to %s, not to "
				 "macvlan children", o->base, mn, mn);
		goto out;
	}
	int parent_index = rtnl_link_get_ifindex(base);
	if (o->vlan) {
		r = nd_nl_link_get(&nl, o->parent, &par);
		if (r == 0) {
			if (!macvlan__kind_is(par, "vlan") || rtnl_link_vlan_get_id(par) != o->vlan ||
			    rtnl_link_get_link(par) != rtnl_link_get_ifindex(base)) {
				r = nd_error_set(err, -EEXIST, "interface %s exists and is not VLAN %d of %s", o->parent,
						 o->vlan, o->base);
				goto out;
			}
			parent_index = rtnl_link_get_ifindex(par);
		} else if (r != -ENODEV) {
			r = nd_nl_fail(&nl, r, err, "look up %s", o->parent);
			goto out;
		} else {
			parent_index = 0; /* netd makes it: nothing hangs off it yet */
		}
	}
	r = 0;
	if (o->mode == MACVLAN_M_PASSTHRU && parent_index > 0) {
		char who[IFNAMSIZ] = "";
		int h = macvlan__has_children(&nl, parent_index, who);
		if (h > 0)
			r = nd_error_set(err, -EBUSY, "macvlan_mode=passthru needs a parent of its own, and %s already "
					 "has the macvlan child %s", o->parent, who);
		else if (h < 0)
			r = nd_nl_fail(&nl, h, err, "list the children of %s", o->parent);
	}
out:
	if (master)
		rtnl_link_put(master);
	if (par)
		rtnl_link_put(par);
	if (base)
		rtnl_link_put(base);
	nd_nl_close(&nl);
	return r;
}

int macvlan__network_check(struct nd_drv_ctx *ctx, struct nd_drv_network *net, struct nd_error *err)
{
	struct macvlan_opts o;
	char link[IFNAMSIZ];
	int r = macvlan__opts_parse(net->options, &o, err);
	if (r < 0)
		return r;
	if (!o.parent[0] && !net->internal)
		return nd_error_set(err, -EINVAL, "the macvlan driver needs -o parent=IF (or parent=IF.VLAN), or "
				    "--internal for a segment of its own with no way out");
	if ((r = macvlan__parent_link(net, &o, link, err)) < 0)
		return r;
	if (o.parent[0] && (r = macvlan__check_kernel(&o, err)) < 0)
		return r;
	if (ctx && ctx->networks_foreach) {
		struct macvlan__peer_check c = { .net = net, .o = &o, .link = link, .err = err };
		r = ctx->networks_foreach(ctx, net->id, macvlan__peer_fn, &c);
		if (r < 0)
			return r;
	}
	/* host access: one address of each family, kept out of the pools */
	net->nreserved = 0;
	if (o.host_access) {
		bool done4 = false, done6 = false;
		for (int i = 0; i < net->nsubnets; i++) {
			const struct nd_drv_subnet *s = &net->subnets[i];
			bool *done = s->ipv6 ? &done6 : &done4;
			if (*done || (s->ipv6 && !net->ipv6))
				continue;
			struct nd_drv_reserved *rv = &net->reserved[net->nreserved];
			if ((r = macvlan__host_addr_pick(s, s->ipv6 ? o.host_addr6 : o.host_addr4, rv->addr, err)) < 0)
				return r;
			snprintf(rv->name, sizeof(rv->name), "%s", MACVLAN_AUX_HOST);
			net->nreserved++;
			*done = true;
		}
		if ((o.host_addr4[0] && !done4) || (o.host_addr6[0] && !done6))
			return nd_error_set(err, -EINVAL, "option %s names an address of a family the network has no "
					    "subnet of", o.host_addr4[0] && !done4 ? MACVLAN_OPT_HOST_ADDR : MACVLAN_OPT_HOST_ADDR6);
	}
	return 0;
}

/* ---- the parent link ------------------------------------------------------ */

/* --internal without a parent: a veth pair of netd's, both ends up (carrier)
 * and without IPv6 (nothing to say); the far end goes nowhere */
static int macvlan__ensure_internal(struct nd_nl *nl, const struct nd_drv_network *net, struct nd_error *err)
{
	char a[IFNAMSIZ], b[IFNAMSIZ];
	if (macvlan__name("mvi", net->id, a) < 0 || macvlan__name("mvo", net->id, b) < 0)
		return nd_error_set(err, -EINVAL, "invalid network id");
	struct rtnl_link *l = NULL;
	int r = nd_nl_link_get(nl, a, &l);
	if (r == -ENODEV) {
		struct rtnl_link *veth = rtnl_link_veth_alloc();
		if (!veth)
			return nd_error_set(err, -ENOMEM, "out of memory");
		struct rtnl_link *peer = rtnl_link_veth_get_peer(veth);
		rtnl_link_set_name(veth, a);
		rtnl_link_set_name(peer, b);
		rtnl_link_put(peer);
		r = ND_NL(nl, rtnl_link_add(nl->sk, veth, NLM_F_CREATE | NLM_F_EXCL));
		rtnl_link_veth_release(veth);
		if (r < 0 && r != -EEXIST)
			return nd_nl_fail(nl, r, err, "create the internal parent %s", a);
		r = nd_nl_link_get(nl, a, &l);
	}
	if (r < 0)
		return nd_nl_fail(nl, r, err, "look up %s", a);
	bool veth = macvlan__kind_is(l, "veth");
	rtnl_link_put(l);
	if (!veth)
		return nd_error_set(err, -EEXIST, "interface %s exists and is not netd's veth", a);
	const char *ends[2] = { a, b };
	for (int i = 0; i < 2; i++) {
		if ((r = nd_nl_ipv6_set(ends[i], false, err)) < 0)
			return r;
		if ((r = nd_nl_link_up_name(nl, ends[i], err)) < 0)
			return r;
	}
	return 0;
}

/* parent=IF.VLAN: the sub-interface, made under a name of ours (mvl<id12>)
 * and then, in one RTM_SETLINK, renamed, marked with the network's id and
 * set up: a crash leaves either mvl<id12> (ours by name) or the marked
 * IF.VLAN, never an unmarked interface netd made. One that was there before
 * the network is used as it is and never deleted. */
static int macvlan__ensure_vlan(struct nd_nl *nl, struct nd_drv_network *net, const struct macvlan_opts *o,
				bool *owned, struct nd_error *err)
{
	char tmp[IFNAMSIZ], mark[96];
	struct rtnl_link *l = NULL, *base = NULL, *ch = NULL;
	*owned = false;
	if (macvlan__name("mvl", net->id, tmp) < 0)
		return nd_error_set(err, -EINVAL, "invalid network id");
	snprintf(mark, sizeof(mark), MACVLAN_MARK_NET "%s", net->id);
	int r = nd_nl_link_get(nl, o->base, &base);
	if (r < 0) {
		r = r == -ENODEV ? nd_error_set(err, -ENODEV, "parent interface %s is missing", o->base)
				 : nd_nl_fail(nl, r, err, "look up %s", o->base);
		goto out;
	}
	r = nd_nl_link_get(nl, o->parent, &l);
	if (r == 0) {
		if (!macvlan__kind_is(l, "vlan") || rtnl_link_vlan_get_id(l) != o->vlan ||
		    rtnl_link_get_link(l) != rtnl_link_get_ifindex(base)) {
			r = nd_error_set(err, -EEXIST, "interface %s exists and is not VLAN %d of %s", o->parent, o->vlan,
					 o->base);
			goto out;
		}
		*owned = macvlan__marked(l, MACVLAN_MARK_NET, net->id);
		if (*owned)
			r = nd_nl_link_up(nl, l, err);
		goto out;
	}
	if (r != -ENODEV) {
		r = nd_nl_fail(nl, r, err, "look up %s", o->parent);
		goto out;
	}
	r = nd_nl_link_get(nl, tmp, &l);
	if (r == -ENODEV) {
		struct rtnl_link *v = rtnl_link_vlan_alloc();
		if (!v) {
			r = nd_error_set(err, -ENOMEM, "out of memory");
			goto out;
		}
		rtnl_link_set_name(v, tmp);
		rtnl_link_set_link(v, rtnl_link_get_ifindex(base));
		rtnl_link_vlan_set_id(v, (uint16_t)o->vlan);
		r = ND_NL(nl, rtnl_link_add(nl->sk, v, NLM_F_CREATE | NLM_F_EXCL));
		rtnl_link_put(v);
		if (r == -EOPNOTSUPP) {
			r = nd_error_set(err, -EOPNOTSUPP, "parent %s: this kernel has no 802.1Q VLAN links "
					 "(CONFIG_VLAN_8021Q), so netd cannot make VLAN %d of %s", o->parent, o->vlan, o->base);
			goto out;
		}
		if (r < 0 && r != -EEXIST) {
			r = nd_nl_fail(nl, r, err, "create VLAN %d on %s", o->vlan, o->base);
			goto out;
		}
		r = nd_nl_link_get(nl, tmp, &l);
	}
	if (r < 0) {
		r = nd_nl_fail(nl, r, err, "look up %s", tmp);
		goto out;
	}
	ch = rtnl_link_alloc();
	if (!ch) {
		r = nd_error_set(err, -ENOMEM, "out of memory");
		goto out;
	}
	rtnl_link_set_name(ch, o->parent);
	rtnl_link_set_ifalias(ch, mark);
	rtnl_link_set_flags(ch, IFF_UP);
	r = ND_NL(nl, rtnl_link_change(nl->sk, l, ch, 0));
	if (r < 0) {
		r = nd_nl_fail(nl, r, err, "name VLAN %d of %s %s", o->vlan, o->base, o->parent);
		goto out;
	}
	*owned = true;
	log_debug("macvlan: created %s (VLAN %d of %s) network=%s", o->parent, o->vlan, o->base, net->id);
out:
	if (ch)
		rtnl_link_put(ch);
	if (l)
		rtnl_link_put(l);
	if (base)
		rtnl_link_put(base);
	return r;
}

/* the host-access child: a macvlan of the parent in netd's namespace with
 * the reserved address(es) as /32 and /128; join adds a route per container */
static int macvlan__ensure_host(struct nd_nl *nl, const struct nd_drv_network *net, const struct macvlan_opts *o,
				struct rtnl_link *parent, struct nd_error *err)
{
	char name[IFNAMSIZ], macs[18];
	if (macvlan__name("mvh", net->id, name) < 0 || macvlan__mac_from_id(net->id, macs) < 0)
		return nd_error_set(err, -EINVAL, "invalid network id");
	int pidx = rtnl_link_get_ifindex(parent);
	struct rtnl_link *l = NULL;
	int r = nd_nl_link_get(nl, name, &l);
	if (r == 0 && (!macvlan__kind_is(l, "macvlan") || rtnl_link_get_link(l) != pidx)) {
		/* a child of a parent that was replaced: start again */
		rtnl_link_put(l);
		l = NULL;
		if ((r = nd_nl_link_del(nl, name, err)) < 0)
			return r;
		r = -ENODEV;
	}
	if (r == -ENODEV) {
		struct rtnl_link *m = rtnl_link_macvlan_alloc();
		struct nl_addr *mac = NULL;
		if (!m || nl_addr_parse(macs, AF_LLC, &mac) < 0) {
			if (m)
				rtnl_link_put(m);
			return nd_error_set(err, -ENOMEM, "out of memory");
		}
		rtnl_link_set_name(m, name);
		rtnl_link_set_link(m, pidx);
		rtnl_link_set_addr(m, mac);
		rtnl_link_set_mtu(m, rtnl_link_get_mtu(parent));
		rtnl_link_macvlan_set_mode(m, macvlan__mode_kernel(o->mode));
		r = ND_NL(nl, rtnl_link_add(nl->sk, m, NLM_F_CREATE | NLM_F_EXCL));
		rtnl_link_put(m);
		nl_addr_put(mac);
		if (r < 0 && r != -EEXIST)
			return nd_nl_fail(nl, r, err, "create the host-access child %s on %s", name,
					  rtnl_link_get_name(parent));
		r = nd_nl_link_get(nl, name, &l);
	}
	if (r < 0)
		return nd_nl_fail(nl, r, err, "look up %s", name);
	int ifindex = rtnl_link_get_ifindex(l);
	const char *a4 = NULL, *a6 = NULL;
	for (int i = 0; i < net->nsubnets; i++) {
		const char *h = macvlan__host_addr_of(&net->subnets[i]);
		if (h && net->subnets[i].ipv6 && !a6)
			a6 = h;
		else if (h && !net->subnets[i].ipv6 && !a4)
			a4 = h;
	}
	if ((r = nd_nl_ipv6_set(name, a6 != NULL, err)) < 0)
		goto out;
	const char *addrs[2] = { a4, a6 };
	for (int i = 0; i < 2; i++) {
		char cidr[80];
		if (!addrs[i])
			continue;
		snprintf(cidr, sizeof(cidr), "%s/%d", addrs[i], i ? 128 : 32);
		if ((r = nd_nl_addr_add(nl, ifindex, cidr, err)) < 0) {
			nd_error_wrap(err, "host-access child %s", name);
			goto out;
		}
	}
	r = nd_nl_link_up(nl, l, err);
out:
	rtnl_link_put(l);
	return r;
}

static int macvlan__ensure(struct nd_drv_ctx *ctx, struct nd_drv_network *net, struct nd_error *err)
{
	struct macvlan_opts o;
	char link[IFNAMSIZ];
	int r;
	if ((r = macvlan__opts_parse(net->options, &o, err)) < 0 || (r = macvlan__parent_link(net, &o, link, err)) < 0)
		return r;
	struct nd_nl nl;
	if ((r = nd_nl_open(&nl, err)) < 0)
		return r;
	bool vlan_owned = false;
	struct rtnl_link *parent = NULL;
	if (!o.parent[0])
		r = macvlan__ensure_internal(&nl, net, err);
	else if (o.vlan)
		r = macvlan__ensure_vlan(&nl, net, &o, &vlan_owned, err);
	if (r < 0)
		goto out;
	r = nd_nl_link_get(&nl, link, &parent);
	if (r < 0) {
		r = r == -ENODEV ? nd_error_set(err, -ENODEV, "parent interface %s is missing", link)
				 : nd_nl_fail(&nl, r, err, "look up %s", link);
		goto out;
	}
	if (o.host_access && (r = macvlan__ensure_host(&nl, net, &o, parent, err)) < 0)
		goto out;
	if (net->data && json_is_object(net->data)) {
		char host[IFNAMSIZ];
		json_object_set_new(net->data, "parent", json_string(link));
		if (o.vlan)
			json_object_set_new(net->data, "vlan_created", json_boolean(vlan_owned));
		if (o.host_access && macvlan__name("mvh", net->id, host) == 0)
			json_object_set_new(net->data, "host_ifname", json_string(host));
		/* every interface of ours is named here, or reconcile takes it for an orphan */
		if (!o.parent[0] && macvlan__name("mvo", net->id, host) == 0)
			json_object_set_new(net->data, "internal_peer", json_string(host));
	}
out:
	if (parent)
		rtnl_link_put(parent);
	nd_nl_close(&nl);
	return r;
}

int macvlan__host_ensure(const struct nd_drv_network *net, struct nd_error *err)
{
	struct macvlan_opts o;
	char link[IFNAMSIZ];
	int r;
	if ((r = macvlan__opts_parse(net->options, &o, err)) < 0 || (r = macvlan__parent_link(net, &o, link, err)) < 0)
		return r;
	struct nd_nl nl;
	if ((r = nd_nl_open(&nl, err)) < 0)
		return r;
	struct rtnl_link *parent = NULL;
	r = nd_nl_link_get(&nl, link, &parent);
	if (r == 0)
		r = macvlan__ensure_host(&nl, net, &o, parent, err);
	else
		nd_nl_fail(&nl, r, err, "look up %s", link);
	if (parent)
		rtnl_link_put(parent);
	nd_nl_close(&nl);
	return r;
}

int macvlan__network_create(struct nd_drv_ctx *ctx, struct nd_drv_network *net, struct nd_error *err)
{
	return macvlan__ensure(ctx, net, err);
}

int macvlan__network_restore(struct nd_drv_ctx *ctx, struct nd_drv_network *net, struct nd_error *err)
{
	return macvlan__ensure(ctx, net, err);
}

/* another recorded macvlan network on the same VLAN link takes it over */
struct macvlan__heir {
	const char *link;
	char id[ND_ID_LEN + 1];
};

static int macvlan__heir_fn(const char *driver, const struct nd_drv_network *other, void *arg)
{
	struct macvlan__heir *h = arg;
	struct macvlan_opts oo;
	if (strcmp(driver, "macvlan") != 0 || macvlan__opts_parse(other->options, &oo, NULL) < 0 ||
	    strcmp(oo.parent, h->link) != 0)
		return 0;
	snprintf(h->id, sizeof(h->id), "%s", other->id);
	return 1;
}

int macvlan__vlan_release(struct nd_drv_ctx *ctx, struct nd_nl *nl, struct rtnl_link *l, const char *skip_id,
			  struct nd_error *err)
{
	struct macvlan__heir h = { .link = rtnl_link_get_name(l) };
	if (ctx && ctx->networks_foreach && ctx->networks_foreach(ctx, skip_id, macvlan__heir_fn, &h) > 0) {
		char mark[96];
		snprintf(mark, sizeof(mark), MACVLAN_MARK_NET "%s", h.id);
		struct rtnl_link *ch = rtnl_link_alloc();
		if (!ch)
			return nd_error_set(err, -ENOMEM, "out of memory");
		rtnl_link_set_ifalias(ch, mark);
		int r = ND_NL(nl, rtnl_link_change(nl->sk, l, ch, 0));
		rtnl_link_put(ch);
		if (r < 0)
			return nd_nl_fail(nl, r, err, "hand %s over to network %.12s", h.link, h.id);
		log_debug("macvlan: %s now belongs to network %s", h.link, h.id);
		return 0;
	}
	return nd_nl_link_del_index(nl, rtnl_link_get_ifindex(l), err);
}

/* Best effort: every step is tried; the error names the first failure. */
int macvlan__network_delete(struct nd_drv_ctx *ctx, struct nd_drv_network *net, struct nd_error *err)
{
	struct macvlan_opts o;
	if (macvlan__opts_parse(net->options, &o, NULL) < 0)
		macvlan__opts_parse(NULL, &o, NULL);
	struct nd_nl nl;
	int r = nd_nl_open(&nl, err), first = 0;
	if (r < 0)
		return r;
	char name[IFNAMSIZ];
	struct nd_error e = { 0 };
	const char *owned[] = { "mvh", "mvl", "mvi" }; /* mvi takes its peer mvo with it */
	for (size_t i = 0; i < ARRAY_SIZE(owned); i++) {
		if (macvlan__name(owned[i], net->id, name) < 0)
			continue;
		if ((r = nd_nl_link_del(&nl, name, &e)) < 0 && !first) {
			first = r;
			if (err)
				*err = e;
		}
	}
	if (o.vlan) {
		struct rtnl_link *l = NULL;
		if (nd_nl_link_get(&nl, o.parent, &l) == 0) {
			if (macvlan__marked(l, MACVLAN_MARK_NET, net->id) &&
			    (r = macvlan__vlan_release(ctx, &nl, l, net->id, &e)) < 0 && !first) {
				first = r;
				if (err)
					*err = e;
			}
			rtnl_link_put(l);
		}
	}
	nd_nl_close(&nl);
	return first;
}

json_t *macvlan__network_status(struct nd_drv_ctx *ctx, const struct nd_drv_network *net)
{
	struct macvlan_opts o;
	char link[IFNAMSIZ] = "";
	if (macvlan__opts_parse(net->options, &o, NULL) < 0 || macvlan__parent_link(net, &o, link, NULL) < 0)
		return NULL;
	const char *what;
	if (!o.parent[0])
		what = "a veth pair netd made for this internal network (the far end goes nowhere)";
	else if (o.vlan)
		what = json_is_true(json_object_get(net->data, "vlan_created"))
			       ? "an 802.1Q sub-interface netd made; it goes with the network"
			       : "an existing 802.1Q sub-interface; netd leaves it in place";
	else
		what = "an existing interface; netd leaves it in place";
	json_t *st = json_pack("{s:s, s:s, s:s}", "Parent", link, "ParentKind", what, "Mode", macvlan__mode_name(o.mode));
	if (!st)
		return NULL;
	/* the links as the kernel has them now (drivers/driver.h: "Links") */
	struct nd_nl nl;
	if (nd_nl_open(&nl, NULL) == 0) {
		bool made = !o.parent[0] || (o.vlan && json_is_true(json_object_get(net->data, "vlan_created")));
		json_t *links = json_array();
		json_array_append_new(links, nd_nl_link_status(&nl, link, "parent", made));
		char peer[IFNAMSIZ] = "";
		if (!o.parent[0] && macvlan__name("mvo", net->id, peer) == 0)   /* the internal pair's far end */
			json_array_append_new(links, nd_nl_link_status(&nl, peer, "parent-peer", true));
		if (o.host_access) {
			char hl[IFNAMSIZ] = "";
			if (macvlan__name("mvh", net->id, hl) == 0)
				json_array_append_new(links, nd_nl_link_status(&nl, hl, "host-access", true));
		}
		nd_nl_close(&nl);
		json_object_set_new(st, "Links", links);
	}
	if (!o.host_access) {
		json_object_set_new(st, "HostAccess", json_pack("{s:b, s:s}", "Enabled", 0, "Note",
			"the host cannot reach the containers through their parent (the kernel does not pass frames "
			"between a parent and its macvlan children); -o " MACVLAN_OPT_HOST_ACCESS "=true adds a child "
			"of netd's on the host side with routes to them"));
		return st;
	}
	char host[IFNAMSIZ] = "";
	macvlan__name("mvh", net->id, host);
	json_t *addrs = json_array();
	for (int i = 0; i < net->nsubnets; i++) {
		const char *h = macvlan__host_addr_of(&net->subnets[i]);
		if (h)
			json_array_append_new(addrs, json_string(h));
	}
	char note[256];
	snprintf(note, sizeof(note), "netd's macvlan child %s on %s holds these addresses; each container gets a "
		 "/32 (/128) route through it, so the host and the containers reach each other", host, link);
	json_object_set_new(st, "HostAccess", json_pack("{s:b, s:s, s:o, s:s}", "Enabled", 1, "Interface", host,
							"Addresses", addrs, "Note", note));
	return st;
}
