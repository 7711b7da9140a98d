// SPDX-License-Identifier: GPL-2.0
/*
 * After the first, kctx_err(), kctx_cause(), kctx_deadline() and kctx_id()
 * make no system call: they read the context's status page. Each test
 * proves it by forbidding the calls that could answer them (ioctl and
 * mmap, with a seccomp filter) and then watching a cancel from elsewhere
 * arrive.
 */
#include <stddef.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <linux/filter.h>
#include <linux/kctx.h>
#include <linux/seccomp.h>

#include "harness.h"

static uint32_t seccomp_action(int err)
{
	return err ? SECCOMP_RET_ERRNO | (err & SECCOMP_RET_DATA) : SECCOMP_RET_ALLOW;
}

/*
 * From here on, this process's ioctl() fails with @ioctl_err, and mmap()
 * with @mmap_err; 0 lets the call through.
 */
static void forbid(int ioctl_err, int mmap_err)
{
#ifndef __NR_mmap2
#define __NR_mmap2 __NR_mmap
#endif
	struct sock_filter f[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_ioctl, 0, 1),
		BPF_STMT(BPF_RET | BPF_K, seccomp_action(ioctl_err)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_mmap, 1, 0),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_mmap2, 0, 1),
		BPF_STMT(BPF_RET | BPF_K, seccomp_action(mmap_err)),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	};
	struct sock_fprog prog = { .len = sizeof(f) / sizeof(f[0]), .filter = f };

	ASSERT_OK(prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0));
	/* The debug kernel is built without CONFIG_SECCOMP. */
	if (prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog))
		SKIP("no seccomp filters in this kernel (%s)", strerror(errno));
}

/* No ioctl() and no mmap(), which could answer a check from the kernel. */
static void forbid_ioctl_and_mmap(void)
{
	forbid(ENOSYS, ENOSYS);
}

/* The filter holds: the library can't be asking the kernel. */
static void assert_no_ioctl(kctx_t *ctx)
{
	struct kctx_state st = { .size = sizeof(st) };

	ASSERT_EQ(ioctl(kctx_fd(ctx), KCTX_IOC_STATE, &st), -1);
	ASSERT_EQ(errno, ENOSYS);
}

/* A child that cancels @ctx with @cause when told to, then says so. */
static pid_t fork_canceller(kctx_t *ctx, int64_t cause, int go[2], int done[2])
{
	pid_t pid;
	char c;

	ASSERT_OK(pipe(go));
	ASSERT_OK(pipe(done));
	pid = fork();
	ASSERT_GE(pid, 0);
	if (pid == 0)
		_exit(read(go[0], &c, 1) != 1 || kctx_cancel_cause(ctx, cause) ||
		      write(done[1], "x", 1) != 1);
	return pid;
}

TEST(checks_see_another_process_cancel_without_a_syscall)
{
	kctx_t *ctx = new_root(), *child;
	int go[2], done[2], i;
	uint64_t id, parent_id;
	int64_t cause;
	pid_t pid;
	char c;

	ASSERT_OK(kctx_with_cancel(ctx, &child));
	ASSERT_EQ(kctx_err(child), 0);	/* maps the page */
	pid = fork_canceller(ctx, 42, go, done);
	forbid_ioctl_and_mmap();
	assert_no_ioctl(child);
	for (i = 0; i < 1000; i++)
		ASSERT_EQ(kctx_err(child), 0);
	ASSERT_OK(kctx_cause(child, &cause));
	ASSERT_EQ(cause, 0);
	ASSERT_OK(kctx_id(child, &id, &parent_id));
	ASSERT_NE(id, 0);
	ASSERT_NE(parent_id, 0);

	ASSERT_EQ(write(go[1], "x", 1), 1);
	ASSERT_EQ(read(done[0], &c, 1), 1);
	/* The canceller's call has returned: the first look must see it. */
	ASSERT_EQ(kctx_err(child), -ECANCELED);
	ASSERT_OK(kctx_cause(child, &cause));
	ASSERT_EQ(cause, 42);
	ASSERT_EQ(wait_child(pid), 0);
}

