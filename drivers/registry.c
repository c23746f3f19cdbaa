// SPDX-License-Identifier: Apache-2.0
/* drivers: the registry, a const table looked up by name. */
#include "drivers/driver.h"

#include <stdarg.h>

static const struct nd_driver_ops *const nd_drivers[] = {
	&nd_bridge_driver,
	&nd_macvlan_driver,
	&nd_vxlan_driver,
	NULL,
};

const struct nd_driver_ops *nd_driver_find(const char *name)
{
	if (!name)
		return NULL;
	for (size_t i = 0; nd_drivers[i]; i++)
		if (strcmp(nd_drivers[i]->name, name) == 0 || (nd_drivers[i]->alias && strcmp(nd_drivers[i]->alias, name) == 0))
			return nd_drivers[i];
	return NULL;
}

const struct nd_driver_ops *const *nd_driver_all(void)
{
	return nd_drivers;
}

struct nd_drv_hop *nd_drv_path_hop(struct nd_drv_path *p, const char *kind, const char *command_fmt, ...)
{
	if (p->nhops >= ND_DRV_HOPS_MAX) {
		memset(&p->hops[ND_DRV_HOPS_MAX], 0, sizeof(p->hops[0]));
		return &p->hops[ND_DRV_HOPS_MAX]; /* written, never shown */
	}
	struct nd_drv_hop *h = &p->hops[p->nhops++];
	memset(h, 0, sizeof(*h));
	snprintf(h->kind, sizeof(h->kind), "%s", kind);
	va_list ap;
	va_start(ap, command_fmt);
	vsnprintf(h->command, sizeof(h->command), command_fmt, ap);
	va_end(ap);
	return h;
}
