// SPDX-License-Identifier: Apache-2.0
/* Containers: GET /containers/{id}/logs and the output of non-tty attach,
 * both read from the json-file log the shim writes (one JSON object a line:
 * log, stream, time). Non-tty containers get Docker's multiplexed stream
 * (8-byte header [stream,0,0,0,len BE32] per frame); tty ones the raw bytes.
 * A following reader polls the file (100 ms) and drains it to the end when
 * the container exits; it holds the file open, so an auto-removed
 * container's last lines still arrive. */
#include "netd/api/api.h"
#include "wire/wire.h"

#include <fcntl.h>
#include <sys/stat.h>

#define PUMP_BUDGET (1u << 20)
#define FOLLOW_MS 50

struct api_follower {
	struct ctr_observer obs;   /* first: the container's observer */
	struct ctr *c;
	struct http_req *req;
	uv_timer_t timer;
	int fd;
	char path[PATH_MAX];
	struct wire_buf partial;   /* a line not yet ended by '\n' */
	bool out, err, timestamps, tty, follow, final, ended;
	off_t start_off;       /* >= 0: read from there (attach's tty fallback) */
	void (*on_end)(void *ud);  /* set: someone else's stream, told at the end */
	void *ud;
	bool cancelled;            /* ends without telling anyone */
	/* ?since= ?until= (0: none), as seconds and nanoseconds */
	time_t since, until;
	long since_ns, until_ns;
	bool past_until;           /* a line after until was seen: nothing more to send */
};

static void follower_free_cb(uv_handle_t *h)
{
	struct api_follower *f = h->data;
	wire_buf_free(&f->partial);
	free(f);
}

static void follower_end(struct api_follower *f)
{
	if (f->ended)
		return;
	f->ended = true;
	ctr_unobserve(f->c, &f->obs);
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
		wire_buf_free(&f->partial);
		free(f); /* the loop already closed it (shutdown) */
	} else {
		uv_close((uv_handle_t *)&f->timer, follower_free_cb);
	}
}

static void on_client_gone(struct http_req *req, void *data)
{
	follower_end(data);
}

static void emit_line(struct api_follower *f, struct wire_buf *b, const char *line, size_t len)
{
	json_error_t je;
	json_t *j = json_loadb(line, len, 0, &je);
	if (!j)
		return;
	if (f->since || f->until) {
		time_t t;
		long ns;
		if (api_parse_time(nd_json_str(j, "time") ?: "", &t, &ns) == 0) {
			if (f->since && (t < f->since || (t == f->since && ns < f->since_ns))) {
				json_decref(j);
				return;
			}
			if (f->until && (t > f->until || (t == f->until && ns > f->until_ns))) {
				f->past_until = true;
				json_decref(j);
				return;
			}
		}
	}
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
			wire_buf_append(b, hdr, sizeof(hdr));
		}
		if (f->timestamps) {
			wire_buf_append(b, ts, strlen(ts));
			wire_buf_append(b, " ", 1);
		}
		wire_buf_append(b, text, tl);
	}
	json_decref(j);
}

static void pump_cb(uv_timer_t *t);

static void pump(struct api_follower *f)
{
	if (f->ended)
		return;
	if (f->fd < 0) {
		f->fd = open(f->path, O_RDONLY | O_CLOEXEC);
		if (f->fd >= 0 && f->start_off > 0)
			lseek(f->fd, f->start_off, SEEK_SET);
	}
	struct wire_buf b = { 0 };
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
			if (f->partial.len) {
				if (wire_buf_append(&f->partial, buf + start, i - start) == 0)
					emit_line(f, &b, f->partial.data, f->partial.len);
				wire_buf_reset(&f->partial);
			} else {
				emit_line(f, &b, buf + start, i - start);
			}
			start = i + 1;
		}
		if (start < (size_t)n)
			wire_buf_append(&f->partial, buf + start, (size_t)n - start);
	}
	if (b.len)
		http_stream_write(f->req, b.data, b.len);
	wire_buf_free(&b);
	if (!eof) {           /* budget used up: go on in the next loop turn */
		uv_timer_start(&f->timer, pump_cb, 0, 0);
		return;
	}
	if (!f->follow || f->final || f->past_until)
		follower_end(f);
}

