// SPDX-License-Identifier: GPL-2.0
/* Waiting for a context: poll, select and epoll on context fds and eventfds. */
#define _GNU_SOURCE
#include <poll.h>
#include <sched.h>
#include <pthread.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/select.h>

#include "harness.h"

static short poll_now(int fd)
{
	struct pollfd p = { .fd = fd, .events = POLLIN | POLLRDNORM | POLLOUT | POLLPRI };

	ASSERT_GE(poll(&p, 1, 0), 0);
	return p.revents;
}

/* With no work attached, done is also drained: POLLHUP (cancel_wait.c). */
TEST(poll_reports_pollin_only_once_done)
{
	int fd = kt_create(kt_dev(), KCTX_KIND_CANCEL, 0);

	ASSERT_EQ(poll_now(fd), 0);
	ASSERT_EQ(kt_cancel(fd, 0, 0), 0);
	ASSERT_EQ(poll_now(fd), POLLIN | POLLRDNORM | POLLHUP);
}

TEST(select_sees_a_done_context)
{
	int fd = kt_create(kt_dev(), KCTX_KIND_CANCEL, 0);
	struct timeval tv = { 0 };
	fd_set r;

	FD_ZERO(&r);
	FD_SET(fd, &r);
	ASSERT_EQ(select(fd + 1, &r, NULL, NULL, &tv), 0);
	ASSERT_EQ(kt_cancel(fd, 0, 0), 0);
	FD_SET(fd, &r);
	ASSERT_EQ(select(fd + 1, &r, NULL, NULL, &tv), 1);
}

struct canceller {
	int fd;
	pid_t waiter;
	int64_t at;
};

static void *cancel_once_asleep(void *arg)
{
	struct canceller *c = arg;

	kt_wait_sleeping(c->waiter);
	c->at = kt_now_ns();
	kt_cancel(c->fd, 0, 0);
	return NULL;
}

TEST(blocked_epoll_wait_wakes_on_ancestor_cancel)
{
	int root = kt_create(kt_dev(), KCTX_KIND_CANCEL, 0);
	int leaf = kt_create(kt_create(root, KCTX_KIND_CANCEL, 0), KCTX_KIND_CANCEL, 0);
	struct epoll_event ev = { .events = EPOLLIN }, out;
	struct canceller c = { .fd = root, .waiter = getpid() };
	int ep = epoll_create1(EPOLL_CLOEXEC);
	pthread_t t;

	ASSERT_EQ(epoll_ctl(ep, EPOLL_CTL_ADD, leaf, &ev), 0);
	ASSERT_EQ(pthread_create(&t, NULL, cancel_once_asleep, &c), 0);
	ASSERT_EQ(epoll_wait(ep, &out, 1, 10000), 1);
	ASSERT_EQ(out.events, EPOLLIN | EPOLLHUP);
	printf("#   cancel to epoll wake: %lld us\n", (long long)(kt_now_ns() - c.at) / 1000);
	pthread_join(t, NULL);
}

struct poller {
	int fd;
	pid_t tid;		/* published by the poller, atomically */
	short revents;
};

static void *poll_long(void *arg)
{
	struct poller *p = arg;
	struct pollfd pfd = { .fd = p->fd, .events = POLLIN };

	__atomic_store_n(&p->tid, gettid(), __ATOMIC_RELEASE);
	if (poll(&pfd, 1, 10000) == 1)
		p->revents = pfd.revents;
	return NULL;
}

TEST(closing_an_fd_under_a_blocked_poll_is_safe)
{
	struct kctx_watch w = { .size = sizeof(w) };
	int owner = kt_create(kt_dev(), KCTX_KIND_CANCEL, 0);
	struct poller p = { .fd = ioctl(owner, KCTX_IOC_WATCH, &w) };
	pthread_t t;

	ASSERT_GE(p.fd, 0);
	ASSERT_EQ(pthread_create(&t, NULL, poll_long, &p), 0);
	while (!__atomic_load_n(&p.tid, __ATOMIC_ACQUIRE))
		sched_yield();
	kt_wait_sleeping(p.tid);
	close(p.fd);	/* the blocked poll still holds the file */
	ASSERT_EQ(kt_cancel(owner, 0, 0), 0);
	pthread_join(t, NULL);
	/* Woken through the file it held, poll finds the fd gone. */
	ASSERT_EQ(p.revents, POLLNVAL);
}

static int attach(int fd, int efd)
{
	struct kctx_attach_eventfd a = { .size = sizeof(a), .eventfd = efd };

	return ioctl(fd, KCTX_IOC_ATTACH_EVENTFD, &a);
}

TEST(attached_eventfd_is_signalled_with_one)
{
	int fd = kt_create(kt_dev(), KCTX_KIND_CANCEL, 0);
	int efd = eventfd(0, EFD_NONBLOCK);
	uint64_t n = 0;

	ASSERT_EQ(attach(fd, efd), 0);
	ASSERT_ERRNO(read(efd, &n, sizeof(n)), EAGAIN);
	ASSERT_EQ(kt_cancel(fd, 0, 0), 0);
	ASSERT_EQ(read(efd, &n, sizeof(n)), sizeof(n));
	ASSERT_EQ(n, 1);
}

TEST(attaching_to_a_done_context_signals_at_once)
{
	int fd = kt_create(kt_dev(), KCTX_KIND_CANCEL, 0);
	int efd = eventfd(0, EFD_NONBLOCK);
	uint64_t n = 0;

	ASSERT_EQ(kt_cancel(fd, 0, 0), 0);
	ASSERT_EQ(attach(fd, efd), 0);
	ASSERT_EQ(read(efd, &n, sizeof(n)), sizeof(n));
	ASSERT_EQ(n, 1);
}

TEST(eventfd_closed_by_userspace_is_harmless)
{
	int fd = kt_create(kt_dev(), KCTX_KIND_CANCEL, 0);
	int efd = eventfd(0, 0);

	ASSERT_EQ(attach(fd, efd), 0);
	close(efd);
	ASSERT_EQ(kt_cancel(fd, 0, 0), 0);
	ASSERT_EQ(kt_state(fd).err, -ECANCELED);
}

TEST(eventfds_per_fd_are_capped)
{
	int fd = kt_create(kt_dev(), KCTX_KIND_CANCEL, 0);
	int efd = eventfd(0, 0), i;

	for (i = 0; i < KCTX_MAX_EVENTFDS; i++)
		ASSERT_EQ(attach(fd, efd), 0);
	ASSERT_ERRNO(attach(fd, efd), ENOSPC);
}

TEST(epoll_on_an_attached_eventfd_wakes_on_deadline)
{
	int fd = kt_timeout(kt_dev(), 30 * 1000000LL);
	int efd = eventfd(0, 0), ep = epoll_create1(0);
	struct epoll_event ev = { .events = EPOLLIN }, out;

	ASSERT_EQ(attach(fd, efd), 0);
	ASSERT_EQ(epoll_ctl(ep, EPOLL_CTL_ADD, efd, &ev), 0);
	ASSERT_EQ(epoll_wait(ep, &out, 1, 10000), 1);
	ASSERT_EQ(kt_state(fd).err, -ETIMEDOUT);
}
