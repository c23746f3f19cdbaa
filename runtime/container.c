// SPDX-License-Identifier: Apache-2.0
/* The container side: runs in the clone()d child of the shim (new pid, mnt,
 * uts, ipc namespaces; the cgroup namespace once the shim moved it into its
 * cgroup). Mounts as Docker does, pivot_root, then process.c finishes. */
#include "runtime/internal.h"

#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <termios.h>
#include <linux/mount.h>

/* Docker's masked and read-only paths (moby oci/defaults.go) */
static const char *const masked_paths[] = {
	"/proc/asound", "/proc/acpi", "/proc/kcore", "/proc/keys", "/proc/latency_stats",
	"/proc/timer_list", "/proc/timer_stats", "/proc/sched_debug", "/proc/scsi",
	"/sys/firmware", "/sys/devices/virtual/powercap",
};
static const char *const readonly_paths[] = {
	"/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger",
};

static const struct {
	const char *path;
	unsigned maj, min;
} devices[] = {
	{ "/dev/null", 1, 3 }, { "/dev/zero", 1, 5 }, { "/dev/full", 1, 7 },
	{ "/dev/random", 1, 8 }, { "/dev/urandom", 1, 9 }, { "/dev/tty", 5, 0 },
};

static const struct {
	const char *target, *link;
} dev_links[] = {
	{ "pts/ptmx", "/dev/ptmx" },         { "/proc/self/fd", "/dev/fd" },
	{ "/proc/self/fd/0", "/dev/stdin" }, { "/proc/self/fd/1", "/dev/stdout" },
	{ "/proc/self/fd/2", "/dev/stderr" }, { "/proc/kcore", "/dev/core" },
};

void rt__report_error(int fd, const struct nd_error *err, int exit_code)
{
	json_t *j = json_pack("{s:i,s:i,s:s}", "code", err->code, "exit_code", exit_code, "message",
			      err->msg);
	char *txt = j ? json_dumps(j, JSON_COMPACT) : NULL;
	if (txt) {
		size_t l = strlen(txt);
		char *msg = malloc(l + 2);
		if (msg) {
			msg[0] = 'E';
			memcpy(msg + 1, txt, l + 1);
			ssize_t w = write(fd, msg, l + 1);
			(void)w;
			free(msg);
		}
	}
	free(txt);
	json_decref(j);
}

int rt__parse_error(const char *buf, size_t len, struct nd_error *err, int *exit_code)
{
	if (len < 2 || buf[0] != 'E')
		return 0;
	_cleanup_json_ json_t *j = json_loadb(buf + 1, len - 1, 0, NULL);
	json_int_t code = -EIO, ec = 125;
	const char *msg = "container start failed";
	if (j)
		json_unpack(j, "{s?I,s?I,s?s}", "code", &code, "exit_code", &ec, "message", &msg);
	nd_error_set(err, (int)code, "%s", msg);
	*exit_code = (int)ec;
	return 1;
}

static __attribute__((noreturn)) void child_fail(struct rt__child_ctx *ctx, struct nd_error *err,
						   int exit_code)
{
	rt__report_error(ctx->sync_fd, err, exit_code);
	_exit(exit_code);
}

/* remount keeping the locked flags (nosuid, nodev, noexec...) */
static int remount_ro(const char *path, bool bind_first)
{
	if (bind_first && mount(path, path, NULL, MS_BIND | MS_REC, NULL) < 0)
		return -errno;
	struct statvfs sv;
	if (statvfs(path, &sv) < 0)
		return -errno;
	unsigned long fl = MS_BIND | MS_REMOUNT | MS_RDONLY;
	if (sv.f_flag & ST_NOSUID) fl |= MS_NOSUID;
	if (sv.f_flag & ST_NODEV) fl |= MS_NODEV;
	if (sv.f_flag & ST_NOEXEC) fl |= MS_NOEXEC;
	if (sv.f_flag & ST_NOATIME) fl |= MS_NOATIME;
	if (sv.f_flag & ST_NODIRATIME) fl |= MS_NODIRATIME;
	if (sv.f_flag & ST_RELATIME) fl |= MS_RELATIME;
	if (mount(NULL, path, NULL, fl, NULL) < 0)
		return -errno;
	return 0;
}

