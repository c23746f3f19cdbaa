// SPDX-License-Identifier: Apache-2.0
/* POST /containers/{id}/attach and /containers/{id}/resize.
 *
 * An attach session hijacks the client's connection (101 UPGRADED) and
 * relays, as Docker does:
 *  - tty containers: the pty's raw bytes from the shim's attach socket to the
 *    client, and the client's bytes to the pty (framed for the shim);
 *  - non-tty containers: stdout/stderr in Docker's 8-byte frames from the
 *    json-file log (a follower, container_logs.c), and stdin through the
 *    shim's socket when the container was created with OpenStdin.
 * A session made before the start (docker run, start -a) connects to the
 * shim when the container starts; it ends at the container's exit, when the
 * client's detach keys come, or when the client goes away. The client's
 * half-close closes the container's stdin when it was created StdinOnce. */
#include "netd/api/api.h"
#include "wire/wire.h"

#include <fcntl.h>
#include <sys/stat.h>

#define ATTACH_QUEUE_MAX (1u << 20)
#define ATTACH_PENDING_MAX (1u << 20)

struct ctr_attach {
	struct ctr_observer obs;  /* first: the container's observer */
	struct ctr *c;
	struct http_req *req;
	bool tty, in, out, err, stdin_once, open_stdin;
	char log_path[PATH_MAX];
	off_t log_off;            /* tty: the log's size at attach (fallback replay) */
	uv_pipe_t shim;           /* initialised at once; closed (and the session freed) at the end */
	bool shim_init, shim_eof; /* shim_init: connected to the shim's socket */
	size_t got;               /* bytes relayed from the shim */
	struct api_follower *f;
	char *pend;               /* client input before the shim's socket is there */
	size_t plen;
	bool in_eof, close_wanted, close_sent;
	bool input_paused;
	struct wire_detach dk;
	bool ended;
};

struct shim_write {
	uv_write_t w;
	struct ctr_attach *a;
	char *buf;
};

static void session_free_cb(uv_handle_t *h)
{
	struct ctr_attach *a = h->data;
	free(a->pend);
	free(a);
}

static void session_end(struct ctr_attach *a)
{
	if (a->ended)
		return;
	a->ended = true;
	ctr_unobserve(a->c, &a->obs);
	if (a->f) {
		api_follower_cancel(a->f);
		a->f = NULL;
	}
	if (a->req) {
		struct http_req *req = TAKE_PTR(a->req);
		http_req_set_on_close(req, NULL, NULL);
		http_stream_end(req);
	}
	/* StdinOnce: the client is gone, so is the container's stdin */
	if (a->shim_init && a->stdin_once && a->in && !a->close_sent && !a->shim_eof) {
		char hdr[RT_ATTACH_HDR_LEN];
		rt_attach_frame_header(hdr, RT_ATTACH_CLOSE_STDIN, 0);
		uv_buf_t b = uv_buf_init(hdr, sizeof(hdr));
		uv_try_write((uv_stream_t *)&a->shim, &b, 1);
	}
	/* freed in the close callback: callers up the stack may still look at a */
	uv_close((uv_handle_t *)&a->shim, session_free_cb);
}

static void on_client_gone(struct http_req *req, void *ud)
{
	struct ctr_attach *a = ud;
	(void)req;
	/* the request is freed by http_stream_end in session_end */
	session_end(a);
}

static void on_follower_end(void *ud)
{
	struct ctr_attach *a = ud;
	a->f = NULL;
	session_end(a);
}

/* ---- to the shim ------------------------------------------------------------ */

static void on_shim_write(uv_write_t *w, int status)
{
	struct shim_write *sw = (struct shim_write *)w;
	struct ctr_attach *a = sw->a;
	free(sw->buf);
	free(sw);
	(void)status;
	if (!a->ended && a->input_paused && a->req &&
	    uv_stream_get_write_queue_size((uv_stream_t *)&a->shim) < ATTACH_QUEUE_MAX / 2) {
		a->input_paused = false;
		http_hijack_resume(a->req);
	}
}

