// SPDX-License-Identifier: GPL-2.0
/*
 * The shape of the tree: roots, children, cancel propagation, causes,
 * unlinking, references, and what debugfs and the tracepoints show.
 */
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/slab.h>
#include <linux/string.h>

#include "kctx_test.h"
#include "../kmod/kctx_trace.h"

static void background_is_never_done(struct kunit *test)
{
	struct kctx *bg = kctx_background();

	KUNIT_EXPECT_PTR_EQ(test, kctx_todo(), bg);
	KUNIT_EXPECT_FALSE(test, kctx_done(bg));
	KUNIT_EXPECT_EQ(test, kctx_err(bg), 0);
	KUNIT_EXPECT_FALSE(test, kctx_deadline(bg, NULL));
	kctx_cancel(bg);
	KUNIT_EXPECT_FALSE(test, kctx_done(bg));
	KUNIT_EXPECT_PTR_EQ(test, kctx_get(bg), bg);
	kctx_put(bg);
}

static void new_child_is_live(struct kunit *test)
{
	struct kctx *ctx = KCTX_TEST_NEW(test, kctx_with_cancel(kctx_background(), GFP_KERNEL));

	KUNIT_EXPECT_FALSE(test, kctx_done(ctx));
	KUNIT_EXPECT_EQ(test, kctx_err(ctx), 0);
	KUNIT_EXPECT_EQ(test, kctx_cause(ctx), 0);
	kctx_put(ctx);
}

static void cancel_without_cause_reports_ecanceled_twice(struct kunit *test)
{
	struct kctx *ctx = KCTX_TEST_NEW(test, kctx_with_cancel(kctx_background(), GFP_KERNEL));

	kctx_cancel(ctx);
	KUNIT_EXPECT_TRUE(test, kctx_done(ctx));
	KUNIT_EXPECT_EQ(test, kctx_err(ctx), -ECANCELED);
	KUNIT_EXPECT_EQ(test, kctx_cause(ctx), -ECANCELED);
	kctx_put(ctx);
}

static void cancel_cause_is_reported_beside_ecanceled(struct kunit *test)
{
	struct kctx *ctx = KCTX_TEST_NEW(test, kctx_with_cancel(kctx_background(), GFP_KERNEL));

	kctx_cancel_cause(ctx, -EPIPE);
	KUNIT_EXPECT_EQ(test, kctx_err(ctx), -ECANCELED);
	KUNIT_EXPECT_EQ(test, kctx_cause(ctx), -EPIPE);
	kctx_put(ctx);
}

static void first_cancel_wins(struct kunit *test)
{
	struct kctx *ctx = KCTX_TEST_NEW(test, kctx_with_cancel(kctx_background(), GFP_KERNEL));

	kctx_cancel_cause(ctx, -EPIPE);
	kctx_cancel_cause(ctx, -EIO);
	kctx_cancel(ctx);
	KUNIT_EXPECT_EQ(test, kctx_err(ctx), -ECANCELED);
	KUNIT_EXPECT_EQ(test, kctx_cause(ctx), -EPIPE);
	kctx_put(ctx);
}

static void parent_cancel_reaches_every_descendant_kind(struct kunit *test)
{
	static const int key;
	struct kctx *root, *c[5];
	int i;

	root = KCTX_TEST_NEW(test, kctx_with_cancel(kctx_background(), GFP_KERNEL));
	c[0] = KCTX_TEST_NEW(test, kctx_with_cancel(root, GFP_KERNEL));
	c[1] = KCTX_TEST_NEW(test, kctx_with_value(c[0], &key, NULL, GFP_KERNEL));
	c[2] = KCTX_TEST_NEW(test, kctx_with_timeout(c[1], 3600 * NSEC_PER_SEC, GFP_KERNEL));
	c[3] = KCTX_TEST_NEW(test, kctx_with_cancel(c[2], GFP_KERNEL));
	c[4] = KCTX_TEST_NEW(test, kctx_with_cancel(root, GFP_KERNEL));

	kctx_cancel_cause(root, -ECONNRESET);
	for (i = 0; i < ARRAY_SIZE(c); i++) {
		KUNIT_EXPECT_EQ_MSG(test, kctx_err(c[i]), -ECANCELED, "child %d", i);
		KUNIT_EXPECT_EQ_MSG(test, kctx_cause(c[i]), -ECONNRESET, "child %d", i);
	}
	for (i = ARRAY_SIZE(c) - 1; i >= 0; i--)
		kctx_put(c[i]);
	kctx_put(root);
}

