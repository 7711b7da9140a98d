// SPDX-License-Identifier: GPL-2.0
/*
 * Deadlines, the top layer of the core: one hrtimer per deadline node that
 * expires before all of its ancestors.
 *
 * It owns the deadline constructors (kctx_alloc_deadline(),
 * kctx_with_deadline(), kctx_with_timeout()), what a timer does when it
 * fires (kctx_deadline_fire(), set as the callback before the node is
 * linked), and the workers that finish the walks it starts. It calls
 * propagation (cancel.c: kctx_mark_done(), kctx_finish()) and the node
 * layer (ctx.c). Neither calls back up here; only the timer does. Arming
 * the timer (in kctx_link()) and stopping it (kctx_timer_stop()) are the
 * node layer's: each moves a reference of the node's own, ordered against
 * kctx_mark_done() by the node's lock, and it is the node layer that
 * guarantees a node is never freed under its timer.
 *
 * An armed timer holds a reference on its node, so a node is never freed
 * under a pending or running timer and the free path never has to wait for
 * one. The timer fires in hard irq (HRTIMER_MODE_ABS), as timerfd's does,
 * so a deadline is as punctual as a timerfd; PREEMPT_RT moves it to
 * softirq by itself. There it marks its own node done, which wakes that
 * node's waiters and runs its hooks, and then walks the subtree below for
 * up to KCTX_EXPIRE_IRQ_STEPS steps or 50 µs: a request's few descendants are
 * done at the same moment as their ancestor. A bigger subtree's walk may be
 * long and should yield, so the rest goes to a worker together with the
 * timer's reference.
 *
 * The walks have workqueues of their own, apart from kctx_wq, where
 * after-funcs may block. One work item takes the fired nodes in turn and
 * gives each a slice of KCTX_EXPIRE_SLICE nodes, which is all a subtree of
 * the usual size needs. It runs as a high-priority worker bound to the CPU
 * whose timer fired, so it starts as soon as the interrupt returns, on the
 * CPU that has the nodes in cache: measured in the VM, a leaf ten below an
 * expiring node that an unbound worker on another CPU reached was 4-5x a
 * timerfd's p99 late, and 1.35x with the bound one (benchmarks.rst). A
 * subtree still unfinished after its slice gets a work item of its own, on
 * an unbound workqueue, so that big walks run side by side on any CPU and
 * none of them holds up another deadline.
 */
#include <kunit/visibility.h>
#include <linux/export.h>
#include <linux/slab.h>
#include <linux/workqueue.h>

#include "ctx.h"
#include "kctx_trace.h"

#define KCTX_EXPIRE_SLICE	256
/*
 * Walk steps (one per node entered or left) in the timer's callback: a
 * chain ten deep below the expiring node is 20. Each is a node's lock and
 * its hooks, with interrupts off; kctx_finish_atomic() also stops after
 * 50 µs, in case the hooks are many.
 */
#define KCTX_EXPIRE_IRQ_STEPS	64

static struct workqueue_struct *kctx_deadline_wq;	/* bound: fired nodes */
static struct workqueue_struct *kctx_deadline_big_wq;	/* unbound: big walks */
static LLIST_HEAD(kctx_expired);

/* A fired deadline whose subtree outgrew its slice. */
struct kctx_expire_big {
	struct work_struct work;
	struct kctx *ctx;	/* holds the timer's reference */
};

static void kctx_expire_big_fn(struct work_struct *work)
{
	struct kctx_expire_big *big = container_of(work, struct kctx_expire_big, work);

	kctx_finish(big->ctx, UINT_MAX);
	kctx_put(big->ctx);	/* the timer's reference */
	kfree(big);
}

/*
 * Hand @ctx's walk to a work item of its own. No sleeping allocation on a
 * WQ_MEM_RECLAIM worker: without memory, the walk is finished here.
 */
static void kctx_expire_hand_off(struct kctx *ctx)
{
	struct kctx_expire_big *big = kmalloc(sizeof(*big), GFP_NOWAIT | __GFP_NOWARN);

	if (!big) {
		kctx_finish(ctx, UINT_MAX);
		kctx_put(ctx);
		return;
	}
	INIT_WORK(&big->work, kctx_expire_big_fn);
	big->ctx = ctx;
	queue_work(kctx_deadline_big_wq, &big->work);
}

static void kctx_expire_work_fn(struct work_struct *work)
{
	struct llist_node *list;
	struct kctx *ctx, *next;

	while ((list = llist_del_all(&kctx_expired))) {
		llist_for_each_entry_safe(ctx, next, llist_reverse_order(list), expired) {
			if (kctx_finish(ctx, KCTX_EXPIRE_SLICE))
				kctx_put(ctx);	/* the timer's reference */
			else
				kctx_expire_hand_off(ctx);
			cond_resched();
		}
	}
}

static DECLARE_WORK(kctx_expire_work, kctx_expire_work_fn);

static enum hrtimer_restart kctx_deadline_fire(struct hrtimer *timer)
{
	struct kctx *ctx = &container_of(timer, struct kctx_timer, timer)->ctx;

	trace_kctx_deadline(ctx);
	/*
	 * If a cancel got there first, the walk below is that canceller's,
	 * and ->expired is not ours to use: it holds the canceller now.
	 */
	if (!kctx_mark_done(ctx, &kctx_why_deadline)) {
		kctx_put(ctx);	/* the timer's reference */
		return HRTIMER_NORESTART;
	}
	/*
	 * A small subtree is finished here and needs no worker, unless the
	 * timer holds the last reference: its put frees the node and may go
	 * on up a chain of ancestors, which the worker does better.
	 */
	if (kctx_finish_atomic(ctx, KCTX_EXPIRE_IRQ_STEPS) &&
	    refcount_dec_not_one(&ctx->ref))
		return HRTIMER_NORESTART;
	if (llist_add(&ctx->expired, &kctx_expired))
		queue_work(kctx_deadline_wq, &kctx_expire_work);
	return HRTIMER_NORESTART;
}

