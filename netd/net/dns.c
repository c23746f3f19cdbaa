// SPDX-License-Identifier: Apache-2.0
/* net: the embedded DNS resolver, glued to networks, sandboxes and
 * endpoints.
 *
 * Every endpoint's names (its owner's name, the owner's short id and
 * hostname, its aliases) go into its network's name table when it connects
 * and leave when it goes; a rename puts them again. Every sandbox netd owns
 * with an endpoint on a user-defined network (any network with
 * dns-default-bridge) gets a listener on 127.0.0.11 inside its namespace,
 * opened when the first such endpoint connects, kept until the sandbox
 * goes, and opened again for every living sandbox when netd starts. Each
 * network whose gateway is a host address also answers its names there
 * (CNI callers). The engine (names, forwarding, cache) is one per daemon.
 *
 * The listeners, answers and forwarding run on the resolver's own thread
 * and loop, so that neither a busy main loop (container churn) nor a slow
 * netd start delays an answer; the main loop changes the engine under its
 * lock (dns_internal.h). */
#include "netd/net/dns_internal.h"

#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <sys/stat.h>

/* ---- the resolver's thread ----------------------------------------------------------- */

uv_loop_t *dns__loop(struct dns_engine *eng)
{
	return eng->running ? &eng->loop : eng->d->loop;
}

void dns__lock(struct dns_engine *eng)
{
	atomic_fetch_add(&eng->waiters, 1);
	pthread_mutex_lock(&eng->mu);
	atomic_fetch_sub(&eng->waiters, 1);
}

void dns__unlock(struct dns_engine *eng)
{
	pthread_mutex_unlock(&eng->mu);
}

void dns__unlock_wake(struct dns_engine *eng)
{
	pthread_mutex_unlock(&eng->mu);
	if (eng->running)
		uv_async_send(&eng->wake);   /* handles made or closed take effect */
}

static void on_wake(uv_async_t *a)
{
	(void)a;
}

static void close_left(uv_handle_t *h, void *arg)
{
	(void)arg;
	if (!uv_is_closing(h))
		uv_close(h, NULL);
}

/* The loop runs its callbacks under the lock and waits for I/O without it:
 * uv_run(NOWAIT), then poll on the loop's backend for as long as its next
 * timer allows. A main loop waiting for the lock gets it before the next run. */
static void *dns_thread(void *arg)
{
	struct dns_engine *eng = arg;
	struct pollfd pfd = { .fd = uv_backend_fd(&eng->loop), .events = POLLIN };
	pthread_mutex_lock(&eng->mu);
	while (!eng->stopping) {
		uv_run(&eng->loop, UV_RUN_NOWAIT);
		if (eng->stopping)
			break;
		int timeout = uv_backend_timeout(&eng->loop);
		pthread_mutex_unlock(&eng->mu);
		(void)poll(&pfd, 1, timeout);
		while (atomic_load(&eng->waiters) > 0)
			sched_yield();
		pthread_mutex_lock(&eng->mu);
	}
	/* listeners were closed by the stop; what is left (forwards in flight,
	 * TCP connections) is closed here, on its own loop */
	uv_walk(&eng->loop, close_left, NULL);
	uv_run(&eng->loop, UV_RUN_DEFAULT);
	pthread_mutex_unlock(&eng->mu);
	return NULL;
}

static int thread_start(struct dns_engine *eng, struct nd_error *err)
{
	int r;
	if ((r = uv_loop_init(&eng->loop)) < 0)
		return nd_error_set(err, r, "dns: loop: %s", uv_strerror(r));
	if ((r = uv_async_init(&eng->loop, &eng->wake, on_wake)) < 0) {
		uv_loop_close(&eng->loop);
		return nd_error_set(err, r, "dns: loop: %s", uv_strerror(r));
	}
	eng->running = true;
	/* signals stay the main loop's: the thread starts with all blocked */
	sigset_t all, old;
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	r = pthread_create(&eng->thread, NULL, dns_thread, eng);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (r != 0) {
		eng->running = false;
		uv_close((uv_handle_t *)&eng->wake, NULL);
		uv_run(&eng->loop, UV_RUN_DEFAULT);
		uv_loop_close(&eng->loop);
		return nd_error_set(err, -r, "dns: thread: %s", strerror(r));
	}
	pthread_setname_np(eng->thread, "netd-dns");
	return 0;
}

