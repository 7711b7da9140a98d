// SPDX-License-Identifier: GPL-2.0
/*
 * kctx_background(): the root every context descends from.
 */
#include "harness.h"

#include <sched.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

TEST(background_opens)
{
	kctx_t *bg;

	ASSERT_OK(kctx_background(&bg));
	kctx_free(bg);
}

TEST(background_null_out_is_einval)
{
	ASSERT_EQ(kctx_background(NULL), -EINVAL);
}

TEST(background_is_never_done)
{
	kctx_t *bg;
	int64_t cause = 1, t0;

	ASSERT_OK(kctx_background(&bg));
	ASSERT_EQ(kctx_err(bg), 0);
	ASSERT_OK(kctx_cause(bg, &cause));
	ASSERT_EQ(cause, 0);
	ASSERT_EQ(kctx_wait(bg, 0), -ETIMEDOUT);
	t0 = now_ns();
	ASSERT_EQ(kctx_wait(bg, MS(20)), -ETIMEDOUT);
	ASSERT_GE(now_ns() - t0, MS(20));
	kctx_free(bg);
}

TEST(background_has_no_fd)
{
	kctx_t *bg;

	ASSERT_OK(kctx_background(&bg));
	ASSERT_EQ(kctx_fd(bg), -EINVAL);
	ASSERT_EQ(kctx_eventfd(bg), -EINVAL);
	kctx_free(bg);
}

TEST(background_cannot_be_cancelled)
{
	kctx_t *bg;

	ASSERT_OK(kctx_background(&bg));
	ASSERT_EQ(kctx_cancel(bg), -EINVAL);
	ASSERT_EQ(kctx_cancel_cause(bg, -EIO), -EINVAL);
	ASSERT_EQ(kctx_err(bg), 0);
	kctx_free(bg);
}

TEST(background_has_no_deadline_and_no_values)
{
	struct timespec ts;
	uint64_t v;
	kctx_t *bg;

	ASSERT_OK(kctx_background(&bg));
	ASSERT_EQ(kctx_deadline(bg, &ts), -ENOENT);
	ASSERT_EQ(kctx_value(bg, 1, &v), -ENOENT);
	kctx_free(bg);
}

TEST(background_is_id_1)
{
	uint64_t id, parent;
	kctx_t *bg;
	pid_t pid = 1;

	ASSERT_OK(kctx_background(&bg));
	ASSERT_OK(kctx_id(bg, &id, &parent));
	ASSERT_EQ(id, 1);
	ASSERT_EQ(parent, 0);
	ASSERT_EQ(kctx_is_owner(bg), 0);
	ASSERT_OK(kctx_canceller(bg, &pid));
	ASSERT_EQ(pid, 0);
	kctx_free(bg);
}

TEST(background_cannot_be_watched)
{
	kctx_t *bg, *w = (kctx_t *)1;

	ASSERT_OK(kctx_background(&bg));
	ASSERT_EQ(kctx_watch(bg, &w), -EINVAL);
	ASSERT_TRUE(w == NULL);
	kctx_free(bg);
}

TEST(background_children_are_roots)
{
	uint64_t parent;
	kctx_t *bg, *a, *b;

	ASSERT_OK(kctx_background(&bg));
	ASSERT_OK(kctx_with_cancel(bg, &a));
	ASSERT_OK(kctx_with_cancel(bg, &b));
	ASSERT_OK(kctx_id(a, NULL, &parent));
	ASSERT_EQ(parent, 1);
	ASSERT_OK(kctx_cancel(a));
	/* Siblings under the background are independent. */
	ASSERT_EQ(kctx_err(b), 0);
	kctx_free(a);
	kctx_free(b);
	kctx_free(bg);
}

TEST(background_without_device_is_enoent)
{
	kctx_t *bg = (kctx_t *)1;

	/* A mount namespace of our own, with an empty /dev. */
	if (unshare(CLONE_NEWNS))
		SKIP("unshare(CLONE_NEWNS): %s", strerror(errno));
	ASSERT_OK(mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL));
	ASSERT_OK(mount("none", "/dev", "tmpfs", 0, NULL));
	ASSERT_EQ(kctx_background(&bg), -ENOENT);
	ASSERT_TRUE(bg == NULL);
}

TEST(background_without_permission_is_eacces)
{
	kctx_t *bg = (kctx_t *)1;
	struct stat st;

	/* The device node, mode 0600, on a /dev of our own; then not root. */
	ASSERT_OK(stat("/dev/kctx", &st));
	if (unshare(CLONE_NEWNS))
		SKIP("unshare(CLONE_NEWNS): %s", strerror(errno));
	ASSERT_OK(mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL));
	ASSERT_OK(mount("none", "/dev", "tmpfs", 0, NULL));
	ASSERT_OK(mknod("/dev/kctx", S_IFCHR | 0600, st.st_rdev));
	ASSERT_OK(setgid(65534));
	ASSERT_OK(setuid(65534));
	ASSERT_EQ(kctx_background(&bg), -EACCES);
	ASSERT_TRUE(bg == NULL);
}
