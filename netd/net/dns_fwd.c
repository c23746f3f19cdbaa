// SPDX-License-Identifier: Apache-2.0
/* net: what the resolver does not know goes to upstreams, from netd's own
 * network namespace (so a host resolver on loopback, systemd-resolved's
 * 127.0.0.53, is reachable), non-blocking on the loop.
 *
 * Each attempt is one socket to one upstream (a fresh ephemeral port, the
 * client's own id and question, checked on the answer). An upstream that
 * does not answer within dns-timeout-ms is marked dead for DNS_DEAD_MS and
 * the next one is tried at once; later queries skip it, so a dead first
 * upstream costs one timeout, not one per query. UDP queries go out over
 * UDP (EDNS0 as the client sent it), TCP queries over TCP. A truncated UDP
 * answer to a client whose EDNS buffer is larger than what came is asked
 * again over TCP, and goes back whole when it fits that buffer (else
 * truncated: the client asks again over TCP itself). At most
 * DNS_MAX_INFLIGHT queries are forwarded at once (more: SERVFAIL at once).
 * Answers (NOERROR, NXDOMAIN) are cached for their smallest TTL (negative
 * ones for the SOA's minimum), served with TTLs counted down. */
#include "netd/net/dns_internal.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <sys/stat.h>

uint64_t dns__now_ms(struct dns_engine *eng)
{
	return uv_now(dns__loop(eng));
}

int dns__upstream_index(struct dns_engine *eng, const char *addr)
{
	struct sockaddr_storage sa = { 0 };
	socklen_t salen;
	char ip[INET6_ADDRSTRLEN + 1];
	unsigned port = 53;
	const char *hash = strchr(addr, '#');
	snprintf(ip, sizeof(ip), "%.*s", hash ? (int)(hash - addr) : (int)strlen(addr), addr);
	if (hash && (sscanf(hash + 1, "%u", &port) != 1 || port == 0 || port > 65535))
		return -1;
	struct sockaddr_in *s4 = (struct sockaddr_in *)&sa;
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&sa;
	if (inet_pton(AF_INET, ip, &s4->sin_addr) == 1) {
		s4->sin_family = AF_INET;
		s4->sin_port = htons((uint16_t)port);
		salen = sizeof(*s4);
	} else if (inet_pton(AF_INET6, ip, &s6->sin6_addr) == 1) {
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons((uint16_t)port);
		salen = sizeof(*s6);
	} else {
		return -1;
	}
	for (size_t i = 0; i < eng->nups; i++)
		if (eng->ups[i].salen == salen && memcmp(&eng->ups[i].sa, &sa, salen) == 0)
			return (int)i;
	if (eng->nups == ARRAY_SIZE(eng->ups))
		return -1;
	struct dns_upstream *u = &eng->ups[eng->nups];
	*u = (struct dns_upstream){ .sa = sa, .salen = salen };
	if (port == 53)
		snprintf(u->text, sizeof(u->text), "%s", ip);
	else
		snprintf(u->text, sizeof(u->text), "%s#%u", ip, port);
	return (int)eng->nups++;
}

void dns__host_refresh(struct dns_engine *eng, bool force)
{
	uint64_t now = dns__now_ms(eng);
	if (!force && eng->resolv_checked_ms && now - eng->resolv_checked_ms < 1000)
		return;
	eng->resolv_checked_ms = now ? now : 1;
	struct stat st;
	if (stat(eng->resolv_path, &st) < 0) {
		snprintf(eng->resolv_error, sizeof(eng->resolv_error), "%s: %s", eng->resolv_path, strerror(errno));
		eng->nhost_ups = 0;
		return;
	}
	if (!force && st.st_mtim.tv_sec == eng->resolv_mtime.tv_sec && st.st_mtim.tv_nsec == eng->resolv_mtime.tv_nsec)
		return;
	eng->resolv_mtime = st.st_mtim;
	ldns_resolver *res = NULL;
	ldns_status s = ldns_resolver_new_frm_file(&res, eng->resolv_path);
	if (s != LDNS_STATUS_OK) {
		snprintf(eng->resolv_error, sizeof(eng->resolv_error), "%s: %s", eng->resolv_path,
			 ldns_get_errorstr_by_id(s));
		eng->nhost_ups = 0;
		return;
	}
	eng->resolv_error[0] = '\0';
	eng->nhost_ups = 0;
	ldns_rdf **ns = ldns_resolver_nameservers(res);
	for (size_t i = 0; i < ldns_resolver_nameserver_count(res) && eng->nhost_ups < DNS_MAX_UPSTREAMS; i++) {
		char ip[INET6_ADDRSTRLEN + 1];
		int af = ldns_rdf_get_type(ns[i]) == LDNS_RDF_TYPE_A ? AF_INET : AF_INET6;
		if (!inet_ntop(af, ldns_rdf_data(ns[i]), ip, sizeof(ip)))
			continue;
		int k = dns__upstream_index(eng, ip);
		if (k >= 0)
			eng->host_ups[eng->nhost_ups++] = (size_t)k;
	}
	eng->host_search[0] = '\0';
	ldns_rdf **sl = ldns_resolver_searchlist(res);
	size_t nsl = ldns_resolver_searchlist_count(res);
	for (size_t i = 0; i < nsl; i++) {
		char *t = ldns_rdf2str(sl[i]);
		if (!t)
			continue;
		size_t tl = strlen(t);
		if (tl && t[tl - 1] == '.')
			t[tl - 1] = '\0';
		size_t cur = strlen(eng->host_search);
		snprintf(eng->host_search + cur, sizeof(eng->host_search) - cur, "%s%s", cur ? " " : "", t);
		free(t);
	}
	ldns_resolver_deep_free(res);
	log_info("dns: upstreams from %s: %zu", eng->resolv_path, eng->nhost_ups);
}

