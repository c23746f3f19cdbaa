// SPDX-License-Identifier: Apache-2.0
/* Containers: the rt_spec's mounts from the container's resolved "Mounts"
 * (binds, volumes, tmpfs; decoded at create by the api layer) and
 * HostConfig.ReadonlyRootfs; and, on the pool before the first start, the
 * image's content copied into empty volumes (Docker's copy-up). */
#include "netd/ctr/ctr.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <linux/openat2.h>

static size_t depth(const char *p)
{
	size_t n = 0;
	for (; *p; p++)
		if (*p == '/' && p[1] && p[1] != '/')
			n++;
	return n;
}

static int by_depth(const void *a, const void *b)
{
	const struct rt_mount *x = a, *y = b;
	size_t dx = depth(x->destination), dy = depth(y->destination);
	return dx < dy ? -1 : dx > dy ? 1 : 0;
}

static int add(struct rt_spec *s, struct rt_mount *m, struct nd_error *err)
{
	/* a user's mount over /etc/hosts (...) replaces netd's file */
	for (size_t i = 0; i < s->n_mounts; i++)
		if (strcmp(s->mounts[i].destination, m->destination) == 0) {
			free(s->mounts[i].source);
			free(s->mounts[i].destination);
			free(s->mounts[i].options);
			free(s->mounts[i].propagation);
			s->mounts[i] = *m;
			return 0;
		}
	struct rt_mount *v = realloc(s->mounts, (s->n_mounts + 1) * sizeof(*v));
	if (!v)
		return nd_error_set(err, -ENOMEM, "out of memory");
	s->mounts = v;
	s->mounts[s->n_mounts++] = *m;
	return 0;
}

static char *dup_or_null(const char *s) { return s && *s ? strdup(s) : NULL; }

int ctr_spec_mounts(struct netd *d, const struct nd_container_rec *r, struct rt_spec *s, struct nd_error *err)
{
	const json_t *hc = json_object_get(r->doc, "HostConfig");
	s->readonly_rootfs = json_is_true(json_object_get(hc, "ReadonlyRootfs"));
	size_t i;
	json_t *e;
	int rc;
	json_array_foreach(json_object_get(r->doc, "Mounts"), i, e) {
		const char *type = nd_json_str(e, "Type") ?: "";
		const char *src = nd_json_str(e, "Source") ?: "";
		const char *dst = nd_json_str(e, "Destination") ?: "";
		struct rt_mount m = { 0 };
		m.readonly = !json_is_true(json_object_get(e, "RW"));
		if (strcmp(type, "tmpfs") == 0) {
			m.type = RT_MOUNT_TMPFS;
			m.options = dup_or_null(nd_json_str(e, "TmpfsData"));
			m.flags = (json_is_true(json_object_get(e, "NoSuid")) ? RT_MOUNT_NOSUID : 0) |
				  (json_is_true(json_object_get(e, "NoDev")) ? RT_MOUNT_NODEV : 0) |
				  (json_is_true(json_object_get(e, "NoExec")) ? RT_MOUNT_NOEXEC : 0);
		} else if (strcmp(type, "volume") == 0) {
			const char *name = nd_json_str(e, "Name") ?: "";
			if ((rc = ctr_volumes_mount(d, name, err)) < 0)
				return nd_error_wrap(err, "volume for %s", dst);
			m.source = strdup(src);
			m.propagation = dup_or_null(nd_json_str(e, "Propagation"));
		} else if (strcmp(type, "bind") == 0) {
			struct stat st;
			if (stat(src, &st) < 0 && errno == ENOENT && json_is_true(json_object_get(e, "CreateSource"))) {
				/* -v /host:/ctr makes a missing host dir, as Docker */
				if ((rc = nd_mkdir_p(src, 0755)) < 0)
					return nd_error_set(err, rc, "create bind source %s: %s", src, strerror(-rc));
			} else if (stat(src, &st) < 0) {
				return nd_error_set(err, -errno, "invalid mount config for type \"bind\": bind source path "
						    "does not exist: %s", src);
			}
			m.source = strdup(src);
			m.propagation = dup_or_null(nd_json_str(e, "Propagation"));
			m.nonrecursive = json_is_true(json_object_get(e, "NonRecursive"));
			m.ro_toplevel = json_is_true(json_object_get(e, "ReadOnlyNonRecursive"));
		} else {
			return nd_error_set(err, -EINVAL, "mount on %s: unknown type \"%s\"", dst, type);
		}
		m.destination = strdup(dst);
		if (!m.destination || (m.type == RT_MOUNT_BIND && !m.source)) {
			free(m.source);
			free(m.destination);
			return nd_error_set(err, -ENOMEM, "out of memory");
		}
		if ((rc = add(s, &m, err)) < 0) {
			free(m.source);
			free(m.destination);
			free(m.options);
			free(m.propagation);
			return rc;
		}
	}
	/* parents before children: /data before /data/cache */
	if (s->n_mounts > 1)
		qsort(s->mounts, s->n_mounts, sizeof(*s->mounts), by_depth);
	return 0;
}

/* ---- copy-up ------------------------------------------------------------------------ */

