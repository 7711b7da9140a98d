/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A small flat test harness for kctx's uapi tests.
 *
 * TEST(name) { ... } defines a test; ASSERT_*() end it on failure. Each
 * test runs in a child process of its own, so a failure, a crash or a
 * leaked fd stays inside it. main() runs them all and prints one line per
 * test; the program exits 0 if all passed, 77 if all skipped, 1 otherwise.
 */
#ifndef KCTX_TEST_HARNESS_H
#define KCTX_TEST_HARNESS_H

#include <errno.h>
#include <poll.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <linux/kctx.h>

#define KT_MAX_TESTS	64
#ifndef ARRAY_SIZE
#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))
#endif
#define KT_SKIP		77

struct kt_test {
	const char *name;
	void (*fn)(void);
};

static struct kt_test kt_tests[KT_MAX_TESTS];
static int kt_nr_tests;

#define TEST(name)							\
	static void name(void);						\
	__attribute__((constructor)) static void kt_register_##name(void) \
	{								\
		kt_tests[kt_nr_tests++] = (struct kt_test){ #name, name }; \
	}								\
	static void name(void)

#define KT_FAIL(fmt, ...)						\
	do {								\
		printf("#   %s:%d: " fmt "\n", __FILE__, __LINE__, ##__VA_ARGS__); \
		exit(1);						\
	} while (0)

#define ASSERT_EQ(a, b)							\
	do {								\
		long long __a = (long long)(a), __b = (long long)(b);	\
		if (__a != __b)						\
			KT_FAIL("%s == %s: %lld != %lld (errno %d)",	\
				#a, #b, __a, __b, errno);		\
	} while (0)
#define ASSERT_NE(a, b)							\
	do {								\
		long long __a = (long long)(a), __b = (long long)(b);	\
		if (__a == __b)						\
			KT_FAIL("%s != %s: both %lld", #a, #b, __a);	\
	} while (0)
#define ASSERT_GE(a, b)							\
	do {								\
		long long __a = (long long)(a), __b = (long long)(b);	\
		if (__a < __b)						\
			KT_FAIL("%s >= %s: %lld < %lld (errno %d)",	\
				#a, #b, __a, __b, errno);		\
	} while (0)
#define ASSERT_TRUE(c)	do { if (!(c)) KT_FAIL("%s", #c); } while (0)
/* The call fails, with this errno. */
#define ASSERT_ERRNO(call, e)						\
	do {								\
		errno = 0;						\
		long long __r = (long long)(call);			\
		if (__r != -1 || errno != (e))				\
			KT_FAIL("%s: want -1/%s, got %lld/%s", #call, #e, \
				__r, strerror(errno));			\
	} while (0)
#define SKIP(why)	do { printf("#   skip: %s\n", why); exit(KT_SKIP); } while (0)

/* Write @val to the file at @path (sysfs, procfs, cgroupfs): 0 or -1. */
static inline int kt_write_file(const char *path, const char *val)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -1;
	n = write(fd, val, strlen(val));
	close(fd);
	return n == (ssize_t)strlen(val) ? 0 : -1;
}

/*
 * Read the file at @path into @buf, NUL-terminated; at most @size - 1
 * bytes: 0 or -1.
 */
static inline int kt_read_file(const char *path, char *buf, size_t size)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	size_t len = 0;
	ssize_t n = 0;

	if (fd < 0)
		return -1;
	while (len < size - 1 && (n = read(fd, buf + len, size - 1 - len)) > 0)
		len += n;
	close(fd);
	buf[len] = 0;
	return n < 0 ? -1 : 0;
}

#define KT_CAP		"/sys/module/kctx/parameters/max_contexts_per_user"

static char kt_saved_cap[32];

static inline void kt_restore_cap(void)
{
	if (kt_saved_cap[0])
		kt_write_file(KT_CAP, kt_saved_cap);
}

/* Set kctx's per-user cap; the value it had comes back at exit. */
static inline void kt_set_cap(long n)
{
	char buf[32];

	if (!kt_saved_cap[0]) {
		if (kt_read_file(KT_CAP, kt_saved_cap, sizeof(kt_saved_cap)) || !kt_saved_cap[0])
			SKIP("no " KT_CAP);
		kt_saved_cap[strcspn(kt_saved_cap, "\n")] = 0;
		atexit(kt_restore_cap);
	}
	snprintf(buf, sizeof(buf), "%ld", n);
	ASSERT_EQ(kt_write_file(KT_CAP, buf), 0);
}

static inline int64_t kt_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/*
 * Poll, with a deadline, until thread @tid of this process is asleep, so a
 * test can prove a wake-up rather than race past it.
 */
static inline void kt_wait_sleeping(pid_t tid)
{
	int64_t end = kt_now_ns() + 10 * 1000000000LL;
	char path[64], buf[256], *state;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/self/task/%d/stat", tid);
	while (kt_now_ns() < end) {
		f = fopen(path, "r");
		if (f && fgets(buf, sizeof(buf), f)) {
			state = strrchr(buf, ')');
			if (state && state[2] == 'S') {
				fclose(f);
				return;
			}
		}
		if (f)
			fclose(f);
		usleep(1000);
	}
	KT_FAIL("thread %d never went to sleep", tid);
}

/* Pass @fd over the unix socket @sock with SCM_RIGHTS. */
static inline void kt_send_fd(int sock, int fd)
{
	char c = 0, buf[CMSG_SPACE(sizeof(int))] = { 0 };
	struct iovec iov = { .iov_base = &c, .iov_len = 1 };
	struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1,
			    .msg_control = buf, .msg_controllen = sizeof(buf) };
	struct cmsghdr *cm = CMSG_FIRSTHDR(&m);

	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(cm), &fd, sizeof(int));
	ASSERT_EQ(sendmsg(sock, &m, 0), 1);
}

/* Receive one fd passed with SCM_RIGHTS. */
static inline int kt_recv_fd(int sock)
{
	char c, buf[CMSG_SPACE(sizeof(int))];
	struct iovec iov = { .iov_base = &c, .iov_len = 1 };
	struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1,
			    .msg_control = buf, .msg_controllen = sizeof(buf) };
	int fd;

	ASSERT_EQ(recvmsg(sock, &m, 0), 1);
	memcpy(&fd, CMSG_DATA(CMSG_FIRSTHDR(&m)), sizeof(int));
	return fd;
}

