// SPDX-License-Identifier: Apache-2.0
/* The cluster store inside netd: the etcd client, its lease session and its
 * watch of ND_CLUSTER_PREFIX, bridged to the loop. The session and watch
 * threads only enqueue messages and wake the loop (uv_async); the loop
 * drains the queue and calls the upper layer's hooks. See cluster.h. */
#include "netd/core/cluster.h"
#include "netd/core/daemon.h"
#include "netd/core/job.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <ifaddrs.h>
#include <limits.h>
#include <net/if.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>

/* Messages queued for the loop while nobody listens before the oldest are
 * dropped and a full resync is made instead (a netd without a global-scope
 * user would otherwise queue every change forever). */
#define CLUSTER_QUEUE_MAX 4096
/* how long netd's start waits for etcd's first answer */
#define CLUSTER_START_WAIT_MS 2000
#define CLUSTER_JOB_TIMEOUT_MS 5000   /* a job's request: etcd's own client default */

enum cmsg_type { M_RESYNC, M_EVENTS, M_LEASE, M_HEALTH };

struct cmsg {
	struct cmsg *next;
	enum cmsg_type type;
	int64_t rev;
	int64_t lease;
	bool healthy;
	size_t n;
	struct nd_etcd_kv *kvs;          /* M_RESYNC */
	struct nd_etcd_event *evs;       /* M_EVENTS */
};

struct netd_cluster {
	struct netd *d;
	struct nd_etcd *etcd;
	struct nd_etcd_session *session;
	struct nd_etcd_watch *watch;
	char advertise[INET6_ADDRSTRLEN];
	char lease_file[PATH_MAX];
	uv_async_t async;
	bool async_open;
	bool closed;                     /* under mu: the async handle is closed, send nothing */
	pthread_mutex_t mu;              /* guards the queue and last_error */
	struct cmsg *head, *tail;
	size_t queued;
	bool dropped;                    /* the queue overflowed: resync when hooks come */
	char last_error[ND_ERROR_MSG_MAX];
	atomic_int session_health, watch_health;
	atomic_bool healthy;
	atomic_llong lease;
	int64_t rev;                     /* loop thread: last revision delivered */
	bool hooks_set;
	struct netd_cluster_hooks hooks;
};

/* ---- the queue (any thread) -------------------------------------------------- */

static void cmsg_free(struct cmsg *m)
{
	if (!m)
		return;
	nd_etcd_kvs_free(m->kvs, m->n);
	if (m->evs) {
		for (size_t i = 0; i < m->n; i++)
			nd_etcd_kv_clear(&m->evs[i].kv);
		free(m->evs);
	}
	free(m);
}

static void enqueue(struct netd_cluster *c, struct cmsg *m)
{
	pthread_mutex_lock(&c->mu);
	if (c->closed) {
		/* shutting down: the loop no longer listens */
		pthread_mutex_unlock(&c->mu);
		cmsg_free(m);
		return;
	}
	if (!c->hooks_set && c->queued >= CLUSTER_QUEUE_MAX) {
		/* nobody listens yet: forget the changes, resync later */
		for (struct cmsg *x = c->head, *nx; x; x = nx) {
			nx = x->next;
			cmsg_free(x);
		}
		c->head = c->tail = NULL;
		c->queued = 0;
		c->dropped = true;
	}
	if (c->tail)
		c->tail->next = m;
	else
		c->head = m;
	c->tail = m;
	c->queued++;
	uv_async_send(&c->async);    /* under mu: never after netd_cluster_close */
	pthread_mutex_unlock(&c->mu);
}

static bool kv_copy(struct nd_etcd_kv *dst, const struct nd_etcd_kv *src)
{
	*dst = *src;
	dst->key = strdup(src->key ? src->key : "");
	dst->value = malloc(src->value_len + 1);
	if (!dst->key || !dst->value) {
		nd_etcd_kv_clear(dst);
		return false;
	}
	memcpy(dst->value, src->value ? src->value : "", src->value_len);
	dst->value[src->value_len] = '\0';
	return true;
}

