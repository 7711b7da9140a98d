// SPDX-License-Identifier: GPL-2.0
/*
 * Waiting: kctx_wait*(), the kctx_wait_event*() family, and hooks.
 */
#include <linux/wait.h>

#include "kctx_test.h"

enum sleep_how { SLEEP_WAIT, SLEEP_EVENT, SLEEP_EVENT_INTR, SLEEP_EVENT_KILL };

struct sleeper {
	struct kctx *ctx;
	wait_queue_head_t wq;
	bool cond;
	enum sleep_how how;
	struct kctx_test_thread thread;
};

static int sleeper_fn(void *data)
{
	struct sleeper *s = data;

	switch (s->how) {
	case SLEEP_WAIT:
		return kctx_wait(s->ctx);
	case SLEEP_EVENT:
		return kctx_wait_event(s->ctx, s->wq, READ_ONCE(s->cond));
	case SLEEP_EVENT_INTR:
		return kctx_wait_event_interruptible(s->ctx, s->wq, READ_ONCE(s->cond));
	case SLEEP_EVENT_KILL:
		return kctx_wait_event_killable(s->ctx, s->wq, READ_ONCE(s->cond));
	}
	return -EINVAL;
}

/* Start a sleeper on @ctx and return once it is really asleep. */
static void sleeper_start(struct kunit *test, struct sleeper *s, struct kctx *ctx,
			  enum sleep_how how)
{
	s->ctx = ctx;
	s->how = how;
	s->cond = false;
	init_waitqueue_head(&s->wq);
	kctx_test_thread_start(test, &s->thread, sleeper_fn, s);
	KUNIT_EXPECT_TRUE(test, kctx_test_wait_sleeping(s->thread.task));
}

static void wait_wakes_a_sleeper_on_cancel(struct kunit *test)
{
	struct kctx *ctx = KCTX_TEST_NEW(test, kctx_with_cancel(kctx_background(), GFP_KERNEL));
	struct sleeper s;

	sleeper_start(test, &s, ctx, SLEEP_WAIT);
	kctx_cancel(ctx);
	KUNIT_ASSERT_TRUE(test, kctx_test_thread_join(&s.thread));
	KUNIT_EXPECT_EQ(test, s.thread.ret, 0);
	kctx_put(ctx);
}

static void wait_returns_at_once_when_done(struct kunit *test)
{
	struct kctx *ctx = KCTX_TEST_NEW(test, kctx_with_cancel(kctx_background(), GFP_KERNEL));

	kctx_cancel(ctx);
	KUNIT_EXPECT_EQ(test, kctx_wait(ctx), 0);
	KUNIT_EXPECT_EQ(test, kctx_wait_timeout(ctx, 0), 1);
	kctx_put(ctx);
}

static void wait_timeout_gives_zero_on_a_live_context(struct kunit *test)
{
	struct kctx *ctx = KCTX_TEST_NEW(test, kctx_with_cancel(kctx_background(), GFP_KERNEL));

	KUNIT_EXPECT_EQ(test, kctx_wait_timeout(ctx, 2), 0);
	kctx_put(ctx);
}

static void wait_event_wins_with_condition_already_true(struct kunit *test)
{
	struct kctx *ctx = KCTX_TEST_NEW(test, kctx_with_cancel(kctx_background(), GFP_KERNEL));
	DECLARE_WAIT_QUEUE_HEAD_ONSTACK(wq);

	KUNIT_EXPECT_EQ(test, kctx_wait_event(ctx, wq, true), 0);
	kctx_cancel(ctx);
	KUNIT_EXPECT_EQ(test, kctx_wait_event(ctx, wq, true), 0);
	KUNIT_EXPECT_EQ(test, kctx_wait_event(ctx, wq, false), -ECANCELED);
	kctx_put(ctx);
}

