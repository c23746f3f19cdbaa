// SPDX-License-Identifier: Apache-2.0
/* proxy: the userland proxy's TCP relay — the two streams of each relayed
 * connection (client <-> container), and the listening sockets that accept
 * them, on an epoll instance of its own that the libuv loop watches through
 * one uv_poll_t. Of one batch of events, the listeners go first: a client
 * that connected waits for the container's side, one that is being torn down
 * does not.
 *
 * Why not a uv_poll_t per socket: libuv 1.44 pays three syscalls to init one
 * (an epoll ADD+DEL probe and FIONBIO) and turns every change of events into
 * a DEL now and an ADD later; a short connection cost ~45 syscalls, half of
 * them epoll bookkeeping. Here each socket is registered once, edge
 * triggered (EPOLLIN|EPOLLRDHUP, EPOLLOUT added the first time a write would
 * block), and removed once before it is closed: ~20 syscalls for a short
 * connection, most of which move bytes or packets.
 *
 * Small reads go through a buffer (recv, send) and need no pipe. A direction
 * gets its pipe, and is spliced from then on without copying, when a read
 * fills the buffer (a stream) or when the other side cannot take all that was
 * read (the rest waits in the pipe). EOF becomes shutdown(SHUT_WR) of the
 * other side once everything before it was written; when both directions are
 * done the sockets are closed (the last FIN is close's own).
 *
 * Edge triggered means a side is read until the kernel says there is no
 * more: EAGAIN, 0, or a short recv when no FIN is pending (tcp_recvmsg takes
 * all that is queued; whatever arrives later raises a new edge). A splice
 * read can also stop short because the pipe is out of slots, so only EAGAIN
 * with an empty pipe or EOF end it. */
#include "proxy/ports_internal.h"

#include <fcntl.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <uv.h>

#define RELAY_COPY 16384   /* reads up to this size go through the buffer */
#define RELAY_PIPE 65536   /* a pipe's default capacity (16 pages) */
#define RELAY_ROUNDS 16    /* per connection and wakeup; then it is requeued */
#define RELAY_EVENTS 64
#define RELAY_EV (EPOLLIN | EPOLLRDHUP | EPOLLET)
#define RELAY_ACCEPTS 128  /* per listener and wakeup */
#define RELAY_RETRY_MS 100 /* accept again after EMFILE and the like */
#define RELAY_TAG_LISTENER 2 /* epoll data: pointer | 0, 1 (conn side) or 2 */

struct relay_side {
	int fd;
	int pipe[2];        /* bytes read from this side, not yet written to the other; -1 until needed */
	size_t queued;      /* bytes in pipe */
	bool rd;            /* may have bytes or EOF to read */
	bool rdhup;         /* epoll saw the peer's FIN: read until 0, a short read proves nothing */
	bool wr;            /* may take bytes (false only while EPOLLOUT is registered) */
	bool out;           /* EPOLLOUT is registered */
	bool eof;           /* read 0 */
	bool shut;          /* nothing more will be written to it */
};

/* one relayed connection; side 0 the client, 1 the container */
struct relay_conn {
	struct relay_side s[2];
	struct relay_conn *prev, *next;   /* relay->live; once dead, relay->dead */
	bool dead;                        /* closed; freed after the current batch of events */
};

struct ports__relay_listener {
	int fd;                       /* listening; ours */
	struct sockaddr_storage to;   /* the container's address */
	socklen_t tolen;
	bool paused;                  /* out of fds: out of the epoll until the retry timer */
	struct ports__relay_listener *prev, *next;
};

struct ports__relay {
	uv_poll_t poll;               /* on epfd */
	uv_timer_t retry;             /* puts paused listeners back */
	int epfd;
	int closed;                   /* handles closed (2: r goes) */
	struct ports__relay_listener *listeners;
	struct relay_conn *live;
	struct relay_conn *dead;
	size_t count;                 /* live connections; the poll holds the loop only while there are some */
	char buf[RELAY_COPY];
};

static int side_ctl(struct ports__relay *r, struct relay_conn *c, int i, int op)
{
	struct epoll_event ev = {
		.events = RELAY_EV | (c->s[i].out ? EPOLLOUT : 0),
		.data.u64 = (uint64_t)(uintptr_t)c | (uint64_t)i,
	};
	return epoll_ctl(r->epfd, op, c->s[i].fd, &ev) < 0 ? -errno : 0;
}

/* a write to side i would block: wait for its EPOLLOUT (registered once, kept) */
static int side_blocked(struct ports__relay *r, struct relay_conn *c, int i)
{
	c->s[i].wr = false;
	if (c->s[i].out)
		return 0;
	c->s[i].out = true;
	return side_ctl(r, c, i, EPOLL_CTL_MOD);
}

