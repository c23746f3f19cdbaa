// SPDX-License-Identifier: Apache-2.0
/* images: `docker commit` — a directory in overlay form (a container's upper
 * dir) becomes a tar layer with whiteouts in `.wh.` form, on top of an image. */
#include "images/images-internal.h"

#include <archive.h>
#include <archive_entry.h>
#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>

struct sink {
	int fd;
	EVP_MD_CTX *md;
	int64_t total;
};

static la_ssize_t sink_write(struct archive *a, void *ud, const void *buf, size_t n)
{
	struct sink *s = ud;
	const char *p = buf;
	size_t left = n;
	while (left) {
		ssize_t w = write(s->fd, p, left);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0) {
			archive_set_error(a, errno, "write: %s", strerror(errno));
			return -1;
		}
		p += w;
		left -= (size_t)w;
	}
	EVP_DigestUpdate(s->md, buf, n);
	s->total += (int64_t)n;
	return (la_ssize_t)n;
}

struct inode_map {
	dev_t dev;
	ino_t ino;
	char *path;
};

struct walker {
	struct archive *a;
	struct inode_map *links;
	size_t nlinks, cap;
	struct nd_error *err;
};

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static bool is_whiteout(const struct stat *st)
{
	return S_ISCHR(st->st_mode) && major(st->st_rdev) == 0 && minor(st->st_rdev) == 0;
}

static int put_header(struct walker *w, struct archive_entry *e, const char *path)
{
	if (archive_write_header(w->a, e) < ARCHIVE_WARN)
		return nd_error_set(w->err, -EIO, "tar header \"%s\": %s", path, archive_error_string(w->a));
	return 0;
}

static void add_xattrs(int fd, struct archive_entry *e)
{
	char names[8192];
	ssize_t n = flistxattr(fd, names, sizeof(names));
	for (ssize_t i = 0; n > 0 && i < n; i += (ssize_t)strlen(names + i) + 1) {
		const char *nm = names + i;
		if (nd_str_has_prefix(nm, "trusted.overlay.") || nd_str_has_prefix(nm, "user.overlay."))
			continue;
		char val[4096];
		ssize_t vl = fgetxattr(fd, nm, val, sizeof(val));
		if (vl >= 0)
			archive_entry_xattr_add_entry(e, nm, val, (size_t)vl);
	}
}

static int walk(struct walker *w, int dfd, const char *prefix);

