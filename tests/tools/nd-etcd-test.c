// SPDX-License-Identifier: Apache-2.0
/* nd-etcd-test: drives the cluster module's etcd client for
 * tests/integration/t_etcd_*.sh. Global options first, then one command:
 *
 *   nd-etcd-test [-e ENDPOINTS] [--cacert F --cert F --key F] [--timeout MS] CMD ...
 *     get KEY                     value, then "mod_rev=N lease=L" on stderr
 *     range KEY [prefix]          "KEY=VALUE" lines, then "rev=N"
 *     put KEY VAL [LEASE]
 *     create KEY VAL [LEASE]      exit 17 (EEXIST) when present
 *     cas KEY VAL MODREV          exit 11 (EAGAIN) when changed
 *     delete KEY [prefix] [MODREV]
 *     grant TTL                   prints the lease ID (decimal)
 *     keepalive ID                exit 2 (ENOENT) when gone
 *     revoke ID
 *     race KEY                    two clients CAS the same revision: prints
 *                                 "won=1 lost=1" when exactly one wins
 *     count KEY N                 two clients each add 1 N times with CAS
 *                                 and retry; prints the final value
 *     session TTL KEY VAL         keeps a lease; puts KEY=VAL under every
 *                                 new lease; prints "lease ID" / "state S"
 *                                 lines; runs until SIGTERM
 *     watch PREFIX [START]        prints "put KEY VAL REV", "del KEY REV",
 *                                 "resync N REV" + "kv KEY VAL" lines,
 *                                 "state S"; until SIGTERM
 *     timed get KEY               like get, then "ms=N" (how long it took)
 *     bench N                     N sequential puts, gets, CAS (get + cas) and
 *                                 creates under /bench/: microseconds per op
 *
 * Errors: the message on stderr, exit status the errno. */
#include "cluster/etcd.h"

#include <pthread.h>
#include <signal.h>

static struct nd_etcd_opts opts = { .endpoints = "127.0.0.1:2379" };
static pthread_mutex_t out_mu = PTHREAD_MUTEX_INITIALIZER;

static int fail(const struct nd_error *err)
{
	fprintf(stderr, "error: %s\n", err->msg);
	return err->code < 0 ? -err->code : 1;
}

static struct nd_etcd *client(void)
{
	struct nd_etcd *e;
	struct nd_error err = { 0 };
	if (nd_etcd_new(&opts, &e, &err) < 0)
		exit(fail(&err));
	return e;
}

static int64_t num(const char *s)
{
	return strtoll(s, NULL, 0);
}

/* ---- race / count ------------------------------------------------------------ */

struct racer {
	const char *key;
	int64_t rev;
	int rc;
	long n;
	long retries;
	pthread_barrier_t *bar;
};

static void *race_main(void *arg)
{
	struct racer *r = arg;
	struct nd_etcd *e = client();
	struct nd_error err = { 0 };
	pthread_barrier_wait(r->bar);
	r->rc = nd_etcd_cas(e, r->key, "mine", r->rev, 0, &err);
	nd_etcd_free(e);
	return NULL;
}

static void *count_main(void *arg)
{
	struct racer *r = arg;
	struct nd_etcd *e = client();
	pthread_barrier_wait(r->bar);
	for (long i = 0; i < r->n; i++) {
		for (;;) {
			struct nd_error err = { 0 };
			struct nd_etcd_kv kv;
			if ((r->rc = nd_etcd_get(e, r->key, &kv, NULL, &err)) < 0) {
				fprintf(stderr, "error: %s\n", err.msg);
				goto out;
			}
			char v[32];
			snprintf(v, sizeof(v), "%lld", (long long)num(kv.value) + 1);
			r->rc = nd_etcd_cas(e, r->key, v, kv.mod_rev, 0, &err);
			nd_etcd_kv_clear(&kv);
			if (r->rc == 0)
				break;
			if (r->rc != -EAGAIN) {
				fprintf(stderr, "error: %s\n", err.msg);
				goto out;
			}
			r->retries++;
		}
	}
out:
	nd_etcd_free(e);
	return NULL;
}

