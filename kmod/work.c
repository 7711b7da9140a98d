// SPDX-License-Identifier: GPL-2.0
/*
 * Work attached to a context, and waiting for it to leave: Go's
 * cancel-then-wait for cleanup, as kctx_cancel_wait().
 *
 * What counts as work: a kthread bound with kctx_bind_current() or
 * kctx_rebind_current(); every thread that kctx_kthread_run() or
 * kctx_group_go() starts, from the moment it is started until its function
 * returns; an after-func, from the moment its context is done until it
 * returns.
 *
 * Each node counts, in ->workers, the work attached to it or to any node
 * below it. Attaching adds one to the node and to each ancestor; leaving
 * takes it off again, and whoever takes a count to zero wakes that node's
 * waiters, on the hashed wait_var queues. So a waiter watches one counter,
 * which stays right while the subtree under it is cancelled and unlinked,
 * and pays nothing per descendant. The price is a walk up the chain on
 * attach and leave, O(depth): userspace's chains are at most
 * KCTX_MAX_DEPTH deep. The walk stops below the background root, whose
 * counter nobody could wait on and every CPU would write, and at a
 * kctx_without_cancel() node: work under it is meant to outlive its
 * parent's cancel, so a cancel-wait on the parent must not wait for it.
 *
 * Refusing late work. Once kctx_cancel_wait() has cancelled, work that
 * tries to attach below is refused with the context's error. The attacher
 * counts itself and then reads ->head.err; the canceller has published
 * ->head.err and then reads ->workers. A full barrier on each side means
 * one of them sees the other (the store-buffering pattern): the attacher
 * backs out, or the waiter waits for it. A thread started on a done
 * context is the exception: it is attached all the same, as
 * kctx_kthread_run() promises to run it, and its sleeps break at once.
 *
 * Naming the stragglers. Counts can't say who is late, so attached work is
 * also on one list, under a mutex, which a cancel-wait that times out
 * walks for the work below its node. An after-func goes on the list only
 * while it runs, since it is counted the moment its context is done, in
 * any context, hard irq included; one still queued is reported as such.
 */
#include <kunit/visibility.h>
#include <linux/export.h>
#include <linux/hrtimer.h>
#include <linux/moduleparam.h>
#include <linux/mutex.h>
#include <linux/sched/debug.h>
#include <linux/seq_file.h>
#include <linux/wait_bit.h>

#include "ctx.h"
#include "kctx_trace.h"
#include "work.h"

/* How many stragglers a report names; the rest are only counted. */
#define KCTX_STRAGGLERS_MAX	16

VISIBLE_IF_KUNIT unsigned int kctx_leaked_work_grace_ms = 5000;
EXPORT_SYMBOL_IF_KUNIT(kctx_leaked_work_grace_ms);
module_param_named(leaked_work_grace_ms, kctx_leaked_work_grace_ms, uint, 0644);
MODULE_PARM_DESC(leaked_work_grace_ms,
		 "how long a context may be done with work still attached before debugfs and fdinfo call that work leaked (default 5000)");

struct kctx_straggler {
	u64 ctx;			/* the id of the node it is attached to */
	pid_t pid;
	char comm[TASK_COMM_LEN];
	bool kthread;
	char state;			/* as in /proc/PID/stat */
	void *fn;
	s64 age_ns;			/* since it attached */
};

/*
 * Lock legend: M is kctx_works_lock.
 *
 * kctx_works holds every struct kctx_work that is attached (M).
 * kctx_report is what the last cancel-wait that timed out found (M).
 */
static DEFINE_MUTEX(kctx_works_lock);
static LIST_HEAD(kctx_works);
static struct {
	u64 ctx;			/* the node waited on; 0 before any */
	int cause;
	unsigned int workers;		/* its count when it gave up */
	unsigned int named;		/* in @s; the rest are after-funcs queued */
	ktime_t at;
	struct kctx_straggler s[KCTX_STRAGGLERS_MAX];
} kctx_report;

/*
 * @n, unless it is the background root, which counts nothing. Walking up
 * from a node by kctx_up() through this visits every node whose count
 * includes the node's: a without-cancel node's kctx_up() is the root, so
 * the walk stops after it (see above for why).
 */
static struct kctx *kctx_counting(struct kctx *n)
{
	return n->kind == KCTX_NODE_BACKGROUND ? NULL : n;
}

/**
 * kctx_work_count() - count one more piece of work attached to a context
 * @ctx: the context; the work holds a reference on it until it is uncounted
 *
 * Context: Any context.
 */
void kctx_work_count(struct kctx *ctx)
{
	struct kctx *n;

	for (n = kctx_counting(ctx); n; n = kctx_counting(kctx_up(n)))
		atomic_inc(&n->workers);
}