static void conn_free(struct relay_conn *c)
{
	for (int i = 0; i < 2; i++)
		for (int j = 0; j < 2; j++)
			if (c->s[i].pipe[j] >= 0)
				close(c->s[i].pipe[j]);
	free(c);
}

static void conn_close(struct ports__relay *r, struct relay_conn *c)
{
	for (int i = 0; i < 2; i++) {
		if (c->s[i].fd < 0)
			continue;
		/* removed explicitly: a child forked meanwhile may hold the file open,
		 * and epoll would then keep reporting it with a dangling pointer */
		(void)epoll_ctl(r->epfd, EPOLL_CTL_DEL, c->s[i].fd, NULL);
		close(c->s[i].fd);
		c->s[i].fd = -1;
	}
	if (c->prev)
		c->prev->next = c->next;
	else
		r->live = c->next;
	if (c->next)
		c->next->prev = c->prev;
	/* events of this batch may still name it */
	c->dead = true;
	c->prev = NULL;
	c->next = r->dead;
	r->dead = c;
	if (--r->count == 0)
		uv_unref((uv_handle_t *)&r->poll);
}

static int open_pipe(struct relay_side *a)
{
	return pipe2(a->pipe, O_NONBLOCK | O_CLOEXEC) < 0 ? -errno : 0;
}

/* one step of a -> b (a = s[from]): <0 the connection is done for, 1 progress, 0 nothing to do now */
static int relay_step(struct ports__relay *r, struct relay_conn *c, int from)
{
	struct relay_side *a = &c->s[from], *b = &c->s[1 - from];
	int moved = 0, e;
	ssize_t n;

	/* what is queued goes first */
	if (a->queued && b->wr) {
		n = splice(a->pipe[0], NULL, b->fd, NULL, a->queued, SPLICE_F_MOVE | SPLICE_F_NONBLOCK);
		if (n > 0) {
			a->queued -= (size_t)n;
			moved = 1;
		} else if (n < 0 && errno == EAGAIN) {
			if ((e = side_blocked(r, c, 1 - from)) < 0)
				return e;
		} else if (n < 0 && errno != EINTR) {
			return -errno; /* EPIPE, ECONNRESET: the other side is gone */
		}
	}
	if (a->rd && !a->eof && a->pipe[0] < 0) {
		/* no pipe yet: through the buffer */
		n = recv(a->fd, r->buf, sizeof(r->buf), 0);
		if (n == 0) {
			a->eof = true;
			moved = 1;
		} else if (n < 0) {
			if (errno == EAGAIN)
				a->rd = false;
			else if (errno != EINTR)
				return -errno;
		} else {
			moved = 1;
			if ((size_t)n < sizeof(r->buf) && !a->rdhup)
				a->rd = false;
			ssize_t m = 0;
			if (b->wr && (m = send(b->fd, r->buf, (size_t)n, MSG_NOSIGNAL)) < 0) {
				if (errno != EAGAIN && errno != EINTR)
					return -errno;
				m = 0;
			}
			if (m < n) {
				/* b cannot take it all: the rest waits in the pipe (empty, so it fits) */
				if ((e = open_pipe(a)) < 0)
					return e;
				ssize_t w = write(a->pipe[1], r->buf + m, (size_t)(n - m));
				if (w != n - m)
					return w < 0 ? -errno : -EIO;
				a->queued = (size_t)(n - m);
				if ((e = side_blocked(r, c, 1 - from)) < 0)
					return e;
			} else if ((size_t)n == sizeof(r->buf) && (e = open_pipe(a)) < 0) {
				return e; /* a full buffer: a stream, spliced from now on */
			}
		}
	} else if (a->rd && !a->eof && a->queued < RELAY_PIPE) {
		n = splice(a->fd, NULL, a->pipe[1], NULL, RELAY_PIPE - a->queued, SPLICE_F_MOVE | SPLICE_F_NONBLOCK);
		if (n > 0) {
			a->queued += (size_t)n;
			moved = 1;
		} else if (n == 0) {
			a->eof = true;
			moved = 1;
		} else if (errno == EAGAIN) {
			/* with bytes in the pipe, EAGAIN may mean a full pipe, not an empty socket */
			if (!a->queued)
				a->rd = false;
		} else if (errno != EINTR) {
			return -errno;
		}
	}
	if (a->eof && !a->queued && !b->shut) {
		b->shut = true;
		/* when the other direction is done too, close() sends this FIN */
		if (!a->shut && shutdown(b->fd, SHUT_WR) < 0 && errno != ENOTCONN)
			return -errno;
	}
	return moved;
}

