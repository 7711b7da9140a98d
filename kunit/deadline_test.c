// SPDX-License-Identifier: GPL-2.0
/*
 * Deadlines: expiry, capping by ancestors, past deadlines, and the timer's
 * reference.
 */
#include <linux/delay.h>

#include "kctx_test.h"

#define HOUR_NS	(3600 * NSEC_PER_SEC)

static void timeout_expires_with_etimedout_not_before_it(struct kunit *test)
{
	ktime_t start = ktime_get();
	struct kctx *ctx;

	ctx = KCTX_TEST_NEW(test, kctx_with_timeout(kctx_background(), 20 * NSEC_PER_MSEC,
						    GFP_KERNEL));
	KUNIT_ASSERT_GT(test, kctx_wait_timeout(ctx, KCTX_TEST_WAIT), 0);
	KUNIT_EXPECT_GE(test, ktime_ms_delta(ktime_get(), start), 20);
	KUNIT_EXPECT_EQ(test, kctx_err(ctx), -ETIMEDOUT);
	KUNIT_EXPECT_EQ(test, kctx_cause(ctx), -ETIMEDOUT);
	kctx_put(ctx);
}

static void past_deadline_is_born_done(struct kunit *test)
{
	struct kctx *ctx;

	ctx = KCTX_TEST_NEW(test, kctx_with_deadline(kctx_background(),
						     ktime_sub_ns(ktime_get(), 1), GFP_KERNEL));
	KUNIT_EXPECT_EQ(test, kctx_err(ctx), -ETIMEDOUT);
	KUNIT_EXPECT_EQ(test, refcount_read(&ctx->ref), 1);
	kctx_put(ctx);
}

static void parent_done_beats_past_deadline(struct kunit *test)
{
	struct kctx *parent, *child;

	parent = KCTX_TEST_NEW(test, kctx_with_cancel(kctx_background(), GFP_KERNEL));
	kctx_cancel_cause(parent, -EBADMSG);
	child = KCTX_TEST_NEW(test, kctx_with_deadline(parent, 0, GFP_KERNEL));
	KUNIT_EXPECT_EQ(test, kctx_err(child), -ECANCELED);
	KUNIT_EXPECT_EQ(test, kctx_cause(child), -EBADMSG);
	kctx_put(child);
	kctx_put(parent);
}

static void later_child_deadline_is_capped_and_arms_no_timer(struct kunit *test)
{
	ktime_t d = ktime_add_ns(ktime_get(), HOUR_NS), got;
	struct kctx *parent, *child;

	parent = KCTX_TEST_NEW(test, kctx_with_deadline(kctx_background(), d, GFP_KERNEL));
	child = KCTX_TEST_NEW(test, kctx_with_deadline(parent, ktime_add_ns(d, 1), GFP_KERNEL));
	KUNIT_ASSERT_TRUE(test, kctx_deadline(child, &got));
	KUNIT_EXPECT_EQ(test, got, d);
	KUNIT_EXPECT_EQ(test, child->kind, KCTX_NODE_CANCEL);
	KUNIT_EXPECT_EQ(test, refcount_read(&child->ref), 1);
	kctx_cancel(parent);
	kctx_put(child);
	kctx_put(parent);
}

static void earlier_child_deadline_is_its_own(struct kunit *test)
{
	ktime_t d = ktime_add_ns(ktime_get(), HOUR_NS), got;
	struct kctx *parent, *child;

	parent = KCTX_TEST_NEW(test, kctx_with_deadline(kctx_background(), d, GFP_KERNEL));
	child = KCTX_TEST_NEW(test, kctx_with_deadline(parent, ktime_sub_ns(d, 1), GFP_KERNEL));
	KUNIT_ASSERT_TRUE(test, kctx_deadline(child, &got));
	KUNIT_EXPECT_EQ(test, got, ktime_sub_ns(d, 1));
	KUNIT_EXPECT_EQ(test, child->kind, KCTX_NODE_DEADLINE);
	kctx_cancel(parent);
	kctx_put(child);
	kctx_put(parent);
}

