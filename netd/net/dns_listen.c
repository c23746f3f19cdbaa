// SPDX-License-Identifier: Apache-2.0
/* net: where queries come in.
 *
 * A sandbox's listener: a UDP and a TCP socket on 127.0.0.11 inside the
 * sandbox's network namespace, opened there by a short-lived thread (setns,
 * socket, bind) and served from the resolver's thread. The ports are the kernel's choice
 * (kept in <exec-root>/dns/<sandbox id> and taken again after a restart, so
 * conntrack's existing mappings stay right); a table `inet netd-dns` in the
 * namespace DNATs 127.0.0.11:53 to them (proxy's nd_fw_dns_redirect), so a
 * container's own server on 0.0.0.0:53 still binds. Where the redirection
 * cannot be made, the sockets bind 127.0.0.11:53 itself. Listeners are
 * never torn down while their sandbox lives: name changes only change the
 * tables behind them.
 *
 * A network's gateway listener: UDP on the network's IPv4 gateway, host
 * side, for CNI callers' containers, which are given that address as their
 * name server. It answers the network's names and refuses the rest. */
#include "netd/net/dns_internal.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <sys/stat.h>

/* ---- references and closing ------------------------------------------------------- */

static void listener_free_maybe(struct dns_listener *l)
{
	if (l->closing && l->open_handles == 0 && l->refs == 0)
		free(l);
}

void dns__listener_ref(struct dns_listener *l)
{
	l->refs++;
}

void dns__listener_unref(struct dns_listener *l)
{
	l->refs--;
	listener_free_maybe(l);
}

static void listener_handle_closed(uv_handle_t *h)
{
	struct dns_listener *l = h->data;
	l->open_handles--;
	listener_free_maybe(l);
}

void dns__listener_close(struct dns_listener *l)
{
	struct dns_engine *eng = l->eng;
	for (struct dns_listener **pp = &eng->listeners; *pp; pp = &(*pp)->next) {
		if (*pp == l) {
			*pp = l->next;
			eng->nlisteners--;
			break;
		}
	}
	l->closing = true;
	uv_udp_recv_stop(&l->udp);
	if (!uv_is_closing((uv_handle_t *)&l->udp))
		uv_close((uv_handle_t *)&l->udp, listener_handle_closed);
	if (l->has_tcp && !uv_is_closing((uv_handle_t *)&l->tcp))
		uv_close((uv_handle_t *)&l->tcp, listener_handle_closed);
	listener_free_maybe(l);   /* the daemon's shutdown walk may have closed them already */
}

struct dns_listener *dns__listener_find(struct dns_engine *eng, const char *sandbox_id)
{
	for (struct dns_listener *l = eng->listeners; l; l = l->next)
		if (!l->network_id[0] && strcmp(l->sandbox_id, sandbox_id) == 0)
			return l;
	return NULL;
}

/* ---- UDP ---------------------------------------------------------------------------- */

static void udp_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
	(void)suggested;
	struct dns_listener *l = h->data;
	*buf = uv_buf_init((char *)l->eng->rbuf, sizeof(l->eng->rbuf));
}

static void scope_of(struct dns_listener *l)
{
	if (l->scope_gen == l->eng->gen && l->scope_gen)
		return;
	if (l->network_id[0]) {
		const struct dns_table *t = dns__table_get(l->eng, l->network_id, false);
		l->scope.n = 0;
		if (t)
			l->scope.tables[l->scope.n++] = t;
		l->scope.forward = false;
	} else {
		dns__scope_sandbox(l->eng, l->sandbox_id, &l->scope);
	}
	l->scope_gen = l->eng->gen;
}

static void udp_recv(uv_udp_t *h, ssize_t nread, const uv_buf_t *buf, const struct sockaddr *addr, unsigned flags)
{
	struct dns_listener *l = h->data;
	if (nread <= 0 || !addr || (flags & UV_UDP_PARTIAL) || l->closing)
		return;
	l->queries++;
	scope_of(l);
	struct dns_client cl = { .l = l };
	memcpy(&cl.peer, addr, addr->sa_family == AF_INET6 ? sizeof(struct sockaddr_in6) : sizeof(struct sockaddr_in));
	dns__listener_ref(l);
	dns__handle(l->eng, &cl, &l->scope, (const uint8_t *)buf->base, (size_t)nread, false,
		    l->network_id[0] ? DNS_UNKNOWN_REFUSE : DNS_UNKNOWN_FORWARD, l->ups, l->nups);
}

