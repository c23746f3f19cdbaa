// SPDX-License-Identifier: Apache-2.0
/* drivers/bridge: networks = Linux bridges (create, delete, restore). */
#include "drivers/bridge/bridge.h"
#include "drivers/nl.h"

#include <netlink/route/link/bridge.h>

/* "172.18.0.1" + "172.18.0.0/16" -> "172.18.0.1/16" */
static int bridge__gw_cidr(const struct nd_drv_subnet *s, char *out, size_t size)
{
	const char *slash = strrchr(s->subnet, '/');
	if (!slash || !slash[1])
		return -EINVAL;
	return nd_snprintf(out, size, "%s/%s", s->gateway, slash + 1);
}

/* Creates or completes the bridge; shared by create and restore. Cheap when
 * everything is in place: one RTM_GETLINK, one RTM_NEWADDR per gateway
 * (EEXIST), a few sysctl reads and the firewall call. */
static int bridge__network_ensure(struct nd_drv_ctx *ctx, struct nd_drv_network *net, struct nd_error *err)
{
	struct bridge_opts o;
	char br[IFNAMSIZ];
	int r = bridge__opts_parse(net->options, &o, err);
	if (r < 0)
		return r;
	if (bridge__bridge_name(net, &o, br) < 0)
		return nd_error_set(err, -EINVAL, "invalid network id \"%s\"", net->id ? net->id : "");

	struct nd_nl nl;
	r = nd_nl_open(&nl, err);
	if (r < 0)
		return r;
	struct rtnl_link *link = NULL;
	r = nd_nl_link_get(&nl, br, &link);
	if (r == -ENODEV) {
		struct rtnl_link *nb = rtnl_link_bridge_alloc();
		struct nl_addr *mac = NULL;
		char macs[18];
		if (!nb) {
			r = nd_error_set(err, -ENOMEM, "create bridge %s: out of memory", br);
			goto out;
		}
		rtnl_link_set_name(nb, br);
		if (o.mtu)
			rtnl_link_set_mtu(nb, (unsigned)o.mtu);
		if (bridge__mac_from_id(net->id, macs) == 0 && nl_addr_parse(macs, AF_LLC, &mac) == 0)
			rtnl_link_set_addr(nb, mac);
		rtnl_link_set_flags(nb, IFF_UP);
		r = ND_NL(&nl, rtnl_link_add(nl.sk, nb, NLM_F_CREATE | NLM_F_EXCL));
		rtnl_link_put(nb);
		nl_addr_put(mac);
		if (r < 0 && r != -EEXIST) { /* EEXIST: lost a race, look again */
			r = nd_nl_fail(&nl, r, err, "create bridge %s", br);
			goto out;
		}
		log_debug("bridge: created %s network=%s", br, net->id);
		r = nd_nl_link_get(&nl, br, &link);
	}
	if (r < 0) {
		r = nd_nl_fail(&nl, r, err, "look up bridge %s", br);
		goto out;
	}
	const char *kind = rtnl_link_get_type(link);
	if (!kind || strcmp(kind, "bridge") != 0) {
		r = nd_error_set(err, -EEXIST, "interface %s already exists and is not a bridge (kind %s)",
				 br, kind ? kind : "none");
		goto out;
	}
	int ifindex = rtnl_link_get_ifindex(link);

	/* IPv6 must be enabled on the bridge before its gateway is added */
	if (net->ipv6 && (r = nd_nl_ipv6_set(br, true, err)) < 0)
		goto out;
	for (int i = 0; i < net->nsubnets; i++) {
		const struct nd_drv_subnet *s = &net->subnets[i];
		char cidr[128];
		if (!s->gateway[0])
			continue;
		if (bridge__gw_cidr(s, cidr, sizeof(cidr)) < 0) {
			r = nd_error_set(err, -EINVAL, "subnet \"%s\" has no prefix length", s->subnet);
			goto out;
		}
		if ((r = nd_nl_addr_add(&nl, ifindex, cidr, err)) < 0) {
			nd_error_wrap(err, "bridge %s", br);
			goto out;
		}
	}

	/* fill in what is missing: MTU (when asked for) and up, in one request */
	struct rtnl_link *ch = rtnl_link_alloc();
	bool change = false;
	if (!ch) {
		r = nd_error_set(err, -ENOMEM, "bridge %s: out of memory", br);
		goto out;
	}
	if (o.mtu && rtnl_link_get_mtu(link) != (unsigned)o.mtu) {
		rtnl_link_set_mtu(ch, (unsigned)o.mtu);
		change = true;
	}
	if (!(rtnl_link_get_flags(link) & IFF_UP)) {
		rtnl_link_set_flags(ch, IFF_UP);
		change = true;
	}
	if (change)
		r = ND_NL(&nl, rtnl_link_change(nl.sk, link, ch, 0));
	rtnl_link_put(ch);
	if (r < 0) {
		r = nd_nl_fail(&nl, r, err, "configure bridge %s", br);
		goto out;
	}

	/* forwarding is per network namespace (netd may itself run in one) */
	if ((r = nd_sysctl_set("net/ipv4/ip_forward", "1", err)) < 0)
		goto out;
	if (net->ipv6 && (r = nd_sysctl_set("net/ipv6/conf/all/forwarding", "1", err)) < 0)
		goto out;

	if (net->data && json_is_object(net->data) &&
	    json_object_set_new(net->data, "bridge", json_string(br)) < 0) {
		r = nd_error_set(err, -ENOMEM, "bridge %s: out of memory", br);
		goto out;
	}
	r = bridge__fw_add(ctx, net, &o, br, err);
out:
	if (link)
		rtnl_link_put(link);
	nd_nl_close(&nl);
	return r;
}

