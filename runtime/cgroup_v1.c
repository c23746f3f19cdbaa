// SPDX-License-Identifier: Apache-2.0
/* cgroup v1 manager: one directory per hierarchy (memory, cpu, cpuacct,
 * pids, freezer, blkio). Used on pure v1 and on hybrid hosts. */
#include "runtime/cgroup_internal.h"

#include <sys/stat.h>

static const char *const wanted[] = { "memory", "cpu", "cpuacct", "pids", "freezer", "blkio",
				      "devices" };

/* Docker's default device rules: mknod of anything (CAP_MKNOD is in the
 * default set), access only to these; without them a container could mknod
 * the host's disks and read them */
static const char *const device_allow[] = {
	"c *:* m", "b *:* m", "c 1:3 rwm", "c 1:5 rwm", "c 1:7 rwm", "c 1:8 rwm", "c 1:9 rwm",
	"c 5:0 rwm", "c 5:1 rwm", "c 5:2 rwm", "c 136:* rwm", "c 10:200 rwm",
};

static bool has_ctrl(const char *list, const char *c)
{
	size_t cl = strlen(c);
	for (const char *q = list; *q;) {
		size_t ql = strcspn(q, ",");
		if (ql == cl && !strncmp(q, c, cl))
			return true;
		q += ql;
		if (*q == ',')
			q++;
	}
	return false;
}

static int v1_destroy(const struct rt_cgroup *cg, struct nd_error *err)
{
	int ret = 0;
	/* best effort: every dir, first failure reported */
	for (size_t i = cg->n; i-- > 0;) {
		struct nd_error e = { 0 };
		int r = rt__cgroup_kill_rmdir(cg->paths[i], false, &e);
		if (r < 0 && ret == 0) {
			ret = r;
			if (err)
				*err = e;
		}
	}
	return ret;
}

static int v1_set_limits(const struct rt_cgroup *cg, const struct rt_limits *l, struct nd_error *err)
{
	for (size_t i = 0; i < cg->n; i++) {
		const char *d = cg->paths[i];
		char path[PATH_MAX], v[32];
		int r;
		snprintf(path, sizeof(path), "%s/memory.limit_in_bytes", d);
		if (l->memory && access(path, F_OK) == 0) {
			snprintf(v, sizeof(v), "%lld", (long long)l->memory);
			/* memsw first too: raising memory above the old memsw fails */
			rt__cgroup_write(d, "memory.memsw.limit_in_bytes", v, NULL);
			if ((r = rt__cgroup_write(d, "memory.limit_in_bytes", v, err)) < 0)
				return r;
			/* memory+swap = memory: no swap, as `docker run -m` with --memory-swap equal */
			rt__cgroup_write(d, "memory.memsw.limit_in_bytes", v, NULL);
		}
		snprintf(path, sizeof(path), "%s/cpu.shares", d);
		if (access(path, F_OK) == 0) {
			if (l->cpu_shares) {
				snprintf(v, sizeof(v), "%llu", (unsigned long long)l->cpu_shares);
				if ((r = rt__cgroup_write(d, "cpu.shares", v, err)) < 0)
					return r;
			}
			if (l->cpu_period) {
				snprintf(v, sizeof(v), "%llu", (unsigned long long)l->cpu_period);
				if ((r = rt__cgroup_write(d, "cpu.cfs_period_us", v, err)) < 0)
					return r;
			}
			if (l->cpu_quota) {
				snprintf(v, sizeof(v), "%lld", (long long)l->cpu_quota);
				if ((r = rt__cgroup_write(d, "cpu.cfs_quota_us", v, err)) < 0)
					return r;
			}
		}
		snprintf(path, sizeof(path), "%s/devices.deny", d);
		if (access(path, F_OK) == 0) {
			if ((r = rt__cgroup_write(d, "devices.deny", "a", err)) < 0)
				return r;
			for (size_t k = 0; k < ARRAY_SIZE(device_allow); k++)
				if ((r = rt__cgroup_write(d, "devices.allow", device_allow[k], err)) < 0)
					return r;
		}
		snprintf(path, sizeof(path), "%s/pids.max", d);
		if (l->pids && access(path, F_OK) == 0) {
			snprintf(v, sizeof(v), "%lld", (long long)l->pids);
			if ((r = rt__cgroup_write(d, "pids.max", v, err)) < 0)
				return r;
		}
	}
	return 0;
}

