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
 * A SLAB_TYPESAFE_BY_RCU cache keeps SLUB's free pointer outside the
 * object, since readers may still look at a freed one. From 6.12 the
 * cache can name a field of the object that those readers never read,
 * and put it there instead (struct kmem_cache_args). Before 6.12 it goes
 * after the object, which costs 8 bytes a node; cache-line alignment
 * would round that up to 64 more, so it is dropped there.
 */
#ifdef KCTX_NO_KMEM_CACHE_ARGS
static inline struct kmem_cache *
kctx_typesafe_cache_create(const char *name, unsigned int size, unsigned int freeptr_offset)
{
	return kmem_cache_create(name, size, 0, SLAB_TYPESAFE_BY_RCU, NULL);
}
#else
static inline struct kmem_cache *
kctx_typesafe_cache_create(const char *name, unsigned int size, unsigned int freeptr_offset)
{
	struct kmem_cache_args args = {
		.freeptr_offset = freeptr_offset,
		.use_freeptr_offset = true,
	};

	return kmem_cache_create(name, size, &args, SLAB_HWCACHE_ALIGN | SLAB_TYPESAFE_BY_RCU);
}
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
