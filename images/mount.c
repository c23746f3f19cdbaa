// SPDX-License-Identifier: Apache-2.0
/* images: container rootfs — overlay2 mounts and vfs copies.
 *
 *   containers/<cid>/image   the image ID
 *   containers/<cid>/chains  the layer chain IDs it uses (kept by gc)
 *   overlay2: containers/<cid>/{upper,work,merged}
 *   vfs:      containers/<cid>/rootfs (a full copy; "merged" is a symlink to it)
 *
 * The overlay lowerdirs are Docker's short links (l/<26 chars>), given
 * relative to overlay2/ so that many layers fit in one page of mount options:
 * the mount runs in a short-lived thread that unshare(CLONE_FS)s and chdirs,
 * so the process's cwd never changes. */
#include "images/images-internal.h"

#include <dirent.h>
#include <fcntl.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>

int images__rootfs_chains(struct images *h, json_t *keep_chains, json_t *keep_ids)
{
	DIR *d = opendir(h->containers);
	if (!d)
		return -errno;
	struct dirent *de;
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		char p[4096];
		_cleanup_free_ char *buf = NULL;
		snprintf(p, sizeof(p), "%s/%s/image", h->containers, de->d_name);
		if (images__read_file(p, &buf, NULL, 1024) == 0) {
			buf[strcspn(buf, "\n")] = '\0';
			json_object_set_new(keep_ids, buf, json_true());
		}
		free(TAKE_PTR(buf));
		snprintf(p, sizeof(p), "%s/%s/chains", h->containers, de->d_name);
		if (images__read_file(p, &buf, NULL, 1 << 20) == 0) {
			for (char *s = strtok(buf, "\n"); s; s = strtok(NULL, "\n"))
				json_object_set_new(keep_chains, images__hex(s), json_true());
		}
	}
	closedir(d);
	return 0;
}

/* ---- overlay2 ------------------------------------------------------------ */

struct mount_job {
	const char *cwd, *target, *opts;
	int rc;
};

static void *mount_thread(void *arg)
{
	struct mount_job *j = arg;
	if (unshare(CLONE_FS) < 0 || chdir(j->cwd) < 0) {
		j->rc = -errno;
		return NULL;
	}
	j->rc = mount("overlay", j->target, "overlay", 0, j->opts) < 0 ? -errno : 0;
	return NULL;
}

static int ovl_mount(struct images *h, const struct images__image *img, const char *cdir, struct nd_error *err)
{
	if (img->nlayers == 0)
		return nd_error_set(err, -EINVAL, "image %s has no layers", img->id);
	_cleanup_free_ char *lower = NULL;
	int r = images__layer_lower(h, img->layers[img->nlayers - 1].chain, &lower, err);
	if (r < 0)
		return r;
	char merged[4096], opts[8192];
	snprintf(merged, sizeof(merged), "%s/merged", cdir);
	const char *sub[] = { "upper", "work", "merged" };
	for (size_t i = 0; i < ARRAY_SIZE(sub); i++) {
		char p[4096];
		snprintf(p, sizeof(p), "%s/%s", cdir, sub[i]);
		if (mkdir(p, i == 0 ? 0755 : 0700) < 0 && errno != EEXIST)
			return nd_error_set(err, -errno, "mkdir %s: %s", p, strerror(errno));
	}
	const char *cid = strrchr(cdir, '/') + 1;
	const char *extra[] = { ",redirect_dir=off,index=off,metacopy=off", "" };
	for (size_t i = 0; i < ARRAY_SIZE(extra); i++) {
		if (nd_snprintf(opts, sizeof(opts), "lowerdir=%s,upperdir=../containers/%s/upper,workdir=../containers/%s/work%s",
				lower, cid, cid, extra[i]) < 0 || strlen(opts) >= (size_t)getpagesize())
			return nd_error_set(err, -E2BIG, "image %s: %zu layers do not fit in one page of overlay mount options",
					    img->id, img->nlayers);
		struct mount_job j = { .cwd = h->overlay, .target = merged, .opts = opts };
		pthread_t t;
		if ((r = pthread_create(&t, NULL, mount_thread, &j)) != 0)
			return nd_error_set(err, -r, "thread: %s", strerror(r));
		pthread_join(t, NULL);
		if (j.rc == 0)
			return 0;
		r = j.rc;
		if (r != -EINVAL)
			break;
	}
	return nd_error_set(err, r, "mount overlay on %s: %s", merged, strerror(-r));
}

