/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers for the tests of the cancellable calls (call-*.c): cancelling
 * from another process once a thread is blocked (wait_blocked(), in
 * harness.h).
 */
#ifndef KCTX_TEST_CALL_H
#define KCTX_TEST_CALL_H

#include "harness.h"

#include <sched.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/syscall.h>

/* Longest we wait for anything that should happen at once. */
#define CALL_PATIENCE MS(10000)

static inline pid_t call_gettid(void)
{
	return (pid_t)syscall(SYS_gettid);
}

/*
 * Another process that, once it has @ctx's fd (over SCM_RIGHTS, made a
 * handle again by kctx_from_fd()) and thread @tid of this process is
 * blocked, cancels @ctx with @cause. Returns its pid; wait_child() it.
 */
static inline pid_t cancel_when_blocked(kctx_t *ctx, pid_t tid, int64_t cause)
{
	int sv[2];
	pid_t pid;

	ASSERT_OK(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv));
	pid = fork();
	ASSERT_GE(pid, 0);
	if (pid == 0) {
		kctx_t *c;
		int fd;

		close(sv[0]);
		fd = recv_fd(sv[1]);
		if (fd < 0 || kctx_from_fd(fd, &c))
			_exit(2);
		close(fd);
		wait_blocked(tid);
		_exit(kctx_cancel_cause(c, cause) ? 3 : 0);
	}
	close(sv[1]);
	send_fd(sv[0], kctx_fd(ctx));
	close(sv[0]);
	return pid;
}

#endif /* KCTX_TEST_CALL_H */
