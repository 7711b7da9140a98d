// SPDX-License-Identifier: GPL-2.0
/*
 * kctx_from_fd() and kctx_from_env(): adopting an fd from elsewhere.
 */
#include "harness.h"

#include <sys/socket.h>

TEST(from_fd_dups_and_shares_the_context)
{
	kctx_t *ctx = new_root(), *h;
	uint64_t a, b;

	ASSERT_OK(kctx_from_fd(kctx_fd(ctx), &h));
	ASSERT_NE(kctx_fd(h), kctx_fd(ctx));
	ASSERT_EQ(fcntl(kctx_fd(h), F_GETFD), FD_CLOEXEC);
	ASSERT_OK(kctx_id(h, &a, NULL));
	ASSERT_OK(kctx_id(ctx, &b, NULL));
	ASSERT_EQ(a, b);
	/* The same owner file: it can cancel, and its free cancels nothing. */
	ASSERT_EQ(kctx_is_owner(h), 1);
	kctx_free(ctx);
	ASSERT_EQ(kctx_err(h), 0);
	ASSERT_OK(kctx_cancel(h));
	kctx_free(h);
}

TEST(from_fd_leaves_the_fd_to_the_caller)
{
	kctx_t *ctx = new_root(), *h;
	int fd = kctx_fd(ctx);

	ASSERT_OK(kctx_from_fd(fd, &h));
	kctx_free(h);
	ASSERT_GE(fcntl(fd, F_GETFD), 0);
	ASSERT_EQ(kctx_err(ctx), 0);
	kctx_free(ctx);
}

TEST(from_fd_of_a_watch_is_a_watch)
{
	kctx_t *ctx = new_root(), *w, *h;

	ASSERT_OK(kctx_watch(ctx, &w));
	ASSERT_OK(kctx_from_fd(kctx_fd(w), &h));
	ASSERT_EQ(kctx_is_owner(h), 0);
	ASSERT_EQ(kctx_cancel(h), -EPERM);
	kctx_free(h);
	kctx_free(w);
	kctx_free(ctx);
}

TEST(from_fd_not_a_context_is_ebadf)
{
	kctx_t *h = (kctx_t *)1;
	int p[2], dev;

	ASSERT_OK(pipe(p));
	ASSERT_EQ(kctx_from_fd(p[0], &h), -EBADF);
	ASSERT_TRUE(h == NULL);
	ASSERT_EQ(kctx_from_fd(-1, &h), -EBADF);
	close(p[1]);
	ASSERT_EQ(kctx_from_fd(p[1], &h), -EBADF);
	/* /dev/kctx itself is not a context. */
	dev = open("/dev/kctx", O_RDWR);
	ASSERT_GE(dev, 0);
	ASSERT_EQ(kctx_from_fd(dev, &h), -EBADF);
	ASSERT_EQ(kctx_from_fd(0, NULL), -EINVAL);
	close(dev);
	close(p[0]);
}

TEST(from_fd_across_processes_by_scm_rights)
{
	kctx_t *ctx = new_root(), *w;
	int sv[2];
	pid_t child;

	ASSERT_OK(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv));
	child = fork();
	ASSERT_GE(child, 0);
	if (child == 0) {
		/* A process that shares nothing but what it is sent. */
		kctx_t *h;
		int64_t cause;
		int fd;

		kctx_free(ctx);
		fd = recv_fd(sv[1]);
		if (fd < 0 || kctx_from_fd(fd, &h))
			_exit(2);
		close(fd);
		if (kctx_wait(h, MS(10000)) || kctx_cause(h, &cause) || cause != 31)
			_exit(3);
		_exit(kctx_is_owner(h) == 0 ? 0 : 4);
	}
	ASSERT_OK(kctx_watch(ctx, &w));
	send_fd(sv[0], kctx_fd(w));
	kctx_free(w);
	ASSERT_OK(kctx_cancel_cause(ctx, 31));
	ASSERT_EQ(wait_child(child), 0);
	kctx_free(ctx);
}

TEST(from_env_adopts_kctx_fd)
{
	kctx_t *ctx = new_root(), *h;
	char num[16];
	uint64_t a, b;

	snprintf(num, sizeof(num), "%d", kctx_fd(ctx));
	ASSERT_OK(setenv("KCTX_FD", num, 1));
	ASSERT_OK(kctx_from_env(&h));
	ASSERT_OK(kctx_id(h, &a, NULL));
	ASSERT_OK(kctx_id(ctx, &b, NULL));
	ASSERT_EQ(a, b);
	kctx_free(h);
	kctx_free(ctx);
}

TEST(from_env_errors)
{
	kctx_t *h = (kctx_t *)1;

	ASSERT_OK(unsetenv("KCTX_FD"));
	ASSERT_EQ(kctx_from_env(&h), -ENOENT);
	ASSERT_TRUE(h == NULL);
	ASSERT_OK(setenv("KCTX_FD", "three", 1));
	ASSERT_EQ(kctx_from_env(&h), -EBADF);
	ASSERT_OK(setenv("KCTX_FD", "-1", 1));
	ASSERT_EQ(kctx_from_env(&h), -EBADF);
	ASSERT_OK(setenv("KCTX_FD", "1x", 1));
	ASSERT_EQ(kctx_from_env(&h), -EBADF);
	ASSERT_OK(setenv("KCTX_FD", "0", 1));
	ASSERT_EQ(kctx_from_env(&h), -EBADF);
	ASSERT_EQ(kctx_from_env(NULL), -EINVAL);
}
