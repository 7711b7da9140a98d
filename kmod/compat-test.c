// SPDX-License-Identifier: GPL-2.0
/*
 * The feature tests behind kmod/compat.h. Kbuild compiles this file (with
 * -fsyntax-only: nothing is built) once per test, with -DKCTX_TEST_<NAME>,
 * against the kernel's headers and with the kernel's flags. A test that
 * fails to compile means the kernel lacks the feature. Each test is an
 * error on a kernel without it, never just a warning.
 */
#include <linux/eventfd.h>
#include <linux/kthread.h>
#include <linux/mm.h>
#include <linux/slab.h>

#if defined(KCTX_TEST_CONTROL)
/* Nothing new: if this fails, no test can be trusted. */
int kctx_compat_test(void);
int kctx_compat_test(void)
{
	return 0;
}
#elif defined(KCTX_TEST_EVENTFD_SIGNAL_1)
void kctx_compat_test(struct eventfd_ctx *ctx);
void kctx_compat_test(struct eventfd_ctx *ctx)
{
	eventfd_signal(ctx);
}
#elif defined(KCTX_TEST_KTHREAD_STOP_PUT)
int kctx_compat_test(struct task_struct *k);
int kctx_compat_test(struct task_struct *k)
{
	return kthread_stop_put(k);
}
#elif defined(KCTX_TEST_KMEM_CACHE_ARGS)
unsigned int kctx_compat_test(void);
unsigned int kctx_compat_test(void)
{
	struct kmem_cache_args args = { .use_freeptr_offset = true };

	return args.freeptr_offset;
}
#elif defined(KCTX_TEST_VM_FLAGS_MOD)
void kctx_compat_test(struct vm_area_struct *vma);
void kctx_compat_test(struct vm_area_struct *vma)
{
	vm_flags_mod(vma, VM_DONTEXPAND, VM_MAYWRITE);
}
#else
#error "no KCTX_TEST_<NAME> given"
#endif
