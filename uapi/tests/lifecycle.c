// SPDX-License-Identifier: GPL-2.0
/* The module stays while userspace holds any of its fds. */
#include <sys/syscall.h>

#include "harness.h"

static int try_unload(void)
{
	return syscall(SYS_delete_module, "kctx", O_NONBLOCK);
}

TEST(rmmod_is_refused_while_a_context_fd_is_open)
{
	int dev = kt_dev();
	int fd = kt_create(dev, KCTX_KIND_CANCEL, 0);

	close(dev);
	ASSERT_GE(fd, 0);
	ASSERT_ERRNO(try_unload(), EWOULDBLOCK);
	ASSERT_EQ(kt_state(fd).err, 0);
}

TEST(rmmod_is_refused_while_dev_kctx_is_open)
{
	kt_dev();
	ASSERT_ERRNO(try_unload(), EWOULDBLOCK);
}