static int emit(struct walker *w, int dfd, const char *name, const char *path)
{
	struct stat st;
	if (fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return nd_error_set(w->err, -errno, "stat \"%s\": %s", path, strerror(errno));
	struct archive_entry *e = archive_entry_new();
	int r = 0;
	if (is_whiteout(&st)) {
		/* overlay whiteout -> .wh.NAME */
		char wh[4096];
		const char *slash = strrchr(path, '/');
		snprintf(wh, sizeof(wh), "%.*s.wh.%s", slash ? (int)(slash - path + 1) : 0, path, name);
		archive_entry_set_pathname(e, wh);
		archive_entry_set_filetype(e, AE_IFREG);
		archive_entry_set_perm(e, 0);
		archive_entry_set_size(e, 0);
		archive_entry_set_mtime(e, st.st_mtim.tv_sec, st.st_mtim.tv_nsec);
		r = put_header(w, e, path);
		archive_entry_free(e);
		return r;
	}
	archive_entry_copy_stat(e, &st);
	archive_entry_set_pathname(e, path);
	archive_entry_set_uname(e, "");
	archive_entry_set_gname(e, "");
	if (S_ISLNK(st.st_mode)) {
		char t[4096];
		ssize_t n = readlinkat(dfd, name, t, sizeof(t) - 1);
		if (n < 0) {
			archive_entry_free(e);
			return nd_error_set(w->err, -errno, "readlink \"%s\": %s", path, strerror(errno));
		}
		t[n] = '\0';
		archive_entry_set_symlink(e, t);
		r = put_header(w, e, path);
	} else if (S_ISREG(st.st_mode)) {
		if (st.st_nlink > 1) {
			for (size_t i = 0; i < w->nlinks; i++) {
				if (w->links[i].dev == st.st_dev && w->links[i].ino == st.st_ino) {
					archive_entry_set_size(e, 0);
					archive_entry_set_hardlink(e, w->links[i].path);
					r = put_header(w, e, path);
					archive_entry_free(e);
					return r;
				}
			}
			if (w->nlinks == w->cap) {
				w->cap = w->cap ? w->cap * 2 : 16;
				w->links = realloc(w->links, w->cap * sizeof(*w->links));
			}
			w->links[w->nlinks++] = (struct inode_map){ st.st_dev, st.st_ino, strdup(path) };
		}
		_cleanup_close_ int fd = openat(dfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
		if (fd < 0) {
			archive_entry_free(e);
			return nd_error_set(w->err, -errno, "open \"%s\": %s", path, strerror(errno));
		}
		add_xattrs(fd, e);
		if ((r = put_header(w, e, path)) == 0) {
			char buf[1 << 16];
			ssize_t n;
			while ((n = read(fd, buf, sizeof(buf))) > 0)
				if (archive_write_data(w->a, buf, (size_t)n) < 0) {
					r = nd_error_set(w->err, -EIO, "tar data \"%s\": %s", path, archive_error_string(w->a));
					break;
				}
			if (n < 0 && r == 0)
				r = nd_error_set(w->err, -errno, "read \"%s\": %s", path, strerror(errno));
		}
	} else if (S_ISDIR(st.st_mode)) {
		_cleanup_close_ int fd = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (fd < 0) {
			archive_entry_free(e);
			return nd_error_set(w->err, -errno, "open \"%s\": %s", path, strerror(errno));
		}
		add_xattrs(fd, e);
		char sub[4096];
		snprintf(sub, sizeof(sub), "%s/", path);
		archive_entry_set_pathname(e, sub);
		r = put_header(w, e, path);
		char v[8];
		ssize_t vl = fgetxattr(fd, "trusted.overlay.opaque", v, sizeof(v));
		if (r == 0 && vl == 1 && v[0] == 'y') {
			struct archive_entry *o = archive_entry_new();
			char op[4200];
			snprintf(op, sizeof(op), "%s/.wh..wh..opq", path);
			archive_entry_set_pathname(o, op);
			archive_entry_set_filetype(o, AE_IFREG);
			archive_entry_set_perm(o, 0);
			archive_entry_set_size(o, 0);
			archive_entry_set_mtime(o, st.st_mtim.tv_sec, st.st_mtim.tv_nsec);
			r = put_header(w, o, op);
			archive_entry_free(o);
		}
		if (r == 0)
			r = walk(w, fd, path);
	} else if (S_ISSOCK(st.st_mode)) {
		r = 0;
	} else {
		r = put_header(w, e, path);
	}
	archive_entry_free(e);
	return r;
}

static int walk(struct walker *w, int dfd, const char *prefix)
{
	int fd = dup(dfd);
	DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
	if (!d) {
		if (fd >= 0)
			close(fd);
		return nd_error_set(w->err, -errno, "opendir \"%s\": %s", prefix, strerror(errno));
	}
	rewinddir(d);
	char **names = NULL;
	size_t n = 0, cap = 0;
	struct dirent *de;
	while ((de = readdir(d))) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		if (n == cap) {
			cap = cap ? cap * 2 : 32;
			names = realloc(names, cap * sizeof(*names));
		}
		names[n++] = strdup(de->d_name);
	}
	if (n)
		qsort(names, n, sizeof(*names), cmp_str);
	int r = 0;
	for (size_t i = 0; i < n; i++) {
		if (r == 0) {
			char path[4096];
			snprintf(path, sizeof(path), "%s%s%s", prefix, *prefix ? "/" : "", names[i]);
			r = emit(w, dirfd(d), names[i], path);
		}
		free(names[i]);
	}
	free(names);
	closedir(d);
	return r;
}

/* Writes dir as a tar to fd; out_digest = sha256 of the tar. */
static int dir_to_tar(const char *dir, int fd, char out[IMAGES_DIGEST_LEN + 1], int64_t *size, struct nd_error *err)
{
	_cleanup_close_ int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0)
		return nd_error_set(err, -errno, "open %s: %s", dir, strerror(errno));
	_cleanup_evp_ EVP_MD_CTX *md = images__sha256_new();
	struct sink s = { .fd = fd, .md = md };
	struct archive *a = archive_write_new();
	archive_write_set_format_pax_restricted(a);
	archive_write_set_bytes_in_last_block(a, 1);
	if (archive_write_open(a, &s, NULL, sink_write, NULL) != ARCHIVE_OK) {
		archive_write_free(a);
		return nd_error_set(err, -EIO, "tar: %s", archive_error_string(a));
	}
	struct walker w = { .a = a, .err = err };
	int r = walk(&w, dfd, "");
	if (archive_write_close(a) != ARCHIVE_OK && r == 0)
		r = nd_error_set(err, -EIO, "tar: %s", archive_error_string(a));
	archive_write_free(a);
	for (size_t i = 0; i < w.nlinks; i++)
		free(w.links[i].path);
	free(w.links);
	if (r < 0)
		return r;
	images__sha256_final(md, out);
	*size = s.total;
	return 0;
}