/*
 * The window item 5 of the hardening work is about: @mid is done, but the
 * walk below it hasn't run, as when its deadline fired and the walk is
 * still queued, or another cancel marked it and was preempted. Marking it
 * directly, with no walk at all, holds that window open for good. Go's
 * promise is that the parent's cancel still returns with every descendant
 * done, and that they report @mid's cancel, which reached them first.
 */
static void parent_cancel_finishes_a_subtree_marked_by_another(struct kunit *test)
{
	static const struct kctx_why other = { .err = -ECANCELED, .cause = -EPIPE };
	struct kctx *root, *mid, *leaf;

	root = KCTX_TEST_NEW(test, kctx_with_cancel(kctx_background(), GFP_KERNEL));
	mid = KCTX_TEST_NEW(test, kctx_with_cancel(root, GFP_KERNEL));
	leaf = KCTX_TEST_NEW(test, kctx_with_cancel(mid, GFP_KERNEL));
	KUNIT_ASSERT_TRUE(test, kctx_mark_done(mid, &other));
	KUNIT_ASSERT_FALSE(test, kctx_done(leaf));

	kctx_cancel_cause(root, -ECONNRESET);
	KUNIT_EXPECT_EQ(test, kctx_err(leaf), -ECANCELED);
	KUNIT_EXPECT_EQ(test, kctx_cause(leaf), -EPIPE);
	KUNIT_EXPECT_EQ(test, kctx_cause(mid), -EPIPE);
	KUNIT_EXPECT_TRUE(test, hlist_empty(&root->children));
	kctx_put(leaf);
	kctx_put(mid);
	kctx_put(root);
}

/* The same promise for a second cancel of the node itself, as in Go. */
static void second_cancel_returns_with_the_subtree_done(struct kunit *test)
{
	static const struct kctx_why other = { .err = -ECANCELED, .cause = -EPIPE };
	struct kctx *mid, *leaf;

	mid = KCTX_TEST_NEW(test, kctx_with_cancel(kctx_background(), GFP_KERNEL));
	leaf = KCTX_TEST_NEW(test, kctx_with_cancel(mid, GFP_KERNEL));
	KUNIT_ASSERT_TRUE(test, kctx_mark_done(mid, &other));

	kctx_cancel(mid);
	KUNIT_EXPECT_EQ(test, kctx_cause(leaf), -EPIPE);
	KUNIT_EXPECT_TRUE(test, hlist_empty(&mid->children));
	kctx_put(leaf);
	kctx_put(mid);
}

static void child_cancel_leaves_parent_live_and_unlinks_child(struct kunit *test)
{
	struct kctx *parent, *child;

	parent = KCTX_TEST_NEW(test, kctx_with_cancel(kctx_background(), GFP_KERNEL));
	child = KCTX_TEST_NEW(test, kctx_with_cancel(parent, GFP_KERNEL));
	KUNIT_EXPECT_FALSE(test, hlist_empty(&parent->children));

	kctx_cancel(child);
	KUNIT_EXPECT_FALSE(test, kctx_done(parent));
	KUNIT_EXPECT_TRUE(test, hlist_empty(&parent->children));
	kctx_put(child);
	kctx_put(parent);
}

static void dropping_a_live_child_unlinks_it(struct kunit *test)
{
	struct kctx *parent, *child;

	parent = KCTX_TEST_NEW(test, kctx_with_cancel(kctx_background(), GFP_KERNEL));
	child = KCTX_TEST_NEW(test, kctx_with_cancel(parent, GFP_KERNEL));
	kctx_put(child);
	KUNIT_EXPECT_TRUE(test, hlist_empty(&parent->children));
	KUNIT_EXPECT_EQ(test, refcount_read(&parent->ref), 1);
	kctx_put(parent);
}

