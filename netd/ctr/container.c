// SPDX-License-Identifier: Apache-2.0
/* Containers: lifecycle (start, exit, stop, kill, restart policy, removal),
 * exit watching (a pidfd of each shim in a uv_poll_t; SIGCHLD reaps), and
 * re-adoption of the shims that outlived a previous netd. */
#include "netd/core/events.h"
#include "netd/ctr/ctr.h"
#include "netd/ctr/exec.h"

#include "images/images.h"
#include "netd/net/net.h"

#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#define ZERO_TIME "0001-01-01T00:00:00Z"

/* ---- bookkeeping ------------------------------------------------------------ */

struct ctr *ctr_find(struct netd *d, const char *id)
{
	for (struct ctr *c = ctrs_of(d)->list; c; c = c->next)
		if (strcmp(c->id, id) == 0)
			return c;
	return NULL;
}

static void on_handle_closed(uv_handle_t *h)
{
	struct ctr *c = h->data;
	if (--c->handles_open == 0 && c->freeing)
		free(c);
}

struct ctr *ctr_new(struct netd *d, const char *id)
{
	struct ctr *c = ctr_find(d, id);
	if (c)
		return c;
	c = calloc(1, sizeof(*c));
	if (!c)
		return NULL;
	snprintf(c->id, sizeof(c->id), "%s", id);
	c->d = d;
	uv_timer_init(d->loop, &c->kill_timer);
	uv_timer_init(d->loop, &c->restart_timer);
	c->kill_timer.data = c->restart_timer.data = c;
	c->handles_open = 2;
	c->next = ctrs_of(d)->list;
	ctrs_of(d)->list = c;
	return c;
}

static void observers_exited(struct ctr *c)
{
	ctr_exec_container_exited(c);
	struct ctr_observer *o = c->observers, *next;
	for (; o; o = next) {
		next = o->next;
		if (o->exited)
			o->exited(o);
	}
}

static void observers_started(struct ctr *c)
{
	struct ctr_observer *o = c->observers, *next;
	for (; o; o = next) {
		next = o->next;
		if (o->started)
			o->started(o);
	}
}

static void observers_gone(struct ctr *c)
{
	ctr_exec_free_all(c);
	while (c->observers) {
		struct ctr_observer *o = c->observers;
		c->observers = o->next;
		o->next = NULL;
		if (o->gone)
			o->gone(o);
	}
}

static void ctr_free(struct ctr *c)
{
	struct ctrs *cs = ctrs_of(c->d);
	for (struct ctr **p = &cs->list; *p; p = &(*p)->next)
		if (*p == c) {
			*p = c->next;
			break;
		}
	observers_gone(c);
	ctr__health_stop(c);
	c->freeing = true;
	uv_close((uv_handle_t *)&c->kill_timer, on_handle_closed);
	uv_close((uv_handle_t *)&c->restart_timer, on_handle_closed);
}

int ctr_lookup(struct netd *d, const char *ref, char id[ND_ID_LEN + 1], json_t **doc, struct nd_error *err)
{
	if (ref && *ref == '/')
		ref++;
	return store_obj_lookup(d->store, "container", ref, id, doc, err);
}

int ctr_list(struct netd *d, json_t **out, struct nd_error *err)
{
	return store_obj_list(d->store, "container", NULL, NULL, out, err);
}

int ctr_save(struct netd *d, const struct nd_container_rec *r, struct nd_error *err)
{
	_cleanup_json_ json_t *doc = nd_container_rec_to_json(r);
	if (!doc)
		return nd_error_set(err, -ENOMEM, "out of memory");
	struct store_obj_ref ref = {
		.kind = "container", .id = r->id, .name = r->name,
		.parent = r->image, .owner = r->sandbox_id[0] ? r->sandbox_id : NULL,
	};
	return store_obj_put(d->store, &ref, doc, err);
}

int ctr_load(struct netd *d, const char *id, struct nd_container_rec *out, struct nd_error *err)
{
	_cleanup_json_ json_t *doc = NULL;
	memset(out, 0, sizeof(*out));
	int rc = store_obj_get(d->store, "container", id, &doc, err);
	return rc < 0 ? rc : nd_container_rec_from_json(doc, out, err);
}

int ctr_create(struct netd *d, const json_t *doc, const char *data_dir, struct nd_error *err)
{
	struct nd_container_rec r;
	int rc = nd_container_rec_from_json(doc, &r, err);
	if (rc < 0)
		return rc;
	if (mkdir(data_dir, 0711) < 0 && errno != EEXIST) {
		rc = nd_error_set(err, -errno, "mkdir %s: %s", data_dir, strerror(errno));
		goto out;
	}
	if ((rc = ctr_save(d, &r, err)) < 0) {
		rmdir(data_dir);
		if (rc == -EEXIST) {
			_cleanup_json_ json_t *o = NULL;
			char oid[ND_ID_LEN + 1] = "";
			ctr_lookup(d, r.name, oid, &o, &(struct nd_error){ 0 });
			nd_error_set(err, -EEXIST,
				     "Conflict. The container name \"/%s\" is already in use by container \"%s\". "
				     "You have to remove (or rename) that container to be able to reuse that name.",
				     r.name, oid);
		}
		goto out;
	}
	struct ctr *c = ctr_new(d, r.id);
	if (!c) {
		store_obj_del(d->store, "container", r.id, &(struct nd_error){ 0 });
		rmdir(data_dir);
		rc = nd_error_set(err, -ENOMEM, "out of memory");
		goto out;
	}
	log_info("container created id=%.12s name=%s image=%s", r.id, r.name, nd_json_str(r.doc, "ImageRef") ?: "");
	ctr__event_rec(d, &r, "create", NULL);
	ctr_prepare(c, r.image);
out:
	nd_container_rec_clear(&r);
	return rc;
}

/* The container's record, or false (logged) when it is gone. */
static bool rec_load(struct ctr *c, struct nd_container_rec *r)
{
	struct nd_error err = { 0 };
	if (ctr_load(c->d, c->id, r, &err) < 0) {
		log_error("container=%.12s: %s", c->id, err.msg);
		return false;
	}
	return true;
}

