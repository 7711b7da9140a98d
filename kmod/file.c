// SPDX-License-Identifier: GPL-2.0
/*
 * Context file descriptors.
 *
 * Each fd is an anon-inode file, like timerfd and pidfd. An owner fd may
 * cancel, create children and attach eventfds; a watch-only fd may only
 * observe. A context has at most one owner file, which dup(), fork() and
 * SCM_RIGHTS share, so "the last owner fd closed" is that file's release:
 * it ends the context, of any kind, with the cause -EOWNERDEAD, whoever
 * closed it and however the process ended. Every file of one context
 * shares one struct kctx_uctx, which holds the context's reference, its
 * pollers and its eventfds.
 */
#include <linux/anon_inodes.h>
#include <linux/eventfd.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/kctx.h>
#include <linux/poll.h>
#include <linux/sched.h>
#include <linux/seq_file.h>
#include <linux/slab.h>

#include "compat.h"
#include "file.h"
#include "status.h"
#include "work.h"

/* An eventfd attached with KCTX_ATTACH_EVENTFD. */
struct kctx_eventfd {
	struct kctx_hook hook;
	struct eventfd_ctx *efd;
	struct list_head node;
};

static const struct file_operations kctx_owner_fops, kctx_watch_fops;

/* The userspace side of the context behind @file, or NULL if it is not a context fd. */
static struct kctx_uctx *kctx_uctx_of(struct file *file)
{
	if (file->f_op != &kctx_owner_fops && file->f_op != &kctx_watch_fops)
		return NULL;
	return file->private_data;
}

/**
 * kctx_file_owner() - whether a context file is its context's owner file
 * @file: a context file
 *
 * Owners and watchers differ in their file_operations alone, so that both
 * are O_RDWR files to the VFS and behave alike where kctx says nothing
 * (read() and write() fail with EINVAL on either).
 *
 * Context: Any context.
 * Return: true for the owner file.
 */
bool kctx_file_owner(const struct file *file)
{
	return file->f_op == &kctx_owner_fops;
}

static void kctx_uctx_wake(struct kctx_hook *hook)
{
	struct kctx_uctx *uc = container_of(hook, struct kctx_uctx, done);

	/* First, so that a poller the wakeup ends finds the page done. */
	kctx_status_done(uc);
	wake_up_poll(&uc->poll_wait, EPOLLIN | EPOLLRDNORM);
}

/*
 * Called for every wake_up_var() on the hashed queue that @uc->drained is
 * on; only @uc->ctx's count reaching zero concerns it. Under the queue's
 * lock, so the entry can take itself off.
 */
static int kctx_uctx_drained_wake(struct wait_queue_entry *entry, unsigned int mode,
				  int flags, void *arg)
{
	struct kctx_uctx *uc = container_of(entry, struct kctx_uctx, drained.wq_entry);
	struct wait_bit_key *key = arg;

	if (key->flags != uc->drained.key.flags || key->bit_nr != uc->drained.key.bit_nr)
		return 0;
	list_del_init(&entry->entry);
	wake_up_poll(&uc->poll_wait, EPOLLHUP);
	return 0;
}

/*
 * Whether @uc->ctx, done, has no work attached below it. If some is, make
 * sure the count's reaching zero wakes the pollers: the entry goes on the
 * queue first, then the count is read again (wake_up_var() has the
 * matching barrier), so the wakeup can't fall between the two.
 */
static bool kctx_uctx_drained(struct kctx_uctx *uc)
{
	struct wait_queue_head *wq = __var_waitqueue(&uc->ctx->workers);
	unsigned long flags;

	if (!atomic_read(&uc->ctx->workers))
		return true;
	spin_lock_irqsave(&wq->lock, flags);
	if (list_empty(&uc->drained.wq_entry.entry))
		__add_wait_queue(wq, &uc->drained.wq_entry);
	spin_unlock_irqrestore(&wq->lock, flags);
	smp_mb();	/* pairs with the one in wake_up_var()'s wq_has_sleeper() */
	return !atomic_read(&uc->ctx->workers);
}

