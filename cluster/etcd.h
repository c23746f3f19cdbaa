// SPDX-License-Identifier: Apache-2.0
/* cluster: an etcd v3 client over etcd's JSON gateway (etcd >= 3.4), with
 * libcurl for HTTP, jansson for JSON and OpenSSL's EVP base64 for keys and
 * values. The one public header of the cluster module. No libuv, no daemon
 * code: netd/core/cluster.c bridges it to the loop.
 *
 * Threads. Every call below blocks (connect timeout ~300 ms, request
 * timeout opts.timeout_ms, default 1000 ms): call it from a thread-pool job
 * or a thread of its own, never from a libuv loop. One struct nd_etcd may be
 * used from several threads at once (each request has its own curl handle;
 * connections are shared and reused under a lock).
 *
 * Errors. 0 or a negative errno, with a sentence in err:
 *   -ECONNREFUSED / -ETIMEDOUT / -EHOSTUNREACH  no endpoint answered; the
 *        message names the store: "cluster store etcd://10.0.0.1:2379
 *        unreachable: Connection refused"
 *   -EEXIST   nd_etcd_create: the key is there
 *   -EAGAIN   nd_etcd_cas / nd_etcd_delete with mod_rev / nd_etcd_txn: a
 *             compare failed (someone else changed the key): re-read, retry
 *   -ENOENT   nd_etcd_get: no such key; keepalive: the lease is gone
 *   -EPROTO   etcd answered something we could not understand
 *   -EINVAL   bad arguments / bad options (nd_etcd_new)
 *   -EACCES   TLS handshake or certificate problem
 *
 * Failover. opts.endpoints lists one or more "host:port"; a request goes to
 * the endpoint that answered last, and on a connection failure to the next
 * ones in turn, so one dead member costs one connect timeout per request at
 * most once (the good one is remembered).
 *
 * Revisions, leases and TTLs are int64 (etcd's JSON gateway sends them as
 * strings; this client converts). Keys and values are bytes; values may
 * contain NUL (value_len), keys are C strings. */
#pragma once

#include "common/common.h"

#include <stdbool.h>
#include <stdint.h>

struct nd_etcd;

struct nd_etcd_opts {
	const char *endpoints;   /* "etcd://h:p[,h:p...]" or "h:p[,h:p...]"; h may be
	                            an IPv4 address, [IPv6] or a name */
	const char *cacert;      /* PEM CA: talk https and verify the server (NULL: http) */
	const char *cert, *key;  /* PEM client certificate and key (both or neither) */
	long timeout_ms;         /* per request; 0 = 1000 */
	long connect_timeout_ms; /* per endpoint; 0 = 300 */
};

struct nd_etcd_kv {
	char *key;
	char *value;             /* NUL-terminated for convenience; value_len bytes */
	size_t value_len;
	int64_t create_rev, mod_rev, version, lease;
};
void nd_etcd_kvs_free(struct nd_etcd_kv *kvs, size_t n);
void nd_etcd_kv_clear(struct nd_etcd_kv *kv);   /* frees key and value only */

/* Syntax check of a cluster-store URL ("etcd://h:p[,h:p]"), no I/O: the
 * config uses it to refuse a bad value at start. */
int nd_etcd_url_check(const char *url, struct nd_error *err);

/* Parses opts (copied), no I/O. */
int nd_etcd_new(const struct nd_etcd_opts *o, struct nd_etcd **out, struct nd_error *err);
/* Requests made from the calling thread wait up to ms for their answer (when
 * that is longer than the client's timeout_ms): for work a user waits on,
 * where a slow etcd should not read as an outage. Connecting keeps its own
 * short limit, so an etcd that is away is still told at once. */
void nd_etcd_thread_request_timeout(long ms);
void nd_etcd_free(struct nd_etcd *e);
static inline void nd_etcd_freep(struct nd_etcd **e) { nd_etcd_free(*e); }
/* "etcd://h:p,h:p" as configured (for messages and /info). */
const char *nd_etcd_url(const struct nd_etcd *e);
/* The endpoint that answered last ("h:p"), or the first one. */
const char *nd_etcd_endpoint(const struct nd_etcd *e);
size_t nd_etcd_endpoint_count(const struct nd_etcd *e);
const char *nd_etcd_endpoint_at(const struct nd_etcd *e, size_t i);
bool nd_etcd_tls(const struct nd_etcd *e);

/* ---- key/value ------------------------------------------------------------ */

