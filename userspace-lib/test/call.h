/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers for the tests of the cancellable calls (call-*.c): knowing that
 * a thread is blocked, and cancelling from another process.
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

/* The state letter of thread (or process) @tid, from /proc; 0 if gone. */
static inline char task_state(pid_t tid)
{
	char path[64], buf[512], *p;
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)tid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return 0;
	buf[n] = 0;
	p = strrchr(buf, ')');
	return p && p[1] == ' ' ? p[2] : 0;
}

/*
 * Wait until @tid sleeps (state S): blocked in a call. Polling with a
 * deadline, not a sleep standing in for a synchronisation.
 */
static inline void wait_blocked(pid_t tid)
{
	int64_t end = now_ns() + CALL_PATIENCE;

	while (task_state(tid) != 'S') {
		if (now_ns() > end)
			FAIL("task %d never blocked (state %c)", (int)tid, task_state(tid));
		usleep(500);
	}
}

/* Send @fd over the UNIX socket @sock (SCM_RIGHTS). */
static inline int send_fd(int sock, int fd)
{
	char c = 'f';
	struct iovec iov = { .iov_base = &c, .iov_len = 1 };
	union {
		struct cmsghdr h;
		char buf[CMSG_SPACE(sizeof(int))];
	} u;
	struct msghdr m = {
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = u.buf, .msg_controllen = sizeof(u.buf),
	};
	struct cmsghdr *cm = CMSG_FIRSTHDR(&m);

	memset(&u, 0, sizeof(u));
	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(cm), &fd, sizeof(int));
	return sendmsg(sock, &m, 0) == 1 ? 0 : -errno;
}

static inline int recv_fd(int sock)
{
	char c;
	struct iovec iov = { .iov_base = &c, .iov_len = 1 };
	union {
		struct cmsghdr h;
		char buf[CMSG_SPACE(sizeof(int))];
	} u;
	struct msghdr m = {
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = u.buf, .msg_controllen = sizeof(u.buf),
	};
	struct cmsghdr *cm;
	int fd;

	if (recvmsg(sock, &m, 0) != 1)
		return -1;
	cm = CMSG_FIRSTHDR(&m);
	if (!cm || cm->cmsg_type != SCM_RIGHTS)
		return -1;
	memcpy(&fd, CMSG_DATA(cm), sizeof(int));
	return fd;
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
	ASSERT_OK(send_fd(sv[0], kctx_fd(ctx)));
	close(sv[0]);
	return pid;
}

#endif /* KCTX_TEST_CALL_H */
