// SPDX-License-Identifier: Apache-2.0
/* Internals of the HTTP server shared by http.c and http_upgrade.c (the
 * hijacked connections of attach and exec); nothing outside netd/http*.c
 * includes this. */
#pragma once

#include "netd/http/http.h"

#include <http_parser.h>

/* One listening socket: unix, or TCP (with TLS unless --insecure-tcp). */
struct http_listener {
	union {                      /* first member: the handle is the listener */
		uv_pipe_t pipe;
		uv_tcp_t tcp;
	};
	struct http_server *srv;
	struct http_listener *next;
	char *path;                  /* unix: the socket file we made */
	bool is_tcp;
	bool tls;
};

struct http_tls_conn;

struct http_server {
	struct http_listener *listeners;
	size_t nlisteners_open;      /* freed when the last one has closed */
	uv_loop_t *loop;
	struct http_server_config cfg;
	char *socket_path;
	char *spool_dir;
	struct http_conn *conns;     /* doubly linked */
	size_t nconns;
	uint64_t nrequests;
	bool closing;
	bool bound;                  /* we created the socket file: remove it at close */
};

struct http_conn {
	union {                      /* first member: handle->data not needed */
		uv_pipe_t pipe;
		uv_tcp_t tcp;
	};
	struct http_tls_conn *tls;   /* TLS listeners' connections (tls.c) */
	struct http_server *srv;
	struct http_conn *prev, *next;
	http_parser parser;
	struct http_req *req;        /* being parsed or being handled */
	bool handling;               /* a handler owns req and has not finished */
	bool closing;
	bool close_after_write;
	size_t pending_writes;
	char *leftover;              /* unparsed bytes after a paused message */
	size_t leftover_len;
	/* header assembly */
	char *cur_field;
	bool last_was_value;
	/* hijacked: a raw duplex stream after the response head (http_upgrade.c) */
	bool hijacked;
	struct http_hijack *hj;
};

struct write_req {
	uv_write_t w;
	struct http_conn *conn;
	char *buf;
};


void http__conn_write(struct http_conn *c, char *buf /* stolen */, size_t len);
/* bytes as they are, not through TLS (tls.c's records) */
void http__conn_write_raw(struct http_conn *c, char *buf /* stolen */, size_t len);
/* plaintext from a connection (after TLS, or straight from a unix socket) */
void http__plain_read(struct http_conn *c, ssize_t nread, const uv_buf_t *buf);
void http__conn_close(struct http_conn *c);
void http__req_free(struct http_req *r);
void http__on_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf);
void http__on_read(uv_stream_t *s, ssize_t nread, const uv_buf_t *buf);

/* http_upgrade.c */
void http__hijack_read(struct http_conn *c, ssize_t nread, const uv_buf_t *buf);
void http__hijack_write(struct http_conn *c, const void *data, size_t len);
void http__hijack_end(struct http_req *req);
void http__hijack_free(struct http_conn *c);

/* tls.c */
int http__tls_conn_new(struct http_conn *c, struct http_tls *t);
void http__tls_conn_free(struct http_conn *c);
void http__tls_read(struct http_conn *c, ssize_t nread, const uv_buf_t *buf);
/* plaintext in (stolen), records out (*len set; NULL with *len 0 on failure) */
char *http__tls_encrypt(struct http_conn *c, char *plain, size_t *len);
void http__tls_close_notify(struct http_conn *c);
const char *http__tls_subject(const struct http_conn *c);
const char *http__tls_cn(const struct http_conn *c);
const char *http__tls_ou(const struct http_conn *c);