static void save_or_log(struct ctr *c, const struct nd_container_rec *r)
{
	struct nd_error err = { 0 };
	if (ctr_save(c->d, r, &err) < 0)
		log_error("container=%.12s: saving state: %s", c->id, err.msg);
}

/* ---- pool jobs ----------------------------------------------------------------- */

enum job_kind { JOB_START, JOB_CLEANUP, JOB_REMOVE, JOB_MOUNT };

struct job {
	struct nd_job base;          /* first: the pool's job */
	enum job_kind kind;
	struct ctr *c;
	ctr_cb cb;                   /* start: the caller's completion */
	void *cb_data;
	struct rt_spec *spec;
	char image[IMAGES_DIGEST_LEN + 1];
	char state_dir[PATH_MAX];
	char data_dir[PATH_MAX];
	bool first_start;
	bool restart;                /* cleanup: the restart policy brings it back */
	struct rt_state st;
	int rc;
	struct nd_error err;
	uint64_t t_mid;              /* nd_now_ns() between the two steps: the debug log's durations */
};

#define MS(a, b) ((double)((b) - (a)) / 1e6)

static void rm_dir_files(const char *dir)
{
	DIR *dp = opendir(dir);
	if (!dp)
		return;
	struct dirent *de;
	while ((de = readdir(dp)))
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
			unlinkat(dirfd(dp), de->d_name, 0);
	closedir(dp);
	rmdir(dir);
}

static void job_work(struct nd_job *base)
{
	struct job *j = (struct job *)base;
	struct netd *d = j->c->d;
	struct nd_error e = { 0 };
	j->t_mid = nd_now_ns();
	switch (j->kind) {
	case JOB_MOUNT: {
		char rootfs[PATH_MAX];
		j->rc = images_rootfs_mount(d->images, j->c->id, j->image, rootfs, sizeof(rootfs), &j->err);
		break;
	}
	case JOB_START: {
		char rootfs[PATH_MAX];
		j->st.exit.exit_code = 125;
		j->rc = images_rootfs_mount(d->images, j->c->id, j->image, rootfs, sizeof(rootfs), &j->err);
		if (j->rc < 0) {
			nd_error_wrap(&j->err, "rootfs");
			break;
		}
		free(j->spec->rootfs);
		j->spec->rootfs = strdup(rootfs);
		j->t_mid = nd_now_ns();
		j->rc = ctr_volumes_copy_up(d, j->spec, j->first_start, &j->err);
		if (j->rc == 0)
			j->rc = rt_start(ctrs_of(d)->shim, j->spec, &j->st, &j->err);
		if (j->rc < 0 && j->first_start && images_rootfs_remove(d->images, j->c->id, &e) < 0)
			log_warn("container=%.12s: rootfs: %s", j->c->id, e.msg);
		break;
	}
	case JOB_CLEANUP:
		if (rt_delete(j->state_dir, &e) < 0)
			log_warn("container=%.12s: runtime cleanup: %s", j->c->id, e.msg);
		break;
	case JOB_REMOVE:
		if (rt_delete(j->state_dir, &e) < 0)
			log_warn("container=%.12s: runtime cleanup: %s", j->c->id, e.msg);
		nd_error_clear(&e);
		j->t_mid = nd_now_ns();
		if (images_rootfs_remove(d->images, j->c->id, &e) < 0)
			log_warn("container=%.12s: rootfs: %s", j->c->id, e.msg);
		rm_dir_files(j->data_dir);
		break;
	}
}

static void job_done(struct nd_job *base);

static struct job *job_new(struct ctr *c, enum job_kind kind)
{
	struct job *j = calloc(1, sizeof(*j));
	if (!j)
		return NULL;
	j->base.work = job_work;
	j->base.done = job_done;
	j->kind = kind;
	j->c = c;
	return j;
}

static void job_queue(struct job *j)
{
	nd_job_queue(j->c->d->loop, &j->base);
}

/* ---- waiters ------------------------------------------------------------------- */

static void answer(ctr_cb cb, void *data, int rc, int code, const char *error, const struct nd_error *err)
{
	if (!cb)
		return;
	struct ctr_result r = { .rc = rc, .exit_code = code, .error = error ? error : "", .err = err };
	cb(data, &r);
}

/* answers the waiters of the given kinds; ~0u means all */
static void waiters_answer(struct ctr *c, unsigned kinds, int code, const char *error)
{
	struct ctr_waiter **p = &c->waiters;
	while (*p) {
		struct ctr_waiter *w = *p;
		if (!(kinds & (1u << w->kind))) {
			p = &w->next;
			continue;
		}
		*p = w->next;
		answer(w->cb, w->data, 0, code, error, NULL);
		free(w);
	}
}

static struct ctr_waiter *waiter_take(struct ctr *c, enum ctr_wait_kind kind)
{
	for (struct ctr_waiter **p = &c->waiters; *p; p = &(*p)->next)
		if ((*p)->kind == kind) {
			struct ctr_waiter *w = *p;
			*p = w->next;
			return w;
		}
	return NULL;
}

#define K(x) (1u << (x))

/* ---- network setup and teardown ------------------------------------------------------ */

static void net_teardown(struct ctr *c, struct nd_container_rec *r)
{
	ctr_ports_unpublish(c->d, r);   /* before the addresses they point at go */
	if (r->sandbox_id[0] && r->sandbox_owned) {
		struct nd_error e = { 0 };
		if (net_sandbox_delete(c->d, r->sandbox_id, true, &e) < 0 && e.code != -ENOENT)
			log_warn("container=%.12s: sandbox %.12s: %s", c->id, r->sandbox_id, e.msg);
	}
	r->sandbox_id[0] = '\0';
	r->sandbox_owned = false;
}