TEST(checks_see_a_deadline_without_a_syscall)
{
	kctx_t *ctx = new_root(), *t;
	struct timespec dl;

	ASSERT_OK(kctx_with_timeout(ctx, MS(20), &t));
	ASSERT_EQ(kctx_err(t), 0);
	forbid_ioctl_and_mmap();
	assert_no_ioctl(t);
	ASSERT_OK(kctx_deadline(t, &dl));
	ASSERT_OK(kctx_wait(t, MS(10000)));	/* poll(), not an ioctl */
	ASSERT_EQ(kctx_err(t), -ETIMEDOUT);
}

/* An fd from SCM_RIGHTS, adopted by kctx_from_fd(), checks the same way. */
TEST(checks_on_an_fd_received_by_scm_rights)
{
	kctx_t *ctx = new_root(), *w, *h;
	int sv[2], fd;
	pid_t pid;
	char c;

	ASSERT_OK(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv));
	pid = fork();
	ASSERT_GE(pid, 0);
	if (pid == 0) {
		/* The canceller: hands over a watch fd, then cancels when asked. */
		if (kctx_watch(ctx, &w))
			_exit(2);
		send_fd(sv[1], kctx_fd(w));
		_exit(read(sv[1], &c, 1) != 1 || kctx_cancel_cause(ctx, 7) ||
		      write(sv[1], "x", 1) != 1);
	}
	fd = recv_fd(sv[0]);
	ASSERT_GE(fd, 0);
	ASSERT_OK(kctx_from_fd(fd, &h));
	ASSERT_EQ(kctx_err(h), 0);
	forbid_ioctl_and_mmap();
	assert_no_ioctl(h);
	ASSERT_EQ(write(sv[0], "x", 1), 1);
	ASSERT_EQ(read(sv[0], &c, 1), 1);
	ASSERT_EQ(kctx_err(h), -ECANCELED);
	ASSERT_EQ(wait_child(pid), 0);
}

/* A child forked after the first check checks without a syscall too. */
TEST(checks_in_a_forked_child)
{
	kctx_t *ctx = new_root();
	int go[2], done[2];
	pid_t pid;
	char c;

	ASSERT_EQ(kctx_err(ctx), 0);
	ASSERT_OK(pipe(go));
	ASSERT_OK(pipe(done));
	pid = fork();
	ASSERT_GE(pid, 0);
	if (pid == 0) {
		forbid_ioctl_and_mmap();
		_exit(kctx_err(ctx) != 0 || write(done[1], "x", 1) != 1 ||
		      read(go[0], &c, 1) != 1 || kctx_err(ctx) != -ECANCELED);
	}
	close(done[1]);		/* the child's exit, skipped or failed, ends the read */
	if (read(done[0], &c, 1) != 1) {
		if (wait_child(pid) == KT_SKIP)
			SKIP("no seccomp filters in this kernel");
		FAIL("the child stopped before its first check");
	}
	ASSERT_OK(kctx_cancel(ctx));
	ASSERT_EQ(write(go[1], "x", 1), 1);
	ASSERT_EQ(wait_child(pid), 0);
	kctx_free(ctx);
}

/* A kernel without status pages (mmap fails with ENODEV): ioctls answer. */
TEST(checks_fall_back_to_ioctl)
{
	kctx_t *ctx = new_root();
	int64_t cause;

	forbid(0, ENODEV);
	ASSERT_EQ(kctx_err(ctx), 0);
	ASSERT_OK(kctx_cancel_cause(ctx, 5));
	ASSERT_EQ(kctx_err(ctx), -ECANCELED);
	ASSERT_OK(kctx_cause(ctx, &cause));
	ASSERT_EQ(cause, 5);
	kctx_free(ctx);
}
