// SPDX-License-Identifier: Apache-2.0
/* The last steps before execve, shared by container start and exec: user,
 * working dir, capabilities, no_new_privs, $PATH lookup, seccomp. And the
 * minimal PID 1 of the `init` option. */
#include "runtime/internal.h"

#include <signal.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>

static bool env_has(char *const *env, const char *key)
{
	size_t kl = strlen(key);
	for (char *const *e = env; e && *e; e++)
		if (!strncmp(*e, key, kl) && (*e)[kl] == '=')
			return true;
	return false;
}

char **rt__build_env(char *const *env, const char *hostname, const char *home, bool tty)
{
	size_t n = 0;
	for (char *const *e = env; e && *e; e++)
		n++;
	char **out = calloc(n + 5, sizeof(char *));
	if (!out)
		return NULL;
	size_t k = 0;
	if (!env_has(env, "PATH"))
		out[k++] = strdup("PATH=" RT_DEFAULT_PATH);
	if (hostname && !env_has(env, "HOSTNAME") && asprintf(&out[k], "HOSTNAME=%s", hostname) > 0)
		k++;
	if (tty && !env_has(env, "TERM"))
		out[k++] = strdup("TERM=xterm");
	for (char *const *e = env; e && *e; e++)
		out[k++] = strdup(*e);
	if (home && !env_has(env, "HOME") && asprintf(&out[k], "HOME=%s", home) > 0)
		k++;
	return out;
}

int rt__process_exec(const struct rt__proc *p, int *exit_code, struct nd_error *err)
{
	struct rt_user u;
	int r;
	*exit_code = 125;
	if ((r = rt_user_resolve(p->user, "/etc/passwd", "/etc/group", &u, err)) < 0)
		return r;
	const char *cwd = p->cwd && *p->cwd ? p->cwd : "/";
	if (cwd[0] != '/')
		return nd_error_set(err, -EINVAL, "the working directory \"%s\" is not absolute", cwd);
	if ((r = nd_mkdir_p(cwd, 0755)) < 0)
		return nd_error_set(err, r, "mkdir %s: %s", cwd, strerror(-r));
	if ((r = rt__security_groups(p->sec, &u, err)) < 0 || (r = rt__security_rlimits(p->sec, err)) < 0)
		return r;
	char **env = rt__build_env(p->env, p->hostname, u.home, p->tty);
	if (!env)
		return nd_error_set(err, -ENOMEM, "out of memory");

	/* without no_new_privs the filter needs CAP_SYS_ADMIN: loaded now,
	 * before the capabilities go (runc's order); it then filters the
	 * setup's own syscalls too */
	bool nnp = !(p->sec && p->sec->new_privs);
	if (!nnp && (r = rt__security_seccomp(p->sec, p->bpf, p->bpf_len, err)) < 0)
		return r;
	uint64_t caps = rt_security_caps(p->sec);
	if ((r = rt__caps_drop_bounding(caps, err)) < 0)
		return r;
	if ((r = rt__user_switch(&u, err)) < 0)
		return r;
	if ((r = rt__caps_set(caps, err)) < 0)
		return r;
	if (chdir(cwd) < 0)
		return nd_error_set(err, -errno, "chdir to cwd (\"%s\") set in config.json failed: %m", cwd);
	if (nnp && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		return nd_error_set(err, -errno, "no_new_privs: %m");
	char path[PATH_MAX];
	if ((r = rt__find_exec(p->args[0], env, path, exit_code, err)) < 0)
		return r;
	if (nnp && (r = rt__security_seccomp(p->sec, p->bpf, p->bpf_len, err)) < 0) {
		*exit_code = 125;
		return r;
	}
	/* signals the shim ignores or blocks must not leak into the container */
	sigset_t none;
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	for (int s = 1; s < NSIG; s++)
		if (s != SIGKILL && s != SIGSTOP)
			signal(s, SIG_DFL);
	execve(path, p->args, env);
	r = -errno;
	*exit_code = r == -ENOENT ? 127 : 126;
	return nd_error_set(err, r, "exec: \"%s\": %s", p->args[0],
			    r == -EACCES ? "permission denied" : strerror(-r));
}

/* PID 1 for --init: all signals blocked and taken with sigwaitinfo, every
 * one but SIGCHLD forwarded to the child, every child reaped; exits with the
 * child's status (128+signal when it was killed), as tini does. */
int rt__init_run(pid_t child)
{
	sigset_t all;
	sigfillset(&all);
	sigprocmask(SIG_BLOCK, &all, NULL);
	for (;;) {
		siginfo_t si;
		int s = sigwaitinfo(&all, &si);
		if (s < 0)
			continue;
		if (s != SIGCHLD) {
			kill(child, s);
			continue;
		}
		for (;;) {
			int st;
			pid_t p = waitpid(-1, &st, WNOHANG);
			if (p <= 0)
				break;
			if (p == child)
				return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
		}
	}
}
