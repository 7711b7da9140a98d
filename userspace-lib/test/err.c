// SPDX-License-Identifier: GPL-2.0
/*
 * kctx_err(): Go's Err. 0, -ECANCELED or -ETIMEDOUT.
 */
#include "harness.h"

TEST(err_is_zero_while_live)
{
	kctx_t *ctx = new_root();

	ASSERT_EQ(kctx_err(ctx), 0);
	kctx_free(ctx);
}

TEST(err_is_ecanceled_after_cancel)
{
	kctx_t *ctx = new_root();

	ASSERT_OK(kctx_cancel_cause(ctx, 99));
	ASSERT_EQ(kctx_err(ctx), -ECANCELED);
	kctx_free(ctx);
}

TEST(err_is_etimedout_after_deadline)
{
	kctx_t *root = new_root(), *ctx, *child;

	ASSERT_OK(kctx_with_timeout(root, MS(10), &ctx));
	ASSERT_OK(kctx_with_cancel(ctx, &child));
	ASSERT_OK(kctx_wait(child, KCTX_WAIT_FOREVER));
	ASSERT_EQ(kctx_err(ctx), -ETIMEDOUT);
	/* A child done because its parent's deadline passed says so too. */
	ASSERT_EQ(kctx_err(child), -ETIMEDOUT);
	kctx_free(child);
	kctx_free(ctx);
	kctx_free(root);
}

TEST(err_is_ecanceled_when_the_owner_is_gone)
{
	kctx_t *ctx = new_root(), *w;

	ASSERT_OK(kctx_watch(ctx, &w));
	kctx_free(ctx);
	ASSERT_EQ(kctx_err(w), -ECANCELED);
	kctx_free(w);
}

TEST(err_null_is_einval)
{
	ASSERT_EQ(kctx_err(NULL), -EINVAL);
}

/* kctx_done(): Go's non-blocking look at Done(), 1 once done. */
TEST(done_is_one_once_done)
{
	kctx_t *ctx = new_root(), *child;

	ASSERT_OK(kctx_with_cancel(ctx, &child));
	ASSERT_EQ(kctx_done(child), 0);
	ASSERT_OK(kctx_cancel(ctx));
	ASSERT_EQ(kctx_done(child), 1);
	ASSERT_EQ(kctx_done(NULL), -EINVAL);
	kctx_free(child);
	kctx_free(ctx);
}
