// SPDX-License-Identifier: GPL-2.0
/*
 * Allocation failure: every allocation a constructor makes is failed in
 * turn through the task's fail-nth counter. failslab is aimed at kctx's
 * caches alone: the harness sets failslab's cache-filter=Y and
 * ignore-gfp-wait=N, and the suite's init marks kctx's caches through
 * /sys/kernel/slab/<cache>/failslab. Each failure must give
 * ERR_PTR(-ENOMEM) and leave the parent exactly as it was. The same goes
 * for the constructors that make a context on the way: a group, and a
 * kctx kthread, whose other allocations (kmalloc) fail alike but are not
 * reached by the cache filter.
 */
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/sched.h>

#include "kctx_test.h"

static const int key;

static struct kctx *make_cancel(struct kctx *p)
{
	return kctx_with_cancel(p, GFP_KERNEL);
}

static struct kctx *make_deadline(struct kctx *p)
{
	return kctx_with_deadline(p, ktime_add_ns(ktime_get(), NSEC_PER_SEC * 3600), GFP_KERNEL);
}

static struct kctx *make_timeout(struct kctx *p)
{
	return kctx_with_timeout(p, NSEC_PER_SEC * 3600, GFP_KERNEL);
}

static struct kctx *make_value(struct kctx *p)
{
	return kctx_with_value(p, &key, NULL, GFP_KERNEL);
}

static struct kctx *make_without_cancel(struct kctx *p)
{
	return kctx_without_cancel(p, GFP_KERNEL);
}

/* A group, freed at once: NULL stands for the success. */
static struct kctx *make_group(struct kctx *p)
{
	struct kctx_group *g = kctx_group_new(p, GFP_KERNEL);

	if (IS_ERR(g))
		return ERR_CAST(g);
	kctx_group_free(g);
	return NULL;
}

static int wait_fn(struct kctx *ctx, void *data)
{
	return kctx_wait(ctx);
}

/* A kctx kthread, which makes a child of @p for itself, stopped at once. */
static struct kctx *make_kthread(struct kctx *p)
{
	struct task_struct *task = kctx_kthread_run(p, wait_fn, NULL, "kctx-fault");

	if (IS_ERR(task))
		return ERR_CAST(task);
	kctx_kthread_stop(task);
	return NULL;
}

static void sweep(struct kunit *test, struct kctx *(*make)(struct kctx *p))
{
#ifdef CONFIG_FAULT_INJECTION
	struct kctx *parent, *ctx;
	unsigned int nth, left, failed = 0;

	parent = KCTX_TEST_NEW(test, kctx_with_cancel(kctx_background(), GFP_KERNEL));
	for (nth = 1; nth < 100; nth++) {
		WRITE_ONCE(current->fail_nth, nth);
		ctx = make(parent);
		left = READ_ONCE(current->fail_nth);
		WRITE_ONCE(current->fail_nth, 0);
		if (!IS_ERR(ctx)) {
			if (ctx) {	/* NULL: the maker cleaned up */
				kctx_cancel(ctx);
				kctx_put(ctx);
			}
			/* Succeeded with failures still pending: nothing left to fail. */
			KUNIT_EXPECT_GT(test, left, 0);
			break;
		}
		failed++;
		KUNIT_EXPECT_EQ(test, PTR_ERR(ctx), -ENOMEM);
		KUNIT_EXPECT_EQ(test, refcount_read(&parent->ref), 1);
		KUNIT_EXPECT_TRUE(test, hlist_empty(&parent->children));
	}
	KUNIT_EXPECT_GT_MSG(test, failed, 0,
			    "no allocation failed: is failslab armed (cache-filter=Y, ignore-gfp-wait=N)?");
	KUNIT_EXPECT_FALSE(test, kctx_done(parent));
	kctx_put(parent);
#else
	kunit_skip(test, "CONFIG_FAULT_INJECTION is off");
#endif
}

static void with_cancel_fails_cleanly(struct kunit *test)
{
	sweep(test, make_cancel);
}

static void with_deadline_fails_cleanly(struct kunit *test)
{
	sweep(test, make_deadline);
}

static void with_timeout_fails_cleanly(struct kunit *test)
{
	sweep(test, make_timeout);
}

static void with_value_fails_cleanly(struct kunit *test)
{
	sweep(test, make_value);
}

static void without_cancel_fails_cleanly(struct kunit *test)
{
	sweep(test, make_without_cancel);
}

static void group_new_fails_cleanly(struct kunit *test)
{
	sweep(test, make_group);
}

static void kthread_run_fails_cleanly(struct kunit *test)
{
	sweep(test, make_kthread);
}

static int write_sysfs(const char *path, const char *val)
{
	struct file *f = filp_open(path, O_WRONLY, 0);
	loff_t pos = 0;
	ssize_t n;

	if (IS_ERR(f))
		return PTR_ERR(f);
	n = kernel_write(f, val, strlen(val), &pos);
	fput(f);
	return n < 0 ? n : 0;
}

static int kctx_fault_init(struct kunit_suite *suite)
{
	static const char *const caches[] = { "kctx", "kctx_value", "kctx_deadline" };
	char path[64];
	int i, err;

	for (i = 0; i < ARRAY_SIZE(caches); i++) {
		snprintf(path, sizeof(path), "/sys/kernel/slab/%s/failslab", caches[i]);
		err = write_sysfs(path, "1");
		if (err)
			pr_warn("kctx_fault: can't write %s: %d\n", path, err);
	}
	return 0;
}

static struct kunit_case kctx_fault_cases[] = {
	KUNIT_CASE(with_cancel_fails_cleanly),
	KUNIT_CASE(with_deadline_fails_cleanly),
	KUNIT_CASE(with_timeout_fails_cleanly),
	KUNIT_CASE(with_value_fails_cleanly),
	KUNIT_CASE(without_cancel_fails_cleanly),
	KUNIT_CASE(group_new_fails_cleanly),
	KUNIT_CASE(kthread_run_fails_cleanly),
	{}
};

struct kunit_suite kctx_fault_suite = {
	.name = "kctx_fault",
	.suite_init = kctx_fault_init,
	.test_cases = kctx_fault_cases,
};

kunit_test_suite(kctx_fault_suite);