static bool has_listener(struct dns_engine *eng, const char *sandbox_id)
{
	dns__lock(eng);
	bool has = dns__listener_find(eng, sandbox_id) != NULL;
	dns__unlock(eng);
	return has;
}

static struct dns_engine *engine(struct netd *d)
{
	return net_of(d) ? net_of(d)->dnsr : NULL;
}

/* the names an endpoint answers to */
static int endpoint_names(struct netd *d, const struct nd_endpoint_rec *ep, struct net_dns_owner *ow)
{
	memset(ow, 0, sizeof(*ow));
	const struct net_hooks *h = &net_of(d)->hooks;
	if (ep->container_id[0] && h->dns_owner)
		(void)h->dns_owner(d, ep->container_id, ow);
	return 0;
}

static bool wants_listener(struct netd *d, const struct net_network *n, const struct nd_sandbox_rec *sb)
{
	return !sb->caller_owned && (!n->rec.builtin || d->cfg.dns_default_bridge);
}

static int listener_config(struct dns_engine *eng, struct dns_listener *l, const struct net_dns_owner *ow)
{
	l->nups = 0;
	for (size_t i = 0; i < ow->nservers && l->nups < DNS_MAX_UPSTREAMS; i++) {
		int k = dns__upstream_index(eng, ow->servers[i]);
		if (k >= 0)
			l->ups[l->nups++] = (size_t)k;
	}
	return 0;
}

/* The names ep answers to: its owner's name, the short container id, its
 * aliases, the container's hostname; pointers into ep, ow and shortid. */
static size_t endpoint_name_list(const struct nd_endpoint_rec *ep, const struct net_dns_owner *ow,
				 const char *names[], size_t max, char shortid[ND_ID_SHORT + 1])
{
	size_t n = 0;
	shortid[0] = '\0';
	if (ep->owner_name[0] && n < max)
		names[n++] = ep->owner_name;
	if (ep->container_id[0] && n < max) {
		snprintf(shortid, ND_ID_SHORT + 1, "%.*s", ND_ID_SHORT, ep->container_id);
		names[n++] = shortid;
	}
	size_t k;
	json_t *a;
	json_array_foreach(ep->aliases, k, a)
		if (json_is_string(a) && n < max - 1)
			names[n++] = json_string_value(a);
	if (ow->hostname[0] && n < max)
		names[n++] = ow->hostname;
	return n;
}

static void put_endpoint(struct netd *d, const struct nd_endpoint_rec *ep, const struct net_dns_owner *ow)
{
	const char *names[64];
	char shortid[ND_ID_SHORT + 1];
	size_t n = endpoint_name_list(ep, ow, names, ARRAY_SIZE(names), shortid);
	struct net_dns_names e = {
		.owner = ep->id, .sandbox_id = ep->sandbox_id, .names = names, .nnames = n,
		.ipv4 = ep->ipv4, .ipv6 = ep->ipv6,
	};
	struct nd_error err = { 0 };
	if (net_dns_names_put(d, ep->network_id, &e, &err) < 0)
		log_warn("dns: endpoint=%.12s: %s", ep->id, err.msg);
}

json_t *net__dns_endpoint_names(struct netd *d, const struct nd_endpoint_rec *ep)
{
	struct net_dns_owner ow;
	endpoint_names(d, ep, &ow);
	const char *names[64];
	char shortid[ND_ID_SHORT + 1];
	size_t n = endpoint_name_list(ep, &ow, names, ARRAY_SIZE(names), shortid);
	json_t *out = json_array();
	for (size_t i = 0; out && i < n; i++)
		json_array_append_new(out, json_string(names[i]));
	return out;
}