static void kctx_uctx_drained_stop(struct kctx_uctx *uc)
{
	struct wait_queue_head *wq = __var_waitqueue(&uc->ctx->workers);
	unsigned long flags;

	spin_lock_irqsave(&wq->lock, flags);
	list_del_init(&uc->drained.wq_entry.entry);
	spin_unlock_irqrestore(&wq->lock, flags);
}

static void kctx_eventfd_signal(struct kctx_hook *hook)
{
	eventfd_signal(container_of(hook, struct kctx_eventfd, hook)->efd);
}

/**
 * kctx_file_attach_eventfd() - signal an eventfd once the context is done
 * @uc: the userspace side of the context; the caller holds an owner fd
 * @eventfd: the eventfd's fd in the current process
 *
 * Context: Process context; takes @uc->lock, then the context's lock.
 * Return: 0, -EBADF if @eventfd is not an eventfd, -ENOSPC past
 * KCTX_MAX_EVENTFDS on this context, or -ENOMEM.
 */
int kctx_file_attach_eventfd(struct kctx_uctx *uc, int eventfd)
{
	struct kctx_eventfd *e;
	int err;

	e = kzalloc(sizeof(*e), GFP_KERNEL_ACCOUNT);
	if (!e)
		return -ENOMEM;
	e->efd = eventfd_ctx_fdget(eventfd);
	if (IS_ERR(e->efd)) {
		err = -EBADF;
		goto err_free;
	}
	e->hook.fn = kctx_eventfd_signal;

	mutex_lock(&uc->lock);
	if (uc->nr_eventfds == KCTX_MAX_EVENTFDS) {
		err = -ENOSPC;
		goto err_unlock;
	}
	if (kctx_hook_add(uc->ctx, &e->hook)) {
		list_add(&e->node, &uc->eventfds);
		uc->nr_eventfds++;
		mutex_unlock(&uc->lock);
		return 0;
	}
	mutex_unlock(&uc->lock);
	/* Already done: signal now, and there is nothing to keep. */
	eventfd_signal(e->efd);
	eventfd_ctx_put(e->efd);
	kfree(e);
	return 0;

err_unlock:
	mutex_unlock(&uc->lock);
	eventfd_ctx_put(e->efd);
err_free:
	kfree(e);
	return err;
}

static void kctx_uctx_detach_eventfds(struct kctx_uctx *uc)
{
	struct kctx_eventfd *e, *tmp;

	mutex_lock(&uc->lock);
	list_for_each_entry_safe(e, tmp, &uc->eventfds, node) {
		kctx_hook_del(uc->ctx, &e->hook);
		eventfd_ctx_put(e->efd);
		kfree(e);
	}
	INIT_LIST_HEAD(&uc->eventfds);
	uc->nr_eventfds = 0;
	mutex_unlock(&uc->lock);
}

static void kctx_uctx_put(struct kctx_uctx *uc)
{
	if (!refcount_dec_and_test(&uc->files))
		return;
	kctx_hook_del(uc->ctx, &uc->done);
	kctx_uctx_drained_stop(uc);
	kctx_status_free(uc);
	kctx_put(uc->ctx);
	put_pid(uc->creator);
	kfree(uc);
}

static int kctx_owner_release(struct inode *inode, struct file *file)
{
	struct kctx_uctx *uc = file->private_data;
	struct kctx_why why = {
		.err = -ECANCELED,
		.cause = -EOWNERDEAD,
		.canceller = kctx_current_canceller(),
	};

	/*
	 * The last owner fd is gone: the context ends, whatever its kind,
	 * so that kernel work done for a dead process stops. First, so that
	 * this context's own eventfds and pollers see it.
	 */
	kctx_end_why(uc->ctx, &why);
	kctx_uctx_detach_eventfds(uc);
	kctx_uctx_put(uc);
	return 0;
}

static int kctx_watch_release(struct inode *inode, struct file *file)
{
	kctx_uctx_put(file->private_data);
	return 0;
}

static __poll_t kctx_file_poll(struct file *file, struct poll_table_struct *pt)
{
	struct kctx_uctx *uc = file->private_data;

	poll_wait(file, &uc->poll_wait, pt);
	if (!kctx_done(uc->ctx))
		return 0;
	return EPOLLIN | EPOLLRDNORM | (kctx_uctx_drained(uc) ? EPOLLHUP : 0);
}

