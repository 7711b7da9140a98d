/* SPDX-License-Identifier: GPL-2.0 */
/*
 * kctx: Go-style contexts for the kernel.
 *
 * A context carries cancellation, a deadline and values down a tree. Work
 * done for a context stops when the context, or any ancestor, is cancelled
 * or reaches its deadline. See Documentation/kernel-api.rst.
 */
#ifndef _LINUX_KCTX_H
#define _LINUX_KCTX_H

#include <asm/barrier.h>
#include <linux/ktime.h>
#include <linux/list.h>
#include <linux/sched.h>
#include <linux/types.h>
#include <linux/wait.h>
#include <linux/workqueue.h>
#include <uapi/linux/kctx.h>

struct kctx;

/**
 * struct kctx_head - the part of a context that its checks read
 * @err: 0 while the context is live; set once, with a release store, to
 *	 -ECANCELED or -ETIMEDOUT when it becomes done
 * @cause: what kctx_cause() reports; written before @err is released
 *
 * Every struct kctx starts with this, and the rest of it is kctx's own.
 * It is here only so that kctx_err(), kctx_cause() and kctx_done() can be
 * inline loads: a check in a loop costs what Go's and C++'s do, not a call.
 * Read it through those three, never directly.
 */
struct kctx_head {
	int err;
	int cause;
};

/* The head of @ctx; kmod/ctx.h asserts that struct kctx starts with it. */
static inline const struct kctx_head *__kctx_head(const struct kctx *ctx)
{
	return (const struct kctx_head *)ctx;
}

/**
 * kctx_err() - why a context is done
 * @ctx: the context
 *
 * An acquire load: a caller that sees an error also sees everything the
 * canceller wrote before it made the context done, the cause included.
 *
 * Context: Any context.
 * Return: 0 while @ctx is live, -ECANCELED once it was cancelled, or
 * -ETIMEDOUT once its deadline, or an ancestor's, passed.
 */
static inline int kctx_err(const struct kctx *ctx)
{
	/* Pairs with the release store in kctx_mark_done(). */
	return smp_load_acquire(&__kctx_head(ctx)->err);
}

/**
 * kctx_cause() - the cause given to the cancel that reached a context
 * @ctx: the context
 *
 * The first cancel that took effect, on @ctx or on the ancestor whose
 * cancel reached it, decides the cause for good.
 *
 * Context: Any context.
 * Return: 0 while @ctx is live; otherwise the cause passed to
 * kctx_cancel_cause(), which equals kctx_err() when none was given.
 */
static inline int kctx_cause(const struct kctx *ctx)
{
	/* ->cause was written before ->err's release: stable once it is seen. */
	return kctx_err(ctx) ? READ_ONCE(__kctx_head(ctx)->cause) : 0;
}

/**
 * kctx_done() - whether a context is done
 * @ctx: the context
 *
 * Context: Any context.
 * Return: true once @ctx is cancelled or past its deadline.
 */
static inline bool kctx_done(const struct kctx *ctx)
{
	return kctx_err(ctx) != 0;
}

/**
 * struct kctx_hook - a function run the moment a context becomes done
 * @node: entry on the context's hook list; owned by kctx
 * @fn: called once, with the context's lock held and interrupts off (on
 *	PREEMPT_RT, where that spinlock_t is a sleeping lock, preemptible)
 *
 * The low-level notification that waiters and after-funcs are built on.
 * @fn runs in the context of whoever cancels, which may be a hard irq for a
 * deadline, so it must not sleep. It may wake a task, queue work, signal an
 * eventfd, send a signal and read kctx_err(), kctx_cause() and kctx_done();
 * it must not call any other kctx function (kctx_put(), kctx_hook_add(),
 * kctx_hook_del(), constructors, cancels), on any context: those take node
 * locks, which never nest. With lockdep, kctx checks this. A spinlock_t may
 * be taken, as those calls do, a mutex not; since a deadline runs hooks in
 * hard irq, any lock a hook takes must be taken with interrupts off
 * everywhere (spin_lock_irqsave() or spin_lock_irq()). On PREEMPT_RT
 * neither interrupts nor preemption are off, so per-CPU data wants its
 * own guard.
 */
struct kctx_hook {
	struct hlist_node node;
	void (*fn)(struct kctx_hook *hook);
};

/**
 * struct kctx_callback - an after-func registration, Go's AfterFunc
 * @hook: fires when the context is done and queues @work
 * @work: runs @fn in process context
 * @fn: the function registered with kctx_after_func()
 * @ctx: the context, referenced while the registration is live
 *
 * Embed it in the object the callback works on. All fields are kctx's.
 */