/* The sandbox per NetworkMode; returns the netns path to join ("" = host). */
static int net_setup(struct ctr *c, struct nd_container_rec *r, char netns[PATH_MAX], struct nd_error *err)
{
	struct netd *d = c->d;
	const char *mode = r->network_mode[0] ? r->network_mode : "bridge";
	int rc;
	netns[0] = '\0';
	if (strcmp(mode, "host") == 0)
		return 0;
	if (nd_str_has_prefix(mode, "container:")) {
		struct nd_container_rec other;
		char oid[ND_ID_LEN + 1];
		_cleanup_json_ json_t *odoc = NULL;
		if ((rc = ctr_lookup(d, mode + 10, oid, &odoc, err)) < 0)
			return nd_error_wrap(err, "network mode %s", mode);
		struct ctr *oc = ctr_find(d, oid);
		if (!oc || !ctr_running(oc))
			return nd_error_set(err, -EINVAL, "cannot join network of a non running container: %s", mode + 10);
		if ((rc = nd_container_rec_from_json(odoc, &other, err)) < 0)
			return rc;
		r->sandbox_owned = false;
		snprintf(r->sandbox_id, sizeof(r->sandbox_id), "%s", other.sandbox_id);
		if (!other.sandbox_id[0]) {  /* the other one runs in the host's namespace */
			nd_container_rec_clear(&other);
			return 0;
		}
		struct nd_sandbox_rec sb;
		if ((rc = net_sandbox_lookup(d, other.sandbox_id, &sb, err)) < 0) {
			nd_container_rec_clear(&other);
			return rc;
		}
		snprintf(netns, PATH_MAX, "%s", sb.netns_path);
		nd_sandbox_rec_clear(&sb);
		snprintf(r->hosts_path, sizeof(r->hosts_path), "%s", other.hosts_path);
		snprintf(r->resolv_conf_path, sizeof(r->resolv_conf_path), "%s", other.resolv_conf_path);
		snprintf(r->hostname_path, sizeof(r->hostname_path), "%s", other.hostname_path);
		nd_container_rec_clear(&other);
		return ctr_save(d, r, err);
	}
	struct nd_sandbox_rec sb;
	_cleanup_json_ json_t *labels = json_pack("{s:s}", "netd.container", c->id);
	if ((rc = net_sandbox_create(d, NULL, labels, &sb, err)) < 0)
		return rc;
	snprintf(netns, PATH_MAX, "%s", sb.netns_path);
	snprintf(r->sandbox_id, sizeof(r->sandbox_id), "%s", sb.id);
	r->sandbox_owned = true;
	nd_sandbox_rec_clear(&sb);
	/* intent: the container owns the sandbox before any endpoint exists */
	if ((rc = ctr_save(d, r, err)) < 0) {
		net_sandbox_delete(d, r->sandbox_id, true, &(struct nd_error){ 0 });
		return rc;
	}
	size_t i;
	json_t *nr;
	json_array_foreach(json_object_get(r->doc, "NetworkRequests"), i, nr) {
		_cleanup_json_ json_t *aliases = json_pack("[s]", r->name);
		json_array_extend(aliases, json_object_get(nr, "Aliases"));
		const char *ip = nd_json_str(nr, "IPv4Address");
		struct net_connect_req cr = { .target = c->id, .ipv4 = ip, .aliases = aliases };
		if ((rc = net_endpoint_connect(d, nd_json_str(nr, "NetworkID"), &cr, NULL, err)) < 0) {
			nd_error_wrap(err, "network %s", nd_json_str(nr, "Name"));
			return rc;
		}
	}
	return 0;
}

/* ---- start ------------------------------------------------------------------- */

/* A failed start's code: Docker's 125, or 126/127 for a command that cannot run. */
static void start_answer_error(ctr_cb cb, void *data, const struct nd_error *err, int exit_code)
{
	answer(cb, data, err->code < 0 ? err->code : -EIO, exit_code, err->msg, err);
}

/* Is something in flight that a start must not overlap? The create-time
 * mount is fine: the network comes up meanwhile, and the runtime's job
 * waits for the rootfs (mount_done). */
static bool start_blocked(const struct ctr *c)
{
	return c->remove_requested || c->phase == CTR_STARTING || c->phase == CTR_CLEANING ||
	       c->phase == CTR_REMOVING || c->phase == CTR_REMOVED;
}

struct start_wait {
	struct netd *d;
	char id[ND_ID_LEN + 1];
	ctr_cb cb;
	void *data;
	int pending;
	struct nd_error err;
};

/* What every failed start does once it is known (r loaded, cleared here):
 * the error recorded, the start and exit waiters answered, an AutoRemove
 * container removed (as Docker does; `run --rm` waits for that). */
static void start_failed(struct ctr *c, struct nd_container_rec *r, ctr_cb cb, void *data, const struct nd_error *err)
{
	r->starting = false;
	snprintf(r->state.error, sizeof(r->state.error), "%s", err->msg);
	r->state.exit_code = 125;
	save_or_log(c, r);
	log_info("container=%.12s start failed: %s", c->id, err->msg);
	start_answer_error(cb, data, err, 125);
	waiters_answer(c, K(CTR_WAIT_EXIT), 125, err->msg);
	observers_exited(c);
	bool autorm = r->auto_remove;
	nd_container_rec_clear(r);
	if (autorm)
		ctr_remove(c, NULL, NULL);
}

static void start_reserved(struct netd *d, void *arg, int rc, const struct nd_error *err)
{
	struct start_wait *w = arg;
	if (rc < 0 && !w->err.code)
		w->err = *err;
	if (--w->pending > 0)
		return;
	struct ctr *c = ctr_find(d, w->id);
	if (!c && !w->err.code)
		nd_error_set(&w->err, -ENOENT, "no such container: %.12s", w->id);
	struct nd_container_rec r = { 0 };
	if (w->err.code && c && rec_load(c, &r))   /* refused before anything was set up */
		start_failed(c, &r, w->cb, w->data, &w->err);
	else if (w->err.code)
		start_answer_error(w->cb, w->data, &w->err, 125);
	else
		ctr_start(c, w->cb, w->data);
	free(w);
}

/* The container's global networks without an address taken for this host:
 * one reservation each (jobs); 1 when the start waits for them, 0 when none
 * is needed, < 0 on a refusal (the store unreachable: said at once). */
