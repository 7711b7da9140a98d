// SPDX-License-Identifier: GPL-2.0
/*
 * kctx_wait(): block until done, a timeout, or a signal.
 */
#include "harness.h"

#include <pthread.h>

TEST(wait_on_a_done_context_returns_at_once)
{
	kctx_t *ctx = new_root();

	ASSERT_OK(kctx_cancel(ctx));
	ASSERT_OK(kctx_wait(ctx, 0));
	ASSERT_OK(kctx_wait(ctx, KCTX_WAIT_FOREVER));
	kctx_free(ctx);
}

TEST(wait_times_out)
{
	kctx_t *ctx = new_root();
	int64_t t0 = now_ns();

	ASSERT_EQ(kctx_wait(ctx, 0), -ETIMEDOUT);
	ASSERT_EQ(kctx_wait(ctx, MS(30)), -ETIMEDOUT);
	ASSERT_GE(now_ns() - t0, MS(30));
	kctx_free(ctx);
}

struct later {
	kctx_t *ctx;
	pthread_t target;
	int sig;
};

static void *cancel_later(void *arg)
{
	struct later *l = arg;

	usleep(30000);
	if (l->sig)
		pthread_kill(l->target, l->sig);
	else
		kctx_cancel(l->ctx);
	return NULL;
}

TEST(wait_forever_wakes_on_cancel)
{
	struct later l = { .ctx = new_root() };
	pthread_t t;
	int64_t t0 = now_ns();

	ASSERT_OK(pthread_create(&t, NULL, cancel_later, &l));
	ASSERT_OK(kctx_wait(l.ctx, KCTX_WAIT_FOREVER));
	ASSERT_GE(now_ns() - t0, MS(30));
	ASSERT_EQ(kctx_err(l.ctx), -ECANCELED);
	pthread_join(t, NULL);
	kctx_free(l.ctx);
}

TEST(wait_with_timeout_wakes_on_cancel)
{
	struct later l = { .ctx = new_root() };
	pthread_t t;

	ASSERT_OK(pthread_create(&t, NULL, cancel_later, &l));
	ASSERT_OK(kctx_wait(l.ctx, MS(10000)));
	pthread_join(t, NULL);
	kctx_free(l.ctx);
}

static void on_usr1(int sig)
{
	(void)sig;
}

TEST(wait_is_interrupted_by_a_signal)
{
	struct later l = { .ctx = new_root(), .target = pthread_self(), .sig = SIGUSR1 };
	struct sigaction sa = { .sa_handler = on_usr1 };	/* no SA_RESTART */
	pthread_t t;

	ASSERT_OK(sigaction(SIGUSR1, &sa, NULL));
	ASSERT_OK(pthread_create(&t, NULL, cancel_later, &l));
	ASSERT_EQ(kctx_wait(l.ctx, KCTX_WAIT_FOREVER), -EINTR);
	pthread_join(t, NULL);
	ASSERT_EQ(kctx_err(l.ctx), 0);
	kctx_free(l.ctx);
}

TEST(wait_bad_arguments_are_einval)
{
	kctx_t *ctx = new_root();

	ASSERT_EQ(kctx_wait(NULL, 0), -EINVAL);
	ASSERT_EQ(kctx_wait(ctx, -2), -EINVAL);
	ASSERT_EQ(kctx_wait(ctx, INT64_MIN), -EINVAL);
	kctx_free(ctx);
}

TEST(wait_on_a_closed_fd_is_ebadf)
{
	kctx_t *ctx = new_root();

	/* Behind the library's back; kctx_free()'s close then fails quietly. */
	ASSERT_OK(close(kctx_fd(ctx)));
	ASSERT_EQ(kctx_wait(ctx, 0), -EBADF);
	kctx_free(ctx);
}