static int v1_create(const struct rt_cgroup_layout *layout, const char *own_cgroup,
		     const char *parent, const char *id, const struct rt_limits *l,
		     struct rt_cgroup *out, struct nd_error *err)
{
	memset(out, 0, sizeof(*out));
	out->mgr = &rt_cgroup_v1;
	bool seen[RT_CGROUP_MAX_HIER] = { 0 };
	int r;
	for (size_t w = 0; w < ARRAY_SIZE(wanted); w++) {
		size_t h;
		for (h = 0; h < layout->n_v1; h++)
			if (has_ctrl(layout->v1[h].controllers, wanted[w]))
				break;
		if (h == layout->n_v1) {
			bool needed = (!strcmp(wanted[w], "memory") && l->memory) ||
				      (!strcmp(wanted[w], "pids") && l->pids) ||
				      (!strcmp(wanted[w], "cpu") && (l->cpu_shares || l->cpu_quota));
			if (needed) {
				r = nd_error_set(err, -ENOTSUP, "cgroup v1 controller %s is not mounted", wanted[w]);
				goto fail;
			}
			continue;
		}
		if (seen[h])
			continue;
		seen[h] = true;
		char own[1024], path[PATH_MAX];
		if (rt__cgroup_own_path(own_cgroup, layout->v1[h].controllers, layout->v1[h].root, own,
					sizeof(own)) < 0)
			own[0] = '\0';
		if (rt__cgroup_leaf_path(layout->v1[h].mountpoint, own, parent, id, path, sizeof(path)) < 0) {
			r = nd_error_set(err, -ENAMETOOLONG, "cgroup path too long");
			goto fail;
		}
		char *slash = strrchr(path, '/');
		*slash = '\0';
		r = nd_mkdir_p(path, 0755);
		*slash = '/';
		if (r < 0) {
			nd_error_set(err, r, "mkdir %s: %s", path, strerror(-r));
			goto fail;
		}
		if (mkdir(path, 0755) < 0) {
			r = nd_error_set(err, -errno, "mkdir %s: %m", path);
			goto fail;
		}
		out->paths[out->n++] = strdup(path);
	}
	if ((r = v1_set_limits(out, l, err)) < 0)
		goto fail;
	return 0;
fail:
	v1_destroy(out, NULL);
	rt_cgroup_clear(out);
	return r;
}

static int v1_enter(const struct rt_cgroup *cg, pid_t pid, struct nd_error *err)
{
	char v[32];
	snprintf(v, sizeof(v), "%d", (int)pid);
	for (size_t i = 0; i < cg->n; i++) {
		int r = rt__cgroup_write(cg->paths[i], "cgroup.procs", v, err);
		if (r < 0)
			return r;
	}
	return 0;
}

/* "0" into tasks moves the writing thread only, and for the current thread
 * the kernel skips cgroup_threadgroup_rwsem (cgroup_procs_write_start); a
 * single-threaded caller is its whole process. */
static int v1_enter_self(const struct rt_cgroup *cg, struct nd_error *err)
{
	for (size_t i = 0; i < cg->n; i++) {
		int r = rt__cgroup_write(cg->paths[i], "tasks", "0", err);
		if (r < 0)
			return r;
	}
	return 0;
}

static bool v1_oom_killed(const struct rt_cgroup *cg)
{
	for (size_t i = 0; i < cg->n; i++) {
		int64_t n = rt__cgroup_read_key(cg->paths[i], "memory.oom_control", "oom_kill");
		if (n > 0)
			return true;
	}
	return false;
}

const struct rt_cgroup_manager rt_cgroup_v1 = {
	.name = "v1",
	.create = v1_create,
	.set_limits = v1_set_limits,
	.enter = v1_enter,
	.enter_self = v1_enter_self,
	.oom_killed = v1_oom_killed,
	.stats = rt__v1_stats,
	.freeze = rt__v1_freeze,
	.frozen = rt__v1_frozen,
	.pids = rt__cgroup_pids,
	.destroy = v1_destroy,
};
