// SPDX-License-Identifier: Apache-2.0
/* The long-lived parts of the etcd client, each a thread of its own: the
 * lease session (grant, keepalive every ttl/3, re-grant when lost) and the
 * watch (a /v3/watch stream that resumes at last_rev + 1 and resyncs after
 * a compaction). */
#include "cluster/etcd_internal.h"

#include <time.h>

/* ---- an interruptible sleep ---------------------------------------------------- */

struct stopper {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	atomic_bool stop;
};

static void stopper_init(struct stopper *s)
{
	pthread_mutex_init(&s->mu, NULL);
	pthread_condattr_t a;
	pthread_condattr_init(&a);
	pthread_condattr_setclock(&a, CLOCK_MONOTONIC);
	pthread_cond_init(&s->cv, &a);
	pthread_condattr_destroy(&a);
	atomic_init(&s->stop, false);
}

static void stopper_destroy(struct stopper *s)
{
	pthread_cond_destroy(&s->cv);
	pthread_mutex_destroy(&s->mu);
}

static void stopper_fire(struct stopper *s)
{
	pthread_mutex_lock(&s->mu);
	atomic_store(&s->stop, true);
	pthread_cond_broadcast(&s->cv);
	pthread_mutex_unlock(&s->mu);
}

/* false when stopped */
static bool stopper_sleep(struct stopper *s, long ms)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	ts.tv_sec += ms / 1000;
	ts.tv_nsec += (ms % 1000) * 1000000L;
	if (ts.tv_nsec >= 1000000000L) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000L;
	}
	pthread_mutex_lock(&s->mu);
	while (!atomic_load(&s->stop)) {
		if (pthread_cond_timedwait(&s->cv, &s->mu, &ts) == ETIMEDOUT)
			break;
	}
	pthread_mutex_unlock(&s->mu);
	return !atomic_load(&s->stop);
}

/* ---- lease session ---------------------------------------------------------------- */

/* while etcd does not answer: a try every 250 ms (plus the connect timeout) */
#define SESSION_RETRY_MS 250

struct nd_etcd_session {
	struct nd_etcd *e;
	long ttl_s;
	struct nd_etcd_session_cbs cbs;
	pthread_t thread;
	struct stopper st;
	atomic_llong lease;
	atomic_int health;
	int64_t adopt;               /* a lease to try to keep first */
};

static void session_set_health(struct nd_etcd_session *s, enum nd_etcd_health h, const struct nd_error *why)
{
	int old = atomic_exchange(&s->health, (int)h);
	if (old != (int)h && s->cbs.on_state)
		s->cbs.on_state(s->cbs.ud, h, h == ND_ETCD_HEALTHY ? NULL : why);
}

static void *session_main(void *arg)
{
	struct nd_etcd_session *s = arg;
	etcd__thread_connect_floor(ETCD_BACKGROUND_CONNECT_MS);
	/* a keepalive waits up to 2/3 of the TTL for its answer: an etcd that
	 * pauses a second (seen early in its life) is not an outage, and the
	 * lease still gets its keepalive in time */
	nd_etcd_thread_request_timeout(s->ttl_s * 2000 / 3);
	long period = s->ttl_s * 1000 / 3;
	if (period < 100)
		period = 100;
	while (!atomic_load(&s->st.stop)) {
		struct nd_error err = { 0 };
		int64_t lease = atomic_load(&s->lease);
		int rc;
		if (lease == 0 && s->adopt) {
			rc = nd_etcd_lease_keepalive(s->e, s->adopt, NULL, &err);
			if (rc < 0 && rc != -ENOENT) {
				session_set_health(s, ND_ETCD_UNREACHABLE, &err);
				stopper_sleep(&s->st, SESSION_RETRY_MS);
				continue;
			}
			int64_t id = s->adopt;
			s->adopt = 0;
			if (rc == 0) {
				atomic_store(&s->lease, id);
				session_set_health(s, ND_ETCD_HEALTHY, NULL);
				log_debug("etcd lease adopted lease=%llx", (long long)id);
				if (s->cbs.on_lease)
					s->cbs.on_lease(s->cbs.ud, id);
				if (!stopper_sleep(&s->st, period))
					break;
			}
			continue;
		}
		if (lease == 0) {
			int64_t id = 0;
			if ((rc = nd_etcd_lease_grant(s->e, s->ttl_s, &id, &err)) < 0) {
				session_set_health(s, ND_ETCD_UNREACHABLE, &err);
				stopper_sleep(&s->st, SESSION_RETRY_MS);
				continue;
			}
			atomic_store(&s->lease, id);
			session_set_health(s, ND_ETCD_HEALTHY, NULL);
			log_debug("etcd lease granted lease=%llx ttl=%ld", (long long)id, s->ttl_s);
			if (s->cbs.on_lease)
				s->cbs.on_lease(s->cbs.ud, id);
			if (!stopper_sleep(&s->st, period))
				break;
			continue;
		}
		rc = nd_etcd_lease_keepalive(s->e, lease, NULL, &err);
		if (rc == -ENOENT) {
			/* it expired while we could not reach etcd: its keys are gone */
			log_debug("etcd lease lost lease=%llx", (long long)lease);
			atomic_store(&s->lease, 0);
			continue;
		}
		if (rc < 0) {
			session_set_health(s, ND_ETCD_UNREACHABLE, &err);
			stopper_sleep(&s->st, SESSION_RETRY_MS);
			continue;
		}
		session_set_health(s, ND_ETCD_HEALTHY, NULL);
		if (!stopper_sleep(&s->st, period))
			break;
	}
	return NULL;
}

