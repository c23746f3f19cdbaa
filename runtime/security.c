// SPDX-License-Identifier: Apache-2.0
/* A container's security options (struct rt_security): their JSON form in
 * spec.json, and the steps that apply them, each called at its one place of
 * the container's start (container.c, process.c) and of an exec (exec.c
 * reads the same spec.json, so an exec'd process gets the same capabilities,
 * groups, rlimits, no_new_privs and seccomp filter as the container's). */
#include "runtime/internal.h"

#include <dirent.h>
#include <fcntl.h>
#include <grp.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/prctl.h>

void rt_security_clear(struct rt_security *sec)
{
	if (!sec)
		return;
	free(sec->seccomp);
	for (size_t i = 0; i < sec->n_devices; i++)
		free(sec->devices[i].path);
	free(sec->devices);
	for (char **g = sec->groups; g && *g; g++)
		free(*g);
	free(sec->groups);
	free(sec->ulimits);
	for (size_t i = 0; i < sec->n_sysctls; i++) {
		free(sec->sysctls[i].key);
		free(sec->sysctls[i].value);
	}
	free(sec->sysctls);
	memset(sec, 0, sizeof(*sec));
}

static json_t *u64(uint64_t v)
{
	/* RLIM_INFINITY and masks above INT64_MAX: -1 / the bits as signed */
	return json_integer((json_int_t)v);
}

json_t *rt__security_to_json(const struct rt_security *sec)
{
	json_t *o = json_object();
	json_object_set_new(o, "privileged", json_boolean(sec->privileged));
	if (sec->caps_set)
		json_object_set_new(o, "caps", u64(sec->caps));
	json_object_set_new(o, "new_privs", json_boolean(sec->new_privs));
	if (sec->seccomp)
		json_object_set_new(o, "seccomp", json_string(sec->seccomp));
	json_t *a = json_array();
	for (size_t i = 0; i < sec->n_devices; i++) {
		const struct rt_device *d = &sec->devices[i];
		char t[2] = { d->type, 0 };
		json_array_append_new(a, json_pack("{s:s,s:s,s:i,s:i,s:i,s:i,s:i,s:s}", "path", d->path, "type", t,
						   "major", (int)d->major, "minor", (int)d->minor, "mode",
						   (int)d->mode, "uid", (int)d->uid, "gid", (int)d->gid, "perms",
						   d->perms));
	}
	json_object_set_new(o, "devices", a);
	a = json_array();
	for (char **g = sec->groups; g && *g; g++)
		json_array_append_new(a, json_string(*g));
	json_object_set_new(o, "groups", a);
	a = json_array();
	for (size_t i = 0; i < sec->n_ulimits; i++)
		json_array_append_new(a, json_pack("{s:i,s:o,s:o}", "resource", sec->ulimits[i].resource, "soft",
						   u64(sec->ulimits[i].soft), "hard", u64(sec->ulimits[i].hard)));
	json_object_set_new(o, "ulimits", a);
	a = json_array();
	for (size_t i = 0; i < sec->n_sysctls; i++)
		json_array_append_new(a, json_pack("{s:s,s:s}", "key", sec->sysctls[i].key, "value",
						   sec->sysctls[i].value));
	json_object_set_new(o, "sysctls", a);
	return o;
}

static int bad(struct nd_error *err, const char *what)
{
	return nd_error_set(err, -EINVAL, "spec: security.%s is malformed", what);
}

