/* The daemon's context: one struct passed down everywhere, no globals. */
#pragma once

#include "common/common.h"
#include "netd/http.h"
#include "netd/store.h"

#include <limits.h>
#include <uv.h>

struct images;

struct netd_config {
	char *root;                  /* --root, default /var/lib/netd */
	char *exec_root;             /* --exec-root, default /run/netd */
	char *socket;                /* --socket, default /run/netd/netd.sock */
	char *config_file;           /* --config */
	enum nd_log_level log_level;
	bool cleanup;                /* --cleanup: remove what this netd made, then exit */
	json_t *file;                /* the parsed config file (object), never NULL */
};

struct netd {
	uv_loop_t *loop;
	struct netd_config cfg;
	struct store *store;
	struct http_server *http;
	uv_signal_t sig_term, sig_int;
	int lock_fd;
	int exec_lock_fd;            /* <exec-root>/netd.lock */
	char id[ND_ID_LEN + 1];      /* this daemon's identity, kept in the store */
	time_t started;
	bool shutting_down;
	void *net;                   /* networking state (netd/net.c), opaque here */
	struct images *images;       /* image store (images/), opened at start */
	void *containers;            /* container state (netd/container*.c), opaque here */
};

/* config.c */
int netd_config_parse(struct netd_config *cfg, int argc, char **argv, struct nd_error *err);
void netd_config_free(struct netd_config *cfg);
void netd_usage(FILE *out);

/* main.c: DIR/netd.lock (one netd per root and per exec root; what: "root",
 * "exec root" for the message); -EBUSY while another holds it */
int netd_lock_dir(const char *dir, const char *what, int *fd_out, struct nd_error *err);
/* cleanup.c: `netd --cleanup`; returns the exit status */
int netd_cleanup(struct netd *d);

/* net.c: the networking side of the daemon (networks, sandboxes, endpoints) */
int netd_net_start(struct netd *d, struct nd_error *err);
void netd_net_stop(struct netd *d);
void netd_net_info(struct netd *d, json_t *info);

/* routes.c */
extern const struct http_route netd_routes[];
extern const size_t netd_nroutes;

/* apiutil.c: typed access to request bodies, Docker-style filters */
int api_get_str(const json_t *obj, const char *key, const char **out, bool required, struct nd_error *err);
int api_get_bool(const json_t *obj, const char *key, bool *out, struct nd_error *err);
int api_get_strmap(const json_t *obj, const char *key, json_t **out, struct nd_error *err);
int api_filters(struct http_req *req, const char *const *allowed, json_t **out, struct nd_error *err);
bool api_labels_match(const json_t *labels, const char *spec);
bool api_filter_any(const json_t *filters, const char *key, bool (*pred)(const char *val, void *data),
		    void *data);

/* api_commit.c */
void api_commit(struct http_req *req, void *ctx);

/* api_system.c */
void api_ping(struct http_req *req, void *ctx);
void api_version(struct http_req *req, void *ctx);
void api_info(struct http_req *req, void *ctx);

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
