// SPDX-License-Identifier: GPL-2.0
/*
 * kctx_cancel_wait(): cancel, then wait for the kernel work done for the
 * context to stop. The work is the example driver kctx_pump's thread.
 */
#include <signal.h>

#include "harness.h"
#include "pump.h"

TEST(with_nothing_attached_it_is_a_cancel)
{
	kctx_t *ctx = new_root();
	int64_t cause;

	ASSERT_OK(kctx_cancel_wait(ctx, -ESHUTDOWN, KCTX_WAIT_FOREVER));
	ASSERT_EQ(kctx_err(ctx), -ECANCELED);
	ASSERT_OK(kctx_cause(ctx, &cause));
	ASSERT_EQ(cause, -ESHUTDOWN);
	kctx_free(ctx);
}

TEST(it_returns_once_the_work_below_has_stopped)
{
	kctx_t *root = new_root(), *child;
	int dev;

	ASSERT_OK(kctx_with_cancel(root, &child));
	dev = pump_start(child);
	ASSERT_OK(kctx_cancel_wait(root, 0, MS(10000)));
	ASSERT_EQ(kctx_err(child), -ECANCELED);
	close(dev);
	kctx_free(child);
	kctx_free(root);
}

static void on_alarm(int sig)
{
	(void)sig;
}

/* A signal doesn't cut the wait short: only 0 or -ETIME come back. */
TEST(work_that_stays_times_out_even_across_a_signal)
{
	struct sigaction sa = { .sa_handler = on_alarm };	/* no SA_RESTART */
	kctx_t *root = new_root(), *value;
	int64_t t;
	int dev;

	ASSERT_OK(kctx_with_value(root, 1, 2, &value));
	dev = pump_start(value);
	ASSERT_EQ(kctx_cancel_wait(value, 0, 0), -ETIME);
	ASSERT_OK(sigaction(SIGALRM, &sa, NULL));
	alarm(1);
	t = now_ns();
	ASSERT_EQ(kctx_cancel_wait(value, 0, MS(1500)), -ETIME);
	ASSERT_GE(now_ns() - t, MS(1500));
	/* A value context is not cancelled by itself, only through its parent. */
	ASSERT_OK(kctx_err(value));
	ASSERT_OK(kctx_cancel(root));
	ASSERT_OK(kctx_cancel_wait(value, 0, MS(10000)));
	close(dev);
	kctx_free(value);
	kctx_free(root);
}

TEST(bad_arguments)
{
	kctx_t *ctx = new_root(), *bg, *watch;

	ASSERT_EQ(kctx_cancel_wait(ctx, 0, -2), -EINVAL);
	ASSERT_EQ(kctx_cancel_wait(NULL, 0, 0), -EINVAL);
	ASSERT_OK(kctx_background(&bg));
	ASSERT_EQ(kctx_cancel_wait(bg, 0, 0), -EINVAL);
	ASSERT_OK(kctx_watch(ctx, &watch));
	ASSERT_EQ(kctx_cancel_wait(watch, 0, 0), -EPERM);
	ASSERT_OK(kctx_err(ctx));
	kctx_free(watch);
	kctx_free(bg);
	kctx_free(ctx);
}