int nd_etcd_session_start(struct nd_etcd *e, long ttl_s, const struct nd_etcd_session_cbs *cbs,
			  struct nd_etcd_session **out, struct nd_error *err)
{
	return nd_etcd_session_start_lease(e, ttl_s, 0, cbs, out, err);
}

int nd_etcd_session_start_lease(struct nd_etcd *e, long ttl_s, int64_t lease, const struct nd_etcd_session_cbs *cbs,
				struct nd_etcd_session **out, struct nd_error *err)
{
	if (ttl_s < 2)
		return nd_error_set(err, -EINVAL, "lease TTL %ld: at least 2 seconds", ttl_s);
	struct nd_etcd_session *s = calloc(1, sizeof(*s));
	if (!s)
		return nd_error_set(err, -ENOMEM, "out of memory");
	s->e = e;
	s->ttl_s = ttl_s;
	s->adopt = lease;
	if (cbs)
		s->cbs = *cbs;
	stopper_init(&s->st);
	atomic_init(&s->lease, 0);
	atomic_init(&s->health, ND_ETCD_CONNECTING);
	int rc = pthread_create(&s->thread, NULL, session_main, s);
	if (rc) {
		stopper_destroy(&s->st);
		free(s);
		return nd_error_set(err, -rc, "lease session thread: %s", strerror(rc));
	}
	*out = s;
	return 0;
}

int64_t nd_etcd_session_lease(const struct nd_etcd_session *s)
{
	return s ? atomic_load(&((struct nd_etcd_session *)s)->lease) : 0;
}

enum nd_etcd_health nd_etcd_session_health(const struct nd_etcd_session *s)
{
	return s ? (enum nd_etcd_health)atomic_load(&((struct nd_etcd_session *)s)->health) : ND_ETCD_CONNECTING;
}

void nd_etcd_session_stop(struct nd_etcd_session *s, bool revoke)
{
	if (!s)
		return;
	stopper_fire(&s->st);
	pthread_join(s->thread, NULL);
	int64_t lease = atomic_load(&s->lease);
	if (revoke && lease) {
		struct nd_error err = { 0 };
		if (nd_etcd_lease_revoke(s->e, lease, &err) < 0)
			log_debug("etcd lease revoke lease=%llx error=\"%s\"", (long long)lease, err.msg);
	}
	stopper_destroy(&s->st);
	free(s);
}

/* ---- watch -------------------------------------------------------------------------- */

struct nd_etcd_watch {
	struct nd_etcd *e;
	char *prefix;
	struct nd_etcd_watch_cbs cbs;
	pthread_t thread;
	struct stopper st;
	atomic_llong rev;            /* last revision delivered */
	atomic_ullong resyncs;
	int health;                  /* the watch thread's own */
	/* one stream's state */
	char *line;
	size_t len, cap;
	bool compacted;              /* the server said: start revision compacted */
	bool canceled;
	bool created;
	struct nd_error stream_err;
};

