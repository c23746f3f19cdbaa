/* Containers: lifecycle (start, exit, stop, kill, restart policy, removal),
 * exit watching (a pidfd of each shim in a uv_poll_t; SIGCHLD reaps), and
 * re-adoption of the shims that outlived a previous netd. */
#include "netd/container.h"

#include "images/images.h"
#include "netd/net.h"

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
	c->pidfd = -1;
	uv_timer_init(d->loop, &c->kill_timer);
	uv_timer_init(d->loop, &c->restart_timer);
	c->kill_timer.data = c->restart_timer.data = c;
	c->handles_open = 2;
	c->next = ctrs_of(d)->list;
	ctrs_of(d)->list = c;
	return c;
}

static void ctr_free(struct ctr *c)
{
	struct ctrs *cs = ctrs_of(c->d);
	for (struct ctr **p = &cs->list; *p; p = &(*p)->next)
		if (*p == c) {
			*p = c->next;
			break;
		}
	ctr_followers_free(c);
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

int ctr_save(struct netd *d, const json_t *doc, struct nd_error *err)
{
	const char *sb = nd_json_str(doc, "SandboxID");
	struct store_obj_ref ref = {
		.kind = "container", .id = nd_json_str(doc, "Id"), .name = nd_json_str(doc, "Name"),
		.parent = nd_json_str(doc, "Image"), .owner = sb && *sb ? sb : NULL,
	};
	return store_obj_put(d->store, &ref, doc, err);
}

static json_t *ctr_doc(struct ctr *c)
{
	json_t *doc = NULL;
	struct nd_error err = { 0 };
	if (store_obj_get(c->d->store, "container", c->id, &doc, &err) < 0)
		log_error("container=%.12s: %s", c->id, err.msg);
	return doc;
}

static void save_or_log(struct ctr *c, const json_t *doc)
{
	struct nd_error err = { 0 };
	if (ctr_save(c->d, doc, &err) < 0)
		log_error("container=%.12s: saving state: %s", c->id, err.msg);
}

static json_t *state_of(json_t *doc)
{
	json_t *s = json_object_get(doc, "State");
	if (!json_is_object(s)) {
		s = json_object();
		json_object_set_new(doc, "State", s);
	}
	return s;
}

/* ---- pool jobs ----------------------------------------------------------------- */

enum job_kind { JOB_START, JOB_CLEANUP, JOB_REMOVE, JOB_MOUNT };

struct job {
	uv_work_t w;
	enum job_kind kind;
	struct ctr *c;
	struct http_req *req;
	struct rt_spec *spec;
	char image[IMAGES_DIGEST_LEN + 1];
	char state_dir[PATH_MAX];
	char data_dir[PATH_MAX];
	bool first_start;
	struct rt_state st;
	int rc;
	struct nd_error err;
	uint64_t t_queued, t_begin, t_mid, t_end; /* nd_now_ns(): the debug log's durations */
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

static void job_work(uv_work_t *w)
{
	struct job *j = w->data;
	struct netd *d = j->c->d;
	struct nd_error e = { 0 };
	j->t_begin = j->t_mid = nd_now_ns();
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
	j->t_end = nd_now_ns();
}

static void job_done(uv_work_t *w, int status);

static void job_queue(struct job *j)
{
	j->w.data = j;
	j->t_queued = nd_now_ns();
	int r = uv_queue_work(j->c->d->loop, &j->w, job_work, job_done);
	if (r < 0) {  /* cannot happen with a live loop; run it inline rather than lose it */
		job_work(&j->w);
		job_done(&j->w, 0);
	}
}

/* ---- waiters ------------------------------------------------------------------- */

static void waiter_on_close(struct http_req *req, void *data)
{
	struct ctr_waiter *w = data;
	struct ctr *c = w->c;
	for (struct ctr_waiter **p = &c->waiters; *p; p = &(*p)->next)
		if (*p == w) {
			*p = w->next;
			break;
		}
	free(w);
	http_stream_end(req);
}

void ctr_waiter_add(struct ctr *c, enum ctr_waiter_kind kind, struct http_req *req)
{
	struct ctr_waiter *w = calloc(1, sizeof(*w));
	if (!w) {
		http_reply_errorf(req, 500, "out of memory");
		return;
	}
	w->kind = kind;
	w->req = req;
	w->c = c;
	/* wait answers at once with its headers (as Docker flushes them), so a
	 * client knows it is registered before it starts the container */
	if (kind == CTR_WAIT_EXIT || kind == CTR_WAIT_REMOVED) {
		req->on_close = waiter_on_close;
		req->on_close_data = w;
		http_stream_begin(req, 200, "application/json");
	}
	/* FIFO: a restart queued after a wait answers after it */
	struct ctr_waiter **p = &c->waiters;
	while (*p)
		p = &(*p)->next;
	*p = w;
}

static void waiter_answer(struct ctr_waiter *w, int code, const char *error)
{
	struct http_req *req = w->req;
	if (w->kind == CTR_WAIT_EXIT || w->kind == CTR_WAIT_REMOVED) {
		json_t *j = json_pack("{s:i, s:o}", "StatusCode", code, "Error",
				      error && *error ? json_pack("{s:s}", "Message", error) : json_null());
		char *s = json_dumps(j, JSON_COMPACT);
		json_decref(j);
		if (s) {
			size_t l = strlen(s);
			s[l] = '\n';
			http_stream_write(req, s, l + 1);
			free(s);
		}
		req->on_close = NULL;
		http_stream_end(req);
	} else {
		http_reply_empty(req, 204);
	}
}

/* answers the waiters of the given kinds; -1 kind mask means all */
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
		waiter_answer(w, code, error);
		free(w);
	}
}

