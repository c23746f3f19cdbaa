// SPDX-License-Identifier: Apache-2.0
/* drivers/macvlan: the vtable. */
#include "drivers/macvlan/macvlan.h"

static int macvlan__ext_noop(struct nd_drv_ctx *ctx, struct nd_drv_network *net,
			     struct nd_drv_endpoint *ep, struct nd_error *err)
{
	/* no NAT, no firewall: the containers are hosts of the parent's segment */
	return 0;
}

const struct nd_driver_ops nd_macvlan_driver = {
	.name = "macvlan",
	.scope = "local",
	.options_validate = macvlan__options_validate,
	.network_check = macvlan__network_check,
	.network_create = macvlan__network_create,
	.network_delete = macvlan__network_delete,
	.network_restore = macvlan__network_restore,
	.endpoint_create = macvlan__endpoint_create,
	.endpoint_delete = macvlan__endpoint_delete,
	.join = macvlan__join,
	.leave = macvlan__leave,
	.endpoint_ok = macvlan__endpoint_ok,
	.program_external_connectivity = macvlan__ext_noop,
	.revoke_external_connectivity = macvlan__ext_noop,
	.owns_ifname = macvlan__owns_ifname,
	.orphan_delete = macvlan__orphan_delete,
	.sweep = macvlan__sweep,
	.network_status = macvlan__network_status,
	.explain_path = macvlan__explain_path,
};
