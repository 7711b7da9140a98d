/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Kernel work for a context, for the tests that wait for it: the example
 * driver kctx_pump copying between two pipes in a kthread bound to it.
 */
#ifndef KCTX_TEST_PUMP_H
#define KCTX_TEST_PUMP_H

#include <sys/ioctl.h>

#include "harness.h"
#include "../../kmod/examples/kctx_pump/kctx_pump.h"

/*
 * A kctx_pump thread working for @ctx, blocked reading an empty pipe, whose
 * write end the test keeps; the returned device fd holds the copy.
 */
static inline int pump_start(kctx_t *ctx)
{
	struct kctx_pump_start s = { .size = sizeof(s), .ctx_fd = kctx_fd(ctx) };
	int dev = open(KCTX_PUMP_DEVICE, O_RDWR | O_CLOEXEC), in[2], out[2];

	if (dev < 0)
		SKIP(KCTX_PUMP_DEVICE " is missing: is kctx_pump.ko loaded?");
	ASSERT_OK(pipe(in));
	ASSERT_OK(pipe(out));
	s.in_fd = in[0];
	s.out_fd = out[1];
	ASSERT_OK(ioctl(dev, KCTX_PUMP_IOC_START, &s));
	return dev;
}

#endif /* KCTX_TEST_PUMP_H */