int rt__security_from_json(const json_t *j, struct rt_security *out, struct nd_error *err)
{
	memset(out, 0, sizeof(*out));
	if (!j || json_is_null(j))
		return 0;
	if (!json_is_object(j))
		return bad(err, "");
	json_t *v;
	out->privileged = json_is_true(json_object_get(j, "privileged"));
	out->new_privs = json_is_true(json_object_get(j, "new_privs"));
	if ((v = json_object_get(j, "caps"))) {
		if (!json_is_integer(v))
			return bad(err, "caps");
		out->caps_set = true;
		out->caps = (uint64_t)json_integer_value(v);
	}
	if ((v = json_object_get(j, "seccomp"))) {
		if (!json_is_string(v))
			return bad(err, "seccomp");
		out->seccomp = strdup(json_string_value(v));
	}
	size_t i;
	json_t *e;
	v = json_object_get(j, "devices");
	if (json_array_size(v)) {
		out->devices = calloc(json_array_size(v), sizeof(*out->devices));
		if (!out->devices)
			return nd_error_set(err, -ENOMEM, "out of memory");
		json_array_foreach(v, i, e) {
			struct rt_device *d = &out->devices[out->n_devices];
			const char *path = NULL, *type = NULL, *perms = NULL;
			int maj = 0, min = 0, mode = 0, uid = 0, gid = 0;
			if (json_unpack(e, "{s:s,s:s,s:i,s:i,s:i,s:i,s:i,s:s}", "path", &path, "type", &type, "major",
					&maj, "minor", &min, "mode", &mode, "uid", &uid, "gid", &gid, "perms", &perms) < 0 ||
			    (type[0] != 'c' && type[0] != 'b') || strlen(perms) > 3 || path[0] != '/') {
				rt_security_clear(out);
				return bad(err, "devices");
			}
			d->path = strdup(path);
			d->type = type[0];
			d->major = (unsigned)maj;
			d->minor = (unsigned)min;
			d->mode = (unsigned)mode;
			d->uid = (uid_t)uid;
			d->gid = (gid_t)gid;
			snprintf(d->perms, sizeof(d->perms), "%s", perms);
			out->n_devices++;
		}
	}
	v = json_object_get(j, "groups");
	if (json_array_size(v)) {
		out->groups = calloc(json_array_size(v) + 1, sizeof(char *));
		if (!out->groups)
			return nd_error_set(err, -ENOMEM, "out of memory");
		json_array_foreach(v, i, e) {
			if (!json_is_string(e)) {
				rt_security_clear(out);
				return bad(err, "groups");
			}
			out->groups[i] = strdup(json_string_value(e));
		}
	}
	v = json_object_get(j, "ulimits");
	if (json_array_size(v)) {
		out->ulimits = calloc(json_array_size(v), sizeof(*out->ulimits));
		if (!out->ulimits)
			return nd_error_set(err, -ENOMEM, "out of memory");
		json_array_foreach(v, i, e) {
			json_int_t res = 0, soft = 0, hard = 0;
			if (json_unpack(e, "{s:I,s:I,s:I}", "resource", &res, "soft", &soft, "hard", &hard) < 0 ||
			    res < 0 || res >= RLIM_NLIMITS) {
				rt_security_clear(out);
				return bad(err, "ulimits");
			}
			out->ulimits[out->n_ulimits++] = (struct rt_ulimit){ (int)res, (uint64_t)soft, (uint64_t)hard };
		}
	}
	v = json_object_get(j, "sysctls");
	if (json_array_size(v)) {
		out->sysctls = calloc(json_array_size(v), sizeof(*out->sysctls));
		if (!out->sysctls)
			return nd_error_set(err, -ENOMEM, "out of memory");
		json_array_foreach(v, i, e) {
			const char *k = NULL, *val = NULL;
			if (json_unpack(e, "{s:s,s:s}", "key", &k, "value", &val) < 0 || strstr(k, "..") ||
			    strchr(k, '/')) {
				rt_security_clear(out);
				return bad(err, "sysctls");
			}
			out->sysctls[out->n_sysctls].key = strdup(k);
			out->sysctls[out->n_sysctls].value = strdup(val);
			out->n_sysctls++;
		}
	}
	return 0;
}

/* ---- capabilities ------------------------------------------------------------- */

