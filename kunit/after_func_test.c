// SPDX-License-Identifier: GPL-2.0
/*
 * After-funcs: when they run, where, and what stop and stop_sync promise.
 */
#include <linux/delay.h>
#include <linux/preempt.h>

#include "kctx_test.h"

struct probe_cb {
	struct kctx_callback cb;
	struct completion ran;
	struct completion release;	/* when blocking, wait for this */
	bool block;
	bool was_preemptible;
	atomic_t runs;
	bool finished;
};

static void probe_fn(struct kctx_callback *cb)
{
	struct probe_cb *p = container_of(cb, struct probe_cb, cb);

	p->was_preemptible = preemptible();
	might_sleep();
	atomic_inc(&p->runs);
	complete(&p->ran);
	if (p->block)
		wait_for_completion(&p->release);
	WRITE_ONCE(p->finished, true);
}

/* On the heap: a work item on the stack would need ODEBUG annotations. */
static struct probe_cb *probe_new(struct kunit *test)
{
	struct probe_cb *p = kunit_kzalloc(test, sizeof(*p), GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, p);
	init_completion(&p->ran);
	init_completion(&p->release);
	return p;
}

static void runs_once_in_process_context_after_cancel(struct kunit *test)
{
	struct kctx *ctx = KCTX_TEST_NEW(test, kctx_with_cancel(kctx_background(), GFP_KERNEL));
	struct probe_cb *p = probe_new(test);

	kctx_after_func(ctx, &p->cb, probe_fn);
	KUNIT_EXPECT_EQ(test, refcount_read(&ctx->ref), 2);
	kctx_cancel(ctx);
	kctx_cancel(ctx);
	KUNIT_ASSERT_NE(test, wait_for_completion_timeout(&p->ran, KCTX_TEST_WAIT), 0);
	flush_workqueue(kctx_wq);
	KUNIT_EXPECT_EQ(test, atomic_read(&p->runs), 1);
	KUNIT_EXPECT_TRUE(test, p->was_preemptible);
	KUNIT_EXPECT_EQ(test, refcount_read(&ctx->ref), 1);
	KUNIT_EXPECT_FALSE(test, kctx_after_func_stop(&p->cb));
	kctx_put(ctx);
}

static void runs_at_once_on_a_done_context(struct kunit *test)
{
	struct kctx *ctx = KCTX_TEST_NEW(test, kctx_with_cancel(kctx_background(), GFP_KERNEL));
	struct probe_cb *p = probe_new(test);

	kctx_cancel(ctx);
	kctx_after_func(ctx, &p->cb, probe_fn);
	KUNIT_EXPECT_NE(test, wait_for_completion_timeout(&p->ran, KCTX_TEST_WAIT), 0);
	flush_workqueue(kctx_wq);
	kctx_put(ctx);
}

static void runs_when_an_ancestor_deadline_passes(struct kunit *test)
{
	struct kctx *parent, *v;
	static const int key;
	struct probe_cb *p = probe_new(test);

	parent = KCTX_TEST_NEW(test, kctx_with_timeout(kctx_background(), 5 * NSEC_PER_MSEC,
						       GFP_KERNEL));
	v = KCTX_TEST_NEW(test, kctx_with_value(parent, &key, NULL, GFP_KERNEL));
	kctx_after_func(v, &p->cb, probe_fn);
	KUNIT_EXPECT_NE(test, wait_for_completion_timeout(&p->ran, KCTX_TEST_WAIT), 0);
	flush_workqueue(kctx_wq);
	KUNIT_EXPECT_EQ(test, kctx_err(v), -ETIMEDOUT);
	kctx_put(v);
	kctx_put(parent);
}

