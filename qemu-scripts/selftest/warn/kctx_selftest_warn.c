// SPDX-License-Identifier: GPL-2.0
/*
 * Harness self-test: WARN as soon as the module loads. run-vm must report
 * the run as failed (panic_on_warn turns this into a panic, and the splat
 * is on the console).
 */
#include <linux/bug.h>
#include <linux/module.h>

static int __init kctx_selftest_warn_init(void)
{
	WARN_ON(1);
	return 0;
}

static void __exit kctx_selftest_warn_exit(void)
{
}

module_init(kctx_selftest_warn_init);
module_exit(kctx_selftest_warn_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("kctx harness self-test: a module that WARNs");
