// SPDX-License-Identifier: GPL-2.0
/*
 * KCTX_IOC_ATTACH and KCTX_IOC_DETACH: userspace workers, what
 * KCTX_CANCEL_WAIT waits for. The worker is its fd: it leaves at
 * KCTX_IOC_DETACH, or when the last copy of the fd goes, by close(), exit,
 * exec or a kill.
 */
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <sys/wait.h>

#include "harness.h"

#define FOREVER		KCTX_CANCEL_WAIT_FOREVER
#define LONG_NS		(10 * 1000000000ULL)

static int attach(int fd)
{
	struct kctx_attach a = { .size = sizeof(a) };
	int w = ioctl(fd, KCTX_IOC_ATTACH, &a);

	return w < 0 ? -errno : w;
}

static int detach(int wfd)
{
	struct kctx_detach d = { .size = sizeof(d) };

	return ioctl(wfd, KCTX_IOC_DETACH, &d) ? -errno : 0;
}

/* Whether work is attached at or below @fd's context, which is done. */
static int attached(int fd)
{
	return kt_cancel_wait(fd, 0) == -ETIME;
}

/* A child that holds every fd we hold and waits for @hold to close. */
static pid_t fork_holder(int hold[2])
{
	pid_t pid;
	char c;

	ASSERT_EQ(pipe(hold), 0);
	pid = fork();
	ASSERT_GE(pid, 0);
	if (pid == 0) {
		close(hold[1]);
		_exit(read(hold[0], &c, 1) == 0 ? 0 : 1);
	}
	close(hold[0]);
	return pid;
}

static void reap(pid_t pid, int want_status)
{
	int st;

	ASSERT_EQ(waitpid(pid, &st, 0), pid);
	ASSERT_EQ(st, want_status);
}

TEST(a_worker_holds_the_wait_and_hup_until_its_fd_closes)
{
	int ctx = kt_create(kt_dev(), KCTX_KIND_CANCEL, 0);
	int w = attach(ctx);

	ASSERT_GE(w, 0);
	ASSERT_EQ(fcntl(w, F_GETFD), FD_CLOEXEC);
	ASSERT_EQ(kt_cancel_wait(ctx, 20 * 1000000ULL), -ETIME);
	ASSERT_EQ(kt_revents(ctx), POLLIN);
	close(w);
	ASSERT_EQ(kt_revents(ctx), POLLIN | POLLHUP);
	ASSERT_EQ(kt_cancel_wait(ctx, 0), 0);
}

TEST(detach_ends_the_worker_at_once_and_again_does_nothing)
{
	int ctx = kt_create(kt_dev(), KCTX_KIND_CANCEL, 0);
	int w = attach(ctx), hold[2];
	pid_t pid = fork_holder(hold);	/* a second copy of the worker fd */

	ASSERT_EQ(kt_cancel(ctx, 0, 0), 0);
	ASSERT_TRUE(attached(ctx));
	ASSERT_EQ(detach(w), 0);
	ASSERT_TRUE(!attached(ctx));
	ASSERT_EQ(kt_revents(ctx), POLLIN | POLLHUP);
	ASSERT_EQ(detach(w), 0);
	close(hold[1]);
	reap(pid, 0);
}

TEST(a_forked_child_keeps_the_worker_until_it_exits)
{
	int ctx = kt_create(kt_dev(), KCTX_KIND_CANCEL, 0);
	int w = attach(ctx), hold[2];
	pid_t pid = fork_holder(hold);

	close(w);
	ASSERT_EQ(kt_cancel(ctx, 0, 0), 0);
	ASSERT_TRUE(attached(ctx));
	close(hold[1]);			/* the child exits */
	ASSERT_EQ(kt_cancel_wait(ctx, LONG_NS), 0);
	reap(pid, 0);
}

TEST(exec_ends_the_worker_while_the_process_runs_on)
{
	int ctx = kt_create(kt_dev(), KCTX_KIND_CANCEL, 0);
	int w = attach(ctx), hold[2], st;
	pid_t pid;

	ASSERT_EQ(pipe(hold), 0);
	pid = fork();
	ASSERT_GE(pid, 0);
	if (pid == 0) {
		dup2(hold[0], 0);
		close(hold[1]);
		execl("/bin/sh", "sh", "-c", "read x; exit 0", (char *)NULL);
		_exit(127);
	}
	close(hold[0]);
	close(w);
	/* Only the child's copy is left, and exec closes it. */
	ASSERT_EQ(kt_cancel_wait(ctx, LONG_NS), 0);
	ASSERT_EQ(waitpid(pid, &st, WNOHANG), 0);
	close(hold[1]);
	reap(pid, 0);
}

