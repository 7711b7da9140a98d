// SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
/*
 * libkctx: Go's context package over kctx's context file descriptors.
 *
 * A handle is a context fd plus, once asked for, an eventfd attached to
 * it, and the context's status page, mapped read-only at the first check,
 * so that every later kctx_err(), kctx_done(), kctx_cause(),
 * kctx_deadline() and kctx_id() is a load, not a system call. The
 * background handle holds /dev/kctx instead: KCTX_IOC_CREATE on the
 * device makes children of the background root, and there is nothing else
 * to do with it. Everything the kernel checks (owner or watch-only, flags,
 * times) is left to the kernel, so the errors are its errors.
 *
 * No function changes errno: ERRNO_GUARD restores it on every return.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>

#include <linux/kctx.h>

#include "kctx.h"
#include "lib.h"

struct kctx {
	int fd;			/* the context fd, or /dev/kctx for background */
	int efd;		/* -1 until kctx_eventfd(); under lock */
	int wfd;		/* the worker fd while attached, else -1; under lock */
	int background;
	pthread_mutex_t lock;	/* serialises kctx_eventfd()'s first call */
	/* NULL until the first check, then the page or MAP_FAILED; atomic */
	struct kctx_status *status;
};

/* ioctl() as 0 or more, or a negative errno. */
static int xioctl(int fd, unsigned long cmd, void *arg)
{
	int r = ioctl(fd, cmd, arg);

	return r < 0 ? -errno : r;
}

/* Wrap @fd in a new handle, which owns it from here on, even on failure. */
static int handle_adopt(int fd, int background, kctx_t **out)
{
	kctx_t *h = malloc(sizeof(*h));

	if (!h) {
		close(fd);
		return -ENOMEM;
	}
	h->fd = fd;
	h->efd = -1;
	h->wfd = -1;
	h->background = background;
	h->status = NULL;
	pthread_mutex_init(&h->lock, NULL);
	*out = h;
	return 0;
}

/* The state of @ctx. The background's is made up: id 1, never done. */
static int state_of(kctx_t *ctx, struct kctx_state *st)
{
	memset(st, 0, sizeof(*st));
	if (!ctx)
		return -EINVAL;
	if (ctx->background) {
		st->id = 1;
		return 0;
	}
	st->size = sizeof(*st);
	return xioctl(ctx->fd, KCTX_IOC_STATE, st);
}

static size_t status_size(void)
{
	return (size_t)sysconf(_SC_PAGESIZE);
}

/*
 * @ctx's status page, mapped on first use; NULL where the kernel maps none
 * (an older kctx.ko fails with ENODEV, and is not asked again) or the
 * mapping failed this time. Two threads may both map it: one keeps its
 * mapping, the other unmaps its own.
 */
static const struct kctx_status *status_of(kctx_t *ctx)
{
	struct kctx_status *st = __atomic_load_n(&ctx->status, __ATOMIC_ACQUIRE);
	struct kctx_status *none = NULL;
	void *p;

	if (st)
		return st == MAP_FAILED ? NULL : st;
	p = mmap(NULL, status_size(), PROT_READ, MAP_SHARED, ctx->fd, 0);
	if (p == MAP_FAILED && errno != ENODEV)
		return NULL;
	if (!__atomic_compare_exchange_n(&ctx->status, &none, p, 0,
					 __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE)) {
		if (p != MAP_FAILED)
			munmap(p, status_size());
		p = none;
	}
	return p == MAP_FAILED ? NULL : p;
}

/*
 * What state_of() gives, but from the status page where there is one, so
 * without a system call; canceller_pid, kind and KCTX_STATE_OWNER are not
 * there, and are left 0. Done-ness is ->err's alone: the other done fields
 * count only once it is seen set.
 */
static int check_state_of(kctx_t *ctx, struct kctx_state *out)
{
	const struct kctx_status *st;

	if (!ctx || ctx->background || !(st = status_of(ctx)))
		return state_of(ctx, out);
	memset(out, 0, sizeof(*out));
	out->err = __atomic_load_n(&st->err, __ATOMIC_ACQUIRE);
	out->state = __atomic_load_n(&st->state, __ATOMIC_RELAXED) & KCTX_STATE_DEADLINE;
	out->deadline_ns = st->deadline_ns;
	out->id = st->id;
	out->parent_id = st->parent_id;
	if (!out->err)
		return 0;
	out->state |= __atomic_load_n(&st->state, __ATOMIC_RELAXED);
	out->cause = __atomic_load_n(&st->cause, __ATOMIC_RELAXED);
	out->user_cause = __atomic_load_n(&st->user_cause, __ATOMIC_RELAXED);
	return 0;
}