static int start_reserve(struct ctr *c, struct nd_container_rec *r, ctr_cb cb, void *data, struct nd_error *err)
{
	struct netd *d = c->d;
	if (strcmp(r->network_mode, "host") == 0 || nd_str_has_prefix(r->network_mode, "container:"))
		return 0;
	struct start_wait *w = NULL;
	size_t i;
	json_t *nr;
	json_array_foreach(json_object_get(r->doc, "NetworkRequests"), i, nr) {
		struct net_network *n = net_network_find(d, nd_json_str(nr, "NetworkID"), &(struct nd_error){ 0 });
		const char *ip = nd_json_str(nr, "IPv4Address"), *ip6 = nd_json_str(nr, "IPv6Address");
		if (!net_network_global(n) || net_global_reserved(d, n, ip, ip6))
			continue;
		if (!w && !(w = calloc(1, sizeof(*w))))
			return nd_error_set(err, -ENOMEM, "out of memory");
		w->d = d;
		snprintf(w->id, sizeof(w->id), "%s", c->id);
		w->cb = cb;
		w->data = data;
		w->pending++;
		if (net_global_reserve(d, n, ip, ip6, start_reserved, w, err) < 0) {
			if (--w->pending == 0) {
				free(w);
				return err->code;
			}
			/* the ones queued answer; this refusal is the answer */
			w->err = *err;
			return 1;
		}
	}
	return w ? 1 : 0;
}

void ctr_start(struct ctr *c, ctr_cb cb, void *data)
{
	struct netd *d = c->d;
	struct nd_error err = { 0 };
	struct nd_container_rec r = { 0 };
	struct rt_spec *spec = NULL;
	char netns[PATH_MAX];
	if (ctr_running(c)) {
		answer(cb, data, -EALREADY, 0, NULL, NULL);
		return;
	}
	if (start_blocked(c)) {
		nd_error_set(&err, -EBUSY, "container %.12s is %s", c->id,
			     c->remove_requested || c->phase == CTR_REMOVING ? "being removed" : "busy (starting or cleaning up)");
		start_answer_error(cb, data, &err, 125);
		return;
	}
	if (!rec_load(c, &r)) {
		nd_error_set(&err, -ENOENT, "no such container: %.12s", c->id);
		start_answer_error(cb, data, &err, 125);
		return;
	}
	/* global networks: their addresses are taken in the cluster store
	 * first (off the loop); the start resumes when they are */
	int need = start_reserve(c, &r, cb, data, &err);
	if (need != 0) {
		if (need < 0)
			start_failed(c, &r, cb, data, &err);
		else
			nd_container_rec_clear(&r);
		return;
	}
	uv_timer_stop(&c->restart_timer);
	if (ctr_phase_set(c, CTR_STARTING) < 0) {
		nd_error_set(&err, -EBUSY, "container %.12s is %s", c->id, ctr_phase_name(c->phase));
		start_answer_error(cb, data, &err, 125);
		nd_container_rec_clear(&r);
		return;
	}
	uint64_t t0 = nd_now_ns();
	if (net_setup(c, &r, netns, &err) < 0)
		goto fail;
	uint64_t t1 = nd_now_ns();
	if (!nd_str_has_prefix(r.network_mode, "container:") && ctr_files_write(d, &r, &err) < 0)
		goto fail;
	/* published ports before the process: all or none, a conflict is a 409 */
	if (ctr_ports_publish(d, &r, &err) < 0)
		goto fail;
	if (ctr_spec_build(d, &r, netns, &spec, &err) < 0)
		goto fail;
	/* the runtime spec lives in the state dir (rt_start writes spec.json);
	 * records from older netds carried a copy: it goes at their next start */
	json_object_del(r.doc, "Spec");
	r.starting = true;
	r.manual_stop = false;
	if (ctr_save(d, &r, &err) < 0)
		goto fail;

	struct job *j = job_new(c, JOB_START);
	if (!j) {
		nd_error_set(&err, -ENOMEM, "out of memory");
		goto fail;
	}
	j->cb = cb;
	j->cb_data = data;
	j->spec = TAKE_PTR(spec);
	snprintf(j->image, sizeof(j->image), "%s", r.image);
	j->first_start = !r.state.started_at[0] || strcmp(r.state.started_at, ZERO_TIME) == 0;
	log_debug("container=%.12s starting net_ms=%.2f files_spec_save_ms=%.2f%s", c->id, MS(t0, t1),
		  MS(t1, nd_now_ns()), c->mount_inflight ? " (waits for the rootfs)" : "");
	if (c->mount_inflight)
		c->start_job = &j->base;
	else
		job_queue(j);
	nd_container_rec_clear(&r);
	return;

fail:
	rt_spec_free(spec);
	net_teardown(c, &r);
	ctr_phase_set(c, c->mount_inflight ? CTR_PREPARING : CTR_CREATED);
	start_failed(c, &r, cb, data, &err);
}

static void on_shim_exit(uv_poll_t *p, int status, int events);
static void ctr_exited(struct ctr *c);

void ctr_prepare(struct ctr *c, const char *image)
{
	if (!image || !*image || c->phase != CTR_CREATED)
		return;  /* the start mounts it */
	struct job *j = job_new(c, JOB_MOUNT);
	if (!j)
		return;
	snprintf(j->image, sizeof(j->image), "%s", image);
	c->mount_inflight = true;
	ctr_phase_set(c, CTR_PREPARING);
	job_queue(j);
}

static void mount_done(struct job *j)
{
	struct ctr *c = j->c;
	c->mount_inflight = false;
	if (j->rc < 0)
		log_debug("container=%.12s: rootfs at create: %s (the start tries again)", c->id, j->err.msg);
	if (c->start_job) {  /* a start is under way (STARTING): its runtime part now */
		job_queue((struct job *)TAKE_PTR(c->start_job));
		return;
	}
	if (c->phase == CTR_PREPARING)
		ctr_phase_set(c, CTR_CREATED);
	if (c->remove_requested)     /* rm -f arrived meanwhile: it removes the rootfs */
		ctr_remove(c, NULL, NULL);
}

/* The shim's pidfd on the loop. The watch owns the fd: it is closed in
 * the handle's close callback and nowhere else. */
struct ctr_watch {
	uv_poll_t poll;
	struct ctr *c;               /* NULL once the container let go of it */
	int fd;
};

static void on_watch_closed(uv_handle_t *h)
{
	struct ctr_watch *w = h->data;
	if (w->c && w->c->watch == w)
		w->c->watch = NULL;
	close(w->fd);
	free(w);
}

