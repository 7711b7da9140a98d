/* SPDX-License-Identifier: LGPL-2.1-or-later OR MIT */
/*
 * What libkctx's source files share, and don't export: the export
 * attribute, the errno guard every exported function starts with, and
 * CLOCK_MONOTONIC in nanoseconds.
 */
#ifndef LIBKCTX_LIB_H
#define LIBKCTX_LIB_H

#include <errno.h>
#include <stdint.h>
#include <time.h>

#define KCTX_EXPORT __attribute__((visibility("default")))

static inline void restore_errno(int *saved)
{
	errno = *saved;
}

/* No function changes errno: this restores it on every return. */
#define ERRNO_GUARD \
	int saved_errno_ __attribute__((cleanup(restore_errno), unused)) = errno

static inline int64_t monotonic_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static inline void ns_to_timespec(int64_t ns, struct timespec *ts)
{
	ts->tv_sec = (time_t)(ns / 1000000000);
	ts->tv_nsec = (long)(ns % 1000000000);
}

#endif /* LIBKCTX_LIB_H */
