// SPDX-License-Identifier: Apache-2.0
/* nd-rt-test: a small CLI over the runtime library, for tests and benches.
 *   nd-rt-test run --rootfs DIR [--state-dir D] [--id ID] [--net NETNS] [--memory N]
 *                  [--pids N] [--cpu-shares N] [--cpu-quota N] [--cpu-period N]
 *                  [--init] [--user U] [--tty] [--hostname H] [--cwd D] [--env K=V]
 *                  [--bind SRC:DST[:ro]] [--cgroup-parent P] [--detach] [--keep]
 *                  [--quiet] -- CMD...
 *   nd-rt-test state|wait|logs|delete STATE_DIR
 *   nd-rt-test kill STATE_DIR [SIGNAL]
 *   nd-rt-test exec STATE_DIR [--user U] -- CMD...
 *   nd-rt-test attach STATE_DIR      (stdin -> pty, pty -> stdout)
 * run waits, copies the container's log to stdout/stderr, deletes the
 * container and exits with its code (125/126/127 on start errors). */
#include "runtime/runtime.h"

#include <getopt.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>

static int usage(void)
{
	fprintf(stderr, "usage: nd-rt-test run --rootfs DIR [options] -- CMD...\n"
			"       nd-rt-test state|wait|logs|delete|attach STATE_DIR\n"
			"       nd-rt-test kill STATE_DIR [SIGNAL]\n"
			"       nd-rt-test exec STATE_DIR [--user U] -- CMD...\n");
	return 2;
}

/* $NETD_SHIM, else the netd-shim of this build tree (the build tells us
 * where: this program lives in tests/tools/, the shim in runtime/) */
static char *shim_path(void)
{
	const char *e = getenv("NETD_SHIM");
	return strdup(e && *e ? e : ND_RT_TEST_SHIM);
}

/* prints the json-file log back as the raw streams */
static int print_logs(const char *path)
{
	FILE *f = fopen(path, "re");
	if (!f)
		return -errno;
	char *line = NULL;
	size_t cap = 0;
	while (getline(&line, &cap, f) > 0) {
		json_t *j = json_loads(line, 0, NULL);
		if (!j)
			continue;
		const char *stream = nd_json_str(j, "stream");
		json_t *log = json_object_get(j, "log");
		FILE *out = stream && !strcmp(stream, "stderr") ? stderr : stdout;
		fwrite(json_string_value(log), 1, json_string_length(log), out);
		json_decref(j);
	}
	free(line);
	fclose(f);
	fflush(stdout);
	return 0;
}

static char *log_path_of(const char *state_dir)
{
	char p[PATH_MAX];
	snprintf(p, sizeof(p), "%s/state.json", state_dir);
	json_t *j = json_load_file(p, 0, NULL);
	const char *lp = j ? nd_json_str(j, "log_path") : NULL;
	char *out = NULL;
	if (lp)
		out = strdup(lp);
	else if (asprintf(&out, "%s/container.log", state_dir) < 0)
		out = NULL;
	json_decref(j);
	return out;
}

static int parse_signal(const char *s)
{
	static const struct { const char *n; int s; } sigs[] = {
		{ "TERM", SIGTERM }, { "KILL", SIGKILL }, { "INT", SIGINT }, { "HUP", SIGHUP },
		{ "USR1", SIGUSR1 }, { "USR2", SIGUSR2 }, { "QUIT", SIGQUIT }, { "STOP", SIGSTOP },
		{ "CONT", SIGCONT },
	};
	if (!strncasecmp(s, "SIG", 3))
		s += 3;
	for (size_t i = 0; i < ARRAY_SIZE(sigs); i++)
		if (!strcasecmp(s, sigs[i].n))
			return sigs[i].s;
	return atoi(s);
}

