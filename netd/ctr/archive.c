// SPDX-License-Identifier: Apache-2.0
/* docker cp: /containers/{id}/archive. Paths are resolved inside the
 * container's root filesystem with openat2(RESOLVE_IN_ROOT) (images'
 * images_open_in_root), as image unpacking does: neither ".." nor a
 * symlink (absolute or relative) leads out of it; below the resolved
 * directory every step is an *at() call on a single name with no-follow.
 * A running container's root is /proc/PID/root (its mounts: /etc/hosts,
 * volumes); a stopped one's the overlay mount it ran on (mounted again
 * when needed). Everything
 * runs in the pool; the tars go through libarchive. */
#include "netd/ctr/ctr.h"

#include <archive.h>
#include <archive_entry.h>
#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <time.h>

struct archive_task {
	struct nd_job base;          /* first */
	struct ctr *c;
	char image[IMAGES_DIGEST_LEN + 1];
	char path[PATH_MAX];
	pid_t pid;                   /* running: its init, whose root is the one to use */
	bool want_tar, put;
	int in_fd;                   /* PUT: the body (not ours) */
	struct ctr_archive_put_opts opts;
	int out_fd;                  /* GET: the tar */
	int rc;
	struct nd_error err;
	struct ctr_path_stat st;
	void (*get_cb)(void *data, int rc, const struct nd_error *err, const struct ctr_path_stat *st, int fd);
	void (*put_cb)(void *data, int rc, const struct nd_error *err);
	void *data;
};

/* Lexical clean inside the root: "/a/./b/../c/" -> "a/c"; ".." stops at the root. */
static void path_clean(const char *in, char *out, size_t size)
{
	size_t len = 0;
	out[0] = '\0';
	for (const char *p = in; *p;) {
		while (*p == '/')
			p++;
		if (!*p)
			break;
		size_t n = strcspn(p, "/");
		if (n == 1 && p[0] == '.') {
		} else if (n == 2 && p[0] == '.' && p[1] == '.') {
			char *slash = strrchr(out, '/');
			len = slash ? (size_t)(slash - out) : 0;
			out[len] = '\0';
		} else if (len + n + 2 < size) {
			if (len)
				out[len++] = '/';
			memcpy(out + len, p, n);
			len += n;
			out[len] = '\0';
		}
		p += n;
	}
}

static uint32_t go_mode(mode_t m)
{
	uint32_t g = m & 0777;
	if (S_ISDIR(m))
		g |= 1u << 31;
	else if (S_ISLNK(m))
		g |= 1u << 27;
	else if (S_ISBLK(m))
		g |= 1u << 26;
	else if (S_ISCHR(m))
		g |= (1u << 26) | (1u << 21);
	else if (S_ISFIFO(m))
		g |= 1u << 25;
	else if (S_ISSOCK(m))
		g |= 1u << 24;
	if (m & S_ISUID)
		g |= 1u << 23;
	if (m & S_ISGID)
		g |= 1u << 22;
	if (m & S_ISVTX)
		g |= 1u << 20;
	return g;
}

/* the parent dir of rel (opened in the root) and rel's last name */
static int open_parent(int rootfd, const char *rel, const char **base)
{
	char parent[PATH_MAX];
	snprintf(parent, sizeof(parent), "%s", rel);
	char *slash = strrchr(parent, '/');
	if (slash) {
		*slash = '\0';
		*base = rel + (slash - parent) + 1;
	} else {
		parent[0] = '\0';
		*base = rel;
	}
	return images_open_in_root(rootfd, parent, O_RDONLY | O_DIRECTORY, 0, true);
}