static struct ctr_waiter *waiter_take(struct ctr *c, enum ctr_waiter_kind kind)
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

static void net_teardown(struct ctr *c, json_t *doc)
{
	ctr_ports_unpublish(c->d, doc);   /* before the addresses they point at go */
	const char *sb = nd_json_str(doc, "SandboxID");
	if (sb && *sb && json_is_true(json_object_get(doc, "SandboxOwned"))) {
		struct nd_error e = { 0 };
		if (net_sandbox_delete(c->d, sb, &e) < 0 && e.code != -ENOENT)
			log_warn("container=%.12s: sandbox %.12s: %s", c->id, sb, e.msg);
	}
	json_object_set_new(doc, "SandboxID", json_string(""));
	json_object_set_new(doc, "SandboxOwned", json_false());
}

/* The sandbox per NetworkMode; returns the netns path to join ("" = host). */
static int net_setup(struct ctr *c, json_t *doc, char netns[PATH_MAX], struct nd_error *err)
{
	struct netd *d = c->d;
	const char *mode = nd_json_str(json_object_get(doc, "HostConfig"), "NetworkMode") ?: "bridge";
	int rc;
	netns[0] = '\0';
	if (strcmp(mode, "host") == 0)
		return 0;
	if (nd_str_has_prefix(mode, "container:")) {
		_cleanup_json_ json_t *other = NULL, *sb = NULL;
		char oid[ND_ID_LEN + 1];
		if ((rc = ctr_lookup(d, mode + 10, oid, &other, err)) < 0)
			return nd_error_wrap(err, "network mode %s", mode);
		struct ctr *oc = ctr_find(d, oid);
		const char *sbid = nd_json_str(other, "SandboxID");
		if (!oc || !oc->running)
			return nd_error_set(err, -EINVAL, "cannot join network of a non running container: %s", mode + 10);
		if (!sbid || !*sbid) {  /* the other one runs in the host's namespace */
			json_object_set_new(doc, "SandboxID", json_string(""));
			return 0;
		}
		if ((rc = store_obj_get(d->store, "sandbox", sbid, &sb, err)) < 0)
			return rc;
		snprintf(netns, PATH_MAX, "%s", nd_json_str(sb, "NetnsPath"));
		json_object_set_new(doc, "SandboxID", json_string(sbid));
		json_object_set_new(doc, "SandboxOwned", json_false());
		static const char *const files[] = { "HostsPath", "ResolvConfPath", "HostnamePath" };
		for (size_t i = 0; i < ARRAY_SIZE(files); i++)
			json_object_set(doc, files[i], json_object_get(other, files[i]));
		return ctr_save(d, doc, err);
	}
	char sbid[ND_ID_LEN + 1];
	_cleanup_json_ json_t *sb = NULL;
	_cleanup_json_ json_t *labels = json_pack("{s:s}", "netd.container", c->id);
	if ((rc = net_sandbox_create(d, NULL, labels, sbid, &sb, err)) < 0)
		return rc;
	snprintf(netns, PATH_MAX, "%s", nd_json_str(sb, "NetnsPath"));
	json_object_set_new(doc, "SandboxID", json_string(sbid));
	json_object_set_new(doc, "SandboxOwned", json_true());
	/* intent: the container owns the sandbox before any endpoint exists */
	if ((rc = ctr_save(d, doc, err)) < 0) {
		net_sandbox_delete(d, sbid, &(struct nd_error){ 0 });
		return rc;
	}
	size_t i;
	json_t *nr;
	json_array_foreach(json_object_get(doc, "NetworkRequests"), i, nr) {
		_cleanup_json_ json_t *aliases = json_pack("[s]", nd_json_str(doc, "Name"));
		const char *ip = nd_json_str(nr, "IPv4Address");
		if ((rc = net_endpoint_connect(d, nd_json_str(nr, "NetworkID"), c->id, ip && *ip ? ip : NULL, aliases,
					       NULL, err)) < 0) {
			nd_error_wrap(err, "network %s", nd_json_str(nr, "Name"));
			return rc;
		}
	}
	return 0;
}