/* One key, or every key under the prefix `key` (prefix = true), sorted by
 * key. *rev is the store revision the read saw (may be NULL). */
int nd_etcd_range(struct nd_etcd *e, const char *key, bool prefix, struct nd_etcd_kv **kvs, size_t *n,
		  int64_t *rev, struct nd_error *err);
/* One key into *kv (nd_etcd_kv_clear it); -ENOENT when absent. */
int nd_etcd_get(struct nd_etcd *e, const char *key, struct nd_etcd_kv *kv, int64_t *rev, struct nd_error *err);
/* Unconditional write; lease 0 = none. */
int nd_etcd_put(struct nd_etcd *e, const char *key, const char *val, int64_t lease, struct nd_error *err);
/* Writes only if the key does not exist: -EEXIST otherwise. */
int nd_etcd_create(struct nd_etcd *e, const char *key, const char *val, int64_t lease, struct nd_error *err);
/* Writes only if the key's mod_revision is still mod_rev: -EAGAIN otherwise
 * (also when it was deleted). */
int nd_etcd_cas(struct nd_etcd *e, const char *key, const char *val, int64_t mod_rev, int64_t lease,
		struct nd_error *err);
/* Deletes the key (or every key under the prefix); mod_rev != 0 (single key
 * only): only if unchanged, -EAGAIN otherwise. Deleting nothing is success;
 * *deleted (may be NULL) counts the keys removed. */
int nd_etcd_delete_n(struct nd_etcd *e, const char *key, bool prefix, int64_t mod_rev, int64_t *deleted,
		     struct nd_error *err);
int nd_etcd_delete(struct nd_etcd *e, const char *key, bool prefix, int64_t mod_rev, struct nd_error *err);

/* A transaction: if every compare holds, every op is applied, all or nothing;
 * otherwise nothing is and the call returns -EAGAIN. *rev (may be NULL) is the
 * revision after it. E.g. allocate an address AND write the endpoint record:
 *   cmps = { {"/pool/10.200.0.5", ND_ETCD_CMP_ABSENT} },
 *   ops  = { {ND_ETCD_OP_PUT, "/pool/10.200.0.5", ep_id},
 *            {ND_ETCD_OP_PUT, "/ep/..", json, .lease = lease} } */
enum nd_etcd_cmp_kind {
	ND_ETCD_CMP_ABSENT,      /* the key does not exist (create_revision == 0) */
	ND_ETCD_CMP_PRESENT,     /* the key exists */
	ND_ETCD_CMP_MOD_REV,     /* mod_revision == rev */
	ND_ETCD_CMP_VALUE,       /* value == value (a string) */
};
struct nd_etcd_cmp {
	const char *key;
	enum nd_etcd_cmp_kind kind;
	int64_t rev;             /* ND_ETCD_CMP_MOD_REV */
	const char *value;       /* ND_ETCD_CMP_VALUE */
};
enum nd_etcd_op_kind {
	ND_ETCD_OP_PUT,
	ND_ETCD_OP_DELETE,       /* one key */
	ND_ETCD_OP_DELETE_PREFIX,/* every key under key */
};
struct nd_etcd_op {
	enum nd_etcd_op_kind kind;
	const char *key;
	const char *value;       /* ND_ETCD_OP_PUT, a string */
	int64_t lease;           /* ND_ETCD_OP_PUT; 0 = none */
};
int nd_etcd_txn(struct nd_etcd *e, const struct nd_etcd_cmp *cmps, size_t ncmp, const struct nd_etcd_op *ops,
		size_t nops, int64_t *rev, struct nd_error *err);

/* ---- leases ---------------------------------------------------------------- */

int nd_etcd_lease_grant(struct nd_etcd *e, long ttl_s, int64_t *id, struct nd_error *err);
/* One keepalive; *ttl (may be NULL) the seconds left. -ENOENT: the lease
 * expired or was revoked (its keys are gone). */
int nd_etcd_lease_keepalive(struct nd_etcd *e, int64_t id, long *ttl, struct nd_error *err);
/* Revoking a lease deletes every key attached to it. Unknown lease: success. */
int nd_etcd_lease_revoke(struct nd_etcd *e, int64_t id, struct nd_error *err);

/* ---- compaction (tests, tools) ---------------------------------------------- */
int nd_etcd_compact(struct nd_etcd *e, int64_t rev, struct nd_error *err);

/* ---- health ------------------------------------------------------------------ */

