// SPDX-License-Identifier: Apache-2.0
/* Container operations beside the life cycle: rename, pause/unpause (the
 * cgroup freezer), update (live cgroup limits, recorded), top (the
 * cgroup's processes from /proc), diff (the overlay upper dir) and prune. */
#include "netd/ctr/ctr.h"

#include <dirent.h>
#include <fcntl.h>
#include <pwd.h>
#include <signal.h>
#include <sys/stat.h>
#include <time.h>

/* ---- a pool task on a container ------------------------------------------------ */

struct op_task {
	struct nd_job base;          /* first */
	struct ctr *c;
	int rc;
	struct nd_error err;
	bool pause;
	ctr_cb cb;
	void *data;
	char state_dir[PATH_MAX];
	struct ctr_diff_result diff;
	void (*diff_cb)(void *data, struct ctr_diff_result *r);
};

static int load_cgroup(const char *state_dir, struct rt_cgroup *cg, struct nd_error *err)
{
	int rc = rt_state_cgroup(state_dir, cg, err);
	if (rc < 0)
		return rc;
	if (!cg->mgr)
		return nd_error_set(err, -ENOENT, "the container records no cgroup manager");
	return 0;
}

void ctr__op_hold(struct ctr *c)
{
	c->ops_inflight++;
}

void ctr__op_release(struct ctr *c)
{
	if (--c->ops_inflight == 0 && c->remove_requested && !ctr_running(c))
		ctr_remove(c, NULL, NULL);
}

/* ---- rename ---------------------------------------------------------------------- */

int ctr_rename(struct ctr *c, const char *name, struct nd_error *err)
{
	if (name && *name == '/')
		name++;
	if (!name || !*name || !nd_name_valid(name))
		return nd_error_set(err, -EINVAL, "Invalid container name (%s), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed",
				    name ? name : "");
	struct nd_container_rec r;
	int rc = ctr_load(c->d, c->id, &r, err);
	if (rc < 0)
		return rc;
	if (strcmp(r.name, name) == 0) {
		nd_container_rec_clear(&r);
		return nd_error_set(err, -EINVAL, "Renaming a container with the same name as its current name");
	}
	char old[sizeof(r.name)];
	snprintf(old, sizeof(old), "%s", r.name);
	snprintf(r.name, sizeof(r.name), "%s", name);
	json_object_set_new(r.doc, "Name", json_string(name));
	rc = ctr_save(c->d, &r, err);
	if (rc == -EEXIST) {
		_cleanup_json_ json_t *o = NULL;
		char oid[ND_ID_LEN + 1] = "";
		ctr_lookup(c->d, name, oid, &o, &(struct nd_error){ 0 });
		nd_error_set(err, -EEXIST,
			     "Error when allocating new name: Conflict. The container name \"/%s\" is already in use by "
			     "container \"%s\". You have to remove (or rename) that container to be able to reuse that name.",
			     name, oid);
	}
	if (rc == 0 && r.sandbox_id[0] && r.sandbox_owned) {
		/* peers started from now on know it by the new name */
		struct nd_error e = { 0 };
		if (net_endpoint_owner_rename(c->d, r.sandbox_id, old, name, &e) < 0)
			log_warn("container=%.12s: renaming its endpoints: %s", c->id, e.msg);
	}
	if (rc == 0) {
		log_info("container renamed id=%.12s old=%s name=%s", c->id, old, name);
		char oldname[ND_NAME_MAX + 2];
		snprintf(oldname, sizeof(oldname), "/%s", old);
		ctr_event(c->d, c->id, "rename", json_pack("{s:s}", "oldName", oldname));
	}
	nd_container_rec_clear(&r);
	return rc;
}

/* ---- pause / unpause --------------------------------------------------------------- */

static void pause_work(struct nd_job *base)
{
	struct op_task *t = (struct op_task *)base;
	struct rt_cgroup cg;
	t->rc = load_cgroup(t->state_dir, &cg, &t->err);
	if (t->rc == 0) {
		t->rc = cg.mgr->freeze(&cg, t->pause, &t->err);
		rt_cgroup_clear(&cg);
	}
}

