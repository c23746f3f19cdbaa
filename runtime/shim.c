// SPDX-License-Identifier: Apache-2.0
/* netd-shim: the monitor of one container. `netd-shim start STATE_DIR`,
 * exec'd by rt_start in a new session with the reply pipe on fd 3:
 * creates the cgroup, clones the container, reports success or the exact
 * start error on fd 3, writes state.json, then holds the container's stdio
 * (json-file log, pty + attach socket) until it exits, and writes exit.json
 * atomically. It outlives whoever started it. */
#include "runtime/internal.h"

#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <termios.h>

#define LOG_LINE_MAX 16384 /* Docker splits lines at 16K */
#define MAX_CLIENTS 8

struct log_stream {
	const char *name;
	int fd;
	size_t len;
	char buf[LOG_LINE_MAX];
};

struct client {
	int fd;
	size_t len;
	char buf[8192];
};

struct shim {
	struct rt_spec *spec;
	char state_dir[PATH_MAX];
	int reply_fd;
	int log_fd;
	struct rt_cgroup cg;
	pid_t pid;
	uint64_t pid_start;
	char started[40];
	struct log_stream out, err;
	int master;    /* tty */
	int in_fd;     /* non-tty with open_stdin: the write end of the container's stdin */
	int listen_fd; /* attach.sock */
	int sfd;       /* signalfd for SIGCHLD */
	char *argv_area;
	size_t argv_len;
	struct client clients[MAX_CLIENTS];
	/* pty output before the first attach client connected: replayed to it
	 * (`run -t` attaches right after the start; a fast command's output
	 * would otherwise be lost) */
	char early[16384];
	size_t early_len;
	bool attached_once;
};

static void log_emit(struct shim *s, const char *stream, const char *data, size_t len)
{
	if (s->log_fd < 0 || !len)
		return;
	char *esc = malloc(len * 6 + 1);
	if (!esc)
		return;
	size_t el = rt__json_escape(esc, data, len);
	char ts[40];
	nd_time_rfc3339(ts);
	size_t total = el + strlen(stream) + strlen(ts) + 64;
	char *line = malloc(total);
	if (line) {
		int n = snprintf(line, total, "{\"log\":\"%s\",\"stream\":\"%s\",\"time\":\"%s\"}\n", esc,
				 stream, ts);
		ssize_t w = write(s->log_fd, line, (size_t)n); /* O_APPEND: one write, one line */
		(void)w;
		free(line);
	}
	free(esc);
}

static void log_feed(struct shim *s, struct log_stream *ls, const char *data, size_t len)
{
	while (len) {
		size_t n = sizeof(ls->buf) - ls->len;
		if (n > len)
			n = len;
		memcpy(ls->buf + ls->len, data, n);
		ls->len += n;
		data += n;
		len -= n;
		size_t start = 0;
		for (size_t i = 0; i < ls->len; i++)
			if (ls->buf[i] == '\n') {
				log_emit(s, ls->name, ls->buf + start, i + 1 - start);
				start = i + 1;
			}
		if (start == 0 && ls->len == sizeof(ls->buf)) {
			log_emit(s, ls->name, ls->buf, ls->len); /* a partial 16K line */
			start = ls->len;
		}
		memmove(ls->buf, ls->buf + start, ls->len - start);
		ls->len -= start;
	}
}

static void log_flush(struct shim *s, struct log_stream *ls)
{
	log_emit(s, ls->name, ls->buf, ls->len);
	ls->len = 0;
}

static int write_state(struct shim *s, struct nd_error *err)
{
	_cleanup_json_ json_t *j = json_pack(
		"{s:s,s:i,s:I,s:i,s:I,s:s,s:o,s:s}", "id", s->spec->id, "shim_pid", (int)getpid(),
		"shim_start", (json_int_t)rt__proc_starttime(getpid()), "pid", (int)s->pid,
		"pid_start", (json_int_t)s->pid_start, "started", s->started, "cgroup",
		rt__cgroup_to_json(&s->cg), "log_path", s->spec->log_path);
	_cleanup_free_ char *txt = json_dumps(j, JSON_COMPACT);
	char path[PATH_MAX];
	nd_snprintf(path, sizeof(path), "%s/" RT_STATE_FILE, s->state_dir);
	int r = txt ? rt__write_file_atomic(path, txt, strlen(txt)) : -ENOMEM;
	if (r < 0)
		return nd_error_set(err, r, "write %s: %s", path, strerror(-r));
	return 0;
}

