// SPDX-License-Identifier: GPL-2.0
/*
 * /sys/kernel/debug/kctx/tree: the live contexts, one per line, indented
 * by depth under the background root: each one's state, deadline, age,
 * how long it has been done, the work attached below it and whether that
 * work has leaked (work.c), and where it was made; under it, one line for
 * each piece of work attached to it, as the stragglers file names them.
 * Done contexts have left the tree; those that still have work attached
 * follow the walk, found through that work, each line with its parent's
 * id. (The stragglers file is work.c's.)
 *
 * The walk reads each list under RCU and takes no node lock, so it is a
 * snapshot only in the loose sense: a node cancelled during the walk may
 * show either state. Nodes are freed at once into a SLAB_TYPESAFE_BY_RCU
 * cache, so a node read from a list may have been freed, even reused as
 * another node, by the time the walk looks at it. So the walk keeps a
 * node only once it holds a reference on it and has seen that it is still
 * on the list it was read from (kctx_tree_hold()); it holds every node of
 * its path that way. A held node stays put, and so does its chain of
 * ancestors, so the walk needs no stack: it goes down to the first child,
 * across to the next sibling, and back up through kctx_up(). A list whose
 * next node moved away meanwhile is cut short there. The walk stops after
 * KCTX_TREE_MAX_LINES nodes, and yields between them.
 */
#include <kunit/visibility.h>
#include <linux/debugfs.h>
#include <linux/sched.h>
#include <linux/seq_file.h>

#include "ctx.h"
#include "work.h"

#define KCTX_TREE_MAX_LINES	4096
#define KCTX_TREE_MAX_INDENT	32

static struct dentry *kctx_debugfs_dir;

/*
 * @ctx's line, @indent spaces in. @held: whether the walk holds one of
 * @ctx's references, not to be shown.
 */
static void kctx_tree_show_line(struct seq_file *m, const struct kctx *ctx,
				unsigned int depth, unsigned int indent, bool held)
{
	unsigned int workers = atomic_read(&ctx->workers);
	int err = kctx_err(ctx);

	seq_printf(m, "%*s%llu %s %s", indent, "",
		   ctx->id, kctx_kind_names[ctx->kind], err ? "done" : "live");
	if (err)
		seq_printf(m, " err=%d cause=%d", err, kctx_cause(ctx));
	if (ctx->deadline != KTIME_MAX)
		seq_printf(m, " deadline_in_ns=%lld",
			   ktime_to_ns(ktime_sub(ctx->deadline, ktime_get())));
	seq_printf(m, " ref=%u depth=%u", refcount_read(&ctx->ref) - held, depth);
	if (ctx == &kctx_bg) {
		seq_putc(m, '\n');
		return;
	}
	seq_printf(m, " parent=%llu age_ms=%u", ctx->parent->id, kctx_age_ms(ctx));
	if (err)
		seq_printf(m, " done_for_ms=%u", kctx_done_for_ms(ctx));
	if (workers)
		seq_printf(m, " workers=%u", workers);
	if (kctx_work_leaked(ctx))
		seq_puts(m, " LEAKED");
	if (ctx->site)
		seq_printf(m, " site=%pS", (void *)ctx->site);
	seq_putc(m, '\n');
}

/* A done context's line, out of the tree: at no indent, at its own depth. */
static void kctx_tree_show_done(struct seq_file *m, const struct kctx *ctx)
{
	kctx_tree_show_line(m, ctx, ctx->depth, 0, false);
}

/* @ctx's line, and one line for each piece of work attached to it. */
static void kctx_tree_show_one(struct seq_file *m, const struct kctx *ctx,
			       unsigned int depth, bool held)
{
	unsigned int indent = min(depth, KCTX_TREE_MAX_INDENT) * 2;

	kctx_tree_show_line(m, ctx, depth, indent, held);
	kctx_work_show(m, ctx, indent + 4);
}

/*
 * The first of @up's children after @prev (from the first if @prev is
 * NULL), with a reference, or NULL. @up is held by the caller, and so is
 * @prev, whose ->sibling.next still leads on even if it was unlinked since.
 * A node whose last reference is gone is stepped over: it is leaving the
 * list. A node that is no longer on @up's list ends the listing, since what
 * follows it may be another list.
 */
