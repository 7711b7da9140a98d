// SPDX-License-Identifier: GPL-2.0
/*
 * Naming the contexts that outlive kctx.
 *
 * A consumer module can leak a context: a reference it never puts, or a
 * kctx_kthread_run() thread it never reaps. Such a node can't be freed when
 * kctx is unloaded, and the slab alone would only say that objects remain.
 * So kctx counts its live nodes, always, and says at unload how many are
 * left. The count is per CPU: an increment where a node is made and a
 * decrement where its last reference goes, no atomic and no shared line.
 *
 * To name them, each node must be findable after it left the tree, which
 * a done node does. With leak_report=1 every node also goes into an
 * xarray indexed by its id, so the report can give each leaked context's
 * id, kind, state, references and the function that made it. That costs a
 * global lock at every create and free, so it is on by default only on
 * kernels built to hunt leaks (CONFIG_DEBUG_KMEMLEAK), and otherwise one
 * module parameter away.
 *
 * The function that made a leaked context is usually in the consumer
 * module, which is gone by the time kctx unloads, and with it the symbol.
 * So the registry is also read when any module unloads: the contexts it
 * made that are still held are named then, while its symbols resolve.
 *
 * A node leaves the xarray at its release, under the xarray's lock, before
 * it is freed; so a walker that holds that lock may read whatever it finds.
 */
#include <linux/jump_label.h>
#include <linux/kallsyms.h>
#include <linux/module.h>
#include <linux/percpu.h>
#include <linux/xarray.h>

#include "ctx.h"

#define KCTX_LEAKS_NAMED	32
/* Registry entries looked at per RCU read-side section. */
#define KCTX_LEAKS_SLICE	64

static bool leak_report = IS_ENABLED(CONFIG_DEBUG_KMEMLEAK);
module_param(leak_report, bool, 0444);
MODULE_PARM_DESC(leak_report,
		 "name each context still held when kctx is unloaded, and its creation site; costs a global lock per create and free (default: on with CONFIG_DEBUG_KMEMLEAK)");

static DEFINE_PER_CPU(long, kctx_nr_live);
static DEFINE_STATIC_KEY_FALSE(kctx_leak_tracking);
/* Nodes are freed in RCU callbacks and may be made in hard irq. */
static DEFINE_XARRAY_FLAGS(kctx_live, XA_FLAGS_LOCK_IRQ);

/* One line naming @ctx, which the caller keeps from being freed. */
static void kctx_leak_show(const struct kctx *ctx)
{
	unsigned int refs = refcount_read(&ctx->ref);

	pr_err("kctx:   context %llu (%s, %s, %u reference%s, parent %llu) made by %pS\n",
	       ctx->id, kctx_kind_names[ctx->kind], kctx_err(ctx) ? "done" : "live",
	       refs, refs == 1 ? "" : "s", ctx->parent->id, (void *)ctx->site);
}

#ifdef CONFIG_MODULES
/*
 * A module is going: name the contexts it made that are still held. The
 * walk covers every registered node, KCTX_LEAKS_SLICE at a time under the
 * xarray's lock, so a big registry costs time here but never a long
 * stretch without a resched.
 */
static int kctx_leaks_module_going(struct notifier_block *nb, unsigned long state,
				   void *data)
{
	struct module *mod = data;
	XA_STATE(xas, &kctx_live, 0);
	unsigned int step = 0, nr = 0;
	struct kctx *ctx;

	if (state != MODULE_STATE_GOING)
		return NOTIFY_DONE;
	xas_lock_irq(&xas);
	xas_for_each(&xas, ctx, ULONG_MAX) {
		if (within_module(ctx->site, mod)) {
			if (!nr++)
				pr_err("kctx: %s is unloading with contexts it made still held:\n",
				       mod->name);
			if (nr <= KCTX_LEAKS_NAMED)
				kctx_leak_show(ctx);
		}
		if (++step % KCTX_LEAKS_SLICE)
			continue;
		xas_pause(&xas);
		xas_unlock_irq(&xas);
		cond_resched();
		xas_lock_irq(&xas);
	}
	xas_unlock_irq(&xas);
	if (nr > KCTX_LEAKS_NAMED)
		pr_err("kctx:   and %u more\n", nr - KCTX_LEAKS_NAMED);
	return NOTIFY_DONE;
}

