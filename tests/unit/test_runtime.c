// SPDX-License-Identifier: Apache-2.0
/* runtime unit tests: no root, no kernel state. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "runtime/runtime.h"

#include <fcntl.h>
#include <sys/stat.h>

static char tmpdir[64];

static int setup(void **state)
{
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/test_runtime.XXXXXX");
	assert_non_null(mkdtemp(tmpdir));
	return 0;
}

static int teardown(void **state)
{
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf %s", tmpdir);
	return system(cmd) == 0 ? 0 : -1;
}

static void write_file(const char *name, const char *content, char *path_out)
{
	sprintf(path_out, "%s/%s", tmpdir, name);
	FILE *f = fopen(path_out, "w");
	assert_non_null(f);
	fputs(content, f);
	fclose(f);
}

static char **strv(const char *a, const char *b, const char *c)
{
	char **v = calloc(4, sizeof(char *));
	v[0] = a ? strdup(a) : NULL;
	v[1] = a && b ? strdup(b) : NULL;
	v[2] = a && b && c ? strdup(c) : NULL;
	return v;
}

static void test_spec_round_trip(void **state)
{
	struct rt_spec s = { 0 };
	s.id = strdup("web-1");
	s.rootfs = strdup("/var/lib/netd/overlay/abc/merged");
	s.netns = strdup("/run/netd/netns/abc");
	s.args = strv("sh", "-c", "echo \"hi\"\n");
	s.env = strv("A=1", "B=two words", NULL);
	s.cwd = strdup("/srv");
	s.user = strdup("nobody:nogroup");
	s.hostname = strdup("web1");
	s.tty = true;
	s.init = true;
	s.limits = (struct rt_limits){ .memory = 64 << 20, .cpu_shares = 512, .cpu_quota = 50000,
				       .cpu_period = 100000, .pids = 20 };
	s.n_mounts = 2;
	s.mounts = calloc(2, sizeof(struct rt_mount));
	s.mounts[0] = (struct rt_mount){ strdup("/run/netd/c/hosts"), strdup("/etc/hosts"), false };
	s.mounts[1] = (struct rt_mount){ strdup("/run/netd/c/resolv.conf"), strdup("/etc/resolv.conf"), true };
	s.cgroup_parent = strdup("netd");
	s.state_dir = strdup("/run/netd/containers/web-1");
	s.log_path = strdup("/var/lib/netd/containers/web-1/log.json");
	struct nd_error err = { 0 };
	assert_int_equal(rt_spec_validate(&s, &err), 0);

	char path[256];
	snprintf(path, sizeof(path), "%s/spec.json", tmpdir);
	assert_int_equal(rt_spec_save(&s, path, &err), 0);
	struct rt_spec *back = NULL;
	assert_int_equal(rt_spec_load(path, &back, &err), 0);
	assert_string_equal(back->id, "web-1");
	assert_string_equal(back->netns, "/run/netd/netns/abc");
	assert_string_equal(back->args[2], "echo \"hi\"\n");
	assert_null(back->args[3]);
	assert_string_equal(back->env[1], "B=two words");
	assert_string_equal(back->user, "nobody:nogroup");
	assert_true(back->tty);
	assert_true(back->init);
	assert_false(back->readonly_rootfs);
	assert_int_equal(back->limits.memory, 64 << 20);
	assert_int_equal(back->limits.cpu_shares, 512);
	assert_int_equal(back->limits.cpu_quota, 50000);
	assert_int_equal(back->limits.cpu_period, 100000);
	assert_int_equal(back->limits.pids, 20);
	assert_int_equal(back->n_mounts, 2);
	assert_string_equal(back->mounts[1].destination, "/etc/resolv.conf");
	assert_true(back->mounts[1].readonly);
	assert_false(back->mounts[0].readonly);
	/* and the JSON of the copy is the JSON of the original */
	json_t *a = rt_spec_to_json(&s), *b = rt_spec_to_json(back);
	assert_true(json_equal(a, b));
	json_decref(a);
	json_decref(b);
	rt_spec_free(back);
	rt_spec_clear(&s);

	/* NULLs stay NULL (host netns, default user) */
	struct rt_spec m = { 0 };
	m.id = strdup("x");
	m.args = strv("true", NULL, NULL);
	json_t *j = rt_spec_to_json(&m);
	assert_int_equal(rt_spec_from_json(j, &back, &err), 0);
	assert_null(back->netns);
	assert_null(back->user);
	assert_int_equal(back->n_mounts, 0);
	json_decref(j);
	rt_spec_free(back);
	rt_spec_clear(&m);
}

