// SPDX-License-Identifier: Apache-2.0
/* The global scope's internals, shared by global.c (the mirror of the
 * cluster store, networks, this host's keys) and global_addr.c (addresses
 * taken by compare-and-swap, connect). Not a public header. */
#pragma once

#include "netd/core/cluster.h"
#include "netd/net/net.h"

#define K_NETS  ND_CLUSTER_PREFIX "networks/"
#define K_NAMES ND_CLUSTER_PREFIX "names/"
#define K_VNI   ND_CLUSTER_PREFIX "vni/"
#define K_IPAM  ND_CLUSTER_PREFIX "ipam/"
#define K_EPS   ND_CLUSTER_PREFIX "endpoints/"

struct net_global {
	json_t *eps;      /* netid -> {epid -> record}: every host's endpoints */
	json_t *ipam;     /* netid -> {addr -> host id}: every host's addresses */
	json_t *mine;     /* key -> value: this host's leased keys */
	json_t *gone;     /* key -> true: to delete when the store answers */
	json_t *reserved; /* netid -> {addr -> true}: taken in the store, no endpoint yet */
	json_t *conflicted; /* key -> value: keys of this host's endpoints another host took
	                     * while our lease was lost; put again at every reconcile */
	bool synced;      /* a first resync arrived */
	bool flushing;    /* a republish job is in flight */
	bool again;       /* republish once more when it ends */
	bool dirty;       /* the last republish failed in part */
	uint64_t peer_events, resyncs;
	uint64_t races;   /* address CAS lost to another host (tried the next) */
};

static inline struct net_global *net__g(struct netd *d)
{
	return d->net ? net_of(d)->global : NULL;
}

/* this host's identity in the store's records */
static inline const char *net__g_me(struct netd *d)
{
	return d->id;
}

/* "10.200.0.5/16" -> "10.200.0.5" */
void net__g_bare_addr(const char *cidr, char out[64]);
/* o[k], made an empty object when absent (borrowed) */
json_t *net__g_sub(json_t *o, const char *k);
struct net_pool *net__g_v4_pool(struct net_network *n);
/* marks (or releases) addr in the network's pool that holds it */
void net__g_pool_mark(struct net_network *n, const char *addr, bool mark);
void net__g_ipam_key(char *out, size_t size, const char *netid, const char *addr);
void net__g_ep_key(char *out, size_t size, const char *netid, const char *epid);
char *net__g_ipam_value(struct netd *d);
char *net__g_ep_value(struct netd *d, const struct nd_endpoint_rec *ep);
/* this host's endpoint's keys, remembered (put under every new lease) */
void net__g_mine_add(struct netd *d, const struct nd_endpoint_rec *ep);
/* puts `mine` and deletes `gone` in a job, when the store answers */
void net__g_republish(struct netd *d);