enum nd_etcd_health {
	ND_ETCD_CONNECTING = 0,  /* not tried yet */
	ND_ETCD_HEALTHY,         /* the last request was answered */
	ND_ETCD_UNREACHABLE,     /* the last request found no endpoint answering */
};
const char *nd_etcd_health_name(enum nd_etcd_health h);   /* "connecting", "healthy", "unreachable" */

/* ---- lease session -------------------------------------------------------------
 * A thread that grants a lease of ttl_s seconds and keeps it alive every
 * ttl_s/3 seconds. It reports each change of health (on_state), and each new
 * lease (on_lease): the first one, and a replacement when the old one was
 * lost (it expired while etcd was unreachable): the owner then re-puts every
 * key it had attached to the lease. While unreachable it retries every
 * 250 ms. (The session and watch threads allow a connect 1 s, not the
 * fail-fast 300 ms of a request: a loaded machine is not an outage.)
 * Callbacks run on the session thread, one at a time; they must not call
 * nd_etcd_session_stop. why is NULL when healthy. */
struct nd_etcd_session;
struct nd_etcd_session_cbs {
	void (*on_state)(void *ud, enum nd_etcd_health h, const struct nd_error *why);
	void (*on_lease)(void *ud, int64_t lease);
	void *ud;
};
int nd_etcd_session_start(struct nd_etcd *e, long ttl_s, const struct nd_etcd_session_cbs *cbs,
			  struct nd_etcd_session **out, struct nd_error *err);
/* The same, first trying to keep lease (e.g. the one a previous run of the
 * daemon held, so a quick restart keeps its keys): when it is still alive it
 * is adopted (and on_lease(lease) called), otherwise a new one is granted. */
int nd_etcd_session_start_lease(struct nd_etcd *e, long ttl_s, int64_t lease, const struct nd_etcd_session_cbs *cbs,
				struct nd_etcd_session **out, struct nd_error *err);
int64_t nd_etcd_session_lease(const struct nd_etcd_session *s);   /* 0 while none */
enum nd_etcd_health nd_etcd_session_health(const struct nd_etcd_session *s);
/* Stops the thread (returns within ~the request timeout); revoke: also
 * revokes the lease (a clean shutdown: this host's keys go at once). NULL ok. */
void nd_etcd_session_stop(struct nd_etcd_session *s, bool revoke);

/* ---- watch ----------------------------------------------------------------------
 * A thread streaming /v3/watch on every key under prefix. start_rev > 0:
 * events from that revision on; start_rev == 0: first a full range of the
 * prefix delivered by on_resync, then events after it. The connection is
 * re-made with backoff (100 ms doubling to 2 s) and resumes at last_rev + 1,
 * so no event is lost or repeated. When that revision was compacted away,
 * it ranges the prefix again, calls on_resync(kvs, n, rev) with the full
 * state (the receiver replaces its view: anything not in kvs is gone), then
 * watches from rev + 1. Callbacks run on the watch thread; the data is
 * borrowed for the duration of the call. */
enum nd_etcd_event_type { ND_ETCD_EV_PUT, ND_ETCD_EV_DELETE };
struct nd_etcd_event {
	enum nd_etcd_event_type type;
	struct nd_etcd_kv kv;    /* DELETE: key and mod_rev (the deletion's revision) only */
};
struct nd_etcd_watch;
struct nd_etcd_watch_cbs {
	/* a batch of events in revision order; rev is the last one's revision */
	void (*on_events)(void *ud, const struct nd_etcd_event *evs, size_t n, int64_t rev);
	/* the whole prefix as of rev (start_rev 0, or after a compaction) */
	void (*on_resync)(void *ud, const struct nd_etcd_kv *kvs, size_t n, int64_t rev);
	/* connection state changes (optional) */
	void (*on_state)(void *ud, enum nd_etcd_health h, const struct nd_error *why);
	void *ud;
};
int nd_etcd_watch_start(struct nd_etcd *e, const char *prefix, int64_t start_rev, const struct nd_etcd_watch_cbs *cbs,
			struct nd_etcd_watch **out, struct nd_error *err);
/* The last revision delivered (events or resync). */
int64_t nd_etcd_watch_rev(const struct nd_etcd_watch *w);
/* How many times a compaction forced a resync (tests). */
uint64_t nd_etcd_watch_resyncs(const struct nd_etcd_watch *w);
void nd_etcd_watch_stop(struct nd_etcd_watch *w);   /* NULL ok */