/* ---- TCP ------------------------------------------------------------------------------ */

static void conn_free_maybe(struct dns_conn *c)
{
	if (c->closing && c->open_handles == 0 && c->refs == 0) {
		struct dns_listener *l = c->l;
		l->eng->tcp_conns--;
		free(c->buf);
		free(c);
		dns__listener_unref(l);
	}
}

void dns__conn_unref(struct dns_conn *c)
{
	c->refs--;
	conn_free_maybe(c);
}

static void conn_handle_closed(uv_handle_t *h)
{
	struct dns_conn *c = h->data;
	c->open_handles--;
	conn_free_maybe(c);
}

static void conn_close(struct dns_conn *c)
{
	if (c->closing)
		return;
	c->closing = true;
	uv_close((uv_handle_t *)&c->h, conn_handle_closed);
	uv_close((uv_handle_t *)&c->idle, conn_handle_closed);
}

struct conn_write {
	uv_write_t req;
	size_t n;
	uint8_t data[];
};

static void conn_written(uv_write_t *w, int status)
{
	(void)status;
	free(w->data);
}

void dns__conn_send(struct dns_conn *c, const uint8_t *w, size_t n)
{
	if (c->closing || n > 65535)
		return;
	struct conn_write *cw = malloc(sizeof(*cw) + n + 2);
	if (!cw)
		return;
	cw->req.data = cw;
	ldns_write_uint16(cw->data, (uint16_t)n);
	memcpy(cw->data + 2, w, n);
	uv_buf_t b = uv_buf_init((char *)cw->data, (unsigned)(n + 2));
	if (uv_write(&cw->req, (uv_stream_t *)&c->h, &b, 1, conn_written) < 0)
		free(cw);
}

static void conn_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
	(void)suggested;
	struct dns_conn *c = h->data;
	if (c->cap - c->len < 2048 && c->cap < 65537 + 4096) {
		size_t cap = c->cap ? c->cap * 2 : 4096;
		if (cap > 65537 + 4096)
			cap = 65537 + 4096;
		uint8_t *nb = realloc(c->buf, cap);
		if (nb) {
			c->buf = nb;
			c->cap = cap;
		}
	}
	*buf = uv_buf_init((char *)c->buf + c->len, (unsigned)(c->cap - c->len));
}

static void conn_read(uv_stream_t *s, ssize_t nread, const uv_buf_t *buf)
{
	(void)buf;
	struct dns_conn *c = s->data;
	if (nread < 0) {
		conn_close(c);
		return;
	}
	c->len += (size_t)nread;
	uv_timer_again(&c->idle);
	struct dns_listener *l = c->l;
	while (c->len >= 2 && !c->closing) {
		size_t m = ldns_read_uint16(c->buf);
		if (c->len < 2 + m)
			break;
		l->queries++;
		scope_of(l);
		struct dns_client cl = { .c = c };
		c->refs++;
		dns__handle(l->eng, &cl, &l->scope, c->buf + 2, m, true, DNS_UNKNOWN_FORWARD, l->ups, l->nups);
		if (c->closing)
			break;
		memmove(c->buf, c->buf + 2 + m, c->len - 2 - m);
		c->len -= 2 + m;
	}
	if (c->len == c->cap)
		conn_close(c);   /* a message larger than DNS allows */
}

static void conn_idle(uv_timer_t *t)
{
	conn_close(t->data);
}

static void tcp_accept(uv_stream_t *server, int status)
{
	struct dns_listener *l = server->data;
	if (status < 0 || l->closing)
		return;
	struct dns_conn *c = calloc(1, sizeof(*c));
	if (!c)
		return;
	uv_tcp_init(dns__loop(l->eng), &c->h);
	uv_timer_init(dns__loop(l->eng), &c->idle);
	c->h.data = c->idle.data = c;
	c->l = l;
	c->open_handles = 2;
	dns__listener_ref(l);
	l->eng->tcp_conns++;
	if (uv_accept(server, (uv_stream_t *)&c->h) < 0 || l->eng->tcp_conns > DNS_TCP_MAX ||
	    uv_read_start((uv_stream_t *)&c->h, conn_alloc, conn_read) < 0) {
		conn_close(c);
		return;
	}
	uv_timer_start(&c->idle, conn_idle, DNS_TCP_IDLE_MS, DNS_TCP_IDLE_MS);
}

