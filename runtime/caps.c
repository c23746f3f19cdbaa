// SPDX-License-Identifier: Apache-2.0
/* Capabilities: applying a mask to every set (bounding, permitted,
 * effective, inheritable, ambient). Raw capset(2): nothing here needs
 * libcap. The names and Docker's default set are wire/'s (netctl shares
 * them). */
#include "runtime/internal.h"

#include <linux/capability.h>
#include <sys/prctl.h>
#include <sys/syscall.h>

static int last_cap(void)
{
	_cleanup_free_ char *buf = NULL;
	if (rt__read_file("/proc/sys/kernel/cap_last_cap", &buf, NULL) == 0)
		return atoi(buf);
	return wire_cap_last();
}

int rt__caps_drop_bounding(uint64_t keep, struct nd_error *err)
{
	int last = last_cap();
	for (int c = 0; c <= last && c < 64; c++) {
		if (keep & (1ull << c))
			continue;
		if (prctl(PR_CAPBSET_DROP, c, 0, 0, 0) < 0 && errno != EINVAL)
			return nd_error_set(err, -errno, "drop %s from the bounding set: %m",
					    wire_cap_name(c) ? wire_cap_name(c) : "cap");
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
