/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A tiny test harness for libkctx's tests, in the flat style of the
 * kernel's kselftest_harness.h (but not a copy of it).
 *
 *	TEST(cancel_is_idempotent)
 *	{
 *		ASSERT_OK(kctx_cancel(ctx));
 *		ASSERT_EQ(kctx_err(ctx), -ECANCELED);
 *	}
 *
 * Each TEST runs in a child process of its own, under an alarm, so a crash
 * or a hang fails that test alone. The child leads a process group, which
 * is killed when the test ends: nothing it forked outlives it, and so no
 * context fd stays open (kctx cannot be unloaded while one is). ASSERT_* fail the test at once; SKIP() skips it. The output is TAP.
 * The program exits 0 if every test passed or skipped (and not all
 * skipped), 77 if all skipped, 1 if any failed.
 *
 * Before the tests, main() checks for /dev/kctx: without it every test
 * skips, unless $KCTX_KERNEL says we are in the harness's VM, where kctx
 * is always loaded and its absence is a failure. A file whose tests need
 * no device defines KT_NO_DEVICE before including this; a file of helpers,
 * not tests, defines KT_NO_MAIN.
 */
#ifndef KCTX_TEST_HARNESS_H
#define KCTX_TEST_HARNESS_H

#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include "kctx.h"

#ifndef KT_TIMEOUT
#define KT_TIMEOUT 60	/* seconds per TEST */
#endif
#define KT_MAX_TESTS 64

struct kt_test {
	const char *name;
	void (*fn)(void);
	int line;
};

#ifndef KT_NO_MAIN
static struct kt_test kt_tests[KT_MAX_TESTS];
static int kt_ntests;
static const char *kt_prog = "test";

static inline void kt_register(const char *name, void (*fn)(void), int line)
{
	if (kt_ntests == KT_MAX_TESTS) {
		fprintf(stderr, "harness: more than %d tests\n", KT_MAX_TESTS);
		exit(1);
	}
	kt_tests[kt_ntests++] = (struct kt_test){ name, fn, line };
}

#define TEST(name)							\
	static void test_##name(void);					\
	__attribute__((constructor)) static void kt_reg_##name(void)	\
	{								\
		kt_register(#name, test_##name, __LINE__);		\
	}								\
	static void test_##name(void)

#endif /* KT_NO_MAIN */

/* Results of a test child. */
#define KT_PASS 0
#define KT_FAIL 1
#define KT_SKIP 77

#define SKIP(...)							\
	do {								\
		printf("#   SKIP: ");					\
		printf(__VA_ARGS__);					\
		printf("\n");						\
		fflush(stdout);						\
		_exit(KT_SKIP);						\
	} while (0)

#define FAIL(...)							\
	do {								\
		printf("#   %s:%d: ", __FILE__, __LINE__);		\
		printf(__VA_ARGS__);					\
		printf("\n");						\
		fflush(stdout);						\
		_exit(KT_FAIL);						\
	} while (0)

/* Print a value that may be an errno by its name, for -E values. */
static inline const char *kt_errname(long long v)
{
	switch (v) {
#define E(x) case -x: return "-" #x
	E(EPERM); E(ENOENT); E(EINTR); E(EBADF); E(ENOMEM); E(EACCES);
	E(EFAULT); E(EINVAL); E(EMFILE); E(ENOTTY); E(ENOSPC); E(E2BIG);
	E(ETIMEDOUT); E(ECANCELED); E(EOWNERDEAD); E(EIO); E(EAGAIN);
	E(ENODEV); E(ENFILE); E(EMLINK);
#undef E
	default: return "";
	}
}

#define KT_CMP(a, op, b)						\
	do {								\
		long long kt_a = (long long)(a), kt_b = (long long)(b);	\
		if (!(kt_a op kt_b))					\
			FAIL("ASSERT(%s %s %s) failed: %lld%s%s%s vs %lld%s%s%s", \
			     #a, #op, #b,				\
			     kt_a, *kt_errname(kt_a) ? " (" : "",	\
			     kt_errname(kt_a), *kt_errname(kt_a) ? ")" : "", \
			     kt_b, *kt_errname(kt_b) ? " (" : "",	\
			     kt_errname(kt_b), *kt_errname(kt_b) ? ")" : ""); \
	} while (0)

#define ASSERT_EQ(a, b) KT_CMP(a, ==, b)
#define ASSERT_NE(a, b) KT_CMP(a, !=, b)
#define ASSERT_LT(a, b) KT_CMP(a, <, b)
#define ASSERT_LE(a, b) KT_CMP(a, <=, b)
#define ASSERT_GT(a, b) KT_CMP(a, >, b)
#define ASSERT_GE(a, b) KT_CMP(a, >=, b)
#define ASSERT_OK(x) KT_CMP(x, ==, 0)
#define ASSERT_TRUE(x) KT_CMP(!!(x), ==, 1)
#define ASSERT_FALSE(x) KT_CMP(!!(x), ==, 0)
#define ASSERT_STREQ(a, b)						\
	do {								\
		const char *kt_sa = (a), *kt_sb = (b);			\
		if (!kt_sa || !kt_sb || strcmp(kt_sa, kt_sb))		\
			FAIL("ASSERT_STREQ(%s, %s) failed: \"%s\" vs \"%s\"", \
			     #a, #b, kt_sa ? kt_sa : "(null)",		\
			     kt_sb ? kt_sb : "(null)");			\
	} while (0)

/* Helpers the tests share. */

static inline int64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

#define MS(x) ((int64_t)(x) * 1000000)

/* A fresh child of the background root, cancellable; fails the test if not. */
static inline kctx_t *new_root(void)
{
	kctx_t *bg, *ctx;

	ASSERT_OK(kctx_background(&bg));
	ASSERT_OK(kctx_with_cancel(bg, &ctx));
	kctx_free(bg);
	return ctx;
}

/* Is the context behind @ctx done, by poll() with no wait? */
static inline int is_done(kctx_t *ctx)
{
	return kctx_wait(ctx, 0) == 0;
}

/* Wait for child @pid; return its exit status, or 128 + signal. */
static inline int wait_child(pid_t pid)
{
	int st;

	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR)
			return -1;
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

/* Pass @fd over the unix socket @sock with SCM_RIGHTS. */
static inline void send_fd(int sock, int fd)
{
	char cbuf[CMSG_SPACE(sizeof(int))] = { 0 }, byte = 'k';
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
	ASSERT_EQ(sendmsg(sock, &msg, 0), 1);
}

/* Receive one fd passed with SCM_RIGHTS, close-on-exec; -1 if none came. */
static inline int recv_fd(int sock)
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
	if (c && c->cmsg_type == SCM_RIGHTS)
		memcpy(&fd, CMSG_DATA(c), sizeof(int));
	return fd;
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
	int64_t end = now_ns() + MS(10000);

	while (task_state(tid) != 'S') {
		if (now_ns() > end)
			FAIL("task %d never blocked (state %c)", (int)tid, task_state(tid));
		usleep(500);
	}
}