int bridge__network_create(struct nd_drv_ctx *ctx, struct nd_drv_network *net, struct nd_error *err)
{
	return bridge__network_ensure(ctx, net, err);
}

int bridge__network_restore(struct nd_drv_ctx *ctx, struct nd_drv_network *net, struct nd_error *err)
{
	return bridge__network_ensure(ctx, net, err);
}

/* Best effort: the firewall elements and the bridge are both attempted; the
 * error names every failure. */
int bridge__network_delete(struct nd_drv_ctx *ctx, struct nd_drv_network *net, struct nd_error *err)
{
	char br[IFNAMSIZ];
	struct bridge_opts o;
	int r = bridge__bridge_name_of(net, br, err);
	if (r < 0)
		return r;
	if (bridge__opts_parse(net->options, &o, NULL) < 0)
		bridge__opts_parse(NULL, &o, NULL); /* defaults: fw_del uses the name only */

	struct nd_error fwerr = { 0 };
	int rfw = bridge__fw_del(ctx, net, &o, br, &fwerr);

	struct nd_nl nl;
	r = nd_nl_open(&nl, err);
	if (r == 0) {
		struct rtnl_link *link = NULL;
		r = nd_nl_link_get(&nl, br, &link);
		if (r == -ENODEV) {
			r = 0;
		} else if (r < 0) {
			nd_nl_fail(&nl, r, err, "look up bridge %s", br);
		} else {
			const char *kind = rtnl_link_get_type(link);
			if (kind && strcmp(kind, "bridge") == 0)
				r = nd_nl_link_del(&nl, br, err);
			else /* never ours: create refuses a non-bridge */
				log_debug("bridge: %s is not a bridge, not deleting it", br);
			rtnl_link_put(link);
		}
		nd_nl_close(&nl);
	}
	if (rfw < 0 && r < 0 && err) {
		char both[ND_ERROR_MSG_MAX];
		snprintf(both, sizeof(both), "%s", err->msg);
		return nd_error_set(err, r, "%s; %s", fwerr.msg, both);
	}
	if (rfw < 0 && r == 0) {
		if (err)
			*err = fwerr;
		return rfw;
	}
	return r;
}

/* network inspect's DriverState and the topology: the bridge as the kernel has it now. */
json_t *bridge__network_status(struct nd_drv_ctx *ctx, const struct nd_drv_network *net)
{
	char br[IFNAMSIZ];
	if (bridge__bridge_name_of(net, br, NULL) < 0)
		return NULL;
	struct nd_nl nl;
	if (nd_nl_open(&nl, NULL) < 0)
		return NULL;
	json_t *link = nd_nl_link_status(&nl, br, "bridge", true);
	nd_nl_close(&nl);
	if (!link)
		return NULL;
	return json_pack("{s:s, s:[o]}", "Bridge", br, "Links", link);
}
