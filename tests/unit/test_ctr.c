// SPDX-License-Identifier: Apache-2.0
/* netd/ctr: every phase transition, allowed and refused, and the waiters. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "netd/ctr/ctr.h"

/* The expected table, written out independently of phase.c's: one line a
 * phase, the phases it may go to (staying put is always allowed). */
static const struct {
	enum ctr_phase from;
	enum ctr_phase to[8];
	int n;
} expected[] = {
	{ CTR_CREATED, { CTR_PREPARING, CTR_STARTING, CTR_RUNNING, CTR_CLEANING, CTR_RESTARTING, CTR_REMOVING }, 6 },
	{ CTR_PREPARING, { CTR_CREATED, CTR_STARTING }, 2 },
	{ CTR_STARTING, { CTR_RUNNING, CTR_CREATED, CTR_PREPARING }, 3 },
	{ CTR_RUNNING, { CTR_CREATED }, 1 },
	{ CTR_CLEANING, { CTR_CREATED }, 1 },
	{ CTR_RESTARTING, { CTR_STARTING, CTR_CREATED, CTR_REMOVING }, 3 },
	{ CTR_REMOVING, { CTR_REMOVED }, 1 },
	{ CTR_REMOVED, { 0 }, 0 },
};

static bool in(const enum ctr_phase *l, int n, enum ctr_phase p)
{
	for (int i = 0; i < n; i++)
		if (l[i] == p)
			return true;
	return false;
}

static void test_every_transition(void **state)
{
	assert_int_equal(ARRAY_SIZE(expected), CTR_PHASE_MAX);
	int allowed = 0, refused = 0;
	for (size_t i = 0; i < ARRAY_SIZE(expected); i++) {
		for (int to = 0; to < CTR_PHASE_MAX; to++) {
			bool want = to == (int)expected[i].from || in(expected[i].to, expected[i].n, to);
			struct ctr c = { .id = "0123456789ab", .phase = expected[i].from };
			int rc = ctr_phase_set(&c, to);
			if (want) {
				assert_int_equal(rc, 0);
				assert_int_equal(c.phase, to);
				allowed++;
			} else {
				/* refused: the phase stays */
				assert_int_equal(rc, -EINVAL);
				assert_int_equal(c.phase, expected[i].from);
				refused++;
			}
			assert_true(ctr_phase_allowed(expected[i].from, to) == want);
		}
	}
	assert_int_equal(allowed + refused, CTR_PHASE_MAX * CTR_PHASE_MAX);
	assert_true(refused > 30);
}

static void test_refused_examples(void **state)
{
	/* the ones that would be bugs: a removed container coming back, a
	 * running one "starting" again, a removal jumping the queue */
	struct ctr c = { .id = "x", .phase = CTR_REMOVED };
	assert_int_equal(ctr_phase_set(&c, CTR_STARTING), -EINVAL);
	c.phase = CTR_RUNNING;
	assert_int_equal(ctr_phase_set(&c, CTR_STARTING), -EINVAL);
	assert_int_equal(ctr_phase_set(&c, CTR_REMOVING), -EINVAL);
	c.phase = CTR_REMOVING;
	assert_int_equal(ctr_phase_set(&c, CTR_CREATED), -EINVAL);
	/* out of range */
	assert_false(ctr_phase_allowed(CTR_PHASE_MAX, CTR_CREATED));
	assert_false(ctr_phase_allowed(CTR_CREATED, (enum ctr_phase)42));
	assert_string_equal(ctr_phase_name((enum ctr_phase)42), "invalid");
	assert_string_equal(ctr_phase_name(CTR_RESTARTING), "restarting");
}

/* A typical life: run, exit, clean, restart by policy, stop, remove. */
static void test_life(void **state)
{
	static const enum ctr_phase life[] = {
		CTR_PREPARING, CTR_STARTING, CTR_RUNNING, CTR_CREATED, CTR_CLEANING, CTR_CREATED,
		CTR_RESTARTING, CTR_STARTING, CTR_RUNNING, CTR_CREATED, CTR_REMOVING, CTR_REMOVED,
	};
	struct ctr c = { .id = "life", .phase = CTR_CREATED };
	for (size_t i = 0; i < ARRAY_SIZE(life); i++)
		assert_int_equal(ctr_phase_set(&c, life[i]), 0);
}


