// SPDX-License-Identifier: Apache-2.0
/* The API: Docker Engine paths where Docker has the concept, netd-only
 * objects beside them. One table; handlers live in api_*.c. */
#include "netd/api/api.h"

#define NOT_IMPLEMENTED(p) { "GET", p, api_not_implemented, 0 }, { "POST", p, api_not_implemented, 0 }, \
	{ "DELETE", p, api_not_implemented, 0 }

const struct http_route netd_routes[] = {
	{ "GET", "/_ping", api_ping, 0 },
	{ "HEAD", "/_ping", api_ping, 0 },
	{ "GET", "/version", api_version, 0 },
	{ "GET", "/info", api_info, 0 },
	{ "GET", "/events", api_events, 0 },
	{ "GET", "/topology", api_topology, 0 },
	{ "GET", "/system/df", api_system_df, 0 },
	{ "POST", "/build/prune", api_build_prune, 0 },

	{ "POST", "/commit", api_commit, 0 },

	{ "POST", "/networks/create", api_network_create, 0 },
	{ "GET", "/networks", api_network_list, 0 },
	{ "POST", "/networks/prune", api_network_prune, 0 },
	{ "GET", "/networks/{id}", api_network_inspect, 0 },
	{ "DELETE", "/networks/{id}", api_network_delete, 0 },
	{ "POST", "/networks/{id}/connect", api_network_connect, 0 },
	{ "POST", "/networks/{id}/disconnect", api_network_disconnect, 0 },

	{ "POST", "/sandboxes", api_sandbox_create, 0 },
	{ "GET", "/sandboxes", api_sandbox_list, 0 },
	{ "GET", "/explain", api_explain, 0 },
	{ "GET", "/sandboxes/{id}", api_sandbox_inspect, 0 },
	{ "DELETE", "/sandboxes/{id}", api_sandbox_delete, 0 },
	{ "GET", "/endpoints", api_endpoint_list, 0 },

	{ "POST", "/cni/add", api_cni_add, 0 },
	{ "POST", "/cni/check", api_cni_check, 0 },
	{ "POST", "/cni/del", api_cni_del, 0 },
	{ "POST", "/cni/gc", api_cni_gc, 0 },
	{ "GET", "/cni/status", api_cni_status, 0 },

	{ "POST", "/containers/create", api_container_create, 0 },
	{ "GET", "/containers/json", api_container_list, 0 },
	{ "POST", "/containers/prune", api_container_prune, 0 },
	{ "POST", "/containers/{id}/rename", api_container_rename, 0 },
	{ "POST", "/containers/{id}/pause", api_container_pause, 0 },
	{ "POST", "/containers/{id}/unpause", api_container_unpause, 0 },
	{ "POST", "/containers/{id}/update", api_container_update, 0 },
	{ "GET", "/containers/{id}/top", api_container_top, 0 },
	{ "GET", "/containers/{id}/changes", api_container_changes, 0 },
	{ "GET", "/containers/{id}/stats", api_container_stats, 0 },
	{ "GET", "/containers/{id}/archive", api_container_archive_get, 0 },
	{ "HEAD", "/containers/{id}/archive", api_container_archive_get, 0 },
	{ "PUT", "/containers/{id}/archive", api_container_archive_put, HTTP_ROUTE_UPLOAD },
	{ "GET", "/containers/{id}/json", api_container_inspect, 0 },
	{ "GET", "/containers/{id}/logs", api_container_logs, 0 },
	{ "POST", "/containers/{id}/attach", api_container_attach, 0 },
	{ "POST", "/containers/{id}/resize", api_container_resize, 0 },
	{ "POST", "/containers/{id}/exec", api_container_exec, 0 },
	{ "POST", "/exec/{id}/start", api_exec_start, 0 },
	{ "GET", "/exec/{id}/json", api_exec_inspect, 0 },
	{ "POST", "/exec/{id}/resize", api_exec_resize, 0 },
	{ "POST", "/containers/{id}/start", api_container_start, 0 },
	{ "POST", "/containers/{id}/stop", api_container_stop, 0 },
	{ "POST", "/containers/{id}/kill", api_container_kill, 0 },
	{ "POST", "/containers/{id}/restart", api_container_restart, 0 },
	{ "POST", "/containers/{id}/wait", api_container_wait, 0 },
	{ "DELETE", "/containers/{id}", api_container_delete, 0 },

	{ "GET", "/volumes", api_volume_list, 0 },
	{ "POST", "/volumes/create", api_volume_create, 0 },
	{ "POST", "/volumes/prune", api_volume_prune, 0 },
	{ "GET", "/volumes/{name}", api_volume_inspect, 0 },
	{ "DELETE", "/volumes/{name}", api_volume_delete, 0 },

	/* images: fixed paths before the greedy {name*} ones (names have slashes) */
	{ "POST", "/images/create", api_image_create, HTTP_ROUTE_UPLOAD },
	{ "POST", "/images/load", api_image_load, HTTP_ROUTE_UPLOAD },
	{ "GET", "/images/get", api_image_get, 0 },
	{ "GET", "/images/json", api_image_list, 0 },
	{ "POST", "/images/prune", api_image_prune, 0 },
	{ "GET", "/images/{name*}/json", api_image_inspect, 0 },
	{ "GET", "/images/{name*}/history", api_image_history, 0 },
	{ "GET", "/images/{name*}/get", api_image_get_one, 0 },
	{ "POST", "/images/{name*}/tag", api_image_tag, 0 },
	{ "POST", "/images/{name*}/push", api_image_push, 0 },
	{ "POST", "/auth", api_auth, 0 },
	{ "DELETE", "/auth", api_auth_delete, 0 },
	{ "DELETE", "/images/{name*}", api_image_delete, 0 },

	/* out of scope: a clear message (api_sysdf.c), never a 404 the CLI misreads */
	NOT_IMPLEMENTED("/build"), NOT_IMPLEMENTED("/session"), NOT_IMPLEMENTED("/grpc"),
	NOT_IMPLEMENTED("/swarm"), NOT_IMPLEMENTED("/swarm/{x*}"),
	NOT_IMPLEMENTED("/services"), NOT_IMPLEMENTED("/services/{x*}"),
	NOT_IMPLEMENTED("/tasks"), NOT_IMPLEMENTED("/tasks/{x*}"),
	NOT_IMPLEMENTED("/nodes"), NOT_IMPLEMENTED("/nodes/{x*}"),
	NOT_IMPLEMENTED("/secrets"), NOT_IMPLEMENTED("/secrets/{x*}"),
	NOT_IMPLEMENTED("/configs"), NOT_IMPLEMENTED("/configs/{x*}"),
	NOT_IMPLEMENTED("/plugins"), NOT_IMPLEMENTED("/plugins/{x*}"),
	NOT_IMPLEMENTED("/distribution/{x*}"),
	NOT_IMPLEMENTED("/containers/{id}/checkpoints"), NOT_IMPLEMENTED("/containers/{id}/checkpoints/{x*}"),
};

const size_t netd_nroutes = ARRAY_SIZE(netd_routes);