/*
 * A mapping holds its file, as an fd does. Of an owner file, it holds a
 * watch-only file instead: a mapping is not an owner fd, so closing the
 * last owner fd still ends the context.
 */
static int kctx_file_mmap(struct file *file, struct vm_area_struct *vma)
{
	struct kctx_uctx *uc = file->private_data;
	struct file *watch;
	int err;

	if (!kctx_file_owner(file))
		return kctx_status_mmap(uc, vma);
	watch = kctx_file_watch(uc);
	if (IS_ERR(watch))
		return PTR_ERR(watch);
	err = kctx_status_mmap(uc, vma);
	if (!err)
		vma_set_file(vma, watch);
	fput(watch);
	return err;
}

static long kctx_file_ioctl(struct file *file, unsigned int cmd, unsigned long arg)
{
	return kctx_ioctl(file, cmd, arg);
}

/**
 * kctx_tgid_vnr() - a process's pid as the caller sees it, while it lives
 * @pid: a process's struct pid, which the caller holds, or NULL
 *
 * Holding the struct pid, rather than the number, means the number can't
 * name a process that took it over later, as with pidfds.
 *
 * Context: Any context.
 * Return: the pid in the caller's pid namespace; 0 for NULL, once that
 * process is gone, or where the namespace doesn't see it.
 */
pid_t kctx_tgid_vnr(struct pid *pid)
{
	pid_t nr = 0;

	if (!pid)
		return 0;
	rcu_read_lock();
	if (pid_task(pid, PIDTYPE_TGID))
		nr = pid_vnr(pid);
	rcu_read_unlock();
	return nr;
}

/* fdinfo names userspace's kinds, as KCTX_IOC_STATE reports them. */
static const char *const kctx_uapi_kind_names[] = {
	[KCTX_KIND_CANCEL] = "cancel",
	[KCTX_KIND_DEADLINE] = "deadline",
	[KCTX_KIND_VALUE] = "value",
	[KCTX_KIND_WITHOUT_CANCEL] = "without_cancel",
};

static void kctx_file_show_fdinfo(struct seq_file *m, struct file *file)
{
	struct kctx_uctx *uc = file->private_data;
	struct kctx *ctx = uc->ctx;
	struct kctx_why why;
	ktime_t deadline;

	kctx_why_get(ctx, &why);
	seq_printf(m, "id:\t%llu\n", ctx->id);
	seq_printf(m, "parent_id:\t%llu\n", ctx->parent->id);
	seq_printf(m, "kind:\t%s\n", kctx_uapi_kind_names[kctx_uapi_kind(ctx)]);
	seq_printf(m, "owner:\t%d\n", kctx_file_owner(file));
	seq_printf(m, "state:\t%s\n", why.err ? "done" : "live");
	seq_printf(m, "err:\t%d\n", why.err);
	seq_printf(m, "cause:\t%d\n", why.cause);
	if (why.has_user_cause)
		seq_printf(m, "user_cause:\t%llu\n", why.user_cause);
	if (kctx_deadline(ctx, &deadline))
		seq_printf(m, "deadline_ns:\t%lld\n", ktime_to_ns(deadline));
	seq_printf(m, "age_ms:\t%u\n", kctx_age_ms(ctx));
	if (why.err)
		seq_printf(m, "done_for_ms:\t%u\n", kctx_done_for_ms(ctx));
	seq_printf(m, "workers:\t%u\n", atomic_read(&ctx->workers));
	seq_printf(m, "leaked:\t%d\n", kctx_work_leaked(ctx));
	seq_printf(m, "creator_pid:\t%d\n", kctx_tgid_vnr(uc->creator));
	seq_printf(m, "creator_comm:\t%s\n", uc->creator_comm);
	mutex_lock(&uc->lock);
	seq_printf(m, "eventfds:\t%u\n", uc->nr_eventfds);
	mutex_unlock(&uc->lock);
}

