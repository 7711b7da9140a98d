// SPDX-License-Identifier: GPL-2.0
/*
 * Propagation, the middle layer of the core: marking a node done and
 * carrying that down its subtree, and the cancels built on it.
 *
 * It owns the moment a node becomes done (kctx_mark_done(): ->head.err,
 * the record of why, the hooks' one run) and the walks that finish a
 * subtree (kctx_finish(), kctx_cancel_all()). It calls only the node layer
 * below it (ctx.c: references, kctx_why_get(), taking nodes off lists,
 * kctx_timer_stop()) and the hooks it runs (hook.c); never deadline.c,
 * whose timers call in here.
 *
 * A node becomes done exactly once, in kctx_mark_done(): the first cancel
 * to take its lock decides err and cause for good. Propagation then walks
 * the subtree without recursion and without a stack of its own: it goes
 * down to a node's first child, marking it, and when a node has no
 * children left it climbs back to the list it came from (kctx_up()),
 * unlinking the node it leaves. So the walk uses O(1) memory at any depth,
 * and holds each lock only for one step.
 *
 * The promise is Go's: when a cancel returns, every descendant is done,
 * even where somebody else marked a node first and is still walking below
 * it (a deadline whose walk is queued, a concurrent cancel). Go keeps that
 * promise by holding a node's lock while it cancels the children; kctx
 * can't hold a spinlock for a walk that may be long. Instead a node stays
 * on its parent's list until its whole subtree is done, and a walk that
 * meets a node somebody else marked goes down into it as well. A node is
 * unlinked only by a walk that found its list empty, so by induction a
 * walk that finds its own root's list empty has seen every descendant done.
 * Each child is marked with its parent's record, so all of a subtree
 * reports the cancel that reached its top, whoever did the marking.
 */
#include <kunit/visibility.h>
#include <linux/export.h>
#include <linux/sched.h>
#include <linux/sched/clock.h>

#include "ctx.h"
#include "kctx_trace.h"

/*
 * How long a walk that can't yield may run: a step's hooks may signal up
 * to KCTX_MAX_EVENTFDS eventfds and wake every poller, so a count of steps
 * alone doesn't bound the time spent with interrupts off.
 */
#define KCTX_WALK_ATOMIC_NS	(50 * NSEC_PER_USEC)

/**
 * kctx_mark_done() - make a node done, if nothing did so first
 * @ctx: the node
 * @why: the error, cause and canceller to record
 *
 * Runs the node's hooks under its lock, wakes kctx_wait() sleepers, and
 * disarms the node's deadline timer, which a done node has no use for.
 * Descendants are the caller's business (kctx_finish()).
 *
 * Context: Any context, the deadline's own timer callback included; takes
 * @ctx's lock with interrupts off. The caller holds a reference on @ctx.
 * Return: true if this call made @ctx done.
 */
bool kctx_mark_done(struct kctx *ctx, const struct kctx_why *why)
{
	HLIST_HEAD(hooks);
	unsigned long flags;

	/* Done is for good, and an acquire: no need to lock to see it. */
	if (kctx_err(ctx))
		return false;
	spin_lock_irqsave(&ctx->lock, flags);
	if (ctx->head.err) {
		spin_unlock_irqrestore(&ctx->lock, flags);
		return false;
	}
	/* ->hooks shares its memory with ->canceller: take the hooks off first. */
	hlist_move_list(&ctx->hooks, &hooks);
	kctx_record_why(ctx, why);
	/* Pairs with the acquire in kctx_err() and friends: cause first. */
	smp_store_release(&ctx->head.err, why->err);
	kctx_run_hooks(&hooks);
	spin_unlock_irqrestore(&ctx->lock, flags);

	kctx_timer_stop(ctx);
	trace_kctx_cancel(ctx, why->err, why->cause);
	return true;
}
EXPORT_SYMBOL_IF_KUNIT(kctx_mark_done);

/*
 * One step of a walk at @node: unlink @finished, a child whose subtree is
 * all done (or NULL), then return @node's first remaining child with a
 * reference, or NULL when none is left. A child whose last reference is
 * already gone is skipped: nobody can observe it, and it is unlinking
 * itself.
 */
static struct kctx *kctx_next_child(struct kctx *node, struct kctx *finished)
{
	struct kctx *child;
	unsigned long flags;

	spin_lock_irqsave(&node->lock, flags);
	if (finished && !hlist_unhashed(&finished->sibling))
		kctx_del_child(node, finished);
	hlist_for_each_entry(child, &node->children, sibling)
		if (refcount_inc_not_zero(&child->ref))
			break;
	spin_unlock_irqrestore(&node->lock, flags);
	return child;
}

/*
 * Make every descendant of @root done, giving @root's children @why and
 * every deeper node its parent's record. @root is held by the caller;
 * nodes below it are held by the walk while it is inside them. Returns
 * true when the subtree is done, false when @budget steps ran out first,
 * in which case a later walk from @root carries on where this one stopped:
 * what is finished is off the lists. With @may_sleep it yields between
 * steps; without, it also stops after KCTX_WALK_ATOMIC_NS.
 */
