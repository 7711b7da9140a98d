// SPDX-License-Identifier: GPL-2.0
/*
 * kctx_watch(): a watch-only handle, the stop_token to the owner's
 * stop_source.
 */
#include "harness.h"

TEST(watch_sees_the_cancel)
{
	kctx_t *ctx = new_root(), *w;
	int64_t cause;

	ASSERT_OK(kctx_watch(ctx, &w));
	ASSERT_EQ(kctx_err(w), 0);
	ASSERT_OK(kctx_cancel_cause(ctx, 7));
	ASSERT_OK(kctx_wait(w, 0));
	ASSERT_EQ(kctx_err(w), -ECANCELED);
	ASSERT_OK(kctx_cause(w, &cause));
	ASSERT_EQ(cause, 7);
	kctx_free(w);
	kctx_free(ctx);
}

TEST(watch_cannot_cancel_create_or_attach)
{
	kctx_t *ctx = new_root(), *w, *c;

	ASSERT_OK(kctx_watch(ctx, &w));
	ASSERT_EQ(kctx_cancel(w), -EPERM);
	ASSERT_EQ(kctx_cancel_cause(w, -EIO), -EPERM);
	ASSERT_EQ(kctx_with_cancel(w, &c), -EPERM);
	ASSERT_EQ(kctx_eventfd(w), -EPERM);
	ASSERT_EQ(kctx_err(ctx), 0);
	kctx_free(w);
	kctx_free(ctx);
}

TEST(watch_freed_cancels_nothing)
{
	kctx_t *ctx = new_root(), *w;

	ASSERT_OK(kctx_watch(ctx, &w));
	kctx_free(w);
	ASSERT_EQ(kctx_err(ctx), 0);
	kctx_free(ctx);
}

TEST(watch_of_a_watch)
{
	kctx_t *ctx = new_root(), *w, *ww;

	ASSERT_OK(kctx_watch(ctx, &w));
	ASSERT_OK(kctx_watch(w, &ww));
	ASSERT_OK(kctx_cancel(ctx));
	ASSERT_EQ(kctx_err(ww), -ECANCELED);
	kctx_free(ww);
	kctx_free(w);
	kctx_free(ctx);
}

TEST(watch_outlives_the_owner)
{
	kctx_t *ctx = new_root(), *w;

	ASSERT_OK(kctx_watch(ctx, &w));
	kctx_free(ctx);
	ASSERT_OK(kctx_wait(w, 0));
	kctx_free(w);
}

TEST(watch_errors)
{
	kctx_t *ctx = new_root(), *w = (kctx_t *)1;

	ASSERT_EQ(kctx_watch(NULL, &w), -EINVAL);
	ASSERT_TRUE(w == NULL);
	ASSERT_EQ(kctx_watch(ctx, NULL), -EINVAL);
	kctx_free(ctx);
}
