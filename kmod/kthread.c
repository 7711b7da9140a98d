// SPDX-License-Identifier: GPL-2.0
/*
 * Kernel threads whose sleeps break when their context is done.
 *
 * A bound thread gets SIGKILL, from a kctx hook, the moment its context is
 * done. Why SIGKILL, from what Linux 6.12 does and exports:
 *
 * - kthread_stop() sets TIF_NOTIFY_SIGNAL and calls wake_up_process().
 *   signal_pending() counts TIF_NOTIFY_SIGNAL, so TASK_INTERRUPTIBLE sleeps
 *   break. But a TASK_KILLABLE sleep asks signal_pending_state(), which
 *   also wants __fatal_signal_pending(): SIGKILL in ->pending.signal. So
 *   mutex_lock_killable(), wait_event_killable(), down_killable(),
 *   wait_for_completion_killable() and every fatal_signal_pending() check
 *   in a loop (page cache reads, for one) go on as if nothing happened.
 * - The flag route is also blunt: wake_up_process() wakes
 *   TASK_UNINTERRUPTIBLE sleepers too, and set_notify_signal(), which wakes
 *   only TASK_INTERRUPTIBLE ones, needs wake_up_state(), which is not
 *   exported. A task can even opt out of TIF_NOTIFY_SIGNAL for a while
 *   (no_notify_signal_save()).
 * - send_sig(SIGKILL, task, 1) is exported. SEND_SIG_PRIV makes it a
 *   forced, kernel-generated signal. For a kthread no sigqueue is
 *   allocated (__send_signal_locked() goes straight to setting the bit), so
 *   it is safe under the context's spinlock with interrupts off, even in
 *   the deadline's hard irq. signal_wake_up() then wakes TASK_INTERRUPTIBLE
 *   and TASK_WAKEKILL sleepers, never plain TASK_UNINTERRUPTIBLE ones, and
 *   both signal_pending() and fatal_signal_pending() turn true.
 * - Kthreads start with every signal ignored, so the thread must accept
 *   SIGKILL. allow_kernel_signal() (SIG_KTHREAD_KERNEL) accepts only forced
 *   signals: a "kill -9" from userspace is still dropped by
 *   sig_task_ignored(), so nobody but kctx breaks a bound thread's waits.
 *   The handler is not SIG_DFL, so sig_fatal() is false and no group exit
 *   starts; and a kthread never returns to user mode, where get_signal()
 *   would act on it. The signal just stays pending. That is what we want
 *   while the context is done: every later interruptible or killable sleep
 *   breaks at once, as with kthread_stop(). And it is why a thread that
 *   goes on working must shed it when it unbinds (kctx_unbind_current()).
 *
 * Nothing can break a TASK_UNINTERRUPTIBLE sleep; for that, an after-func
 * has to make the awaited thing happen (Documentation/kthreads.rst).
 *
 * Module references. A bound thread runs code of two modules: the
 * caller's @fn, and kctx's own wrapper around it. kctx pins itself from
 * kctx_thread_start() until the thread's last instruction of kctx code,
 * with module_put_and_kthread_exit(), so kctx can never be unloaded under
 * a thread. The caller's module is not pinned, as kthread_run() doesn't pin
 * it either: the usual owner of a thread is a driver that stops it in its
 * remove or exit path, and a reference held by the thread would keep that
 * path from ever running. So the caller must stop or wait for its threads
 * (kctx_kthread_stop(), kctx_kthread_wait(), kctx_group_wait() or
 * kctx_group_free()) before its code goes away, exactly as with
 * kthread_run().
 */
#include <kunit/visibility.h>
#include <linux/export.h>
#include <linux/kthread.h>
#include <linux/module.h>
#include <linux/rcupdate.h>
#include <linux/sched/signal.h>
#include <linux/sched/task.h>
#include <linux/signal.h>
#include <linux/slab.h>

#include "compat.h"
#include "kthread.h"
#include "work.h"

static int kctx_thread_main(void *arg);

/*
 * Send @b's SIGKILL, unless one is pending already: then it is somebody
 * else's, a driver's own or an outer binding's, and unbinding must leave it
 * be. The bound task is alive, so it has not begun to exit, and a kthread never
 * execs: its ->sighand can't change under us.
 */
