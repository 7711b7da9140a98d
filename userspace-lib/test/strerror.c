// SPDX-License-Identifier: GPL-2.0
/*
 * kctx_strerror(): words for errors and causes.
 */
#define KT_NO_DEVICE
#include "harness.h"

TEST(strerror_speaks_go)
{
	ASSERT_STREQ(kctx_strerror(-ECANCELED), "context canceled");
	ASSERT_STREQ(kctx_strerror(-ETIMEDOUT), "context deadline exceeded");
}

TEST(strerror_ignores_the_sign)
{
	ASSERT_STREQ(kctx_strerror(EPERM), kctx_strerror(-EPERM));
	ASSERT_STREQ(kctx_strerror(EIO), kctx_strerror(-EIO));
}

TEST(strerror_of_zero_is_success)
{
	ASSERT_STREQ(kctx_strerror(0), "success");
}

TEST(strerror_always_has_words)
{
	int e;

	for (e = -5000; e <= 5000; e++)
		ASSERT_TRUE(kctx_strerror(e) && *kctx_strerror(e));
	ASSERT_TRUE(*kctx_strerror(INT32_MIN));
	ASSERT_TRUE(*kctx_strerror(INT32_MAX));
}

TEST(strerror_names_every_documented_error)
{
	static const int errs[] = {
		EINVAL, ENOENT, EPERM, EBADF, ENOTTY, E2BIG, EFAULT, EMFILE, ENOSPC, EMLINK,
		ENOMEM, EINTR, ETIMEDOUT, ECANCELED, EOWNERDEAD, EACCES,
	};
	size_t i;

	for (i = 0; i < sizeof(errs) / sizeof(errs[0]); i++)
		ASSERT_TRUE(strcmp(kctx_strerror(errs[i]), "unknown error"));
}
