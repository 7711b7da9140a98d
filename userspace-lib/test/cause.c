// SPDX-License-Identifier: GPL-2.0
/*
 * kctx_cause(): Go's Cause.
 */
#include "harness.h"

TEST(cause_is_zero_while_live)
{
	kctx_t *ctx = new_root();
	int64_t cause = 5;

	ASSERT_OK(kctx_cause(ctx, &cause));
	ASSERT_EQ(cause, 0);
	kctx_free(ctx);
}

TEST(cause_of_a_plain_cancel_is_ecanceled)
{
	kctx_t *ctx = new_root();
	int64_t cause;

	ASSERT_OK(kctx_cancel(ctx));
	ASSERT_OK(kctx_cause(ctx, &cause));
	ASSERT_EQ(cause, -ECANCELED);
	kctx_free(ctx);
}

TEST(cause_of_a_deadline_is_etimedout)
{
	kctx_t *root = new_root(), *ctx, *child;
	int64_t cause;

	ASSERT_OK(kctx_with_timeout(root, MS(10), &ctx));
	ASSERT_OK(kctx_with_value(ctx, 1, 1, &child));
	ASSERT_OK(kctx_wait(child, KCTX_WAIT_FOREVER));
	ASSERT_OK(kctx_cause(child, &cause));
	ASSERT_EQ(cause, -ETIMEDOUT);
	kctx_free(child);
	kctx_free(ctx);
	kctx_free(root);
}

TEST(cause_of_a_dead_owner_is_eownerdead)
{
	kctx_t *ctx = new_root(), *child, *w;
	int64_t cause;

	ASSERT_OK(kctx_with_cancel(ctx, &child));
	ASSERT_OK(kctx_watch(ctx, &w));
	kctx_free(ctx);
	ASSERT_OK(kctx_cause(w, &cause));
	ASSERT_EQ(cause, -EOWNERDEAD);
	ASSERT_OK(kctx_cause(child, &cause));
	ASSERT_EQ(cause, -EOWNERDEAD);
	ASSERT_EQ(kctx_err(child), -ECANCELED);
	kctx_free(child);
	kctx_free(w);
}

TEST(cause_null_arguments_are_einval)
{
	kctx_t *ctx = new_root();
	int64_t cause;

	ASSERT_EQ(kctx_cause(NULL, &cause), -EINVAL);
	ASSERT_EQ(kctx_cause(ctx, NULL), -EINVAL);
	kctx_free(ctx);
}