static void test_spec_rejects(void **state)
{
	struct nd_error err = { 0 };
	struct rt_spec *s = NULL;
	json_t *j = json_pack("{s:s,s:i}", "id", "x", "args", 3);
	assert_int_equal(rt_spec_from_json(j, &s, &err), -EINVAL);
	assert_non_null(strstr(err.msg, "args"));
	json_decref(j);
	j = json_pack("{s:s,s:{s:i}}", "id", "x", "limits", "memory", -1);
	assert_int_equal(rt_spec_from_json(j, &s, &err), -EINVAL);
	json_decref(j);

	struct rt_spec v = { 0 };
	v.id = strdup("bad/id");
	v.rootfs = strdup("/r");
	v.state_dir = strdup("/s");
	v.args = strv("true", NULL, NULL);
	assert_int_equal(rt_spec_validate(&v, &err), -EINVAL);
	free(v.id);
	v.id = strdup("ok");
	assert_int_equal(rt_spec_validate(&v, &err), 0);
	v.limits.memory = 1024; /* below Docker's 6MB minimum */
	assert_int_equal(rt_spec_validate(&v, &err), -EINVAL);
	v.limits.memory = 0;
	v.n_mounts = 1;
	v.mounts = calloc(1, sizeof(struct rt_mount));
	v.mounts[0] = (struct rt_mount){ strdup("/a"), strdup("../etc/x"), false };
	assert_int_equal(rt_spec_validate(&v, &err), -EINVAL);
	rt_spec_clear(&v);
}

static const char passwd[] = "root:x:0:0:root:/root:/bin/sh\n"
			     "# comment\n"
			     "daemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin\n"
			     "www-data:x:33:33:www-data:/var/www:/usr/sbin/nologin\n"
			     "broken:x:notanumber:1::/:/bin/sh\n"
			     "nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n";
static const char group[] = "root:x:0:\n"
			    "daemon:x:1:\n"
			    "adm:x:4:www-data,daemon\n"
			    "www-data:x:33:\n"
			    "video:x:44:www-data\n"
			    "staff:x:50:root\n"
			    "nogroup:x:65534:\n";

static void test_user_resolve(void **state)
{
	char pw[256], gr[256];
	write_file("passwd", passwd, pw);
	write_file("group", group, gr);
	struct rt_user u;
	struct nd_error err = { 0 };

	assert_int_equal(rt_user_resolve(NULL, pw, gr, &u, &err), 0);
	assert_int_equal(u.uid, 0);
	assert_int_equal(u.gid, 0);
	assert_string_equal(u.home, "/root");
	assert_int_equal(u.n_groups, 2); /* root, staff */
	assert_int_equal(u.groups[0], 0);
	assert_int_equal(u.groups[1], 50);

	assert_int_equal(rt_user_resolve("www-data", pw, gr, &u, &err), 0);
	assert_int_equal(u.uid, 33);
	assert_int_equal(u.gid, 33);
	assert_string_equal(u.home, "/var/www");
	assert_int_equal(u.n_groups, 3);
	assert_int_equal(u.groups[0], 33);
	assert_int_equal(u.groups[1], 4);
	assert_int_equal(u.groups[2], 44);

	/* explicit group: that group only */
	assert_int_equal(rt_user_resolve("www-data:video", pw, gr, &u, &err), 0);
	assert_int_equal(u.uid, 33);
	assert_int_equal(u.gid, 44);
	assert_int_equal(u.n_groups, 1);
	assert_int_equal(u.groups[0], 44);

	/* numeric, known and unknown */
	assert_int_equal(rt_user_resolve("33", pw, gr, &u, &err), 0);
	assert_int_equal(u.gid, 33);
	assert_int_equal(u.n_groups, 3);
	assert_int_equal(rt_user_resolve("1234:5678", pw, gr, &u, &err), 0);
	assert_int_equal(u.uid, 1234);
	assert_int_equal(u.gid, 5678);
	assert_string_equal(u.home, "/");
	assert_int_equal(rt_user_resolve("1234", pw, gr, &u, &err), 0);
	assert_int_equal(u.gid, 0);

	/* clear errors */
	assert_int_equal(rt_user_resolve("bob", pw, gr, &u, &err), -ENOENT);
	assert_string_equal(err.msg, "unable to find user bob: no matching entries in passwd file");
	assert_int_equal(rt_user_resolve("nobody:wheel", pw, gr, &u, &err), -ENOENT);
	assert_string_equal(err.msg, "unable to find group wheel: no matching entries in group file");
	assert_int_equal(rt_user_resolve("root:", pw, gr, &u, &err), -EINVAL);
	assert_int_equal(rt_user_resolve(":0", pw, gr, &u, &err), -EINVAL);
	assert_int_equal(rt_user_resolve("99999999999", pw, gr, &u, &err), -EINVAL);

	/* no passwd file in the image: numeric works, names do not */
	assert_int_equal(rt_user_resolve("1000:1000", "/nonexistent/passwd", "/nonexistent/group", &u, &err), 0);
	assert_int_equal(u.uid, 1000);
	assert_int_equal(rt_user_resolve("daemon", "/nonexistent/passwd", gr, &u, &err), -ENOENT);
}

