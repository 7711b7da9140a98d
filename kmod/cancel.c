// SPDX-License-Identifier: GPL-2.0
/*
 * Cancellation: marking a node done and carrying that down its subtree.
 *
 * A node becomes done exactly once, in kctx_mark_done(): the first cancel
 * to take its lock decides err and cause for good. Propagation then walks
 * the subtree without recursion and without a stack of its own. It pops one
 * child at a time off a node's list, marks it, and descends into it only if
 * that mark took effect; a child someone else marked first has its own
 * canceller walking it. When a node has no children left, the walk climbs
 * back to the list it came from (kctx_up()). So the walk uses O(1) memory at any depth, and
 * holds each lock only to unlink one child.
 */
#include <linux/export.h>
#include <linux/sched.h>

#include "ctx.h"
#include "kctx_trace.h"

/* Run and drop every hook; ->hooks is never used again. */
static void kctx_run_hooks(struct kctx *ctx)
{
	struct kctx_hook *hook;
	struct hlist_node *tmp;

	lockdep_assert_held(&ctx->lock);
	hlist_for_each_entry_safe(hook, tmp, &ctx->hooks, node) {
		hlist_del_init(&hook->node);
		hook->fn(hook);
	}
}

/**
 * kctx_mark_done() - make a node done, if nothing did so first
 * @ctx: the node
 * @why: the error, cause and canceller to record
 *
 * Runs the node's hooks under its lock, wakes kctx_wait() sleepers, and
 * disarms the node's deadline timer, which a done node has no use for.
 * Descendants are the caller's business (kctx_propagate()).
 *
 * Context: Any context, the deadline's own timer callback included; takes
 * @ctx's lock with interrupts off. The caller holds a reference on @ctx.
 * Return: true if this call made @ctx done.
 */
bool kctx_mark_done(struct kctx *ctx, const struct kctx_why *why)
{
	unsigned long flags;

	spin_lock_irqsave(&ctx->lock, flags);
	if (ctx->err) {
		spin_unlock_irqrestore(&ctx->lock, flags);
		return false;
	}
	kctx_record_why(ctx, why);
	/* Pairs with the acquire in kctx_err() and friends: cause first. */
	smp_store_release(&ctx->err, why->err);
	kctx_run_hooks(ctx);
	spin_unlock_irqrestore(&ctx->lock, flags);

	complete_all(&ctx->done);
	kctx_deadline_stop(ctx);
	trace_kctx_cancel(ctx, why->err, why->cause);
	return true;
}

/* ->sibling is guarded by the lock of the node whose list holds it. */
static void kctx_del_child(struct kctx *up, struct kctx *child)
{
	lockdep_assert_held(&up->lock);
	hlist_del_init_rcu(&child->sibling);
}

/**
 * kctx_unlink() - take a node off its parent's list, if it is still there
 * @ctx: the node
 *
 * Context: Any context; takes kctx_up(@ctx)'s lock with interrupts off.
 */
void kctx_unlink(struct kctx *ctx)
{
	struct kctx *up = kctx_up(ctx);
	unsigned long flags;

	spin_lock_irqsave(&up->lock, flags);
	if (!hlist_unhashed(&ctx->sibling))
		kctx_del_child(up, ctx);
	spin_unlock_irqrestore(&up->lock, flags);
}

/*
 * Unlink and return one child of @node, with a reference, or NULL when none
 * is left. A child whose last reference is already gone is skipped: nobody
 * can observe it, and it is unlinking itself.
 */
static struct kctx *kctx_pop_child(struct kctx *node)
{
	struct kctx *child;
	unsigned long flags;

	spin_lock_irqsave(&node->lock, flags);
	hlist_for_each_entry(child, &node->children, sibling) {
		if (refcount_inc_not_zero(&child->ref)) {
			kctx_del_child(node, child);
			break;
		}
	}
	spin_unlock_irqrestore(&node->lock, flags);
	return child;
}

/*
 * Make every descendant of @root done with @why. @root is held by the
 * caller; nodes below it are held by the walk while it is inside them.
 */