/* ---- session / watch ------------------------------------------------------------ */

static void wait_signal(void)
{
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	int sig;
	sigwait(&set, &sig);
}

static void outf(const char *fmt, ...)
{
	pthread_mutex_lock(&out_mu);
	va_list ap;
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	fflush(stdout);
	pthread_mutex_unlock(&out_mu);
}

struct sess {
	struct nd_etcd *e;
	const char *key, *val;
};

static void sess_state(void *ud, enum nd_etcd_health h, const struct nd_error *why)
{
	outf("state %s%s%s\n", nd_etcd_health_name(h), why ? " " : "", why ? why->msg : "");
}

static void sess_lease(void *ud, int64_t lease)
{
	struct sess *s = ud;
	struct nd_error err = { 0 };
	int rc = nd_etcd_put(s->e, s->key, s->val, lease, &err);
	outf("lease %lld%s%s\n", (long long)lease, rc < 0 ? " put-failed " : "", rc < 0 ? err.msg : "");
}

static void w_events(void *ud, const struct nd_etcd_event *evs, size_t n, int64_t rev)
{
	pthread_mutex_lock(&out_mu);
	for (size_t i = 0; i < n; i++) {
		if (evs[i].type == ND_ETCD_EV_PUT)
			printf("put %s %s %lld\n", evs[i].kv.key, evs[i].kv.value, (long long)evs[i].kv.mod_rev);
		else
			printf("del %s %lld\n", evs[i].kv.key, (long long)evs[i].kv.mod_rev);
	}
	fflush(stdout);
	pthread_mutex_unlock(&out_mu);
}

static void w_resync(void *ud, const struct nd_etcd_kv *kvs, size_t n, int64_t rev)
{
	pthread_mutex_lock(&out_mu);
	printf("resync %zu %lld\n", n, (long long)rev);
	for (size_t i = 0; i < n; i++)
		printf("kv %s %s\n", kvs[i].key, kvs[i].value);
	fflush(stdout);
	pthread_mutex_unlock(&out_mu);
}

/* ---- main ------------------------------------------------------------------------ */

