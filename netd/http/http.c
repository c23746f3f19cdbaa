// SPDX-License-Identifier: Apache-2.0
/* HTTP/1.1 over unix sockets and TCP (TLS in tls.c): libuv for I/O, http_parser for the wire. */
#include "netd/http/http.h"
#include "netd/http/http_internal.h"

#include <fcntl.h>
#include <http_parser.h>
#include <strings.h>
#include <sys/stat.h>
#include <sys/socket.h>
#include <sys/un.h>

static http_parser_settings parser_settings;
static void conn_close(struct http_conn *c);
static void conn_resume(struct http_conn *c);

static const char *status_text(int status)
{
	switch (status) {
	case 200: return "OK";
	case 201: return "Created";
	case 204: return "No Content";
	case 304: return "Not Modified";
	case 400: return "Bad Request";
	case 403: return "Forbidden";
	case 404: return "Not Found";
	case 405: return "Method Not Allowed";
	case 409: return "Conflict";
	case 413: return "Payload Too Large";
	case 500: return "Internal Server Error";
	case 501: return "Not Implemented";
	case 503: return "Service Unavailable";
	default: return "Unknown";
	}
}

/* ---- requests ------------------------------------------------------------- */

static void req_free(struct http_req *r)
{
	if (!r)
		return;
	free(r->url);
	free(r->path);
	free(r->extra_headers);
	for (size_t i = 0; i < r->nhdrs; i++) {
		free(r->hdr_names[i]);
		free(r->hdr_values[i]);
	}
	free(r->hdr_names);
	free(r->hdr_values);
	wire_buf_free(&r->body);
	if (r->body_fd >= 0)
		close(r->body_fd);
	for (int i = 0; i < r->nparams; i++)
		free(r->params[i]);
	free(r);
}

const char *http_req_header(const struct http_req *req, const char *name)
{
	for (size_t i = 0; i < req->nhdrs; i++)
		if (strcasecmp(req->hdr_names[i], name) == 0)
			return req->hdr_values[i];
	return NULL;
}

char *http_req_query(const struct http_req *req, const char *key)
{
	return wire_query_get(req->query, key);
}

char **http_req_query_all(const struct http_req *req, const char *key, size_t *n)
{
	return wire_query_get_all(req->query, key, n);
}

bool http_req_query_bool(const struct http_req *req, const char *key, bool dflt)
{
	return wire_query_bool(req->query, key, dflt);
}

json_t *http_req_json(const struct http_req *req, struct nd_error *err)
{
	if (req->body.len == 0)
		return json_object();
	json_t *j = nd_json_parse(req->body.data, req->body.len, err);
	if (j && !json_is_object(j)) {
		json_decref(j);
		nd_error_set(err, -EINVAL, "request body must be a JSON object");
		return NULL;
	}
	return j;
}

/* ---- writing -------------------------------------------------------------- */

static void on_write(uv_write_t *w, int status)
{
	struct write_req *wr = (struct write_req *)w;
	struct http_conn *c = wr->conn;
	free(wr->buf);
	free(wr);
	c->pending_writes--;
	if (status < 0 && !c->closing) {
		conn_close(c);
		return;
	}
	struct http_req *r = c->req;
	if (r && r->drain_fn && c->pending_writes == 0) {
		void (*fn)(struct http_req *, void *) = TAKE_PTR(r->drain_fn);
		fn(r, r->drain_data);
		return;
	}
	if (c->close_after_write && c->pending_writes == 0)
		conn_close(c);
}

static void conn_write_raw(struct http_conn *c, char *buf /* stolen */, size_t len)
{
	if (c->closing) {
		free(buf);
		return;
	}
	struct write_req *wr = calloc(1, sizeof(*wr));
	if (!wr) {
		free(buf);
		conn_close(c);
		return;
	}
	wr->conn = c;
	wr->buf = buf;
	uv_buf_t b = uv_buf_init(buf, (unsigned)len);
	c->pending_writes++;
	int r = uv_write(&wr->w, (uv_stream_t *)&c->pipe, &b, 1, on_write);
	if (r < 0) {
		c->pending_writes--;
		free(buf);
		free(wr);
		conn_close(c);
	}
}

