/* The hooks the layers above register with net. */
#include "netd/net/net.h"

void net_hooks_register(struct netd *d, const struct net_hooks *hooks)
{
	net_of(d)->hooks = *hooks;
}
