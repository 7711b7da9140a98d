// SPDX-License-Identifier: GPL-2.0
/*
 * kctx_with_cancel(): Go's WithCancel.
 */
#include "harness.h"

TEST(with_cancel_makes_a_live_owned_child)
{
	kctx_t *parent = new_root(), *child;
	uint64_t pid, cpid, cid;
	int fd;

	ASSERT_OK(kctx_with_cancel(parent, &child));
	ASSERT_EQ(kctx_err(child), 0);
	ASSERT_EQ(kctx_is_owner(child), 1);
	ASSERT_OK(kctx_id(parent, &pid, NULL));
	ASSERT_OK(kctx_id(child, &cid, &cpid));
	ASSERT_EQ(cpid, pid);
	ASSERT_NE(cid, pid);
	fd = kctx_fd(child);
	ASSERT_GE(fd, 0);
	ASSERT_EQ(fcntl(fd, F_GETFD) & FD_CLOEXEC, FD_CLOEXEC);
	kctx_free(child);
	kctx_free(parent);
}

TEST(with_cancel_null_arguments_are_einval)
{
	kctx_t *parent = new_root(), *child = (kctx_t *)1;

	ASSERT_EQ(kctx_with_cancel(NULL, &child), -EINVAL);
	ASSERT_TRUE(child == NULL);
	ASSERT_EQ(kctx_with_cancel(parent, NULL), -EINVAL);
	kctx_free(parent);
}

TEST(with_cancel_parent_cancel_reaches_descendants)
{
	kctx_t *parent = new_root(), *child, *grandchild;

	ASSERT_OK(kctx_with_cancel(parent, &child));
	ASSERT_OK(kctx_with_cancel(child, &grandchild));
	ASSERT_OK(kctx_cancel(parent));
	ASSERT_EQ(kctx_err(child), -ECANCELED);
	ASSERT_EQ(kctx_err(grandchild), -ECANCELED);
	ASSERT_TRUE(is_done(grandchild));
	kctx_free(grandchild);
	kctx_free(child);
	kctx_free(parent);
}

TEST(with_cancel_child_cancel_stays_below)
{
	kctx_t *parent = new_root(), *a, *b;

	ASSERT_OK(kctx_with_cancel(parent, &a));
	ASSERT_OK(kctx_with_cancel(parent, &b));
	ASSERT_OK(kctx_cancel(a));
	ASSERT_EQ(kctx_err(a), -ECANCELED);
	ASSERT_EQ(kctx_err(parent), 0);
	ASSERT_EQ(kctx_err(b), 0);
	kctx_free(a);
	kctx_free(b);
	kctx_free(parent);
}

TEST(with_cancel_of_done_parent_is_born_done)
{
	kctx_t *parent = new_root(), *child;
	int64_t cause;

	ASSERT_OK(kctx_cancel_cause(parent, -EIO));
	ASSERT_OK(kctx_with_cancel(parent, &child));
	ASSERT_EQ(kctx_err(child), -ECANCELED);
	ASSERT_OK(kctx_cause(child, &cause));
	ASSERT_EQ(cause, -EIO);
	kctx_free(child);
	kctx_free(parent);
}

TEST(with_cancel_on_watch_only_parent_is_eperm)
{
	kctx_t *parent = new_root(), *w, *child = (kctx_t *)1;

	ASSERT_OK(kctx_watch(parent, &w));
	ASSERT_EQ(kctx_with_cancel(w, &child), -EPERM);
	ASSERT_TRUE(child == NULL);
	kctx_free(w);
	kctx_free(parent);
}
