// SPDX-License-Identifier: MIT
/*
 * parent-child: processes sharing one context.
 *
 * The parent makes a request context (a deadline, and a request id as a
 * value) and shares it two ways:
 *   - the "watcher" gets a watch-only fd over a unix socket (SCM_RIGHTS):
 *     it may observe the request, not end it;
 *   - the "worker" gets an owner fd by inheritance across fork and exec,
 *     named by $KCTX_FD (as `kctx run` does): it may end the request.
 * The worker fails and cancels the request with the cause -EIO. The parent
 * and the watcher see that cause; neither had to be told by the worker.
 *
 * Exits 0 when everyone saw the cancel and its cause.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include <kctx.h>

#define KEY_REQUEST_ID	1

static int send_fd(int sock, int fd)
{
	char cbuf[CMSG_SPACE(sizeof(int))] = { 0 }, byte = 0;
	struct iovec iov = { .iov_base = &byte, .iov_len = 1 };
	struct msghdr msg = {
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = cbuf, .msg_controllen = sizeof(cbuf),
	};
	struct cmsghdr *c = CMSG_FIRSTHDR(&msg);

	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(c), &fd, sizeof(int));
	return sendmsg(sock, &msg, 0) == 1 ? 0 : -1;
}

static int recv_fd(int sock)
{
	char cbuf[CMSG_SPACE(sizeof(int))], byte;
	struct iovec iov = { .iov_base = &byte, .iov_len = 1 };
	struct msghdr msg = {
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = cbuf, .msg_controllen = sizeof(cbuf),
	};
	struct cmsghdr *c;
	int fd = -1;

	if (recvmsg(sock, &msg, MSG_CMSG_CLOEXEC) != 1)
		return -1;
	c = CMSG_FIRSTHDR(&msg);
	if (c && c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS)
		memcpy(&fd, CMSG_DATA(c), sizeof(int));
	return fd;
}

/* The watcher: observes the request it was sent, until it is done. */
static int watcher(int sock)
{
	kctx_t *req;
	uint64_t id;
	int64_t cause;
	int fd = recv_fd(sock);

	if (fd < 0 || kctx_from_fd(fd, &req))
		return 1;
	close(fd);
	kctx_value(req, KEY_REQUEST_ID, &id);
	printf("watcher: watching request %" PRIu64 " (owner: %s)\n", id,
	       kctx_is_owner(req) ? "yes" : "no");
	if (kctx_cancel(req) != -EPERM)
		return 1;	/* a watch-only fd can't end the request */
	kctx_wait(req, KCTX_WAIT_FOREVER);
	kctx_cause(req, &cause);
	printf("watcher: request done: %s, cause: %s\n", kctx_strerror(kctx_err(req)),
	       kctx_strerror((int)cause));
	kctx_free(req);
	return cause == -EIO ? 0 : 1;
}

/* The worker, a new program: finds its context in $KCTX_FD. */
static int worker(void)
{
	kctx_t *req, *step;
	uint64_t id;
	int r;

	r = kctx_from_env(&req);
	if (r) {
		fprintf(stderr, "worker: $KCTX_FD: %s\n", kctx_strerror(r));
		return 1;
	}
	kctx_value(req, KEY_REQUEST_ID, &id);
	/* A step of the work, under its own budget. */
	if (kctx_with_timeout(req, 20000000, &step))
		return 1;
	kctx_wait(step, KCTX_WAIT_FOREVER);
	printf("worker: request %" PRIu64 ": step failed (%s); cancelling the request\n", id,
	       kctx_strerror(kctx_err(step)));
	kctx_free(step);
	r = kctx_cancel_cause(req, -EIO);
	kctx_free(req);
	return r ? 1 : 0;
}

int main(int argc, char **argv)
{
	kctx_t *bg, *ctx, *val, *req, *w;
	pid_t wpid, kpid;
	int sv[2], fd, rc = 0, st;
	int64_t cause;
	char num[16];

	if (argc > 1 && !strcmp(argv[1], "--worker"))
		return worker();

	/* A deadline, a value under it, and the request's own cancel below. */
	if (kctx_background(&bg) || kctx_with_timeout(bg, 10000000000ull, &ctx) ||
	    kctx_with_value(ctx, KEY_REQUEST_ID, 4242, &val) || kctx_with_cancel(val, &req)) {
		fprintf(stderr, "parent-child: cannot make the request context\n");
		return 1;
	}
	kctx_free(bg);
	printf("parent: request 4242, 10 s deadline\n");

	/* The watcher: a watch-only fd, over SCM_RIGHTS. */
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv))
		return 1;
	wpid = fork();
	if (wpid == 0) {
		close(sv[0]);
		_exit(watcher(sv[1]));
	}
	close(sv[1]);
	if (kctx_watch(req, &w) || send_fd(sv[0], kctx_fd(w)))
		return 1;
	kctx_free(w);

	/* The worker: an owner fd, inherited across exec as $KCTX_FD. */
	kpid = fork();
	if (kpid == 0) {
		fd = dup(kctx_fd(req));	/* dup() drops close-on-exec */
		snprintf(num, sizeof(num), "%d", fd);
		setenv("KCTX_FD", num, 1);
		execl("/proc/self/exe", argv[0], "--worker", (char *)NULL);
		perror("parent-child: exec");
		_exit(127);
	}

	kctx_wait(req, KCTX_WAIT_FOREVER);
	kctx_cause(req, &cause);
	printf("parent: request done: %s, cause: %s\n", kctx_strerror(kctx_err(req)),
	       kctx_strerror((int)cause));
	if (cause != -EIO)
		rc = 1;
	/* The deadline context above it is untouched: the cancel came from below. */
	if (kctx_err(ctx) != 0)
		rc = 1;
	waitpid(kpid, &st, 0);
	if (!WIFEXITED(st) || WEXITSTATUS(st))
		rc = 1;
	waitpid(wpid, &st, 0);
	if (!WIFEXITED(st) || WEXITSTATUS(st))
		rc = 1;
	kctx_free(req);
	kctx_free(val);
	kctx_free(ctx);
	printf("parent-child: %s\n", rc ? "FAILED" : "ok");
	return rc;
}
