// SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
/*
 * libkctx: blocking calls that a context can end. See kctx_read(3).
 *
 * Each call checks the context, then tries the operation without
 * blocking (RWF_NOWAIT, MSG_DONTWAIT, or a plain call on an O_NONBLOCK
 * fd). Only when that would block does it wait, in one ppoll() on the
 * target fd and the ctx fd together: the ctx fd polls readable once the
 * context is done (the kernel makes it so at the deadline too), so a
 * cancel between the check and the wait still ends the wait. After a
 * wake-up the operation is tried again without blocking; if another
 * thread took what poll saw, the call waits again.
 *
 * Only fds that offer no way to try without blocking (no RWF_NOWAIT, not
 * a socket, not O_NONBLOCK), and accept() on a blocking listener, are
 * waited for first and then called plainly: there, another reader can
 * take what poll saw in between, and the call blocks outside the ppoll().
 *
 * The context is checked through kctx_err() alone (ctx_err()), so that a
 * cheaper kctx_err() makes every call here cheaper.
 *
 * No function changes errno.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/uio.h>

#include "kctx.h"
#include "lib.h"

/* The one check of the context: 0 while it is live, else its error. */
static inline int ctx_err(kctx_t *ctx)
{
	return kctx_err(ctx);
}

/* The fd to poll for the context; -1, which ppoll() skips, for the background. */
static inline int ctx_pollfd(kctx_t *ctx)
{
	int fd = kctx_fd(ctx);

	return fd < 0 ? -1 : fd;
}

/*
 * The context's error after its fd polled: its error, or -EBADF if the fd
 * was closed behind the library's back. 0 if it is not done after all.
 */
static int ctx_woke(kctx_t *ctx, short revents)
{
	if (revents & POLLNVAL)
		return -EBADF;
	return ctx_err(ctx);
}

/*
 * Wait until @fd polls one of @events (or an error or hang-up, which the
 * call then reports), or the context is done: 0, the context's error, or
 * -errno (-EINTR for a signal). A done context wins a tie.
 */
static int wait_fd(kctx_t *ctx, int fd, short events)
{
	struct pollfd p[2] = {
		{ .fd = fd, .events = events },
		{ .fd = ctx_pollfd(ctx), .events = POLLIN },
	};
	int r;

	for (;;) {
		if (ppoll(p, 2, NULL, NULL) < 0)
			return -errno;
		if (p[1].revents) {
			r = ctx_woke(ctx, p[1].revents);
			if (r)
				return r;
		}
		if (p[0].revents & POLLNVAL)
			return -EBADF;
		if (p[0].revents)
			return 0;
	}
}

enum op_kind { OP_READ, OP_WRITE, OP_RECV, OP_SEND, OP_ACCEPT };

struct op {
	enum op_kind kind;
	int fd;
	short events;		/* what poll waits for */
	int flags;		/* recv, send: MSG_*; accept: SOCK_* */
	void *buf;
	size_t len;
	struct sockaddr *addr;	/* accept */
	socklen_t *addrlen;
};

static ssize_t ret(ssize_t r)
{
	return r < 0 ? -errno : r;
}

/* The call as the caller would make it: blocks if the fd is blocking. */
static ssize_t op_plain(struct op *op)
{
	switch (op->kind) {
	case OP_READ:
		return ret(read(op->fd, op->buf, op->len));
	case OP_WRITE:
		return ret(write(op->fd, op->buf, op->len));
	case OP_RECV:
		return ret(recv(op->fd, op->buf, op->len, op->flags));
	case OP_SEND:
		return ret(send(op->fd, op->buf, op->len, op->flags));
	case OP_ACCEPT:
		return ret(accept4(op->fd, op->addr, op->addrlen, op->flags));
	}
	return -EINVAL;
}

/*
 * The call, made not to block whatever the fd's O_NONBLOCK: -EAGAIN if it
 * would have, -EOPNOTSUPP if this fd offers no way to ask (then the
 * caller falls back on the fd's own flag).
 */