/* ---- start ------------------------------------------------------------------- */

static void start_reply_error(struct http_req *req, const struct nd_error *err, int exit_code)
{
	if (!req)
		return;
	int status = nd_error_http_status(err);
	if (exit_code == 126 || exit_code == 127)
		status = 400;
	else if (status < 400 || status == 404)
		status = 500;  /* a missing file at start is not "no such container" */
	http_reply_json(req, status, json_pack("{s:s, s:i}", "message", err->msg, "ExitCode", exit_code));
}

void ctr_start(struct ctr *c, struct http_req *req)
{
	struct netd *d = c->d;
	struct nd_error err = { 0 };
	_cleanup_json_ json_t *doc = NULL;
	struct rt_spec *spec = NULL;
	char netns[PATH_MAX];
	if (c->running) {
		if (req)
			http_reply_empty(req, 304);
		return;
	}
	/* busy with ctr_prepare's mount only: the network comes up meanwhile,
	 * the runtime's job waits for the rootfs (mount_done) */
	if (c->starting || (c->busy && !c->mounting) || c->removing) {
		nd_error_set(&err, -EBUSY, "container %.12s is %s", c->id, c->removing ? "being removed" : "busy (starting or cleaning up)");
		start_reply_error(req, &err, 125);
		return;
	}
	if (!(doc = ctr_doc(c))) {
		nd_error_set(&err, -ENOENT, "no such container: %.12s", c->id);
		start_reply_error(req, &err, 125);
		return;
	}
	uv_timer_stop(&c->restart_timer);
	c->restarting = false;
	uint64_t t0 = nd_now_ns();
	if (net_setup(c, doc, netns, &err) < 0)
		goto fail;
	uint64_t t1 = nd_now_ns();
	const char *mode = nd_json_str(json_object_get(doc, "HostConfig"), "NetworkMode") ?: "";
	if (!nd_str_has_prefix(mode, "container:") && ctr_files_write(d, doc, &err) < 0)
		goto fail;
	/* published ports before the process: all or none, a conflict is a 409 */
	if (ctr_ports_publish(d, doc, &err) < 0)
		goto fail;
	if (ctr_spec_build(d, doc, netns, &spec, &err) < 0)
		goto fail;
	json_object_set_new(doc, "Spec", rt_spec_to_json(spec));
	json_object_set_new(doc, "Starting", json_true());
	json_object_set_new(doc, "ManualStop", json_false());
	if (ctr_save(d, doc, &err) < 0)
		goto fail;

	struct job *j = calloc(1, sizeof(*j));
	if (!j) {
		nd_error_set(&err, -ENOMEM, "out of memory");
		goto fail;
	}
	j->kind = JOB_START;
	j->c = c;
	j->req = req;
	j->spec = TAKE_PTR(spec);
	snprintf(j->image, sizeof(j->image), "%s", nd_json_str(doc, "Image") ?: "");
	j->first_start = strcmp(nd_json_str(state_of(doc), "StartedAt") ?: ZERO_TIME, ZERO_TIME) == 0;
	c->busy = c->starting = true;
	log_debug("container=%.12s starting net_ms=%.2f files_spec_save_ms=%.2f%s", c->id, MS(t0, t1),
		  MS(t1, nd_now_ns()), c->mounting ? " (waits for the rootfs)" : "");
	if (c->mounting)
		c->start_job = j;
	else
		job_queue(j);
	return;

fail:
	rt_spec_free(spec);
	net_teardown(c, doc);
	json_object_del(doc, "Starting");
	json_t *s = state_of(doc);
	json_object_set_new(s, "Error", json_string(err.msg));
	json_object_set_new(s, "ExitCode", json_integer(125));
	save_or_log(c, doc);
	log_info("container=%.12s start failed: %s", c->id, err.msg);
	start_reply_error(req, &err, 125);
	waiters_answer(c, K(CTR_WAIT_EXIT), 125, err.msg);
	ctr_followers_exit(c);
	if (json_is_true(json_object_get(json_object_get(doc, "HostConfig"), "AutoRemove")))
		ctr_remove(c, NULL);
}