static const char mi_hybrid[] =
	"22 1 0:20 / / rw,relatime - ext4 /dev/vda rw\n"
	"31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755\n"
	"32 31 0:29 / /sys/fs/cgroup/cpu rw,relatime - cgroup cgroup rw,cpu\n"
	"33 31 0:30 / /sys/fs/cgroup/cpuacct rw,relatime - cgroup cgroup rw,cpuacct\n"
	"35 31 0:32 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory\n"
	"39 31 0:36 / /sys/fs/cgroup/pids rw,relatime - cgroup cgroup rw,pids\n"
	"40 31 0:37 / /sys/fs/cgroup/systemd rw,relatime shared:9 - cgroup cgroup rw,xattr,name=systemd\n"
	"41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw\n";
static const char mi_v2[] =
	"22 1 0:20 / / rw,relatime - ext4 /dev/vda rw\n"
	"30 22 0:26 / /sys/fs/cgroup rw,nosuid,nodev,noexec,relatime shared:4 - cgroup2 cgroup2 rw,nsdelegate,memory_recursiveprot\n";
static const char mi_v1[] =
	"22 1 0:20 / / rw,relatime - ext4 /dev/vda rw\n"
	"32 31 0:29 / /sys/fs/cgroup/cpu,cpuacct rw,nosuid - cgroup cgroup rw,cpu,cpuacct\n"
	"35 31 0:32 / /sys/fs/cgroup/memory rw,nosuid - cgroup cgroup rw,memory\n"
	"36 31 0:32 / /mnt/memory-again rw,nosuid - cgroup cgroup rw,memory\n";

static void test_cgroup_layout(void **state)
{
	struct rt_cgroup_layout l;
	struct nd_error err = { 0 };
	assert_int_equal(rt_cgroup_layout_parse(mi_hybrid, &l, &err), 0);
	assert_int_equal(l.mode, RT_CGROUP_HYBRID);
	assert_string_equal(l.unified, "/sys/fs/cgroup/unified");
	assert_int_equal(l.n_v1, 5);
	assert_string_equal(l.v1[2].controllers, "memory");
	assert_string_equal(l.v1[2].mountpoint, "/sys/fs/cgroup/memory");
	assert_string_equal(l.v1[4].controllers, "name=systemd");
	assert_ptr_equal(rt_cgroup_manager_for(&l), &rt_cgroup_v1);
	assert_string_equal(rt_cgroup_mode_name(l.mode), "hybrid");

	assert_int_equal(rt_cgroup_layout_parse(mi_v2, &l, &err), 0);
	assert_int_equal(l.mode, RT_CGROUP_V2);
	assert_string_equal(l.unified, "/sys/fs/cgroup");
	assert_int_equal(l.n_v1, 0);
	assert_ptr_equal(rt_cgroup_manager_for(&l), &rt_cgroup_v2);

	assert_int_equal(rt_cgroup_layout_parse(mi_v1, &l, &err), 0);
	assert_int_equal(l.mode, RT_CGROUP_V1);
	assert_int_equal(l.n_v1, 2); /* the second memory mount is the same hierarchy */
	assert_string_equal(l.v1[0].controllers, "cpu,cpuacct");
	assert_string_equal(l.v1[0].mountpoint, "/sys/fs/cgroup/cpu,cpuacct");
	assert_ptr_equal(rt_cgroup_manager_for(&l), &rt_cgroup_v1);

	assert_int_equal(rt_cgroup_layout_parse("22 1 0:20 / / rw - ext4 /dev/vda rw\n", &l, &err), -ENOENT);
	assert_ptr_equal(rt_cgroup_manager_by_name("v2"), &rt_cgroup_v2);
	assert_null(rt_cgroup_manager_by_name("v3"));
}

