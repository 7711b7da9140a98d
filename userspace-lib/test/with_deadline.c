// SPDX-License-Identifier: GPL-2.0
/*
 * kctx_with_deadline(): Go's WithDeadline, on CLOCK_MONOTONIC.
 */
#include "harness.h"

static struct timespec in_ms(int64_t ms)
{
	int64_t t = now_ns() + MS(ms);

	return (struct timespec){ .tv_sec = t / 1000000000, .tv_nsec = t % 1000000000 };
}

static int64_t ts_ns(const struct timespec *ts)
{
	return (int64_t)ts->tv_sec * 1000000000 + ts->tv_nsec;
}

TEST(with_deadline_fires_at_the_deadline)
{
	kctx_t *root = new_root(), *ctx;
	struct timespec dl = in_ms(100);
	int64_t cause;
	pid_t pid = 1;

	ASSERT_OK(kctx_with_deadline(root, &dl, &ctx));
	ASSERT_EQ(kctx_err(ctx), 0);
	ASSERT_OK(kctx_wait(ctx, KCTX_WAIT_FOREVER));
	/* Never early; late by no more than a slow VM's scheduling. */
	ASSERT_GE(now_ns(), ts_ns(&dl));
	ASSERT_LT(now_ns(), ts_ns(&dl) + MS(2000));
	ASSERT_EQ(kctx_err(ctx), -ETIMEDOUT);
	ASSERT_OK(kctx_cause(ctx, &cause));
	ASSERT_EQ(cause, -ETIMEDOUT);
	ASSERT_OK(kctx_canceller(ctx, &pid));
	ASSERT_EQ(pid, 0);
	/* The parent is untouched. */
	ASSERT_EQ(kctx_err(root), 0);
	kctx_free(ctx);
	kctx_free(root);
}

TEST(with_deadline_reports_the_deadline)
{
	kctx_t *root = new_root(), *ctx;
	struct timespec dl = in_ms(10000), got;

	ASSERT_OK(kctx_with_deadline(root, &dl, &ctx));
	ASSERT_OK(kctx_deadline(ctx, &got));
	ASSERT_EQ(ts_ns(&got), ts_ns(&dl));
	ASSERT_EQ(kctx_wait(ctx, MS(20)), -ETIMEDOUT);
	kctx_free(ctx);
	kctx_free(root);
}

TEST(with_deadline_in_the_past_is_born_done)
{
	kctx_t *root = new_root(), *ctx;
	struct timespec dl = { 0, 0 };

	ASSERT_OK(kctx_with_deadline(root, &dl, &ctx));
	ASSERT_EQ(kctx_err(ctx), -ETIMEDOUT);
	ASSERT_TRUE(is_done(ctx));
	kctx_free(ctx);
	kctx_free(root);
}

TEST(with_deadline_earlier_parent_deadline_wins)
{
	kctx_t *root = new_root(), *parent, *later, *earlier;
	struct timespec pdl = in_ms(5000), ldl = in_ms(9000), edl = in_ms(3000), got;

	ASSERT_OK(kctx_with_deadline(root, &pdl, &parent));
	ASSERT_OK(kctx_with_deadline(parent, &ldl, &later));
	ASSERT_OK(kctx_with_deadline(parent, &edl, &earlier));
	ASSERT_OK(kctx_deadline(later, &got));
	ASSERT_EQ(ts_ns(&got), ts_ns(&pdl));
	ASSERT_OK(kctx_deadline(earlier, &got));
	ASSERT_EQ(ts_ns(&got), ts_ns(&edl));
	kctx_free(earlier);
	kctx_free(later);
	kctx_free(parent);
	kctx_free(root);
}

TEST(with_deadline_cancel_first_wins)
{
	kctx_t *root = new_root(), *ctx;
	struct timespec dl = in_ms(50);

	ASSERT_OK(kctx_with_deadline(root, &dl, &ctx));
	ASSERT_OK(kctx_cancel(ctx));
	usleep(100000);
	ASSERT_EQ(kctx_err(ctx), -ECANCELED);
	kctx_free(ctx);
	kctx_free(root);
}

TEST(with_deadline_bad_times_are_einval)
{
	kctx_t *root = new_root(), *ctx = (kctx_t *)1;
	struct timespec dl = in_ms(1000);

	dl.tv_nsec = 1000000000;
	ASSERT_EQ(kctx_with_deadline(root, &dl, &ctx), -EINVAL);
	ASSERT_TRUE(ctx == NULL);
	dl.tv_nsec = -1;
	ASSERT_EQ(kctx_with_deadline(root, &dl, &ctx), -EINVAL);
	dl.tv_sec = -1;
	dl.tv_nsec = 0;
	ASSERT_EQ(kctx_with_deadline(root, &dl, &ctx), -EINVAL);
	ASSERT_EQ(kctx_with_deadline(root, NULL, &ctx), -EINVAL);
	ASSERT_EQ(kctx_with_deadline(NULL, &dl, &ctx), -EINVAL);
	ASSERT_EQ(kctx_with_deadline(root, &dl, NULL), -EINVAL);
	kctx_free(root);
}

TEST(with_deadline_on_watch_only_parent_is_eperm)
{
	kctx_t *root = new_root(), *w, *ctx;
	struct timespec dl = in_ms(1000);

	ASSERT_OK(kctx_watch(root, &w));
	ASSERT_EQ(kctx_with_deadline(w, &dl, &ctx), -EPERM);
	kctx_free(w);
	kctx_free(root);
}
