// SPDX-License-Identifier: Apache-2.0
/* drivers/bridge: the vtable. */
#include "drivers/bridge/bridge.h"
#include "drivers/nl.h"

static int bridge__ext_noop(struct nd_drv_ctx *ctx, struct nd_drv_network *net,
			    struct nd_drv_endpoint *ep, struct nd_error *err)
{
	/* Port publishing belongs to proxy/ (netd calls it with the endpoint's
	 * address); masquerade is per network, set up in network_create. */
	return 0;
}

/* A bridge or a veth of ours that nothing records: delete it by name (a veth
 * takes its peer with it); the kernel's cost is paid in the background. */
static int bridge__orphan_delete(struct nd_drv_ctx *ctx, const char *ifname, struct nd_error *err)
{
	if (!bridge__owns_ifname(ifname))
		return nd_error_set(err, -EPERM, "%s is not an interface of the bridge driver", ifname);
	if (strncmp(ifname, "br-", 3) == 0) {
		/* a network's bridge: its firewall elements go with it */
		_cleanup_json_ json_t *opts = json_object();
		_cleanup_json_ json_t *data = json_pack("{s:s}", "bridge", ifname);
		struct nd_drv_network net = { .id = "", .name = ifname, .options = opts, .data = data };
		return bridge__network_delete(ctx, &net, err);
	}
	struct nd_nl nl;
	int rc = nd_nl_open(&nl, err);
	if (rc < 0)
		return rc;
	rc = nd_nl_link_del(&nl, ifname, err);
	nd_nl_close(&nl);
	return rc;
}

const struct nd_driver_ops nd_bridge_driver = {
	.name = "bridge",
	.scope = "local",
	.options_validate = bridge__options_validate,
	.network_create = bridge__network_create,
	.network_delete = bridge__network_delete,
	.network_restore = bridge__network_restore,
	.endpoint_create = bridge__endpoint_create,
	.endpoint_delete = bridge__endpoint_delete,
	.join = bridge__join,
	.leave = bridge__leave,
	.endpoint_ok = bridge__endpoint_ok,
	.program_external_connectivity = bridge__ext_noop,
	.revoke_external_connectivity = bridge__ext_noop,
	.owns_ifname = bridge__owns_ifname,
	.orphan_delete = bridge__orphan_delete,
	.network_status = bridge__network_status,
	.explain_path = bridge__explain_path,
};
