// SPDX-License-Identifier: GPL-2.0
/*
 * No libkctx function touches errno, whether it succeeds or fails.
 */
#include "harness.h"

#define SAME_ERRNO(call)						\
	do {								\
		errno = 4321;						\
		(void)(call);						\
		if (errno != 4321)					\
			FAIL("%s changed errno to %d", #call, errno);	\
	} while (0)

TEST(errno_is_left_alone_on_success)
{
	kctx_t *bg, *c, *d, *v, *n, *w, *f;
	struct timespec ts = { 0, 0 };
	uint64_t u;
	int64_t i;
	pid_t pid;

	SAME_ERRNO(kctx_background(&bg));
	SAME_ERRNO(kctx_with_cancel(bg, &c));
	SAME_ERRNO(kctx_with_deadline(c, &ts, &d));
	kctx_free(d);
	SAME_ERRNO(kctx_with_timeout(c, MS(1000), &d));
	SAME_ERRNO(kctx_with_value(c, 1, 2, &v));
	SAME_ERRNO(kctx_without_cancel(c, &n));
	SAME_ERRNO(kctx_watch(c, &w));
	SAME_ERRNO(kctx_from_fd(kctx_fd(c), &f));
	SAME_ERRNO(kctx_err(c));
	SAME_ERRNO(kctx_cause(c, &i));
	SAME_ERRNO(kctx_deadline(d, &ts));
	SAME_ERRNO(kctx_value(v, 1, &u));
	SAME_ERRNO(kctx_id(c, &u, &u));
	SAME_ERRNO(kctx_canceller(c, &pid));
	SAME_ERRNO(kctx_is_owner(c));
	SAME_ERRNO(kctx_fd(c));
	SAME_ERRNO(kctx_eventfd(c));
	SAME_ERRNO(kctx_wait(c, 0));
	SAME_ERRNO(kctx_cancel_cause(d, 5));
	SAME_ERRNO(kctx_cancel(c));
	SAME_ERRNO(kctx_wait(c, 0));
	SAME_ERRNO(kctx_strerror(-EIO));
	SAME_ERRNO(kctx_free(f));
	SAME_ERRNO(kctx_free(w));
	SAME_ERRNO(kctx_free(n));
	SAME_ERRNO(kctx_free(v));
	SAME_ERRNO(kctx_free(d));
	SAME_ERRNO(kctx_free(c));
	SAME_ERRNO(kctx_free(bg));
}

TEST(errno_is_left_alone_on_failure)
{
	kctx_t *c = new_root(), *w, *x;
	struct timespec ts = { -1, 0 };
	uint64_t u;

	ASSERT_OK(kctx_watch(c, &w));
	SAME_ERRNO(kctx_with_cancel(w, &x));		/* EPERM from the kernel */
	SAME_ERRNO(kctx_with_deadline(c, &ts, &x));	/* EINVAL from the kernel */
	SAME_ERRNO(kctx_cancel(w));
	SAME_ERRNO(kctx_eventfd(w));
	SAME_ERRNO(kctx_value(c, 9, &u));
	SAME_ERRNO(kctx_deadline(c, &ts));
	SAME_ERRNO(kctx_wait(c, MS(1)));
	SAME_ERRNO(kctx_from_fd(-1, &x));
	SAME_ERRNO(kctx_from_fd(0, &x));
	SAME_ERRNO(kctx_err(NULL));
	unsetenv("KCTX_FD");
	SAME_ERRNO(kctx_from_env(&x));
	kctx_free(w);
	kctx_free(c);
}