static void conn_write(struct http_conn *c, char *buf /* stolen */, size_t len)
{
	if (c->tls && !c->closing) {
		buf = http__tls_encrypt(c, buf, &len);
		if (!buf) {
			conn_close(c);
			return;
		}
	}
	conn_write_raw(c, buf, len);
}

static void req_finish(struct http_req *req)
{
	struct http_conn *c = req->conn;
	if (nd_log_get_level() >= ND_LOG_DEBUG)
		log_debug("http method=%s path=%s status=%d duration_us=%llu", req->method,
			  req->path ? req->path : "?", req->status,
			  (unsigned long long)((nd_now_ns() - req->start_ns) / 1000));
	if (!c) {               /* client already gone */
		req_free(req);
		return;
	}
	if (!req->keep_alive)
		c->close_after_write = true;
	c->req = NULL;
	c->handling = false;
	req_free(req);
	if (c->close_after_write) {
		if (c->pending_writes == 0)
			conn_close(c);
		return;
	}
	conn_resume(c);
}

static char *head_build(struct http_req *req, int status, const char *ctype, const char *extra,
			size_t body_len, bool chunked, size_t *out_len)
{
	char *head = NULL;
	int n = asprintf(&head,
			 "HTTP/1.1 %d %s\r\n"
			 "Server: netd/" NETD_VERSION "\r\n"
			 "Api-Version: " WIRE_API_VERSION "\r\n"
			 "Ostype: linux\r\n"
			 "Docker-Experimental: false\r\n"
			 "%s%s%s"
			 "%s"
			 "%s"
			 "Connection: %s\r\n",
			 status, status_text(status),
			 ctype ? "Content-Type: " : "", ctype ? ctype : "", ctype ? "\r\n" : "",
			 extra ? extra : "",
			 req->extra_headers ? req->extra_headers : "",
			 req->keep_alive ? "keep-alive" : "close");
	if (n < 0)
		return NULL;
	char *full = NULL;
	if (chunked)
		n = asprintf(&full, "%sTransfer-Encoding: chunked\r\n\r\n", head);
	else
		n = asprintf(&full, "%sContent-Length: %zu\r\n\r\n", head, body_len);
	free(head);
	if (n < 0)
		return NULL;
	*out_len = (size_t)n;
	return full;
}

int http_reply_header(struct http_req *req, const char *name, const char *value)
{
	if (strpbrk(name, "\r\n:") || strpbrk(value, "\r\n"))
		return -EINVAL;
	char *n = NULL;
	if (asprintf(&n, "%s%s: %s\r\n", req->extra_headers ? req->extra_headers : "", name, value) < 0)
		return -ENOMEM;
	free(req->extra_headers);
	req->extra_headers = n;
	return 0;
}

void http_reply(struct http_req *req, int status, const char *content_type, const char *body, size_t len)
{
	if (req->replied)
		return;
	req->replied = true;
	req->status = status;
	struct http_conn *c = req->conn;
	if (c) {
		bool no_content = status == 204 || status == 304;
		bool head_only = no_content || strcmp(req->method, "HEAD") == 0;
		size_t hlen;
		char *h = head_build(req, status, no_content ? NULL : content_type, NULL,
				     no_content ? 0 : len, false, &hlen);
		if (!h) {
			conn_close(c);
		} else {
			size_t total = hlen + (head_only ? 0 : len);
			char *buf = realloc(h, total ? total : 1);
			if (!buf) {
				free(h);
				conn_close(c);
			} else {
				if (!head_only && len)
					memcpy(buf + hlen, body, len);
				conn_write(c, buf, total);
			}
		}
	}
	req_finish(req);
}

