// SPDX-License-Identifier: GPL-2.0
/*
 * kctx_read() and kctx_write(): pipes and a pty, cancelled from other
 * processes, bounded by deadlines, and their own results and errors.
 */
#ifndef KT_TIMEOUT
#define KT_TIMEOUT 30
#endif
#include "call.h"

#include <pthread.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/uio.h>

static void set_nonblock(int fd, int on)
{
	int fl = fcntl(fd, F_GETFL);

	ASSERT_GE(fl, 0);
	ASSERT_OK(fcntl(fd, F_SETFL, on ? fl | O_NONBLOCK : fl & ~O_NONBLOCK));
}

TEST(read_returns_what_the_pipe_holds_then_eof)
{
	kctx_t *ctx = new_root();
	char buf[8] = "";
	int p[2];

	ASSERT_OK(pipe(p));
	ASSERT_EQ(write(p[1], "abc", 3), 3);
	errno = 1234;
	ASSERT_EQ(kctx_read(ctx, p[0], buf, sizeof(buf)), 3);
	ASSERT_EQ(errno, 1234);
	ASSERT_OK(memcmp(buf, "abc", 3));
	ASSERT_EQ(kctx_write(ctx, p[1], "de", 2), 2);
	ASSERT_EQ(kctx_read(ctx, p[0], buf, 1), 1);
	ASSERT_EQ(buf[0], 'd');
	close(p[1]);
	ASSERT_EQ(kctx_read(ctx, p[0], buf, sizeof(buf)), 1);
	ASSERT_EQ(kctx_read(ctx, p[0], buf, sizeof(buf)), 0);
	kctx_free(ctx);
}

TEST(a_done_context_is_reported_and_the_data_left_alone)
{
	kctx_t *ctx = new_root();
	char c;
	int p[2];

	ASSERT_OK(pipe(p));
	ASSERT_EQ(write(p[1], "x", 1), 1);
	ASSERT_OK(kctx_cancel_cause(ctx, 42));
	ASSERT_EQ(kctx_read(ctx, p[0], &c, 1), -ECANCELED);
	ASSERT_EQ(kctx_write(ctx, p[1], "y", 1), -ECANCELED);
	ASSERT_EQ(read(p[0], &c, 1), 1);
	ASSERT_EQ(c, 'x');
	kctx_free(ctx);
}

/* The canceller is another process, which got the ctx over SCM_RIGHTS. */
TEST(a_blocked_read_ends_when_another_process_cancels)
{
	kctx_t *ctx = new_root();
	int64_t cause = 0;
	pid_t pid;
	char c;
	int p[2];

	ASSERT_OK(pipe(p));
	pid = cancel_when_blocked(ctx, call_gettid(), -ESHUTDOWN);
	ASSERT_EQ(kctx_read(ctx, p[0], &c, 1), -ECANCELED);
	ASSERT_OK(kctx_cause(ctx, &cause));
	ASSERT_EQ(cause, -ESHUTDOWN);
	ASSERT_EQ(wait_child(pid), 0);
	kctx_free(ctx);
}

/* The reader is a child with a watch-only handle; this process cancels. */
TEST(a_watcher_blocked_in_read_in_a_child_ends_on_cancel)
{
	kctx_t *ctx = new_root(), *watch;
	int p[2], res[2];
	ssize_t r = 0;
	pid_t pid;
	char c;

	ASSERT_OK(kctx_watch(ctx, &watch));
	ASSERT_OK(pipe(p));
	ASSERT_OK(pipe(res));
	pid = fork();
	ASSERT_GE(pid, 0);
	if (pid == 0) {
		kctx_free(ctx);
		r = kctx_read(watch, p[0], &c, 1);
		_exit(write(res[1], &r, sizeof(r)) == sizeof(r) ? 0 : 1);
	}
	close(res[1]);
	wait_blocked(pid);
	ASSERT_OK(kctx_cancel(ctx));
	ASSERT_EQ(read(res[0], &r, sizeof(r)), sizeof(r));
	ASSERT_EQ(r, -ECANCELED);
	ASSERT_EQ(wait_child(pid), 0);
	kctx_free(watch);
	kctx_free(ctx);
}

