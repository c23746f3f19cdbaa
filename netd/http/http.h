// SPDX-License-Identifier: Apache-2.0
/* netd's HTTP/1.1 server: libuv unix-socket listener, http_parser for the
 * wire, a static route table, keep-alive, pipelining, capped bodies, bodies
 * spooled to a file for upload routes, chunked streaming responses. */
#pragma once

#if defined(ND_LAYER_CORE) || defined(ND_LAYER_NET) || defined(ND_LAYER_CTR)
#error "netd/http/http.h: the transport is the api layer's; core, net and ctr must not speak HTTP"
#endif

#include "common/common.h"
#include "wire/wire.h"

#include <sys/socket.h>
#include <uv.h>

struct http_conn;
struct http_req;
struct http_server;

typedef void (*http_handler_fn)(struct http_req *req, void *ctx);

enum {
	HTTP_ROUTE_UPLOAD = 1 << 0,   /* body is spooled to req->body_fd (uncapped up to HTTP_UPLOAD_MAX) */
};

struct http_route {
	const char *method;           /* "GET", "POST", "DELETE", "PUT", "HEAD" */
	const char *pattern;          /* "/networks/{id}/connect"; "{name*}" spans segments */
	http_handler_fn fn;
	unsigned flags;
};

#define HTTP_MAX_PARAMS 4
#define HTTP_BODY_MAX (1u << 20)              /* JSON bodies: 1 MiB */
#define HTTP_UPLOAD_MAX (64ull << 30)         /* spooled uploads: 64 GiB */

struct http_req {
	struct http_conn *conn;       /* NULL once the client went away */
	struct http_server *srv;
	const struct http_route *route;
	char method[8];
	char *url, *path, *query;     /* path and query point into url copies */
	char **hdr_names, **hdr_values;
	size_t nhdrs;
	struct wire_buf body;         /* NUL-terminated; empty for upload routes */
	size_t body_len;              /* bytes received, in body or spooled to body_fd */
	int body_fd;                  /* upload routes: unlinked temp file, rewound */
	char *params[HTTP_MAX_PARAMS];
	int nparams;
	bool keep_alive;
	unsigned api_version;         /* the /vX.YY prefix (WIRE_API(X, YY)); 0: none (the current) */
	char *extra_headers;          /* "Name: value\r\n" lines a handler adds to its response head */
	bool streaming;               /* a chunked response has begun */
	bool replied;
	int status;
	uint64_t start_ns;
	/* Streaming handlers: called once if the client goes away before
	 * http_stream_end(); the handler must then stop and call http_stream_end(). */
	void (*on_close)(struct http_req *req, void *data);
	void *on_close_data;
	/* internal */
	void (*drain_fn)(struct http_req *req, void *data);
	void *drain_data;
	int early_status;
	char early_msg[256];
	uint64_t body_cap;
};

struct http_tls;

struct http_server_config {
	const char *socket_path;      /* used when there are no hosts */
	const char *const *hosts;     /* "unix:///path", "tcp://ADDR:PORT"; each one listener */
	size_t nhosts;
	struct http_tls *tls;         /* TCP listeners speak TLS with this material */
	bool insecure_tcp;            /* without tls: plain TCP allowed (warned at start) */
	mode_t socket_mode;           /* 0660 */
	gid_t socket_gid;             /* group of unix sockets; 0: unchanged */
	/* Called before every handler; nonzero when it answered (refused) the request. */
	int (*authorize)(struct http_req *req, void *ctx);
	const char *spool_dir;        /* where upload bodies are spooled */
	const struct http_route *routes;
	size_t nroutes;
	void *ctx;                    /* passed to every handler */
};

int http_server_new(uv_loop_t *loop, const struct http_server_config *cfg,
		    struct http_server **out, struct nd_error *err);
/* Stops listening, closes every connection; streams get on_close. The
 * server is freed when the loop has closed its handles. */
void http_server_close(struct http_server *srv);
size_t http_server_connections(const struct http_server *srv);
uint64_t http_server_requests(const struct http_server *srv);

/* Request accessors */
const char *http_req_header(const struct http_req *req, const char *name);
/* Query parameter, decoded by wire_query_get() ('+' is a space); NULL when
 * absent. Caller frees. */
char *http_req_query(const struct http_req *req, const char *key);
/* Every value of a repeated key (?names=a&names=b): see wire_query_get_all(). */
char **http_req_query_all(const struct http_req *req, const char *key, size_t *n);
bool http_req_query_bool(const struct http_req *req, const char *key, bool dflt);
/* Parses the body as JSON (an empty body gives an empty object). */
json_t *http_req_json(const struct http_req *req, struct nd_error *err);

/* Completing a request. Exactly one of these per request (or a stream). */
void http_reply(struct http_req *req, int status, const char *content_type,
		const char *body, size_t len);