static int mount_rootfs(struct archive_task *t, int *rootfd)
{
	if (t->pid > 0) {
		/* running: its root as its mount namespace has it (the bind-mounted
		 * /etc/hosts, volumes), inside which every path is resolved */
		char p[64];
		snprintf(p, sizeof(p), "/proc/%d/root", (int)t->pid);
		*rootfd = open(p, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (*rootfd >= 0)
			return 0;
	}
	char rootfs[PATH_MAX];
	int rc = images_rootfs_mount(t->c->d->images, t->c->id, t->image, rootfs, sizeof(rootfs), &t->err);
	if (rc < 0)
		return rc;
	*rootfd = open(rootfs, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (*rootfd < 0)
		return nd_error_set(&t->err, -errno, "open %s: %s", rootfs, strerror(errno));
	return 0;
}

/* ---- GET / HEAD ---------------------------------------------------------------------- */

static int tar_fail(struct archive_task *t, struct archive *a, const char *what)
{
	return nd_error_set(&t->err, -EIO, "tar %s: %s", what, archive_error_string(a) ?: "error");
}

static int tar_add(struct archive_task *t, struct archive *a, int dfd, const char *name, const char *arcname)
{
	struct stat st;
	if (fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return errno == ENOENT ? 0 : nd_error_set(&t->err, -errno, "stat %s: %s", arcname, strerror(errno));
	struct archive_entry *e = archive_entry_new();
	if (!e)
		return nd_error_set(&t->err, -ENOMEM, "out of memory");
	archive_entry_copy_stat(e, &st);
	archive_entry_set_pathname(e, arcname);
	int rc = 0, fd = -1;
	if (S_ISLNK(st.st_mode)) {
		char target[PATH_MAX];
		ssize_t n = readlinkat(dfd, name, target, sizeof(target) - 1);
		target[n > 0 ? n : 0] = '\0';
		archive_entry_set_symlink(e, target);
		archive_entry_set_size(e, 0);
	} else if (S_ISREG(st.st_mode)) {
		fd = openat(dfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
		if (fd < 0) {
			archive_entry_free(e);
			return nd_error_set(&t->err, -errno, "open %s: %s", arcname, strerror(errno));
		}
	} else {
		archive_entry_set_size(e, 0);
	}
	if (archive_write_header(a, e) != ARCHIVE_OK)
		rc = tar_fail(t, a, "header");
	archive_entry_free(e);
	if (rc == 0 && fd >= 0) {
		char buf[65536];
		ssize_t n;
		while ((n = read(fd, buf, sizeof(buf))) > 0)
			if (archive_write_data(a, buf, (size_t)n) < 0) {
				rc = tar_fail(t, a, "data");
				break;
			}
	}
	if (fd >= 0)
		close(fd);
	if (rc < 0 || !S_ISDIR(st.st_mode))
		return rc;
	int sub = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (sub < 0)
		return 0;
	DIR *d = fdopendir(sub);
	if (!d) {
		close(sub);
		return 0;
	}
	struct dirent *de;
	while (rc == 0 && (de = readdir(d))) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		char child[PATH_MAX];
		if (nd_snprintf(child, sizeof(child), "%s/%s", arcname, de->d_name) < 0)
			continue;
		rc = tar_add(t, a, dirfd(d), de->d_name, child);
	}
	closedir(d);
	return rc;
}

static void get_work(struct nd_job *base)
{
	struct archive_task *t = (struct archive_task *)base;
	_cleanup_close_ int rootfd = -1, pfd = -1;
	t->out_fd = -1;
	if ((t->rc = mount_rootfs(t, &rootfd)) < 0)
		return;
	char rel[PATH_MAX];
	path_clean(t->path, rel, sizeof(rel));
	size_t pl = strlen(t->path);
	bool contents = pl >= 2 && strcmp(t->path + pl - 2, "/.") == 0;  /* "dir/.": its content */
	bool want_dir = pl >= 1 && t->path[pl - 1] == '/';
	const char *bname;
	struct stat st;
	if (!rel[0] || want_dir || contents) {
		/* the root, or "dir/": the directory the path resolves to (symlinks
		 * followed, inside the root) */
		pfd = images_open_in_root(rootfd, rel, O_RDONLY | O_DIRECTORY, 0, true);
		bname = ".";
		if (pfd < 0 && pfd != -ENOENT) {
			t->rc = nd_error_set(&t->err, -EINVAL, "%s: not a directory", t->path);
			return;
		}
	} else {
		pfd = open_parent(rootfd, rel, &bname);
	}
	if (pfd < 0 || fstatat(pfd, bname, &st, AT_SYMLINK_NOFOLLOW) < 0) {
		t->rc = nd_error_set(&t->err, -ENOENT, "Could not find the file %s in container %.12s", t->path, t->c->id);
		return;
	}
	if ((want_dir || contents) && !S_ISDIR(st.st_mode)) {
		t->rc = nd_error_set(&t->err, -EINVAL, "%s: not a directory", t->path);
		return;
	}
	const char *slash = strrchr(rel, '/');
	const char *last = slash ? slash + 1 : rel;
	snprintf(t->st.name, sizeof(t->st.name), "%s", rel[0] ? last : "/");
	t->st.size = st.st_size;
	t->st.mode = go_mode(st.st_mode);
	struct tm tm;
	gmtime_r(&st.st_mtim.tv_sec, &tm);
	char ts[32];
	strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(t->st.mtime, sizeof(t->st.mtime), "%s.%09ldZ", ts, (long)st.st_mtim.tv_nsec);
	if (S_ISLNK(st.st_mode)) {
		ssize_t n = readlinkat(pfd, bname, t->st.link_target, sizeof(t->st.link_target) - 1);
		t->st.link_target[n > 0 ? n : 0] = '\0';
	}
	if (!t->want_tar)
		return;
	int fd = open(t->c->d->cfg.root, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
	if (fd < 0) {
		t->rc = nd_error_set(&t->err, -errno, "temporary file in %s: %s", t->c->d->cfg.root, strerror(errno));
		return;
	}
	struct archive *a = archive_write_new();
	if (!a || archive_write_set_format_pax_restricted(a) != ARCHIVE_OK || archive_write_open_fd(a, fd) != ARCHIVE_OK) {
		t->rc = nd_error_set(&t->err, -EIO, "tar: %s", a ? archive_error_string(a) ?: "error" : "out of memory");
		archive_write_free(a);
		close(fd);
		return;
	}
	t->rc = tar_add(t, a, pfd, bname, contents ? "." : rel[0] ? last : ".");
	if (archive_write_close(a) != ARCHIVE_OK && t->rc == 0)
		t->rc = tar_fail(t, a, "close");
	archive_write_free(a);
	if (t->rc < 0 || lseek(fd, 0, SEEK_SET) < 0) {
		if (t->rc == 0)
			t->rc = nd_error_set(&t->err, -errno, "rewind: %s", strerror(errno));
		close(fd);
		return;
	}
	t->out_fd = fd;
}

/* ---- PUT ----------------------------------------------------------------------------------- */

/* mkdir -p of rel inside the root, each step resolved in it */
static int mkdir_in_root(int rootfd, const char *rel)
{
	char cur[PATH_MAX] = "";
	for (const char *p = rel; *p;) {
		size_t n = strcspn(p, "/");
		size_t l = strlen(cur);
		snprintf(cur + l, sizeof(cur) - l, "%s%.*s", l ? "/" : "", (int)n, p);
		const char *bname;
		int pfd = open_parent(rootfd, cur, &bname);
		if (pfd < 0)
			return pfd;
		int r = mkdirat(pfd, bname, 0755) < 0 && errno != EEXIST ? -errno : 0;
		close(pfd);
		if (r < 0)
			return r;
		p += n;
		while (*p == '/')
			p++;
	}
	return 0;
}

static int put_entry(struct archive_task *t, struct archive *a, struct archive_entry *e, int rootfd, const char *dest)
{
	char name[PATH_MAX], full[PATH_MAX * 2 + 2];
	path_clean(archive_entry_pathname(e) ?: "", name, sizeof(name));
	if (!name[0])
		return 0;   /* "." itself: the destination exists */
	snprintf(full, sizeof(full), "%s%s%s", dest, dest[0] ? "/" : "", name);
	char parent[sizeof(full)];
	snprintf(parent, sizeof(parent), "%s", full);
	char *slash = strrchr(parent, '/');
	if (slash) {
		*slash = '\0';
		mkdir_in_root(rootfd, parent);
	}
	const char *bname;
	_cleanup_close_ int pfd = open_parent(rootfd, full, &bname);
	if (pfd < 0)
		return nd_error_set(&t->err, pfd, "%s: parent directory: %s", name, strerror(-pfd));
	mode_t type = archive_entry_filetype(e);
	mode_t perm = archive_entry_perm(e) & 07777;
	const char *hardlink = archive_entry_hardlink(e);
	struct stat cur;
	bool exists = fstatat(pfd, bname, &cur, AT_SYMLINK_NOFOLLOW) == 0;
	if (exists && S_ISDIR(cur.st_mode) && type == AE_IFDIR) {
		/* keep it, take the mode below */
	} else if (exists) {
		if (t->opts.no_overwrite_dir_non_dir && (S_ISDIR(cur.st_mode) != (type == AE_IFDIR)))
			return nd_error_set(&t->err, -EINVAL, "cannot overwrite %s %s with a %s", S_ISDIR(cur.st_mode) ?
					    "directory" : "non-directory", name, type == AE_IFDIR ? "directory" : "non-directory");
		if (unlinkat(pfd, bname, S_ISDIR(cur.st_mode) ? AT_REMOVEDIR : 0) < 0)
			return nd_error_set(&t->err, -errno, "replace %s: %s", name, strerror(errno));
	}
	uid_t uid = t->opts.copy_uid_gid ? (uid_t)archive_entry_uid(e) : 0;
	gid_t gid = t->opts.copy_uid_gid ? (gid_t)archive_entry_gid(e) : 0;
	int fd = -1;
	if (hardlink) {
		char src[PATH_MAX], sfull[PATH_MAX * 2 + 2];
		path_clean(hardlink, src, sizeof(src));
		snprintf(sfull, sizeof(sfull), "%s%s%s", dest, dest[0] ? "/" : "", src);
		_cleanup_close_ int sfd = images_open_in_root(rootfd, sfull, O_PATH | O_NOFOLLOW, 0, true);
		if (sfd < 0 || linkat(sfd, "", pfd, bname, AT_EMPTY_PATH) < 0)
			return nd_error_set(&t->err, sfd < 0 ? sfd : -errno, "hard link %s -> %s: %s", name, src,
					    strerror(sfd < 0 ? -sfd : errno));
		return 0;
	}
	switch (type) {
	case AE_IFDIR:
		if (!exists && mkdirat(pfd, bname, 0700) < 0)
			return nd_error_set(&t->err, -errno, "mkdir %s: %s", name, strerror(errno));
		fd = openat(pfd, bname, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		break;
	case AE_IFREG: {
		fd = openat(pfd, bname, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
		if (fd < 0)
			return nd_error_set(&t->err, -errno, "create %s: %s", name, strerror(errno));
		const void *buf;
		size_t size;
		la_int64_t off;
		int r;
		while ((r = archive_read_data_block(a, &buf, &size, &off)) == ARCHIVE_OK) {
			if (pwrite(fd, buf, size, off) != (ssize_t)size) {
				close(fd);
				return nd_error_set(&t->err, -errno ? -errno : -EIO, "write %s: %s", name, strerror(errno));
			}
		}
		if (r != ARCHIVE_EOF) {
			close(fd);
			return nd_error_set(&t->err, -EIO, "read %s from the archive: %s", name, archive_error_string(a) ?: "error");
		}
		if (ftruncate(fd, archive_entry_size(e)) < 0) {
			close(fd);
			return nd_error_set(&t->err, -errno, "size %s: %s", name, strerror(errno));
		}
		break;
	}
	case AE_IFLNK: {
		const char *target = archive_entry_symlink(e) ?: "";
		if (symlinkat(target, pfd, bname) < 0)
			return nd_error_set(&t->err, -errno, "symlink %s: %s", name, strerror(errno));
		fchownat(pfd, bname, uid, gid, AT_SYMLINK_NOFOLLOW);
		struct timespec ts[2] = { { archive_entry_mtime(e), 0 }, { archive_entry_mtime(e), 0 } };
		utimensat(pfd, bname, ts, AT_SYMLINK_NOFOLLOW);
		return 0;
	}
	case AE_IFCHR:
	case AE_IFBLK:
	case AE_IFIFO:
		if (mknodat(pfd, bname, type | perm, makedev(archive_entry_rdevmajor(e), archive_entry_rdevminor(e))) < 0)
			return nd_error_set(&t->err, -errno, "mknod %s: %s", name, strerror(errno));
		fd = openat(pfd, bname, O_PATH | O_NOFOLLOW | O_CLOEXEC);
		if (fd >= 0) {
			char proc[64];
			snprintf(proc, sizeof(proc), "/proc/self/fd/%d", fd);
			if (chown(proc, uid, gid) < 0 || chmod(proc, perm) < 0)
				log_debug("cp: ownership of %s: %m", name);
			close(fd);
		}
		return 0;
	default:
		return 0;    /* sockets and the like: skipped, as Docker's archive does */
	}
	if (fd < 0)
		return nd_error_set(&t->err, -errno, "open %s: %s", name, strerror(errno));
	int r = 0;
	if (fchown(fd, uid, gid) < 0 || fchmod(fd, perm) < 0)
		r = nd_error_set(&t->err, -errno, "set owner/mode of %s: %s", name, strerror(errno));
	struct timespec ts[2] = { { archive_entry_mtime(e), archive_entry_mtime_nsec(e) },
				  { archive_entry_mtime(e), archive_entry_mtime_nsec(e) } };
	futimens(fd, ts);
	close(fd);
	return r;
}

static void put_work(struct nd_job *base)
{
	struct archive_task *t = (struct archive_task *)base;
	_cleanup_close_ int rootfd = -1;
	if ((t->rc = mount_rootfs(t, &rootfd)) < 0)
		return;
	char dest[PATH_MAX];
	path_clean(t->path, dest, sizeof(dest));
	_cleanup_close_ int dfd = images_open_in_root(rootfd, dest, O_PATH, 0, true);
	struct stat st;
	if (dfd < 0 || fstat(dfd, &st) < 0) {
		t->rc = nd_error_set(&t->err, -ENOENT, "Could not find the file %s in container %.12s", t->path, t->c->id);
		return;
	}
	if (!S_ISDIR(st.st_mode)) {
		t->rc = nd_error_set(&t->err, -EINVAL, "extraction point is not a directory: %s", t->path);
		return;
	}
	/* dest as the kernel resolved it (a symlinked destination, inside the root) */
	struct archive *a = archive_read_new();
	if (!a) {
		t->rc = nd_error_set(&t->err, -ENOMEM, "out of memory");
		return;
	}
	archive_read_support_format_tar(a);
	archive_read_support_format_gnutar(a);
	archive_read_support_filter_all(a);
	if (archive_read_open_fd(a, t->in_fd, 65536) != ARCHIVE_OK) {
		t->rc = nd_error_set(&t->err, -EINVAL, "the body is not a tar archive: %s", archive_error_string(a) ?: "error");
		archive_read_free(a);
		return;
	}
	struct archive_entry *e;
	int r;
	size_t n = 0;
	while ((r = archive_read_next_header(a, &e)) == ARCHIVE_OK) {
		if ((t->rc = put_entry(t, a, e, rootfd, dest)) < 0)
			break;
		n++;
	}
	if (t->rc == 0 && r != ARCHIVE_EOF)
		t->rc = nd_error_set(&t->err, -EINVAL, "reading the tar archive: %s", archive_error_string(a) ?: "error");
	archive_read_free(a);
	log_debug("container=%.12s cp into %s entries=%zu rc=%d", t->c->id, dest, n, t->rc);
}

/* ---- on the loop ----------------------------------------------------------------------------- */

static void task_done(struct nd_job *base)
{
	struct archive_task *t = (struct archive_task *)base;
	struct ctr *c = t->c;
	if (t->put)
		t->put_cb(t->data, t->rc, t->rc < 0 ? &t->err : NULL);
	else
		t->get_cb(t->data, t->rc, t->rc < 0 ? &t->err : NULL, &t->st, t->out_fd);
	free(t);
	ctr__op_release(c);
}

static struct archive_task *task_new(struct ctr *c, const char *path, struct nd_error *err)
{
	if (c->phase == CTR_REMOVING || c->phase == CTR_REMOVED || c->remove_requested) {
		nd_error_set(err, -EBUSY, "container %.12s is being removed", c->id);
		return NULL;
	}
	if (!path || !*path) {
		nd_error_set(err, -EINVAL, "a path is required");
		return NULL;
	}
	struct nd_container_rec r;
	if (ctr_load(c->d, c->id, &r, err) < 0)
		return NULL;
	struct archive_task *t = calloc(1, sizeof(*t));
	if (!t) {
		nd_container_rec_clear(&r);
		nd_error_set(err, -ENOMEM, "out of memory");
		return NULL;
	}
	t->c = c;
	t->pid = ctr_running(c) ? c->st.pid : 0;
	snprintf(t->image, sizeof(t->image), "%s", r.image);
	snprintf(t->path, sizeof(t->path), "%s", path);
	nd_container_rec_clear(&r);
	return t;
}

void ctr_archive_get(struct ctr *c, const char *path, bool want_tar,
		     void (*cb)(void *data, int rc, const struct nd_error *err, const struct ctr_path_stat *st, int fd),
		     void *data)
{
	struct nd_error err = { 0 };
	struct archive_task *t = task_new(c, path, &err);
	if (!t) {
		cb(data, err.code, &err, NULL, -1);
		return;
	}
	t->want_tar = want_tar;
	t->get_cb = cb;
	t->data = data;
	t->base.work = get_work;
	t->base.done = task_done;
	ctr__op_hold(c);
	nd_job_queue(c->d->loop, &t->base);
}

void ctr_archive_put(struct ctr *c, const char *path, int fd, const struct ctr_archive_put_opts *o,
		     void (*cb)(void *data, int rc, const struct nd_error *err), void *data)
{
	struct nd_error err = { 0 };
	struct archive_task *t = task_new(c, path, &err);
	if (!t) {
		cb(data, err.code, &err);
		return;
	}
	t->put = true;
	t->in_fd = fd;
	if (o)
		t->opts = *o;
	t->put_cb = cb;
	t->data = data;
	t->base.work = put_work;
	t->base.done = task_done;
	ctr__op_hold(c);
	nd_job_queue(c->d->loop, &t->base);
}
