// SPDX-License-Identifier: Apache-2.0
/* Network namespaces as files: a bind mount of /proc/thread-self/ns/net made
 * by a short-lived thread that unshared its own network namespace (the loop
 * thread never changes namespace). */
#include "netd/net/net.h"

#include <fcntl.h>
#include <linux/magic.h>
#include <net/if.h>
#include <pthread.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statfs.h>

int netns_dir_prepare(const char *dir, struct nd_error *err)
{
	if (mkdir(dir, 0755) < 0 && errno != EEXIST)
		return nd_error_set(err, -errno, "mkdir %s: %s", dir, strerror(errno));
	/* as iproute2 does: make the directory a shared mount point so netns
	 * mounts made here propagate to mount namespaces cloned later */
	if (mount("", dir, "none", MS_SHARED | MS_REC, NULL) == 0)
		return 0;
	if (errno != EINVAL)
		return nd_error_set(err, -errno, "make %s shared: %s", dir, strerror(errno));
	if (mount(dir, dir, "none", MS_BIND | MS_REC, NULL) < 0)
		return nd_error_set(err, -errno, "bind %s: %s", dir, strerror(errno));
	if (mount("", dir, "none", MS_SHARED | MS_REC, NULL) < 0)
		return nd_error_set(err, -errno, "make %s shared: %s", dir, strerror(errno));
	return 0;
}

bool netns_alive(const char *path)
{
	struct statfs sf;
	return statfs(path, &sf) == 0 && sf.f_type == NSFS_MAGIC;
}

struct create_job {
	const char *path;
	int rc;
	char msg[256];
};

static void *create_thread(void *arg)
{
	struct create_job *j = arg;
	if (unshare(CLONE_NEWNET) < 0) {
		j->rc = -errno;
		snprintf(j->msg, sizeof(j->msg), "unshare(CLONE_NEWNET): %s", strerror(errno));
		return NULL;
	}
	if (mount("/proc/thread-self/ns/net", j->path, "none", MS_BIND, NULL) < 0) {
		j->rc = -errno;
		snprintf(j->msg, sizeof(j->msg), "bind-mount netns on %s: %s", j->path, strerror(errno));
		return NULL;
	}
	/* loopback up: a sandbox always has a working lo */
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd >= 0) {
		struct ifreq ifr = { 0 };
		snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "lo");
		if (ioctl(fd, SIOCGIFFLAGS, &ifr) == 0) {
			ifr.ifr_flags |= IFF_UP;
			if (ioctl(fd, SIOCSIFFLAGS, &ifr) < 0) {
				j->rc = -errno;
				snprintf(j->msg, sizeof(j->msg), "set lo up: %s", strerror(errno));
			}
		}
		close(fd);
	}
	return NULL;
}

int netns_create(const char *path, struct nd_error *err)
{
	if (netns_alive(path))
		return 0;  /* idempotent */
	int fd = open(path, O_RDONLY | O_CREAT | O_CLOEXEC, 0444);
	if (fd < 0)
		return nd_error_set(err, -errno, "create %s: %s", path, strerror(errno));
	close(fd);
	struct create_job j = { .path = path };
	pthread_t t;
	int r = pthread_create(&t, NULL, create_thread, &j);
	if (r != 0) {
		unlink(path);
		return nd_error_set(err, -r, "netns thread: %s", strerror(r));
	}
	pthread_join(t, NULL);
	if (j.rc < 0) {
		umount2(path, MNT_DETACH);
		unlink(path);
		return nd_error_set(err, j.rc, "%s", j.msg);
	}
	return 0;
}

int netns_destroy(const char *path, struct nd_error *err)
{
	/* the kernel frees the namespace (and every interface in it) once the
	 * last reference goes, asynchronously: no waiting on veth deletions */
	if (umount2(path, MNT_DETACH) < 0 && errno != EINVAL && errno != ENOENT)
		return nd_error_set(err, -errno, "unmount %s: %s", path, strerror(errno));
	if (unlink(path) < 0 && errno != ENOENT)
		return nd_error_set(err, -errno, "remove %s: %s", path, strerror(errno));
	return 0;
}
