// SPDX-License-Identifier: Apache-2.0
/* drivers/vxlan: a network on this host = the bridge ov-<id12> (made by the
 * bridge driver's code: gateway, deterministic MAC, forwarding, firewall
 * elements with masquerade) + the VXLAN device vx-<id12> as its port. */
#include "drivers/vxlan/vxlan.h"
#include "drivers/vxlan/view.h"

#include <ifaddrs.h>
#include <arpa/inet.h>
#include <linux/if_link.h>
#include <netlink/route/link/vxlan.h>

uint32_t vxlan__vni_of(const struct nd_drv_network *net)
{
	json_t *v = net->data ? json_object_get(net->data, "vni") : NULL;
	if (json_is_integer(v) && json_integer_value(v) > 0 && json_integer_value(v) <= VXLAN_VNI_MAX)
		return (uint32_t)json_integer_value(v);
	struct vxlan_opts o;
	if (vxlan__opts_parse(net->options, &o, NULL) == 0 && o.vni)
		return o.vni;
	return 0;
}

/* The underlay: the interface that holds the advertise address, its MTU. */
static int vxlan__underlay_mtu(struct nd_nl *nl, const char *addr, int *mtu, bool *v6, struct nd_error *err)
{
	struct ifaddrs *ifa = NULL;
	char ifname[IFNAMSIZ] = "";
	if (getifaddrs(&ifa) < 0)
		return nd_error_set(err, -errno, "list addresses: %s", strerror(errno));
	for (struct ifaddrs *i = ifa; i && !ifname[0]; i = i->ifa_next) {
		char b[INET6_ADDRSTRLEN];
		if (!i->ifa_addr || (i->ifa_addr->sa_family != AF_INET && i->ifa_addr->sa_family != AF_INET6))
			continue;
		const void *a = i->ifa_addr->sa_family == AF_INET ? (const void *)&((struct sockaddr_in *)i->ifa_addr)->sin_addr
								   : (const void *)&((struct sockaddr_in6 *)i->ifa_addr)->sin6_addr;
		if (inet_ntop(i->ifa_addr->sa_family, a, b, sizeof(b)) && strcmp(b, addr) == 0)
			snprintf(ifname, sizeof(ifname), "%s", i->ifa_name);
	}
	freeifaddrs(ifa);
	if (!ifname[0])
		return nd_error_set(err, -EADDRNOTAVAIL, "the advertise address %s is on no interface of this host", addr);
	struct rtnl_link *l = NULL;
	int r = nd_nl_link_get(nl, ifname, &l);
	if (r < 0)
		return nd_nl_fail(nl, r, err, "look up underlay interface %s", ifname);
	*mtu = (int)rtnl_link_get_mtu(l);
	*v6 = strchr(addr, ':') != NULL;
	rtnl_link_put(l);
	return 0;
}

/* The VXLAN device as it must be: VNI, local, port, learning off, proxy on,
 * MTU, port of the bridge with bridge learning off; re-created when its
 * VNI or local address differ (advertise changed). */