static void set_paused(struct ctr *c, bool paused)
{
	struct nd_container_rec r;
	struct nd_error e = { 0 };
	c->paused = paused;
	if (ctr_load(c->d, c->id, &r, &e) < 0)
		return;
	r.state.paused = paused;
	if (r.state.running)
		snprintf(r.state.status, sizeof(r.state.status), "%s", paused ? "paused" : "running");
	if (ctr_save(c->d, &r, &e) < 0)
		log_error("container=%.12s: saving state: %s", c->id, e.msg);
	nd_container_rec_clear(&r);
}

static void pause_done(struct nd_job *base)
{
	struct op_task *t = (struct op_task *)base;
	struct ctr *c = t->c;
	c->op_inflight = false;
	struct ctr_result res = { .rc = t->rc, .err = t->rc < 0 ? &t->err : NULL };
	if (t->rc == 0 && ctr_running(c)) {
		set_paused(c, t->pause);
		log_info("container %s id=%.12s", t->pause ? "paused" : "unpaused", c->id);
		ctr_event(c->d, c->id, t->pause ? "pause" : "unpause", NULL);
	} else if (t->rc == 0) {
		res.rc = nd_error_set(&t->err, -EBUSY, "Container %.12s is not running", c->id);
		res.err = &t->err;
	}
	if (t->cb)
		t->cb(t->data, &res);
	free(t);
	ctr__op_release(c);
}

void ctr_pause(struct ctr *c, bool pause, ctr_cb cb, void *data)
{
	struct nd_error err = { 0 };
	if (!ctr_running(c))
		nd_error_set(&err, -EBUSY, "Container %.12s is not running", c->id);
	else if (c->op_inflight)
		nd_error_set(&err, -EBUSY, "Container %.12s is being paused or unpaused", c->id);
	else if (pause && c->paused)
		nd_error_set(&err, -EBUSY, "Container %.12s is already paused", c->id);
	else if (!pause && !c->paused)
		nd_error_set(&err, -EBUSY, "Container %.12s is not paused", c->id);
	struct op_task *t = err.code ? NULL : calloc(1, sizeof(*t));
	if (!t) {
		if (!err.code)
			nd_error_set(&err, -ENOMEM, "out of memory");
		struct ctr_result res = { .rc = err.code, .err = &err };
		if (cb)
			cb(data, &res);
		return;
	}
	t->c = c;
	t->pause = pause;
	t->cb = cb;
	t->data = data;
	snprintf(t->state_dir, sizeof(t->state_dir), "%s", c->st.state_dir);
	t->base.work = pause_work;
	t->base.done = pause_done;
	c->op_inflight = true;
	ctr__op_hold(c);
	nd_job_queue(c->d->loop, &t->base);
}

void ctr__thaw(struct ctr *c)
{
	if (!c->paused)
		return;
	struct rt_cgroup cg;
	struct nd_error e = { 0 };
	if (load_cgroup(c->st.state_dir, &cg, &e) == 0) {
		/* a thaw is immediate in the kernel; the wait is for the state file */
		if (cg.mgr->freeze(&cg, false, &e) < 0)
			log_warn("container=%.12s: thaw: %s", c->id, e.msg);
		rt_cgroup_clear(&cg);
	}
	set_paused(c, false);
}

/* ---- update ------------------------------------------------------------------------- */

