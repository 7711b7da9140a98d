// SPDX-License-Identifier: GPL-2.0
/*
 * Context file descriptors.
 *
 * Each fd is an anon-inode file, like timerfd and pidfd, holding one
 * reference on its context. An owner fd may cancel, create children and
 * attach eventfds; a watch-only fd may only observe. A context has at most
 * one owner file, which dup(), fork() and SCM_RIGHTS share, so "the last
 * owner fd closed" is that file's release: it cancels the context with the
 * cause -EOWNERDEAD, whoever closed it and however the process ended.
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

#include "file.h"

/* An eventfd attached with KCTX_ATTACH_EVENTFD. */
struct kctx_eventfd {
	struct kctx_hook hook;
	struct eventfd_ctx *efd;
	struct list_head node;
};

static const struct file_operations kctx_file_fops;

/* The context file behind @file, or NULL if it is not a context fd. */
static struct kctx_file *kctx_file_of(struct file *file)
{
	return file->f_op == &kctx_file_fops ? file->private_data : NULL;
}

static void kctx_file_wake(struct kctx_hook *hook)
{
	struct kctx_file *kf = container_of(hook, struct kctx_file, done);

	wake_up_poll(&kf->poll_wait, EPOLLIN | EPOLLRDNORM);
}

static void kctx_eventfd_signal(struct kctx_hook *hook)
{
	eventfd_signal(container_of(hook, struct kctx_eventfd, hook)->efd);
}

/**
 * kctx_file_attach_eventfd() - signal an eventfd once the context is done
 * @kf: an owner file
 * @eventfd: the eventfd's fd in the current process
 *
 * Context: Process context; takes @kf->lock, then the context's lock.
 * Return: 0, -EBADF if @eventfd is not an eventfd, -ENOSPC past
 * KCTX_MAX_EVENTFDS, or -ENOMEM.
 */
int kctx_file_attach_eventfd(struct kctx_file *kf, int eventfd)
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

	mutex_lock(&kf->lock);
	if (kf->nr_eventfds == KCTX_MAX_EVENTFDS) {
		err = -ENOSPC;
		goto err_unlock;
	}
	if (kctx_hook_add(kf->ctx, &e->hook)) {
		list_add(&e->node, &kf->eventfds);
		kf->nr_eventfds++;
		mutex_unlock(&kf->lock);
		return 0;
	}
	mutex_unlock(&kf->lock);
	/* Already done: signal now, and there is nothing to keep. */
	eventfd_signal(e->efd);
	eventfd_ctx_put(e->efd);
	kfree(e);
	return 0;

err_unlock:
	mutex_unlock(&kf->lock);
	eventfd_ctx_put(e->efd);
err_free:
	kfree(e);
	return err;
}

static void kctx_file_detach_eventfds(struct kctx_file *kf)
{
	struct kctx_eventfd *e, *tmp;

	list_for_each_entry_safe(e, tmp, &kf->eventfds, node) {
		kctx_hook_del(kf->ctx, &e->hook);
		eventfd_ctx_put(e->efd);
		kfree(e);
	}
}

static int kctx_file_release(struct inode *inode, struct file *file)
{
	struct kctx_file *kf = file->private_data;
	struct kctx_why why = {
		.err = -ECANCELED,
		.cause = -EOWNERDEAD,
		.canceller = kctx_current_canceller(),
	};

	/* Cancel first, so that this fd's own eventfds and pollers see it. */
	if (kf->owner) {
		kctx_cancel_why(kf->ctx, &why);
		kctx_user_uncharge(kf->charged);
	}
	kctx_hook_del(kf->ctx, &kf->done);
	kctx_file_detach_eventfds(kf);
	kctx_put(kf->ctx);
	kfree(kf);
	return 0;
}

static __poll_t kctx_file_poll(struct file *file, struct poll_table_struct *pt)
{
	struct kctx_file *kf = file->private_data;

	poll_wait(file, &kf->poll_wait, pt);
	return kctx_done(kf->ctx) ? EPOLLIN | EPOLLRDNORM : 0;
}

