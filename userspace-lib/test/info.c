// SPDX-License-Identifier: GPL-2.0
/*
 * kctx_id(), kctx_canceller(), kctx_is_owner(): what a context is.
 */
#include "harness.h"

TEST(id_is_unique_and_links_to_the_parent)
{
	kctx_t *root = new_root(), *a, *b;
	uint64_t rid, aid, bid, ap, bp;

	ASSERT_OK(kctx_with_cancel(root, &a));
	ASSERT_OK(kctx_with_cancel(a, &b));
	ASSERT_OK(kctx_id(root, &rid, NULL));
	ASSERT_OK(kctx_id(a, &aid, &ap));
	ASSERT_OK(kctx_id(b, &bid, &bp));
	ASSERT_GT(rid, 1);
	ASSERT_EQ(ap, rid);
	ASSERT_EQ(bp, aid);
	ASSERT_NE(aid, bid);
	kctx_free(b);
	kctx_free(a);
	kctx_free(root);
}

TEST(id_is_the_same_through_a_watch)
{
	kctx_t *root = new_root(), *w;
	uint64_t a, b;

	ASSERT_OK(kctx_watch(root, &w));
	ASSERT_OK(kctx_id(root, &a, NULL));
	ASSERT_OK(kctx_id(w, &b, NULL));
	ASSERT_EQ(a, b);
	kctx_free(w);
	kctx_free(root);
}

TEST(id_errors)
{
	kctx_t *ctx = new_root();
	uint64_t id;

	ASSERT_EQ(kctx_id(NULL, &id, NULL), -EINVAL);
	ASSERT_EQ(kctx_id(ctx, NULL, NULL), -EINVAL);
	kctx_free(ctx);
}

TEST(canceller_is_zero_until_cancelled)
{
	kctx_t *ctx = new_root();
	pid_t pid = 1;

	ASSERT_OK(kctx_canceller(ctx, &pid));
	ASSERT_EQ(pid, 0);
	ASSERT_OK(kctx_cancel(ctx));
	ASSERT_OK(kctx_canceller(ctx, &pid));
	ASSERT_EQ(pid, getpid());
	kctx_free(ctx);
}

TEST(canceller_is_zero_once_it_is_gone)
{
	kctx_t *ctx = new_root();
	pid_t pid = 1, child;

	child = fork();
	ASSERT_GE(child, 0);
	if (child == 0)
		_exit(kctx_cancel(ctx) ? 1 : 0);
	ASSERT_EQ(wait_child(child), 0);
	ASSERT_OK(kctx_canceller(ctx, &pid));
	ASSERT_EQ(pid, 0);
	kctx_free(ctx);
}

TEST(canceller_errors)
{
	kctx_t *ctx = new_root();
	pid_t pid;

	ASSERT_EQ(kctx_canceller(NULL, &pid), -EINVAL);
	ASSERT_EQ(kctx_canceller(ctx, NULL), -EINVAL);
	kctx_free(ctx);
}

TEST(is_owner_tells_owner_from_watch)
{
	kctx_t *ctx = new_root(), *w, *ww;

	ASSERT_EQ(kctx_is_owner(ctx), 1);
	ASSERT_OK(kctx_watch(ctx, &w));
	ASSERT_EQ(kctx_is_owner(w), 0);
	ASSERT_OK(kctx_watch(w, &ww));
	ASSERT_EQ(kctx_is_owner(ww), 0);
	ASSERT_EQ(kctx_is_owner(NULL), -EINVAL);
	kctx_free(ww);
	kctx_free(w);
	kctx_free(ctx);
}