struct kctx_callback {
	struct kctx_hook hook;
	struct work_struct work;
	void (*fn)(struct kctx_callback *cb);
	struct kctx *ctx;
};

/**
 * struct kctx_waiter - a sleeping task woken when a context is done
 * @hook: fires when the context is done and wakes @task
 * @task: the task to wake
 *
 * Used by the kctx_wait_event*() macros; callers don't touch it.
 */
struct kctx_waiter {
	struct kctx_hook hook;
	struct task_struct *task;
};

struct kctx *kctx_background(void);
struct kctx *kctx_todo(void);
struct kctx *kctx_with_cancel(struct kctx *parent, gfp_t gfp);
struct kctx *kctx_with_deadline(struct kctx *parent, ktime_t deadline, gfp_t gfp);
struct kctx *kctx_with_timeout(struct kctx *parent, u64 timeout_ns, gfp_t gfp);
struct kctx *kctx_with_value(struct kctx *parent, const void *key, void *val,
			     gfp_t gfp);
struct kctx *kctx_without_cancel(struct kctx *parent, gfp_t gfp);

struct kctx *kctx_get(struct kctx *ctx);
void kctx_put(struct kctx *ctx);

struct kctx *kctx_fdget(int fd);
void kctx_fdput(struct kctx *ctx);

void kctx_cancel(struct kctx *ctx);
void kctx_cancel_cause(struct kctx *ctx, int cause);
int kctx_cancel_wait(struct kctx *ctx, int cause, u64 timeout_ns);

bool kctx_deadline(const struct kctx *ctx, ktime_t *deadline);
void *kctx_value(const struct kctx *ctx, const void *key);
u64 kctx_id(const struct kctx *ctx);

int kctx_wait(struct kctx *ctx);
long kctx_wait_timeout(struct kctx *ctx, long timeout_jiffies);

bool kctx_hook_add(struct kctx *ctx, struct kctx_hook *hook);
bool kctx_hook_del(struct kctx *ctx, struct kctx_hook *hook);

void kctx_after_func(struct kctx *ctx, struct kctx_callback *cb,
		     void (*fn)(struct kctx_callback *cb));
bool kctx_after_func_stop(struct kctx_callback *cb);
bool kctx_after_func_stop_sync(struct kctx_callback *cb);

void kctx_waiter_start(struct kctx *ctx, struct kctx_waiter *w);
void kctx_waiter_finish(struct kctx *ctx, struct kctx_waiter *w);

/*
 * The kctx_wait_event*() family wraps the wait_event*() macro of the same
 * suffix. The sleeper is also woken when @ctx is done; the condition wins
 * when both hold. __kctx_met records which of the two ended the wait, so
 * @condition is evaluated exactly as often as wait_event*() would.
 */
#define __kctx_wait_event(ctx, wait, ...)				\
({									\
	struct kctx *__kctx_ctx = (ctx);				\
	struct kctx_waiter __kctx_w;					\
	bool __kctx_met = false;					\
	long __kctx_ret;						\
									\
	kctx_waiter_start(__kctx_ctx, &__kctx_w);			\
	__kctx_ret = wait(__VA_ARGS__);					\
	kctx_waiter_finish(__kctx_ctx, &__kctx_w);			\
	if (__kctx_ret >= 0 && !__kctx_met)				\
		__kctx_ret = kctx_err(__kctx_ctx) ?: __kctx_ret;	\
	__kctx_ret;							\
})

/* Only inside __kctx_wait_event(), which defines both names. */
#define __kctx_cond(condition)						\
	((__kctx_met = (condition)) || kctx_done(__kctx_ctx))

#define __kctx_wait_void(wq, condition)					\
({									\
	wait_event(wq, condition);					\
	0;								\
})

/**
 * kctx_wait_event - sleep until a condition holds or a context is done
 * @ctx: the context
 * @wq: the wait queue that @condition's writer wakes
 * @condition: a C expression for the event to wait for
 *
 * Sleeps in TASK_UNINTERRUPTIBLE, yet still wakes when @ctx is done.
 *
 * Context: Process context; sleeps.
 * Return: 0 if @condition became true, else @ctx's error.
 */
#define kctx_wait_event(ctx, wq, condition)				\
	((int)__kctx_wait_event(ctx, __kctx_wait_void, wq,		\
				__kctx_cond(condition)))

/**
 * kctx_wait_event_interruptible - kctx_wait_event(), also broken by signals
 * @ctx: the context
 * @wq: the wait queue that @condition's writer wakes
 * @condition: a C expression for the event to wait for
 *
 * Context: Process context; sleeps.
 * Return: 0 if @condition became true, -ERESTARTSYS on a signal, else
 * @ctx's error.
 */
