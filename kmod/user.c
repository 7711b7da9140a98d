// SPDX-License-Identifier: GPL-2.0
/*
 * The per-user cap on contexts made through the uapi.
 *
 * A user is charged one unit for each context it makes with
 * KCTX_IOC_CREATE, from the create until the node is freed. Every node
 * holds its parent, so a chain that one fd keeps alive costs its whole
 * length, however few fds the user holds. Watch-only fds, which make no
 * node, are bounded by RLIMIT_NOFILE like any other fd.
 *
 * A node is freed wherever its last reference goes, which may be a timer's
 * hard irq, so the uncharge takes only a spinlock and never allocates. The
 * counts live in a small hash table of per-user entries, keyed by the uid
 * as the initial user namespace sees it; an entry goes away with its last
 * unit.
 */
#include <linux/hashtable.h>
#include <linux/module.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <linux/uidgid.h>

#include "ctx.h"

static unsigned int max_contexts_per_user = 65536;
module_param(max_contexts_per_user, uint, 0644);
MODULE_PARM_DESC(max_contexts_per_user,
		 "contexts one user may have at once, counting every node until it is freed (KCTX_IOC_CREATE fails with ENOSPC past it)");

/*
 * struct kctx_user - one user's count
 *
 * Lock legend:
 *   I: set before the entry is hashed, then immutable.
 *   K: kctx_users_lock.
 */
struct kctx_user {
	struct hlist_node node;	/* K: on kctx_users */
	kuid_t uid;		/* I */
	unsigned int nr;	/* K: contexts charged, > 0 while hashed */
};

static DEFINE_HASHTABLE(kctx_users, 6);
static DEFINE_SPINLOCK(kctx_users_lock);	/* taken from any context */

static struct kctx_user *kctx_user_find(kuid_t uid)
{
	struct kctx_user *u;

	lockdep_assert_held(&kctx_users_lock);
	hash_for_each_possible(kctx_users, u, node, __kuid_val(uid))
		if (uid_eq(u->uid, uid))
			return u;
	return NULL;
}

/**
 * kctx_user_charge() - count one more context against a user
 * @uid: the user
 *
 * Context: Process context; sleeps.
 * Return: 0, -ENOSPC at the cap, or -ENOMEM.
 */
int kctx_user_charge(kuid_t uid)
{
	struct kctx_user *u, *fresh = NULL;
	int err = 0;

	for (;;) {
		spin_lock_irq(&kctx_users_lock);
		u = kctx_user_find(uid);
		if (u || fresh)
			break;
		spin_unlock_irq(&kctx_users_lock);
		/* The user's first context: an entry, made outside the lock. */
		fresh = kzalloc(sizeof(*fresh), GFP_KERNEL_ACCOUNT);
		if (!fresh)
			return -ENOMEM;
		fresh->uid = uid;
	}
	if (u && u->nr >= READ_ONCE(max_contexts_per_user)) {
		err = -ENOSPC;
	} else if (u) {
		u->nr++;
	} else if (!READ_ONCE(max_contexts_per_user)) {
		err = -ENOSPC;
	} else {
		fresh->nr = 1;
		hash_add(kctx_users, &fresh->node, __kuid_val(uid));
		fresh = NULL;
	}
	spin_unlock_irq(&kctx_users_lock);
	kfree(fresh);
	return err;
}

/**
 * kctx_user_uncharge() - undo one kctx_user_charge()
 * @uid: the user
 *
 * Context: Any context; takes a spinlock with interrupts off.
 */
void kctx_user_uncharge(kuid_t uid)
{
	struct kctx_user *u, *gone = NULL;
	unsigned long flags;

	spin_lock_irqsave(&kctx_users_lock, flags);
	u = kctx_user_find(uid);
	if (!WARN_ON_ONCE(!u) && !--u->nr) {
		hash_del(&u->node);
		gone = u;
	}
	spin_unlock_irqrestore(&kctx_users_lock, flags);
	kfree(gone);
}