/* ---- the cache ------------------------------------------------------------------ */

static uint64_t hash_str(const char *s)
{
	uint64_t h = 1469598103934665603ULL;
	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ULL;
	return h;
}

/* qname (lowercase) / type / class / DO / CD / EDNS */
static bool cache_key(ldns_pkt *qp, char *key, size_t size)
{
	ldns_rr_list *ql = ldns_pkt_question(qp);
	if (!ql || ldns_rr_list_rr_count(ql) != 1)
		return false;
	ldns_rr *q = ldns_rr_list_rr(ql, 0);
	char *n = ldns_rdf2str(ldns_rr_owner(q));
	if (!n)
		return false;
	for (char *c = n; *c; c++)
		*c = (char)tolower((unsigned char)*c);
	snprintf(key, size, "%s/%u/%u/%d%d%d", n, (unsigned)ldns_rr_get_type(q), (unsigned)ldns_rr_get_class(q),
		 ldns_pkt_edns_do(qp), ldns_pkt_cd(qp), ldns_pkt_edns(qp));
	free(n);
	return true;
}

static void cache_entry_free(struct dns_cache_entry *e)
{
	free(e->key);
	ldns_pkt_free(e->pkt);
	free(e->ttls);
	free(e);
}

static ldns_rr_list *section(ldns_pkt *p, int i)
{
	return i == 0 ? ldns_pkt_answer(p) : i == 1 ? ldns_pkt_authority(p) : ldns_pkt_additional(p);
}

bool dns__cache_get(struct dns_engine *eng, ldns_pkt *qp, size_t max, uint8_t **out, size_t *outlen)
{
	char key[600];
	if (!eng->cache || !cache_key(qp, key, sizeof(key)))
		return false;
	uint64_t now = dns__now_ms(eng);
	struct dns_cache_entry **pp = &eng->cache[hash_str(key) % eng->cache_buckets];
	for (; *pp; pp = &(*pp)->next) {
		struct dns_cache_entry *e = *pp;
		if (strcmp(e->key, key) != 0)
			continue;
		if (now >= e->expires_ms) {
			*pp = e->next;
			cache_entry_free(e);
			eng->cache_n--;
			return false;
		}
		uint32_t age = (uint32_t)((now - e->stored_ms) / 1000);
		size_t k = 0;
		for (int s = 0; s < 3; s++) {
			ldns_rr_list *l = section(e->pkt, s);
			for (size_t i = 0; l && i < ldns_rr_list_rr_count(l) && k < e->nttls; i++, k++)
				ldns_rr_set_ttl(ldns_rr_list_rr(l, i), e->ttls[k] > age ? e->ttls[k] - age : 0);
		}
		ldns_pkt_set_id(e->pkt, ldns_pkt_id(qp));
		ldns_pkt_set_rd(e->pkt, ldns_pkt_rd(qp));
		/* the client's question as it spelt it (0x20 case) */
		ldns_rr_list *q = ldns_rr_list_clone(ldns_pkt_question(qp));
		ldns_rr_list_deep_free(ldns_pkt_question(e->pkt));
		ldns_pkt_set_question(e->pkt, q);
		if (ldns_pkt2wire(out, e->pkt, outlen) != LDNS_STATUS_OK)
			return false;
		if (*outlen > max) {   /* it came over TCP or to a larger buffer */
			free(*out);
			*out = NULL;
			return false;
		}
		return true;
	}
	return false;
}

