// SPDX-License-Identifier: GPL-2.0
/*
 * Harness self-test: allocate memory and lose the only pointer to it.
 * After the module is unloaded, kmemleak must report the object and
 * run-vm must report the run as failed.
 */
#include <linux/compiler.h>
#include <linux/module.h>
#include <linux/slab.h>
#include <linux/string.h>

static int __init kctx_selftest_leak_init(void)
{
	char *p = kmalloc(256, GFP_KERNEL);

	if (!p)
		return -ENOMEM;
	/*
	 * Hide where the pointer came from, so that the compiler must assume
	 * the memory is seen elsewhere and can drop neither the allocation
	 * nor the stores; the pattern shows up in kmemleak's hex dump.
	 */
	OPTIMIZER_HIDE_VAR(p);
	memset(p, 0x6b, 256);
	pr_info("leaking 256 bytes on purpose\n");
	return 0;
}

static void __exit kctx_selftest_leak_exit(void)
{
}

module_init(kctx_selftest_leak_init);
module_exit(kctx_selftest_leak_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("kctx harness self-test: a module that leaks");