static void pump_cb(uv_timer_t *t)
{
	struct api_follower *f = t->data;
	pump(f);
	if (!f->ended && f->follow && !uv_is_active((uv_handle_t *)t))
		uv_timer_start(t, pump_cb, FOLLOW_MS, 0);
}

/* The container exited (final: drain and end). */
static void follower_exited(struct ctr_observer *o)
{
	struct api_follower *f = (struct api_follower *)o;
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

/* The container is going away (removal, netd stop). */
static void follower_gone(struct ctr_observer *o)
{
	follower_end((struct api_follower *)o);
}

/* The offset of the last n lines of the log at path (0: all of it). */
static off_t tail_offset(const char *path, long n)
{
	_cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
	struct stat st;
	if (n < 0 || fd < 0 || fstat(fd, &st) < 0)
		return 0;
	if (n == 0)
		return st.st_size;
	off_t end = st.st_size;
	long seen = 0;
	char buf[65536];
	/* the final '\n' ends the last line; count n more before it */
	while (end > 0) {
		size_t len = end > (off_t)sizeof(buf) ? sizeof(buf) : (size_t)end;
		off_t at = end - (off_t)len;
		if (pread(fd, buf, len, at) != (ssize_t)len)
			return 0;
		for (size_t i = len; i-- > 0;) {
			if (buf[i] != '\n' || at + (off_t)i == st.st_size - 1)
				continue;
			if (++seen == n)
				return at + (off_t)i + 1;
		}
		end = at;
	}
	return 0;
}

static int query_time(struct http_req *req, const char *k, time_t *t, long *ns)
{
	_cleanup_free_ char *v = http_req_query(req, k);
	*t = 0;
	*ns = 0;
	if (!v || !*v || strcmp(v, "0") == 0)
		return 0;
	return api_parse_time(v, t, ns);
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
	struct api_follower *f = calloc(1, sizeof(*f));
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
	if (query_time(req, "since", &f->since, &f->since_ns) < 0 || query_time(req, "until", &f->until, &f->until_ns) < 0) {
		free(f);
		http_reply_errorf(req, 400, "invalid since/until: want unix seconds, RFC 3339 or a duration like 10m");
		return;
	}
	_cleanup_free_ char *tail = http_req_query(req, "tail");
	long ntail = -1;
	if (tail && *tail && strcmp(tail, "all") != 0) {
		char *end;
		ntail = strtol(tail, &end, 10);
		if (*end || ntail < 0) {
			free(f);
			http_reply_errorf(req, 400, "invalid tail \"%s\": a number or \"all\"", tail);
			return;
		}
	}
	f->tty = json_is_true(json_object_get(json_object_get(doc, "Config"), "Tty"));
	snprintf(f->path, sizeof(f->path), "%s", nd_json_str(doc, "LogPath") ?: "");
	f->start_off = tail_offset(f->path, ntail);
	f->follow = qbool(req, "follow") &&
		    (ctr_running(c) || c->phase == CTR_STARTING || c->phase == CTR_RESTARTING);
	uv_timer_init(d->loop, &f->timer);
	f->timer.data = f;
	f->obs.exited = follower_exited;
	f->obs.gone = follower_gone;
	ctr_observe(c, &f->obs);
	req->on_close = on_client_gone;
	req->on_close_data = f;
	http_stream_begin(req, 200, f->tty ? "application/vnd.docker.raw-stream" : "application/vnd.docker.multiplexed-stream");
	pump(f);
	if (!f->ended && f->follow && !uv_is_active((uv_handle_t *)&f->timer))
		uv_timer_start(&f->timer, pump_cb, FOLLOW_MS, 0);
}

void api_container_logs(struct http_req *req, void *ctx)
{
	follow_begin(req, ctx);
}

struct api_follower *api_follower_new(struct ctr *c, struct http_req *req, const char *log_path, bool tty,
				      bool out, bool err, bool follow, off_t start_off,
				      void (*on_end)(void *ud), void *ud)
{
	struct api_follower *f = calloc(1, sizeof(*f));
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
	f->obs.exited = follower_exited;
	f->obs.gone = follower_gone;
	ctr_observe(c, &f->obs);
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

void api_follower_cancel(struct api_follower *f)
{
	f->cancelled = true;
	follower_end(f);
}
