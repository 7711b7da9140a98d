// SPDX-License-Identifier: GPL-2.0
/*
 * How long a cancel keeps interrupts off at the context itself, measured
 * from inside the kernel, for ubench's WatchCancel rows.
 *
 * The stock kernel has no irqsoff tracer, so the stretch is bracketed
 * instead. kctx_mark_done() takes the node's lock with interrupts off,
 * moves the hooks off, runs them, unlocks, completes ->done and only then
 * fires the kctx_cancel tracepoint. Arming adds a hook of ours, which is
 * the newest and so runs first (hooks go on the head of the list); a probe
 * on that tracepoint marks the end. What lies between the two is every
 * other hook of the node (the uapi's one wake-up of every poller, however
 * many fds there are), the unlock, complete_all() and the deadline's stop:
 * it contains the node-locked part of the stretch and then some, so it
 * bounds that part from above. Left out is what comes before the first hook: the
 * lock itself and a few stores, none of which depends on the fds.
 *
 * The tracepoint's probe is registered while the file is open, not for
 * each measurement: under TCG, flipping its static key patches kernel text,
 * and running the patched code anew would be measured with it. Through
 * debugfs, from the process that holds the context fd, one opener at a time:
 *   open /sys/kernel/debug/kctx_bench/irqsoff     the probe is registered
 *   write "FD"                                    arm, for fd FD's context
 *   pread at offset 0                             the last stretch in ns
 *                                                 (ENODATA if none); disarm
 *   close                                         the probe goes
 */
#include <linux/debugfs.h>
#include <linux/fs.h>
#include <linux/kctx.h>
#include <linux/kernel.h>
#include <linux/ktime.h>
#include <linux/mutex.h>
#include <linux/tracepoint.h>
#include <linux/uaccess.h>

#include "bench.h"
#include "kmod/kctx_trace.h"

/* The lock legend: M is kb_stretch_lock; T is written by the cancel alone. */
static struct kb_stretch {
	bool open;		/* M: the probe is registered */
	struct kctx *ctx;	/* M: armed on, holding a reference; or NULL */
	struct kctx_hook hook;	/* M */
	u64 t_hook, t_end;	/* T: ktime_get_ns(); t_end 0 until it fired */
} kb_stretch;
static DEFINE_MUTEX(kb_stretch_lock);

static void kb_stretch_hook(struct kctx_hook *hook)
{
	WRITE_ONCE(kb_stretch.t_hook, ktime_get_ns());
}

/*
 * Every kctx_cancel event comes here while the file is open. Arming
 * another context while the last one's cancel is still under way could
 * take that cancel's end for the new one's; ubench reads each stretch
 * only after its cancel has returned.
 */
static void kb_stretch_end(void *data, const struct kctx *ctx, int err, int cause)
{
	if (ctx == READ_ONCE(kb_stretch.ctx) && !READ_ONCE(kb_stretch.t_end))
		WRITE_ONCE(kb_stretch.t_end, ktime_get_ns());
}

static void kb_stretch_disarm(void)
{
	struct kctx *ctx = kb_stretch.ctx;

	lockdep_assert_held(&kb_stretch_lock);
	if (!ctx)
		return;
	WRITE_ONCE(kb_stretch.ctx, NULL);
	kctx_hook_del(ctx, &kb_stretch.hook);
	kctx_fdput(ctx);
}

static int kb_stretch_open(struct inode *inode, struct file *file)
{
	int err;

	mutex_lock(&kb_stretch_lock);
	err = kb_stretch.open ? -EBUSY : register_trace_kctx_cancel(kb_stretch_end, NULL);
	if (!err)
		kb_stretch.open = true;
	mutex_unlock(&kb_stretch_lock);
	return err;
}

static int kb_stretch_release(struct inode *inode, struct file *file)
{
	mutex_lock(&kb_stretch_lock);
	kb_stretch_disarm();
	unregister_trace_kctx_cancel(kb_stretch_end, NULL);
	tracepoint_synchronize_unregister();
	kb_stretch.open = false;
	mutex_unlock(&kb_stretch_lock);
	return 0;
}

static ssize_t kb_stretch_write(struct file *file, const char __user *buf,
				size_t count, loff_t *ppos)
{
	struct kctx *ctx;
	int fd, err;

	err = kstrtoint_from_user(buf, count, 10, &fd);
	if (err)
		return err;
	ctx = kctx_fdget(fd);
	if (IS_ERR(ctx))
		return PTR_ERR(ctx);
	mutex_lock(&kb_stretch_lock);
	kb_stretch_disarm();
	kb_stretch.t_hook = 0;
	kb_stretch.t_end = 0;
	kb_stretch.hook.fn = kb_stretch_hook;
	if (kctx_hook_add(ctx, &kb_stretch.hook)) {
		/* Before the cancel the caller makes next; the probe reads it. */
		WRITE_ONCE(kb_stretch.ctx, ctx);
		ctx = NULL;
	}
	mutex_unlock(&kb_stretch_lock);
	if (ctx) {
		kctx_fdput(ctx);
		return -EALREADY;	/* done already: nothing to measure */
	}
	return count;
}

static ssize_t kb_stretch_read(struct file *file, char __user *buf,
			       size_t count, loff_t *ppos)
{
	u64 t_hook, t_end;
	char out[24];
	int len;

	if (*ppos)
		return 0;
	mutex_lock(&kb_stretch_lock);
	t_hook = READ_ONCE(kb_stretch.t_hook);
	t_end = READ_ONCE(kb_stretch.t_end);
	kb_stretch_disarm();
	mutex_unlock(&kb_stretch_lock);
	if (!t_hook || !t_end)
		return -ENODATA;
	len = scnprintf(out, sizeof(out), "%llu\n", t_end - t_hook);
	return simple_read_from_buffer(buf, count, ppos, out, len);
}

static const struct file_operations kb_stretch_fops = {
	.owner = THIS_MODULE,
	.open = kb_stretch_open,
	.release = kb_stretch_release,
	.write = kb_stretch_write,
	.read = kb_stretch_read,
};

/* The file holds the module while open, so exit has nothing to undo. */
void kb_stretch_init(struct dentry *dir)
{
	debugfs_create_file("irqsoff", 0600, dir, NULL, &kb_stretch_fops);
}