int images_commit(struct images *h, const char *dir, const char *base, const struct images_commit_opts *opts,
		  char id[IMAGES_DIGEST_LEN + 1], struct nd_error *err)
{
	static const struct images_commit_opts none;
	if (!opts)
		opts = &none;
	char norm[IMAGES_REF_MAX];
	int r;
	if (opts->ref && (r = images__normalize_tag(opts->ref, norm, sizeof(norm), err)) < 0)
		return r;
	_cleanup_close_ int fd = -1;
	pthread_rwlock_rdlock(&h->gc);
	struct images__image *bcopy = NULL;
	_cleanup_free_ char *work = NULL, *stage = NULL, *cbuf = NULL;
	_cleanup_json_ json_t *bconfig = NULL;
	pthread_mutex_lock(&h->meta);
	struct images__image *b = images__find_locked(h, base, err);
	if (b && (bcopy = malloc(sizeof(*bcopy)))) {
		*bcopy = *b;
		bcopy->layers = malloc((b->nlayers ? b->nlayers : 1) * sizeof(*b->layers));
		if (bcopy->layers)
			memcpy(bcopy->layers, b->layers, b->nlayers * sizeof(*b->layers));
	}
	pthread_mutex_unlock(&h->meta);
	if (!b) {
		r = err->code;
		goto out;
	}
	if (!bcopy || !bcopy->layers) {
		r = nd_error_set(err, -ENOMEM, "out of memory");
		goto out;
	}
	size_t clen;
	if ((r = images__blob_read(h, bcopy->id, &cbuf, &clen, err)) < 0)
		goto out;
	if (!(bconfig = nd_json_parse(cbuf, clen, err))) {
		r = err->code;
		goto out;
	}
	if ((r = images__tmpdir(h, "commit", &work, err)) < 0)
		goto out;
	char blob[4096];
	snprintf(blob, sizeof(blob), "%s/layer.tar", work);
	fd = open(blob, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	if (fd < 0) {
		r = nd_error_set(err, -errno, "create %s: %s", blob, strerror(errno));
		goto out;
	}
	struct images__newlayer nl = { .media_type = MT_OCI_LAYER };
	if ((r = dir_to_tar(dir, fd, nl.digest, &nl.size, err)) < 0) {
		nd_error_wrap(err, "commit %s", dir);
		goto out;
	}
	const char *parent = bcopy->nlayers ? bcopy->layers[bcopy->nlayers - 1].chain : "";
	struct images__unpack_result res;
	if ((r = images__layer_stage(h, blob, parent, -1, &stage, &res, err)) < 0)
		goto out;
	memcpy(nl.diff_id, res.diff_id, sizeof(nl.diff_id));
	char chain[IMAGES_DIGEST_LEN + 1];
	images__chain_id(parent, res.diff_id, chain);
	if ((r = images__blob_adopt(h, blob, nl.digest, err)) < 0)
		goto out;
	if ((r = images__layer_commit(h, stage, chain, parent, res.diff_id, res.size, err)) < 0)
		goto out;
	free(TAKE_PTR(stage));
	r = images__create_image(h, bcopy, bconfig, &nl, opts->created_by ? opts->created_by : "netd commit",
				 opts->comment, opts->author, NULL, NULL, opts->ref, id, err);
out:
	if (bcopy)
		images__image_free(bcopy);
	if (stage)
		images__rm_rf(stage);
	if (work)
		images__rm_rf(work);
	pthread_rwlock_unlock(&h->gc);
	return r;
}
