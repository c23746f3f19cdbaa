/* The networking side of the daemon: start, stop, /info section. */
#include "netd/daemon.h"

int netd_net_start(struct netd *d, struct nd_error *err)
{
	return 0;
}

void netd_net_stop(struct netd *d)
{
}

void netd_net_info(struct netd *d, json_t *info)
{
}
