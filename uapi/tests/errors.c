// SPDX-License-Identifier: GPL-2.0
/* Every error of the errno table in uapi/linux/kctx.h. */
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/resource.h>

#include "harness.h"

TEST(unknown_command_is_enotty)
{
	int dev = kt_dev(), fd = kt_create(dev, KCTX_KIND_CANCEL, 0);
	struct kctx_state st = { .size = sizeof(st) };

	ASSERT_ERRNO(ioctl(fd, _IO(KCTX_TYPE, 0x3f), &st), ENOTTY);
	ASSERT_ERRNO(ioctl(fd, _IO(KCTX_TYPE + 1, KCTX_CMD_STATE), &st), ENOTTY);
	ASSERT_ERRNO(ioctl(fd, _IOR(KCTX_TYPE, KCTX_CMD_STATE, int), &st), ENOTTY);
	/* The device makes roots and does nothing else. */
	ASSERT_ERRNO(ioctl(dev, KCTX_IOC_STATE, &st), ENOTTY);
}

TEST(bad_flags_reserved_kind_or_clock_is_einval)
{
	int dev = kt_dev();
	struct kctx_create c = { .size = sizeof(c) };

	c.flags = 1U << 31;
	ASSERT_ERRNO(ioctl(dev, KCTX_IOC_CREATE, &c), EINVAL);
	c.flags = 0;
	c.__reserved = 1;
	ASSERT_ERRNO(ioctl(dev, KCTX_IOC_CREATE, &c), EINVAL);
	c.__reserved = 0;
	c.kind = 99;
	ASSERT_ERRNO(ioctl(dev, KCTX_IOC_CREATE, &c), EINVAL);
	c.kind = KCTX_KIND_DEADLINE;
	c.clockid = CLOCK_PROCESS_CPUTIME_ID;
	ASSERT_ERRNO(ioctl(dev, KCTX_IOC_CREATE, &c), EINVAL);
	/* A field the kind does not use must be zero. */
	c = (struct kctx_create){ .size = sizeof(c), .kind = KCTX_KIND_CANCEL, .key = 1 };
	ASSERT_ERRNO(ioctl(dev, KCTX_IOC_CREATE, &c), EINVAL);
}

TEST(unnormalized_time_is_einval)
{
	struct kctx_create c = {
		.size = sizeof(c), .kind = KCTX_KIND_DEADLINE, .flags = KCTX_CREATE_RELATIVE,
		.deadline_nsec = 1000000000,
	};
	int dev = kt_dev();

	ASSERT_ERRNO(ioctl(dev, KCTX_IOC_CREATE, &c), EINVAL);
	c.deadline_nsec = 0;
	c.deadline_sec = -1;
	ASSERT_ERRNO(ioctl(dev, KCTX_IOC_CREATE, &c), EINVAL);
}

TEST(short_struct_is_einval)
{
	struct kctx_state st = { .size = 8 };
	int fd = kt_create(kt_dev(), KCTX_KIND_CANCEL, 0);

	ASSERT_ERRNO(ioctl(fd, KCTX_IOC_STATE, &st), EINVAL);
}

TEST(nonzero_tail_is_e2big_and_zero_tail_is_fine)
{
	struct {
		struct kctx_state st;
		uint64_t tail;
	} big = { .st.size = sizeof(big) };
	int fd = kt_create(kt_dev(), KCTX_KIND_CANCEL, 0);

	ASSERT_EQ(ioctl(fd, KCTX_IOC_STATE, &big), 0);
	ASSERT_EQ(big.tail, 0);
	/* The reply says how much this kernel filled in. */
	ASSERT_EQ(big.st.size, sizeof(big.st));
	big.st.size = sizeof(big);
	big.tail = 1;
	ASSERT_ERRNO(ioctl(fd, KCTX_IOC_STATE, &big), E2BIG);
}

TEST(bad_pointer_is_efault)
{
	int fd = kt_create(kt_dev(), KCTX_KIND_CANCEL, 0);
	void *ro = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	ASSERT_ERRNO(ioctl(fd, KCTX_IOC_STATE, (void *)8), EFAULT);
	/* A readable struct whose reply can't be written back. */
	ASSERT_EQ(mprotect(ro, 4096, PROT_READ | PROT_WRITE), 0);
	*(uint32_t *)ro = sizeof(struct kctx_state);
	ASSERT_EQ(mprotect(ro, 4096, PROT_READ), 0);
	ASSERT_ERRNO(ioctl(fd, KCTX_IOC_STATE, ro), EFAULT);
}