KCTX_EXPORT int kctx_background(kctx_t **out)
{
	ERRNO_GUARD;
	int fd;

	if (!out)
		return -EINVAL;
	*out = NULL;
	fd = open(KCTX_DEVICE, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	return handle_adopt(fd, 1, out);
}

static int create(kctx_t *parent, struct kctx_create *c, kctx_t **out)
{
	ERRNO_GUARD;
	int fd;

	if (!out)
		return -EINVAL;
	*out = NULL;
	if (!parent)
		return -EINVAL;
	c->size = sizeof(*c);
	fd = xioctl(parent->fd, KCTX_IOC_CREATE, c);
	if (fd < 0)
		return fd;
	return handle_adopt(fd, 0, out);
}

KCTX_EXPORT int kctx_with_cancel(kctx_t *parent, kctx_t **out)
{
	struct kctx_create c = { .kind = KCTX_KIND_CANCEL };

	return create(parent, &c, out);
}

KCTX_EXPORT int kctx_with_deadline(kctx_t *parent, const struct timespec *deadline,
				   kctx_t **out)
{
	struct kctx_create c = {
		.kind = KCTX_KIND_DEADLINE,
		.clockid = CLOCK_MONOTONIC,
	};

	/* The kernel checks the range, but a long tv_nsec could wrap into it. */
	if (!deadline || deadline->tv_nsec < 0 || deadline->tv_nsec >= 1000000000L) {
		if (out)
			*out = NULL;
		return -EINVAL;
	}
	c.deadline_sec = deadline->tv_sec;
	c.deadline_nsec = (uint32_t)deadline->tv_nsec;
	return create(parent, &c, out);
}

KCTX_EXPORT int kctx_with_timeout(kctx_t *parent, uint64_t timeout_ns, kctx_t **out)
{
	struct kctx_create c = {
		.flags = KCTX_CREATE_RELATIVE,
		.kind = KCTX_KIND_DEADLINE,
		.deadline_sec = (int64_t)(timeout_ns / 1000000000u),
		.deadline_nsec = (uint32_t)(timeout_ns % 1000000000u),
	};

	return create(parent, &c, out);
}

KCTX_EXPORT int kctx_with_value(kctx_t *parent, uint64_t key, uint64_t value,
				kctx_t **out)
{
	struct kctx_create c = {
		.kind = KCTX_KIND_VALUE,
		.key = key,
		.value = value,
	};

	return create(parent, &c, out);
}

KCTX_EXPORT int kctx_without_cancel(kctx_t *parent, kctx_t **out)
{
	struct kctx_create c = { .kind = KCTX_KIND_WITHOUT_CANCEL };

	return create(parent, &c, out);
}

static int cancel(kctx_t *ctx, struct kctx_cancel *c)
{
	ERRNO_GUARD;

	if (!ctx || ctx->background)
		return -EINVAL;
	c->size = sizeof(*c);
	return xioctl(ctx->fd, KCTX_IOC_CANCEL, c);
}

KCTX_EXPORT int kctx_cancel(kctx_t *ctx)
{
	struct kctx_cancel c = { 0 };

	return cancel(ctx, &c);
}

/*
 * A cause in [-4095, -1] is an errno: kernel work for the context sees it
 * too. Any other cause is for userspace alone; kernel work sees
 * -ECANCELED. Either way kctx_cause() gives back exactly @cause. 0 is
 * Go's CancelCause(nil): a plain cancel.
 */
static void cancel_set_cause(struct kctx_cancel *c, int64_t cause)
{
	if (cause) {
		c->flags |= KCTX_CANCEL_CAUSE;
		c->code = cause >= -4095 && cause <= -1 ? (int32_t)cause : 0;
		c->user_cause = (uint64_t)cause;
	}
}

KCTX_EXPORT int kctx_cancel_cause(kctx_t *ctx, int64_t cause)
{
	struct kctx_cancel c = { 0 };

	cancel_set_cause(&c, cause);
	return cancel(ctx, &c);
}

/*
 * A signal ends the kernel's wait early (EINTR), so the wait goes on
 * for what is left of @timeout_ns: the caller asked for 0 or -ETIME.
 */
KCTX_EXPORT int kctx_cancel_wait(kctx_t *ctx, int64_t cause, int64_t timeout_ns)
{
	struct kctx_cancel c = { .flags = KCTX_CANCEL_WAIT };
	int64_t end = 0;
	int r;

	if (timeout_ns < -1)
		return -EINVAL;
	cancel_set_cause(&c, cause);
	if (timeout_ns >= 0)
		end = monotonic_ns() + timeout_ns;
	for (;;) {
		int64_t left = end - monotonic_ns();

		c.wait_ns = timeout_ns < 0 ? KCTX_CANCEL_WAIT_FOREVER : (uint64_t)(left > 0 ? left : 0);
		r = cancel(ctx, &c);
		if (r != -EINTR)
			return r;
	}
}

KCTX_EXPORT int kctx_attach(kctx_t *ctx)
{
	ERRNO_GUARD;
	struct kctx_attach a = { .size = sizeof(a) };
	int r = 0;

	if (!ctx || ctx->background)
		return -EINVAL;
	pthread_mutex_lock(&ctx->lock);
	if (ctx->wfd >= 0) {
		r = -EALREADY;
	} else {
		r = xioctl(ctx->fd, KCTX_IOC_ATTACH, &a);
		if (r >= 0) {
			ctx->wfd = r;
			r = 0;
		}
	}
	pthread_mutex_unlock(&ctx->lock);
	return r;
}

KCTX_EXPORT int kctx_detach(kctx_t *ctx)
{
	ERRNO_GUARD;
	struct kctx_detach d = { .size = sizeof(d) };

	if (!ctx || ctx->background)
		return -EINVAL;
	pthread_mutex_lock(&ctx->lock);
	if (ctx->wfd >= 0) {
		/* Leave now, even if a child forked since shares the fd. */
		xioctl(ctx->wfd, KCTX_IOC_DETACH, &d);
		close(ctx->wfd);
		ctx->wfd = -1;
	}
	pthread_mutex_unlock(&ctx->lock);
	return 0;
}

__attribute__((noinline, cold)) static int err_slow(kctx_t *ctx)
{
	ERRNO_GUARD;
	struct kctx_state st;
	int r = check_state_of(ctx, &st);

	return r < 0 ? r : st.err;
}

/* kctx_err(): in the steady state, one load of the page. */
static inline int err_of(kctx_t *ctx)
{
	const struct kctx_status *st;

	if (ctx) {
		st = __atomic_load_n(&ctx->status, __ATOMIC_ACQUIRE);
		if (st && st != MAP_FAILED)
			return __atomic_load_n(&st->err, __ATOMIC_ACQUIRE);
	}
	return err_slow(ctx);
}

KCTX_EXPORT int kctx_err(kctx_t *ctx)
{
	return err_of(ctx);
}

KCTX_EXPORT int kctx_done(kctx_t *ctx)
{
	int r = err_of(ctx);

	return r == -ECANCELED || r == -ETIMEDOUT ? 1 : r;
}

KCTX_EXPORT int kctx_cause(kctx_t *ctx, int64_t *cause)
{
	ERRNO_GUARD;
	struct kctx_state st;
	int r;

	if (!cause)
		return -EINVAL;
	r = check_state_of(ctx, &st);
	if (r < 0)
		return r;
	if (!(st.state & KCTX_STATE_DONE))
		*cause = 0;
	else if (st.state & KCTX_STATE_USER_CAUSE)
		*cause = (int64_t)st.user_cause;
	else
		*cause = st.cause;
	return 0;
}

KCTX_EXPORT int kctx_deadline(kctx_t *ctx, struct timespec *out)
{
	ERRNO_GUARD;
	struct kctx_state st;
	int r;

	if (!out)
		return -EINVAL;
	r = check_state_of(ctx, &st);
	if (r < 0)
		return r;
	if (!(st.state & KCTX_STATE_DEADLINE))
		return -ENOENT;
	out->tv_sec = (time_t)(st.deadline_ns / 1000000000u);
	out->tv_nsec = (long)(st.deadline_ns % 1000000000u);
	return 0;
}

KCTX_EXPORT int kctx_value(kctx_t *ctx, uint64_t key, uint64_t *value)
{
	ERRNO_GUARD;
	struct kctx_value v = { .size = sizeof(v), .key = key };
	int r;

	if (!ctx || !value)
		return -EINVAL;
	if (ctx->background)
		return -ENOENT;
	r = xioctl(ctx->fd, KCTX_IOC_VALUE, &v);
	if (r < 0)
		return r;
	*value = v.value;
	return 0;
}

KCTX_EXPORT int kctx_id(kctx_t *ctx, uint64_t *id, uint64_t *parent_id)
{
	ERRNO_GUARD;
	struct kctx_state st;
	int r;

	if (!id && !parent_id)
		return -EINVAL;
	r = check_state_of(ctx, &st);
	if (r < 0)
		return r;
	if (id)
		*id = st.id;
	if (parent_id)
		*parent_id = st.parent_id;
	return 0;
}

KCTX_EXPORT int kctx_canceller(kctx_t *ctx, pid_t *pid)
{
	ERRNO_GUARD;
	struct kctx_state st;
	int r;

	if (!pid)
		return -EINVAL;
	r = state_of(ctx, &st);
	if (r < 0)
		return r;
	*pid = st.canceller_pid;
	return 0;
}

KCTX_EXPORT int kctx_is_owner(kctx_t *ctx)
{
	ERRNO_GUARD;
	struct kctx_state st;
	int r = state_of(ctx, &st);

	return r < 0 ? r : !!(st.state & KCTX_STATE_OWNER);
}

KCTX_EXPORT int kctx_fd(kctx_t *ctx)
{
	if (!ctx || ctx->background)
		return -EINVAL;
	return ctx->fd;
}

KCTX_EXPORT int kctx_eventfd(kctx_t *ctx)
{
	ERRNO_GUARD;
	struct kctx_attach_eventfd a = { .size = sizeof(a) };
	int efd, r;

	if (!ctx || ctx->background)
		return -EINVAL;
	pthread_mutex_lock(&ctx->lock);
	efd = ctx->efd;
	if (efd >= 0)
		goto out;
	efd = eventfd(0, EFD_CLOEXEC);
	if (efd < 0) {
		efd = -errno;
		goto out;
	}
	a.eventfd = efd;
	r = xioctl(ctx->fd, KCTX_IOC_ATTACH_EVENTFD, &a);
	if (r < 0) {
		close(efd);
		efd = r;
		goto out;
	}
	ctx->efd = efd;
out:
	pthread_mutex_unlock(&ctx->lock);
	return efd;
}

KCTX_EXPORT int kctx_wait(kctx_t *ctx, int64_t timeout_ns)
{
	ERRNO_GUARD;
	struct pollfd pfd;
	struct timespec ts, *tsp = NULL;
	int r;

	if (!ctx || timeout_ns < -1)
		return -EINVAL;
	if (timeout_ns >= 0) {
		ns_to_timespec(timeout_ns, &ts);
		tsp = &ts;
	}
	/* The background is never done: wait out the timeout, or a signal. */
	pfd.fd = ctx->background ? -1 : ctx->fd;
	pfd.events = POLLIN;
	pfd.revents = 0;
	r = ppoll(&pfd, 1, tsp, NULL);
	if (r < 0)
		return -errno;
	if (r == 0)
		return -ETIMEDOUT;
	if (pfd.revents & POLLNVAL)
		return -EBADF;
	return 0;
}

KCTX_EXPORT int kctx_watch(kctx_t *ctx, kctx_t **out)
{
	ERRNO_GUARD;
	struct kctx_watch w = { .size = sizeof(w) };
	int fd;

	if (!out)
		return -EINVAL;
	*out = NULL;
	if (!ctx || ctx->background)
		return -EINVAL;
	fd = xioctl(ctx->fd, KCTX_IOC_WATCH, &w);
	if (fd < 0)
		return fd;
	return handle_adopt(fd, 0, out);
}

/*
 * Is @fd a context fd? Its /proc link names the anon inode; without /proc,
 * KCTX_STATE answering is the test. The _IO() numbers carry no size, so a
 * foreign driver could take KCTX_STATE for one of its own commands: the
 * link is asked first.
 */
static int is_kctx_fd(int fd)
{
	struct kctx_state st = { .size = sizeof(st) };
	char path[64], link[32];
	ssize_t n;

	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	n = readlink(path, link, sizeof(link));
	if (n >= 0)
		return n == (ssize_t)strlen("anon_inode:[kctx]") &&
		       !memcmp(link, "anon_inode:[kctx]", (size_t)n);
	return xioctl(fd, KCTX_IOC_STATE, &st) == 0;
}

KCTX_EXPORT int kctx_from_fd(int fd, kctx_t **out)
{
	ERRNO_GUARD;
	int nfd;

	if (!out)
		return -EINVAL;
	*out = NULL;
	if (fd < 0)
		return -EBADF;
	nfd = fcntl(fd, F_DUPFD_CLOEXEC, 0);
	if (nfd < 0)
		return -errno;
	if (!is_kctx_fd(nfd)) {
		close(nfd);
		return -EBADF;
	}
	return handle_adopt(nfd, 0, out);
}

KCTX_EXPORT int kctx_from_env(kctx_t **out)
{
	ERRNO_GUARD;
	const char *s;
	char *end;
	long fd;

	if (!out)
		return -EINVAL;
	*out = NULL;
	s = getenv(KCTX_FD_ENV);
	if (!s)
		return -ENOENT;
	if (*s < '0' || *s > '9')
		return -EBADF;
	fd = strtol(s, &end, 10);
	if (*end || fd > 0x7fffffffL)
		return -EBADF;
	return kctx_from_fd((int)fd, out);
}

KCTX_EXPORT void kctx_free(kctx_t *ctx)
{
	ERRNO_GUARD;

	if (!ctx)
		return;
	if (ctx->efd >= 0)
		close(ctx->efd);
	/* Only a close: a child forked since may still work as the worker. */
	if (ctx->wfd >= 0)
		close(ctx->wfd);
	if (ctx->status && ctx->status != MAP_FAILED)
		munmap(ctx->status, status_size());
	close(ctx->fd);
	pthread_mutex_destroy(&ctx->lock);
	free(ctx);
}

/* glibc has a thread-safe table of the rest; elsewhere they go unnamed. */
static const char *errno_text(int err)
{
#if defined(__GLIBC__) && (__GLIBC__ > 2 || __GLIBC_MINOR__ >= 32)
	const char *s = strerrordesc_np(err);

	if (s)
		return s;
#else
	(void)err;
#endif
	return "unknown error";
}

/*
 * What an errno means to a kctx user. Errors and causes that say something
 * particular about contexts get their own words; Go's where Go has them.
 */
KCTX_EXPORT const char *kctx_strerror(int err)
{
	if (err == INT_MIN)
		return "unknown error";
	if (err < 0)
		err = -err;
	switch (err) {
	case 0:
		return "success";
	case ECANCELED:
		return "context canceled";
	case ETIMEDOUT:
		return "context deadline exceeded";
	case EOWNERDEAD:
		return "context canceled: its last owner fd was closed";
	case EPERM:
		return "operation not permitted (watch-only context?)";
	case ENOENT:
		return "not found (no such value, no deadline, or kctx not loaded)";
	case EBADF:
		return "bad file descriptor (not a context fd?)";
	case ENOTTY:
		return "inappropriate ioctl (not supported on this fd)";
	case E2BIG:
		return "argument struct too big for this kernel";
	case ENOSPC:
		return "limit reached (contexts of this user, or eventfds on this context)";
	case EMLINK:
		return "context tree too deep (KCTX_MAX_DEPTH levels)";
	default:
		return errno_text(err);
	}
}

/* This library's version; LIBKCTX_VERSION is the header's a program was built with. */
KCTX_EXPORT const char *kctx_version(void)
{
	return LIBKCTX_VERSION;
}

KCTX_EXPORT int kctx_version_number(void)
{
	return LIBKCTX_VERSION_NUMBER;
}