static void cache_put(struct dns_engine *eng, ldns_pkt *qp, ldns_pkt *ans)
{
	ldns_pkt_rcode rc = ldns_pkt_get_rcode(ans);
	if ((rc != LDNS_RCODE_NOERROR && rc != LDNS_RCODE_NXDOMAIN) || ldns_pkt_tc(ans))
		return;
	char key[600];
	if (!cache_key(qp, key, sizeof(key)))
		return;
	if (!eng->cache) {
		eng->cache_buckets = 4096;
		if (!(eng->cache = calloc(eng->cache_buckets, sizeof(*eng->cache))))
			return;
	}
	/* the smallest TTL; a negative answer: the SOA's minimum (RFC 2308) */
	uint32_t ttl = DNS_CACHE_TTL_MAX;
	size_t n = 0;
	bool any = false;
	for (int s = 0; s < 3; s++) {
		ldns_rr_list *l = section(ans, s);
		for (size_t i = 0; l && i < ldns_rr_list_rr_count(l); i++, n++) {
			ldns_rr *rr = ldns_rr_list_rr(l, i);
			uint32_t t = ldns_rr_ttl(rr);
			if (s == 1 && ldns_rr_get_type(rr) == LDNS_RR_TYPE_SOA && ldns_rr_rd_count(rr) == 7) {
				uint32_t min = ldns_rdf2native_int32(ldns_rr_rdf(rr, 6));
				t = t < min ? t : min;
			}
			if (s < 2 || ldns_rr_get_type(rr) == LDNS_RR_TYPE_SOA) {
				ttl = t < ttl ? t : ttl;
				any = true;
			}
		}
	}
	if (!any || ttl == 0)
		return;   /* an empty answer without SOA: not cached */
	if (eng->cache_n >= DNS_CACHE_MAX) {
		/* full: drop a bucket's worth, starting where this key lands */
		size_t b = hash_str(key) % eng->cache_buckets;
		for (size_t k = 0; k < eng->cache_buckets && eng->cache_n >= DNS_CACHE_MAX; k++) {
			struct dns_cache_entry **pp = &eng->cache[(b + k) % eng->cache_buckets];
			while (*pp) {
				struct dns_cache_entry *e = *pp;
				*pp = e->next;
				cache_entry_free(e);
				eng->cache_n--;
			}
		}
	}
	struct dns_cache_entry *e = calloc(1, sizeof(*e));
	if (!e)
		return;
	e->key = strdup(key);
	e->pkt = ldns_pkt_clone(ans);
	e->ttls = calloc(n + 1, sizeof(uint32_t));
	if (!e->key || !e->pkt || !e->ttls) {
		cache_entry_free(e);
		return;
	}
	for (int s = 0; s < 3; s++) {
		ldns_rr_list *l = section(ans, s);
		for (size_t i = 0; l && i < ldns_rr_list_rr_count(l); i++)
			e->ttls[e->nttls++] = ldns_rr_ttl(ldns_rr_list_rr(l, i));
	}
	e->stored_ms = dns__now_ms(eng);
	e->expires_ms = e->stored_ms + (uint64_t)ttl * 1000;
	struct dns_cache_entry **pp = &eng->cache[hash_str(key) % eng->cache_buckets];
	for (; *pp; pp = &(*pp)->next) {
		if (strcmp((*pp)->key, key) == 0) {
			struct dns_cache_entry *old = *pp;
			e->next = old->next;
			*pp = e;
			cache_entry_free(old);
			return;
		}
	}
	e->next = NULL;
	*pp = e;
	eng->cache_n++;
}

void dns__cache_free(struct dns_engine *eng)
{
	for (size_t b = 0; eng->cache && b < eng->cache_buckets; b++) {
		struct dns_cache_entry *n;
		for (struct dns_cache_entry *e = eng->cache[b]; e; e = n) {
			n = e->next;
			cache_entry_free(e);
		}
	}
	free(eng->cache);
	eng->cache = NULL;
	eng->cache_n = 0;
}

/* ---- forwarding -------------------------------------------------------------------- */

struct fwd_query;