static void on_shim_exit(uv_poll_t *p, int status, int events);
static void ctr_exited(struct ctr *c);

void ctr_prepare(struct ctr *c, const char *image)
{
	struct job *j = image && *image ? calloc(1, sizeof(*j)) : NULL;
	if (!j)
		return;  /* the start mounts it */
	j->kind = JOB_MOUNT;
	j->c = c;
	snprintf(j->image, sizeof(j->image), "%s", image);
	c->busy = c->mounting = true;
	job_queue(j);
}

static void mount_done(struct job *j)
{
	struct ctr *c = j->c;
	c->mounting = false;
	if (j->rc < 0)
		log_debug("container=%.12s: rootfs at create: %s (the start tries again)", c->id, j->err.msg);
	if (c->start_job) {  /* a start is under way (busy, starting): its runtime part now */
		job_queue(TAKE_PTR(c->start_job));
		return;
	}
	c->busy = false;
	if (c->removing)     /* rm -f arrived meanwhile: it removes the rootfs */
		ctr_remove(c, NULL);
}

struct watch {
	uv_poll_t poll;
	struct ctr *c;
	int fd;
};

static void on_watch_closed(uv_handle_t *h)
{
	struct watch *w = h->data;
	close(w->fd);
	free(w);
}

static void watch(struct ctr *c)
{
	int fd = (int)syscall(SYS_pidfd_open, c->st.shim_pid, 0);
	if (fd < 0) {     /* gone (and reaped) already */
		ctr_exited(c);
		return;
	}
	fcntl(fd, F_SETFD, FD_CLOEXEC);
	struct watch *w = calloc(1, sizeof(*w));
	if (!w || uv_poll_init(c->d->loop, &w->poll, fd) < 0) {
		free(w);
		close(fd);
		log_error("container=%.12s: cannot watch its shim", c->id);
		return;
	}
	w->c = c;
	w->fd = fd;
	w->poll.data = w;
	c->pidfd = fd;
	c->running = true;
	uv_poll_start(&w->poll, UV_READABLE, on_shim_exit);
}

static void on_shim_exit(uv_poll_t *p, int status, int events)
{
	struct watch *w = p->data;
	struct ctr *c = w->c;
	uv_poll_stop(p);
	uv_close((uv_handle_t *)p, on_watch_closed);
	c->pidfd = -1;
	ctr_exited(c);
}

