// SPDX-License-Identifier: Apache-2.0
/* netctl's hijacked streams (attach, exec start): libcurl cannot take
 * "Upgrade: tcp", so the request goes over a unix socket of ours, http_parser
 * reads the response head, and the connection is then a raw duplex stream:
 * our stdin to it (half-closed at our EOF), its bytes to our stdout/stderr
 * (Docker's 8-byte frames without a tty, raw with one). */
#include "cli/stream.h"
#include "cli/client.h"
#include "wire/wire.h"

#include <http_parser.h>
#include <poll.h>
#include <signal.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <termios.h>

struct head {
	int status;
	bool raw;
	bool headers_done, message_done;
	char *field;             /* header being read */
	bool in_field;
	char *body;
	size_t body_len;
};

static int on_header_field(http_parser *p, const char *at, size_t len)
{
	struct head *h = p->data;
	size_t old = h->in_field && h->field ? strlen(h->field) : 0;
	if (!h->in_field) {
		free(h->field);
		h->field = NULL;
	}
	char *f = realloc(h->field, old + len + 1);   /* a name may come in pieces */
	if (!f)
		return -1;
	memcpy(f + old, at, len);
	f[old + len] = '\0';
	h->field = f;
	h->in_field = true;
	return 0;
}

static int on_header_value(http_parser *p, const char *at, size_t len)
{
	struct head *h = p->data;
	h->in_field = false;
	if (h->field && strcasecmp(h->field, "Content-Type") == 0 && memmem(at, len, "raw-stream", 10))
		h->raw = true;
	return 0;
}

static int on_headers_complete(http_parser *p)
{
	struct head *h = p->data;
	h->status = p->status_code;
	h->headers_done = true;
	/* 101 (or 200) starts the stream: the rest is not HTTP (2 = upgrade,
	 * skip the body); an error has a JSON body to read */
	return h->status == 101 || h->status == 200 ? 2 : 0;
}

static int on_body(http_parser *p, const char *at, size_t len)
{
	struct head *h = p->data;
	char *b = realloc(h->body, h->body_len + len + 1);
	if (!b)
		return -1;
	memcpy(b + h->body_len, at, len);
	h->body_len += len;
	b[h->body_len] = '\0';
	h->body = b;
	return 0;
}

static int on_message_complete(http_parser *p)
{
	struct head *h = p->data;
	h->message_done = true;
	return 0;
}

static const http_parser_settings settings = {
	.on_header_field = on_header_field,
	.on_header_value = on_header_value,
	.on_headers_complete = on_headers_complete,
	.on_body = on_body,
	.on_message_complete = on_message_complete,
};

static int stream_request(struct cli_stream *s, int fd, void *ssl, const char *path, const json_t *body,
			  struct nd_error *err);

int cli_stream_open(struct client *c, const char *path, const json_t *body, struct cli_stream *s,
		    struct nd_error *err)
{
	memset(s, 0, sizeof(*s));
	s->fd = -1;
	s->host = client_host(c);
	int fd = -1;
	void *ssl = NULL;
	int rc = cli_conn_open(c, &fd, &ssl, err);
	if (rc < 0)
		return rc;
	rc = stream_request(s, fd, ssl, path, body, err);
	if (rc < 0) {
		cli_conn_close(fd, ssl);
		return rc;
	}
	s->fd = fd;
	s->ssl = ssl;
	return 0;
}

static int stream_request(struct cli_stream *s, int fd, void *ssl, const char *path, const json_t *body,
			  struct nd_error *err)
{
	_cleanup_free_ char *payload = body ? nd_json_dump(body) : strdup("");
	_cleanup_free_ char *req = NULL;
	if (!payload)
		return nd_error_set(err, -ENOMEM, "out of memory");
	int n = asprintf(&req,
			 "POST %s HTTP/1.1\r\n"
			 "Host: netd\r\n"
			 "User-Agent: netctl\r\n"
			 "Content-Type: application/json\r\n"
			 "Content-Length: %zu\r\n"
			 "Connection: Upgrade\r\n"
			 "Upgrade: tcp\r\n"
			 "\r\n%s",
			 path, strlen(payload), payload);
	if (n < 0)
		return nd_error_set(err, -ENOMEM, "out of memory");
	if (cli_conn_write(fd, ssl, req, (size_t)n) < 0)
		return nd_error_set(err, -EPIPE, "sending the request to netd failed: %s", strerror(errno));