static int ovl_umount(struct images *h, const char *cdir, struct nd_error *err)
{
	char merged[4096];
	snprintf(merged, sizeof(merged), "%s/merged", cdir);
	if (umount2(merged, UMOUNT_NOFOLLOW) < 0) {
		if (errno == EINVAL || errno == ENOENT)
			return 0;
		if (errno == EBUSY && umount2(merged, MNT_DETACH | UMOUNT_NOFOLLOW) == 0)
			return 0;
		return nd_error_set(err, -errno, "umount %s: %s", merged, strerror(errno));
	}
	return 0;
}

const struct images__driver images__driver_overlay2 = {
	.name = "overlay2", .mount = ovl_mount, .umount = ovl_umount, .upper = "upper",
};

/* ---- vfs: copy layers bottom-up, applying whiteouts ----------------------- */

static int copy_meta(int dfd, const char *name, const struct stat *st, int srcfd)
{
	if (fchownat(dfd, name, st->st_uid, st->st_gid, AT_SYMLINK_NOFOLLOW) < 0)
		return -errno;
	if (!S_ISLNK(st->st_mode) && fchmodat(dfd, name, st->st_mode & 07777, 0) < 0)
		return -errno;
	if (srcfd >= 0) {
		char names[8192];
		ssize_t n = flistxattr(srcfd, names, sizeof(names));
		for (ssize_t i = 0; n > 0 && i < n; i += (ssize_t)strlen(names + i) + 1) {
			if (nd_str_has_prefix(names + i, "trusted.overlay."))
				continue;
			char v[4096];
			ssize_t vl = fgetxattr(srcfd, names + i, v, sizeof(v));
			_cleanup_close_ int fd = openat(dfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
			if (vl >= 0 && fd >= 0)
				fsetxattr(fd, names + i, v, (size_t)vl, 0);
		}
	}
	struct timespec ts[2] = { st->st_atim, st->st_mtim };
	utimensat(dfd, name, ts, AT_SYMLINK_NOFOLLOW);
	return 0;
}

static int copy_tree(int sfd, int dfd, struct nd_error *err);

static int copy_entry(int sfd, int dfd, const char *name, struct nd_error *err)
{
	struct stat st, dst;
	if (fstatat(sfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return nd_error_set(err, -errno, "stat %s: %s", name, strerror(errno));
	bool have = fstatat(dfd, name, &dst, AT_SYMLINK_NOFOLLOW) == 0;
	if (S_ISCHR(st.st_mode) && st.st_rdev == makedev(0, 0)) /* whiteout */
		return images__rm_rf_at(dfd, name);
	if (have && !(S_ISDIR(st.st_mode) && S_ISDIR(dst.st_mode))) {
		int r = images__rm_rf_at(dfd, name);
		if (r < 0)
			return nd_error_set(err, r, "remove %s: %s", name, strerror(-r));
		have = false;
	}
	if (S_ISDIR(st.st_mode)) {
		_cleanup_close_ int s = openat(sfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (s < 0)
			return nd_error_set(err, -errno, "open %s: %s", name, strerror(errno));
		char v[4];
		if (have && fgetxattr(s, "trusted.overlay.opaque", v, sizeof(v)) == 1 && v[0] == 'y') {
			images__rm_rf_at(dfd, name);
			have = false;
		}
		if (!have && mkdirat(dfd, name, 0700) < 0)
			return nd_error_set(err, -errno, "mkdir %s: %s", name, strerror(errno));
		_cleanup_close_ int d = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (d < 0)
			return nd_error_set(err, -errno, "open %s: %s", name, strerror(errno));
		int r = copy_tree(s, d, err);
		if (r < 0)
			return r;
		copy_meta(dfd, name, &st, s);
		return 0;
	}
	if (S_ISREG(st.st_mode)) {
		_cleanup_close_ int s = openat(sfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
		_cleanup_close_ int d = openat(dfd, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
		if (s < 0 || d < 0)
			return nd_error_set(err, -errno, "copy %s: %s", name, strerror(errno));
		off_t left = st.st_size;
		while (left > 0) {
			ssize_t n = copy_file_range(s, NULL, d, NULL, (size_t)left, 0);
			if (n <= 0) {
				if (n < 0 && (errno == EXDEV || errno == ENOSYS || errno == EINVAL)) {
					char buf[65536];
					while ((n = read(s, buf, sizeof(buf))) > 0)
						if (write(d, buf, (size_t)n) != n)
							return nd_error_set(err, -EIO, "copy %s: short write", name);
					break;
				}
				if (n < 0)
					return nd_error_set(err, -errno, "copy %s: %s", name, strerror(errno));
				break;
			}
			left -= n;
		}
		copy_meta(dfd, name, &st, s);
		return 0;
	}
	if (S_ISLNK(st.st_mode)) {
		char t[4096];
		ssize_t n = readlinkat(sfd, name, t, sizeof(t) - 1);
		if (n < 0)
			return nd_error_set(err, -errno, "readlink %s: %s", name, strerror(errno));
		t[n] = '\0';
		if (symlinkat(t, dfd, name) < 0)
			return nd_error_set(err, -errno, "symlink %s: %s", name, strerror(errno));
		copy_meta(dfd, name, &st, -1);
		return 0;
	}
	if (mknodat(dfd, name, st.st_mode, st.st_rdev) < 0)
		return nd_error_set(err, -errno, "mknod %s: %s", name, strerror(errno));
	copy_meta(dfd, name, &st, -1);
	return 0;
}

static int copy_tree(int sfd, int dfd, struct nd_error *err)
{
	int fd = dup(sfd);
	DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
	if (!d) {
		if (fd >= 0)
			close(fd);
		return nd_error_set(err, -errno, "opendir: %s", strerror(errno));
	}
	rewinddir(d);
	int r = 0;
	struct dirent *de;
	while (r == 0 && (de = readdir(d)))
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
			r = copy_entry(sfd, dfd, de->d_name, err);
	closedir(d);
	return r;
}

static int vfs_mount(struct images *h, const struct images__image *img, const char *cdir, struct nd_error *err)
{
	char rootfs[4096], done[4096], merged[4096];
	snprintf(rootfs, sizeof(rootfs), "%s/rootfs", cdir);
	snprintf(done, sizeof(done), "%s/rootfs.done", cdir);
	snprintf(merged, sizeof(merged), "%s/merged", cdir);
	if (access(done, F_OK) == 0)
		return 0;
	images__rm_rf(rootfs);
	if (mkdir(rootfs, 0755) < 0)
		return nd_error_set(err, -errno, "mkdir %s: %s", rootfs, strerror(errno));
	_cleanup_close_ int dfd = open(rootfs, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	for (size_t i = 0; i < img->nlayers; i++) {
		char diff[4096];
		images__layer_diff_path(h, img->layers[i].chain, diff, sizeof(diff));
		_cleanup_close_ int sfd = open(diff, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (sfd < 0)
			return nd_error_set(err, -errno, "open %s: %s", diff, strerror(errno));
		int r = copy_tree(sfd, dfd, err);
		if (r < 0)
			return nd_error_wrap(err, "vfs copy of layer %s", img->layers[i].chain);
		struct stat st;
		if (fstat(sfd, &st) == 0)
			fchmod(dfd, st.st_mode & 07777);
	}
	if (symlink("rootfs", merged) < 0 && errno != EEXIST)
		return nd_error_set(err, -errno, "symlink %s: %s", merged, strerror(errno));
	int r = images__write_file_atomic(done, "", 0);
	return r < 0 ? nd_error_set(err, r, "write %s", done) : 0;
}

static int vfs_umount(struct images *h, const char *cdir, struct nd_error *err)
{
	return 0;
}

const struct images__driver images__driver_vfs = {
	.name = "vfs", .mount = vfs_mount, .umount = vfs_umount, .upper = "rootfs",
};

/* ---- API ------------------------------------------------------------------ */

static int cdir_path(struct images *h, const char *cid, char *buf, size_t size, struct nd_error *err)
{
	if (!cid || !nd_name_valid(cid))
		return nd_error_set(err, -EINVAL, "invalid container ID \"%s\"", cid ? cid : "");
	return nd_snprintf(buf, size, "%s/%s", h->containers, cid);
}

static bool is_mounted(const char *cdir)
{
	char merged[4096];
	struct stat a, b;
	snprintf(merged, sizeof(merged), "%s/merged", cdir);
	return stat(cdir, &a) == 0 && lstat(merged, &b) == 0 && S_ISDIR(b.st_mode) && a.st_dev != b.st_dev;
}

int images_rootfs_mount(struct images *h, const char *cid, const char *image, char *path, size_t path_size,
			struct nd_error *err)
{
	char cdir[4096];
	int r = cdir_path(h, cid, cdir, sizeof(cdir), err);
	if (r < 0)
		return r;
	pthread_rwlock_rdlock(&h->gc);
	struct images__image img;
	pthread_mutex_lock(&h->meta);
	struct images__image *i = images__find_locked(h, image, err);
	if (i) {
		img = *i;
		img.layers = malloc((i->nlayers ? i->nlayers : 1) * sizeof(*i->layers));
		if (img.layers)
			memcpy(img.layers, i->layers, i->nlayers * sizeof(*i->layers));
	}
	pthread_mutex_unlock(&h->meta);
	if (!i) {
		pthread_rwlock_unlock(&h->gc);
		return err->code;
	}
	_cleanup_free_ struct images__layer *layers = img.layers;
	bool created = false;
	char p[4096];
	snprintf(p, sizeof(p), "%s/image", cdir);
	_cleanup_free_ char *cur = NULL;
	if (images__read_file(p, &cur, NULL, 1024) == 0) {
		cur[strcspn(cur, "\n")] = '\0';
		if (strcmp(cur, img.id)) {
			r = nd_error_set(err, -EEXIST, "container %s already has a rootfs of image %s", cid, cur);
			goto out;
		}
	} else {
		if (mkdir(cdir, 0700) < 0 && errno != EEXIST) {
			r = nd_error_set(err, -errno, "mkdir %s: %s", cdir, strerror(errno));
			goto out;
		}
		created = true;
		_cleanup_free_ char *chains = NULL;
		size_t cl = 0;
		FILE *f = open_memstream(&chains, &cl);
		for (size_t k = 0; k < img.nlayers; k++)
			fprintf(f, "%s\n", img.layers[k].chain);
		fclose(f);
		char cp[4096];
		snprintf(cp, sizeof(cp), "%s/chains", cdir);
		if ((r = images__write_file_atomic(cp, chains, cl)) < 0 ||
		    (r = images__write_file_atomic(p, img.id, strlen(img.id))) < 0) {
			nd_error_set(err, r, "write %s: %s", cdir, strerror(-r));
			goto out;
		}
	}
	if (!(h->drv == &images__driver_overlay2 && is_mounted(cdir)) && (r = h->drv->mount(h, &img, cdir, err)) < 0)
		goto out;
	r = nd_snprintf(path, path_size, "%s/%s", cdir, h->drv == &images__driver_vfs ? "rootfs" : "merged");
	if (r < 0)
		nd_error_set(err, r, "path buffer too small");
out:
	if (r < 0 && created)
		images__rm_rf(cdir);
	pthread_rwlock_unlock(&h->gc);
	return r;
}

int images_rootfs_remove(struct images *h, const char *cid, struct nd_error *err)
{
	char cdir[4096];
	int r = cdir_path(h, cid, cdir, sizeof(cdir), err);
	if (r < 0)
		return r;
	if (access(cdir, F_OK) < 0)
		return 0;
	pthread_rwlock_rdlock(&h->gc);
	r = ovl_umount(h, cdir, err); /* also for vfs: harmless when nothing is mounted */
	if (r == 0 && (r = images__rm_rf(cdir)) < 0)
		nd_error_set(err, r, "remove %s: %s", cdir, strerror(-r));
	pthread_rwlock_unlock(&h->gc);
	return r;
}

int images_rootfs_upper(struct images *h, const char *cid, char *path, size_t path_size, struct nd_error *err)
{
	char cdir[4096];
	int r = cdir_path(h, cid, cdir, sizeof(cdir), err);
	if (r < 0)
		return r;
	if (access(cdir, F_OK) < 0)
		return nd_error_set(err, -ENOENT, "no rootfs for container %s", cid);
	return nd_snprintf(path, path_size, "%s/%s", cdir, h->drv->upper);
}

int images_commit_container(struct images *h, const char *cid, const struct images_commit_opts *opts,
			    char id[IMAGES_DIGEST_LEN + 1], struct nd_error *err)
{
	if (h->drv != &images__driver_overlay2)
		return nd_error_set(err, -ENOTSUP, "commit of a container needs the overlay2 driver");
	char cdir[4096], p[4096];
	int r = cdir_path(h, cid, cdir, sizeof(cdir), err);
	if (r < 0)
		return r;
	_cleanup_free_ char *img = NULL;
	snprintf(p, sizeof(p), "%s/image", cdir);
	if (images__read_file(p, &img, NULL, 1024) < 0)
		return nd_error_set(err, -ENOENT, "no rootfs for container %s", cid);
	img[strcspn(img, "\n")] = '\0';
	snprintf(p, sizeof(p), "%s/upper", cdir);
	return images_commit(h, p, img, opts, id, err);
}