static void start_done(struct job *j)
{
	struct ctr *c = j->c;
	_cleanup_json_ json_t *doc = ctr_doc(c);
	c->busy = c->starting = false;
	if (!doc) {
		if (j->rc == 0)
			rt_kill(&j->st, SIGKILL, &(struct nd_error){ 0 });
		nd_error_set(&j->err, -ENOENT, "container %.12s vanished", c->id);
		start_reply_error(j->req, &j->err, 125);
		return;
	}
	json_object_del(doc, "Starting");
	json_t *s = state_of(doc);
	if (j->rc < 0) {
		int code = j->st.exit.exit_code ? j->st.exit.exit_code : 125;
		net_teardown(c, doc);
		json_object_set_new(s, "ExitCode", json_integer(code));
		json_object_set_new(s, "Error", json_string(j->err.msg));
		save_or_log(c, doc);
		log_info("container=%.12s start failed exit_code=%d: %s", c->id, code, j->err.msg);
		start_reply_error(j->req, &j->err, code);
		c->stop_pending = false;
		waiters_answer(c, K(CTR_WAIT_EXIT) | K(CTR_WAIT_STOP), code, j->err.msg);
		ctr_followers_exit(c);
		if (c->removing || json_is_true(json_object_get(json_object_get(doc, "HostConfig"), "AutoRemove")))
			ctr_remove(c, NULL);
		return;
	}
	c->st = j->st;
	json_object_set_new(s, "Status", json_string("running"));
	json_object_set_new(s, "Running", json_true());
	json_object_set_new(s, "Restarting", json_false());
	json_object_set_new(s, "Pid", json_integer(j->st.pid));
	json_object_set_new(s, "ExitCode", json_integer(0));
	json_object_set_new(s, "Error", json_string(""));
	json_object_set_new(s, "OOMKilled", json_false());
	json_object_set_new(s, "StartedAt", json_string(j->st.started));
	save_or_log(c, doc);
	log_info("container started id=%.12s name=%s pid=%d", c->id, nd_json_str(doc, "Name"), (int)j->st.pid);
	ctr_attach_started(c);   /* before the 204: a resize right after it finds the session */
	if (j->req)
		http_reply_empty(j->req, 204);
	watch(c);
	if (c->removing || c->stop_pending) /* rm -f or stop arrived while it started */
		rt_kill(&c->st, SIGKILL, &(struct nd_error){ 0 });
	c->stop_pending = false;
}

/* ---- exit ------------------------------------------------------------------------- */

static bool policy_restarts(const json_t *doc, int code)
{
	const json_t *rp = json_object_get(json_object_get(doc, "HostConfig"), "RestartPolicy");
	const char *name = nd_json_str(rp, "Name") ?: "";
	if (json_is_true(json_object_get(doc, "ManualStop")))
		return false;
	if (strcmp(name, "always") == 0 || strcmp(name, "unless-stopped") == 0)
		return true;
	if (strcmp(name, "on-failure") == 0 && code != 0) {
		json_int_t max = json_integer_value(json_object_get(rp, "MaximumRetryCount"));
		return max <= 0 || json_integer_value(json_object_get(doc, "RestartCount")) < max;
	}
	return false;
}