static void relay_run(struct ports__relay *r, struct relay_conn *c)
{
	for (int round = 0; round < RELAY_ROUNDS; round++) {
		int m0 = relay_step(r, c, 0);
		int m1 = m0 < 0 ? 0 : relay_step(r, c, 1);
		if (m0 < 0 || m1 < 0 || (c->s[0].shut && c->s[1].shut)) {
			conn_close(r, c);
			return;
		}
		if (!m0 && !m1)
			return;
	}
	/* its turn is over, others wait: re-registering with EPOLLOUT makes epoll
	 * report it again next time round (a writable or readable side is ready) */
	for (int i = 0; i < 2; i++) {
		c->s[i].out = true;
		if (side_ctl(r, c, i, EPOLL_CTL_MOD) < 0) {
			conn_close(r, c);
			return;
		}
	}
}

static int listener_ctl(struct ports__relay *r, struct ports__relay_listener *l, int op)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.u64 = (uint64_t)(uintptr_t)l | RELAY_TAG_LISTENER };
	return epoll_ctl(r->epfd, op, l->fd, &ev) < 0 ? -errno : 0;
}

static void relay_resume(uv_timer_t *t)
{
	struct ports__relay *r = t->data;
	for (struct ports__relay_listener *l = r->listeners; l; l = l->next)
		if (l->paused && listener_ctl(r, l, EPOLL_CTL_ADD) == 0)
			l->paused = false;
}

/* drains the backlog (level triggered), a bounded batch per wakeup */
static void listener_accept(struct ports__relay *r, struct ports__relay_listener *l)
{
	for (int i = 0; i < RELAY_ACCEPTS; i++) {
		int cfd = accept4(l->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (cfd >= 0) {
			(void)ports__relay_start(r, cfd, (struct sockaddr *)&l->to, l->tolen);
			continue;
		}
		if (errno == EINTR || errno == ECONNABORTED)
			continue;
		if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM) {
			/* out of fds: level triggered, it would spin; the backlog
			 * waits until relayed connections give some back */
			if (listener_ctl(r, l, EPOLL_CTL_DEL) == 0)
				l->paused = true;
			uv_timer_start(&r->retry, relay_resume, RELAY_RETRY_MS, 0);
		}
		return;
	}
}

static void relay_io(uv_poll_t *h, int status, int events)
{
	struct ports__relay *r = h->data;
	struct epoll_event ev[RELAY_EVENTS];
	if (status < 0)
		return;
	int n = epoll_wait(r->epfd, ev, RELAY_EVENTS, 0);
	for (int k = 0; k < n; k++)
		if ((ev[k].data.u64 & 3) == RELAY_TAG_LISTENER)
			listener_accept(r, (struct ports__relay_listener *)(uintptr_t)(ev[k].data.u64 & ~(uint64_t)3));
	for (int k = 0; k < n; k++) {
		if ((ev[k].data.u64 & 3) == RELAY_TAG_LISTENER)
			continue;
		struct relay_conn *c = (struct relay_conn *)(uintptr_t)(ev[k].data.u64 & ~(uint64_t)3);
		struct relay_side *s = &c->s[ev[k].data.u64 & 1];
		uint32_t e = ev[k].events;
		if (c->dead)
			continue;
		if (e & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR))
			s->rd = true; /* an error or reset shows in the read */
		if (e & (EPOLLRDHUP | EPOLLHUP | EPOLLERR))
			s->rdhup = true;
		if (e & (EPOLLOUT | EPOLLHUP | EPOLLERR))
			s->wr = true;
		relay_run(r, c);
	}
	while (r->dead) {
		struct relay_conn *c = r->dead;
		r->dead = c->next;
		conn_free(c);
	}
}