/* ---- opening inside the sandbox ------------------------------------------------------- */

struct open_job {
	const char *netns_path;
	uint16_t want_udp, want_tcp;     /* last run's ports, 0 = any */
	int ufd, tfd;
	uint16_t uport, tport;
	bool redirected;
	struct nd_error err;
};

static int bind_port(int type, uint16_t port, uint16_t *got)
{
	int fd = socket(AF_INET, type | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return -errno;
	int on = 1, rcvbuf = 1 << 20;
	if (type == SOCK_STREAM)
		(void)setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on));
	else   /* a burst waits here while the loop is busy, rather than being dropped */
		(void)setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf, sizeof(rcvbuf));
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(port) };
	inet_pton(AF_INET, DNS_LISTEN_ADDR, &sa.sin_addr);
	socklen_t sl = sizeof(sa);
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || getsockname(fd, (struct sockaddr *)&sa, &sl) < 0) {
		int e = -errno;
		close(fd);
		return e;
	}
	*got = ntohs(sa.sin_port);
	return fd;
}

static void *open_thread(void *p)
{
	struct open_job *j = p;
	int nsfd = open(j->netns_path, O_RDONLY | O_CLOEXEC);
	if (nsfd < 0 || setns(nsfd, CLONE_NEWNET) < 0) {
		nd_error_set(&j->err, -errno, "enter %s: %s", j->netns_path, strerror(errno));
		if (nsfd >= 0)
			close(nsfd);
		return NULL;
	}
	close(nsfd);
	/* the last run's ports first, else the kernel's choice */
	j->ufd = j->want_udp ? bind_port(SOCK_DGRAM, j->want_udp, &j->uport) : -1;
	if (j->ufd < 0)
		j->ufd = bind_port(SOCK_DGRAM, 0, &j->uport);
	j->tfd = j->want_tcp ? bind_port(SOCK_STREAM, j->want_tcp, &j->tport) : -1;
	if (j->tfd < 0)
		j->tfd = bind_port(SOCK_STREAM, 0, &j->tport);
	if (j->ufd < 0 || j->tfd < 0) {
		nd_error_set(&j->err, j->ufd < 0 ? j->ufd : j->tfd, "bind %s: %s", DNS_LISTEN_ADDR,
			     strerror(-(j->ufd < 0 ? j->ufd : j->tfd)));
		goto fail;
	}
	struct nd_error e = { 0 };
	bool same = j->want_udp && j->uport == j->want_udp && j->tport == j->want_tcp;
	if (nd_fw_dns_redirect(j->uport, j->tport, same, &e) == 0) {
		j->redirected = true;
		return NULL;   /* the thread ends in the sandbox's namespace: nothing else runs on it */
	}
	/* no NAT here: port 53 itself */
	log_warn("dns: %s: no redirection (%s); binding %s:53 itself", j->netns_path, e.msg, DNS_LISTEN_ADDR);
	close(j->ufd);
	close(j->tfd);
	j->ufd = bind_port(SOCK_DGRAM, 53, &j->uport);
	j->tfd = bind_port(SOCK_STREAM, 53, &j->tport);
	if (j->ufd >= 0 && j->tfd >= 0)
		return NULL;
	nd_error_set(&j->err, -EADDRINUSE, "bind %s:53: %s", DNS_LISTEN_ADDR, strerror(-(j->ufd < 0 ? j->ufd : j->tfd)));
fail:
	if (j->ufd >= 0)
		close(j->ufd);
	if (j->tfd >= 0)
		close(j->tfd);
	j->ufd = j->tfd = -1;
	return NULL;
}

static void ports_path(struct dns_engine *eng, const char *sandbox_id, char *out, size_t size)
{
	snprintf(out, size, "%s/dns/%s", eng->d->cfg.exec_root, sandbox_id);
}

