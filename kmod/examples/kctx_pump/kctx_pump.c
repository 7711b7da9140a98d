// SPDX-License-Identifier: GPL-2.0
/*
 * kctx_pump: an example of a driver that works for a userspace context.
 *
 * Userspace hands over a context fd and two file fds. A kctx kthread copies
 * between the files; when the context, or any ancestor, is cancelled or
 * reaches its deadline, the thread's blocked read or write breaks at once
 * and the copy ends with the context's error. Closing the device fd stops a
 * copy still running.
 */
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/kctx.h>
#include <linux/miscdevice.h>
#include <linux/module.h>
#include <linux/slab.h>
#include <linux/uaccess.h>

#include "kctx_pump.h"

/*
 * One copy per open of the device.
 *
 * Lock legend:
 *   M: ->lock.
 *   T: written by the thread before ->done completes; read after it.
 */
struct pump_job {
	struct mutex lock;		/* serialises START, WAIT and release */
	struct task_struct *task;	/* M: NULL until started, again once reaped */
	bool started;			/* M */
	struct file *in, *out;		/* M: references, until release */
	struct completion done;		/* the thread's function returned */
	u64 bytes;			/* T */
	int err;			/* T */
};

static int pump_copy(struct kctx *ctx, struct pump_job *job, void *buf)
{
	loff_t in_pos = 0, out_pos = 0;
	ssize_t n, w, off;

	for (;;) {
		n = kernel_read(job->in, buf, PAGE_SIZE, &in_pos);
		if (n <= 0)
			return kctx_err(ctx) ?: n;
		for (off = 0; off < n; off += w) {
			/* Once the context is done, not one more byte goes out. */
			if (kctx_done(ctx))
				return kctx_err(ctx);
			w = kernel_write(job->out, buf + off, n - off, &out_pos);
			if (w < 0)
				return kctx_err(ctx) ?: w;
			job->bytes += w;
		}
	}
}

static int pump_thread(struct kctx *ctx, void *data)
{
	struct pump_job *job = data;
	void *buf = kmalloc(PAGE_SIZE, GFP_KERNEL);

	job->err = buf ? pump_copy(ctx, job, buf) : -ENOMEM;
	kfree(buf);
	complete(&job->done);
	return job->err;
}

static int pump_open(struct inode *inode, struct file *file)
{
	struct pump_job *job = kzalloc(sizeof(*job), GFP_KERNEL);

	if (!job)
		return -ENOMEM;
	mutex_init(&job->lock);
	init_completion(&job->done);
	file->private_data = job;
	return 0;
}

/* Reap the thread once; after this nothing of the copy is running. */
static void pump_reap(struct pump_job *job, bool stop)
{
	lockdep_assert_held(&job->lock);
	if (!job->task)
		return;
	if (stop)
		kctx_kthread_stop(job->task);
	else
		kctx_kthread_wait(job->task);
	job->task = NULL;
}

static int pump_release(struct inode *inode, struct file *file)
{
	struct pump_job *job = file->private_data;

	mutex_lock(&job->lock);
	pump_reap(job, true);
	mutex_unlock(&job->lock);
	if (job->in)
		fput(job->in);
	if (job->out)
		fput(job->out);
	kfree(job);
	return 0;
}

static struct file *pump_fget(int fd, fmode_t mode)
{
	struct file *f = fget(fd);

	if (f && !(f->f_mode & mode)) {
		fput(f);
		f = NULL;
	}
	return f;
}

static int pump_start(struct pump_job *job, const struct kctx_pump_start *s)
{
	struct task_struct *task;
	struct kctx *ctx;
	int err;

	if (s->flags || s->__reserved)
		return -EINVAL;
	ctx = kctx_fdget(s->ctx_fd);
	if (IS_ERR(ctx))
		return PTR_ERR(ctx);
	mutex_lock(&job->lock);
	err = -EBUSY;
	if (job->started)
		goto err_unlock;
	err = -EBADF;
	job->in = pump_fget(s->in_fd, FMODE_READ);
	job->out = pump_fget(s->out_fd, FMODE_WRITE);
	if (!job->in || !job->out)
		goto err_put_files;
	task = kctx_kthread_run(ctx, pump_thread, job, "kctx-pump/%d", task_pid_nr(current));
	if (IS_ERR(task)) {
		err = PTR_ERR(task);
		goto err_put_files;
	}
	job->task = task;
	job->started = true;
	mutex_unlock(&job->lock);
	kctx_fdput(ctx);
	return 0;

err_put_files:
	if (job->in)
		fput(job->in);
	if (job->out)
		fput(job->out);
	job->in = NULL;
	job->out = NULL;
err_unlock:
	mutex_unlock(&job->lock);
	kctx_fdput(ctx);
	return err;
}

static int pump_wait(struct pump_job *job, struct kctx_pump_wait *w)
{
	int err;

	if (w->flags)
		return -EINVAL;
	mutex_lock(&job->lock);
	err = job->started ? 0 : -EINVAL;
	mutex_unlock(&job->lock);
	if (err)
		return err;
	if (wait_for_completion_interruptible(&job->done))
		return -EINTR;
	mutex_lock(&job->lock);
	pump_reap(job, false);
	mutex_unlock(&job->lock);
	w->bytes = job->bytes;
	w->err = job->err;
	return 0;
}

static long pump_ioctl(struct file *file, unsigned int cmd, unsigned long arg)
{
	struct pump_job *job = file->private_data;
	void __user *uarg = (void __user *)arg;
	union {
		struct kctx_pump_start start;
		struct kctx_pump_wait wait;
	} u = {};
	size_t ksize;
	u32 usize;
	int err;

	switch (cmd) {
	case KCTX_PUMP_IOC_START:
		ksize = sizeof(u.start);
		break;
	case KCTX_PUMP_IOC_WAIT:
		ksize = sizeof(u.wait);
		break;
	default:
		return -ENOTTY;
	}
	if (get_user(usize, (u32 __user *)uarg))
		return -EFAULT;
	if (usize < ksize)
		return -EINVAL;
	err = copy_struct_from_user(&u, ksize, uarg, usize);
	if (err)
		return err;
	if (cmd == KCTX_PUMP_IOC_START)
		return pump_start(job, &u.start);
	err = pump_wait(job, &u.wait);
	if (!err && copy_to_user(uarg, &u.wait, ksize))
		err = -EFAULT;
	return err;
}

static const struct file_operations pump_fops = {
	.owner = THIS_MODULE,
	.open = pump_open,
	.release = pump_release,
	.unlocked_ioctl = pump_ioctl,
	.compat_ioctl = compat_ptr_ioctl,
	.llseek = noop_llseek,
};

static struct miscdevice pump_dev = {
	.minor = MISC_DYNAMIC_MINOR,
	.name = "kctx_pump",
	.fops = &pump_fops,
	.mode = 0666,
};

module_misc_device(pump_dev);

MODULE_DESCRIPTION("kctx example: a file-to-file copy that stops when its context is done");
MODULE_LICENSE("GPL");