void http_reply_json(struct http_req *req, int status, json_t *body)
{
	char *s = json_dumps(body, JSON_COMPACT | JSON_ENCODE_ANY);
	json_decref(body);
	if (!s) {
		http_reply_errorf(req, 500, "out of memory encoding the response");
		return;
	}
	size_t len = strlen(s);
	s[len] = '\0';
	/* Docker's responses end in a newline; clients that read lines like it. */
	char *withnl = realloc(s, len + 2);
	if (withnl) {
		withnl[len] = '\n';
		withnl[len + 1] = '\0';
		s = withnl;
		len++;
	}
	http_reply(req, status, "application/json", s, len);
	free(s);
}

void http_reply_errorf(struct http_req *req, int status, const char *fmt, ...)
{
	char msg[ND_ERROR_MSG_MAX];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	http_reply_json(req, status, json_pack("{s:s}", "message", msg));
}

void http_reply_error(struct http_req *req, const struct nd_error *err)
{
	int status = nd_error_http_status(err);
	if (status < 400)
		status = 500;
	if (status >= 500)
		log_error("request method=%s path=%s failed: %s", req->method, req->path ? req->path : "?",
			  err->msg);
	http_reply_errorf(req, status, "%s", err->msg[0] ? err->msg : strerror(-err->code));
}

void http_reply_empty(struct http_req *req, int status)
{
	http_reply(req, status, NULL, NULL, 0);
}

void http_stream_begin(struct http_req *req, int status, const char *content_type)
{
	req->streaming = true;
	req->status = status;
	if (!req->conn)
		return;
	size_t hlen;
	char *h = head_build(req, status, content_type, NULL, 0, true, &hlen);
	if (!h) {
		conn_close(req->conn);
		return;
	}
	conn_write(req->conn, h, hlen);
}

void http_stream_write(struct http_req *req, const void *data, size_t len)
{
	if (!req->conn || len == 0)
		return;
	if (req->conn->hijacked) {
		http__hijack_write(req->conn, data, len);
		return;
	}
	char *buf = malloc(len + 32);
	if (!buf) {
		conn_close(req->conn);
		return;
	}
	int n = snprintf(buf, 32, "%zx\r\n", len);
	memcpy(buf + n, data, len);
	memcpy(buf + n + len, "\r\n", 2);
	conn_write(req->conn, buf, (size_t)n + len + 2);
}

void http_stream_end(struct http_req *req)
{
	if (req->replied)
		return;
	if (req->conn && req->conn->hijacked) {
		http__hijack_end(req);
		return;
	}
	req->replied = true;
	if (req->conn) {
		char *buf = strdup("0\r\n\r\n");
		if (buf)
			conn_write(req->conn, buf, 5);
	}
	req_finish(req);
}

void http_stream_abort(struct http_req *req)
{
	if (req->replied)
		return;
	req->replied = true;
	struct http_conn *c = req->conn;
	if (c) {
		req->conn = NULL;
		c->req = NULL;
		c->handling = false;
		conn_close(c);
	}
	req_free(req);
}

size_t http_stream_queued(const struct http_req *req)
{
	return req->conn ? uv_stream_get_write_queue_size((uv_stream_t *)&req->conn->pipe) : 0;
}

void http_stream_when_drained(struct http_req *req, void (*fn)(struct http_req *req, void *data), void *data)
{
	if (!req->conn || req->conn->pending_writes == 0) {
		fn(req, data);
		return;
	}
	req->drain_fn = fn;
	req->drain_data = data;
}

/* ---- parsing --------------------------------------------------------------- */

static struct http_req *req_new(struct http_conn *c)
{
	struct http_req *r = calloc(1, sizeof(*r));
	if (!r)
		return NULL;
	r->conn = c;
	r->srv = c->srv;
	r->body_fd = -1;
	r->start_ns = nd_now_ns();
	return r;
}

static int on_message_begin(http_parser *p)
{
	struct http_conn *c = p->data;
	if (!c->req)
		c->req = req_new(c);
	c->last_was_value = false;
	return c->req ? 0 : -1;
}

static int append(char **dst, const char *at, size_t len, size_t cap)
{
	size_t old = *dst ? strlen(*dst) : 0;
	if (old + len > cap)
		return -1;
	char *n = realloc(*dst, old + len + 1);
	if (!n)
		return -1;
	memcpy(n + old, at, len);
	n[old + len] = '\0';
	*dst = n;
	return 0;
}

