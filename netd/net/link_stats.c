// SPDX-License-Identifier: Apache-2.0
/* Interface counters of a sandbox (docker stats' networks): rtnetlink link
 * dump from a short-lived thread inside the sandbox's namespace. */
#include "netd/net/net.h"

#include "drivers/nl.h"

#include <fcntl.h>
#include <netlink/route/link.h>

struct stats_arg {
	struct net_link_stats *v;
	size_t n;
};

static int dump_links(struct nd_nl *nl, void *p, struct nd_error *err)
{
	struct stats_arg *a = p;
	struct nl_cache *cache = NULL;
	int r = rtnl_link_alloc_cache(nl->sk, AF_UNSPEC, &cache);
	if (r < 0)
		return nd_error_set(err, -EIO, "link dump: %s", nl_geterror(r));
	size_t cap = (size_t)nl_cache_nitems(cache);
	a->v = calloc(cap ? cap : 1, sizeof(*a->v));
	if (!a->v) {
		nl_cache_free(cache);
		return nd_error_set(err, -ENOMEM, "out of memory");
	}
	for (struct nl_object *o = nl_cache_get_first(cache); o && a->n < cap; o = nl_cache_get_next(o)) {
		struct rtnl_link *l = (struct rtnl_link *)o;
		if (rtnl_link_get_flags(l) & IFF_LOOPBACK)
			continue;
		struct net_link_stats *s = &a->v[a->n++];
		snprintf(s->ifname, sizeof(s->ifname), "%s", rtnl_link_get_name(l) ?: "");
		s->rx_bytes = rtnl_link_get_stat(l, RTNL_LINK_RX_BYTES);
		s->rx_packets = rtnl_link_get_stat(l, RTNL_LINK_RX_PACKETS);
		s->rx_errors = rtnl_link_get_stat(l, RTNL_LINK_RX_ERRORS);
		s->rx_dropped = rtnl_link_get_stat(l, RTNL_LINK_RX_DROPPED);
		s->tx_bytes = rtnl_link_get_stat(l, RTNL_LINK_TX_BYTES);
		s->tx_packets = rtnl_link_get_stat(l, RTNL_LINK_TX_PACKETS);
		s->tx_errors = rtnl_link_get_stat(l, RTNL_LINK_TX_ERRORS);
		s->tx_dropped = rtnl_link_get_stat(l, RTNL_LINK_TX_DROPPED);
	}
	nl_cache_free(cache);
	return 0;
}

int net_sandbox_link_stats(const char *netns_path, struct net_link_stats **out, size_t *n, struct nd_error *err)
{
	*out = NULL;
	*n = 0;
	_cleanup_close_ int fd = open(netns_path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return nd_error_set(err, -errno, "open %s: %s", netns_path, strerror(errno));
	struct stats_arg a = { 0 };
	int r = nd_nl_in_netns(fd, dump_links, &a, err);
	if (r < 0) {
		free(a.v);
		return r;
	}
	*out = a.v;
	*n = a.n;
	return 0;
}
