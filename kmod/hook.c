// SPDX-License-Identifier: GPL-2.0
/*
 * Everything that reacts to a context becoming done: hooks, sleepers and
 * after-funcs.
 *
 * A hook is the one primitive. kctx_mark_done() runs each hook exactly once
 * under the node's lock; adding or removing a hook takes the same lock, so
 * once kctx_hook_del() returns, the hook's function is neither running nor
 * going to run. A sleeper is a hook that wakes a task. An after-func is a
 * hook that queues a work item, so the function itself runs in process
 * context and may sleep.
 *
 * What a hook may do: wake a task, queue work, signal an eventfd, send a
 * signal, read kctx_err() and friends. What it may not: call anything else
 * of kctx's (kctx_put(), adding or removing hooks, making or cancelling
 * contexts), since those take node locks, and node locks never nest. A
 * lockdep map held while hooks run makes that rule checkable: the calls
 * that take a node lock assert that it is not held (kctx_assert_no_hook()).
 */
#include <linux/export.h>
#include <linux/lockdep.h>
#include <linux/sched.h>

#include "ctx.h"
#include "work.h"

#ifdef CONFIG_LOCKDEP
struct lockdep_map kctx_hook_map = STATIC_LOCKDEP_MAP_INIT("kctx_hook", &kctx_hook_map);
#endif

/**
 * kctx_run_hooks() - run and drop every hook on a list
 * @hooks: the hooks a node had when it became done, moved off the node
 *
 * Context: Under the node's lock, with interrupts off; on PREEMPT_RT
 * preemptible, with interrupts on, as spinlock_t is a sleeping lock there.
 */
void kctx_run_hooks(struct hlist_head *hooks)
{
	struct kctx_hook *hook;
	struct hlist_node *tmp;

	lock_map_acquire(&kctx_hook_map);
	hlist_for_each_entry_safe(hook, tmp, hooks, node) {
		hlist_del_init(&hook->node);
		hook->fn(hook);
	}
	lock_map_release(&kctx_hook_map);
}

/**
 * kctx_hook_add() - run a function when a context becomes done
 * @ctx: the context
 * @hook: the hook, with @hook->fn set
 *
 * Context: Any context; takes @ctx's lock with interrupts off.
 * Return: true if the hook was added; false if @ctx is already done, in
 * which case @hook->fn is not called.
 */
bool kctx_hook_add(struct kctx *ctx, struct kctx_hook *hook)
{
	unsigned long flags;
	bool added;

	kctx_assert_no_hook();
	INIT_HLIST_NODE(&hook->node);
	spin_lock_irqsave(&ctx->lock, flags);
	added = !ctx->head.err;
	if (added)
		hlist_add_head(&hook->node, &ctx->hooks);
	spin_unlock_irqrestore(&ctx->lock, flags);
	return added;
}
EXPORT_SYMBOL_GPL(kctx_hook_add);

/**
 * kctx_hook_del() - remove a hook that has not run
 * @ctx: the context given to kctx_hook_add()
 * @hook: the hook
 *
 * After this returns, @hook->fn is not running and will not run.
 *
 * Context: Any context; takes @ctx's lock with interrupts off.
 * Return: true if the hook was removed before it ran.
 */
bool kctx_hook_del(struct kctx *ctx, struct kctx_hook *hook)
{
	unsigned long flags;
	bool removed;

	kctx_assert_no_hook();
	spin_lock_irqsave(&ctx->lock, flags);
	removed = !hlist_unhashed(&hook->node);
	if (removed)
		hlist_del_init(&hook->node);
	spin_unlock_irqrestore(&ctx->lock, flags);
	return removed;
}
EXPORT_SYMBOL_GPL(kctx_hook_del);

static void kctx_waiter_wake(struct kctx_hook *hook)
{
	wake_up_process(container_of(hook, struct kctx_waiter, hook)->task);
}

/**
 * kctx_waiter_start() - have the current task woken when a context is done
 * @ctx: the context
 * @w: the waiter, usually on the stack
 *
 * For the kctx_wait_event*() macros.
 *
 * Context: Process context; takes @ctx's lock with interrupts off.
 */
void kctx_waiter_start(struct kctx *ctx, struct kctx_waiter *w)
{
	w->task = current;
	w->hook.fn = kctx_waiter_wake;
	kctx_hook_add(ctx, &w->hook);
}
EXPORT_SYMBOL_GPL(kctx_waiter_start);

/**
 * kctx_waiter_finish() - undo kctx_waiter_start()
 * @ctx: the context
 * @w: the waiter
 *
 * Context: Process context; takes @ctx's lock with interrupts off.
 */
void kctx_waiter_finish(struct kctx *ctx, struct kctx_waiter *w)
{
	kctx_hook_del(ctx, &w->hook);
}
EXPORT_SYMBOL_GPL(kctx_waiter_finish);

/*
 * Sleep, killably, until @ctx is done or @timeout jiffies pass. A waiter
 * hook wakes the sleeper, as it does the kctx_wait_event*() family's: the
 * hook is on before the check, so a done in between wakes the sleep that
 * follows. Nothing per node but the hook list is needed for it.
 */
static long kctx_wait_killable(struct kctx *ctx, long timeout)
{
	struct kctx_waiter w;

	kctx_waiter_start(ctx, &w);
	for (;;) {
		set_current_state(TASK_KILLABLE);
		if (kctx_done(ctx)) {
			timeout = max(timeout, 1L);
			break;
		}
		if (fatal_signal_pending(current)) {
			timeout = -ERESTARTSYS;
			break;
		}
		if (!timeout)
			break;
		timeout = schedule_timeout(timeout);
	}
	__set_current_state(TASK_RUNNING);
	kctx_waiter_finish(ctx, &w);
	return timeout;
}