static void update_health(struct netd_cluster *c, const struct nd_error *why)
{
	bool h = atomic_load(&c->session_health) == ND_ETCD_HEALTHY &&
		 atomic_load(&c->watch_health) != ND_ETCD_UNREACHABLE;
	if (why) {
		pthread_mutex_lock(&c->mu);
		snprintf(c->last_error, sizeof(c->last_error), "%s", why->msg);
		pthread_mutex_unlock(&c->mu);
	}
	if (atomic_exchange(&c->healthy, h) == h)
		return;
	if (h)
		log_info("cluster store %s healthy", nd_etcd_url(c->etcd));
	else
		log_warn("cluster store unhealthy: %s", why ? why->msg : "?");
	struct cmsg *m = calloc(1, sizeof(*m));
	if (!m)
		return;
	m->type = M_HEALTH;
	m->healthy = h;
	enqueue(c, m);
}

/* ---- callbacks of the session and watch threads ---------------------------------- */

static void on_session_state(void *ud, enum nd_etcd_health h, const struct nd_error *why)
{
	struct netd_cluster *c = ud;
	atomic_store(&c->session_health, (int)h);
	update_health(c, why);
}

static void on_watch_state(void *ud, enum nd_etcd_health h, const struct nd_error *why)
{
	struct netd_cluster *c = ud;
	atomic_store(&c->watch_health, (int)h);
	update_health(c, why);
}

static void save_lease(struct netd_cluster *c, int64_t lease)
{
	char tmp[PATH_MAX + 8], buf[32];
	snprintf(tmp, sizeof(tmp), "%s.tmp", c->lease_file);
	int len = snprintf(buf, sizeof(buf), "%lld\n", (long long)lease);
	_cleanup_close_ int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0 || nd_write_all(fd, buf, (size_t)len) < 0 || rename(tmp, c->lease_file) < 0)
		log_warn("cluster: cannot record the lease in %s: %s", c->lease_file, strerror(errno));
}

static void on_session_lease(void *ud, int64_t lease)
{
	struct netd_cluster *c = ud;
	atomic_store(&c->lease, lease);
	log_info("cluster lease=%llx", (long long)lease);
	save_lease(c, lease);
	struct cmsg *m = calloc(1, sizeof(*m));
	if (!m)
		return;
	m->type = M_LEASE;
	m->lease = lease;
	enqueue(c, m);
}

static void on_watch_resync(void *ud, const struct nd_etcd_kv *kvs, size_t n, int64_t rev)
{
	struct netd_cluster *c = ud;
	struct cmsg *m = calloc(1, sizeof(*m));
	if (!m || (n && !(m->kvs = calloc(n, sizeof(*m->kvs))))) {
		free(m);
		log_error("cluster: out of memory for a resync of %zu keys", n);
		return;
	}
	m->type = M_RESYNC;
	m->rev = rev;
	for (size_t i = 0; i < n; i++, m->n++)
		if (!kv_copy(&m->kvs[i], &kvs[i]))
			break;
	enqueue(c, m);
}

static void on_watch_events(void *ud, const struct nd_etcd_event *evs, size_t n, int64_t rev)
{
	struct netd_cluster *c = ud;
	struct cmsg *m = calloc(1, sizeof(*m));
	if (!m || !(m->evs = calloc(n, sizeof(*m->evs)))) {
		free(m);
		log_error("cluster: out of memory for %zu events", n);
		return;
	}
	m->type = M_EVENTS;
	m->rev = rev;
	for (size_t i = 0; i < n; i++, m->n++) {
		m->evs[i].type = evs[i].type;
		if (!kv_copy(&m->evs[i].kv, &evs[i].kv))
			break;
	}
	enqueue(c, m);
}

/* ---- the loop side ------------------------------------------------------------------ */

