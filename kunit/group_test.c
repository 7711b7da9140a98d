// SPDX-License-Identifier: GPL-2.0
/*
 * Groups, after Go's errgroup: the first error cancels the rest, wait
 * returns it, the limit holds, and no thread outlives its group.
 */
#include <linux/delay.h>
#include <linux/sched/signal.h>
#include <linux/sched/task.h>

#include "blocker.h"

static struct kctx_group *group_new(struct kunit *test, struct kctx *parent)
{
	struct kctx_group *g = kctx_group_new(parent, GFP_KERNEL);

	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, g);
	return g;
}

/* Returns an error when told to, or the context's when it is done first. */
struct erring {
	struct completion go;
	int err;
};

static int erring_fn(struct kctx *ctx, void *data)
{
	struct erring *f = data;

	if (wait_for_completion_killable(&f->go))
		return kctx_err(ctx);
	return f->err;
}

static struct erring *erring_new(struct kunit *test, int err)
{
	struct erring *f = kunit_kzalloc(test, sizeof(*f), GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, f);
	init_completion(&f->go);
	f->err = err;
	return f;
}

static void first_error_cancels_siblings_blocked_in_io(struct kunit *test)
{
	struct kctx_group *g = group_new(test, kctx_background());
	struct blocker *b[] = {
		blocker_new(test, &blocker_tcp_recvmsg),
		blocker_new(test, &blocker_tcp_accept),
		blocker_new(test, &blocker_fifo_read),
		blocker_new(test, &blocker_msleep),
	};
	struct erring *f = erring_new(test, -EPROTO);
	ktime_t start;
	int i;

	for (i = 0; i < ARRAY_SIZE(b); i++)
		KUNIT_EXPECT_EQ(test, kctx_group_go(g, blocker_fn, b[i], b[i]->kind->name), 0);
	KUNIT_EXPECT_EQ(test, kctx_group_go(g, erring_fn, f, "kctx-erring"), 0);
	for (i = 0; i < ARRAY_SIZE(b); i++)
		KUNIT_EXPECT_TRUE(test, blocker_asleep(b[i]));
	start = ktime_get();
	complete(&f->go);
	KUNIT_EXPECT_EQ(test, kctx_group_wait(g), -EPROTO);
	KUNIT_EXPECT_EQ(test, kctx_err(kctx_group_ctx(g)), -ECANCELED);
	KUNIT_EXPECT_EQ(test, kctx_cause(kctx_group_ctx(g)), -EPROTO);
	for (i = 0; i < ARRAY_SIZE(b); i++) {
		KUNIT_EXPECT_TRUE(test, completion_done(&b[i]->returned));
		KUNIT_EXPECT_LT(test, b[i]->io_ret, 0);
		KUNIT_EXPECT_EQ(test, b[i]->err, -ECANCELED);
		KUNIT_EXPECT_EQ(test, b[i]->cause, -EPROTO);
		kunit_info(test, "%s: error to return: %lld us\n", b[i]->kind->name,
			   ktime_us_delta(b[i]->returned_at, start));
	}
	kctx_group_free(g);
}

/* Returns its own error, but only once the group's context is done. */
static int second_fn(struct kctx *ctx, void *data)
{
	kctx_wait(ctx);
	return -ENOENT;
}

static void wait_returns_the_first_error(struct kunit *test)
{
	struct kctx_group *g = group_new(test, kctx_background());
	struct erring *f = erring_new(test, -EIO);

	KUNIT_EXPECT_EQ(test, kctx_group_go(g, second_fn, NULL, "kctx-second"), 0);
	KUNIT_EXPECT_EQ(test, kctx_group_go(g, erring_fn, f, "kctx-first"), 0);
	complete(&f->go);
	KUNIT_EXPECT_EQ(test, kctx_group_wait(g), -EIO);
	KUNIT_EXPECT_EQ(test, kctx_cause(kctx_group_ctx(g)), -EIO);
	/* Waiting again changes nothing. */
	KUNIT_EXPECT_EQ(test, kctx_group_wait(g), -EIO);
	kctx_group_free(g);
}

static int count_fn(struct kctx *ctx, void *data)
{
	atomic_inc(data);
	return 0;
}