/**
 * kctx_wait() - sleep until a context is done
 * @ctx: the context
 *
 * Context: Process context; sleeps, killably. The caller holds a reference
 * on @ctx for the whole wait. The background context and
 * kctx_without_cancel() contexts are never done.
 * Return: 0 once @ctx is done, or -ERESTARTSYS on a fatal signal.
 */
int kctx_wait(struct kctx *ctx)
{
	long ret = kctx_wait_killable(ctx, MAX_SCHEDULE_TIMEOUT);

	return ret < 0 ? ret : 0;
}
EXPORT_SYMBOL_GPL(kctx_wait);

/**
 * kctx_wait_timeout() - sleep until a context is done, or for a while
 * @ctx: the context
 * @timeout_jiffies: the longest to sleep, in jiffies
 *
 * Context: Process context; sleeps, killably. The caller holds a reference
 * on @ctx for the whole wait.
 * Return: the jiffies left (at least 1) once @ctx is done, 0 on timeout,
 * or -ERESTARTSYS on a fatal signal.
 */
long kctx_wait_timeout(struct kctx *ctx, long timeout_jiffies)
{
	return kctx_wait_killable(ctx, timeout_jiffies);
}
EXPORT_SYMBOL_GPL(kctx_wait_timeout);

/*
 * From the moment it is queued until it returns, an after-func is work
 * attached to its context, which kctx_cancel_wait() waits for.
 */
static void kctx_callback_queue_work(struct kctx_callback *cb)
{
	kctx_work_count(cb->ctx);
	queue_work(kctx_wq, &cb->work);
}

static void kctx_callback_queue(struct kctx_hook *hook)
{
	kctx_callback_queue_work(container_of(hook, struct kctx_callback, hook));
}

static void kctx_callback_run(struct work_struct *work)
{
	struct kctx_callback *cb = container_of(work, struct kctx_callback, work);
	struct kctx *ctx = cb->ctx;
	struct kctx_work running;

	/* Named while it runs, for a cancel-wait that gives up on it. */
	kctx_work_list_add(&running, ctx, current, cb->fn);
	cb->fn(cb);	/* may free @cb, if nothing will stop it */
	kctx_work_list_del(&running);
	kctx_work_uncount(ctx);
	kctx_put(ctx);
}

/**
 * kctx_after_func() - run a function in process context once a context is done
 * @ctx: the context
 * @cb: the registration, usually inside the object @fn works on
 * @fn: the function; it gets @cb
 *
 * Go's AfterFunc. @fn runs once, on kctx's workqueue, promptly after @ctx is
 * done, or at once if it already is. It may sleep: the usual use is to
 * abort I/O that no signal can break, such as kernel_sock_shutdown() on a
 * socket that a worker is blocked on. The registration holds a reference
 * on @ctx until @fn has returned or the registration is stopped.
 *
 * Context: Any context; takes @ctx's lock with interrupts off.
 */
void kctx_after_func(struct kctx *ctx, struct kctx_callback *cb,
		     void (*fn)(struct kctx_callback *cb))
{
	cb->ctx = kctx_get(ctx);
	cb->fn = fn;
	cb->hook.fn = kctx_callback_queue;
	INIT_WORK(&cb->work, kctx_callback_run);
	if (!kctx_hook_add(ctx, &cb->hook))
		kctx_callback_queue_work(cb);
}
EXPORT_SYMBOL_GPL(kctx_after_func);

/*
 * Take @cb's hook off, or its queued work back, whichever it has; with
 * @sync, wait for a running @fn to return. True if @fn won't run.
 */
static bool kctx_callback_take_back(struct kctx_callback *cb, bool sync)
{
	struct kctx *ctx = cb->ctx;

	if (!kctx_hook_del(ctx, &cb->hook)) {
		if (!(sync ? cancel_work_sync(&cb->work) : cancel_work(&cb->work)))
			return false;
		kctx_work_uncount(ctx);	/* queued, so counted; it won't run */
	}
	kctx_put(ctx);
	return true;
}

/**
 * kctx_after_func_stop() - stop an after-func from running
 * @cb: a registration made by kctx_after_func()
 *
 * Go's stop(). When this returns false, @fn has run, is running or is about
 * to: a caller that must free what @fn uses wants
 * kctx_after_func_stop_sync() instead.
 *
 * Context: Any context. Must not race with kctx_after_func() on @cb.
 * Return: true if and only if this call stopped @fn from running.
 */
bool kctx_after_func_stop(struct kctx_callback *cb)
{
	return kctx_callback_take_back(cb, false);
}
EXPORT_SYMBOL_GPL(kctx_after_func_stop);

/**
 * kctx_after_func_stop_sync() - stop an after-func, or wait for it to finish
 * @cb: a registration made by kctx_after_func()
 *
 * What Go's stop() lacks, after C++'s std::stop_callback destructor: when
 * this returns, @fn is not running and will not run, so @cb and whatever
 * @fn uses may be freed. For that reason @fn must not free @cb itself if
 * this may be called.
 *
 * Context: Process context; sleeps. Must not be called from @fn.
 * Return: true if this call stopped @fn before it ran; false if @fn ran.
 */
bool kctx_after_func_stop_sync(struct kctx_callback *cb)
{
	might_sleep();
	return kctx_callback_take_back(cb, true);
}
EXPORT_SYMBOL_GPL(kctx_after_func_stop_sync);
