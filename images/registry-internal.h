// SPDX-License-Identifier: Apache-2.0
/* images: the registry client shared by pull, push and login (not public).
 *
 * One struct reg per (registry, repository) operation. Requests go through
 * reg_do(): it adds the credentials the registry asked for (Basic, or a
 * Bearer token from the challenge's realm, refreshed before it expires),
 * answers a 401 challenge once, and retries connection losses, 5xx and 429
 * with exponential backoff. Blob downloads run on a curl multi handle in
 * registry_pull.c and borrow reg_easy_setup()/reg_auth_header(). */
#pragma once

#include "images/images-internal.h"
#include "wire/wire.h"

#include <curl/curl.h>

#define REG_MANIFEST_MAX (4u << 20)     /* bytes: larger manifests are refused */
#define REG_CONFIG_MAX (64u << 20)

enum reg_scheme { REG_AUTH_NONE, REG_AUTH_BASIC, REG_AUTH_BEARER };

struct reg {
	const struct images_registry_opts *o;
	char host[256];          /* as in the reference: "127.0.0.1:5000", "docker.io" */
	char endpoint[300];      /* "https://registry-1.docker.io", "http://127.0.0.1:5000" */
	char repo[256];          /* "library/busybox" */
	char *ca_file;           /* certs.d/HOST/ca.crt when present */
	char *client_cert, *client_key;
	bool plain_http;
	bool mirror;             /* endpoint is a registry-mirrors entry */
	bool reached;            /* it answered once: connection losses are retried */
	char *user, *pass;
	/* auth state; the lock: blob transfers of the multi loop and the push read it */
	pthread_mutex_t mu;
	enum reg_scheme scheme;
	char *realm, *service;
	char scope[1024];        /* space separated scopes to ask for */
	char *token;
	uint64_t token_expiry;   /* nd_now_ns() deadline to refresh before */
	unsigned tokens_fetched;
	CURL *easy;              /* for sequential requests */
};

struct reg_req {
	const char *method;      /* GET HEAD PUT POST PATCH DELETE */
	char url[4096];          /* absolute URL */
	const char *content_type;
	const char *accept;
	const char *range;       /* "Content-Range: ..." value for PATCH, or NULL */
	const void *body;        /* in-memory body ... */
	size_t body_len;
	int body_fd;             /* ... or a region of a file (-1: none) */
	int64_t body_off, body_size;
	size_t max_resp;         /* response bytes kept in memory (0: 1 MiB) */
	bool no_retry_status;    /* hand 4xx/5xx to the caller without retrying */
	/* progress of a file body */
	void (*on_sent)(int64_t sent, void *data);
	void *on_sent_data;
	/* results */
	long status;
	struct wire_buf resp;
	bool resp_too_big;
	char *location, *docker_digest, *www_auth, *content_type_resp;
	int64_t content_length;
};

void reg_req_init(struct reg_req *q, const char *method);
void reg_req_clear(struct reg_req *q);

/* Resolves the reference's registry: endpoint, TLS trust, credentials
 * (opts, then the auth file). scope_actions: "pull" or "pull,push". */
int reg_open(struct reg *r, const struct images_ref *ref, const char *scope_actions,
	     const struct images_registry_opts *o, struct nd_error *err);
void reg_close(struct reg *r);
/* Adds "repository:REPO:pull" to the scopes asked for (cross-repository mount). */
void reg_add_scope(struct reg *r, const char *scope);
/* url = endpoint + "/v2/" + repo + suffix */
int reg_url(const struct reg *r, char *buf, size_t size, const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* One request, with auth and retries. A status >= 400 left after retries is
 * returned as 0 with q->status set when no_retry_status; otherwise as an
 * error with the registry's own message. */
int reg_do(struct reg *r, struct reg_req *q, struct nd_error *err);

/* Common options (TLS trust, timeouts, user agent) on a fresh easy handle. */
void reg_easy_setup(struct reg *r, CURL *c);
/* "Authorization: ..." for the current credentials, refreshing an expiring
 * token first; *hdr NULL when there are none. */
int reg_auth_header(struct reg *r, char **hdr, struct nd_error *err);
/* After a 401 on a blob transfer: take the challenge and fetch a new token. */
int reg_challenge(struct reg *r, const char *www_auth, struct nd_error *err);
/* The registry's error body ({"errors": [{"code","message"}]}) as a sentence. */
void reg_error_text(const struct reg_req *q, char *buf, size_t size);
/* Sleeps the backoff for attempt n (0-based); false when cancelled. */
bool reg_backoff(const struct reg *r, unsigned attempt);
bool reg_cancelled(const struct reg *r);
unsigned reg_max_attempts(const struct reg *r);
/* error for a transport failure (TLS trust spelled out) */
int reg_curl_error(struct reg *r, CURLcode cc, const char *errbuf, const char *what, struct nd_error *err);

void reg_progress(const struct reg *r, const char *id, const char *status, int64_t cur, int64_t total);

/* base64 (standard alphabet; decoding also takes the URL alphabet and no padding) */
char *images__b64_encode(const void *buf, size_t len);
int images__b64_decode(const char *s, char **out, size_t *len);

/* registry_push.c: where blobs came from (<root>/sources.json), for
 * cross-repository mounts. Best effort: failures are logged at debug. */
void images__source_add(struct images *h, const char *host, const char *repo, const char *const *digests, size_t n);
/* A repository on host other than repo that has digest; false when none. */
bool images__source_find(struct images *h, const char *digest, const char *host, const char *repo,
			 char *out, size_t size);