static void watch(struct ctr *c)
{
	int fd = (int)syscall(SYS_pidfd_open, c->st.shim_pid, 0);
	if (fd < 0) {     /* gone (and reaped) already */
		ctr_phase_set(c, CTR_RUNNING);
		ctr_event(c->d, c->id, "start", NULL);
		ctr_exited(c);
		return;
	}
	fcntl(fd, F_SETFD, FD_CLOEXEC);
	struct ctr_watch *w = calloc(1, sizeof(*w));
	if (!w || uv_poll_init(c->d->loop, &w->poll, fd) < 0) {
		free(w);
		close(fd);
		log_error("container=%.12s: cannot watch its shim", c->id);
		return;
	}
	w->c = c;
	w->fd = fd;
	w->poll.data = w;
	c->watch = w;
	ctr_phase_set(c, CTR_RUNNING);
	ctr_event(c->d, c->id, "start", NULL);
	uv_poll_start(&w->poll, UV_READABLE, on_shim_exit);
}

static void on_shim_exit(uv_poll_t *p, int status, int events)
{
	struct ctr_watch *w = p->data;
	struct ctr *c = w->c;
	uv_poll_stop(p);
	uv_close((uv_handle_t *)p, on_watch_closed);
	ctr_exited(c);
}

static void start_done(struct job *j)
{
	struct ctr *c = j->c;
	struct nd_container_rec r;
	if (!rec_load(c, &r)) {
		if (j->rc == 0)
			rt_kill(&j->st, SIGKILL, &(struct nd_error){ 0 });
		ctr_phase_set(c, CTR_CREATED);
		nd_error_set(&j->err, -ENOENT, "container %.12s vanished", c->id);
		start_answer_error(j->cb, j->cb_data, &j->err, 125);
		return;
	}
	r.starting = false;
	struct nd_ctr_state_rec *s = &r.state;
	if (j->rc < 0) {
		int code = j->st.exit.exit_code ? j->st.exit.exit_code : 125;
		net_teardown(c, &r);
		s->exit_code = code;
		snprintf(s->error, sizeof(s->error), "%s", j->err.msg);
		save_or_log(c, &r);
		ctr_phase_set(c, CTR_CREATED);
		log_info("container=%.12s start failed exit_code=%d: %s", c->id, code, j->err.msg);
		start_answer_error(j->cb, j->cb_data, &j->err, code);
		c->stop_pending = false;
		waiters_answer(c, K(CTR_WAIT_EXIT) | K(CTR_WAIT_STOP), code, j->err.msg);
		observers_exited(c);
		bool autorm = r.auto_remove;
		nd_container_rec_clear(&r);
		if (c->remove_requested || autorm)
			ctr_remove(c, NULL, NULL);
		return;
	}
	c->st = j->st;
	snprintf(s->status, sizeof(s->status), "running");
	s->running = true;
	s->restarting = false;
	s->pid = (int)j->st.pid;
	s->exit_code = 0;
	s->error[0] = '\0';
	s->oom_killed = false;
	snprintf(s->started_at, sizeof(s->started_at), "%s", j->st.started);
	save_or_log(c, &r);
	log_info("container started id=%.12s name=%s pid=%d", c->id, r.name, (int)j->st.pid);
	nd_container_rec_clear(&r);
	watch(c);
	if (ctr_running(c))
		ctr__health_start(c);
	if (ctr_running(c))
		observers_started(c);   /* before the answer: a resize right after it finds the sessions */
	answer(j->cb, j->cb_data, 0, 0, NULL, NULL);
	if (ctr_running(c) && (c->remove_requested || c->stop_pending)) /* rm -f or stop arrived while it started */
		rt_kill(&c->st, SIGKILL, &(struct nd_error){ 0 });
	c->stop_pending = false;
}

/* ---- exit ------------------------------------------------------------------------- */

static bool policy_restarts(const struct nd_container_rec *r, int code)
{
	const char *name = r->restart_policy;
	if (r->manual_stop)
		return false;
	if (strcmp(name, "always") == 0 || strcmp(name, "unless-stopped") == 0)
		return true;
	if (strcmp(name, "on-failure") == 0 && code != 0)
		return r->restart_max <= 0 || r->restart_count < r->restart_max;
	return false;
}

static void ctr_exited(struct ctr *c)
{
	uint64_t t0 = nd_now_ns();
	ctr_phase_set(c, CTR_CREATED);
	uv_timer_stop(&c->kill_timer);
	ctr__health_stop(c);
	char dir[sizeof(c->st.state_dir)];
	snprintf(dir, sizeof(dir), "%s", c->st.state_dir);
	struct rt_state st;
	struct nd_error e = { 0 };
	int rc = rt_state_load(dir, &st, &e);
	if (c->st.shim_pid > 0)
		waitpid(c->st.shim_pid, NULL, WNOHANG);
	int code = 255;
	bool oom = false;
	char finished[40];
	const char *error = "";
	nd_time_rfc3339(finished);
	if (rc == 0 && st.status == RT_STATUS_STOPPED) {
		code = st.exit.exit_code;
		oom = st.exit.oom_killed;
		if (st.exit.finished[0])
			snprintf(finished, sizeof(finished), "%s", st.exit.finished);
		error = st.exit.error;
	} else {
		error = "the container's monitor (netd-shim) is gone; its exit status is unknown";
		if (rc == 0 && st.pid > 0)
			rt_kill(&st, SIGKILL, &(struct nd_error){ 0 });
	}
	struct nd_container_rec r;
	if (!rec_load(c, &r))
		return;
	r.starting = false;
	struct nd_ctr_state_rec *s = &r.state;
	snprintf(s->status, sizeof(s->status), "exited");
	s->running = false;
	s->paused = false;
	c->paused = false;
	s->pid = 0;
	s->exit_code = code;
	s->oom_killed = oom;
	snprintf(s->finished_at, sizeof(s->finished_at), "%s", finished);
	snprintf(s->error, sizeof(s->error), "%s", error);
	uint64_t t1 = nd_now_ns();
	net_teardown(c, &r);
	uint64_t t2 = nd_now_ns();
	bool restart = !c->remove_requested && policy_restarts(&r, code);
	if (restart) {
		snprintf(s->status, sizeof(s->status), "restarting");
		s->restarting = true;
	}
	save_or_log(c, &r);
	log_info("container exited id=%.12s name=%s exit_code=%d%s", c->id, r.name, code,
		 restart ? " (restarting)" : "");
	char codes[16];
	snprintf(codes, sizeof(codes), "%d", code);
	ctr__event_rec(c->d, &r, "die", json_pack("{s:s}", "exitCode", codes));
	bool stopped = false;
	for (struct ctr_waiter *w = c->waiters; w; w = w->next)
		stopped |= w->kind == CTR_WAIT_STOP || w->kind == CTR_WAIT_RESTART;
	if (stopped)
		ctr__event_rec(c->d, &r, "stop", NULL);
	observers_exited(c);
	waiters_answer(c, K(CTR_WAIT_EXIT) | K(CTR_WAIT_STOP), code, error);
	log_debug("container=%.12s exited load_ms=%.2f net_teardown_ms=%.2f save_answer_ms=%.2f", c->id, MS(t0, t1),
		  MS(t1, t2), MS(t2, nd_now_ns()));

	/* --rm or rm -f: straight to the removal, whose job deletes the state
	 * dir too (one pool hop, not two) */
	bool autorm = r.auto_remove;
	bool restart_waiter = false;
	for (struct ctr_waiter *w = c->waiters; w; w = w->next)
		restart_waiter |= w->kind == CTR_WAIT_RESTART;
	if (c->remove_requested || (autorm && !restart && !restart_waiter)) {
		nd_container_rec_clear(&r);
		ctr_remove(c, NULL, NULL);
		return;
	}
	/* the shim's state dir goes (off the loop); then what comes next */
	struct job *j = job_new(c, JOB_CLEANUP);
	if (!j) {
		nd_container_rec_clear(&r);
		return;
	}
	j->restart = restart;
	snprintf(j->state_dir, sizeof(j->state_dir), "%s", dir[0] ? dir : r.state_dir);
	nd_container_rec_clear(&r);
	ctr_phase_set(c, CTR_CLEANING);
	job_queue(j);
}

