// SPDX-License-Identifier: Apache-2.0
/* cgroup counters (docker stats), the freezer (docker pause) and the pid
 * list (docker top) for the v1 and v2 managers. */
#include "runtime/cgroup_internal.h"

#include <time.h>

/* the dir of cg that has file (v1: one dir per hierarchy), or NULL */
static const char *dir_with(const struct rt_cgroup *cg, const char *file)
{
	char path[PATH_MAX];
	for (size_t i = 0; i < cg->n; i++) {
		if (nd_snprintf(path, sizeof(path), "%s/%s", cg->paths[i], file) == 0 && access(path, F_OK) == 0)
			return cg->paths[i];
	}
	return NULL;
}

static int read_text(const char *dir, const char *file, char **out)
{
	char path[PATH_MAX];
	*out = NULL;
	if (!dir || nd_snprintf(path, sizeof(path), "%s/%s", dir, file) < 0)
		return -ENOENT;
	return rt__read_file(path, out, NULL);
}

/* a single number; "max" is 0 (unlimited) */
static uint64_t read_u64(const char *dir, const char *file)
{
	_cleanup_free_ char *t = NULL;
	if (read_text(dir, file, &t) < 0)
		return 0;
	if (strncmp(t, "max", 3) == 0)
		return 0;
	return strtoull(t, NULL, 10);
}

static void read_memstat(const char *dir, struct rt_cgroup_stats *out)
{
	_cleanup_free_ char *t = NULL;
	if (read_text(dir, "memory.stat", &t) < 0)
		return;
	for (char *l = t; l && *l && out->n_memstat < RT_STATS_MAX_MEMSTAT;) {
		char *nl = strchr(l, '\n');
		if (nl)
			*nl = '\0';
		char *sp = strchr(l, ' ');
		if (sp && (size_t)(sp - l) < sizeof(out->memstat[0].key)) {
			snprintf(out->memstat[out->n_memstat].key, sizeof(out->memstat[0].key), "%.*s", (int)(sp - l), l);
			out->memstat[out->n_memstat++].value = strtoull(sp + 1, NULL, 10);
		}
		l = nl ? nl + 1 : NULL;
	}
}

static size_t blk_slot(struct rt_cgroup_stats *out, unsigned major, unsigned minor)
{
	for (size_t i = 0; i < out->n_blk; i++)
		if (out->blk[i].major == major && out->blk[i].minor == minor)
			return i;
	if (out->n_blk == RT_STATS_MAX_DEV)
		return SIZE_MAX;
	out->blk[out->n_blk].major = major;
	out->blk[out->n_blk].minor = minor;
	return out->n_blk++;
}

int rt__v1_stats(const struct rt_cgroup *cg, struct rt_cgroup_stats *out, struct nd_error *err)
{
	memset(out, 0, sizeof(*out));
	const char *cpu = dir_with(cg, "cpuacct.usage");
	out->cpu_total_ns = read_u64(cpu, "cpuacct.usage");
	long hz = sysconf(_SC_CLK_TCK);
	if (hz <= 0)
		hz = 100;
	int64_t u = cpu ? rt__cgroup_read_key(cpu, "cpuacct.stat", "user") : -1;
	int64_t s = cpu ? rt__cgroup_read_key(cpu, "cpuacct.stat", "system") : -1;
	out->cpu_user_ns = u > 0 ? (uint64_t)u * (1000000000ull / (uint64_t)hz) : 0;
	out->cpu_system_ns = s > 0 ? (uint64_t)s * (1000000000ull / (uint64_t)hz) : 0;
	const char *mem = dir_with(cg, "memory.usage_in_bytes");
	out->mem_usage = read_u64(mem, "memory.usage_in_bytes");
	out->mem_max_usage = read_u64(mem, "memory.max_usage_in_bytes");
	out->mem_limit = read_u64(mem, "memory.limit_in_bytes");
	if (out->mem_limit >= (1ull << 62))   /* v1's "unlimited" is a page-rounded LONG_MAX */
		out->mem_limit = 0;
	read_memstat(mem, out);
	const char *pids = dir_with(cg, "pids.current");
	out->pids_current = read_u64(pids, "pids.current");
	out->pids_limit = read_u64(pids, "pids.max");
	_cleanup_free_ char *io = NULL;
	if (read_text(dir_with(cg, "blkio.throttle.io_service_bytes"), "blkio.throttle.io_service_bytes", &io) == 0) {
		for (char *l = io; l && *l;) {
			unsigned ma, mi;
			char op[16];
			unsigned long long v;
			if (sscanf(l, "%u:%u %15s %llu", &ma, &mi, op, &v) == 4) {
				size_t k = blk_slot(out, ma, mi);
				if (k != SIZE_MAX && strcmp(op, "Read") == 0)
					out->blk[k].read = v;
				else if (k != SIZE_MAX && strcmp(op, "Write") == 0)
					out->blk[k].write = v;
			}
			l = strchr(l, '\n');
			l = l ? l + 1 : NULL;
		}
	}
	if (!cpu && !mem && !pids)
		return nd_error_set(err, -ENOENT, "the container's cgroup has no cpuacct, memory or pids controller");
	return 0;
}