struct fwd_attempt {
	union {
		uv_handle_t h;
		uv_udp_t udp;
		uv_tcp_t tcp;
	} u;
	uv_connect_t conn;
	uv_write_t wr;
	uint8_t lenbuf[2];
	struct fwd_query *q;             /* NULL once the query moved on */
	size_t up;
	bool tcp;
	uint8_t *rbuf;
	size_t rlen, rcap;
};

struct fwd_query {
	struct dns_engine *eng;
	struct dns_client cl;
	uint8_t *q;
	size_t qlen;
	ldns_pkt *qp;
	size_t ups[DNS_MAX_UPSTREAMS], nups, tried;
	bool tcp;                        /* the upstream transport (the client's, or TCP after TC) */
	uv_timer_t timer;
	struct fwd_attempt *cur;
	bool done;
};

static int attempt_start(struct fwd_query *fq, size_t up);

static void attempt_closed(uv_handle_t *h)
{
	struct fwd_attempt *a = h->data;
	free(a->rbuf);
	free(a);
}

static void attempt_end(struct fwd_attempt *a)
{
	if (!a)
		return;
	if (a->q && a->q->cur == a)
		a->q->cur = NULL;
	a->q = NULL;
	if (!uv_is_closing(&a->u.h))
		uv_close(&a->u.h, attempt_closed);
}

static void query_freed(uv_handle_t *h)
{
	struct fwd_query *fq = h->data;
	free(fq->q);
	ldns_pkt_free(fq->qp);
	free(fq);
}

/* an answer too large for a UDP client: its header and question, TC set */
static void reply_truncated(struct fwd_query *fq, ldns_pkt *ans)
{
	fq->eng->truncated++;
	ldns_rr_list_deep_free(ldns_pkt_answer(ans));
	ldns_rr_list_deep_free(ldns_pkt_authority(ans));
	ldns_rr_list_deep_free(ldns_pkt_additional(ans));
	ldns_pkt_set_answer(ans, ldns_rr_list_new());
	ldns_pkt_set_authority(ans, ldns_rr_list_new());
	ldns_pkt_set_additional(ans, ldns_rr_list_new());
	ldns_pkt_set_ancount(ans, 0);
	ldns_pkt_set_nscount(ans, 0);
	ldns_pkt_set_arcount(ans, 0);
	ldns_pkt_set_tc(ans, true);
	uint8_t *w = NULL;
	size_t n = 0;
	if (ldns_pkt2wire(&w, ans, &n) == LDNS_STATUS_OK)
		dns__reply(&fq->cl, w, n);
	else
		dns__client_drop(&fq->cl);
	free(w);
}

static void query_finish_pkt(struct fwd_query *fq, const uint8_t *w, size_t n, ldns_pkt *ans)
{
	if (fq->done)
		return;
	fq->done = true;
	fq->eng->inflight--;
	attempt_end(fq->cur);
	if (w && n > fq->cl.max && ans)
		reply_truncated(fq, ans);
	else if (w)
		dns__reply(&fq->cl, w, n);
	else {
		fq->eng->servfail++;
		dns__reply_rcode(&fq->cl, fq->q, fq->qlen, LDNS_RCODE_SERVFAIL);
	}
	uv_timer_stop(&fq->timer);
	uv_close((uv_handle_t *)&fq->timer, query_freed);
}

static void query_finish(struct fwd_query *fq, const uint8_t *w, size_t n)
{
	query_finish_pkt(fq, w, n, NULL);
}

static void attempt_next(struct fwd_query *fq);
static void on_timeout(uv_timer_t *t);

/* an answer from the current attempt: it must be the answer to our question */
static void attempt_answer(struct fwd_attempt *a, const uint8_t *w, size_t n)
{
	struct fwd_query *fq = a->q;
	if (!fq)
		return;
	ldns_pkt *ans = NULL;
	if (ldns_wire2pkt(&ans, w, n) != LDNS_STATUS_OK)
		return;   /* garbage: keep waiting until the timeout */
	bool ok = ldns_pkt_qr(ans) && ldns_pkt_id(ans) == ldns_pkt_id(fq->qp);
	ldns_rr_list *qa = ldns_pkt_question(ans), *qq = ldns_pkt_question(fq->qp);
	if (ok && ldns_rr_list_rr_count(qq) == 1) {
		ok = ldns_rr_list_rr_count(qa) == 1 &&
		     ldns_rr_get_type(ldns_rr_list_rr(qa, 0)) == ldns_rr_get_type(ldns_rr_list_rr(qq, 0)) &&
		     ldns_dname_compare(ldns_rr_owner(ldns_rr_list_rr(qa, 0)), ldns_rr_owner(ldns_rr_list_rr(qq, 0))) == 0;
	}
	if (!ok) {
		ldns_pkt_free(ans);
		return;
	}
	struct dns_upstream *u = &fq->eng->ups[a->up];
	u->answered++;
	u->dead_until = 0;
	if (!fq->tcp && ldns_pkt_tc(ans) && fq->cl.max > n) {
		/* the client takes more than the upstream sent over UDP: ask it over TCP */
		size_t up = a->up;
		attempt_end(a);
		fq->tcp = true;
		ldns_pkt_free(ans);
		if (attempt_start(fq, up) == 0) {
			uv_timer_start(&fq->timer, on_timeout, (uint64_t)fq->eng->d->cfg.dns_timeout_ms, 0);
			return;
		}
		query_finish(fq, NULL, 0);
		return;
	}
	cache_put(fq->eng, fq->qp, ans);
	query_finish_pkt(fq, w, n, ans);
	ldns_pkt_free(ans);
}

