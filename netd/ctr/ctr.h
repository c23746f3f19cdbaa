// SPDX-License-Identifier: Apache-2.0
/* The ctr layer: containers, the Docker lifecycle over runtime/ (netd-shim),
 * images/ (rootfs) and the net layer's sandboxes and endpoints.
 *
 * A container is a store document of kind "container" (the truth: config,
 * HostConfig, State, SandboxID, StateDir, LogPath, the rt_spec) plus a small
 * in-memory struct ctr for what only lives while netd runs: its phase, the
 * pidfd watch of its shim, waiters, observers, timers. netd records intent
 * in the document before it touches the kernel; at start it re-adopts
 * every container from its document and the shim's state dir.
 *
 * The services here know no HTTP: completions are callbacks with a
 * struct ctr_result, streams are observers. */
#pragma once

#if defined(ND_LAYER_CORE) || defined(ND_LAYER_HTTP) || defined(ND_LAYER_NET)
#error "netd/ctr/ctr.h: the core, http and net layers sit below ctr and must not include it"
#endif

#include "netd/core/daemon.h"
#include "netd/core/job.h"
#include "netd/core/records.h"
#include "runtime/runtime.h"
#include "images/images.h"
#include "netd/net/net.h"

#include <limits.h>

/* ---- phases ------------------------------------------------------------------
 * What the container is doing now; every change goes through
 * ctr_phase_set(), which refuses (and logs once) a transition that is not
 * in the table of phase.c. */
enum ctr_phase {
	CTR_CREATED = 0,   /* no process and nothing in flight (Docker: created or exited) */
	CTR_PREPARING,     /* the rootfs mount queued at create is in flight */
	CTR_STARTING,      /* a start is in flight (its runtime job may wait for the mount) */
	CTR_RUNNING,       /* the shim is watched */
	CTR_CLEANING,      /* exited: the shim's state dir is being removed */
	CTR_RESTARTING,    /* the restart policy's timer is pending */
	CTR_REMOVING,      /* the removal job is in flight */
	CTR_REMOVED,       /* gone; the struct is being freed */
	CTR_PHASE_MAX
};

const char *ctr_phase_name(enum ctr_phase p);
/* Whether the table allows from -> to (pure; the unit tests walk it). */
bool ctr_phase_allowed(enum ctr_phase from, enum ctr_phase to);

/* ---- completions and waiters ------------------------------------------------- */

struct ctr_result {
	int rc;                  /* 0; -EALREADY (start: was running); -ESHUTDOWN (netd stops); <0 error */
	int exit_code;           /* the exit code (waits), or Docker's 125/126/127 for a failed start */
	const char *error;       /* the container's error text ("" when none) */
	const struct nd_error *err; /* set when rc < 0 and a message exists */
};
typedef void (*ctr_cb)(void *data, const struct ctr_result *r);

enum ctr_wait_kind {
	CTR_WAIT_EXIT,           /* the next exit (or a failed start) */
	CTR_WAIT_REMOVED,        /* the removal */
	CTR_WAIT_STOP,           /* the exit after a stop */
	CTR_WAIT_RESTART,        /* the start after a restart's stop */
	CTR_WAIT_RM,             /* the removal after rm */
};

struct ctr_waiter {
	enum ctr_wait_kind kind;
	ctr_cb cb;
	void *data;
	struct ctr *c;
	struct ctr_waiter *next;
};

/* Streams (logs, attach) observe the container: started() when it runs
 * (before the start is answered, so a resize right after finds them),
 * exited() at each exit or
 * failed start, gone() when the container goes away (removal, netd stop);
 * after gone() the observer is no longer linked. */
struct ctr_observer {
	void (*started)(struct ctr_observer *o);  /* its process runs (before the start is answered) */
	void (*exited)(struct ctr_observer *o);
	void (*gone)(struct ctr_observer *o);
	struct ctr_observer *next;
};