/* /dev/kctx, or skip the test if kctx is not loaded. */
static inline int kt_dev(void)
{
	int fd = open(KCTX_DEVICE, O_RDWR | O_CLOEXEC);

	if (fd < 0)
		SKIP(KCTX_DEVICE " is missing: is kctx.ko loaded?");
	return fd;
}

static inline int kt_create(int parent, uint32_t kind, uint32_t flags)
{
	struct kctx_create c = { .size = sizeof(c), .flags = flags, .kind = kind };

	return ioctl(parent, KCTX_IOC_CREATE, &c);
}

static inline int kt_timeout(int parent, int64_t ns)
{
	struct kctx_create c = {
		.size = sizeof(c),
		.flags = KCTX_CREATE_RELATIVE,
		.kind = KCTX_KIND_DEADLINE,
		.deadline_sec = ns / 1000000000,
		.deadline_nsec = ns % 1000000000,
	};

	return ioctl(parent, KCTX_IOC_CREATE, &c);
}

/* A watch-only fd for the context of @fd, or -1. */
static inline int kt_watch(int fd)
{
	struct kctx_watch w = { .size = sizeof(w) };

	return ioctl(fd, KCTX_IOC_WATCH, &w);
}

static inline int kt_cancel(int fd, int32_t code, uint64_t user_cause)
{
	struct kctx_cancel c = {
		.size = sizeof(c),
		.flags = code || user_cause ? KCTX_CANCEL_CAUSE : 0,
		.code = code,
		.user_cause = user_cause,
	};

	return ioctl(fd, KCTX_IOC_CANCEL, &c);
}

/*
 * Take out of a reading of /sys/kernel/debug/kctx/tree or of an fdinfo
 * what changes by itself as time passes (a deadline's countdown, ages), so
 * that two readings compare equal when nothing else changed.
 */
static inline void kt_strip_clocks(char *buf)
{
	static const char *const fields[] = {
		" deadline_in_ns=", " age_ms=", " done_for_ms=", " age_ns=",
		"\nage_ms:", "\ndone_for_ms:",
	};
	size_t i;
	char *p, *q;

	for (i = 0; i < ARRAY_SIZE(fields); i++) {
		while ((p = strstr(buf, fields[i]))) {
			/* A tree's field ends at a space; an fdinfo's line at its end. */
			for (q = p + 1; *q && *q != '\n' && (*p == '\n' || *q != ' '); q++)
				;
			memmove(p, q, strlen(q) + 1);
		}
	}
}

/* KCTX_IOC_CANCEL with KCTX_CANCEL_WAIT: 0 or -errno. */
static inline int kt_cancel_wait(int fd, uint64_t wait_ns)
{
	struct kctx_cancel c = { .size = sizeof(c), .flags = KCTX_CANCEL_WAIT, .wait_ns = wait_ns };

	return ioctl(fd, KCTX_IOC_CANCEL, &c) ? -errno : 0;
}

/* What poll() reports for @fd now, asked for POLLIN. */
static inline short kt_revents(int fd)
{
	struct pollfd pf = { .fd = fd, .events = POLLIN };

	ASSERT_GE(poll(&pf, 1, 0), 0);
	return pf.revents;
}

static inline struct kctx_state kt_state(int fd)
{
	struct kctx_state st = { .size = sizeof(st) };

	if (ioctl(fd, KCTX_IOC_STATE, &st))
		KT_FAIL("KCTX_IOC_STATE: %s", strerror(errno));
	return st;
}

int main(void)
{
	int i, status, failed = 0, skipped = 0;
	pid_t pid;

	setvbuf(stdout, NULL, _IONBF, 0);
	for (i = 0; i < kt_nr_tests; i++) {
		pid = fork();
		if (pid == 0) {
			kt_tests[i].fn();
			exit(0);
		}
		if (pid < 0 || waitpid(pid, &status, 0) != pid)
			status = -1;
		if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
			printf("ok %d %s\n", i + 1, kt_tests[i].name);
		} else if (WIFEXITED(status) && WEXITSTATUS(status) == KT_SKIP) {
			printf("ok %d %s # SKIP\n", i + 1, kt_tests[i].name);
			skipped++;
		} else {
			printf("not ok %d %s\n", i + 1, kt_tests[i].name);
			failed++;
		}
	}
	printf("# %d tests, %d failed, %d skipped\n", kt_nr_tests, failed, skipped);
	if (failed)
		return 1;
	return skipped == kt_nr_tests ? KT_SKIP : 0;
}

#endif /* KCTX_TEST_HARNESS_H */