static void kctx_binding_kill(struct kctx_binding *b)
{
	struct sighand_struct *sighand;
	unsigned long flags;

	rcu_read_lock();
	sighand = rcu_dereference(b->work.task->sighand);
	spin_lock_irqsave(&sighand->siglock, flags);
	b->sent = !sigismember(&b->work.task->pending.signal, SIGKILL);
	spin_unlock_irqrestore(&sighand->siglock, flags);
	rcu_read_unlock();
	/*
	 * A SIGKILL that comes in between the check and the send is taken
	 * for ours; the window is this function's last few instructions.
	 */
	if (b->sent)
		send_sig(SIGKILL, b->work.task, 1);
}

/* Runs under the context's lock, with interrupts off; see above. */
static void kctx_binding_fire(struct kctx_hook *hook)
{
	kctx_binding_kill(container_of(hook, struct kctx_binding, hook));
}

/* The kctx thread that current is, or NULL for any other thread. */
static struct kctx_thread *kctx_current_thread(void)
{
	if (!(current->flags & PF_KTHREAD) ||
	    kthread_func(current) != kctx_thread_main)
		return NULL;
	return kthread_data(current);
}

/*
 * ->sighand is RCU-managed for other tasks' sake; a task's own can't change
 * under it (only exec and exit replace or drop it).
 */
static struct sighand_struct *kctx_sighand(void)
{
	return rcu_dereference_protected(current->sighand, true);
}

/*
 * Take back a SIGKILL that a binding sent. Only SIGKILL, not every pending
 * signal as flush_signals() would: a pool thread may have allowed other
 * signals for its own use. A kthread's SIGKILL is a bare bit in a pending
 * set, never a queued siginfo (see above), so clearing the bit and
 * recomputing TIF_SIGPENDING is the whole job. send_sig() sets the
 * thread's own set; the process-wide one, where kill_pid() lands, is not
 * kctx's to touch.
 */
static void kctx_clear_sigkill(void)
{
	struct sighand_struct *sighand = kctx_sighand();

	spin_lock_irq(&sighand->siglock);
	sigdelset(&current->pending.signal, SIGKILL);
	recalc_sigpending();
	spin_unlock_irq(&sighand->siglock);
}

/*
 * The bindings in force, innermost first, run from the top down to the
 * first one made by kctx_rebind_current(), which holds everything below it.
 * This gives the next one after @o, or NULL.
 */
static struct kctx_binding *kctx_next_in_force(struct kctx_binding *o)
{
	return o->replaces ? NULL : o->outer;
}

/*
 * @attached: kctx_thread_start() attached the thread's own binding already,
 * on a context that may be done; any other binding attaches here, unless
 * its context is done.
 */
static int kctx_bind(struct kctx *ctx, struct kctx_binding *b, bool replaces,
		     bool attached)
{
	struct kctx_thread *t = kctx_current_thread();
	struct kctx_binding *o;
	int err;

	if (WARN_ON_ONCE(!(current->flags & PF_KTHREAD)))
		return -EINVAL;
	if (!attached) {
		err = kctx_work_attach(&b->work, ctx, current, NULL, false);
		if (err)
			return err;
	}
	kctx_get(ctx);
	b->hook.fn = kctx_binding_fire;
	b->outer = NULL;
	b->restore = false;
	b->replaces = replaces;
	b->sent = false;
	if (t) {
		/* kctx_thread_main() accepts SIGKILL for the thread's life. */
		b->outer = t->top;
		t->top = b;
	} else {
		struct sighand_struct *sighand = kctx_sighand();

		spin_lock_irq(&sighand->siglock);
		b->saved = sighand->action[SIGKILL - 1].sa.sa_handler;
		spin_unlock_irq(&sighand->siglock);
		if (b->saved != SIG_KTHREAD_KERNEL) {
			b->restore = true;
			allow_kernel_signal(SIGKILL);
		}
	}
	if (replaces && b->outer) {
		bool took = false;

		/* After these, no outer binding can signal; take back what did. */
		for (o = b->outer; o; o = kctx_next_in_force(o))
			if (!kctx_hook_del(o->work.ctx, &o->hook) && o->sent)
				took = true;
		if (took)
			kctx_clear_sigkill();
	}
	if (!kctx_hook_add(ctx, &b->hook))
		kctx_binding_kill(b);
	return 0;
}

