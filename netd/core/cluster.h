// SPDX-License-Identifier: Apache-2.0
/* netd's side of the cluster store (DESIGN.md decision 5): the owner of the
 * etcd client (cluster/etcd.h) inside the daemon. Core layer, so net (the
 * global scope, the vxlan driver's peers) builds on it.
 *
 * What it does when --cluster-store is set (netd_cluster_start):
 *   - a lease session: one lease of --cluster-lease-ttl seconds per netd,
 *     kept alive by a thread; when it was lost (etcd unreachable longer than
 *     the TTL) a new one is granted and hooks.on_lease(new) runs, so the
 *     owner of leased keys puts them again;
 *   - one watch on ND_CLUSTER_PREFIX ("/netd/v1/"): first a full range
 *     (hooks.on_resync), then every change (hooks.on_events); after a
 *     compaction, on_resync again with the full state. No event is lost;
 *   - a health flag (healthy / unreachable) from the last request of the
 *     session or the watch; hooks.on_health on each change.
 * Every hook runs on the loop thread (bridged with uv_async); nothing is
 * delivered before netd_cluster_set_hooks, and nothing is dropped while
 * waiting for it (so a late registration still sees the first resync).
 *
 * Blocking etcd calls never run on the loop: netd_cluster_run(fn) runs fn in
 * the thread pool (an nd_job) and done on the loop.
 *
 * Without --cluster-store, d->cluster is NULL and netd_cluster_check()
 * answers -ENOTSUP "global-scope networks need a cluster store: start netd
 * with --cluster-store etcd://HOST:PORT and --cluster-advertise ADDR". */
#pragma once

#include "common/common.h"
#include "cluster/etcd.h"

#include <uv.h>

#define ND_CLUSTER_PREFIX "/netd/v1/"

struct netd;
struct netd_cluster;

struct netd_cluster_hooks {
	void (*on_resync)(struct netd *d, const struct nd_etcd_kv *kvs, size_t n, int64_t rev);
	void (*on_events)(struct netd *d, const struct nd_etcd_event *evs, size_t n, int64_t rev);
	void (*on_lease)(struct netd *d, int64_t lease);          /* a new lease: re-put leased keys */
	void (*on_health)(struct netd *d, bool healthy);
};

/* Parses the cluster options, starts the session and the watch threads, and
 * (before the loop runs) waits at most 2 s until the session has its lease
 * and the watch its first resync, so that once netd serves its API the lease
 * is there and the first resync is queued for the hooks (with etcd down,
 * netd starts after the 2 s, unhealthy, and keeps trying). d->cluster stays
 * NULL without cluster-store.
 * Fails only on bad configuration (e.g. cluster-advertise names an interface
 * with no address). */
int netd_cluster_start(struct netd *d, struct nd_error *err);
/* Stops delivering to the loop and closes the loop handle: call on the loop
 * thread when shutting down, before the handles are walked and closed
 * (netd's signal handler does). Idempotent; the threads keep running. */
void netd_cluster_close(struct netd *d);
/* Stops the threads (after the loop ended). The lease is NOT revoked: its
 * id stays in <exec-root>/cluster.lease, and a netd restarted within the TTL
 * adopts it, so a restart does not make peers drop this host's endpoints; a
 * netd that stays down longer is a dead host: its keys expire. Safe when
 * not started. */
void netd_cluster_stop(struct netd *d);

/* Hooks of the layer above (net); may be called once, after start. */
void netd_cluster_set_hooks(struct netd *d, const struct netd_cluster_hooks *h);

/* 0 when global-scope work may proceed; otherwise -ENOTSUP (no cluster
 * store configured) or -ECONNREFUSED/-ETIMEDOUT (configured, unreachable
 * now) with a sentence that says which. */
int netd_cluster_check(const struct netd *d, struct nd_error *err);
bool netd_cluster_configured(const struct netd *d);
bool netd_cluster_healthy(const struct netd *d);
int64_t netd_cluster_lease(const struct netd *d);             /* 0 while none */
int64_t netd_cluster_rev(const struct netd *d);               /* last revision delivered to hooks */
/* The underlay address other hosts reach this one at ("192.168.77.11"),
 * resolved at start from --cluster-advertise (an address or an interface). */
const char *netd_cluster_advertise(const struct netd *d);
/* The client, for blocking calls from jobs / threads. NULL when not configured. */
struct nd_etcd *netd_cluster_etcd(const struct netd *d);

/* Runs fn(etcd, arg, err) in the thread pool, then done(d, arg, rc, err) on
 * the loop. -ENOTSUP/-ECONNREFUSED straight away (done not called) when
 * netd_cluster_check fails. err in done is borrowed. */
typedef int (*netd_cluster_fn)(struct nd_etcd *e, void *arg, struct nd_error *err);
typedef void (*netd_cluster_done_fn)(struct netd *d, void *arg, int rc, const struct nd_error *err);
int netd_cluster_run(struct netd *d, netd_cluster_fn fn, netd_cluster_done_fn done, void *arg,
		     struct nd_error *err);

/* The "Cluster" object of GET /info: {"Store", "Endpoints", "Endpoint",
 * "TLS", "Healthy", "State", "Lease", "LeaseTTL", "Revision", "Advertise",
 * "Error"}; NULL when not configured. */
json_t *netd_cluster_info_json(const struct netd *d);
