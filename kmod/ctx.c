// SPDX-License-Identifier: GPL-2.0
/*
 * The node layer, the bottom of the core: making, linking, referencing,
 * reading and freeing context nodes.
 *
 * It owns a node's memory and lifetime (kctx_alloc(), kctx_get(),
 * kctx_put() and the final release), its place on its parent's ->children
 * list (kctx_link() and kctx_unlink()), and the references a deadline
 * node's timer holds (kctx_timer_stop(); arming is part of kctx_link()).
 * The constructors here are those that need nothing else: a cancel node,
 * a value node, a detached node.
 *
 * The core is in three layers, each calling only those below it:
 * this one; propagation (cancel.c), which marks nodes done and walks
 * their subtrees; deadlines (deadline.c), whose timers set propagation off
 * and which make deadline nodes. So this file calls neither of the other
 * two: a node's timer callback is deadline.c's, set by kctx_alloc_deadline()
 * before the node is linked, and only reached through the timer. Besides
 * the core, it calls the leak registry (leak.c) and the uapi's per-user
 * charges (user.c).
 */
#include <linux/export.h>
#include <linux/rcupdate.h>

#include "compat.h"
#include "ctx.h"
#include "kctx_trace.h"

struct kctx kctx_bg = {
	.ref = REFCOUNT_INIT(1),
	.kind = KCTX_NODE_BACKGROUND,
	.lock = __SPIN_LOCK_UNLOCKED(kctx_bg.lock),
	.children = HLIST_HEAD_INIT,
	.hooks = HLIST_HEAD_INIT,
	.deadline = KTIME_MAX,
	.id = 1,
};

static atomic64_t kctx_last_id = ATOMIC64_INIT(1);

/* What a node's own deadline records, whether it fires or was past at birth. */
const struct kctx_why kctx_why_deadline = {
	.err = -ETIMEDOUT,
	.cause = -ETIMEDOUT,
};

const char *const kctx_kind_names[KCTX_NODE_NR_KINDS] = {
	[KCTX_NODE_BACKGROUND] = "background",
	[KCTX_NODE_CANCEL] = "cancel",
	[KCTX_NODE_DEADLINE] = "deadline",
	[KCTX_NODE_VALUE] = "value",
	[KCTX_NODE_USER_VALUE] = "user_value",
	[KCTX_NODE_DETACHED] = "detached",
};

/**
 * kctx_background() - the root context
 *
 * Never cancelled, has no deadline and no values. Every tree grows from it.
 * It is not reference counted: kctx_get() and kctx_put() on it do nothing.
 *
 * Context: Any context.
 * Return: the background context.
 */
struct kctx *kctx_background(void)
{
	return &kctx_bg;
}
EXPORT_SYMBOL_GPL(kctx_background);

/**
 * kctx_todo() - the root context, for code not yet given a real one
 *
 * The same context as kctx_background(); the name marks a place to fix.
 *
 * Context: Any context.
 * Return: the background context.
 */
struct kctx *kctx_todo(void)
{
	return &kctx_bg;
}
EXPORT_SYMBOL_GPL(kctx_todo);

/**
 * kctx_alloc() - a node ready to be linked
 * @parent: the parent
 * @kind: the kind; a deadline node comes from kctx_alloc_deadline()
 * @gfp: allocation flags
 * @site: the constructor's caller, for debugfs and leak reports
 *
 * Only the caller can see the node until kctx_link(). Dropping it with
 * kctx_put() before then frees it without a trace in the tree.
 *
 * Context: Any context that @gfp allows.
 * Return: the node, holding one reference, or ERR_PTR(-ENOMEM).
 */
struct kctx *kctx_alloc(struct kctx *parent, enum kctx_node_kind kind, gfp_t gfp,
			unsigned long site)
{
	struct kctx *ctx;

	kctx_assert_no_hook();
	if (WARN_ON_ONCE(IS_ERR_OR_NULL(parent)))
		return ERR_PTR(-EINVAL);
	ctx = kmem_cache_zalloc(kctx_caches[kind], gfp);
	if (!ctx)
		return ERR_PTR(-ENOMEM);
	ctx->id = atomic64_inc_return(&kctx_last_id);
	ctx->kind = kind;
	ctx->depth = parent->depth == U16_MAX ? U16_MAX : parent->depth + 1;
	spin_lock_init(&ctx->lock);
	ctx->charged = INVALID_UID;
	ctx->deadline = kind == KCTX_NODE_DETACHED ? KTIME_MAX : parent->deadline;
	ctx->site = site;
	ctx->born = jiffies;
	ctx->parent = kctx_get(parent);
	/* The leak registry's walker reads the node: all of it is set. */
	if (kctx_leaks_add(ctx, gfp)) {
		kctx_put(parent);
		kmem_cache_free(kctx_caches[kind], ctx);
		return ERR_PTR(-ENOMEM);
	}
	/*
	 * A debugfs walker that gets a reference on this memory reads this
	 * life's fields, not a freed node's: pairs with its smp_rmb().
	 */
	smp_wmb();
	refcount_set(&ctx->ref, 1);
	return ctx;
}

