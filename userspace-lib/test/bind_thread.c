// SPDX-License-Identifier: GPL-2.0
/*
 * kctx_bind_thread(): the context's end interrupts the bound thread's
 * blocking call, one that no fd can wake, with EINTR, whoever ends it.
 */
#include <linux/futex.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <sys/syscall.h>

#include "harness.h"

struct sleeper {
	kctx_t *ctx;
	int fd;			/* read() this; -1: a futex wait on @word */
	_Atomic uint32_t word;
	_Atomic pid_t tid;
	int bound;
	long ret;
	int err;
};

static void *sleeper_main(void *arg)
{
	struct sleeper *s = arg;
	char c;

	s->bound = kctx_bind_thread(s->ctx, 0);
	atomic_store(&s->tid, s->bound ? -1 : (pid_t)syscall(SYS_gettid));
	if (s->bound)
		return NULL;
	if (s->fd >= 0)
		s->ret = read(s->fd, &c, 1);
	else
		s->ret = syscall(SYS_futex, &s->word, FUTEX_WAIT_PRIVATE, 0, NULL, NULL, 0);
	s->err = errno;
	kctx_unbind_thread();
	return NULL;
}

static void run_sleeper(struct sleeper *s, pthread_t *t)
{
	pid_t tid;

	ASSERT_OK(pthread_create(t, NULL, sleeper_main, s));
	while (!(tid = atomic_load(&s->tid)))
		sched_yield();
	ASSERT_OK(s->bound);
	wait_blocked(tid);
}

TEST(cancel_interrupts_a_futex_wait)
{
	struct sleeper s = { .ctx = new_root(), .fd = -1 };
	pthread_t t;

	run_sleeper(&s, &t);
	ASSERT_OK(kctx_cancel(s.ctx));
	ASSERT_OK(pthread_join(t, NULL));
	ASSERT_EQ(s.ret, -1);
	ASSERT_EQ(s.err, EINTR);
	ASSERT_EQ(kctx_err(s.ctx), -ECANCELED);
	kctx_free(s.ctx);
}

/* A peer that never answers, as a hung FUSE server: a deadline ends the read. */
TEST(deadline_interrupts_a_read_from_a_silent_peer)
{
	kctx_t *root = new_root();
	struct sleeper s = { .fd = -1 };
	int p[2];
	pthread_t t;

	ASSERT_OK(pipe(p));
	s.fd = p[0];
	/* Long enough for the thread to be seen asleep first, even on debug. */
	ASSERT_OK(kctx_with_timeout(root, MS(500), &s.ctx));
	run_sleeper(&s, &t);
	ASSERT_OK(pthread_join(t, NULL));
	ASSERT_EQ(s.ret, -1);
	ASSERT_EQ(s.err, EINTR);
	ASSERT_EQ(kctx_err(s.ctx), -ETIMEDOUT);
	kctx_free(s.ctx);
	kctx_free(root);
}

TEST(another_process_cancel_interrupts_a_bound_thread)
{
	struct sleeper s = { .ctx = new_root(), .fd = -1 };
	int go[2];
	pthread_t t;
	pid_t pid;
	char c;

	ASSERT_OK(pipe(go));
	pid = fork();
	ASSERT_GE(pid, 0);
	if (pid == 0)
		_exit(read(go[0], &c, 1) != 1 || kctx_cancel_cause(s.ctx, 17) != 0);
	run_sleeper(&s, &t);
	ASSERT_EQ(write(go[1], "x", 1), 1);
	ASSERT_OK(pthread_join(t, NULL));
	ASSERT_EQ(s.err, EINTR);
	ASSERT_EQ(wait_child(pid), 0);
	kctx_free(s.ctx);
}

static _Atomic int handled;

static void count_signal(int sig)
{
	(void)sig;
	atomic_fetch_add(&handled, 1);
}

/*
 * The program's own handler is kept. The signal arrives with the cancel,
 * before the cancel returns to this, the bound thread; after an unbind,
 * it doesn't come.
 */
TEST(unbind_stops_the_signal_and_a_handler_of_ones_own_is_kept)
{
	struct sigaction sa = { .sa_handler = count_signal };
	kctx_t *a = new_root(), *b = new_root();

	sigemptyset(&sa.sa_mask);
	ASSERT_OK(sigaction(SIGUSR2, &sa, NULL));
	ASSERT_OK(kctx_bind_thread(a, SIGUSR2));
	ASSERT_EQ(kctx_bind_thread(b, SIGUSR2), -EBUSY);
	ASSERT_OK(kctx_cancel(a));
	ASSERT_EQ(atomic_load(&handled), 1);
	ASSERT_OK(kctx_unbind_thread());
	ASSERT_OK(kctx_unbind_thread());	/* again: nothing to do */

	ASSERT_OK(kctx_bind_thread(b, SIGUSR2));
	ASSERT_OK(kctx_unbind_thread());
	ASSERT_OK(kctx_cancel(b));
	ASSERT_EQ(atomic_load(&handled), 1);
	kctx_free(a);
	kctx_free(b);
}

static void *bind_and_exit(void *arg)
{
	return (void *)(intptr_t)kctx_bind_thread(arg, 0);
}

/* A bound thread is a worker: a cancel-wait waits for it, until it exits. */
TEST(a_thread_that_exits_bound_is_unbound)
{
	kctx_t *ctx = new_root();
	pthread_t t;
	void *r;

	ASSERT_OK(pthread_create(&t, NULL, bind_and_exit, ctx));
	ASSERT_OK(pthread_join(t, &r));
	ASSERT_EQ((intptr_t)r, 0);
	ASSERT_OK(kctx_cancel_wait(ctx, 0, MS(10000)));
	kctx_free(ctx);
}

/* A child forked by a bound thread is not bound, and the parent stays so. */
TEST(a_forked_child_is_not_bound)
{
	kctx_t *a = new_root(), *b = new_root();
	pid_t pid;

	ASSERT_OK(kctx_bind_thread(a, 0));
	pid = fork();
	ASSERT_GE(pid, 0);
	if (pid == 0)
		_exit(kctx_bind_thread(b, 0) != 0 || kctx_unbind_thread() != 0);
	ASSERT_EQ(wait_child(pid), 0);
	/* The child's exit didn't end the parent's worker. */
	ASSERT_EQ(kctx_cancel_wait(a, 0, 0), -ETIME);
	ASSERT_OK(kctx_unbind_thread());
	ASSERT_OK(kctx_cancel_wait(a, 0, 0));
	kctx_free(a);
	kctx_free(b);
}

TEST(bad_binds_are_refused)
{
	kctx_t *bg, *ctx = new_root();

	ASSERT_OK(kctx_background(&bg));
	ASSERT_EQ(kctx_bind_thread(NULL, 0), -EINVAL);
	ASSERT_EQ(kctx_bind_thread(bg, 0), -EINVAL);
	ASSERT_EQ(kctx_bind_thread(ctx, SIGKILL), -EINVAL);
	ASSERT_EQ(kctx_bind_thread(ctx, 65), -EINVAL);
	ASSERT_OK(kctx_cancel(ctx));
	ASSERT_EQ(kctx_bind_thread(ctx, 0), -ECANCELED);
	ASSERT_OK(kctx_unbind_thread());
	kctx_free(ctx);
	kctx_free(bg);
}
