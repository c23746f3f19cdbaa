// SPDX-License-Identifier: Apache-2.0
/* netctl's HTTP client of netd: libcurl over the unix socket, or over TCP
 * with mutual TLS (libcurl does the TLS). */
#pragma once

#include "common/common.h"

struct client;

struct client_opts {
	const char *host;        /* unix:///path or tcp://HOST:PORT; NULL: $NETD_HOST, then /run/netd/netd.sock */
	bool tlsverify;          /* --tlsverify (or $NETD_TLS_VERIFY) */
	const char *tlscacert, *tlscert, *tlskey; /* NULL: $NETD_CERT_PATH/{ca,cert,key}.pem, else ~/.netd/ */
};

int client_new(const struct client_opts *o, struct client **out, struct nd_error *err);
void client_free(struct client *c);
const char *client_host(const struct client *c);

/* A libcurl easy handle set up for path on this client's transport (URL,
 * unix socket or TCP, TLS files and verification, error buffer). */
int client_curl_setup(struct client *c, void *curl, const char *path, struct nd_error *err);
/* A failed curl_easy_perform as a sentence that says what is wrong (unknown
 * CA, expired, name mismatch, no client certificate, not TLS...). */
int client_curl_fail(struct client *c, int curl_code, struct nd_error *err);

/* The transport, for the hijacked streams (cli/tls.c, cli/stream.c). */
bool client_is_tcp(const struct client *c);
const char *client_socket(const struct client *c);        /* unix path */
const char *client_tcp_host(const struct client *c);      /* "HOST" of tcp://HOST:PORT */
const char *client_tcp_port(const struct client *c);
bool client_tls(const struct client *c);
const char *client_tls_file(const struct client *c, int which);  /* 0 CA, 1 cert, 2 key */

/* TLS failure text (OpenSSL's or libcurl's) as a sentence (cli/tls.c). */
void cli_tls_explain(const char *raw, const char *host, char *out, size_t len);

/* One request. A 2xx with a JSON body fills *resp (NULL for empty bodies);
 * a >= 400 answer becomes an error carrying netd's message. */
int client_call(struct client *c, const char *method, const char *path, const json_t *body,
		json_t **resp, struct nd_error *err);
/* Like client_call but returns the raw body (text endpoints). */
int client_call_raw(struct client *c, const char *method, const char *path, const json_t *body,
		    char **out, size_t *out_len, long *status, struct nd_error *err);
/* (Escaping a path segment or query value: wire_query_escape().) */