/**
 * kctx_work_uncount() - undo kctx_work_count(), waking who waits for zero
 * @ctx: the context
 *
 * Context: Any context.
 */
void kctx_work_uncount(struct kctx *ctx)
{
	struct kctx *n;

	for (n = kctx_counting(ctx); n; n = kctx_counting(kctx_up(n)))
		if (atomic_dec_and_test(&n->workers))
			wake_up_var(&n->workers);
}

/**
 * kctx_work_list_add() - name a piece of work for the straggler reports
 * @w: the record
 * @ctx: the context it is attached to and counted on
 * @task: the task that does it
 * @fn: what it runs, or NULL
 *
 * Context: Process context; takes a mutex.
 */
void kctx_work_list_add(struct kctx_work *w, struct kctx *ctx,
			struct task_struct *task, void *fn)
{
	w->ctx = ctx;
	w->task = task;
	w->fn = fn;
	w->since = ktime_get();
	mutex_lock(&kctx_works_lock);
	list_add_tail(&w->node, &kctx_works);
	mutex_unlock(&kctx_works_lock);
}

/**
 * kctx_work_list_del() - undo kctx_work_list_add()
 * @w: the record
 *
 * Context: Process context; takes a mutex.
 */
void kctx_work_list_del(struct kctx_work *w)
{
	mutex_lock(&kctx_works_lock);
	list_del(&w->node);
	mutex_unlock(&kctx_works_lock);
}

/**
 * kctx_work_attach() - attach @task's work to a context, unless it is done
 * @w: the record, which stays in use until kctx_work_detach()
 * @ctx: the context
 * @task: the task that does the work
 * @fn: what it runs, or NULL
 * @late_ok: attach even if @ctx is done
 *
 * Context: Process context; takes a mutex.
 * Return: 0 once attached; kctx_err(@ctx) if @ctx is done and @late_ok is
 * false, in which case nothing is attached.
 */
int kctx_work_attach(struct kctx_work *w, struct kctx *ctx,
		     struct task_struct *task, void *fn, bool late_ok)
{
	int err;

	kctx_work_count(ctx);
	/* Pairs with the barrier in kctx_work_wait()'s set_current_state(). */
	smp_mb__after_atomic();
	err = kctx_err(ctx);
	if (err && !late_ok) {
		kctx_work_uncount(ctx);
		return err;
	}
	kctx_work_list_add(w, ctx, task, fn);
	return 0;
}

/**
 * kctx_work_detach() - undo kctx_work_attach()
 * @w: the record
 *
 * Context: Process context; takes a mutex.
 */
void kctx_work_detach(struct kctx_work *w)
{
	kctx_work_list_del(w);
	kctx_work_uncount(w->ctx);
}

/* Whether @w's context is @ctx or counts into it. */
static bool kctx_work_below(const struct kctx_work *w, struct kctx *ctx)
{
	struct kctx *n;

	for (n = kctx_counting(w->ctx); n; n = kctx_counting(kctx_up(n)))
		if (n == ctx)
			return true;
	return false;
}

static void kctx_straggler_fill(struct kctx_straggler *s, const struct kctx_work *w,
				ktime_t now)
{
	lockdep_assert_held(&kctx_works_lock);
	s->ctx = w->ctx->id;
	s->pid = task_pid_nr(w->task);
	get_task_comm(s->comm, w->task);
	s->kthread = w->task->flags & PF_KTHREAD;
	s->state = task_state_to_char(w->task);
	s->fn = w->fn;
	s->age_ns = ktime_to_ns(ktime_sub(now, w->since));
}

/*
 * Record what is still attached below @ctx, for debugfs and the trace, and
 * with @show, print where each named thread sleeps, as the hung-task
 * detector does.
 */
static void kctx_work_report(struct kctx *ctx, int cause, bool show)
{
	ktime_t now = ktime_get();
	struct kctx_straggler *s;
	struct kctx_work *w;

	mutex_lock(&kctx_works_lock);
	kctx_report.ctx = ctx->id;
	kctx_report.cause = cause;
	kctx_report.workers = atomic_read(&ctx->workers);
	kctx_report.named = 0;
	kctx_report.at = now;
	list_for_each_entry(w, &kctx_works, node) {
		/* The list is as long as the work attached anywhere; yield. */
		cond_resched();
		if (kctx_report.named == KCTX_STRAGGLERS_MAX)
			break;
		if (!kctx_work_below(w, ctx))
			continue;
		s = &kctx_report.s[kctx_report.named++];
		kctx_straggler_fill(s, w, now);
		trace_kctx_straggler(ctx->id, s->ctx, s->pid, s->comm, s->state,
				     s->fn, s->age_ns);
		if (show)
			sched_show_task(w->task);
	}
	mutex_unlock(&kctx_works_lock);
}