static void on_restart_timer(uv_timer_t *t)
{
	struct ctr *c = t->data;
	struct nd_container_rec r;
	if (c->phase != CTR_RESTARTING || !rec_load(c, &r))
		return;
	r.restart_count++;
	save_or_log(c, &r);
	nd_container_rec_clear(&r);
	ctr_start(c, NULL, NULL);
}

static void restart_later(struct ctr *c, int count)
{
	/* Docker's back-off: 100 ms doubling, at most a minute */
	uint64_t ms = 100ull << (count > 9 ? 9 : count < 0 ? 0 : count);
	if (ms > 60000)
		ms = 60000;
	ctr_phase_set(c, CTR_RESTARTING);
	uv_timer_start(&c->restart_timer, on_restart_timer, ms, 0);
}

static void cleanup_done(struct job *j)
{
	struct ctr *c = j->c;
	ctr_phase_set(c, CTR_CREATED);
	struct nd_container_rec r;
	if (!rec_load(c, &r))
		return;
	bool autorm = r.auto_remove, manual = r.manual_stop;
	int count = r.restart_count;
	nd_container_rec_clear(&r);
	struct ctr_waiter *w = c->remove_requested ? NULL : waiter_take(c, CTR_WAIT_RESTART);
	if (w) {  /* POST /restart: start again now */
		ctr_event(c->d, c->id, "restart", NULL);
		ctr_start(c, w->cb, w->data);
		free(w);
		return;
	}
	if (c->remove_requested || (autorm && !j->restart)) {
		ctr_remove(c, NULL, NULL);
		return;
	}
	if (j->restart && !manual)
		restart_later(c, count);
}

/* ---- stop, kill, remove --------------------------------------------------------------- */

static void on_kill_timer(uv_timer_t *t)
{
	struct ctr *c = t->data;
	if (ctr_running(c)) {
		log_info("container=%.12s did not stop in time: SIGKILL", c->id);
		rt_kill(&c->st, SIGKILL, &(struct nd_error){ 0 });
	}
}

/* Records the manual stop; returns the container's stop signal
 * (Config.StopSignal, SIGTERM when unset). */
static int mark_manual_stop(struct ctr *c)
{
	struct nd_container_rec r;
	int sig = SIGTERM;
	if (rec_load(c, &r)) {
		r.manual_stop = true;
		const char *s = nd_json_str(json_object_get(r.doc, "Config"), "StopSignal");
		if (s && *s && ctr_parse_signal(s) > 0)
			sig = ctr_parse_signal(s);
		save_or_log(c, &r);
		nd_container_rec_clear(&r);
	}
	return sig;
}

int ctr_stop_timeout(struct ctr *c)
{
	struct nd_container_rec r;
	int t = 10;
	if (rec_load(c, &r)) {
		json_t *v = json_object_get(json_object_get(r.doc, "Config"), "StopTimeout");
		if (json_is_integer(v))
			t = (int)json_integer_value(v);
		nd_container_rec_clear(&r);
	}
	return t;
}

int ctr_stop(struct ctr *c, int timeout_s, enum ctr_wait_kind kind, ctr_cb cb, void *data, struct nd_error *err)
{
	if (c->phase == CTR_STARTING || c->phase == CTR_PREPARING) {
		if (c->phase == CTR_PREPARING)
			return nd_error_set(err, -EALREADY, "container %.12s is not running", c->id);
		/* a start (e.g. of the restart policy) is in flight: stop it
		 * as soon as it runs, and never restart it */
		mark_manual_stop(c);
		c->stop_pending = true;
		if (cb && !ctr_wait(c, kind, cb, data))
			return nd_error_set(err, -ENOMEM, "out of memory");
		return 0;
	}
	if (!ctr_running(c)) {
		if (c->phase == CTR_RESTARTING || c->phase == CTR_CLEANING) {
			/* the restart policy must not bring it back */
			uv_timer_stop(&c->restart_timer);
			if (c->phase == CTR_RESTARTING)
				ctr_phase_set(c, CTR_CREATED);
			struct nd_container_rec r;
			if (rec_load(c, &r)) {
				snprintf(r.state.status, sizeof(r.state.status), "exited");
				r.state.restarting = false;
				r.manual_stop = true;
				save_or_log(c, &r);
				nd_container_rec_clear(&r);
			}
		}
		return nd_error_set(err, -EALREADY, "container %.12s is not running", c->id);
	}
	int stopsig = mark_manual_stop(c);
	int r = rt_kill(&c->st, timeout_s == 0 ? SIGKILL : stopsig, err);
	if (r < 0 && r != -ESRCH)
		return r;
	ctr__thaw(c);   /* paused: the signal is delivered once it thaws, as Docker's stop does */
	{
		char sigs[16];
		snprintf(sigs, sizeof(sigs), "%d", timeout_s == 0 ? SIGKILL : stopsig);
		ctr_event(c->d, c->id, "kill", json_pack("{s:s}", "signal", sigs));
	}
	if (timeout_s > 0)
		uv_timer_start(&c->kill_timer, on_kill_timer, (uint64_t)timeout_s * 1000, 0);
	if (cb && !ctr_wait(c, kind, cb, data))
		return nd_error_set(err, -ENOMEM, "out of memory");
	return 0;
}