static void child_of_done_parent_is_born_done_and_unlinked(struct kunit *test)
{
	struct kctx *parent, *child;

	parent = KCTX_TEST_NEW(test, kctx_with_cancel(kctx_background(), GFP_KERNEL));
	kctx_cancel_cause(parent, -ESHUTDOWN);
	child = KCTX_TEST_NEW(test, kctx_with_cancel(parent, GFP_KERNEL));
	KUNIT_EXPECT_EQ(test, kctx_err(child), -ECANCELED);
	KUNIT_EXPECT_EQ(test, kctx_cause(child), -ESHUTDOWN);
	KUNIT_EXPECT_TRUE(test, hlist_empty(&parent->children));
	kctx_put(child);
	kctx_put(parent);
}

static void without_cancel_survives_parent_cancel(struct kunit *test)
{
	struct kctx *parent, *detached, *grandchild;

	parent = KCTX_TEST_NEW(test, kctx_with_cancel(kctx_background(), GFP_KERNEL));
	detached = KCTX_TEST_NEW(test, kctx_without_cancel(parent, GFP_KERNEL));
	grandchild = KCTX_TEST_NEW(test, kctx_with_cancel(detached, GFP_KERNEL));

	kctx_cancel(parent);
	KUNIT_EXPECT_FALSE(test, kctx_done(detached));
	KUNIT_EXPECT_FALSE(test, kctx_done(grandchild));
	kctx_cancel(detached);
	KUNIT_EXPECT_FALSE(test, kctx_done(detached));

	kctx_cancel(grandchild);
	KUNIT_EXPECT_TRUE(test, kctx_done(grandchild));
	kctx_put(grandchild);
	kctx_put(detached);
	kctx_put(parent);
}

static void without_cancel_of_done_parent_is_live(struct kunit *test)
{
	struct kctx *parent, *detached;

	parent = KCTX_TEST_NEW(test, kctx_with_cancel(kctx_background(), GFP_KERNEL));
	kctx_cancel(parent);
	detached = KCTX_TEST_NEW(test, kctx_without_cancel(parent, GFP_KERNEL));
	KUNIT_EXPECT_FALSE(test, kctx_done(detached));
	kctx_put(detached);
	kctx_put(parent);
}

static void value_context_cannot_be_cancelled_alone(struct kunit *test)
{
	static const int key;
	struct kctx *parent, *v;

	parent = KCTX_TEST_NEW(test, kctx_with_cancel(kctx_background(), GFP_KERNEL));
	v = KCTX_TEST_NEW(test, kctx_with_value(parent, &key, NULL, GFP_KERNEL));
	kctx_cancel(v);
	KUNIT_EXPECT_FALSE(test, kctx_done(v));
	kctx_cancel_cause(parent, -EINTR);
	KUNIT_EXPECT_EQ(test, kctx_cause(v), -EINTR);
	kctx_put(v);
	kctx_put(parent);
}

static void child_holds_a_reference_on_its_parent(struct kunit *test)
{
	struct kctx *parent, *child;

	parent = KCTX_TEST_NEW(test, kctx_with_cancel(kctx_background(), GFP_KERNEL));
	KUNIT_EXPECT_EQ(test, refcount_read(&parent->ref), 1);
	child = KCTX_TEST_NEW(test, kctx_with_cancel(parent, GFP_KERNEL));
	KUNIT_EXPECT_EQ(test, refcount_read(&parent->ref), 2);
	KUNIT_EXPECT_PTR_EQ(test, kctx_get(child), child);
	KUNIT_EXPECT_EQ(test, refcount_read(&child->ref), 2);
	kctx_put(child);
	kctx_put(child);
	KUNIT_EXPECT_EQ(test, refcount_read(&parent->ref), 1);
	kctx_put(parent);
}

static void ids_are_unique_and_rising(struct kunit *test)
{
	struct kctx *a, *b;

	a = KCTX_TEST_NEW(test, kctx_with_cancel(kctx_background(), GFP_KERNEL));
	b = KCTX_TEST_NEW(test, kctx_with_cancel(kctx_background(), GFP_KERNEL));
	KUNIT_EXPECT_EQ(test, kctx_id(kctx_background()), 1);
	KUNIT_EXPECT_GT(test, kctx_id(b), kctx_id(a));
	KUNIT_EXPECT_GT(test, kctx_id(a), 1);
	kctx_put(b);
	kctx_put(a);
}

