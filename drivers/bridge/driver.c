/* drivers/bridge: the vtable. */
#include "drivers/bridge/bridge.h"

static int bridge__ext_noop(struct nd_drv_ctx *ctx, struct nd_drv_network *net,
			    struct nd_drv_endpoint *ep, struct nd_error *err)
{
	/* Port publishing belongs to proxy/ (netd calls it with the endpoint's
	 * address); masquerade is per network, set up in network_create. */
	return 0;
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
};
