// SPDX-License-Identifier: Apache-2.0
/* runtime unit tests: no root, no kernel state. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "runtime/runtime.h"

#include <fcntl.h>
#include <seccomp.h>
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
	s.mounts[0] = (struct rt_mount){ .source = strdup("/run/netd/c/hosts"), .destination = strdup("/etc/hosts") };
	s.mounts[1] = (struct rt_mount){ .type = RT_MOUNT_TMPFS, .destination = strdup("/tmp"), .readonly = true, .flags = RT_MOUNT_NOEXEC, .options = strdup("size=1m") };
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
	assert_string_equal(back->mounts[1].destination, "/tmp");
	assert_int_equal(back->mounts[1].type, RT_MOUNT_TMPFS);
	assert_int_equal(back->mounts[1].flags, RT_MOUNT_NOEXEC);
	assert_string_equal(back->mounts[1].options, "size=1m");
	assert_null(back->mounts[1].source);
	assert_int_equal(back->mounts[0].type, RT_MOUNT_BIND);
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
	v.mounts[0] = (struct rt_mount){ .source = strdup("/a"), .destination = strdup("../etc/x") };
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

/* ---- security options: the spec's JSON, Docker's seccomp profiles ---------------- */

static void test_security_round_trip(void **state)
{
	struct rt_spec s = { 0 };
	s.id = strdup("sec-1");
	s.rootfs = strdup("/r");
	s.state_dir = strdup("/s");
	s.args = strv("true", NULL, NULL);
	struct rt_security *sec = &s.security;
	sec->caps_set = true;
	sec->caps = (1ull << 12) | 1;
	sec->new_privs = true;
	sec->seccomp = strdup("{\"defaultAction\":\"SCMP_ACT_ALLOW\"}");
	sec->n_devices = 1;
	sec->devices = calloc(1, sizeof(*sec->devices));
	sec->devices[0] = (struct rt_device){ strdup("/dev/myfuse"), 'c', 10, 229, 0600, 0, 5, "rw" };
	sec->groups = calloc(3, sizeof(char *));
	sec->groups[0] = strdup("1234");
	sec->groups[1] = strdup("audio");
	sec->n_ulimits = 2;
	sec->ulimits = calloc(2, sizeof(*sec->ulimits));
	sec->ulimits[0] = (struct rt_ulimit){ 7 /* RLIMIT_NOFILE */, 512, 1024 };
	sec->ulimits[1] = (struct rt_ulimit){ 4 /* RLIMIT_CORE */, ~0ull, ~0ull };
	sec->n_sysctls = 1;
	sec->sysctls = calloc(1, sizeof(*sec->sysctls));
	sec->sysctls[0] = (struct rt_sysctl){ strdup("net.ipv4.ip_forward"), strdup("1") };
	json_t *j = rt_spec_to_json(&s);
	struct rt_spec *b = NULL;
	struct nd_error err = { 0 };
	assert_int_equal(rt_spec_from_json(j, &b, &err), 0);
	json_decref(j);
	assert_false(b->security.privileged);
	assert_true(b->security.caps_set);
	assert_true(b->security.caps == ((1ull << 12) | 1));
	assert_int_equal(rt_security_caps(&b->security), (1ull << 12) | 1);
	assert_true(b->security.new_privs);
	assert_string_equal(b->security.seccomp, "{\"defaultAction\":\"SCMP_ACT_ALLOW\"}");
	assert_int_equal(b->security.n_devices, 1);
	assert_string_equal(b->security.devices[0].path, "/dev/myfuse");
	assert_int_equal(b->security.devices[0].type, 'c');
	assert_int_equal(b->security.devices[0].minor, 229);
	assert_int_equal(b->security.devices[0].mode, 0600);
	assert_int_equal(b->security.devices[0].gid, 5);
	assert_string_equal(b->security.devices[0].perms, "rw");
	assert_string_equal(b->security.groups[1], "audio");
	assert_null(b->security.groups[2]);
	assert_int_equal(b->security.n_ulimits, 2);
	assert_true(b->security.ulimits[0].soft == 512 && b->security.ulimits[0].hard == 1024);
	assert_true(b->security.ulimits[1].soft == ~0ull);
	assert_string_equal(b->security.sysctls[0].key, "net.ipv4.ip_forward");
	rt_spec_free(b);
	rt_spec_clear(&s);

	/* a spec without "security" (written before it existed): the defaults */
	json_t *old = json_pack("{s:s,s:s,s:s,s:[s]}", "id", "x", "rootfs", "/r", "state_dir", "/s", "args", "true");
	assert_int_equal(rt_spec_from_json(old, &b, &err), 0);
	json_decref(old);
	assert_false(b->security.caps_set);
	assert_false(b->security.new_privs);
	assert_null(b->security.seccomp);
	assert_int_equal(rt_security_caps(&b->security), 0xa80425fbull);
	rt_spec_free(b);
}

