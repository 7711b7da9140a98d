// SPDX-License-Identifier: GPL-2.0
/*
 * kctx_deadline(): Go's Deadline, the effective one on CLOCK_MONOTONIC.
 */
#include "harness.h"

TEST(deadline_none_is_enoent)
{
	kctx_t *ctx = new_root();
	struct timespec ts;

	ASSERT_EQ(kctx_deadline(ctx, &ts), -ENOENT);
	kctx_free(ctx);
}

TEST(deadline_is_inherited)
{
	kctx_t *root = new_root(), *dl, *c, *v;
	struct timespec a, b;

	ASSERT_OK(kctx_with_timeout(root, 5000000000ull, &dl));
	ASSERT_OK(kctx_with_cancel(dl, &c));
	ASSERT_OK(kctx_with_value(c, 1, 1, &v));
	ASSERT_OK(kctx_deadline(dl, &a));
	ASSERT_OK(kctx_deadline(v, &b));
	ASSERT_EQ(a.tv_sec, b.tv_sec);
	ASSERT_EQ(a.tv_nsec, b.tv_nsec);
	ASSERT_GE(a.tv_nsec, 0);
	ASSERT_LT(a.tv_nsec, 1000000000);
	kctx_free(v);
	kctx_free(c);
	kctx_free(dl);
	kctx_free(root);
}

TEST(deadline_stays_after_it_passed)
{
	kctx_t *root = new_root(), *dl;
	struct timespec ts;

	ASSERT_OK(kctx_with_timeout(root, MS(1), &dl));
	ASSERT_OK(kctx_wait(dl, KCTX_WAIT_FOREVER));
	ASSERT_OK(kctx_deadline(dl, &ts));
	ASSERT_LE((int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec, now_ns());
	kctx_free(dl);
	kctx_free(root);
}

TEST(deadline_null_arguments_are_einval)
{
	kctx_t *ctx = new_root();
	struct timespec ts;

	ASSERT_EQ(kctx_deadline(NULL, &ts), -EINVAL);
	ASSERT_EQ(kctx_deadline(ctx, NULL), -EINVAL);
	kctx_free(ctx);
}
