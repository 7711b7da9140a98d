// SPDX-License-Identifier: GPL-2.0
/*
 * kctx_recv(), kctx_send(), kctx_accept() and kctx_connect(): TCP on the
 * loopback and UNIX sockets, cancelled from other processes, bounded by
 * deadlines, connects in progress, and the calls' own results and errors.
 */
#ifndef KT_TIMEOUT
#define KT_TIMEOUT 30
#endif
#include "call.h"

#include <pthread.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <sys/un.h>

/* A TCP listener on 127.0.0.1, on a port of the kernel's choosing. */
static int tcp_listener(int backlog, struct sockaddr_in *sa)
{
	socklen_t len = sizeof(*sa);
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	ASSERT_GE(fd, 0);
	memset(sa, 0, sizeof(*sa));
	sa->sin_family = AF_INET;
	sa->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ASSERT_OK(bind(fd, (struct sockaddr *)sa, sizeof(*sa)));
	ASSERT_OK(listen(fd, backlog));
	ASSERT_OK(getsockname(fd, (struct sockaddr *)sa, &len));
	return fd;
}

static int tcp_socket(void)
{
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	ASSERT_GE(fd, 0);
	return fd;
}

TEST(tcp_connect_accept_send_recv)
{
	kctx_t *ctx = new_root();
	struct sockaddr_in sa, peer;
	socklen_t plen = sizeof(peer);
	char buf[16] = "";
	int l, c, a;

	l = tcp_listener(8, &sa);
	c = tcp_socket();
	ASSERT_OK(kctx_connect(ctx, c, (struct sockaddr *)&sa, sizeof(sa)));
	/* The socket's flags are as they were: blocking. */
	ASSERT_FALSE(fcntl(c, F_GETFL) & O_NONBLOCK);
	a = kctx_accept(ctx, l, (struct sockaddr *)&peer, &plen, SOCK_CLOEXEC);
	ASSERT_GE(a, 0);
	ASSERT_EQ(peer.sin_family, AF_INET);
	ASSERT_TRUE(fcntl(a, F_GETFD) & FD_CLOEXEC);
	ASSERT_EQ(kctx_send(ctx, c, "hello", 5, 0), 5);
	ASSERT_EQ(kctx_recv(ctx, a, buf, sizeof(buf), 0), 5);
	ASSERT_OK(memcmp(buf, "hello", 5));
	/* MSG_DONTWAIT: the caller asked not to wait. */
	ASSERT_EQ(kctx_recv(ctx, a, buf, sizeof(buf), MSG_DONTWAIT), -EAGAIN);
	close(c);
	ASSERT_EQ(kctx_recv(ctx, a, buf, sizeof(buf), 0), 0);
	close(a);
	close(l);
	kctx_free(ctx);
}

struct sender {
	int fd;
	pid_t tid;
};

static void *send_rest_when_blocked(void *arg)
{
	struct sender *s = arg;

	wait_blocked(s->tid);
	if (send(s->fd, "cd", 2, 0) != 2)
		abort();
	return NULL;
}

TEST(recv_waitall_gathers_a_stream_and_keeps_what_came_before_a_cancel)
{
	kctx_t *ctx = new_root();
	struct sender s = { .tid = call_gettid() };
	char buf[8] = "";
	pthread_t t;
	pid_t pid;
	int sv[2];

	ASSERT_OK(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv));
	s.fd = sv[1];
	ASSERT_EQ(send(sv[1], "ab", 2, 0), 2);
	ASSERT_OK(pthread_create(&t, NULL, send_rest_when_blocked, &s));
	ASSERT_EQ(kctx_recv(ctx, sv[0], buf, 4, MSG_WAITALL), 4);
	ASSERT_OK(memcmp(buf, "abcd", 4));
	pthread_join(t, NULL);
	/* Two bytes of four, then a cancel: the two, then the error. */
	ASSERT_EQ(send(sv[1], "ef", 2, 0), 2);
	pid = cancel_when_blocked(ctx, call_gettid(), 0);
	ASSERT_EQ(kctx_recv(ctx, sv[0], buf, 4, MSG_WAITALL), 2);
	ASSERT_EQ(wait_child(pid), 0);
	ASSERT_EQ(kctx_recv(ctx, sv[0], buf, 4, MSG_WAITALL), -ECANCELED);
	kctx_free(ctx);
}