/**
 * kctx_bind_current() - break the current kthread's sleeps when a context is done
 * @ctx: the context
 * @b: the binding, usually on the stack; kctx_unbind_current() must follow
 *	a successful bind
 *
 * From now until kctx_unbind_current(), the moment @ctx is done the current
 * thread gets SIGKILL: every interruptible or killable sleep it is in, or
 * enters later, breaks, and the call that slept returns an error such as
 * -EINTR or -ERESTARTSYS. The thread then finds kctx_err(@ctx) set. If @ctx
 * becomes done while this binds, the signal is sent at once.
 * TASK_UNINTERRUPTIBLE sleeps are not broken; see Documentation/kthreads.rst.
 *
 * Meant for a thread that works for one context after another, such as a
 * pool thread taking jobs. Threads started by kctx_kthread_run() and
 * kctx_group_go() are bound for their whole life already; on them,
 * bindings nest, and the thread is signalled when any of them is done, so
 * unbinding the inner one leaves the signal pending if an outer context is
 * done. On any other kthread, bindings must not nest. While bound, the
 * thread accepts SIGKILL from the kernel (not from userspace);
 * kctx_unbind_current() restores what it accepted before.
 *
 * While bound, the thread is work attached to @ctx, which
 * kctx_cancel_wait() on @ctx or an ancestor waits for. So a context that
 * is done already refuses the binding: the job was cancelled before the
 * thread took it up, and a cancel-wait may be counting on it not starting.
 *
 * Context: A kthread, in process context. Not for user tasks: SIGKILL
 * would kill them.
 * Return: 0 once bound; kctx_err(@ctx) if @ctx is done; -EINVAL (with a
 * warning) if current is not a kthread. Nothing is bound on an error, and
 * kctx_unbind_current() must not follow.
 */
int kctx_bind_current(struct kctx *ctx, struct kctx_binding *b)
{
	return kctx_bind(ctx, b, false, false);
}
EXPORT_SYMBOL_GPL(kctx_bind_current);

/**
 * kctx_rebind_current() - bind the current kthread to a context instead
 * @ctx: the context
 * @b: the binding, usually on the stack; kctx_unbind_current() must follow
 *
 * Like kctx_bind_current(), but until kctx_unbind_current(@b) only @ctx
 * counts: the bindings made before are on hold, and a SIGKILL they sent is
 * taken back. This is how a kctx thread whose context is done does its
 * cleanup, for instance on a kctx_with_timeout() child of
 * kctx_without_cancel() of that context, Go's graceful-shutdown idiom.
 * Unbinding puts the earlier bindings back, and the thread is signalled
 * again if one of their contexts is done.
 *
 * Context: A kthread, in process context; it only replaces bindings on
 * threads started by kctx_kthread_run() or kctx_group_go().
 * Return: as kctx_bind_current(), whose errors leave the earlier bindings
 * in force.
 */
int kctx_rebind_current(struct kctx *ctx, struct kctx_binding *b)
{
	return kctx_bind(ctx, b, true, false);
}
EXPORT_SYMBOL_GPL(kctx_rebind_current);

/**
 * kctx_unbind_current() - undo kctx_bind_current() or kctx_rebind_current()
 * @b: the binding
 *
 * Removes the hook first, so that no signal can come from @b afterwards,
 * then takes back the SIGKILL that @b sent, if it sent one: a later,
 * unrelated interruptible sleep of this thread is not broken. On a thread
 * started by kctx, the signal stays, or comes back, if a binding still in
 * force has a done context. Bindings are undone in the reverse order of
 * binding.
 *
 * Context: The same kthread that made the binding; process context.
 */