void net__dns_remote_put(struct netd *d, const char *network_id, const char *epid, const json_t *rec)
{
	const char *names[64];
	size_t n = 0, k;
	json_t *a;
	json_array_foreach(json_object_get(rec, "names"), k, a)
		if (json_is_string(a) && n < ARRAY_SIZE(names))
			names[n++] = json_string_value(a);
	const char *name = nd_json_str(rec, "name");
	if (n == 0 && name && *name)
		names[n++] = name;     /* a record from a netd that sent no list */
	struct net_dns_names e = {
		.owner = epid, .sandbox_id = NULL, .names = names, .nnames = n,
		.ipv4 = nd_json_str(rec, "ipv4"), .ipv6 = nd_json_str(rec, "ipv6"),
	};
	struct nd_error err = { 0 };
	if (net_dns_names_put(d, network_id, &e, &err) < 0)
		log_warn("dns: remote endpoint=%.12s: %s", epid, err.msg);
}

void net__dns_endpoint_up(struct netd *d, const struct nd_endpoint_rec *ep, const struct nd_sandbox_rec *sb)
{
	struct dns_engine *eng = engine(d);
	if (!eng)
		return;
	struct net_dns_owner ow;
	endpoint_names(d, ep, &ow);
	put_endpoint(d, ep, &ow);
	struct nd_error e = { 0 };
	struct net_network *n = net_network_find(d, ep->network_id, &e);
	if (!n || !sb || !wants_listener(d, n, sb))
		return;
	uint64_t t0 = uv_hrtime();
	bool opened = false;
	if (!has_listener(eng, sb->id)) {
		if (dns__listener_open(eng, sb, &e) < 0) {   /* without the lock: it enters the namespace */
			log_warn("%s", e.msg);
			return;
		}
		opened = true;
	}
	dns__lock(eng);
	struct dns_listener *l = dns__listener_find(eng, sb->id);
	if (l && opened)
		log_debug("dns: sandbox=%.12s: resolver on %s (udp %u, tcp %u%s) in %.2f ms", sb->id, DNS_LISTEN_ADDR,
			  l->udp_port, l->tcp_port, l->redirected ? ", redirected from :53" : "",
			  (double)(uv_hrtime() - t0) / 1e6);
	if (l)
		listener_config(eng, l, &ow);
	dns__unlock(eng);
}

void net__dns_endpoint_down(struct netd *d, const struct nd_endpoint_rec *ep)
{
	net_dns_names_drop(d, ep->network_id, ep->id);
}

void net__dns_sandbox_gone(struct netd *d, const char *sandbox_id)
{
	struct dns_engine *eng = engine(d);
	if (!eng)
		return;
	dns__lock(eng);
	struct dns_listener *l = dns__listener_find(eng, sandbox_id);
	if (l)
		dns__listener_close(l);
	dns__unlock_wake(eng);
	net__dns_ports_forget(d, sandbox_id);
}

bool net_dns_sandbox_served(struct netd *d, const char *sandbox_id)
{
	struct dns_engine *eng = engine(d);
	return eng && has_listener(eng, sandbox_id);
}

const char *net_dns_host_search(struct netd *d)
{
	struct dns_engine *eng = engine(d);
	if (!eng)
		return "";
	dns__lock(eng);
	dns__host_refresh(eng, false);
	snprintf(eng->host_search_main, sizeof(eng->host_search_main), "%s", eng->host_search);
	dns__unlock(eng);
	return eng->host_search_main;
}

json_t *net_dns_names_json(struct netd *d, const char *network_id, const char *owner)
{
	struct dns_engine *eng = engine(d);
	json_t *out = json_array();
	if (!eng)
		return out;
	dns__lock(eng);
	const struct dns_table *t = dns__table_get(eng, network_id, false);
	const struct dns_entry *e = dns__entry_find(t, owner);
	for (size_t i = 0; e && i < e->nnames; i++)
		json_array_append_new(out, json_string(e->names[i]));
	dns__unlock(eng);
	return out;
}

/* ---- start, stop ---------------------------------------------------------------------- */

