/* Containers: GET /containers/{id}/logs and the output of non-tty attach,
 * both read from the json-file log the shim writes (one JSON object a line:
 * log, stream, time). Non-tty containers get Docker's multiplexed stream
 * (8-byte header [stream,0,0,0,len BE32] per frame); tty ones the raw bytes.
 * A following reader polls the file (100 ms) and drains it to the end when
 * the container exits; it holds the file open, so an auto-removed
 * container's last lines still arrive. */
#include "netd/container.h"
#include "wire/wire.h"

#include <fcntl.h>
#include <sys/stat.h>

#define PUMP_BUDGET (1u << 20)
#define FOLLOW_MS 50

struct ctr_follower {
	struct ctr *c;
	struct http_req *req;
	uv_timer_t timer;
	int fd;
	char path[PATH_MAX];
	bool skip_existing;    /* attach without logs: only what comes next */
	char *partial;
	size_t plen;
	bool out, err, timestamps, tty, follow, final, ended;
	off_t start_off;       /* >= 0: read from there (attach's tty fallback) */
	void (*on_end)(void *ud);  /* set: someone else's stream, told at the end */
	void *ud;
	bool cancelled;            /* ends without telling anyone */
	struct ctr_follower *next;
};

static void follower_free_cb(uv_handle_t *h)
{
	struct ctr_follower *f = h->data;
	free(f->partial);
	free(f);
}

static void follower_end(struct ctr_follower *f)
{
	if (f->ended)
		return;
	f->ended = true;
	struct ctr *c = f->c;
	for (struct ctr_follower **p = &c->followers; *p; p = &(*p)->next)
		if (*p == f) {
			*p = f->next;
			break;
		}
	if (f->fd >= 0)
		close(f->fd);
	f->fd = -1;
	if (f->on_end) {
		if (!f->cancelled)
			f->on_end(f->ud);
	} else {
		f->req->on_close = NULL;
		http_stream_end(f->req);
	}
	uv_timer_stop(&f->timer);
	if (uv_is_closing((uv_handle_t *)&f->timer)) {
		free(f->partial);
		free(f); /* the loop already closed it (shutdown) */
	} else {
		uv_close((uv_handle_t *)&f->timer, follower_free_cb);
	}
}

static void on_client_gone(struct http_req *req, void *data)
{
	follower_end(data);
}

struct outbuf {
	char *data;
	size_t len, cap;
};

static void ob_put(struct outbuf *b, const void *p, size_t n)
{
	if (b->len + n > b->cap) {
		size_t cap = b->cap ? b->cap * 2 : 65536;
		while (cap < b->len + n)
			cap *= 2;
		char *d = realloc(b->data, cap);
		if (!d)
			return;
		b->data = d;
		b->cap = cap;
	}
	memcpy(b->data + b->len, p, n);
	b->len += n;
}

static void emit_line(struct ctr_follower *f, struct outbuf *b, const char *line, size_t len)
{
	json_error_t je;
	json_t *j = json_loadb(line, len, 0, &je);
	if (!j)
		return;
	const char *stream = nd_json_str(j, "stream") ?: "stdout";
	bool is_err = strcmp(stream, "stderr") == 0;
	json_t *lv = json_object_get(j, "log");
	if ((is_err && f->err) || (!is_err && f->out)) {
		const char *text = json_string_value(lv) ?: "";
		size_t tl = json_string_length(lv);
		const char *ts = nd_json_str(j, "time") ?: "";
		size_t tsl = f->timestamps ? strlen(ts) + 1 : 0;
		if (!f->tty) {
			unsigned char hdr[WIRE_STREAM_HDR_LEN];
			wire_stream_header(hdr, is_err ? WIRE_STREAM_STDERR : WIRE_STREAM_STDOUT, (uint32_t)(tl + tsl));
			ob_put(b, hdr, sizeof(hdr));
		}
		if (f->timestamps) {
			ob_put(b, ts, strlen(ts));
			ob_put(b, " ", 1);
		}
		ob_put(b, text, tl);
	}
	json_decref(j);
}

static void pump_cb(uv_timer_t *t);

static void pump(struct ctr_follower *f)
{
	if (f->ended)
		return;
	if (f->fd < 0) {
		f->fd = open(f->path, O_RDONLY | O_CLOEXEC);
		if (f->fd >= 0 && f->skip_existing)
			lseek(f->fd, 0, SEEK_END);
		else if (f->fd >= 0 && f->start_off > 0)
			lseek(f->fd, f->start_off, SEEK_SET);
		f->skip_existing = false;
	}
	struct outbuf b = { 0 };
	bool eof = f->fd < 0;
	size_t total = 0;
	char buf[65536];
	while (f->fd >= 0 && total < PUMP_BUDGET) {
		ssize_t n = read(f->fd, buf, sizeof(buf));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			eof = true;
			break;
		}
		total += (size_t)n;
		size_t start = 0;
		for (size_t i = 0; i < (size_t)n; i++) {
			if (buf[i] != '\n')
				continue;
			if (f->plen) {
				char *p = realloc(f->partial, f->plen + i - start);
				if (p) {
					memcpy(p + f->plen, buf + start, i - start);
					emit_line(f, &b, p, f->plen + i - start);
					f->partial = p;
				}
				f->plen = 0;
			} else {
				emit_line(f, &b, buf + start, i - start);
			}
			start = i + 1;
		}
		if (start < (size_t)n) {
			char *p = realloc(f->partial, f->plen + (size_t)n - start);
			if (p) {
				memcpy(p + f->plen, buf + start, (size_t)n - start);
				f->partial = p;
				f->plen += (size_t)n - start;
			}
		}
	}
	if (b.len)
		http_stream_write(f->req, b.data, b.len);
	free(b.data);
	if (!eof) {           /* budget used up: go on in the next loop turn */
		uv_timer_start(&f->timer, pump_cb, 0, 0);
		return;
	}
	if (!f->follow || f->final)
		follower_end(f);
}

