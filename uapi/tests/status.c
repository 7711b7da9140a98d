// SPDX-License-Identifier: GPL-2.0
/*
 * mmap() of a context fd: the read-only status page (struct kctx_status).
 * What it must show, it shows by the time the call that ended the context
 * returns, whoever made that call: another process, a deadline, the death
 * of the owner.
 */
#define _GNU_SOURCE	/* mremap() */
#include <pthread.h>
#include <stdatomic.h>
#include <sys/mman.h>

#include "harness.h"

static long page_size(void)
{
	return sysconf(_SC_PAGESIZE);
}

static const struct kctx_status *map_status(int fd)
{
	void *p = mmap(NULL, page_size(), PROT_READ, MAP_SHARED, fd, 0);

	if (p == MAP_FAILED)
		KT_FAIL("mmap: %s", strerror(errno));
	return p;
}

static int status_err(const struct kctx_status *st)
{
	return __atomic_load_n(&st->err, __ATOMIC_ACQUIRE);
}

static void reap_ok(pid_t pid)
{
	int status;

	ASSERT_EQ(waitpid(pid, &status, 0), pid);
	ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

/* The fields match KCTX_IOC_STATE's, while live and once done. */
TEST(status_page_matches_state)
{
	int dev = kt_dev(), parent = kt_create(dev, KCTX_KIND_CANCEL, 0);
	int fd = kt_timeout(parent, 3600 * 1000000000LL);
	const struct kctx_status *st = map_status(fd);
	struct kctx_state s = kt_state(fd);

	ASSERT_EQ(st->size, sizeof(*st));
	ASSERT_EQ(status_err(st), 0);
	ASSERT_EQ(st->state, KCTX_STATE_DEADLINE);
	ASSERT_EQ(st->deadline_ns, s.deadline_ns);
	ASSERT_EQ(st->id, s.id);
	ASSERT_EQ(st->parent_id, kt_state(parent).id);
	ASSERT_EQ(kt_cancel(fd, -EPIPE, 7), 0);
	s = kt_state(fd);
	ASSERT_EQ(status_err(st), -ECANCELED);
	ASSERT_EQ(st->state, KCTX_STATE_DONE | KCTX_STATE_DEADLINE | KCTX_STATE_USER_CAUSE);
	ASSERT_EQ(st->cause, s.cause);
	ASSERT_EQ(st->cause, -EPIPE);
	ASSERT_EQ(st->user_cause, 7);
}

/* Another process cancels; its ioctl has returned when we look. */
TEST(status_sees_cancel_from_another_process)
{
	int dev = kt_dev(), fd = kt_create(dev, KCTX_KIND_CANCEL, 0);
	const struct kctx_status *st = map_status(kt_watch(fd));
	int done[2];
	pid_t pid;
	char c;

	ASSERT_EQ(pipe(done), 0);
	pid = fork();
	ASSERT_GE(pid, 0);
	if (pid == 0)
		_exit(kt_cancel(fd, 0, 99) || write(done[1], "x", 1) != 1);
	close(fd);
	ASSERT_EQ(read(done[0], &c, 1), 1);
	ASSERT_EQ(status_err(st), -ECANCELED);
	ASSERT_EQ(st->user_cause, 99);
	reap_ok(pid);
}

/* A mapping inherited by fork() sees a cancel made after the fork. */
TEST(status_inherited_by_fork)
{
	int dev = kt_dev(), fd = kt_create(dev, KCTX_KIND_CANCEL, 0);
	const struct kctx_status *st = map_status(fd);
	int go[2];
	pid_t pid;
	char c;

	ASSERT_EQ(pipe(go), 0);
	pid = fork();
	ASSERT_GE(pid, 0);
	if (pid == 0) {
		close(fd);	/* the mapping alone */
		_exit(read(go[0], &c, 1) != 1 || status_err(st) != -ECANCELED);
	}
	ASSERT_EQ(kt_cancel(fd, 0, 0), 0);
	ASSERT_EQ(write(go[1], "x", 1), 1);
	reap_ok(pid);
}

/* A process that got the fd over SCM_RIGHTS maps the same page. */
TEST(status_shared_over_scm_rights)
{
	int dev = kt_dev(), fd = kt_create(dev, KCTX_KIND_CANCEL, 0);
	const struct kctx_status *st = map_status(fd);
	int sv[2];
	pid_t pid;
	char c;

	ASSERT_EQ(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	pid = fork();
	ASSERT_GE(pid, 0);
	if (pid == 0) {
		const struct kctx_status *mine;

		close(fd);
		munmap((void *)st, page_size());
		mine = map_status(kt_recv_fd(sv[1]));
		if (status_err(mine) || write(sv[1], "x", 1) != 1 || read(sv[1], &c, 1) != 1)
			_exit(1);
		_exit(status_err(mine) != -ECANCELED || mine->id != kt_state(fd).id);
	}
	kt_send_fd(sv[0], kt_watch(fd));
	ASSERT_EQ(read(sv[0], &c, 1), 1);
	ASSERT_EQ(kt_cancel(fd, 0, 0), 0);
	ASSERT_EQ(status_err(st), -ECANCELED);
	ASSERT_EQ(write(sv[0], "x", 1), 1);
	reap_ok(pid);
}

/* A cancel above reaches the page of a grandchild. */
TEST(status_of_descendant)
{
	int dev = kt_dev(), root = kt_create(dev, KCTX_KIND_CANCEL, 0);
	int child = kt_create(root, KCTX_KIND_VALUE, 0);
	int leaf = kt_create(child, KCTX_KIND_CANCEL, 0);
	const struct kctx_status *st = map_status(leaf);

	ASSERT_EQ(kt_cancel(root, -EIO, 0), 0);
	ASSERT_EQ(status_err(st), -ECANCELED);
	ASSERT_EQ(st->cause, -EIO);
	ASSERT_EQ(st->state, kt_state(leaf).state & ~KCTX_STATE_OWNER);
	ASSERT_TRUE(st->state & KCTX_STATE_DONE);
}

/* A deadline: the page is done when poll() wakes. */
TEST(status_deadline_before_pollers_wake)
{
	int dev = kt_dev(), fd = kt_timeout(dev, 20 * 1000000LL);
	const struct kctx_status *st = map_status(fd);
	struct pollfd pf = { .fd = fd, .events = POLLIN };

	ASSERT_EQ(status_err(st), 0);
	ASSERT_EQ(poll(&pf, 1, 10000), 1);
	ASSERT_EQ(status_err(st), -ETIMEDOUT);
	ASSERT_EQ(st->cause, -ETIMEDOUT);
	ASSERT_TRUE(st->state & KCTX_STATE_DEADLINE);
}

/* The owner dies: the page shows -EOWNERDEAD once it has been reaped. */
TEST(status_owner_death)
{
	int dev = kt_dev(), fd = kt_create(dev, KCTX_KIND_VALUE, 0);
	const struct kctx_status *st = map_status(kt_watch(fd));
	pid_t pid = fork();

	ASSERT_GE(pid, 0);
	if (pid == 0)
		_exit(0);
	close(fd);	/* the child's copy was the last */
	reap_ok(pid);
	ASSERT_EQ(status_err(st), -ECANCELED);
	ASSERT_EQ(st->cause, -EOWNERDEAD);
}

/* Mapped after the end: the page is done from the start. */
TEST(status_mapped_when_done)
{
	int dev = kt_dev(), fd = kt_create(dev, KCTX_KIND_CANCEL, 0);
	const struct kctx_status *st;

	ASSERT_EQ(kt_cancel(fd, 0, 5), 0);
	st = map_status(fd);
	ASSERT_EQ(status_err(st), -ECANCELED);
	ASSERT_EQ(st->user_cause, 5);
}

/*
 * A mapping of the owner fd is not an owner: closing the fd ends the
 * context, and the page, still mapped, shows it.
 */
TEST(status_mapping_is_not_an_owner)
{
	int dev = kt_dev(), fd = kt_create(dev, KCTX_KIND_CANCEL, 0);
	const struct kctx_status *st = map_status(fd);
	uint64_t id = kt_state(fd).id;

	close(fd);
	ASSERT_EQ(status_err(st), -ECANCELED);
	ASSERT_EQ(st->cause, -EOWNERDEAD);
	ASSERT_EQ(st->id, id);
}

/* A mapping keeps the page current after its fd is closed. */
TEST(status_current_while_mapped)
{
	int dev = kt_dev(), fd = kt_create(dev, KCTX_KIND_CANCEL, 0);
	int watch = kt_watch(fd);
	const struct kctx_status *st = map_status(watch);

	close(watch);
	ASSERT_EQ(status_err(st), 0);
	ASSERT_EQ(kt_cancel(fd, 0, 3), 0);
	ASSERT_EQ(status_err(st), -ECANCELED);
	ASSERT_EQ(st->user_cause, 3);
}

/* Read-only for good, one page at offset 0, and only on context fds. */
TEST(status_refuses_bad_mappings)
{
	int dev = kt_dev(), fd = kt_create(dev, KCTX_KIND_CANCEL, 0);
	long ps = page_size();
	struct kctx_attach a = { .size = sizeof(a) };
	int wfd = ioctl(fd, KCTX_IOC_ATTACH, &a);
	void *p;

	ASSERT_TRUE(mmap(NULL, ps, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0) == MAP_FAILED);
	ASSERT_EQ(errno, EACCES);
	ASSERT_TRUE(mmap(NULL, ps, PROT_READ, MAP_SHARED, fd, ps) == MAP_FAILED);
	ASSERT_EQ(errno, EINVAL);
	ASSERT_TRUE(mmap(NULL, 2 * ps, PROT_READ, MAP_SHARED, fd, 0) == MAP_FAILED);
	ASSERT_EQ(errno, EINVAL);
	ASSERT_TRUE(mmap(NULL, ps, PROT_READ, MAP_SHARED, dev, 0) == MAP_FAILED);
	ASSERT_EQ(errno, ENODEV);
	ASSERT_GE(wfd, 0);
	ASSERT_TRUE(mmap(NULL, ps, PROT_READ, MAP_SHARED, wfd, 0) == MAP_FAILED);
	ASSERT_EQ(errno, ENODEV);

	p = mmap(NULL, ps, PROT_READ, MAP_SHARED, fd, 0);
	ASSERT_TRUE(p != MAP_FAILED);
	ASSERT_ERRNO(mprotect(p, ps, PROT_READ | PROT_WRITE), EACCES);
	/* Nor grown: VM_DONTEXPAND. */
	ASSERT_TRUE(mremap(p, ps, 2 * ps, MREMAP_MAYMOVE) == MAP_FAILED);
	ASSERT_EQ(errno, EFAULT);
	/* A private mapping can't be made writable either. */
	p = mmap(NULL, ps, PROT_READ, MAP_PRIVATE, fd, 0);
	ASSERT_TRUE(p != MAP_FAILED);
	ASSERT_ERRNO(mprotect(p, ps, PROT_READ | PROT_WRITE), EACCES);
	ASSERT_EQ(((const struct kctx_status *)p)->id, kt_state(fd).id);
}

struct race {
	int fd;
	atomic_int go;
	const struct kctx_status *st;
};

static void *race_map(void *arg)
{
	struct race *r = arg;

	while (!atomic_load(&r->go))
		;
	r->st = map_status(r->fd);
	return NULL;
}

/*
 * Mapping races with the cancel: whichever comes first, the page ends up
 * done. Each round a fresh context, so each maps a fresh page.
 */
TEST(status_map_races_cancel)
{
	int dev = kt_dev(), i;

	for (i = 0; i < 300; i++) {
		struct race r = { .fd = kt_create(dev, KCTX_KIND_CANCEL, 0) };
		pthread_t t;

		ASSERT_GE(r.fd, 0);
		ASSERT_EQ(pthread_create(&t, NULL, race_map, &r), 0);
		atomic_store(&r.go, 1);
		if (i & 1)
			sched_yield();
		ASSERT_EQ(kt_cancel(r.fd, 0, 0), 0);
		ASSERT_EQ(pthread_join(t, NULL), 0);
		if (status_err(r.st) != -ECANCELED)
			KT_FAIL("round %d: the page missed the cancel", i);
		munmap((void *)r.st, page_size());
		close(r.fd);
	}
}