TEST(a_worker_counts_for_every_ancestor_but_not_past_without_cancel)
{
	int root = kt_create(kt_dev(), KCTX_KIND_CANCEL, 0);
	int mid = kt_create(root, KCTX_KIND_CANCEL, 0);
	int leaf = kt_create(mid, KCTX_KIND_VALUE, 0);
	int detached = kt_create(mid, KCTX_KIND_WITHOUT_CANCEL, 0);
	int w = attach(kt_watch(leaf)), wd = attach(detached);

	ASSERT_GE(w, 0);
	ASSERT_GE(wd, 0);
	ASSERT_EQ(kt_cancel(root, 0, 0), 0);
	ASSERT_TRUE(attached(root));
	ASSERT_TRUE(attached(mid));
	close(w);
	ASSERT_TRUE(!attached(root));
	ASSERT_EQ(kt_revents(root), POLLIN | POLLHUP);
	ASSERT_EQ(kt_revents(detached), 0);
	ASSERT_EQ(kt_cancel_wait(detached, 0), -ETIME);
}

TEST(attaching_to_a_done_context_is_refused_with_its_error)
{
	int dev = kt_dev();
	int root = kt_create(dev, KCTX_KIND_CANCEL, 0);
	int child = kt_create(root, KCTX_KIND_CANCEL, 0);
	int expired = kt_timeout(dev, 0);

	ASSERT_EQ(kt_cancel(root, 0, 0), 0);
	ASSERT_EQ(attach(child), -ECANCELED);
	ASSERT_EQ(attach(expired), -ETIMEDOUT);
	ASSERT_TRUE(!attached(root));
	ASSERT_EQ(kt_revents(child), POLLIN | POLLHUP);
}

TEST(attach_and_detach_take_only_their_fds_and_zero_flags)
{
	int dev = kt_dev(), ctx = kt_create(dev, KCTX_KIND_CANCEL, 0), w = attach(ctx);
	struct kctx_attach a = { .size = sizeof(a), .flags = 1 };
	struct kctx_detach d = { .size = sizeof(d), .flags = 1 };
	struct { struct kctx_attach a; uint64_t tail; } big = { { .size = sizeof(big) }, 1 };
	struct kctx_state st = { .size = sizeof(st) };
	uint32_t short_size = 4;

	ASSERT_EQ(attach(dev), -ENOTTY);
	ASSERT_EQ(attach(w), -ENOTTY);
	ASSERT_EQ(detach(ctx), -ENOTTY);
	ASSERT_EQ(detach(dev), -ENOTTY);
	ASSERT_ERRNO(ioctl(w, KCTX_IOC_STATE, &st), ENOTTY);
	ASSERT_ERRNO(ioctl(ctx, KCTX_IOC_ATTACH, &a), EINVAL);
	ASSERT_ERRNO(ioctl(w, KCTX_IOC_DETACH, &d), EINVAL);
	ASSERT_ERRNO(ioctl(ctx, KCTX_IOC_ATTACH, &big), E2BIG);
	ASSERT_ERRNO(ioctl(ctx, KCTX_IOC_ATTACH, &short_size), EINVAL);
	ASSERT_ERRNO(ioctl(ctx, KCTX_IOC_ATTACH, (void *)8), EFAULT);
	/* None of those attached anything. */
	ASSERT_EQ(detach(w), 0);
	ASSERT_EQ(kt_cancel(ctx, 0, 0), 0);
	ASSERT_TRUE(!attached(ctx));
}

TEST(fdinfo_names_the_context_and_whether_it_is_attached)
{
	int ctx = kt_create(kt_dev(), KCTX_KIND_CANCEL, 0), w = attach(ctx);
	char path[64], buf[512], want[64];

	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", w);
	ASSERT_EQ(kt_read_file(path, buf, sizeof(buf)), 0);
	snprintf(want, sizeof(want), "ctx_id:\t%llu\n", (unsigned long long)kt_state(ctx).id);
	ASSERT_TRUE(strstr(buf, want));
	ASSERT_TRUE(strstr(buf, "attached:\t1\n"));
	ASSERT_TRUE(strstr(buf, "since_ns:\t"));
	ASSERT_EQ(detach(w), 0);
	ASSERT_EQ(kt_read_file(path, buf, sizeof(buf)), 0);
	ASSERT_TRUE(strstr(buf, "attached:\t0\n"));
}

