// SPDX-License-Identifier: Apache-2.0
/* docker stats: one sample of a container's counters, read in the pool:
 * its cgroup (runtime's managers, v1 or v2), the host's CPU time
 * (/proc/stat) and its sandbox's interfaces (the net layer reads them
 * from inside the namespace on a thread of its own). */
#include "netd/ctr/ctr.h"

#include <fcntl.h>

struct stats_task {
	struct nd_job base;          /* first */
	struct ctr *c;
	char state_dir[PATH_MAX];
	char netns[PATH_MAX];
	int rc;
	struct nd_error err;
	struct ctr_stats s;
	void (*cb)(void *data, int rc, const struct nd_error *err, const struct ctr_stats *s);
	void *data;
};

static uint64_t system_ns(void)
{
	_cleanup_close_ int fd = open("/proc/stat", O_RDONLY | O_CLOEXEC);
	char buf[512];
	ssize_t n = fd >= 0 ? read(fd, buf, sizeof(buf) - 1) : -1;
	if (n <= 0)
		return 0;
	buf[n] = '\0';
	if (strncmp(buf, "cpu ", 4) != 0)
		return 0;
	unsigned long long sum = 0;
	char *p = buf + 4;
	/* user nice system idle iowait irq softirq steal: Docker's sum */
	for (int i = 0; i < 8; i++) {
		char *end;
		unsigned long long v = strtoull(p, &end, 10);
		if (end == p)
			break;
		sum += v;
		p = end;
	}
	long hz = sysconf(_SC_CLK_TCK);
	return sum * (1000000000ull / (unsigned long long)(hz > 0 ? hz : 100));
}

static void stats_work(struct nd_job *base)
{
	struct stats_task *t = (struct stats_task *)base;
	struct rt_cgroup cg;
	nd_time_rfc3339(t->s.read);
	t->rc = rt_state_cgroup(t->state_dir, &cg, &t->err);
	if (t->rc == 0 && !cg.mgr)
		t->rc = nd_error_set(&t->err, -ENOENT, "the container records no cgroup manager");
	if (t->rc == 0)
		t->rc = cg.mgr->stats(&cg, &t->s.cg, &t->err);
	rt_cgroup_clear(&cg);
	if (t->rc < 0)
		return;
	t->s.system_ns = system_ns();
	long n = sysconf(_SC_NPROCESSORS_ONLN);
	t->s.online_cpus = n > 0 ? (unsigned)n : 1;
	t->s.host_mem = (uint64_t)sysconf(_SC_PHYS_PAGES) * (uint64_t)sysconf(_SC_PAGESIZE);
	if (t->netns[0]) {
		struct nd_error e = { 0 };
		/* a namespace going away with the container is no error of the sample */
		if (net_sandbox_link_stats(t->netns, &t->s.nets, &t->s.nnets, &e) < 0)
			log_debug("container=%.12s: network stats: %s", t->c->id, e.msg);
	}
}

static void stats_done(struct nd_job *base)
{
	struct stats_task *t = (struct stats_task *)base;
	struct ctr *c = t->c;
	t->cb(t->data, t->rc, t->rc < 0 ? &t->err : NULL, &t->s);
	free(t->s.nets);
	free(t);
	ctr__op_release(c);
}

void ctr_stats_sample(struct ctr *c, void (*cb)(void *data, int rc, const struct nd_error *err,
						  const struct ctr_stats *s), void *data)
{
	struct stats_task *t = calloc(1, sizeof(*t));
	struct nd_error err = { 0 };
	if (!t) {
		nd_error_set(&err, -ENOMEM, "out of memory");
		cb(data, err.code, &err, NULL);
		return;
	}
	if (!ctr_running(c)) {
		/* Docker answers a stopped container with zeroes */
		nd_time_rfc3339(t->s.read);
		cb(data, 0, NULL, &t->s);
		free(t);
		return;
	}
	t->c = c;
	t->cb = cb;
	t->data = data;
	snprintf(t->state_dir, sizeof(t->state_dir), "%s", c->st.state_dir);
	struct nd_container_rec r;
	if (ctr_load(c->d, c->id, &r, &err) == 0) {
		struct nd_sandbox_rec sb;
		if (r.sandbox_id[0] && net_sandbox_lookup(c->d, r.sandbox_id, &sb, &err) == 0) {
			snprintf(t->netns, sizeof(t->netns), "%s", sb.netns_path);
			nd_sandbox_rec_clear(&sb);
		}
		nd_container_rec_clear(&r);
	}
	t->base.work = stats_work;
	t->base.done = stats_done;
	ctr__op_hold(c);
	nd_job_queue(c->d->loop, &t->base);
}