static void ctr_exited(struct ctr *c)
{
	struct netd *d = c->d;
	uint64_t t0 = nd_now_ns();
	c->running = false;
	uv_timer_stop(&c->kill_timer);
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
	_cleanup_json_ json_t *doc = ctr_doc(c);
	if (!doc)
		return;
	json_object_del(doc, "Starting");
	json_t *s = state_of(doc);
	json_object_set_new(s, "Status", json_string("exited"));
	json_object_set_new(s, "Running", json_false());
	json_object_set_new(s, "Pid", json_integer(0));
	json_object_set_new(s, "ExitCode", json_integer(code));
	json_object_set_new(s, "OOMKilled", json_boolean(oom));
	json_object_set_new(s, "FinishedAt", json_string(finished));
	json_object_set_new(s, "Error", json_string(error));
	uint64_t t1 = nd_now_ns();
	net_teardown(c, doc);
	uint64_t t2 = nd_now_ns();
	bool restart = !c->removing && policy_restarts(doc, code);
	if (restart) {
		json_object_set_new(s, "Status", json_string("restarting"));
		json_object_set_new(s, "Restarting", json_true());
	}
	save_or_log(c, doc);
	log_info("container exited id=%.12s name=%s exit_code=%d%s", c->id, nd_json_str(doc, "Name"), code,
		 restart ? " (restarting)" : "");
	c->restarting = restart;
	ctr_followers_exit(c);
	waiters_answer(c, K(CTR_WAIT_EXIT) | K(CTR_WAIT_STOP), code, error);
	log_debug("container=%.12s exited load_ms=%.2f net_teardown_ms=%.2f save_answer_ms=%.2f", c->id, MS(t0, t1),
		  MS(t1, t2), MS(t2, nd_now_ns()));

	/* --rm or rm -f: straight to the removal, whose job deletes the state
	 * dir too (one pool hop, not two) */
	bool autorm = json_is_true(json_object_get(json_object_get(doc, "HostConfig"), "AutoRemove"));
	bool restart_waiter = false;
	for (struct ctr_waiter *w = c->waiters; w; w = w->next)
		restart_waiter |= w->kind == CTR_WAIT_RESTART;
	if (c->removing || (autorm && !restart && !restart_waiter)) {
		ctr_remove(c, NULL);
		return;
	}
	/* the shim's state dir goes (off the loop); then what comes next */
	struct job *j = calloc(1, sizeof(*j));
	if (!j)
		return;
	j->kind = JOB_CLEANUP;
	j->c = c;
	snprintf(j->state_dir, sizeof(j->state_dir), "%s", dir[0] ? dir : nd_json_str(doc, "StateDir"));
	c->busy = true;
	job_queue(j);
	(void)d;
}

static void on_restart_timer(uv_timer_t *t)
{
	struct ctr *c = t->data;
	_cleanup_json_ json_t *doc = ctr_doc(c);
	if (!doc || !c->restarting)
		return;
	json_object_set_new(doc, "RestartCount",
			    json_integer(json_integer_value(json_object_get(doc, "RestartCount")) + 1));
	save_or_log(c, doc);
	c->restarting = false;
	ctr_start(c, NULL);
}

static void cleanup_done(struct job *j)
{
	struct ctr *c = j->c;
	c->busy = false;
	_cleanup_json_ json_t *doc = ctr_doc(c);
	if (!doc)
		return;
	bool autorm = json_is_true(json_object_get(json_object_get(doc, "HostConfig"), "AutoRemove"));
	struct ctr_waiter *w = c->removing ? NULL : waiter_take(c, CTR_WAIT_RESTART);
	if (w) {  /* POST /restart: start again now */
		c->restarting = false;
		ctr_start(c, w->req);
		free(w);
		return;
	}
	if (c->removing || (autorm && !c->restarting)) {
		ctr_remove(c, NULL);
		return;
	}
	if (c->restarting) {
		/* Docker's back-off: 100 ms doubling, at most a minute */
		json_int_t n = json_integer_value(json_object_get(doc, "RestartCount"));
		uint64_t ms = 100ull << (n > 9 ? 9 : n);
		if (ms > 60000)
			ms = 60000;
		uv_timer_start(&c->restart_timer, on_restart_timer, ms, 0);
	}
}

/* ---- stop, kill, remove --------------------------------------------------------------- */

static void on_kill_timer(uv_timer_t *t)
{
	struct ctr *c = t->data;
	if (c->running) {
		log_info("container=%.12s did not stop in time: SIGKILL", c->id);
		rt_kill(&c->st, SIGKILL, &(struct nd_error){ 0 });
	}
}

static void mark_manual_stop(struct ctr *c)
{
	_cleanup_json_ json_t *doc = ctr_doc(c);
	if (doc) {
		json_object_set_new(doc, "ManualStop", json_true());
		save_or_log(c, doc);
	}
}

static void waiter_append(struct ctr *c, struct ctr_waiter *w)
{
	struct ctr_waiter **p = &c->waiters;
	while (*p)
		p = &(*p)->next;
	*p = w;
}