uint64_t rt_security_caps(const struct rt_security *sec)
{
	if (!sec || (!sec->privileged && !sec->caps_set))
		return wire_cap_default_mask();
	uint64_t want = sec->privileged ? ~0ull : sec->caps;
	/* never more than this process may hold (its bounding set): on these
	 * hosts CAP_SYS_RESOURCE is missing even for root */
	uint64_t have = 0;
	for (int c = 0; c < 64; c++) {
		int r = prctl(PR_CAPBSET_READ, c, 0, 0, 0);
		if (r < 0)
			break;
		if (r == 1)
			have |= 1ull << c;
	}
	return want & have;
}

/* ---- cgroup ------------------------------------------------------------------- */

int rt__security_cgroup(const struct rt_cgroup *cg, const struct rt_security *sec, struct nd_error *err)
{
	if (!sec->privileged && !sec->n_devices)
		return 0;
	bool found = false;
	for (size_t i = 0; i < cg->n; i++) {
		char path[PATH_MAX];
		snprintf(path, sizeof(path), "%s/devices.allow", cg->paths[i]);
		if (access(path, F_OK) < 0)
			continue;
		found = true;
		int r;
		if (sec->privileged) {
			if ((r = rt__write_str(path, "a")) < 0)
				return nd_error_set(err, r, "devices.allow a: %s", strerror(-r));
			continue;
		}
		for (size_t k = 0; k < sec->n_devices; k++) {
			const struct rt_device *d = &sec->devices[k];
			char rule[64];
			snprintf(rule, sizeof(rule), "%c %u:%u %s", d->type, d->major, d->minor, d->perms);
			if ((r = rt__write_str(path, rule)) < 0)
				return nd_error_set(err, r, "devices.allow \"%s\": %s", rule, strerror(-r));
		}
	}
	if (!found && sec->n_devices && !sec->privileged && strcmp(cg->mgr->name, "v2") == 0)
		return nd_error_set(err, -ENOTSUP,
				    "--device needs the cgroup v1 devices controller: netd does not load cgroup2 "
				    "device programs yet, and will not hand out a device it cannot limit");
	return 0;
}

/* ---- devices -------------------------------------------------------------------- */

struct rt__hostdevs {
	size_t n;
	struct rt_device v[];
};

static void hostdevs_walk(const char *dir, struct rt__hostdevs **hd, size_t *cap, int depth)
{
	if (depth > 4)
		return;
	DIR *d = opendir(dir);
	if (!d)
		return;
	struct dirent *de;
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		char p[PATH_MAX];
		if (nd_snprintf(p, sizeof(p), "%s/%s", dir, de->d_name) < 0)
			continue;
		/* Docker's HostDevices skips these: the container has its own */
		if (!strcmp(p, "/dev/pts") || !strcmp(p, "/dev/shm") || !strcmp(p, "/dev/mqueue") ||
		    !strcmp(p, "/dev/console") || !strcmp(p, "/dev/ptmx") || !strcmp(p, "/dev/tty"))
			continue;
		struct stat st;
		if (lstat(p, &st) < 0)
			continue;
		if (S_ISDIR(st.st_mode)) {
			hostdevs_walk(p, hd, cap, depth + 1);
			continue;
		}
		if (!S_ISCHR(st.st_mode) && !S_ISBLK(st.st_mode))
			continue;
		if (!*hd || (*hd)->n == *cap) {
			size_t nc = *cap ? *cap * 2 : 64;
			struct rt__hostdevs *n = realloc(*hd, sizeof(**hd) + nc * sizeof(struct rt_device));
			if (!n)
				break;
			if (!*hd)
				n->n = 0;
			*hd = n;
			*cap = nc;
		}
		(*hd)->v[(*hd)->n++] = (struct rt_device){
			.path = strdup(p), .type = S_ISCHR(st.st_mode) ? 'c' : 'b', .major = major(st.st_rdev),
			.minor = minor(st.st_rdev), .mode = st.st_mode & 07777, .uid = st.st_uid, .gid = st.st_gid,
		};
	}
	closedir(d);
}