struct ctr {
	char id[ND_ID_LEN + 1];
	struct netd *d;
	enum ctr_phase phase;
	bool remove_requested; /* rm (-f) arrived: remove as soon as nothing is in flight */
	bool stop_pending;     /* stop arrived while starting: kill once started */
	bool mount_inflight;   /* the create-time rootfs mount job has not come back */
	bool remove_volumes;   /* rm -v: its anonymous volumes go with it (volumes.c) */
	bool paused;           /* its cgroup is frozen (ops.c); cleared at exit */
	bool op_inflight;      /* a pause/unpause job is in the pool */
	int ops_inflight;      /* pool jobs of ops/stats/archive holding this struct: a removal waits for them */
	struct nd_job *start_job; /* a start's runtime job, parked until that mount is done */
	struct rt_state st;    /* valid while running */
	struct ctr_watch *watch; /* the shim's pidfd on the loop; owns the fd */
	uv_timer_t kill_timer; /* stop: SIGKILL after t seconds */
	uv_timer_t restart_timer;
	int handles_open;      /* timers: freed when 0 after close */
	bool freeing;
	struct ctr_waiter *waiters;
	struct ctr_observer *observers;
	struct ctr_exec *execs;       /* exec.c: exec instances, in memory, die with the container */
	struct ctr_health *health;    /* health.c: the checks' timer while it runs */
	struct ctr *next;
};

struct ctrs {
	struct netd *d;
	struct ctr *list;
	uv_signal_t sigchld;
	char shim[PATH_MAX];
	char exec_dir[PATH_MAX];   /* <exec-root>/containers: state dirs */
	char data_dir[PATH_MAX];   /* <root>/containers: logs, hosts, resolv.conf */
	void (*health_fn)(void *ud, const char *id, const char *status);   /* health.c's hook */
	void *health_ud;
};

static inline struct ctrs *ctrs_of(struct netd *d) { return d->ctrs; }
static inline bool ctr_running(const struct ctr *c) { return c->phase == CTR_RUNNING; }

/* phase.c */
int ctr_phase_set(struct ctr *c, enum ctr_phase to);

/* container.c: lifecycle */
/* Records a new container (doc built and checked by the caller), makes its
 * data dir and queues the rootfs mount. A taken name is -EEXIST with
 * Docker's message. */
int ctr_create(struct netd *d, const json_t *doc, const char *data_dir, struct nd_error *err);
int netd_containers_start(struct netd *d, struct nd_error *err);
void netd_containers_stop(struct netd *d);
void netd_containers_info(struct netd *d, json_t *info);
struct ctr *ctr_find(struct netd *d, const char *id);
struct ctr *ctr_new(struct netd *d, const char *id);
/* Looks up a container by ID, prefix or name. */
int ctr_lookup(struct netd *d, const char *ref, char id[ND_ID_LEN + 1], json_t **doc, struct nd_error *err);
int ctr_save(struct netd *d, const struct nd_container_rec *r, struct nd_error *err);
/* The record of container id (-ENOENT when none); clear it after use. */
int ctr_load(struct netd *d, const char *id, struct nd_container_rec *out, struct nd_error *err);
/* Every container record, oldest first. */
int ctr_list(struct netd *d, json_t **out, struct nd_error *err);
/* Starts (async); cb (may be NULL) gets the outcome. */
void ctr_start(struct ctr *c, ctr_cb cb, void *data);
/* At create: mounts the rootfs in the pool, so that a start soon after
 * (`run`) finds it ready; a failure is left for the start to report. */
void ctr_prepare(struct ctr *c, const char *image);
/* SIGTERM, SIGKILL after timeout_s (0: at once). kind is CTR_WAIT_STOP or
 * CTR_WAIT_RESTART; cb (may be NULL) is answered at exit (restart: once
 * started again). -EALREADY when not running (and nothing is queued). */