static void write_exit(struct shim *s, int code, int sig, bool oom, const char *error)
{
	char ts[40];
	nd_time_rfc3339(ts);
	_cleanup_json_ json_t *j = json_pack("{s:i,s:i,s:b,s:s,s:s}", "exit_code", code, "signal", sig,
					     "oom_killed", oom, "finished", ts, "error", error ? error : "");
	_cleanup_free_ char *txt = json_dumps(j, JSON_COMPACT);
	char path[PATH_MAX];
	nd_snprintf(path, sizeof(path), "%s/" RT_EXIT_FILE, s->state_dir);
	if (txt && rt__write_file_atomic(path, txt, strlen(txt)) < 0)
		fprintf(stderr, "netd-shim: write %s: %m\n", path);
}

static void reply(struct shim *s, json_t *j)
{
	char *txt = json_dumps(j, JSON_COMPACT);
	json_decref(j);
	if (txt && s->reply_fd >= 0) {
		size_t l = strlen(txt);
		txt[l] = '\n';
		ssize_t w = write(s->reply_fd, txt, l + 1);
		(void)w;
	}
	free(txt);
	if (s->reply_fd >= 0)
		close(s->reply_fd);
	s->reply_fd = -1;
}

static void reply_error(struct shim *s, const struct nd_error *err, int exit_code)
{
	reply(s, json_pack("{s:b,s:i,s:i,s:s}", "ok", 0, "code", err->code, "exit_code", exit_code,
			   "message", err->msg));
}

/* receives one message from the container; *fd_out gets a passed fd */
static ssize_t recv_msg(int sock, char *buf, size_t size, int *fd_out)
{
	return rt__recv_fd_msg(sock, buf, size, fd_out);
}

static int attach_listen(struct shim *s, struct nd_error *err)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	/* relative to the state dir (the shim's cwd): no sun_path length limit */
	snprintf(sa.sun_path, sizeof(sa.sun_path), RT_ATTACH_SOCK);
	unlink(RT_ATTACH_SOCK);
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return nd_error_set(err, -errno, "socket: %m");
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || chmod(RT_ATTACH_SOCK, 0600) < 0 ||
	    listen(fd, 4) < 0) {
		int e = -errno;
		close(fd);
		return nd_error_set(err, e, "attach socket: %s", strerror(-e));
	}
	s->listen_fd = fd;
	return 0;
}

/* client frames: 'i' u32le len + bytes (stdin), 'r' u32le 4 + rows u16le, cols u16le */
static void client_input(struct shim *s, struct client *c)
{
	size_t off = 0;
	while (c->len - off >= 5) {
		uint32_t l;
		memcpy(&l, c->buf + off + 1, 4);
		if (l > sizeof(c->buf) - 5) {
			c->len = off = 0; /* garbage: drop it */
			return;
		}
		if (c->len - off - 5 < l)
			break;
		const char *p = c->buf + off + 5;
		int in = s->master >= 0 ? s->master : s->in_fd;
		if (c->buf[off] == RT_ATTACH_INPUT && in >= 0) {
			ssize_t w = write(in, p, l);
			(void)w;
		} else if (c->buf[off] == RT_ATTACH_CLOSE_STDIN && s->in_fd >= 0) {
			close(s->in_fd);
			s->in_fd = -1;
		} else if (c->buf[off] == 'r' && l == 4 && s->master >= 0) {
			struct winsize ws = { 0 };
			memcpy(&ws.ws_row, p, 2);
			memcpy(&ws.ws_col, p + 2, 2);
			ioctl(s->master, TIOCSWINSZ, &ws);
		}
		off += 5 + l;
	}
	memmove(c->buf, c->buf + off, c->len - off);
	c->len -= off;
}

static void broadcast(struct shim *s, const char *buf, size_t n)
{
	if (!s->attached_once) {
		size_t k = sizeof(s->early) - s->early_len < n ? sizeof(s->early) - s->early_len : n;
		memcpy(s->early + s->early_len, buf, k);
		s->early_len += k;
		return;
	}
	for (int i = 0; i < MAX_CLIENTS; i++)
		if (s->clients[i].fd >= 0 && send(s->clients[i].fd, buf, n, MSG_NOSIGNAL | MSG_DONTWAIT) < 0 &&
		    errno != EAGAIN) {
			close(s->clients[i].fd);
			s->clients[i].fd = -1;
		}
}