static void kctx_walk_down(struct kctx *root, const struct kctx_why *why)
{
	struct kctx *node = root, *child;

	might_sleep();
	for (;;) {
		child = kctx_pop_child(node);
		if (child) {
			if (kctx_mark_done(child, why))
				node = child;	/* our reference pins it */
			else
				kctx_put(child);
		} else if (node != root) {
			/*
			 * Back to the list it was popped from: the parent,
			 * pinned by @node's reference on it, or the
			 * background root for a detached node.
			 */
			child = node;
			node = kctx_up(node);
			kctx_put(child);
		} else {
			break;
		}
		cond_resched();
	}
}

/**
 * kctx_propagate() - make every descendant of a done node done
 * @root: a done node; the caller holds a reference on it
 *
 * Every node that this walk marks gets @root's struct kctx_why.
 *
 * Context: Process context; sleeps (cond_resched()) between nodes.
 */
void kctx_propagate(struct kctx *root)
{
	struct kctx_why why;

	kctx_why_get(root, &why);
	kctx_walk_down(root, &why);
}

/**
 * kctx_cancel_all() - cancel every context still in the tree
 *
 * For module exit. With no consumer module and no fd left, what remains can
 * only be contexts that nobody holds but that an armed deadline timer keeps
 * alive, as Go keeps a context whose cancel was forgotten. Their timers
 * point into this module, so they must go now. A context that something
 * still references stays, and kmem_cache_destroy() reports it as the leak
 * it is.
 *
 * Context: Process context; sleeps. Nothing else may use kctx.
 */
void kctx_cancel_all(void)
{
	static const struct kctx_why why = { .err = -ECANCELED, .cause = -ESHUTDOWN };

	/* The background root itself is never done; everything below it is. */
	kctx_walk_down(&kctx_bg, &why);
}

/**
 * kctx_cancel_cause() - cancel a context, giving a cause
 * @ctx: the context
 * @cause: what kctx_cause() will report, by convention a negative errno;
 *	   0 means none, and kctx_cause() then reports -ECANCELED
 *
 * Marks @ctx done with -ECANCELED, runs its after-funcs, wakes its waiters,
 * unlinks it from its parent and cancels every descendant with the same
 * error and cause. If @ctx was already done, nothing changes: the first
 * cancel wins. Value, detached and background contexts cannot be cancelled
 * by themselves, only through a parent; for them this does nothing.
 *
 * When this returns and the cancel took effect, all of @ctx's descendants
 * are done. The time is linear in the subtree's size, in small steps with
 * cond_resched() between them.
 *
 * Context: Process context; may sleep. The caller holds a reference.
 */
void kctx_cancel_cause(struct kctx *ctx, int cause)
{
	struct kctx_why why = {
		.err = -ECANCELED,
		.cause = cause ?: -ECANCELED,
		.canceller = kctx_current_canceller(),
	};

	kctx_cancel_why(ctx, &why);
}
EXPORT_SYMBOL_GPL(kctx_cancel_cause);

/**
 * kctx_cancel_why() - kctx_cancel_cause() with a full record of why
 * @ctx: the context
 * @why: what kctx_err(), kctx_cause() and the uapi will report
 *
 * Context: Process context; may sleep. The caller holds a reference.
 */
void kctx_cancel_why(struct kctx *ctx, const struct kctx_why *why)
{
	might_sleep();
	if (ctx->kind != KCTX_NODE_CANCEL && ctx->kind != KCTX_NODE_DEADLINE)
		return;
	if (!kctx_mark_done(ctx, why))
		return;
	kctx_unlink(ctx);
	kctx_propagate(ctx);
}

/**
 * kctx_cancel() - cancel a context
 * @ctx: the context
 *
 * kctx_cancel_cause() with no cause: kctx_cause() reports -ECANCELED.
 *
 * Context: Process context; may sleep. The caller holds a reference.
 */
void kctx_cancel(struct kctx *ctx)
{
	kctx_cancel_cause(ctx, 0);
}
EXPORT_SYMBOL_GPL(kctx_cancel);
