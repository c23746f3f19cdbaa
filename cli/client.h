// SPDX-License-Identifier: Apache-2.0
/* netctl's HTTP client of netd (libcurl over the unix socket). */
#pragma once

#include "common/common.h"

struct client;

/* host: "unix:///path/to.sock" (NULL: $NETD_HOST, then /run/netd/netd.sock). */
int client_new(const char *host, struct client **out, struct nd_error *err);
void client_free(struct client *c);
const char *client_host(const struct client *c);

/* One request. A 2xx with a JSON body fills *resp (NULL for empty bodies);
 * a >= 400 answer becomes an error carrying netd's message. */
int client_call(struct client *c, const char *method, const char *path, const json_t *body,
		json_t **resp, struct nd_error *err);
/* Like client_call but returns the raw body (text endpoints). */
int client_call_raw(struct client *c, const char *method, const char *path, const json_t *body,
		    char **out, size_t *out_len, long *status, struct nd_error *err);
/* (Escaping a path segment or query value: wire_query_escape().) */