static void uninterruptible_wait_event_is_woken_by_cancel(struct kunit *test)
{
	struct kctx *ctx = KCTX_TEST_NEW(test, kctx_with_cancel(kctx_background(), GFP_KERNEL));
	struct sleeper s;

	sleeper_start(test, &s, ctx, SLEEP_EVENT);
	kctx_cancel_cause(ctx, -EHOSTDOWN);
	KUNIT_ASSERT_TRUE(test, kctx_test_thread_join(&s.thread));
	KUNIT_EXPECT_EQ(test, s.thread.ret, -ECANCELED);
	kctx_put(ctx);
}

static void interruptible_wait_event_is_woken_by_ancestor_cancel(struct kunit *test)
{
	struct kctx *root, *ctx;
	struct sleeper s;

	root = KCTX_TEST_NEW(test, kctx_with_cancel(kctx_background(), GFP_KERNEL));
	ctx = KCTX_TEST_NEW(test, kctx_with_cancel(root, GFP_KERNEL));
	sleeper_start(test, &s, ctx, SLEEP_EVENT_INTR);
	kctx_cancel(root);
	KUNIT_ASSERT_TRUE(test, kctx_test_thread_join(&s.thread));
	KUNIT_EXPECT_EQ(test, s.thread.ret, -ECANCELED);
	kctx_put(ctx);
	kctx_put(root);
}

static void killable_wait_event_is_woken_by_deadline(struct kunit *test)
{
	struct kctx *ctx;
	struct sleeper s;

	ctx = KCTX_TEST_NEW(test, kctx_with_timeout(kctx_background(), 50 * NSEC_PER_MSEC,
						    GFP_KERNEL));
	sleeper_start(test, &s, ctx, SLEEP_EVENT_KILL);
	KUNIT_ASSERT_TRUE(test, kctx_test_thread_join(&s.thread));
	KUNIT_EXPECT_EQ(test, s.thread.ret, -ETIMEDOUT);
	kctx_put(ctx);
}

static void wait_event_is_woken_by_its_condition(struct kunit *test)
{
	struct kctx *ctx = KCTX_TEST_NEW(test, kctx_with_cancel(kctx_background(), GFP_KERNEL));
	struct sleeper s;

	sleeper_start(test, &s, ctx, SLEEP_EVENT);
	WRITE_ONCE(s.cond, true);
	wake_up(&s.wq);
	KUNIT_ASSERT_TRUE(test, kctx_test_thread_join(&s.thread));
	KUNIT_EXPECT_EQ(test, s.thread.ret, 0);
	KUNIT_EXPECT_FALSE(test, kctx_done(ctx));
	/* The sleeper's hook is gone: a later cancel touches nothing of it. */
	KUNIT_EXPECT_TRUE(test, hlist_empty(&ctx->hooks));
	kctx_cancel(ctx);
	kctx_put(ctx);
}

static void wait_event_timeout_tells_the_three_outcomes_apart(struct kunit *test)
{
	struct kctx *ctx = KCTX_TEST_NEW(test, kctx_with_cancel(kctx_background(), GFP_KERNEL));
	DECLARE_WAIT_QUEUE_HEAD_ONSTACK(wq);

	KUNIT_EXPECT_EQ(test, kctx_wait_event_timeout(ctx, wq, false, 2), 0);
	KUNIT_EXPECT_GE(test, kctx_wait_event_timeout(ctx, wq, true, 2), 1);
	kctx_cancel_cause(ctx, -EREMOTEIO);
	KUNIT_EXPECT_EQ(test, kctx_wait_event_timeout(ctx, wq, false, 2), -ECANCELED);
	KUNIT_EXPECT_EQ(test, kctx_wait_event_interruptible_timeout(ctx, wq, false, 2),
			-ECANCELED);
	kctx_put(ctx);
}

struct counting_hook {
	struct kctx_hook hook;
	struct kctx *ctx;
	int runs;
	bool irqs_were_off;
	bool lock_was_held;
};

