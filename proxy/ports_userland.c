// SPDX-License-Identifier: Apache-2.0
/* proxy: the userland backend of port publishing — where eBPF cannot load,
 * a libuv proxy listens on every published port (its listening socket is
 * the reservation) and relays to the container: TCP stream by stream (the
 * listener and its connections are ports_relay.c's), UDP per client address
 * with an idle timeout here. Traffic from other hosts still
 * takes the DNAT path and keeps its source address; only connections that
 * start on the host pass here. SCTP is not relayed (DNAT only). */
#include "proxy/ports_internal.h"

#include <arpa/inet.h>
#include <signal.h>
#include <sys/socket.h>
#include <uv.h>

#define UL_BUF 65536
#define UL_UDP_IDLE_MS 60000

union ul_addr {
	struct sockaddr sa;
	struct sockaddr_in in;
	struct sockaddr_in6 in6;
	struct sockaddr_storage ss;
};

struct ul_listener;

struct ul_udp_flow {
	uv_udp_t up;                  /* connected to the container */
	uv_timer_t idle;
	union ul_addr client;
	struct ul_listener *l;
	struct ul_udp_flow *next;
	int closing;
};

struct ul_listener {
	uv_udp_t udp;                 /* UDP: the reservation socket */
	struct ports__relay_listener *tcp;   /* TCP: accepted and relayed by ports_relay.c */
	struct ports__relay *relay;
	int proto;
	union ul_addr target;
	struct ul_udp_flow *flows;
	bool closing;
};

static void target_of(const struct fw__port *k, union ul_addr *a)
{
	memset(a, 0, sizeof(*a));
	if (k->v6) {
		a->in6.sin6_family = AF_INET6;
		memcpy(&a->in6.sin6_addr, k->addr, 16);
		a->in6.sin6_port = htons(k->port);
	} else {
		a->in.sin_family = AF_INET;
		memcpy(&a->in.sin_addr, k->addr, 4);
		a->in.sin_port = htons(k->port);
	}
}

/* ---- UDP ------------------------------------------------------------------------- */

static void alloc_cb(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
	buf->base = malloc(UL_BUF);
	buf->len = buf->base ? UL_BUF : 0;
}

static void flow_closed(uv_handle_t *h)
{
	struct ul_udp_flow *f = h->data;
	if (++f->closing == 3)
		free(f);
}

static void flow_close(struct ul_udp_flow *f)
{
	if (f->closing)
		return;
	f->closing = 1;
	for (struct ul_udp_flow **pp = &f->l->flows; *pp; pp = &(*pp)->next)
		if (*pp == f) {
			*pp = f->next;
			break;
		}
	/* at daemon shutdown the loop may already be closing every handle */
	if (!uv_is_closing((uv_handle_t *)&f->up))
		uv_close((uv_handle_t *)&f->up, flow_closed);
	if (!uv_is_closing((uv_handle_t *)&f->idle))
		uv_close((uv_handle_t *)&f->idle, flow_closed);
}

static void flow_idle(uv_timer_t *t) { flow_close(t->data); }

struct ul_send {
	uv_udp_send_t req;
	char *base;
};

static void send_done(uv_udp_send_t *req, int status)
{
	struct ul_send *s = (struct ul_send *)req;
	free(s->base);
	free(s);
}

static void udp_send(uv_udp_t *h, const uv_buf_t *buf, ssize_t n, const struct sockaddr *to)
{
	struct ul_send *s = malloc(sizeof(*s));
	if (!s) {
		free(buf->base);
		return;
	}
	s->base = buf->base;
	uv_buf_t b = uv_buf_init(buf->base, (unsigned)n);
	if (uv_udp_send(&s->req, h, &b, 1, to, send_done) < 0) {
		free(buf->base);
		free(s);
	}
}

static void flow_recv(uv_udp_t *h, ssize_t n, const uv_buf_t *buf, const struct sockaddr *from, unsigned flags)
{
	struct ul_udp_flow *f = h->data;
	if (n <= 0 || f->closing || f->l->closing) {
		free(buf->base);
		return;
	}
	uv_timer_again(&f->idle);
	udp_send(&f->l->udp, buf, n, &f->client.sa);
}

static bool same_addr(const union ul_addr *a, const struct sockaddr *b)
{
	if (a->sa.sa_family != b->sa_family)
		return false;
	if (b->sa_family == AF_INET)
		return !memcmp(&a->in.sin_addr, &((const struct sockaddr_in *)b)->sin_addr, 4) &&
		       a->in.sin_port == ((const struct sockaddr_in *)b)->sin_port;
	return !memcmp(&a->in6.sin6_addr, &((const struct sockaddr_in6 *)b)->sin6_addr, 16) &&
	       a->in6.sin6_port == ((const struct sockaddr_in6 *)b)->sin6_port;
}

static void udp_recv(uv_udp_t *h, ssize_t n, const uv_buf_t *buf, const struct sockaddr *from, unsigned flags)
{
	struct ul_listener *l = h->data;
	if (n <= 0 || !from) {
		free(buf->base);
		return;
	}
	struct ul_udp_flow *f = l->flows;
	while (f && !same_addr(&f->client, from))
		f = f->next;
	if (!f) {
		f = calloc(1, sizeof(*f));
		if (!f) {
			free(buf->base);
			return;
		}
		f->l = l;
		memcpy(&f->client, from, from->sa_family == AF_INET ? sizeof(struct sockaddr_in) : sizeof(struct sockaddr_in6));
		uv_udp_init(h->loop, &f->up);
		uv_timer_init(h->loop, &f->idle);
		f->up.data = f->idle.data = f;
		f->next = l->flows;
		l->flows = f;
		if (uv_udp_connect(&f->up, &l->target.sa) < 0 || uv_udp_recv_start(&f->up, alloc_cb, flow_recv) < 0) {
			free(buf->base);
			flow_close(f);
			return;
		}
		uv_timer_start(&f->idle, flow_idle, UL_UDP_IDLE_MS, UL_UDP_IDLE_MS);
	}
	uv_timer_again(&f->idle);
	udp_send(&f->up, buf, n, NULL);
}