static void deliver(struct netd_cluster *c, struct cmsg *m)
{
	struct netd *d = c->d;
	switch (m->type) {
	case M_RESYNC:
		c->rev = m->rev;
		if (c->hooks.on_resync)
			c->hooks.on_resync(d, m->kvs, m->n, m->rev);
		break;
	case M_EVENTS: {
		/* after a catch-up resync, events it already covers are skipped */
		size_t first = 0;
		while (first < m->n && m->evs[first].kv.mod_rev <= c->rev)
			first++;
		if (first < m->n) {
			c->rev = m->rev;
			if (c->hooks.on_events)
				c->hooks.on_events(d, m->evs + first, m->n - first, m->rev);
		}
		break;
	}
	case M_LEASE:
		if (c->hooks.on_lease)
			c->hooks.on_lease(d, m->lease);
		break;
	case M_HEALTH:
		if (c->hooks.on_health)
			c->hooks.on_health(d, m->healthy);
		break;
	}
}

static void on_async(uv_async_t *a)
{
	struct netd_cluster *c = a->data;
	for (;;) {
		pthread_mutex_lock(&c->mu);
		if (!c->hooks_set) {
			pthread_mutex_unlock(&c->mu);
			return;
		}
		struct cmsg *m = c->head;
		if (m) {
			c->head = m->next;
			if (!c->head)
				c->tail = NULL;
			c->queued--;
		}
		pthread_mutex_unlock(&c->mu);
		if (!m)
			return;
		deliver(c, m);
		cmsg_free(m);
	}
}

/* ---- a catch-up resync after the queue overflowed ------------------------------------- */

struct resync_job {
	struct nd_job j;
	struct netd_cluster *c;
};

static void resync_work(struct nd_job *j)
{
	struct resync_job *r = (struct resync_job *)j;
	struct nd_etcd_kv *kvs = NULL;
	size_t n = 0;
	int64_t rev = 0;
	struct nd_error err = { 0 };
	/* until it works: the watch keeps the later changes queued meanwhile */
	while (nd_etcd_range(r->c->etcd, ND_CLUSTER_PREFIX, true, &kvs, &n, &rev, &err) < 0 &&
	       !r->c->d->shutting_down)
		usleep(500 * 1000);
	if (rev)
		on_watch_resync(r->c, kvs, n, rev);
	nd_etcd_kvs_free(kvs, n);
}

static void resync_done(struct nd_job *j)
{
	free(j);
}

/* ---- advertise address ------------------------------------------------------------------ */

static int advertise_resolve(const char *spec, char out[INET6_ADDRSTRLEN], struct nd_error *err)
{
	char buf[INET6_ADDRSTRLEN + 8];
	unsigned char a[16];
	snprintf(buf, sizeof(buf), "%s", spec);
	char *colon = strrchr(buf, ':');
	if (colon && strchr(buf, ':') == colon)
		*colon = '\0';       /* Docker's ADDR:PORT / IFACE:PORT */
	if (inet_pton(AF_INET, buf, a) == 1 || inet_pton(AF_INET6, buf, a) == 1) {
		snprintf(out, INET6_ADDRSTRLEN, "%s", buf);
		return 0;
	}
	struct ifaddrs *ifa = NULL;
	if (getifaddrs(&ifa) < 0)
		return nd_error_set(err, -errno, "cluster-advertise %s: getifaddrs: %s", spec, strerror(errno));
	bool found = false, up = false;
	out[0] = '\0';
	/* the first IPv4 address, else the first global IPv6 one */
	for (int pass = 0; pass < 2 && !out[0]; pass++) {
		for (struct ifaddrs *i = ifa; i; i = i->ifa_next) {
			if (strcmp(i->ifa_name, buf))
				continue;
			found = true;
			up |= (i->ifa_flags & IFF_UP) != 0;
			if (!i->ifa_addr)
				continue;
			if (pass == 0 && i->ifa_addr->sa_family == AF_INET) {
				inet_ntop(AF_INET, &((struct sockaddr_in *)i->ifa_addr)->sin_addr, out, INET6_ADDRSTRLEN);
				break;
			}
			if (pass == 1 && i->ifa_addr->sa_family == AF_INET6) {
				struct in6_addr *a6 = &((struct sockaddr_in6 *)i->ifa_addr)->sin6_addr;
				if (IN6_IS_ADDR_LINKLOCAL(a6))
					continue;
				inet_ntop(AF_INET6, a6, out, INET6_ADDRSTRLEN);
				break;
			}
		}
	}
	freeifaddrs(ifa);
	if (!found)
		return nd_error_set(err, -ENODEV, "cluster-advertise %s: no such interface", spec);
	if (!out[0])
		return nd_error_set(err, -EADDRNOTAVAIL, "cluster-advertise %s: the interface has no address%s", spec,
				    up ? "" : " (and is down)");
	return 0;
}