static void descendants_inherit_the_deadline_but_detached_drops_it(struct kunit *test)
{
	static const int key;
	ktime_t d = ktime_add_ns(ktime_get(), HOUR_NS), got;
	struct kctx *parent, *c, *v, *w;

	parent = KCTX_TEST_NEW(test, kctx_with_deadline(kctx_background(), d, GFP_KERNEL));
	c = KCTX_TEST_NEW(test, kctx_with_cancel(parent, GFP_KERNEL));
	v = KCTX_TEST_NEW(test, kctx_with_value(c, &key, NULL, GFP_KERNEL));
	w = KCTX_TEST_NEW(test, kctx_without_cancel(v, GFP_KERNEL));
	KUNIT_EXPECT_TRUE(test, kctx_deadline(v, &got));
	KUNIT_EXPECT_EQ(test, got, d);
	KUNIT_EXPECT_FALSE(test, kctx_deadline(w, &got));
	kctx_cancel(parent);
	kctx_put(w);
	kctx_put(v);
	kctx_put(c);
	kctx_put(parent);
}

static void parent_deadline_reaches_grandchild(struct kunit *test)
{
	struct kctx *parent, *child, *grandchild;

	parent = KCTX_TEST_NEW(test, kctx_with_timeout(kctx_background(), 10 * NSEC_PER_MSEC,
						       GFP_KERNEL));
	child = KCTX_TEST_NEW(test, kctx_with_cancel(parent, GFP_KERNEL));
	grandchild = KCTX_TEST_NEW(test, kctx_with_cancel(child, GFP_KERNEL));
	KUNIT_ASSERT_GT(test, kctx_wait_timeout(grandchild, KCTX_TEST_WAIT), 0);
	KUNIT_EXPECT_EQ(test, kctx_err(grandchild), -ETIMEDOUT);
	KUNIT_EXPECT_EQ(test, kctx_cause(grandchild), -ETIMEDOUT);
	KUNIT_EXPECT_FALSE(test, kctx_done(kctx_background()));
	kctx_put(grandchild);
	kctx_put(child);
	kctx_put(parent);
}

static void armed_timer_holds_a_reference_until_cancel(struct kunit *test)
{
	struct kctx *ctx;

	ctx = KCTX_TEST_NEW(test, kctx_with_timeout(kctx_background(), HOUR_NS, GFP_KERNEL));
	KUNIT_EXPECT_EQ(test, refcount_read(&ctx->ref), 2);
	kctx_cancel(ctx);
	KUNIT_EXPECT_EQ(test, refcount_read(&ctx->ref), 1);
	KUNIT_EXPECT_EQ(test, kctx_err(ctx), -ECANCELED);
	kctx_put(ctx);
}

static void fired_timer_drops_its_reference(struct kunit *test)
{
	struct kctx *ctx;

	ctx = KCTX_TEST_NEW(test, kctx_with_timeout(kctx_background(), NSEC_PER_MSEC, GFP_KERNEL));
	KUNIT_ASSERT_GT(test, kctx_wait_timeout(ctx, KCTX_TEST_WAIT), 0);
	kctx_deadline_flush();
	KUNIT_EXPECT_EQ(test, refcount_read(&ctx->ref), 1);
	kctx_put(ctx);
}

static void cancel_after_expiry_keeps_etimedout(struct kunit *test)
{
	struct kctx *ctx;

	ctx = KCTX_TEST_NEW(test, kctx_with_timeout(kctx_background(), NSEC_PER_MSEC, GFP_KERNEL));
	KUNIT_ASSERT_GT(test, kctx_wait_timeout(ctx, KCTX_TEST_WAIT), 0);
	kctx_cancel_cause(ctx, -EIO);
	KUNIT_EXPECT_EQ(test, kctx_err(ctx), -ETIMEDOUT);
	KUNIT_EXPECT_EQ(test, kctx_cause(ctx), -ETIMEDOUT);
	kctx_put(ctx);
}

