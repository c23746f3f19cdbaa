// SPDX-License-Identifier: Apache-2.0
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
/* ?h= / ?w= of a resize: 0..65535; -EINVAL when absent or bad */
int api_query_dim(struct http_req *req, const char *k, unsigned short *out);
/* true when the filter has no values for key, or pred holds for any (all) of them */
bool api_filter_any(const json_t *filters, const char *key, bool (*pred)(const char *val, void *data),
		    void *data);
/* Docker's timestamps: unix seconds[.frac], a duration before now ("10m"), RFC 3339 */
int api_parse_time(const char *s, time_t *out, long *nsec);
bool api_filter_all(const json_t *filters, const char *key, bool (*pred)(const char *val, void *data),
		    void *data);

/* strict.c: refuse what netd cannot honour instead of dropping it */
struct api_default {
	const char *name;
	bool (*is_default)(const json_t *v);  /* a set value that still means "unset" */
};
/* null, false, 0, "", and arrays/objects of only those */
bool api_json_zeroish(const json_t *v);
/* -EINVAL naming the first member of obj that is neither honoured (listed),
 * nor zeroish, nor a default of defaults (NULL-terminated); where prefixes the
 * name ("HostConfig"). */
/* api_container_security.c: checks HostConfig's security options and
 * copies them into the HostConfig netd stores */
int api_container_security(const json_t *hc_in, const char *network_mode, json_t *hc_out, struct nd_error *err);
int api_refuse_unhonoured(const json_t *obj, const char *where, const char *const *honoured,
			  const struct api_default *defaults, struct nd_error *err);

/* api_authz.c: the caller's rights on TLS listeners (tls-roles) */
int api_authorize(struct http_req *req, void *ctx);
/* -EPERM when no entry matches */
int api_role_for(const struct netd_config *cfg, const char *cn, const char *ou, enum netd_tls_role_kind *out);
/* the first field of a create (or exec create) body an operator may not set, or NULL */
const char *api_operator_forbidden(const json_t *body, bool exec);

/* api_explain.c: GET /explain (netctl explain) */
void api_explain(struct http_req *req, void *ctx);

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

/* api_registry.c: pull, push, login (registries) */
void api_image_pull(struct http_req *req, void *ctx);
void api_image_push(struct http_req *req, void *ctx);
void api_auth(struct http_req *req, void *ctx);
void api_auth_delete(struct http_req *req, void *ctx);

/* api_network.c */
void api_network_create(struct http_req *req, void *ctx);
void api_network_list(struct http_req *req, void *ctx);
void api_network_inspect(struct http_req *req, void *ctx);
void api_network_delete(struct http_req *req, void *ctx);
void api_network_prune(struct http_req *req, void *ctx);
void api_network_connect(struct http_req *req, void *ctx);
void api_network_disconnect(struct http_req *req, void *ctx);

/* api_pseudo_net.c: Docker's "host" and "none" rows, read-only */
/* "host"/"none" when ref names one of them (name, or an id prefix of 12+) */
const char *api_pseudo_network(struct netd *d, const char *ref);
json_t *api_pseudo_network_view(struct netd *d, const char *name);
/* appends those that match the list filters f to arr */
void api_pseudo_networks_list(struct netd *d, const json_t *f, json_t *arr);
/* answers req (true) when ref is one of them: op "create", "delete",
 * "connect", "disconnect" is refused as Docker refuses it */
bool api_pseudo_network_refuse(struct netd *d, struct http_req *req, const char *ref, const char *op);

/* api_shapes.c: a view in the shape of the request's API version */
void api_shape_image(const struct http_req *req, json_t *img);
void api_shape_container_inspect(const struct http_req *req, json_t *v);

/* api_topology.c: GET /topology */
void api_topology(struct http_req *req, void *ctx);

/* api_events.c: GET /events */
void api_events(struct http_req *req, void *ctx);

/* api_sysdf.c: GET /system/df, POST /containers/prune, /build/prune; out of scope */
void api_system_df(struct http_req *req, void *ctx);
void api_container_prune(struct http_req *req, void *ctx);
void api_build_prune(struct http_req *req, void *ctx);
void api_not_implemented(struct http_req *req, void *ctx);

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

/* api_container_mounts.c: Binds, Mounts, Tmpfs, VolumesFrom, Volumes (and the
 * image's), ReadonlyRootfs -> hc and the container's "Mounts" (*out, new);
 * the volumes named are created. rollback removes the anonymous ones it made. */
int api_mounts_parse(struct netd *d, const json_t *body, const json_t *icfg, json_t *hc, json_t **out,
		     struct nd_error *err);
void api_mounts_rollback(struct netd *d, const json_t *mounts);
/* the container's Mounts as Docker's inspect shows them */
json_t *api_mounts_view(const json_t *doc);

/* api_volumes.c: /volumes (list, create, inspect, remove, prune) */
void api_volume_list(struct http_req *req, void *ctx);
void api_volume_create(struct http_req *req, void *ctx);
void api_volume_inspect(struct http_req *req, void *ctx);
void api_volume_delete(struct http_req *req, void *ctx);
void api_volume_prune(struct http_req *req, void *ctx);

/* api_logs.c: logs (and attach's non-tty output) from the json-file log */
void api_container_logs(struct http_req *req, void *ctx);
/* A follower of the log for someone else's stream: writes Docker's frames
 * (raw with tty) to req from offset start_off (-1: the current end; 0: all),
 * until the container's exit when follow, else to the current end; then
 * calls on_end (instead of ending req). */
struct api_follower;
struct api_follower *api_follower_new(struct ctr *c, struct http_req *req, const char *log_path, bool tty,
				      bool out, bool err, bool follow, off_t start_off,
				      void (*on_end)(void *ud), void *ud);
/* Stops it without calling on_end. */
void api_follower_cancel(struct api_follower *f);

/* api_attach.c: POST /containers/{id}/attach (hijacked), /containers/{id}/resize */
void api_container_attach(struct http_req *req, void *ctx);
void api_container_resize(struct http_req *req, void *ctx);

/* api_container_ops.c: rename, pause, unpause, update, top, changes, prune, stats, archive */
void api_container_rename(struct http_req *req, void *ctx);
void api_container_pause(struct http_req *req, void *ctx);
void api_container_unpause(struct http_req *req, void *ctx);
void api_container_update(struct http_req *req, void *ctx);
void api_container_top(struct http_req *req, void *ctx);
void api_container_changes(struct http_req *req, void *ctx);
void api_container_stats(struct http_req *req, void *ctx);
void api_container_archive_get(struct http_req *req, void *ctx);
void api_container_archive_put(struct http_req *req, void *ctx);

/* api_exec.c: /containers/{id}/exec, /exec/{id}/start|json|resize */
void api_container_exec(struct http_req *req, void *ctx);
void api_exec_start(struct http_req *req, void *ctx);
void api_exec_inspect(struct http_req *req, void *ctx);
void api_exec_resize(struct http_req *req, void *ctx);
