// SPDX-License-Identifier: GPL-2.0
/*
 * kctx_cancel(): Go's CancelFunc.
 */
#include "harness.h"

TEST(cancel_makes_it_done)
{
	kctx_t *ctx = new_root();
	int64_t cause;

	ASSERT_FALSE(is_done(ctx));
	ASSERT_OK(kctx_cancel(ctx));
	ASSERT_TRUE(is_done(ctx));
	ASSERT_EQ(kctx_err(ctx), -ECANCELED);
	ASSERT_OK(kctx_cause(ctx, &cause));
	ASSERT_EQ(cause, -ECANCELED);
	kctx_free(ctx);
}

TEST(cancel_twice_is_harmless)
{
	kctx_t *ctx = new_root();
	int64_t cause;

	ASSERT_OK(kctx_cancel_cause(ctx, -EIO));
	ASSERT_OK(kctx_cancel(ctx));
	ASSERT_OK(kctx_cancel(ctx));
	ASSERT_OK(kctx_cause(ctx, &cause));
	ASSERT_EQ(cause, -EIO);
	kctx_free(ctx);
}

TEST(cancel_records_the_canceller)
{
	kctx_t *ctx = new_root(), *other = new_root();
	pid_t pid = 0, child;
	int go[2];

	ASSERT_OK(kctx_cancel(ctx));
	ASSERT_OK(kctx_canceller(ctx, &pid));
	ASSERT_EQ(pid, getpid());
	/* Another process, through the owner fd it inherited; still alive. */
	ASSERT_OK(pipe(go));
	child = fork();
	ASSERT_GE(child, 0);
	if (child == 0) {
		char c;

		close(go[1]);
		kctx_cancel(other);
		if (read(go[0], &c, 1) < 0)
			_exit(1);
		_exit(0);
	}
	ASSERT_OK(kctx_wait(other, KCTX_WAIT_FOREVER));
	ASSERT_OK(kctx_canceller(other, &pid));
	ASSERT_EQ(pid, child);
	close(go[1]);
	ASSERT_EQ(wait_child(child), 0);
	kctx_free(other);
	kctx_free(ctx);
}

TEST(cancel_on_watch_only_is_eperm)
{
	kctx_t *ctx = new_root(), *w;

	ASSERT_OK(kctx_watch(ctx, &w));
	ASSERT_EQ(kctx_cancel(w), -EPERM);
	ASSERT_EQ(kctx_err(ctx), 0);
	kctx_free(w);
	kctx_free(ctx);
}

TEST(cancel_null_is_einval)
{
	ASSERT_EQ(kctx_cancel(NULL), -EINVAL);
}