int ctr_stop(struct ctr *c, int timeout_s, struct ctr_waiter *w, struct nd_error *err)
{
	if (!c->running && c->starting) {
		/* a start (e.g. of the restart policy) is in flight: stop it
		 * as soon as it runs, and never restart it */
		mark_manual_stop(c);
		c->stop_pending = true;
		if (w)
			waiter_append(c, w);
		return 0;
	}
	if (!c->running) {
		if (c->restarting) {
			uv_timer_stop(&c->restart_timer);
			c->restarting = false;
			_cleanup_json_ json_t *doc = ctr_doc(c);
			if (doc) {
				json_object_set_new(state_of(doc), "Status", json_string("exited"));
				json_object_set_new(state_of(doc), "Restarting", json_false());
				json_object_set_new(doc, "ManualStop", json_true());
				save_or_log(c, doc);
			}
		}
		return nd_error_set(err, -EALREADY, "container %.12s is not running", c->id);
	}
	mark_manual_stop(c);
	int r = rt_kill(&c->st, timeout_s == 0 ? SIGKILL : SIGTERM, err);
	if (r < 0 && r != -ESRCH)
		return r;
	if (timeout_s > 0)
		uv_timer_start(&c->kill_timer, on_kill_timer, (uint64_t)timeout_s * 1000, 0);
	if (w) {
		struct ctr_waiter **p = &c->waiters;
		while (*p)
			p = &(*p)->next;
		*p = w;
	}
	return 0;
}

int ctr_kill(struct ctr *c, int sig, struct nd_error *err)
{
	if (!c->running)
		return nd_error_set(err, -EBUSY, "container %.12s is not running", c->id);
	if (sig == SIGKILL || sig == SIGTERM)
		mark_manual_stop(c);
	return rt_kill(&c->st, sig, err);
}

void ctr_remove(struct ctr *c, struct http_req *req)
{
	if (req) {
		struct ctr_waiter *w = calloc(1, sizeof(*w));
		if (w) {
			w->kind = CTR_WAIT_RM;
			w->req = req;
			w->c = c;
			w->next = c->waiters;
			c->waiters = w;
		} else {
			http_reply_errorf(req, 500, "out of memory");
		}
	}
	c->removing = true;
	if (c->running) {   /* force: kill, and remove at exit */
		rt_kill(&c->st, SIGKILL, &(struct nd_error){ 0 });
		return;
	}
	if (c->busy)        /* a start or cleanup is in flight; it calls us again */
		return;
	uv_timer_stop(&c->restart_timer);
	c->restarting = false;
	_cleanup_json_ json_t *doc = ctr_doc(c);
	struct job *j = calloc(1, sizeof(*j));
	if (!doc || !j) {
		free(j);
		waiters_answer(c, ~0u, 0, NULL);
		ctr_free(c);
		return;
	}
	/* intent first: a netd killed from here on finishes the removal at start */
	json_object_set_new(doc, "Removing", json_true());
	net_teardown(c, doc);
	save_or_log(c, doc);
	j->kind = JOB_REMOVE;
	j->c = c;
	snprintf(j->state_dir, sizeof(j->state_dir), "%s", nd_json_str(doc, "StateDir") ?: "");
	snprintf(j->data_dir, sizeof(j->data_dir), "%s/%s", ctrs_of(c->d)->data_dir, c->id);
	c->busy = true;
	job_queue(j);
}

static void remove_done(struct job *j)
{
	struct ctr *c = j->c;
	struct nd_error err = { 0 };
	_cleanup_json_ json_t *doc = ctr_doc(c);
	int code = doc ? (int)json_integer_value(json_object_get(state_of(doc), "ExitCode")) : 0;
	if (store_obj_del(c->d->store, "container", c->id, &err) < 0 && err.code != -ENOENT)
		log_error("container=%.12s: %s", c->id, err.msg);
	log_info("container removed id=%.12s name=%s", c->id, doc ? nd_json_str(doc, "Name") : "");
	waiters_answer(c, ~0u, code, NULL);
	ctr_free(c);
}

