// SPDX-License-Identifier: GPL-2.0
/*
 * kctx_eventfd(): an eventfd the kernel signals with 1 once done.
 */
#include "harness.h"

#include <poll.h>
#include <linux/kctx.h>

static int readable(int fd)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };

	return poll(&p, 1, 0) == 1 && (p.revents & POLLIN);
}

TEST(eventfd_is_signalled_once_done)
{
	kctx_t *ctx = new_root();
	uint64_t n = 0;
	int efd;

	efd = kctx_eventfd(ctx);
	ASSERT_GE(efd, 0);
	ASSERT_FALSE(readable(efd));
	ASSERT_OK(kctx_cancel(ctx));
	ASSERT_TRUE(readable(efd));
	ASSERT_EQ(read(efd, &n, sizeof(n)), sizeof(n));
	ASSERT_EQ(n, 1);
	kctx_free(ctx);
}

TEST(eventfd_is_created_once)
{
	kctx_t *ctx = new_root();
	int efd = kctx_eventfd(ctx);

	ASSERT_GE(efd, 0);
	ASSERT_EQ(kctx_eventfd(ctx), efd);
	ASSERT_EQ(fcntl(efd, F_GETFD), FD_CLOEXEC);
	kctx_free(ctx);
}

TEST(eventfd_of_a_done_context_is_signalled_at_once)
{
	kctx_t *root = new_root(), *ctx;
	int efd;

	ASSERT_OK(kctx_with_timeout(root, 0, &ctx));
	efd = kctx_eventfd(ctx);
	ASSERT_GE(efd, 0);
	ASSERT_TRUE(readable(efd));
	kctx_free(ctx);
	kctx_free(root);
}

TEST(eventfd_fires_at_a_deadline)
{
	kctx_t *root = new_root(), *ctx;
	struct pollfd p = { .events = POLLIN };
	int64_t t0 = now_ns();

	ASSERT_OK(kctx_with_timeout(root, MS(30), &ctx));
	p.fd = kctx_eventfd(ctx);
	ASSERT_GE(p.fd, 0);
	ASSERT_EQ(poll(&p, 1, 5000), 1);
	ASSERT_GE(now_ns() - t0, MS(30));
	kctx_free(ctx);
	kctx_free(root);
}

TEST(eventfd_on_watch_only_is_eperm)
{
	kctx_t *ctx = new_root(), *w;

	ASSERT_OK(kctx_watch(ctx, &w));
	ASSERT_EQ(kctx_eventfd(w), -EPERM);
	/* The failure is not remembered as an fd. */
	ASSERT_EQ(kctx_eventfd(w), -EPERM);
	kctx_free(w);
	kctx_free(ctx);
}

TEST(eventfd_null_is_einval)
{
	ASSERT_EQ(kctx_eventfd(NULL), -EINVAL);
}

TEST(eventfd_past_the_cap_is_enospc)
{
	kctx_t *ctx = new_root(), *h[KCTX_MAX_EVENTFDS + 1];
	int i;

	/* Handles adopted from one fd share its file, and its eventfd cap. */
	for (i = 0; i <= KCTX_MAX_EVENTFDS; i++)
		ASSERT_OK(kctx_from_fd(kctx_fd(ctx), &h[i]));
	for (i = 0; i < KCTX_MAX_EVENTFDS; i++)
		ASSERT_GE(kctx_eventfd(h[i]), 0);
	ASSERT_EQ(kctx_eventfd(h[KCTX_MAX_EVENTFDS]), -ENOSPC);
	for (i = 0; i <= KCTX_MAX_EVENTFDS; i++)
		kctx_free(h[i]);
	kctx_free(ctx);
}