void http_reply_json(struct http_req *req, int status, json_t *body /* stolen */);
/* Adds a header to the reply (before http_reply* or http_stream_begin). */
int http_reply_header(struct http_req *req, const char *name, const char *value);
void http_reply_error(struct http_req *req, const struct nd_error *err);
void http_reply_errorf(struct http_req *req, int status, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
void http_reply_empty(struct http_req *req, int status);

void http_stream_begin(struct http_req *req, int status, const char *content_type);
void http_stream_write(struct http_req *req, const void *data, size_t len);
void http_stream_end(struct http_req *req);
/* Ends a stream as failed: the connection closes without the final chunk,
 * so the client sees a truncated body rather than a complete one. */
void http_stream_abort(struct http_req *req);
/* Backpressure for streams: bytes queued to the client and not yet written,
 * and a one-shot callback for when that queue has drained. */
size_t http_stream_queued(const struct http_req *req);
void http_stream_when_drained(struct http_req *req, void (*fn)(struct http_req *req, void *data), void *data);

/* ---- hijacked connections (http_upgrade.c): attach and exec ----------------
 * Docker's way: the handler answers "101 UPGRADED" (Connection: Upgrade,
 * Upgrade: tcp) when the request carries "Upgrade: tcp", or "200 OK" without
 * a length, and from then on the connection is a raw duplex stream. The
 * handler writes with http_stream_write() (raw bytes, no chunking; backpressure
 * with http_stream_queued()/http_stream_when_drained()), ends it with
 * http_stream_end() (queued bytes are flushed, then the connection closes),
 * and hears req->on_close if the client goes away first. */
struct http_hijack_ops {
	/* bytes the client sent (stdin); those the parser had already read
	 * behind the request head come first */
	void (*on_input)(struct http_req *req, const char *data, size_t len, void *ud);
	/* the client half-closed (shutdown of its write side): no more input;
	 * output goes on until http_stream_end() */
	void (*on_eof)(struct http_req *req, void *ud);
};
/* Sends the response head and hijacks the connection. Input stays paused
 * until http_hijack_resume(). -ENOTCONN when the client is gone already. */
int http_hijack(struct http_req *req, const char *content_type, const struct http_hijack_ops *ops, void *ud);
/* Flow control of the client's input (e.g. while the process's stdin is full). */
void http_hijack_pause(struct http_req *req);
void http_hijack_resume(struct http_req *req);
/* true when the request asked for the upgrade ("Upgrade: tcp"). */
bool http_req_wants_upgrade(const struct http_req *req);
/* Accessors for handlers that keep the request opaque. */
const char *http_req_param(const struct http_req *req, int i);
void http_req_set_on_close(struct http_req *req, void (*fn)(struct http_req *req, void *ud), void *ud);

/* ---- TLS (tls.c) -------------------------------------------------------------
 * TLS 1.2+ through OpenSSL over memory BIOs, from the loop. verify: clients
 * must present a certificate the CA signed (mutual TLS). */
int http_tls_new(const char *ca, const char *cert, const char *key, bool verify, struct http_tls **out,
		 struct nd_error *err);
/* New material for new connections; established ones keep theirs. On error
 * nothing changes. */
int http_tls_reload(struct http_tls *t, const char *ca, const char *cert, const char *key, struct nd_error *err);
void http_tls_free(struct http_tls *t);
/* "ADDR:PORT", "[v6]:PORT", ":PORT" (all addresses) into a sockaddr. */
int http_parse_tcp_addr(const char *hostport, struct sockaddr_storage *out);

/* The request, read-only, for code that decides on it (authorization). */
const char *http_req_method(const struct http_req *req);
const char *http_req_path(const struct http_req *req);
const char *http_req_body(const struct http_req *req, size_t *len);
/* The verified client certificate of a TLS connection: its subject as one
 * line, its CN and OU. NULL when the connection is not TLS (unix socket,
 * --insecure-tcp) or the field is absent. */
const char *http_req_peer_subject(const struct http_req *req);
const char *http_req_peer_cn(const struct http_req *req);
const char *http_req_peer_ou(const struct http_req *req);
/* true when the request came over TCP (TLS or not), false over a unix socket. */
bool http_req_remote(const struct http_req *req);

/* Route matching, exposed for unit tests: 0 and params filled on match;
 * -ENOENT when no pattern matches the path; -EOPNOTSUPP when a pattern
 * matches but not for this method. Params are malloc'ed, percent-decoded. */
int http_route_match(const struct http_route *routes, size_t n, const char *method,
		     const char *path, const struct http_route **out,
		     char *params[HTTP_MAX_PARAMS], int *nparams);
/* Strips Docker's "/v1.43" API-version prefix, in place. */
void http_path_strip_version(char *path);
/* The same, copying the version ("1.43") to ver (or "" when there is none,
 * or it is too long: then nothing is stripped). */
void http_path_take_version(char *path, char *ver, size_t size);
/* The API version the request asked for (WIRE_API(1, 41)); the current
 * version when its path had no prefix. */
unsigned http_req_api_version(const struct http_req *req);