static void wait_after_success_returns_zero_and_cancels_the_group(struct kunit *test)
{
	struct kctx *parent = KCTX_TEST_NEW(test, kctx_with_cancel(kctx_background(),
								   GFP_KERNEL));
	struct kctx_group *g = group_new(test, parent);
	atomic_t *ran = kunit_kzalloc(test, sizeof(*ran), GFP_KERNEL);
	int i;

	KUNIT_ASSERT_NOT_NULL(test, ran);
	for (i = 0; i < 3; i++)
		KUNIT_EXPECT_EQ(test, kctx_group_go(g, count_fn, ran, "kctx-count"), 0);
	KUNIT_EXPECT_EQ(test, kctx_group_wait(g), 0);
	KUNIT_EXPECT_EQ(test, atomic_read(ran), 3);
	/* As in Go: Wait cancels the group's context, never its parent. */
	KUNIT_EXPECT_EQ(test, kctx_err(kctx_group_ctx(g)), -ECANCELED);
	KUNIT_EXPECT_EQ(test, kctx_cause(kctx_group_ctx(g)), -ECANCELED);
	KUNIT_EXPECT_FALSE(test, kctx_done(parent));
	kctx_group_free(g);
	kctx_put(parent);
}

static void go_on_a_done_group_still_runs_fn(struct kunit *test)
{
	struct kctx *parent = KCTX_TEST_NEW(test, kctx_with_cancel(kctx_background(),
								   GFP_KERNEL));
	struct kctx_group *g;
	struct blocker *b = blocker_new(test, &blocker_msleep);

	kctx_cancel_cause(parent, -ENOLINK);
	g = group_new(test, parent);
	KUNIT_EXPECT_EQ(test, kctx_group_go(g, blocker_fn, b, "kctx-late"), 0);
	KUNIT_EXPECT_EQ(test, kctx_group_wait(g), -ECANCELED);
	KUNIT_EXPECT_TRUE(test, completion_done(&b->returned));
	KUNIT_EXPECT_LT(test, b->io_ret, 0);
	KUNIT_EXPECT_EQ(test, b->cause, -ENOLINK);
	kctx_group_free(g);
	kctx_put(parent);
}

static void parent_deadline_ends_every_thread(struct kunit *test)
{
	struct kctx *parent;
	struct kctx_group *g;
	struct blocker *b[] = {
		blocker_new(test, &blocker_tcp_recvmsg),
		blocker_new(test, &blocker_fifo_read),
	};
	ktime_t deadline;
	int i;

	parent = KCTX_TEST_NEW(test, kctx_with_timeout(kctx_background(),
						       200 * NSEC_PER_MSEC, GFP_KERNEL));
	g = group_new(test, parent);
	for (i = 0; i < ARRAY_SIZE(b); i++)
		KUNIT_EXPECT_EQ(test, kctx_group_go(g, blocker_fn, b[i], b[i]->kind->name), 0);
	KUNIT_EXPECT_EQ(test, kctx_group_wait(g), -ETIMEDOUT);
	KUNIT_EXPECT_TRUE(test, kctx_deadline(parent, &deadline));
	for (i = 0; i < ARRAY_SIZE(b); i++) {
		KUNIT_EXPECT_LT(test, b[i]->io_ret, 0);
		KUNIT_EXPECT_EQ(test, b[i]->err, -ETIMEDOUT);
		kunit_info(test, "%s: deadline to return: %lld us\n", b[i]->kind->name,
			   ktime_us_delta(b[i]->returned_at, deadline));
	}
	kctx_group_free(g);
	kctx_cancel(parent);
	kctx_put(parent);
}

/* Counts how many run at once, until released. */
struct limited {
	struct kctx_group *g;
	atomic_t started;
	atomic_t running;
	atomic_t max;
	struct completion release;
	int go_err[6];
};

static int limited_fn(struct kctx *ctx, void *data)
{
	struct limited *l = data;
	int now = atomic_inc_return(&l->running);
	int max = atomic_read(&l->max);

	while (now > max && !atomic_try_cmpxchg(&l->max, &max, now))
		;
	atomic_inc(&l->started);
	wait_for_completion_killable(&l->release);
	atomic_dec(&l->running);
	return 0;
}

static int spawner_fn(void *data)
{
	struct limited *l = data;
	int i;

	for (i = 0; i < ARRAY_SIZE(l->go_err); i++)
		l->go_err[i] = kctx_group_go(l->g, limited_fn, l, "kctx-limited");
	return 0;
}

static void set_limit_bounds_concurrency(struct kunit *test)
{
	struct limited *l = kunit_kzalloc(test, sizeof(*l), GFP_KERNEL);
	struct kctx_test_thread spawner;
	int i;

	KUNIT_ASSERT_NOT_NULL(test, l);
	init_completion(&l->release);
	l->g = group_new(test, kctx_background());
	kctx_group_set_limit(l->g, 2);
	kctx_test_thread_start(test, &spawner, spawner_fn, l);
	/* Two run, and the spawner waits for a slot for the third. */
	KUNIT_EXPECT_TRUE(test, POLL_UNTIL(atomic_read(&l->started) == 2));
	KUNIT_EXPECT_TRUE(test, kctx_test_wait_sleeping(spawner.task));
	KUNIT_EXPECT_EQ(test, atomic_read(&l->started), 2);
	complete_all(&l->release);
	KUNIT_ASSERT_TRUE(test, kctx_test_thread_join(&spawner));
	KUNIT_EXPECT_EQ(test, kctx_group_wait(l->g), 0);
	for (i = 0; i < ARRAY_SIZE(l->go_err); i++)
		KUNIT_EXPECT_EQ(test, l->go_err[i], 0);
	KUNIT_EXPECT_EQ(test, atomic_read(&l->started), ARRAY_SIZE(l->go_err));
	KUNIT_EXPECT_EQ(test, atomic_read(&l->max), 2);
	kctx_group_free(l->g);
}

