// SPDX-License-Identifier: Apache-2.0
/* netd-cni's HTTP client of netd (cni_http.c): no libcurl. */
#pragma once

#include "common/common.h"

/* One request over the unix socket. A 2xx with a JSON body fills *resp
 * (NULL for empty bodies); a >= 400 answer becomes an error carrying netd's
 * message (code from nd_error_from_http_status); a socket nobody listens
 * on is -ECONNREFUSED; a connection lost before the answer is -EIO. */
int cni_http_call(const char *socket_path, const char *method, const char *path, const json_t *body,
		  json_t **resp, struct nd_error *err);
