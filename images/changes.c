// SPDX-License-Identifier: Apache-2.0
/* images: a container's changes against its image (docker diff), read from
 * the overlay upper dir: whiteouts (char 0/0) are deletions, an entry the
 * lower layers also have is a change, anything else an addition. */
#include "images/images-internal.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <linux/openat2.h>
#include <sys/syscall.h>

struct walk {
	int *lower;          /* fds of the lower layer roots, top first */
	size_t nlower;
	struct images_change *v;
	size_t n, cap;
};

static bool in_lower(const struct walk *w, const char *rel)
{
	for (size_t i = 0; i < w->nlower; i++) {
		int fd = images__open_in_root(w->lower[i], rel, O_PATH | O_NOFOLLOW, 0);
		if (fd >= 0) {
			close(fd);
			return true;
		}
	}
	return false;
}

static int add(struct walk *w, const char *rel, enum images_change_kind kind)
{
	if (w->n == w->cap) {
		size_t cap = w->cap ? w->cap * 2 : 32;
		struct images_change *nv = realloc(w->v, cap * sizeof(*nv));
		if (!nv)
			return -ENOMEM;
		w->v = nv;
		w->cap = cap;
	}
	w->v[w->n].kind = kind;
	if (!(w->v[w->n].path = malloc(strlen(rel) + 2)))
		return -ENOMEM;
	sprintf(w->v[w->n].path, "/%s", rel);
	w->n++;
	return 0;
}

static int walk_dir(struct walk *w, int dfd, const char *prefix, bool all_added)
{
	DIR *d = fdopendir(dfd);
	if (!d) {
		close(dfd);
		return -errno;
	}
	int rc = 0;
	struct dirent *de;
	while (rc == 0 && (de = readdir(d))) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		char rel[4096];
		if (nd_snprintf(rel, sizeof(rel), "%s%s%s", prefix, *prefix ? "/" : "", de->d_name) < 0)
			continue;
		struct stat st;
		if (fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0)
			continue;
		if (S_ISCHR(st.st_mode) && st.st_rdev == makedev(0, 0)) {
			rc = add(w, rel, IMAGES_CHANGE_DELETED);
			continue;
		}
		bool lower = !all_added && in_lower(w, rel);
		rc = add(w, rel, lower ? IMAGES_CHANGE_MODIFIED : IMAGES_CHANGE_ADDED);
		if (rc == 0 && S_ISDIR(st.st_mode)) {
			int sub = openat(dirfd(d), de->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
			if (sub >= 0) {
				char opq[2] = "";
				/* an opaque dir hides the lower one: all below is new */
				bool opaque = fgetxattr(sub, "trusted.overlay.opaque", opq, sizeof(opq)) == 1 && opq[0] == 'y';
				rc = walk_dir(w, sub, rel, !lower || opaque);
			}
		}
	}
	closedir(d);
	return rc;
}

static int cmp_change(const void *a, const void *b)
{
	return strcmp(((const struct images_change *)a)->path, ((const struct images_change *)b)->path);
}

void images_changes_free(struct images_change *v, size_t n)
{
	for (size_t i = 0; v && i < n; i++)
		free(v[i].path);
	free(v);
}

int images_rootfs_changes(struct images *h, const char *cid, struct images_change **out, size_t *n,
			  struct nd_error *err)
{
	*out = NULL;
	*n = 0;
	if (h->drv != &images__driver_overlay2)
		return nd_error_set(err, -ENOTSUP, "container changes need the overlay2 storage driver");
	if (!cid || !nd_name_valid(cid))
		return nd_error_set(err, -EINVAL, "invalid container ID");
	char cdir[4096], p[4200];
	snprintf(cdir, sizeof(cdir), "%s/%s", h->containers, cid);
	_cleanup_free_ char *chains = NULL, *lower = NULL;
	snprintf(p, sizeof(p), "%s/chains", cdir);
	if (images__read_file(p, &chains, NULL, 1 << 20) < 0)
		return nd_error_set(err, -ENOENT, "no rootfs for container %s", cid);
	char *last = NULL;
	for (char *l = strtok(chains, "\n"); l; l = strtok(NULL, "\n"))
		last = l;
	int r;
	if (last && (r = images__layer_lower(h, last, &lower, err)) < 0)
		return r;
	struct walk w = { 0 };
	_cleanup_close_ int ovfd = open(h->overlay, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	size_t nl = 1;
	for (const char *q = lower; q && *q; q++)
		nl += *q == ':';
	w.lower = calloc(nl, sizeof(int));
	if (!w.lower || ovfd < 0) {
		free(w.lower);
		return nd_error_set(err, -errno ? -errno : -ENOMEM, "open %s: %s", h->overlay, strerror(errno));
	}
	for (char *q = lower ? strtok(lower, ":") : NULL; q; q = strtok(NULL, ":")) {
		int fd = openat(ovfd, q, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (fd >= 0)
			w.lower[w.nlower++] = fd;
	}
	snprintf(p, sizeof(p), "%s/upper", cdir);
	int ufd = open(p, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	r = ufd < 0 ? -errno : walk_dir(&w, ufd, "", false);
	for (size_t i = 0; i < w.nlower; i++)
		close(w.lower[i]);
	free(w.lower);
	if (r < 0) {
		images_changes_free(w.v, w.n);
		return nd_error_set(err, r, "walk %s: %s", p, strerror(-r));
	}
	if (w.n)
		qsort(w.v, w.n, sizeof(*w.v), cmp_change);
	*out = w.v;
	*n = w.n;
	return 0;
}

int images_open_in_root(int rootfd, const char *rel, int flags, mode_t mode, bool cross_mounts)
{
	if (!cross_mounts)
		return images__open_in_root(rootfd, rel, flags, mode);
	struct open_how how = {
		.flags = (uint64_t)(flags | O_CLOEXEC),
		.mode = (flags & (O_CREAT | O_TMPFILE)) ? mode : 0,
		.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS,
	};
	if (!rel || !*rel)
		rel = ".";
	for (;;) {
		long fd = syscall(SYS_openat2, rootfd, rel, &how, sizeof(how));
		if (fd >= 0)
			return (int)fd;
		if (errno != EAGAIN && errno != EINTR)
			return -errno;
	}
}