int ctr_stop(struct ctr *c, int timeout_s, enum ctr_wait_kind kind, ctr_cb cb, void *data, struct nd_error *err);
int ctr_kill(struct ctr *c, int sig, struct nd_error *err);
/* Config.StopTimeout, or Docker's 10 s (stop and restart without ?t=). */
int ctr_stop_timeout(struct ctr *c);
/* Removes the container, killing it first if it runs (async); cb (may be NULL) once removed. */
void ctr_remove(struct ctr *c, ctr_cb cb, void *data);
/* Registers a wait; cancel it if the client goes away first. */
struct ctr_waiter *ctr_wait(struct ctr *c, enum ctr_wait_kind kind, ctr_cb cb, void *data);
void ctr_wait_cancel(struct ctr_waiter *w);
void ctr_observe(struct ctr *c, struct ctr_observer *o);
void ctr_unobserve(struct ctr *c, struct ctr_observer *o);

/* events.c: container events on the bus (core/events.h), with Docker's
 * attributes (name, image, the labels) and extra's (stolen, may be NULL):
 * actions create, start, die (exitCode), kill (signal), stop, restart,
 * destroy, exec_create/exec_start/exec_die, attach, rename, pause, unpause,
 * "health_status: healthy" ... Any layer above may call it. */
void ctr_event(struct netd *d, const char *id, const char *action, json_t *extra);
void ctr__event_rec(struct netd *d, const struct nd_container_rec *r, const char *action, json_t *extra);

/* container_spec.c: per-container files and the rt_spec */
int ctr_files_write(struct netd *d, const struct nd_container_rec *r, struct nd_error *err);
int ctr_spec_build(struct netd *d, const struct nd_container_rec *r, const char *netns, struct rt_spec **out,
		   struct nd_error *err);
int ctr_parse_signal(const char *s);
/* spec_security.c: HostConfig's security options (Privileged, CapAdd/CapDrop,
 * SecurityOpt, Devices, GroupAdd, Ulimits, Sysctls) checked and turned into
 * the runtime's; -EINVAL/-ENOTSUP/-EPERM with a sentence naming the option. */
int ctr_security_build(const json_t *hc, const char *network_mode, struct rt_security *out, struct nd_error *err);

/* ports.c: published ports (HostConfig.PortBindings, PublishAllPorts) */
/* Validates the create body's bindings into hc_out; *exposed_out gets Config.ExposedPorts. */
int ctr_ports_parse(const json_t *body, const json_t *image_cfg, json_t *hc_out, json_t **exposed_out,
		    struct nd_error *err);
/* After the endpoints joined: records doc["PortMappings"] (saved), then
 * publishes them all or none (-EEXIST/-EADDRINUSE: 409, nothing changed). */
int ctr_ports_publish(struct netd *d, struct nd_container_rec *r, struct nd_error *err);
/* Unpublishes the recorded mappings and drops the record (caller saves). */
void ctr_ports_unpublish(struct netd *d, struct nd_container_rec *r);
/* Unpublishes what container id publishes through network network_id. */
void ctr_ports_unpublish_network(struct netd *d, const char *id, const char *network_id);
/* NetworkSettings.Ports and the /containers/json Ports of a container record */
json_t *ctr_ports_view(const json_t *doc);
json_t *ctr_ports_summary(const json_t *doc);
/* Makes the publisher publish exactly what the container records hold. */
int ctr_ports_sync(struct netd *d, struct nd_error *err);

/* volumes.c: named volumes of the local driver (records in the store) */
struct ctr_volume_opts {
	const char *name;            /* NULL or "": an anonymous volume (a random 64-hex name) */
	const char *driver;          /* NULL, "" or "local" */
	const json_t *driver_opts;   /* type, device, o; NULL = none */
	const json_t *labels;        /* NULL = none */
	bool anonymous;
};
bool ctr_volume_name_valid(const char *name);
/* -EINVAL naming what the local driver cannot take */
int ctr_volume_opts_check(const json_t *opts, struct nd_error *err);
/* Creates a volume, or gives the existing one of that name. Clear out after use. */
int ctr_volume_create(struct netd *d, const struct ctr_volume_opts *o, struct nd_volume_rec *out,
		      struct nd_error *err);