/* A worker is charged like a context until its fd is closed. */
TEST(workers_count_against_the_users_cap_until_their_fd_closes)
{
	int ctx = kt_create(kt_dev(), KCTX_KIND_CANCEL, 0), w;

	kt_set_cap(2);
	w = attach(ctx);
	ASSERT_GE(w, 0);
	ASSERT_EQ(attach(ctx), -ENOSPC);
	ASSERT_EQ(detach(w), 0);
	ASSERT_EQ(attach(ctx), -ENOSPC);	/* detached, still open */
	close(w);
	w = attach(ctx);
	ASSERT_GE(w, 0);
	close(w);
}

/*
 * The attached process dies (SIGKILL) holding the context's only owner
 * fd, at a random moment: its death cancels the context (EOWNERDEAD) and
 * ends the worker, in whichever order its fds close. A watcher must see
 * done, then drained, every time.
 */
TEST(owner_death_of_an_attached_process_cancels_and_drains)
{
	int dev = kt_dev(), i;

	for (i = 0; i < 200; i++) {
		int ctx = kt_create(dev, KCTX_KIND_CANCEL, 0), watch = kt_watch(ctx), ready[2];
		struct pollfd pf = { .fd = watch, .events = POLLIN };
		struct kctx_state st;
		pid_t pid;
		char c;

		ASSERT_EQ(pipe(ready), 0);
		pid = fork();
		ASSERT_GE(pid, 0);
		if (pid == 0) {
			close(ready[0]);
			if (attach(ctx) < 0 || write(ready[1], "a", 1) != 1)
				_exit(1);
			for (;;)
				pause();
		}
		close(ready[1]);
		close(ctx);
		if (i & 1)	/* half the kills land after the attach */
			ASSERT_EQ(read(ready[0], &c, 1), 1);
		if (i & 2)
			sched_yield();
		ASSERT_EQ(kill(pid, SIGKILL), 0);
		ASSERT_EQ(poll(&pf, 1, 10000), 1);
		ASSERT_EQ(pf.revents, POLLIN | POLLHUP);
		st = kt_state(watch);
		ASSERT_EQ(st.err, -ECANCELED);
		ASSERT_EQ(st.cause, -EOWNERDEAD);
		reap(pid, SIGKILL);
		close(ready[0]);
		close(watch);
	}
}

struct churn {
	int ctx;
	atomic_int holding;	/* an attached worker fd, set after attach */
	atomic_int refused;	/* an attach failed with ECANCELED */
	atomic_int stop;
	atomic_int attaches;
};

static void *churn(void *arg)
{
	struct churn *c = arg;
	int w;

	while (!atomic_load(&c->stop)) {
		w = attach(c->ctx);
		if (w == -ECANCELED) {
			atomic_store(&c->refused, 1);
			continue;
		}
		if (w < 0)
			KT_FAIL("attach: %s", strerror(-w));
		ASSERT_TRUE(!atomic_load(&c->refused));
		atomic_store(&c->holding, 1);
		atomic_fetch_add(&c->attaches, 1);
		sched_yield();
		atomic_store(&c->holding, 0);
		if (atomic_load(&c->attaches) & 1)
			close(w);
		else
			ASSERT_EQ(detach(w) + close(w), 0);
	}
	return NULL;
}

/*
 * Attaches and detaches race a cancel-wait: when the wait returns, no
 * worker may be attached, and every attach after the cancel is refused.
 */
TEST(cancel_wait_against_attach_and_detach)
{
	int dev = kt_dev(), round, i;

	for (round = 0; round < 100; round++) {
		int root = kt_create(dev, KCTX_KIND_CANCEL, 0);
		struct churn c[2] = {
			{ .ctx = kt_create(root, KCTX_KIND_CANCEL, 0) },
			{ .ctx = kt_watch(root) },
		};
		pthread_t t[2];

		for (i = 0; i < 2; i++)
			ASSERT_EQ(pthread_create(&t[i], NULL, churn, &c[i]), 0);
		while (!atomic_load(&c[0].attaches) || !atomic_load(&c[1].attaches))
			sched_yield();
		ASSERT_EQ(kt_cancel_wait(root, LONG_NS), 0);
		for (i = 0; i < 2; i++)
			ASSERT_EQ(atomic_load(&c[i].holding), 0);
		/* Whoever tries again now is refused. */
		for (i = 0; i < 2; i++) {
			while (!atomic_load(&c[i].refused))
				sched_yield();
			atomic_store(&c[i].stop, 1);
			ASSERT_EQ(pthread_join(t[i], NULL), 0);
			close(c[i].ctx);
		}
		ASSERT_EQ(kt_revents(root), POLLIN | POLLHUP);
		close(root);
	}
}