TEST(a_deadline_bounds_a_read_and_a_write)
{
	kctx_t *root = new_root(), *ctx;
	int64_t t0;
	char c = 0, big[4096] = { 0 };
	int p[2];

	ASSERT_OK(pipe(p));
	t0 = now_ns();
	ASSERT_OK(kctx_with_timeout(root, MS(50), &ctx));
	ASSERT_EQ(kctx_read(ctx, p[0], &c, 1), -ETIMEDOUT);
	ASSERT_GE(now_ns() - t0, MS(50));
	kctx_free(ctx);
	/* A full pipe: the write would block. */
	set_nonblock(p[1], 1);
	while (write(p[1], big, sizeof(big)) > 0)
		;
	set_nonblock(p[1], 0);
	t0 = now_ns();
	ASSERT_OK(kctx_with_timeout(root, MS(50), &ctx));
	ASSERT_EQ(kctx_write(ctx, p[1], big, sizeof(big)), -ETIMEDOUT);
	ASSERT_GE(now_ns() - t0, MS(50));
	kctx_free(ctx);
	kctx_free(root);
}

struct writer {
	int fd;
	pid_t tid;
};

static void *write_when_blocked(void *arg)
{
	struct writer *w = arg;

	wait_blocked(w->tid);
	if (write(w->fd, "z", 1) != 1)
		abort();
	return NULL;
}

/* O_NONBLOCK lets the call try without blocking; it still waits. */
TEST(on_a_nonblocking_fd_the_call_waits_rather_than_eagain)
{
	kctx_t *ctx = new_root();
	struct writer w = { .tid = call_gettid() };
	pthread_t t;
	pid_t pid;
	char c = 0;
	int p[2];

	ASSERT_OK(pipe(p));
	set_nonblock(p[0], 1);
	w.fd = p[1];
	ASSERT_OK(pthread_create(&t, NULL, write_when_blocked, &w));
	ASSERT_EQ(kctx_read(ctx, p[0], &c, 1), 1);
	ASSERT_EQ(c, 'z');
	pthread_join(t, NULL);
	ASSERT_TRUE(fcntl(p[0], F_GETFL) & O_NONBLOCK);
	pid = cancel_when_blocked(ctx, call_gettid(), 0);
	ASSERT_EQ(kctx_read(ctx, p[0], &c, 1), -ECANCELED);
	ASSERT_EQ(wait_child(pid), 0);
	kctx_free(ctx);
}

TEST(the_calls_own_errors)
{
	kctx_t *ctx = new_root(), *bg;
	char c = 0;
	int p[2];

	ASSERT_OK(pipe(p));
	ASSERT_EQ(kctx_read(ctx, -1, &c, 1), -EBADF);
	ASSERT_EQ(kctx_write(ctx, -1, &c, 1), -EBADF);
	ASSERT_EQ(kctx_read(NULL, p[0], &c, 1), -EINVAL);
	ASSERT_EQ(kctx_read(ctx, p[1], &c, 1), -EBADF);	/* the write end */
	ASSERT_EQ(kctx_write(ctx, p[1], NULL, 1), -EFAULT);
	/* No reader: EPIPE (and SIGPIPE, as write(2)). */
	signal(SIGPIPE, SIG_IGN);
	close(p[0]);
	ASSERT_EQ(kctx_write(ctx, p[1], "a", 1), -EPIPE);
	/* The background is never done: a plain call. */
	ASSERT_OK(kctx_background(&bg));
	ASSERT_OK(pipe(p));
	ASSERT_EQ(kctx_write(bg, p[1], "b", 1), 1);
	ASSERT_EQ(kctx_read(bg, p[0], &c, 1), 1);
	kctx_free(bg);
	kctx_free(ctx);
}

struct thief {
	kctx_t *ctx;
	int fd;
	pid_t tid;
	ssize_t r;
	int done;	/* write end, told when r is set */
};

static void *steal(void *arg)
{
	struct thief *t = arg;
	char c;

	t->tid = call_gettid();
	t->r = kctx_read(t->ctx, t->fd, &c, 1);
	if (write(t->done, "d", 1) != 1)
		abort();
	return NULL;
}

/*
 * Two readers wake for one byte; the one that loses must go back to the
 * ppoll(), where the cancel reaches it, not block in read().
 */
/*
 * Whether pipes take RWF_NOWAIT here (6.1 has none): without it a read
 * of a blocking pipe is the documented window, and a stolen byte blocks
 * the reader outside the ppoll(), which the two tests below would fail.
 */
static void skip_without_pipe_nowait(void)
{
	char c;
	struct iovec iov = { .iov_base = &c, .iov_len = 1 };
	int p[2];
	ssize_t r;

	ASSERT_OK(pipe(p));
	r = preadv2(p[0], &iov, 1, -1, RWF_NOWAIT);
	close(p[0]);
	close(p[1]);
	if (r < 0 && errno == EOPNOTSUPP)
		SKIP("pipes take no RWF_NOWAIT on this kernel: the documented window");
}

