// SPDX-License-Identifier: Apache-2.0
/* netd-cni's HTTP client: one HTTP/1.1 request per connection over netd's
 * unix socket ("Connection: close"), the answer read with http_parser. The plugin is exec'd once per CNI call, and loading libcurl
 * with its dependency tree costs ~7 ms per exec on the machines netd is
 * measured on (bench/cni.sh), more than the whole ADD should; netctl keeps
 * libcurl. */
#include "cli/cni_http.h"
#include "wire/wire.h"

#include <http_parser.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>

#define CNI_HTTP_TIMEOUT_MS 60000
#define CNI_HTTP_MAX (16 << 20)

static int wait_fd(int fd, short ev, uint64_t deadline)
{
	for (;;) {
		uint64_t now = nd_now_ns() / 1000000;
		if (now >= deadline)
			return -ETIMEDOUT;
		struct pollfd p = { .fd = fd, .events = ev };
		int r = poll(&p, 1, (int)(deadline - now));
		if (r > 0)
			return 0;
		if (r < 0 && errno != EINTR)
			return -errno;
	}
}

static int send_all(int fd, const char *p, size_t n, uint64_t deadline)
{
	while (n) {
		ssize_t w = send(fd, p, n, MSG_NOSIGNAL);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN) {
				int r = wait_fd(fd, POLLOUT, deadline);
				if (r < 0)
					return r;
				continue;
			}
			return -errno;
		}
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

/* The answer, read with http_parser (never by hand). */
struct answer {
	http_parser p;
	struct wire_buf body;
	bool done, too_large, oom;
};

static int on_body(http_parser *p, const char *at, size_t len)
{
	struct answer *a = p->data;
	if (a->body.len + len > CNI_HTTP_MAX) {
		a->too_large = true;
		return -1;
	}
	if (wire_buf_append(&a->body, at, len) < 0) {
		a->oom = true;
		return -1;
	}
	return 0;
}

static int on_message_complete(http_parser *p)
{
	((struct answer *)p->data)->done = true;
	return 0;
}

static const http_parser_settings settings = {
	.on_body = on_body,
	.on_message_complete = on_message_complete,
};

int cni_http_call(const char *socket_path, const char *method, const char *path, const json_t *body,
		  json_t **resp, struct nd_error *err)
{
	if (resp)
		*resp = NULL;
	uint64_t deadline = nd_now_ns() / 1000000 + CNI_HTTP_TIMEOUT_MS;
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	if (strlen(socket_path) >= sizeof(sa.sun_path))
		return nd_error_set(err, -ENAMETOOLONG, "socket path %s is too long", socket_path);
	memcpy(sa.sun_path, socket_path, strlen(socket_path) + 1);
	_cleanup_close_ int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return nd_error_set(err, -errno, "socket: %s", strerror(errno));
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		int e = errno;
		return nd_error_set(err, -ECONNREFUSED, "cannot connect to netd at %s: %s (is netd running?)",
				    socket_path, strerror(e));
	}
	_cleanup_free_ char *payload = body ? nd_json_dump(body) : NULL;
	if (body && !payload)
		return nd_error_set(err, -ENOMEM, "out of memory");
	_cleanup_wire_buf_ struct wire_buf req = { 0 };
	if (wire_buf_printf(&req, "%s %s HTTP/1.1\r\nHost: netd\r\nUser-Agent: netd-cni\r\nConnection: close\r\n", method,
			    path) < 0 ||
	    (payload && wire_buf_printf(&req, "Content-Type: application/json\r\nContent-Length: %zu\r\n",
					strlen(payload)) < 0) ||
	    (!payload && strcmp(method, "GET") && wire_buf_puts(&req, "Content-Length: 0\r\n") < 0) ||
	    wire_buf_puts(&req, "\r\n") < 0 || (payload && wire_buf_puts(&req, payload) < 0))
		return nd_error_set(err, -ENOMEM, "out of memory");
	int r = send_all(fd, req.data, req.len, deadline);
	if (r < 0)
		return nd_error_set(err, -EIO, "netd at %s: sending the request: %s", socket_path, strerror(-r));
	struct answer a = { 0 };
	http_parser_init(&a.p, HTTP_RESPONSE);
	a.p.data = &a;
	char chunk[16384];
	while (!a.done) {
		ssize_t n = recv(fd, chunk, sizeof(chunk), 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN) {
			if ((r = wait_fd(fd, POLLIN, deadline)) < 0) {
				wire_buf_free(&a.body);
				return nd_error_set(err, -EIO, "netd at %s: no answer: %s", socket_path, strerror(-r));
			}
			continue;
		}
		if (n < 0) {
			wire_buf_free(&a.body);
			return nd_error_set(err, -EIO, "netd at %s: reading the answer: %s", socket_path, strerror(errno));
		}
		/* n == 0 tells the parser about EOF (an answer without a length ends there) */
		size_t used = http_parser_execute(&a.p, &settings, chunk, (size_t)n);
		if (a.too_large || a.oom || (a.p.http_errno != HPE_OK && !a.done) || used != (size_t)n) {
			wire_buf_free(&a.body);
			if (a.too_large)
				return nd_error_set(err, -EFBIG, "netd at %s: the answer is too large", socket_path);
			if (a.oom)
				return nd_error_set(err, -ENOMEM, "out of memory");
			return nd_error_set(err, -EIO, "netd at %s sent a malformed answer: %s", socket_path,
					    http_errno_description(HTTP_PARSER_ERRNO(&a.p)));
		}
		if (n == 0 && !a.done) {
			wire_buf_free(&a.body);
			return nd_error_set(err, -EIO, "netd at %s closed the connection before the whole answer", socket_path);
		}
	}
	int status = (int)a.p.status_code;
	size_t blen = a.body.len;
	const char *b = a.body.data;
	json_t *j = NULL;
	if (blen > 0) {
		json_error_t je;
		j = json_loadb(b, blen, JSON_REJECT_DUPLICATES, &je);
	}
	wire_buf_free(&a.body);
	if (status >= 400) {
		const char *msg = nd_json_str(j, "message");
		nd_error_set(err, nd_error_from_http_status(status), "%s", msg ? msg : "request failed");
		if (!msg)
			snprintf(err->msg, sizeof(err->msg), "netd answered HTTP %d", status);
		json_decref(j);
		return err->code;
	}
	if (blen > 0 && !j)
		return nd_error_set(err, -EBADMSG, "netd sent a malformed JSON answer");
	if (resp)
		*resp = j;
	else
		json_decref(j);
	return 0;
}
