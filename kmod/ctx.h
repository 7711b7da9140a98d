/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Internal view of a kctx node, shared by the files of kctx.ko and its tests.
 */
#ifndef _KCTX_CTX_H
#define _KCTX_CTX_H

#include <linux/hrtimer.h>
#include <linux/kctx.h>
#include <linux/llist.h>
#include <linux/pid.h>
#include <linux/sched/signal.h>
#include <linux/rculist.h>
#include <linux/refcount.h>
#include <linux/slab.h>
#include <linux/spinlock.h>

enum kctx_node_kind {
	KCTX_NODE_BACKGROUND,	/* the root; never done, never freed */
	KCTX_NODE_CANCEL,		/* cancellable */
	KCTX_NODE_DEADLINE,		/* cancellable, and has its own armed timer */
	KCTX_NODE_VALUE,		/* carries a value; done when its parent is */
	KCTX_NODE_USER_VALUE,	/* the same, for userspace's own keys */
	KCTX_NODE_DETACHED,		/* kctx_without_cancel(): never done */
	KCTX_NODE_NR_KINDS
};

/*
 * Every node has the machinery to become done, so propagation treats all
 * kinds alike; the kind only decides who may cancel it and what it carries.
 *
 * Lock legend:
 *   I: set before the node is published, then immutable; read freely.
 *   L: this node's ->lock.
 *   U: the ->lock of the node whose ->children list holds this one: the
 *      parent, or the background root for a detached node (kctx_up()).
 *   R: also walked under rcu_read_lock() (debugfs), so changed only with
 *      the RCU list primitives. Nodes are SLAB_TYPESAFE_BY_RCU and freed at
 *      once (before 6.12, after a grace period: compat.h), so such a
 *      walker may meet a node that was freed and reused:
 *      it keeps one only after refcount_inc_not_zero() and a check that
 *      the node is still on the list it came from (debugfs.c).
 *   D: written under L before ->head.err is published with a release
 *      store; read freely after an acquire load of a non-zero one.
 *   A: atomic.
 *   W: the fired deadline's: its timer callback's, then the deadline
 *      worker's (deadline.c), which alone touch it.
 *
 * @head.err is written under L and read with smp_load_acquire() anywhere,
 * inline in <linux/kctx.h>'s checks; a node born done (kctx_born_done())
 * publishes it the same way before anyone else can see the node. Any node
 * lock is taken alone: never nest two.
 *
 * A union saves memory. It holds what a node needs in each phase of its
 * life: @hooks until @head.err is set (kctx_mark_done() moves them off
 * first); then @canceller if the node was cancelled (-ECANCELED), or
 * @expired if its own deadline fired (-ETIMEDOUT, no canceller).
 */
struct kctx {
	struct kctx_head head;		/* .err L, .cause D; first, for the checks */
	refcount_t ref;			/* A */
	u8 kind;			/* I: enum kctx_node_kind */
	bool has_user_cause;		/* D */
	u16 depth;			/* I: background is 0; saturates */
	spinlock_t lock;
	kuid_t charged;			/* I: the uapi user charged, or INVALID_UID */
	/*
	 * The free's: SLUB's free pointer from 6.12, or the grace period's
	 * callback before (compat.h). Nothing else touches it, which is what
	 * the free pointer of a SLAB_TYPESAFE_BY_RCU cache needs.
	 */
	struct rcu_head rcu;
	struct kctx *parent;		/* I: holds a reference */
	struct hlist_head children;	/* L, R */
	struct hlist_node sibling;	/* U, R: on kctx_up()'s ->children */
	union {
		struct hlist_head hooks;	/* L: struct kctx_hook.node */
		struct pid *canceller;		/* D: holds a reference, or NULL */
		struct llist_node expired;	/* W: on the deadline worker's queue */
	};
	ktime_t deadline;		/* I: effective; KTIME_MAX for none */
	u64 id;				/* I */
	unsigned long site;		/* I: the constructor's caller */
	u64 user_cause;			/* D: userspace's own cause */
	atomic_t workers;		/* A: work attached here and below (work.c) */
	u32 done_after;			/* D: jiffies from @born to done; saturates */
	unsigned long born;		/* I: jiffies; for debugfs and fdinfo ages */
};

/* How long ago @ctx was made, in ms. */
static inline unsigned int kctx_age_ms(const struct kctx *ctx)
{
	return jiffies_to_msecs(jiffies - ctx->born);
}

/* How long @ctx has been done, in ms: @ctx is done. */
static inline unsigned int kctx_done_for_ms(const struct kctx *ctx)
{
	return jiffies_to_msecs(jiffies - ctx->born - ctx->done_after);
}

/* <linux/kctx.h>'s inline checks read a context as its head. */
static_assert(offsetof(struct kctx, head) == 0);

/*
 * Why a node is done. A cancel that reaches descendants gives each of them
 * the same record, so all report what the canceller said.
 */
struct kctx_why {
	int err;		/* -ECANCELED or -ETIMEDOUT */
	int cause;		/* errno-like; kctx_cause() */
	struct pid *canceller;	/* tgid; NULL for a deadline or a kthread */
	bool has_user_cause;
	u64 user_cause;
};

