// SPDX-License-Identifier: Apache-2.0
/* drivers/bridge: the network's firewall elements through proxy/'s nftables
 * layer (ctx->fw). Built without proxy/ (ND_HAVE_PROXY unset) this is a
 * no-op, as it is when ctx->fw is NULL (unit tests, nd-drv-test --no-fw). */
#include "drivers/bridge/bridge.h"

#if defined(ND_HAVE_PROXY) && __has_include("proxy/proxy.h")
#include "proxy/proxy.h"
#define BRIDGE_FW 1
#else
#define BRIDGE_FW 0
#endif

#if BRIDGE_FW
static void bridge__fw_desc(const struct nd_drv_network *net, const struct bridge_opts *o,
			    const char *brname, struct nd_fw_network *n)
{
	memset(n, 0, sizeof(*n));
	n->bridge = brname;
	n->internal = net->internal;
	n->icc = o->icc;
	n->masquerade = o->masquerade && !net->internal;
	for (int i = 0; i < net->nsubnets && i < ND_FW_MAX_SUBNETS; i++)
		n->subnets[n->nsubnets++] = net->subnets[i].subnet;
}
#endif

int bridge__fw_add(struct nd_drv_ctx *ctx, const struct nd_drv_network *net,
		   const struct bridge_opts *o, const char *brname, struct nd_error *err)
{
#if BRIDGE_FW
	if (!ctx || !ctx->fw)
		return 0;
	struct nd_fw_network n;
	bridge__fw_desc(net, o, brname, &n);
	int r = nd_fw_network_add(ctx->fw, &n, err);
	if (r == -ENOENT) {
		/* our table is not there (first network, or flushed): build it */
		nd_error_clear(err);
		r = nd_fw_ensure(ctx->fw, err);
		if (r == 0)
			r = nd_fw_network_add(ctx->fw, &n, err);
	}
	if (r < 0)
		return nd_error_wrap(err, "firewall for bridge %s", brname);
#endif
	return 0;
}

int bridge__fw_del(struct nd_drv_ctx *ctx, const struct nd_drv_network *net,
		   const struct bridge_opts *o, const char *brname, struct nd_error *err)
{
#if BRIDGE_FW
	if (!ctx || !ctx->fw)
		return 0;
	struct nd_fw_network n;
	bridge__fw_desc(net, o, brname, &n);
	int r = nd_fw_network_del(ctx->fw, &n, err);
	if (r == -ENOENT)
		r = 0; /* no table, no elements */
	if (r < 0)
		return nd_error_wrap(err, "firewall for bridge %s", brname);
#endif
	return 0;
}
