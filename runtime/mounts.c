// SPDX-License-Identifier: Apache-2.0
/* The spec's mounts (binds, tmpfs), made in the container's mount namespace
 * after pivot_root. A bind's source was opened before the pivot as a
 * detached copy (open_tree(OPEN_TREE_CLONE)); a tmpfs is a new superblock
 * (fsopen/fsmount). Either is attached with move_mount() onto a target
 * opened with openat2(RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS) from the
 * container's root, so no symlink in the image can lead a mount outside it;
 * missing targets are created component by component the same way. Read-only,
 * nosuid/nodev/noexec and propagation are set with mount_setattr(). */
#include "runtime/internal.h"

#include <fcntl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <linux/mount.h>
#include <linux/openat2.h>

static const struct {
	const char *name;
	uint64_t prop;
	bool recursive;
} propagations[] = {
	{ "private", MS_PRIVATE, false }, { "rprivate", MS_PRIVATE, true },
	{ "shared", MS_SHARED, false },   { "rshared", MS_SHARED, true },
	{ "slave", MS_SLAVE, false },     { "rslave", MS_SLAVE, true },
};

bool rt__propagation_valid(const char *p)
{
	for (size_t i = 0; i < ARRAY_SIZE(propagations); i++)
		if (strcmp(propagations[i].name, p) == 0)
			return true;
	return false;
}

static int open_in_root(int rootfd, const char *rel, int flags, mode_t mode)
{
	struct open_how how = {
		.flags = (uint64_t)(flags | O_CLOEXEC),
		.mode = (flags & O_CREAT) ? mode : 0,
		.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS,
	};
	for (;;) {
		long fd = syscall(SYS_openat2, rootfd, rel, &how, sizeof(how));
		if (fd >= 0)
			return (int)fd;
		if (errno != EAGAIN && errno != EINTR)
			return -errno;
	}
}

/* The mount point dest (absolute, inside the root), created when missing
 * (a dir, or an empty file when the source is not one): an O_PATH fd.
 * Each prefix is resolved inside the root; a dangling symlink on the way is
 * followed (its target spliced into the path, still inside the root) and
 * what is missing is made there, as runc's MkdirAll inside a root does. */