int ctr_update(struct ctr *c, const struct ctr_update_req *u, struct nd_error *err)
{
	struct nd_container_rec r;
	int rc = ctr_load(c->d, c->id, &r, err);
	if (rc < 0)
		return rc;
	json_t *hc = json_object_get(r.doc, "HostConfig");
	if (!json_is_object(hc)) {
		hc = json_object();
		json_object_set_new(r.doc, "HostConfig", hc);
	}
	if (u->has_restart) {
		if (r.auto_remove && *u->restart && strcmp(u->restart, "no") != 0) {
			nd_container_rec_clear(&r);
			return nd_error_set(err, -EINVAL, "Restart policy cannot be updated because AutoRemove is enabled for the container");
		}
		snprintf(r.restart_policy, sizeof(r.restart_policy), "%s", u->restart);
		r.restart_max = u->restart_max;
	}
	int64_t nano = json_integer_value(json_object_get(hc, "NanoCpus"));
	int64_t quota = json_integer_value(json_object_get(hc, "CpuQuota"));
	if (u->has_nano && u->nano_cpus > 0 && (quota > 0 || (u->has_quota && u->cpu_quota > 0))) {
		nd_container_rec_clear(&r);
		return nd_error_set(err, -EINVAL, "Conflicting options: CPU Quota cannot be updated as NanoCPUs has already been set");
	}
	if (u->has_quota && u->cpu_quota > 0 && nano > 0 && !(u->has_nano && u->nano_cpus == 0)) {
		nd_container_rec_clear(&r);
		return nd_error_set(err, -EINVAL, "Conflicting options: Nano CPUs cannot be updated as CPU Quota has already been set");
	}
	struct rt_limits l = { 0 };
	if (u->has_memory) {
		json_object_set_new(hc, "Memory", json_integer(u->memory));
		l.memory = u->memory;
	}
	if (u->has_shares) {
		json_object_set_new(hc, "CpuShares", json_integer(u->cpu_shares));
		l.cpu_shares = (uint64_t)u->cpu_shares;
	}
	if (u->has_period) {
		json_object_set_new(hc, "CpuPeriod", json_integer(u->cpu_period));
		l.cpu_period = (uint64_t)u->cpu_period;
	}
	if (u->has_quota) {
		json_object_set_new(hc, "CpuQuota", json_integer(u->cpu_quota));
		l.cpu_quota = u->cpu_quota;
	}
	if (u->has_nano) {
		json_object_set_new(hc, "NanoCpus", json_integer(u->nano_cpus));
		l.cpu_period = 100000;
		l.cpu_quota = u->nano_cpus > 0 ? u->nano_cpus / 10000 : -1;
	}
	if (u->has_pids) {
		json_object_set_new(hc, "PidsLimit", json_integer(u->pids));
		l.pids = u->pids;
	}
	/* live first: a limit the kernel refuses (below current use) changes nothing */
	if (ctr_running(c) && (u->has_memory || u->has_shares || u->has_period || u->has_quota || u->has_nano || u->has_pids)) {
		struct rt_cgroup cg;
		if ((rc = load_cgroup(c->st.state_dir, &cg, err)) == 0) {
			rc = cg.mgr->set_limits(&cg, &l, err);
			rt_cgroup_clear(&cg);
		}
		if (rc < 0) {
			nd_container_rec_clear(&r);
			return nd_error_wrap(err, "Cannot update container %.12s", c->id);
		}
	}
	rc = ctr_save(c->d, &r, err);
	if (rc == 0)
		log_info("container updated id=%.12s", c->id);
	nd_container_rec_clear(&r);
	return rc;
}

/* ---- top ------------------------------------------------------------------------------ */

static const char *const titles_ef[] = { "UID", "PID", "PPID", "C", "STIME", "TTY", "TIME", "CMD", NULL };
static const char *const titles_aux[] = { "USER", "PID", "%CPU", "%MEM", "VSZ", "RSS", "TTY", "STAT", "START",
					  "TIME", "COMMAND", NULL };
static const char *const titles_e[] = { "PID", "TTY", "TIME", "CMD", NULL };

struct proc_info {
	pid_t pid, ppid;
	char state;
	unsigned long long utime, stime, start, vsize;
	long rss;
	int tty;
	uid_t uid;
	char comm[64];
	char cmdline[1024];
};

static int proc_read(pid_t pid, struct proc_info *p)
{
	char path[64], buf[4096];
	memset(p, 0, sizeof(*p));
	p->pid = pid;
	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	_cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	ssize_t n = read(fd, buf, sizeof(buf) - 1);
	if (n <= 0)
		return -EIO;
	buf[n] = '\0';
	char *l = strchr(buf, '('), *r = strrchr(buf, ')');
	if (!l || !r)
		return -EIO;
	snprintf(p->comm, sizeof(p->comm), "%.*s", (int)(r - l - 1), l + 1);
	int ppid, tty;
	/* fields after comm: state ppid pgrp session tty_nr tpgid flags minflt
	 * cminflt majflt cmajflt utime stime cutime cstime priority nice
	 * num_threads itrealvalue starttime vsize rss */
	if (sscanf(r + 2, "%c %d %*d %*d %d %*d %*u %*u %*u %*u %*u %llu %llu %*d %*d %*d %*d %*d %*d %llu %llu %ld",
		   &p->state, &ppid, &tty, &p->utime, &p->stime, &p->start, &p->vsize, &p->rss) != 8)
		return -EIO;
	p->ppid = ppid;
	p->tty = tty;
	struct stat st;
	snprintf(path, sizeof(path), "/proc/%d", (int)pid);
	if (stat(path, &st) == 0)
		p->uid = st.st_uid;
	snprintf(path, sizeof(path), "/proc/%d/cmdline", (int)pid);
	_cleanup_close_ int cfd = open(path, O_RDONLY | O_CLOEXEC);
	n = cfd >= 0 ? read(cfd, p->cmdline, sizeof(p->cmdline) - 1) : 0;
	if (n > 0) {
		for (ssize_t i = 0; i < n; i++)
			if (p->cmdline[i] == '\0')
				p->cmdline[i] = ' ';
		while (n > 0 && p->cmdline[n - 1] == ' ')
			n--;
		p->cmdline[n] = '\0';
	} else {
		snprintf(p->cmdline, sizeof(p->cmdline), "[%s]", p->comm);
	}
	return 0;
}