/**
 * kctx_alloc_user_value() - kctx_alloc() for a node carrying a userspace value
 * @parent: the parent
 * @key: userspace's key
 * @val: userspace's value
 * @gfp: allocation flags
 * @site: the constructor's caller
 *
 * Userspace's keys live apart from the kernel's, which are addresses: a
 * user key equal to some module's key address must not hand that module a
 * user-chosen "pointer", nor show userspace a kernel pointer.
 *
 * Context: Any context that @gfp allows.
 * Return: the unlinked node, or ERR_PTR(-ENOMEM).
 */
struct kctx *kctx_alloc_user_value(struct kctx *parent, u64 key, u64 val, gfp_t gfp,
				   unsigned long site)
{
	struct kctx *ctx = kctx_alloc(parent, KCTX_NODE_USER_VALUE, gfp, site);
	struct kctx_value_node *v;

	if (IS_ERR(ctx))
		return ctx;
	v = container_of(ctx, struct kctx_value_node, ctx);
	v->ukey = key;
	v->uval = val;
	return ctx;
}

/* A node that was never linked, because it is done at birth. */
static void kctx_born_done(struct kctx *ctx, const struct kctx_why *why)
{
	/* ->hooks is empty: nobody else has seen the node. */
	kctx_record_why(ctx, why);
	/* Pairs with the acquire in kctx_err(), like kctx_mark_done()'s. */
	smp_store_release(&ctx->head.err, why->err);
}

/**
 * kctx_why_get() - read why a node is done
 * @ctx: the node
 * @why: filled in; all zero while @ctx is live
 *
 * Context: Any context.
 */
void kctx_why_get(const struct kctx *ctx, struct kctx_why *why)
{
	why->err = kctx_err(ctx);
	if (!why->err) {
		*why = (struct kctx_why){};
		return;
	}
	/* Written before ->head.err was released: stable once it is seen. */
	why->cause = READ_ONCE(ctx->head.cause);
	why->canceller = why->err == -ECANCELED ? READ_ONCE(ctx->canceller) : NULL;
	why->has_user_cause = READ_ONCE(ctx->has_user_cause);
	why->user_cause = READ_ONCE(ctx->user_cause);
}

static void kctx_add_child(struct kctx *up, struct kctx *child)
{
	lockdep_assert_held(&up->lock);
	hlist_add_head_rcu(&child->sibling, &up->children);
}

/**
 * kctx_unlink() - take a node off its parent's list, if it is still there
 * @ctx: the node
 *
 * The undoing of kctx_link(), here rather than with the walks that also
 * use it because the final kctx_put() must take a node that nobody
 * finished off its list, and the node layer calls nothing above it.
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
 * Start the timer of a KCTX_NODE_DEADLINE node, unless it is already done;
 * the timer holds a reference while it is armed. Arming under the node's
 * lock orders it against kctx_mark_done(): either the canceller's
 * kctx_timer_stop() sees the timer armed, or this sees the node done and
 * leaves the timer alone.
 */
static void kctx_timer_arm(struct kctx *ctx)
{
	unsigned long flags;

	spin_lock_irqsave(&ctx->lock, flags);
	if (!ctx->head.err) {
		refcount_inc(&ctx->ref);
		hrtimer_start(&kctx_to_timer(ctx)->timer, ctx->deadline, HRTIMER_MODE_ABS);
	}
	spin_unlock_irqrestore(&ctx->lock, flags);
}

/**
 * kctx_timer_stop() - disarm the timer of a node that is done
 * @ctx: any node, done
 *
 * Drops the timer's reference if the timer was still pending. If its
 * callback is running, that callback owns the reference; called from the
 * callback itself, this finds it running and does nothing.
 *
 * Context: Any context; the caller holds a reference on @ctx.
 */
void kctx_timer_stop(struct kctx *ctx)
{
	if (ctx->kind != KCTX_NODE_DEADLINE)
		return;
	if (hrtimer_try_to_cancel(&kctx_to_timer(ctx)->timer) == 1)
		kctx_put(ctx);
}