TEST(attaching_a_non_eventfd_is_ebadf)
{
	struct kctx_attach_eventfd a = { .size = sizeof(a) };
	int fd = kt_create(kt_dev(), KCTX_KIND_CANCEL, 0);
	int pipefd[2];

	ASSERT_EQ(pipe(pipefd), 0);
	a.eventfd = pipefd[0];
	ASSERT_ERRNO(ioctl(fd, KCTX_IOC_ATTACH_EVENTFD, &a), EBADF);
	a.eventfd = -1;
	ASSERT_ERRNO(ioctl(fd, KCTX_IOC_ATTACH_EVENTFD, &a), EBADF);
}

TEST(watch_only_fd_can_only_observe)
{
	struct kctx_watch w = { .size = sizeof(w) };
	struct kctx_attach_eventfd a = { .size = sizeof(a), .eventfd = eventfd(0, 0) };
	int fd = kt_create(kt_dev(), KCTX_KIND_CANCEL, 0);
	int watch = ioctl(fd, KCTX_IOC_WATCH, &w);
	struct kctx_state st;

	ASSERT_GE(watch, 0);
	ASSERT_ERRNO(kt_cancel(watch, 0, 0), EPERM);
	ASSERT_ERRNO(kt_create(watch, KCTX_KIND_CANCEL, 0), EPERM);
	ASSERT_ERRNO(ioctl(watch, KCTX_IOC_ATTACH_EVENTFD, &a), EPERM);
	st = kt_state(watch);
	ASSERT_EQ(st.state & KCTX_STATE_OWNER, 0);
	ASSERT_EQ(st.id, kt_state(fd).id);
	/* Closing a watch-only fd cancels nothing. */
	close(watch);
	ASSERT_EQ(kt_state(fd).err, 0);
}

TEST(missing_value_is_enoent)
{
	struct kctx_value v = { .size = sizeof(v), .key = 42 };
	int fd = kt_create(kt_dev(), KCTX_KIND_CANCEL, 0);

	ASSERT_ERRNO(ioctl(fd, KCTX_IOC_VALUE, &v), ENOENT);
}

TEST(full_fd_table_is_emfile_and_leaves_nothing_behind)
{
	struct rlimit rl;
	int dev = kt_dev(), first, fd;

	ASSERT_EQ(getrlimit(RLIMIT_NOFILE, &rl), 0);
	first = kt_create(dev, KCTX_KIND_CANCEL, 0);
	ASSERT_GE(first, 0);
	rl.rlim_cur = first + 1;
	ASSERT_EQ(setrlimit(RLIMIT_NOFILE, &rl), 0);
	ASSERT_ERRNO(kt_create(dev, KCTX_KIND_CANCEL, 0), EMFILE);
	close(first);
	fd = kt_create(dev, KCTX_KIND_CANCEL, 0);
	ASSERT_EQ(fd, first);
}

TEST(user_cap_is_enospc_and_recovers)
{
	int dev = kt_dev(), fds[4], i;

	kt_set_cap(3);
	for (i = 0; i < 3; i++)
		ASSERT_GE(fds[i] = kt_create(dev, KCTX_KIND_CANCEL, 0), 0);
	ASSERT_ERRNO(kt_create(dev, KCTX_KIND_CANCEL, 0), ENOSPC);
	/* Watch-only fds are not charged. */
	struct kctx_watch w = { .size = sizeof(w) };

	ASSERT_GE(fds[3] = ioctl(fds[0], KCTX_IOC_WATCH, &w), 0);
	close(fds[1]);
	ASSERT_GE(kt_create(dev, KCTX_KIND_CANCEL, 0), 0);
}

/* A malformed create is checked before the cap, so it is EINVAL there too. */
TEST(malformed_create_at_the_cap_is_einval)
{
	struct kctx_create bad[] = {
		{ .kind = 99 },
		{ .kind = KCTX_KIND_DEADLINE, .clockid = CLOCK_PROCESS_CPUTIME_ID },
		{ .kind = KCTX_KIND_DEADLINE, .deadline_nsec = 1000000000 },
		{ .kind = KCTX_KIND_DEADLINE, .flags = KCTX_CREATE_RELATIVE,
		  .deadline_sec = -1 },
	};
	int dev = kt_dev();
	size_t i;

	kt_set_cap(1);
	ASSERT_GE(kt_create(dev, KCTX_KIND_CANCEL, 0), 0);
	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		bad[i].size = sizeof(bad[i]);
		ASSERT_ERRNO(ioctl(dev, KCTX_IOC_CREATE, &bad[i]), EINVAL);
	}
	ASSERT_ERRNO(kt_create(dev, KCTX_KIND_CANCEL, 0), ENOSPC);
}
