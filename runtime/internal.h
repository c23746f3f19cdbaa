// SPDX-License-Identifier: Apache-2.0
/* runtime internals shared between the library, the shim and nd-rt-test. */
#pragma once

#include "runtime/runtime.h"
#include "wire/wire.h"

#include <limits.h>

#define RT_DEFAULT_PATH "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
#define RT_STATE_FILE "state.json"
#define RT_EXIT_FILE "exit.json"
#define RT_SPEC_FILE "spec.json"
#define RT_ATTACH_SOCK "attach.sock"
#define RT_SHIM_LOG "shim.log"

/* files */
int rt__read_file(const char *path, char **out, size_t *len);
/* write to path.tmp, rename: readers see the old or the new file */
int rt__write_file_atomic(const char *path, const char *data, size_t len);
int rt__write_str(const char *path, const char *s);
/* /proc/PID/stat field 22; 0 when the process does not exist */
uint64_t rt__proc_starttime(pid_t pid);
/* One byte (tag) with fd passed along (SCM_RIGHTS); 0 or -errno. */
int rt__send_fd(int sock, char tag, int fd);
/* One message into buf (NUL-terminated); *fd_out gets a passed fd, if any. */
ssize_t rt__recv_fd_msg(int sock, char *buf, size_t size, int *fd_out);
bool rt__proc_alive(pid_t pid, uint64_t starttime);

/* the process setup shared by container start and exec */
int rt__caps_drop_bounding(uint64_t keep, struct nd_error *err);
int rt__caps_set(uint64_t caps, struct nd_error *err);
int rt__user_switch(const struct rt_user *u, struct nd_error *err);
int rt__seccomp_load_default(struct nd_error *err);
/* security.c: the spec's security options as JSON, and their steps */
json_t *rt__security_to_json(const struct rt_security *sec);
int rt__security_from_json(const json_t *j, struct rt_security *out, struct nd_error *err);
/* extra device rules in the container's cgroup (v1 devices; refused on v2) */
int rt__security_cgroup(const struct rt_cgroup *cg, const struct rt_security *sec, struct nd_error *err);
/* in the container, before pivot_root: the host's device nodes (privileged) */
struct rt__hostdevs;
struct rt__hostdevs *rt__security_hostdevs(const struct rt_security *sec);
/* after /proc is mounted, before it is made read-only */
int rt__security_sysctls(const struct rt_security *sec, struct nd_error *err);
/* after /dev is set up: the --device nodes and the host's (privileged) */
int rt__security_devices(const struct rt_security *sec, struct rt__hostdevs *hd, struct nd_error *err);
/* in the process, before the user switch: extra groups, rlimits */
int rt__security_groups(const struct rt_security *sec, struct rt_user *u, struct nd_error *err);
int rt__security_rlimits(const struct rt_security *sec, struct nd_error *err);
/* last, after no_new_privs: the seccomp filter the spec asks for */
int rt__security_seccomp(const struct rt_security *sec, const char *bpf, size_t bpf_len, struct nd_error *err);
int rt__seccomp_profile_load(const struct rt_seccomp_profile *p, struct nd_error *err);
/* A profile compiled once (the shim, before the clone) into <state_dir>/
 * seccomp.bpf, which the container and every exec load as it is: libseccomp
 * takes tens of ms to compile a long profile. */
#define RT_SECCOMP_BPF "seccomp.bpf"
int rt__seccomp_profile_export(const struct rt_seccomp_profile *p, int fd, struct nd_error *err);
int rt__seccomp_bpf_load(const struct rt_seccomp_profile *p, const void *bpf, size_t len, struct nd_error *err);
int rt__security_seccomp_compile(const struct rt_spec *spec, struct nd_error *err);
/* the compiled filter of a state dir, if any (*bpf NULL otherwise) */
void rt__security_bpf_read(const char *state_dir, char **bpf, size_t *len);
/* $PATH lookup; sets *exit_code to 127/126 on failure, as Docker */
int rt__find_exec(const char *file, char *const *env, char out[PATH_MAX], int *exit_code,
		  struct nd_error *err);
int rt__init_run(pid_t child); /* the minimal PID 1: forwards signals, reaps */

/* cgroup dirs in JSON (state.json) */
json_t *rt__cgroup_to_json(const struct rt_cgroup *cg);
int rt__cgroup_from_json(const json_t *j, struct rt_cgroup *out);

/* log lines, Docker json-file style */
size_t rt__json_escape(char *out, const char *in, size_t len);

/* mounts.c: the spec's mounts, made inside the container's root */
bool rt__propagation_valid(const char *p);
/* after pivot_root: every spec mount, in order */
int rt__mounts_setup(const struct rt_spec *spec, const int *src_fds, struct nd_error *err);

/* ---- the container process (container.c) ---------------------------------- */

/* messages on the shim <-> container SOCK_SEQPACKET: 'G' go (shim -> child,
 * after the cgroup join, or before the child's own join with enter_self), 'E'+JSON error (child -> shim), 'T' + SCM_RIGHTS
 * pty master (child -> shim). EOF without 'E' means exec succeeded. */
struct rt__child_ctx {
	const struct rt_spec *spec;
	int sync_fd;
	int netns_fd;   /* -1: stay in the host's netns */
	const struct rt_cgroup *cg; /* non-NULL: the child joins it itself (enter_self) after 'G' */
	int stdio[3];   /* non-tty: /dev/null, stdout pipe, stderr pipe */
	char *argv_area; /* the shim's argv strings: --init renames itself there */
	size_t argv_len;
};
__attribute__((noreturn)) void rt__container_child(struct rt__child_ctx *ctx);

/* user, cwd, bounding set, user switch, caps, no_new_privs, $PATH lookup,
 * seccomp, execve. Returns only on failure, with *exit_code 125/126/127. */
struct rt__proc {
	const char *user;
	const char *cwd;
	char *const *args;
	char *const *env;
	const char *hostname;
	bool tty;
	const struct rt_security *sec; /* NULL: the defaults */
	const char *bpf;               /* sec's profile, compiled (rt__security_bpf_read) */
	size_t bpf_len;
};
int rt__process_exec(const struct rt__proc *p, int *exit_code, struct nd_error *err);
/* reports an error on a sync fd as 'E' + {"code","exit_code","message"} */
void rt__report_error(int fd, const struct nd_error *err, int exit_code);
/* parses such a report; 1 when it was an error */
int rt__parse_error(const char *buf, size_t len, struct nd_error *err, int *exit_code);
/* the env a container process sees: spec env + PATH, HOSTNAME, HOME, TERM */
char **rt__build_env(char *const *env, const char *hostname, const char *home, bool tty);
const char *rt__spec_hostname(const struct rt_spec *spec, char buf[65]);
