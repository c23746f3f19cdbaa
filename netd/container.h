/* netd's containers (internal): the Docker lifecycle over runtime/ (netd-shim),
 * images/ (rootfs) and the sandbox/endpoint code of netd/.
 *
 * A container is a store document of kind "container" (the truth: config,
 * HostConfig, State, SandboxID, StateDir, LogPath, the rt_spec) plus a small
 * in-memory struct ctr for what only lives while netd runs: the pidfd watch of
 * its shim, pending waiters, log followers, timers. netd records intent in
 * the document before it touches the kernel; at start it re-adopts every
 * container from its document and the shim's state dir. */
#pragma once

#include "netd/daemon.h"
#include "runtime/runtime.h"

#include <limits.h>

enum ctr_waiter_kind {
	CTR_WAIT_EXIT,        /* POST /wait (not-running, next-exit): {"StatusCode"} at exit */
	CTR_WAIT_REMOVED,     /* POST /wait?condition=removed: at removal */
	CTR_WAIT_STOP,        /* POST /stop: 204 at exit */
	CTR_WAIT_RESTART,     /* POST /restart: start again at exit, then 204 */
	CTR_WAIT_RM,          /* DELETE ?force: 204 once removed */
};

struct ctr_waiter {
	enum ctr_waiter_kind kind;
	struct http_req *req;
	struct ctr *c;
	struct ctr_waiter *next;
};

struct ctr_follower;
struct ctr_attach;
struct ctr_exec;

struct ctr {
	char id[ND_ID_LEN + 1];
	struct netd *d;
	bool running;          /* the shim is watched */
	bool busy;             /* a start, cleanup or removal is in flight */
	bool starting;         /* a start is in flight */
	bool stop_pending;     /* stop arrived while starting: kill once started */
	bool removing;
	bool restarting;       /* restart-policy timer pending */
	bool mounting;         /* the rootfs mount queued at create is in flight */
	void *start_job;       /* a start's runtime job, parked until that mount is done */
	struct rt_state st;    /* valid while running */
	int pidfd;
	uv_poll_t poll;
	bool poll_open;
	uv_timer_t kill_timer; /* stop: SIGKILL after t seconds */
	uv_timer_t restart_timer;
	int handles_open;      /* timers + poll: freed when 0 after close */
	bool freeing;
	struct ctr_waiter *waiters;
	struct ctr_follower *followers;
	struct ctr_attach *attaches;   /* container_attach.c */
	struct ctr_exec *execs;        /* exec.c: die with the container */
	struct ctr *next;
};

struct ctrs {
	struct netd *d;
	struct ctr *list;
	uv_signal_t sigchld;
	char shim[PATH_MAX];
	char exec_dir[PATH_MAX];   /* <exec-root>/containers: state dirs */
	char data_dir[PATH_MAX];   /* <root>/containers: logs, hosts, resolv.conf */
};

static inline struct ctrs *ctrs_of(struct netd *d) { return d->containers; }

/* container.c: lifecycle */
int netd_containers_start(struct netd *d, struct nd_error *err);
void netd_containers_stop(struct netd *d);
void netd_containers_info(struct netd *d, json_t *info);
struct ctr *ctr_find(struct netd *d, const char *id);
struct ctr *ctr_new(struct netd *d, const char *id);
/* Looks up a container by ID, prefix or name. */
int ctr_lookup(struct netd *d, const char *ref, char id[ND_ID_LEN + 1], json_t **doc, struct nd_error *err);
int ctr_save(struct netd *d, const json_t *doc, struct nd_error *err);
/* Starts (async); req (may be NULL) gets 204 or the error. */
void ctr_start(struct ctr *c, struct http_req *req);
/* At create: mounts the rootfs in the pool, so that a start soon after
 * (`run`) finds it ready; a failure is left for the start to report. */