static const struct file_operations kctx_owner_fops = {
	.owner = THIS_MODULE,
	.release = kctx_owner_release,
	.poll = kctx_file_poll,
	.mmap = kctx_file_mmap,
	.unlocked_ioctl = kctx_file_ioctl,
	.compat_ioctl = compat_ptr_ioctl,
	.show_fdinfo = kctx_file_show_fdinfo,
	.llseek = noop_llseek,
};

static const struct file_operations kctx_watch_fops = {
	.owner = THIS_MODULE,
	.release = kctx_watch_release,
	.poll = kctx_file_poll,
	.mmap = kctx_file_mmap,
	.unlocked_ioctl = kctx_file_ioctl,
	.compat_ioctl = compat_ptr_ioctl,
	.show_fdinfo = kctx_file_show_fdinfo,
	.llseek = noop_llseek,
};

/**
 * kctx_file_create() - the owner file of a new context, which it publishes
 * @ctx: a node from kctx_alloc() and friends, not yet linked; its reference
 *	 passes to the file on success
 *
 * Everything that can fail comes before kctx_link(), so a failure leaves
 * nothing that anyone could have seen. The caller has reserved the fd,
 * and installs the file last.
 *
 * Context: Process context; sleeps.
 * Return: the file, or an ERR_PTR, in which case the caller still owns its
 * reference on @ctx.
 */
struct file *kctx_file_create(struct kctx *ctx)
{
	struct kctx_uctx *uc;
	struct file *file;

	uc = kzalloc(sizeof(*uc), GFP_KERNEL_ACCOUNT);
	if (!uc)
		return ERR_PTR(-ENOMEM);
	refcount_set(&uc->files, 1);
	uc->ctx = ctx;
	uc->creator = get_pid(task_tgid(current));
	get_task_comm(uc->creator_comm, current);
	init_waitqueue_head(&uc->poll_wait);
	mutex_init(&uc->lock);
	INIT_LIST_HEAD(&uc->eventfds);
	uc->done.fn = kctx_uctx_wake;
	init_wait_var_entry(&uc->drained, &ctx->workers, 0);
	uc->drained.wq_entry.func = kctx_uctx_drained_wake;

	file = anon_inode_getfile("[kctx]", &kctx_owner_fops, uc, O_RDWR);
	if (IS_ERR(file)) {
		put_pid(uc->creator);
		kfree(uc);
		return file;
	}
	kctx_link(ctx);
	/* If already done, poll reports it without the hook. */
	kctx_hook_add(ctx, &uc->done);
	return file;
}

/**
 * kctx_file_watch() - a watch-only file for a context
 * @uc: the userspace side of the context, from one of its files
 *
 * Context: Process context; sleeps.
 * Return: the file, or an ERR_PTR.
 */
struct file *kctx_file_watch(struct kctx_uctx *uc)
{
	struct file *file;

	refcount_inc(&uc->files);
	file = anon_inode_getfile("[kctx]", &kctx_watch_fops, uc, O_RDWR);
	if (IS_ERR(file))
		kctx_uctx_put(uc);
	return file;
}

/**
 * kctx_fdget() - take a reference on the context behind a context fd
 * @fd: an owner or watch-only context fd of the current process
 *
 * For drivers that take a context fd through their own ioctl and bind
 * kernel work to it. Drop the reference with kctx_fdput().
 *
 * Context: Process context.
 * Return: the context, or ERR_PTR(-EBADF) if @fd is not a context fd.
 */
struct kctx *kctx_fdget(int fd)
{
	struct fd f = fdget(fd);
	struct kctx_uctx *uc;
	struct kctx *ctx;

	if (!fd_file(f))
		return ERR_PTR(-EBADF);
	uc = kctx_uctx_of(fd_file(f));
	ctx = uc ? kctx_get(uc->ctx) : ERR_PTR(-EBADF);
	fdput(f);
	return ctx;
}
EXPORT_SYMBOL_GPL(kctx_fdget);

/**
 * kctx_fdput() - drop the reference kctx_fdget() took
 * @ctx: the context
 *
 * Context: Any context.
 */
void kctx_fdput(struct kctx *ctx)
{
	kctx_put(ctx);
}
EXPORT_SYMBOL_GPL(kctx_fdput);
