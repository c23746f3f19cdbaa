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

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every_transition),
		cmocka_unit_test(test_refused_examples),
		cmocka_unit_test(test_life),
		cmocka_unit_test(test_waiters),
		cmocka_unit_test(test_observers),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