/**
 * kctx_link() - publish a node made by kctx_alloc() and friends
 * @ctx: the node
 *
 * Links @ctx under kctx_up(@ctx), and arms its deadline. A child of a done
 * parent is born done with the parent's error and cause, and so is a
 * deadline already past; neither is linked, so nothing will ever cancel it
 * again. Nothing here can fail.
 *
 * Context: Any context; takes the parent's lock, then @ctx's, with
 * interrupts off.
 * Return: @ctx.
 */
struct kctx *kctx_link(struct kctx *ctx)
{
	struct kctx *up = kctx_up(ctx);
	struct kctx_why why;
	unsigned long flags;

	spin_lock_irqsave(&up->lock, flags);
	kctx_why_get(up, &why);
	if (why.err)
		kctx_born_done(ctx, &why);
	else if (ctx->kind == KCTX_NODE_DEADLINE && ctx->deadline <= ktime_get())
		kctx_born_done(ctx, &kctx_why_deadline);
	else
		kctx_add_child(up, ctx);
	spin_unlock_irqrestore(&up->lock, flags);

	trace_kctx_create(ctx);
	if (ctx->kind == KCTX_NODE_DEADLINE)
		kctx_timer_arm(ctx);
	return ctx;
}

/**
 * kctx_with_cancel() - a child context that can be cancelled
 * @parent: the parent context
 * @gfp: allocation flags
 *
 * The child is done when kctx_cancel() is called on it or when @parent is
 * done, whichever comes first. A child of a done parent is born done.
 *
 * Context: Any context that @gfp allows.
 * Return: the new context, holding one reference for the caller, or
 * ERR_PTR(-ENOMEM).
 */
struct kctx *kctx_with_cancel(struct kctx *parent, gfp_t gfp)
{
	struct kctx *ctx = kctx_alloc(parent, KCTX_NODE_CANCEL, gfp, _RET_IP_);

	return IS_ERR(ctx) ? ctx : kctx_link(ctx);
}
EXPORT_SYMBOL_GPL(kctx_with_cancel);

/**
 * kctx_with_value() - a child that carries a value under a key
 * @parent: the parent context
 * @key: compared by address; use the address of a static object you own
 * @val: the value, owned by the caller; kctx never dereferences it
 * @gfp: allocation flags
 *
 * The child is done when @parent is; it cannot be cancelled by itself.
 *
 * Context: Any context that @gfp allows.
 * Return: the new context, holding one reference for the caller, or
 * ERR_PTR(-ENOMEM).
 */
struct kctx *kctx_with_value(struct kctx *parent, const void *key, void *val,
			     gfp_t gfp)
{
	struct kctx *ctx = kctx_alloc(parent, KCTX_NODE_VALUE, gfp, _RET_IP_);
	struct kctx_value_node *v;

	if (IS_ERR(ctx))
		return ctx;
	v = container_of(ctx, struct kctx_value_node, ctx);
	v->key = key;
	v->val = val;
	return kctx_link(ctx);
}
EXPORT_SYMBOL_GPL(kctx_with_value);

/**
 * kctx_without_cancel() - a child that outlives its parent's cancellation
 * @parent: the parent context
 * @gfp: allocation flags
 *
 * The child sees @parent's values, but is never done and has no deadline:
 * for work that must finish even though the request that started it has
 * gone, such as a cleanup. Its own children can have deadlines.
 *
 * Context: Any context that @gfp allows.
 * Return: the new context, holding one reference for the caller, or
 * ERR_PTR(-ENOMEM).
 */
struct kctx *kctx_without_cancel(struct kctx *parent, gfp_t gfp)
{
	struct kctx *ctx = kctx_alloc(parent, KCTX_NODE_DETACHED, gfp, _RET_IP_);

	return IS_ERR(ctx) ? ctx : kctx_link(ctx);
}
EXPORT_SYMBOL_GPL(kctx_without_cancel);

/**
 * kctx_get() - take a reference
 * @ctx: the context
 *
 * Context: Any context.
 * Return: @ctx.
 */
struct kctx *kctx_get(struct kctx *ctx)
{
	if (ctx != &kctx_bg)
		refcount_inc(&ctx->ref);
	return ctx;
}
EXPORT_SYMBOL_GPL(kctx_get);

static void kctx_node_free_rcu(struct rcu_head *rcu)
{
	struct kctx *ctx = container_of(rcu, struct kctx, rcu);

	kmem_cache_free(kctx_caches[ctx->kind], ctx);
}

/*
 * At once, into a SLAB_TYPESAFE_BY_RCU cache: debugfs's RCU walker copes
 * (ctx.h, R). Before 6.12, after a grace period (compat.h).
 */
