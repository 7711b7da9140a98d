/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Work attached to contexts, counted for kctx_cancel_wait(): work.c's
 * interface to the rest of kctx.ko.
 */
#ifndef _KCTX_WORK_H
#define _KCTX_WORK_H

#include <linux/kctx.h>

struct seq_file;

void kctx_work_count(struct kctx *ctx);
void kctx_work_uncount(struct kctx *ctx);
void kctx_work_list_add(struct kctx_work *w, struct kctx *ctx,
			struct task_struct *task, void *fn);
void kctx_work_list_del(struct kctx_work *w);
int kctx_work_attach(struct kctx_work *w, struct kctx *ctx,
		     struct task_struct *task, void *fn, bool late_ok);
void kctx_work_detach(struct kctx_work *w);
int kctx_work_wait(struct kctx *ctx, u64 timeout_ns, unsigned int state);
int kctx_work_drain(struct kctx *ctx, int cause, u64 timeout_ns, bool user);
int kctx_stragglers_show(struct seq_file *m, void *v);
void kctx_work_show(struct seq_file *m, const struct kctx *ctx, unsigned int indent);
void kctx_work_show_done(struct seq_file *m,
			 void (*show_ctx)(struct seq_file *m, const struct kctx *ctx),
			 unsigned int max);
bool kctx_work_leaked(const struct kctx *ctx);

#if IS_ENABLED(CONFIG_KUNIT)
extern unsigned int kctx_leaked_work_grace_ms;
#endif

#endif /* _KCTX_WORK_H */