#ifndef KT_NO_MAIN
static int kt_run(const struct kt_test *t, int n)
{
	pid_t pid;
	int rc;

	fflush(stdout);
	pid = fork();
	if (pid < 0) {
		printf("not ok %d %s # fork: %s\n", n, t->name, strerror(errno));
		return KT_FAIL;
	}
	if (pid == 0) {
		setpgid(0, 0);
		alarm(KT_TIMEOUT);
		t->fn();
		fflush(stdout);
		_exit(KT_PASS);
	}
	setpgid(pid, pid);
	rc = wait_child(pid);
	kill(-pid, SIGKILL);
	switch (rc) {
	case KT_PASS:
		printf("ok %d %s\n", n, t->name);
		break;
	case KT_SKIP:
		printf("ok %d %s # SKIP\n", n, t->name);
		break;
	case 128 + SIGALRM:
		printf("not ok %d %s # timed out after %d s\n", n, t->name, KT_TIMEOUT);
		rc = KT_FAIL;
		break;
	default:
		if (rc > 128)
			printf("not ok %d %s # killed by signal %d\n", n, t->name, rc - 128);
		else
			printf("not ok %d %s\n", n, t->name);
		rc = KT_FAIL;
	}
	return rc;
}

static int kt_by_line(const void *a, const void *b)
{
	return ((const struct kt_test *)a)->line - ((const struct kt_test *)b)->line;
}

#ifdef __i386__
#include <sys/syscall.h>
/*
 * 32-bit glibc makes the old 32-bit-time calls (ppoll, pselect, futex) when
 * the time fits, and a kernel without CONFIG_COMPAT_32BIT_TIME fails them
 * with ENOSYS: 32-bit programs that wait with a timeout cannot run there.
 */
static int kt_no_compat_time(void)
{
	struct { int32_t tv_sec, tv_nsec; } ts = { 0, 0 };

	return syscall(SYS_ppoll, NULL, 0, &ts, NULL, 8) < 0 && errno == ENOSYS;
}
#else
static int kt_no_compat_time(void)
{
	return 0;
}
#endif

/* 0 if tests can run here, else the exit status for all of them. */
static int kt_check_device(void)
{
	if (kt_no_compat_time()) {
		printf("# this kernel lacks CONFIG_COMPAT_32BIT_TIME: 32-bit programs cannot wait with a timeout\n");
		return KT_SKIP;
	}
#ifdef KT_NO_DEVICE
	return 0;
#else
	if (access("/dev/kctx", R_OK | W_OK) == 0)
		return 0;
	if (getenv("KCTX_KERNEL")) {
		printf("# /dev/kctx: %s, in the kctx VM\n", strerror(errno));
		return KT_FAIL;
	}
	printf("# /dev/kctx: %s: is the kctx module loaded? skipping\n", strerror(errno));
	return KT_SKIP;
#endif
}

int main(int argc, char **argv)
{
	int i, rc, failed = 0, skipped = 0;

#ifdef KT_MAIN_HOOK
	KT_MAIN_HOOK(argc, argv);
#endif
	(void)argc;
	kt_prog = strrchr(argv[0], '/') ? strrchr(argv[0], '/') + 1 : argv[0];
	setvbuf(stdout, NULL, _IOLBF, 0);
	qsort(kt_tests, (size_t)kt_ntests, sizeof(kt_tests[0]), kt_by_line);
	printf("TAP version 13\n1..%d\n", kt_ntests);
	rc = kt_check_device();
	if (rc) {
		for (i = 0; i < kt_ntests; i++)
			printf("%s %d %s%s\n", rc == KT_SKIP ? "ok" : "not ok", i + 1,
			       kt_tests[i].name, rc == KT_SKIP ? " # SKIP" : "");
		return rc;
	}
	for (i = 0; i < kt_ntests; i++) {
		rc = kt_run(&kt_tests[i], i + 1);
		failed += rc == KT_FAIL;
		skipped += rc == KT_SKIP;
	}
	printf("# %s: %d passed, %d failed, %d skipped\n", kt_prog,
	       kt_ntests - failed - skipped, failed, skipped);
	if (failed)
		return KT_FAIL;
	return skipped == kt_ntests ? KT_SKIP : KT_PASS;
}
#endif /* KT_NO_MAIN */

#endif /* KCTX_TEST_HARNESS_H */