int ports__relay_start(struct ports__relay *r, int cfd, const struct sockaddr *to, socklen_t tolen)
{
	struct relay_conn *c = calloc(1, sizeof(*c));
	int e;
	if (!c) {
		close(cfd);
		return -ENOMEM;
	}
	for (int i = 0; i < 2; i++) {
		c->s[i].pipe[0] = c->s[i].pipe[1] = -1;
		c->s[i].wr = true; /* until a write says otherwise (a connecting socket: EAGAIN) */
	}
	c->s[0].fd = cfd;
	/* TCP_NODELAY: the client's socket has it from the listener */
	c->s[1].fd = socket(to->sa_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (c->s[1].fd < 0)
		goto fail;
	(void)setsockopt(c->s[1].fd, IPPROTO_TCP, TCP_NODELAY, &(int){ 1 }, sizeof(int));
	/* not waited for: a connect that fails shows as an error on the socket,
	 * bytes for it wait in the pipe until it is writable */
	if (connect(c->s[1].fd, to, tolen) < 0 && errno != EINPROGRESS)
		goto fail;
	if (side_ctl(r, c, 0, EPOLL_CTL_ADD) < 0)
		goto fail;
	if (side_ctl(r, c, 1, EPOLL_CTL_ADD) < 0) {
		e = -errno;
		(void)epoll_ctl(r->epfd, EPOLL_CTL_DEL, c->s[0].fd, NULL);
		errno = -e;
		goto fail;
	}
	c->next = r->live;
	if (r->live)
		r->live->prev = c;
	r->live = c;
	if (r->count++ == 0)
		uv_ref((uv_handle_t *)&r->poll);
	return 0;
fail:
	e = -errno;
	for (int i = 0; i < 2; i++)
		if (c->s[i].fd >= 0)
			close(c->s[i].fd);
	conn_free(c);
	return e;
}

int ports__relay_listen(struct ports__relay *r, int fd, const struct sockaddr *to, socklen_t tolen,
			struct ports__relay_listener **out)
{
	*out = NULL;
	if (tolen > sizeof(struct sockaddr_storage))
		return -EINVAL;
	struct ports__relay_listener *l = calloc(1, sizeof(*l));
	if (!l)
		return -ENOMEM;
	l->fd = fd;
	memcpy(&l->to, to, tolen);
	l->tolen = tolen;
	/* accepted sockets inherit it: one setsockopt per port, not per connection */
	(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &(int){ 1 }, sizeof(int));
	int e = listener_ctl(r, l, EPOLL_CTL_ADD);
	if (e < 0) {
		free(l);
		return e;
	}
	l->next = r->listeners;
	if (r->listeners)
		r->listeners->prev = l;
	r->listeners = l;
	*out = l;
	return 0;
}

void ports__relay_unlisten(struct ports__relay *r, struct ports__relay_listener *l)
{
	if (!l)
		return;
	/* never called from relay_io: no event of a batch can still name it */
	if (!l->paused)
		(void)epoll_ctl(r->epfd, EPOLL_CTL_DEL, l->fd, NULL);
	close(l->fd);
	if (l->prev)
		l->prev->next = l->next;
	else
		r->listeners = l->next;
	if (l->next)
		l->next->prev = l->prev;
	free(l);
}

int ports__relay_new(uv_loop_t *loop, struct ports__relay **out)
{
	*out = NULL;
	struct ports__relay *r = calloc(1, sizeof(*r));
	if (!r)
		return -ENOMEM;
	r->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (r->epfd < 0) {
		int e = -errno;
		free(r);
		return e;
	}
	int e = uv_poll_init(loop, &r->poll, r->epfd);
	if (e < 0) {
		close(r->epfd);
		free(r);
		return e;
	}
	uv_timer_init(loop, &r->retry);
	r->poll.data = r->retry.data = r;
	if ((e = uv_poll_start(&r->poll, UV_READABLE, relay_io)) < 0) {
		ports__relay_free(r);
		return e;
	}
	uv_unref((uv_handle_t *)&r->poll); /* referenced while connections live */
	*out = r;
	return 0;
}

static void relay_closed(uv_handle_t *h)
{
	struct ports__relay *r = h->data;
	if (++r->closed < 2)
		return;
	close(r->epfd); /* nothing polls it any more */
	free(r);
}

void ports__relay_free(struct ports__relay *r)
{
	if (!r)
		return;
	while (r->listeners)
		ports__relay_unlisten(r, r->listeners);
	while (r->live)
		conn_close(r, r->live);
	while (r->dead) {
		struct relay_conn *c = r->dead;
		r->dead = c->next;
		conn_free(c);
	}
	if (!uv_is_closing((uv_handle_t *)&r->poll) && !uv_is_closing((uv_handle_t *)&r->retry)) {
		uv_close((uv_handle_t *)&r->poll, relay_closed);
		uv_close((uv_handle_t *)&r->retry, relay_closed);
	} else {
		/* a uv_walk at shutdown closed them without our callback: the fd is
		 * no longer watched; r stays allocated (libuv may still hold it) */
		if (!uv_is_closing((uv_handle_t *)&r->poll))
			uv_close((uv_handle_t *)&r->poll, NULL);
		if (!uv_is_closing((uv_handle_t *)&r->retry))
			uv_close((uv_handle_t *)&r->retry, NULL);
		close(r->epfd);
		r->epfd = -1;
	}
}