static const char profile[] =
	"{\"defaultAction\":\"SCMP_ACT_ERRNO\",\"defaultErrnoRet\":1,"
	"\"archMap\":[{\"architecture\":\"SCMP_ARCH_X86_64\",\"subArchitectures\":[\"SCMP_ARCH_X86\",\"SCMP_ARCH_X32\"]},"
	"{\"architecture\":\"SCMP_ARCH_AARCH64\",\"subArchitectures\":[\"SCMP_ARCH_ARM\"]}],"
	"\"syscalls\":["
	"{\"names\":[\"read\",\"write\"],\"action\":\"SCMP_ACT_ALLOW\"},"
	"{\"names\":[\"mount\"],\"action\":\"SCMP_ACT_ALLOW\",\"includes\":{\"caps\":[\"CAP_SYS_ADMIN\"]}},"
	"{\"names\":[\"clone\"],\"action\":\"SCMP_ACT_ALLOW\",\"excludes\":{\"caps\":[\"CAP_SYS_ADMIN\"]},"
	" \"args\":[{\"index\":0,\"value\":2114060288,\"op\":\"SCMP_CMP_MASKED_EQ\"}]},"
	"{\"names\":[\"personality\"],\"action\":\"SCMP_ACT_ALLOW\",\"args\":["
	" {\"index\":0,\"value\":0,\"op\":\"SCMP_CMP_EQ\"},{\"index\":0,\"value\":8,\"op\":\"SCMP_CMP_EQ\"}]},"
	"{\"names\":[\"arch_prctl\"],\"action\":\"SCMP_ACT_ALLOW\",\"includes\":{\"arches\":[\"amd64\",\"x32\"]}},"
	"{\"names\":[\"sync_file_range2\"],\"action\":\"SCMP_ACT_ALLOW\",\"includes\":{\"arches\":[\"arm64\"]}},"
	"{\"names\":[\"kill\"],\"action\":\"SCMP_ACT_ERRNO\"},"
	"{\"name\":\"mkdir\",\"action\":\"SCMP_ACT_ERRNO\",\"errnoRet\":13},"
	"{\"names\":[\"reboot\"],\"action\":\"SCMP_ACT_KILL_PROCESS\",\"comment\":\"ignored\"}"
	"]}";

static const struct rt_seccomp_rule *rule_of(const struct rt_seccomp_profile *p, const char *name)
{
	for (size_t i = 0; i < p->n_rules; i++)
		if (!strcmp(p->rules[i].name, name))
			return &p->rules[i];
	return NULL;
}

static void test_seccomp_profile(void **state)
{
	struct rt_seccomp_profile p;
	struct nd_error err = { 0 };
	uint64_t dflt = 0xa80425fbull, admin = dflt | (1ull << 21);
	/* "comment" is Docker's too */
	assert_int_equal(rt_seccomp_profile_parse(profile, dflt, "amd64", &p, &err), 0);
	assert_int_equal(p.default_action, SCMP_ACT_ERRNO(1));
	assert_int_equal(p.n_arches, 3);
	assert_int_equal(p.arches[0], SCMP_ARCH_X86_64);
	assert_int_equal(p.arches[1], SCMP_ARCH_X86);
	assert_non_null(rule_of(&p, "read"));
	assert_int_equal(rule_of(&p, "write")->action, SCMP_ACT_ALLOW);
	assert_null(rule_of(&p, "mount"));           /* includes CAP_SYS_ADMIN: not held */
	assert_non_null(rule_of(&p, "clone"));       /* excludes CAP_SYS_ADMIN: not held */
	assert_int_equal(rule_of(&p, "clone")->n_args, 1);
	assert_int_equal(rule_of(&p, "clone")->args[0].op, SCMP_CMP_MASKED_EQ);
	assert_true(rule_of(&p, "clone")->args[0].value == 2114060288ull);
	assert_false(rule_of(&p, "clone")->args_any);
	assert_true(rule_of(&p, "personality")->args_any); /* two conditions on arg 0: OR */
	assert_non_null(rule_of(&p, "arch_prctl"));
	assert_null(rule_of(&p, "sync_file_range2"));
	assert_null(rule_of(&p, "kill"));            /* the default action: dropped */
	assert_int_equal(rule_of(&p, "mkdir")->action, SCMP_ACT_ERRNO(13));
	assert_int_equal(rule_of(&p, "reboot")->action, SCMP_ACT_KILL_PROCESS);
	rt_seccomp_profile_clear(&p);

	assert_int_equal(rt_seccomp_profile_parse(profile, admin, "arm64", &p, &err), 0);
	assert_int_equal(p.n_arches, 2);
	assert_int_equal(p.arches[0], SCMP_ARCH_AARCH64);
	assert_non_null(rule_of(&p, "mount"));
	assert_null(rule_of(&p, "clone"));
	assert_null(rule_of(&p, "arch_prctl"));
	assert_non_null(rule_of(&p, "sync_file_range2"));
	rt_seccomp_profile_clear(&p);

	/* "architectures" and an allow-all default */
	assert_int_equal(rt_seccomp_profile_parse("{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"architectures\":[\"SCMP_ARCH_X86\"],"
						  "\"syscalls\":[{\"names\":[\"mkdir\"],\"action\":\"SCMP_ACT_ERRNO\"}]}",
						  dflt, NULL, &p, &err), 0);
	assert_int_equal(p.default_action, SCMP_ACT_ALLOW);
	assert_int_equal(p.n_arches, 1);
	assert_int_equal(rule_of(&p, "mkdir")->action, SCMP_ACT_ERRNO(1)); /* no errnoRet: EPERM */
	rt_seccomp_profile_clear(&p);

	/* containers/common's errno names beside (or instead of) the numbers */
	assert_int_equal(rt_seccomp_profile_parse("{\"defaultAction\":\"SCMP_ACT_ERRNO\",\"defaultErrno\":\"ENOSYS\","
						  "\"syscalls\":[{\"names\":[\"socket\"],\"action\":\"SCMP_ACT_ERRNO\","
						  "\"errno\":\"EINVAL\",\"errnoRet\":22},{\"names\":[\"bpf\"],"
						  "\"action\":\"SCMP_ACT_ERRNO\",\"errno\":\"EACCES\"}]}",
						  dflt, NULL, &p, &err), 0);
	assert_int_equal(p.default_action, SCMP_ACT_ERRNO(ENOSYS));
	assert_int_equal(rule_of(&p, "socket")->action, SCMP_ACT_ERRNO(22));
	assert_int_equal(rule_of(&p, "bpf")->action, SCMP_ACT_ERRNO(EACCES));
	rt_seccomp_profile_clear(&p);
}