static void stop_before_done_returns_true_and_fn_never_runs(struct kunit *test)
{
	struct kctx *ctx = KCTX_TEST_NEW(test, kctx_with_cancel(kctx_background(), GFP_KERNEL));
	struct probe_cb *p = probe_new(test);

	kctx_after_func(ctx, &p->cb, probe_fn);
	KUNIT_EXPECT_TRUE(test, kctx_after_func_stop(&p->cb));
	KUNIT_EXPECT_FALSE(test, kctx_after_func_stop(&p->cb));
	KUNIT_EXPECT_EQ(test, refcount_read(&ctx->ref), 1);
	kctx_cancel(ctx);
	flush_workqueue(kctx_wq);
	KUNIT_EXPECT_EQ(test, atomic_read(&p->runs), 0);
	kctx_put(ctx);
}

static void stop_on_never_done_context_returns_true(struct kunit *test)
{
	struct probe_cb *p = probe_new(test);

	kctx_after_func(kctx_background(), &p->cb, probe_fn);
	KUNIT_EXPECT_TRUE(test, kctx_after_func_stop_sync(&p->cb));
	KUNIT_EXPECT_EQ(test, atomic_read(&p->runs), 0);
}

struct stopper {
	struct probe_cb *probe;
	bool stopped;
	bool fn_had_finished;
	struct completion calling;
};

static int stopper_fn(void *data)
{
	struct stopper *s = data;

	complete(&s->calling);
	s->stopped = kctx_after_func_stop_sync(&s->probe->cb);
	s->fn_had_finished = READ_ONCE(s->probe->finished);
	return 0;
}

static void stop_sync_waits_for_a_running_fn(struct kunit *test)
{
	struct kctx *ctx = KCTX_TEST_NEW(test, kctx_with_cancel(kctx_background(), GFP_KERNEL));
	struct kctx_test_thread t;
	struct stopper s = {};
	struct probe_cb *p = probe_new(test);

	p->block = true;
	kctx_after_func(ctx, &p->cb, probe_fn);
	kctx_cancel(ctx);
	KUNIT_ASSERT_NE(test, wait_for_completion_timeout(&p->ran, KCTX_TEST_WAIT), 0);

	/* fn is running and blocked: stop_sync must sleep until it returns. */
	s.probe = p;
	init_completion(&s.calling);
	kctx_test_thread_start(test, &t, stopper_fn, &s);
	wait_for_completion(&s.calling);
	KUNIT_EXPECT_TRUE(test, kctx_test_wait_sleeping(t.task));
	complete(&p->release);
	KUNIT_ASSERT_TRUE(test, kctx_test_thread_join(&t));
	KUNIT_EXPECT_FALSE(test, s.stopped);
	KUNIT_EXPECT_TRUE(test, s.fn_had_finished);
	kctx_put(ctx);
}

static void stop_sync_before_done_returns_true(struct kunit *test)
{
	struct kctx *ctx = KCTX_TEST_NEW(test, kctx_with_cancel(kctx_background(), GFP_KERNEL));
	struct probe_cb *p = probe_new(test);

	kctx_after_func(ctx, &p->cb, probe_fn);
	KUNIT_EXPECT_TRUE(test, kctx_after_func_stop_sync(&p->cb));
	kctx_cancel(ctx);
	flush_workqueue(kctx_wq);
	KUNIT_EXPECT_EQ(test, atomic_read(&p->runs), 0);
	KUNIT_EXPECT_EQ(test, refcount_read(&ctx->ref), 1);
	kctx_put(ctx);
}

static struct kunit_case kctx_after_func_cases[] = {
	KUNIT_CASE(runs_once_in_process_context_after_cancel),
	KUNIT_CASE(runs_at_once_on_a_done_context),
	KUNIT_CASE(runs_when_an_ancestor_deadline_passes),
	KUNIT_CASE(stop_before_done_returns_true_and_fn_never_runs),
	KUNIT_CASE(stop_on_never_done_context_returns_true),
	KUNIT_CASE(stop_sync_waits_for_a_running_fn),
	KUNIT_CASE(stop_sync_before_done_returns_true),
	{}
};

struct kunit_suite kctx_after_func_suite = {
	.name = "kctx_after_func",
	.test_cases = kctx_after_func_cases,
};

kunit_test_suite(kctx_after_func_suite);
