// SPDX-License-Identifier: Apache-2.0
/* runtime: start, watch, exec into, kill and delete containers.
 *
 * A container is a process in new pid/mnt/uts/ipc/cgroup namespaces, joined
 * to an existing network namespace (or the host's), pivoted into a rootfs the
 * caller already prepared, with Docker's default mounts, capabilities,
 * no_new_privs and seccomp profile, and cgroup limits (v1, v2 or hybrid).
 *
 * Every running container is held by a monitor process, `netd-shim`, that
 * rt_start() execs. The shim owns the container's stdio (log file, pty) and
 * records its exit status in the state dir, so a daemon can die and come back
 * and re-adopt its containers with rt_state_load(). The one public header of
 * the runtime module. */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "common/common.h"

/* ---- the container spec -------------------------------------------------- */

enum rt_mount_type {
	RT_MOUNT_BIND = 0,  /* source: a host path (file or dir), bound recursively */
	RT_MOUNT_TMPFS,     /* a new tmpfs; source ignored */
};

/* mount attributes (RT_MOUNT_*): nosuid, nodev, noexec */
#define RT_MOUNT_NOSUID 0x1u
#define RT_MOUNT_NODEV 0x2u
#define RT_MOUNT_NOEXEC 0x4u

/* Mounts are made after pivot_root, in array order (parents first), each
 * target resolved inside the container's root (openat2 RESOLVE_IN_ROOT,
 * no magic links) and created when missing, then attached with
 * move_mount(); attributes and propagation through mount_setattr(). */
struct rt_mount {
	char *source;       /* host path (file or dir); NULL for tmpfs */
	char *destination;  /* path inside the container */
	bool readonly;
	enum rt_mount_type type;
	unsigned flags;     /* RT_MOUNT_NOSUID | RT_MOUNT_NODEV | RT_MOUNT_NOEXEC */
	char *options;      /* tmpfs parameters "size=64m,mode=1777" (key[=value],...); NULL = none */
	char *propagation;  /* bind: private, rprivate (NULL: the default), shared, rshared, slave, rslave */
	bool nonrecursive;  /* bind: the source mount alone, not the mounts under it */
	bool ro_toplevel;   /* readonly applies to the top mount only (default: the whole tree) */
};

struct rt_limits {
	int64_t memory;      /* bytes; 0 = unlimited */
	uint64_t cpu_shares; /* v1 cpu.shares (2..262144); 0 = default */
	int64_t cpu_quota;   /* microseconds per period; 0 = unlimited */
	uint64_t cpu_period; /* microseconds; 0 = kernel default (100000) */
	int64_t pids;        /* 0 = unlimited */
};

/* Security options (Docker's --privileged, --cap-add/--cap-drop,
 * --security-opt, --device, --group-add, --ulimit, --sysctl). All zero is
 * netd's default: Docker's capabilities, no_new_privs, the default seccomp
 * filter, no extra devices, groups, rlimits or sysctls. */
struct rt_device {
	char *path;          /* inside the container */
	char type;           /* 'c' or 'b' */
	unsigned major, minor;
	unsigned mode;       /* permission bits of the node */
	uid_t uid;
	gid_t gid;
	char perms[4];       /* device cgroup access: a subset of "rwm" */
};
struct rt_ulimit {
	int resource;        /* RLIMIT_* */
	uint64_t soft, hard; /* RLIM_INFINITY for unlimited */
};
struct rt_sysctl {
	char *key;           /* "net.ipv4.ip_forward" */
	char *value;
};
struct rt_security {
	bool privileged;     /* every capability netd has, no seccomp, every host
	                      * device, /sys and /proc/sys writable, nothing masked */
	bool caps_set;       /* false: Docker's default capabilities */
	uint64_t caps;
	bool new_privs;      /* true: no_new_privs is not set */
	char *seccomp;       /* NULL: netd's default filter; "unconfined"; or a
	                      * profile in Docker's JSON format */
	struct rt_device *devices;
	size_t n_devices;
	char **groups;       /* extra groups: names or numbers (NULL-terminated) */
	struct rt_ulimit *ulimits;
	size_t n_ulimits;
	struct rt_sysctl *sysctls;
	size_t n_sysctls;
};