static struct notifier_block kctx_leaks_nb = {
	.notifier_call = kctx_leaks_module_going,
};

static int kctx_leaks_watch_modules(void)
{
	return register_module_notifier(&kctx_leaks_nb);
}

static void kctx_leaks_unwatch_modules(void)
{
	unregister_module_notifier(&kctx_leaks_nb);
}
#else
/* Built in (the UML KUnit kernel): no module comes or goes to be named. */
static int kctx_leaks_watch_modules(void)
{
	return 0;
}

static void kctx_leaks_unwatch_modules(void)
{
}
#endif

/**
 * kctx_leaks_init() - turn the registry on if leak_report asks for it
 *
 * Context: Process context, at module init, before any node is made.
 * Return: 0, or the module notifier's error.
 */
int kctx_leaks_init(void)
{
	if (!leak_report)
		return 0;
	static_branch_enable(&kctx_leak_tracking);
	return kctx_leaks_watch_modules();
}

/**
 * kctx_leaks_exit() - undo kctx_leaks_init()
 *
 * Context: Process context, at module exit or a failed init.
 */
void kctx_leaks_exit(void)
{
	if (leak_report)
		kctx_leaks_unwatch_modules();
}

/**
 * kctx_leaks_add() - count a new node, and with leak_report register it
 * @ctx: the node, its ->id set
 * @gfp: the node's own allocation flags
 *
 * Context: Any context that @gfp allows.
 * Return: 0, or -ENOMEM; then the node must be freed without
 * kctx_leaks_del().
 */
int kctx_leaks_add(struct kctx *ctx, gfp_t gfp)
{
	unsigned long flags;
	void *old;

	if (static_branch_unlikely(&kctx_leak_tracking)) {
		/* xa_store_irq(), but fit for callers with interrupts off too. */
		xa_lock_irqsave(&kctx_live, flags);
		old = __xa_store(&kctx_live, ctx->id, ctx, gfp);
		xa_unlock_irqrestore(&kctx_live, flags);
		if (xa_is_err(old))
			return xa_err(old);
	}
	this_cpu_inc(kctx_nr_live);
	return 0;
}

/**
 * kctx_leaks_del() - forget a node whose last reference is gone
 * @ctx: the node, not yet freed
 *
 * Context: Any context.
 */
void kctx_leaks_del(struct kctx *ctx)
{
	unsigned long flags;

	this_cpu_dec(kctx_nr_live);
	if (static_branch_unlikely(&kctx_leak_tracking)) {
		xa_lock_irqsave(&kctx_live, flags);
		__xa_erase(&kctx_live, ctx->id);
		xa_unlock_irqrestore(&kctx_live, flags);
	}
}

/**
 * kctx_leaks_report() - say which contexts are still held, at module exit
 *
 * Every node that could be freed has been: nothing else runs, and a node
 * is freed at its last put. Whatever is left is held by somebody who never
 * let go.
 * The first line's form, "kctx: N context(s) still held at unload", is
 * what the test harness looks for. A maker in a module already unloaded
 * shows as a bare address; that module's unload named it.
 *
 * Context: Process context, at module exit; sleeps between lines.
 */
void kctx_leaks_report(void)
{
	bool named = static_branch_unlikely(&kctx_leak_tracking);
	unsigned long id, shown = 0;
	struct kctx *ctx;
	long nr = 0;
	int cpu;

	for_each_possible_cpu(cpu)
		nr += per_cpu(kctx_nr_live, cpu);
	if (nr) {
		pr_err("kctx: %ld context%s still held at unload%s\n", nr, nr == 1 ? "" : "s",
		       named ? ":" : "; load kctx with leak_report=1 to name them");
	}
	xa_for_each(&kctx_live, id, ctx) {
		if (shown++ == KCTX_LEAKS_NAMED) {
			pr_err("kctx:   and %ld more\n", nr - KCTX_LEAKS_NAMED);
			break;
		}
		kctx_leak_show(ctx);
		cond_resched();
	}
	xa_destroy(&kctx_live);
}
