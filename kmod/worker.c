// SPDX-License-Identifier: GPL-2.0
/*
 * Userspace workers: KCTX_IOC_ATTACH's worker fds.
 *
 * A process joins a context's work (Go's WaitGroup.Add) by taking a worker
 * fd, and leaves it when the last copy of that fd is closed or at
 * KCTX_IOC_DETACH. The fd is the worker, rather than the process, because
 * the kernel already ends an fd on each way a process can stop working:
 * exit closes it, exec closes it (it is close-on-exec), and a crash is an
 * exit. A child forked without exec shares it and so keeps the worker,
 * which is what a pre-forking server wants. Nothing needs a hook on exit
 * or exec, and nothing is keyed by task.
 *
 * Each worker is charged to its user like a context (user.c), so that the
 * list of attached work in work.c, which a report walks, is bounded.
 *
 * A worker attached with KCTX_ATTACH_SIGNAL also binds the thread that
 * attached: a hook on the context sends that thread the signal when the
 * context is done, which ends an interruptible sleep that nothing else of
 * kctx's could reach. The hook goes when the worker leaves.
 */
#include <kunit/visibility.h>
#include <linux/anon_inodes.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/sched/task.h>
#include <linux/seq_file.h>
#include <linux/signal.h>
#include <linux/slab.h>
#include <uapi/linux/kctx.h>

#include "file.h"
#include "work.h"
#include "worker.h"

/*
 * struct kctx_worker - the file behind a worker fd
 *
 * Lock legend:
 *   I: set before the file is installed, then immutable.
 *   A: atomic.
 *   C: on the context's hook list under its lock (hook.c).
 */
struct kctx_worker {
	struct kctx_work work;		/* I: .ctx and .task hold references */
	atomic_t attached;		/* A: 1 from the attach to the first detach */
	kuid_t charged;			/* I */
	int signal;			/* I: KCTX_ATTACH_SIGNAL's, or 0 */
	struct kctx_hook interrupt;	/* C: with @signal, from attach to leave */
};

static const struct file_operations kctx_worker_fops;

/* The one detach of @wk, whichever of KCTX_IOC_DETACH and release comes first. */
static void kctx_worker_leave(struct kctx_worker *wk)
{
	if (!atomic_xchg(&wk->attached, 0))
		return;
	/* Unbound first: a thread that has left is not interrupted. */
	if (wk->signal)
		kctx_hook_del(wk->work.ctx, &wk->interrupt);
	kctx_work_detach(&wk->work);
}

/*
 * The context is done: interrupt the bound thread. Only the signal's
 * delivery can fail, for a thread that has exited since, and then there is
 * nothing to interrupt.
 */
static void kctx_worker_interrupt(struct kctx_hook *hook)
{
	struct kctx_worker *wk = container_of(hook, struct kctx_worker, interrupt);

	send_sig_info(wk->signal, SEND_SIG_PRIV, wk->work.task);
}

static int kctx_worker_release(struct inode *inode, struct file *file)
{
	struct kctx_worker *wk = file->private_data;

	kctx_worker_leave(wk);
	put_task_struct(wk->work.task);
	kctx_put(wk->work.ctx);
	kctx_user_uncharge(wk->charged);
	kfree(wk);
	return 0;
}

static long kctx_worker_ioctl(struct file *file, unsigned int cmd, unsigned long arg)
{
	return kctx_ioctl(file, cmd, arg);
}

static void kctx_worker_show_fdinfo(struct seq_file *m, struct file *file)
{
	struct kctx_worker *wk = file->private_data;

	seq_printf(m, "ctx_id:\t%llu\n", wk->work.ctx->id);
	seq_printf(m, "attached:\t%d\n", atomic_read(&wk->attached));
	seq_printf(m, "since_ns:\t%lld\n", ktime_to_ns(wk->work.since));
	seq_printf(m, "signal:\t%d\n", wk->signal);
}

static const struct file_operations kctx_worker_fops = {
	.owner = THIS_MODULE,
	.release = kctx_worker_release,
	.unlocked_ioctl = kctx_worker_ioctl,
	.compat_ioctl = compat_ptr_ioctl,
	.show_fdinfo = kctx_worker_show_fdinfo,
	.llseek = noop_llseek,
};

/**
 * kctx_file_worker() - whether a file is a worker fd's
 * @file: any kctx file
 *
 * Context: Any context.
 * Return: true for a worker file.
 */
bool kctx_file_worker(const struct file *file)
{
	return file->f_op == &kctx_worker_fops;
}

/**
 * kctx_worker_create() - attach the current task to a context as a worker
 * @ctx: the context
 * @signal: a valid signal to send the current thread when @ctx is done
 *	    (KCTX_ATTACH_SIGNAL), or 0
 *
 * Charges the caller's user, builds the file, and attaches last, so that
 * a refusal or a failure leaves nothing attached, counted or charged. The
 * caller has reserved the fd, and installs the file.
 *
 * Context: Process context; sleeps.
 * Return: the worker file; ERR_PTR(kctx_err(@ctx)) if @ctx is done,
 * -ENOSPC at the user's cap, or -ENOMEM.
 */
struct file *kctx_worker_create(struct kctx *ctx, int signal)
{
	kuid_t uid = current_uid();
	struct kctx_worker *wk;
	struct file *file;
	int err;

	/* Refused at once, at no cost; kctx_work_attach() settles races. */
	err = kctx_err(ctx);
	if (err)
		return ERR_PTR(err);
	err = kctx_user_charge(uid);
	if (err)
		return ERR_PTR(err);
	wk = kzalloc(sizeof(*wk), GFP_KERNEL_ACCOUNT);
	if (!wk) {
		err = -ENOMEM;
		goto err_uncharge;
	}
	wk->charged = uid;
	wk->work.ctx = kctx_get(ctx);
	wk->work.task = get_task_struct(current);
	file = anon_inode_getfile("[kctx-worker]", &kctx_worker_fops, wk, O_RDWR);
	if (IS_ERR(file)) {
		err = PTR_ERR(file);
		goto err_free;
	}
	err = kctx_work_attach(&wk->work, ctx, current, NULL, false);
	if (err) {
		fput(file);	/* never attached: release only frees */
		return ERR_PTR(err);
	}
	atomic_set(&wk->attached, 1);
	if (signal) {
		wk->signal = signal;
		wk->interrupt.fn = kctx_worker_interrupt;
		/* Done since the attach: the thread is interrupted at once. */
		if (!kctx_hook_add(ctx, &wk->interrupt))
			send_sig_info(signal, SEND_SIG_PRIV, current);
	}
	return file;

err_free:
	put_task_struct(wk->work.task);
	kctx_put(ctx);
	kfree(wk);
err_uncharge:
	kctx_user_uncharge(uid);
	return ERR_PTR(err);
}
EXPORT_SYMBOL_IF_KUNIT(kctx_worker_create);

/**
 * kctx_worker_detach() - KCTX_IOC_DETACH: the worker behind @file leaves
 * @file: a worker file
 *
 * Context: Process context; takes a mutex.
 */
void kctx_worker_detach(struct file *file)
{
	kctx_worker_leave(file->private_data);
}
EXPORT_SYMBOL_IF_KUNIT(kctx_worker_detach);
