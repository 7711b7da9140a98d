// SPDX-License-Identifier: GPL-2.0
/*
 * kctx_bench.ko: the in-kernel benchmarks, for the VM. Writing a group's
 * name to /sys/kernel/debug/kctx_bench/run runs it there and then; its
 * figures go to the kernel log as "@bench" lines. Its irqsoff file
 * (stretch.c) measures inside the kernel for ubench.
 *
 *   echo CreateCancel > /sys/kernel/debug/kctx_bench/run
 */
#include <linux/debugfs.h>
#include <linux/fs.h>
#include <linux/module.h>
#include <linux/string.h>
#include <linux/uaccess.h>

#include "bench.h"

static unsigned int reps = 5;
module_param(reps, uint, 0444);
MODULE_PARM_DESC(reps, "timed repetitions per figure; the median is reported (1-15)");

static struct dentry *kb_dir;

static const struct kb_group *kb_find(const char *name)
{
	unsigned int i;

	for (i = 0; i < kb_nr_cpu_groups; i++)
		if (!strcmp(kb_cpu_groups[i].name, name))
			return &kb_cpu_groups[i];
	for (i = 0; i < kb_nr_wake_groups; i++)
		if (!strcmp(kb_wake_groups[i].name, name))
			return &kb_wake_groups[i];
	return NULL;
}

static ssize_t kb_run_write(struct file *file, const char __user *buf,
			    size_t count, loff_t *ppos)
{
	const struct kb_run run = { .side = "kernel-vm", .reps = reps };
	const struct kb_group *g;
	char name[32];
	int err;

	if (count >= sizeof(name))
		return -EINVAL;
	if (copy_from_user(name, buf, count))
		return -EFAULT;
	name[count] = '\0';
	strim(name);
	g = kb_find(name);
	if (!g)
		return -ENOENT;
	kb_note(&run, "%s", g->name);
	err = g->run(&run);
	/* A group this machine can't run has said why; that is not a failure. */
	if (err && err != -EOPNOTSUPP)
		return err;
	return count;
}

static const struct file_operations kb_run_fops = {
	.owner = THIS_MODULE,
	.write = kb_run_write,
};

static int __init kb_init(void)
{
	if (!reps || reps > KB_REPS_MAX)
		return -EINVAL;
	kb_dir = debugfs_create_dir("kctx_bench", NULL);
	debugfs_create_file("run", 0200, kb_dir, NULL, &kb_run_fops);
	kb_stretch_init(kb_dir);
	return 0;
}

static void __exit kb_exit(void)
{
	debugfs_remove(kb_dir);
}

module_init(kb_init);
module_exit(kb_exit);

MODULE_DESCRIPTION("kctx's in-kernel benchmarks");
MODULE_LICENSE("GPL");
