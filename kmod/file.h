/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Context file descriptors: the userspace side of each context userspace
 * holds, and the ioctls on it.
 */
#ifndef _KCTX_FILE_H
#define _KCTX_FILE_H

#include <linux/fs.h>
#include <linux/mutex.h>
#include <linux/sched.h>
#include <linux/wait.h>
#include <linux/wait_bit.h>

#include "ctx.h"

/*
 * struct kctx_uctx - the userspace side of one context
 *
 * Shared by the context's owner file and every watch-only file made from
 * it, so that a cancel costs the same however many fds there are: one hook
 * wakes one wait queue, which holds every poller of every fd.
 *
 * Lock legend:
 *   I: set before the first file is installed, then immutable.
 *   A: atomic.
 *   M: ->lock.
 *   Q: the lock of @ctx->workers's wait_var queue.
 *   S: set once under ->lock, then immutable; read with acquire ordering.
 */
struct kctx_uctx {
	refcount_t files;		/* A: one per file */
	struct kctx *ctx;		/* I: holds a reference */
	wait_queue_head_t poll_wait;	/* woken by @done, then by @drained */
	struct kctx_hook done;		/* on @ctx from the first file to the last */
	/*
	 * Q: on @ctx->workers's wait_var queue from when a poller found @ctx
	 * done but not drained until the count reaches zero: then it wakes
	 * @poll_wait with EPOLLHUP, and takes itself off.
	 */
	struct wait_bit_queue_entry drained;
	struct pid *creator;		/* I: the process that made it; a reference */
	char creator_comm[TASK_COMM_LEN];	/* I: its command then */
	struct mutex lock;		/* of the eventfd list and @status */
	struct list_head eventfds;	/* M: struct kctx_eventfd.node */
	unsigned int nr_eventfds;	/* M: at most KCTX_MAX_EVENTFDS */
	struct page *status;		/* S: the status page, once mapped (status.c) */
};

bool kctx_file_owner(const struct file *file);
pid_t kctx_tgid_vnr(struct pid *pid);
struct file *kctx_file_create(struct kctx *ctx);
struct file *kctx_file_watch(struct kctx_uctx *uc);
int kctx_file_attach_eventfd(struct kctx_uctx *uc, int eventfd);

/* ioctl.c */
u32 kctx_uapi_kind(const struct kctx *ctx);
long kctx_ioctl(struct file *file, unsigned int cmd, unsigned long arg);

/* dev.c */
int kctx_dev_init(void);
void kctx_dev_exit(void);

#endif /* _KCTX_FILE_H */
