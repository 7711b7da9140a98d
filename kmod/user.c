// SPDX-License-Identifier: GPL-2.0
/*
 * The per-user cap on contexts made through the uapi.
 *
 * A user is charged one unit for each owner fd, from KCTX_IOC_CREATE until
 * that fd's release; watch-only fds, which only observe, are bounded by
 * RLIMIT_NOFILE like any other fd. Counts live in an xarray indexed by the
 * uid as the initial user namespace sees it; an entry goes away with its
 * last unit.
 */
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/uidgid.h>
#include <linux/xarray.h>

#include "file.h"

static unsigned int max_contexts_per_user = 65536;
module_param(max_contexts_per_user, uint, 0644);
MODULE_PARM_DESC(max_contexts_per_user,
		 "owner fds one user may hold at once (KCTX_IOC_CREATE fails with ENOSPC past it)");

static DEFINE_XARRAY(kctx_users);
static DEFINE_MUTEX(kctx_users_lock);	/* serialises read-modify-write */

/**
 * kctx_user_charge() - count one more context against a user
 * @uid: the user
 *
 * Context: Process context; sleeps.
 * Return: 0, -ENOSPC at the cap, or -ENOMEM.
 */
int kctx_user_charge(kuid_t uid)
{
	unsigned long idx = from_kuid(&init_user_ns, uid);
	unsigned long n;
	int err = 0;

	mutex_lock(&kctx_users_lock);
	n = xa_to_value(xa_load(&kctx_users, idx) ?: xa_mk_value(0));
	if (n >= READ_ONCE(max_contexts_per_user))
		err = -ENOSPC;
	else
		err = xa_err(xa_store(&kctx_users, idx, xa_mk_value(n + 1),
				      GFP_KERNEL_ACCOUNT));
	mutex_unlock(&kctx_users_lock);
	return err;
}

/**
 * kctx_user_uncharge() - undo one kctx_user_charge()
 * @uid: the user
 *
 * Context: Process context; sleeps.
 */
void kctx_user_uncharge(kuid_t uid)
{
	unsigned long idx = from_kuid(&init_user_ns, uid);
	unsigned long n;

	mutex_lock(&kctx_users_lock);
	n = xa_to_value(xa_load(&kctx_users, idx));
	if (!WARN_ON_ONCE(!n)) {
		if (n == 1)
			xa_erase(&kctx_users, idx);
		else
			xa_store(&kctx_users, idx, xa_mk_value(n - 1), GFP_NOWAIT);
	}
	mutex_unlock(&kctx_users_lock);
}