static void fmt_time(unsigned long long ticks, long hz, char *out, size_t size)
{
	unsigned long long s = ticks / (unsigned long long)hz;
	snprintf(out, size, "%02llu:%02llu:%02llu", s / 3600, (s / 60) % 60, s % 60);
}

static void fmt_tty(int tty, char *out, size_t size)
{
	unsigned maj = ((unsigned)tty >> 8) & 0xfff, min = ((unsigned)tty & 0xff) | (((unsigned)tty >> 12) & 0xfff00);
	if (tty == 0)
		snprintf(out, size, "?");
	else if (maj == 136)
		snprintf(out, size, "pts/%u", min);
	else
		snprintf(out, size, "%u:%u", maj, min);
}

void ctr_top_free(struct ctr_top *t)
{
	for (size_t i = 0; t->cells && i < t->nrows * t->ncols; i++)
		free(t->cells[i]);
	free(t->cells);
	t->cells = NULL;
}

int ctr_top(struct ctr *c, const char *ps_args, struct ctr_top *out, struct nd_error *err)
{
	memset(out, 0, sizeof(*out));
	const char *a = ps_args && *ps_args ? ps_args : "-ef";
	int form;
	if (!strcmp(a, "-ef") || !strcmp(a, "-f") || !strcmp(a, "-eF") || !strcmp(a, "ef"))
		form = 0;
	else if (!strcmp(a, "aux") || !strcmp(a, "-aux") || !strcmp(a, "au") || !strcmp(a, "ax") || !strcmp(a, "-aux"))
		form = 1;
	else if (!strcmp(a, "-e") || !strcmp(a, "-A") || !strcmp(a, "x"))
		form = 2;
	else
		return nd_error_set(err, -EINVAL, "ps_args \"%s\" is not supported by netd (it understands -ef, -f, -e, -A, aux)", a);
	if (!ctr_running(c))
		return nd_error_set(err, -EBUSY, "Container %.12s is not running", c->id);
	struct rt_cgroup cg;
	int rc = load_cgroup(c->st.state_dir, &cg, err);
	if (rc < 0)
		return rc;
	_cleanup_free_ pid_t *pids = NULL;
	size_t np = 0;
	rc = cg.mgr->pids(&cg, &pids, &np, err);
	rt_cgroup_clear(&cg);
	if (rc < 0)
		return rc;
	out->titles = form == 0 ? titles_ef : form == 1 ? titles_aux : titles_e;
	while (out->titles[out->ncols])
		out->ncols++;
	out->cells = calloc(np ? np * out->ncols : 1, sizeof(char *));
	if (!out->cells)
		return nd_error_set(err, -ENOMEM, "out of memory");
	long hz = sysconf(_SC_CLK_TCK);
	if (hz <= 0)
		hz = 100;
	struct timespec up;
	clock_gettime(CLOCK_BOOTTIME, &up);
	time_t now = time(NULL);
	long pagekb = sysconf(_SC_PAGESIZE) / 1024;
	long memkb = sysconf(_SC_PHYS_PAGES) * pagekb;
	for (size_t i = 0; i < np; i++) {
		struct proc_info p;
		if (proc_read(pids[i], &p) < 0)
			continue;   /* exited meanwhile */
		char **row = out->cells + out->nrows * out->ncols;
		char tm[32], tty[32], stime[16], user[64];
		fmt_time(p.utime + p.stime, hz, tm, sizeof(tm));
		fmt_tty(p.tty, tty, sizeof(tty));
		time_t started = now - (time_t)(up.tv_sec - (time_t)(p.start / (unsigned long long)hz));
		struct tm lt;
		localtime_r(&started, &lt);
		strftime(stime, sizeof(stime), "%H:%M", &lt);
		struct passwd *pw = getpwuid(p.uid);   /* the host's names, as Docker's ps shows them */
		if (pw)
			snprintf(user, sizeof(user), "%s", pw->pw_name);
		else
			snprintf(user, sizeof(user), "%u", (unsigned)p.uid);
		double elapsed = (double)up.tv_sec - (double)p.start / (double)hz;
		double pcpu = elapsed > 0 ? 100.0 * (double)(p.utime + p.stime) / (double)hz / elapsed : 0;
		int k = 0;
		if (form == 0) {
			asprintf(&row[k++], "%s", user);
			asprintf(&row[k++], "%d", (int)p.pid);
			asprintf(&row[k++], "%d", (int)p.ppid);
			asprintf(&row[k++], "%d", (int)pcpu);
			asprintf(&row[k++], "%s", stime);
			asprintf(&row[k++], "%s", tty);
			asprintf(&row[k++], "%s", tm);
			asprintf(&row[k++], "%s", p.cmdline);
		} else if (form == 1) {
			char st[4] = { p.state, 0 };
			asprintf(&row[k++], "%s", user);
			asprintf(&row[k++], "%d", (int)p.pid);
			asprintf(&row[k++], "%.1f", pcpu);
			asprintf(&row[k++], "%.1f", memkb > 0 ? 100.0 * (double)(p.rss * pagekb) / (double)memkb : 0.0);
			asprintf(&row[k++], "%llu", p.vsize / 1024);
			asprintf(&row[k++], "%ld", p.rss * pagekb);
			asprintf(&row[k++], "%s", tty);
			asprintf(&row[k++], "%s", st);
			asprintf(&row[k++], "%s", stime);
			fmt_time(p.utime + p.stime, hz, tm, sizeof(tm));
			asprintf(&row[k++], "%s", tm + 3);  /* mm:ss */
			asprintf(&row[k++], "%s", p.cmdline);
		} else {
			asprintf(&row[k++], "%d", (int)p.pid);
			asprintf(&row[k++], "%s", tty);
			asprintf(&row[k++], "%s", tm);
			asprintf(&row[k++], "%s", p.comm);
		}
		out->nrows++;
	}
	return 0;
}

