// SPDX-License-Identifier: GPL-2.0
/*
 * KCTX_IOC_ATTACH with KCTX_ATTACH_SIGNAL: the attaching thread is bound
 * to the context, and the kernel signals it the moment the context is
 * done, which ends a sleep that no fd could wake: a futex wait, a read of
 * a pipe whose writer never writes.
 */
#define _GNU_SOURCE	/* gettid() */
#include <linux/futex.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <sys/syscall.h>

#include "harness.h"

#define SIG	SIGUSR1

static _Atomic int handled;
static _Atomic int handled_code;
static _Atomic pid_t handled_tid;

static void on_signal(int sig, siginfo_t *si, void *uc)
{
	(void)sig;
	(void)uc;
	atomic_store(&handled_code, si->si_code);
	atomic_store(&handled_tid, gettid());
	atomic_fetch_add(&handled, 1);
}

/* A handler without SA_RESTART: an interrupted call fails with EINTR. */
static void catch_signal(void)
{
	struct sigaction sa = { .sa_sigaction = on_signal, .sa_flags = SA_SIGINFO };

	sigemptyset(&sa.sa_mask);
	ASSERT_EQ(sigaction(SIG, &sa, NULL), 0);
}

static int bind_thread(int fd, uint32_t sig)
{
	struct kctx_attach a = {
		.size = sizeof(a), .flags = KCTX_ATTACH_SIGNAL, .signal = sig,
	};
	int w = ioctl(fd, KCTX_IOC_ATTACH, &a);

	return w < 0 ? -errno : w;
}

struct sleeper {
	int ctx;
	int pipe_rd;		/* -1: wait on @word instead */
	_Atomic uint32_t word;
	_Atomic pid_t tid;
	long ret;
	int err;
};

/* Bind, then sleep in a call no fd can wake, and report how it ended. */
static void *sleeper_main(void *arg)
{
	struct sleeper *s = arg;
	char c;

	if (bind_thread(s->ctx, SIG) < 0) {
		s->ret = -2;
		atomic_store(&s->tid, -1);
		return NULL;
	}
	atomic_store(&s->tid, gettid());
	if (s->pipe_rd >= 0)
		s->ret = read(s->pipe_rd, &c, 1);
	else
		s->ret = syscall(SYS_futex, &s->word, FUTEX_WAIT_PRIVATE, 0, NULL, NULL, 0);
	s->err = errno;
	return NULL;
}

static pid_t start_sleeper(struct sleeper *s, pthread_t *t)
{
	pid_t tid;

	ASSERT_EQ(pthread_create(t, NULL, sleeper_main, s), 0);
	while (!(tid = atomic_load(&s->tid)))
		sched_yield();
	ASSERT_GE(tid, 0);
	kt_wait_sleeping(tid);
	return tid;
}

TEST(cancel_interrupts_a_bound_threads_futex_wait)
{
	struct sleeper s = { .ctx = kt_create(kt_dev(), KCTX_KIND_CANCEL, 0), .pipe_rd = -1 };
	pthread_t t;
	pid_t tid;

	catch_signal();
	tid = start_sleeper(&s, &t);
	ASSERT_EQ(kt_cancel(s.ctx, 0, 0), 0);
	ASSERT_EQ(pthread_join(t, NULL), 0);
	ASSERT_EQ(s.ret, -1);
	ASSERT_EQ(s.err, EINTR);
	ASSERT_EQ(atomic_load(&handled), 1);
	ASSERT_EQ(atomic_load(&handled_tid), tid);	/* that thread, no other */
	ASSERT_EQ(atomic_load(&handled_code), SI_KERNEL);
}

/* A kernel deadline ends a blocking read of a pipe nobody writes. */
TEST(deadline_interrupts_a_bound_threads_pipe_read)
{
	int p[2];
	/* Long enough for the thread to be seen asleep first, even on debug. */
	struct sleeper s = { .ctx = kt_timeout(kt_dev(), 500 * 1000000LL), .pipe_rd = -1 };
	pthread_t t;

	ASSERT_EQ(pipe(p), 0);
	s.pipe_rd = p[0];
	catch_signal();
	start_sleeper(&s, &t);
	ASSERT_EQ(pthread_join(t, NULL), 0);
	ASSERT_EQ(s.ret, -1);
	ASSERT_EQ(s.err, EINTR);
	ASSERT_EQ(kt_state(s.ctx).err, -ETIMEDOUT);
}