static void pump_cb(uv_timer_t *t)
{
	struct ctr_follower *f = t->data;
	pump(f);
	if (!f->ended && f->follow && !uv_is_active((uv_handle_t *)t))
		uv_timer_start(t, pump_cb, FOLLOW_MS, 0);
}

void ctr_followers_exit(struct ctr *c)
{
	ctr_attach_exited(c);
	ctr_exec_container_exited(c);
	struct ctr_follower *f = c->followers, *next;
	for (; f; f = next) {
		next = f->next;
		f->final = true;
		uv_timer_stop(&f->timer);
		/* drain everything now (the shim wrote its last lines before exit.json) */
		for (;;) {
			pump(f);
			if (f->ended)
				break;
			uv_timer_stop(&f->timer);
		}
	}
}

void ctr_followers_free(struct ctr *c)
{
	ctr_attach_free_all(c);
	ctr_exec_free_all(c);
	while (c->followers)
		follower_end(c->followers);
}

static bool qbool(struct http_req *req, const char *k)
{
	return http_req_query_bool(req, k, false);
}

static void follow_begin(struct http_req *req, struct netd *d)
{
	struct nd_error err = { 0 };
	_cleanup_json_ json_t *doc = NULL;
	char id[ND_ID_LEN + 1];
	if (ctr_lookup(d, req->params[0], id, &doc, &err) < 0) {
		http_reply_error(req, &err);
		return;
	}
	struct ctr *c = ctr_find(d, id);
	if (!c) {
		http_reply_errorf(req, 404, "no such container: %s", req->params[0]);
		return;
	}
	struct ctr_follower *f = calloc(1, sizeof(*f));
	if (!f) {
		http_reply_errorf(req, 500, "out of memory");
		return;
	}
	f->c = c;
	f->req = req;
	f->fd = -1;
	f->out = qbool(req, "stdout");
	f->err = qbool(req, "stderr");
	if (!f->out && !f->err) {
		free(f);
		http_reply_errorf(req, 400, "you must choose at least one stream (stdout=1 and/or stderr=1)");
		return;
	}
	f->timestamps = qbool(req, "timestamps");
	f->tty = json_is_true(json_object_get(json_object_get(doc, "Config"), "Tty"));
	snprintf(f->path, sizeof(f->path), "%s", nd_json_str(doc, "LogPath") ?: "");
	f->follow = qbool(req, "follow") && (c->running || c->starting || c->restarting);
	uv_timer_init(d->loop, &f->timer);
	f->timer.data = f;
	f->next = c->followers;
	c->followers = f;
	req->on_close = on_client_gone;
	req->on_close_data = f;
	http_stream_begin(req, 200, f->tty ? "application/vnd.docker.raw-stream" : "application/vnd.docker.multiplexed-stream");
	if (f->skip_existing) {      /* mark the current end now, not at the first poll */
		f->fd = open(f->path, O_RDONLY | O_CLOEXEC);
		if (f->fd >= 0)
			lseek(f->fd, 0, SEEK_END);
		f->skip_existing = false;
	}
	pump(f);
	if (!f->ended && f->follow && !uv_is_active((uv_handle_t *)&f->timer))
		uv_timer_start(&f->timer, pump_cb, FOLLOW_MS, 0);
}

void api_container_logs(struct http_req *req, void *ctx)
{
	follow_begin(req, ctx);
}

struct ctr_follower *ctr_follower_new(struct ctr *c, struct http_req *req, const char *log_path, bool tty,
				      bool out, bool err, bool follow, off_t start_off,
				      void (*on_end)(void *ud), void *ud)
{
	struct ctr_follower *f = calloc(1, sizeof(*f));
	if (!f)
		return NULL;
	f->c = c;
	f->req = req;
	f->fd = -1;
	f->out = out;
	f->err = err;
	f->tty = tty;
	f->follow = follow;
	f->on_end = on_end;
	f->ud = ud;
	f->start_off = start_off;
	snprintf(f->path, sizeof(f->path), "%s", log_path ? log_path : "");
	uv_timer_init(c->d->loop, &f->timer);
	f->timer.data = f;
	f->next = c->followers;
	c->followers = f;
	f->fd = open(f->path, O_RDONLY | O_CLOEXEC);   /* marks "now" at once */
	if (f->fd >= 0 && start_off < 0)
		lseek(f->fd, 0, SEEK_END);
	else if (f->fd >= 0 && start_off > 0)
		lseek(f->fd, start_off, SEEK_SET);
	pump(f);
	if (!f->ended && f->follow && !uv_is_active((uv_handle_t *)&f->timer))
		uv_timer_start(&f->timer, pump_cb, FOLLOW_MS, 0);
	return f;
}

void ctr_follower_cancel(struct ctr_follower *f)
{
	f->cancelled = true;
	follower_end(f);
}