struct killed_go {
	struct kctx_group *g;
	bool started;
	atomic_t ran;
	int err;
};

static int killed_spawner_fn(void *data)
{
	struct killed_go *k = data;

	allow_signal(SIGKILL);
	WRITE_ONCE(k->started, true);
	k->err = kctx_group_go(k->g, count_fn, &k->ran, "kctx-never");
	flush_signals(current);
	return 0;
}

static void go_waiting_for_the_limit_is_killable(struct kunit *test)
{
	struct killed_go *k = kunit_kzalloc(test, sizeof(*k), GFP_KERNEL);
	struct blocker *b = blocker_new(test, &blocker_msleep);
	struct kctx_test_thread spawner;

	KUNIT_ASSERT_NOT_NULL(test, k);
	k->g = group_new(test, kctx_background());
	kctx_group_set_limit(k->g, 1);
	KUNIT_EXPECT_EQ(test, kctx_group_go(k->g, blocker_fn, b, "kctx-slot"), 0);
	kctx_test_thread_start(test, &spawner, killed_spawner_fn, k);
	KUNIT_EXPECT_TRUE(test, POLL_UNTIL(READ_ONCE(k->started)));
	KUNIT_EXPECT_TRUE(test, kctx_test_wait_sleeping(spawner.task));
	send_sig(SIGKILL, spawner.task, 1);
	KUNIT_ASSERT_TRUE(test, kctx_test_thread_join(&spawner));
	KUNIT_EXPECT_EQ(test, k->err, -EINTR);
	kctx_group_free(k->g);
	KUNIT_EXPECT_EQ(test, atomic_read(&k->ran), 0);
	KUNIT_EXPECT_LT(test, b->io_ret, 0);
}

/* Keeps a reference on its own task, to look at it after the group. */
struct witness {
	struct task_struct *tasks[4];
	atomic_t n;
};

static int witness_fn(struct kctx *ctx, void *data)
{
	struct witness *w = data;

	w->tasks[atomic_inc_return(&w->n) - 1] = get_task_struct(current);
	msleep_interruptible(10 * 60 * MSEC_PER_SEC);
	return kctx_err(ctx);
}

static void no_thread_outlives_its_group(struct kunit *test)
{
	struct witness *w = kunit_kzalloc(test, sizeof(*w), GFP_KERNEL);
	struct kctx_group *g = group_new(test, kctx_background());
	int i;

	KUNIT_ASSERT_NOT_NULL(test, w);
	for (i = 0; i < ARRAY_SIZE(w->tasks); i++)
		KUNIT_EXPECT_EQ(test, kctx_group_go(g, witness_fn, w, "kctx-witness"), 0);
	KUNIT_EXPECT_TRUE(test, POLL_UNTIL(atomic_read(&w->n) == ARRAY_SIZE(w->tasks)));
	/* Free without wait: it cancels, and still waits for every thread. */
	kctx_group_free(g);
	for (i = 0; i < atomic_read(&w->n); i++) {
		KUNIT_EXPECT_TRUE(test, w->tasks[i]->flags & PF_EXITING);
		put_task_struct(w->tasks[i]);
	}
}

static struct kunit_case kctx_group_cases[] = {
	KUNIT_CASE(first_error_cancels_siblings_blocked_in_io),
	KUNIT_CASE(wait_returns_the_first_error),
	KUNIT_CASE(wait_after_success_returns_zero_and_cancels_the_group),
	KUNIT_CASE(go_on_a_done_group_still_runs_fn),
	KUNIT_CASE(parent_deadline_ends_every_thread),
	KUNIT_CASE(set_limit_bounds_concurrency),
	KUNIT_CASE(go_waiting_for_the_limit_is_killable),
	KUNIT_CASE(no_thread_outlives_its_group),
	{}
};

struct kunit_suite kctx_group_suite = {
	.name = "kctx_group",
	.suite_init = blocker_suite_init,
	.test_cases = kctx_group_cases,
};

kunit_test_suite(kctx_group_suite);