VISIBLE_IF_KUNIT struct kctx *kctx_tree_hold(struct kctx *up, struct kctx *prev)
{
	struct hlist_node *pos;
	unsigned int skipped = 0;
	struct kctx *ctx;

	rcu_read_lock();
	pos = prev ? rcu_dereference(hlist_next_rcu(&prev->sibling)) :
		     rcu_dereference(hlist_first_rcu(&up->children));
	for (; pos && skipped < KCTX_TREE_MAX_LINES; skipped++) {
		ctx = hlist_entry(pos, struct kctx, sibling);
		if (refcount_inc_not_zero(&ctx->ref))
			break;
		pos = rcu_dereference(hlist_next_rcu(pos));
	}
	rcu_read_unlock();
	if (!pos || skipped == KCTX_TREE_MAX_LINES)
		return NULL;
	/* This life's fields, not a freed node's: pairs with kctx_alloc(). */
	smp_rmb();
	if (kctx_up(ctx) == up && !hlist_unhashed_lockless(&ctx->sibling))
		return ctx;
	kctx_put(ctx);
	return NULL;
}
EXPORT_SYMBOL_IF_KUNIT(kctx_tree_hold);

static int kctx_tree_show(struct seq_file *m, void *unused)
{
	struct kctx *up = &kctx_bg, *prev = NULL, *ctx;
	unsigned int depth = 0, lines = 1;

	kctx_tree_show_one(m, &kctx_bg, 0, false);
	for (;;) {
		ctx = kctx_tree_hold(up, prev);
		kctx_put(prev);
		prev = NULL;
		if (ctx) {
			if (lines++ == KCTX_TREE_MAX_LINES) {
				seq_puts(m, "... (truncated)\n");
				kctx_put(ctx);
				break;
			}
			kctx_tree_show_one(m, ctx, ++depth, true);
			up = ctx;
		} else if (up != &kctx_bg) {
			/* On to @up's next sibling, on the list above. */
			prev = up;
			up = kctx_up(up);
			depth--;
		} else {
			break;
		}
		cond_resched();
	}
	/* Let go of the path, if the walk stopped short. */
	while (up != &kctx_bg) {
		ctx = up;
		up = kctx_up(up);
		kctx_put(ctx);
	}
	kctx_work_show_done(m, kctx_tree_show_done, KCTX_TREE_MAX_LINES);
	return 0;
}

/* Each file's show function is its inode's private data. */
static int kctx_debugfs_open(struct inode *inode, struct file *file)
{
	return single_open(file, inode->i_private, NULL);
}

/*
 * By hand rather than DEFINE_SHOW_ATTRIBUTE(), for ->read_iter: that lets
 * kernel_read() read the file too, which the tests do. The file touches
 * only kctx's own state, and an open file pins the module through .owner,
 * so it needs none of debugfs's removal protection (hence _unsafe below).
 */
static const struct file_operations kctx_debugfs_fops = {
	.owner = THIS_MODULE,
	.open = kctx_debugfs_open,
	.read_iter = seq_read_iter,
	.llseek = seq_lseek,
	.release = single_release,
};

/**
 * kctx_debugfs_init() - create /sys/kernel/debug/kctx/
 *
 * debugfs is optional: failures are ignored, as debugfs users should.
 *
 * Context: Process context.
 */
void kctx_debugfs_init(void)
{
	kctx_debugfs_dir = debugfs_create_dir("kctx", NULL);
	debugfs_create_file_unsafe("tree", 0400, kctx_debugfs_dir, kctx_tree_show,
				   &kctx_debugfs_fops);
	debugfs_create_file_unsafe("stragglers", 0400, kctx_debugfs_dir,
				   kctx_stragglers_show, &kctx_debugfs_fops);
}

/**
 * kctx_debugfs_exit() - remove /sys/kernel/debug/kctx/
 *
 * Context: Process context.
 */
void kctx_debugfs_exit(void)
{
	debugfs_remove(kctx_debugfs_dir);
}
