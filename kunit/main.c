// SPDX-License-Identifier: GPL-2.0
/*
 * kctx_test.ko: kctx's KUnit suites, and the helpers they share.
 */
#include <linux/cpumask.h>
#include <linux/delay.h>
#include <linux/module.h>
#include <linux/random.h>
#include <linux/sched.h>

#include "kctx_test.h"

static int kctx_test_thread_fn(void *data)
{
	struct kctx_test_thread *t = data;

	complete(&t->started);
	t->ret = t->fn(t->data);
	complete(&t->exited);
	return 0;
}

/*
 * Start @fn(@data) in a kthread, on @cpu if it is not -1, and return once
 * the thread is running @fn: a newly woken thread that has not run yet is
 * not "running" either, and kctx_test_wait_sleeping() must not take it for
 * asleep. kctx_test_thread_join() must follow.
 */
static void kctx_test_thread_start_on(struct kunit *test, struct kctx_test_thread *t,
				      int (*fn)(void *data), void *data, int cpu)
{
	t->fn = fn;
	t->data = data;
	init_completion(&t->started);
	init_completion(&t->exited);
	t->task = kthread_create(kctx_test_thread_fn, t, "kctx-test");
	KUNIT_ASSERT_FALSE(test, IS_ERR(t->task));
	if (cpu >= 0)
		kthread_bind(t->task, cpu);
	wake_up_process(t->task);
	wait_for_completion(&t->started);
}

void kctx_test_thread_start(struct kunit *test, struct kctx_test_thread *t,
			    int (*fn)(void *data), void *data)
{
	kctx_test_thread_start_on(test, t, fn, data, -1);
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

/*
 * Run @r's rounds on two threads, each bound to its own CPU so that the two
 * sides truly overlap, and report the failures in @test.
 */
void kctx_race_run(struct kunit *test, struct kctx_race *r)
{
	struct kctx_race_side sides[2] = { { r, 0 }, { r, 1 } };
	struct kctx_test_thread t[2];
	int cpu0, cpu1;

	cpu0 = cpumask_first(cpu_online_mask);
	cpu1 = cpumask_next(cpu0, cpu_online_mask);
	if (cpu1 >= nr_cpu_ids)
		kunit_skip(test, "a race needs two CPUs");
	atomic_set(&r->arrived, 0);
	atomic_set(&r->failures, 0);
	kctx_test_thread_start_on(test, &t[0], kctx_race_side_fn, &sides[0], cpu0);
	kctx_test_thread_start_on(test, &t[1], kctx_race_side_fn, &sides[1], cpu1);
	/* Killable: a long race is not a hung task. */
	KUNIT_ASSERT_EQ(test, wait_for_completion_killable(&t[0].exited), 0);
	KUNIT_ASSERT_EQ(test, wait_for_completion_killable(&t[1].exited), 0);
	KUNIT_EXPECT_EQ_MSG(test, atomic_read(&r->failures), 0,
			    "first failure: %s", r->first_failure);
}

MODULE_DESCRIPTION("KUnit tests for kctx");
MODULE_IMPORT_NS(EXPORTED_FOR_KUNIT_TESTING);
MODULE_LICENSE("GPL");
