/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Real blocking calls for the bound-thread suites: a thread sleeps in one,
 * and a test proves that a context breaks the sleep. Defined in
 * kthread_test.c.
 */
#ifndef _KCTX_BLOCKER_H
#define _KCTX_BLOCKER_H

#include <linux/mutex.h>
#include <linux/net.h>
#include <linux/socket.h>
#include <linux/wait.h>

#include "kctx_test.h"

struct blocker;

/* One way to block. */
struct blocker_kind {
	const char *name;
	/* In the test, before the thread starts; may assert. */
	void (*setup)(struct kunit *test, struct blocker *b);
	/* In the test, just before the thread starts; can't fail. */
	void (*arm)(struct blocker *b);
	/* In the thread: the blocking call; < 0 if it was broken. */
	long (*block)(struct blocker *b);
};

/* A blocking call's fixture, and what the thread that made it saw. */
struct blocker {
	const struct blocker_kind *kind;
	struct socket *listener, *server, *client, *extra;
	struct sockaddr_storage addr;
	int addrlen;
	struct vfsmount *mnt;
	struct file *fifo_r, *fifo_w;
	struct mutex mutex;		/* held by the test, for mutex_lock_killable */
	bool mutex_held;
	wait_queue_head_t wq;
	bool cond;
	struct completion never;

	struct task_struct *task;	/* the thread, once it runs */
	struct completion returned;	/* the blocking call returned */
	long io_ret;
	int err;			/* kctx_err() of its context then */
	int cause;			/* kctx_cause() of its context then */
	ktime_t returned_at;
};

/* Poll, with a deadline, until @cond holds; false if it never did. */
#define POLL_UNTIL(cond)						\
({									\
	unsigned long __end = jiffies + KCTX_TEST_WAIT;			\
	bool __ok;							\
									\
	while (!(__ok = (cond)) && time_before(jiffies, __end))		\
		usleep_range(100, 200);					\
	__ok;								\
})

struct blocker *blocker_new(struct kunit *test, const struct blocker_kind *kind);
int blocker_fn(struct kctx *ctx, void *data);
bool blocker_asleep(struct blocker *b);
void blocker_unblock(struct blocker *b);
void blocker_disarm(struct blocker *b);
int blocker_suite_init(struct kunit_suite *suite);

extern const struct blocker_kind blocker_tcp_recvmsg;
extern const struct blocker_kind blocker_tcp_accept;
extern const struct blocker_kind blocker_fifo_read;
extern const struct blocker_kind blocker_msleep;

#endif /* _KCTX_BLOCKER_H */