/* the monitor loop: until the container exited and its output drained */
static void run_loop(struct shim *s, int sfd, int *status_out)
{
	bool exited = false;
	uint64_t deadline = 0;
	int status = 0;
	char buf[65536];
	for (;;) {
		bool open_streams = s->out.fd >= 0 || s->err.fd >= 0 || s->master >= 0;
		if (exited && (!open_streams || nd_now_ns() >= deadline))
			break;
		struct pollfd pf[5 + MAX_CLIENTS];
		int n = 0;
		pf[n++] = (struct pollfd){ .fd = sfd, .events = POLLIN };
		pf[n++] = (struct pollfd){ .fd = s->out.fd, .events = POLLIN };
		pf[n++] = (struct pollfd){ .fd = s->err.fd, .events = POLLIN };
		pf[n++] = (struct pollfd){ .fd = s->master, .events = POLLIN };
		pf[n++] = (struct pollfd){ .fd = exited ? -1 : s->listen_fd, .events = POLLIN };
		for (int i = 0; i < MAX_CLIENTS; i++)
			pf[n++] = (struct pollfd){ .fd = s->clients[i].fd, .events = POLLIN };
		int timeout = exited ? (int)((deadline - nd_now_ns()) / 1000000) + 1 : -1;
		if (poll(pf, (nfds_t)n, timeout) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		if (pf[0].revents) {
			struct signalfd_siginfo si;
			while (read(sfd, &si, sizeof(si)) == sizeof(si))
				;
			for (;;) {
				int st;
				pid_t p = waitpid(-1, &st, WNOHANG);
				if (p <= 0)
					break;
				if (p == s->pid) {
					exited = true;
					status = st;
					/* the pid namespace died with its init: the
					 * pipes close soon; bound the wait anyway */
					deadline = nd_now_ns() + 2000000000ull;
				}
			}
		}
		struct log_stream *streams[2] = { &s->out, &s->err };
		for (int k = 0; k < 2; k++) {
			if (!pf[1 + k].revents)
				continue;
			ssize_t r = read(streams[k]->fd, buf, sizeof(buf));
			if (r > 0) {
				log_feed(s, streams[k], buf, (size_t)r);
			} else if (r == 0 || (errno != EINTR && errno != EAGAIN)) {
				log_flush(s, streams[k]);
				close(streams[k]->fd);
				streams[k]->fd = -1;
			}
		}
		if (pf[3].revents) {
			ssize_t r = read(s->master, buf, sizeof(buf));
			if (r > 0) {
				log_feed(s, &s->out, buf, (size_t)r);
				broadcast(s, buf, (size_t)r);
			} else if (r == 0 || (errno != EINTR && errno != EAGAIN)) {
				/* EIO: every slave closed */
				log_flush(s, &s->out);
				close(s->master);
				s->master = -1;
			}
		}
		if (pf[4].revents) {
			int c = accept4(s->listen_fd, NULL, NULL, SOCK_CLOEXEC);
			for (int i = 0; c >= 0 && i < MAX_CLIENTS; i++)
				if (s->clients[i].fd < 0) {
					s->clients[i].fd = c;
					s->clients[i].len = 0;
					c = -1;
					if (!s->attached_once) {
						s->attached_once = true;
						broadcast(s, s->early, s->early_len);
					}
				}
			if (c >= 0)
				close(c); /* full */
		}
		for (int i = 0; i < MAX_CLIENTS; i++) {
			struct client *c = &s->clients[i];
			if (!pf[5 + i].revents || c->fd < 0)
				continue;
			ssize_t r = read(c->fd, c->buf + c->len, sizeof(c->buf) - c->len);
			if (r <= 0) {
				close(c->fd);
				c->fd = -1;
				continue;
			}
			c->len += (size_t)r;
			client_input(s, c);
		}
	}
	*status_out = status;
}

static int shim_start(struct shim *s, struct nd_error *err)
{
	int r;
	struct rt_spec *spec = s->spec;
	struct rt_cgroup_layout layout;
	if ((r = rt_cgroup_layout_detect(&layout, err)) < 0)
		return r;
	const struct rt_cgroup_manager *mgr = rt_cgroup_manager_for(&layout);
	_cleanup_free_ char *own = NULL;
	if (rt__read_file("/proc/self/cgroup", &own, NULL) < 0)
		own = strdup("");
	if ((r = mgr->create(&layout, own, spec->cgroup_parent ? spec->cgroup_parent : "netd", spec->id,
			     &spec->limits, &s->cg, err)) < 0)
		return nd_error_wrap(err, "cgroup (%s)", rt_cgroup_mode_name(layout.mode));
	/* record the cgroup before anything can go wrong: rt_delete finds it */
	if ((r = write_state(s, err)) < 0)
		return r;
	if ((r = rt__security_cgroup(&s->cg, &spec->security, err)) < 0 ||
	    (r = rt__security_seccomp_compile(spec, err)) < 0)
		return r;

	int netns_fd = -1;
	if (spec->netns && (netns_fd = open(spec->netns, O_RDONLY | O_CLOEXEC)) < 0)
		return nd_error_set(err, -errno, "open network namespace %s: %m", spec->netns);
	int sp[2], outp[2] = { -1, -1 }, errp[2] = { -1, -1 }, inp[2] = { -1, -1 };
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sp) < 0)
		return nd_error_set(err, -errno, "socketpair: %m");
	int devnull = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (!spec->tty && (pipe2(outp, O_CLOEXEC) < 0 || pipe2(errp, O_CLOEXEC) < 0))
		return nd_error_set(err, -errno, "pipe: %m");
	if (!spec->tty && spec->open_stdin && pipe2(inp, O_CLOEXEC) < 0)
		return nd_error_set(err, -errno, "pipe: %m");

	pid_t pid = (pid_t)syscall(SYS_clone, CLONE_NEWPID | CLONE_NEWNS | CLONE_NEWUTS | CLONE_NEWIPC | SIGCHLD,
				   NULL, NULL, NULL, NULL);
	if (pid < 0)
		return nd_error_set(err, -errno, "clone: %m");
	if (pid == 0) {
		/* the shim's own fds must not live on in a process that never
		 * execs (the --init PID 1): the reply pipe would never see EOF */
		close(sp[0]);
		if (s->reply_fd >= 0)
			close(s->reply_fd);
		if (s->log_fd >= 0)
			close(s->log_fd);
		if (s->sfd >= 0)
			close(s->sfd);
		if (inp[1] >= 0)
			close(inp[1]);
		struct rt__child_ctx ctx = {
			.spec = spec, .sync_fd = sp[1], .netns_fd = netns_fd,
			.cg = mgr->enter_self ? &s->cg : NULL,
			.stdio = { inp[0] >= 0 ? inp[0] : devnull, outp[1], errp[1] },
			.argv_area = s->argv_area, .argv_len = s->argv_len,
		};
		rt__container_child(&ctx);
	}
	s->pid = pid;
	close(sp[1]);
	if (netns_fd >= 0)
		close(netns_fd);
	if (outp[1] >= 0)
		close(outp[1]);
	if (errp[1] >= 0)
		close(errp[1]);
	if (inp[0] >= 0)
		close(inp[0]);
	s->in_fd = inp[1];
	close(devnull);
	s->out.fd = outp[0];
	s->err.fd = errp[0];

	if (!mgr->enter_self && (r = mgr->enter(&s->cg, pid, err)) < 0) {
		close(sp[0]);
		return r;
	}
	if (write(sp[0], "G", 1) != 1) {
		close(sp[0]);
		return nd_error_set(err, -EPIPE, "the container process died before it started");
	}
	/* until EOF (exec done): an 'E' error or the 'T' pty master */
	int exit_code = 0;
	for (;;) {
		char buf[ND_ERROR_MSG_MAX + 256];
		int fd = -1;
		ssize_t n = recv_msg(sp[0], buf, sizeof(buf), &fd);
		if (n <= 0)
			break;
		if (buf[0] == 'T' && fd >= 0)
			s->master = fd;
		else if (rt__parse_error(buf, (size_t)n, err, &exit_code))
			break;
	}
	close(sp[0]);
	if (exit_code)
		return exit_code; /* positive: the container's own start error */
	s->pid_start = rt__proc_starttime(pid);
	nd_time_rfc3339(s->started);
	if (spec->tty && s->master < 0)
		return nd_error_set(err, -EIO, "no pty master from the container");
	if ((spec->tty || spec->open_stdin) && (r = attach_listen(s, err)) < 0)
		return r;
	return write_state(s, err);
}

