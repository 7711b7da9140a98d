// SPDX-License-Identifier: GPL-2.0
/*
 * kctx_with_value(): Go's WithValue, a 64-bit value under a 64-bit key.
 */
#include "harness.h"

TEST(with_value_carries_the_value)
{
	kctx_t *root = new_root(), *ctx;
	uint64_t v = 0;

	ASSERT_OK(kctx_with_value(root, 7, 0xfeedface12345678ull, &ctx));
	ASSERT_OK(kctx_value(ctx, 7, &v));
	ASSERT_EQ(v, 0xfeedface12345678ull);
	ASSERT_EQ(kctx_value(root, 7, &v), -ENOENT);
	ASSERT_EQ(kctx_is_owner(ctx), 1);
	kctx_free(ctx);
	kctx_free(root);
}

TEST(with_value_nearest_wins)
{
	kctx_t *root = new_root(), *a, *b, *c;
	uint64_t v;

	ASSERT_OK(kctx_with_value(root, 1, 10, &a));
	ASSERT_OK(kctx_with_cancel(a, &b));
	ASSERT_OK(kctx_with_value(b, 1, 20, &c));
	ASSERT_OK(kctx_value(b, 1, &v));
	ASSERT_EQ(v, 10);
	ASSERT_OK(kctx_value(c, 1, &v));
	ASSERT_EQ(v, 20);
	kctx_free(c);
	kctx_free(b);
	kctx_free(a);
	kctx_free(root);
}

TEST(with_value_zero_key_and_value)
{
	kctx_t *root = new_root(), *ctx;
	uint64_t v = 1;

	ASSERT_OK(kctx_with_value(root, 0, 0, &ctx));
	ASSERT_OK(kctx_value(ctx, 0, &v));
	ASSERT_EQ(v, 0);
	kctx_free(ctx);
	kctx_free(root);
}

TEST(with_value_is_done_with_its_parent)
{
	kctx_t *root = new_root(), *ctx;

	ASSERT_OK(kctx_with_value(root, 1, 2, &ctx));
	ASSERT_OK(kctx_cancel_cause(root, -EIO));
	ASSERT_EQ(kctx_err(ctx), -ECANCELED);
	ASSERT_TRUE(is_done(ctx));
	kctx_free(ctx);
	kctx_free(root);
}

TEST(with_value_cannot_be_cancelled_by_itself)
{
	kctx_t *root = new_root(), *ctx;

	ASSERT_OK(kctx_with_value(root, 1, 2, &ctx));
	ASSERT_OK(kctx_cancel(ctx));
	ASSERT_EQ(kctx_err(ctx), 0);
	ASSERT_FALSE(is_done(ctx));
	kctx_free(ctx);
	kctx_free(root);
}

TEST(with_value_errors)
{
	kctx_t *root = new_root(), *w, *ctx = (kctx_t *)1;

	ASSERT_EQ(kctx_with_value(NULL, 1, 2, &ctx), -EINVAL);
	ASSERT_TRUE(ctx == NULL);
	ASSERT_EQ(kctx_with_value(root, 1, 2, NULL), -EINVAL);
	ASSERT_OK(kctx_watch(root, &w));
	ASSERT_EQ(kctx_with_value(w, 1, 2, &ctx), -EPERM);
	kctx_free(w);
	kctx_free(root);
}
