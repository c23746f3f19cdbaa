// SPDX-License-Identifier: Apache-2.0
/* Hijacked connections: after "101 UPGRADED" (or Docker's "200 OK" without a
 * length) the connection is a raw duplex stream between a handler and the
 * client: attach and exec relay a process's stdio over it. */
#include "netd/http/http.h"
#include "netd/http/http_internal.h"

#include <strings.h>

struct http_hijack {
	const struct http_hijack_ops *ops;
	void *ud;
	bool paused;
	bool eof;              /* the client half-closed; reported once */
	bool eof_reported;
};

bool http_req_wants_upgrade(const struct http_req *req)
{
	const char *u = http_req_header(req, "Upgrade");
	return u && strcasestr(u, "tcp") != NULL;
}

const char *http_req_param(const struct http_req *req, int i)
{
	return i >= 0 && i < req->nparams ? req->params[i] : NULL;
}

void http_req_set_on_close(struct http_req *req, void (*fn)(struct http_req *req, void *ud), void *ud)
{
	req->on_close = fn;
	req->on_close_data = ud;
}

int http_hijack(struct http_req *req, const char *content_type, const struct http_hijack_ops *ops, void *ud)
{
	struct http_conn *c = req->conn;
	if (!c || c->closing)
		return -ENOTCONN;
	struct http_hijack *hj = calloc(1, sizeof(*hj));
	if (!hj)
		return -ENOMEM;
	hj->ops = ops;
	hj->ud = ud;
	hj->paused = true;
	bool upgrade = http_req_wants_upgrade(req);
	char *head = NULL;
	int n = asprintf(&head,
			 "HTTP/1.1 %s\r\n"
			 "Server: netd/" NETD_VERSION "\r\n"
			 "Api-Version: 1.43\r\n"
			 "Content-Type: %s\r\n"
			 "%s"
			 "\r\n",
			 upgrade ? "101 UPGRADED" : "200 OK", content_type,
			 upgrade ? "Connection: Upgrade\r\nUpgrade: tcp\r\n" : "");
	if (n < 0) {
		free(hj);
		return -ENOMEM;
	}
	req->streaming = true;
	req->status = upgrade ? 101 : 200;
	c->hijacked = true;
	c->hj = hj;
	http__conn_write(c, head, (size_t)n);
	return 0;
}

static void deliver(struct http_conn *c, struct http_req *req, const char *data, size_t len)
{
	if (len && c->hj->ops->on_input)
		c->hj->ops->on_input(req, data, len, c->hj->ud);
}

static void report_eof(struct http_conn *c, struct http_req *req)
{
	struct http_hijack *hj = c->hj;
	if (hj->eof_reported)
		return;
	hj->eof_reported = true;
	if (hj->ops->on_eof)
		hj->ops->on_eof(req, hj->ud);
}

void http_hijack_pause(struct http_req *req)
{
	struct http_conn *c = req->conn;
	if (!c || !c->hj || c->hj->paused)
		return;
	c->hj->paused = true;
	uv_read_stop((uv_stream_t *)&c->pipe);
}

void http_hijack_resume(struct http_req *req)
{
	struct http_conn *c = req->conn;
	if (!c || !c->hj || !c->hj->paused || c->closing)
		return;
	c->hj->paused = false;
	/* what the parser read behind the request head is the stream's start */
	if (c->leftover) {
		char *lo = TAKE_PTR(c->leftover);
		size_t len = c->leftover_len;
		c->leftover_len = 0;
		deliver(c, req, lo, len);
		free(lo);
		/* the handler may have ended the stream (req is freed then) */
		if (c->req != req || c->closing || !c->hj || c->hj->paused)
			return;
	}
	if (c->hj->eof) {
		report_eof(c, req);
		return;
	}
	if (!c->hj->paused)
		uv_read_start((uv_stream_t *)&c->pipe, http__on_alloc, http__on_read);
}

void http__hijack_read(struct http_conn *c, ssize_t nread, const uv_buf_t *buf)
{
	struct http_req *req = c->req;
	if (!req || !c->hj) {          /* ended: input no longer wanted */
		free(buf->base);
		uv_read_stop((uv_stream_t *)&c->pipe);
		return;
	}
	if (nread > 0) {
		deliver(c, req, buf->base, (size_t)nread);
	} else if (nread == UV_EOF) {
		uv_read_stop((uv_stream_t *)&c->pipe);
		c->hj->eof = true;
		report_eof(c, req);
	} else if (nread < 0) {
		free(buf->base);
		http__conn_close(c);
		return;
	}
	free(buf->base);
}

void http__hijack_write(struct http_conn *c, const void *data, size_t len)
{
	char *b = malloc(len);
	if (!b) {
		http__conn_close(c);
		return;
	}
	memcpy(b, data, len);
	http__conn_write(c, b, len);
}

void http__hijack_end(struct http_req *req)
{
	struct http_conn *c = req->conn;
	req->replied = true;
	req->conn = NULL;
	c->req = NULL;
	c->handling = false;
	c->close_after_write = true;
	uv_read_stop((uv_stream_t *)&c->pipe);
	http__req_free(req);
	if (c->pending_writes == 0)
		http__conn_close(c);
}

void http__hijack_free(struct http_conn *c)
{
	free(c->hj);
	c->hj = NULL;
}