void kctx_unbind_current(struct kctx_binding *b)
{
	struct kctx_thread *t = kctx_current_thread();
	struct kctx_binding *o;
	struct kctx *ctx;
	bool fired;

	if (WARN_ON_ONCE(b->work.task != current))
		return;
	/*
	 * Once the hook is off, it is not running and won't run; whether it
	 * sent a SIGKILL is settled. A SIGKILL it found pending stays.
	 */
	fired = !kctx_hook_del(b->work.ctx, &b->hook) && b->sent;
	if (t) {
		WARN_ON_ONCE(t->top != b);
		t->top = b->outer;
	}
	if (b->replaces && b->outer) {
		/* Only @b could signal: take that back, and rearm the rest. */
		if (fired)
			kctx_clear_sigkill();
		for (o = b->outer; o; o = kctx_next_in_force(o)) {
			o->sent = false;
			if (!kctx_hook_add(o->work.ctx, &o->hook))
				kctx_binding_kill(o);
		}
	} else if (fired) {
		kctx_clear_sigkill();
		/*
		 * An outer context done before the clear had its ->err set
		 * before its hook took the siglock that the clear took after
		 * it, so kctx_done() sees it. One done after the clear sends
		 * its own signal.
		 */
		for (o = b->outer; o; o = kctx_next_in_force(o)) {
			if (kctx_done(o->work.ctx)) {
				kctx_binding_kill(o);
				break;
			}
		}
	}
	if (b->restore)
		kernel_sigaction(SIGKILL, b->saved);
	ctx = b->work.ctx;
	kctx_work_detach(&b->work);
	kctx_put(ctx);
}
EXPORT_SYMBOL_GPL(kctx_unbind_current);

static int kctx_thread_main(void *arg)
{
	struct kctx_thread *t = arg;
	int ret;

	allow_kernel_signal(SIGKILL);
	kctx_bind(t->ctx, &t->bind, false, true);
	ret = t->fn(t->ctx, t->data);
	kctx_unbind_current(&t->bind);
	/* @fn left a binding behind; its memory may be gone, so just say so. */
	WARN_ON_ONCE(t->top);

	t->ret = ret;
	if (t->group)
		kctx_group_thread_returned(t);	/* @t is the reaper's now */
	else
		complete(&t->returned);
	/* From here on, only core kernel code runs on this thread. */
	module_put_and_kthread_exit(ret);
}

/*
 * Start @t, whose ->ctx, ->fn, ->data and ->group are set, as a kthread
 * called @name. On success the thread holds a reference on kctx.ko and @t
 * holds one on the task, and kctx_thread_reap() must follow.
 */
int kctx_thread_start(struct kctx_thread *t, const char *name)
{
	struct task_struct *task;

	/* Our caller links against kctx, so kctx is live: no try needed. */
	__module_get(THIS_MODULE);
	init_completion(&t->returned);
	t->top = NULL;
	task = kthread_create(kctx_thread_main, t, "%s", name);
	if (IS_ERR(task)) {
		module_put(THIS_MODULE);
		return PTR_ERR(task);
	}
	t->task = get_task_struct(task);
	/* Before it runs, so that a cancel-wait can't miss it. */
	kctx_work_attach(&t->bind.work, t->ctx, task, t->fn, true);
	wake_up_process(task);
	return 0;
}

/*
 * Free a thread whose @fn has returned, once it has exited. kthread_stop()
 * is what waits for the exit; by now it can't disturb @fn.
 */
void kctx_thread_reap(struct kctx_thread *t)
{
	kthread_stop_put(t->task);
	kctx_put(t->ctx);
	kfree(t);
}

/**
 * kctx_kthread_run() - start a kthread bound to a context
 * @ctx: the context the thread works for
 * @fn: the thread's function; gets its own context and @data
 * @data: passed to @fn
 * @namefmt: printf-style name of the thread
 *
 * The thread runs @fn with a cancellable child of @ctx, its own, so that
 * kctx_kthread_stop() can stop it alone. When that context is done,
 * because @ctx or an ancestor was cancelled or reached its deadline, or
 * because of kctx_kthread_stop(), every interruptible or killable sleep of
 * the thread breaks; see kctx_bind_current(). @fn should then return,
 * usually with kctx_err() of its context. If @ctx is done already, @fn
 * still runs, with sleeps that break at once.
 *
 * Like kthread_run() with get_task_struct(): the caller must end with
 * kctx_kthread_stop() or kctx_kthread_wait(), which reap the thread, and
 * must do so before @fn's module goes away. Don't use kthread_stop() on it.
 *
 * Context: Process context; sleeps. Fails with -EINTR if the caller has a
 * fatal signal pending, which includes a bound thread whose context is done.
 * Return: the running thread, or an ERR_PTR: -ENOMEM, or -EINTR.
 */
