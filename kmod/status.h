/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The status page: a read-only page that mmap() of a context fd maps, so
 * that userspace checks a context without a system call.
 */
#ifndef _KCTX_STATUS_H
#define _KCTX_STATUS_H

#include <linux/mm_types.h>

struct kctx_uctx;

int kctx_status_mmap(struct kctx_uctx *uc, struct vm_area_struct *vma);
void kctx_status_done(struct kctx_uctx *uc);
void kctx_status_free(struct kctx_uctx *uc);

#endif /* _KCTX_STATUS_H */
