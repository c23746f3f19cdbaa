// SPDX-License-Identifier: Apache-2.0
/* cgroup layout detection (pure v2, pure v1, hybrid) and what v1 and v2
 * managers share. The managers themselves are in cgroup_v1.c/cgroup_v2.c. */
#include "runtime/internal.h"
#include "runtime/cgroup_internal.h"

#include <dirent.h>
#include <signal.h>
#include <sys/stat.h>
#include <time.h>

static const char *const v1_known[] = {
	"cpu", "cpuacct", "cpuset", "memory", "devices", "freezer", "net_cls", "net_prio",
	"blkio", "perf_event", "hugetlb", "pids", "rdma", "misc", "debug",
};

const char *rt_cgroup_mode_name(enum rt_cgroup_mode m)
{
	switch (m) {
	case RT_CGROUP_V1: return "v1";
	case RT_CGROUP_V2: return "v2";
	case RT_CGROUP_HYBRID: return "hybrid";
	default: return "none";
	}
}

static void v1_controllers(const char *superopts, char *out, size_t size)
{
	out[0] = '\0';
	char buf[512];
	snprintf(buf, sizeof(buf), "%s", superopts);
	for (char *save = NULL, *t = strtok_r(buf, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
		bool known = nd_str_has_prefix(t, "name=");
		for (size_t i = 0; !known && i < ARRAY_SIZE(v1_known); i++)
			known = !strcmp(t, v1_known[i]);
		if (!known)
			continue;
		size_t l = strlen(out);
		snprintf(out + l, size - l, "%s%s", l ? "," : "", t);
	}
}

int rt_cgroup_layout_parse(const char *mountinfo, struct rt_cgroup_layout *out, struct nd_error *err)
{
	memset(out, 0, sizeof(*out));
	bool v2_at_root = false;
	const char *line = mountinfo;
	while (line && *line) {
		const char *eol = strchr(line, '\n');
		size_t len = eol ? (size_t)(eol - line) : strlen(line);
		char buf[2048];
		if (len >= sizeof(buf))
			goto next;
		memcpy(buf, line, len);
		buf[len] = '\0';
		char *sep = strstr(buf, " - ");
		if (!sep)
			goto next;
		*sep = '\0';
		char fstype[64] = "", source[256] = "", superopts[512] = "";
		if (sscanf(sep + 3, "%63s %255s %511s", fstype, source, superopts) < 2)
			goto next;
		char root[256] = "", mnt[256] = "";
		if (sscanf(buf, "%*s %*s %*s %255s %255s", root, mnt) != 2)
			goto next;
		if (!strcmp(fstype, "cgroup2")) {
			if (!out->unified[0] || !strcmp(mnt, "/sys/fs/cgroup"))
				snprintf(out->unified, sizeof(out->unified), "%s", mnt);
			if (!strcmp(mnt, "/sys/fs/cgroup"))
				v2_at_root = true;
		} else if (!strcmp(fstype, "cgroup") && out->n_v1 < RT_CGROUP_MAX_HIER) {
			char ctrls[64];
			v1_controllers(superopts, ctrls, sizeof(ctrls));
			if (!ctrls[0])
				goto next;
			bool dup = false;
			for (size_t i = 0; i < out->n_v1; i++)
				dup |= !strcmp(out->v1[i].controllers, ctrls);
			if (dup)
				goto next; /* the same hierarchy bind-mounted twice */
			snprintf(out->v1[out->n_v1].controllers, sizeof(out->v1[0].controllers), "%s", ctrls);
			snprintf(out->v1[out->n_v1].mountpoint, sizeof(out->v1[0].mountpoint), "%s", mnt);
			snprintf(out->v1[out->n_v1].root, sizeof(out->v1[0].root), "%s", root);
			out->n_v1++;
		}
next:
		line = eol ? eol + 1 : NULL;
	}
	if (v2_at_root)
		out->mode = RT_CGROUP_V2;
	else if (out->n_v1)
		out->mode = out->unified[0] ? RT_CGROUP_HYBRID : RT_CGROUP_V1;
	else if (out->unified[0])
		out->mode = RT_CGROUP_V2;
	else
		return nd_error_set(err, -ENOENT, "no cgroup mount found in mountinfo");
	return 0;
}

int rt_cgroup_layout_detect(struct rt_cgroup_layout *out, struct nd_error *err)
{
	_cleanup_free_ char *buf = NULL;
	int r = rt__read_file("/proc/self/mountinfo", &buf, NULL);
	if (r < 0)
		return nd_error_set(err, r, "read /proc/self/mountinfo: %s", strerror(-r));
	return rt_cgroup_layout_parse(buf, out, err);
}

const struct rt_cgroup_manager *rt_cgroup_manager_for(const struct rt_cgroup_layout *layout)
{
	switch (layout->mode) {
	case RT_CGROUP_V1:
	case RT_CGROUP_HYBRID:
		return &rt_cgroup_v1;
	case RT_CGROUP_V2:
		return &rt_cgroup_v2;
	default:
		return NULL;
	}
}

const struct rt_cgroup_manager *rt_cgroup_manager_by_name(const char *name)
{
	if (name && !strcmp(name, rt_cgroup_v1.name))
		return &rt_cgroup_v1;
	if (name && !strcmp(name, rt_cgroup_v2.name))
		return &rt_cgroup_v2;
	return NULL;
}

void rt_cgroup_clear(struct rt_cgroup *cg)
{
	for (size_t i = 0; i < cg->n; i++)
		free(cg->paths[i]);
	memset(cg, 0, sizeof(*cg));
}

json_t *rt__cgroup_to_json(const struct rt_cgroup *cg)
{
	json_t *paths = json_array();
	for (size_t i = 0; i < cg->n; i++)
		json_array_append_new(paths, json_string(cg->paths[i]));
	return json_pack("{s:s,s:o}", "manager", cg->mgr ? cg->mgr->name : "", "paths", paths);
}

int rt__cgroup_from_json(const json_t *j, struct rt_cgroup *out)
{
	memset(out, 0, sizeof(*out));
	out->mgr = rt_cgroup_manager_by_name(nd_json_str(j, "manager"));
	json_t *paths = json_object_get(j, "paths");
	size_t i;
	json_t *p;
	json_array_foreach(paths, i, p) {
		if (out->n < RT_CGROUP_MAX_HIER && json_is_string(p))
			out->paths[out->n++] = strdup(json_string_value(p));
	}
	return out->mgr ? 0 : -EINVAL;
}

/* ---- shared by both managers ------------------------------------------------ */

/* The caller's path in the hierarchy whose /proc/self/cgroup controller
 * field is `ctrls` ("" for v2), minus the mount's root. */
int rt__cgroup_own_path(const char *own_cgroup, const char *ctrls, const char *mount_root,
			char *out, size_t size)
{
	out[0] = '\0';
	for (const char *line = own_cgroup; line && *line;) {
		const char *eol = strchr(line, '\n');
		size_t len = eol ? (size_t)(eol - line) : strlen(line);
		char buf[1024];
		if (len < sizeof(buf)) {
			memcpy(buf, line, len);
			buf[len] = '\0';
			char *c1 = strchr(buf, ':');
			char *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
			if (c2) {
				*c2 = '\0';
				const char *lc = c1 + 1, *path = c2 + 1;
				bool match;
				if (!*ctrls) {
					match = !*lc;
				} else {
					/* any controller in common */
					match = false;
					char cb[64];
					snprintf(cb, sizeof(cb), "%s", ctrls);
					for (char *s = NULL, *t = strtok_r(cb, ",", &s); t && !match;
					     t = strtok_r(NULL, ",", &s)) {
						size_t tl = strlen(t);
						for (const char *q = lc; *q && !match;) {
							size_t ql = strcspn(q, ",");
							match = ql == tl && !strncmp(q, t, tl);
							q += ql;
							if (*q == ',')
								q++;
						}
					}
				}
				if (match) {
					if (mount_root && strcmp(mount_root, "/") &&
					    nd_str_has_prefix(path, mount_root))
						path += strlen(mount_root);
					if (!strcmp(path, "/"))
						path = "";
					return nd_snprintf(out, size, "%s", path);
				}
			}
		}
		line = eol ? eol + 1 : NULL;
	}
	return -ENOENT;
}

int rt__cgroup_leaf_path(const char *mountpoint, const char *own, const char *parent,
			 const char *id, char *out, size_t size)
{
	if (parent[0] == '/')
		return nd_snprintf(out, size, "%s%s/%s", mountpoint, parent, id);
	return nd_snprintf(out, size, "%s%s/%s/%s", mountpoint, own, parent, id);
}

int rt__cgroup_write(const char *dir, const char *file, const char *val, struct nd_error *err)
{
	char path[PATH_MAX];
	if (nd_snprintf(path, sizeof(path), "%s/%s", dir, file) < 0)
		return nd_error_set(err, -ENAMETOOLONG, "cgroup path too long");
	int r = rt__write_str(path, val);
	if (r < 0)
		return nd_error_set(err, r, "write %s to %s: %s", val, path, strerror(-r));
	return 0;
}

int64_t rt__cgroup_read_key(const char *dir, const char *file, const char *key)
{
	char path[PATH_MAX];
	_cleanup_free_ char *buf = NULL;
	if (nd_snprintf(path, sizeof(path), "%s/%s", dir, file) < 0 || rt__read_file(path, &buf, NULL) < 0)
		return -1;
	size_t kl = strlen(key);
	for (char *l = buf; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL)
		if (!strncmp(l, key, kl) && l[kl] == ' ')
			return strtoll(l + kl + 1, NULL, 10);
	return -1;
}

/* SIGKILL everything in the dir, then rmdir; a missing dir is success. */
int rt__cgroup_kill_rmdir(const char *dir, bool use_cgroup_kill, struct nd_error *err)
{
	struct stat st;
	if (stat(dir, &st) < 0)
		return errno == ENOENT ? 0 : nd_error_set(err, -errno, "stat %s: %m", dir);
	char procs[PATH_MAX];
	if (nd_snprintf(procs, sizeof(procs), "%s/cgroup.procs", dir) < 0)
		return nd_error_set(err, -ENAMETOOLONG, "cgroup path too long");
	/* exiting tasks leave the cgroup a little after the wait: back off from
	 * 100us to 20ms, about 5s in all */
	long delay_ns = 100 * 1000;
	for (uint64_t deadline = nd_now_ns() + 5000000000ull; nd_now_ns() < deadline;) {
		if (rmdir(dir) == 0 || errno == ENOENT)
			return 0;
		if (errno != EBUSY)
			return nd_error_set(err, -errno, "rmdir %s: %m", dir);
		bool killed = false;
		if (use_cgroup_kill)
			killed = rt__cgroup_write(dir, "cgroup.kill", "1", NULL) == 0;
		if (!killed) {
			_cleanup_free_ char *buf = NULL;
			if (rt__read_file(procs, &buf, NULL) == 0)
				for (char *p = buf; *p;) {
					pid_t pid = (pid_t)strtol(p, &p, 10);
					if (pid > 0)
						kill(pid, SIGKILL);
					while (*p == '\n')
						p++;
					if (!pid)
						break;
				}
		}
		/* a sub-cgroup someone made inside (cgroupns): remove it too */
		DIR *d = opendir(dir);
		if (d) {
			struct dirent *de;
			while ((de = readdir(d)))
				if (de->d_type == DT_DIR && de->d_name[0] != '.') {
					char sub[PATH_MAX];
					if (nd_snprintf(sub, sizeof(sub), "%s/%s", dir, de->d_name) == 0)
						rt__cgroup_kill_rmdir(sub, use_cgroup_kill, NULL);
				}
			closedir(d);
		}
		nanosleep(&(struct timespec){ .tv_nsec = delay_ns }, NULL);
		if (delay_ns < 20 * 1000 * 1000)
			delay_ns *= 2;
	}
	return nd_error_set(err, -EBUSY, "rmdir %s: still busy after 5s", dir);
}
