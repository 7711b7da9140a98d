// SPDX-License-Identifier: GPL-2.0
/*
 * Groups of bound kthreads, after Go's errgroup.WithContext.
 *
 * Every thread of a group is bound to the group's context, a cancellable
 * child of the parent given to kctx_group_new(). The first thread to
 * return an error cancels that context with the error as its cause, which
 * breaks the sleeps of all the others. kctx_group_wait() waits until every
 * thread has returned and exited, and returns the first error.
 *
 * A thread that has returned puts itself on ->returned; whoever comes next,
 * kctx_group_go() or kctx_group_wait(), reaps it. So a long-lived group
 * that starts thread after thread keeps only the threads still running.
 */
#include <linux/export.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <linux/wait.h>

#include "kthread.h"

/*
 * Lock legend:
 *   I: set by kctx_group_new(), then immutable.
 *   L: @lock; taken only in process context, never with another lock held
 *      except for @wq's, inside it.
 */
struct kctx_group {
	struct kctx *ctx;		/* I: holds a reference */
	spinlock_t lock;
	wait_queue_head_t wq;		/* a thread returned, or the limit changed */
	struct list_head returned;	/* L: struct kctx_thread.node, to reap */
	int active;			/* L: started or starting, not yet returned */
	int limit;			/* L: the most @active may be; < 0 for none */
	int err;			/* L: the first non-zero return */
};

/**
 * kctx_group_new() - a group of threads working for a child of a context
 * @parent: the parent context
 * @gfp: allocation flags
 *
 * The group's context, kctx_group_ctx(), is a cancellable child of
 * @parent. It is cancelled by the first thread that returns an error, by
 * kctx_group_wait() once everything has returned, and by @parent.
 *
 * Context: Any context that @gfp allows.
 * Return: the group, with no limit on threads, or ERR_PTR(-ENOMEM).
 */
struct kctx_group *kctx_group_new(struct kctx *parent, gfp_t gfp)
{
	struct kctx_group *g;

	g = kzalloc(sizeof(*g), gfp);
	if (!g)
		return ERR_PTR(-ENOMEM);
	g->ctx = kctx_with_cancel(parent, gfp);
	if (IS_ERR(g->ctx)) {
		struct kctx *err = g->ctx;

		kfree(g);
		return ERR_CAST(err);
	}
	spin_lock_init(&g->lock);
	init_waitqueue_head(&g->wq);
	INIT_LIST_HEAD(&g->returned);
	g->limit = -1;
	return g;
}
EXPORT_SYMBOL_GPL(kctx_group_new);

/**
 * kctx_group_ctx() - the context a group's threads work for
 * @g: the group
 *
 * Context: Any context.
 * Return: the group's context, valid until kctx_group_free(); take a
 * reference with kctx_get() to keep it longer.
 */
struct kctx *kctx_group_ctx(struct kctx_group *g)
{
	return g->ctx;
}
EXPORT_SYMBOL_GPL(kctx_group_ctx);

/* Free the threads that have returned. */
static void kctx_group_reap(struct kctx_group *g)
{
	struct kctx_thread *t;

	for (;;) {
		spin_lock(&g->lock);
		t = list_first_entry_or_null(&g->returned, struct kctx_thread, node);
		if (t)
			list_del(&t->node);
		spin_unlock(&g->lock);
		if (!t)
			return;
		kctx_thread_reap(t);
	}
}

/* Take a slot for one more thread, if the limit allows. */
static bool kctx_group_take_slot(struct kctx_group *g)
{
	bool taken;

	spin_lock(&g->lock);
	taken = g->limit < 0 || g->active < g->limit;
	if (taken)
		g->active++;
	spin_unlock(&g->lock);
	return taken;
}

static void kctx_group_give_slot(struct kctx_group *g)
{
	spin_lock(&g->lock);
	g->active--;
	wake_up_all(&g->wq);
	spin_unlock(&g->lock);
}

/* Called by a group thread once its function has returned and it is unbound. */
void kctx_group_thread_returned(struct kctx_thread *t)
{
	struct kctx_group *g = t->group;
	bool first = false;

	if (t->ret) {
		spin_lock(&g->lock);
		first = !g->err;
		if (first)
			g->err = t->ret;
		spin_unlock(&g->lock);
	}
	/* Before the slot goes, so kctx_group_wait() sees the cancel done. */
	if (first)
		kctx_cancel_cause(g->ctx, t->ret);

	spin_lock(&g->lock);
	list_add_tail(&t->node, &g->returned);
	g->active--;
	/*
	 * Under ->lock: the reaper can't free @g before this is done, as it
	 * waits for our exit first, but nothing here is left to chance.
	 */
	wake_up_all(&g->wq);
	spin_unlock(&g->lock);
}

