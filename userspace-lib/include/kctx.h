/* SPDX-License-Identifier: LGPL-2.1-or-later OR MIT */
/*
 * libkctx: Go's context package for Linux processes, over the kctx kernel
 * module's context file descriptors.
 *
 * This is the library's header. It is not the kernel's uapi header
 * <linux/kctx.h>, and needs it neither to compile nor to run programs.
 * See kctx(3).
 *
 * Every function that returns int returns 0 (or a value, where stated) on
 * success and a negative errno on failure, and leaves errno as it was.
 */
#ifndef LIBKCTX_KCTX_H
#define LIBKCTX_KCTX_H

#include <stdint.h>
#include <time.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/types.h>

#ifdef __cplusplus
extern "C" {
#endif

/*
 * LIBKCTX_VERSION ("0.1.0"), LIBKCTX_VERSION_MAJOR, _MINOR, _PATCH and
 * LIBKCTX_VERSION_NUMBER (MAJOR * 1000000 + MINOR * 1000 + PATCH): the
 * version of this header. kctx_version() and kctx_version_number() give
 * the library's, at run time. See kctx_version(3).
 */
#include "kctx-version.h"

/* kctx_wait() and kctx_cancel_wait(): no time limit. */
#define KCTX_WAIT_FOREVER	((int64_t)-1)

/* The environment variable through which `kctx run` passes a context fd. */
#define KCTX_FD_ENV		"KCTX_FD"

/* A context handle. It owns one file descriptor (see kctx(3)). */
typedef struct kctx kctx_t;

struct timespec;	/* <time.h> declares it only for POSIX */

/* Roots */
int kctx_background(kctx_t **out);

/* Children */
int kctx_with_cancel(kctx_t *parent, kctx_t **out);
int kctx_with_deadline(kctx_t *parent, const struct timespec *deadline,
		       kctx_t **out);
int kctx_with_timeout(kctx_t *parent, uint64_t timeout_ns, kctx_t **out);
int kctx_with_value(kctx_t *parent, uint64_t key, uint64_t value,
		    kctx_t **out);
int kctx_without_cancel(kctx_t *parent, kctx_t **out);

/* Cancelling */
int kctx_cancel(kctx_t *ctx);
int kctx_cancel_cause(kctx_t *ctx, int64_t cause);
int kctx_cancel_wait(kctx_t *ctx, int64_t cause, int64_t timeout_ns);

/* Workers: what kctx_cancel_wait() waits for */
int kctx_attach(kctx_t *ctx);
int kctx_detach(kctx_t *ctx);

/*
 * Interrupting the calling thread's blocking call when the context is done,
 * with a signal (0: SIGURG); see kctx_bind_thread(3)
 */
int kctx_bind_thread(kctx_t *ctx, int sig);
int kctx_unbind_thread(void);

/* State */
int kctx_err(kctx_t *ctx);
int kctx_done(kctx_t *ctx);
int kctx_cause(kctx_t *ctx, int64_t *cause);
int kctx_deadline(kctx_t *ctx, struct timespec *out);
int kctx_value(kctx_t *ctx, uint64_t key, uint64_t *value);
int kctx_id(kctx_t *ctx, uint64_t *id, uint64_t *parent_id);
int kctx_canceller(kctx_t *ctx, pid_t *pid);
int kctx_is_owner(kctx_t *ctx);

/* fds and waiting */
int kctx_fd(kctx_t *ctx);
int kctx_eventfd(kctx_t *ctx);
int kctx_wait(kctx_t *ctx, int64_t timeout_ns);

/* Sharing and freeing */
int kctx_watch(kctx_t *ctx, kctx_t **out);
int kctx_from_fd(int fd, kctx_t **out);
int kctx_from_env(kctx_t **out);
void kctx_free(kctx_t *ctx);
const char *kctx_strerror(int err);

/*
 * Blocking calls that the context ends: the call's result, or the
 * context's error (kctx_err()) if it is done first. See kctx_read(3).
 */
ssize_t kctx_read(kctx_t *ctx, int fd, void *buf, size_t count);
ssize_t kctx_write(kctx_t *ctx, int fd, const void *buf, size_t count);
ssize_t kctx_recv(kctx_t *ctx, int sockfd, void *buf, size_t len, int flags);
ssize_t kctx_send(kctx_t *ctx, int sockfd, const void *buf, size_t len, int flags);
int kctx_accept(kctx_t *ctx, int sockfd, struct sockaddr *addr, socklen_t *addrlen,
		int flags);
int kctx_connect(kctx_t *ctx, int sockfd, const struct sockaddr *addr,
		 socklen_t addrlen);
int kctx_sleep(kctx_t *ctx, const struct timespec *req, struct timespec *rem);
int kctx_poll(kctx_t *ctx, struct pollfd *fds, nfds_t nfds, int timeout);

/* The library's version */
const char *kctx_version(void);
int kctx_version_number(void);

#ifdef __cplusplus
}
#endif

#endif /* LIBKCTX_KCTX_H */
