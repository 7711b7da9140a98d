// SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
/*
 * Binding a thread to a context (kctx_bind_thread(3)): the kernel signals
 * the thread the moment the context is done, and the signal's handler,
 * installed without SA_RESTART, ends the thread's blocking call with
 * EINTR, even a call that can't be polled: a futex wait, a read of a FUSE
 * or NFS file, a driver's blocking ioctl.
 *
 * The binding is a worker fd (KCTX_IOC_ATTACH with KCTX_ATTACH_SIGNAL),
 * kept per thread: a thread-local for the calls, and a pthread key whose
 * destructor unbinds a thread that exits bound. A child forked by a bound
 * thread is not bound: the kernel would signal the parent's thread, not
 * it, so the child drops its copy of the fd, without detaching the
 * parent's worker.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <unistd.h>
#include <sys/ioctl.h>

#include <linux/kctx.h>

#include "kctx.h"
#include "lib.h"

static __thread int bound_fd = -1;
static pthread_key_t bound_key;
static pthread_once_t bound_once = PTHREAD_ONCE_INIT;
static int bound_key_err;

static void unbind_fd(int fd)
{
	struct kctx_detach d = { .size = sizeof(d) };

	ioctl(fd, KCTX_IOC_DETACH, &d);
	close(fd);
}

/* A thread that exits bound: the key holds its fd + 1. */
static void bound_key_destroy(void *v)
{
	unbind_fd((int)(intptr_t)v - 1);
}

static void forked_child(void)
{
	if (bound_fd >= 0) {
		close(bound_fd);	/* only our copy: the parent's worker stays */
		bound_fd = -1;
		pthread_setspecific(bound_key, NULL);
	}
}

static void bound_init(void)
{
	bound_key_err = pthread_key_create(&bound_key, bound_key_destroy);
	if (!bound_key_err)
		bound_key_err = pthread_atfork(NULL, NULL, forked_child);
}

static void interrupted(int sig)
{
	(void)sig;	/* the point is the EINTR of the call it interrupts */
}

/*
 * A handler for @sig, without SA_RESTART, unless the program has one of
 * its own, which is then the program's to get right.
 */
static int catch_signal(int sig)
{
	struct sigaction old, sa = { .sa_handler = interrupted };

	if (sigaction(sig, NULL, &old))
		return -errno;
	if (old.sa_flags & SA_SIGINFO || (old.sa_handler != SIG_DFL && old.sa_handler != SIG_IGN))
		return 0;
	sigemptyset(&sa.sa_mask);
	return sigaction(sig, &sa, NULL) ? -errno : 0;
}

KCTX_EXPORT int kctx_bind_thread(kctx_t *ctx, int sig)
{
	ERRNO_GUARD;
	struct kctx_attach a = { .size = sizeof(a), .flags = KCTX_ATTACH_SIGNAL };
	int fd = kctx_fd(ctx), r;

	if (fd < 0)
		return fd;
	if (!sig)
		sig = SIGURG;
	if (sig < 1 || sig >= NSIG || sig == SIGKILL || sig == SIGSTOP)
		return -EINVAL;
	if (bound_fd >= 0)
		return -EBUSY;
	pthread_once(&bound_once, bound_init);
	if (bound_key_err)
		return -bound_key_err;
	r = catch_signal(sig);
	if (r)
		return r;
	a.signal = (uint32_t)sig;
	fd = ioctl(fd, KCTX_IOC_ATTACH, &a);
	if (fd < 0)
		return -errno;
	r = pthread_setspecific(bound_key, (void *)(intptr_t)(fd + 1));
	if (r) {
		unbind_fd(fd);
		return -r;
	}
	bound_fd = fd;
	return 0;
}

KCTX_EXPORT int kctx_unbind_thread(void)
{
	ERRNO_GUARD;

	if (bound_fd < 0)
		return 0;
	pthread_setspecific(bound_key, NULL);
	unbind_fd(bound_fd);
	bound_fd = -1;
	return 0;
}