TEST(a_reader_whose_byte_was_stolen_still_ends_on_cancel)
{
	kctx_t *ctx;
	struct thief th[2];
	pthread_t t[2];
	struct timespec ts;
	int p[2], done[2], i;
	char c;

	skip_without_pipe_nowait();
	ctx = new_root();
	ASSERT_OK(pipe(p));
	ASSERT_OK(pipe(done));
	for (i = 0; i < 2; i++) {
		th[i] = (struct thief){ .ctx = ctx, .fd = p[0], .r = 1000, .done = done[1] };
		ASSERT_OK(pthread_create(&t[i], NULL, steal, &th[i]));
	}
	for (i = 0; i < 2; i++) {
		while (!__atomic_load_n(&th[i].tid, __ATOMIC_SEQ_CST))
			sched_yield();
		wait_blocked(th[i].tid);
	}
	ASSERT_EQ(write(p[1], "s", 1), 1);
	ASSERT_EQ(read(done[0], &c, 1), 1);
	ASSERT_EQ(th[0].r + th[1].r, 1 + 1000);
	/* The loser: blocked again, in the ppoll() if all is well. */
	wait_blocked(th[th[0].r == 1 ? 1 : 0].tid);
	ASSERT_OK(kctx_cancel(ctx));
	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += 5;
	for (i = 0; i < 2; i++)
		if (pthread_timedjoin_np(t[i], NULL, &ts))
			FAIL("a reader did not end on cancel: blocked outside the ppoll()");
	ASSERT_EQ(th[0].r + th[1].r, 1 - ECANCELED);
	kctx_free(ctx);
}

static int steal_fd = -1;
static volatile sig_atomic_t stolen;

/* Runs as the reader returns from its ppoll(), before it reads. */
static void steal_on_signal(int sig)
{
	struct iovec iov;
	char c;

	(void)sig;
	iov.iov_base = &c;
	iov.iov_len = 1;
	stolen = preadv2(steal_fd, &iov, 1, -1, RWF_NOWAIT) == 1;
}

struct victim {
	kctx_t *ctx;
	int fd;
	pid_t tid;
	ssize_t r;
};

static void pin_cpu0(void)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(0, &set);
	ASSERT_OK(sched_setaffinity(0, sizeof(set), &set));
}

static void *victim_read(void *arg)
{
	struct victim *v = arg;
	char c;

	pin_cpu0();
	__atomic_store_n(&v->tid, call_gettid(), __ATOMIC_SEQ_CST);
	v->r = kctx_read(v->ctx, v->fd, &c, 1);
	return NULL;
}

/*
 * The same, made certain: the reader and this thread share CPU 0, and
 * this one, SCHED_FIFO for the moment, writes the byte and signals the
 * reader before the reader can run. Its ppoll() then returns the pipe
 * ready, and on the way back to userspace the signal handler takes the
 * byte: exactly a steal between poll and read. The reader must go back
 * to its ppoll(), where the cancel reaches it.
 */
TEST(a_byte_stolen_between_poll_and_read_sends_the_reader_back_to_wait)
{
	struct sigaction sa = { .sa_handler = steal_on_signal };
	struct sched_param fifo = { .sched_priority = 1 }, other = { 0 };
	struct victim v = { .r = 1000 };
	struct timespec ts;
	pthread_t t;
	int p[2];

	skip_without_pipe_nowait();
	v.ctx = new_root();
	ASSERT_OK(pipe(p));
	steal_fd = v.fd = p[0];
	ASSERT_OK(sigaction(SIGUSR1, &sa, NULL));
	pin_cpu0();
	ASSERT_OK(pthread_create(&t, NULL, victim_read, &v));
	while (!__atomic_load_n(&v.tid, __ATOMIC_SEQ_CST))
		usleep(100);
	wait_blocked(v.tid);
	if (pthread_setschedparam(pthread_self(), SCHED_FIFO, &fifo))
		SKIP("SCHED_FIFO: not permitted here");
	ASSERT_EQ(write(p[1], "s", 1), 1);
	ASSERT_OK(pthread_kill(t, SIGUSR1));
	ASSERT_OK(pthread_setschedparam(pthread_self(), SCHED_OTHER, &other));
	/* The handler has run once the reader sleeps again. */
	wait_blocked(v.tid);
	ASSERT_EQ(stolen, 1);
	ASSERT_OK(kctx_cancel(v.ctx));
	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += 5;
	if (pthread_timedjoin_np(t, NULL, &ts))
		FAIL("the reader did not end on cancel: blocked outside the ppoll()");
	ASSERT_EQ(v.r, -ECANCELED);
	kctx_free(v.ctx);
}

