// SPDX-License-Identifier: Apache-2.0
/* The daemon's side: start a shim, re-adopt, wait, kill, delete, attach. */
#include "runtime/internal.h"

#include <dirent.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>

extern char **environ;

const char *rt_status_name(enum rt_status s)
{
	switch (s) {
	case RT_STATUS_RUNNING: return "running";
	case RT_STATUS_STOPPED: return "exited";
	default: return "unknown";
	}
}

static int read_json(const char *dir, const char *file, json_t **out)
{
	char path[PATH_MAX];
	if (nd_snprintf(path, sizeof(path), "%s/%s", dir, file) < 0)
		return -ENAMETOOLONG;
	_cleanup_free_ char *buf = NULL;
	size_t len;
	int r = rt__read_file(path, &buf, &len);
	if (r < 0)
		return r;
	*out = json_loadb(buf, len, 0, NULL);
	return *out ? 0 : -EINVAL;
}

int rt_state_load(const char *state_dir, struct rt_state *out, struct nd_error *err)
{
	memset(out, 0, sizeof(*out));
	snprintf(out->state_dir, sizeof(out->state_dir), "%s", state_dir);
	_cleanup_json_ json_t *st = NULL;
	int r = read_json(state_dir, RT_STATE_FILE, &st);
	if (r < 0)
		return nd_error_set(err, r, "container state in %s: %s", state_dir, strerror(-r));
	json_int_t shim_pid = 0, shim_start = 0, pid = 0, pid_start = 0;
	const char *id = "", *started = "";
	json_unpack(st, "{s?s,s?I,s?I,s?I,s?I,s?s}", "id", &id, "shim_pid", &shim_pid, "shim_start",
		    &shim_start, "pid", &pid, "pid_start", &pid_start, "started", &started);
	snprintf(out->id, sizeof(out->id), "%s", id);
	out->shim_pid = (pid_t)shim_pid;
	out->shim_start = (uint64_t)shim_start;
	out->pid = (pid_t)pid;
	out->pid_start = (uint64_t)pid_start;
	snprintf(out->started, sizeof(out->started), "%s", started);

	_cleanup_json_ json_t *ex = NULL;
	if (read_json(state_dir, RT_EXIT_FILE, &ex) == 0) {
		json_int_t code = 0, sig = 0;
		int oom = 0;
		const char *fin = "", *e = "";
		json_unpack(ex, "{s?I,s?I,s?b,s?s,s?s}", "exit_code", &code, "signal", &sig, "oom_killed",
			    &oom, "finished", &fin, "error", &e);
		out->exit.exit_code = (int)code;
		out->exit.signal = (int)sig;
		out->exit.oom_killed = oom;
		snprintf(out->exit.finished, sizeof(out->exit.finished), "%s", fin);
		snprintf(out->exit.error, sizeof(out->exit.error), "%s", e);
		out->status = RT_STATUS_STOPPED;
	} else if (out->pid > 0 && rt__proc_alive(out->pid, out->pid_start)) {
		/* running; if the shim is gone the exit code will be lost, but
		 * the container is still there to be killed and deleted */
		out->status = RT_STATUS_RUNNING;
	} else if (rt__proc_alive(out->shim_pid, out->shim_start)) {
		out->status = RT_STATUS_RUNNING; /* still starting or draining */
	} else {
		out->status = RT_STATUS_UNKNOWN;
	}
	return 0;
}

json_t *rt_state_to_json(const struct rt_state *st)
{
	json_t *j = json_pack("{s:s,s:s,s:s,s:i,s:i,s:s}", "id", st->id, "state_dir", st->state_dir,
			      "status", rt_status_name(st->status), "shim_pid", (int)st->shim_pid, "pid",
			      (int)st->pid, "started", st->started);
	if (st->status == RT_STATUS_STOPPED)
		json_object_set_new(j, "exit",
				    json_pack("{s:i,s:i,s:b,s:s,s:s}", "exit_code", st->exit.exit_code,
					      "signal", st->exit.signal, "oom_killed", st->exit.oom_killed,
					      "finished", st->exit.finished, "error", st->exit.error));
	return j;
}

static void reap_if_child(pid_t pid, bool block)
{
	if (pid > 0)
		while (waitpid(pid, NULL, block ? 0 : WNOHANG) < 0 && errno == EINTR)
			;
}

int rt_wait(struct rt_state *st, int timeout_ms, struct nd_error *err)
{
	char dir[sizeof(st->state_dir)];
	snprintf(dir, sizeof(dir), "%s", st->state_dir);
	if (st->status != RT_STATUS_STOPPED) {
		int pfd = (int)syscall(SYS_pidfd_open, st->shim_pid, 0);
		if (pfd >= 0 && rt__proc_alive(st->shim_pid, st->shim_start)) {
			struct pollfd pf = { .fd = pfd, .events = POLLIN };
			int r;
			do
				r = poll(&pf, 1, timeout_ms);
			while (r < 0 && errno == EINTR);
			close(pfd);
			if (r == 0)
				return nd_error_set(err, -ETIMEDOUT, "container %s: still running", st->id);
		} else if (pfd >= 0) {
			close(pfd);
		}
		reap_if_child(st->shim_pid, false);
	}
	int r = rt_state_load(dir, st, err);
	if (r < 0)
		return r;
	if (st->status != RT_STATUS_STOPPED)
		return nd_error_set(err, -EIO, "container %s: the shim exited without recording an exit status",
				    st->id);
	return 0;
}

