// SPDX-License-Identifier: Apache-2.0
/* cgroup v2 manager: one directory in the unified tree, controllers enabled
 * down the path through cgroup.subtree_control. */
#include "runtime/cgroup_internal.h"

#include <sys/stat.h>

static int v2_destroy(const struct rt_cgroup *cg, struct nd_error *err)
{
	int ret = 0;
	for (size_t i = 0; i < cg->n; i++) {
		int r = rt__cgroup_kill_rmdir(cg->paths[i], true, ret ? NULL : err);
		if (r < 0 && !ret)
			ret = r;
	}
	return ret;
}

static int v2_set_limits(const struct rt_cgroup *cg, const struct rt_limits *l, struct nd_error *err)
{
	if (!cg->n)
		return 0;
	const char *d = cg->paths[0];
	char v[64];
	int r;
	if (l->memory) {
		snprintf(v, sizeof(v), "%lld", (long long)l->memory);
		if ((r = rt__cgroup_write(d, "memory.max", v, err)) < 0)
			return r;
		rt__cgroup_write(d, "memory.swap.max", "0", NULL);
	}
	if (l->cpu_shares) {
		/* the conversion runc and crun use */
		uint64_t w = 1 + ((l->cpu_shares - 2) * 9999) / 262142;
		snprintf(v, sizeof(v), "%llu", (unsigned long long)w);
		if ((r = rt__cgroup_write(d, "cpu.weight", v, err)) < 0)
			return r;
	}
	if (l->cpu_quota || l->cpu_period) {
		unsigned long long period = l->cpu_period ? l->cpu_period : 100000;
		if (l->cpu_quota)
			snprintf(v, sizeof(v), "%lld %llu", (long long)l->cpu_quota, period);
		else
			snprintf(v, sizeof(v), "max %llu", period);
		if ((r = rt__cgroup_write(d, "cpu.max", v, err)) < 0)
			return r;
	}
	if (l->pids) {
		snprintf(v, sizeof(v), "%lld", (long long)l->pids);
		if ((r = rt__cgroup_write(d, "pids.max", v, err)) < 0)
			return r;
	}
	return 0;
}

/* enables what we need in every dir from the mount point down to the leaf's
 * parent; failures show up as a missing limit file later */
static void enable_controllers(const char *mountpoint, const char *leaf)
{
	char path[PATH_MAX];
	snprintf(path, sizeof(path), "%s", leaf);
	size_t ml = strlen(mountpoint);
	for (char *p = path + ml; p && *p;) {
		char *next = strchr(p + 1, '/');
		if (!next)
			break; /* the leaf itself */
		*next = '\0';
		/* path is now an ancestor (starting from the mount point) */
		char parent[PATH_MAX];
		snprintf(parent, sizeof(parent), "%.*s", (int)(strrchr(path, '/') - path), path);
		if (strlen(parent) >= ml) {
			const char *ctrls[] = { "+memory", "+cpu", "+pids" };
			for (size_t i = 0; i < ARRAY_SIZE(ctrls); i++)
				rt__cgroup_write(parent, "cgroup.subtree_control", ctrls[i], NULL);
		}
		*next = '/';
		p = next;
	}
	/* and the leaf's parent */
	char parent[PATH_MAX];
	snprintf(parent, sizeof(parent), "%.*s", (int)(strrchr(leaf, '/') - leaf), leaf);
	const char *ctrls[] = { "+memory", "+cpu", "+pids" };
	for (size_t i = 0; i < ARRAY_SIZE(ctrls); i++)
		rt__cgroup_write(parent, "cgroup.subtree_control", ctrls[i], NULL);
}

static int v2_create(const struct rt_cgroup_layout *layout, const char *own_cgroup,
		     const char *parent, const char *id, const struct rt_limits *l,
		     struct rt_cgroup *out, struct nd_error *err)
{
	memset(out, 0, sizeof(*out));
	out->mgr = &rt_cgroup_v2;
	if (!layout->unified[0])
		return nd_error_set(err, -ENOTSUP, "no cgroup2 mount");
	char own[1024], path[PATH_MAX];
	if (rt__cgroup_own_path(own_cgroup, "", "/", own, sizeof(own)) < 0)
		own[0] = '\0';
	if (rt__cgroup_leaf_path(layout->unified, own, parent, id, path, sizeof(path)) < 0)
		return nd_error_set(err, -ENAMETOOLONG, "cgroup path too long");
	char *slash = strrchr(path, '/');
	*slash = '\0';
	int r = nd_mkdir_p(path, 0755);
	*slash = '/';
	if (r < 0)
		return nd_error_set(err, r, "mkdir %s: %s", path, strerror(-r));
	enable_controllers(layout->unified, path);
	if (mkdir(path, 0755) < 0)
		return nd_error_set(err, -errno, "mkdir %s: %m", path);
	out->paths[out->n++] = strdup(path);
	if ((r = v2_set_limits(out, l, err)) < 0) {
		v2_destroy(out, NULL);
		rt_cgroup_clear(out);
		return r;
	}
	return 0;
}

static int v2_enter(const struct rt_cgroup *cg, pid_t pid, struct nd_error *err)
{
	char v[32];
	snprintf(v, sizeof(v), "%d", (int)pid);
	return cg->n ? rt__cgroup_write(cg->paths[0], "cgroup.procs", v, err) : 0;
}

static bool v2_oom_killed(const struct rt_cgroup *cg)
{
	return cg->n && rt__cgroup_read_key(cg->paths[0], "memory.events", "oom_kill") > 0;
}

const struct rt_cgroup_manager rt_cgroup_v2 = {
	.name = "v2",
	.create = v2_create,
	.set_limits = v2_set_limits,
	.enter = v2_enter,
	.oom_killed = v2_oom_killed,
	.stats = rt__v2_stats,
	.freeze = rt__v2_freeze,
	.frozen = rt__v2_frozen,
	.pids = rt__cgroup_pids,
	.destroy = v2_destroy,
};