static void watch_set_health(struct nd_etcd_watch *w, enum nd_etcd_health h, const struct nd_error *why)
{
	if (w->health == (int)h)
		return;
	w->health = (int)h;
	if (w->cbs.on_state)
		w->cbs.on_state(w->cbs.ud, h, h == ND_ETCD_HEALTHY ? NULL : why);
}

/* One {"result": {...}} message. false: stop this stream. */
static bool watch_message(struct nd_etcd_watch *w, const char *line, size_t len)
{
	struct nd_error err = { 0 };
	_cleanup_json_ json_t *j = nd_json_parse(line, len, &err);
	if (!j) {
		nd_error_set(&w->stream_err, -EPROTO, "watch: bad message: %s", err.msg);
		return false;
	}
	json_t *r = json_object_get(j, "result");
	if (!r) {
		json_t *je = json_object_get(j, "error");
		const char *m = json_is_object(je) ? nd_json_str(je, "message") : nd_json_str(j, "error");
		nd_error_set(&w->stream_err, -EPROTO, "watch: %s", m ? m : "no result");
		return false;
	}
	if (json_is_true(json_object_get(r, "created"))) {
		w->created = true;
		/* a store whose revision went back (restored from a backup, or a
		 * new cluster at the same address) would make us wait for
		 * revisions it will reach only much later: resync instead */
		int64_t now = etcd__int(json_object_get(r, "header"), "revision", 0);
		if (now > 0 && now < atomic_load(&w->rev)) {
			log_debug("etcd watch prefix=%s: store revision %lld is behind ours %lld: resync", w->prefix,
				  (long long)now, (long long)atomic_load(&w->rev));
			w->compacted = true;
			return false;
		}
		watch_set_health(w, ND_ETCD_HEALTHY, NULL);
	}
	if (json_is_true(json_object_get(r, "canceled"))) {
		w->canceled = true;
		if (etcd__int(r, "compact_revision", 0) > 0)
			w->compacted = true;
		else
			nd_error_set(&w->stream_err, -ECONNRESET, "watch canceled by the server: %s",
				     nd_json_str(r, "cancel_reason") ? nd_json_str(r, "cancel_reason") : "no reason");
		return false;
	}
	json_t *evs = json_object_get(r, "events");
	size_t n = json_array_size(evs);
	if (n == 0)
		return true;
	struct nd_etcd_event *ev = calloc(n, sizeof(*ev));
	if (!ev) {
		nd_error_set(&w->stream_err, -ENOMEM, "out of memory");
		return false;
	}
	size_t got = 0;
	int64_t last = atomic_load(&w->rev);
	for (size_t i = 0; i < n; i++) {
		json_t *je = json_array_get(evs, i);
		const char *type = nd_json_str(je, "type");
		if (etcd__kv_from_json(json_object_get(je, "kv"), &ev[got].kv) < 0)
			continue;
		ev[got].type = type && !strcmp(type, "DELETE") ? ND_ETCD_EV_DELETE : ND_ETCD_EV_PUT;
		if (ev[got].kv.mod_rev <= last) {
			/* already delivered (cannot happen with a correct resume; be safe) */
			nd_etcd_kv_clear(&ev[got].kv);
			continue;
		}
		got++;
	}
	if (got) {
		int64_t rev = ev[got - 1].kv.mod_rev;
		if (w->cbs.on_events)
			w->cbs.on_events(w->cbs.ud, ev, got, rev);
		atomic_store(&w->rev, rev);
	}
	for (size_t i = 0; i < got; i++)
		nd_etcd_kv_clear(&ev[i].kv);
	free(ev);
	return true;
}

