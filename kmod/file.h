/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Context file descriptors: the fd object behind each context that
 * userspace holds.
 */
#ifndef _KCTX_FILE_H
#define _KCTX_FILE_H

#include <linux/cred.h>
#include <linux/mutex.h>
#include <linux/wait.h>

#include "ctx.h"

/*
 * struct kctx_file - what one context fd refers to
 *
 * Lock legend:
 *   I: set before the file is installed, then immutable.
 *   M: ->lock.
 *   H: written by @done's hook under the context's lock.
 */
struct kctx_file {
	struct kctx *ctx;		/* I: holds a reference */
	bool owner;			/* I: may cancel, create, attach */
	kuid_t charged;			/* I: owners: the user charged */
	wait_queue_head_t poll_wait;	/* woken by @done */
	struct kctx_hook done;		/* H */
	struct mutex lock;
	struct list_head eventfds;	/* M: struct kctx_eventfd.node */
	unsigned int nr_eventfds;	/* M */
};

int kctx_file_install(struct kctx *ctx, bool owner, kuid_t charged,
		      unsigned int fd_flags);
int kctx_file_attach_eventfd(struct kctx_file *kf, int eventfd);

/* user.c */
int kctx_user_charge(kuid_t uid);
void kctx_user_uncharge(kuid_t uid);

/* ioctl.c */
u32 kctx_uapi_kind(const struct kctx *ctx);
long kctx_ioctl(struct kctx_file *kf, unsigned int cmd, unsigned long arg);

/* dev.c */
int kctx_dev_init(void);
void kctx_dev_exit(void);

#endif /* _KCTX_FILE_H */
