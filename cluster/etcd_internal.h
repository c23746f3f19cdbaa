// SPDX-License-Identifier: Apache-2.0
/* cluster: what etcd.c and etcd_watch.c share; not part of the API. */
#pragma once

#include "cluster/etcd.h"

#include <curl/curl.h>
#include <pthread.h>
#include <stdatomic.h>

#define ETCD_MAX_ENDPOINTS 16

struct nd_etcd {
	char *url;                            /* "etcd://h:p,h:p" */
	char *hosts[ETCD_MAX_ENDPOINTS];      /* "h:p" */
	size_t nhosts;
	atomic_size_t cur;                    /* the endpoint that answered last */
	char *cacert, *cert, *key;
	long timeout_ms, connect_timeout_ms;
	CURLSH *share;                        /* connection cache, DNS */
	pthread_mutex_t share_lock[CURL_LOCK_DATA_LAST];
};

/* The session and watch threads tolerate a slower connect than a request
 * made for a user (their verdict is the store's health, and a loaded machine
 * can take longer than the fail-fast 300 ms to complete a handshake): a
 * per-thread floor for the connect timeout, in ms (0: none). */
void etcd__thread_connect_floor(long ms);
#define ETCD_BACKGROUND_CONNECT_MS 1000

/* base64 of len bytes (a new string) / decoded bytes (NUL-terminated, *out_len). */
char *etcd__b64(const void *buf, size_t len);
int etcd__unb64(const char *s, char **out, size_t *out_len);
/* The prefix's range end: the key with its last byte + 1 (base64). */
char *etcd__range_end_b64(const char *prefix);
/* int64 from a JSON string or integer member; def when absent. */
int64_t etcd__int(const json_t *obj, const char *name, int64_t def);
/* One "kv" object of a response into kv (base64 decoded). */
int etcd__kv_from_json(const json_t *j, struct nd_etcd_kv *kv);
/* A curl handle set up for endpoint i (URL path, TLS, timeouts, share). */
CURL *etcd__easy(struct nd_etcd *e, size_t i, const char *path, char *url_buf, size_t url_len);
/* A curl failure as -errno + message naming the store. */
int etcd__curl_error(struct nd_etcd *e, CURL *h, CURLcode rc, const char *errbuf, struct nd_error *err);
/* true when the failure happened before the request reached the server
 * (another endpoint may be tried) */
bool etcd__failover_ok(CURL *h, CURLcode rc);
/* POST body to path, with failover; *resp the parsed answer (200 only). */
int etcd__post(struct nd_etcd *e, const char *path, json_t *body, json_t **resp, struct nd_error *err);