void ctr_prepare(struct ctr *c, const char *image);
/* SIGTERM (or signal), SIGKILL after timeout_s; waiter w (may be NULL) at exit. */
int ctr_stop(struct ctr *c, int timeout_s, struct ctr_waiter *w, struct nd_error *err);
int ctr_kill(struct ctr *c, int sig, struct nd_error *err);
/* Removes a stopped container (async); req (may be NULL) gets 204. */
void ctr_remove(struct ctr *c, struct http_req *req);
void ctr_waiter_add(struct ctr *c, enum ctr_waiter_kind kind, struct http_req *req);

/* container_api.c: handlers */
void api_container_create(struct http_req *req, void *ctx);
void api_container_start(struct http_req *req, void *ctx);
void api_container_stop(struct http_req *req, void *ctx);
void api_container_kill(struct http_req *req, void *ctx);
void api_container_restart(struct http_req *req, void *ctx);
void api_container_wait(struct http_req *req, void *ctx);
void api_container_delete(struct http_req *req, void *ctx);
void api_container_list(struct http_req *req, void *ctx);
void api_container_inspect(struct http_req *req, void *ctx);

/* container_logs.c: logs (and attach's non-tty output) from the json-file log */
void api_container_logs(struct http_req *req, void *ctx);
/* The container exited (final: drain and end) or is being removed. These
 * also tell attach sessions and exec records (container_attach.c, exec.c). */
void ctr_followers_exit(struct ctr *c);
void ctr_followers_free(struct ctr *c);
/* A follower of the log for someone else's stream: writes Docker's frames
 * (raw with tty) to req from offset start_off (-1: the current end; 0: all),
 * until the container's exit when follow, else to the current end; then
 * calls on_end (instead of ending req). */
struct ctr_follower *ctr_follower_new(struct ctr *c, struct http_req *req, const char *log_path, bool tty,
				      bool out, bool err, bool follow, off_t start_off,
				      void (*on_end)(void *ud), void *ud);
/* Stops it without calling on_end. */
void ctr_follower_cancel(struct ctr_follower *f);

/* container_attach.c: POST /containers/{id}/attach, /containers/{id}/resize */
void api_container_attach(struct http_req *req, void *ctx);
void api_container_resize(struct http_req *req, void *ctx);
void ctr_attach_started(struct ctr *c);   /* start_done: the shim's socket is there */
void ctr_attach_exited(struct ctr *c);
void ctr_attach_free_all(struct ctr *c);

/* exec.c + api_exec.c: exec instances */
void api_container_exec(struct http_req *req, void *ctx);
void api_exec_start(struct http_req *req, void *ctx);
void api_exec_inspect(struct http_req *req, void *ctx);
void api_exec_resize(struct http_req *req, void *ctx);
void ctr_exec_container_exited(struct ctr *c);
void ctr_exec_free_all(struct ctr *c);

/* container_spec.c: per-container files and the rt_spec */
int ctr_files_write(struct netd *d, json_t *doc, struct nd_error *err);
int ctr_spec_build(struct netd *d, const json_t *doc, const char *netns, struct rt_spec **out,
		   struct nd_error *err);
int ctr_parse_signal(const char *s);

/* ports.c: published ports (HostConfig.PortBindings, PublishAllPorts) */
/* Validates the create body's bindings into hc_out; *exposed_out gets Config.ExposedPorts. */
int ctr_ports_parse(const json_t *body, const json_t *image_cfg, json_t *hc_out, json_t **exposed_out,
		    struct nd_error *err);
/* After the endpoints joined: records doc["PortMappings"] (saved), then
 * publishes them all or none (-EEXIST/-EADDRINUSE: 409, nothing changed). */
int ctr_ports_publish(struct netd *d, json_t *doc, struct nd_error *err);
/* Unpublishes doc's recorded mappings and drops the record (caller saves). */
void ctr_ports_unpublish(struct netd *d, json_t *doc);
json_t *ctr_ports_view(const json_t *doc);      /* NetworkSettings.Ports */
json_t *ctr_ports_summary(const json_t *doc);   /* /containers/json Ports */
