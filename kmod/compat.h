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
#include <linux/mm.h>
#include <linux/sched/task.h>
#include <linux/slab.h>

/*
 * From 6.12 a node is freed at its last put into a SLAB_TYPESAFE_BY_RCU
 * cache, which keeps SLUB's free pointer in a field that RCU readers never
 * read (struct kmem_cache_args). Before 6.12 neither half works well: the
 * free pointer would go after the node, 8 bytes more, and destroying a
 * typesafe cache finishes in a work item after a grace period, so the
 * cache's name stays taken in /sys/kernel/slab for a while after rmmod
 * and a quick reload fails to create it. There, kctx_node_free() waits out
 * a grace period through ->rcu instead (ctx.c), into a plain cache, and
 * module exit waits for those frees with rcu_barrier(). A plain cache of
 * that size may merge with others; a one-byte usercopy whitelist at offset
 * 0 keeps it apart when CONFIG_HARDENED_USERCOPY is set (as on Debian; 6.5
 * has SLAB_NO_MERGE for this), so /sys/kernel/slab/kctx and fault
 * injection aim at kctx alone. kctx never copies a node to or from
 * userspace, so the whitelist opens nothing that is used.
 */
#ifdef KCTX_NO_KMEM_CACHE_ARGS
#define KCTX_NODE_FREE_AFTER_GRACE_PERIOD 1
static inline struct kmem_cache *
kctx_node_cache_create(const char *name, unsigned int size, unsigned int freeptr_offset)
{
	return kmem_cache_create_usercopy(name, size, 0, SLAB_HWCACHE_ALIGN, 0, 1, NULL);
}
#else
#define KCTX_NODE_FREE_AFTER_GRACE_PERIOD 0
static inline struct kmem_cache *
kctx_node_cache_create(const char *name, unsigned int size, unsigned int freeptr_offset)
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

/* 6.3 made ->vm_flags read-only, to be changed through vm_flags_mod(). */
#ifdef KCTX_NO_VM_FLAGS_MOD
static inline void vm_flags_mod(struct vm_area_struct *vma, vm_flags_t set, vm_flags_t clear)
{
	vma->vm_flags = (vma->vm_flags | set) & ~clear;
}
#endif

#endif /* KCTX_COMPAT_H */
