// SPDX-License-Identifier: Apache-2.0
/* drivers: the registry, a const table looked up by name. */
#include "drivers/driver.h"

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
