// SPDX-License-Identifier: GPL-2.0
/*
 * kctx_with_timeout(): Go's WithTimeout, a deadline relative to now.
 */
#include "harness.h"

TEST(with_timeout_fires_after_the_timeout)
{
	kctx_t *root = new_root(), *ctx;
	int64_t t0 = now_ns(), cause;

	ASSERT_OK(kctx_with_timeout(root, MS(50), &ctx));
	ASSERT_OK(kctx_wait(ctx, KCTX_WAIT_FOREVER));
	ASSERT_GE(now_ns() - t0, MS(50));
	ASSERT_LT(now_ns() - t0, MS(2050));
	ASSERT_EQ(kctx_err(ctx), -ETIMEDOUT);
	ASSERT_OK(kctx_cause(ctx, &cause));
	ASSERT_EQ(cause, -ETIMEDOUT);
	kctx_free(ctx);
	kctx_free(root);
}

TEST(with_timeout_deadline_is_now_plus_timeout)
{
	kctx_t *root = new_root(), *ctx;
	int64_t t0 = now_ns(), t1, dl;
	struct timespec got;

	ASSERT_OK(kctx_with_timeout(root, 10000000000ull, &ctx));
	t1 = now_ns();
	ASSERT_OK(kctx_deadline(ctx, &got));
	dl = (int64_t)got.tv_sec * 1000000000 + got.tv_nsec;
	ASSERT_GE(dl, t0 + 10000000000ll);
	ASSERT_LE(dl, t1 + 10000000000ll);
	kctx_free(ctx);
	kctx_free(root);
}

TEST(with_timeout_zero_is_born_done)
{
	kctx_t *root = new_root(), *ctx;

	ASSERT_OK(kctx_with_timeout(root, 0, &ctx));
	ASSERT_EQ(kctx_err(ctx), -ETIMEDOUT);
	kctx_free(ctx);
	kctx_free(root);
}

TEST(with_timeout_huge_never_fires)
{
	kctx_t *root = new_root(), *ctx;
	struct timespec got;
	int r;

	ASSERT_OK(kctx_with_timeout(root, UINT64_MAX, &ctx));
	ASSERT_EQ(kctx_wait(ctx, MS(20)), -ETIMEDOUT);
	/* Saturated: "never", or a deadline centuries away. */
	r = kctx_deadline(ctx, &got);
	if (r != -ENOENT) {
		ASSERT_OK(r);
		ASSERT_GT(got.tv_sec, 100LL * 365 * 86400);
	}
	kctx_free(ctx);
	kctx_free(root);
}

TEST(with_timeout_errors)
{
	kctx_t *root = new_root(), *w, *ctx = (kctx_t *)1;

	ASSERT_EQ(kctx_with_timeout(NULL, MS(1), &ctx), -EINVAL);
	ASSERT_TRUE(ctx == NULL);
	ASSERT_EQ(kctx_with_timeout(root, MS(1), NULL), -EINVAL);
	ASSERT_OK(kctx_watch(root, &w));
	ASSERT_EQ(kctx_with_timeout(w, MS(1), &ctx), -EPERM);
	kctx_free(w);
	kctx_free(root);
}