static ssize_t op_nowait(struct op *op)
{
	struct iovec iov = { .iov_base = op->buf, .iov_len = op->len };
	ssize_t r;

	switch (op->kind) {
	case OP_READ:
	case OP_WRITE:
		if (op->kind == OP_READ)
			r = ret(preadv2(op->fd, &iov, 1, -1, RWF_NOWAIT));
		else
			r = ret(pwritev2(op->fd, &iov, 1, -1, RWF_NOWAIT));
		if (r != -EOPNOTSUPP && r != -ENOSYS)
			return r;
		/* No FMODE_NOWAIT on this fd: a socket still has MSG_DONTWAIT. */
		if (op->kind == OP_READ)
			r = ret(recv(op->fd, op->buf, op->len, MSG_DONTWAIT));
		else
			r = ret(send(op->fd, op->buf, op->len, MSG_DONTWAIT));
		return r == -ENOTSOCK ? -EOPNOTSUPP : r;
	case OP_RECV:
		return ret(recv(op->fd, op->buf, op->len, op->flags | MSG_DONTWAIT));
	case OP_SEND:
		return ret(send(op->fd, op->buf, op->len, op->flags | MSG_DONTWAIT));
	case OP_ACCEPT:
		break;
	}
	return -EOPNOTSUPP;
}

/*
 * Regular files and block devices always poll ready: an RWF_NOWAIT that
 * still says -EAGAIN after a wake-up means the page cache lacks the data,
 * not that someone else took it.
 */
static int always_ready(int fd)
{
	struct stat st;

	return !fstat(fd, &st) && (S_ISREG(st.st_mode) || S_ISBLK(st.st_mode));
}

/* An fd with no way to try without blocking: its own O_NONBLOCK decides. */
static ssize_t run_plain(kctx_t *ctx, struct op *op)
{
	ssize_t r;
	int fl = fcntl(op->fd, F_GETFL);

	if (fl < 0)
		return -errno;
	/* What the call would refuse at once, poll would wait for forever. */
	if ((op->kind == OP_READ && (fl & O_ACCMODE) == O_WRONLY) ||
	    (op->kind == OP_WRITE && (fl & O_ACCMODE) == O_RDONLY))
		return -EBADF;
	if (fl & O_NONBLOCK) {
		for (;;) {
			r = op_plain(op);
			if (r != -EAGAIN && r != -EWOULDBLOCK)
				return r;
			r = wait_fd(ctx, op->fd, op->events);
			if (r)
				return r;
		}
	}
	/*
	 * The window: if another thread takes what poll saw before the
	 * call, the call blocks, and only a signal or the fd ends it.
	 */
	r = wait_fd(ctx, op->fd, op->events);
	if (r)
		return r;
	return op_plain(op);
}

static ssize_t run(kctx_t *ctx, struct op *op)
{
	ssize_t r;
	int waited = 0;

	if (!ctx)
		return -EINVAL;
	r = ctx_err(ctx);
	if (r)
		return r;
	for (;;) {
		r = op_nowait(op);
		if (r != -EAGAIN && r != -EWOULDBLOCK)
			break;
		/* The caller asked not to wait. */
		if ((op->kind == OP_RECV || op->kind == OP_SEND) && (op->flags & MSG_DONTWAIT))
			return r;
		if (waited && always_ready(op->fd))
			return op_plain(op);
		r = wait_fd(ctx, op->fd, op->events);
		if (r)
			return r;
		waited = 1;
	}
	if (r == -EOPNOTSUPP)
		return run_plain(ctx, op);
	return r;
}

KCTX_EXPORT ssize_t kctx_read(kctx_t *ctx, int fd, void *buf, size_t count)
{
	ERRNO_GUARD;
	struct op op = { .kind = OP_READ, .fd = fd, .events = POLLIN, .buf = buf, .len = count };

	return run(ctx, &op);
}

KCTX_EXPORT ssize_t kctx_write(kctx_t *ctx, int fd, const void *buf, size_t count)
{
	ERRNO_GUARD;
	struct op op = {
		.kind = OP_WRITE, .fd = fd, .events = POLLOUT, .buf = (void *)buf, .len = count,
	};

	return run(ctx, &op);
}

