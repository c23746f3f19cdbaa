// SPDX-License-Identifier: Apache-2.0
/* rt_exec_start: a new process in a running container's namespaces and cgroup,
 * with the container's user, capabilities, no_new_privs and seccomp. */
#include "runtime/internal.h"

#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <termios.h>

static const struct {
	const char *name;
	int type;
} namespaces[] = {
	/* cgroup first (needs the host's view), mnt last (paths after it are the container's) */
	{ "cgroup", CLONE_NEWCGROUP }, { "ipc", CLONE_NEWIPC }, { "uts", CLONE_NEWUTS },
	{ "net", CLONE_NEWNET },       { "pid", CLONE_NEWPID }, { "mnt", CLONE_NEWNS },
};

/* the pty of an exec: opened in the container's devpts (we stand in its
 * mount namespace), made the controlling terminal of a new session, its
 * master sent to the caller as 'T' + SCM_RIGHTS on the sync socket */
static int exec_pty(int sync_fd, unsigned short rows, unsigned short cols, struct nd_error *err)
{
	int master = open("/dev/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (master < 0)
		return nd_error_set(err, -errno, "open /dev/ptmx: %m");
	char name[64];
	if (unlockpt(master) < 0 || ptsname_r(master, name, sizeof(name)) != 0)
		return nd_error_set(err, -errno, "pty: %m");
	int slave = open(name, O_RDWR | O_NOCTTY);
	if (slave < 0)
		return nd_error_set(err, -errno, "open %s: %m", name);
	if (rows && cols) {
		struct winsize ws = { .ws_row = rows, .ws_col = cols };
		ioctl(slave, TIOCSWINSZ, &ws);
	}
	if (setsid() < 0 || ioctl(slave, TIOCSCTTY, 0) < 0)
		return nd_error_set(err, -errno, "make %s the controlling tty: %m", name);
	int rs = rt__send_fd(sync_fd, 'T', master);
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

static ssize_t recv_fd_msg(int sock, char *buf, size_t size, int *fd_out)
{
	return rt__recv_fd_msg(sock, buf, size, fd_out);
}

int rt_exec_start(const struct rt_state *st, const struct rt_exec_spec *xs, struct rt_exec_proc *out,
		  int *exit_code_on_error, struct nd_error *err)
{
	*exit_code_on_error = 125;
	out->pid = -1;
	out->pty_master = -1;
	out->status_fd = -1;
	if (!xs->args || !xs->args[0])
		return nd_error_set(err, -EINVAL, "no command specified");
	if (st->pid <= 0 || !rt__proc_alive(st->pid, st->pid_start))
		return nd_error_set(err, -ESRCH, "container %s is not running", st->id);
	char path[PATH_MAX];
	nd_snprintf(path, sizeof(path), "%s/" RT_SPEC_FILE, st->state_dir);
	struct rt_spec *spec = NULL;
	char *bpf = NULL;
	size_t bpf_len = 0;
	int r = rt_spec_load(path, &spec, err);
	if (r < 0)
		return r;
	nd_snprintf(path, sizeof(path), "%s/" RT_STATE_FILE, st->state_dir);
	_cleanup_free_ char *stxt = NULL;
	struct rt_cgroup cg = { 0 };
	if (rt__read_file(path, &stxt, NULL) == 0) {
		_cleanup_json_ json_t *j = json_loads(stxt, 0, NULL);
		if (j)
			rt__cgroup_from_json(json_object_get(j, "cgroup"), &cg);
	}

	/* everything opened before fork: the child only does syscalls */
	int nsfd[ARRAY_SIZE(namespaces)];
	for (size_t i = 0; i < ARRAY_SIZE(namespaces); i++) {
		snprintf(path, sizeof(path), "/proc/%d/ns/%s", (int)st->pid, namespaces[i].name);
		nsfd[i] = open(path, O_RDONLY | O_CLOEXEC);
		if (nsfd[i] < 0) {
			r = nd_error_set(err, -errno, "open %s: %m", path);
			for (size_t k = 0; k < i; k++)
				close(nsfd[k]);
			goto out;
		}
	}
	/* p: errors and the pty master until the exec (EOF: it happened);
	 * sp: the relay's report of the exit status */
	int p[2], sp[2];
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, p) < 0) {
		r = nd_error_set(err, -errno, "socketpair: %m");
		goto out_ns;
	}
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sp) < 0) {
		r = nd_error_set(err, -errno, "socketpair: %m");
		close(p[0]);
		close(p[1]);
		goto out_ns;
	}
	char hbuf[65];
	rt__security_bpf_read(st->state_dir, &bpf, &bpf_len);
	struct rt__proc proc = {
		.user = xs->user ? xs->user : spec->user,
		.cwd = xs->cwd ? xs->cwd : spec->cwd,
		.args = xs->args,
		.env = xs->env ? xs->env : spec->env,
		.hostname = rt__spec_hostname(spec, hbuf),
		.tty = xs->tty,
		.sec = &spec->security,
		.bpf = bpf,
		.bpf_len = bpf_len,
	};
	pid_t relay = fork();
	if (relay < 0) {
		r = nd_error_set(err, -errno, "fork: %m");
		close(p[0]);
		close(p[1]);
		close(sp[0]);
		close(sp[1]);
		goto out_ns;
	}
	if (relay == 0) {
		struct nd_error e = { 0 };
		close(p[0]);
		close(sp[0]);
		/* the caller's handlers (an event loop's) are not the relay's */
		signal(SIGCHLD, SIG_DFL);
		signal(SIGTERM, SIG_DFL);
		signal(SIGPIPE, SIG_IGN);
		/* a forked child is single-threaded: it may join by itself */
		if (cg.mgr && (cg.mgr->enter_self ? cg.mgr->enter_self(&cg, &e) : cg.mgr->enter(&cg, getpid(), &e)) < 0) {
			rt__report_error(p[1], &e, 125);
			_exit(125);
		}
		for (size_t i = 0; i < ARRAY_SIZE(namespaces); i++)
			if (setns(nsfd[i], namespaces[i].type) < 0) {
				nd_error_set(&e, -errno, "setns %s: %m", namespaces[i].name);
				rt__report_error(p[1], &e, 125);
				_exit(125);
			}
		/* the pid namespace applies to children: the process is our child,
		 * we stay outside and relay its status */
		pid_t c = fork();
		if (c < 0) {
			nd_error_set(&e, -errno, "fork: %m");
			rt__report_error(p[1], &e, 125);
			_exit(125);
		}
		if (c == 0) {
			close(sp[1]);
			if (xs->tty) {
				if (exec_pty(p[1], xs->rows, xs->cols, &e) < 0) {
					rt__report_error(p[1], &e, 125);
					_exit(125);
				}
			} else {
				int devnull = open("/dev/null", O_RDWR);
				for (int i = 0; i < 3; i++)
					dup2(xs->stdio[i] >= 0 ? xs->stdio[i] : devnull, i);
				setsid();
			}
			int ec = 125;
			rt__process_exec(&proc, &ec, &e);
			rt__report_error(p[1], &e, ec);
			_exit(ec);
		}
		/* first word on the status socket: the process's pid (ours is
		 * the host's view: setns(pid) changed only our children's) */
		ssize_t pw = send(sp[1], &c, sizeof(c), MSG_NOSIGNAL);
		(void)pw;
		/* we never exec: drop every fd of the caller we inherited (another
		 * exec's stdin pipe held here would never see its EOF); keep only
		 * the status socket, as fd 3 */
		int sfd = sp[1] == 3 ? 3 : dup2(sp[1], 3);
		syscall(SYS_close_range, sfd < 0 ? 3 : 4, ~0u, 0);
		signal(SIGINT, SIG_IGN);
		signal(SIGQUIT, SIG_IGN);
		int stt;
		while (waitpid(c, &stt, 0) < 0 && errno == EINTR)
			;
		int code = WIFEXITED(stt) ? WEXITSTATUS(stt) : 128 + WTERMSIG(stt);
		ssize_t w = sfd < 0 ? -1 : send(sfd, &code, sizeof(code), MSG_NOSIGNAL);
		(void)w;
		_exit(code);
	}
	close(p[1]);
	close(sp[1]);
	int master = -1;
	bool failed = false;
	for (;;) {
		char buf[ND_ERROR_MSG_MAX + 256];
		int fd = -1;
		ssize_t n = recv_fd_msg(p[0], buf, sizeof(buf), &fd);
		if (n <= 0)
			break;
		if (buf[0] == 'T' && fd >= 0) {
			if (master >= 0)
				close(master);
			master = fd;
		} else {
			if (fd >= 0)
				close(fd);
			if (rt__parse_error(buf, (size_t)n, err, exit_code_on_error)) {
				failed = true;
				break;
			}
		}
	}
	close(p[0]);
	if (failed) {
		if (master >= 0)
			close(master);
		close(sp[0]);
		waitpid(relay, NULL, 0);
		r = err->code;
		goto out_ns;
	}
	if (xs->tty && master < 0) {
		close(sp[0]);
		waitpid(relay, NULL, 0);
		r = nd_error_set(err, -EIO, "no pty master from the exec'd process");
		goto out_ns;
	}
	pid_t proc_pid = 0;
	ssize_t pn;
	do
		pn = recv(sp[0], &proc_pid, sizeof(proc_pid), 0);
	while (pn < 0 && errno == EINTR);
	out->pid = relay;
	out->process = pn == (ssize_t)sizeof(proc_pid) ? proc_pid : 0;
	out->pty_master = master;
	out->status_fd = sp[0];
	r = 0;
out_ns:
	for (size_t i = 0; i < ARRAY_SIZE(namespaces); i++)
		close(nsfd[i]);
out:
	free(bpf);
	rt_cgroup_clear(&cg);
	rt_spec_free(spec);
	return r;
}

int rt_exec(const struct rt_state *st, const struct rt_exec_spec *xs, pid_t *pid_out,
	    int *exit_code_on_error, struct nd_error *err)
{
	struct rt_exec_proc pr;
	int r = rt_exec_start(st, xs, &pr, exit_code_on_error, err);
	if (r < 0)
		return r;
	if (pr.pty_master >= 0)
		close(pr.pty_master);
	close(pr.status_fd);
	*pid_out = pr.pid;
	return 0;
}