/*
 * The VM's /dev has no devpts (ENODEV from /dev/ptmx) or no ptmx: mount
 * one, in a mount namespace of this test's own, and use its ptmx.
 */
static int open_pty(int *slave)
{
	int m = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);

	if (m < 0 && (errno == ENOENT || errno == ENODEV)) {
		if (unshare(CLONE_NEWNS) || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL))
			SKIP("no /dev/ptmx, and no mount namespace to mount devpts in: %s",
			     strerror(errno));
		mkdir("/dev/pts", 0755);
		if (mount("devpts", "/dev/pts", "devpts", 0, "newinstance,ptmxmode=0666"))
			SKIP("no /dev/ptmx, and devpts does not mount: %s", strerror(errno));
		m = open("/dev/pts/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC);
	}
	if (m < 0)
		SKIP("posix_openpt: %s", strerror(errno));
	ASSERT_OK(grantpt(m));
	ASSERT_OK(unlockpt(m));
	*slave = open(ptsname(m), O_RDWR | O_NOCTTY | O_CLOEXEC);
	ASSERT_GE(*slave, 0);
	return m;
}

/* A tty: RWF_NOWAIT or not (the kernel's choice), the cancel reaches it. */
TEST(a_pty_read_ends_on_cancel_and_reads_a_line)
{
	kctx_t *ctx = new_root();
	struct iovec iov;
	char buf[16] = "";
	int m, s;
	pid_t pid;

	m = open_pty(&s);
	iov = (struct iovec){ .iov_base = buf, .iov_len = 1 };
	printf("# RWF_NOWAIT on a pty: %s\n",
	       preadv2(s, &iov, 1, -1, RWF_NOWAIT) < 0 && errno == EOPNOTSUPP ?
	       "not supported (the documented window)" : "supported");
	pid = cancel_when_blocked(ctx, call_gettid(), 0);
	ASSERT_EQ(kctx_read(ctx, s, buf, sizeof(buf)), -ECANCELED);
	ASSERT_EQ(wait_child(pid), 0);
	kctx_free(ctx);
	ctx = new_root();
	ASSERT_EQ(kctx_write(ctx, m, "hi\n", 3), 3);
	ASSERT_EQ(kctx_read(ctx, s, buf, sizeof(buf)), 3);
	ASSERT_OK(memcmp(buf, "hi\n", 3));
	/* A tty opened for one direction refuses the other, as read(2) and write(2). */
	close(s);
	s = open(ptsname(m), O_WRONLY | O_NOCTTY | O_CLOEXEC);
	ASSERT_GE(s, 0);
	ASSERT_EQ(kctx_read(ctx, s, buf, sizeof(buf)), -EBADF);
	close(s);
	s = open(ptsname(m), O_RDONLY | O_NOCTTY | O_CLOEXEC);
	ASSERT_GE(s, 0);
	ASSERT_EQ(kctx_write(ctx, s, "x", 1), -EBADF);
	kctx_free(ctx);
}

TEST(rwf_nowait_on_a_pipe_and_a_regular_file)
{
	kctx_t *ctx = new_root();
	char path[] = "/tmp/kctx-call-XXXXXX", buf[4];
	struct iovec iov = { .iov_base = buf, .iov_len = 1 };
	int p[2], fd;

	ASSERT_OK(pipe(p));
	printf("# RWF_NOWAIT on a pipe: %s\n",
	       preadv2(p[0], &iov, 1, -1, RWF_NOWAIT) < 0 && errno == EOPNOTSUPP ?
	       "not supported" : "supported");
	/* A regular file polls ready; the call reads it, whatever the cache. */
	fd = mkstemp(path);
	ASSERT_GE(fd, 0);
	unlink(path);
	ASSERT_EQ(kctx_write(ctx, fd, "file", 4), 4);
	ASSERT_EQ(lseek(fd, 0, SEEK_SET), 0);
	ASSERT_EQ(kctx_read(ctx, fd, buf, 4), 4);
	ASSERT_OK(memcmp(buf, "file", 4));
	ASSERT_EQ(kctx_read(ctx, fd, buf, 4), 0);
	close(fd);
	kctx_free(ctx);
}