static int is_stream(int fd)
{
	int type = 0;
	socklen_t len = sizeof(type);

	return !getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len) && type == SOCK_STREAM;
}

KCTX_EXPORT ssize_t kctx_recv(kctx_t *ctx, int sockfd, void *buf, size_t len, int flags)
{
	ERRNO_GUARD;
	struct op op = {
		.kind = OP_RECV, .fd = sockfd, .events = POLLIN, .flags = flags,
		.buf = buf, .len = len,
	};
	size_t got = 0;
	ssize_t r;

	/*
	 * MSG_WAITALL with MSG_DONTWAIT gives what there is: on a stream,
	 * gather the rest here. What came before the context ended is
	 * returned; the next call returns its error.
	 */
	if (!(flags & MSG_WAITALL) || (flags & (MSG_DONTWAIT | MSG_PEEK)) || !ctx ||
	    !is_stream(sockfd))
		return run(ctx, &op);
	op.flags &= ~MSG_WAITALL;
	do {
		op.buf = (char *)buf + got;
		op.len = len - got;
		r = run(ctx, &op);
		if (r <= 0)
			return got ? (ssize_t)got : r;
		got += (size_t)r;
	} while (got < len);
	return (ssize_t)got;
}

KCTX_EXPORT ssize_t kctx_send(kctx_t *ctx, int sockfd, const void *buf, size_t len, int flags)
{
	ERRNO_GUARD;
	struct op op = {
		.kind = OP_SEND, .fd = sockfd, .events = POLLOUT, .flags = flags,
		.buf = (void *)buf, .len = len,
	};

	return run(ctx, &op);
}

KCTX_EXPORT int kctx_accept(kctx_t *ctx, int sockfd, struct sockaddr *addr,
			    socklen_t *addrlen, int flags)
{
	ERRNO_GUARD;
	struct op op = {
		.kind = OP_ACCEPT, .fd = sockfd, .events = POLLIN, .flags = flags,
		.addr = addr, .addrlen = addrlen,
	};

	return (int)run(ctx, &op);
}

/*
 * connect(2) has no per-call MSG_DONTWAIT: the socket is made O_NONBLOCK
 * for the connect() call alone and put back at once. A socket being
 * connected is not in use by anyone else yet; the flag is restored before
 * the wait, so the caller never sees it.
 */
KCTX_EXPORT int kctx_connect(kctx_t *ctx, int sockfd, const struct sockaddr *addr,
			     socklen_t addrlen)
{
	ERRNO_GUARD;
	struct sockaddr unspec = { .sa_family = AF_UNSPEC };
	socklen_t len = sizeof(int);
	int r, fl, soerr = 0;

	if (!ctx)
		return -EINVAL;
	r = ctx_err(ctx);
	if (r)
		return r;
	fl = fcntl(sockfd, F_GETFL);
	if (fl < 0)
		return -errno;
	if (!(fl & O_NONBLOCK) && fcntl(sockfd, F_SETFL, fl | O_NONBLOCK) < 0)
		return -errno;
	r = connect(sockfd, addr, addrlen) < 0 ? -errno : 0;
	if (!(fl & O_NONBLOCK))
		fcntl(sockfd, F_SETFL, fl);
	/* EALREADY: a connect still under way from an earlier call (-EINTR). */
	if (r != -EINPROGRESS && r != -EALREADY)
		return r;
	r = wait_fd(ctx, sockfd, POLLOUT);
	if (r == -EINTR || r == -EBADF)
		return r;
	if (r) {
		/* Abandon the attempt, so that the socket does not connect later. */
		connect(sockfd, &unspec, sizeof(unspec));
		return r;
	}
	if (getsockopt(sockfd, SOL_SOCKET, SO_ERROR, &soerr, &len) < 0)
		return -errno;
	return -soerr;
}