/* KCTX_NODE_VALUE keys are addresses; KCTX_NODE_USER_VALUE keys are userspace's. */
struct kctx_value_node {
	struct kctx ctx;
	union {
		struct {
			const void *key;	/* I */
			void *val;		/* I */
		};
		struct {
			u64 ukey;		/* I */
			u64 uval;		/* I */
		};
	};
};

struct kctx_timer {
	struct kctx ctx;
	struct hrtimer timer;		/* armed only while it holds a ref */
};

extern struct kctx kctx_bg;
extern const char *const kctx_kind_names[KCTX_NODE_NR_KINDS];
extern const struct kctx_why kctx_why_deadline;
extern struct workqueue_struct *kctx_wq;
extern struct kmem_cache *kctx_caches[KCTX_NODE_NR_KINDS];

/* kctx_up() - the node whose ->children list holds @ctx. */
static inline struct kctx *kctx_up(const struct kctx *ctx)
{
	return ctx->kind == KCTX_NODE_DETACHED ? &kctx_bg : ctx->parent;
}

static inline struct kctx_timer *kctx_to_timer(struct kctx *ctx)
{
	return container_of(ctx, struct kctx_timer, ctx);
}

/* ->sibling is guarded by the lock of the node whose list holds it. */
static inline void kctx_del_child(struct kctx *up, struct kctx *child)
{
	lockdep_assert_held(&up->lock);
	hlist_del_init_rcu(&child->sibling);
}

/*
 * kctx_record_why() - copy @why's cause and canceller into @ctx; the caller
 * then publishes ->head.err, which must come last. The node takes a reference
 * of its own on the canceller, so that the pid can't name another process
 * later. Only a cancel has a canceller; ->canceller shares its memory with
 * ->hooks, which the caller has taken off already.
 */
static inline void kctx_record_why(struct kctx *ctx, const struct kctx_why *why)
{
	ctx->head.cause = why->cause;
	ctx->done_after = min_t(unsigned long, jiffies - ctx->born, U32_MAX);
	if (why->err == -ECANCELED)
		ctx->canceller = get_pid(why->canceller);
	ctx->has_user_cause = why->has_user_cause;
	ctx->user_cause = why->user_cause;
}

/*
 * What a cancel by the current task records: its thread group's pid, NULL
 * for a kthread. Not a reference: kctx_record_why() takes one per node.
 */
static inline struct pid *kctx_current_canceller(void)
{
	return current->flags & PF_KTHREAD ? NULL : task_tgid(current);
}

/*
 * The core's three layers, each calling only those below it (see the head
 * of each file).
 */

/* ctx.c: the node layer, at the bottom */
struct kctx *kctx_alloc(struct kctx *parent, enum kctx_node_kind kind, gfp_t gfp,
			unsigned long site);
struct kctx *kctx_alloc_user_value(struct kctx *parent, u64 key, u64 val, gfp_t gfp,
				   unsigned long site);
struct kctx *kctx_link(struct kctx *ctx);
void kctx_unlink(struct kctx *ctx);
void kctx_timer_stop(struct kctx *ctx);
bool kctx_user_value(const struct kctx *ctx, u64 key, u64 *val);
void kctx_why_get(const struct kctx *ctx, struct kctx_why *why);

/* cancel.c: propagation, above the node layer */
bool kctx_mark_done(struct kctx *ctx, const struct kctx_why *why);
bool kctx_finish(struct kctx *ctx, unsigned int budget);
bool kctx_finish_atomic(struct kctx *ctx, unsigned int budget);
void kctx_end_why(struct kctx *ctx, const struct kctx_why *why);
void kctx_cancel_why(struct kctx *ctx, const struct kctx_why *why);
void kctx_cancel_all(void);

/* deadline.c: deadlines, above propagation */
struct kctx *kctx_alloc_deadline(struct kctx *parent, ktime_t deadline, gfp_t gfp,
				 unsigned long site);
void kctx_deadline_flush(void);
int kctx_deadline_wq_init(void);
void kctx_deadline_wq_exit(void);

/* debugfs.c */
#if IS_ENABLED(CONFIG_KUNIT)
struct kctx *kctx_tree_hold(struct kctx *up, struct kctx *prev);
#endif

/* hook.c */
void kctx_run_hooks(struct hlist_head *hooks);
#ifdef CONFIG_LOCKDEP
extern struct lockdep_map kctx_hook_map;
#endif
/* For the calls a hook must not make (hook.c): they take node locks. */
#define kctx_assert_no_hook()						\
	lockdep_assert(!lock_is_held(&kctx_hook_map))

/* leak.c */
int kctx_leaks_init(void);
void kctx_leaks_exit(void);
int kctx_leaks_add(struct kctx *ctx, gfp_t gfp);
void kctx_leaks_del(struct kctx *ctx);
void kctx_leaks_report(void);

/* user.c */
int kctx_user_charge(kuid_t uid);
void kctx_user_uncharge(kuid_t uid);

/* debugfs.c */
void kctx_debugfs_init(void);
void kctx_debugfs_exit(void);

#endif /* _KCTX_CTX_H */