int net__dns_engine_start(struct netd *d, struct nd_error *err)
{
	struct net_state *ns = net_of(d);
	struct dns_engine *eng = calloc(1, sizeof(*eng));
	if (!eng)
		return nd_error_set(err, -ENOMEM, "out of memory");
	eng->d = d;
	eng->default_bridge = d->cfg.dns_default_bridge;
	ns->dnsr = eng;
	snprintf(eng->resolv_path, sizeof(eng->resolv_path), "%s",
		 d->cfg.dns_resolv_conf ? d->cfg.dns_resolv_conf : "/etc/resolv.conf");
	char dir[PATH_MAX];
	snprintf(dir, sizeof(dir), "%s/dns", d->cfg.exec_root);
	if (mkdir(dir, 0700) < 0 && errno != EEXIST)
		return nd_error_set(err, -errno, "dns: mkdir %s: %s", dir, strerror(errno));
	dns__host_refresh(eng, true);
	if (eng->resolv_error[0])
		log_warn("dns: %s: names outside netd's networks will not resolve until it is readable", eng->resolv_error);
	log_info("dns: resolver on %s, %zu upstream%s from %s", DNS_LISTEN_ADDR, eng->nhost_ups,
		 eng->nhost_ups == 1 ? "" : "s", eng->resolv_path);
	int rc;
	if (d->loop && (rc = thread_start(eng, err)) < 0)
		return rc;
	/* each listener answers from its own thread as soon as it is open */
	net__dns_walk(d);
	return 0;
}

/* every endpoint's names, and a listener for every living sandbox that
 * wants one (at start, and again once the owners' hook is there) */
void net__dns_walk(struct netd *d)
{
	struct dns_engine *eng = engine(d);
	if (!eng)
		return;
	uint64_t t0 = uv_hrtime();
	struct nd_sandbox_list sbs = { 0 };
	struct nd_error e = { 0 };
	if (net_sandbox_list(d, &sbs, &e) < 0) {
		log_error("dns: %s", e.msg);
		return;
	}
	size_t opened = 0;
	for (size_t i = 0; i < sbs.n; i++) {
		struct nd_endpoint_list eps;
		if (net_endpoint_list(d, NULL, sbs.v[i].id, &eps, &e) < 0)
			continue;
		bool alive = netns_alive(sbs.v[i].netns_path);
		for (size_t k = 0; k < eps.n; k++) {
			if (!alive) {
				struct net_dns_owner ow;
				endpoint_names(d, &eps.v[k], &ow);
				put_endpoint(d, &eps.v[k], &ow);
				continue;
			}
			bool had = has_listener(eng, sbs.v[i].id);
			net__dns_endpoint_up(d, &eps.v[k], &sbs.v[i]);
			opened += !had && has_listener(eng, sbs.v[i].id);
		}
		nd_endpoint_list_clear(&eps);
	}
	nd_sandbox_list_clear(&sbs);
	if (opened)
		log_info("dns: %zu sandbox listener%s opened in %.1f ms", opened, opened == 1 ? "" : "s",
			 (double)(uv_hrtime() - t0) / 1e6);
}

void net__dns_engine_stop(struct netd *d)
{
	struct dns_engine *eng = engine(d);
	if (!eng)
		return;
	dns__lock(eng);
	while (eng->listeners)
		dns__listener_close(eng->listeners);
	eng->stopping = true;
	dns__unlock_wake(eng);   /* wakes the thread: it closes what is left and ends */
	if (eng->running) {
		pthread_join(eng->thread, NULL);
		eng->running = false;
		(void)uv_loop_close(&eng->loop);
	}
	dns__tables_free(eng);
	dns__cache_free(eng);
	net_of(d)->dnsr = NULL;
	free(eng);
}

void net__dns_network_gone(struct netd *d, const char *network_id)
{
	struct dns_engine *eng = engine(d);
	if (!eng)
		return;
	dns__lock(eng);
	for (struct dns_table **pp = &eng->tables; *pp; pp = &(*pp)->next) {
		if (strcmp((*pp)->network_id, network_id) == 0) {
			struct dns_table *t = *pp;
			*pp = t->next;
			struct dns_engine tmp = { .tables = t };
			t->next = NULL;
			dns__tables_free(&tmp);
			eng->gen++;
			break;
		}
	}
	dns__unlock(eng);
}

/* ---- the gateway listener of a network (CNI callers) ---------------------------------- */

