// SPDX-License-Identifier: GPL-2.0
/* KCTX_IOC_CREATE: every kind, from the device and from a context. */
#include "harness.h"

TEST(root_cancel_context_is_live_with_background_parent)
{
	int fd = kt_create(kt_dev(), KCTX_KIND_CANCEL, 0);
	struct kctx_state st;

	ASSERT_GE(fd, 0);
	st = kt_state(fd);
	ASSERT_EQ(st.state, KCTX_STATE_OWNER);
	ASSERT_EQ(st.err, 0);
	ASSERT_EQ(st.kind, KCTX_KIND_CANCEL);
	ASSERT_EQ(st.parent_id, 1);
	ASSERT_TRUE(st.id > 1);
}

TEST(new_fds_are_cloexec_unless_asked)
{
	int dev = kt_dev();
	int a = kt_create(dev, KCTX_KIND_CANCEL, 0);
	int b = kt_create(dev, KCTX_KIND_CANCEL, KCTX_FD_NO_CLOEXEC);

	ASSERT_EQ(fcntl(a, F_GETFD) & FD_CLOEXEC, FD_CLOEXEC);
	ASSERT_EQ(fcntl(b, F_GETFD) & FD_CLOEXEC, 0);
}

TEST(child_records_its_parent)
{
	int parent = kt_create(kt_dev(), KCTX_KIND_CANCEL, 0);
	int child = kt_create(parent, KCTX_KIND_CANCEL, 0);

	ASSERT_GE(child, 0);
	ASSERT_EQ(kt_state(child).parent_id, kt_state(parent).id);
}

TEST(relative_deadline_sets_the_effective_deadline)
{
	int64_t before = kt_now_ns();
	int fd = kt_timeout(kt_dev(), 3600LL * 1000000000);
	struct kctx_state st = kt_state(fd);

	ASSERT_TRUE(st.state & KCTX_STATE_DEADLINE);
	ASSERT_EQ(st.kind, KCTX_KIND_DEADLINE);
	ASSERT_GE((int64_t)st.deadline_ns, before + 3600LL * 1000000000);
	ASSERT_TRUE((int64_t)st.deadline_ns <= kt_now_ns() + 3600LL * 1000000000);
}

static int64_t abs_deadline_on(clockid_t clock, int64_t ahead_ns, int64_t *mono)
{
	struct kctx_create c = { .size = sizeof(c), .kind = KCTX_KIND_DEADLINE };
	struct timespec now;
	int64_t t;
	int fd;

	clock_gettime(clock, &now);
	*mono = kt_now_ns() + ahead_ns;
	t = now.tv_sec * 1000000000LL + now.tv_nsec + ahead_ns;
	c.clockid = clock;
	c.deadline_sec = t / 1000000000;
	c.deadline_nsec = t % 1000000000;
	fd = ioctl(kt_dev(), KCTX_IOC_CREATE, &c);
	ASSERT_GE(fd, 0);
	return kt_state(fd).deadline_ns;
}

TEST(realtime_and_boottime_deadlines_become_monotonic)
{
	static const clockid_t clocks[] = { CLOCK_MONOTONIC, CLOCK_BOOTTIME, CLOCK_REALTIME };
	int64_t mono, got, slack = 50 * 1000000LL;
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(clocks); i++) {
		got = abs_deadline_on(clocks[i], 3600LL * 1000000000, &mono);
		ASSERT_TRUE(got > mono - slack && got < mono + slack);
	}
}

TEST(later_deadline_than_parent_is_capped)
{
	int parent = kt_timeout(kt_dev(), 1000000000LL * 10);
	int child = kt_timeout(parent, 1000000000LL * 3600);

	ASSERT_EQ(kt_state(child).deadline_ns, kt_state(parent).deadline_ns);
	ASSERT_EQ(kt_state(child).kind, KCTX_KIND_CANCEL);
}

TEST(past_deadline_is_born_done)
{
	struct kctx_create c = {
		.size = sizeof(c), .kind = KCTX_KIND_DEADLINE, .clockid = CLOCK_MONOTONIC,
	};
	int fd = ioctl(kt_dev(), KCTX_IOC_CREATE, &c);
	struct kctx_state st = kt_state(fd);

	ASSERT_TRUE(st.state & KCTX_STATE_DONE);
	ASSERT_EQ(st.err, -ETIMEDOUT);
	ASSERT_EQ(st.cause, -ETIMEDOUT);
}

TEST(without_cancel_survives_parent_cancel)
{
	int parent = kt_create(kt_dev(), KCTX_KIND_CANCEL, 0);
	int detached = kt_create(parent, KCTX_KIND_WITHOUT_CANCEL, 0);

	ASSERT_EQ(kt_cancel(parent, 0, 0), 0);
	ASSERT_EQ(kt_state(detached).err, 0);
	ASSERT_EQ(kt_state(detached).kind, KCTX_KIND_WITHOUT_CANCEL);
}

TEST(child_of_done_parent_is_born_done)
{
	int parent = kt_create(kt_dev(), KCTX_KIND_CANCEL, 0);
	int child;

	ASSERT_EQ(kt_cancel(parent, -EPIPE, 0), 0);
	child = kt_create(parent, KCTX_KIND_CANCEL, 0);
	ASSERT_EQ(kt_state(child).err, -ECANCELED);
	ASSERT_EQ(kt_state(child).cause, -EPIPE);
}
