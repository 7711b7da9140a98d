// SPDX-License-Identifier: GPL-2.0
/*
 * kctx_test.ko: kctx's KUnit suites, and the helpers they share.
 */
#include <linux/delay.h>
#include <linux/module.h>
#include <linux/random.h>
#include <linux/sched.h>

#include "kctx_test.h"

static int kctx_test_thread_fn(void *data)
{
	struct kctx_test_thread *t = data;

	t->ret = t->fn(t->data);
	complete(&t->exited);
	return 0;
}

/* Start @fn(@data) in a kthread; kctx_test_thread_join() must follow. */
void kctx_test_thread_start(struct kunit *test, struct kctx_test_thread *t,
			    int (*fn)(void *data), void *data)
{
	t->fn = fn;
	t->data = data;
	init_completion(&t->exited);
	t->task = kthread_run(kctx_test_thread_fn, t, "kctx-test");
	KUNIT_ASSERT_FALSE(test, IS_ERR(t->task));
}

/* Wait for the thread's function to return. False if it took too long. */
bool kctx_test_thread_join(struct kctx_test_thread *t)
{
	return wait_for_completion_timeout(&t->exited, KCTX_TEST_WAIT) != 0;
}

/*
 * Poll, with a deadline, until @task has gone to sleep, so a test can
 * prove that something wakes a sleeper rather than a thread that has not
 * slept yet. Returns false if it never slept.
 */
bool kctx_test_wait_sleeping(struct task_struct *task)
{
	unsigned long end = jiffies + KCTX_TEST_WAIT;

	while (task_is_running(task)) {
		if (time_after(jiffies, end))
			return false;
		usleep_range(100, 200);
	}
	return true;
}

void kctx_race_fail(struct kctx_race *r, const char *what)
{
	if (atomic_inc_return(&r->failures) == 1)
		r->first_failure = what;
}

/* Both sides arrive; nobody leaves before the other has arrived. */
static void kctx_race_barrier(struct kctx_race *r, unsigned int *gen)
{
	*gen += 1;
	atomic_inc(&r->arrived);
	while (atomic_read(&r->arrived) < 2 * *gen)
		cpu_relax();
}

struct kctx_race_side {
	struct kctx_race *race;
	int side;
};

static int kctx_race_side_fn(void *data)
{
	struct kctx_race_side *s = data;
	struct kctx_race *r = s->race;
	unsigned int round, gen = 0;

	for (round = 0; round < r->rounds; round++) {
		if (s->side == 0 && r->setup)
			r->setup(r);
		kctx_race_barrier(r, &gen);
		ndelay(get_random_u32_below(r->max_jitter_ns + 1));
		(s->side ? r->op_b : r->op_a)(r);
		kctx_race_barrier(r, &gen);
		if (s->side == 0)
			r->check(r);
		if (!(round % 256))
			cond_resched();
	}
	return 0;
}

/* Run @r's rounds on two threads and report the failures in @test. */
void kctx_race_run(struct kunit *test, struct kctx_race *r)
{
	struct kctx_race_side sides[2] = { { r, 0 }, { r, 1 } };
	struct kctx_test_thread t[2];

	atomic_set(&r->arrived, 0);
	atomic_set(&r->failures, 0);
	kctx_test_thread_start(test, &t[0], kctx_race_side_fn, &sides[0]);
	kctx_test_thread_start(test, &t[1], kctx_race_side_fn, &sides[1]);
	/* Killable: a long race is not a hung task. */
	KUNIT_ASSERT_EQ(test, wait_for_completion_killable(&t[0].exited), 0);
	KUNIT_ASSERT_EQ(test, wait_for_completion_killable(&t[1].exited), 0);
	KUNIT_EXPECT_EQ_MSG(test, atomic_read(&r->failures), 0,
			    "first failure: %s", r->first_failure);
}

MODULE_DESCRIPTION("KUnit tests for kctx");
MODULE_IMPORT_NS(EXPORTED_FOR_KUNIT_TESTING);
MODULE_LICENSE("GPL");