static int copy_data(int in, int out)
{
	for (;;) {
		ssize_t n = copy_file_range(in, NULL, out, NULL, 1 << 30, 0);
		if (n == 0)
			return 0;
		if (n > 0)
			continue;
		if (errno != EXDEV && errno != EINVAL && errno != ENOSYS && errno != EOPNOTSUPP)
			return -errno;
		break;
	}
	char buf[65536];
	for (;;) {
		ssize_t n = read(in, buf, sizeof(buf));
		if (n == 0)
			return 0;
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (nd_write_all(out, buf, (size_t)n) < 0)
			return -errno;
	}
}

static void copy_meta(int dfd, const char *name, const struct stat *st, bool link)
{
	fchownat(dfd, name, st->st_uid, st->st_gid, AT_SYMLINK_NOFOLLOW);
	if (!link)
		fchmodat(dfd, name, st->st_mode & 07777, 0);
	struct timespec ts[2] = { st->st_atim, st->st_mtim };
	utimensat(dfd, name, ts, AT_SYMLINK_NOFOLLOW);
}

static int copy_tree(int src, int dst, int level)
{
	if (level > 128)
		return -ELOOP;
	int sfd = fcntl(src, F_DUPFD_CLOEXEC, 3);
	DIR *dp = sfd >= 0 ? fdopendir(sfd) : NULL;
	if (!dp) {
		int e = -errno;
		if (sfd >= 0)
			close(sfd);
		return e;
	}
	int rc = 0;
	struct dirent *de;
	while (rc == 0 && (de = readdir(dp))) {
		const char *n = de->d_name;
		if (!strcmp(n, ".") || !strcmp(n, ".."))
			continue;
		struct stat st;
		if (fstatat(dirfd(dp), n, &st, AT_SYMLINK_NOFOLLOW) < 0) {
			rc = -errno;
			break;
		}
		if (S_ISDIR(st.st_mode)) {
			if (mkdirat(dst, n, 0700) < 0 && errno != EEXIST) {
				rc = -errno;
				break;
			}
			int a = openat(dirfd(dp), n, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
			int b = openat(dst, n, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
			rc = a < 0 || b < 0 ? -errno : copy_tree(a, b, level + 1);
			if (a >= 0)
				close(a);
			if (b >= 0)
				close(b);
			copy_meta(dst, n, &st, false);
		} else if (S_ISREG(st.st_mode)) {
			int a = openat(dirfd(dp), n, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
			int b = openat(dst, n, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
			rc = a < 0 || b < 0 ? -errno : copy_data(a, b);
			if (a >= 0)
				close(a);
			if (b >= 0)
				close(b);
			copy_meta(dst, n, &st, false);
		} else if (S_ISLNK(st.st_mode)) {
			char target[PATH_MAX];
			ssize_t l = readlinkat(dirfd(dp), n, target, sizeof(target) - 1);
			if (l < 0) {
				rc = -errno;
				break;
			}
			target[l] = '\0';
			if (symlinkat(target, dst, n) < 0 && errno != EEXIST)
				rc = -errno;
			else
				copy_meta(dst, n, &st, true);
		} else {
			if (mknodat(dst, n, st.st_mode, st.st_rdev) < 0 && errno != EEXIST)
				rc = -errno;
			else
				copy_meta(dst, n, &st, false);
		}
	}
	closedir(dp);
	return rc;
}

static bool dir_empty(int fd)
{
	int d = fcntl(fd, F_DUPFD_CLOEXEC, 3);
	DIR *dp = d >= 0 ? fdopendir(d) : NULL;
	if (!dp) {
		if (d >= 0)
			close(d);
		return false;
	}
	struct dirent *de;
	bool empty = true;
	while ((de = readdir(dp)))
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
			empty = false;
	closedir(dp);
	return empty;
}

int ctr_volumes_copy_up(struct netd *d, const struct rt_spec *s, bool first_start, struct nd_error *err)
{
	if (!first_start)
		return 0;
	char vols[PATH_MAX];
	snprintf(vols, sizeof(vols), "%s/volumes/", d->cfg.root);
	_cleanup_close_ int rootfd = -1;
	for (size_t i = 0; i < s->n_mounts; i++) {
		const struct rt_mount *m = &s->mounts[i];
		if (m->type != RT_MOUNT_BIND || !nd_str_has_prefix(m->source, vols))
			continue;
		if (rootfd < 0 && (rootfd = open(s->rootfs, O_PATH | O_DIRECTORY | O_CLOEXEC)) < 0)
			return nd_error_set(err, -errno, "open rootfs %s: %s", s->rootfs, strerror(errno));
		struct open_how how = {
			.flags = O_RDONLY | O_DIRECTORY | O_CLOEXEC,
			.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS,
		};
		_cleanup_close_ int src = (int)syscall(SYS_openat2, rootfd, m->destination + 1, &how, sizeof(how));
		if (src < 0)
			continue;  /* nothing in the image at that path */
		_cleanup_close_ int dst = open(m->source, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (dst < 0)
			return nd_error_set(err, -errno, "open volume %s: %s", m->source, strerror(errno));
		if (!dir_empty(dst))
			continue;
		int rc = copy_tree(src, dst, 0);
		if (rc < 0)
			return nd_error_set(err, rc, "copy the image's %s into its volume: %s", m->destination, strerror(-rc));
		struct stat st;
		if (fstat(src, &st) == 0) {
			if (fchown(dst, st.st_uid, st.st_gid) < 0 || fchmod(dst, st.st_mode & 07777) < 0)
				log_debug("volume %s: ownership: %s", m->source, strerror(errno));
		}
	}
	return 0;
}
