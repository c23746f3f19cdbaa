// SPDX-License-Identifier: Apache-2.0
/* The default seccomp profile: a deny list that returns EPERM for what
 * Docker's default (allow-list) profile leaves out, for a process without
 * CAP_SYS_ADMIN and friends. Loaded last, after no_new_privs. */
#include "runtime/internal.h"

#include <sched.h>
#include <seccomp.h>

static const char *const denied[] = {
	/* keyring: not namespaced */
	"add_key", "keyctl", "request_key",
	/* bpf, perf, tracing and other processes' memory */
	"bpf", "perf_event_open", "ptrace", "process_vm_readv", "process_vm_writev", "kcmp",
	"lookup_dcookie", "userfaultfd",
	/* time: not namespaced */
	"clock_adjtime", "clock_adjtime64", "clock_settime", "clock_settime64", "settimeofday",
	"stime",
	/* modules, kexec, reboot, swap, accounting, quota */
	"create_module", "delete_module", "finit_module", "init_module", "get_kernel_syms",
	"query_module", "kexec_load", "kexec_file_load", "reboot", "swapon", "swapoff", "acct",
	"quotactl", "quotactl_fd", "nfsservctl", "syslog", "uselib", "ustat", "sysfs", "_sysctl",
	"vhangup",
	/* mounts and namespaces */
	"mount", "umount", "umount2", "pivot_root", "setns", "unshare", "fsopen", "fsconfig",
	"fsmount", "fspick", "open_tree", "move_mount", "mount_setattr",
	/* file handles bypass path checks */
	"open_by_handle_at", "name_to_handle_at",
	/* I/O ports, vm86 */
	"iopl", "ioperm", "vm86", "vm86old",
	/* NUMA policy */
	"get_mempolicy", "set_mempolicy", "mbind", "move_pages",
	/* io_uring (Docker blocks it since 25.0) */
	"io_uring_setup", "io_uring_enter", "io_uring_register",
};

static const unsigned long ns_flags[] = {
	CLONE_NEWNS, CLONE_NEWUTS, CLONE_NEWIPC, CLONE_NEWUSER, CLONE_NEWPID, CLONE_NEWNET,
	CLONE_NEWCGROUP,
};

/* personality(2) flags Docker does not allow (it allows only 0, PER_LINUX32,
 * UNAME26, both, and the 0xffffffff query) */
static const unsigned long unsafe_persona[] = {
	0x0040000 /* ADDR_NO_RANDOMIZE */, 0x0080000 /* FDPIC_FUNCPTRS */,
	0x0100000 /* MMAP_PAGE_ZERO */,    0x0200000 /* ADDR_COMPAT_LAYOUT */,
	0x0400000 /* READ_IMPLIES_EXEC */, 0x0800000 /* ADDR_LIMIT_32BIT */,
	0x1000000 /* SHORT_INODE */,       0x2000000 /* WHOLE_SECONDS */,
	0x4000000 /* STICKY_TIMEOUTS */,   0x8000000 /* ADDR_LIMIT_3GB */,
};

int rt__seccomp_load_default(struct nd_error *err)
{
	scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ALLOW);
	if (!ctx)
		return nd_error_set(err, -ENOMEM, "seccomp_init failed");
	int r;
	/* no_new_privs is the caller's choice (set before, or CAP_SYS_ADMIN held) */
	seccomp_attr_set(ctx, SCMP_FLTATR_CTL_NNP, 0);
#if defined(__x86_64__)
	/* filter the 32-bit and x32 entry points the same way */
	seccomp_arch_add(ctx, SCMP_ARCH_X86);
	seccomp_arch_add(ctx, SCMP_ARCH_X32);
#endif
	for (size_t i = 0; i < ARRAY_SIZE(denied); i++) {
		int nr = seccomp_syscall_resolve_name(denied[i]);
		if (nr == __NR_SCMP_ERROR)
			continue; /* unknown to this libseccomp */
		r = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), nr, 0);
		if (r < 0 && r != -EDOM && r != -EOPNOTSUPP)
			goto fail_rule;
	}
	/* clone with any namespace flag: EPERM; clone3 hides its flags in
	 * memory, so ENOSYS makes libc fall back to clone (Docker does this) */
	for (size_t i = 0; i < ARRAY_SIZE(ns_flags); i++) {
		r = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), SCMP_SYS(clone), 1,
				     SCMP_A0(SCMP_CMP_MASKED_EQ, ns_flags[i], ns_flags[i]));
		if (r < 0)
			goto fail_rule;
	}
	r = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(ENOSYS), SCMP_SYS(clone3), 0);
	if (r < 0 && r != -EDOM)
		goto fail_rule;
	/* flag set and bit 31 clear: the 0xffffffff query stays allowed */
	for (size_t i = 0; i < ARRAY_SIZE(unsafe_persona); i++) {
		r = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), SCMP_SYS(personality), 1,
				     SCMP_A0(SCMP_CMP_MASKED_EQ, unsafe_persona[i] | 0x80000000ul,
					     unsafe_persona[i]));
		if (r < 0)
			goto fail_rule;
	}
	r = seccomp_load(ctx);
	seccomp_release(ctx);
	if (r < 0)
		return nd_error_set(err, r, "seccomp_load: %s", strerror(-r));
	return 0;
fail_rule:
	seccomp_release(ctx);
	return nd_error_set(err, r, "seccomp rule: %s", strerror(-r));
}