static void job_done(uv_work_t *w, int status)
{
	struct job *j = w->data;
	static const char *const names[] = { "start", "cleanup", "remove", "mount" };
	log_debug("container=%.12s job=%s queue_ms=%.2f step1_ms=%.2f step2_ms=%.2f back_ms=%.2f", j->c->id,
		  names[j->kind], MS(j->t_queued, j->t_begin), MS(j->t_begin, j->t_mid), MS(j->t_mid, j->t_end),
		  MS(j->t_end, nd_now_ns()));
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
	const char *cfg = nd_json_str(d->cfg.file, "shim-path");
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

static void adopt(struct ctr *c, json_t *doc)
{
	const json_t *s = json_object_get(doc, "State");
	const char *status = nd_json_str(s, "Status") ?: "";
	const char *dir = nd_json_str(doc, "StateDir") ?: "";
	snprintf(c->st.state_dir, sizeof(c->st.state_dir), "%s", dir);
	if (json_is_true(json_object_get(doc, "Removing"))) {
		ctr_remove(c, NULL);
		return;
	}
	bool was_running = json_is_true(json_object_get(s, "Running")) || json_is_true(json_object_get(doc, "Starting"));
	if (!was_running) {
		if (strcmp(status, "restarting") == 0) {
			c->restarting = true;
			uv_timer_start(&c->restart_timer, on_restart_timer, 100, 0);
		}
		return;
	}
	struct rt_state st;
	struct nd_error e = { 0 };
	if (rt_state_load(dir, &st, &e) == 0 && st.status == RT_STATUS_RUNNING && st.shim_pid > 0) {
		c->st = st;
		if (json_is_true(json_object_get(doc, "Starting"))) {
			json_object_del(doc, "Starting");
			json_t *sj = json_object_get(doc, "State");
			json_object_set_new(sj, "Status", json_string("running"));
			json_object_set_new(sj, "Running", json_true());
			json_object_set_new(sj, "Pid", json_integer(st.pid));
			json_object_set_new(sj, "StartedAt", json_string(st.started));
			save_or_log(c, doc);
		}
		log_info("container re-adopted id=%.12s pid=%d shim=%d", c->id, (int)st.pid, (int)st.shim_pid);
		watch(c);
		return;
	}
	/* it exited while netd was away (exit.json has the code), or its
	 * monitor is gone (255, as Docker reports after a crash) */
	ctr_exited(c);
}

int netd_containers_start(struct netd *d, struct nd_error *err)
{
	struct ctrs *cs = calloc(1, sizeof(*cs));
	if (!cs)
		return nd_error_set(err, -ENOMEM, "out of memory");
	cs->d = d;
	d->containers = cs;
	find_shim(cs, d);
	snprintf(cs->exec_dir, sizeof(cs->exec_dir), "%s/containers", d->cfg.exec_root);
	snprintf(cs->data_dir, sizeof(cs->data_dir), "%s/containers", d->cfg.root);
	if ((mkdir(cs->exec_dir, 0711) < 0 && errno != EEXIST) || (mkdir(cs->data_dir, 0711) < 0 && errno != EEXIST))
		return nd_error_set(err, -errno, "mkdir containers dir: %s", strerror(errno));
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
		struct ctr *c = ctr_new(d, nd_json_str(doc, "Id"));
		if (!c)
			return nd_error_set(err, -ENOMEM, "out of memory");
		adopt(c, doc);
		running += c->running;
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
		ctr_followers_free(c);
		struct ctr_waiter *w, *wn;
		for (w = c->waiters; w; w = wn) {
			wn = w->next;
			if (w->kind == CTR_WAIT_EXIT || w->kind == CTR_WAIT_REMOVED) {
				w->req->on_close = NULL;
				http_stream_end(w->req);
			} else {
				http_reply_errorf(w->req, 503, "netd is shutting down");
			}
			free(w);
		}
		if (c->pidfd >= 0)
			close(c->pidfd);
		free(c);   /* the loop is done: its handles are closed */
	}
	free(cs);
	d->containers = NULL;
}

void netd_containers_info(struct netd *d, json_t *info)
{
	struct ctrs *cs = ctrs_of(d);
	if (!cs)
		return;
	json_int_t total = 0, running = 0;
	for (struct ctr *c = cs->list; c; c = c->next) {
		total++;
		running += c->running;
	}
	json_object_set_new(info, "Containers", json_integer(total));
	json_object_set_new(info, "ContainersRunning", json_integer(running));
	json_object_set_new(info, "ContainersPaused", json_integer(0));
	json_object_set_new(info, "ContainersStopped", json_integer(total - running));
}