int ctr_volume_get(struct netd *d, const char *name, struct nd_volume_rec *out, struct nd_error *err);
int ctr_volume_list(struct netd *d, struct nd_volume_list *out, struct nd_error *err);
/* The ids of the containers (any state) whose Mounts name it: a new array. */
json_t *ctr_volume_users(struct netd *d, const char *name);
/* Every volume some container names: {name: [container ids]}, new. */
json_t *ctr_volumes_used(struct netd *d);
/* -EBUSY "volume is in use" while a container names it; force: a missing one is fine. */
int ctr_volume_remove(struct netd *d, const char *name, bool force, struct nd_error *err);
/* Removes the unused volumes (anonymous ones only unless all) that keep()
 * (NULL: none) does not keep: their records and mounts at once, their
 * trees on the pool; then cb gets their names and the bytes they held.
 * < 0 (cb not called) when nothing could be started. */
typedef void (*ctr_volume_prune_cb)(void *data, int rc, const json_t *deleted, uint64_t reclaimed,
				    const struct nd_error *err);
int ctr_volume_prune(struct netd *d, bool all, bool (*keep)(const struct nd_volume_rec *v, void *data), void *data,
		     ctr_volume_prune_cb cb, void *cb_data, struct nd_error *err);
/* Makes the volume's _data ready (its mount, for one with options). */
int ctr_volumes_mount(struct netd *d, const char *name, struct nd_error *err);
/* After a container's removal: its anonymous volumes no one else uses go too. */
void ctr_volumes_release(struct netd *d, const json_t *doc, bool remove_anonymous);
int ctr_volumes_start(struct netd *d, struct nd_error *err);

/* spec_mounts.c: the spec's mounts from doc["Mounts"], ReadonlyRootfs */
int ctr_spec_mounts(struct netd *d, const struct nd_container_rec *r, struct rt_spec *s, struct nd_error *err);
/* On the pool, after the rootfs mount: the image's content at each volume's
 * path copied into the volume when it is empty (first start only). */
int ctr_volumes_copy_up(struct netd *d, const struct rt_spec *s, bool first_start, struct nd_error *err);
/* ops.c: rename, pause, update, top, diff, prune */
/* A taken name is -EEXIST with Docker's message; the record and every
 * endpoint alias of the old name follow. */
int ctr_rename(struct ctr *c, const char *name, struct nd_error *err);
/* Freezes (pause) or thaws the container's cgroup in the pool; cb gets
 * rc -EBUSY "not running" / "not paused" / "already paused" as Docker's 409s. */
void ctr_pause(struct ctr *c, bool pause, ctr_cb cb, void *data);
/* Thaws a paused container at once (a kill or stop must reach it). */
void ctr__thaw(struct ctr *c);
/* A pool job of ops.c, stats.c or archive.c holds / releases the container
 * (a removal requested meanwhile goes on at the release). */
void ctr__op_hold(struct ctr *c);
void ctr__op_release(struct ctr *c);
/* docker update: the fields whose has_ flag is set; applied to the live
 * cgroup when it runs, and recorded (HostConfig) for the next start. */
struct ctr_update_req {
	bool has_memory, has_nano, has_shares, has_quota, has_period, has_pids, has_restart;
	int64_t memory, nano_cpus, cpu_shares, cpu_quota, cpu_period, pids;
	char restart[16];
	int restart_max;
};
int ctr_update(struct ctr *c, const struct ctr_update_req *u, struct nd_error *err);
/* docker top: rows of cells under titles, for ps_args "" / "-ef" / "-f" / "aux" / "-aux" / "-e"
 * (anything else: -EINVAL). Free with ctr_top_free. */
struct ctr_top {
	size_t ncols, nrows;
	const char *const *titles;
	char **cells;            /* nrows * ncols */
};
int ctr_top(struct ctr *c, const char *ps_args, struct ctr_top *out, struct nd_error *err);
void ctr_top_free(struct ctr_top *t);
/* docker diff (pool); cb's data gets the result through ctr_diff_result. */
struct ctr_diff_result {
	int rc;
	struct nd_error err;
	struct images_change *v;
	size_t n;
};
void ctr_diff(struct ctr *c, void (*cb)(void *data, struct ctr_diff_result *r), void *data);
/* docker container prune: removes the stopped containers match accepts
 * (NULL: all); done gets their ids (borrowed) once every one is gone. */
