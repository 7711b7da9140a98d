// SPDX-License-Identifier: GPL-2.0
/*
 * Deadlines: one soft hrtimer per deadline node that expires before all of
 * its ancestors.
 *
 * An armed timer holds a reference on its node, so a node is never freed
 * under a pending or running timer and the free path never has to wait for
 * one. The timer fires in softirq context (HRTIMER_MODE_ABS_SOFT). There it
 * only marks its own node done, which wakes that node's waiters and runs its
 * hooks; the walk down the subtree may be long and may sleep, so it goes to
 * a work item together with the timer's reference.
 */
#include <kunit/visibility.h>
#include <linux/workqueue.h>

#include "ctx.h"
#include "kctx_trace.h"

static LLIST_HEAD(kctx_expired);

static void kctx_expire_work_fn(struct work_struct *work)
{
	struct llist_node *list = llist_reverse_order(llist_del_all(&kctx_expired));
	struct kctx *ctx, *next;

	llist_for_each_entry_safe(ctx, next, list, expired) {
		kctx_unlink(ctx);
		kctx_propagate(ctx);
		kctx_put(ctx);	/* the timer's reference */
	}
}

static DECLARE_WORK(kctx_expire_work, kctx_expire_work_fn);

const struct kctx_why kctx_why_deadline = {
	.err = -ETIMEDOUT,
	.cause = -ETIMEDOUT,
};

static enum hrtimer_restart kctx_deadline_fire(struct hrtimer *timer)
{
	struct kctx *ctx = &container_of(timer, struct kctx_timer, timer)->ctx;

	trace_kctx_deadline(ctx);
	/*
	 * If a cancel got there first, the walk below is already somebody
	 * else's, and doing it again is harmless: every node it could reach
	 * takes this node's err and cause either way.
	 */
	kctx_mark_done(ctx, &kctx_why_deadline);
	if (llist_add(&ctx->expired, &kctx_expired))
		queue_work(kctx_wq, &kctx_expire_work);
	return HRTIMER_NORESTART;
}

/**
 * kctx_deadline_init() - set up the timer of a KCTX_NODE_DEADLINE node
 * @ctx: the node, not yet published
 *
 * Context: Any context.
 */
void kctx_deadline_init(struct kctx *ctx)
{
	struct hrtimer *timer = &kctx_to_timer(ctx)->timer;

	hrtimer_init(timer, CLOCK_MONOTONIC, HRTIMER_MODE_ABS_SOFT);
	timer->function = kctx_deadline_fire;
}

/**
 * kctx_deadline_arm() - start the timer, unless the node is already done
 * @ctx: a KCTX_NODE_DEADLINE node
 *
 * Arming under the node's lock orders it against kctx_mark_done(): either
 * the canceller's kctx_deadline_stop() sees the timer armed, or this sees
 * the node done and leaves the timer alone.
 *
 * Context: Any context; takes @ctx's lock with interrupts off.
 */
void kctx_deadline_arm(struct kctx *ctx)
{
	unsigned long flags;

	spin_lock_irqsave(&ctx->lock, flags);
	if (!ctx->err) {
		refcount_inc(&ctx->ref);
		hrtimer_start(&kctx_to_timer(ctx)->timer, ctx->deadline,
			      HRTIMER_MODE_ABS_SOFT);
	}
	spin_unlock_irqrestore(&ctx->lock, flags);
}

/**
 * kctx_deadline_stop() - disarm the timer of a node that is done
 * @ctx: any node, done
 *
 * Drops the timer's reference if the timer was still pending. If its
 * callback is running, that callback owns the reference; called from the
 * callback itself, this finds it running and does nothing.
 *
 * Context: Any context; the caller holds a reference on @ctx.
 */
void kctx_deadline_stop(struct kctx *ctx)
{
	if (ctx->kind != KCTX_NODE_DEADLINE)
		return;
	if (hrtimer_try_to_cancel(&kctx_to_timer(ctx)->timer) == 1)
		kctx_put(ctx);
}

/**
 * kctx_deadline_flush() - wait until no fired deadline awaits its walk
 *
 * Context: Process context; sleeps.
 */
void kctx_deadline_flush(void)
{
	flush_work(&kctx_expire_work);
}
EXPORT_SYMBOL_IF_KUNIT(kctx_deadline_flush);