/**
 * kctx_group_go() - start a thread in a group
 * @g: the group
 * @fn: the thread's function; gets the group's context and @data
 * @data: passed to @fn
 * @name: the thread's name
 *
 * Go's errgroup Go(). The thread is bound to the group's context: when it
 * is done, every interruptible or killable sleep of the thread breaks (see
 * kctx_bind_current()), and @fn should return, usually with kctx_err().
 * A non-zero return is an error; the first one cancels the group's context
 * with that error as its cause. @fn runs even if the group's context is
 * done already, as in Go.
 *
 * While kctx_group_set_limit()'s number of threads is running, this waits,
 * killably, for one to return. It also reaps threads that have returned.
 * Calls on one group must not race with kctx_group_free().
 *
 * Context: Process context; sleeps. A caller with a fatal signal pending,
 * which includes a bound thread whose context is done, gets -EINTR.
 * Return: 0 if the thread started; -EINTR on a fatal signal, or -ENOMEM,
 * and then @fn does not run.
 */
int kctx_group_go(struct kctx_group *g, int (*fn)(struct kctx *ctx, void *data),
		  void *data, const char *name)
{
	struct kctx_thread *t;
	int err;

	kctx_group_reap(g);
	t = kzalloc(sizeof(*t), GFP_KERNEL);
	if (!t)
		return -ENOMEM;
	if (wait_event_killable(g->wq, kctx_group_take_slot(g))) {
		kfree(t);
		return -EINTR;
	}
	t->ctx = kctx_get(g->ctx);
	t->fn = fn;
	t->data = data;
	t->group = g;
	err = kctx_thread_start(t, name);
	if (err) {
		kctx_put(t->ctx);
		kfree(t);
		kctx_group_give_slot(g);
	}
	return err;
}
EXPORT_SYMBOL_GPL(kctx_group_go);

/**
 * kctx_group_set_limit() - bound the number of threads running in a group
 * @g: the group
 * @n: the most threads that may run at once; negative for no limit
 *
 * Go's SetLimit(). With @n threads running, kctx_group_go() waits for one
 * to return. A limit of 0 makes it wait until the caller is killed. Unlike
 * Go, the limit may change while threads run: a lower limit is obeyed from
 * the next kctx_group_go() on, and a higher one wakes waiting callers.
 *
 * Context: Process context.
 */
void kctx_group_set_limit(struct kctx_group *g, int n)
{
	spin_lock(&g->lock);
	g->limit = n < 0 ? -1 : n;
	wake_up_all(&g->wq);
	spin_unlock(&g->lock);
}
EXPORT_SYMBOL_GPL(kctx_group_set_limit);

static bool kctx_group_idle(struct kctx_group *g)
{
	bool idle;

	spin_lock(&g->lock);
	idle = !g->active;
	spin_unlock(&g->lock);
	return idle;
}

/**
 * kctx_group_wait() - wait for every thread of a group, and the first error
 * @g: the group
 *
 * Go's errgroup Wait(). Returns once every thread started by
 * kctx_group_go() has returned and exited: none runs any code of its
 * caller or of kctx any more. Then cancels the group's context, as Go
 * does. The group can be waited for again, and take more threads, which
 * find its context done.
 *
 * The wait is not interruptible: a group's threads may rightly work for as
 * long as its context lives. Cancel the context, or an ancestor, to make
 * them return sooner. It doesn't count as a hung task; a thread stuck in D
 * state is reported by itself.
 *
 * Context: Process context; sleeps. Not from one of @g's own threads.
 * Return: the first non-zero value a thread returned, or 0.
 */
int kctx_group_wait(struct kctx_group *g)
{
	int err;

	wait_event_idle(g->wq, kctx_group_idle(g));
	kctx_group_reap(g);
	kctx_cancel(g->ctx);
	spin_lock(&g->lock);
	err = g->err;
	spin_unlock(&g->lock);
	return err;
}
EXPORT_SYMBOL_GPL(kctx_group_wait);

/**
 * kctx_group_free() - cancel a group, wait for its threads and free it
 * @g: the group, or NULL or an ERR_PTR
 *
 * Threads still running are cancelled, and waited for as by
 * kctx_group_wait(): no thread outlives its group.
 *
 * Context: Process context; sleeps. Not from one of @g's own threads.
 */
void kctx_group_free(struct kctx_group *g)
{
	if (IS_ERR_OR_NULL(g))
		return;
	kctx_cancel(g->ctx);
	kctx_group_wait(g);
	kctx_put(g->ctx);
	kfree(g);
}
EXPORT_SYMBOL_GPL(kctx_group_free);
