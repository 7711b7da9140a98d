// SPDX-License-Identifier: GPL-2.0
/*
 * kctx_value(): Go's Value, looked up through the chain of parents.
 */
#include "harness.h"

TEST(value_absent_is_enoent)
{
	kctx_t *root = new_root(), *ctx;
	uint64_t v = 77;

	ASSERT_OK(kctx_with_value(root, 1, 2, &ctx));
	ASSERT_EQ(kctx_value(ctx, 2, &v), -ENOENT);
	ASSERT_EQ(v, 77);
	kctx_free(ctx);
	kctx_free(root);
}

TEST(value_is_found_through_every_kind)
{
	kctx_t *root = new_root(), *val, *c, *d, *w, *leaf;
	uint64_t v;

	ASSERT_OK(kctx_with_value(root, 100, 1, &val));
	ASSERT_OK(kctx_with_cancel(val, &c));
	ASSERT_OK(kctx_with_timeout(c, 10000000000ull, &d));
	ASSERT_OK(kctx_without_cancel(d, &w));
	ASSERT_OK(kctx_with_cancel(w, &leaf));
	ASSERT_OK(kctx_value(leaf, 100, &v));
	ASSERT_EQ(v, 1);
	kctx_free(leaf);
	kctx_free(w);
	kctx_free(d);
	kctx_free(c);
	kctx_free(val);
	kctx_free(root);
}

TEST(value_readable_through_a_watch_only_fd)
{
	kctx_t *root = new_root(), *val, *w;
	uint64_t v;

	ASSERT_OK(kctx_with_value(root, 5, 55, &val));
	ASSERT_OK(kctx_watch(val, &w));
	ASSERT_OK(kctx_value(w, 5, &v));
	ASSERT_EQ(v, 55);
	kctx_free(w);
	kctx_free(val);
	kctx_free(root);
}

TEST(value_outlives_cancel)
{
	kctx_t *root = new_root(), *val;
	uint64_t v;

	ASSERT_OK(kctx_with_value(root, 5, 55, &val));
	ASSERT_OK(kctx_cancel(root));
	ASSERT_OK(kctx_value(val, 5, &v));
	ASSERT_EQ(v, 55);
	kctx_free(val);
	kctx_free(root);
}

TEST(value_null_arguments_are_einval)
{
	kctx_t *ctx = new_root();
	uint64_t v;

	ASSERT_EQ(kctx_value(NULL, 1, &v), -EINVAL);
	ASSERT_EQ(kctx_value(ctx, 1, NULL), -EINVAL);
	kctx_free(ctx);
}