struct rt__hostdevs *rt__security_hostdevs(const struct rt_security *sec)
{
	if (!sec->privileged)
		return NULL;
	struct rt__hostdevs *hd = NULL;
	size_t cap = 0;
	hostdevs_walk("/dev", &hd, &cap, 0);
	return hd;
}

static int make_node(const struct rt_device *d, struct nd_error *err)
{
	char parent[PATH_MAX];
	snprintf(parent, sizeof(parent), "%s", d->path);
	char *s = strrchr(parent, '/');
	if (s && s != parent) {
		*s = '\0';
		int r = nd_mkdir_p(parent, 0755);
		if (r < 0)
			return nd_error_set(err, r, "mkdir %s: %s", parent, strerror(-r));
	}
	mode_t type = d->type == 'b' ? S_IFBLK : S_IFCHR;
	unlink(d->path); /* a --device may replace one of the defaults */
	if (mknod(d->path, type | (d->mode & 07777), makedev(d->major, d->minor)) < 0)
		return nd_error_set(err, -errno, "mknod %s: %m", d->path);
	if (chown(d->path, d->uid, d->gid) < 0)
		return nd_error_set(err, -errno, "chown %s: %m", d->path);
	if (chmod(d->path, d->mode & 07777) < 0)
		return nd_error_set(err, -errno, "chmod %s: %m", d->path);
	return 0;
}

int rt__security_devices(const struct rt_security *sec, struct rt__hostdevs *hd, struct nd_error *err)
{
	int r = 0;
	for (size_t i = 0; hd && i < hd->n; i++) {
		struct stat st;
		if (r == 0 && lstat(hd->v[i].path, &st) < 0 && (r = make_node(&hd->v[i], err)) < 0)
			nd_error_wrap(err, "privileged");
		free(hd->v[i].path);
	}
	free(hd);
	if (r < 0)
		return r;
	for (size_t i = 0; i < sec->n_devices; i++)
		if ((r = make_node(&sec->devices[i], err)) < 0)
			return nd_error_wrap(err, "--device");
	return 0;
}

/* ---- sysctls ---------------------------------------------------------------------- */

int rt__security_sysctls(const struct rt_security *sec, struct nd_error *err)
{
	for (size_t i = 0; i < sec->n_sysctls; i++) {
		char path[PATH_MAX];
		if (nd_snprintf(path, sizeof(path), "/proc/sys/%s", sec->sysctls[i].key) < 0)
			return nd_error_set(err, -ENAMETOOLONG, "sysctl %s: name too long", sec->sysctls[i].key);
		for (char *p = path + 10; *p; p++)
			if (*p == '.')
				*p = '/';
		int r = rt__write_str(path, sec->sysctls[i].value);
		if (r < 0)
			return nd_error_set(err, r, "sysctl %s=%s: %s", sec->sysctls[i].key, sec->sysctls[i].value,
					    strerror(-r));
	}
	return 0;
}

/* ---- groups and rlimits (in the process, before the user switch) ------------------ */

static bool all_digits(const char *s)
{
	if (!*s)
		return false;
	for (; *s; s++)
		if (*s < '0' || *s > '9')
			return false;
	return true;
}

int rt__security_groups(const struct rt_security *sec, struct rt_user *u, struct nd_error *err)
{
	for (char **g = sec ? sec->groups : NULL; g && *g; g++) {
		gid_t gid;
		if (all_digits(*g)) {
			gid = (gid_t)strtoul(*g, NULL, 10);
		} else {
			_cleanup_fclose_ FILE *f = fopen("/etc/group", "re");
			bool found = false;
			char line[4096];
			size_t nl = strlen(*g);
			while (f && !found && fgets(line, sizeof(line), f)) {
				char *c1 = strchr(line, ':');
				char *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
				if (!c2 || (size_t)(c1 - line) != nl || strncmp(line, *g, nl) != 0)
					continue;
				gid = (gid_t)strtoul(c2 + 1, NULL, 10);
				found = true;
			}
			if (!found)
				return nd_error_set(err, -ENOENT,
						    "--group-add %s: unable to find group %s: no matching entries in group file",
						    *g, *g);
		}
		bool dup = false;
		for (size_t i = 0; i < u->n_groups; i++)
			dup |= u->groups[i] == gid;
		if (dup)
			continue;
		if (u->n_groups == RT_MAX_GROUPS)
			return nd_error_set(err, -E2BIG, "--group-add: more than %d groups", RT_MAX_GROUPS);
		u->groups[u->n_groups++] = gid;
	}
	return 0;
}