static void endless_timeout_means_no_deadline(struct kunit *test)
{
	struct kctx *ctx;

	ctx = KCTX_TEST_NEW(test, kctx_with_timeout(kctx_background(), U64_MAX, GFP_KERNEL));
	KUNIT_EXPECT_FALSE(test, kctx_deadline(ctx, NULL));
	KUNIT_EXPECT_FALSE(test, kctx_done(ctx));
	kctx_put(ctx);
}

static void dropped_deadline_context_lives_until_it_fires(struct kunit *test)
{
	unsigned long end = jiffies + KCTX_TEST_WAIT;
	struct kctx *parent, *ctx;

	parent = KCTX_TEST_NEW(test, kctx_with_cancel(kctx_background(), GFP_KERNEL));
	/*
	 * Long enough that it can't fire before the checks below, even in a
	 * TCG guest on a busy host, where a timer interrupt has been seen to
	 * take 29 ms.
	 */
	ctx = KCTX_TEST_NEW(test, kctx_with_timeout(parent, 200 * NSEC_PER_MSEC, GFP_KERNEL));
	kctx_put(ctx);	/* the armed timer's reference keeps it */
	KUNIT_EXPECT_FALSE(test, hlist_empty(&parent->children));
	KUNIT_EXPECT_EQ(test, refcount_read(&parent->ref), 2);

	/* Once it fires, it is unlinked and freed, dropping its parent. */
	while (refcount_read(&parent->ref) > 1 && time_before(jiffies, end))
		usleep_range(500, 1000);
	KUNIT_EXPECT_EQ(test, refcount_read(&parent->ref), 1);
	KUNIT_EXPECT_TRUE(test, hlist_empty(&parent->children));
	kctx_put(parent);
}

/*
 * Dropped without a cancel, an hour-long deadline context outlives this
 * test: its armed timer holds it. kctx's module exit must cancel it, or
 * kmem_cache_destroy() complains at rmmod and the harness fails the run.
 * The second orphan sits below a detached node, which hangs off the
 * background root although its parent is another node: the exit walk must
 * climb back to the background, not to that parent, which it never held.
 */
static void orphaned_deadline_context_is_left_for_unload_to_reap(struct kunit *test)
{
	struct kctx *ctx, *parent, *detached;

	ctx = KCTX_TEST_NEW(test, kctx_with_timeout(kctx_background(), HOUR_NS, GFP_KERNEL));
	kctx_put(ctx);
	parent = KCTX_TEST_NEW(test, kctx_with_cancel(kctx_background(), GFP_KERNEL));
	detached = KCTX_TEST_NEW(test, kctx_without_cancel(parent, GFP_KERNEL));
	ctx = KCTX_TEST_NEW(test, kctx_with_timeout(detached, HOUR_NS, GFP_KERNEL));
	kctx_put(ctx);
	kctx_put(detached);
	kctx_put(parent);
	KUNIT_EXPECT_FALSE(test, hlist_empty(&kctx_background()->children));
}

/* An after-func that blocks until the test lets it go. */
struct blocked_after_func {
	struct kctx_callback cb;
	struct completion *release;
	atomic_t *running;
};

static void block_until_released(struct kctx_callback *cb)
{
	struct blocked_after_func *b = container_of(cb, struct blocked_after_func, cb);

	atomic_inc(b->running);
	wait_for_completion(b->release);
}

/*
 * kctx_wq runs after-funcs, which may block, at most WQ_DFL_ACTIVE at once.
 * With that many blocked, a deadline must still reach its subtree: its walk
 * is not queued behind them.
 */