struct task_struct *kctx_kthread_run(struct kctx *ctx,
				     int (*fn)(struct kctx *ctx, void *data),
				     void *data, const char *namefmt, ...)
{
	struct kctx_thread *t;
	va_list args;
	char *name;
	int err;

	t = kzalloc(sizeof(*t), GFP_KERNEL);
	if (!t)
		return ERR_PTR(-ENOMEM);
	va_start(args, namefmt);
	name = kvasprintf(GFP_KERNEL, namefmt, args);
	va_end(args);
	t->ctx = kctx_with_cancel(ctx, GFP_KERNEL);
	err = !name ? -ENOMEM : IS_ERR(t->ctx) ? PTR_ERR(t->ctx) : 0;
	if (!err) {
		t->fn = fn;
		t->data = data;
		err = kctx_thread_start(t, name);
	}
	kfree(name);
	if (err) {
		if (!IS_ERR(t->ctx))
			kctx_put(t->ctx);
		kfree(t);
		return ERR_PTR(err);
	}
	return t->task;
}
EXPORT_SYMBOL_GPL(kctx_kthread_run);

/* The kctx_kthread_run() thread behind @task, or NULL with a warning. */
static struct kctx_thread *kctx_thread_of(struct task_struct *task)
{
	struct kctx_thread *t;

	if (WARN_ON_ONCE(IS_ERR_OR_NULL(task) || !(task->flags & PF_KTHREAD) ||
			 kthread_func(task) != kctx_thread_main))
		return NULL;
	t = kthread_data(task);
	return WARN_ON_ONCE(t->group) ? NULL : t;
}

/**
 * kctx_kthread_wait() - wait for a kctx_kthread_run() thread to finish
 * @task: what kctx_kthread_run() returned
 *
 * Waits, without disturbing it, until the thread's function returns, then
 * reaps the thread; @task is gone afterwards. The wait is not interruptible
 * but doesn't count as a hung task: a thread may rightly work for as long
 * as its context lives, and one stuck in D state is reported by itself.
 *
 * Context: Process context; sleeps.
 * Return: what the thread's function returned, or -EINVAL (with a
 * warning) if @task is not a kctx_kthread_run() thread.
 */
int kctx_kthread_wait(struct task_struct *task)
{
	struct kctx_thread *t = kctx_thread_of(task);
	int ret;

	if (!t)
		return -EINVAL;
	wait_for_completion_state(&t->returned, TASK_IDLE);
	ret = t->ret;
	kctx_thread_reap(t);
	return ret;
}
EXPORT_SYMBOL_GPL(kctx_kthread_wait);

/**
 * kctx_kthread_stop() - cancel a kctx_kthread_run() thread and reap it
 * @task: what kctx_kthread_run() returned
 *
 * Cancels the thread's own context, which breaks its sleeps, and then
 * kctx_kthread_wait(). The context given to kctx_kthread_run() and the
 * other threads on it are not touched. The kctx counterpart of
 * kthread_stop(); the thread's function needn't call kthread_should_stop().
 *
 * Context: Process context; sleeps.
 * Return: what the thread's function returned, or -EINVAL (with a
 * warning) if @task is not a kctx_kthread_run() thread.
 */
int kctx_kthread_stop(struct task_struct *task)
{
	struct kctx_thread *t = kctx_thread_of(task);

	if (!t)
		return -EINVAL;
	kctx_cancel(t->ctx);
	return kctx_kthread_wait(task);
}
EXPORT_SYMBOL_GPL(kctx_kthread_stop);

#if IS_ENABLED(CONFIG_KUNIT)
/* For the tests: the module that bound threads pin. */
struct module *kctx_kthread_module(void)
{
	return THIS_MODULE;
}
EXPORT_SYMBOL_IF_KUNIT(kctx_kthread_module);
#endif