static int run(int argc, char **argv)
{
	struct nd_error err = { 0 };
	const char *cmd = argv[0];
	int rc = 0;
#define NEED(n) do { if (argc < (n) + 1) { fprintf(stderr, "usage: %s needs %d arguments\n", cmd, n); return 64; } } while (0)
	if (!strcmp(cmd, "timed")) {
		uint64_t t0 = nd_now_ns();
		rc = run(argc - 1, argv + 1);
		printf("ms=%llu\n", (unsigned long long)((nd_now_ns() - t0) / 1000000));
		return rc;
	}
	_cleanup_(nd_etcd_freep) struct nd_etcd *e = client();
	if (!strcmp(cmd, "get")) {
		NEED(1);
		struct nd_etcd_kv kv;
		if ((rc = nd_etcd_get(e, argv[1], &kv, NULL, &err)) < 0)
			return fail(&err);
		printf("%s\n", kv.value);
		fprintf(stderr, "mod_rev=%lld lease=%lld\n", (long long)kv.mod_rev, (long long)kv.lease);
		nd_etcd_kv_clear(&kv);
	} else if (!strcmp(cmd, "range")) {
		NEED(1);
		struct nd_etcd_kv *kvs;
		size_t n;
		int64_t rev;
		if ((rc = nd_etcd_range(e, argv[1], argc > 2 && !strcmp(argv[2], "prefix"), &kvs, &n, &rev, &err)) < 0)
			return fail(&err);
		for (size_t i = 0; i < n; i++)
			printf("%s=%s\n", kvs[i].key, kvs[i].value);
		printf("rev=%lld\n", (long long)rev);
		nd_etcd_kvs_free(kvs, n);
	} else if (!strcmp(cmd, "put") || !strcmp(cmd, "create")) {
		NEED(2);
		int64_t lease = argc > 3 ? num(argv[3]) : 0;
		rc = cmd[0] == 'p' ? nd_etcd_put(e, argv[1], argv[2], lease, &err)
				   : nd_etcd_create(e, argv[1], argv[2], lease, &err);
		if (rc < 0)
			return fail(&err);
	} else if (!strcmp(cmd, "cas")) {
		NEED(3);
		if ((rc = nd_etcd_cas(e, argv[1], argv[2], num(argv[3]), 0, &err)) < 0)
			return fail(&err);
	} else if (!strcmp(cmd, "delete")) {
		NEED(1);
		bool prefix = argc > 2 && !strcmp(argv[2], "prefix");
		int64_t rev = argc > 2 && !prefix ? num(argv[2]) : 0;
		int64_t n = 0;
		if ((rc = nd_etcd_delete_n(e, argv[1], prefix, rev, &n, &err)) < 0)
			return fail(&err);
		printf("deleted=%lld\n", (long long)n);
	} else if (!strcmp(cmd, "grant")) {
		NEED(1);
		int64_t id;
		if ((rc = nd_etcd_lease_grant(e, (long)num(argv[1]), &id, &err)) < 0)
			return fail(&err);
		printf("%lld\n", (long long)id);
	} else if (!strcmp(cmd, "keepalive")) {
		NEED(1);
		long ttl;
		if ((rc = nd_etcd_lease_keepalive(e, num(argv[1]), &ttl, &err)) < 0)
			return fail(&err);
		printf("ttl=%ld\n", ttl);
	} else if (!strcmp(cmd, "revoke")) {
		NEED(1);
		if ((rc = nd_etcd_lease_revoke(e, num(argv[1]), &err)) < 0)
			return fail(&err);
	} else if (!strcmp(cmd, "race") || !strcmp(cmd, "count")) {
		NEED(1);
		struct nd_etcd_kv kv = { 0 };
		bool count = cmd[0] == 'c';
		if (count) {
			NEED(2);
			if ((rc = nd_etcd_put(e, argv[1], "0", 0, &err)) < 0)
				return fail(&err);
		} else if ((rc = nd_etcd_get(e, argv[1], &kv, NULL, &err)) < 0) {
			return fail(&err);
		}
		pthread_barrier_t bar;
		pthread_barrier_init(&bar, NULL, 2);
		struct racer r[2];
		pthread_t t[2];
		for (int i = 0; i < 2; i++) {
			r[i] = (struct racer){ .key = argv[1], .rev = kv.mod_rev, .n = count ? (long)num(argv[2]) : 0, .bar = &bar };
			pthread_create(&t[i], NULL, count ? count_main : race_main, &r[i]);
		}
		for (int i = 0; i < 2; i++)
			pthread_join(t[i], NULL);
		nd_etcd_kv_clear(&kv);
		if (count) {
			struct nd_etcd_kv fin;
			if ((rc = nd_etcd_get(e, argv[1], &fin, NULL, &err)) < 0)
				return fail(&err);
			printf("value=%s retries=%ld\n", fin.value, r[0].retries + r[1].retries);
			nd_etcd_kv_clear(&fin);
			return r[0].rc || r[1].rc ? 1 : 0;
		}
		int won = (r[0].rc == 0) + (r[1].rc == 0);
		int lost = (r[0].rc == -EAGAIN) + (r[1].rc == -EAGAIN);
		printf("won=%d lost=%d\n", won, lost);
		return won == 1 && lost == 1 ? 0 : 1;
	} else if (!strcmp(cmd, "bench")) {
		NEED(1);
		long n = (long)num(argv[1]);
		char key[64], val[32];
		uint64_t t0 = nd_now_ns();
		for (long i = 0; i < n; i++) {
			snprintf(key, sizeof(key), "/bench/k%ld", i % 100);
			snprintf(val, sizeof(val), "%ld", i);
			if ((rc = nd_etcd_put(e, key, val, 0, &err)) < 0)
				return fail(&err);
		}
		uint64_t t1 = nd_now_ns();
		for (long i = 0; i < n; i++) {
			struct nd_etcd_kv kv;
			snprintf(key, sizeof(key), "/bench/k%ld", i % 100);
			if ((rc = nd_etcd_get(e, key, &kv, NULL, &err)) < 0)
				return fail(&err);
			nd_etcd_kv_clear(&kv);
		}
		uint64_t t2 = nd_now_ns();
		for (long i = 0; i < n; i++) {
			struct nd_etcd_kv kv;
			snprintf(key, sizeof(key), "/bench/k%ld", i % 100);
			if ((rc = nd_etcd_get(e, key, &kv, NULL, &err)) < 0 ||
			    (rc = nd_etcd_cas(e, key, "x", kv.mod_rev, 0, &err)) < 0)
				return fail(&err);
			nd_etcd_kv_clear(&kv);
		}
		uint64_t t3 = nd_now_ns();
		for (long i = 0; i < n; i++) {
			snprintf(key, sizeof(key), "/bench/c%ld", i);
			if ((rc = nd_etcd_create(e, key, "1", 0, &err)) < 0)
				return fail(&err);
		}
		uint64_t t4 = nd_now_ns();
		nd_etcd_delete(e, "/bench/", true, 0, &err);
		printf("put_us=%.0f get_us=%.0f get+cas_us=%.0f create_us=%.0f\n", (t1 - t0) / 1e3 / n,
		       (t2 - t1) / 1e3 / n, (t3 - t2) / 1e3 / n, (t4 - t3) / 1e3 / n);
	} else if (!strcmp(cmd, "session")) {
		NEED(3);
		struct sess s = { .e = e, .key = argv[2], .val = argv[3] };
		struct nd_etcd_session_cbs cbs = { .on_state = sess_state, .on_lease = sess_lease, .ud = &s };
		struct nd_etcd_session *ss;
		if ((rc = nd_etcd_session_start(e, (long)num(argv[1]), &cbs, &ss, &err)) < 0)
			return fail(&err);
		wait_signal();
		nd_etcd_session_stop(ss, getenv("ND_ETCD_NO_REVOKE") == NULL);
		outf("stopped\n");
	} else if (!strcmp(cmd, "watch")) {
		NEED(1);
		struct nd_etcd_watch_cbs cbs = { .on_events = w_events, .on_resync = w_resync, .on_state = sess_state };
		struct nd_etcd_watch *w;
		if ((rc = nd_etcd_watch_start(e, argv[1], argc > 2 ? num(argv[2]) : 0, &cbs, &w, &err)) < 0)
			return fail(&err);
		wait_signal();
		uint64_t resyncs = nd_etcd_watch_resyncs(w);
		int64_t rev = nd_etcd_watch_rev(w);
		nd_etcd_watch_stop(w);
		outf("stopped rev=%lld resyncs=%llu\n", (long long)rev, (unsigned long long)resyncs);
	} else {
		fprintf(stderr, "unknown command %s\n", cmd);
		return 64;
	}
	return 0;
}

int main(int argc, char **argv)
{
	/* SIGTERM/SIGINT are taken by sigwait (session, watch); threads inherit the mask */
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	int i = 1;
	const char *env = getenv("ND_ETCD_ENDPOINTS");
	if (env)
		opts.endpoints = env;
	for (; i < argc && argv[i][0] == '-'; i++) {
		if (i + 1 >= argc)
			break;
		if (!strcmp(argv[i], "-e"))
			opts.endpoints = argv[++i];
		else if (!strcmp(argv[i], "--cacert"))
			opts.cacert = argv[++i];
		else if (!strcmp(argv[i], "--cert"))
			opts.cert = argv[++i];
		else if (!strcmp(argv[i], "--key"))
			opts.key = argv[++i];
		else if (!strcmp(argv[i], "--timeout"))
			opts.timeout_ms = strtol(argv[++i], NULL, 10);
		else {
			fprintf(stderr, "unknown option %s\n", argv[i]);
			return 64;
		}
	}
	if (i >= argc) {
		fprintf(stderr, "usage: nd-etcd-test [-e ENDPOINTS] [--cacert F --cert F --key F] [--timeout MS] CMD ...\n");
		return 64;
	}
	return run(argc - i, argv + i);
}