static void blocked_after_funcs_do_not_hold_up_a_deadline(struct kunit *test)
{
	const int n = WQ_DFL_ACTIVE;
	struct blocked_after_func *b;
	DECLARE_COMPLETION_ONSTACK(release);
	struct kctx *done, *parent, *child;
	atomic_t running = ATOMIC_INIT(0);
	unsigned long until;
	int i;

	b = kunit_kcalloc(test, n, sizeof(*b), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, b);
	done = KCTX_TEST_NEW(test, kctx_with_cancel(kctx_background(), GFP_KERNEL));
	kctx_cancel(done);
	for (i = 0; i < n; i++) {
		b[i].release = &release;
		b[i].running = &running;
		kctx_after_func(done, &b[i].cb, block_until_released);
	}
	until = jiffies + KCTX_TEST_WAIT;
	while (atomic_read(&running) < n && time_before(jiffies, until))
		usleep_range(100, 200);	/* polling, bounded by a deadline */
	KUNIT_EXPECT_EQ(test, atomic_read(&running), n);

	parent = KCTX_TEST_NEW(test, kctx_with_timeout(kctx_background(), NSEC_PER_MSEC,
						       GFP_KERNEL));
	child = KCTX_TEST_NEW(test, kctx_with_cancel(parent, GFP_KERNEL));
	KUNIT_EXPECT_GT(test, kctx_wait_timeout(child, KCTX_TEST_WAIT), 0);
	KUNIT_EXPECT_EQ(test, kctx_err(child), -ETIMEDOUT);

	complete_all(&release);
	flush_workqueue(kctx_wq);
	kctx_put(child);
	kctx_put(parent);
	kctx_put(done);
}

/* A hook that notes whether a node is done at the moment it fires. */
struct done_probe {
	struct kctx_hook hook;
	const struct kctx *watched;
	bool watched_was_done;
};

static void probe_fire(struct kctx_hook *hook)
{
	struct done_probe *p = container_of(hook, struct done_probe, hook);

	p->watched_was_done = kctx_done(p->watched);
}

/*
 * Two deadlines fire together, the first over a big subtree. The second's
 * child must not wait for the first's whole walk: when it is marked, the
 * node the first walk reaches last (its oldest child: newest are first on
 * the list) must still be live.
 */
static void big_subtree_does_not_hold_up_another_deadline(struct kunit *test)
{
	const int width = 8192;	/* 32 slices of the shared worker */
	struct kctx **kids, *big, *small, *child;
	struct done_probe probe = { .hook.fn = probe_fire };
	ktime_t at = ktime_add_ms(ktime_get(), 3000);
	int i;

	kids = kunit_kcalloc(test, width, sizeof(*kids), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, kids);
	big = KCTX_TEST_NEW(test, kctx_with_deadline(kctx_background(), at, GFP_KERNEL));
	for (i = 0; i < width; i++)
		kids[i] = KCTX_TEST_NEW(test, kctx_with_cancel(big, GFP_KERNEL));
	small = KCTX_TEST_NEW(test, kctx_with_deadline(kctx_background(),
						       ktime_add_us(at, 1), GFP_KERNEL));
	child = KCTX_TEST_NEW(test, kctx_with_cancel(small, GFP_KERNEL));
	probe.watched = kids[0];
	KUNIT_ASSERT_TRUE(test, kctx_hook_add(child, &probe.hook));
	if (kctx_done(big)) {
		kunit_mark_skipped(test, "building %d nodes took longer than 3 s", width);
	} else {
		KUNIT_EXPECT_GT(test, kctx_wait_timeout(child, KCTX_TEST_WAIT), 0);
		KUNIT_EXPECT_FALSE(test, probe.watched_was_done);
	}
	KUNIT_EXPECT_GT(test, kctx_wait_timeout(kids[0], KCTX_TEST_WAIT), 0);
	kctx_deadline_flush();
	kctx_put(child);
	kctx_put(small);
	for (i = 0; i < width; i++)
		kctx_put(kids[i]);
	kctx_put(big);
}

/* A hook that notes where it ran: in a task (a worker) or in the timer. */
struct where_probe {
	struct kctx_hook hook;
	bool in_task;
};

static void note_where(struct kctx_hook *hook)
{
	container_of(hook, struct where_probe, hook)->in_task = in_task();
}

/*
 * A chain of @depth cancel contexts with a where_probe on each, below a
 * deadline node, @chain[0], whose timer then fires at once; waits until the
 * deadline has reached the bottom. Whatever fails, every node is made and
 * the walk is over on return, so put_chain() leaves no hook behind.
 */
