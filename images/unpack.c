// SPDX-License-Identifier: Apache-2.0
/* images: layer unpack with libarchive into an overlay2 diff dir.
 *
 * One pass: a "raw" libarchive reader decompresses (gzip, zstd, xz, bzip2 or
 * none); its bytes are hashed (the diff ID), optionally teed to a file, and
 * fed to a tar reader. Every entry is created relative to the layer root fd:
 * its name is cleaned (".." may not climb out), its parent is opened with
 * openat2(RESOLVE_IN_ROOT) so symlinks resolve inside the layer, and the
 * entry itself is created with O_EXCL/O_NOFOLLOW after removing whatever
 * was there, so nothing is ever written through an existing node. */
#include "images/images-internal.h"

#include <archive.h>
#include <archive_entry.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/time.h>
#include <sys/xattr.h>

#define OPAQUE_XATTR "trusted.overlay.opaque"

struct src {
	struct archive *raw;
	EVP_MD_CTX *md;
	int tee_fd;
	int64_t total;
	bool eof;
};

static la_ssize_t src_read(struct archive *a, void *ud, const void **buf)
{
	struct src *s = ud;
	if (s->eof)
		return 0;
	size_t sz = 0;
	la_int64_t off;
	int r = archive_read_data_block(s->raw, buf, &sz, &off);
	if (r == ARCHIVE_EOF) {
		s->eof = true;
		return 0;
	}
	if (r < ARCHIVE_WARN) {
		archive_set_error(a, archive_errno(s->raw) ? archive_errno(s->raw) : EIO, "%s",
				  archive_error_string(s->raw) ? archive_error_string(s->raw) : "read error");
		return -1;
	}
	EVP_DigestUpdate(s->md, *buf, sz);
	if (s->tee_fd >= 0) {
		const char *p = *buf;
		size_t left = sz;
		while (left) {
			ssize_t n = write(s->tee_fd, p, left);
			if (n < 0 && errno == EINTR)
				continue;
			if (n < 0) {
				archive_set_error(a, errno, "write: %s", strerror(errno));
				return -1;
			}
			p += n;
			left -= (size_t)n;
		}
	}
	s->total += (int64_t)sz;
	return (la_ssize_t)sz;
}

struct dirtime {
	char *path;
	struct timespec ts[2];
};

struct unpacker {
	int rootfd;
	/* cache of the last parent dir */
	char cache_path[4096];
	int cache_fd;
	struct dirtime *dt;
	size_t ndt, cap;
	int64_t size;
};

static void cache_drop(struct unpacker *u)
{
	if (u->cache_fd >= 0)
		close(u->cache_fd);
	u->cache_fd = -1;
	u->cache_path[0] = '\0';
}

/* Opens (creating as 0755 dirs where missing) the directory rel inside the
 * root; returns a borrowed fd (valid until the next call). */
static int open_parent(struct unpacker *u, const char *rel, struct nd_error *err)
{
	if (u->cache_fd >= 0 && strcmp(u->cache_path, rel) == 0)
		return u->cache_fd;
	cache_drop(u);
	int fd = images__open_in_root(u->rootfd, rel, O_PATH | O_DIRECTORY, 0);
	if (fd == -ENOENT) {
		/* create the missing components one by one, each resolved in root */
		char buf[4096];
		snprintf(buf, sizeof(buf), "%s", rel);
		for (char *p = buf;; p++) {
			if (*p != '/' && *p != '\0')
				continue;
			char c = *p;
			*p = '\0';
			int d = images__open_in_root(u->rootfd, buf, O_PATH | O_DIRECTORY, 0);
			if (d == -ENOENT) {
				char *slash = strrchr(buf, '/');
				const char *base = slash ? slash + 1 : buf;
				if (slash)
					*slash = '\0';
				_cleanup_close_ int pfd = images__open_in_root(u->rootfd, slash ? buf : "", O_PATH | O_DIRECTORY, 0);
				if (slash)
					*slash = '/';
				if (pfd < 0)
					return nd_error_set(err, pfd, "open \"%s\": %s", buf, strerror(-pfd));
				if (mkdirat(pfd, base, 0755) < 0 && errno != EEXIST)
					return nd_error_set(err, -errno, "mkdir \"%s\": %s", buf, strerror(errno));
				d = images__open_in_root(u->rootfd, buf, O_PATH | O_DIRECTORY, 0);
			}
			if (d < 0)
				return nd_error_set(err, d, "open dir \"%s\" in layer: %s", buf, strerror(-d));
			close(d);
			*p = c;
			if (!c)
				break;
		}
		fd = images__open_in_root(u->rootfd, rel, O_PATH | O_DIRECTORY, 0);
	}
	if (fd < 0)
		return nd_error_set(err, fd, "open dir \"%s\" in layer: %s", rel, strerror(-fd));
	snprintf(u->cache_path, sizeof(u->cache_path), "%s", rel);
	u->cache_fd = fd;
	return fd;
}