static void udp_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
	(void)suggested;
	struct fwd_attempt *a = h->data;
	if (!a->rbuf && !(a->rbuf = malloc(65536))) {
		*buf = uv_buf_init(NULL, 0);
		return;
	}
	*buf = uv_buf_init((char *)a->rbuf, 65536);
}

static void udp_recv(uv_udp_t *h, ssize_t nread, const uv_buf_t *buf, const struct sockaddr *addr, unsigned flags)
{
	(void)buf;
	(void)addr;
	struct fwd_attempt *a = h->data;
	if (nread > 0 && !(flags & UV_UDP_PARTIAL))
		attempt_answer(a, a->rbuf, (size_t)nread);
	else if (nread < 0 && a->q) {
		/* ICMP refused: this upstream is not there; the next one at once */
		struct fwd_query *fq = a->q;
		attempt_end(a);
		attempt_next(fq);
	}
}

static void tcp_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
	(void)suggested;
	struct fwd_attempt *a = h->data;
	if (a->rcap - a->rlen < 4096) {
		size_t c = a->rcap ? a->rcap * 2 : 8192;
		if (c > 65537 + 4096)
			c = 65537 + 4096;
		uint8_t *nb = c > a->rcap ? realloc(a->rbuf, c) : NULL;
		if (nb) {
			a->rbuf = nb;
			a->rcap = c;
		}
	}
	*buf = uv_buf_init((char *)a->rbuf + a->rlen, (unsigned)(a->rcap - a->rlen));
}

static void tcp_read(uv_stream_t *s, ssize_t nread, const uv_buf_t *buf)
{
	(void)buf;
	struct fwd_attempt *a = s->data;
	if (nread < 0 || !a->q) {
		if (a->q) {
			struct fwd_query *fq = a->q;
			attempt_end(a);
			attempt_next(fq);
		}
		return;
	}
	a->rlen += (size_t)nread;
	if (a->rlen >= 2) {
		size_t m = (size_t)ldns_read_uint16(a->rbuf);
		if (a->rlen >= 2 + m)
			attempt_answer(a, a->rbuf + 2, m);
		else if (a->rlen == a->rcap && a->q) {
			struct fwd_query *fq = a->q;
			attempt_end(a);
			attempt_next(fq);
		}
	}
}

static void tcp_written(uv_write_t *w, int status)
{
	struct fwd_attempt *a = w->data;
	if (status < 0 && a->q) {
		struct fwd_query *fq = a->q;
		attempt_end(a);
		attempt_next(fq);
	}
}

static void tcp_connected(uv_connect_t *c, int status)
{
	struct fwd_attempt *a = c->data;
	if (!a->q)
		return;
	struct fwd_query *fq = a->q;
	if (status < 0) {
		attempt_end(a);
		attempt_next(fq);
		return;
	}
	ldns_write_uint16(a->lenbuf, (uint16_t)fq->qlen);
	uv_buf_t bufs[2] = { uv_buf_init((char *)a->lenbuf, 2), uv_buf_init((char *)fq->q, (unsigned)fq->qlen) };
	a->wr.data = a;
	if (uv_write(&a->wr, (uv_stream_t *)&a->u.tcp, bufs, 2, tcp_written) < 0 ||
	    uv_read_start((uv_stream_t *)&a->u.tcp, tcp_alloc, tcp_read) < 0) {
		attempt_end(a);
		attempt_next(fq);
	}
}