static int cmd_run(int argc, char **argv)
{
	struct rt_spec spec = { 0 };
	bool detach = false, keep = false, quiet = false;
	char **env = calloc((size_t)argc + 1, sizeof(char *));
	size_t nenv = 0;
	spec.mounts = calloc((size_t)argc, sizeof(struct rt_mount));
	static const struct option opts[] = {
		{ "rootfs", 1, 0, 'r' },   { "state-dir", 1, 0, 's' }, { "id", 1, 0, 'i' },
		{ "net", 1, 0, 'n' },      { "memory", 1, 0, 'm' },    { "pids", 1, 0, 'p' },
		{ "cpu-shares", 1, 0, 'c' }, { "cpu-quota", 1, 0, 'q' }, { "cpu-period", 1, 0, 'P' },
		{ "init", 0, 0, 'I' },     { "user", 1, 0, 'u' },      { "tty", 0, 0, 't' },
		{ "hostname", 1, 0, 'h' }, { "cwd", 1, 0, 'w' },       { "env", 1, 0, 'e' },
		{ "bind", 1, 0, 'b' },     { "cgroup-parent", 1, 0, 'g' }, { "detach", 0, 0, 'd' },
		{ "keep", 0, 0, 'k' },     { "quiet", 0, 0, 'Q' },     { "read-only", 0, 0, 'R' },
		{ 0, 0, 0, 0 },
	};
	int c;
	optind = 1;
	while ((c = getopt_long(argc, argv, "+", opts, NULL)) != -1) {
		switch (c) {
		case 'r': spec.rootfs = realpath(optarg, NULL); if (!spec.rootfs) { perror(optarg); return 125; } break;
		case 's': spec.state_dir = strdup(optarg); break;
		case 'i': spec.id = strdup(optarg); break;
		case 'n': if (strcmp(optarg, "host")) spec.netns = strdup(optarg); break;
		case 'm': spec.limits.memory = strtoll(optarg, NULL, 0); break;
		case 'p': spec.limits.pids = strtoll(optarg, NULL, 0); break;
		case 'c': spec.limits.cpu_shares = strtoull(optarg, NULL, 0); break;
		case 'q': spec.limits.cpu_quota = strtoll(optarg, NULL, 0); break;
		case 'P': spec.limits.cpu_period = strtoull(optarg, NULL, 0); break;
		case 'I': spec.init = true; break;
		case 'u': spec.user = strdup(optarg); break;
		case 't': spec.tty = true; break;
		case 'h': spec.hostname = strdup(optarg); break;
		case 'w': spec.cwd = strdup(optarg); break;
		case 'e': env[nenv++] = strdup(optarg); break;
		case 'g': spec.cgroup_parent = strdup(optarg); break;
		case 'd': detach = true; break;
		case 'k': keep = true; break;
		case 'Q': quiet = true; break;
		case 'R': spec.readonly_rootfs = true; break;
		case 'b': {
			char *a = strdup(optarg), *d = strchr(a, ':');
			if (!d)
				return usage();
			*d++ = '\0';
			char *ro = strchr(d, ':');
			struct rt_mount *m = &spec.mounts[spec.n_mounts++];
			m->readonly = ro && !strcmp(ro, ":ro");
			if (ro)
				*ro = '\0';
			m->source = realpath(a, NULL);
			m->destination = strdup(d);
			if (!m->source) {
				perror(a);
				return 125;
			}
			free(a);
			break;
		}
		default: return usage();
		}
	}
	if (optind >= argc || !spec.rootfs)
		return usage();
	spec.env = env;
	spec.args = calloc((size_t)(argc - optind + 1), sizeof(char *));
	for (int i = optind; i < argc; i++)
		spec.args[i - optind] = strdup(argv[i]);
	if (!spec.id) {
		char id[ND_ID_LEN + 1];
		nd_id_new(id);
		spec.id = strdup(id);
	}
	if (!spec.state_dir && asprintf(&spec.state_dir, "/run/nd-rt-test/%s", spec.id) < 0)
		return 125;

	/* our shims are re-parented to us, not to a PID 1 that does not reap */
	prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0);
	char *shim = shim_path();
	struct rt_state st;
	struct nd_error err = { 0 };
	uint64_t t0 = nd_now_ns();
	int code = 0;
	if (rt_start(shim, &spec, &st, &err) < 0) {
		fprintf(stderr, "nd-rt-test: %s\n", err.msg);
		code = st.exit.exit_code ? st.exit.exit_code : 125;
		goto out;
	}
	if (detach) {
		if (!quiet)
			printf("%s\n", spec.state_dir);
		goto out;
	}
	if (rt_wait(&st, -1, &err) < 0) {
		fprintf(stderr, "nd-rt-test: %s\n", err.msg);
		code = 125;
		goto out;
	}
	uint64_t t1 = nd_now_ns();
	if (!quiet) {
		char *lp = log_path_of(spec.state_dir);
		if (lp)
			print_logs(lp);
		free(lp);
		fprintf(stderr, "exit_code=%d signal=%d oom_killed=%d run_ms=%.3f\n", st.exit.exit_code,
			st.exit.signal, st.exit.oom_killed, (double)(t1 - t0) / 1e6);
	}
	if (!keep && rt_delete(spec.state_dir, &err) < 0)
		fprintf(stderr, "nd-rt-test: delete: %s\n", err.msg);
	code = st.exit.exit_code;