int rt_shim_main(int argc, char **argv)
{
	if (argc < 3 || strcmp(argv[1], "start") != 0) {
		fprintf(stderr, "usage: netd-shim start STATE_DIR   (reply pipe on fd 3)\n");
		return 2;
	}
	struct shim s = { .reply_fd = 3, .log_fd = -1, .pid = -1, .master = -1, .in_fd = -1, .listen_fd = -1,
			  .sfd = -1 };
	s.out = (struct log_stream){ .name = "stdout", .fd = -1 };
	s.err = (struct log_stream){ .name = "stderr", .fd = -1 };
	for (int i = 0; i < MAX_CLIENTS; i++)
		s.clients[i].fd = -1;
	snprintf(s.state_dir, sizeof(s.state_dir), "%s", argv[2]);
	s.argv_area = argv[0];
	s.argv_len = (size_t)(argv[argc - 1] + strlen(argv[argc - 1]) - argv[0]);
	/* nothing of the caller's leaks into us, and so into the container */
	syscall(SYS_close_range, 4, ~0u, 0);
	fcntl(3, F_SETFD, FD_CLOEXEC);
	struct nd_error err = { 0 };

	/* outlive the caller: our own session (set by rt_start), signals from a
	 * terminal or the caller's group ignored; reap what the container leaves */
	if (getsid(0) != getpid())
		setsid();
	signal(SIGPIPE, SIG_IGN);
	signal(SIGHUP, SIG_IGN);
	signal(SIGINT, SIG_IGN);
	signal(SIGTERM, SIG_IGN);
	prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0);
	if (chdir(s.state_dir) < 0) {
		nd_error_set(&err, -errno, "state dir %s: %m", s.state_dir);
		reply_error(&s, &err, 125);
		return 1;
	}
	char spec_path[PATH_MAX];
	nd_snprintf(spec_path, sizeof(spec_path), "%s/" RT_SPEC_FILE, s.state_dir);
	if (rt_spec_load(spec_path, &s.spec, &err) < 0 || rt_spec_validate(s.spec, &err) < 0) {
		reply_error(&s, &err, 125);
		return 1;
	}
	if (!s.spec->log_path && asprintf(&s.spec->log_path, "%s/container.log", s.state_dir) < 0)
		return 1;
	s.log_fd = open(s.spec->log_path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
	if (s.log_fd < 0) {
		nd_error_set(&err, -errno, "open log %s: %m", s.spec->log_path);
		reply_error(&s, &err, 125);
		return 1;
	}

	sigset_t chld;
	sigemptyset(&chld);
	sigaddset(&chld, SIGCHLD);
	sigprocmask(SIG_BLOCK, &chld, NULL);
	int sfd = signalfd(-1, &chld, SFD_CLOEXEC | SFD_NONBLOCK);
	s.sfd = sfd;

	int r = shim_start(&s, &err);
	if (r != 0) {
		int exit_code = r > 0 ? r : 125;
		if (s.pid > 0) {
			kill(s.pid, SIGKILL);
			waitpid(s.pid, NULL, 0);
		}
		struct nd_error derr = { 0 };
		if (s.cg.mgr && s.cg.mgr->destroy(&s.cg, &derr) < 0)
			fprintf(stderr, "netd-shim: %s\n", derr.msg);
		write_exit(&s, exit_code, 0, false, err.msg);
		reply_error(&s, &err, exit_code);
		return 1;
	}
	reply(&s, json_pack("{s:b,s:i,s:i}", "ok", 1, "pid", (int)s.pid, "shim_pid", (int)getpid()));

	int status = 0;
	run_loop(&s, sfd, &status);
	if (s.out.fd >= 0)
		log_flush(&s, &s.out);
	if (s.err.fd >= 0)
		log_flush(&s, &s.err);
	bool oom = s.cg.mgr->oom_killed(&s.cg);
	struct nd_error derr = { 0 };
	if (s.cg.mgr->destroy(&s.cg, &derr) < 0)
		fprintf(stderr, "netd-shim: %s\n", derr.msg);
	int code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
	int sig = WIFSIGNALED(status) ? WTERMSIG(status) : 0;
	if (s.listen_fd >= 0)
		unlink(RT_ATTACH_SOCK);
	write_exit(&s, code, sig, oom, NULL);
	rt_cgroup_clear(&s.cg);
	rt_spec_free(s.spec);
	return 0;
}
