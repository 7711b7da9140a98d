// SPDX-License-Identifier: GPL-2.0
/*
 * Harness self-test: a consumer of kctx that makes three contexts and
 * loses them, as a driver would that forgets kctx_put(). When kctx is
 * unloaded after it, kctx must say that three contexts are still held
 * and, with leak_report=1, name each one and kctx_selftest_ctxleak_make()
 * as the place that made it.
 */
#include <linux/err.h>
#include <linux/kctx.h>
#include <linux/ktime.h>
#include <linux/module.h>

/*
 * Not in init: init code is freed once the module is loaded, and with it
 * any name for an address in it, so kctx could only give a bare address.
 */
static noinline int kctx_selftest_ctxleak_make(void)
{
	struct kctx *parent, *deadline, *done;

	parent = kctx_with_cancel(kctx_background(), GFP_KERNEL);
	if (IS_ERR(parent))
		return PTR_ERR(parent);
	deadline = kctx_with_timeout(parent, 3600 * NSEC_PER_SEC, GFP_KERNEL);
	if (IS_ERR(deadline)) {
		kctx_cancel(parent);
		kctx_put(parent);
		return PTR_ERR(deadline);
	}
	done = kctx_with_cancel(parent, GFP_KERNEL);
	if (IS_ERR(done)) {
		kctx_cancel(parent);
		kctx_put(deadline);
		kctx_put(parent);
		return PTR_ERR(done);
	}
	/* A done context leaves the tree: only a registry can still find it. */
	kctx_cancel(done);
	/* Returning loses the pointers, and with them three references. */
	pr_info("leaking three kctx contexts on purpose\n");
	return 0;
}

static int __init kctx_selftest_ctxleak_init(void)
{
	return kctx_selftest_ctxleak_make();
}

static void __exit kctx_selftest_ctxleak_exit(void)
{
}

module_init(kctx_selftest_ctxleak_init);
module_exit(kctx_selftest_ctxleak_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("kctx harness self-test: a consumer that leaks contexts");
