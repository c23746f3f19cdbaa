// SPDX-License-Identifier: Apache-2.0
/* netctl's hijacked streams: POST with "Upgrade: tcp" over the unix socket,
 * the response head read with http_parser, then a raw duplex stream. */
#pragma once

#include "common/common.h"

struct client;

struct cli_stream {
	int fd;
	void *ssl;           /* an SSL session over fd (TCP with TLS), or NULL */
	const char *host;    /* for messages */
	int status;          /* 101 (or 200) */
	bool raw;            /* application/vnd.docker.raw-stream (tty): no frames */
	char *pending;       /* stream bytes that came with the head */
	size_t pending_len;
};

/* 0 with the stream open; otherwise the error netd answered (its message,
 * s->status set) or why it could not be asked. */
int cli_stream_open(struct client *c, const char *path, const json_t *body, struct cli_stream *s,
		    struct nd_error *err);
void cli_stream_close(struct cli_stream *s);

struct cli_relay_opts {
	bool send_stdin;     /* relay our stdin; its EOF half-closes the stream */
	bool raw_terminal;   /* put our terminal in raw mode meanwhile (tty) */
	void (*tick)(void *ud);  /* after each wake-up (signals: SIGWINCH, SIGINT...) */
	void *ud;
};
/* Until the stream ends. 0, or -errno when it broke. */
int cli_stream_relay(struct cli_stream *s, const struct cli_relay_opts *o);

/* cli/tls.c: the connection under a stream: unix socket, TCP, or TCP with
 * mutual TLS (ssl set). Reads return bytes, 0 at the end, -EAGAIN when a TLS
 * record carried no data, or -errno. */
int cli_conn_open(struct client *c, int *fd, void **ssl, struct nd_error *err);
ssize_t cli_conn_read(int fd, void *ssl, void *buf, size_t len, const char *host, struct nd_error *err);
int cli_conn_write(int fd, void *ssl, const void *buf, size_t len);
void cli_conn_shutdown_write(int fd, void *ssl);
bool cli_conn_pending(void *ssl);
void cli_conn_close(int fd, void *ssl);