/* ---- start / stop ---------------------------------------------------------------------- */

static int64_t load_lease(const char *path)
{
	_cleanup_fclose_ FILE *f = fopen(path, "re");
	long long v = 0;
	if (!f || fscanf(f, "%lld", &v) != 1)
		return 0;
	return v > 0 ? (int64_t)v : 0;
}

int netd_cluster_start(struct netd *d, struct nd_error *err)
{
	const struct netd_config *cfg = &d->cfg;
	int rc;
	if (!cfg->cluster_store)
		return 0;
	struct netd_cluster *c = calloc(1, sizeof(*c));
	if (!c)
		return nd_error_set(err, -ENOMEM, "out of memory");
	c->d = d;
	pthread_mutex_init(&c->mu, NULL);
	atomic_init(&c->session_health, ND_ETCD_CONNECTING);
	atomic_init(&c->watch_health, ND_ETCD_CONNECTING);
	atomic_init(&c->healthy, false);
	atomic_init(&c->lease, 0);
	snprintf(c->lease_file, sizeof(c->lease_file), "%s/cluster.lease", cfg->exec_root);
	if ((rc = advertise_resolve(cfg->cluster_advertise, c->advertise, err)) < 0)
		goto fail;
	struct nd_etcd_opts o = {
		.endpoints = cfg->cluster_store,
		.cacert = cfg->cluster_store_cacert,
		.cert = cfg->cluster_store_cert,
		.key = cfg->cluster_store_key,
	};
	if ((rc = nd_etcd_new(&o, &c->etcd, err)) < 0) {
		nd_error_wrap(err, "cluster-store");
		goto fail;
	}
	if ((rc = uv_async_init(d->loop, &c->async, on_async)) < 0) {
		rc = nd_error_set(err, rc, "cluster: uv_async_init: %s", uv_strerror(rc));
		goto fail;
	}
	c->async.data = c;
	c->async_open = true;
	d->cluster = c;
	struct nd_etcd_session_cbs scb = { .on_state = on_session_state, .on_lease = on_session_lease, .ud = c };
	if ((rc = nd_etcd_session_start_lease(c->etcd, cfg->cluster_lease_ttl, load_lease(c->lease_file), &scb,
					      &c->session, err)) < 0)
		return rc;   /* d->cluster is set: netd_cluster_stop cleans up */
	struct nd_etcd_watch_cbs wcb = { .on_events = on_watch_events, .on_resync = on_watch_resync,
					 .on_state = on_watch_state, .ud = c };
	if ((rc = nd_etcd_watch_start(c->etcd, ND_CLUSTER_PREFIX, 0, &wcb, &c->watch, err)) < 0)
		return rc;
	/* Before the loop runs: wait (bounded) until the session has its lease
	 * and the watch its first resync, so that a netd that answers its API
	 * is in step with the cluster, not "connecting". The bound covers a
	 * fresh underlay (the first SYNs wait for ARP, ~1 s); etcd down costs
	 * at most the bound, then netd starts and keeps trying. */
	uint64_t t0 = nd_now_ns();
	while (!(atomic_load(&c->session_health) == ND_ETCD_HEALTHY &&
		 atomic_load(&c->watch_health) == ND_ETCD_HEALTHY) &&
	       nd_now_ns() - t0 < CLUSTER_START_WAIT_MS * 1000000ULL)
		usleep(2000);
	log_info("cluster store=%s advertise=%s lease-ttl=%d tls=%s state=%s first-answer-ms=%llu", nd_etcd_url(c->etcd),
		 c->advertise, cfg->cluster_lease_ttl, nd_etcd_tls(c->etcd) ? "yes" : "no",
		 atomic_load(&c->healthy) ? "healthy" : "unreachable",
		 (unsigned long long)((nd_now_ns() - t0) / 1000000));
	return 0;
fail:
	nd_etcd_free(c->etcd);
	pthread_mutex_destroy(&c->mu);
	free(c);
	return rc;
}

