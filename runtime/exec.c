/* rt_exec: a new process in a running container's namespaces and cgroup,
 * with the container's user, capabilities, no_new_privs and seccomp. */
#include "runtime/internal.h"

#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <sys/wait.h>

static const struct {
	const char *name;
	int type;
} namespaces[] = {
	/* cgroup first (needs the host's view), mnt last (paths after it are the container's) */
	{ "cgroup", CLONE_NEWCGROUP }, { "ipc", CLONE_NEWIPC }, { "uts", CLONE_NEWUTS },
	{ "net", CLONE_NEWNET },       { "pid", CLONE_NEWPID }, { "mnt", CLONE_NEWNS },
};

int rt_exec(const struct rt_state *st, const struct rt_exec_spec *xs, pid_t *pid_out,
	    int *exit_code_on_error, struct nd_error *err)
{
	*exit_code_on_error = 125;
	if (!xs->args || !xs->args[0])
		return nd_error_set(err, -EINVAL, "no command specified");
	if (st->pid <= 0 || !rt__proc_alive(st->pid, st->pid_start))
		return nd_error_set(err, -ESRCH, "container %s is not running", st->id);
	char path[PATH_MAX];
	nd_snprintf(path, sizeof(path), "%s/" RT_SPEC_FILE, st->state_dir);
	struct rt_spec *spec = NULL;
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
	int p[2];
	if (pipe2(p, O_CLOEXEC) < 0) {
		r = nd_error_set(err, -errno, "pipe: %m");
		goto out_ns;
	}
	char hbuf[65];
	struct rt__proc proc = {
		.user = xs->user ? xs->user : spec->user,
		.cwd = xs->cwd ? xs->cwd : spec->cwd,
		.args = xs->args,
		.env = xs->env ? xs->env : spec->env,
		.hostname = rt__spec_hostname(spec, hbuf),
		.tty = false,
	};
	pid_t relay = fork();
	if (relay < 0) {
		r = nd_error_set(err, -errno, "fork: %m");
		close(p[0]);
		close(p[1]);
		goto out_ns;
	}
	if (relay == 0) {
		struct nd_error e = { 0 };
		close(p[0]);
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
			int devnull = open("/dev/null", O_RDWR);
			for (int i = 0; i < 3; i++)
				dup2(xs->stdio[i] >= 0 ? xs->stdio[i] : devnull, i);
			int ec = 125;
			rt__process_exec(&proc, &ec, &e);
			rt__report_error(p[1], &e, ec);
			_exit(ec);
		}
		close(p[1]);
		signal(SIGINT, SIG_IGN);
		signal(SIGQUIT, SIG_IGN);
		int stt;
		while (waitpid(c, &stt, 0) < 0 && errno == EINTR)
			;
		_exit(WIFEXITED(stt) ? WEXITSTATUS(stt) : 128 + WTERMSIG(stt));
	}
	close(p[1]);
	char buf[ND_ERROR_MSG_MAX + 256];
	ssize_t n;
	do
		n = read(p[0], buf, sizeof(buf) - 1);
	while (n < 0 && errno == EINTR);
	close(p[0]);
	if (n > 0 && rt__parse_error(buf, (size_t)n, err, exit_code_on_error)) {
		waitpid(relay, NULL, 0);
		r = err->code;
		goto out_ns;
	}
	*pid_out = relay;
	r = 0;
out_ns:
	for (size_t i = 0; i < ARRAY_SIZE(namespaces); i++)
		close(nsfd[i]);
out:
	rt_cgroup_clear(&cg);
	rt_spec_free(spec);
	return r;
}
