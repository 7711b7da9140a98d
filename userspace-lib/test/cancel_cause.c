// SPDX-License-Identifier: GPL-2.0
/*
 * kctx_cancel_cause(): Go's CancelCauseFunc, with an int64_t cause.
 */
#include "harness.h"

/* The "cause:" line of the fd's fdinfo: the code kernel work sees. */
static long fdinfo_cause(int fd)
{
	char path[64], line[128];
	long cause = 1;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", fd);
	f = fopen(path, "r");
	if (!f)
		return 1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "cause: %ld", &cause) == 1)
			break;
	fclose(f);
	return cause;
}

static void check_cause(int64_t given, int64_t want, long kernel_sees)
{
	kctx_t *ctx = new_root();
	int64_t cause = 0;

	ASSERT_OK(kctx_cancel_cause(ctx, given));
	ASSERT_EQ(kctx_err(ctx), -ECANCELED);
	ASSERT_OK(kctx_cause(ctx, &cause));
	ASSERT_EQ(cause, want);
	if (access("/proc/self/fdinfo", R_OK) == 0)
		ASSERT_EQ(fdinfo_cause(kctx_fd(ctx)), kernel_sees);
	kctx_free(ctx);
}

TEST(cancel_cause_errno_reaches_the_kernel)
{
	check_cause(-EIO, -EIO, -EIO);
	check_cause(-4095, -4095, -4095);
	check_cause(-1, -1, -1);
}

TEST(cancel_cause_other_values_stay_in_userspace)
{
	check_cause(42, 42, -ECANCELED);
	check_cause(-4096, -4096, -ECANCELED);
	check_cause(INT64_MIN, INT64_MIN, -ECANCELED);
	check_cause(INT64_MAX, INT64_MAX, -ECANCELED);
}

TEST(cancel_cause_zero_is_a_plain_cancel)
{
	check_cause(0, -ECANCELED, -ECANCELED);
}

TEST(cancel_cause_reaches_descendants)
{
	kctx_t *root = new_root(), *a, *b;
	int64_t cause;

	ASSERT_OK(kctx_with_cancel(root, &a));
	ASSERT_OK(kctx_with_value(a, 1, 1, &b));
	ASSERT_OK(kctx_cancel_cause(root, 1234));
	ASSERT_OK(kctx_cause(b, &cause));
	ASSERT_EQ(cause, 1234);
	ASSERT_OK(kctx_cause(a, &cause));
	ASSERT_EQ(cause, 1234);
	kctx_free(b);
	kctx_free(a);
	kctx_free(root);
}

TEST(cancel_cause_first_wins)
{
	kctx_t *ctx = new_root();
	int64_t cause;

	ASSERT_OK(kctx_cancel_cause(ctx, 1));
	ASSERT_OK(kctx_cancel_cause(ctx, 2));
	ASSERT_OK(kctx_cancel_cause(ctx, -EIO));
	ASSERT_OK(kctx_cause(ctx, &cause));
	ASSERT_EQ(cause, 1);
	kctx_free(ctx);
}

TEST(cancel_cause_errors)
{
	kctx_t *ctx = new_root(), *w;

	ASSERT_EQ(kctx_cancel_cause(NULL, 1), -EINVAL);
	ASSERT_OK(kctx_watch(ctx, &w));
	ASSERT_EQ(kctx_cancel_cause(w, 1), -EPERM);
	ASSERT_EQ(kctx_err(ctx), 0);
	kctx_free(w);
	kctx_free(ctx);
}