static void shim_send(struct ctr_attach *a, enum rt_attach_frame type, const void *data, size_t len)
{
	do {
		size_t n = len > RT_ATTACH_PAYLOAD_MAX ? RT_ATTACH_PAYLOAD_MAX : len;
		struct shim_write *sw = calloc(1, sizeof(*sw));
		char *buf = malloc(RT_ATTACH_HDR_LEN + n);
		if (!sw || !buf) {
			free(sw);
			free(buf);
			return;
		}
		rt_attach_frame_header(buf, type, (uint32_t)n);
		if (n)
			memcpy(buf + RT_ATTACH_HDR_LEN, data, n);
		sw->a = a;
		sw->buf = buf;
		uv_buf_t b = uv_buf_init(buf, (unsigned)(RT_ATTACH_HDR_LEN + n));
		if (uv_write(&sw->w, (uv_stream_t *)&a->shim, &b, 1, on_shim_write) < 0) {
			free(buf);
			free(sw);
			return;
		}
		if (n)
			data = (const char *)data + n;
		len -= n;
	} while (len);
}

static bool shim_ready(const struct ctr_attach *a)
{
	return a->shim_init && !a->shim_eof && !uv_is_closing((const uv_handle_t *)&a->shim);
}

static void send_resize(struct ctr_attach *a, unsigned short rows, unsigned short cols)
{
	char b[4];
	memcpy(b, &rows, 2);
	memcpy(b + 2, &cols, 2);
	shim_send(a, RT_ATTACH_RESIZE, b, 4);
}

/* ---- from the shim (tty output) ------------------------------------------------- */

static void on_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
	(void)h;
	(void)suggested;
	buf->base = malloc(65536);
	buf->len = buf->base ? 65536 : 0;
}

static void shim_read_start(struct ctr_attach *a);

static void on_drained(struct http_req *req, void *ud)
{
	struct ctr_attach *a = ud;
	(void)req;
	if (!a->ended && shim_ready(a))
		shim_read_start(a);
}

static void fallback_or_end(struct ctr_attach *a)
{
	/* the shim took us only after the container's exit (it accepts no one
	 * then) or never: its output is in the log, from where we attached */
	if (a->ended)
		return;
	if (a->tty && a->got == 0 && a->out && a->req && !a->f) {
		struct api_follower *f = api_follower_new(a->c, a->req, a->log_path, true, true, true, false,
							  a->log_off, on_follower_end, a);
		if (a->ended)
			return;
		a->f = f;
	}
	if (!a->f)
		session_end(a);
}

static void on_shim_read(uv_stream_t *s, ssize_t nread, const uv_buf_t *buf)
{
	struct ctr_attach *a = s->data;
	if (nread > 0 && a->tty && a->out && a->req) {
		a->got += (size_t)nread;
		http_stream_write(a->req, buf->base, (size_t)nread);
		if (http_stream_queued(a->req) > ATTACH_QUEUE_MAX) {
			uv_read_stop(s);
			http_stream_when_drained(a->req, on_drained, a);
		}
	} else if (nread < 0) {
		uv_read_stop(s);
		a->shim_eof = true;
		if (a->tty)
			fallback_or_end(a);
	}
	free(buf->base);
}

/* re-arm with the real read callback (on_drained passes NULL) */
static void shim_read_start(struct ctr_attach *a)
{
	uv_read_start((uv_stream_t *)&a->shim, on_alloc, on_shim_read);
}

static void shim_connect(struct ctr_attach *a)
{
	struct ctr *c = a->c;
	if (a->shim_init || a->ended || !(a->tty || a->open_stdin))
		return;
	int fd = -1;
	struct nd_error err = { 0 };
	if (rt_attach_connect(c->st.state_dir, &fd, &err) < 0) {
		log_debug("container=%.12s attach: %s", c->id, err.msg);
		if (a->tty)
			fallback_or_end(a);
		return;
	}
	a->shim_init = true;
	if (uv_pipe_open(&a->shim, fd) < 0) {
		close(fd);
		a->shim_eof = true;
		if (a->tty)
			fallback_or_end(a);
		return;
	}
	shim_read_start(a);
	if (a->plen) {
		shim_send(a, RT_ATTACH_INPUT, a->pend, a->plen);
		free(a->pend);
		a->pend = NULL;
		a->plen = 0;
	}
	if (a->close_wanted && !a->close_sent) {
		shim_send(a, RT_ATTACH_CLOSE_STDIN, NULL, 0);
		a->close_sent = true;
	}
	if (a->input_paused && a->req) {
		a->input_paused = false;
		http_hijack_resume(a->req);
	}
}