static int vxlan__dev_ensure(struct nd_nl *nl, const char *vx, uint32_t vni, const char *local, int mtu, int brindex,
			     bool ipv6, struct nd_error *err)
{
	struct rtnl_link *l = NULL;
	struct nl_addr *la = NULL;
	int r = nl_addr_parse(local, AF_UNSPEC, &la);
	if (r < 0)
		return nd_error_set(err, -EINVAL, "advertise address \"%s\" is not an address", local);
	r = nd_nl_link_get(nl, vx, &l);
	if (r == 0) {
		const char *kind = rtnl_link_get_type(l);
		uint32_t have_vni = 0;
		struct nl_addr *have_local = NULL;
		bool same = kind && strcmp(kind, "vxlan") == 0 && rtnl_link_vxlan_get_id(l, &have_vni) == 0 &&
			    have_vni == vni;
		if (same) {
			if (strchr(local, ':'))
				same = false; /* libnl 3.7 reads only IPv4 locals: keep it unless v4 differs */
			if (rtnl_link_vxlan_get_local(l, &have_local) == 0 && have_local)
				same = nl_addr_cmp(have_local, la) == 0 || strchr(local, ':');
			else
				same = strchr(local, ':') != NULL;
			nl_addr_put(have_local);
		}
		if (!same) {
			log_info("vxlan: %s has another VNI or local address; re-creating it", vx);
			if ((r = nd_nl_link_del_index(nl, rtnl_link_get_ifindex(l), err)) < 0)
				goto out;
			rtnl_link_put(l);
			l = NULL;
			r = -ENODEV;
		}
	}
	if (r == -ENODEV) {
		struct rtnl_link *n = rtnl_link_vxlan_alloc();
		if (!n) {
			r = nd_error_set(err, -ENOMEM, "create %s: out of memory", vx);
			goto out;
		}
		rtnl_link_set_name(n, vx);
		rtnl_link_vxlan_set_id(n, vni);
		rtnl_link_vxlan_set_local(n, la);
		rtnl_link_vxlan_set_port(n, VXLAN_PORT);
		rtnl_link_vxlan_set_learning(n, 0);
		rtnl_link_vxlan_set_proxy(n, 1);
		rtnl_link_set_mtu(n, (unsigned)mtu);
		rtnl_link_set_master(n, brindex);
		r = ND_NL(nl, rtnl_link_add(nl->sk, n, NLM_F_CREATE | NLM_F_EXCL));
		rtnl_link_put(n);
		if (r < 0 && r != -EEXIST) {
			r = nd_nl_fail(nl, r, err, "create VXLAN device %s (VNI %u, local %s, port %d)", vx, vni, local,
				       VXLAN_PORT);
			goto out;
		}
		log_debug("vxlan: created %s vni=%u local=%s mtu=%d", vx, vni, local, mtu);
		/* a bridge port needs no IPv6 address of its own (no DAD/MLD/RS
		 * flooded to every host); set while down. An IPv6 network keeps
		 * it on: the device's ND proxy answers from its IPv6 neighbours */
		struct nd_error e6 = { 0 };
		if (nd_nl_ipv6_set(vx, ipv6, &e6) < 0)
			log_debug("vxlan: %s: %s", vx, e6.msg);
		if ((r = nd_nl_link_get(nl, vx, &l)) < 0) {
			r = nd_nl_fail(nl, r, err, "look up %s", vx);
			goto out;
		}
	} else if (r < 0) {
		r = nd_nl_fail(nl, r, err, "look up %s", vx);
		goto out;
	}
	struct rtnl_link *ch = rtnl_link_alloc();
	if (!ch) {
		r = nd_error_set(err, -ENOMEM, "%s: out of memory", vx);
		goto out;
	}
	bool change = false;
	if (rtnl_link_get_mtu(l) != (unsigned)mtu) {
		rtnl_link_set_mtu(ch, (unsigned)mtu);
		change = true;
	}
	if (rtnl_link_get_master(l) != brindex) {
		rtnl_link_set_master(ch, brindex);
		change = true;
	}
	if (!(rtnl_link_get_flags(l) & IFF_UP)) {
		rtnl_link_set_flags(ch, IFF_UP);
		change = true;
	}
	r = change ? ND_NL(nl, rtnl_link_change(nl->sk, l, ch, 0)) : 0;
	rtnl_link_put(ch);
	if (r < 0) {
		r = nd_nl_fail(nl, r, err, "configure %s", vx);
		goto out;
	}
	/* the bridge learns nothing from the overlay: remote MACs are static
	 * entries that follow the cluster store, never stale learned ones */
	r = nd_nl_brport_set_u8(nl, rtnl_link_get_ifindex(l), IFLA_BRPORT_LEARNING, 0, err);
out:
	if (l)
		rtnl_link_put(l);
	nl_addr_put(la);
	return r;
}

