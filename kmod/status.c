// SPDX-License-Identifier: GPL-2.0
/*
 * The status page of a context fd.
 *
 * One page per struct kctx_uctx, so every fd of a context, in every
 * process, maps the same one. It is made at the first mmap() and freed
 * with the uctx; each mapping holds its own reference on it. What it holds
 * (struct kctx_status) is immutable but for the done fields, which the
 * uctx's done hook writes, @err last, before the call that ended the
 * context returns.
 *
 * Publishing the page races with the context becoming done: the mmap()
 * stores the page, then reads ->head.err; the hook runs after ->head.err
 * is stored, and then reads the page pointer. A full barrier on each side
 * means at least one of them sees the other's store, and so writes the
 * done fields; both may, with the same values.
 */
#include <linux/gfp.h>
#include <linux/mm.h>
#include <uapi/linux/kctx.h>

#include "compat.h"
#include "file.h"
#include "status.h"

/* Write what ->head.err and the rest say once @ctx is done; nothing before. */
static void kctx_status_write_done(struct kctx_status *st, const struct kctx *ctx)
{
	struct kctx_why why;
	u32 state = READ_ONCE(st->state) | KCTX_STATE_DONE;

	kctx_why_get(ctx, &why);
	if (!why.err)
		return;
	WRITE_ONCE(st->cause, why.cause);
	if (why.has_user_cause) {
		WRITE_ONCE(st->user_cause, why.user_cause);
		state |= KCTX_STATE_USER_CAUSE;
	}
	WRITE_ONCE(st->state, state);
	/* Pairs with userspace's acquire load of ->err. */
	smp_store_release(&st->err, why.err);
}

/* The page with everything that never changes filled in, or NULL. */
static struct page *kctx_status_alloc(const struct kctx *ctx)
{
	struct page *page = alloc_page(GFP_KERNEL_ACCOUNT | __GFP_ZERO);
	struct kctx_status *st;
	ktime_t deadline;

	if (!page)
		return NULL;
	st = page_address(page);
	st->size = sizeof(*st);
	st->id = ctx->id;
	st->parent_id = ctx->parent->id;
	if (kctx_deadline(ctx, &deadline)) {
		st->state = KCTX_STATE_DEADLINE;
		st->deadline_ns = ktime_to_ns(deadline);
	}
	return page;
}

/* @uc's page, made and published on first use. */
static struct page *kctx_status_get(struct kctx_uctx *uc)
{
	struct page *page;

	mutex_lock(&uc->lock);
	page = uc->status;
	if (page)
		goto out;
	page = kctx_status_alloc(uc->ctx);
	if (!page)
		goto out;
	/* Pairs with the acquire in kctx_status_done(): the page is filled. */
	smp_store_release(&uc->status, page);
	/* The store above, then the load of ->head.err; see the top. */
	smp_mb();
	kctx_status_write_done(page_address(page), uc->ctx);
out:
	mutex_unlock(&uc->lock);
	return page;
}

/**
 * kctx_status_mmap() - map a context's status page
 * @uc: the userspace side of the context
 * @vma: one page at offset 0, not writable
 *
 * The mapping may never become writable: mprotect() can't add PROT_WRITE.
 *
 * Context: Process context, from the file's ->mmap(); sleeps.
 * Return: 0, -EINVAL for another offset or length, -EACCES for a writable
 * mapping, or -ENOMEM.
 */
int kctx_status_mmap(struct kctx_uctx *uc, struct vm_area_struct *vma)
{
	struct page *page;

	if (vma->vm_pgoff || vma_pages(vma) != 1)
		return -EINVAL;
	if (vma->vm_flags & VM_WRITE)
		return -EACCES;
	page = kctx_status_get(uc);
	if (!page)
		return -ENOMEM;
	vm_flags_mod(vma, VM_DONTEXPAND | VM_DONTDUMP, VM_MAYWRITE);
	return vm_insert_page(vma, vma->vm_start, page);
}

/**
 * kctx_status_done() - bring the status page up to date with a done context
 * @uc: the userspace side of the context
 *
 * Context: From @uc's done hook: under the context's lock, interrupts off,
 * maybe in hard irq.
 */
void kctx_status_done(struct kctx_uctx *uc)
{
	struct page *page;

	/* ->head.err's store, then this load; see the top. */
	smp_mb();
	/* Pairs with the release in kctx_status_get(): a filled page. */
	page = smp_load_acquire(&uc->status);
	if (page)
		kctx_status_write_done(page_address(page), uc->ctx);
}

/**
 * kctx_status_free() - drop the uctx's reference on its status page
 * @uc: the userspace side of the context, which no file refers to now
 *
 * Mappings keep the page until they go.
 *
 * Context: Any context.
 */
void kctx_status_free(struct kctx_uctx *uc)
{
	if (uc->status)
		__free_page(uc->status);
}