/* ---- from the client ------------------------------------------------------------ */

static void on_input(struct http_req *req, const char *data, size_t len, void *ud)
{
	struct ctr_attach *a = ud;
	if (a->ended)
		return;
	_cleanup_free_ char *buf = malloc(len + WIRE_DETACH_MAX);
	if (!buf)
		return;
	bool detached = false;
	size_t n = wire_detach_filter(&a->dk, data, len, buf, &detached);
	if (n && a->in && (a->tty || a->open_stdin)) {
		if (shim_ready(a)) {
			shim_send(a, RT_ATTACH_INPUT, buf, n);
			if (uv_stream_get_write_queue_size((uv_stream_t *)&a->shim) > ATTACH_QUEUE_MAX) {
				a->input_paused = true;
				http_hijack_pause(req);
			}
		} else if (!a->shim_init) {
			char *p = realloc(a->pend, a->plen + n);
			if (p) {
				memcpy(p + a->plen, buf, n);
				a->pend = p;
				a->plen += n;
			}
			if (a->plen > ATTACH_PENDING_MAX) {
				a->input_paused = true;
				http_hijack_pause(req);
			}
		}
	}
	if (detached) {
		log_debug("container=%.12s attach: detached by the client's keys", a->c->id);
		session_end(a);
	}
}

static void on_input_eof(struct http_req *req, void *ud)
{
	struct ctr_attach *a = ud;
	(void)req;
	a->in_eof = true;
	if (!a->stdin_once || !a->in || a->tty)
		return;
	if (shim_ready(a)) {
		shim_send(a, RT_ATTACH_CLOSE_STDIN, NULL, 0);
		a->close_sent = true;
	} else {
		a->close_wanted = true;
	}
}

static const struct http_hijack_ops attach_ops = {
	.on_input = on_input,
	.on_eof = on_input_eof,
};

/* ---- hooks of the container's life ------------------------------------------------ */

/* the container started: its shim's socket is there */
static void attach_started(struct ctr_observer *o)
{
	shim_connect((struct ctr_attach *)o);
}

static void attach_exited(struct ctr_observer *o)
{
	struct ctr_attach *a = (struct ctr_attach *)o;
	/* tty: the shim's EOF ends it (after the pty's last bytes);
	 * never connected: the log has the output */
	if (a->tty && !a->shim_init)
		fallback_or_end(a);
	/* non-tty: the follower drains the log and ends it */
	else if (!a->tty && !a->f)
		session_end(a);
}

static void attach_gone(struct ctr_observer *o)
{
	session_end((struct ctr_attach *)o);
}

/* ---- handlers --------------------------------------------------------------------- */

static bool qbool(struct http_req *req, const char *k)
{
	return http_req_query_bool(req, k, false);
}

