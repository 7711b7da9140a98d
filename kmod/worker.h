/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Userspace workers, KCTX_IOC_ATTACH's fds: worker.c's interface to the
 * rest of kctx.ko.
 */
#ifndef _KCTX_WORKER_H
#define _KCTX_WORKER_H

#include <linux/fs.h>

#include "ctx.h"

bool kctx_file_worker(const struct file *file);
struct file *kctx_worker_create(struct kctx *ctx, int signal);
void kctx_worker_detach(struct file *file);

#endif /* _KCTX_WORKER_H */