void netd_cluster_close(struct netd *d)
{
	struct netd_cluster *c = d->cluster;
	if (!c)
		return;
	pthread_mutex_lock(&c->mu);
	bool was = c->closed;
	c->closed = true;
	pthread_mutex_unlock(&c->mu);
	if (!was && c->async_open && !uv_is_closing((uv_handle_t *)&c->async))
		uv_close((uv_handle_t *)&c->async, NULL);
}

void netd_cluster_stop(struct netd *d)
{
	struct netd_cluster *c = d->cluster;
	if (!c)
		return;
	pthread_mutex_lock(&c->mu);
	c->closed = true;
	pthread_mutex_unlock(&c->mu);
	nd_etcd_watch_stop(c->watch);
	nd_etcd_session_stop(c->session, false);
	if (c->async_open && !uv_is_closing((uv_handle_t *)&c->async)) {
		/* the loop did not close it (a failed start): close and let it run once */
		uv_close((uv_handle_t *)&c->async, NULL);
		uv_run(d->loop, UV_RUN_NOWAIT);
	}
	for (struct cmsg *m = c->head, *nx; m; m = nx) {
		nx = m->next;
		cmsg_free(m);
	}
	nd_etcd_free(c->etcd);
	pthread_mutex_destroy(&c->mu);
	free(c);
	d->cluster = NULL;
}

void netd_cluster_set_hooks(struct netd *d, const struct netd_cluster_hooks *h)
{
	struct netd_cluster *c = d->cluster;
	if (!c)
		return;
	pthread_mutex_lock(&c->mu);
	c->hooks = *h;
	c->hooks_set = true;
	bool dropped = c->dropped;
	c->dropped = false;
	bool closed = c->closed;
	if (!closed)
		uv_async_send(&c->async);
	pthread_mutex_unlock(&c->mu);
	if (dropped && !d->shutting_down) {
		struct resync_job *r = calloc(1, sizeof(*r));
		if (r) {
			r->c = c;
			r->j.work = resync_work;
			r->j.done = resync_done;
			nd_job_queue(d->loop, &r->j);
		}
	}
}

/* ---- queries ------------------------------------------------------------------------------ */

bool netd_cluster_configured(const struct netd *d)
{
	return d->cluster != NULL;
}

bool netd_cluster_healthy(const struct netd *d)
{
	return d->cluster && atomic_load(&d->cluster->healthy);
}

int64_t netd_cluster_lease(const struct netd *d)
{
	return d->cluster ? atomic_load(&d->cluster->lease) : 0;
}

int64_t netd_cluster_rev(const struct netd *d)
{
	return d->cluster ? d->cluster->rev : 0;
}

const char *netd_cluster_advertise(const struct netd *d)
{
	return d->cluster ? d->cluster->advertise : NULL;
}

struct nd_etcd *netd_cluster_etcd(const struct netd *d)
{
	return d->cluster ? d->cluster->etcd : NULL;
}

int netd_cluster_check(const struct netd *d, struct nd_error *err)
{
	struct netd_cluster *c = d->cluster;
	if (!c)
		return nd_error_set(err, -ENOTSUP, "global-scope networks need a cluster store: start netd with "
				    "--cluster-store etcd://HOST:PORT and --cluster-advertise ADDR");
	if (atomic_load(&c->healthy))
		return 0;
	pthread_mutex_lock(&c->mu);
	int rc;
	if (atomic_load(&c->session_health) == ND_ETCD_CONNECTING && !c->last_error[0])
		rc = nd_error_set(err, -ECONNREFUSED, "cluster store %s: not connected yet", nd_etcd_url(c->etcd));
	else if (nd_str_has_prefix(c->last_error, "cluster store "))
		rc = nd_error_set(err, strstr(c->last_error, "timed out") ? -ETIMEDOUT : -ECONNREFUSED, "%s",
				  c->last_error);
	else
		rc = nd_error_set(err, -ECONNREFUSED, "cluster store %s unreachable: %s", nd_etcd_url(c->etcd),
				  c->last_error[0] ? c->last_error : "no answer");
	pthread_mutex_unlock(&c->mu);
	return rc;
}