out:
	free(shim);
	rt_spec_clear(&spec);
	return code;
}

static int cmd_attach(const char *dir)
{
	int fd;
	struct nd_error err = { 0 };
	if (rt_attach_connect(dir, &fd, &err) < 0) {
		fprintf(stderr, "nd-rt-test: %s\n", err.msg);
		return 1;
	}
	rt_attach_send_resize(fd, 24, 80);
	bool in_open = true;
	char buf[4096];
	for (;;) {
		struct pollfd pf[2] = { { .fd = fd, .events = POLLIN },
					{ .fd = in_open ? 0 : -1, .events = POLLIN } };
		if (poll(pf, 2, -1) < 0)
			continue;
		if (pf[0].revents) {
			ssize_t n = read(fd, buf, sizeof(buf));
			if (n <= 0)
				break;
			fwrite(buf, 1, (size_t)n, stdout);
			fflush(stdout);
		}
		if (pf[1].revents) {
			ssize_t n = read(0, buf, sizeof(buf));
			if (n <= 0)
				in_open = false;
			else
				rt_attach_send_input(fd, buf, (size_t)n);
		}
	}
	close(fd);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc < 2)
		return usage();
	const char *cmd = argv[1];
	if (!strcmp(cmd, "run"))
		return cmd_run(argc - 1, argv + 1);
	if (argc < 3)
		return usage();
	const char *dir = argv[2];
	struct nd_error err = { 0 };
	struct rt_state st;
	if (!strcmp(cmd, "delete")) {
		if (rt_delete(dir, &err) < 0) {
			fprintf(stderr, "nd-rt-test: %s\n", err.msg);
			return 1;
		}
		return 0;
	}
	if (!strcmp(cmd, "logs")) {
		char *lp = log_path_of(dir);
		return lp && print_logs(lp) == 0 ? 0 : 1;
	}
	if (!strcmp(cmd, "attach"))
		return cmd_attach(dir);
	if (rt_state_load(dir, &st, &err) < 0) {
		fprintf(stderr, "nd-rt-test: %s\n", err.msg);
		return 1;
	}
	if (!strcmp(cmd, "state")) {
		json_t *j = rt_state_to_json(&st);
		char *t = json_dumps(j, JSON_COMPACT);
		printf("%s\n", t);
		free(t);
		json_decref(j);
		return 0;
	}
	if (!strcmp(cmd, "wait")) {
		if (rt_wait(&st, -1, &err) < 0) {
			fprintf(stderr, "nd-rt-test: %s\n", err.msg);
			return 125;
		}
		printf("exit_code=%d signal=%d oom_killed=%d\n", st.exit.exit_code, st.exit.signal,
		       st.exit.oom_killed);
		return st.exit.exit_code;
	}
	if (!strcmp(cmd, "kill")) {
		if (rt_kill(&st, argc > 3 ? parse_signal(argv[3]) : SIGTERM, &err) < 0) {
			fprintf(stderr, "nd-rt-test: %s\n", err.msg);
			return 1;
		}
		return 0;
	}
	if (!strcmp(cmd, "exec")) {
		struct rt_exec_spec xs = { .stdio = { 0, 1, 2 } };
		int i = 3;
		for (; i < argc && strcmp(argv[i], "--"); i++)
			if (!strcmp(argv[i], "--user") && i + 1 < argc)
				xs.user = argv[++i];
		if (i >= argc - 1)
			return usage();
		xs.args = argv + i + 1;
		pid_t pid;
		int ec;
		if (rt_exec(&st, &xs, &pid, &ec, &err) < 0) {
			fprintf(stderr, "nd-rt-test: %s\n", err.msg);
			return ec;
		}
		int s;
		waitpid(pid, &s, 0);
		return WIFEXITED(s) ? WEXITSTATUS(s) : 128 + WTERMSIG(s);
	}
	return usage();
}