/* ---- diff ------------------------------------------------------------------------------- */

static void diff_work(struct nd_job *base)
{
	struct op_task *t = (struct op_task *)base;
	t->diff.rc = images_rootfs_changes(t->c->d->images, t->c->id, &t->diff.v, &t->diff.n, &t->diff.err);
}

static void diff_done(struct nd_job *base)
{
	struct op_task *t = (struct op_task *)base;
	struct ctr *c = t->c;
	t->diff_cb(t->data, &t->diff);
	images_changes_free(t->diff.v, t->diff.n);
	free(t);
	ctr__op_release(c);
}

void ctr_diff(struct ctr *c, void (*cb)(void *data, struct ctr_diff_result *r), void *data)
{
	struct op_task *t = calloc(1, sizeof(*t));
	if (!t) {
		struct ctr_diff_result r = { .rc = -ENOMEM };
		nd_error_set(&r.err, -ENOMEM, "out of memory");
		cb(data, &r);
		return;
	}
	t->c = c;
	t->diff_cb = cb;
	t->data = data;
	t->base.work = diff_work;
	t->base.done = diff_done;
	ctr__op_hold(c);
	nd_job_queue(c->d->loop, &t->base);
}

/* ---- prune -------------------------------------------------------------------------------- */

struct prune_wait {
	int pending;
	json_t *removed;
	void (*done)(void *ud, json_t *removed);
	void *ud;
};

static void prune_one(void *data, const struct ctr_result *r)
{
	struct prune_wait *w = data;
	(void)r;
	if (--w->pending > 0)
		return;
	w->done(w->ud, w->removed);
	json_decref(w->removed);
	free(w);
}

