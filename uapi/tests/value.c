// SPDX-License-Identifier: GPL-2.0
/* KCTX_IOC_VALUE: lookups through the chain. */
#include "harness.h"

static int with_value(int parent, uint64_t key, uint64_t value)
{
	struct kctx_create c = {
		.size = sizeof(c), .kind = KCTX_KIND_VALUE, .key = key, .value = value,
	};

	return ioctl(parent, KCTX_IOC_CREATE, &c);
}

static int lookup(int fd, uint64_t key, uint64_t *value)
{
	struct kctx_value v = { .size = sizeof(v), .key = key };
	int r = ioctl(fd, KCTX_IOC_VALUE, &v);

	*value = v.value;
	return r;
}

TEST(value_is_found_below_other_kinds)
{
	int a = with_value(kt_dev(), 7, 700);
	int b = kt_create(a, KCTX_KIND_CANCEL, 0);
	int c = kt_create(b, KCTX_KIND_WITHOUT_CANCEL, 0);
	uint64_t v = 0;

	ASSERT_EQ(lookup(c, 7, &v), 0);
	ASSERT_EQ(v, 700);
}

TEST(nearest_value_wins)
{
	int outer = with_value(kt_dev(), 7, 1);
	int inner = with_value(outer, 7, 2);
	uint64_t v = 0;

	ASSERT_EQ(lookup(inner, 7, &v), 0);
	ASSERT_EQ(v, 2);
	ASSERT_EQ(lookup(outer, 7, &v), 0);
	ASSERT_EQ(v, 1);
}

TEST(watch_only_fd_can_look_values_up)
{
	struct kctx_watch w = { .size = sizeof(w) };
	int fd = with_value(kt_dev(), 9, 90);
	int watch = ioctl(fd, KCTX_IOC_WATCH, &w);
	uint64_t v = 0;

	ASSERT_EQ(lookup(watch, 9, &v), 0);
	ASSERT_EQ(v, 90);
}
