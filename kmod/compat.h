/* SPDX-License-Identifier: GPL-2.0 */
/*
 * kctx is written against Linux 6.12. This header is all it takes to build
 * it against Debian 12's own 6.1 as well: the 6.12 names, defined where the
 * kernel lacks them, in terms of what it has.
 *
 * Each difference is a feature test, not a version check: Debian's 6.1 is
 * a 6.1.y with backports (<kunit/visibility.h>, from 6.2, is there), and
 * nothing but the headers says what a kernel has. A macro is tested with
 * #ifdef. A function is tested where the compiler sees it: out of tree,
 * Kbuild compiles a line of kmod/compat-test.c that uses it against the
 * kernel's headers with the kernel's flags, and passes KCTX_NO_<FEATURE>
 * when that fails. A test that fails for some other reason can't pass
 * unnoticed: the fallback below then collides with the kernel's own
 * definition and the build fails, and a control that uses nothing new
 * must compile or Kbuild stops. Built in (the UML kernels), kctx is in a
 * 6.12 tree and nothing is tested.
 */
#ifndef KCTX_COMPAT_H
#define KCTX_COMPAT_H

#include <linux/eventfd.h>
#include <linux/file.h>
#include <linux/kthread.h>
#include <linux/sched/task.h>
#include <linux/slab.h>

/*
 * SLAB_NO_MERGE (6.5) keeps a cache apart from others of its size. Before
 * it, SLUB keeps a cache apart that has a usercopy whitelist, when
 * CONFIG_HARDENED_USERCOPY is set (as on Debian): KCTX_SLAB_USERSIZE is
 * that whitelist, one byte at offset 0 of a node. kctx never copies a node
 * to or from userspace, so it opens nothing that is used. Without
 * HARDENED_USERCOPY the caches may merge there, and /sys/kernel/slab/kctx
 * is then an alias of a shared cache.
 */
#ifdef SLAB_NO_MERGE
#define KCTX_SLAB_USERSIZE 0
#else
#define SLAB_NO_MERGE 0
#define KCTX_SLAB_USERSIZE 1
#endif

/* 6.8 dropped the count: eventfd_signal() adds 1. */
#ifdef KCTX_NO_EVENTFD_SIGNAL_1
#define eventfd_signal(ctx) eventfd_signal((ctx), 1)
#endif

/* fd_file() (6.12) is a macro; before it, struct fd had a plain file. */
#ifndef fd_file
#define fd_file(f) ((f).file)
#endif

/* kthread_stop_put() came in 6.6. */
#ifdef KCTX_NO_KTHREAD_STOP_PUT
static inline int kthread_stop_put(struct task_struct *k)
{
	int ret = kthread_stop(k);

	put_task_struct(k);
	return ret;
}
#endif

#endif /* KCTX_COMPAT_H */
