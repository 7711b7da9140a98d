// SPDX-License-Identifier: GPL-2.0
/*
 * kctx_fd(): the pollable fd, for poll(), select() and epoll.
 */
#include "harness.h"

#include <poll.h>
#include <sys/epoll.h>
#include <sys/select.h>

static short poll_now(int fd)
{
	struct pollfd p = { .fd = fd, .events = POLLIN | POLLRDNORM | POLLOUT };

	return poll(&p, 1, 0) == 1 ? p.revents : 0;
}

TEST(fd_is_pollable_once_done)
{
	kctx_t *ctx = new_root();
	int fd = kctx_fd(ctx);

	ASSERT_GE(fd, 0);
	ASSERT_EQ(poll_now(fd), 0);
	ASSERT_OK(kctx_cancel(ctx));
	/* With nothing attached (kctx_cancel_wait(3)), done is also drained. */
	ASSERT_EQ(poll_now(fd), POLLIN | POLLRDNORM | POLLHUP);
	/* It stays so: done is forever. */
	ASSERT_EQ(poll_now(fd), POLLIN | POLLRDNORM | POLLHUP);
	kctx_free(ctx);
}

TEST(fd_works_with_epoll)
{
	kctx_t *root = new_root(), *ctx;
	struct epoll_event ev = { .events = EPOLLIN }, out;
	int ep = epoll_create1(EPOLL_CLOEXEC);
	int64_t t0 = now_ns();

	ASSERT_GE(ep, 0);
	ASSERT_OK(kctx_with_timeout(root, MS(30), &ctx));
	ev.data.u64 = 42;
	ASSERT_OK(epoll_ctl(ep, EPOLL_CTL_ADD, kctx_fd(ctx), &ev));
	ASSERT_EQ(epoll_wait(ep, &out, 1, 5000), 1);
	ASSERT_GE(now_ns() - t0, MS(30));
	ASSERT_EQ(out.data.u64, 42);
	ASSERT_TRUE(out.events & EPOLLIN);
	close(ep);
	kctx_free(ctx);
	kctx_free(root);
}

TEST(fd_works_with_select)
{
	kctx_t *ctx = new_root();
	struct timeval tv = { 0, 0 };
	int fd = kctx_fd(ctx);
	fd_set rd;

	FD_ZERO(&rd);
	FD_SET(fd, &rd);
	ASSERT_EQ(select(fd + 1, &rd, NULL, NULL, &tv), 0);
	ASSERT_OK(kctx_cancel(ctx));
	FD_ZERO(&rd);
	FD_SET(fd, &rd);
	ASSERT_EQ(select(fd + 1, &rd, NULL, NULL, &tv), 1);
	ASSERT_TRUE(FD_ISSET(fd, &rd));
	kctx_free(ctx);
}

TEST(fd_of_a_watch_is_pollable)
{
	kctx_t *ctx = new_root(), *w;

	ASSERT_OK(kctx_watch(ctx, &w));
	ASSERT_NE(kctx_fd(w), kctx_fd(ctx));
	ASSERT_EQ(poll_now(kctx_fd(w)), 0);
	ASSERT_OK(kctx_cancel(ctx));
	ASSERT_EQ(poll_now(kctx_fd(w)), POLLIN | POLLRDNORM | POLLHUP);
	kctx_free(w);
	kctx_free(ctx);
}

TEST(fd_is_close_on_exec)
{
	kctx_t *ctx = new_root();

	ASSERT_EQ(fcntl(kctx_fd(ctx), F_GETFD), FD_CLOEXEC);
	kctx_free(ctx);
}

TEST(fd_null_is_einval)
{
	ASSERT_EQ(kctx_fd(NULL), -EINVAL);
}
