// SPDX-License-Identifier: Apache-2.0
/* helpers shared by the v1 and v2 cgroup managers */
#pragma once
#include "runtime/internal.h"

int rt__cgroup_own_path(const char *own_cgroup, const char *ctrls, const char *mount_root,
			char *out, size_t size);
int rt__cgroup_leaf_path(const char *mountpoint, const char *own, const char *parent,
			 const char *id, char *out, size_t size);
int rt__cgroup_write(const char *dir, const char *file, const char *val, struct nd_error *err);
int64_t rt__cgroup_read_key(const char *dir, const char *file, const char *key);
int rt__cgroup_kill_rmdir(const char *dir, bool use_cgroup_kill, struct nd_error *err);

/* cgroup_ops.c: counters, freezer and pids of both managers */
int rt__v1_stats(const struct rt_cgroup *cg, struct rt_cgroup_stats *out, struct nd_error *err);
int rt__v2_stats(const struct rt_cgroup *cg, struct rt_cgroup_stats *out, struct nd_error *err);
int rt__v1_freeze(const struct rt_cgroup *cg, bool frozen, struct nd_error *err);
int rt__v2_freeze(const struct rt_cgroup *cg, bool frozen, struct nd_error *err);
bool rt__v1_frozen(const struct rt_cgroup *cg);
bool rt__v2_frozen(const struct rt_cgroup *cg);
int rt__cgroup_pids(const struct rt_cgroup *cg, pid_t **out, size_t *n, struct nd_error *err);