/* Another process's cancel reaches the bound thread here. */
TEST(another_process_cancel_interrupts_a_bound_thread)
{
	struct sleeper s = { .ctx = kt_create(kt_dev(), KCTX_KIND_CANCEL, 0), .pipe_rd = -1 };
	int go[2];
	pthread_t t;
	pid_t pid;
	char c;

	ASSERT_EQ(pipe(go), 0);
	pid = fork();
	ASSERT_GE(pid, 0);
	if (pid == 0)
		_exit(read(go[0], &c, 1) != 1 || kt_cancel(s.ctx, -EPIPE, 0));
	catch_signal();
	start_sleeper(&s, &t);
	ASSERT_EQ(write(go[1], "x", 1), 1);
	ASSERT_EQ(pthread_join(t, NULL), 0);
	ASSERT_EQ(s.err, EINTR);
	ASSERT_EQ(kt_state(s.ctx).cause, -EPIPE);
	ASSERT_EQ(waitpid(pid, NULL, 0), pid);
}

/*
 * The signal comes with the cancel: by the time the cancel returns to this
 * thread, bound itself, the handler has run, once. After a detach, never.
 */
TEST(signal_arrives_before_the_cancel_returns_and_not_after_detach)
{
	int dev = kt_dev(), a = kt_create(dev, KCTX_KIND_CANCEL, 0);
	int b = kt_create(dev, KCTX_KIND_CANCEL, 0);
	struct kctx_detach d = { .size = sizeof(d) };
	int w;

	catch_signal();
	ASSERT_GE(bind_thread(a, SIG), 0);
	ASSERT_EQ(atomic_load(&handled), 0);
	ASSERT_EQ(kt_cancel(a, 0, 0), 0);
	ASSERT_EQ(atomic_load(&handled), 1);
	ASSERT_EQ(kt_cancel(a, 0, 0), 0);	/* done once: no second signal */
	ASSERT_EQ(atomic_load(&handled), 1);

	w = bind_thread(b, SIG);
	ASSERT_GE(w, 0);
	ASSERT_EQ(ioctl(w, KCTX_IOC_DETACH, &d), 0);
	ASSERT_EQ(kt_cancel(b, 0, 0), 0);
	ASSERT_EQ(atomic_load(&handled), 1);
}

/* Binding to a done context is refused with its error, as any attach. */
TEST(binding_to_a_done_context_is_refused)
{
	int ctx = kt_create(kt_dev(), KCTX_KIND_CANCEL, 0);

	catch_signal();
	ASSERT_EQ(kt_cancel(ctx, 0, 0), 0);
	ASSERT_EQ(bind_thread(ctx, SIG), -ECANCELED);
	ASSERT_EQ(atomic_load(&handled), 0);
}

TEST(bad_signals_and_fields_are_einval)
{
	int ctx = kt_create(kt_dev(), KCTX_KIND_CANCEL, 0), w;
	struct kctx_attach a = { .size = sizeof(a), .signal = SIG };
	char path[64], buf[512];

	ASSERT_EQ(bind_thread(ctx, 0), -EINVAL);
	ASSERT_EQ(bind_thread(ctx, SIGKILL), -EINVAL);
	ASSERT_EQ(bind_thread(ctx, SIGSTOP), -EINVAL);
	ASSERT_EQ(bind_thread(ctx, 65), -EINVAL);
	ASSERT_ERRNO(ioctl(ctx, KCTX_IOC_ATTACH, &a), EINVAL);	/* no flag */
	a.flags = KCTX_ATTACH_SIGNAL;
	a.__reserved = 1;
	ASSERT_ERRNO(ioctl(ctx, KCTX_IOC_ATTACH, &a), EINVAL);
	a.__reserved = 0;
	a.flags = 2;
	ASSERT_ERRNO(ioctl(ctx, KCTX_IOC_ATTACH, &a), EINVAL);
	/* None of those attached anything; a good one says its signal. */
	ASSERT_EQ(kt_cancel_wait(ctx, 0), 0);
	ctx = kt_create(kt_dev(), KCTX_KIND_CANCEL, 0);
	w = bind_thread(ctx, SIGUSR2);
	ASSERT_GE(w, 0);
	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", w);
	ASSERT_EQ(kt_read_file(path, buf, sizeof(buf)), 0);
	snprintf(path, sizeof(path), "signal:\t%d\n", SIGUSR2);
	ASSERT_TRUE(strstr(buf, path));
}