/* Removes base in pfd unless both it and the new entry are directories.
 * Returns 1 when an existing directory is kept. */
static int clear_slot(struct unpacker *u, int pfd, const char *base, bool want_dir, struct nd_error *err)
{
	struct stat st;
	if (fstatat(pfd, base, &st, AT_SYMLINK_NOFOLLOW) < 0) {
		if (errno == ENOENT)
			return 0;
		return nd_error_set(err, -errno, "stat \"%s\": %s", base, strerror(errno));
	}
	if (want_dir && S_ISDIR(st.st_mode))
		return 1;
	int r;
	if (S_ISDIR(st.st_mode)) {
		/* the fd cache may point below; drop it (pfd is the cache: keep a dup) */
		r = images__rm_rf_at(pfd, base);
	} else {
		r = unlinkat(pfd, base, 0) < 0 ? -errno : 0;
	}
	if (r < 0)
		return nd_error_set(err, r, "remove \"%s\": %s", base, strerror(-r));
	return 0;
}

static bool xattr_allowed(const char *name)
{
	/* overlay's own attributes come only from our whiteout translation */
	if (nd_str_has_prefix(name, "trusted.overlay.") || nd_str_has_prefix(name, "user.overlay."))
		return false;
	return nd_str_has_prefix(name, "user.") || nd_str_has_prefix(name, "security.") ||
	       nd_str_has_prefix(name, "trusted.") || nd_str_has_prefix(name, "system.");
}

static void apply_xattrs(int fd, struct archive_entry *e)
{
	if (archive_entry_xattr_reset(e) == 0)
		return;
	const char *name;
	const void *val;
	size_t sz;
	while (archive_entry_xattr_next(e, &name, &val, &sz) == ARCHIVE_OK) {
		if (!xattr_allowed(name))
			continue;
		if (fsetxattr(fd, name, val, sz, 0) < 0)
			log_debug("images: setxattr %s: %s (ignored)", name, strerror(errno));
	}
}

static int write_data(struct archive *a, int fd, int64_t size, const char *name, struct nd_error *err)
{
	const void *buf;
	size_t sz;
	la_int64_t off;
	for (;;) {
		int r = archive_read_data_block(a, &buf, &sz, &off);
		if (r == ARCHIVE_EOF)
			break;
		if (r < ARCHIVE_WARN)
			return nd_error_set(err, -EIO, "read \"%s\": %s", name, archive_error_string(a));
		const char *p = buf;
		while (sz) {
			ssize_t n = pwrite(fd, p, sz, off);
			if (n < 0 && errno == EINTR)
				continue;
			if (n < 0)
				return nd_error_set(err, -errno, "write \"%s\": %s", name, strerror(errno));
			p += n;
			sz -= (size_t)n;
			off += n;
		}
	}
	if (ftruncate(fd, size) < 0)
		return nd_error_set(err, -errno, "truncate \"%s\": %s", name, strerror(errno));
	return 0;
}

static void entry_times(struct archive_entry *e, struct timespec ts[2])
{
	ts[1].tv_sec = archive_entry_mtime(e);
	ts[1].tv_nsec = archive_entry_mtime_nsec(e);
	if (archive_entry_atime_is_set(e)) {
		ts[0].tv_sec = archive_entry_atime(e);
		ts[0].tv_nsec = archive_entry_atime_nsec(e);
	} else {
		ts[0] = ts[1];
	}
}