/* ---- the backend --------------------------------------------------------------------- */

static void listener_closed(uv_handle_t *h) { free(h->data); }

static void listener_stop(struct ports__entry *e)
{
	struct ul_listener *l = e->bk;
	if (!l)
		return;
	e->bk = NULL;
	l->closing = true;
	if (l->proto == IPPROTO_TCP) {
		/* the relay owns the fd once it listens; relayed connections go on */
		if (l->tcp) {
			ports__relay_unlisten(l->relay, l->tcp);
			e->resv_fd = -1;
		}
		free(l);
		return;
	}
	while (l->flows)
		flow_close(l->flows);
	/* libuv owns the fd now */
	e->resv_fd = -1;
	/* shutdown may have closed the handle already (uv_walk) */
	if (!uv_is_closing((uv_handle_t *)&l->udp))
		uv_close((uv_handle_t *)&l->udp, listener_closed);
}

static int listener_start(struct nd_ports *p, struct ports__entry *e, struct nd_error *err)
{
	char s[160];
	if (e->k.proto == IPPROTO_SCTP || e->resv_fd < 0)
		return 0; /* DNAT only */
	struct ul_listener *l = calloc(1, sizeof(*l));
	if (!l)
		return nd_error_set(err, -ENOMEM, "ports: out of memory");
	l->proto = e->k.proto;
	l->relay = p->bk;
	target_of(&e->k, &l->target);
	int r;
	if (l->proto == IPPROTO_TCP) {
		/* the reservation listens already (ops.listen); it stays the
		 * entry's until the relay has it, then the relay closes it */
		socklen_t alen = l->target.sa.sa_family == AF_INET ? sizeof(l->target.in) : sizeof(l->target.in6);
		r = ports__relay_listen(l->relay, e->resv_fd, &l->target.sa, alen, &l->tcp);
	} else {
		uv_udp_init(p->loop, &l->udp);
		l->udp.data = l;
		if ((r = uv_udp_open(&l->udp, e->resv_fd)) == 0) {
			/* uv_udp_open sets SO_REUSEADDR: without this, a host process
			 * with SO_REUSEADDR could bind the published port beside us */
			int off = 0;
			(void)setsockopt(e->resv_fd, SOL_SOCKET, SO_REUSEADDR, &off, sizeof(off));
			r = uv_udp_recv_start(&l->udp, alloc_cb, udp_recv);
		}
	}
	e->bk = l;
	if (r < 0) {
		listener_stop(e);
		return nd_error_set(err, r, "ports: proxy %s: %s", nd_port_map_str(&e->map, s, sizeof(s)), uv_strerror(r));
	}
	return 0;
}

static int ul_open(struct nd_ports *p, const struct nd_ports_config *cfg, struct nd_error *err)
{
	if (!p->loop)
		return nd_error_set(err, -EINVAL, "ports: userland proxy needs a libuv loop");
	/* libuv writes to sockets with write(2), not send(MSG_NOSIGNAL), and
	 * splice(2) into a socket has no such flag: the first write to a peer that
	 * has gone (an iperf3 client ending, any reset) raises SIGPIPE, and under the default disposition that kills the whole process
	 * and every relayed connection and published port with it. netd ignores
	 * SIGPIPE in main(); a process that kept the default gets it ignored here
	 * (a handler of the caller's own is left alone). */
	struct sigaction sa;
	if (sigaction(SIGPIPE, NULL, &sa) == 0 && !(sa.sa_flags & SA_SIGINFO) && sa.sa_handler == SIG_DFL) {
		signal(SIGPIPE, SIG_IGN);
		log_debug("ports: userland proxy: SIGPIPE ignored (writes to closed peers fail with EPIPE)");
	}
	struct ports__relay *r;
	int e = ports__relay_new(p->loop, &r);
	if (e < 0)
		return nd_error_set(err, e, "ports: userland proxy: %s", uv_strerror(e));
	p->bk = r;
	return 0;
}

static void ul_close(struct nd_ports *p)
{
	ports__relay_free(p->bk);
	p->bk = NULL;
}

static int ul_add(struct nd_ports *p, struct ports__entry *const *e, size_t n, struct nd_error *err)
{
	for (size_t i = 0; i < n; i++) {
		int r = listener_start(p, e[i], err);
		if (r < 0) {
			for (size_t j = 0; j < i; j++)
				listener_stop(e[j]);
			return r;
		}
	}
	return 0;
}

static void ul_del(struct nd_ports *p, struct ports__entry *const *e, size_t n)
{
	for (size_t i = 0; i < n; i++)
		listener_stop(e[i]);
}

static int ul_sync(struct nd_ports *p, struct ports__entry *const *e, size_t n, struct nd_error *err)
{
	int first = 0;
	for (size_t i = 0; i < n; i++) {
		if (e[i]->bk)
			continue;
		struct nd_error e2;
		if (listener_start(p, e[i], &e2) < 0 && !first)
			first = (*err = e2, e2.code);
	}
	return first;
}

const struct ports__backend_ops ports__userland_ops = {
	.name = "userland",
	.open = ul_open,
	.close = ul_close,
	.listen = true,
	.add = ul_add,
	.del = ul_del,
	.sync = ul_sync,
};
