// SPDX-License-Identifier: Apache-2.0
/* net: internals of the embedded DNS resolver (dns_*.c), not a public header.
 *
 *   dns_names.c   per-network name tables (local endpoints, later remote ones)
 *   dns_answer.c  a query in, a local answer, or a forward (ldns for the wire)
 *   dns_fwd.c     upstreams, forwarding over UDP/TCP with failover, the cache
 *   dns_listen.c  per-sandbox listeners on 127.0.0.11, the gateway listeners
 *   dns.c         the glue: start, stop, endpoints in and out, info, the thread
 *
 * Threads: listeners, answers and forwarding run on the resolver's own
 * thread and uv loop (eng->loop). Everything in the engine (tables,
 * listeners, upstreams, cache, counters) is guarded by eng->mu: the thread
 * holds it while it runs its loop's callbacks and lets go only while it
 * waits for I/O; the main loop takes it (dns__lock) for each change or
 * read, briefly; dns__unlock_wake also wakes the thread so that handles
 * made or closed meanwhile on its loop take effect. */
#pragma once

#include "netd/net/net.h"

#include <ldns/ldns.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <sys/socket.h>

#define DNS_LISTEN_ADDR "127.0.0.11"
#define DNS_TTL_LOCAL 10           /* seconds, of answers about containers */
#define DNS_MAX_UPSTREAMS 8
#define DNS_MAX_INFLIGHT 2048      /* forwarded queries at once; more get SERVFAIL */
#define DNS_DEAD_MS 30000          /* an upstream that timed out is skipped this long */
#define DNS_CACHE_MAX 8192         /* entries */
#define DNS_CACHE_TTL_MAX 3600     /* seconds */
#define DNS_TCP_MAX 512            /* client TCP connections at once */
#define DNS_TCP_IDLE_MS 10000

/* ---- names (dns_names.c) ----------------------------------------------------- */

struct dns_entry {
	struct dns_entry *next;
	char owner[ND_ID_LEN + 1];
	char sandbox_id[ND_ID_LEN + 1];  /* "" for a remote owner */
	char **names;                    /* lowercase; names[0] answers PTR */
	size_t nnames;
	bool has4, has6;
	struct in_addr a4;
	struct in6_addr a6;
};

struct dns_table {
	struct dns_table *next;
	char network_id[ND_ID_LEN + 1];
	char network_name[ND_NAME_MAX + 1];
	bool internal;
	bool builtin;                    /* the default bridge: no names unless dns-default-bridge */
	struct dns_entry *entries;
	size_t nentries;
	unsigned rotor;                  /* round robin of multi-address answers */
};

/* What a query may see: the networks of the asking sandbox. */
struct dns_scope {
	const struct dns_table *tables[ND_REC_MAX_SUBNETS * 16];
	size_t n;
	bool forward;                    /* at least one network is not internal */
};

struct dns_found {
	struct in_addr v4[32];
	struct in6_addr v6[32];
	size_t n4, n6;
	bool known;                      /* the name exists (NODATA rather than NXDOMAIN) */
	char ptr[512];                   /* PTR answer, "" = none */
};

struct dns_engine;
struct dns_table *dns__table_get(struct dns_engine *eng, const char *network_id, bool create);
/* scope of a sandbox: every table with an entry of sandbox_id */
void dns__scope_sandbox(struct dns_engine *eng, const char *sandbox_id, struct dns_scope *out);
/* name lookup (lowercase, no trailing dot) or PTR when qname is a reverse name */
void dns__lookup(struct dns_scope *s, const char *qname, bool ptr, struct dns_found *out);
/* the names of one owner on one network (for inspect), NULL when none */
const struct dns_entry *dns__entry_find(const struct dns_table *t, const char *owner);
void dns__tables_free(struct dns_engine *eng);

/* ---- upstreams, cache, forwarding (dns_fwd.c) ---------------------------------- */

struct dns_upstream {
	struct sockaddr_storage sa;
	socklen_t salen;
	char text[INET6_ADDRSTRLEN + 8];
	uint64_t dead_until;             /* loop ms; 0 = alive */
	uint64_t sent, answered, timeouts;
};

struct dns_cache_entry {
	struct dns_cache_entry *next;
	char *key;
	ldns_pkt *pkt;
	uint32_t *ttls;                  /* as received, answer+authority+additional */
	size_t nttls;
	uint64_t stored_ms, expires_ms;
};

/* Where a reply goes: a listener's UDP socket and the peer, or a TCP
 * connection. Holds a reference on what it names. */
struct dns_listener;
struct dns_conn;
struct dns_client {
	struct dns_listener *l;          /* UDP: the listener (ref) */
	struct dns_conn *c;              /* TCP: the connection (ref) */
	struct sockaddr_storage peer;
	size_t max;                      /* largest reply it takes (UDP: 512 or its EDNS size) */
};