	struct head h = { 0 };
	http_parser p;
	http_parser_init(&p, HTTP_RESPONSE);
	p.data = &h;
	char buf[16384];
	int rc = 0;
	while (!h.message_done) {
		struct nd_error rerr = { 0 };
		ssize_t got = cli_conn_read(fd, ssl, buf, sizeof(buf), s->host, &rerr);
		if (got == -EAGAIN)
			continue;
		if (got < 0 && rerr.code) {
			rc = nd_error_set(err, rerr.code, "%s", rerr.msg);
			goto out;
		}
		if (got <= 0) {
			if (h.headers_done && got == 0)
				http_parser_execute(&p, &settings, NULL, 0);   /* EOF ends a body without length */
			if (!h.message_done) {
				rc = nd_error_set(err, -ECONNRESET, "netd closed the connection before answering");
				goto out;
			}
			break;
		}
		size_t used = http_parser_execute(&p, &settings, buf, (size_t)got);
		if (HTTP_PARSER_ERRNO(&p) != HPE_OK) {
			rc = nd_error_set(err, -EPROTO, "bad answer from netd: %s",
					  http_errno_description(HTTP_PARSER_ERRNO(&p)));
			goto out;
		}
		if (h.headers_done && (h.status == 101 || h.status == 200)) {
			/* what came behind the head is the stream's first bytes */
			if (used < (size_t)got) {
				s->pending = malloc((size_t)got - used);
				if (!s->pending) {
					rc = nd_error_set(err, -ENOMEM, "out of memory");
					goto out;
				}
				memcpy(s->pending, buf + used, (size_t)got - used);
				s->pending_len = (size_t)got - used;
			}
			break;
		}
	}
	s->status = h.status;
	s->raw = h.raw;
	if (h.status != 101 && h.status != 200) {
		_cleanup_json_ json_t *j = h.body ? json_loadb(h.body, h.body_len, 0, NULL) : NULL;
		const char *m = nd_json_str(j, "message");
		rc = nd_error_set(err, nd_error_from_http_status(h.status), "%s",
				  m ? m : "request failed");
		goto out;
	}
out:
	free(h.field);
	free(h.body);
	if (rc < 0) {
		free(s->pending);
		s->pending = NULL;
		s->pending_len = 0;
	}
	return rc;
}

void cli_stream_close(struct cli_stream *s)
{
	cli_conn_close(s->fd, s->ssl);
	s->fd = -1;
	s->ssl = NULL;
	free(s->pending);
	s->pending = NULL;
}

static int demux_out(enum wire_stream_kind kind, const void *data, size_t len, void *ctx)
{
	(void)ctx;
	nd_write_all(kind == WIRE_STREAM_STDERR ? 2 : 1, data, len);
	return 0;
}

static int take_output(struct cli_stream *s, struct wire_stream_decoder *d, const char *buf, size_t len)
{
	if (s->raw)
		return nd_write_all(1, buf, len);
	int r = wire_stream_feed(d, buf, len, demux_out, NULL);
	if (r == -EPROTO)
		fprintf(stderr, "netctl: the stream from netd is not in Docker's frames\n");
	return r;
}

int cli_stream_relay(struct cli_stream *s, const struct cli_relay_opts *o)
{
	struct wire_stream_decoder d;
	wire_stream_decoder_init(&d);
	struct termios saved;
	bool raw_term = o->raw_terminal && isatty(0) && tcgetattr(0, &saved) == 0;
	if (raw_term) {
		struct termios t = saved;
		cfmakeraw(&t);
		tcsetattr(0, TCSANOW, &t);
	}
	int rc = 0;
	void (*old_pipe)(int) = signal(SIGPIPE, SIG_IGN);   /* netd may close first: EPIPE, not death */
	if (s->pending_len && (rc = take_output(s, &d, s->pending, s->pending_len)) < 0)
		goto out;
	bool in_open = o->send_stdin;
	char buf[65536];
	for (;;) {
		if (o->tick)
			o->tick(o->ud);
		struct pollfd pf[2] = { { .fd = s->fd, .events = POLLIN }, { .fd = in_open ? 0 : -1, .events = POLLIN } };
		if (cli_conn_pending(s->ssl)) {
			pf[0].revents = POLLIN;    /* decrypted bytes wait in the session */
			pf[1].revents = 0;
		} else if (poll(pf, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			rc = -errno;
			break;
		}
		if (pf[0].revents) {
			struct nd_error rerr = { 0 };
			ssize_t n = cli_conn_read(s->fd, s->ssl, buf, sizeof(buf), s->host, &rerr);
			if (n == -EAGAIN)
				continue;
			if (n < 0 && rerr.code)
				fprintf(stderr, "netctl: %s\n", rerr.msg);
			if (n <= 0)
				break;          /* the stream ended: the process did, or we were detached */
			if ((rc = take_output(s, &d, buf, (size_t)n)) < 0)
				break;
		}
		if (pf[1].revents) {
			ssize_t n = read(0, buf, sizeof(buf));
			if (n < 0 && errno == EINTR)
				continue;
			if (n <= 0) {
				in_open = false;   /* half-close: the process's stdin ends, its output goes on */
				cli_conn_shutdown_write(s->fd, s->ssl);
			} else if (cli_conn_write(s->fd, s->ssl, buf, (size_t)n) < 0) {
				in_open = false;
			}
		}
	}
out:
	if (raw_term)
		tcsetattr(0, TCSANOW, &saved);
	signal(SIGPIPE, old_pipe);
	return rc;
}