/* Set up the timer of a KCTX_NODE_DEADLINE node, not yet published. */
static void kctx_deadline_init(struct kctx *ctx)
{
	struct hrtimer *timer = &kctx_to_timer(ctx)->timer;

	hrtimer_init(timer, CLOCK_MONOTONIC, HRTIMER_MODE_ABS);
	timer->function = kctx_deadline_fire;
}

/**
 * kctx_alloc_deadline() - kctx_alloc() for a node done at @deadline
 * @parent: the parent
 * @deadline: absolute time on CLOCK_MONOTONIC
 * @gfp: allocation flags
 * @site: the constructor's caller
 *
 * If an ancestor expires first, this is only a cancel node: the ancestor's
 * deadline is its own, and no timer is needed.
 *
 * Context: Any context that @gfp allows.
 * Return: the unlinked node, or ERR_PTR(-ENOMEM).
 */
struct kctx *kctx_alloc_deadline(struct kctx *parent, ktime_t deadline, gfp_t gfp,
				 unsigned long site)
{
	bool earlier = !IS_ERR_OR_NULL(parent) && deadline < parent->deadline;
	struct kctx *ctx;

	ctx = kctx_alloc(parent, earlier ? KCTX_NODE_DEADLINE : KCTX_NODE_CANCEL, gfp, site);
	if (!IS_ERR(ctx) && earlier) {
		ctx->deadline = deadline;
		kctx_deadline_init(ctx);
	}
	return ctx;
}

static struct kctx *kctx_new_deadline(struct kctx *parent, ktime_t deadline,
				      gfp_t gfp, unsigned long site)
{
	struct kctx *ctx = kctx_alloc_deadline(parent, deadline, gfp, site);

	return IS_ERR(ctx) ? ctx : kctx_link(ctx);
}

/**
 * kctx_with_deadline() - a cancellable child that is done at a deadline
 * @parent: the parent context
 * @deadline: absolute time on CLOCK_MONOTONIC
 * @gfp: allocation flags
 *
 * When @deadline passes the child is done with -ETIMEDOUT. If an ancestor's
 * deadline comes first, no timer is armed and the ancestor's deadline is
 * the child's. A deadline already past gives a child born done.
 *
 * Context: Any context that @gfp allows.
 * Return: the new context, holding one reference for the caller, or
 * ERR_PTR(-ENOMEM).
 */
struct kctx *kctx_with_deadline(struct kctx *parent, ktime_t deadline, gfp_t gfp)
{
	return kctx_new_deadline(parent, deadline, gfp, _RET_IP_);
}
EXPORT_SYMBOL_GPL(kctx_with_deadline);

/**
 * kctx_with_timeout() - kctx_with_deadline() at now plus a duration
 * @parent: the parent context
 * @timeout_ns: nanoseconds from now
 * @gfp: allocation flags
 *
 * Context: Any context that @gfp allows.
 * Return: the new context, holding one reference for the caller, or
 * ERR_PTR(-ENOMEM).
 */
struct kctx *kctx_with_timeout(struct kctx *parent, u64 timeout_ns, gfp_t gfp)
{
	ktime_t deadline = ktime_add_safe(ktime_get(),
					  min_t(u64, timeout_ns, KTIME_MAX));

	return kctx_new_deadline(parent, deadline, gfp, _RET_IP_);
}
EXPORT_SYMBOL_GPL(kctx_with_timeout);

/**
 * kctx_deadline_flush() - wait until no fired deadline awaits its walk
 *
 * A timer callback that is still running may queue a walk after this has
 * begun: the caller first makes sure no timer is left pending and waits
 * out the running callbacks (synchronize_rcu(): a hard irq, or the softirq
 * that runs it on PREEMPT_RT, is an RCU read-side critical section).
 *
 * Context: Process context; sleeps.
 */
void kctx_deadline_flush(void)
{
	/* The shared item may hand big walks on: flush it first. */
	flush_work(&kctx_expire_work);
	flush_workqueue(kctx_deadline_big_wq);
}
EXPORT_SYMBOL_IF_KUNIT(kctx_deadline_flush);

/**
 * kctx_deadline_wq_init() - make the workqueues of the deadline walks
 *
 * The fired nodes' queue is bound and WQ_HIGHPRI, since a deadline is a
 * promise about time; big walks' is unbound. Both are WQ_MEM_RECLAIM, so
 * that deadlines still reach their subtrees under memory pressure.
 *
 * Context: Process context.
 * Return: 0 or -ENOMEM.
 */
int kctx_deadline_wq_init(void)
{
	kctx_deadline_wq = alloc_workqueue("kctx_deadline", WQ_HIGHPRI | WQ_MEM_RECLAIM, 0);
	if (!kctx_deadline_wq)
		return -ENOMEM;
	kctx_deadline_big_wq = alloc_workqueue("kctx_deadline_big",
					       WQ_UNBOUND | WQ_MEM_RECLAIM, 0);
	if (!kctx_deadline_big_wq) {
		destroy_workqueue(kctx_deadline_wq);
		return -ENOMEM;
	}
	return 0;
}

/**
 * kctx_deadline_wq_exit() - destroy them, once no timer is pending or running
 *
 * Context: Process context; sleeps.
 */
void kctx_deadline_wq_exit(void)
{
	destroy_workqueue(kctx_deadline_big_wq);
	destroy_workqueue(kctx_deadline_wq);
}