struct cancel_probe {
	u64 id;
	int err, cause, hits;
};

static void cancel_probe_fn(void *data, const struct kctx *ctx, int err, int cause)
{
	struct cancel_probe *p = data;

	if (ctx->id != p->id)
		return;
	p->err = err;
	p->cause = cause;
	p->hits++;
}

static void cancel_tracepoint_carries_the_cause(struct kunit *test)
{
	struct cancel_probe probe = {};
	struct kctx *ctx;

	if (!IS_ENABLED(CONFIG_TRACEPOINTS))
		kunit_skip(test, "CONFIG_TRACEPOINTS is off");
	ctx = KCTX_TEST_NEW(test, kctx_with_cancel(kctx_background(), GFP_KERNEL));
	probe.id = kctx_id(ctx);
	KUNIT_ASSERT_EQ(test, register_trace_kctx_cancel(cancel_probe_fn, &probe), 0);
	kctx_cancel_cause(ctx, -ENOLINK);
	kctx_cancel(ctx);
	unregister_trace_kctx_cancel(cancel_probe_fn, &probe);
	tracepoint_synchronize_unregister();
	KUNIT_EXPECT_EQ(test, probe.hits, 1);
	KUNIT_EXPECT_EQ(test, probe.err, -ECANCELED);
	KUNIT_EXPECT_EQ(test, probe.cause, -ENOLINK);
	kctx_put(ctx);
}

/* Read /sys/kernel/debug/kctx/tree into a buffer the test owns. */
static char *read_debugfs_tree(struct kunit *test)
{
	const size_t size = 64 * 1024;
	char *buf = kunit_kzalloc(test, size, GFP_KERNEL);
	struct file *f;
	loff_t pos = 0;
	ssize_t n;

	KUNIT_ASSERT_NOT_NULL(test, buf);
	f = filp_open("/sys/kernel/debug/kctx/tree", O_RDONLY, 0);
	if (IS_ERR(f))
		kunit_skip(test, "debugfs is not mounted");
	n = kernel_read(f, buf, size - 1, &pos);
	fput(f);
	KUNIT_ASSERT_GT_MSG(test, n, 0, "reading the tree gave %zd", n);
	return buf;
}

static void debugfs_tree_shows_state_and_nesting(struct kunit *test)
{
	struct kctx *parent, *child;
	char *tree, *line, want[64];

	parent = KCTX_TEST_NEW(test, kctx_with_cancel(kctx_background(), GFP_KERNEL));
	child = KCTX_TEST_NEW(test, kctx_with_timeout(parent, 3600 * NSEC_PER_SEC, GFP_KERNEL));
	kctx_cancel_cause(child, -EPROTO);
	kctx_put(child);
	child = KCTX_TEST_NEW(test, kctx_with_timeout(parent, 3600 * NSEC_PER_SEC, GFP_KERNEL));

	tree = read_debugfs_tree(test);
	KUNIT_EXPECT_TRUE(test, strstr(tree, "1 background live") == tree);
	/* The test's reference and the child's; not the walk's own. */
	snprintf(want, sizeof(want), "\n  %llu cancel live ref=2 depth=1", kctx_id(parent));
	KUNIT_EXPECT_NOT_NULL_MSG(test, strstr(tree, want), "%s", tree);
	snprintf(want, sizeof(want), "\n    %llu deadline live deadline_in_ns=", kctx_id(child));
	line = strstr(tree, want);
	KUNIT_EXPECT_NOT_NULL_MSG(test, line, "%s", tree);
	KUNIT_EXPECT_NOT_NULL(test, strstr(line ?: "", "site="));
	kctx_cancel(parent);
	kctx_put(child);
	kctx_put(parent);
}

/*
 * The debugfs walk reads a list under RCU while nodes are freed and made
 * again from the same memory, so the node after the one it holds may by
 * then be on another list. Following @other_first's link to its sibling
 * is that case, made on purpose: the walk must not take that sibling for
 * one of @parent's children.
 */