int ctr_kill(struct ctr *c, int sig, struct nd_error *err)
{
	if (!ctr_running(c))
		return nd_error_set(err, -EBUSY, "container %.12s is not running", c->id);
	if (sig == SIGKILL || sig == SIGTERM)
		mark_manual_stop(c);
	int rc = rt_kill(&c->st, sig, err);
	if (rc == 0) {
		char sigs[16];
		snprintf(sigs, sizeof(sigs), "%d", sig);
		ctr_event(c->d, c->id, "kill", json_pack("{s:s}", "signal", sigs));
	}
	if (rc == 0 && sig == SIGKILL)
		ctr__thaw(c);   /* Docker resumes a paused container it kills */
	return rc;
}

void ctr_remove(struct ctr *c, ctr_cb cb, void *data)
{
	if (cb) {
		struct ctr_waiter *w = calloc(1, sizeof(*w));
		if (!w) {
			struct nd_error e;
			nd_error_set(&e, -ENOMEM, "out of memory");
			answer(cb, data, -ENOMEM, 0, e.msg, &e);
			return;
		}
		w->kind = CTR_WAIT_RM;
		w->cb = cb;
		w->data = data;
		w->c = c;
		w->next = c->waiters;
		c->waiters = w;
	}
	c->remove_requested = true;
	if (ctr_running(c)) {   /* force: kill, and remove at exit */
		rt_kill(&c->st, SIGKILL, &(struct nd_error){ 0 });
		ctr__thaw(c);
		return;
	}
	/* a mount, start, cleanup or removal is in flight; it calls us again */
	if (c->phase == CTR_PREPARING || c->phase == CTR_STARTING || c->phase == CTR_CLEANING ||
	    c->phase == CTR_REMOVING || c->mount_inflight || c->ops_inflight > 0)
		return;
	uv_timer_stop(&c->restart_timer);
	if (c->phase == CTR_RESTARTING)
		ctr_phase_set(c, CTR_CREATED);
	struct nd_container_rec r;
	bool have = rec_load(c, &r);
	struct job *j = job_new(c, JOB_REMOVE);
	if (!have || !j) {
		free(j);
		if (have)
			nd_container_rec_clear(&r);
		ctr_phase_set(c, CTR_REMOVING);
		ctr_phase_set(c, CTR_REMOVED);
		waiters_answer(c, ~0u, 0, NULL);
		ctr_free(c);
		return;
	}
	/* intent first: a netd killed from here on finishes the removal at start */
	r.removing = true;
	net_teardown(c, &r);
	save_or_log(c, &r);
	snprintf(j->state_dir, sizeof(j->state_dir), "%s", r.state_dir);
	nd_container_rec_clear(&r);
	snprintf(j->data_dir, sizeof(j->data_dir), "%s/%s", ctrs_of(c->d)->data_dir, c->id);
	ctr_phase_set(c, CTR_REMOVING);
	job_queue(j);
}

static void remove_done(struct job *j)
{
	struct ctr *c = j->c;
	struct nd_error err = { 0 };
	struct nd_container_rec r;
	bool have = rec_load(c, &r);
	int code = have ? r.state.exit_code : 0;
	if (store_obj_del(c->d->store, "container", c->id, &err) < 0 && err.code != -ENOENT)
		log_error("container=%.12s: %s", c->id, err.msg);
	log_info("container removed id=%.12s name=%s", c->id, have ? r.name : "");
	if (have) {
		ctr_volumes_release(c->d, r.doc, c->remove_volumes || r.auto_remove);
		ctr__event_rec(c->d, &r, "destroy", NULL);
		nd_container_rec_clear(&r);
	} else {
		nd_events_publish(c->d, "container", "destroy", c->id, NULL);
	}
	ctr_phase_set(c, CTR_REMOVED);
	waiters_answer(c, ~0u, code, NULL);
	ctr_free(c);
}

static void job_done(struct nd_job *base)
{
	struct job *j = (struct job *)base;
	static const char *const names[] = { "start", "cleanup", "remove", "mount" };
	log_debug("container=%.12s job=%s queue_ms=%.2f step1_ms=%.2f step2_ms=%.2f back_ms=%.2f", j->c->id,
		  names[j->kind], MS(base->t_queued, base->t_begin), MS(base->t_begin, j->t_mid),
		  MS(j->t_mid, base->t_end), MS(base->t_end, nd_now_ns()));
	switch (j->kind) {
	case JOB_START: start_done(j); break;
	case JOB_CLEANUP: cleanup_done(j); break;
	case JOB_REMOVE: remove_done(j); break;
	case JOB_MOUNT: mount_done(j); break;
	}
	rt_spec_free(j->spec);
	free(j);
}

/* ---- daemon start/stop ------------------------------------------------------------------ */

static void on_sigchld(uv_signal_t *s, int signum)
{
	/* netd is a subreaper: shims it started, and what a dying shim leaves */
	int st;
	while (waitpid(-1, &st, WNOHANG) > 0)
		;
}

