// SPDX-License-Identifier: GPL-2.0
/*
 * kctx_sleep() and kctx_poll(): a sleep or a poll that the context ends.
 */
#ifndef KT_TIMEOUT
#define KT_TIMEOUT 30
#endif
#include "call.h"

#include <poll.h>

TEST(sleep_sleeps_its_time)
{
	kctx_t *ctx = new_root(), *bg;
	struct timespec req = { 0, MS(20) }, rem = { 1, 1 };
	int64_t t0 = now_ns();
	pid_t pid;

	errno = 4321;
	ASSERT_OK(kctx_sleep(ctx, &req, &rem));
	ASSERT_EQ(errno, 4321);
	ASSERT_GE(now_ns() - t0, MS(20));
	ASSERT_EQ(rem.tv_sec, 0);
	ASSERT_EQ(rem.tv_nsec, 0);
	ASSERT_OK(kctx_background(&bg));
	ASSERT_OK(kctx_sleep(bg, &req, NULL));
	req.tv_nsec = 0;
	ASSERT_OK(kctx_sleep(ctx, &req, NULL));
	kctx_free(bg);
	kctx_free(ctx);
	/* A sleep longer than any ppoll() timeout; a cancel ends it. */
	ctx = new_root();
	pid = cancel_when_blocked(ctx, call_gettid(), 0);
	req.tv_sec = sizeof(time_t) > 4 ? INT64_MAX / 2 : INT32_MAX;
	ASSERT_EQ(kctx_sleep(ctx, &req, &rem), -ECANCELED);
	ASSERT_GT(rem.tv_sec, 1 << 29);
	ASSERT_EQ(wait_child(pid), 0);
	kctx_free(ctx);
}

TEST(a_deadline_cuts_a_sleep_short)
{
	kctx_t *root = new_root(), *ctx;
	struct timespec req = { 10, 0 }, rem;
	int64_t t0 = now_ns();

	ASSERT_OK(kctx_with_timeout(root, MS(30), &ctx));
	ASSERT_EQ(kctx_sleep(ctx, &req, &rem), -ETIMEDOUT);
	ASSERT_GE(now_ns() - t0, MS(30));
	ASSERT_LT(now_ns() - t0, MS(5000));
	ASSERT_GE(rem.tv_sec, 5);
	ASSERT_LT(rem.tv_sec, 10);
	kctx_free(ctx);
	kctx_free(root);
}

TEST(another_process_cancels_a_sleep)
{
	kctx_t *ctx = new_root();
	struct timespec req = { 20, 0 };
	int64_t cause = 0;
	pid_t pid;

	pid = cancel_when_blocked(ctx, call_gettid(), -ENETDOWN);
	ASSERT_EQ(kctx_sleep(ctx, &req, NULL), -ECANCELED);
	ASSERT_OK(kctx_cause(ctx, &cause));
	ASSERT_EQ(cause, -ENETDOWN);
	ASSERT_EQ(wait_child(pid), 0);
	kctx_free(ctx);
}

TEST(a_done_context_does_not_sleep)
{
	kctx_t *ctx = new_root();
	struct timespec req = { 3, 5 }, rem;

	ASSERT_OK(kctx_cancel(ctx));
	ASSERT_EQ(kctx_sleep(ctx, &req, &rem), -ECANCELED);
	ASSERT_EQ(rem.tv_sec, 2 + (rem.tv_nsec <= 5));
	ASSERT_EQ(kctx_sleep(ctx, &req, NULL), -ECANCELED);
	req.tv_nsec = 1000000000;
	ASSERT_EQ(kctx_sleep(ctx, &req, NULL), -EINVAL);
	req.tv_nsec = 0;
	req.tv_sec = -1;
	ASSERT_EQ(kctx_sleep(ctx, &req, NULL), -EINVAL);
	ASSERT_EQ(kctx_sleep(ctx, NULL, NULL), -EINVAL);
	ASSERT_EQ(kctx_sleep(NULL, &req, NULL), -EINVAL);
	kctx_free(ctx);
}

static void on_usr1(int sig)
{
	(void)sig;
}

TEST(a_signal_ends_a_sleep_with_eintr_and_what_is_left)
{
	kctx_t *ctx = new_root();
	struct sigaction sa = { .sa_handler = on_usr1, .sa_flags = SA_RESTART };
	struct timespec req = { 20, 0 }, rem;
	pid_t pid, me = call_gettid();

	ASSERT_OK(sigaction(SIGUSR1, &sa, NULL));
	pid = fork();
	ASSERT_GE(pid, 0);
	if (pid == 0) {
		wait_blocked(me);
		_exit(kill(me, SIGUSR1) ? 1 : 0);
	}
	ASSERT_EQ(kctx_sleep(ctx, &req, &rem), -EINTR);
	ASSERT_GE(rem.tv_sec, 10);
	ASSERT_EQ(wait_child(pid), 0);
	kctx_free(ctx);
}

TEST(poll_reports_ready_fds_timeouts_and_the_context)
{
	kctx_t *root = new_root(), *ctx;
	struct pollfd pf[2];
	int a[2], b[2];
	int64_t t0;
	pid_t pid;

	ASSERT_OK(pipe(a));
	ASSERT_OK(pipe(b));
	pf[0] = (struct pollfd){ .fd = a[0], .events = POLLIN };
	pf[1] = (struct pollfd){ .fd = b[0], .events = POLLIN };
	ASSERT_EQ(write(b[1], "x", 1), 1);
	ASSERT_EQ(kctx_poll(root, pf, 2, -1), 1);
	ASSERT_EQ(pf[0].revents, 0);
	ASSERT_EQ(pf[1].revents, POLLIN);
	ASSERT_EQ(kctx_poll(root, pf, 1, 20), 0);
	ASSERT_EQ(kctx_poll(root, NULL, 0, 0), 0);
	/* Cancelled from another process while it waits. */
	pid = cancel_when_blocked(root, call_gettid(), 0);
	ASSERT_EQ(kctx_poll(root, pf, 1, -1), -ECANCELED);
	ASSERT_EQ(wait_child(pid), 0);
	/* A done context wins over a ready fd. */
	ASSERT_EQ(kctx_poll(root, pf, 2, -1), -ECANCELED);
	ASSERT_EQ(pf[1].revents, 0);
	kctx_free(root);
	/* A deadline bounds a poll with no timeout of its own. */
	root = new_root();
	t0 = now_ns();
	ASSERT_OK(kctx_with_timeout(root, MS(50), &ctx));
	ASSERT_EQ(kctx_poll(ctx, pf, 1, -1), -ETIMEDOUT);
	ASSERT_GE(now_ns() - t0, MS(50));
	ASSERT_EQ(kctx_poll(NULL, pf, 1, 0), -EINVAL);
	kctx_free(ctx);
	kctx_free(root);
}

/* More fds than fit on the stack. */
TEST(poll_on_many_fds)
{
	kctx_t *ctx = new_root();
	struct pollfd pf[40];
	int p[40][2], i;

	for (i = 0; i < 40; i++) {
		ASSERT_OK(pipe(p[i]));
		pf[i] = (struct pollfd){ .fd = p[i][0], .events = POLLIN };
	}
	ASSERT_EQ(write(p[37][1], "x", 1), 1);
	ASSERT_EQ(kctx_poll(ctx, pf, 40, -1), 1);
	ASSERT_EQ(pf[37].revents, POLLIN);
	pf[3].fd = 1000000;
	ASSERT_EQ(kctx_poll(ctx, pf, 40, 0), 2);
	ASSERT_EQ(pf[3].revents, POLLNVAL);
	kctx_free(ctx);
}