static void kctx_node_free(struct kctx *ctx)
{
	if (KCTX_NODE_FREE_AFTER_GRACE_PERIOD)
		call_rcu(&ctx->rcu, kctx_node_free_rcu);
	else
		kmem_cache_free(kctx_caches[ctx->kind], ctx);
}

/* What a node holds besides its parent: the canceller's pid and a charge. */
static void kctx_release(struct kctx *ctx)
{
	/*
	 * A node that a cancel or a deadline finished was unlinked by that
	 * walk, which held a reference while it did so; our last kctx_put()
	 * acquired that release, and an unlinked node is never linked again.
	 * So only a node still on its parent's list needs the parent's lock.
	 */
	if (!hlist_unhashed_lockless(&ctx->sibling))
		kctx_unlink(ctx);
	if (kctx_err(ctx) == -ECANCELED)
		put_pid(ctx->canceller);
	if (uid_valid(ctx->charged))
		kctx_user_uncharge(ctx->charged);
	kctx_leaks_del(ctx);
	kctx_node_free(ctx);
}

/**
 * kctx_put() - drop a reference
 * @ctx: the context, or NULL
 *
 * The last reference unlinks the node from its parent and frees it. A
 * child holds a reference on its parent, so the release walks up a chain
 * iteratively, never recursively; a chain that userspace made is at most
 * KCTX_MAX_DEPTH long. Dropping the last reference of a live context does
 * not cancel it: nobody can see it.
 *
 * Context: Any context. Takes the parent's lock, with interrupts off, if
 * the node is still on its parent's list.
 */
void kctx_put(struct kctx *ctx)
{
	struct kctx *parent;

	kctx_assert_no_hook();
	while (ctx && ctx != &kctx_bg && refcount_dec_and_test(&ctx->ref)) {
		parent = ctx->parent;
		kctx_release(ctx);
		ctx = parent;
	}
}
EXPORT_SYMBOL_GPL(kctx_put);

/**
 * kctx_deadline() - the effective deadline of a context
 * @ctx: the context
 * @deadline: set to the deadline, on CLOCK_MONOTONIC, if there is one;
 *	      may be NULL
 *
 * The effective deadline is the earliest of the context's own and all its
 * ancestors', up to the nearest kctx_without_cancel() node.
 *
 * Context: Any context.
 * Return: true if @ctx has a deadline.
 */
bool kctx_deadline(const struct kctx *ctx, ktime_t *deadline)
{
	if (ctx->deadline == KTIME_MAX)
		return false;
	if (deadline)
		*deadline = ctx->deadline;
	return true;
}
EXPORT_SYMBOL_GPL(kctx_deadline);

/**
 * kctx_value() - look a value up through a context's chain
 * @ctx: the context
 * @key: the key given to kctx_with_value()
 *
 * The nearest value wins. The walk costs one step per ancestor.
 *
 * Context: Any context; the caller holds a reference on @ctx.
 * Return: the value, or NULL if no context in the chain carries @key.
 */
void *kctx_value(const struct kctx *ctx, const void *key)
{
	const struct kctx_value_node *v;

	for (; ctx != &kctx_bg; ctx = ctx->parent) {
		if (ctx->kind != KCTX_NODE_VALUE)
			continue;
		v = container_of(ctx, struct kctx_value_node, ctx);
		if (v->key == key)
			return v->val;
	}
	return NULL;
}
EXPORT_SYMBOL_GPL(kctx_value);

/**
 * kctx_user_value() - look a userspace value up through a context's chain
 * @ctx: the context
 * @key: userspace's key
 * @val: set to the value, if found
 *
 * Context: Process context; may sleep between steps. The caller holds a
 * reference on @ctx, which pins the whole chain.
 * Return: true if a context in the chain carries @key.
 */
bool kctx_user_value(const struct kctx *ctx, u64 key, u64 *val)
{
	const struct kctx_value_node *v;
	unsigned int steps = 0;

	for (; ctx != &kctx_bg; ctx = ctx->parent) {
		/* The chain may be a kernel one below the user's: not bounded. */
		if (!(++steps % 64))
			cond_resched();
		if (ctx->kind != KCTX_NODE_USER_VALUE)
			continue;
		v = container_of(ctx, struct kctx_value_node, ctx);
		if (v->ukey == key) {
			*val = v->uval;
			return true;
		}
	}
	return false;
}

/**
 * kctx_id() - a context's identifier
 * @ctx: the context
 *
 * Unique for the life of the module; the background root is 1. The same
 * id appears in debugfs, in the tracepoints and in fdinfo.
 *
 * Context: Any context.
 * Return: the id.
 */
u64 kctx_id(const struct kctx *ctx)
{
	return ctx->id;
}
EXPORT_SYMBOL_GPL(kctx_id);