int rt__v2_stats(const struct rt_cgroup *cg, struct rt_cgroup_stats *out, struct nd_error *err)
{
	memset(out, 0, sizeof(*out));
	if (!cg->n)
		return nd_error_set(err, -ENOENT, "no cgroup");
	const char *d = cg->paths[0];
	int64_t v;
	if ((v = rt__cgroup_read_key(d, "cpu.stat", "usage_usec")) > 0)
		out->cpu_total_ns = (uint64_t)v * 1000;
	if ((v = rt__cgroup_read_key(d, "cpu.stat", "user_usec")) > 0)
		out->cpu_user_ns = (uint64_t)v * 1000;
	if ((v = rt__cgroup_read_key(d, "cpu.stat", "system_usec")) > 0)
		out->cpu_system_ns = (uint64_t)v * 1000;
	out->mem_usage = read_u64(d, "memory.current");
	out->mem_max_usage = read_u64(d, "memory.peak");
	out->mem_limit = read_u64(d, "memory.max");
	read_memstat(d, out);
	out->pids_current = read_u64(d, "pids.current");
	out->pids_limit = read_u64(d, "pids.max");
	_cleanup_free_ char *io = NULL;
	if (read_text(d, "io.stat", &io) == 0) {
		for (char *l = io; l && *l;) {
			unsigned ma, mi;
			int n = 0;
			if (sscanf(l, "%u:%u%n", &ma, &mi, &n) == 2) {
				size_t k = blk_slot(out, ma, mi);
				char *nl = strchr(l, '\n');
				char *rb = strstr(l + n, "rbytes="), *wb = strstr(l + n, "wbytes=");
				if (k != SIZE_MAX && rb && (!nl || rb < nl))
					out->blk[k].read = strtoull(rb + 7, NULL, 10);
				if (k != SIZE_MAX && wb && (!nl || wb < nl))
					out->blk[k].write = strtoull(wb + 7, NULL, 10);
			}
			l = strchr(l, '\n');
			l = l ? l + 1 : NULL;
		}
	}
	return 0;
}

static void nap_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000 };
	nanosleep(&ts, NULL);
}

bool rt__v1_frozen(const struct rt_cgroup *cg)
{
	_cleanup_free_ char *t = NULL;
	return read_text(dir_with(cg, "freezer.state"), "freezer.state", &t) == 0 && strncmp(t, "FROZEN", 6) == 0;
}

int rt__v1_freeze(const struct rt_cgroup *cg, bool frozen, struct nd_error *err)
{
	const char *d = dir_with(cg, "freezer.state");
	if (!d)
		return nd_error_set(err, -ENOTSUP, "the cgroup v1 freezer controller is not mounted");
	const char *want = frozen ? "FROZEN" : "THAWED";
	/* FREEZING until every task stopped: write again until it says so (as runc) */
	for (int i = 0; i < 1000; i++) {
		int r = rt__cgroup_write(d, "freezer.state", want, err);
		if (r < 0)
			return r;
		_cleanup_free_ char *t = NULL;
		if (read_text(d, "freezer.state", &t) == 0 && strncmp(t, want, strlen(want)) == 0)
			return 0;
		nap_ms(i < 10 ? 1 : 10);
	}
	if (frozen)
		rt__cgroup_write(d, "freezer.state", "THAWED", NULL);
	return nd_error_set(err, -ETIMEDOUT, "%s: the freezer did not reach %s", d, want);
}

bool rt__v2_frozen(const struct rt_cgroup *cg)
{
	return cg->n && rt__cgroup_read_key(cg->paths[0], "cgroup.events", "frozen") == 1;
}

int rt__v2_freeze(const struct rt_cgroup *cg, bool frozen, struct nd_error *err)
{
	if (!cg->n)
		return nd_error_set(err, -ENOENT, "no cgroup");
	const char *d = cg->paths[0];
	int r = rt__cgroup_write(d, "cgroup.freeze", frozen ? "1" : "0", err);
	if (r < 0)
		return r;
	for (int i = 0; i < 1000; i++) {
		if (rt__cgroup_read_key(d, "cgroup.events", "frozen") == (frozen ? 1 : 0))
			return 0;
		nap_ms(i < 10 ? 1 : 10);
	}
	if (frozen)
		rt__cgroup_write(d, "cgroup.freeze", "0", NULL);
	return nd_error_set(err, -ETIMEDOUT, "%s: the cgroup did not %s", d, frozen ? "freeze" : "thaw");
}

int rt__cgroup_pids(const struct rt_cgroup *cg, pid_t **out, size_t *n, struct nd_error *err)
{
	*out = NULL;
	*n = 0;
	/* v1: every hierarchy lists the same processes; the pids one is ours for sure */
	const char *d = dir_with(cg, "pids.current");
	if (!d)
		d = dir_with(cg, "cgroup.procs");
	_cleanup_free_ char *t = NULL;
	int r = read_text(d, "cgroup.procs", &t);
	if (r < 0)
		return nd_error_set(err, r, "read the container's cgroup.procs: %s", strerror(-r));
	size_t cap = 0;
	for (char *l = t; l && *l;) {
		long p = strtol(l, NULL, 10);
		if (p > 0) {
			if (*n == cap) {
				cap = cap ? cap * 2 : 16;
				pid_t *nv = realloc(*out, cap * sizeof(pid_t));
				if (!nv) {
					free(*out);
					*out = NULL;
					*n = 0;
					return nd_error_set(err, -ENOMEM, "out of memory");
				}
				*out = nv;
			}
			(*out)[(*n)++] = (pid_t)p;
		}
		l = strchr(l, '\n');
		l = l ? l + 1 : NULL;
	}
	return 0;
}