TEST(a_blocked_accept_ends_when_another_process_cancels)
{
	kctx_t *ctx = new_root();
	struct sockaddr_in sa;
	int64_t cause = 0;
	pid_t pid;
	int l;

	l = tcp_listener(8, &sa);
	pid = cancel_when_blocked(ctx, call_gettid(), 7777);
	ASSERT_EQ(kctx_accept(ctx, l, NULL, NULL, 0), -ECANCELED);
	ASSERT_OK(kctx_cause(ctx, &cause));
	ASSERT_EQ(cause, 7777);
	ASSERT_EQ(wait_child(pid), 0);
	close(l);
	kctx_free(ctx);
}

TEST(a_deadline_bounds_recv_and_send_on_unix_sockets)
{
	kctx_t *root = new_root(), *ctx;
	char buf[4096] = { 0 };
	int64_t t0;
	int sv[2];

	ASSERT_OK(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv));
	t0 = now_ns();
	ASSERT_OK(kctx_with_timeout(root, MS(50), &ctx));
	ASSERT_EQ(kctx_recv(ctx, sv[0], buf, 1, 0), -ETIMEDOUT);
	ASSERT_GE(now_ns() - t0, MS(50));
	kctx_free(ctx);
	/* Fill the peer's buffer: the next send would block. */
	while (send(sv[1], buf, sizeof(buf), MSG_DONTWAIT) > 0)
		;
	t0 = now_ns();
	ASSERT_OK(kctx_with_timeout(root, MS(50), &ctx));
	ASSERT_EQ(kctx_send(ctx, sv[1], buf, sizeof(buf), 0), -ETIMEDOUT);
	ASSERT_GE(now_ns() - t0, MS(50));
	/* A done context: nothing is sent, even with room. */
	ASSERT_GT(recv(sv[0], buf, sizeof(buf), 0), 0);
	ASSERT_EQ(kctx_send(ctx, sv[1], "x", 1, 0), -ETIMEDOUT);
	kctx_free(ctx);
	kctx_free(root);
}

TEST(the_socket_calls_own_errors)
{
	kctx_t *ctx = new_root();
	struct sockaddr_in sa;
	char c = 0;
	int sv[2], p[2], l, s;

	ASSERT_EQ(kctx_recv(ctx, -1, &c, 1, 0), -EBADF);
	ASSERT_EQ(kctx_send(ctx, -1, &c, 1, 0), -EBADF);
	ASSERT_EQ(kctx_accept(ctx, -1, NULL, NULL, 0), -EBADF);
	ASSERT_EQ(kctx_connect(ctx, -1, NULL, 0), -EBADF);
	ASSERT_OK(pipe(p));
	ASSERT_EQ(kctx_recv(ctx, p[0], &c, 1, 0), -ENOTSOCK);
	ASSERT_EQ(kctx_recv(NULL, p[0], &c, 1, 0), -EINVAL);
	ASSERT_OK(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv));
	close(sv[0]);
	ASSERT_EQ(kctx_send(ctx, sv[1], "a", 1, MSG_NOSIGNAL), -EPIPE);
	/* A port where nobody listens. */
	l = tcp_listener(1, &sa);
	close(l);
	s = tcp_socket();
	ASSERT_EQ(kctx_connect(ctx, s, (struct sockaddr *)&sa, sizeof(sa)), -ECONNREFUSED);
	ASSERT_FALSE(fcntl(s, F_GETFL) & O_NONBLOCK);
	close(s);
	/* accept() on a socket that does not listen. */
	s = tcp_socket();
	ASSERT_EQ(kctx_accept(ctx, s, NULL, NULL, 0), -EINVAL);
	close(s);
	kctx_free(ctx);
}

/*
 * A listener with backlog 0 and one connection waiting to be accepted
 * drops further SYNs: a connect to it stays in progress.
 */
static int full_listener(struct sockaddr_in *sa, int *first)
{
	int l = tcp_listener(0, sa);

	*first = tcp_socket();
	ASSERT_OK(connect(*first, (struct sockaddr *)sa, sizeof(*sa)));
	return l;
}