static int mount_at(const char *src, const char *dst, const char *type, unsigned long fl,
		    const char *data, struct nd_error *err)
{
	int r = nd_mkdir_p(dst, 0755);
	if (r < 0)
		return nd_error_set(err, r, "mkdir %s: %s", dst, strerror(-r));
	if (mount(src, dst, type, fl, data) < 0)
		return nd_error_set(err, -errno, "mount %s on %s: %m", type ? type : src, dst);
	return 0;
}

/* creates an empty file or dir to bind over */
static int make_target(const char *dst, bool dir)
{
	if (dir)
		return nd_mkdir_p(dst, 0755);
	char parent[PATH_MAX];
	snprintf(parent, sizeof(parent), "%s", dst);
	char *s = strrchr(parent, '/');
	if (s && s != parent) {
		*s = '\0';
		int r = nd_mkdir_p(parent, 0755);
		if (r < 0)
			return r;
	}
	int fd = open(dst, O_WRONLY | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644);
	if (fd < 0 && errno != EISDIR)
		return -errno;
	if (fd >= 0)
		close(fd);
	return 0;
}

static int setup_dev(bool tty, struct nd_error *err)
{
	int r;
	if ((r = mount_at("tmpfs", "/dev", "tmpfs", MS_NOSUID | MS_STRICTATIME, "mode=755,size=65536k", err)) < 0)
		return r;
	mode_t old = umask(0);
	for (size_t i = 0; i < ARRAY_SIZE(devices); i++)
		if (mknod(devices[i].path, S_IFCHR | 0666, makedev(devices[i].maj, devices[i].min)) < 0) {
			umask(old);
			return nd_error_set(err, -errno, "mknod %s: %m", devices[i].path);
		}
	umask(old);
	if ((r = mount_at("devpts", "/dev/pts", "devpts", MS_NOSUID | MS_NOEXEC,
			  "newinstance,ptmxmode=0666,mode=0620,gid=5", err)) < 0)
		return r;
	if ((r = mount_at("shm", "/dev/shm", "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC,
			  "mode=1777,size=65536k", err)) < 0)
		return r;
	if ((r = mount_at("mqueue", "/dev/mqueue", "mqueue", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL, err)) < 0)
		return r;
	for (size_t i = 0; i < ARRAY_SIZE(dev_links); i++)
		if (symlink(dev_links[i].target, dev_links[i].link) < 0 && errno != EEXIST)
			return nd_error_set(err, -errno, "symlink %s: %m", dev_links[i].link);
	if (tty && make_target("/dev/console", false) < 0)
		return nd_error_set(err, -errno, "create /dev/console: %m");
	return 0;
}

static int setup_masks(struct nd_error *err)
{
	for (size_t i = 0; i < ARRAY_SIZE(masked_paths); i++) {
		struct stat st;
		const char *p = masked_paths[i];
		if (stat(p, &st) < 0)
			continue;
		int r = S_ISDIR(st.st_mode) ? mount("tmpfs", p, "tmpfs", MS_RDONLY, "size=0")
					    : mount("/dev/null", p, NULL, MS_BIND, NULL);
		if (r < 0)
			return nd_error_set(err, -errno, "mask %s: %m", p);
	}
	for (size_t i = 0; i < ARRAY_SIZE(readonly_paths); i++) {
		if (access(readonly_paths[i], F_OK) < 0)
			continue;
		int r = remount_ro(readonly_paths[i], true);
		if (r < 0)
			return nd_error_set(err, r, "read-only %s: %s", readonly_paths[i], strerror(-r));
	}
	return 0;
}

