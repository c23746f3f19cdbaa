/* The api layer: HTTP handlers only. Each decodes JSON into a typed
 * request, calls a service of ctr/ or net/ (or images/), encodes Docker's
 * view and maps an nd_error to a status. Nothing below it knows HTTP. */
#pragma once

#if defined(ND_LAYER_CORE) || defined(ND_LAYER_HTTP) || defined(ND_LAYER_NET) || defined(ND_LAYER_CTR)
#error "netd/api/api.h: only the api layer and main may include it"
#endif

#include "netd/core/daemon.h"
#include "netd/ctr/ctr.h"
#include "netd/http/http.h"
#include "netd/net/net.h"

/* routes.c */
extern const struct http_route netd_routes[];
extern const size_t netd_nroutes;

/* apiutil.c: Docker-style filters */
int api_filters(struct http_req *req, const char *const *allowed, json_t **out, struct nd_error *err);
bool api_labels_match(const json_t *labels, const char *spec);
bool api_filter_any(const json_t *filters, const char *key, bool (*pred)(const char *val, void *data),
		    void *data);

/* api_system.c */
void api_ping(struct http_req *req, void *ctx);
void api_version(struct http_req *req, void *ctx);
void api_info(struct http_req *req, void *ctx);

/* api_commit.c */
void api_commit(struct http_req *req, void *ctx);

/* api_images.c: /images/... (import, load, save, list, inspect, history, tag, rm, prune) */
void api_image_create(struct http_req *req, void *ctx);
void api_image_load(struct http_req *req, void *ctx);
void api_image_get(struct http_req *req, void *ctx);
void api_image_get_one(struct http_req *req, void *ctx);
void api_image_list(struct http_req *req, void *ctx);
void api_image_prune(struct http_req *req, void *ctx);
void api_image_inspect(struct http_req *req, void *ctx);
void api_image_history(struct http_req *req, void *ctx);
void api_image_tag(struct http_req *req, void *ctx);
void api_image_delete(struct http_req *req, void *ctx);

/* api_network.c */
void api_network_create(struct http_req *req, void *ctx);
void api_network_list(struct http_req *req, void *ctx);
void api_network_inspect(struct http_req *req, void *ctx);
void api_network_delete(struct http_req *req, void *ctx);
void api_network_prune(struct http_req *req, void *ctx);
void api_network_connect(struct http_req *req, void *ctx);
void api_network_disconnect(struct http_req *req, void *ctx);

/* api_sandbox.c */
void api_sandbox_create(struct http_req *req, void *ctx);
void api_sandbox_list(struct http_req *req, void *ctx);
void api_sandbox_inspect(struct http_req *req, void *ctx);
void api_sandbox_delete(struct http_req *req, void *ctx);
void api_endpoint_list(struct http_req *req, void *ctx);

/* api_cni.c: /cni/... for the CNI plugin */
void api_cni_add(struct http_req *req, void *ctx);
void api_cni_check(struct http_req *req, void *ctx);
void api_cni_del(struct http_req *req, void *ctx);
void api_cni_gc(struct http_req *req, void *ctx);
void api_cni_status(struct http_req *req, void *ctx);

/* api_container.c */
void api_container_create(struct http_req *req, void *ctx);
void api_container_start(struct http_req *req, void *ctx);
void api_container_stop(struct http_req *req, void *ctx);
void api_container_kill(struct http_req *req, void *ctx);
void api_container_restart(struct http_req *req, void *ctx);
void api_container_wait(struct http_req *req, void *ctx);
void api_container_delete(struct http_req *req, void *ctx);
void api_container_list(struct http_req *req, void *ctx);
void api_container_inspect(struct http_req *req, void *ctx);

/* api_logs.c: logs and attach streams from the json-file log */
void api_container_logs(struct http_req *req, void *ctx);
void api_container_attach(struct http_req *req, void *ctx);
