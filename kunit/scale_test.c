// SPDX-License-Identifier: GPL-2.0
/*
 * Huge trees: a deep chain and a wide fan-out must cancel and free without
 * recursion, and without lockdep, soft-lockup or RCU-stall complaints,
 * which the harness would catch on the console.
 *
 * The default is 10^5 nodes. 10^6 works too (scale_nodes=1000000), but on
 * the debug kernel under TCG it takes minutes per case: with a million
 * rcu_heads in flight, debug objects' hash chains make each free cost
 * hundreds of microseconds, past KUnit's and the hung-task detector's
 * limits. The million-node figures come from runs that load the module
 * with that parameter and a raised hung_task_timeout_secs.
 */
#include <linux/mm.h>

#include "kctx_test.h"

static unsigned int scale_nodes = 100000;
module_param(scale_nodes, uint, 0444);
MODULE_PARM_DESC(scale_nodes, "depth of the chain and width of the fan-out");

static u64 ns_per_node(ktime_t start)
{
	return div_u64(ktime_to_ns(ktime_sub(ktime_get(), start)), max(scale_nodes, 1U));
}

/* A chain of @depth cancel contexts below @root; returns the leaf. */
static struct kctx *build_chain(struct kunit *test, struct kctx *root, unsigned int depth)
{
	struct kctx *leaf = kctx_get(root), *next;
	unsigned int i;

	for (i = 0; i < depth; i++) {
		next = kctx_with_cancel(leaf, GFP_KERNEL);
		kctx_put(leaf);	/* the child's reference keeps it */
		KUNIT_ASSERT_NOT_ERR_OR_NULL(test, next);
		leaf = next;
		cond_resched();
	}
	return leaf;
}

static void million_deep_chain_cancels_and_frees_iteratively(struct kunit *test)
{
	struct kctx *root, *leaf;
	ktime_t t;

	root = KCTX_TEST_NEW(test, kctx_with_cancel(kctx_background(), GFP_KERNEL));
	t = ktime_get();
	leaf = build_chain(test, root, scale_nodes);
	kunit_info(test, "create: %llu ns/node", ns_per_node(t));

	t = ktime_get();
	kctx_cancel_cause(root, -ECHILD);
	kunit_info(test, "cancel: %llu ns/node", ns_per_node(t));
	KUNIT_EXPECT_EQ(test, kctx_err(leaf), -ECANCELED);
	KUNIT_EXPECT_EQ(test, kctx_cause(leaf), -ECHILD);
	KUNIT_EXPECT_TRUE(test, hlist_empty(&root->children));

	t = ktime_get();
	kctx_put(leaf);
	kunit_info(test, "free: %llu ns/node", ns_per_node(t));
	KUNIT_EXPECT_EQ(test, refcount_read(&root->ref), 1);
	kctx_put(root);
	rcu_barrier();
}

static void million_wide_fanout_cancels_every_child(struct kunit *test)
{
	struct kctx *parent, **child;
	unsigned int i, live = 0, wrong = 0;
	ktime_t t;

	child = kvmalloc_array(scale_nodes, sizeof(*child), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, child);
	parent = KCTX_TEST_NEW(test, kctx_with_cancel(kctx_background(), GFP_KERNEL));
	t = ktime_get();
	for (i = 0; i < scale_nodes; i++) {
		child[i] = kctx_with_cancel(parent, GFP_KERNEL);
		if (IS_ERR(child[i]))
			break;
		cond_resched();
	}
	kunit_info(test, "create: %llu ns/child", ns_per_node(t));
	KUNIT_ASSERT_EQ(test, i, scale_nodes);

	t = ktime_get();
	kctx_cancel_cause(parent, -EMLINK);
	kunit_info(test, "cancel: %llu ns/child", ns_per_node(t));
	for (i = 0; i < scale_nodes; i++) {
		live += !kctx_done(child[i]);
		wrong += kctx_cause(child[i]) != -EMLINK;
		kctx_put(child[i]);
		cond_resched();
	}
	KUNIT_EXPECT_EQ(test, live, 0);
	KUNIT_EXPECT_EQ(test, wrong, 0);
	KUNIT_EXPECT_EQ(test, refcount_read(&parent->ref), 1);
	kctx_put(parent);
	kvfree(child);
	rcu_barrier();
}

static void deadline_walk_reaches_the_bottom_of_a_deep_chain(struct kunit *test)
{
	struct kctx *root, *leaf;

	root = KCTX_TEST_NEW(test, kctx_with_timeout(kctx_background(), 3600 * NSEC_PER_SEC,
						     GFP_KERNEL));
	leaf = build_chain(test, root, scale_nodes / 10);
	/* Bring the deadline forward to now, as if the hour had passed. */
	hrtimer_start(&kctx_to_timer(root)->timer, 0, HRTIMER_MODE_ABS);
	KUNIT_ASSERT_GT(test, kctx_wait_timeout(leaf, 60 * HZ), 0);
	KUNIT_EXPECT_EQ(test, kctx_err(leaf), -ETIMEDOUT);
	kctx_deadline_flush();
	kctx_put(leaf);
	KUNIT_EXPECT_EQ(test, refcount_read(&root->ref), 1);
	kctx_put(root);
	rcu_barrier();
}

static struct kunit_case kctx_scale_cases[] = {
	KUNIT_CASE_SLOW(million_deep_chain_cancels_and_frees_iteratively),
	KUNIT_CASE_SLOW(million_wide_fanout_cancels_every_child),
	KUNIT_CASE_SLOW(deadline_walk_reaches_the_bottom_of_a_deep_chain),
	{}
};

struct kunit_suite kctx_scale_suite = {
	.name = "kctx_scale",
	.test_cases = kctx_scale_cases,
};

kunit_test_suite(kctx_scale_suite);