struct acceptor {
	int l;
	pid_t tid;
};

static void *accept_when_blocked(void *arg)
{
	struct acceptor *a = arg;

	wait_blocked(a->tid);
	if (accept(a->l, NULL, NULL) < 0)
		abort();
	return NULL;
}

/* In progress, then room: the SYN sent again gets through (about 1 s). */
TEST(a_connect_in_progress_completes)
{
	kctx_t *ctx = new_root();
	struct acceptor a = { .tid = call_gettid() };
	struct sockaddr_in sa;
	pthread_t t;
	int first, s;

	a.l = full_listener(&sa, &first);
	s = tcp_socket();
	ASSERT_OK(pthread_create(&t, NULL, accept_when_blocked, &a));
	ASSERT_OK(kctx_connect(ctx, s, (struct sockaddr *)&sa, sizeof(sa)));
	pthread_join(t, NULL);
	ASSERT_FALSE(fcntl(s, F_GETFL) & O_NONBLOCK);
	ASSERT_EQ(send(s, "x", 1, 0), 1);
	kctx_free(ctx);
}

TEST(a_connect_in_progress_ends_on_cancel_and_is_abandoned)
{
	kctx_t *ctx = new_root();
	struct sockaddr_in sa, peer;
	socklen_t plen = sizeof(peer);
	int64_t t0;
	pid_t pid;
	int l, first, s;

	l = full_listener(&sa, &first);
	s = tcp_socket();
	pid = cancel_when_blocked(ctx, call_gettid(), 0);
	t0 = now_ns();
	ASSERT_EQ(kctx_connect(ctx, s, (struct sockaddr *)&sa, sizeof(sa)), -ECANCELED);
	ASSERT_LT(now_ns() - t0, CALL_PATIENCE);
	ASSERT_EQ(wait_child(pid), 0);
	ASSERT_FALSE(fcntl(s, F_GETFL) & O_NONBLOCK);
	/* Not connected, and not connecting either. */
	ASSERT_EQ(getpeername(s, (struct sockaddr *)&peer, &plen), -1);
	ASSERT_EQ(errno, ENOTCONN);
	close(l);
	kctx_free(ctx);
}

TEST(a_deadline_bounds_a_connect_in_progress)
{
	kctx_t *root = new_root(), *ctx;
	struct sockaddr_in sa;
	int64_t t0;
	int l, first, s;

	l = full_listener(&sa, &first);
	s = tcp_socket();
	t0 = now_ns();
	ASSERT_OK(kctx_with_timeout(root, MS(50), &ctx));
	ASSERT_EQ(kctx_connect(ctx, s, (struct sockaddr *)&sa, sizeof(sa)), -ETIMEDOUT);
	ASSERT_GE(now_ns() - t0, MS(50));
	close(l);
	kctx_free(ctx);
	kctx_free(root);
}

/* The accept side over UNIX sockets, and a non-blocking listener. */
TEST(unix_accept_on_a_nonblocking_listener_waits)
{
	kctx_t *ctx = new_root();
	struct sockaddr_un un = { .sun_family = AF_UNIX };
	int l, c, a;
	pid_t pid;

	/* An abstract name: no file to clean up. */
	snprintf(un.sun_path + 1, sizeof(un.sun_path) - 1, "kctx-call-%d", (int)getpid());
	l = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	ASSERT_GE(l, 0);
	ASSERT_OK(bind(l, (struct sockaddr *)&un, sizeof(un)));
	ASSERT_OK(listen(l, 4));
	pid = fork();
	ASSERT_GE(pid, 0);
	if (pid == 0) {
		wait_blocked(getppid());
		c = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
		_exit(c < 0 || connect(c, (struct sockaddr *)&un, sizeof(un)) ? 1 : 0);
	}
	a = kctx_accept(ctx, l, NULL, NULL, 0);
	ASSERT_GE(a, 0);
	ASSERT_EQ(wait_child(pid), 0);
	close(a);
	pid = cancel_when_blocked(ctx, call_gettid(), 0);
	ASSERT_EQ(kctx_accept(ctx, l, NULL, NULL, 0), -ECANCELED);
	ASSERT_EQ(wait_child(pid), 0);
	kctx_free(ctx);
}