static int set_opaque(struct unpacker *u, const char *dir, struct nd_error *err)
{
	int pfd = open_parent(u, dir, err); /* creates it when missing */
	if (pfd < 0)
		return pfd;
	_cleanup_close_ int fd = images__open_in_root(u->rootfd, dir, O_RDONLY | O_DIRECTORY, 0);
	if (fd < 0)
		return nd_error_set(err, fd, "open \"%s\": %s", dir, strerror(-fd));
	if (fsetxattr(fd, OPAQUE_XATTR, "y", 1, 0) < 0)
		return nd_error_set(err, -errno, "set %s on \"%s\": %s", OPAQUE_XATTR, dir, strerror(errno));
	return 0;
}

static int unpack_entry(struct unpacker *u, struct archive *a, struct archive_entry *e, struct nd_error *err)
{
	const char *name = archive_entry_pathname(e);
	if (!name)
		name = archive_entry_pathname_utf8(e);
	if (!name)
		return nd_error_set(err, -EINVAL, "corrupt layer archive: entry without a name");
	char path[4096];
	int r = images__path_clean(name, path, sizeof(path), err);
	if (r < 0)
		return r;
	if (!path[0])
		return 0; /* "./": the root itself */
	char *slash = strrchr(path, '/');
	const char *base = slash ? slash + 1 : path;
	char parent[4096] = "";
	if (slash) {
		memcpy(parent, path, (size_t)(slash - path));
		parent[slash - path] = '\0';
	}

	const char *target;
	switch (images__whiteout_kind(base, &target)) {
	case IMAGES_WH_OPAQUE:
		return set_opaque(u, parent, err);
	case IMAGES_WH_META:
		return 0; /* aufs hard-link metadata: ignore */
	case IMAGES_WH_FILE: {
		int pfd = open_parent(u, parent, err);
		if (pfd < 0)
			return pfd;
		if ((r = clear_slot(u, pfd, target, false, err)) < 0)
			return r;
		if (mknodat(pfd, target, S_IFCHR | 0000, makedev(0, 0)) < 0)
			return nd_error_set(err, -errno, "whiteout \"%s\": %s", path, strerror(errno));
		return 0;
	}
	case IMAGES_WH_NONE:
		break;
	}

	const char *hardlink = archive_entry_hardlink(e);
	mode_t type = archive_entry_filetype(e);
	mode_t perm = archive_entry_perm(e) & 07777;
	uid_t uid = (uid_t)archive_entry_uid(e);
	gid_t gid = (gid_t)archive_entry_gid(e);
	struct timespec ts[2];
	entry_times(e, ts);

	int pfd = open_parent(u, parent, err);
	if (pfd < 0)
		return nd_error_wrap(err, "entry \"%s\"", name);
	bool is_dir = !hardlink && type == AE_IFDIR;
	int kept = clear_slot(u, pfd, base, is_dir, err);
	if (kept < 0)
		return kept;

	if (hardlink) {
		char lpath[4096];
		if ((r = images__path_clean(hardlink, lpath, sizeof(lpath), err)) < 0)
			return nd_error_wrap(err, "hard link \"%s\"", name);
		_cleanup_close_ int tfd = images__open_in_root(u->rootfd, lpath, O_PATH | O_NOFOLLOW, 0);
		if (tfd < 0)
			return nd_error_set(err, tfd, "hard link \"%s\" to \"%s\": target not in this layer: %s",
					    name, hardlink, strerror(-tfd));
		struct stat st;
		if (fstat(tfd, &st) < 0 || S_ISDIR(st.st_mode))
			return nd_error_set(err, -EPERM, "hard link \"%s\" to directory \"%s\"", name, hardlink);
		if (linkat(tfd, "", pfd, base, AT_EMPTY_PATH) < 0)
			return nd_error_set(err, -errno, "hard link \"%s\": %s", name, strerror(errno));
		return 0;
	}

	switch (type) {
	case AE_IFDIR: {
		if (!kept && mkdirat(pfd, base, 0700) < 0)
			return nd_error_set(err, -errno, "mkdir \"%s\": %s", name, strerror(errno));
		_cleanup_close_ int fd = openat(pfd, base, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (fd < 0)
			return nd_error_set(err, -errno, "open \"%s\": %s", name, strerror(errno));
		if (fchown(fd, uid, gid) < 0 || fchmod(fd, perm) < 0)
			return nd_error_set(err, -errno, "chown/chmod \"%s\": %s", name, strerror(errno));
		apply_xattrs(fd, e);
		if (u->ndt == u->cap) {
			size_t nc = u->cap ? u->cap * 2 : 64;
			struct dirtime *n = realloc(u->dt, nc * sizeof(*n));
			if (!n)
				return nd_error_set(err, -ENOMEM, "out of memory");
			u->dt = n;
			u->cap = nc;
		}
		u->dt[u->ndt].path = strdup(path);
		memcpy(u->dt[u->ndt].ts, ts, sizeof(ts[0]) * 2);
		if (!u->dt[u->ndt].path)
			return nd_error_set(err, -ENOMEM, "out of memory");
		u->ndt++;
		return 0;
	}
	case AE_IFREG: {
		_cleanup_close_ int fd = openat(pfd, base, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
		if (fd < 0)
			return nd_error_set(err, -errno, "create \"%s\": %s", name, strerror(errno));
		int64_t size = archive_entry_size(e);
		if ((r = write_data(a, fd, size, name, err)) < 0)
			return r;
		if (fchown(fd, uid, gid) < 0 || fchmod(fd, perm) < 0)
			return nd_error_set(err, -errno, "chown/chmod \"%s\": %s", name, strerror(errno));
		apply_xattrs(fd, e);
		futimens(fd, ts);
		u->size += size;
		return 0;
	}
	case AE_IFLNK: {
		const char *t = archive_entry_symlink(e);
		if (!t)
			t = archive_entry_symlink_utf8(e);
		if (!t)
			return nd_error_set(err, -EINVAL, "symlink \"%s\" without a target", name);
		if (symlinkat(t, pfd, base) < 0)
			return nd_error_set(err, -errno, "symlink \"%s\": %s", name, strerror(errno));
		fchownat(pfd, base, uid, gid, AT_SYMLINK_NOFOLLOW);
		utimensat(pfd, base, ts, AT_SYMLINK_NOFOLLOW);
		return 0;
	}
	case AE_IFCHR:
	case AE_IFBLK:
	case AE_IFIFO: {
		dev_t dev = type == AE_IFIFO ? 0 : makedev(archive_entry_rdevmajor(e), archive_entry_rdevminor(e));
		if (mknodat(pfd, base, type | perm, dev) < 0)
			return nd_error_set(err, -errno, "mknod \"%s\": %s", name, strerror(errno));
		/* the node is ours and new: chown/chmod by name below pfd, never open it */
		if (fchownat(pfd, base, uid, gid, AT_SYMLINK_NOFOLLOW) < 0 ||
		    fchmodat(pfd, base, perm, 0) < 0)
			return nd_error_set(err, -errno, "chown/chmod \"%s\": %s", name, strerror(errno));
		utimensat(pfd, base, ts, AT_SYMLINK_NOFOLLOW);
		return 0;
	}
	case AE_IFSOCK:
		return 0;
	default:
		return nd_error_set(err, -EINVAL, "entry \"%s\": unsupported file type 0%o", name, (unsigned)type);
	}
}

static void archive_freep(struct archive **a)
{
	if (*a)
		archive_read_free(*a);
}

/* Unpacks what the opened raw reader yields (see images__unpack and
 * images__unpack_stream). */
static int unpack_raw(int destfd, struct archive *raw, const char *what, int tee_fd,
		      struct images__unpack_result *res, struct nd_error *err);

int images__unpack(int destfd, const char *src_path, int tee_fd, struct images__unpack_result *res,
		   struct nd_error *err)
{
	_cleanup_(archive_freep) struct archive *raw = archive_read_new();
	if (!raw)
		return nd_error_set(err, -ENOMEM, "out of memory");
	archive_read_support_filter_gzip(raw);
	archive_read_support_filter_zstd(raw);
	archive_read_support_filter_xz(raw);
	archive_read_support_filter_bzip2(raw);
	archive_read_support_format_raw(raw);
	struct stat sst;
	if (stat(src_path, &sst) < 0)
		return nd_error_set(err, -errno, "open layer %s: %s", src_path, strerror(errno));
	if (sst.st_size == 0)
		return nd_error_set(err, -EINVAL, "layer %s is empty", src_path);
	if (archive_read_open_filename(raw, src_path, 1 << 20) != ARCHIVE_OK)
		return nd_error_set(err, -EINVAL, "open layer %s: %s", src_path, archive_error_string(raw));
	return unpack_raw(destfd, raw, src_path, tee_fd, res, err);
}

int images__unpack_stream(int destfd, images__read_fn rd, void *ud, const char *what,
			  struct images__unpack_result *res, struct nd_error *err)
{
	_cleanup_(archive_freep) struct archive *raw = archive_read_new();
	if (!raw)
		return nd_error_set(err, -ENOMEM, "out of memory");
	archive_read_support_filter_gzip(raw);
	archive_read_support_filter_zstd(raw);
	archive_read_support_filter_xz(raw);
	archive_read_support_filter_bzip2(raw);
	archive_read_support_format_raw(raw);
	if (archive_read_open(raw, ud, NULL, rd, NULL) != ARCHIVE_OK)
		return nd_error_set(err, -EINVAL, "layer %s: %s", what, archive_error_string(raw));
	return unpack_raw(destfd, raw, what, -1, res, err);
}

static int unpack_raw(int destfd, struct archive *raw, const char *src_path, int tee_fd,
		      struct images__unpack_result *res, struct nd_error *err)
{
	_cleanup_(archive_freep) struct archive *tar = archive_read_new();
	_cleanup_evp_ EVP_MD_CTX *md = images__sha256_new();
	if (!tar || !md)
		return nd_error_set(err, -ENOMEM, "out of memory");
	struct archive_entry *re;
	int r = archive_read_next_header(raw, &re);
	if (r == ARCHIVE_EOF)
		return nd_error_set(err, -EINVAL, "layer %s is empty", src_path);
	if (r < ARCHIVE_WARN)
		return nd_error_set(err, -EINVAL, "layer %s: %s", src_path, archive_error_string(raw));

	struct src s = { .raw = raw, .md = md, .tee_fd = tee_fd };
	archive_read_support_format_tar(tar);
	archive_read_support_format_gnutar(tar);
	archive_read_support_format_empty(tar);
	if (archive_read_open(tar, &s, NULL, src_read, NULL) != ARCHIVE_OK)
		return nd_error_set(err, -EINVAL, "layer %s: not a tar archive: %s", src_path, archive_error_string(tar));

	struct unpacker u = { .rootfd = destfd, .cache_fd = -1 };
	int rc = 0;
	for (;;) {
		struct archive_entry *e;
		r = archive_read_next_header(tar, &e);
		if (r == ARCHIVE_EOF)
			break;
		if (r < ARCHIVE_WARN) {
			rc = nd_error_set(err, -EINVAL, "corrupt layer archive: %s", archive_error_string(tar));
			break;
		}
		if ((rc = unpack_entry(&u, tar, e, err)) < 0)
			break;
	}
	/* drain: the diff ID covers the whole uncompressed stream */
	if (rc == 0) {
		const void *b;
		while ((r = (int)src_read(tar, &s, &b)) > 0)
			;
		if (r < 0)
			rc = nd_error_set(err, -EINVAL, "corrupt layer archive: %s", archive_error_string(tar));
	}
	cache_drop(&u);
	for (size_t i = u.ndt; i-- > 0;) {
		if (rc == 0) {
			_cleanup_close_ int fd = images__open_in_root(destfd, u.dt[i].path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW, 0);
			if (fd >= 0)
				futimens(fd, u.dt[i].ts);
		}
		free(u.dt[i].path);
	}
	free(u.dt);
	if (rc < 0)
		return rc;
	images__sha256_final(md, res->diff_id);
	res->size = u.size;
	res->tar_size = s.total;
	return 0;
}