static void put(const char *dir, const char *file, const char *text)
{
	char p[512];
	snprintf(p, sizeof(p), "%s/%s", dir, file);
	FILE *f = fopen(p, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

/* the counters of docker stats, read from files shaped as the kernel's */
static void test_cgroup_stats(void **state)
{
	(void)state;
	char v1[] = "/tmp/nd-cg-v1-XXXXXX", v2[] = "/tmp/nd-cg-v2-XXXXXX";
	assert_non_null(mkdtemp(v1));
	assert_non_null(mkdtemp(v2));
	put(v1, "cpuacct.usage", "123456789\n");
	put(v1, "cpuacct.stat", "user 100\nsystem 50\n");
	put(v1, "memory.usage_in_bytes", "4096000\n");
	put(v1, "memory.max_usage_in_bytes", "5000000\n");
	put(v1, "memory.limit_in_bytes", "9223372036854771712\n");
	put(v1, "memory.stat", "cache 100\nrss 200\ntotal_inactive_file 300\n");
	put(v1, "pids.current", "3\n");
	put(v1, "pids.max", "max\n");
	put(v1, "blkio.throttle.io_service_bytes", "8:0 Read 1000\n8:0 Write 2000\n8:0 Total 3000\nTotal 3000\n");
	struct rt_cgroup cg = { .mgr = &rt_cgroup_v1, .n = 1, .paths = { v1 } };
	struct rt_cgroup_stats s;
	struct nd_error err = { 0 };
	assert_int_equal(rt_cgroup_v1.stats(&cg, &s, &err), 0);
	assert_int_equal(s.cpu_total_ns, 123456789);
	assert_true(s.cpu_user_ns > 0 && s.cpu_system_ns > 0);
	assert_int_equal(s.mem_usage, 4096000);
	assert_int_equal(s.mem_max_usage, 5000000);
	assert_int_equal(s.mem_limit, 0);   /* v1's unlimited */
	assert_int_equal(s.pids_current, 3);
	assert_int_equal(s.pids_limit, 0);
	assert_int_equal(s.n_memstat, 3);
	assert_string_equal(s.memstat[2].key, "total_inactive_file");
	assert_int_equal(s.memstat[2].value, 300);
	assert_int_equal(s.n_blk, 1);
	assert_int_equal(s.blk[0].major, 8);
	assert_int_equal(s.blk[0].read, 1000);
	assert_int_equal(s.blk[0].write, 2000);

	put(v2, "cpu.stat", "usage_usec 2000\nuser_usec 1500\nsystem_usec 500\n");
	put(v2, "memory.current", "8192\n");
	put(v2, "memory.max", "67108864\n");
	put(v2, "pids.current", "2\n");
	put(v2, "pids.max", "77\n");
	put(v2, "io.stat", "259:0 rbytes=4096 wbytes=8192 rios=1 wios=2 dbytes=0 dios=0\n");
	put(v2, "cgroup.procs", "12\n34\n");
	put(v2, "cgroup.events", "populated 1\nfrozen 1\n");
	struct rt_cgroup cg2 = { .mgr = &rt_cgroup_v2, .n = 1, .paths = { v2 } };
	assert_int_equal(rt_cgroup_v2.stats(&cg2, &s, &err), 0);
	assert_int_equal(s.cpu_total_ns, 2000000);
	assert_int_equal(s.cpu_user_ns, 1500000);
	assert_int_equal(s.mem_usage, 8192);
	assert_int_equal(s.mem_limit, 67108864);
	assert_int_equal(s.pids_limit, 77);
	assert_int_equal(s.n_blk, 1);
	assert_int_equal(s.blk[0].major, 259);
	assert_int_equal(s.blk[0].read, 4096);
	assert_int_equal(s.blk[0].write, 8192);
	assert_true(rt_cgroup_v2.frozen(&cg2));
	pid_t *pids = NULL;
	size_t n = 0;
	assert_int_equal(rt_cgroup_v2.pids(&cg2, &pids, &n, &err), 0);
	assert_int_equal(n, 2);
	assert_int_equal(pids[1], 34);
	free(pids);
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf %s %s", v1, v2);
	assert_int_equal(system(cmd), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_spec_round_trip),
		cmocka_unit_test(test_spec_rejects),
		cmocka_unit_test(test_user_resolve),
		cmocka_unit_test(test_cgroup_layout),
		cmocka_unit_test(test_cgroup_stats),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