int rt_kill(const struct rt_state *st, int sig, struct nd_error *err)
{
	if (st->pid <= 0 || !rt__proc_alive(st->pid, st->pid_start))
		return nd_error_set(err, -ESRCH, "container %s is not running", st->id);
	if (kill(st->pid, sig) < 0)
		return nd_error_set(err, -errno, "kill container %s: %m", st->id);
	return 0;
}

int rt_delete(const char *state_dir, struct nd_error *err)
{
	struct stat sb;
	if (stat(state_dir, &sb) < 0)
		return errno == ENOENT ? 0 : nd_error_set(err, -errno, "%s: %m", state_dir);
	int ret = 0;
	struct rt_state st;
	if (rt_state_load(state_dir, &st, NULL) == 0) {
		if (st.pid > 0 && rt__proc_alive(st.pid, st.pid_start)) {
			kill(st.pid, SIGKILL);
			/* let the shim record it (bounded) */
			if (rt__proc_alive(st.shim_pid, st.shim_start))
				rt_wait(&st, 5000, NULL);
		}
		reap_if_child(st.shim_pid, false);
		_cleanup_json_ json_t *j = NULL;
		struct rt_cgroup cg;
		if (read_json(state_dir, RT_STATE_FILE, &j) == 0 &&
		    rt__cgroup_from_json(json_object_get(j, "cgroup"), &cg) == 0) {
			struct nd_error e = { 0 };
			int r = cg.mgr->destroy(&cg, &e);
			if (r < 0 && !ret)
				ret = nd_error_set(err, r, "%s", e.msg);
			rt_cgroup_clear(&cg);
		}
	}
	DIR *d = opendir(state_dir);
	if (d) {
		struct dirent *de;
		while ((de = readdir(d)))
			if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
				unlinkat(dirfd(d), de->d_name, 0);
		closedir(d);
	}
	if (rmdir(state_dir) < 0 && errno != ENOENT && !ret)
		ret = nd_error_set(err, -errno, "remove %s: %m", state_dir);
	return ret;
}

int rt_state_cgroup(const char *state_dir, struct rt_cgroup *out, struct nd_error *err)
{
	_cleanup_json_ json_t *j = NULL;
	memset(out, 0, sizeof(*out));
	int r = read_json(state_dir, RT_STATE_FILE, &j);
	if (r < 0)
		return nd_error_set(err, r, "%s/%s: %s", state_dir, RT_STATE_FILE, strerror(-r));
	if (rt__cgroup_from_json(json_object_get(j, "cgroup"), out) < 0) {
		rt_cgroup_clear(out);
		return nd_error_set(err, -ENOENT, "%s: no cgroup recorded", state_dir);
	}
	return 0;
}

int rt_start(const char *shim_path, const struct rt_spec *spec, struct rt_state *out,
	     struct nd_error *err)
{
	_cleanup_json_ json_t *rep = NULL;
	memset(out, 0, sizeof(*out));
	int r = rt_spec_validate(spec, err);
	if (r < 0) {
		out->exit.exit_code = 125;
		return r;
	}
	snprintf(out->state_dir, sizeof(out->state_dir), "%s", spec->state_dir);
	snprintf(out->id, sizeof(out->id), "%s", spec->id);
	out->exit.exit_code = 125;
	char path[PATH_MAX];
	if (nd_snprintf(path, sizeof(path), "%s/" RT_STATE_FILE, spec->state_dir) < 0)
		return nd_error_set(err, -ENAMETOOLONG, "state dir path too long");
	if (access(path, F_OK) == 0)
		return nd_error_set(err, -EEXIST, "container %s already exists in %s", spec->id, spec->state_dir);
	if ((r = nd_mkdir_p(spec->state_dir, 0711)) < 0)
		return nd_error_set(err, r, "create state dir %s: %s", spec->state_dir, strerror(-r));
	snprintf(path, sizeof(path), "%s/" RT_SPEC_FILE, spec->state_dir);
	if ((r = rt_spec_save(spec, path, err)) < 0)
		goto fail;