int ctr_prune(struct netd *d, ctr_prune_match match, void *mdata, void (*done)(void *ud, json_t *removed), void *ud,
	      struct nd_error *err)
{
	_cleanup_json_ json_t *docs = NULL;
	int rc = ctr_list(d, &docs, err);
	if (rc < 0)
		return rc;
	struct prune_wait *w = calloc(1, sizeof(*w));
	if (!w)
		return nd_error_set(err, -ENOMEM, "out of memory");
	w->removed = json_array();
	w->done = done;
	w->ud = ud;
	w->pending = 1;    /* ours, until every removal is queued */
	size_t i;
	json_t *doc;
	json_array_foreach(docs, i, doc) {
		const char *id = nd_json_str(doc, "Id");
		struct ctr *c = id ? ctr_find(d, id) : NULL;
		/* created (its create-time mount may still be in flight: the
		 * removal waits for it) or exited; not running, restarting, busy */
		if (!c || (c->phase != CTR_CREATED && c->phase != CTR_PREPARING) || c->remove_requested)
			continue;
		const char *status = nd_json_str(json_object_get(doc, "State"), "Status") ?: "";
		if (strcmp(status, "exited") && strcmp(status, "created") && strcmp(status, "dead"))
			continue;
		if (match && !match(doc, mdata))
			continue;
		json_array_append_new(w->removed, json_string(id));
		w->pending++;
		ctr_remove(c, prune_one, w);
	}
	prune_one(w, NULL);
	return 0;
}

/* ---- networks of a container, recorded for its next start -------------------------------- */

int ctr_network_record(struct netd *d, const char *ctr_ref, const char *network, const char *ipv4,
		       const json_t *aliases, bool connect, bool *running, struct nd_error *err)
{
	char id[ND_ID_LEN + 1];
	_cleanup_json_ json_t *doc = NULL;
	if (running)
		*running = false;
	if (ctr_lookup(d, ctr_ref, id, &doc, err) < 0)
		return -ENOENT;   /* not a container: the caller asks the net layer */
	struct ctr *c = ctr_find(d, id);
	if (running)
		*running = c && (ctr_running(c) || c->phase == CTR_STARTING);
	struct net_network *n = net_network_find(d, network, err);
	if (!n)
		return err->code ? err->code : -ENOENT;
	struct nd_container_rec r;
	int rc = ctr_load(d, id, &r, err);
	if (rc < 0)
		return rc;
	const char *mode = r.network_mode;
	if (strcmp(mode, "host") == 0 || strcmp(mode, "none") == 0 || nd_str_has_prefix(mode, "container:")) {
		nd_container_rec_clear(&r);
		return nd_error_set(err, -EINVAL, "container sharing network namespace with another container or host cannot be connected to any other network");
	}
	json_t *reqs = json_object_get(r.doc, "NetworkRequests");
	if (!json_is_array(reqs)) {
		reqs = json_array();
		json_object_set_new(r.doc, "NetworkRequests", reqs);
	}
	size_t i, at = SIZE_MAX;
	json_t *nr;
	json_array_foreach(reqs, i, nr)
		if (strcmp(nd_json_str(nr, "NetworkID") ?: "", n->rec.id) == 0)
			at = i;
	if (connect && at != SIZE_MAX && !(running && *running)) {
		nd_container_rec_clear(&r);
		return nd_error_set(err, -EEXIST, "endpoint with name %s already exists in network %s", r.name, n->rec.name);
	}
	if (!connect && at == SIZE_MAX) {
		nd_container_rec_clear(&r);
		return (running && *running) ? 0 : nd_error_set(err, -ENOENT, "container %.12s is not connected to network %s", id, n->rec.name);
	}
	if (connect && at == SIZE_MAX)
		json_array_append_new(reqs, json_pack("{s:s, s:s, s:s, s:O}", "NetworkID", n->rec.id, "Name", n->rec.name,
						      "IPv4Address", ipv4 ? ipv4 : "",
						      "Aliases", json_is_array(aliases) ? (json_t *)aliases : json_array()));
	else if (!connect)
		json_array_remove(reqs, at);
	rc = ctr_save(d, &r, err);
	if (rc == 0)
		log_info("container network %s id=%.12s network=%s%s", connect ? "recorded" : "dropped", id, n->rec.name,
			 running && *running ? "" : " (applied at its next start)");
	nd_container_rec_clear(&r);
	return rc;
}
