/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Internal view of kctx's bound kthreads, shared by kthread.c and group.c.
 */
#ifndef _KCTX_KTHREAD_H
#define _KCTX_KTHREAD_H

#include <linux/completion.h>
#include <linux/kctx.h>
#include <linux/list.h>

struct kctx_group;

/*
 * One kthread started by kctx_kthread_run() or kctx_group_go().
 *
 * Lock legend:
 *   I: set before the thread starts, then immutable.
 *   T: touched only by the thread itself.
 *   G: the group's ->lock.
 *   W: written by the thread before it signals that @fn returned (through
 *      @returned, or the group's list under G); read by the reaper after.
 *
 * Ownership: the starter owns the struct and a reference on @task; it is
 * freed by kctx_thread_reap(), after the thread has exited.
 */
struct kctx_thread {
	struct kctx_binding bind;	/* T: the thread's own, for its whole life */
	struct kctx_binding *top;	/* T: the innermost binding */
	struct kctx *ctx;		/* I: what @fn gets; holds a reference */
	int (*fn)(struct kctx *ctx, void *data);	/* I */
	void *data;			/* I */
	struct task_struct *task;	/* I: holds a reference */
	struct kctx_group *group;	/* I: NULL for kctx_kthread_run() */
	struct list_head node;		/* G: on the group's ->returned list */
	struct completion returned;	/* @fn returned; kctx_kthread_run() only */
	int ret;			/* W: what @fn returned */
};

int kctx_thread_start(struct kctx_thread *t, const char *name);
void kctx_thread_reap(struct kctx_thread *t);

/* group.c: called by the thread once @fn has returned and it is unbound. */
void kctx_group_thread_returned(struct kctx_thread *t);

#if IS_ENABLED(CONFIG_KUNIT)
struct module *kctx_kthread_module(void);
#endif

#endif /* _KCTX_KTHREAD_H */