int dns__listener_open(struct dns_engine *eng, const struct nd_sandbox_rec *sb, struct nd_error *err)
{
	dns__lock(eng);
	bool have = dns__listener_find(eng, sb->id) != NULL;
	dns__unlock(eng);
	if (have)
		return 0;
	struct open_job j = { .netns_path = sb->netns_path, .ufd = -1, .tfd = -1 };
	char path[PATH_MAX];
	ports_path(eng, sb->id, path, sizeof(path));
	FILE *f = fopen(path, "re");
	if (f) {
		unsigned u, t;
		if (fscanf(f, "%u %u", &u, &t) == 2 && u < 65536 && t < 65536) {
			j.want_udp = (uint16_t)u;
			j.want_tcp = (uint16_t)t;
		}
		fclose(f);
	}
	pthread_t th;
	int r = pthread_create(&th, NULL, open_thread, &j);
	if (r != 0)
		return nd_error_set(err, -r, "dns: namespace thread: %s", strerror(r));
	pthread_join(th, NULL);
	if (j.ufd < 0)
		return nd_error_set(err, j.err.code ? j.err.code : -EIO, "dns: sandbox %.12s: %s", sb->id, j.err.msg);
	struct dns_listener *l = calloc(1, sizeof(*l));
	if (!l) {
		close(j.ufd);
		close(j.tfd);
		return nd_error_set(err, -ENOMEM, "out of memory");
	}
	l->eng = eng;
	snprintf(l->sandbox_id, sizeof(l->sandbox_id), "%s", sb->id);
	l->udp_port = j.uport;
	l->tcp_port = j.tport;
	l->redirected = j.redirected;
	l->has_tcp = true;
	dns__lock(eng);   /* the handles go on the resolver thread's loop */
	uv_udp_init(dns__loop(eng), &l->udp);
	uv_tcp_init(dns__loop(eng), &l->tcp);
	l->udp.data = l->tcp.data = l;
	l->open_handles = 2;
	int rc;
	if ((rc = uv_udp_open(&l->udp, j.ufd)) < 0) {
		close(j.ufd);
		j.ufd = -1;
	}
	if (rc == 0 && (rc = uv_tcp_open(&l->tcp, j.tfd)) < 0) {
		close(j.tfd);
		j.tfd = -1;
	}
	if (rc == 0)
		rc = uv_udp_recv_start(&l->udp, udp_alloc, udp_recv);
	if (rc == 0)
		rc = uv_listen((uv_stream_t *)&l->tcp, 128, tcp_accept);
	if (rc < 0) {
		l->closing = true;
		uv_close((uv_handle_t *)&l->udp, listener_handle_closed);
		uv_close((uv_handle_t *)&l->tcp, listener_handle_closed);
		dns__unlock_wake(eng);
		return nd_error_set(err, rc, "dns: sandbox %.12s: listen: %s", sb->id, uv_strerror(rc));
	}
	l->next = eng->listeners;
	eng->listeners = l;
	eng->nlisteners++;
	dns__unlock_wake(eng);
	/* the ports for the next netd */
	if (l->redirected && (f = fopen(path, "we"))) {
		fprintf(f, "%u %u\n", l->udp_port, l->tcp_port);
		fclose(f);
	}
	return 0;
}

void net__dns_ports_forget(struct netd *d, const char *sandbox_id)
{
	struct dns_engine *eng = net_of(d)->dnsr;
	if (!eng)
		return;
	char path[PATH_MAX];
	ports_path(eng, sandbox_id, path, sizeof(path));
	unlink(path);
}

/* ---- the gateway listener ---------------------------------------------------------------- */

struct dns_listener *dns__gateway_open(struct dns_engine *eng, const char *network_id, const char *addr)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(53) };
	if (inet_pton(AF_INET, addr, &sa.sin_addr) != 1)
		return NULL;
	struct dns_listener *l = calloc(1, sizeof(*l));
	if (!l)
		return NULL;
	l->eng = eng;
	snprintf(l->network_id, sizeof(l->network_id), "%s", network_id);
	uv_udp_init(dns__loop(eng), &l->udp);
	l->udp.data = l;
	l->open_handles = 1;
	l->udp_port = 53;
	int r;
	/* SO_REUSEADDR: a host name server that binds 0.0.0.0:53 later (as
	 * dnsmasq does, with SO_REUSEADDR) still starts; queries to the gateway
	 * come here, the more specific bind */
	if ((r = uv_udp_bind(&l->udp, (const struct sockaddr *)&sa, UV_UDP_REUSEADDR)) < 0 ||
	    (r = uv_udp_recv_start(&l->udp, udp_alloc, udp_recv)) < 0) {
		log_debug("dns: network=%.12s: no name server on %s:53: %s", network_id, addr, uv_strerror(r));
		l->closing = true;
		uv_close((uv_handle_t *)&l->udp, listener_handle_closed);
		return NULL;
	}
	l->next = eng->listeners;
	eng->listeners = l;
	eng->nlisteners++;
	return l;
}