static void test_waiters(void **state)
{
	struct ctr c = { .id = "w" };
	struct ctr_waiter *a = ctr_wait(&c, CTR_WAIT_EXIT, NULL, (void *)1);
	struct ctr_waiter *b = ctr_wait(&c, CTR_WAIT_RESTART, NULL, (void *)2);
	struct ctr_waiter *d = ctr_wait(&c, CTR_WAIT_EXIT, NULL, (void *)3);
	assert_non_null(a);
	assert_non_null(b);
	assert_non_null(d);
	/* FIFO */
	assert_ptr_equal(c.waiters, a);
	assert_ptr_equal(a->next, b);
	assert_ptr_equal(b->next, d);
	/* a client that goes away leaves the queue */
	ctr_wait_cancel(b);
	assert_ptr_equal(a->next, d);
	ctr_wait_cancel(a);
	ctr_wait_cancel(d);
	assert_null(c.waiters);
	ctr_wait_cancel(NULL);
}

static int exited, gone;
static void o_exited(struct ctr_observer *o) { exited++; }
static void o_gone(struct ctr_observer *o) { gone++; }

static void test_observers(void **state)
{
	struct ctr c = { .id = "o" };
	struct ctr_observer x = { .exited = o_exited, .gone = o_gone }, y = x;
	ctr_observe(&c, &x);
	ctr_observe(&c, &y);
	ctr_unobserve(&c, &x);
	assert_ptr_equal(c.observers, &y);
	assert_null(y.next);
	ctr_unobserve(&c, &x);   /* twice: no harm */
	ctr_unobserve(&c, &y);
	assert_null(c.observers);
	(void)exited;
	(void)gone;
}

/* ---- HostConfig's security options (spec_security.c) ------------------------------ */

static int sec_build(const char *hc_json, const char *mode, struct rt_security *out, struct nd_error *err)
{
	json_t *hc = json_loads(hc_json, 0, NULL);
	assert_non_null(hc);
	int r = ctr_security_build(hc, mode, out, err);
	json_decref(hc);
	return r;
}

static void test_security_caps(void **state)
{
	struct rt_security s;
	struct nd_error err = { 0 };
	const uint64_t dflt = 0xa80425fbull;
	assert_int_equal(sec_build("{}", "bridge", &s, &err), 0);
	assert_false(s.caps_set);
	assert_false(s.new_privs); /* netd's default: no_new_privs set */
	rt_security_clear(&s);
	assert_int_equal(sec_build("{\"CapAdd\":[\"NET_ADMIN\"],\"CapDrop\":[\"cap_net_raw\"]}", "bridge", &s, &err), 0);
	assert_true(s.caps_set);
	assert_true(s.caps == ((dflt | (1ull << 12)) & ~(1ull << 13)));
	rt_security_clear(&s);
	assert_int_equal(sec_build("{\"CapDrop\":[\"ALL\"],\"CapAdd\":[\"CAP_CHOWN\"]}", "bridge", &s, &err), 0);
	assert_true(s.caps == 1);
	rt_security_clear(&s);
	assert_int_equal(sec_build("{\"CapAdd\":[\"all\"],\"CapDrop\":[\"MKNOD\"]}", "bridge", &s, &err), 0);
	assert_true(s.caps == (((1ull << 41) - 1) & ~(1ull << 27)));
	rt_security_clear(&s);
	assert_int_equal(sec_build("{\"Privileged\":true,\"CapDrop\":[\"ALL\"]}", "bridge", &s, &err), 0);
	assert_true(s.privileged);
	assert_false(s.caps_set);
	assert_true(s.new_privs); /* privileged lifts no_new_privs, as Docker */
	rt_security_clear(&s);
	assert_int_equal(sec_build("{\"CapAdd\":[\"NOPE\"]}", "bridge", &s, &err), -EINVAL);
	assert_non_null(strstr(err.msg, "unknown capability: \"NOPE\""));
}