/* A ppoll() timeout: at most 2^30 s (34 years), which a 32-bit time_t holds. */
static void timeout_ts(int64_t ns, struct timespec *ts)
{
	ns_to_timespec(ns > ((int64_t)1 << 30) * 1000000000 ? ((int64_t)1 << 30) * 1000000000 : ns, ts);
}

/*
 * A sleep's own end is a timeout of the ppoll() on the ctx fd. ppoll()
 * takes a relative time and is not restarted after a signal, so the end
 * is kept on CLOCK_MONOTONIC (nanosleep(2)'s clock) and what is left
 * goes into *rem.
 */
KCTX_EXPORT int kctx_sleep(kctx_t *ctx, const struct timespec *req, struct timespec *rem)
{
	ERRNO_GUARD;
	struct pollfd p;
	struct timespec ts;
	int64_t end, left;
	int r;

	if (!ctx || !req || req->tv_sec < 0 || req->tv_nsec < 0 || req->tv_nsec >= 1000000000L)
		return -EINVAL;
	p.fd = ctx_pollfd(ctx);
	p.events = POLLIN;
	end = monotonic_ns();
	/* Saturate: a sleep past 2^63 ns is forever. */
	if ((int64_t)req->tv_sec >= (INT64_MAX - end) / 1000000000 - 1)
		end = INT64_MAX;
	else
		end += (int64_t)req->tv_sec * 1000000000 + req->tv_nsec;
	r = ctx_err(ctx);
	if (r)
		goto out;
	for (;;) {
		left = end - monotonic_ns();
		if (left <= 0)
			break;
		timeout_ts(left, &ts);
		p.revents = 0;
		r = ppoll(&p, 1, &ts, NULL);
		if (r < 0) {
			r = -errno;
			goto out;
		}
		if (r > 0) {
			r = ctx_woke(ctx, p.revents);
			if (r)
				goto out;
		}
	}
	if (rem)
		rem->tv_sec = rem->tv_nsec = 0;
	return 0;
out:
	if (rem) {
		left = end - monotonic_ns();
		ns_to_timespec(left > 0 ? left : 0, rem);
	}
	return r;
}

/* Up to this many fds, kctx_poll() needs no allocation. */
#define POLL_STACK 16

KCTX_EXPORT int kctx_poll(kctx_t *ctx, struct pollfd *fds, nfds_t nfds, int timeout)
{
	ERRNO_GUARD;
	struct pollfd stack[POLL_STACK + 1], *p = stack;
	struct timespec ts, *tsp = NULL;
	int64_t end = 0, left;
	nfds_t i;
	int r;

	if (!ctx || (!fds && nfds) || nfds > (nfds_t)INT32_MAX - 1)
		return -EINVAL;
	if (nfds > POLL_STACK) {
		p = calloc(nfds + 1, sizeof(*p));
		if (!p)
			return -ENOMEM;
	}
	if (nfds)
		memcpy(p, fds, nfds * sizeof(*p));
	p[nfds].fd = ctx_pollfd(ctx);
	p[nfds].events = POLLIN;
	if (timeout >= 0)
		end = monotonic_ns() + (int64_t)timeout * 1000000;
	/* The ppoll() checks the context too: a done one polls readable at once. */
	for (;;) {
		if (timeout >= 0) {
			left = end - monotonic_ns();
			timeout_ts(left > 0 ? left : 0, &ts);
			tsp = &ts;
		}
		for (i = 0; i <= nfds; i++)
			p[i].revents = 0;
		r = ppoll(p, nfds + 1, tsp, NULL);
		if (r < 0) {
			r = -errno;
			break;
		}
		if (p[nfds].revents) {
			r = ctx_woke(ctx, p[nfds].revents);
			if (r) {
				for (i = 0; i < nfds; i++)
					fds[i].revents = 0;
				break;
			}
			/* Not done after all: count only the caller's fds. */
			r = 0;
			for (i = 0; i < nfds; i++)
				r += !!p[i].revents;
			if (!r)
				continue;
		}
		for (i = 0; i < nfds; i++)
			fds[i].revents = p[i].revents;
		break;
	}
	if (p != stack)
		free(p);
	return r;
}
