/* Capabilities: the name table, Docker's default set, and applying it to
 * every set (bounding, permitted, effective, inheritable, ambient). Raw
 * capset(2): nothing here needs libcap. */
#include "runtime/internal.h"

#include <linux/capability.h>
#include <sys/prctl.h>
#include <sys/syscall.h>

static const char *const cap_names[] = {
	"CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_DAC_READ_SEARCH", "CAP_FOWNER", "CAP_FSETID",
	"CAP_KILL", "CAP_SETGID", "CAP_SETUID", "CAP_SETPCAP", "CAP_LINUX_IMMUTABLE",
	"CAP_NET_BIND_SERVICE", "CAP_NET_BROADCAST", "CAP_NET_ADMIN", "CAP_NET_RAW",
	"CAP_IPC_LOCK", "CAP_IPC_OWNER", "CAP_SYS_MODULE", "CAP_SYS_RAWIO", "CAP_SYS_CHROOT",
	"CAP_SYS_PTRACE", "CAP_SYS_PACCT", "CAP_SYS_ADMIN", "CAP_SYS_BOOT", "CAP_SYS_NICE",
	"CAP_SYS_RESOURCE", "CAP_SYS_TIME", "CAP_SYS_TTY_CONFIG", "CAP_MKNOD", "CAP_LEASE",
	"CAP_AUDIT_WRITE", "CAP_AUDIT_CONTROL", "CAP_SETFCAP", "CAP_MAC_OVERRIDE",
	"CAP_MAC_ADMIN", "CAP_SYSLOG", "CAP_WAKE_ALARM", "CAP_BLOCK_SUSPEND", "CAP_AUDIT_READ",
	"CAP_PERFMON", "CAP_BPF", "CAP_CHECKPOINT_RESTORE",
};

/* Docker's default (moby oci/caps/defaults.go) */
static const char *const default_caps[] = {
	"CHOWN", "DAC_OVERRIDE", "FSETID", "FOWNER", "MKNOD", "NET_RAW", "SETGID", "SETUID",
	"SETFCAP", "SETPCAP", "NET_BIND_SERVICE", "SYS_CHROOT", "KILL", "AUDIT_WRITE",
};

int rt_cap_from_name(const char *name)
{
	if (!name)
		return -EINVAL;
	if (!strncasecmp(name, "CAP_", 4))
		name += 4;
	for (size_t i = 0; i < ARRAY_SIZE(cap_names); i++)
		if (!strcasecmp(cap_names[i] + 4, name))
			return (int)i;
	return -EINVAL;
}

const char *rt_cap_name(int cap)
{
	if (cap < 0 || (size_t)cap >= ARRAY_SIZE(cap_names))
		return NULL;
	return cap_names[cap];
}

uint64_t rt_cap_default_mask(void)
{
	uint64_t m = 0;
	for (size_t i = 0; i < ARRAY_SIZE(default_caps); i++)
		m |= 1ull << rt_cap_from_name(default_caps[i]);
	return m;
}

static int last_cap(void)
{
	_cleanup_free_ char *buf = NULL;
	if (rt__read_file("/proc/sys/kernel/cap_last_cap", &buf, NULL) == 0)
		return atoi(buf);
	return (int)ARRAY_SIZE(cap_names) - 1;
}

int rt__caps_drop_bounding(uint64_t keep, struct nd_error *err)
{
	int last = last_cap();
	for (int c = 0; c <= last && c < 64; c++) {
		if (keep & (1ull << c))
			continue;
		if (prctl(PR_CAPBSET_DROP, c, 0, 0, 0) < 0 && errno != EINVAL)
			return nd_error_set(err, -errno, "drop %s from the bounding set: %m",
					    rt_cap_name(c) ? rt_cap_name(c) : "cap");
	}
	return 0;
}

int rt__caps_set(uint64_t caps, struct nd_error *err)
{
	struct __user_cap_header_struct hdr = { .version = _LINUX_CAPABILITY_VERSION_3, .pid = 0 };
	struct __user_cap_data_struct data[2] = { 0 };
	data[0].effective = data[0].permitted = (uint32_t)caps;
	data[1].effective = data[1].permitted = (uint32_t)(caps >> 32);
	/* inheritable stays empty, as Docker does since CVE-2022-24769 */
	if (syscall(SYS_capset, &hdr, data) < 0)
		return nd_error_set(err, -errno, "capset: %m");
	if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0 && errno != EINVAL)
		return nd_error_set(err, -errno, "clear ambient capabilities: %m");
	return 0;
}