static int pivot(const char *rootfs, struct nd_error *err)
{
	if (mount(NULL, "/", NULL, MS_REC | MS_SLAVE, NULL) < 0)
		return nd_error_set(err, -errno, "make / rslave: %m");
	if (mount(rootfs, rootfs, NULL, MS_BIND | MS_REC, NULL) < 0)
		return nd_error_set(err, -errno, "bind rootfs %s: %m", rootfs);
	if (chdir(rootfs) < 0)
		return nd_error_set(err, -errno, "chdir %s: %m", rootfs);
	/* pivot_root(".", "."): the old root lands on top of the new one and is
	 * detached at once (runc's trick; no put_old dir in the image) */
	if (syscall(SYS_pivot_root, ".", ".") < 0)
		return nd_error_set(err, -errno, "pivot_root %s: %m", rootfs);
	if (umount2(".", MNT_DETACH) < 0)
		return nd_error_set(err, -errno, "detach the old root: %m");
	if (chdir("/") < 0)
		return nd_error_set(err, -errno, "chdir /: %m");
	return 0;
}

static int setup_pty(struct rt__child_ctx *ctx, struct nd_error *err)
{
	int master = open("/dev/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (master < 0)
		return nd_error_set(err, -errno, "open /dev/ptmx: %m");
	if (unlockpt(master) < 0)
		return nd_error_set(err, -errno, "unlockpt: %m");
	char name[64];
	if (ptsname_r(master, name, sizeof(name)) != 0)
		return nd_error_set(err, -errno, "ptsname: %m");
	int slave = open(name, O_RDWR | O_NOCTTY);
	if (slave < 0)
		return nd_error_set(err, -errno, "open %s: %m", name);
	if (mount(name, "/dev/console", NULL, MS_BIND, NULL) < 0)
		return nd_error_set(err, -errno, "bind %s on /dev/console: %m", name);
	if (setsid() < 0 || ioctl(slave, TIOCSCTTY, 0) < 0)
		return nd_error_set(err, -errno, "make %s the controlling tty: %m", name);
	/* hand the master to the shim */
	int rs = rt__send_fd(ctx->sync_fd, 'T', master);
	if (rs < 0)
		return nd_error_set(err, rs, "send the pty master: %s", strerror(-rs));
	close(master);
	for (int i = 0; i < 3; i++)
		if (dup2(slave, i) < 0)
			return nd_error_set(err, -errno, "dup2: %m");
	if (slave > 2)
		close(slave);
	return 0;
}

const char *rt__spec_hostname(const struct rt_spec *spec, char buf[65])
{
	if (spec->hostname && *spec->hostname)
		return spec->hostname;
	snprintf(buf, 65, "%.12s", spec->id);
	return buf;
}

void rt__container_child(struct rt__child_ctx *ctx)
{
	const struct rt_spec *spec = ctx->spec;
	struct nd_error err = { 0 };
	int r;
	char c = 0;

	/* into the cgroup first (the shim moved us, or we move ourselves): then
	 * the cgroup namespace is rooted at the container's own cgroup */
	if (read(ctx->sync_fd, &c, 1) != 1 || c != 'G')
		_exit(125);
	if (ctx->cg && (r = ctx->cg->mgr->enter_self(ctx->cg, &err)) < 0) {
		nd_error_wrap(&err, "cgroup");
		child_fail(ctx, &err, 125);
	}
	if (unshare(CLONE_NEWCGROUP) < 0) {
		nd_error_set(&err, -errno, "unshare(CLONE_NEWCGROUP): %m");
		child_fail(ctx, &err, 125);
	}
	if (ctx->netns_fd >= 0 && setns(ctx->netns_fd, CLONE_NEWNET) < 0) {
		nd_error_set(&err, -errno, "setns into %s: %m", spec->netns);
		child_fail(ctx, &err, 125);
	}
	if (ctx->netns_fd >= 0)
		close(ctx->netns_fd);
	char hbuf[65];
	const char *hostname = rt__spec_hostname(spec, hbuf);
	if (sethostname(hostname, strlen(hostname)) < 0) {
		nd_error_set(&err, -errno, "sethostname %s: %m", hostname);
		child_fail(ctx, &err, 125);
	}

	/* bind sources are host paths: keep them as fds across pivot_root */
	int *src_fds = calloc(spec->n_mounts + 1, sizeof(int));
	for (size_t i = 0; src_fds && i < spec->n_mounts; i++) {
		src_fds[i] = -1;
		if (spec->mounts[i].type != RT_MOUNT_BIND)
			continue;
		/* a detached copy of the source mount, attached after pivot_root
		 * with move_mount(): the destination then resolves inside the root */
		src_fds[i] = (int)syscall(SYS_open_tree, AT_FDCWD, spec->mounts[i].source,
					  OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC |
						  (spec->mounts[i].nonrecursive ? 0 : AT_RECURSIVE));
		if (src_fds[i] < 0) {
			nd_error_set(&err, -errno, "bind mount source %s: %m", spec->mounts[i].source);
			child_fail(ctx, &err, 125);
		}
	}
	if (!src_fds) {
		nd_error_set(&err, -ENOMEM, "out of memory");
		child_fail(ctx, &err, 125);
	}
	struct rt__hostdevs *hostdevs = rt__security_hostdevs(&spec->security);
	char *bpf;
	size_t bpf_len;
	rt__security_bpf_read(spec->state_dir, &bpf, &bpf_len);
	if ((r = pivot(spec->rootfs, &err)) < 0)
		child_fail(ctx, &err, 125);

	/* from here every path resolves inside the container's root */
	bool priv = spec->security.privileged;
	if (mount_at("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL, &err) < 0 ||
	    rt__security_sysctls(&spec->security, &err) < 0 || setup_dev(spec->tty, &err) < 0 ||
	    rt__security_devices(&spec->security, hostdevs, &err) < 0 ||
	    mount_at("sysfs", "/sys", "sysfs", MS_NOSUID | MS_NODEV | MS_NOEXEC | (priv ? 0 : MS_RDONLY), NULL, &err) < 0)
		child_fail(ctx, &err, 125);
	if (rt__mounts_setup(spec, src_fds, &err) < 0)
		child_fail(ctx, &err, 125);
	for (size_t i = 0; i < spec->n_mounts; i++)
		if (src_fds[i] >= 0)
			close(src_fds[i]);
	free(src_fds);
	if (!priv && setup_masks(&err) < 0)
		child_fail(ctx, &err, 125);
	if (spec->readonly_rootfs && (r = remount_ro("/", false)) < 0) {
		nd_error_set(&err, r, "read-only rootfs: %s", strerror(-r));
		child_fail(ctx, &err, 125);
	}

	if (spec->tty) {
		if (setup_pty(ctx, &err) < 0)
			child_fail(ctx, &err, 125);
	} else {
		for (int i = 0; i < 3; i++)
			if (dup2(ctx->stdio[i], i) < 0) {
				nd_error_set(&err, -errno, "dup2: %m");
				child_fail(ctx, &err, 125);
			}
		for (int i = 0; i < 3; i++)
			if (ctx->stdio[i] > 2)
				close(ctx->stdio[i]);
		setsid();
	}

	if (spec->init) {
		sigset_t all;
		sigfillset(&all);
		sigprocmask(SIG_BLOCK, &all, NULL);
		pid_t child = fork();
		if (child < 0) {
			nd_error_set(&err, -errno, "fork the init's child: %m");
			child_fail(ctx, &err, 125);
		}
		if (child > 0) {
			close(ctx->sync_fd);
			/* ps in the container shows "init", not the shim's
			 * command line with the host's state dir */
			if (ctx->argv_area && ctx->argv_len > 4) {
				memset(ctx->argv_area, 0, ctx->argv_len);
				memcpy(ctx->argv_area, "init", 4);
			}
			prctl(PR_SET_NAME, "init", 0, 0, 0);
			/* the init keeps the container's capabilities, never more */
			rt__caps_drop_bounding(rt_security_caps(&spec->security), NULL);
			if (!spec->security.new_privs)
				prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
			_exit(rt__init_run(child));
		}
		sigprocmask(SIG_UNBLOCK, &all, NULL);
		if (spec->tty)
			ioctl(0, TIOCSCTTY, 0); /* harmless when it fails: init holds it */
	}

	struct rt__proc p = {
		.user = spec->user, .cwd = spec->cwd, .args = spec->args, .env = spec->env,
		.hostname = hostname, .tty = spec->tty, .sec = &spec->security, .bpf = bpf, .bpf_len = bpf_len,
	};
	int exit_code = 125;
	rt__process_exec(&p, &exit_code, &err);
	child_fail(ctx, &err, exit_code);
}