static int target_open(int rootfd, const char *dest, bool dir, struct nd_error *err)
{
	char path[PATH_MAX];
	if (nd_snprintf(path, sizeof(path), "%s", dest + strspn(dest, "/")) < 0)
		return nd_error_set(err, -ENAMETOOLONG, "mount point %s: name too long", dest);
	if (!*path)
		return nd_error_set(err, -EINVAL, "cannot mount over the container's root");
	for (int hops = 0; hops < 40; hops++) {
		int parent = fcntl(rootfd, F_DUPFD_CLOEXEC, 3);
		if (parent < 0)
			return nd_error_set(err, -errno, "dup: %m");
		char *p = path;
		bool restart = false;
		for (;;) {
			char *slash = strchr(p, '/');
			bool last = !slash || slash[strspn(slash, "/")] == '\0';
			if (slash)
				*slash = '\0';
			/* the prefix up to this component, resolved inside the root */
			int fd = open_in_root(rootfd, path, O_PATH, 0);
			if (fd == -ENOENT) {
				struct stat st;
				char link[PATH_MAX];
				ssize_t l;
				if (fstatat(parent, p, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISLNK(st.st_mode) &&
				    (l = readlinkat(parent, p, link, sizeof(link) - 1)) > 0) {
					/* dangling: continue along its target */
					link[l] = '\0';
					char next[PATH_MAX];
					const char *rest = slash ? slash + 1 : "";
					int n;
					if (link[0] == '/') {
						n = snprintf(next, sizeof(next), "%s/%s", link + strspn(link, "/"), rest);
					} else {
						*p = '\0';   /* path is now the parent's prefix ("" or "a/b/") */
						n = snprintf(next, sizeof(next), "%s%s/%s", path, link, rest);
					}
					close(parent);
					if (n < 0 || (size_t)n >= sizeof(next))
						return nd_error_set(err, -ENAMETOOLONG, "mount point %s: name too long", dest);
					memcpy(path, next, (size_t)n + 1);
					restart = true;
					break;
				}
				int r = 0;
				if (last && !dir) {
					int f = openat(parent, p, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
					if (f < 0)
						r = -1;
					else
						close(f);
				} else {
					r = mkdirat(parent, p, 0755);
				}
				if (r < 0 && errno != EEXIST) {
					int e = -errno;
					close(parent);
					return nd_error_set(err, e, "create mount point %s: %s", dest, strerror(-e));
				}
				fd = open_in_root(rootfd, path, O_PATH, 0);
			}
			if (fd < 0) {
				close(parent);
				return nd_error_set(err, fd, "mount point %s: %s", dest, strerror(-fd));
			}
			close(parent);
			if (last)
				return fd;
			parent = fd;
			*slash = '/';
			p = slash + 1 + strspn(slash + 1, "/");
		}
		if (!restart)
			break;
	}
	return nd_error_set(err, -ELOOP, "mount point %s: too many symbolic links", dest);
}

static int tmpfs_open(const struct rt_mount *m, struct nd_error *err)
{
	int fs = (int)syscall(SYS_fsopen, "tmpfs", FSOPEN_CLOEXEC);
	if (fs < 0)
		return nd_error_set(err, -errno, "tmpfs for %s: fsopen: %m", m->destination);
	char *opts = m->options ? strdup(m->options) : NULL;
	char *save = NULL;
	for (char *o = opts ? strtok_r(opts, ",", &save) : NULL; o; o = strtok_r(NULL, ",", &save)) {
		char *eq = strchr(o, '=');
		long r;
		if (eq) {
			*eq = '\0';
			r = syscall(SYS_fsconfig, fs, FSCONFIG_SET_STRING, o, eq + 1, 0);
		} else {
			r = syscall(SYS_fsconfig, fs, FSCONFIG_SET_FLAG, o, NULL, 0);
		}
		if (r < 0) {
			int e = -errno;
			nd_error_set(err, e, "tmpfs for %s: option \"%s%s%s\": %s", m->destination, o, eq ? "=" : "",
				     eq ? eq + 1 : "", strerror(-e));
			free(opts);
			close(fs);
			return e;
		}
	}
	free(opts);
	if (syscall(SYS_fsconfig, fs, FSCONFIG_CMD_CREATE, NULL, NULL, 0) < 0) {
		int e = -errno;
		close(fs);
		return nd_error_set(err, e, "tmpfs for %s: %s", m->destination, strerror(-e));
	}
	int mfd = (int)syscall(SYS_fsmount, fs, FSMOUNT_CLOEXEC, 0);
	int e = -errno;
	close(fs);
	if (mfd < 0)
		return nd_error_set(err, e, "tmpfs for %s: fsmount: %s", m->destination, strerror(-e));
	return mfd;
}

/* read-only, nosuid/nodev/noexec and propagation of the mount at dest */
static int attrs_set(int rootfd, const struct rt_mount *m, struct nd_error *err)
{
	struct mount_attr a = { 0 };
	if (m->readonly)
		a.attr_set |= MOUNT_ATTR_RDONLY;
	if (m->flags & RT_MOUNT_NOSUID)
		a.attr_set |= MOUNT_ATTR_NOSUID;
	if (m->flags & RT_MOUNT_NODEV)
		a.attr_set |= MOUNT_ATTR_NODEV;
	if (m->flags & RT_MOUNT_NOEXEC)
		a.attr_set |= MOUNT_ATTR_NOEXEC;
	bool recursive = true;
	const char *prop = m->propagation ? m->propagation : "rprivate";
	for (size_t i = 0; i < ARRAY_SIZE(propagations); i++)
		if (strcmp(propagations[i].name, prop) == 0) {
			a.propagation = propagations[i].prop;
			recursive = propagations[i].recursive;
		}
	int fd = open_in_root(rootfd, m->destination + 1, O_PATH, 0);
	if (fd < 0)
		return nd_error_set(err, fd, "reopen %s: %s", m->destination, strerror(-fd));
	/* flags apply to the whole tree (a read-only bind has no writable
	 * submounts, as Docker's recursive read-only) unless ro_toplevel;
	 * propagation as asked */
	if (a.attr_set && syscall(SYS_mount_setattr, fd, "", AT_EMPTY_PATH | (m->ro_toplevel ? 0 : AT_RECURSIVE),
				  &(struct mount_attr){ .attr_set = a.attr_set }, sizeof(a)) < 0) {
		int e = -errno;
		close(fd);
		return nd_error_set(err, e, "mount attributes of %s: %s", m->destination, strerror(-e));
	}
	if (syscall(SYS_mount_setattr, fd, "", AT_EMPTY_PATH | (recursive ? AT_RECURSIVE : 0),
		    &(struct mount_attr){ .propagation = a.propagation }, sizeof(a)) < 0) {
		int e = -errno;
		close(fd);
		return nd_error_set(err, e, "propagation %s of %s: %s", prop, m->destination, strerror(-e));
	}
	close(fd);
	return 0;
}

int rt__mounts_setup(const struct rt_spec *spec, const int *src_fds, struct nd_error *err)
{
	int rootfd = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (rootfd < 0)
		return nd_error_set(err, -errno, "open /: %m");
	int rc = 0;
	for (size_t i = 0; i < spec->n_mounts && rc == 0; i++) {
		const struct rt_mount *m = &spec->mounts[i];
		int mfd;
		bool dir = true;
		if (m->type == RT_MOUNT_TMPFS) {
			mfd = tmpfs_open(m, err);
		} else {
			struct stat st;
			mfd = fcntl(src_fds[i], F_DUPFD_CLOEXEC, 3);
			if (mfd < 0 || fstat(mfd, &st) < 0)
				mfd = nd_error_set(err, -errno, "bind mount source %s: %m", m->source);
			else
				dir = S_ISDIR(st.st_mode);
		}
		if (mfd < 0) {
			rc = mfd;
			break;
		}
		int tfd = target_open(rootfd, m->destination, dir, err);
		if (tfd < 0) {
			close(mfd);
			rc = tfd;
			break;
		}
		if (syscall(SYS_move_mount, mfd, "", tfd, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) < 0)
			rc = nd_error_set(err, -errno, "mount %s on %s: %m",
					  m->type == RT_MOUNT_TMPFS ? "tmpfs" : m->source, m->destination);
		close(tfd);
		close(mfd);
		if (rc == 0)
			rc = attrs_set(rootfd, m, err);
	}
	close(rootfd);
	return rc;
}