/* One attached piece of work, as the stragglers and tree files show it. */
static void kctx_straggler_print(struct seq_file *m, const struct kctx_straggler *s,
				 unsigned int indent)
{
	seq_printf(m, "%*sctx=%llu pid=%d comm=%s kthread=%d state=%c age_ns=%lld",
		   indent, "", s->ctx, s->pid, s->comm, s->kthread, s->state, s->age_ns);
	if (s->fn)
		seq_printf(m, " fn=%ps", s->fn);
	seq_putc(m, '\n');
}

/**
 * kctx_work_show() - list the work attached to a context itself
 * @m: the file
 * @ctx: the context; the caller holds a reference
 * @indent: spaces before each line
 *
 * Context: Process context; takes a mutex.
 */
void kctx_work_show(struct seq_file *m, const struct kctx *ctx, unsigned int indent)
{
	ktime_t now = ktime_get();
	struct kctx_straggler s;
	struct kctx_work *w;

	if (!atomic_read(&ctx->workers))
		return;
	mutex_lock(&kctx_works_lock);
	list_for_each_entry(w, &kctx_works, node) {
		cond_resched();
		if (w->ctx != ctx)
			continue;
		kctx_straggler_fill(&s, w, now);
		kctx_straggler_print(m, &s, indent);
	}
	mutex_unlock(&kctx_works_lock);
}
EXPORT_SYMBOL_IF_KUNIT(kctx_work_show);

/**
 * kctx_work_show_done() - list the work still attached to done contexts
 * @m: the file
 * @show_ctx: prints one context's line
 * @max: the most records to list
 *
 * A done context has left the tree, so a walk of the tree can't find it,
 * nor the work that outlived it, which is what a leak hunter looks for.
 * The list of attached work still leads there: each record whose context
 * is done is listed after its context's line.
 *
 * Context: Process context; takes a mutex.
 */
void kctx_work_show_done(struct seq_file *m,
			 void (*show_ctx)(struct seq_file *m, const struct kctx *ctx),
			 unsigned int max)
{
	ktime_t now = ktime_get();
	struct kctx_straggler s;
	struct kctx_work *w;
	unsigned int n = 0;

	mutex_lock(&kctx_works_lock);
	list_for_each_entry(w, &kctx_works, node) {
		cond_resched();
		if (!kctx_err(w->ctx))
			continue;
		if (n++ == max) {
			seq_puts(m, "... (truncated)\n");
			break;
		}
		if (n == 1)
			seq_puts(m, "# done, with work still attached:\n");
		show_ctx(m, w->ctx);
		kctx_straggler_fill(&s, w, now);
		kctx_straggler_print(m, &s, 4);
	}
	mutex_unlock(&kctx_works_lock);
}
EXPORT_SYMBOL_IF_KUNIT(kctx_work_show_done);

/**
 * kctx_work_leaked() - whether a context's work has outlived it too long
 * @ctx: the context
 *
 * Leaked work is Go's leaked goroutine: the context has been done for
 * longer than leaked_work_grace_ms, and work is still attached to it or
 * below it.
 *
 * Context: Any context.
 * Return: true if so.
 */
bool kctx_work_leaked(const struct kctx *ctx)
{
	return kctx_err(ctx) && atomic_read(&ctx->workers) &&
	       kctx_done_for_ms(ctx) > READ_ONCE(kctx_leaked_work_grace_ms);
}
EXPORT_SYMBOL_IF_KUNIT(kctx_work_leaked);

/**
 * kctx_work_wait() - wait until no work is attached below a context
 * @ctx: the context; the caller holds a reference
 * @timeout_ns: the longest to wait; 0 only checks, KTIME_MAX or more waits
 *		for as long as it takes
 * @state: TASK_IDLE, or TASK_INTERRUPTIBLE to let signals end the wait
 *
 * Context: Process context; sleeps.
 * Return: 0 once nothing is attached; -ETIME if something still was when
 * @timeout_ns passed; -ERESTARTSYS on a signal (TASK_INTERRUPTIBLE only).
 */
int kctx_work_wait(struct kctx *ctx, u64 timeout_ns, unsigned int state)
{
	struct wait_queue_head *wq = __var_waitqueue(&ctx->workers);
	ktime_t end = ktime_add_safe(ktime_get(), ns_to_ktime(min_t(u64, timeout_ns,
								    KTIME_MAX)));
	struct wait_bit_queue_entry wbq;
	int ret;

	might_sleep();
	init_wait_var_entry(&wbq, &ctx->workers, 0);
	for (;;) {
		/* A full barrier, then the count: see "Refusing late work". */
		ret = prepare_to_wait_event(wq, &wbq.wq_entry, state);
		if (!atomic_read(&ctx->workers)) {
			ret = 0;
			break;
		}
		if (ret)
			break;
		if (!timeout_ns || ktime_after(ktime_get(), end)) {
			ret = -ETIME;
			break;
		}
		if (timeout_ns >= (u64)KTIME_MAX)
			schedule();
		else
			schedule_hrtimeout(&end, HRTIMER_MODE_ABS);
	}
	finish_wait(wq, &wbq.wq_entry);
	return ret;
}