int rt__security_rlimits(const struct rt_security *sec, struct nd_error *err)
{
	for (size_t i = 0; sec && i < sec->n_ulimits; i++) {
		const struct rt_ulimit *l = &sec->ulimits[i];
		struct rlimit rl = { .rlim_cur = (rlim_t)l->soft, .rlim_max = (rlim_t)l->hard };
		if (setrlimit(l->resource, &rl) < 0) {
			int e = errno;
			struct rlimit now = { 0 };
			getrlimit(l->resource, &now);
			if (e == EPERM)
				return nd_error_set(err, -e,
						    "--ulimit: setrlimit(%d, %llu:%llu): raising the hard limit above "
						    "%llu needs CAP_SYS_RESOURCE, which netd does not have",
						    l->resource, (unsigned long long)l->soft, (unsigned long long)l->hard,
						    (unsigned long long)now.rlim_max);
			return nd_error_set(err, -e, "--ulimit: setrlimit(%d): %s", l->resource, strerror(e));
		}
	}
	return 0;
}

/* ---- seccomp ----------------------------------------------------------------------- */

static bool has_profile(const struct rt_security *sec)
{
	return sec->seccomp && strcmp(sec->seccomp, "unconfined") != 0;
}

int rt__security_seccomp_compile(const struct rt_spec *spec, struct nd_error *err)
{
	if (!has_profile(&spec->security))
		return 0;
	struct rt_seccomp_profile p;
	int r = rt_seccomp_profile_parse(spec->security.seccomp, rt_security_caps(&spec->security), NULL, &p, err);
	if (r < 0)
		return nd_error_wrap(err, "seccomp profile");
	char path[PATH_MAX];
	nd_snprintf(path, sizeof(path), "%s/" RT_SECCOMP_BPF, spec->state_dir);
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		r = nd_error_set(err, -errno, "create %s: %m", path);
	else
		r = rt__seccomp_profile_export(&p, fd, err);
	if (fd >= 0 && close(fd) < 0 && r == 0)
		r = nd_error_set(err, -errno, "write %s: %m", path);
	rt_seccomp_profile_clear(&p);
	return r;
}

void rt__security_bpf_read(const char *state_dir, char **bpf, size_t *len)
{
	char path[PATH_MAX];
	*bpf = NULL;
	*len = 0;
	if (nd_snprintf(path, sizeof(path), "%s/" RT_SECCOMP_BPF, state_dir) == 0 && rt__read_file(path, bpf, len) < 0)
		*bpf = NULL;
}

int rt__security_seccomp(const struct rt_security *sec, const char *bpf, size_t bpf_len, struct nd_error *err)
{
	if (sec && sec->privileged && !sec->seccomp)
		return 0;
	if (!sec || !sec->seccomp)
		return rt__seccomp_load_default(err);
	if (strcmp(sec->seccomp, "unconfined") == 0)
		return 0;
	struct rt_seccomp_profile p;
	int r = rt_seccomp_profile_parse(sec->seccomp, rt_security_caps(sec), NULL, &p, err);
	if (r < 0)
		return nd_error_wrap(err, "seccomp profile");
	r = bpf ? rt__seccomp_bpf_load(&p, bpf, bpf_len, err) : rt__seccomp_profile_load(&p, err);
	rt_seccomp_profile_clear(&p);
	return r;
}
