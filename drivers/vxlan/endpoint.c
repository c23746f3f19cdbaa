// SPDX-License-Identifier: Apache-2.0
/* drivers/vxlan: endpoints are veth pairs into the network's bridge, made by
 * the bridge driver's endpoint code (drivers/bridge/endpoint.c: the pair
 * born in the sandbox, addresses, routes, retire/delete off the caller's
 * path) on the bridge view of the overlay network. The MAC is the bridge
 * driver's 02:42 + IPv4, unique across hosts because the address is. */
#include "drivers/vxlan/view.h"

#define VXLAN_EP_CALL(call)                                                           \
	do {                                                                          \
		char br[IFNAMSIZ], vx[IFNAMSIZ];                                       \
		struct vxlan_view v;                                                  \
		if (vxlan__names(net->id, br, vx) < 0)                                \
			return nd_error_set(err, -EINVAL, "invalid network id");      \
		int r_ = vxlan__view_init(&v, net, br, 0, err);                       \
		if (r_ < 0)                                                           \
			return r_;                                                    \
		r_ = (call);                                                          \
		vxlan__view_clear(&v);                                                \
		return r_;                                                            \
	} while (0)

static int vxlan__endpoint_create(struct nd_drv_ctx *ctx, struct nd_drv_network *net, struct nd_drv_endpoint *ep,
				  struct nd_error *err)
{
	VXLAN_EP_CALL(nd_bridge_driver.endpoint_create(ctx, &v.net, ep, err));
}

static int vxlan__endpoint_delete(struct nd_drv_ctx *ctx, struct nd_drv_network *net, struct nd_drv_endpoint *ep,
				  struct nd_error *err)
{
	VXLAN_EP_CALL(nd_bridge_driver.endpoint_delete(ctx, &v.net, ep, err));
}

static int vxlan__join(struct nd_drv_ctx *ctx, struct nd_drv_network *net, struct nd_drv_endpoint *ep,
		       struct nd_drv_sandbox *sb, struct nd_error *err)
{
	VXLAN_EP_CALL(nd_bridge_driver.join(ctx, &v.net, ep, sb, err));
}

static int vxlan__leave(struct nd_drv_ctx *ctx, struct nd_drv_network *net, struct nd_drv_endpoint *ep,
			struct nd_drv_sandbox *sb, struct nd_error *err)
{
	VXLAN_EP_CALL(nd_bridge_driver.leave(ctx, &v.net, ep, sb, err));
}

static bool vxlan__endpoint_ok(struct nd_drv_ctx *ctx, struct nd_drv_network *net, struct nd_drv_endpoint *ep,
			       struct nd_drv_sandbox *sb)
{
	char br[IFNAMSIZ], vx[IFNAMSIZ];
	struct vxlan_view v;
	if (vxlan__names(net->id, br, vx) < 0 || vxlan__view_init(&v, net, br, 0, NULL) < 0)
		return false;
	bool ok = nd_bridge_driver.endpoint_ok(ctx, &v.net, ep, sb);
	vxlan__view_clear(&v);
	return ok;
}

static int vxlan__ext_noop(struct nd_drv_ctx *ctx, struct nd_drv_network *net, struct nd_drv_endpoint *ep,
			   struct nd_error *err)
{
	/* masquerade is the bridge's (per network, in network_create); ports
	 * are published by proxy/ on the endpoint's address, as on a bridge */
	return 0;
}

static int vxlan__orphan_delete(struct nd_drv_ctx *ctx, const char *ifname, struct nd_error *err)
{
	if (!vxlan__owns_ifname(ifname))
		return nd_error_set(err, -EPERM, "%s is not an interface of the vxlan driver", ifname);
	struct nd_nl nl;
	int r = nd_nl_open(&nl, err);
	if (r < 0)
		return r;
	if (nd_str_has_prefix(ifname, "ov-")) {
		/* the bridge: its firewall elements go with it */
		nd_nl_close(&nl);
		_cleanup_json_ json_t *opts = json_object();
		_cleanup_json_ json_t *data = json_pack("{s:s}", "bridge", ifname);
		struct nd_drv_network net = { .id = "", .name = ifname, .options = opts, .data = data };
		return nd_bridge_driver.network_delete(ctx, &net, err);
	}
	r = nd_nl_link_del(&nl, ifname, err);
	nd_nl_close(&nl);
	return r;
}

const struct nd_driver_ops nd_vxlan_driver = {
	.name = "vxlan",
	.scope = "global",
	.alias = "overlay",   /* Docker's name for its overlay driver */
	.options_validate = vxlan__options_validate,
	.network_create = vxlan__network_create,
	.network_delete = vxlan__network_delete,
	.network_restore = vxlan__network_restore,
	.endpoint_create = vxlan__endpoint_create,
	.endpoint_delete = vxlan__endpoint_delete,
	.join = vxlan__join,
	.leave = vxlan__leave,
	.endpoint_ok = vxlan__endpoint_ok,
	.program_external_connectivity = vxlan__ext_noop,
	.revoke_external_connectivity = vxlan__ext_noop,
	.owns_ifname = vxlan__owns_ifname,
	.orphan_delete = vxlan__orphan_delete,
	.network_status = vxlan__network_status,
	.peer_add = vxlan__peer_add,
	.peer_remove = vxlan__peer_remove,
	.peers_sync = vxlan__peers_sync,
	.explain_path = vxlan__explain_path,
};