static size_t watch_write(char *data, size_t size, size_t nmemb, void *ud)
{
	struct nd_etcd_watch *w = ud;
	size_t n = size * nmemb;
	if (w->len + n + 1 > w->cap) {
		size_t cap = w->cap ? w->cap * 2 : 8192;
		while (cap < w->len + n + 1)
			cap *= 2;
		char *p = realloc(w->line, cap);
		if (!p)
			return 0;
		w->line = p;
		w->cap = cap;
	}
	memcpy(w->line + w->len, data, n);
	w->len += n;
	/* the gateway writes one JSON message per line */
	size_t start = 0;
	for (size_t i = 0; i < w->len; i++) {
		if (w->line[i] != '\n')
			continue;
		if (i > start && !watch_message(w, w->line + start, i - start))
			return 0;       /* aborts the transfer */
		start = i + 1;
	}
	memmove(w->line, w->line + start, w->len - start);
	w->len -= start;
	return n;
}

static int watch_progress(void *ud, curl_off_t dt, curl_off_t dn, curl_off_t ut, curl_off_t un)
{
	struct nd_etcd_watch *w = ud;
	return atomic_load(&w->st.stop) ? 1 : 0;
}

/* Full range of the prefix -> on_resync; then rev is the new start. */
static int watch_resync(struct nd_etcd_watch *w, struct nd_error *err)
{
	struct nd_etcd_kv *kvs = NULL;
	size_t n = 0;
	int64_t rev = 0;
	int rc = nd_etcd_range(w->e, w->prefix, true, &kvs, &n, &rev, err);
	if (rc < 0)
		return rc;
	if (w->cbs.on_resync)
		w->cbs.on_resync(w->cbs.ud, kvs, n, rev);
	nd_etcd_kvs_free(kvs, n);
	atomic_store(&w->rev, rev);
	atomic_fetch_add(&w->resyncs, 1);
	return 0;
}

/* One stream from rev + 1 until it breaks. 0: ended (error in err). */
static int watch_stream(struct nd_etcd_watch *w, size_t i, struct nd_error *err)
{
	char url[512], errbuf[CURL_ERROR_SIZE] = "";
	_cleanup_free_ char *k = etcd__b64(w->prefix, strlen(w->prefix));
	_cleanup_free_ char *end = etcd__range_end_b64(w->prefix);
	_cleanup_json_ json_t *req = json_pack("{s:{s:s, s:s, s:o, s:b}}", "create_request", "key", k ? k : "",
					       "range_end", end ? end : "", "start_revision",
					       json_sprintf("%lld", (long long)(atomic_load(&w->rev) + 1)),
					       "progress_notify", 1);
	_cleanup_free_ char *body = json_dumps(req, JSON_COMPACT);
	CURL *h = etcd__easy(w->e, i, "/v3/watch", url, sizeof(url));
	if (!h || !body) {
		if (h)
			curl_easy_cleanup(h);
		return nd_error_set(err, -ENOMEM, "out of memory");
	}
	struct curl_slist *hdrs = curl_slist_append(NULL, "Content-Type: application/json");
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdrs);
	curl_easy_setopt(h, CURLOPT_POSTFIELDS, body);
	curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, 0L);          /* a stream: no overall limit */
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, watch_write);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, w);
	curl_easy_setopt(h, CURLOPT_NOPROGRESS, 0L);
	curl_easy_setopt(h, CURLOPT_XFERINFOFUNCTION, watch_progress);
	curl_easy_setopt(h, CURLOPT_XFERINFODATA, w);
	curl_easy_setopt(h, CURLOPT_ERRORBUFFER, errbuf);
	curl_easy_setopt(h, CURLOPT_FORBID_REUSE, 1L);        /* its own connection, closed after */
	w->len = 0;
	w->compacted = w->canceled = w->created = false;
	nd_error_clear(&w->stream_err);
	CURLcode cc = curl_easy_perform(h);
	int rc;
	if (w->compacted)
		rc = -ERANGE;
	else if (w->stream_err.code)
		rc = nd_error_set(err, w->stream_err.code, "cluster store %s: %s", w->e->url, w->stream_err.msg);
	else if (cc == CURLE_ABORTED_BY_CALLBACK)
		rc = nd_error_set(err, -ECANCELED, "stopped");
	else if (cc != CURLE_OK)
		rc = etcd__curl_error(w->e, h, cc, errbuf, err);
	else
		rc = nd_error_set(err, -ECONNRESET, "cluster store %s unreachable: the connection was closed", w->e->url);
	if (rc != -ERANGE && !w->created && cc != CURLE_OK && cc != CURLE_ABORTED_BY_CALLBACK &&
	    etcd__failover_ok(h, cc))
		atomic_store(&w->e->cur, (i + 1) % w->e->nhosts);   /* try the next member next time */
	curl_slist_free_all(hdrs);
	curl_easy_cleanup(h);
	return rc;
}