/**
 * kctx_work_drain() - the wait of a cancel-wait, and its report
 * @ctx: the context, cancelled already; the caller holds a reference
 * @cause: the cancel's cause, for the report
 * @timeout_ns: as for kctx_work_wait()
 * @user: for KCTX_IOC_CANCEL: signals end the wait, and a timeout is
 *	recorded, but nothing goes to the kernel log, which a user must not
 *	be able to fill
 *
 * Context: Process context; sleeps.
 * Return: 0, -ETIME, or (@user only) -EINTR.
 */
int kctx_work_drain(struct kctx *ctx, int cause, u64 timeout_ns, bool user)
{
	int ret = kctx_work_wait(ctx, timeout_ns, user ? TASK_INTERRUPTIBLE : TASK_IDLE);

	if (ret == -ETIME)
		kctx_work_report(ctx, cause, !user && timeout_ns);
	/* The cancel is made; a restart would only wait longer than asked. */
	return ret == -ERESTARTSYS ? -EINTR : ret;
}

/**
 * kctx_cancel_wait() - cancel a context, then wait for its work to stop
 * @ctx: the context
 * @cause: as for kctx_cancel_cause(); 0 for none
 * @timeout_ns: the longest to wait, in nanoseconds; 0 only reports
 *		whether anything is attached, and KTIME_MAX waits for as long
 *		as it takes
 *
 * Go's graceful shutdown, cancel() and then wait for the cleanup with a
 * time limit, across every kind of work kctx knows: threads bound with
 * kctx_bind_current(), threads started by kctx_kthread_run() and
 * kctx_group_go(), after-funcs still to run or running, and userspace
 * workers attached with KCTX_IOC_ATTACH; on @ctx and every context below
 * it, except below a kctx_without_cancel() context, whose work outlives
 * the cancel by design. Work that tries to attach once the cancel is made
 * is refused (kctx_bind_current() fails with the context's error), so the
 * wait can't be drawn out by newcomers.
 *
 * If the time runs out, what is still attached is recorded: one
 * kctx:kctx_straggler trace event each, and /sys/kernel/debug/kctx/
 * stragglers; with a non-zero @timeout_ns, the kernel log also shows
 * where each named thread sleeps, as the hung-task detector does. Those
 * records don't stop anything: a straggler leaves when it returns, and
 * the context's references are dropped then.
 *
 * A value or without-cancel context can't be cancelled by itself, as for
 * kctx_cancel(); the wait is made all the same. Work attached to @ctx
 * must not call this on it, or it waits for itself until @timeout_ns.
 *
 * Context: Process context; sleeps, neither interruptibly nor as a hung
 * task, for at most @timeout_ns. The caller holds a reference on @ctx.
 * Return: 0 once nothing is attached below @ctx, or -ETIME if something
 * still was when @timeout_ns passed.
 */
int kctx_cancel_wait(struct kctx *ctx, int cause, u64 timeout_ns)
{
	kctx_cancel_cause(ctx, cause);
	return kctx_work_drain(ctx, cause ?: -ECANCELED, timeout_ns, false);
}
EXPORT_SYMBOL_GPL(kctx_cancel_wait);

/**
 * kctx_stragglers_show() - /sys/kernel/debug/kctx/stragglers: the last report
 * @m: the file
 * @v: unused
 *
 * Context: Process context; takes a mutex.
 * Return: 0.
 */
int kctx_stragglers_show(struct seq_file *m, void *v)
{
	unsigned int i;

	mutex_lock(&kctx_works_lock);
	if (!kctx_report.ctx)
		goto out_unlock;
	seq_printf(m, "ctx=%llu cause=%d workers=%u named=%u at_ns=%lld\n",
		   kctx_report.ctx, kctx_report.cause, kctx_report.workers,
		   kctx_report.named, ktime_to_ns(kctx_report.at));
	for (i = 0; i < kctx_report.named; i++)
		kctx_straggler_print(m, &kctx_report.s[i], 2);
	if (kctx_report.workers > kctx_report.named)
		seq_printf(m, "  and %u more: after-funcs queued, or beyond the first %d\n",
			   kctx_report.workers - kctx_report.named, KCTX_STRAGGLERS_MAX);
out_unlock:
	mutex_unlock(&kctx_works_lock);
	return 0;
}
EXPORT_SYMBOL_IF_KUNIT(kctx_stragglers_show);