struct dns_engine {
	struct netd *d;
	/* the resolver's thread: its loop, a wake-up, the lock (see above) */
	uv_loop_t loop;
	uv_async_t wake;
	pthread_t thread;
	bool running;                    /* the thread runs: handles live on loop */
	bool stopping;
	pthread_mutex_t mu;              /* zeroed = initialised (glibc) */
	atomic_int waiters;              /* main loop waiting for mu: the thread yields */
	char host_search_main[512];      /* host_search as the main loop last read it */
	bool default_bridge;             /* dns-default-bridge: names on the default bridge too */
	struct dns_table *tables;
	uint64_t gen;                    /* bumps on every name change */
	struct dns_listener *listeners;
	size_t nlisteners;
	struct dns_upstream ups[64];     /* every upstream anyone named */
	size_t nups;
	/* the host's resolv.conf */
	char resolv_path[PATH_MAX];
	struct timespec resolv_mtime;
	uint64_t resolv_checked_ms;
	size_t host_ups[DNS_MAX_UPSTREAMS], nhost_ups;
	char host_search[512];           /* its search list, space separated */
	char resolv_error[256];
	/* the cache */
	struct dns_cache_entry **cache;
	size_t cache_buckets, cache_n;
	/* counters */
	uint64_t queries, answered_local, forwarded, cache_hits, nxdomain, servfail, refused_busy, truncated;
	size_t inflight, tcp_conns;
	uint64_t lat_hist[8];            /* local answers: <10us,<50,<100,<250,<500,<1ms,<10ms,more */
	/* every listener's UDP datagrams land here: each is handled (answered,
	 * or copied into a forward) before the next one is read */
	uint8_t rbuf[65536];
};

/* the loop the engine's handles live on: the thread's, or (unit tests, no
 * thread) the daemon's */
uv_loop_t *dns__loop(struct dns_engine *eng);
/* from the main loop: every access to the engine is inside these */
void dns__lock(struct dns_engine *eng);
void dns__unlock(struct dns_engine *eng);
/* ... after making or closing handles on the thread's loop: the thread
 * wakes so that they take effect (a table change needs no wake-up) */
void dns__unlock_wake(struct dns_engine *eng);

uint64_t dns__now_ms(struct dns_engine *eng);
/* index of the upstream for an address ("IP" or "IP#port"), added when new; -1 on bad input */
int dns__upstream_index(struct dns_engine *eng, const char *addr);
/* the host's upstreams, re-read when resolv.conf changed (checked at most once a second) */
void dns__host_refresh(struct dns_engine *eng, bool force);
/* Forwards the client's query (ownership of client's references moves in).
 * ups: the order to try. tcp: over TCP. */
void dns__forward(struct dns_engine *eng, struct dns_client *cl, const uint8_t *q, size_t qlen, ldns_pkt *qp,
		  const size_t *ups, size_t nups, bool tcp);
/* A cached answer to qp as wire bytes for the client (free *out), false when none. */
bool dns__cache_get(struct dns_engine *eng, ldns_pkt *qp, size_t max, uint8_t **out, size_t *outlen);
void dns__cache_free(struct dns_engine *eng);

/* ---- answering (dns_answer.c) ---------------------------------------------------- */

enum dns_unknown { DNS_UNKNOWN_FORWARD, DNS_UNKNOWN_REFUSE };
/* One query from a client: answered at once (reply called) or forwarded.
 * ups/nups: this client's upstreams (a container's --dns), 0 = the host's. */
void dns__handle(struct dns_engine *eng, struct dns_client *cl, struct dns_scope *scope, const uint8_t *q,
		 size_t qlen, bool tcp, enum dns_unknown unknown, const size_t *ups, size_t nups);
/* Sends wire bytes to the client and drops its references. */
void dns__reply(struct dns_client *cl, const uint8_t *w, size_t n);
void dns__client_drop(struct dns_client *cl);
/* An error reply (SERVFAIL, REFUSED, FORMERR) to q, built with ldns. */
void dns__reply_rcode(struct dns_client *cl, const uint8_t *q, size_t qlen, ldns_pkt_rcode rcode);

/* ---- listeners (dns_listen.c) ----------------------------------------------------- */

struct dns_listener {
	struct dns_listener *next;
	struct dns_engine *eng;
	char sandbox_id[ND_ID_LEN + 1];
	uv_udp_t udp;
	uv_tcp_t tcp;
	unsigned refs;                   /* clients in flight, TCP connections */
	int open_handles;
	bool closing;
	char network_id[ND_ID_LEN + 1];  /* a gateway listener's network ("" for a sandbox's) */
	bool has_tcp;
	uint16_t udp_port, tcp_port;     /* on 127.0.0.11; DNAT'd from :53 */
	bool redirected;                 /* false: bound to :53 itself */
	uint64_t scope_gen;
	struct dns_scope scope;
	size_t ups[DNS_MAX_UPSTREAMS], nups; /* the container's --dns; 0 = the host's */
	uint64_t queries;
};

struct dns_conn {
	uv_tcp_t h;
	uv_timer_t idle;
	struct dns_listener *l;
	unsigned refs;
	int open_handles;
	bool closing;
	uint8_t *buf;
	size_t len, cap;
};

void dns__listener_ref(struct dns_listener *l);
void dns__listener_unref(struct dns_listener *l);
void dns__conn_unref(struct dns_conn *c);
void dns__conn_send(struct dns_conn *c, const uint8_t *w, size_t n);
/* opens the sockets inside the sandbox's namespace (a short-lived thread);
 * called WITHOUT the lock: it takes it only to put the sockets on the loop */
int dns__listener_open(struct dns_engine *eng, const struct nd_sandbox_rec *sb, struct nd_error *err);
struct dns_listener *dns__listener_find(struct dns_engine *eng, const char *sandbox_id);
/* a network's gateway listener (UDP, host side, for CNI callers): NULL when it cannot bind */
struct dns_listener *dns__gateway_open(struct dns_engine *eng, const char *network_id, const char *addr);
void dns__listener_close(struct dns_listener *l);