static void test_seccomp_profile_rejects(void **state)
{
	static const struct {
		const char *json, *says;
	} bad[] = {
		{ "{", "invalid JSON" },
		{ "[]", "not a JSON object" },
		{ "{\"syscalls\":[]}", "defaultAction" },
		{ "{\"defaultAction\":\"SCMP_ACT_NOPE\"}", "unknown action" },
		{ "{\"defaultAction\":\"SCMP_ACT_ERRNO\",\"defaultErrno\":\"EWHAT\"}", "unknown errno \"EWHAT\"" },
		{ "{\"defaultAction\":\"SCMP_ACT_ERRNO\",\"defaultErrnoRet\":\"1\"}", "non-negative number" },
		{ "{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"bogus\":1}", "unknown field \"bogus\"" },
		{ "{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"architectures\":[\"SCMP_ARCH_VAX\"]}", "unknown architecture" },
		{ "{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"listenerPath\":\"/x\"}", "listenerPath" },
		{ "{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"flags\":[\"SECCOMP_FILTER_FLAG_NOPE\"]}", "not supported" },
		{ "{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":[\"x\"],\"action\":\"SCMP_ACT_NOTIFY\"}]}",
		  "SCMP_ACT_NOTIFY" },
		{ "{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":[\"x\"]}]}", "\"action\" is required" },
		{ "{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"action\":\"SCMP_ACT_ERRNO\"}]}", "names" },
		{ "{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":[\"x\"],\"action\":\"SCMP_ACT_ERRNO\","
		  "\"args\":[{\"index\":6,\"value\":0,\"op\":\"SCMP_CMP_EQ\"}]}]}", "out of 0..5" },
		{ "{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":[\"x\"],\"action\":\"SCMP_ACT_ERRNO\","
		  "\"args\":[{\"index\":0,\"value\":0,\"op\":\"SCMP_CMP_LIKE\"}]}]}", "unknown op" },
		{ "{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":[\"x\"],\"action\":\"SCMP_ACT_ERRNO\","
		  "\"includes\":{\"caps\":[\"CAP_NOPE\"]}}]}", "unknown capability" },
		{ "{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":[\"x\"],\"action\":\"SCMP_ACT_ERRNO\","
		  "\"includes\":{\"minKernel\":\"new\"}}]}", "minKernel" },
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct rt_seccomp_profile p;
		struct nd_error err = { 0 };
		int r = rt_seccomp_profile_parse(bad[i].json, 0, "amd64", &p, &err);
		if (r >= 0 || !strstr(err.msg, bad[i].says))
			fail_msg("profile %s: r=%d, message \"%s\" does not say \"%s\"", bad[i].json, r, err.msg, bad[i].says);
		assert_int_equal(p.n_rules, 0);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_spec_round_trip),
		cmocka_unit_test(test_spec_rejects),
		cmocka_unit_test(test_user_resolve),
		cmocka_unit_test(test_cgroup_layout),
		cmocka_unit_test(test_security_round_trip),
		cmocka_unit_test(test_seccomp_profile),
		cmocka_unit_test(test_seccomp_profile_rejects),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
