/* proxy: the userland backend of port publishing — where eBPF cannot load,
 * a libuv proxy listens on every published port (its listening socket is
 * the reservation) and relays to the container: TCP stream by stream, UDP
 * per client address with an idle timeout. Traffic from other hosts still
 * takes the DNAT path and keeps its source address; only connections that
 * start on the host pass here. SCTP is not relayed (DNAT only). */
#include "proxy/ports_internal.h"

#include <arpa/inet.h>
#include <uv.h>

#define UL_BUF 65536
#define UL_HIGH_WATER (1u << 20)
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
	union {
		uv_tcp_t tcp;
		uv_udp_t udp;
	} h;
	int proto;
	union ul_addr target;
	struct ul_udp_flow *flows;
	bool closing;
};

/* one relayed TCP connection: two streams, each side reads into writes of the other */
struct ul_conn {
	uv_tcp_t side[2];             /* 0 client, 1 container */
	uv_connect_t connect;
	int closed;
	bool eof[2];
	bool reading[2];
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

/* ---- TCP ------------------------------------------------------------------------- */

static void conn_closed(uv_handle_t *h)
{
	struct ul_conn *c = h->data;
	if (++c->closed == 2)
		free(c);
}

static void conn_close(struct ul_conn *c)
{
	for (int i = 0; i < 2; i++)
		if (!uv_is_closing((uv_handle_t *)&c->side[i]))
			uv_close((uv_handle_t *)&c->side[i], conn_closed);
}

static void alloc_cb(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
	buf->base = malloc(UL_BUF);
	buf->len = buf->base ? UL_BUF : 0;
}

static void conn_read(uv_stream_t *s, ssize_t nread, const uv_buf_t *buf);

static void write_done(uv_write_t *w, int status)
{
	struct ul_conn *c = w->handle->data;
	int to = (uv_stream_t *)w->handle == (uv_stream_t *)&c->side[0] ? 0 : 1, from = 1 - to;
	free(w->data);
	free(w);
	if (status < 0) {
		conn_close(c);
		return;
	}
	/* resume the reader that was paused for this side's queue */
	if (!c->reading[from] && !c->eof[from] && c->side[to].write_queue_size < UL_HIGH_WATER / 2 &&
	    !uv_is_closing((uv_handle_t *)&c->side[from])) {
		uv_read_start((uv_stream_t *)&c->side[from], alloc_cb, conn_read);
		c->reading[from] = true;
	}
}

static void shutdown_done(uv_shutdown_t *s, int status)
{
	struct ul_conn *c = s->handle->data;
	free(s);
	if (status < 0 || (c->eof[0] && c->eof[1]))
		conn_close(c);
}

static void conn_read(uv_stream_t *s, ssize_t nread, const uv_buf_t *buf)
{
	struct ul_conn *c = s->data;
	int from = s == (uv_stream_t *)&c->side[0] ? 0 : 1, to = 1 - from;
	if (nread > 0) {
		uv_write_t *w = malloc(sizeof(*w));
		if (!w) {
			free(buf->base);
			conn_close(c);
			return;
		}
		w->data = buf->base;
		uv_buf_t b = uv_buf_init(buf->base, (unsigned)nread);
		if (uv_write(w, (uv_stream_t *)&c->side[to], &b, 1, write_done) < 0) {
			free(buf->base);
			free(w);
			conn_close(c);
			return;
		}
		if (c->side[to].write_queue_size > UL_HIGH_WATER) {
			uv_read_stop(s);
			c->reading[from] = false;
		}
		return;
	}
	free(buf->base);
	if (nread == 0)
		return;
	if (nread != UV_EOF) {
		conn_close(c);
		return;
	}
	c->eof[from] = true;
	uv_read_stop(s);
	c->reading[from] = false;
	uv_shutdown_t *sh = malloc(sizeof(*sh));
	if (!sh || uv_shutdown(sh, (uv_stream_t *)&c->side[to], shutdown_done) < 0) {
		free(sh);
		conn_close(c);
	}
}

static void up_connected(uv_connect_t *req, int status)
{
	struct ul_conn *c = req->data;
	if (status < 0) {
		conn_close(c);
		return;
	}
	for (int i = 0; i < 2; i++) {
		uv_read_start((uv_stream_t *)&c->side[i], alloc_cb, conn_read);
		c->reading[i] = true;
	}
}

static void tcp_accept(uv_stream_t *server, int status)
{
	struct ul_listener *l = server->data;
	if (status < 0)
		return;
	struct ul_conn *c = calloc(1, sizeof(*c));
	if (!c)
		return;
	uv_tcp_init(server->loop, &c->side[0]);
	uv_tcp_init(server->loop, &c->side[1]);
	c->side[0].data = c->side[1].data = c;
	if (uv_accept(server, (uv_stream_t *)&c->side[0]) < 0) {
		conn_close(c);
		return;
	}
	uv_tcp_nodelay(&c->side[0], 1);
	uv_tcp_nodelay(&c->side[1], 1);
	c->connect.data = c;
	if (uv_tcp_connect(&c->connect, &c->side[1], &l->target.sa, up_connected) < 0)
		conn_close(c);
}

/* ---- UDP ------------------------------------------------------------------------- */

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
	udp_send(&f->l->h.udp, buf, n, &f->client.sa);
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
	while (l->flows)
		flow_close(l->flows);
	/* libuv owns the fd now and closes it with the handle */
	e->resv_fd = -1;
	if (!uv_is_closing((uv_handle_t *)&l->h))   /* shutdown may have closed it */
		uv_close((uv_handle_t *)&l->h, listener_closed);
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
	target_of(&e->k, &l->target);
	int r;
	if (l->proto == IPPROTO_TCP) {
		uv_tcp_init(p->loop, &l->h.tcp);
		l->h.tcp.data = l;
		if ((r = uv_tcp_open(&l->h.tcp, e->resv_fd)) == 0)
			r = uv_listen((uv_stream_t *)&l->h.tcp, 511, tcp_accept);
	} else {
		uv_udp_init(p->loop, &l->h.udp);
		l->h.udp.data = l;
		if ((r = uv_udp_open(&l->h.udp, e->resv_fd)) == 0)
			r = uv_udp_recv_start(&l->h.udp, alloc_cb, udp_recv);
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
	return p->loop ? 0 : nd_error_set(err, -EINVAL, "ports: userland proxy needs a libuv loop");
}

static void ul_close(struct nd_ports *p) {}

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