	int p[2];
	if (pipe2(p, O_CLOEXEC) < 0) {
		r = nd_error_set(err, -errno, "pipe: %m");
		goto fail;
	}
	char shim_log[PATH_MAX];
	snprintf(shim_log, sizeof(shim_log), "%s/" RT_SHIM_LOG, spec->state_dir);
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t at;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
	posix_spawn_file_actions_addopen(&fa, 2, shim_log, O_WRONLY | O_CREAT | O_APPEND, 0640);
	posix_spawn_file_actions_adddup2(&fa, p[1], 3);
	posix_spawnattr_init(&at);
	sigset_t none, all;
	sigemptyset(&none);
	sigfillset(&all);
	posix_spawnattr_setsigmask(&at, &none);
	posix_spawnattr_setsigdefault(&at, &all);
	/* a new session: killing the caller's process group spares the shim */
	posix_spawnattr_setflags(&at, POSIX_SPAWN_SETSID | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
	char *argv[] = { (char *)shim_path, "start", spec->state_dir, NULL };
	pid_t shim;
	int sr = posix_spawn(&shim, shim_path, &fa, &at, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	posix_spawnattr_destroy(&at);
	close(p[1]);
	if (sr != 0) {
		close(p[0]);
		r = nd_error_set(err, -sr, "exec %s: %s", shim_path, strerror(sr));
		goto fail;
	}
	out->shim_pid = shim;

	/* one JSON line, then EOF */
	char buf[ND_ERROR_MSG_MAX + 512];
	size_t len = 0;
	uint64_t deadline = nd_now_ns() + 60ull * 1000000000ull;
	for (;;) {
		struct pollfd pf = { .fd = p[0], .events = POLLIN };
		int left = (int)((deadline - nd_now_ns()) / 1000000);
		int pr = left > 0 ? poll(&pf, 1, left) : 0;
		if (pr < 0 && errno == EINTR)
			continue;
		if (pr <= 0)
			break;
		ssize_t n = read(p[0], buf + len, sizeof(buf) - 1 - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		len += (size_t)n;
		if (len == sizeof(buf) - 1 || memchr(buf, '\n', len))
			break; /* the reply is one line */
	}
	close(p[0]);
	buf[len] = '\0';
	rep = json_loadb(buf, len, JSON_DISABLE_EOF_CHECK, NULL);
	if (!rep || !json_is_true(json_object_get(rep, "ok"))) {
		json_int_t code = -EIO, ec = 125;
		const char *msg = "netd-shim exited without a reply (see shim.log)";
		if (rep)
			json_unpack(rep, "{s?I,s?I,s?s}", "code", &code, "exit_code", &ec, "message", &msg);
		r = nd_error_set(err, (int)code, "%s", msg);
		out->exit.exit_code = (int)ec;
		if (!rep && nd_now_ns() >= deadline)
			kill(shim, SIGKILL);
		reap_if_child(shim, true);
		goto fail;
	}
	char dir[sizeof(out->state_dir)];
	snprintf(dir, sizeof(dir), "%s", spec->state_dir);
	return rt_state_load(dir, out, err);

fail:;
	int ec = out->exit.exit_code;
	rt_delete(spec->state_dir, NULL);
	out->exit.exit_code = ec;
	snprintf(out->exit.error, sizeof(out->exit.error), "%.255s", err ? err->msg : "");
	return r;
}

int rt_attach_connect(const char *state_dir, int *fd_out, struct nd_error *err)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int dirfd = -1;
	if (nd_snprintf(sa.sun_path, sizeof(sa.sun_path), "%s/" RT_ATTACH_SOCK, state_dir) < 0) {
		/* longer than sun_path: through an fd of the directory */
		dirfd = open(state_dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
		if (dirfd < 0)
			return nd_error_set(err, -errno, "attach %s: %m", state_dir);
		snprintf(sa.sun_path, sizeof(sa.sun_path), "/proc/self/fd/%d/" RT_ATTACH_SOCK, dirfd);
	}
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		int e = -errno;
		if (dirfd >= 0)
			close(dirfd);
		return nd_error_set(err, e, "socket: %s", strerror(-e));
	}
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		int e = -errno;
		close(fd);
		if (dirfd >= 0)
			close(dirfd);
		return nd_error_set(err, e, "attach %s/" RT_ATTACH_SOCK ": %s", state_dir, strerror(-e));
	}
	if (dirfd >= 0)
		close(dirfd);
	*fd_out = fd;
	return 0;
}

void rt_attach_frame_header(char hdr[RT_ATTACH_HDR_LEN], enum rt_attach_frame type, uint32_t len)
{
	hdr[0] = (char)type;
	memcpy(hdr + 1, &len, 4);
}

static int send_frame(int fd, char type, const void *buf, size_t len)
{
	char hdr[RT_ATTACH_HDR_LEN];
	rt_attach_frame_header(hdr, (enum rt_attach_frame)type, (uint32_t)len);
	struct iovec iov[2] = { { hdr, 5 }, { (void *)buf, len } };
	struct msghdr msg = { .msg_iov = iov, .msg_iovlen = 2 };
	ssize_t w = sendmsg(fd, &msg, MSG_NOSIGNAL);
	return w == (ssize_t)(len + 5) ? 0 : w < 0 ? -errno : -EIO;
}

int rt_attach_send_input(int fd, const void *buf, size_t len)
{
	const char *p = buf;
	while (len) {
		size_t n = len > 4096 ? 4096 : len;
		int r = send_frame(fd, 'i', p, n);
		if (r < 0)
			return r;
		p += n;
		len -= n;
	}
	return 0;
}

int rt_attach_send_resize(int fd, unsigned short rows, unsigned short cols)
{
	char b[4];
	memcpy(b, &rows, 2);
	memcpy(b + 2, &cols, 2);
	return send_frame(fd, 'r', b, 4);
}
