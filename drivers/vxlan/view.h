// SPDX-License-Identifier: Apache-2.0
/* drivers/vxlan: the bridge driver's view of an overlay network, so that the
 * bridge ov-<id12> and the veth endpoints into it are made by the bridge
 * driver's one implementation (drivers/bridge) instead of a copy: its
 * options name the bridge and its MTU, its data names the bridge. */
#pragma once

#include "drivers/vxlan/vxlan.h"

struct vxlan_view {
	struct nd_drv_network net;
	json_t *opts, *data;
};

/* mtu 0: not set in the view (the bridge keeps what it has). */
static inline int vxlan__view_init(struct vxlan_view *v, const struct nd_drv_network *net, const char *br, int mtu,
				   struct nd_error *err)
{
	v->net = *net;
	v->opts = json_pack("{s:s}", "com.docker.network.bridge.name", br);
	v->data = json_pack("{s:s}", "bridge", br);
	if (!v->opts || !v->data) {
		json_decref(v->opts);
		json_decref(v->data);
		return nd_error_set(err, -ENOMEM, "out of memory");
	}
	if (mtu > 0) {
		char m[16];
		snprintf(m, sizeof(m), "%d", mtu);
		json_object_set_new(v->opts, "com.docker.network.driver.mtu", json_string(m));
	}
	v->net.options = v->opts;
	v->net.data = v->data;
	v->net.nreserved = 0;
	return 0;
}

static inline void vxlan__view_clear(struct vxlan_view *v)
{
	json_decref(v->opts);
	json_decref(v->data);
	v->opts = v->data = NULL;
}
