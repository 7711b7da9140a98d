// SPDX-License-Identifier: GPL-2.0
/*
 * kctx_without_cancel(): Go's WithoutCancel. Values, but no done.
 */
#include "harness.h"

TEST(without_cancel_keeps_values)
{
	kctx_t *root = new_root(), *val, *ctx;
	uint64_t v;

	ASSERT_OK(kctx_with_value(root, 3, 33, &val));
	ASSERT_OK(kctx_without_cancel(val, &ctx));
	ASSERT_OK(kctx_value(ctx, 3, &v));
	ASSERT_EQ(v, 33);
	kctx_free(ctx);
	kctx_free(val);
	kctx_free(root);
}

TEST(without_cancel_outlives_its_parent)
{
	kctx_t *root = new_root(), *ctx, *child;

	ASSERT_OK(kctx_without_cancel(root, &ctx));
	ASSERT_OK(kctx_with_cancel(ctx, &child));
	ASSERT_OK(kctx_cancel(root));
	ASSERT_EQ(kctx_err(ctx), 0);
	ASSERT_EQ(kctx_err(child), 0);
	ASSERT_EQ(kctx_wait(ctx, MS(10)), -ETIMEDOUT);
	kctx_free(child);
	kctx_free(ctx);
	kctx_free(root);
}

TEST(without_cancel_drops_the_deadline)
{
	kctx_t *root = new_root(), *dl, *ctx;
	struct timespec ts;

	ASSERT_OK(kctx_with_timeout(root, MS(20), &dl));
	ASSERT_OK(kctx_deadline(dl, &ts));
	ASSERT_OK(kctx_without_cancel(dl, &ctx));
	ASSERT_EQ(kctx_deadline(ctx, &ts), -ENOENT);
	ASSERT_OK(kctx_wait(dl, KCTX_WAIT_FOREVER));
	ASSERT_EQ(kctx_err(ctx), 0);
	kctx_free(ctx);
	kctx_free(dl);
	kctx_free(root);
}

TEST(without_cancel_cannot_be_cancelled_but_its_children_can)
{
	kctx_t *root = new_root(), *ctx, *child;

	ASSERT_OK(kctx_without_cancel(root, &ctx));
	ASSERT_OK(kctx_cancel(ctx));
	ASSERT_EQ(kctx_err(ctx), 0);
	ASSERT_OK(kctx_with_cancel(ctx, &child));
	ASSERT_OK(kctx_cancel(child));
	ASSERT_EQ(kctx_err(child), -ECANCELED);
	ASSERT_EQ(kctx_err(ctx), 0);
	kctx_free(child);
	kctx_free(ctx);
	kctx_free(root);
}

TEST(without_cancel_of_a_done_parent_is_live)
{
	kctx_t *root = new_root(), *ctx;

	ASSERT_OK(kctx_cancel(root));
	ASSERT_OK(kctx_without_cancel(root, &ctx));
	ASSERT_EQ(kctx_err(ctx), 0);
	kctx_free(ctx);
	kctx_free(root);
}

TEST(without_cancel_errors)
{
	kctx_t *root = new_root(), *w, *ctx = (kctx_t *)1;

	ASSERT_EQ(kctx_without_cancel(NULL, &ctx), -EINVAL);
	ASSERT_TRUE(ctx == NULL);
	ASSERT_EQ(kctx_without_cancel(root, NULL), -EINVAL);
	ASSERT_OK(kctx_watch(root, &w));
	ASSERT_EQ(kctx_without_cancel(w, &ctx), -EPERM);
	kctx_free(w);
	kctx_free(root);
}
