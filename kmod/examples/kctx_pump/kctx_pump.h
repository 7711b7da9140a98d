/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * kctx_pump: an example kctx consumer. Its ioctl takes a context fd and two
 * file fds, and copies from one to the other in a kernel thread bound to
 * the context, until end of file or until the context is done.
 */
#ifndef _UAPI_KCTX_PUMP_H
#define _UAPI_KCTX_PUMP_H

#include <linux/ioctl.h>
#include <linux/types.h>

#define KCTX_PUMP_DEVICE	"/dev/kctx_pump"

/**
 * struct kctx_pump_start - argument of KCTX_PUMP_IOC_START
 * @size: sizeof(struct kctx_pump_start)
 * @flags: must be zero
 * @ctx_fd: a kctx context fd, owner or watch-only
 * @in_fd: read from here, from offset 0 if it is seekable
 * @out_fd: write to here, from offset 0 if it is seekable
 * @__reserved: must be zero
 *
 * Starts the copy; one per open of the device.
 *
 * Return: 0; -EBADF for a bad fd; -EBUSY if this open already started one.
 */
struct kctx_pump_start {
	__u32 size;
	__u32 flags;
	__s32 ctx_fd;
	__s32 in_fd;
	__s32 out_fd;
	__u32 __reserved;
};

/**
 * struct kctx_pump_wait - argument of KCTX_PUMP_IOC_WAIT
 * @size: sizeof(struct kctx_pump_wait)
 * @flags: must be zero
 * @bytes: written by the kernel: bytes copied
 * @err: written by the kernel: 0 at end of file, the context's error
 *	(-ECANCELED, -ETIMEDOUT) if it ended the copy, or an I/O error
 * @__reserved: zero
 *
 * Waits until the copy has ended and its thread is gone; from then on it
 * writes nothing more.
 *
 * Return: 0; -EINVAL if nothing was started; -EINTR on a signal.
 */
struct kctx_pump_wait {
	__u32 size;
	__u32 flags;
	__aligned_u64 bytes;
	__s32 err;
	__u32 __reserved;
};

#define KCTX_PUMP_IOC_START	_IO(0xC7, 0x40)
#define KCTX_PUMP_IOC_WAIT	_IO(0xC7, 0x41)

#endif /* _UAPI_KCTX_PUMP_H */