void net_dns_start(struct netd *d, struct net_network *n)
{
	struct dns_engine *eng = engine(d);
	if (n->dns || !eng || !d->loop)
		return;
	const char *gw = NULL;
	for (int i = 0; i < n->rec.nipam && !gw; i++)
		if (!strchr(n->rec.ipam[i].subnet, ':') && n->rec.ipam[i].gateway[0])
			gw = n->rec.ipam[i].gateway;
	if (!gw)
		return;
	dns__lock(eng);
	dns__table_get(eng, n->rec.id, true);
	n->dns = dns__gateway_open(eng, n->rec.id, gw);
	dns__unlock_wake(eng);
	if (n->dns)
		snprintf(n->dns_addr, sizeof(n->dns_addr), "%s", gw);
}

void net_dns_stop(struct netd *d, struct net_network *n)
{
	if (!n->dns)
		return;
	struct dns_engine *eng = engine(d);
	if (eng) {
		dns__lock(eng);
		dns__listener_close(n->dns);
		dns__unlock_wake(eng);
	}
	n->dns = NULL;
}

const char *net_dns_addr(const struct net_network *n)
{
	return n->dns ? n->dns_addr : NULL;
}

/* ---- netctl info ---------------------------------------------------------------------- */

void net_dns_info(struct netd *d, json_t *info)
{
	struct dns_engine *eng = engine(d);
	if (!eng)
		return;
	dns__lock(eng);   /* counters, upstreams and listeners as the thread left them */
	dns__host_refresh(eng, false);
	uint64_t now = dns__now_ms(eng);
	json_t *ups = json_array();
	for (size_t i = 0; i < eng->nups; i++) {
		const struct dns_upstream *u = &eng->ups[i];
		bool host = false;
		for (size_t k = 0; k < eng->nhost_ups; k++)
			host |= eng->host_ups[k] == i;
		json_array_append_new(ups, json_pack("{s:s, s:b, s:b, s:I, s:I, s:I}", "Address", u->text, "Host", host,
						     "Dead", u->dead_until > now, "Sent", (json_int_t)u->sent,
						     "Answered", (json_int_t)u->answered, "Timeouts",
						     (json_int_t)u->timeouts));
	}
	size_t names = 0, sandboxes = 0, gateways = 0, redirected = 0;
	for (const struct dns_table *t = eng->tables; t; t = t->next)
		names += t->nentries;
	for (const struct dns_listener *l = eng->listeners; l; l = l->next) {
		if (l->network_id[0])
			gateways++;
		else
			sandboxes++, redirected += l->redirected;
	}
	static const char *const buckets[] = { "<10us", "<50us", "<100us", "<250us", "<500us", "<1ms", "<10ms", ">=10ms" };
	json_t *lat = json_object();
	for (size_t i = 0; i < ARRAY_SIZE(buckets); i++)
		json_object_set_new(lat, buckets[i], json_integer((json_int_t)eng->lat_hist[i]));
	json_object_set_new(info, "DNS", json_pack(
		"{s:s, s:i, s:i, s:i, s:i, s:s, s:s, s:o, s:i, s:b, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:i, s:i, s:i, s:o}",
		"Address", DNS_LISTEN_ADDR, "SandboxListeners", (int)sandboxes, "Redirected", (int)redirected,
		"GatewayListeners", (int)gateways, "NameEntries", (int)names,
		"ResolvConf", eng->resolv_path, "ResolvConfError", eng->resolv_error, "Upstreams", ups,
		"UpstreamTimeoutMs", d->cfg.dns_timeout_ms, "DefaultBridge", d->cfg.dns_default_bridge,
		"Queries", (json_int_t)eng->queries, "AnsweredLocal", (json_int_t)eng->answered_local,
		"Forwarded", (json_int_t)eng->forwarded, "CacheHits", (json_int_t)eng->cache_hits,
		"NXDomain", (json_int_t)eng->nxdomain, "ServFail", (json_int_t)eng->servfail,
		"Truncated", (json_int_t)eng->truncated, "InFlight", (int)eng->inflight,
		"CacheEntries", (int)eng->cache_n, "TCPConnections", (int)eng->tcp_conns, "LocalLatency", lat));
	dns__unlock(eng);
}
