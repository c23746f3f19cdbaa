// SPDX-License-Identifier: Apache-2.0
/* What the net layer plugs in: the hooks of the layers above, the drivers below. */
#include "netd/net/net.h"

void net_hooks_register(struct netd *d, const struct net_hooks *hooks)
{
	net_of(d)->hooks = *hooks;
	if (hooks->dns_owner)
		net__dns_walk(d);   /* the owners' hostnames and --dns servers, now that they can be asked */
}

const struct nd_driver_ops *const *net__drivers(struct netd *d)
{
	return net_of(d) && net_of(d)->drivers ? net_of(d)->drivers : nd_driver_all();
}

const struct nd_driver_ops *net__driver_find(struct netd *d, const char *name)
{
	const struct nd_driver_ops *const *all = net__drivers(d);
	for (size_t i = 0; name && all[i]; i++)
		if (strcmp(all[i]->name, name) == 0 || (all[i]->alias && strcmp(all[i]->alias, name) == 0))
			return all[i];
	return NULL;
}