static int vxlan__network_ensure(struct nd_drv_ctx *ctx, struct nd_drv_network *net, struct nd_error *err)
{
	struct vxlan_opts o;
	char br[IFNAMSIZ], vx[IFNAMSIZ];
	int r = vxlan__opts_parse(net->options, &o, err);
	if (r < 0)
		return r;
	if (vxlan__names(net->id, br, vx) < 0)
		return nd_error_set(err, -EINVAL, "invalid network id \"%s\"", net->id ? net->id : "");
	uint32_t vni = vxlan__vni_of(net);
	if (!vni)
		return nd_error_set(err, -EINVAL, "network %s has no VNI", net->name);
	if (!ctx || !ctx->advertise || !ctx->advertise[0])
		return nd_error_set(err, -EINVAL, "an overlay network needs this host's underlay address "
				    "(netd option cluster-advertise)");

	struct nd_nl nl;
	if ((r = nd_nl_open(&nl, err)) < 0)
		return r;
	int mtu = o.mtu, umtu = 0;
	bool v6 = false;
	if (!mtu) {
		if ((r = vxlan__underlay_mtu(&nl, ctx->advertise, &umtu, &v6, err)) < 0)
			goto out;
		mtu = vxlan__mtu_for(umtu, v6);
	}
	/* the bridge: the bridge driver's code on a view that names ov-<id12> */
	struct vxlan_view v;
	if ((r = vxlan__view_init(&v, net, br, mtu, err)) < 0)
		goto out;
	r = nd_bridge_driver.network_create(ctx, &v.net, err);
	vxlan__view_clear(&v);
	if (r < 0)
		goto out;
	struct rtnl_link *brl = NULL;
	if ((r = nd_nl_link_get(&nl, br, &brl)) < 0) {
		r = nd_nl_fail(&nl, r, err, "look up bridge %s", br);
		goto out;
	}
	int brindex = rtnl_link_get_ifindex(brl);
	rtnl_link_put(brl);
	if ((r = vxlan__dev_ensure(&nl, vx, vni, ctx->advertise, mtu, brindex, net->ipv6, err)) < 0)
		goto out;
	if (net->data && json_is_object(net->data)) {
		json_object_set_new(net->data, "bridge", json_string(br));
		json_object_set_new(net->data, "vxlan", json_string(vx));
		json_object_set_new(net->data, "vni", json_integer(vni));
	}
out:
	nd_nl_close(&nl);
	if (r < 0)
		nd_error_wrap(err, "overlay network %s", net->name ? net->name : "");
	return r;
}

int vxlan__network_create(struct nd_drv_ctx *ctx, struct nd_drv_network *net, struct nd_error *err)
{
	return vxlan__network_ensure(ctx, net, err);
}

int vxlan__network_restore(struct nd_drv_ctx *ctx, struct nd_drv_network *net, struct nd_error *err)
{
	return vxlan__network_ensure(ctx, net, err);
}

/* Best effort: the VXLAN device, then the bridge with its firewall elements. */
int vxlan__network_delete(struct nd_drv_ctx *ctx, struct nd_drv_network *net, struct nd_error *err)
{
	char br[IFNAMSIZ], vx[IFNAMSIZ];
	if (vxlan__names(net->id, br, vx) < 0)
		return nd_error_set(err, -EINVAL, "invalid network id \"%s\"", net->id ? net->id : "");
	struct nd_nl nl;
	int r = nd_nl_open(&nl, err);
	if (r < 0)
		return r;
	struct nd_error e = { 0 };
	int rvx = nd_nl_link_del(&nl, vx, &e);
	nd_nl_close(&nl);
	struct vxlan_view v;
	if ((r = vxlan__view_init(&v, net, br, 0, err)) < 0)
		return r;
	r = nd_bridge_driver.network_delete(ctx, &v.net, err);
	vxlan__view_clear(&v);
	if (r == 0 && rvx < 0) {
		if (err)
			*err = e;
		r = rvx;
	}
	return r;
}

json_t *vxlan__network_status(struct nd_drv_ctx *ctx, const struct nd_drv_network *net)
{
	char br[IFNAMSIZ], vx[IFNAMSIZ];
	if (vxlan__names(net->id, br, vx) < 0)
		return NULL;
	struct nd_nl nl;
	if (nd_nl_open(&nl, NULL) < 0)
		return NULL;
	struct rtnl_link *l = NULL;
	json_t *st = json_pack("{s:s, s:s, s:i, s:s, s:i}", "Bridge", br, "VXLAN", vx, "VNI", (int)vxlan__vni_of(net),
			       "VTEP", ctx && ctx->advertise ? ctx->advertise : "", "Port", VXLAN_PORT);
	if (nd_nl_link_get(&nl, vx, &l) == 0) {
		json_object_set_new(st, "MTU", json_integer(rtnl_link_get_mtu(l)));
		json_object_set_new(st, "Up", json_boolean(rtnl_link_get_flags(l) & IFF_UP));
		rtnl_link_put(l);
		/* the interfaces of this network in netd's namespace (driver.h's "Links") */
		json_object_set_new(st, "Links", json_pack("[o,o]", nd_nl_link_status(&nl, vx, "vxlan", true),
							   nd_nl_link_status(&nl, br, "bridge", true)));
	} else {
		json_object_set_new(st, "Up", json_false());
	}
	nd_nl_close(&nl);
	return st;
}
