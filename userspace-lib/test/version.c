// SPDX-License-Identifier: GPL-2.0
/*
 * kctx_version(), kctx_version_number() and the LIBKCTX_VERSION macros.
 * None of it needs /dev/kctx.
 */
#define KT_NO_DEVICE
#include "harness.h"

TEST(version_is_the_headers_and_major_minor_patch)
{
	char want[64];

	ASSERT_STREQ(kctx_version(), LIBKCTX_VERSION);
	snprintf(want, sizeof(want), "%d.%d.%d", LIBKCTX_VERSION_MAJOR, LIBKCTX_VERSION_MINOR,
		 LIBKCTX_VERSION_PATCH);
	ASSERT_STREQ(kctx_version(), want);
}

TEST(version_number_orders_releases)
{
	ASSERT_EQ(kctx_version_number(), LIBKCTX_VERSION_NUMBER);
	ASSERT_EQ(LIBKCTX_VERSION_NUMBER, LIBKCTX_VERSION_MAJOR * 1000000 +
		  LIBKCTX_VERSION_MINOR * 1000 + LIBKCTX_VERSION_PATCH);
	ASSERT_GT(kctx_version_number(), 0);
	/* Usable in #if, as a program tests for a release's functions. */
#if LIBKCTX_VERSION_NUMBER < 1000
	FAIL("LIBKCTX_VERSION_NUMBER %d is below 0.1.0's", LIBKCTX_VERSION_NUMBER);
#endif
}
