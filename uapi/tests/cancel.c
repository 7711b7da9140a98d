// SPDX-License-Identifier: GPL-2.0
/* KCTX_IOC_CANCEL: errors, causes, the canceller, and propagation. */
#include "harness.h"

TEST(plain_cancel_reports_ecanceled_and_the_canceller)
{
	int fd = kt_create(kt_dev(), KCTX_KIND_CANCEL, 0);
	struct kctx_state st;

	ASSERT_EQ(kt_cancel(fd, 0, 0), 0);
	st = kt_state(fd);
	ASSERT_EQ(st.state & KCTX_STATE_DONE, KCTX_STATE_DONE);
	ASSERT_EQ(st.err, -ECANCELED);
	ASSERT_EQ(st.cause, -ECANCELED);
	ASSERT_EQ(st.state & KCTX_STATE_USER_CAUSE, 0);
	ASSERT_EQ(st.canceller_pid, getpid());
}

TEST(code_and_user_cause_reach_every_descendant)
{
	int root = kt_create(kt_dev(), KCTX_KIND_CANCEL, 0);
	int mid = kt_create(root, KCTX_KIND_CANCEL, 0);
	int leaf = kt_timeout(mid, 3600LL * 1000000000);
	struct kctx_state st;

	ASSERT_EQ(kt_cancel(root, -ECONNRESET, 0xfeedfacecafeULL), 0);
	st = kt_state(leaf);
	ASSERT_EQ(st.err, -ECANCELED);
	ASSERT_EQ(st.cause, -ECONNRESET);
	ASSERT_TRUE(st.state & KCTX_STATE_USER_CAUSE);
	ASSERT_EQ(st.user_cause, 0xfeedfacecafeULL);
	ASSERT_EQ(st.canceller_pid, getpid());
}

TEST(first_cancel_wins)
{
	int fd = kt_create(kt_dev(), KCTX_KIND_CANCEL, 0);

	ASSERT_EQ(kt_cancel(fd, -EPIPE, 1), 0);
	ASSERT_EQ(kt_cancel(fd, -EIO, 2), 0);
	ASSERT_EQ(kt_state(fd).cause, -EPIPE);
	ASSERT_EQ(kt_state(fd).user_cause, 1);
}

TEST(child_cancel_leaves_parent_live)
{
	int parent = kt_create(kt_dev(), KCTX_KIND_CANCEL, 0);
	int child = kt_create(parent, KCTX_KIND_CANCEL, 0);

	ASSERT_EQ(kt_cancel(child, 0, 0), 0);
	ASSERT_EQ(kt_state(parent).err, 0);
}

TEST(positive_or_huge_code_is_einval)
{
	int fd = kt_create(kt_dev(), KCTX_KIND_CANCEL, 0);
	struct kctx_cancel c = { .size = sizeof(c), .flags = KCTX_CANCEL_CAUSE, .code = 5 };

	ASSERT_ERRNO(ioctl(fd, KCTX_IOC_CANCEL, &c), EINVAL);
	c.code = -5000;
	ASSERT_ERRNO(ioctl(fd, KCTX_IOC_CANCEL, &c), EINVAL);
	/* A cause without KCTX_CANCEL_CAUSE is a mistake, not ignored. */
	c = (struct kctx_cancel){ .size = sizeof(c), .code = -EPIPE };
	ASSERT_ERRNO(ioctl(fd, KCTX_IOC_CANCEL, &c), EINVAL);
	ASSERT_EQ(kt_state(fd).err, 0);
}

TEST(value_context_cannot_be_cancelled_alone)
{
	struct kctx_create c = { .size = sizeof(c), .kind = KCTX_KIND_VALUE, .key = 1, .value = 2 };
	int parent = kt_create(kt_dev(), KCTX_KIND_CANCEL, 0);
	int v = ioctl(parent, KCTX_IOC_CREATE, &c);

	ASSERT_GE(v, 0);
	ASSERT_EQ(kt_cancel(v, 0, 0), 0);
	ASSERT_EQ(kt_state(v).err, 0);
	ASSERT_EQ(kt_cancel(parent, -EINTR, 0), 0);
	ASSERT_EQ(kt_state(v).cause, -EINTR);
}
