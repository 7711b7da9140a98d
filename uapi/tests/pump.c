// SPDX-License-Identifier: GPL-2.0
/*
 * Userspace cancellation reaching kernel I/O, through the example consumer
 * kctx_pump: a kernel thread copying between two fds for a context.
 */
#include <poll.h>
#include <signal.h>

#include "harness.h"
#include "kctx_pump.h"

struct pump {
	int dev;
	int in[2], out[2];
};

static void pump_open(struct pump *p, int ctx)
{
	struct kctx_pump_start s = { .size = sizeof(s), .ctx_fd = ctx };

	p->dev = open(KCTX_PUMP_DEVICE, O_RDWR | O_CLOEXEC);
	if (p->dev < 0)
		SKIP(KCTX_PUMP_DEVICE " is missing: is kctx_pump.ko loaded?");
	ASSERT_EQ(pipe(p->in), 0);
	/* Only our end is non-blocking: the pump's writes must block. */
	ASSERT_EQ(pipe(p->out), 0);
	ASSERT_EQ(fcntl(p->out[0], F_SETFL, O_NONBLOCK), 0);
	s.in_fd = p->in[0];
	s.out_fd = p->out[1];
	ASSERT_EQ(ioctl(p->dev, KCTX_PUMP_IOC_START, &s), 0);
}

static struct kctx_pump_wait pump_wait(struct pump *p)
{
	struct kctx_pump_wait w = { .size = sizeof(w) };

	ASSERT_EQ(ioctl(p->dev, KCTX_PUMP_IOC_WAIT, &w), 0);
	return w;
}

/* Everything the pump wrote, which must be exactly what it reported. */
static ssize_t drain(int fd)
{
	char buf[4096];
	ssize_t n, total = 0;

	while ((n = read(fd, buf, sizeof(buf))) > 0)
		total += n;
	ASSERT_TRUE(n == 0 || errno == EAGAIN);
	return total;
}

TEST(copy_runs_to_end_of_file)
{
	int ctx = kt_create(kt_dev(), KCTX_KIND_CANCEL, 0);
	struct kctx_pump_wait w;
	char buf[16] = { 0 };
	struct pump p;

	pump_open(&p, ctx);
	ASSERT_EQ(write(p.in[1], "hello, kernel", 13), 13);
	close(p.in[1]);
	w = pump_wait(&p);
	ASSERT_EQ(w.err, 0);
	ASSERT_EQ(w.bytes, 13);
	ASSERT_EQ(read(p.out[0], buf, sizeof(buf)), 13);
	ASSERT_EQ(memcmp(buf, "hello, kernel", 13), 0);
}

TEST(read_blocked_on_an_empty_pipe_aborts_on_grandparent_cancel)
{
	int root = kt_create(kt_dev(), KCTX_KIND_CANCEL, 0);
	int ctx = kt_create(kt_create(root, KCTX_KIND_CANCEL, 0), KCTX_KIND_CANCEL, 0);
	struct kctx_pump_wait w;
	struct pump p;
	int64_t t;

	pump_open(&p, ctx);
	ASSERT_EQ(write(p.in[1], "before", 6), 6);
	/* The pump has copied what there was once it shows up on the other side. */
	struct pollfd pf = { .fd = p.out[0], .events = POLLIN };

	ASSERT_EQ(poll(&pf, 1, 10000), 1);
	t = kt_now_ns();
	ASSERT_EQ(kt_cancel(root, -ECONNABORTED, 0), 0);
	w = pump_wait(&p);
	printf("#   cancel to pump exit: %lld us\n", (long long)(kt_now_ns() - t) / 1000);
	ASSERT_EQ(w.err, -ECANCELED);
	ASSERT_EQ(w.bytes, 6);
	ASSERT_EQ(drain(p.out[0]), 6);
	/* Nothing more after the copy ended, even with more input. */
	ASSERT_EQ(write(p.in[1], "after", 5), 5);
	ASSERT_EQ(drain(p.out[0]), 0);
}

TEST(read_blocked_on_an_empty_pipe_aborts_at_the_deadline)
{
	int ctx = kt_timeout(kt_dev(), 50 * 1000000LL);
	struct kctx_pump_wait w;
	struct pump p;

	pump_open(&p, ctx);
	w = pump_wait(&p);
	ASSERT_EQ(w.err, -ETIMEDOUT);
	ASSERT_EQ(w.bytes, 0);
}

TEST(write_blocked_on_a_full_pipe_aborts_and_writes_nothing_more)
{
	int ctx = kt_create(kt_dev(), KCTX_KIND_CANCEL, 0);
	static char chunk[65536];
	struct kctx_pump_wait w;
	struct pump p;
	ssize_t n;

	pump_open(&p, ctx);
	/* More than the output pipe holds: the pump ends up blocked writing. */
	n = write(p.in[1], chunk, sizeof(chunk));
	ASSERT_EQ(n, (ssize_t)sizeof(chunk));
	n = write(p.in[1], chunk, sizeof(chunk));
	ASSERT_EQ(n, (ssize_t)sizeof(chunk));
	struct pollfd pf = { .fd = p.out[0], .events = POLLIN };

	ASSERT_EQ(poll(&pf, 1, 10000), 1);
	ASSERT_EQ(kt_cancel(ctx, 0, 0), 0);
	w = pump_wait(&p);
	ASSERT_EQ(w.err, -ECANCELED);
	ASSERT_TRUE(w.bytes < 2 * sizeof(chunk));
	ASSERT_EQ((uint64_t)drain(p.out[0]), w.bytes);
}

TEST(closing_the_device_stops_a_running_copy_and_spares_the_context)
{
	int ctx = kt_create(kt_dev(), KCTX_KIND_CANCEL, 0);
	struct pump p;

	pump_open(&p, ctx);
	close(p.dev);
	ASSERT_EQ(kt_state(ctx).err, 0);
}

TEST(kill_9_of_the_owner_aborts_the_copy_it_started)
{
	struct kctx_watch wreq = { .size = sizeof(wreq) };
	struct kctx_pump_wait w;
	struct pump p;
	int sv[2], watch;
	pid_t pid;

	ASSERT_EQ(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	pid = fork();
	if (pid == 0) {
		int fd = kt_create(kt_dev(), KCTX_KIND_CANCEL, 0);

		kt_send_fd(sv[1], ioctl(fd, KCTX_IOC_WATCH, &wreq));
		pause();
		_exit(0);
	}
	watch = kt_recv_fd(sv[0]);
	pump_open(&p, watch);
	ASSERT_EQ(kill(pid, SIGKILL), 0);
	w = pump_wait(&p);
	ASSERT_EQ(w.err, -ECANCELED);
	ASSERT_EQ(kt_state(watch).cause, -EOWNERDEAD);
	waitpid(pid, NULL, 0);
}
