/* netd's networking objects: networks, sandboxes, endpoints (internal). */
#pragma once

#include "drivers/driver.h"
#include "ipam/ipam.h"
#include "proxy/proxy.h"
#include "netd/daemon.h"

struct net_pool {
	struct ipam_pool *pool;
	char key[IPAM_PREFIX_STRLEN + ND_ID_LEN + 2];   /* "<netid>/<subnet>": the store's pool key */
	int family;
};

struct net_network {
	char id[ND_ID_LEN + 1];
	char name[ND_NAME_MAX + 1];
	const struct nd_driver_ops *drv;
	json_t *doc;                     /* the stored document, owned */
	struct net_pool pools[ND_DRV_MAX_SUBNETS];
	int npools;
	bool builtin;                    /* the default "bridge" network */
	struct net_network *next;
};

struct net_state {
	struct nd_fw *fw;
	struct nd_drv_ctx drv_ctx;
	struct ipam_space *space;
	struct net_network *networks;
	char netns_dir[PATH_MAX];
	uv_timer_t reconcile;
	struct nd_fw_foreign fw_foreign; /* last nd_fw_foreign_sync() (reconcile) */
	char fw_foreign_err[256];        /* its last error, logged once */
	struct nd_ports *ports;          /* published ports (ports.c); NULL when unavailable */
	char ports_pin[PATH_MAX];
	char ports_error[256];
};

static inline struct net_state *net_of(struct netd *d) { return d->net; }

/* netns.c: network namespaces bind-mounted under <exec-root>/netns */
int netns_dir_prepare(const char *dir, struct nd_error *err);
int netns_create(const char *path, struct nd_error *err);
int netns_destroy(const char *path, struct nd_error *err);
bool netns_alive(const char *path);

/* network.c */
struct net_network *net_network_find(struct netd *d, const char *ref, struct nd_error *err);
void net_drv_network(const struct net_network *n, struct nd_drv_network *out);
int net_network_load(struct netd *d, json_t *doc, struct net_network **out, struct nd_error *err);
void net_network_free(struct net_network *n);
int net_default_network(struct netd *d, struct nd_error *err);
void api_network_create(struct http_req *req, void *ctx);
void api_network_list(struct http_req *req, void *ctx);
void api_network_inspect(struct http_req *req, void *ctx);
void api_network_delete(struct http_req *req, void *ctx);
void api_network_prune(struct http_req *req, void *ctx);

/* endpoint.c */
void net_drv_endpoint(const json_t *ep, struct nd_drv_endpoint *out);
void net_drv_sandbox(const json_t *sb, const json_t *ep, struct nd_drv_sandbox *out);
int net_endpoint_repair(struct netd *d, struct net_network *n, json_t *ep, json_t *sb, struct nd_error *err);
/* Releases the endpoint's addresses from the in-memory pools. */
void net_endpoint_release_pools(struct net_network *n, const json_t *ep);
/* C-level connect (POST /networks/{id}/connect): target is a sandbox or a
 * container ref; ipv4 may be NULL. *ep_out (may be NULL) gets the endpoint doc. */
int net_endpoint_connect(struct netd *d, const char *network, const char *target, const char *ipv4,
			 const json_t *aliases, json_t **ep_out, struct nd_error *err);
void api_network_connect(struct http_req *req, void *ctx);
void api_network_disconnect(struct http_req *req, void *ctx);
void api_endpoint_list(struct http_req *req, void *ctx);

/* sandbox.c */
int net_sandbox_lookup(struct netd *d, const char *ref, char id[ND_ID_LEN + 1], json_t **doc,
		       struct nd_error *err);
/* C-level create/delete (the same path as POST/DELETE /sandboxes), for containers. */
int net_sandbox_create(struct netd *d, const char *name, const json_t *labels, char id_out[ND_ID_LEN + 1],
		       json_t **doc_out, struct nd_error *err);
int net_sandbox_delete(struct netd *d, const char *id, struct nd_error *err);
void api_sandbox_create(struct http_req *req, void *ctx);
void api_sandbox_list(struct http_req *req, void *ctx);
void api_sandbox_inspect(struct http_req *req, void *ctx);
void api_sandbox_delete(struct http_req *req, void *ctx);

/* ports.c: the daemon's nd_ports handle (opened after the firewall) */
int net_ports_open(struct netd *d, struct nd_error *err);
void net_ports_close(struct netd *d);
/* The pin path (config bpf-pin-path or the default) and the folder of this
 * instance's old-layout pins (before pins had owners). */
void net_ports_pin_paths(struct netd *d, char *base, size_t base_len, char *legacy, size_t legacy_len);
/* Makes the proxy publish exactly what the container documents record. */
int net_ports_sync(struct netd *d, struct nd_error *err);
void net_ports_info(struct netd *d, json_t *info);
/* POST /networks/{id}/disconnect, unpublishing the ports that ride on it first */
void api_ports_network_disconnect(struct http_req *req, void *ctx);

/* net.c: reconcile */
int net_reconcile(struct netd *d, bool startup, struct nd_error *err);
