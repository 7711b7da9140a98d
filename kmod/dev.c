// SPDX-License-Identifier: GPL-2.0
/*
 * /dev/kctx: where userspace makes root contexts.
 *
 * Mode 0666 is safe because the device holds nothing global: each context
 * is private to the fds that hold it, there are no global ids to name
 * someone else's, and the per-user cap bounds what one user can create.
 */
#include <linux/fs.h>
#include <linux/miscdevice.h>
#include <linux/module.h>

#include "file.h"

static long kctx_dev_ioctl(struct file *file, unsigned int cmd, unsigned long arg)
{
	return kctx_ioctl(NULL, cmd, arg);
}

static const struct file_operations kctx_dev_fops = {
	.owner = THIS_MODULE,
	.unlocked_ioctl = kctx_dev_ioctl,
	.compat_ioctl = compat_ptr_ioctl,
	.llseek = noop_llseek,
};

static struct miscdevice kctx_miscdev = {
	.minor = MISC_DYNAMIC_MINOR,
	.name = "kctx",
	.fops = &kctx_dev_fops,
	.mode = 0666,
};

/**
 * kctx_dev_init() - register /dev/kctx
 *
 * Context: Process context.
 * Return: 0 or a negative errno.
 */
int kctx_dev_init(void)
{
	return misc_register(&kctx_miscdev);
}

/**
 * kctx_dev_exit() - unregister /dev/kctx
 *
 * Context: Process context.
 */
void kctx_dev_exit(void)
{
	misc_deregister(&kctx_miscdev);
}
