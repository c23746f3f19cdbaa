/* proxy: the userland backend of port publishing — where eBPF cannot load,
 * a libuv proxy listens on every published port (its listening socket is
 * the reservation) and relays to the container: TCP stream by stream, UDP
 * per client address with an idle timeout. Traffic from other hosts still
 * takes the DNAT path and keeps its source address; only connections that
 * start on the host pass here. SCTP is not relayed (DNAT only). */
#include "proxy/ports_internal.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <sys/socket.h>
#include <uv.h>

#define UL_BUF 65536
#define UL_PIPE 65536              /* a pipe's default capacity (16 pages) */
#define UL_ACCEPT_RETRY_MS 100
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
		uv_poll_t poll;               /* TCP: the reservation socket, listening */
		uv_udp_t udp;
	} h;
	uv_timer_t retry;             /* TCP: accept again after EMFILE */
	int fd;                       /* TCP: ours, closed after both handles are */
	int closed;
	int proto;
	union ul_addr target;
	struct ul_udp_flow *flows;
	bool closing;
};

/* one relayed TCP connection; index 0 the client, 1 the container */
struct ul_conn {
	uv_poll_t poll[2];
	int fd[2];
	int pipe[2][2];               /* pipe[i]: bytes read from side i, not yet written to 1 - i */
	size_t queued[2];             /* bytes in pipe[i] */
	int closed;                   /* polls closed; at 2 the fds go and c is freed */
	bool connecting;
	bool eof[2];                  /* side i has sent its FIN */
	bool shut[2];                 /* side i has been shut down for writing */
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

/* The bytes never enter this process: each direction is spliced from its
 * socket into a pipe and from the pipe into the other socket (splice(2)), on
 * uv_poll_t handles over the raw fds. A direction stops reading while its
 * pipe is full and the other socket is not writable (back-pressure); its EOF
 * becomes a shutdown(SHUT_WR) of the other side once the pipe is drained. */

static void conn_closed(uv_handle_t *h)
{
	struct ul_conn *c = h->data;
	if (++c->closed < 2)
		return;
	/* both polls are closed: nothing watches the fds any more */
	for (int i = 0; i < 2; i++) {
		if (c->fd[i] >= 0)
			close(c->fd[i]);
		for (int j = 0; j < 2; j++)
			if (c->pipe[i][j] >= 0)
				close(c->pipe[i][j]);
	}
	free(c);
}

static void conn_close(struct ul_conn *c)
{
	for (int i = 0; i < 2; i++)
		if (!uv_is_closing((uv_handle_t *)&c->poll[i])) {
			uv_poll_stop(&c->poll[i]);
			uv_close((uv_handle_t *)&c->poll[i], conn_closed);
		}
}

static void conn_io(uv_poll_t *h, int status, int events);

/* what each fd waits for now */
static void conn_watch(struct ul_conn *c)
{
	for (int i = 0; i < 2; i++) {
		if (uv_is_closing((uv_handle_t *)&c->poll[i]))
			continue;
		int ev = 0;
		if (!c->eof[i] && c->queued[i] < UL_PIPE)
			ev |= UV_READABLE;
		if (c->queued[1 - i] > 0)
			ev |= UV_WRITABLE;
		if (ev)
			uv_poll_start(&c->poll[i], ev, conn_io);
		else
			uv_poll_stop(&c->poll[i]);
	}
}

/* moves what it can from side `from` to the other; <0: the connection is done for */
static int conn_pump(struct ul_conn *c, int from)
{
	int to = 1 - from;
	for (;;) {
		bool moved = false;
		if (!c->eof[from] && c->queued[from] < UL_PIPE) {
			ssize_t n = splice(c->fd[from], NULL, c->pipe[from][1], NULL, UL_PIPE - c->queued[from],
					   SPLICE_F_MOVE | SPLICE_F_NONBLOCK);
			if (n > 0) {
				c->queued[from] += (size_t)n;
				moved = true;
			} else if (n == 0) {
				c->eof[from] = true;
			} else if (errno != EAGAIN && errno != EINTR) {
				return -errno;
			}
		}
		if (c->queued[from] > 0) {
			ssize_t n = splice(c->pipe[from][0], NULL, c->fd[to], NULL, c->queued[from],
					   SPLICE_F_MOVE | SPLICE_F_NONBLOCK);
			if (n > 0) {
				c->queued[from] -= (size_t)n;
				moved = true;
			} else if (n < 0 && errno != EAGAIN && errno != EINTR) {
				return -errno; /* EPIPE, ECONNRESET: the other side is gone */
			}
		}
		if (!moved)
			break;
	}
	if (c->eof[from] && c->queued[from] == 0 && !c->shut[to]) {
		c->shut[to] = true;
		if (shutdown(c->fd[to], SHUT_WR) < 0 && errno != ENOTCONN)
			return -errno;
	}
	return 0;
}

static void conn_io(uv_poll_t *h, int status, int events)
{
	struct ul_conn *c = h->data;
	int side = h == &c->poll[0] ? 0 : 1;
	if (status < 0) {
		conn_close(c);
		return;
	}
	if (c->connecting) {
		/* side 1's first writable: the connect to the container is done */
		int e = 0;
		socklen_t len = sizeof(e);
		if (getsockopt(c->fd[1], SOL_SOCKET, SO_ERROR, &e, &len) < 0 || e) {
			conn_close(c);
			return;
		}
		c->connecting = false;
		uv_poll_start(&c->poll[0], UV_READABLE, conn_io);
	}
	/* readable: this side's data to the other; writable: the other side's data to this one */
	if ((events & UV_READABLE && conn_pump(c, side) < 0) || (events & UV_WRITABLE && conn_pump(c, 1 - side) < 0) ||
	    (c->shut[0] && c->shut[1])) {
		conn_close(c);
		return;
	}
	conn_watch(c);
}

static int conn_start(struct ul_listener *l, uv_loop_t *loop, int cfd)
{
	struct ul_conn *c = calloc(1, sizeof(*c));
	if (!c) {
		close(cfd);
		return -ENOMEM;
	}
	c->fd[0] = cfd;
	c->fd[1] = socket(l->target.sa.sa_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, IPPROTO_TCP);
	c->pipe[0][0] = c->pipe[0][1] = c->pipe[1][0] = c->pipe[1][1] = -1;
	if (c->fd[1] < 0 || pipe2(c->pipe[0], O_NONBLOCK | O_CLOEXEC) < 0 || pipe2(c->pipe[1], O_NONBLOCK | O_CLOEXEC) < 0) {
		int r = -errno;
		c->closed = 1;
		conn_closed((uv_handle_t *)&(uv_handle_t){ .data = c }); /* no handle yet: fds and c go */
		return r;
	}
	int r = uv_poll_init(loop, &c->poll[0], c->fd[0]);
	if (r < 0) {
		c->closed = 1;
		conn_closed((uv_handle_t *)&(uv_handle_t){ .data = c });
		return r;
	}
	c->poll[0].data = c;
	if ((r = uv_poll_init(loop, &c->poll[1], c->fd[1])) < 0) {
		c->closed = 1; /* only poll[0] to close; its callback closes the fds */
		uv_close((uv_handle_t *)&c->poll[0], conn_closed);
		return r;
	}
	c->poll[0].data = c->poll[1].data = c;
	int on = 1;
	(void)setsockopt(c->fd[0], IPPROTO_TCP, TCP_NODELAY, &on, sizeof(on));
	(void)setsockopt(c->fd[1], IPPROTO_TCP, TCP_NODELAY, &on, sizeof(on));
	socklen_t alen = l->target.sa.sa_family == AF_INET ? sizeof(l->target.in) : sizeof(l->target.in6);
	if (connect(c->fd[1], &l->target.sa, alen) < 0 && errno != EINPROGRESS) {
		r = -errno;
		conn_close(c);
		return r;
	}
	/* the client is read only once the container side is there */
	c->connecting = true;
	uv_poll_start(&c->poll[1], UV_WRITABLE, conn_io);
	return 0;
}

static void listener_io(uv_poll_t *h, int status, int events);

static void listener_resume(uv_timer_t *t)
{
	struct ul_listener *l = t->data;
	if (!l->closing)
		uv_poll_start(&l->h.poll, UV_READABLE, listener_io);
}

static void listener_io(uv_poll_t *h, int status, int events)
{
	struct ul_listener *l = h->data;
	if (status < 0 || l->closing)
		return;
	/* drain the backlog, a bounded batch per wakeup so other work runs too */
	for (int i = 0; i < 128; i++) {
		int cfd = accept4(l->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (cfd >= 0) {
			(void)conn_start(l, h->loop, cfd);
			continue;
		}
		if (errno == EINTR || errno == ECONNABORTED)
			continue;
		if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM) {
			/* out of fds: the level-triggered poll would spin; let the
			 * backlog wait until relayed connections give some back */
			uv_poll_stop(&l->h.poll);
			uv_timer_start(&l->retry, listener_resume, UL_ACCEPT_RETRY_MS, 0);
		}
		return;
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

static void listener_closed(uv_handle_t *h)
{
	struct ul_listener *l = h->data;
	if (l->proto == IPPROTO_TCP && ++l->closed < 2)
		return;
	if (l->fd >= 0)
		close(l->fd); /* nothing polls it any more */
	free(l);
}

static void listener_stop(struct ports__entry *e)
{
	struct ul_listener *l = e->bk;
	if (!l)
		return;
	e->bk = NULL;
	l->closing = true;
	while (l->flows)
		flow_close(l->flows);
	/* the listener owns the fd now (TCP: closed in listener_closed; UDP: by libuv) */
	e->resv_fd = -1;
	/* shutdown may have closed the handles already (uv_walk) */
	if (!uv_is_closing((uv_handle_t *)&l->h)) {
		uv_close((uv_handle_t *)&l->h, listener_closed);
		/* TCP: nothing polls the fd now; the port is free at once, for a
		 * publish in the same call (not after the loop turns) */
		if (l->proto == IPPROTO_TCP && l->fd >= 0) {
			close(l->fd);
			l->fd = -1;
		}
	}
	if (l->proto == IPPROTO_TCP && !uv_is_closing((uv_handle_t *)&l->retry))
		uv_close((uv_handle_t *)&l->retry, listener_closed);
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
	l->fd = -1;
	target_of(&e->k, &l->target);
	int r;
	if (l->proto == IPPROTO_TCP) {
		/* the reservation listens already (ops.listen); it stays the
		 * entry's until the poll exists, then the listener closes it */
		uv_timer_init(p->loop, &l->retry);
		l->retry.data = l;
		if ((r = uv_poll_init(p->loop, &l->h.poll, e->resv_fd)) < 0) {
			l->closed = 1; /* the timer's close frees l */
			uv_close((uv_handle_t *)&l->retry, listener_closed);
			return nd_error_set(err, r, "ports: proxy %s: %s", nd_port_map_str(&e->map, s, sizeof(s)),
					    uv_strerror(r));
		}
		l->h.poll.data = l;
		l->fd = e->resv_fd;
		r = uv_poll_start(&l->h.poll, UV_READABLE, listener_io);
	} else {
		uv_udp_init(p->loop, &l->h.udp);
		l->h.udp.data = l;
		if ((r = uv_udp_open(&l->h.udp, e->resv_fd)) == 0) {
			/* uv_udp_open sets SO_REUSEADDR: without this, a host process
			 * with SO_REUSEADDR could bind the published port beside us */
			int off = 0;
			(void)setsockopt(e->resv_fd, SOL_SOCKET, SO_REUSEADDR, &off, sizeof(off));
			r = uv_udp_recv_start(&l->h.udp, alloc_cb, udp_recv);
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
	/* libuv writes to sockets with write(2), not send(MSG_NOSIGNAL): the first
	 * write to a peer that has gone (an iperf3 client ending, any reset) raises
	 * SIGPIPE, and under the default disposition that kills the whole process
	 * and every relayed connection and published port with it. netd ignores
	 * SIGPIPE in main(); a process that kept the default gets it ignored here
	 * (a handler of the caller's own is left alone). */
	struct sigaction sa;
	if (sigaction(SIGPIPE, NULL, &sa) == 0 && !(sa.sa_flags & SA_SIGINFO) && sa.sa_handler == SIG_DFL) {
		signal(SIGPIPE, SIG_IGN);
		log_debug("ports: userland proxy: SIGPIPE ignored (writes to closed peers fail with EPIPE)");
	}
	return 0;
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