static long kctx_file_ioctl(struct file *file, unsigned int cmd, unsigned long arg)
{
	return kctx_ioctl(file->private_data, cmd, arg);
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
	struct kctx_file *kf = file->private_data;
	struct kctx *ctx = kf->ctx;
	struct kctx_why why;
	ktime_t deadline;

	kctx_why_get(ctx, &why);
	seq_printf(m, "id:\t%llu\n", ctx->id);
	seq_printf(m, "parent_id:\t%llu\n", ctx->parent->id);
	seq_printf(m, "kind:\t%s\n", kctx_uapi_kind_names[kctx_uapi_kind(ctx)]);
	seq_printf(m, "owner:\t%d\n", kf->owner);
	seq_printf(m, "state:\t%s\n", why.err ? "done" : "live");
	seq_printf(m, "err:\t%d\n", why.err);
	seq_printf(m, "cause:\t%d\n", why.cause);
	if (why.has_user_cause)
		seq_printf(m, "user_cause:\t%llu\n", why.user_cause);
	if (kctx_deadline(ctx, &deadline))
		seq_printf(m, "deadline_ns:\t%lld\n", ktime_to_ns(deadline));
	mutex_lock(&kf->lock);
	seq_printf(m, "eventfds:\t%u\n", kf->nr_eventfds);
	mutex_unlock(&kf->lock);
}

static const struct file_operations kctx_file_fops = {
	.owner = THIS_MODULE,
	.release = kctx_file_release,
	.poll = kctx_file_poll,
	.unlocked_ioctl = kctx_file_ioctl,
	.compat_ioctl = compat_ptr_ioctl,
	.show_fdinfo = kctx_file_show_fdinfo,
	.llseek = noop_llseek,
};

/**
 * kctx_file_install() - give the current process an fd for a context
 * @ctx: the context; its reference passes to the fd on success
 * @owner: make an owner fd; the caller has charged @charged for it
 * @charged: the user charged for an owner fd, uncharged at its release
 * @fd_flags: O_CLOEXEC or 0
 *
 * Nothing is visible to userspace until the last step, fd_install(), and
 * nothing after it can fail.
 *
 * Context: Process context; sleeps.
 * Return: the new fd, or a negative errno, in which case the caller still
 * owns its reference and charge.
 */
int kctx_file_install(struct kctx *ctx, bool owner, kuid_t charged,
		      unsigned int fd_flags)
{
	struct kctx_file *kf;
	struct file *file;
	int fd, err;

	kf = kzalloc(sizeof(*kf), GFP_KERNEL_ACCOUNT);
	if (!kf)
		return -ENOMEM;
	kf->ctx = ctx;
	kf->owner = owner;
	kf->charged = charged;
	init_waitqueue_head(&kf->poll_wait);
	mutex_init(&kf->lock);
	INIT_LIST_HEAD(&kf->eventfds);
	kf->done.fn = kctx_file_wake;

	fd = get_unused_fd_flags(fd_flags);
	if (fd < 0) {
		err = fd;
		goto err_free;
	}
	file = anon_inode_getfile("[kctx]", &kctx_file_fops, kf, O_RDWR);
	if (IS_ERR(file)) {
		err = PTR_ERR(file);
		goto err_put_fd;
	}
	/* If already done, poll reports it without the hook. */
	kctx_hook_add(ctx, &kf->done);
	fd_install(fd, file);
	return fd;

err_put_fd:
	put_unused_fd(fd);
err_free:
	kfree(kf);
	return err;
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
	struct kctx_file *kf;
	struct kctx *ctx;

	if (!fd_file(f))
		return ERR_PTR(-EBADF);
	kf = kctx_file_of(fd_file(f));
	ctx = kf ? kctx_get(kf->ctx) : ERR_PTR(-EBADF);
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
