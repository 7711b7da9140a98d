// SPDX-License-Identifier: GPL-2.0
/*
 * kctx: Go-style contexts for the kernel. Module setup and teardown.
 */
#include <kunit/visibility.h>
#include <linux/module.h>
#include <linux/rcupdate.h>
#include <linux/workqueue.h>

#include "compat.h"
#include "file.h"

/* Kbuild defines it, from the one line that holds kctx's version. */
#ifndef KCTX_VERSION
#error "KCTX_VERSION is not defined: build kctx through its Kbuild"
#endif

struct workqueue_struct *kctx_wq;
EXPORT_SYMBOL_IF_KUNIT(kctx_wq);
struct kmem_cache *kctx_caches[KCTX_NODE_NR_KINDS];
EXPORT_SYMBOL_IF_KUNIT(kctx_caches);

/*
 * One cache per node size. Nodes are SLAB_TYPESAFE_BY_RCU: the last put
 * frees a node at once, to be reused hot, where waiting out a grace period
 * would cost more than all the rest of a create and cancel (benchmarks.rst).
 * Every reader but one holds a reference on a node or the lock of the list
 * it is on; the one, debugfs's walk of child lists under RCU, may meet a
 * node freed and reused, and checks for that (ctx.h, R). Such caches are
 * never merged with others, so each one's cost shows in
 * /sys/kernel/slab/kctx*, and fault injection can aim at kctx alone. SLUB's
 * free pointer goes in ->rcu, which nothing touches before the free.
 * Before 6.12 nodes wait out a grace period instead (compat.h).
 */
static struct kmem_cache *__init kctx_cache_create(const char *name, unsigned int size)
{
	return kctx_node_cache_create(name, size, offsetof(struct kctx, rcu));
}

static int __init kctx_caches_create(void)
{
	struct kmem_cache **c = kctx_caches;

	c[KCTX_NODE_CANCEL] = kctx_cache_create("kctx", sizeof(struct kctx));
	c[KCTX_NODE_VALUE] = kctx_cache_create("kctx_value", sizeof(struct kctx_value_node));
	c[KCTX_NODE_DEADLINE] = kctx_cache_create("kctx_deadline", sizeof(struct kctx_timer));
	c[KCTX_NODE_USER_VALUE] = c[KCTX_NODE_VALUE];
	c[KCTX_NODE_DETACHED] = c[KCTX_NODE_CANCEL];
	if (!c[KCTX_NODE_CANCEL] || !c[KCTX_NODE_VALUE] || !c[KCTX_NODE_DEADLINE])
		return -ENOMEM;
	return 0;
}

static void kctx_caches_destroy(void)
{
	kmem_cache_destroy(kctx_caches[KCTX_NODE_DEADLINE]);
	kmem_cache_destroy(kctx_caches[KCTX_NODE_VALUE]);
	kmem_cache_destroy(kctx_caches[KCTX_NODE_CANCEL]);
}

static int __init kctx_init(void)
{
	int err;

	err = kctx_leaks_init();
	if (err)
		return err;
	err = kctx_caches_create();
	if (err)
		goto err_destroy_caches;
	/* After-funcs may block on I/O; WQ_MEM_RECLAIM keeps cancel going under memory pressure. */
	kctx_wq = alloc_workqueue("kctx", WQ_UNBOUND | WQ_MEM_RECLAIM, 0);
	if (!kctx_wq) {
		err = -ENOMEM;
		goto err_destroy_caches;
	}
	err = kctx_deadline_wq_init();
	if (err)
		goto err_destroy_wq;
	kctx_debugfs_init();
	/* Last: once /dev/kctx exists, userspace can reach everything above. */
	err = kctx_dev_init();
	if (err)
		goto err_remove_debugfs;
	return 0;

err_remove_debugfs:
	kctx_debugfs_exit();
	kctx_deadline_wq_exit();
err_destroy_wq:
	destroy_workqueue(kctx_wq);
err_destroy_caches:
	kctx_caches_destroy();
	kctx_leaks_exit();
	return err;
}

static void __exit kctx_exit(void)
{
	kctx_dev_exit();
	kctx_debugfs_exit();
	/* Every node is done now, so no timer is pending... */
	kctx_cancel_all();
	/*
	 * ...but one may be running, and about to queue its walk or drop its
	 * node. A timer's callback runs in hard irq (softirq on PREEMPT_RT),
	 * an RCU read-side critical section, so a grace period waits it out.
	 */
	synchronize_rcu();
	kctx_deadline_flush();
	kctx_deadline_wq_exit();
	destroy_workqueue(kctx_wq);
	/* Before 6.12, nodes freed after a grace period (compat.h). */
	if (KCTX_NODE_FREE_AFTER_GRACE_PERIOD)
		rcu_barrier();
	/* What is left, somebody leaked; the slab would only count it. */
	kctx_leaks_report();
	kctx_leaks_exit();
	kctx_caches_destroy();
}

module_init(kctx_init);
module_exit(kctx_exit);

MODULE_DESCRIPTION("Go-style cancellation contexts for kernel threads and userspace");
MODULE_LICENSE("GPL");
MODULE_VERSION(KCTX_VERSION);