struct rt_spec {
	char *id;            /* required; [a-zA-Z0-9][a-zA-Z0-9_.-]* */
	char *rootfs;        /* required; an already mounted rootfs dir */
	char *netns;         /* bind-mounted netns file, or NULL for the host's */
	char **args;         /* NULL-terminated; args[0] looked up in $PATH */
	char **env;          /* NULL-terminated "K=V"; PATH and HOME defaulted */
	char *cwd;           /* NULL = "/"; created when missing, as Docker */
	char *user;          /* NULL = root; "uid[:gid]" or "name[:group]" */
	char *hostname;      /* NULL = first 12 characters of id */
	bool tty;
	bool open_stdin;     /* without tty: stdin is a pipe fed through attach.sock
	                      * (Docker's OpenStdin); /dev/null otherwise */
	bool init;           /* a minimal reaping PID 1 runs args as its child */
	bool readonly_rootfs;
	struct rt_limits limits;
	struct rt_security security;
	struct rt_mount *mounts; /* extra binds: /etc/hosts, resolv.conf, hostname */
	size_t n_mounts;
	char *cgroup_parent; /* NULL = "netd"; relative to the shim's own cgroup
	                      * in each hierarchy, or absolute with a leading '/' */
	char *state_dir;     /* required; created by rt_start */
	char *log_path;      /* NULL = <state_dir>/container.log */
};

void rt_spec_free(struct rt_spec *spec);   /* frees members and spec; NULL ok */
void rt_spec_clear(struct rt_spec *spec);  /* frees members only */
/* JSON round trip. to_json returns a new reference. */
json_t *rt_spec_to_json(const struct rt_spec *spec);
int rt_spec_from_json(const json_t *j, struct rt_spec **out, struct nd_error *err);
int rt_spec_save(const struct rt_spec *spec, const char *path, struct nd_error *err);
int rt_spec_load(const char *path, struct rt_spec **out, struct nd_error *err);
int rt_spec_validate(const struct rt_spec *spec, struct nd_error *err);

/* ---- state ------------------------------------------------------------------ */

enum rt_status {
	RT_STATUS_UNKNOWN = 0, /* no state.json, or the shim died without exit.json */
	RT_STATUS_RUNNING,     /* shim and container alive */
	RT_STATUS_STOPPED,     /* exit.json written */
};

struct rt_exit {
	int exit_code;        /* as a shell reports it: code, or 128+signal */
	int signal;           /* the killing signal, 0 when it exited */
	bool oom_killed;      /* the cgroup's oom_kill counter moved */
	char finished[40];    /* RFC 3339 nano */
	char error[256];      /* start error message, when it never ran */
};

struct rt_state {
	char id[ND_NAME_MAX + 1];
	char state_dir[4096];
	enum rt_status status;
	pid_t shim_pid;
	uint64_t shim_start;  /* /proc/PID/stat starttime, guards pid reuse */
	pid_t pid;            /* container init pid in the host pid namespace */
	uint64_t pid_start;
	char started[40];
	struct rt_exit exit;  /* valid when status == RT_STATUS_STOPPED, and after
	                       * a failed rt_start (exit_code 125/126/127) */
};

const char *rt_status_name(enum rt_status s);

/* Starts a container: creates spec->state_dir, writes spec.json there,
 * execs `shim_path start <state_dir>` in a new session and waits until the
 * container's command was exec'd or failed. On failure returns a negative
 * errno with the exact startup error (e.g. `exec: "nope": executable file
 * not found in $PATH`), sets out->exit.exit_code to Docker's code (127 not
 * found, 126 not executable, 125 anything else) and leaves no cgroup, no
 * process and no state dir behind. The shim is a child of the caller until
 * the caller dies; reap it (rt_wait does, or waitpid on out->shim_pid). */
int rt_start(const char *shim_path, const struct rt_spec *spec, struct rt_state *out,
	     struct nd_error *err);

/* Reads state.json and exit.json from a state dir and checks that the shim
 * and the container are still the processes recorded (re-adoption after a
 * daemon restart). -ENOENT when there is no such container. */
int rt_state_load(const char *state_dir, struct rt_state *out, struct nd_error *err);
/* The state as JSON (for `nd-rt-test state` and the daemon's inspect). */
json_t *rt_state_to_json(const struct rt_state *st);

/* Waits until the container exited and the shim wrote exit.json (or the
 * shim died). timeout_ms < 0 waits forever; -ETIMEDOUT on timeout. Reaps the
 * shim when it is the caller's child. Refreshes *st. */
int rt_wait(struct rt_state *st, int timeout_ms, struct nd_error *err);

/* Sends sig to the container's init process. -ESRCH when it is gone. */
int rt_kill(const struct rt_state *st, int sig, struct nd_error *err);

struct rt_cgroup;
/* Kills what is left, removes the cgroups and the state dir. Idempotent:
 * a missing state dir is success. */
