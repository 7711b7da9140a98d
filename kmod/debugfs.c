// SPDX-License-Identifier: GPL-2.0
/*
 * /sys/kernel/debug/kctx/tree: the live contexts, one per line, indented
 * by depth under the background root.
 *
 * The walk runs under RCU without taking any node lock, so it is a
 * snapshot only in the loose sense: a node cancelled during the walk may
 * show either state. It needs no stack: it goes down to the first child,
 * across to the next sibling, and up through kctx_up(). It stops after
 * KCTX_TREE_MAX_LINES so a huge tree cannot hold RCU for long.
 */
#include <linux/debugfs.h>
#include <linux/seq_file.h>

#include "ctx.h"

#define KCTX_TREE_MAX_LINES	4096
#define KCTX_TREE_MAX_INDENT	32

static struct dentry *kctx_debugfs_dir;

static void kctx_tree_show_one(struct seq_file *m, const struct kctx *ctx,
			       unsigned int depth)
{
	int err = kctx_err(ctx);

	seq_printf(m, "%*s%llu %s %s", min(depth, KCTX_TREE_MAX_INDENT) * 2, "",
		   ctx->id, kctx_kind_names[ctx->kind], err ? "done" : "live");
	if (err)
		seq_printf(m, " err=%d cause=%d", err, kctx_cause(ctx));
	if (ctx->deadline != KTIME_MAX)
		seq_printf(m, " deadline_in_ns=%lld",
			   ktime_to_ns(ktime_sub(ctx->deadline, ktime_get())));
	seq_printf(m, " ref=%u depth=%u", refcount_read(&ctx->ref), depth);
	if (ctx->site)
		seq_printf(m, " site=%pS", (void *)ctx->site);
	seq_putc(m, '\n');
}

static struct kctx *kctx_first_child(struct kctx *ctx)
{
	RCU_LOCKDEP_WARN(!rcu_read_lock_held(), "kctx tree walk outside RCU");
	return hlist_entry_safe(rcu_dereference(hlist_first_rcu(&ctx->children)),
				struct kctx, sibling);
}

static struct kctx *kctx_next_sibling(struct kctx *ctx)
{
	RCU_LOCKDEP_WARN(!rcu_read_lock_held(), "kctx tree walk outside RCU");
	return hlist_entry_safe(rcu_dereference(hlist_next_rcu(&ctx->sibling)),
				struct kctx, sibling);
}

static int kctx_tree_show(struct seq_file *m, void *unused)
{
	struct kctx *ctx = &kctx_bg, *next;
	unsigned int depth = 0, lines = 0;

	rcu_read_lock();
	while (ctx) {
		if (lines++ == KCTX_TREE_MAX_LINES) {
			seq_puts(m, "... (truncated)\n");
			break;
		}
		kctx_tree_show_one(m, ctx, depth);
		next = kctx_first_child(ctx);
		if (next) {
			depth++;
		} else {
			for (; ctx != &kctx_bg; ctx = kctx_up(ctx), depth--) {
				next = kctx_next_sibling(ctx);
				if (next)
					break;
			}
		}
		ctx = next;
	}
	rcu_read_unlock();
	return 0;
}

static int kctx_tree_open(struct inode *inode, struct file *file)
{
	return single_open(file, kctx_tree_show, NULL);
}

/*
 * By hand rather than DEFINE_SHOW_ATTRIBUTE(), for ->read_iter: that lets
 * kernel_read() read the file too, which the tests do. The file touches
 * only kctx's own state, and an open file pins the module through .owner,
 * so it needs none of debugfs's removal protection (hence _unsafe below).
 */
static const struct file_operations kctx_tree_fops = {
	.owner = THIS_MODULE,
	.open = kctx_tree_open,
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
	debugfs_create_file_unsafe("tree", 0400, kctx_debugfs_dir, NULL, &kctx_tree_fops);
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