/* ---- blocking calls in the pool ------------------------------------------------------------ */

struct run_job {
	struct nd_job j;
	struct netd *d;
	netd_cluster_fn fn;
	netd_cluster_done_fn done;
	void *arg;
	int rc;
	struct nd_error err;
};

static void run_work(struct nd_job *j)
{
	struct run_job *r = (struct run_job *)j;
	/* a user waits on this (create, connect, address CAS): etcd may take a
	 * few seconds under load (its own client waits 5 s) before that reads
	 * as an outage; an etcd that is away still fails at connect, at once */
	nd_etcd_thread_request_timeout(CLUSTER_JOB_TIMEOUT_MS);
	r->rc = r->fn(r->d->cluster->etcd, r->arg, &r->err);
}

static void run_done(struct nd_job *j)
{
	struct run_job *r = (struct run_job *)j;
	if (r->done)
		r->done(r->d, r->arg, r->rc, &r->err);
	free(r);
}

int netd_cluster_run(struct netd *d, netd_cluster_fn fn, netd_cluster_done_fn done, void *arg, struct nd_error *err)
{
	int rc = netd_cluster_check(d, err);
	if (rc < 0)
		return rc;
	struct run_job *r = calloc(1, sizeof(*r));
	if (!r)
		return nd_error_set(err, -ENOMEM, "out of memory");
	r->d = d;
	r->fn = fn;
	r->done = done;
	r->arg = arg;
	r->j.work = run_work;
	r->j.done = run_done;
	nd_job_queue(d->loop, &r->j);
	return 0;
}

/* ---- GET /info ---------------------------------------------------------------------------- */

json_t *netd_cluster_info_json(const struct netd *d)
{
	struct netd_cluster *c = d->cluster;
	if (!c)
		return NULL;
	json_t *eps = json_array();
	for (size_t i = 0; i < nd_etcd_endpoint_count(c->etcd); i++)
		json_array_append_new(eps, json_string(nd_etcd_endpoint_at(c->etcd, i)));
	bool healthy = atomic_load(&c->healthy);
	const char *state = healthy ? "healthy"
			    : atomic_load(&c->session_health) == ND_ETCD_CONNECTING ? "connecting" : "unreachable";
	int64_t lease = atomic_load(&c->lease);
	char lease_hex[24], lease_dec[24];
	snprintf(lease_hex, sizeof(lease_hex), "%llx", (long long)lease);
	snprintf(lease_dec, sizeof(lease_dec), "%lld", (long long)lease);
	/* the lease as etcdctl prints it (hex) and as the v3 API takes it
	 * (decimal, a string: it does not fit a double) */
	json_t *j = json_pack("{s:s, s:o, s:s, s:b, s:b, s:s, s:s, s:s, s:i, s:I, s:I, s:s, s:s}",
			      "Store", nd_etcd_url(c->etcd), "Endpoints", eps, "Endpoint", nd_etcd_endpoint(c->etcd),
			      "TLS", nd_etcd_tls(c->etcd), "Healthy", healthy, "State", state,
			      "Lease", lease_hex, "LeaseID", lease_dec, "LeaseTTL", d->cfg.cluster_lease_ttl,
			      "Revision", (json_int_t)c->rev,
			      "WatchRevision", (json_int_t)nd_etcd_watch_rev(c->watch),
			      "Advertise", c->advertise, "Prefix", ND_CLUSTER_PREFIX);
	if (!healthy) {
		pthread_mutex_lock(&c->mu);
		json_object_set_new(j, "Error", json_string(c->last_error));
		pthread_mutex_unlock(&c->mu);
	}
	return j;
}