typedef bool (*ctr_prune_match)(const json_t *doc, void *data);
int ctr_prune(struct netd *d, ctr_prune_match match, void *mdata, void (*done)(void *ud, json_t *removed), void *ud,
	      struct nd_error *err);

/* stats.c: docker stats (pool): one sample of the container's counters */
struct ctr_stats {
	struct rt_cgroup_stats cg;
	uint64_t system_ns;        /* /proc/stat, all CPUs, in ns */
	unsigned online_cpus;
	uint64_t host_mem;         /* MemTotal: the limit when there is none */
	struct net_link_stats *nets;
	size_t nnets;
	char read[40];             /* RFC 3339 nano */
};
void ctr_stats_sample(struct ctr *c, void (*cb)(void *data, int rc, const struct nd_error *err,
						  const struct ctr_stats *s), void *data);

/* archive.c: docker cp (pool), paths resolved inside the rootfs */
struct ctr_path_stat {
	char name[256];
	int64_t size;
	uint32_t mode;            /* Go's os.FileMode bits, as Docker sends them */
	char mtime[40];
	char link_target[4096];
};
/* HEAD: stat only (fd_out NULL); GET: also a tar of path in an unlinked temp file, rewound. */
void ctr_archive_get(struct ctr *c, const char *path, bool want_tar,
		     void (*cb)(void *data, int rc, const struct nd_error *err, const struct ctr_path_stat *st, int fd),
		     void *data);
/* PUT: extracts the tar read from fd into the directory path. */
struct ctr_archive_put_opts {
	bool no_overwrite_dir_non_dir;
	bool copy_uid_gid;
};
void ctr_archive_put(struct ctr *c, const char *path, int fd, const struct ctr_archive_put_opts *o,
		     void (*cb)(void *data, int rc, const struct nd_error *err), void *data);

/* ops.c: a container's networks (NetworkRequests), what its next start
 * connects: connect/disconnect of a stopped container only change this
 * (Docker's behaviour); of a running one, the caller also connects now.
 * -ENOENT without touching err when ctr_ref is no container. *running says
 * whether it runs. */
int ctr_network_record(struct netd *d, const char *ctr_ref, const char *network, const char *ipv4,
		       const json_t *aliases, bool connect, bool *running, struct nd_error *err);

/* health.c: health checks through the exec service while the container runs */
void ctr__health_start(struct ctr *c);
void ctr__health_stop(struct ctr *c);
/* fn(ud, container id, "healthy" | "unhealthy" | "starting") at each change
 * of a container's health status (Docker's health_status event); one hook. */
void ctr_health_observe(struct netd *d, void (*fn)(void *ud, const char *id, const char *status), void *ud);

/* net_hooks.c: registers what containers plug into the net layer */
void ctr__net_hooks_register(struct netd *d);

/* topology.c: the net layer's topology with the containers on it */
struct ctr_topo_container {
	char id[ND_ID_LEN + 1];
	char name[ND_NAME_MAX + 1];
	char image[256];             /* Config.Image as the user gave it */
	char status[16];             /* created, running, exited, ... */
	char sandbox_id[ND_ID_LEN + 1];
	json_t *port_mappings;       /* its published ports, [{Proto, HostIp, HostPort, ContainerIp,
	                              * ContainerPort}] (owned, never NULL) */
};
struct ctr_topology {
	struct net_topology *net;    /* borrowed from the net layer for the callback */
	struct ctr_topo_container *containers;
	size_t ncontainers;
};
typedef void (*ctr_topology_cb)(void *data, int rc, const struct nd_error *err, const struct ctr_topology *t);
/* Reads the topology (net_topology_read) and adds the containers; cb on the loop. */
void ctr_topology_read(struct netd *d, ctr_topology_cb cb, void *data);