int rt_delete(const char *state_dir, struct nd_error *err);
/* The cgroup dirs a state dir records (read it before rt_delete, e.g. to
 * remove their parents after the last container). -ENOENT without one.
 * Free with rt_cgroup_clear. */
int rt_state_cgroup(const char *state_dir, struct rt_cgroup *out, struct nd_error *err);

/* ---- exec into a running container ---------------------------------------- */

struct rt_exec_spec {
	char **args;         /* NULL-terminated */
	char **env;          /* NULL = the container's env */
	const char *cwd;     /* NULL = the container's cwd */
	const char *user;    /* NULL = the container's user */
	int stdio[3];        /* fds for the process; -1 = /dev/null (ignored with tty) */
	bool tty;            /* a pty of the container's own devpts is the process's
	                      * stdio and controlling terminal */
	unsigned short rows, cols; /* tty: the initial size; 0 = the kernel's */
};

struct rt_exec_proc {
	pid_t pid;           /* the relay: a child of the caller, outside the pid namespace */
	pid_t process;       /* the process itself, as the host's pid namespace sees it */
	int pty_master;      /* tty: the pty's master (O_CLOEXEC); -1 otherwise */
	int status_fd;       /* SOCK_SEQPACKET, O_CLOEXEC: readable once the process
	                      * exited, with its code as an int (shell style:
	                      * 128+signal); EOF alone if the relay died */
};

/* Runs a process in all the container's namespaces and cgroup with the same
 * user, capabilities, no_new_privs and seccomp. Returns once the command was
 * exec'd or failed; lookup errors come back here with the 126/127 code. The
 * exit status arrives on out->status_fd, so a caller that reaps every child
 * (SIGCHLD) does not lose it. Blocks (forks, waits for the exec): call it off
 * an event loop. */
int rt_exec_start(const struct rt_state *st, const struct rt_exec_spec *xs, struct rt_exec_proc *out,
		  int *exit_code_on_error, struct nd_error *err);
/* rt_exec_start for callers that waitpid() the relay: *pid_out exits with
 * the process's status. */
int rt_exec(const struct rt_state *st, const struct rt_exec_spec *xs, pid_t *pid_out,
	    int *exit_code_on_error, struct nd_error *err);

/* ---- tty attach ------------------------------------------------------------- */

/* Connects to <state_dir>/attach.sock of a tty container (or of a non-tty
 * one with open_stdin). The shim sends the pty's output as raw bytes (none
 * without a tty: that output is in the log); the client sends frames: a
 * 5-byte header (type, u32 length in host order) and the payload, at most
 * RT_ATTACH_PAYLOAD_MAX bytes. */
#define RT_ATTACH_HDR_LEN 5
#define RT_ATTACH_PAYLOAD_MAX 4096
enum rt_attach_frame {
	RT_ATTACH_INPUT = 'i',       /* bytes for the container's stdin */
	RT_ATTACH_RESIZE = 'r',      /* rows u16, cols u16 (host order) */
	RT_ATTACH_CLOSE_STDIN = 'c', /* no payload: close the container's stdin (non-tty) */
};
void rt_attach_frame_header(char hdr[RT_ATTACH_HDR_LEN], enum rt_attach_frame type, uint32_t len);
int rt_attach_connect(const char *state_dir, int *fd_out, struct nd_error *err);
int rt_attach_send_input(int fd, const void *buf, size_t len);
int rt_attach_send_resize(int fd, unsigned short rows, unsigned short cols);

/* ---- pieces exposed for the daemon and the unit tests ------------------------ */

/* user: "uid[:gid]" or "name[:group]" against passwd/group files. */
#define RT_MAX_GROUPS 64
struct rt_user {
	uid_t uid;
	gid_t gid;
	gid_t groups[RT_MAX_GROUPS]; /* supplementary */
	size_t n_groups;
	char home[256];
};
int rt_user_resolve(const char *spec, const char *passwd_path, const char *group_path,
		    struct rt_user *out, struct nd_error *err);

/* capabilities: names and Docker's default mask are wire/'s
 * (wire_cap_from_name, wire_cap_name, wire_cap_default_mask) */