static int on_url(http_parser *p, const char *at, size_t len)
{
	struct http_conn *c = p->data;
	return append(&c->req->url, at, len, 8192);
}

static int on_header_field(http_parser *p, const char *at, size_t len)
{
	struct http_conn *c = p->data;
	struct http_req *r = c->req;
	if (c->last_was_value || r->nhdrs == 0) {
		if (r->nhdrs >= 100)
			return -1;
		char **nn = realloc(r->hdr_names, (r->nhdrs + 1) * sizeof(char *));
		if (!nn)
			return -1;
		r->hdr_names = nn;
		char **nv = realloc(r->hdr_values, (r->nhdrs + 1) * sizeof(char *));
		if (!nv)
			return -1;
		r->hdr_values = nv;
		r->hdr_names[r->nhdrs] = NULL;
		r->hdr_values[r->nhdrs] = NULL;
		r->nhdrs++;
		c->last_was_value = false;
	}
	return append(&r->hdr_names[r->nhdrs - 1], at, len, 256);
}

static int on_header_value(http_parser *p, const char *at, size_t len)
{
	struct http_conn *c = p->data;
	struct http_req *r = c->req;
	c->last_was_value = true;
	if (r->nhdrs == 0)
		return -1;
	return append(&r->hdr_values[r->nhdrs - 1], at, len, 8192);
}