static bool kctx_walk(struct kctx *root, const struct kctx_why *why,
		      unsigned int budget, bool may_sleep)
{
	struct kctx *node = root, *child, *finished = NULL;
	struct kctx_why cur = *why;	/* what @node's children get */
	u64 until = may_sleep ? 0 : local_clock() + KCTX_WALK_ATOMIC_NS;

	if (may_sleep)
		might_sleep();
	for (;;) {
		child = kctx_next_child(node, finished);
		kctx_put(finished);
		finished = NULL;
		if (child) {
			kctx_mark_done(child, &cur);
			kctx_why_get(child, &cur);
			node = child;	/* our reference pins it */
		} else if (node != root) {
			/*
			 * Back to the list it was on: the parent, pinned by
			 * @node's reference on it, or the background root for
			 * a detached node.
			 */
			finished = node;
			node = kctx_up(node);
			if (node == root)
				cur = *why;
			else
				kctx_why_get(node, &cur);
		} else {
			return true;
		}
		if (!--budget)
			break;
		if (may_sleep)
			cond_resched();
		else if (local_clock() > until)
			break;
	}
	/* Out of budget: let go of the path, leaving the rest on the lists. */
	kctx_put(finished);
	while (node != root) {
		child = node;
		node = kctx_up(node);
		kctx_put(child);
	}
	return false;
}

static bool __kctx_finish(struct kctx *ctx, unsigned int budget, bool may_sleep)
{
	struct kctx_why why;

	kctx_why_get(ctx, &why);
	if (!kctx_walk(ctx, &why, budget, may_sleep))
		return false;
	/*
	 * The walk took @ctx's lock and found its list empty, which orders
	 * this after every mark below. What is left is @ctx's own place on
	 * its parent's list; once off, it never goes back, so a node seen
	 * off already (a second cancel, a close after a cancel) needs no lock.
	 */
	if (!hlist_unhashed_lockless(&ctx->sibling))
		kctx_unlink(ctx);
	return true;
}

/**
 * kctx_finish() - make every descendant of a done node done, then unlink it
 * @ctx: a done node; the caller holds a reference on it
 * @budget: the most steps to take, one per node visited; UINT_MAX for all
 *
 * Every descendant gets the record of the cancel that reached its parent,
 * so all of them report @ctx's when nobody else got there first. Until its
 * subtree is done @ctx stays on its parent's list, where any walk from
 * above finds it and helps.
 *
 * Context: Process context; sleeps (cond_resched()) between nodes.
 * Return: true once @ctx is finished and unlinked; false if @budget ran out
 * first, and a later call goes on from where this one stopped.
 */
bool kctx_finish(struct kctx *ctx, unsigned int budget)
{
	return __kctx_finish(ctx, budget, true);
}

/**
 * kctx_finish_atomic() - kctx_finish() for a caller that can't sleep
 * @ctx: a done node; the caller holds a reference on it
 * @budget: the most steps to take; small, since none of them yields
 *
 * For the deadline timer's callback, which marks a small subtree at once
 * and leaves a bigger one to a worker. The walk also stops after 50 µs,
 * however many steps are left, since one node's hooks may be many.
 *
 * Context: Any context; takes node locks with interrupts off.
 * Return: as kctx_finish().
 */
bool kctx_finish_atomic(struct kctx *ctx, unsigned int budget)
{
	return __kctx_finish(ctx, budget, false);
}

/**
 * kctx_end_why() - make a node and all its descendants done, whatever its kind
 * @ctx: the node
 * @why: what to record, unless @ctx was done already
 *
 * When this returns, every descendant of @ctx is done, even if somebody
 * else marked @ctx first and is still at work below it.
 *
 * Context: Process context; may sleep. The caller holds a reference.
 */
void kctx_end_why(struct kctx *ctx, const struct kctx_why *why)
{
	kctx_mark_done(ctx, why);
	kctx_finish(ctx, UINT_MAX);
}

/**
 * kctx_cancel_all() - cancel every context still in the tree
 *
 * For module exit. With no consumer module and no fd left, what remains can
 * only be contexts that nobody holds but that an armed deadline timer keeps
 * alive, as Go keeps a context whose cancel was forgotten. Their timers
 * point into this module, so they must go now. A context that something
 * still references stays, and the leak report names it.
 *
 * Context: Process context; sleeps. Nothing else may use kctx.
 */
void kctx_cancel_all(void)
{
	static const struct kctx_why why = { .err = -ECANCELED, .cause = -ESHUTDOWN };

	/* The background root itself is never done; everything below it is. */
	kctx_walk(&kctx_bg, &why, UINT_MAX, true);
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
 * When this returns, all of @ctx's descendants are done, as in Go: also
 * when another cancel or a deadline got to @ctx first and is still at work
 * below it. The time is linear in the subtree's size, in small steps with
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
	kctx_end_why(ctx, why);
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