/* cgroups */
enum rt_cgroup_mode {
	RT_CGROUP_NONE = 0,
	RT_CGROUP_V1,       /* only v1 hierarchies */
	RT_CGROUP_V2,       /* cgroup2 on /sys/fs/cgroup */
	RT_CGROUP_HYBRID,   /* v1 controllers + a cgroup2 tree elsewhere: v1 for limits */
};
#define RT_CGROUP_MAX_HIER 16
struct rt_cgroup_layout {
	enum rt_cgroup_mode mode;
	char unified[256];             /* cgroup2 mount point, "" when none */
	size_t n_v1;
	struct {
		char controllers[64];  /* "cpu,cpuacct", "memory", "name=systemd" */
		char mountpoint[256];
		char root[256];        /* the mount's root inside the hierarchy */
	} v1[RT_CGROUP_MAX_HIER];
};
/* Parses /proc/self/mountinfo text. */
int rt_cgroup_layout_parse(const char *mountinfo, struct rt_cgroup_layout *out,
			   struct nd_error *err);
int rt_cgroup_layout_detect(struct rt_cgroup_layout *out, struct nd_error *err);
const char *rt_cgroup_mode_name(enum rt_cgroup_mode m);

/* One container's cgroup: a directory per hierarchy it joined. */
struct rt_cgroup {
	const struct rt_cgroup_manager *mgr;
	size_t n;
	char *paths[RT_CGROUP_MAX_HIER];
};
void rt_cgroup_clear(struct rt_cgroup *cg);

/* v1 and v2 behind one const vtable: callers never switch on the version. */
struct rt_cgroup_manager {
	const char *name; /* "v1" or "v2" */
	/* Resolves and creates the container's dirs (nothing is left on failure).
	 * own_cgroup is /proc/self/cgroup text, for relative parents. */
	int (*create)(const struct rt_cgroup_layout *layout, const char *own_cgroup,
		      const char *parent, const char *id, const struct rt_limits *limits,
		      struct rt_cgroup *out, struct nd_error *err);
	int (*set_limits)(const struct rt_cgroup *cg, const struct rt_limits *limits,
			  struct nd_error *err);
	int (*enter)(const struct rt_cgroup *cg, pid_t pid, struct nd_error *err);
	/* Moves the calling process, which must be single-threaded, without the
	 * kernel's global cgroup_threadgroup_rwsem (whose write side waits an RCU
	 * grace period: 10-20 ms a start on these hosts). NULL where the
	 * hierarchy has no such path: then the parent calls enter(). */
	int (*enter_self)(const struct rt_cgroup *cg, struct nd_error *err);
	bool (*oom_killed)(const struct rt_cgroup *cg);
	/* Kills remaining processes and removes the dirs; missing dirs are fine. */
	int (*destroy)(const struct rt_cgroup *cg, struct nd_error *err);
};
extern const struct rt_cgroup_manager rt_cgroup_v1;
extern const struct rt_cgroup_manager rt_cgroup_v2;
/* Hybrid and v1 give rt_cgroup_v1, v2 gives rt_cgroup_v2; NULL for none. */
const struct rt_cgroup_manager *rt_cgroup_manager_for(const struct rt_cgroup_layout *layout);
const struct rt_cgroup_manager *rt_cgroup_manager_by_name(const char *name);

/* Seccomp profiles in Docker's JSON format (defaultAction, defaultErrnoRet,
 * architectures / archMap, syscalls[names, action, errnoRet, args,
 * includes/excludes by caps, arches and minKernel], flags), resolved for
 * one capability set and one architecture into the rules to load. */
struct rt_seccomp_rule {
	char name[64];
	uint32_t action;     /* SCMP_ACT_* value */
	unsigned n_args;
	struct { unsigned index; int op; uint64_t value, value_two; } args[6];
	bool args_any;       /* several conditions on one argument: one rule each (OR) */
};
struct rt_seccomp_profile {
	uint32_t default_action;
	size_t n_arches;
	uint32_t arches[16];  /* SCMP_ARCH_* tokens beside the native one */
	size_t n_rules;
	struct rt_seccomp_rule *rules;
	bool flag_log, flag_spec_allow;
};
/* arch: Go's name of the architecture ("amd64", "arm64"), NULL for this
 * machine's. Unknown syscall names are kept (skipped when loading, as runc). */
int rt_seccomp_profile_parse(const char *json, uint64_t caps, const char *arch,
			     struct rt_seccomp_profile *out, struct nd_error *err);
void rt_seccomp_profile_clear(struct rt_seccomp_profile *p);
void rt_security_clear(struct rt_security *sec); /* frees members; NULL ok */
/* The capability set a container's processes get (bounding, permitted, effective). */
uint64_t rt_security_caps(const struct rt_security *sec);

/* The shim's entry point (netd-shim's main calls this). */
int rt_shim_main(int argc, char **argv);
