// SPDX-License-Identifier: Apache-2.0
/* drivers/vxlan: options, names, MTU. Pure, no kernel. */
#include "drivers/vxlan/vxlan.h"
#include "drivers/options.h"

#include <ctype.h>

static int vxlan__opt(const char *key, const char *v, void *ctx, struct nd_error *err)
{
	struct vxlan_opts *o = ctx;
	long x;
	int r;
	if (strcmp(key, VXLAN_OPT_MTU) == 0 || strcmp(key, VXLAN_OPT_MTU_DOCKER) == 0) {
		if ((r = nd_drv_opt_long(key, v, "value", 68, 65535, &x, err)) < 0)
			return r;
		o->mtu = (int)x;
	} else if (strcmp(key, VXLAN_OPT_VNI) == 0 || strcmp(key, VXLAN_OPT_VNI_DOCKER) == 0) {
		if (strchr(v, ','))
			return nd_error_set(err, -EINVAL, "option %s: one VNI per network (\"%s\")", key, v);
		if ((r = nd_drv_opt_long(key, v, "value", 1, VXLAN_VNI_MAX, &x, err)) < 0)
			return r;
		o->vni = (uint32_t)x;
	} else {
		return nd_error_set(err, -EINVAL, "vxlan driver: unknown option \"%s\" (takes %s, %s)", key,
				    VXLAN_OPT_MTU, VXLAN_OPT_VNI);
	}
	return 0;
}

int vxlan__opts_parse(const json_t *options, struct vxlan_opts *o, struct nd_error *err)
{
	memset(o, 0, sizeof(*o));
	return nd_drv_opts_foreach(options, vxlan__opt, o, err);
}

int vxlan__options_validate(const json_t *options, struct nd_error *err)
{
	struct vxlan_opts o;
	return vxlan__opts_parse(options, &o, err);
}

static bool vxlan__is_hex(const char *s, size_t n)
{
	if (strlen(s) != n)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!isxdigit((unsigned char)s[i]) || isupper((unsigned char)s[i]))
			return false;
	return true;
}

bool vxlan__owns_ifname(const char *ifname)
{
	if (!ifname)
		return false;
	if (nd_str_has_prefix(ifname, "ov-") || nd_str_has_prefix(ifname, "vx-"))
		return vxlan__is_hex(ifname + 3, ND_ID_SHORT);
	return false;
}

int vxlan__names(const char *net_id, char br[IFNAMSIZ], char vx[IFNAMSIZ])
{
	if (!net_id || strlen(net_id) < ND_ID_SHORT)
		return -EINVAL;
	snprintf(br, IFNAMSIZ, "ov-%.*s", ND_ID_SHORT, net_id);
	snprintf(vx, IFNAMSIZ, "vx-%.*s", ND_ID_SHORT, net_id);
	return 0;
}

int vxlan__mtu_for(int underlay_mtu, bool underlay_v6)
{
	/* outer IP (20 / 40) + UDP 8 + VXLAN 8 + inner Ethernet 14 */
	int m = underlay_mtu - (underlay_v6 ? 70 : 50);
	return m < 68 ? 68 : m;
}