static int attempt_start(struct fwd_query *fq, size_t up)
{
	struct dns_engine *eng = fq->eng;
	struct dns_upstream *u = &eng->ups[up];
	struct fwd_attempt *a = calloc(1, sizeof(*a));
	if (!a)
		return -ENOMEM;
	a->q = fq;
	a->up = up;
	a->tcp = fq->tcp;
	int r;
	if (fq->tcp) {
		if ((r = uv_tcp_init(dns__loop(eng), &a->u.tcp)) < 0) {
			free(a);
			return r;
		}
		a->u.h.data = a;
		a->conn.data = a;
		if ((r = uv_tcp_connect(&a->conn, &a->u.tcp, (const struct sockaddr *)&u->sa, tcp_connected)) < 0) {
			uv_close(&a->u.h, attempt_closed);
			return r;
		}
	} else {
		if ((r = uv_udp_init_ex(dns__loop(eng), &a->u.udp, u->sa.ss_family)) < 0) {
			free(a);
			return r;
		}
		a->u.h.data = a;
		uv_buf_t b = uv_buf_init((char *)fq->q, (unsigned)fq->qlen);
		if ((r = uv_udp_connect(&a->u.udp, (const struct sockaddr *)&u->sa)) < 0 ||
		    (r = uv_udp_recv_start(&a->u.udp, udp_alloc, udp_recv)) < 0 ||
		    (r = uv_udp_try_send(&a->u.udp, &b, 1, NULL)) < 0) {
			uv_close(&a->u.h, attempt_closed);
			return r;
		}
	}
	u->sent++;
	fq->cur = a;
	return 0;
}

/* the next upstream to try: alive ones in order, then dead ones that were
 * not tried yet when nothing alive is left */
static void attempt_next(struct fwd_query *fq)
{
	struct dns_engine *eng = fq->eng;
	uint64_t now = dns__now_ms(eng);
	while (fq->tried < fq->nups) {
		/* pick the first untried alive one; else the first untried */
		size_t pick = SIZE_MAX;
		for (size_t i = fq->tried; i < fq->nups && pick == SIZE_MAX; i++)
			if (eng->ups[fq->ups[i]].dead_until <= now)
				pick = i;
		if (pick == SIZE_MAX)
			pick = fq->tried;
		size_t tmp = fq->ups[fq->tried];
		fq->ups[fq->tried] = fq->ups[pick];
		fq->ups[pick] = tmp;
		size_t up = fq->ups[fq->tried++];
		if (attempt_start(fq, up) == 0) {
			uv_timer_start(&fq->timer, on_timeout, (uint64_t)eng->d->cfg.dns_timeout_ms, 0);
			return;
		}
	}
	query_finish(fq, NULL, 0);
}

static void on_timeout(uv_timer_t *t)
{
	struct fwd_query *fq = t->data;
	if (fq->cur) {
		struct dns_upstream *u = &fq->eng->ups[fq->cur->up];
		u->timeouts++;
		u->dead_until = dns__now_ms(fq->eng) + DNS_DEAD_MS;
		log_debug("dns: upstream %s timed out; skipped for %d s", u->text, DNS_DEAD_MS / 1000);
		attempt_end(fq->cur);
	}
	attempt_next(fq);
}

void dns__forward(struct dns_engine *eng, struct dns_client *cl, const uint8_t *q, size_t qlen, ldns_pkt *qp,
		  const size_t *ups, size_t nups, bool tcp)
{
	if (!nups || eng->inflight >= DNS_MAX_INFLIGHT) {
		if (nups)
			eng->refused_busy++;
		eng->servfail++;
		dns__reply_rcode(cl, q, qlen, LDNS_RCODE_SERVFAIL);
		return;
	}
	struct fwd_query *fq = calloc(1, sizeof(*fq));
	if (!fq || !(fq->q = malloc(qlen)) || !(fq->qp = ldns_pkt_clone(qp))) {
		if (fq)
			free(fq->q);
		free(fq);
		dns__client_drop(cl);
		return;
	}
	eng->forwarded++;
	eng->inflight++;
	fq->eng = eng;
	fq->cl = *cl;
	memcpy(fq->q, q, qlen);
	fq->qlen = qlen;
	fq->tcp = tcp;
	fq->nups = nups > DNS_MAX_UPSTREAMS ? DNS_MAX_UPSTREAMS : nups;
	memcpy(fq->ups, ups, fq->nups * sizeof(size_t));
	uv_timer_init(dns__loop(eng), &fq->timer);
	fq->timer.data = fq;
	attempt_next(fq);
}