static void *watch_main(void *arg)
{
	struct nd_etcd_watch *w = arg;
	etcd__thread_connect_floor(ETCD_BACKGROUND_CONNECT_MS);
	long backoff = 100;
	bool need_resync = atomic_load(&w->rev) < 0;
	if (need_resync)
		atomic_store(&w->rev, 0);
	while (!atomic_load(&w->st.stop)) {
		struct nd_error err = { 0 };
		if (need_resync) {
			if (watch_resync(w, &err) < 0) {
				watch_set_health(w, ND_ETCD_UNREACHABLE, &err);
				if (!stopper_sleep(&w->st, backoff))
					break;
				backoff = backoff * 2 > 2000 ? 2000 : backoff * 2;
				continue;
			}
			need_resync = false;
			watch_set_health(w, ND_ETCD_HEALTHY, NULL);
		}
		size_t i = atomic_load(&w->e->cur) % w->e->nhosts;
		int rc = watch_stream(w, i, &err);
		if (atomic_load(&w->st.stop))
			break;
		if (rc == -ERANGE) {
			log_debug("etcd watch prefix=%s rev=%lld compacted: resync", w->prefix,
				  (long long)atomic_load(&w->rev));
			need_resync = true;
			backoff = 100;
			continue;
		}
		if (w->created)
			backoff = 100;         /* it worked for a while: come back quickly */
		watch_set_health(w, ND_ETCD_UNREACHABLE, &err);
		log_debug("etcd watch prefix=%s error=\"%s\" retry_ms=%ld", w->prefix, err.msg, backoff);
		if (!stopper_sleep(&w->st, backoff))
			break;
		backoff = backoff * 2 > 2000 ? 2000 : backoff * 2;
	}
	return NULL;
}

int nd_etcd_watch_start(struct nd_etcd *e, const char *prefix, int64_t start_rev, const struct nd_etcd_watch_cbs *cbs,
			struct nd_etcd_watch **out, struct nd_error *err)
{
	if (!prefix || !*prefix)
		return nd_error_set(err, -EINVAL, "empty watch prefix");
	if (start_rev < 0)
		return nd_error_set(err, -EINVAL, "negative start revision");
	struct nd_etcd_watch *w = calloc(1, sizeof(*w));
	if (!w || !(w->prefix = strdup(prefix))) {
		free(w);
		return nd_error_set(err, -ENOMEM, "out of memory");
	}
	w->e = e;
	if (cbs)
		w->cbs = *cbs;
	w->health = ND_ETCD_CONNECTING;
	stopper_init(&w->st);
	/* -1: resync first; otherwise the last revision already seen */
	atomic_init(&w->rev, start_rev == 0 ? -1 : start_rev - 1);
	atomic_init(&w->resyncs, 0);
	int rc = pthread_create(&w->thread, NULL, watch_main, w);
	if (rc) {
		stopper_destroy(&w->st);
		free(w->prefix);
		free(w);
		return nd_error_set(err, -rc, "watch thread: %s", strerror(rc));
	}
	*out = w;
	return 0;
}

int64_t nd_etcd_watch_rev(const struct nd_etcd_watch *w)
{
	if (!w)
		return 0;
	int64_t r = atomic_load(&((struct nd_etcd_watch *)w)->rev);
	return r < 0 ? 0 : r;
}

uint64_t nd_etcd_watch_resyncs(const struct nd_etcd_watch *w)
{
	return w ? atomic_load(&((struct nd_etcd_watch *)w)->resyncs) : 0;
}

void nd_etcd_watch_stop(struct nd_etcd_watch *w)
{
	if (!w)
		return;
	stopper_fire(&w->st);
	pthread_join(w->thread, NULL);
	stopper_destroy(&w->st);
	free(w->line);
	free(w->prefix);
	free(w);
}