void api_container_attach(struct http_req *req, void *ctx)
{
	struct netd *d = ctx;
	struct nd_error err = { 0 };
	_cleanup_json_ json_t *doc = NULL;
	char id[ND_ID_LEN + 1];
	if (ctr_lookup(d, http_req_param(req, 0), id, &doc, &err) < 0) {
		http_reply_error(req, &err);
		return;
	}
	struct ctr *c = ctr_find(d, id);
	if (!c) {
		http_reply_errorf(req, 404, "No such container: %s", http_req_param(req, 0));
		return;
	}
	_cleanup_free_ char *dkeys = http_req_query(req, "detachKeys");
	const json_t *cfg = json_object_get(doc, "Config");
	struct ctr_attach *a = calloc(1, sizeof(*a));
	if (!a) {
		http_reply_errorf(req, 500, "out of memory");
		return;
	}
	if (wire_detach_keys_parse(dkeys && *dkeys ? dkeys : NULL, &a->dk) < 0) {
		free(a);
		http_reply_errorf(req, 400, "Invalid detach keys (%s) provided: want comma-separated characters or ctrl-X", dkeys);
		return;
	}
	bool stream = qbool(req, "stream"), logs = qbool(req, "logs");
	a->c = c;
	a->tty = json_is_true(json_object_get(cfg, "Tty"));
	a->open_stdin = json_is_true(json_object_get(cfg, "OpenStdin"));
	a->stdin_once = json_is_true(json_object_get(cfg, "StdinOnce"));
	a->in = qbool(req, "stdin") && stream;
	a->out = qbool(req, "stdout");
	a->err = qbool(req, "stderr");
	/* Docker's default keys only where a terminal is attached */
	if (!dkeys && a->tty && a->in)
		wire_detach_keys_parse("ctrl-p,ctrl-q", &a->dk);
	snprintf(a->log_path, sizeof(a->log_path), "%s", nd_json_str(doc, "LogPath") ?: "");
	struct stat stb;
	a->log_off = stat(a->log_path, &stb) == 0 ? stb.st_size : 0;
	if (!stream && !logs) {
		free(a);
		http_reply_errorf(req, 400, "attach needs stream=1 or logs=1");
		return;
	}
	if (http_hijack(req, a->tty ? "application/vnd.docker.raw-stream" : "application/vnd.docker.multiplexed-stream",
			&attach_ops, a) < 0) {
		free(a);
		http_stream_end(req);
		return;
	}
	ctr_event(d, a->c->id, "attach", NULL);
	a->req = req;
	uv_pipe_init(d->loop, &a->shim, 0);
	a->shim.data = a;
	http_req_set_on_close(req, on_client_gone, a);
	a->obs.started = attach_started;
	a->obs.exited = attach_exited;
	a->obs.gone = attach_gone;
	ctr_observe(c, &a->obs);
	if (!stream || (!a->tty && (a->out || a->err))) {
		/* !stream: the log so far, then the end. Non-tty: until the next
		 * exit, whatever the state now; with logs=1 from the start */
		struct api_follower *f = stream ? api_follower_new(c, req, a->log_path, false, a->out, a->err, true,
								  logs ? 0 : -1, on_follower_end, a)
					       : api_follower_new(c, req, a->log_path, a->tty, a->out || a->tty,
								  a->err || a->tty, false, 0, on_follower_end, a);
		if (a->ended)
			return;
		a->f = f;
		if (!f) {
			session_end(a);
			return;
		}
		if (!stream)
			return;
	}
	if (ctr_running(c))
		shim_connect(a);
	if (!a->ended)
		http_hijack_resume(req);
}

void api_container_resize(struct http_req *req, void *ctx)
{
	struct netd *d = ctx;
	struct nd_error err = { 0 };
	_cleanup_json_ json_t *doc = NULL;
	char id[ND_ID_LEN + 1];
	unsigned short h, w;
	if (api_query_dim(req, "h", &h) < 0 || api_query_dim(req, "w", &w) < 0) {
		http_reply_errorf(req, 400, "resize needs h and w: numbers 0..65535");
		return;
	}
	if (ctr_lookup(d, http_req_param(req, 0), id, &doc, &err) < 0) {
		http_reply_error(req, &err);
		return;
	}
	struct ctr *c = ctr_find(d, id);
	if (!c || !ctr_running(c)) {
		http_reply_errorf(req, 409, "Container %s is not running", http_req_param(req, 0));
		return;
	}
	if (!json_is_true(json_object_get(json_object_get(doc, "Config"), "Tty"))) {
		http_reply_empty(req, 200);   /* no terminal to size: nothing to do, as Docker */
		return;
	}
	/* an attach session of this container (its observers are of several kinds) */
	for (struct ctr_observer *o = c->observers; o; o = o->next) {
		struct ctr_attach *a = (struct ctr_attach *)o;
		if (o->started != attach_started || !a->tty || !shim_ready(a))
			continue;
		{
			send_resize(a, h, w);
			http_reply_empty(req, 200);
			return;
		}
	}
	int fd = -1;
	if (rt_attach_connect(c->st.state_dir, &fd, &err) < 0 || rt_attach_send_resize(fd, h, w) < 0) {
		if (fd >= 0)
			close(fd);
		http_reply_errorf(req, 500, "resize: %s", err.msg[0] ? err.msg : "the container's terminal is gone");
		return;
	}
	close(fd);
	http_reply_empty(req, 200);
}