static void set_early(struct http_req *r, int status, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void set_early(struct http_req *r, int status, const char *fmt, ...)
{
	if (r->early_status)
		return;
	r->early_status = status;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(r->early_msg, sizeof(r->early_msg), fmt, ap);
	va_end(ap);
}

static int spool_open(struct http_server *srv)
{
	int fd = open(srv->spool_dir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
	if (fd < 0 && (errno == EOPNOTSUPP || errno == EISDIR)) {
		char tmpl[4096];
		snprintf(tmpl, sizeof(tmpl), "%s/upload-XXXXXX", srv->spool_dir);
		fd = mkostemp(tmpl, O_CLOEXEC);
		if (fd >= 0)
			unlink(tmpl);
	}
	return fd;
}

static int on_headers_complete(http_parser *p)
{
	struct http_conn *c = p->data;
	struct http_req *r = c->req;
	struct http_server *srv = c->srv;
	snprintf(r->method, sizeof(r->method), "%s", http_method_str((enum http_method)p->method));
	r->keep_alive = http_should_keep_alive(p);

	if (!r->url || r->url[0] != '/') {
		set_early(r, 400, "malformed request target");
		return 0;
	}
	struct http_parser_url u;
	http_parser_url_init(&u);
	if (http_parser_parse_url(r->url, strlen(r->url), 0, &u) != 0) {
		set_early(r, 400, "malformed request target \"%s\"", r->url);
		return 0;
	}
	if (u.field_set & (1 << UF_PATH))
		r->path = strndup(r->url + u.field_data[UF_PATH].off, u.field_data[UF_PATH].len);
	else
		r->path = strdup("/");
	if (!r->path)
		return -1;
	if (u.field_set & (1 << UF_QUERY))
		r->query = r->url + u.field_data[UF_QUERY].off;
	if (r->query)
		r->url[u.field_data[UF_QUERY].off + u.field_data[UF_QUERY].len] = '\0';
	char ver[16];
	bool had_prefix = r->path[0] == '/' && r->path[1] == 'v' && r->path[2] >= '0' && r->path[2] <= '9';
	http_path_take_version(r->path, ver, sizeof(ver));
	if (ver[0]) {
		/* Docker's words, so clients that parse them (negotiation) understand */
		unsigned v = wire_api_version_num(ver);
		if (!v)
			set_early(r, 400, "invalid API version \"%s\"", ver);
		else if (v < wire_api_version_num(WIRE_API_VERSION_MIN))
			set_early(r, 400, "client version %s is too old. Minimum supported API version is %s, "
				  "please upgrade your client to a newer version", ver, WIRE_API_VERSION_MIN);
		else if (v > wire_api_version_num(WIRE_API_VERSION))
			set_early(r, 400, "client version %s is too new. Maximum supported API version is %s", ver,
				  WIRE_API_VERSION);
		else
			r->api_version = v;
	} else if (had_prefix) {
		set_early(r, 400, "invalid API version in %s", r->path);
	}

	int rc = http_route_match(srv->cfg.routes, srv->cfg.nroutes, r->method, r->path, &r->route,
				  r->params, &r->nparams);
	if (rc == -ENOENT)
		set_early(r, 404, "page not found: %s %s", r->method, r->path);
	else if (rc == -EOPNOTSUPP)
		set_early(r, 405, "method %s not allowed on %s", r->method, r->path);

	bool upload = r->route && (r->route->flags & HTTP_ROUTE_UPLOAD);
	r->body_cap = upload ? HTTP_UPLOAD_MAX : HTTP_BODY_MAX;
	if ((p->flags & F_CONTENTLENGTH) && p->content_length > r->body_cap) {
		set_early(r, 413, "request body of %llu bytes is larger than the %llu bytes allowed",
			  (unsigned long long)p->content_length, (unsigned long long)r->body_cap);
		r->keep_alive = false;  /* we will not read it */
		return 0;
	}
	/* clients that wait for "100 Continue" before a body (curl does for
	 * large uploads) get it at once, unless the request is already refused */
	const char *expect = http_req_header(r, "Expect");
	if (expect && strcasecmp(expect, "100-continue") == 0 && !r->early_status) {
		char *cont = strdup("HTTP/1.1 100 Continue\r\n\r\n");
		if (cont)
			conn_write(c, cont, strlen(cont));
	}
	if (upload && !r->early_status) {
		r->body_fd = spool_open(srv);
		if (r->body_fd < 0)
			set_early(r, 500, "cannot spool upload in %s: %s", srv->spool_dir, strerror(errno));
	}
	return 0;
}

static int on_body(http_parser *p, const char *at, size_t len)
{
	struct http_conn *c = p->data;
	struct http_req *r = c->req;
	if (r->early_status)
		return r->early_status == 413 ? -1 : 0;
	if (r->body_len + len > r->body_cap) {
		set_early(r, 413, "request body is larger than the %llu bytes allowed",
			  (unsigned long long)r->body_cap);
		r->keep_alive = false;
		return -1;
	}
	if (r->body_fd >= 0) {
		size_t off = 0;
		while (off < len) {
			ssize_t n = write(r->body_fd, at + off, len - off);
			if (n < 0) {
				if (errno == EINTR)
					continue;
				set_early(r, 500, "spooling upload: %s", strerror(errno));
				return 0;
			}
			off += (size_t)n;
		}
		r->body_len += len;
		return 0;
	}
	if (wire_buf_append(&r->body, at, len) < 0)
		return -1;
	r->body_len += len;
	return 0;
}

static void dispatch(struct http_conn *c)
{
	struct http_req *r = c->req;
	c->srv->nrequests++;
	c->handling = true;
	if (r->early_status) {
		http_reply_errorf(r, r->early_status, "%s", r->early_msg);
		return;
	}
	if (r->body_fd >= 0 && lseek(r->body_fd, 0, SEEK_SET) < 0) {
		http_reply_errorf(r, 500, "rewinding upload: %s", strerror(errno));
		return;
	}
	/* the caller's rights (api layer) before the handler; it replies if not */
	if (c->srv->cfg.authorize && c->srv->cfg.authorize(r, c->srv->cfg.ctx) != 0)
		return;
	r->route->fn(r, c->srv->cfg.ctx);
}

static int on_message_complete(http_parser *p)
{
	/* Stop after each message; the remainder waits until this one is answered. */
	http_parser_pause(p, 1);
	return 0;
}

/* Feed bytes to the parser; dispatch a complete message. */
static void conn_feed(struct http_conn *c, const char *data, size_t len)
{
	size_t n = http_parser_execute(&c->parser, &parser_settings, data, len);
	enum http_errno e = HTTP_PARSER_ERRNO(&c->parser);
	if (e == HPE_PAUSED) {
		if (n < len) {
			char *lo = malloc(len - n);
			if (!lo) {
				conn_close(c);
				return;
			}
			memcpy(lo, data + n, len - n);
			c->leftover = lo;
			c->leftover_len = len - n;
		}
		uv_read_stop((uv_stream_t *)&c->pipe);
		dispatch(c);
		return;
	}
	if (e != HPE_OK) {
		struct http_req *r = c->req;
		if (!r) {
			r = c->req = req_new(c);
			if (!r) {
				conn_close(c);
				return;
			}
		}
		uv_read_stop((uv_stream_t *)&c->pipe);
		r->keep_alive = false;
		c->handling = true;
		c->srv->nrequests++;
		if (r->early_status)
			http_reply_errorf(r, r->early_status, "%s", r->early_msg);
		else
			http_reply_errorf(r, 400, "malformed HTTP request: %s", http_errno_description(e));
	}
}

static void on_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
	buf->base = malloc(65536);
	buf->len = buf->base ? 65536 : 0;
}

static void on_read(uv_stream_t *s, ssize_t nread, const uv_buf_t *buf)
{
	struct http_conn *c = (struct http_conn *)s;
	if (c->tls)
		http__tls_read(c, nread, buf);
	else
		http__plain_read(c, nread, buf);
}

void http__plain_read(struct http_conn *c, ssize_t nread, const uv_buf_t *buf)
{
	if (c->hijacked) {
		http__hijack_read(c, nread, buf);
		return;
	}
	if (nread < 0) {
		free(buf->base);
		conn_close(c);
		return;
	}
	if (nread > 0 && !c->handling)
		conn_feed(c, buf->base, (size_t)nread);
	free(buf->base);
}

/* Called when a response completed on a keep-alive connection. */
static void conn_resume(struct http_conn *c)
{
	if (c->closing)
		return;
	http_parser_pause(&c->parser, 0);
	if (c->leftover) {
		char *lo = TAKE_PTR(c->leftover);
		size_t len = c->leftover_len;
		c->leftover_len = 0;
		conn_feed(c, lo, len);
		free(lo);
		if (c->handling || c->closing)
			return;
	}
	uv_read_start((uv_stream_t *)&c->pipe, on_alloc, on_read);
}

static void on_conn_closed(uv_handle_t *h)
{
	struct http_conn *c = (struct http_conn *)h;
	http__hijack_free(c);
	http__tls_conn_free(c);
	free(c->leftover);
	free(c);
}

static void conn_close(struct http_conn *c)
{
	if (c->closing)
		return;
	c->closing = true;
	struct http_server *srv = c->srv;
	if (c->prev)
		c->prev->next = c->next;
	else
		srv->conns = c->next;
	if (c->next)
		c->next->prev = c->prev;
	srv->nconns--;

	struct http_req *r = TAKE_PTR(c->req);
	if (r) {
		r->conn = NULL;
		if (!c->handling) {
			req_free(r);        /* was still being parsed */
		} else if (r->streaming && r->on_close) {
			r->on_close(r, r->on_close_data);
		}
		/* else: the handler still owns it and frees it when it replies */
	}
	http__tls_close_notify(c);
	uv_close((uv_handle_t *)&c->pipe, on_conn_closed);
}

static void on_connection(uv_stream_t *server, int status)
{
	struct http_listener *l = (struct http_listener *)server;
	struct http_server *srv = l->srv;
	if (status < 0) {
		log_warn("http accept failed: %s", uv_strerror(status));
		return;
	}
	struct http_conn *c = calloc(1, sizeof(*c));
	if (!c)
		return;
	c->srv = srv;
	if (l->is_tcp)
		uv_tcp_init(srv->loop, &c->tcp);
	else
		uv_pipe_init(srv->loop, &c->pipe, 0);
	if (uv_accept(server, (uv_stream_t *)&c->pipe) < 0 ||
	    (l->tls && http__tls_conn_new(c, srv->cfg.tls) < 0)) {
		uv_close((uv_handle_t *)&c->pipe, on_conn_closed);
		return;
	}
	if (l->is_tcp)
		uv_tcp_nodelay(&c->tcp, 1);
	http_parser_init(&c->parser, HTTP_REQUEST);
	c->parser.data = c;
	c->next = srv->conns;
	if (srv->conns)
		srv->conns->prev = c;
	srv->conns = c;
	srv->nconns++;
	uv_read_start((uv_stream_t *)&c->pipe, on_alloc, on_read);
}

/* ---- server ---------------------------------------------------------------- */

/* A socket path that exists: a live server there is a conflict; a stale
 * socket (nobody listening) is ours to replace; anything else is refused. */
static int socket_path_check(const char *path, struct nd_error *err)
{
	struct stat st;
	if (lstat(path, &st) < 0)
		return errno == ENOENT ? 0 : nd_error_set(err, -errno, "socket %s: %s", path, strerror(errno));
	if (!S_ISSOCK(st.st_mode))
		return nd_error_set(err, -EEXIST, "socket path %s exists and is not a socket; refusing to replace it", path);
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return nd_error_set(err, -errno, "socket: %s", strerror(errno));
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	int rc = connect(fd, (struct sockaddr *)&sa, sizeof(sa));
	int e = errno;
	close(fd);
	if (rc == 0)
		return nd_error_set(err, -EADDRINUSE, "socket %s is in use by another server", path);
	if (e != ECONNREFUSED)
		return nd_error_set(err, -e, "socket %s: %s", path, strerror(e));
	if (unlink(path) < 0 && errno != ENOENT)
		return nd_error_set(err, -errno, "removing stale socket %s: %s", path, strerror(errno));
	return 0;
}

static void on_listener_closed(uv_handle_t *h)
{
	struct http_listener *l = (struct http_listener *)h;
	struct http_server *srv = l->srv;
	free(l->path);
	free(l);
	if (--srv->nlisteners_open == 0) {
		free(srv->spool_dir);
		free(srv);
	}
}

static int listen_unix(struct http_server *srv, struct http_listener *l, const char *path, struct nd_error *err)
{
	const struct http_server_config *cfg = &srv->cfg;
	uv_pipe_init(srv->loop, &l->pipe, 0);
	if (strlen(path) >= sizeof(((struct sockaddr_un *)0)->sun_path))
		return nd_error_set(err, -ENAMETOOLONG, "socket path %s is too long for a unix socket", path);
	int rc = socket_path_check(path, err);
	if (rc < 0)
		return rc;
	/* create the socket with the final mode: no window where it is 0777 */
	mode_t old = umask(0777 & ~cfg->socket_mode);
	rc = uv_pipe_bind(&l->pipe, path);
	umask(old);
	if (rc == 0) {
		l->path = strdup(path);
		rc = uv_listen((uv_stream_t *)&l->pipe, 511, on_connection);
	}
	if (rc < 0)
		return nd_error_set(err, rc, "listen on %s: %s", path, uv_strerror(rc));
	chmod(path, cfg->socket_mode);
	if (cfg->socket_gid != (gid_t)-1 && chown(path, (uid_t)-1, cfg->socket_gid) < 0)
		return nd_error_set(err, -errno, "chown %s to group %u: %s", path, (unsigned)cfg->socket_gid, strerror(errno));
	return 0;
}

static int listen_tcp(struct http_server *srv, struct http_listener *l, const char *hostport, struct nd_error *err)
{
	uv_tcp_init(srv->loop, &l->tcp);
	l->is_tcp = true;
	struct sockaddr_storage ss;
	int rc = http_parse_tcp_addr(hostport, &ss);
	if (rc < 0)
		return nd_error_set(err, rc, "host tcp://%s: want tcp://ADDRESS:PORT", hostport);
	if (srv->cfg.tls)
		l->tls = true;
	else if (!srv->cfg.insecure_tcp)
		return nd_error_set(err, -EPERM, "host tcp://%s: plain TCP gives root to anyone who connects; "
				    "use --tlsverify with --tlscacert/--tlscert/--tlskey (or --insecure-tcp)", hostport);
	rc = uv_tcp_bind(&l->tcp, (struct sockaddr *)&ss, 0);
	if (rc == 0)
		rc = uv_listen((uv_stream_t *)&l->tcp, 511, on_connection);
	if (rc < 0)
		return nd_error_set(err, rc, "listen on tcp://%s: %s", hostport, uv_strerror(rc));
	if (!l->tls)
		log_warn("listening on tcp://%s WITHOUT TLS (--insecure-tcp): anyone who can connect is root on this host",
			 hostport);
	return 0;
}

int http_server_new(uv_loop_t *loop, const struct http_server_config *cfg,
		    struct http_server **out, struct nd_error *err)
{
	parser_settings = (http_parser_settings){
		.on_message_begin = on_message_begin,
		.on_url = on_url,
		.on_header_field = on_header_field,
		.on_header_value = on_header_value,
		.on_headers_complete = on_headers_complete,
		.on_body = on_body,
		.on_message_complete = on_message_complete,
	};
	struct http_server *srv = calloc(1, sizeof(*srv));
	if (!srv)
		return nd_error_set(err, -ENOMEM, "out of memory");
	srv->loop = loop;
	srv->cfg = *cfg;
	srv->cfg.hosts = NULL;
	srv->cfg.socket_path = NULL;
	srv->spool_dir = strdup(cfg->spool_dir ? cfg->spool_dir : "/tmp");
	srv->cfg.spool_dir = srv->spool_dir;
	if (!cfg->socket_gid)
		srv->cfg.socket_gid = (gid_t)-1;

	const char *one = cfg->socket_path;
	size_t nhosts = cfg->nhosts ? cfg->nhosts : 1;
	int rc = 0;
	for (size_t i = 0; i < nhosts && rc == 0; i++) {
		const char *h = cfg->nhosts ? cfg->hosts[i] : one;
		struct http_listener *l = calloc(1, sizeof(*l));
		if (!l) {
			rc = nd_error_set(err, -ENOMEM, "out of memory");
			break;
		}
		l->srv = srv;
		if (nd_str_has_prefix(h, "tcp://"))
			rc = listen_tcp(srv, l, h + 6, err);
		else
			rc = listen_unix(srv, l, nd_str_has_prefix(h, "unix://") ? h + 7 : h, err);
		/* a handle that was initialised is closed through the loop */
		l->next = srv->listeners;
		srv->listeners = l;
		srv->nlisteners_open++;
	}
	if (rc < 0) {
		http_server_close(srv);
		return rc;
	}
	*out = srv;
	return 0;
}

void http_server_close(struct http_server *srv)
{
	if (!srv || srv->closing)
		return;
	srv->closing = true;
	while (srv->conns)
		conn_close(srv->conns);
	struct http_listener *l = srv->listeners;
	srv->listeners = NULL;
	if (!l) {
		free(srv->spool_dir);
		free(srv);
		return;
	}
	while (l) {
		struct http_listener *next = l->next;
		if (l->path)
			unlink(l->path);
		uv_close((uv_handle_t *)&l->pipe, on_listener_closed);
		l = next;
	}
}

size_t http_server_connections(const struct http_server *srv) { return srv->nconns; }
uint64_t http_server_requests(const struct http_server *srv) { return srv->nrequests; }

/* ---- for http_upgrade.c (http_internal.h) ------------------------------------ */

void http__req_free(struct http_req *r) { req_free(r); }
void http__on_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf) { on_alloc(h, suggested, buf); }
void http__on_read(uv_stream_t *s, ssize_t nread, const uv_buf_t *buf) { on_read(s, nread, buf); }
void http__conn_write(struct http_conn *c, char *buf, size_t len) { conn_write(c, buf, len); }
void http__conn_write_raw(struct http_conn *c, char *buf, size_t len) { conn_write_raw(c, buf, len); }
void http__conn_close(struct http_conn *c) { conn_close(c); }

unsigned http_req_api_version(const struct http_req *req)
{
	return req->api_version ? req->api_version : wire_api_version_num(WIRE_API_VERSION);
}