static void find_shim(struct ctrs *cs, struct netd *d)
{
	const char *env = getenv("NETD_SHIM");
	const char *cfg = d->cfg.shim_path;
	if (env && *env) {
		snprintf(cs->shim, sizeof(cs->shim), "%s", env);
		return;
	}
	if (cfg && *cfg) {
		snprintf(cs->shim, sizeof(cs->shim), "%s", cfg);
		return;
	}
	char self[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (n > 0) {
		self[n] = '\0';
		char *slash = strrchr(self, '/');
		if (slash) {
			*slash = '\0';
			static const char *const rel[] = { "netd-shim", "../runtime/netd-shim", "../libexec/netd/netd-shim" };
			for (size_t i = 0; i < ARRAY_SIZE(rel); i++) {
				char p[PATH_MAX + 64];
				snprintf(p, sizeof(p), "%s/%s", self, rel[i]);
				if (access(p, X_OK) == 0 && strlen(p) < sizeof(cs->shim)) {
					snprintf(cs->shim, sizeof(cs->shim), "%s", p);
					return;
				}
			}
		}
	}
	snprintf(cs->shim, sizeof(cs->shim), "netd-shim");
}

static void adopt(struct ctr *c, struct nd_container_rec *r)
{
	snprintf(c->st.state_dir, sizeof(c->st.state_dir), "%s", r->state_dir);
	if (r->removing) {
		ctr_remove(c, NULL, NULL);
		return;
	}
	if (!r->state.running && !r->starting) {
		if (strcmp(r->state.status, "restarting") == 0) {
			ctr_phase_set(c, CTR_RESTARTING);
			uv_timer_start(&c->restart_timer, on_restart_timer, 100, 0);
		}
		return;
	}
	struct rt_state st;
	struct nd_error e = { 0 };
	if (rt_state_load(r->state_dir, &st, &e) == 0 && st.status == RT_STATUS_RUNNING && st.shim_pid > 0) {
		c->st = st;
		if (r->starting) {   /* netd died between the shim's start and recording it */
			r->starting = false;
			snprintf(r->state.status, sizeof(r->state.status), "running");
			r->state.running = true;
			r->state.pid = (int)st.pid;
			snprintf(r->state.started_at, sizeof(r->state.started_at), "%s", st.started);
			save_or_log(c, r);
		}
		c->paused = r->state.paused;
		log_info("container re-adopted id=%.12s pid=%d shim=%d", c->id, (int)st.pid, (int)st.shim_pid);
		watch(c);
		if (ctr_running(c))
			ctr__health_start(c);
		return;
	}
	/* it exited while netd was away (exit.json has the code), or its
	 * monitor is gone (255, as Docker reports after a crash) */
	ctr_phase_set(c, CTR_RUNNING);
	ctr_exited(c);
}

int netd_containers_start(struct netd *d, struct nd_error *err)
{
	struct ctrs *cs = calloc(1, sizeof(*cs));
	if (!cs)
		return nd_error_set(err, -ENOMEM, "out of memory");
	cs->d = d;
	d->ctrs = cs;
	find_shim(cs, d);
	ctr__net_hooks_register(d);
	/* what the previous netd published, as the records hold it, before
	 * adoption unpublishes what exited meanwhile */
	struct nd_error e = { 0 };
	int rc0;
	if (ctr_ports_sync(d, &e) < 0)
		log_error("ports: %s", e.msg);
	snprintf(cs->exec_dir, sizeof(cs->exec_dir), "%s/containers", d->cfg.exec_root);
	snprintf(cs->data_dir, sizeof(cs->data_dir), "%s/containers", d->cfg.root);
	if ((mkdir(cs->exec_dir, 0711) < 0 && errno != EEXIST) || (mkdir(cs->data_dir, 0711) < 0 && errno != EEXIST))
		return nd_error_set(err, -errno, "mkdir containers dir: %s", strerror(errno));
	if ((rc0 = ctr_volumes_start(d, err)) < 0)
		return rc0;
	uv_signal_init(d->loop, &cs->sigchld);
	uv_signal_start(&cs->sigchld, on_sigchld, SIGCHLD);
	on_sigchld(&cs->sigchld, SIGCHLD);

	_cleanup_json_ json_t *docs = NULL;
	int rc = store_obj_list(d->store, "container", NULL, NULL, &docs, err);
	if (rc < 0)
		return rc;
	size_t i;
	json_t *doc;
	int running = 0;
	json_array_foreach(docs, i, doc) {
		struct nd_container_rec r;
		struct nd_error e2 = { 0 };
		if (nd_container_rec_from_json(doc, &r, &e2) < 0) {
			log_error("container=%.12s: cannot load its record: %s", nd_json_str(doc, "Id") ?: "?", e2.msg);
			continue;
		}
		struct ctr *c = ctr_new(d, r.id);
		if (!c) {
			nd_container_rec_clear(&r);
			return nd_error_set(err, -ENOMEM, "out of memory");
		}
		adopt(c, &r);
		running += ctr_running(c);
		nd_container_rec_clear(&r);
	}
	log_info("containers loaded count=%zu running=%d shim=%s", json_array_size(docs), running, cs->shim);
	return 0;
}

void netd_containers_stop(struct netd *d)
{
	struct ctrs *cs = ctrs_of(d);
	if (!cs)
		return;
	/* containers keep running: their shims outlive us */
	struct ctr *next;
	for (struct ctr *c = cs->list; c; c = next) {
		next = c->next;
		observers_gone(c);
		struct ctr_waiter *w, *wn;
		for (w = c->waiters; w; w = wn) {
			wn = w->next;
			struct nd_error e;
			nd_error_set(&e, -ESHUTDOWN, "netd is shutting down");
			answer(w->cb, w->data, -ESHUTDOWN, 0, e.msg, &e);
			free(w);
		}
		/* the loop is done: its handles are closed (the watch closed its pidfd) */
		free(c);
	}
	free(cs);
	d->ctrs = NULL;
}

void netd_containers_info(struct netd *d, json_t *info)
{
	struct ctrs *cs = ctrs_of(d);
	if (!cs)
		return;
	json_int_t total = 0, running = 0;
	for (struct ctr *c = cs->list; c; c = c->next) {
		total++;
		running += ctr_running(c);
	}
	json_object_set_new(info, "Containers", json_integer(total));
	json_object_set_new(info, "ContainersRunning", json_integer(running));
	json_int_t paused = 0;
	for (struct ctr *c = cs->list; c; c = c->next)
		paused += ctr_running(c) && c->paused;
	json_object_set_new(info, "ContainersPaused", json_integer(paused));
	json_object_set_new(info, "ContainersRunning", json_integer(running - paused));
	json_object_set_new(info, "ContainersStopped", json_integer(total - running));
}