static void tree_walk_refuses_a_node_from_another_list(struct kunit *test)
{
	struct kctx *parent, *child, *other, *other_first, *other_second, *held;

	parent = KCTX_TEST_NEW(test, kctx_with_cancel(kctx_background(), GFP_KERNEL));
	child = KCTX_TEST_NEW(test, kctx_with_cancel(parent, GFP_KERNEL));
	other = KCTX_TEST_NEW(test, kctx_with_cancel(kctx_background(), GFP_KERNEL));
	other_second = KCTX_TEST_NEW(test, kctx_with_cancel(other, GFP_KERNEL));
	other_first = KCTX_TEST_NEW(test, kctx_with_cancel(other, GFP_KERNEL));

	held = kctx_tree_hold(parent, NULL);
	KUNIT_EXPECT_PTR_EQ(test, held, child);
	KUNIT_EXPECT_EQ(test, refcount_read(&child->ref), 2);
	kctx_put(held);
	KUNIT_EXPECT_NULL(test, kctx_tree_hold(parent, child));
	/* other_first's next is other_second, which is not parent's child. */
	KUNIT_EXPECT_NULL(test, kctx_tree_hold(parent, other_first));
	KUNIT_EXPECT_EQ(test, refcount_read(&other_second->ref), 1);
	held = kctx_tree_hold(other, other_first);
	KUNIT_EXPECT_PTR_EQ(test, held, other_second);
	kctx_put(held);

	kctx_put(other_first);
	kctx_put(other_second);
	kctx_put(other);
	kctx_put(child);
	kctx_put(parent);
}

static void object_sizes_are_reported(struct kunit *test)
{
	kunit_info(test, "kctx %u B, kctx_value %u B, kctx_deadline %u B (slab object sizes)",
		   kmem_cache_size(kctx_caches[KCTX_NODE_CANCEL]),
		   kmem_cache_size(kctx_caches[KCTX_NODE_VALUE]),
		   kmem_cache_size(kctx_caches[KCTX_NODE_DEADLINE]));
	/* The budget holds for production kernels; lockdep and KASAN inflate these. */
	KUNIT_EXPECT_GE(test, kmem_cache_size(kctx_caches[KCTX_NODE_CANCEL]), sizeof(struct kctx));
	KUNIT_EXPECT_GE(test, kmem_cache_size(kctx_caches[KCTX_NODE_DEADLINE]),
			sizeof(struct kctx_timer));
}

static struct kunit_case kctx_tree_cases[] = {
	KUNIT_CASE(background_is_never_done),
	KUNIT_CASE(new_child_is_live),
	KUNIT_CASE(cancel_without_cause_reports_ecanceled_twice),
	KUNIT_CASE(cancel_cause_is_reported_beside_ecanceled),
	KUNIT_CASE(first_cancel_wins),
	KUNIT_CASE(parent_cancel_reaches_every_descendant_kind),
	KUNIT_CASE(parent_cancel_finishes_a_subtree_marked_by_another),
	KUNIT_CASE(second_cancel_returns_with_the_subtree_done),
	KUNIT_CASE(child_cancel_leaves_parent_live_and_unlinks_child),
	KUNIT_CASE(dropping_a_live_child_unlinks_it),
	KUNIT_CASE(child_of_done_parent_is_born_done_and_unlinked),
	KUNIT_CASE(without_cancel_survives_parent_cancel),
	KUNIT_CASE(without_cancel_of_done_parent_is_live),
	KUNIT_CASE(value_context_cannot_be_cancelled_alone),
	KUNIT_CASE(child_holds_a_reference_on_its_parent),
	KUNIT_CASE(ids_are_unique_and_rising),
	KUNIT_CASE(cancel_tracepoint_carries_the_cause),
	KUNIT_CASE(debugfs_tree_shows_state_and_nesting),
	KUNIT_CASE(tree_walk_refuses_a_node_from_another_list),
	KUNIT_CASE(object_sizes_are_reported),
	{}
};

struct kunit_suite kctx_tree_suite = {
	.name = "kctx_tree",
	.test_cases = kctx_tree_cases,
};

kunit_test_suite(kctx_tree_suite);