#define kctx_wait_event_interruptible(ctx, wq, condition)		\
	((int)__kctx_wait_event(ctx, wait_event_interruptible, wq,	\
				__kctx_cond(condition)))

/**
 * kctx_wait_event_killable - kctx_wait_event(), also broken by fatal signals
 * @ctx: the context
 * @wq: the wait queue that @condition's writer wakes
 * @condition: a C expression for the event to wait for
 *
 * Context: Process context; sleeps.
 * Return: 0 if @condition became true, -ERESTARTSYS on a fatal signal,
 * else @ctx's error.
 */
#define kctx_wait_event_killable(ctx, wq, condition)			\
	((int)__kctx_wait_event(ctx, wait_event_killable, wq,		\
				__kctx_cond(condition)))

/**
 * kctx_wait_event_timeout - kctx_wait_event() with a timeout
 * @ctx: the context
 * @wq: the wait queue that @condition's writer wakes
 * @condition: a C expression for the event to wait for
 * @timeout: in jiffies
 *
 * Context: Process context; sleeps.
 * Return: the remaining jiffies (at least 1) if @condition became true, 0
 * if the timeout elapsed, else @ctx's error.
 */
#define kctx_wait_event_timeout(ctx, wq, condition, timeout)		\
	__kctx_wait_event(ctx, wait_event_timeout, wq,			\
			  __kctx_cond(condition), timeout)

/**
 * kctx_wait_event_interruptible_timeout - the interruptible variant of
 * kctx_wait_event_timeout()
 * @ctx: the context
 * @wq: the wait queue that @condition's writer wakes
 * @condition: a C expression for the event to wait for
 * @timeout: in jiffies
 *
 * Context: Process context; sleeps.
 * Return: the remaining jiffies (at least 1) if @condition became true, 0
 * if the timeout elapsed, -ERESTARTSYS on a signal, else @ctx's error.
 */
#define kctx_wait_event_interruptible_timeout(ctx, wq, condition, timeout) \
	__kctx_wait_event(ctx, wait_event_interruptible_timeout, wq,	\
			  __kctx_cond(condition), timeout)

/*
 * Kernel threads bound to a context (kmod/kthread.c, kmod/group.c).
 * See Documentation/kthreads.rst.
 */
#include <linux/signal_types.h>

/**
 * struct kctx_work - work attached to a context, which kctx_cancel_wait()
 * waits for
 * @node: on kctx's list of attached work
 * @ctx: the context it is attached to
 * @task: the task that does it
 * @fn: the function it runs, for reports, or NULL
 * @since: when it attached, on CLOCK_MONOTONIC
 *
 * All fields are kctx's.
 */
struct kctx_work {
	struct list_head node;
	struct kctx *ctx;
	struct task_struct *task;
	void *fn;
	ktime_t since;
};

/**
 * struct kctx_binding - ties the current kthread's sleeps to a context
 * @hook: fires when the context is done and signals the thread
 * @work: the thread, attached as work to the context, which is referenced
 *	while bound
 * @outer: the binding this one nests in, on threads kctx started
 * @saved: the SIGKILL disposition to restore on unbind
 * @restore: whether to restore @saved
 * @replaces: made by kctx_rebind_current(): the outer bindings are on hold
 * @sent: the binding sent the thread's pending SIGKILL, which unbinding
 *	takes back; one that was pending before is left alone
 *
 * Filled in by kctx_bind_current() or kctx_rebind_current(); callers only
 * provide the memory, which may be on the stack. All fields are kctx's.
 */
struct kctx_binding {
	struct kctx_hook hook;
	struct kctx_work work;
	struct kctx_binding *outer;
	__sighandler_t saved;
	bool restore;
	bool replaces;
	bool sent;
};

int __must_check kctx_bind_current(struct kctx *ctx, struct kctx_binding *b);
int __must_check kctx_rebind_current(struct kctx *ctx, struct kctx_binding *b);
void kctx_unbind_current(struct kctx_binding *b);

__printf(4, 5)
struct task_struct *kctx_kthread_run(struct kctx *ctx,
				     int (*fn)(struct kctx *ctx, void *data),
				     void *data, const char *namefmt, ...);
int kctx_kthread_stop(struct task_struct *task);
int kctx_kthread_wait(struct task_struct *task);

struct kctx_group;

struct kctx_group *kctx_group_new(struct kctx *parent, gfp_t gfp);
int kctx_group_go(struct kctx_group *g, int (*fn)(struct kctx *ctx, void *data),
		  void *data, const char *name);
void kctx_group_set_limit(struct kctx_group *g, int n);
int kctx_group_wait(struct kctx_group *g);
void kctx_group_free(struct kctx_group *g);
struct kctx *kctx_group_ctx(struct kctx_group *g);

#endif /* _LINUX_KCTX_H */