static void test_security_opts(void **state)
{
	struct rt_security s;
	struct nd_error err = { 0 };
	assert_int_equal(sec_build("{\"SecurityOpt\":[\"no-new-privileges:false\",\"seccomp=unconfined\","
				   "\"apparmor=unconfined\",\"label:disable\"]}", "bridge", &s, &err), 0);
	assert_true(s.new_privs);
	assert_string_equal(s.seccomp, "unconfined");
	rt_security_clear(&s);
	assert_int_equal(sec_build("{\"Privileged\":true,\"SecurityOpt\":[\"no-new-privileges\"]}", "bridge", &s, &err), 0);
	assert_false(s.new_privs);
	rt_security_clear(&s);
	assert_int_equal(sec_build("{\"SecurityOpt\":[\"seccomp={\\\"defaultAction\\\":\\\"SCMP_ACT_ALLOW\\\"}\"]}",
				   "bridge", &s, &err), 0);
	assert_string_equal(s.seccomp, "{\"defaultAction\":\"SCMP_ACT_ALLOW\"}");
	rt_security_clear(&s);
	static const struct {
		const char *hc, *mode, *says;
	} bad[] = {
		{ "{\"SecurityOpt\":[\"no-new-privileges:maybe\"]}", "bridge", "no-new-privileges[:true|false]" },
		{ "{\"SecurityOpt\":[\"seccomp={\\\"defaultAction\\\":1}\"]}", "bridge", "--security-opt seccomp" },
		{ "{\"SecurityOpt\":[\"apparmor=docker-default\"]}", "bridge", "AppArmor" },
		{ "{\"SecurityOpt\":[\"label=user:u\"]}", "bridge", "SELinux" },
		{ "{\"SecurityOpt\":[\"systempaths=unconfined\"]}", "bridge", "not supported" },
		{ "{\"Sysctls\":{\"kernel.panic\":\"1\"}}", "bridge", "not a namespaced sysctl" },
		{ "{\"Sysctls\":{\"net.ipv4.ip_forward\":\"1\"}}", "host", "the host's" },
		{ "{\"Sysctls\":{\"net/ipv4/ip_forward\":\"1\"}}", "bridge", "invalid name" },
		{ "{\"Ulimits\":[{\"Name\":\"nope\",\"Soft\":1,\"Hard\":1}]}", "bridge", "invalid ulimit type" },
		{ "{\"Ulimits\":[{\"Name\":\"nofile\",\"Soft\":10,\"Hard\":5}]}", "bridge", "above the hard limit" },
		{ "{\"GroupAdd\":[\"a:b\"]}", "bridge", "--group-add" },
		{ "{\"Devices\":[{\"PathOnHost\":\"/nonexistent/dev\"}]}", "bridge", "--device /nonexistent/dev" },
		{ "{\"Devices\":[{\"PathOnHost\":\"/tmp\",\"PathInContainer\":\"/dev/t\"}]}", "bridge", "not a device node" },
		{ "{\"Devices\":[{\"PathOnHost\":\"/dev/null\",\"CgroupPermissions\":\"rwx\"}]}", "bridge", "rwm" },
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		memset(&err, 0, sizeof(err));
		int r = sec_build(bad[i].hc, bad[i].mode, &s, &err);
		if (r >= 0 || !strstr(err.msg, bad[i].says))
			fail_msg("%s: r=%d, message \"%s\" does not say \"%s\"", bad[i].hc, r, err.msg, bad[i].says);
	}
	assert_int_equal(sec_build("{\"Sysctls\":{\"net.ipv4.ip_forward\":\"1\",\"kernel.shmmax\":\"1\",\"fs.mqueue.msg_max\":\"9\"},"
				   "\"Ulimits\":[{\"Name\":\"core\",\"Soft\":0,\"Hard\":0}],\"GroupAdd\":[\"audio\",\"7\"],"
				   "\"Devices\":[{\"PathOnHost\":\"/dev/null\",\"PathInContainer\":\"/dev/n2\",\"CgroupPermissions\":\"rw\"}]}",
				   "bridge", &s, &err), 0);
	assert_int_equal(s.n_sysctls, 3);
	assert_int_equal(s.n_ulimits, 1);
	assert_true(s.ulimits[0].hard == 0 && s.ulimits[0].resource == 4 /* RLIMIT_CORE */);
	assert_string_equal(s.groups[0], "audio");
	assert_int_equal(s.n_devices, 1);
	assert_string_equal(s.devices[0].path, "/dev/n2");
	assert_int_equal(s.devices[0].major, 1);
	assert_int_equal(s.devices[0].minor, 3);
	assert_string_equal(s.devices[0].perms, "rw");
	rt_security_clear(&s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every_transition),
		cmocka_unit_test(test_security_caps),
		cmocka_unit_test(test_security_opts),
		cmocka_unit_test(test_refused_examples),
		cmocka_unit_test(test_life),
		cmocka_unit_test(test_waiters),
		cmocka_unit_test(test_observers),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