static void counting_hook_fn(struct kctx_hook *hook)
{
	struct counting_hook *h = container_of(hook, struct counting_hook, hook);

	h->runs++;
	h->irqs_were_off = irqs_disabled();
	h->lock_was_held = !IS_ENABLED(CONFIG_LOCKDEP) || lockdep_is_held(&h->ctx->lock);
}

/*
 * Under the node's lock, which is a spinlock_t: taken with interrupts off,
 * except on PREEMPT_RT, where it is a sleeping lock and spin_lock_irqsave()
 * leaves interrupts on.
 */
static void hook_runs_once_under_the_node_lock(struct kunit *test)
{
	struct kctx *ctx = KCTX_TEST_NEW(test, kctx_with_cancel(kctx_background(), GFP_KERNEL));
	struct counting_hook h = { .hook.fn = counting_hook_fn, .ctx = ctx };

	KUNIT_EXPECT_TRUE(test, kctx_hook_add(ctx, &h.hook));
	kctx_cancel(ctx);
	kctx_cancel(ctx);
	KUNIT_EXPECT_EQ(test, h.runs, 1);
	KUNIT_EXPECT_TRUE(test, h.lock_was_held);
	KUNIT_EXPECT_EQ(test, h.irqs_were_off, !IS_ENABLED(CONFIG_PREEMPT_RT));
	KUNIT_EXPECT_FALSE(test, kctx_hook_del(ctx, &h.hook));
	kctx_put(ctx);
}

static void hook_on_done_context_is_refused(struct kunit *test)
{
	struct kctx *ctx = KCTX_TEST_NEW(test, kctx_with_cancel(kctx_background(), GFP_KERNEL));
	struct counting_hook h = { .hook.fn = counting_hook_fn };

	kctx_cancel(ctx);
	KUNIT_EXPECT_FALSE(test, kctx_hook_add(ctx, &h.hook));
	KUNIT_EXPECT_EQ(test, h.runs, 0);
	KUNIT_EXPECT_FALSE(test, kctx_hook_del(ctx, &h.hook));
	kctx_put(ctx);
}

static void removed_hook_never_runs(struct kunit *test)
{
	struct kctx *ctx = KCTX_TEST_NEW(test, kctx_with_cancel(kctx_background(), GFP_KERNEL));
	struct counting_hook h = { .hook.fn = counting_hook_fn };

	KUNIT_EXPECT_TRUE(test, kctx_hook_add(ctx, &h.hook));
	KUNIT_EXPECT_TRUE(test, kctx_hook_del(ctx, &h.hook));
	kctx_cancel(ctx);
	KUNIT_EXPECT_EQ(test, h.runs, 0);
	kctx_put(ctx);
}

static struct kunit_case kctx_wait_cases[] = {
	KUNIT_CASE(wait_wakes_a_sleeper_on_cancel),
	KUNIT_CASE(wait_returns_at_once_when_done),
	KUNIT_CASE(wait_timeout_gives_zero_on_a_live_context),
	KUNIT_CASE(wait_event_wins_with_condition_already_true),
	KUNIT_CASE(uninterruptible_wait_event_is_woken_by_cancel),
	KUNIT_CASE(interruptible_wait_event_is_woken_by_ancestor_cancel),
	KUNIT_CASE(killable_wait_event_is_woken_by_deadline),
	KUNIT_CASE(wait_event_is_woken_by_its_condition),
	KUNIT_CASE(wait_event_timeout_tells_the_three_outcomes_apart),
	KUNIT_CASE(hook_runs_once_under_the_node_lock),
	KUNIT_CASE(hook_on_done_context_is_refused),
	KUNIT_CASE(removed_hook_never_runs),
	{}
};

struct kunit_suite kctx_wait_suite = {
	.name = "kctx_wait",
	.test_cases = kctx_wait_cases,
};

kunit_test_suite(kctx_wait_suite);
