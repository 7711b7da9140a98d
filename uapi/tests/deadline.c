// SPDX-License-Identifier: GPL-2.0
/*
 * Deadlines seen from userspace. A deadline must never fire early; how
 * late it fires is a measurement, printed here and judged by make bench,
 * not a pass/fail threshold on a shared, emulated machine.
 */
#include <poll.h>

#include "harness.h"

#define RUNS	200
#define DEADLINE_NS	(50 * 1000000LL)

static int cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return x < y ? -1 : x > y;
}

TEST(fifty_ms_deadline_is_never_early)
{
	static int64_t late[RUNS];
	int dev = kt_dev(), i, fd;
	struct pollfd p;
	int64_t start;

	for (i = 0; i < RUNS; i++) {
		start = kt_now_ns();
		fd = kt_timeout(dev, DEADLINE_NS);
		ASSERT_GE(fd, 0);
		p = (struct pollfd){ .fd = fd, .events = POLLIN };
		ASSERT_EQ(poll(&p, 1, 10000), 1);
		late[i] = kt_now_ns() - start - DEADLINE_NS;
		ASSERT_GE(late[i], 0);
		ASSERT_EQ(kt_state(fd).err, -ETIMEDOUT);
		close(fd);
	}
	qsort(late, RUNS, sizeof(late[0]), cmp_i64);
	printf("#   lateness over %d runs: p50 %lld us, p99 %lld us, max %lld us\n", RUNS,
	       (long long)late[RUNS / 2] / 1000, (long long)late[RUNS * 99 / 100] / 1000,
	       (long long)late[RUNS - 1] / 1000);
}

TEST(deadline_reaches_a_grandchild_with_etimedout)
{
	int root = kt_timeout(kt_dev(), 20 * 1000000LL);
	int leaf = kt_create(kt_create(root, KCTX_KIND_CANCEL, 0), KCTX_KIND_CANCEL, 0);
	struct pollfd p = { .fd = leaf, .events = POLLIN };

	ASSERT_EQ(poll(&p, 1, 10000), 1);
	ASSERT_EQ(kt_state(leaf).err, -ETIMEDOUT);
	ASSERT_EQ(kt_state(leaf).cause, -ETIMEDOUT);
	ASSERT_EQ(kt_state(leaf).canceller_pid, 0);
}