static void expire_above_chain(struct kunit *test, struct kctx **chain,
			       struct where_probe *probes, int depth)
{
	int i;

	chain[0] = kctx_with_timeout(kctx_background(), HOUR_NS, GFP_KERNEL | __GFP_NOFAIL);
	for (i = 1; i <= depth; i++) {
		chain[i] = kctx_with_cancel(chain[i - 1], GFP_KERNEL | __GFP_NOFAIL);
		probes[i].hook.fn = note_where;
		KUNIT_EXPECT_TRUE(test, kctx_hook_add(chain[i], &probes[i].hook));
	}
	/* Bring the deadline forward to now, as if the hour had passed. */
	hrtimer_start(&kctx_to_timer(chain[0])->timer, 0, HRTIMER_MODE_ABS);
	KUNIT_EXPECT_GT(test, kctx_wait_timeout(chain[depth], KCTX_TEST_WAIT), 0);
	kctx_deadline_flush();
}

static void put_chain(struct kctx **chain, int depth)
{
	while (depth >= 0)
		kctx_put(chain[depth--]);
}

/*
 * A deadline's children are done in its timer's own callback, as
 * punctually as a timerfd, not when a worker gets to them. The callback
 * walks on for 64 steps or 50 µs: a 10-deep chain on hardware, but maybe
 * less on a debug kernel under emulation, so only the first level is sure.
 */
static void deadline_marks_its_children_in_its_timer(struct kunit *test)
{
	struct where_probe probes[11] = {};
	struct kctx *chain[11];

	expire_above_chain(test, chain, probes, 10);
	KUNIT_EXPECT_FALSE(test, probes[1].in_task);
	put_chain(chain, 10);
}

/*
 * The callback's walk is bounded: below a deep chain it stops and a worker,
 * which may yield, finishes the subtree.
 */
static void deadline_leaves_a_deep_subtree_to_its_worker(struct kunit *test)
{
	const int depth = 200;
	struct where_probe *probes;
	struct kctx **chain;

	probes = kunit_kcalloc(test, depth + 1, sizeof(*probes), GFP_KERNEL);
	chain = kunit_kcalloc(test, depth + 1, sizeof(*chain), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, probes);
	KUNIT_ASSERT_NOT_NULL(test, chain);
	expire_above_chain(test, chain, probes, depth);
	KUNIT_EXPECT_FALSE(test, probes[1].in_task);
	KUNIT_EXPECT_TRUE(test, probes[depth].in_task);
	put_chain(chain, depth);
}

static struct kunit_case kctx_deadline_cases[] = {
	KUNIT_CASE(timeout_expires_with_etimedout_not_before_it),
	KUNIT_CASE(past_deadline_is_born_done),
	KUNIT_CASE(parent_done_beats_past_deadline),
	KUNIT_CASE(later_child_deadline_is_capped_and_arms_no_timer),
	KUNIT_CASE(earlier_child_deadline_is_its_own),
	KUNIT_CASE(descendants_inherit_the_deadline_but_detached_drops_it),
	KUNIT_CASE(parent_deadline_reaches_grandchild),
	KUNIT_CASE(armed_timer_holds_a_reference_until_cancel),
	KUNIT_CASE(fired_timer_drops_its_reference),
	KUNIT_CASE(cancel_after_expiry_keeps_etimedout),
	KUNIT_CASE(endless_timeout_means_no_deadline),
	KUNIT_CASE(dropped_deadline_context_lives_until_it_fires),
	KUNIT_CASE(orphaned_deadline_context_is_left_for_unload_to_reap),
	KUNIT_CASE(blocked_after_funcs_do_not_hold_up_a_deadline),
	KUNIT_CASE_SLOW(big_subtree_does_not_hold_up_another_deadline),
	KUNIT_CASE(deadline_marks_its_children_in_its_timer),
	KUNIT_CASE(deadline_leaves_a_deep_subtree_to_its_worker),
	{}
};

struct kunit_suite kctx_deadline_suite = {
	.name = "kctx_deadline",
	.test_cases = kctx_deadline_cases,
};

kunit_test_suite(kctx_deadline_suite);
