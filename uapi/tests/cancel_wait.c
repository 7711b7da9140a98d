// SPDX-License-Identifier: GPL-2.0
/*
 * KCTX_IOC_CANCEL with KCTX_CANCEL_WAIT, and EPOLLHUP: waiting until the
 * kernel work done for a context has stopped. The work is kctx_pump's
 * thread, copying between two pipes for the context.
 */
#include <poll.h>
#include <signal.h>
#include <stddef.h>
#include <sys/epoll.h>
#include <sys/wait.h>

#include "harness.h"
#include "kctx_pump.h"

#define FOREVER		KCTX_CANCEL_WAIT_FOREVER
#define LONG_NS		(10 * 1000000000ULL)

/* A pump working for @ctx, blocked reading an empty pipe. */
static int pump_start(int ctx)
{
	struct kctx_pump_start s = { .size = sizeof(s), .ctx_fd = ctx };
	int dev = open(KCTX_PUMP_DEVICE, O_RDWR | O_CLOEXEC), in[2], out[2];

	if (dev < 0)
		SKIP(KCTX_PUMP_DEVICE " is missing: is kctx_pump.ko loaded?");
	ASSERT_EQ(pipe(in), 0);
	ASSERT_EQ(pipe(out), 0);
	s.in_fd = in[0];
	s.out_fd = out[1];
	ASSERT_EQ(ioctl(dev, KCTX_PUMP_IOC_START, &s), 0);
	return dev;
}

static int pump_err(int dev)
{
	struct kctx_pump_wait w = { .size = sizeof(w) };

	ASSERT_EQ(ioctl(dev, KCTX_PUMP_IOC_WAIT, &w), 0);
	return w.err;
}

TEST(with_nothing_attached_it_cancels_and_returns_at_once)
{
	int ctx = kt_create(kt_dev(), KCTX_KIND_CANCEL, 0);

	ASSERT_EQ(kt_revents(ctx), 0);
	ASSERT_EQ(kt_cancel_wait(ctx, FOREVER), 0);
	ASSERT_EQ(kt_state(ctx).err, -ECANCELED);
	ASSERT_EQ(kt_revents(ctx), POLLIN | POLLHUP);
}

/* A value context can't be cancelled, so its work stays: the wait times out. */
TEST(work_that_stays_makes_it_time_out_and_is_named)
{
	int root = kt_create(kt_dev(), KCTX_KIND_CANCEL, 0);
	int value = kt_create(root, KCTX_KIND_VALUE, 0);
	int dev = pump_start(value);
	char report[4096], comm[32];
	int64_t t;

	ASSERT_EQ(kt_cancel_wait(value, 0), -ETIME);
	t = kt_now_ns();
	ASSERT_EQ(kt_cancel_wait(value, 50 * 1000000ULL), -ETIME);
	ASSERT_GE(kt_now_ns() - t, 50 * 1000000LL);
	ASSERT_EQ(kt_state(value).err, 0);
	/* The kernel's report, where this VM lets root read it. */
	if (!kt_read_file("/sys/kernel/debug/kctx/stragglers", report, sizeof(report))) {
		snprintf(comm, sizeof(comm), "comm=kctx-pump/%d ", (int)getpid());
		if (!strstr(report, comm))
			KT_FAIL("the stragglers report doesn't name %s:\n%s", comm, report);
	}
	/* The root's cancel reaches the pump; then nothing is left. */
	ASSERT_EQ(kt_cancel(root, 0, 0), 0);
	ASSERT_EQ(kt_cancel_wait(value, LONG_NS), 0);
	ASSERT_EQ(pump_err(dev), -ECANCELED);
}

TEST(it_returns_once_the_kernel_thread_has_left)
{
	int root = kt_create(kt_dev(), KCTX_KIND_CANCEL, 0);
	int ctx = kt_create(root, KCTX_KIND_CANCEL, 0);
	int dev = pump_start(ctx);

	/* Waiting on the root counts the work below it. */
	ASSERT_EQ(kt_cancel_wait(root, LONG_NS), 0);
	ASSERT_EQ(kt_revents(root), POLLIN | POLLHUP);
	ASSERT_EQ(kt_revents(ctx), POLLIN | POLLHUP);
	ASSERT_EQ(pump_err(dev), -ECANCELED);
}

/* An event loop learns "done and drained" without blocking in the kernel. */
TEST(epoll_reports_hup_once_the_work_has_left)
{
	int ctx = kt_create(kt_dev(), KCTX_KIND_CANCEL, 0);
	struct epoll_event ev = { .events = EPOLLIN | EPOLLET };
	int ep = epoll_create1(EPOLL_CLOEXEC), dev = pump_start(ctx), n;
	int64_t end = kt_now_ns() + (int64_t)LONG_NS;
	uint32_t seen = 0;
	pid_t child;

	ASSERT_GE(ep, 0);
	ASSERT_EQ(epoll_ctl(ep, EPOLL_CTL_ADD, ctx, &ev), 0);
	ASSERT_EQ(epoll_wait(ep, &ev, 1, 0), 0);
	/* The cancel comes from another process. */
	child = fork();
	ASSERT_GE(child, 0);
	if (!child)
		_exit(kt_cancel(ctx, -EPIPE, 0) ? 1 : 0);
	while (!(seen & EPOLLHUP) && kt_now_ns() < end) {
		n = epoll_wait(ep, &ev, 1, 100);
		ASSERT_GE(n, 0);
		if (n)
			seen |= ev.events;
	}
	ASSERT_EQ(seen & (EPOLLIN | EPOLLHUP), EPOLLIN | EPOLLHUP);
	ASSERT_EQ(kt_state(ctx).cause, -EPIPE);
	ASSERT_EQ(pump_err(dev), -ECANCELED);
	ASSERT_EQ(waitpid(child, &n, 0), child);
	ASSERT_EQ(n, 0);
}

static void on_alarm(int sig)
{
	(void)sig;
}

TEST(a_signal_ends_the_wait_with_eintr_and_the_cancel_stands)
{
	int root = kt_create(kt_dev(), KCTX_KIND_CANCEL, 0);
	int value = kt_create(root, KCTX_KIND_VALUE, 0);
	int dev = pump_start(value);
	struct sigaction sa = { .sa_handler = on_alarm };	/* no SA_RESTART */

	ASSERT_EQ(sigaction(SIGALRM, &sa, NULL), 0);
	alarm(1);
	ASSERT_EQ(kt_cancel_wait(value, FOREVER), -EINTR);
	ASSERT_EQ(kt_cancel(root, 0, 0), 0);
	ASSERT_EQ(kt_cancel_wait(value, LONG_NS), 0);
	ASSERT_EQ(pump_err(dev), -ECANCELED);
}

TEST(wait_ns_without_the_flag_is_einval_and_the_old_struct_still_works)
{
	struct kctx_cancel c = { .size = sizeof(c), .wait_ns = 1 };
	int ctx = kt_create(kt_dev(), KCTX_KIND_CANCEL, 0);

	ASSERT_ERRNO(ioctl(ctx, KCTX_IOC_CANCEL, &c), EINVAL);
	ASSERT_EQ(kt_state(ctx).err, 0);
	/* Userspace built before @wait_ns: 24 bytes. */
	c = (struct kctx_cancel){ .size = offsetof(struct kctx_cancel, wait_ns) };
	ASSERT_EQ(ioctl(ctx, KCTX_IOC_CANCEL, &c), 0);
	ASSERT_EQ(kt_state(ctx).err, -ECANCELED);
}
