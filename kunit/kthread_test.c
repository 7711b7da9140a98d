// SPDX-License-Identifier: GPL-2.0
/*
 * Bound kthreads: real blocking calls break when the context is done, and
 * bindings leave nothing behind.
 *
 * No timing thresholds: each abort case proves that the thread returned,
 * with the context's error, from a call it was really asleep in, and
 * reports the cancel-to-return latency for the record.
 */
#include <linux/delay.h>
#include <linux/fs.h>
#include <linux/in.h>
#include <linux/module.h>
#include <linux/mount.h>
#include <linux/namei.h>
#include <linux/netdevice.h>
#include <linux/rtnetlink.h>
#include <linux/sched/signal.h>
#include <linux/sched/task.h>
#include <linux/un.h>
#include <net/net_namespace.h>
#include <net/sock.h>

#include "blocker.h"
#include "../kmod/kthread.h"

/* Far enough ahead for the thread to be asleep first, even under TCG. */
#define DEADLINE_NS	(500 * NSEC_PER_MSEC)
/* A sleep nothing but the context will end. */
#define FOREVER_MS	(10 * 60 * MSEC_PER_SEC)

/* Loopback TCP needs lo up; the test VM's init doesn't bring it up. */
int blocker_suite_init(struct kunit_suite *suite)
{
	struct net_device *lo = init_net.loopback_dev;
	int err = 0;

	rtnl_lock();
	if (!(lo->flags & IFF_UP))
		err = dev_change_flags(lo, lo->flags | IFF_UP, NULL);
	rtnl_unlock();
	return err;
}

static void blocker_teardown(void *data)
{
	struct blocker *b = data;
	struct socket **s[] = { &b->extra, &b->client, &b->server, &b->listener };
	int i;

	for (i = 0; i < ARRAY_SIZE(s); i++) {
		if (*s[i])
			sock_release(*s[i]);
		*s[i] = NULL;
	}
	if (b->fifo_r)
		__fput_sync(b->fifo_r);
	if (b->fifo_w)
		__fput_sync(b->fifo_w);
	if (b->mnt)
		kern_unmount(b->mnt);
}

struct blocker *blocker_new(struct kunit *test, const struct blocker_kind *kind)
{
	struct blocker *b = kunit_kzalloc(test, sizeof(*b), GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, b);
	b->kind = kind;
	mutex_init(&b->mutex);
	init_waitqueue_head(&b->wq);
	init_completion(&b->never);
	init_completion(&b->returned);
	KUNIT_ASSERT_EQ(test, kunit_add_action_or_reset(test, blocker_teardown, b), 0);
	if (kind->setup)
		kind->setup(test, b);
	return b;
}

/* The function of a bound thread that makes one blocking call. */
int blocker_fn(struct kctx *ctx, void *data)
{
	struct blocker *b = data;

	WRITE_ONCE(b->task, current);
	b->io_ret = b->kind->block(b);
	b->returned_at = ktime_get();
	b->err = kctx_err(ctx);
	b->cause = kctx_cause(ctx);
	complete(&b->returned);
	return b->err;
}

/* From the test: end the blocking call from outside, after a failure. */
void blocker_unblock(struct blocker *b)
{
	struct socket *s[] = { b->extra, b->client, b->server, b->listener };
	int i;

	for (i = 0; i < ARRAY_SIZE(s); i++)
		if (s[i])
			kernel_sock_shutdown(s[i], SHUT_RDWR);
	if (b->fifo_w) {
		__fput_sync(b->fifo_w);
		b->fifo_w = NULL;
	}
	WRITE_ONCE(b->cond, true);
	wake_up_all(&b->wq);
	complete_all(&b->never);
	blocker_disarm(b);
}

/* From the test, in the task that armed it, once the thread returned. */
void blocker_disarm(struct blocker *b)
{
	if (b->mutex_held)
		mutex_unlock(&b->mutex);
	b->mutex_held = false;
}

static void tcp_listen(struct kunit *test, struct blocker *b, int backlog)
{
	struct sockaddr_in *in = (struct sockaddr_in *)&b->addr;
	int len;

	in->sin_family = AF_INET;
	in->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	KUNIT_ASSERT_EQ(test, sock_create_kern(&init_net, AF_INET, SOCK_STREAM,
					       IPPROTO_TCP, &b->listener), 0);
	KUNIT_ASSERT_EQ(test, kernel_bind(b->listener, (struct sockaddr *)in,
					  sizeof(*in)), 0);
	KUNIT_ASSERT_EQ(test, kernel_listen(b->listener, backlog), 0);
	len = kernel_getsockname(b->listener, (struct sockaddr *)in);
	KUNIT_ASSERT_GT(test, len, 0);
	b->addrlen = len;
}

static void unix_listen(struct kunit *test, struct blocker *b, int backlog)
{
	static atomic_t seq = ATOMIC_INIT(0);
	struct sockaddr_un *un = (struct sockaddr_un *)&b->addr;
	int n;

	/* Abstract: no file system involved. */
	un->sun_family = AF_UNIX;
	n = snprintf(un->sun_path + 1, sizeof(un->sun_path) - 1,
		     "kctx-test-%d", atomic_inc_return(&seq));
	b->addrlen = offsetof(struct sockaddr_un, sun_path) + 1 + n;
	KUNIT_ASSERT_EQ(test, sock_create_kern(&init_net, AF_UNIX, SOCK_STREAM,
					       0, &b->listener), 0);
	KUNIT_ASSERT_EQ(test, kernel_bind(b->listener, (struct sockaddr *)un,
					  b->addrlen), 0);
	KUNIT_ASSERT_EQ(test, kernel_listen(b->listener, backlog), 0);
}

/* A connected pair: ->client to ->server, through ->listener. */
static void connect_pair(struct kunit *test, struct blocker *b)
{
	int family = b->addr.ss_family;

	KUNIT_ASSERT_EQ(test, sock_create_kern(&init_net, family, SOCK_STREAM,
					       0, &b->client), 0);
	KUNIT_ASSERT_EQ(test, kernel_connect(b->client, (struct sockaddr *)&b->addr,
					     b->addrlen, 0), 0);
	KUNIT_ASSERT_EQ(test, kernel_accept(b->listener, &b->server, 0), 0);
}

static long recv_one(struct blocker *b)
{
	struct msghdr msg = {};
	struct kvec iov;
	char c;

	iov.iov_base = &c;
	iov.iov_len = 1;
	return kernel_recvmsg(b->server, &msg, &iov, 1, 1, 0);
}

static long accept_one(struct blocker *b)
{
	return kernel_accept(b->listener, &b->extra, 0);
}

static long connect_extra(struct blocker *b)
{
	return kernel_connect(b->extra, (struct sockaddr *)&b->addr, b->addrlen, 0);
}

static void tcp_pair_setup(struct kunit *test, struct blocker *b)
{
	tcp_listen(test, b, 1);
	connect_pair(test, b);
}

static void tcp_listener_setup(struct kunit *test, struct blocker *b)
{
	tcp_listen(test, b, 1);
}

/*
 * A backlog of 0 takes one connection: the next SYN is dropped, so a
 * second connect waits in SYN_SENT for a reply that doesn't come.
 */
static void tcp_full_backlog_setup(struct kunit *test, struct blocker *b)
{
	tcp_listen(test, b, 0);
	KUNIT_ASSERT_EQ(test, sock_create_kern(&init_net, AF_INET, SOCK_STREAM,
					       IPPROTO_TCP, &b->client), 0);
	KUNIT_ASSERT_EQ(test, kernel_connect(b->client, (struct sockaddr *)&b->addr,
					     b->addrlen, 0), 0);
	KUNIT_ASSERT_EQ(test, sock_create_kern(&init_net, AF_INET, SOCK_STREAM,
					       IPPROTO_TCP, &b->extra), 0);
}

static void unix_pair_setup(struct kunit *test, struct blocker *b)
{
	unix_listen(test, b, 1);
	connect_pair(test, b);
}

/* As for TCP: with a backlog of 0, the second connect waits for room. */
static void unix_full_backlog_setup(struct kunit *test, struct blocker *b)
{
	unix_listen(test, b, 0);
	KUNIT_ASSERT_EQ(test, sock_create_kern(&init_net, AF_UNIX, SOCK_STREAM,
					       0, &b->client), 0);
	KUNIT_ASSERT_EQ(test, kernel_connect(b->client, (struct sockaddr *)&b->addr,
					     b->addrlen, 0), 0);
	KUNIT_ASSERT_EQ(test, sock_create_kern(&init_net, AF_UNIX, SOCK_STREAM,
					       0, &b->extra), 0);
}

/*
 * An empty FIFO with a writer, on a private ramfs mount. A module can't
 * make an anonymous pipe (create_pipe_files() is not exported), but a FIFO
 * is read by the same pipe_read().
 */
static void fifo_setup(struct kunit *test, struct blocker *b)
{
	struct file_system_type *ramfs = get_fs_type("ramfs");	/* built in */
	struct vfsmount *mnt;
	struct dentry *root, *d;
	struct path path;
	int err;

	KUNIT_ASSERT_NOT_NULL(test, ramfs);
	mnt = kern_mount(ramfs);
	KUNIT_ASSERT_FALSE(test, IS_ERR(mnt));
	b->mnt = mnt;
	root = mnt->mnt_root;
	inode_lock(d_inode(root));
	d = lookup_one_len("fifo", root, 4);
	err = IS_ERR(d) ? PTR_ERR(d) :
	      vfs_mknod(&nop_mnt_idmap, d_inode(root), d, S_IFIFO | 0600, 0);
	inode_unlock(d_inode(root));
	if (err && !IS_ERR(d))
		dput(d);
	KUNIT_ASSERT_EQ(test, err, 0);
	path.mnt = mnt;
	path.dentry = d;
	/* O_RDWR first: it doesn't wait for a partner, and is the writer. */
	b->fifo_w = dentry_open(&path, O_RDWR, current_cred());
	b->fifo_r = IS_ERR(b->fifo_w) ? NULL : dentry_open(&path, O_RDONLY, current_cred());
	dput(d);
	if (IS_ERR(b->fifo_w))
		b->fifo_w = NULL;
	if (IS_ERR(b->fifo_r))
		b->fifo_r = NULL;
	KUNIT_ASSERT_NOT_NULL(test, b->fifo_w);
	KUNIT_ASSERT_NOT_NULL(test, b->fifo_r);
}

static long fifo_read(struct blocker *b)
{
	loff_t pos = 0;
	char c;

	return kernel_read(b->fifo_r, &c, 1, &pos);
}

static long sleep_forever(struct blocker *b)
{
	return msleep_interruptible(FOREVER_MS) ? -EINTR : 0;
}

static long schedule_forever(struct blocker *b)
{
	return schedule_timeout_interruptible(msecs_to_jiffies(FOREVER_MS)) ? -EINTR : 0;
}

static long wait_event_forever(struct blocker *b)
{
	return wait_event_interruptible(b->wq, READ_ONCE(b->cond));
}

static long completion_forever(struct blocker *b)
{
	return wait_for_completion_killable(&b->never);
}

static void mutex_arm(struct blocker *b)
{
	mutex_lock(&b->mutex);
	b->mutex_held = true;
}

static long mutex_forever(struct blocker *b)
{
	int err = mutex_lock_killable(&b->mutex);

	if (!err)
		mutex_unlock(&b->mutex);
	return err;
}

const struct blocker_kind blocker_tcp_recvmsg = {
	.name = "tcp_recvmsg", .setup = tcp_pair_setup, .block = recv_one,
};

const struct blocker_kind blocker_tcp_accept = {
	.name = "tcp_accept", .setup = tcp_listener_setup, .block = accept_one,
};

const struct blocker_kind blocker_fifo_read = {
	.name = "fifo_read", .setup = fifo_setup, .block = fifo_read,
};

const struct blocker_kind blocker_msleep = {
	.name = "msleep_interruptible", .block = sleep_forever,
};

static const struct blocker_kind blocker_tcp_connect = {
	.name = "tcp_connect", .setup = tcp_full_backlog_setup, .block = connect_extra,
};

static const struct blocker_kind blocker_unix_recvmsg = {
	.name = "unix_recvmsg", .setup = unix_pair_setup, .block = recv_one,
};

static const struct blocker_kind blocker_unix_connect = {
	.name = "unix_connect", .setup = unix_full_backlog_setup, .block = connect_extra,
};

static const struct blocker_kind blocker_schedule_timeout = {
	.name = "schedule_timeout_interruptible", .block = schedule_forever,
};

static const struct blocker_kind blocker_wait_event = {
	.name = "wait_event_interruptible", .block = wait_event_forever,
};

static const struct blocker_kind blocker_completion = {
	.name = "wait_for_completion_killable", .block = completion_forever,
};

static const struct blocker_kind blocker_mutex = {
	.name = "mutex_lock_killable", .arm = mutex_arm, .block = mutex_forever,
};

static const struct blocker_kind *const blocker_kinds[] = {
	&blocker_tcp_recvmsg,
	&blocker_tcp_accept,
	&blocker_tcp_connect,
	&blocker_unix_recvmsg,
	&blocker_unix_connect,
	&blocker_fifo_read,
	&blocker_msleep,
	&blocker_schedule_timeout,
	&blocker_wait_event,
	&blocker_completion,
	&blocker_mutex,
};

static void blocker_kind_desc(const struct blocker_kind *const *kind, char *desc)
{
	strscpy(desc, (*kind)->name, KUNIT_PARAM_DESC_SIZE);
}

KUNIT_ARRAY_PARAM(blocker_kind, blocker_kinds, blocker_kind_desc);

/*
 * Wait until @b's thread is asleep in its call. A new thread can look
 * asleep before it first runs, while its wakeup is still queued for
 * another CPU, so first wait for it to get as far as the call.
 */
bool blocker_asleep(struct blocker *b)
{
	return POLL_UNTIL(READ_ONCE(b->task)) && kctx_test_wait_sleeping(b->task);
}

enum trigger { BY_CANCEL, BY_DEADLINE };

/*
 * A thread on a grandchild of @how's context sleeps in a blocking call;
 * the context is cancelled, or reaches its deadline, and the call must
 * break and the thread return the context's error.
 */
static void abort_case(struct kunit *test, enum trigger how)
{
	const struct blocker_kind *kind = *(const struct blocker_kind *const *)test->param_value;
	struct blocker *b = blocker_new(test, kind);
	struct kctx *gp, *p;
	struct task_struct *task;
	bool slept, returned, early = false;
	ktime_t start;
	int ret;

	gp = how == BY_CANCEL ? kctx_with_cancel(kctx_background(), GFP_KERNEL) :
	     kctx_with_timeout(kctx_background(), DEADLINE_NS, GFP_KERNEL);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, gp);
	p = kctx_with_cancel(gp, GFP_KERNEL);
	if (IS_ERR(p)) {
		kctx_put(gp);
		KUNIT_FAIL(test, "kctx_with_cancel: %ld", PTR_ERR(p));
		return;
	}
	/* No assertions from here on: the thread must be reaped. */
	if (kind->arm)
		kind->arm(b);
	task = kctx_kthread_run(p, blocker_fn, b, "kctx-%s", kind->name);
	if (IS_ERR(task)) {
		blocker_disarm(b);
		KUNIT_FAIL(test, "kctx_kthread_run: %ld", PTR_ERR(task));
		goto out;
	}
	slept = blocker_asleep(b);
	if (how == BY_CANCEL) {
		start = ktime_get();
		kctx_cancel_cause(gp, -ESHUTDOWN);
	} else {
		kctx_deadline(gp, &start);
		early = kctx_done(gp);
	}
	returned = wait_for_completion_timeout(&b->returned, KCTX_TEST_WAIT);
	if (!returned)
		blocker_unblock(b);
	ret = kctx_kthread_wait(task);
	blocker_disarm(b);

	KUNIT_EXPECT_TRUE_MSG(test, slept, "the thread never slept");
	KUNIT_EXPECT_TRUE_MSG(test, returned, "%s was not broken", kind->name);
	KUNIT_EXPECT_LT_MSG(test, b->io_ret, 0, "%s completed instead", kind->name);
	if (how == BY_CANCEL) {
		KUNIT_EXPECT_EQ(test, ret, -ECANCELED);
		KUNIT_EXPECT_EQ(test, b->err, -ECANCELED);
		KUNIT_EXPECT_EQ(test, b->cause, -ESHUTDOWN);
	} else {
		KUNIT_EXPECT_EQ(test, ret, -ETIMEDOUT);
		KUNIT_EXPECT_EQ(test, b->err, -ETIMEDOUT);
		KUNIT_EXPECT_EQ(test, b->cause, -ETIMEDOUT);
	}
	if (returned)
		kunit_info(test, "%s: %s to return: %lld us (call returned %ld)\n",
			   kind->name, how == BY_CANCEL ? "cancel" : "deadline",
			   ktime_us_delta(b->returned_at, start), b->io_ret);
out:
	kctx_put(p);
	kctx_cancel(gp);	/* a live deadline would stay armed until it passed */
	kctx_put(gp);
	if (early)
		kunit_skip(test, "the deadline passed before the thread slept; raise DEADLINE_NS");
}

static void grandparent_cancel_breaks_the_call(struct kunit *test)
{
	abort_case(test, BY_CANCEL);
}

static void grandparent_deadline_breaks_the_call(struct kunit *test)
{
	abort_case(test, BY_DEADLINE);
}

/* Start @kind's call on a thread bound to @ctx; NULL after a failure. */
static struct task_struct *start_blocked(struct kunit *test, struct blocker *b,
					 struct kctx *ctx)
{
	struct task_struct *task;

	task = kctx_kthread_run(ctx, blocker_fn, b, "kctx-%s", b->kind->name);
	if (IS_ERR(task)) {
		KUNIT_FAIL(test, "kctx_kthread_run: %ld", PTR_ERR(task));
		return NULL;
	}
	KUNIT_EXPECT_TRUE(test, blocker_asleep(b));
	return task;
}

static void stop_ends_only_its_own_thread(struct kunit *test)
{
	struct kctx *p = KCTX_TEST_NEW(test, kctx_with_cancel(kctx_background(), GFP_KERNEL));
	struct blocker *b1 = blocker_new(test, &blocker_msleep);
	struct blocker *b2 = blocker_new(test, &blocker_tcp_recvmsg);
	struct task_struct *t1, *t2;

	t1 = start_blocked(test, b1, p);
	t2 = start_blocked(test, b2, p);
	if (t1)
		KUNIT_EXPECT_EQ(test, kctx_kthread_stop(t1), -ECANCELED);
	KUNIT_EXPECT_FALSE(test, kctx_done(p));
	KUNIT_EXPECT_FALSE(test, completion_done(&b2->returned));
	if (t2)
		KUNIT_EXPECT_EQ(test, kctx_kthread_stop(t2), -ECANCELED);
	KUNIT_EXPECT_LT(test, b1->io_ret, 0);
	KUNIT_EXPECT_LT(test, b2->io_ret, 0);
	kctx_put(p);
}

static void run_on_a_done_context_breaks_sleeps_at_once(struct kunit *test)
{
	struct kctx *ctx = KCTX_TEST_NEW(test, kctx_with_cancel(kctx_background(), GFP_KERNEL));
	struct blocker *b = blocker_new(test, &blocker_msleep);
	struct task_struct *task;

	kctx_cancel_cause(ctx, -EPIPE);
	task = kctx_kthread_run(ctx, blocker_fn, b, "kctx-done");
	if (!IS_ERR(task))
		KUNIT_EXPECT_EQ(test, kctx_kthread_wait(task), -ECANCELED);
	KUNIT_EXPECT_FALSE(test, IS_ERR(task));
	KUNIT_EXPECT_LT(test, b->io_ret, 0);
	KUNIT_EXPECT_EQ(test, b->cause, -EPIPE);
	kctx_put(ctx);
}

/* The thread's function sees its own child of the given context. */
static int own_ctx_fn(struct kctx *ctx, void *data)
{
	struct kctx **seen = data;

	ktime_t deadline;

	*seen = ctx;
	return kctx_deadline(ctx, &deadline) ? 1 : 0;
}

static void fn_gets_a_child_with_the_parents_deadline(struct kunit *test)
{
	struct kctx *p, *seen = NULL;
	struct task_struct *task;

	p = KCTX_TEST_NEW(test, kctx_with_timeout(kctx_background(), 3600 * NSEC_PER_SEC,
						  GFP_KERNEL));
	task = kctx_kthread_run(p, own_ctx_fn, &seen, "kctx-own");
	KUNIT_ASSERT_FALSE(test, IS_ERR(task));
	KUNIT_EXPECT_EQ(test, kctx_kthread_wait(task), 1);
	KUNIT_EXPECT_NOT_NULL(test, seen);
	KUNIT_EXPECT_PTR_NE(test, seen, p);
	kctx_cancel(p);
	kctx_put(p);
}

/* kctx's module reference count; -1 when kctx is built in (UML). */
static int kctx_module_refcount(void)
{
#ifdef CONFIG_MODULE_UNLOAD
	struct module *mod = kctx_kthread_module();

	if (mod)
		return module_refcount(mod);
#endif
	return -1;
}

static void bound_thread_pins_kctx(struct kunit *test)
{
	struct kctx *ctx;
	struct blocker *b;
	struct task_struct *task;
	int before, during;

	before = kctx_module_refcount();
	if (before < 0)
		kunit_skip(test, "kctx is built in: no module to pin");
	ctx = KCTX_TEST_NEW(test, kctx_with_cancel(kctx_background(), GFP_KERNEL));
	b = blocker_new(test, &blocker_msleep);
	task = start_blocked(test, b, ctx);
	during = kctx_module_refcount();
	if (task)
		kctx_kthread_stop(task);
	KUNIT_EXPECT_EQ(test, during, before + 1);
	KUNIT_EXPECT_EQ(test, kctx_module_refcount(), before);
	kctx_put(ctx);
}

/* A SIGKILL from userspace (no kernel privilege) is still ignored. */
static void userspace_kill_does_not_break_a_bound_thread(struct kunit *test)
{
	struct kctx *ctx = KCTX_TEST_NEW(test, kctx_with_cancel(kctx_background(), GFP_KERNEL));
	struct blocker *b = blocker_new(test, &blocker_msleep);
	struct task_struct *task;

	task = start_blocked(test, b, ctx);
	if (!task)
		goto out;
	/* As kill(2) would, but from a task in the same pid namespace. */
	kill_pid(task_pid(task), SIGKILL, 0);
	KUNIT_EXPECT_FALSE(test, task_sigpending(task));
	KUNIT_EXPECT_FALSE(test, completion_done(&b->returned));
	KUNIT_EXPECT_EQ(test, kctx_kthread_stop(task), -ECANCELED);
out:
	kctx_put(ctx);
}

struct d_sleeper {
	bool started;
	wait_queue_head_t wq;
	bool cond;
	struct completion returned;
	int err;
};

static int d_sleeper_fn(struct kctx *ctx, void *data)
{
	struct d_sleeper *d = data;

	WRITE_ONCE(d->started, true);
	wait_event(d->wq, READ_ONCE(d->cond));
	d->err = kctx_err(ctx);
	complete(&d->returned);
	return d->err;
}

/*
 * The limit of the method: a TASK_UNINTERRUPTIBLE sleep is left alone,
 * with the signal pending, until its own event comes.
 */
static void uninterruptible_sleep_is_not_broken(struct kunit *test)
{
	struct kctx *ctx = KCTX_TEST_NEW(test, kctx_with_cancel(kctx_background(), GFP_KERNEL));
	struct d_sleeper *d = kunit_kzalloc(test, sizeof(*d), GFP_KERNEL);
	struct task_struct *task;

	KUNIT_ASSERT_NOT_NULL(test, d);
	init_waitqueue_head(&d->wq);
	init_completion(&d->returned);
	task = kctx_kthread_run(ctx, d_sleeper_fn, d, "kctx-d-sleeper");
	KUNIT_ASSERT_FALSE(test, IS_ERR(task));
	KUNIT_EXPECT_TRUE(test, POLL_UNTIL(READ_ONCE(d->started)));
	KUNIT_EXPECT_TRUE(test, kctx_test_wait_sleeping(task));
	/* An explicit cancel runs the hooks before it returns. */
	kctx_cancel(ctx);
	KUNIT_EXPECT_TRUE(test, task_sigpending(task));
	KUNIT_EXPECT_EQ(test, READ_ONCE(task->__state), TASK_UNINTERRUPTIBLE);
	KUNIT_EXPECT_FALSE(test, completion_done(&d->returned));
	WRITE_ONCE(d->cond, true);
	wake_up(&d->wq);
	KUNIT_EXPECT_EQ(test, kctx_kthread_wait(task), -ECANCELED);
	kctx_put(ctx);
}

struct shutdown_cb {
	struct kctx_callback cb;
	struct socket *sock;
};

static void shutdown_fn(struct kctx_callback *cb)
{
	kernel_sock_shutdown(container_of(cb, struct shutdown_cb, cb)->sock, SHUT_RDWR);
}

struct unsignalled {
	struct blocker *b;
	struct kctx *ctx;
	bool started;
	int err;
};

/* A plain kthread: it ignores every signal, as if it slept uninterruptibly. */
static int unsignalled_recv_fn(void *data)
{
	struct unsignalled *u = data;

	WRITE_ONCE(u->started, true);
	u->b->io_ret = recv_one(u->b);
	u->err = kctx_err(u->ctx);
	return 0;
}

/* The route for what no signal breaks: an after-func ends the I/O. */
static void after_func_shutdown_ends_a_recv_no_signal_reaches(struct kunit *test)
{
	struct kctx *ctx = KCTX_TEST_NEW(test, kctx_with_cancel(kctx_background(), GFP_KERNEL));
	struct blocker *b = blocker_new(test, &blocker_tcp_recvmsg);
	struct shutdown_cb *s = kunit_kzalloc(test, sizeof(*s), GFP_KERNEL);
	struct unsignalled u = { .b = b, .ctx = ctx };
	struct kctx_test_thread t;
	ktime_t start;
	bool joined;

	KUNIT_ASSERT_NOT_NULL(test, s);
	s->sock = b->server;
	kctx_after_func(ctx, &s->cb, shutdown_fn);
	kctx_test_thread_start(test, &t, unsignalled_recv_fn, &u);
	KUNIT_EXPECT_TRUE(test, POLL_UNTIL(READ_ONCE(u.started)));
	KUNIT_EXPECT_TRUE(test, kctx_test_wait_sleeping(t.task));
	start = ktime_get();
	kctx_cancel(ctx);
	joined = kctx_test_thread_join(&t);
	if (!joined)
		kernel_sock_shutdown(b->server, SHUT_RDWR);
	KUNIT_EXPECT_FALSE(test, kctx_after_func_stop_sync(&s->cb));
	KUNIT_ASSERT_TRUE(test, joined || kctx_test_thread_join(&t));
	KUNIT_EXPECT_TRUE(test, joined);
	/* Shut down, not interrupted: the recv sees the end of the stream. */
	KUNIT_EXPECT_EQ(test, b->io_ret, 0);
	KUNIT_EXPECT_EQ(test, u.err, -ECANCELED);
	kunit_info(test, "cancel to return through the after-func: %lld us\n",
		   ktime_us_delta(ktime_get(), start));
	kctx_put(ctx);
}

/* A pool thread: a plain kthread that binds itself to job after job. */
struct pool {
	struct kctx *jobs[3];
	int on_job;			/* the job it is asleep for, or -1 */
	long slept[3];
	int cause[3];
	bool pending_after;
	long later_sleep;
	long later_wait;
	__sighandler_t handler_after;
	wait_queue_head_t wq;
};

static int pool_fn(void *data)
{
	struct pool *p = data;
	struct sighand_struct *sighand;
	struct kctx_binding b;
	int i;

	for (i = 0; i < ARRAY_SIZE(p->jobs); i++) {
		if (kctx_bind_current(p->jobs[i], &b))
			return -EINVAL;
		WRITE_ONCE(p->on_job, i);
		p->slept[i] = msleep_interruptible(FOREVER_MS);
		p->cause[i] = kctx_cause(p->jobs[i]);
		kctx_unbind_current(&b);
	}
	WRITE_ONCE(p->on_job, -1);
	/* After the last job: nothing left to break unrelated sleeps. */
	p->pending_after = signal_pending(current);
	p->later_sleep = msleep_interruptible(20);
	p->later_wait = wait_event_interruptible_timeout(p->wq, false, 2);
	sighand = rcu_dereference_protected(current->sighand, true);	/* our own */
	spin_lock_irq(&sighand->siglock);
	p->handler_after = sighand->action[SIGKILL - 1].sa.sa_handler;
	spin_unlock_irq(&sighand->siglock);
	return 0;
}

static void pool_thread_binds_job_after_job_and_keeps_no_signal(struct kunit *test)
{
	struct pool *p = kunit_kzalloc(test, sizeof(*p), GFP_KERNEL);
	struct kctx_test_thread t;
	int i;

	KUNIT_ASSERT_NOT_NULL(test, p);
	init_waitqueue_head(&p->wq);
	p->on_job = -1;
	for (i = 0; i < ARRAY_SIZE(p->jobs); i++)
		p->jobs[i] = KCTX_TEST_NEW(test, kctx_with_cancel(kctx_background(),
								  GFP_KERNEL));
	kctx_test_thread_start(test, &t, pool_fn, p);
	for (i = 0; i < ARRAY_SIZE(p->jobs); i++) {
		KUNIT_EXPECT_TRUE(test, POLL_UNTIL(READ_ONCE(p->on_job) == i));
		KUNIT_EXPECT_TRUE(test, kctx_test_wait_sleeping(t.task));
		kctx_cancel_cause(p->jobs[i], -(EIO + i));
	}
	KUNIT_ASSERT_TRUE(test, kctx_test_thread_join(&t));
	KUNIT_EXPECT_EQ(test, t.ret, 0);
	for (i = 0; i < ARRAY_SIZE(p->jobs); i++) {
		KUNIT_EXPECT_GT(test, p->slept[i], 0);
		KUNIT_EXPECT_EQ(test, p->cause[i], -(EIO + i));
		kctx_put(p->jobs[i]);
	}
	KUNIT_EXPECT_FALSE(test, p->pending_after);
	KUNIT_EXPECT_EQ(test, p->later_sleep, 0);
	KUNIT_EXPECT_EQ(test, p->later_wait, 0);
	/* What a kthread starts with: kthreadd ignores every signal. */
	KUNIT_EXPECT_TRUE(test, p->handler_after == SIG_IGN);
}

struct bind_once {
	struct kctx *ctx;
	int bound;
	bool pending_after;
	long slept;
};

static int bind_done_fn(void *data)
{
	struct bind_once *o = data;
	struct kctx_binding b;

	o->bound = kctx_bind_current(o->ctx, &b);
	if (!o->bound)
		kctx_unbind_current(&b);
	o->pending_after = signal_pending(current);
	o->slept = msleep_interruptible(1);
	return 0;
}

/* A job cancelled before a pool thread took it up is not started. */
static void binding_a_done_context_is_refused_with_its_error(struct kunit *test)
{
	struct bind_once *o = kunit_kzalloc(test, sizeof(*o), GFP_KERNEL);
	struct kctx_test_thread t;

	KUNIT_ASSERT_NOT_NULL(test, o);
	o->ctx = KCTX_TEST_NEW(test, kctx_with_cancel(kctx_background(), GFP_KERNEL));
	kctx_cancel_cause(o->ctx, -EPIPE);
	kctx_test_thread_start(test, &t, bind_done_fn, o);
	KUNIT_ASSERT_TRUE(test, kctx_test_thread_join(&t));
	KUNIT_EXPECT_EQ(test, o->bound, -ECANCELED);
	/* Nothing was sent, and nothing was left to break later sleeps. */
	KUNIT_EXPECT_FALSE(test, o->pending_after);
	KUNIT_EXPECT_EQ(test, o->slept, 0);
	kctx_put(o->ctx);
}

struct driver_kill {
	struct kctx *ctx;
	struct completion bound;
	struct completion go_on;
	bool pending_after;
};

/* A thread that takes SIGKILL for its own stop, as some drivers' do. */
static int driver_kill_fn(void *data)
{
	struct driver_kill *d = data;
	struct kctx_binding b;

	allow_kernel_signal(SIGKILL);
	if (kctx_bind_current(d->ctx, &b))
		return -EINVAL;
	complete(&d->bound);
	wait_for_completion(&d->go_on);
	kctx_unbind_current(&b);
	d->pending_after = fatal_signal_pending(current);
	return 0;
}

/*
 * The driver's SIGKILL comes first, then the context's cancel, which finds
 * the signal pending and sends none of its own: unbinding must leave the
 * driver's signal where it is.
 */
static void drivers_own_sigkill_survives_unbind(struct kunit *test)
{
	struct driver_kill *d = kunit_kzalloc(test, sizeof(*d), GFP_KERNEL);
	struct kctx_test_thread t;

	KUNIT_ASSERT_NOT_NULL(test, d);
	init_completion(&d->bound);
	init_completion(&d->go_on);
	d->ctx = KCTX_TEST_NEW(test, kctx_with_cancel(kctx_background(), GFP_KERNEL));
	kctx_test_thread_start(test, &t, driver_kill_fn, d);
	KUNIT_ASSERT_GT(test, wait_for_completion_timeout(&d->bound, KCTX_TEST_WAIT), 0);
	send_sig(SIGKILL, t.task, 1);
	kctx_cancel(d->ctx);
	complete(&d->go_on);
	KUNIT_ASSERT_TRUE(test, kctx_test_thread_join(&t));
	KUNIT_EXPECT_EQ(test, t.ret, 0);
	KUNIT_EXPECT_TRUE(test, d->pending_after);
	kctx_put(d->ctx);
}

struct direct {
	struct kctx *ctx;
	bool bound;
	long slept;
	int err;
	bool pending_after;
};

static int direct_fn(void *data)
{
	struct direct *d = data;
	struct kctx_binding b;

	if (kctx_bind_current(d->ctx, &b))
		return -EINVAL;
	WRITE_ONCE(d->bound, true);
	d->slept = msleep_interruptible(FOREVER_MS);
	d->err = kctx_err(d->ctx);
	kctx_unbind_current(&b);
	d->pending_after = signal_pending(current);
	return 0;
}

/* A deadline node's own hooks run in its timer's callback, not in a worker. */
static void binding_a_deadline_node_breaks_from_its_timer(struct kunit *test)
{
	struct direct *d = kunit_kzalloc(test, sizeof(*d), GFP_KERNEL);
	struct kctx_test_thread t;
	bool early;

	KUNIT_ASSERT_NOT_NULL(test, d);
	d->ctx = KCTX_TEST_NEW(test, kctx_with_timeout(kctx_background(), DEADLINE_NS,
						       GFP_KERNEL));
	kctx_test_thread_start(test, &t, direct_fn, d);
	KUNIT_EXPECT_TRUE(test, POLL_UNTIL(READ_ONCE(d->bound)));
	KUNIT_EXPECT_TRUE(test, kctx_test_wait_sleeping(t.task));
	early = kctx_done(d->ctx);
	KUNIT_ASSERT_TRUE(test, kctx_test_thread_join(&t));
	KUNIT_EXPECT_EQ(test, t.ret, 0);
	KUNIT_EXPECT_GT(test, d->slept, 0);
	KUNIT_EXPECT_EQ(test, d->err, -ETIMEDOUT);
	KUNIT_EXPECT_FALSE(test, d->pending_after);
	kctx_put(d->ctx);
	if (early)
		kunit_skip(test, "the deadline passed before the thread slept; raise DEADLINE_NS");
}

/* A kctx thread on @outer that binds itself to @job on top. */
struct nested {
	struct kctx *job;
	struct completion bound;
	struct completion unbound;	/* and past the 20 ms sleep */
	long first;
	bool pending_after;
	long later;
	long last;
};

static int nested_fn(struct kctx *ctx, void *data)
{
	struct nested *n = data;
	struct kctx_binding b;

	if (kctx_bind_current(n->job, &b))
		return -EINVAL;
	complete(&n->bound);
	n->first = msleep_interruptible(FOREVER_MS);
	kctx_unbind_current(&b);
	n->pending_after = signal_pending(current);
	n->later = msleep_interruptible(20);
	complete(&n->unbound);
	/* Until the thread's own context ends it. */
	n->last = msleep_interruptible(FOREVER_MS);
	return kctx_err(ctx);
}

static struct nested *nested_start(struct kunit *test, struct kctx *outer,
				   struct task_struct **task)
{
	struct nested *n = kunit_kzalloc(test, sizeof(*n), GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, n);
	init_completion(&n->bound);
	init_completion(&n->unbound);
	n->job = KCTX_TEST_NEW(test, kctx_with_cancel(kctx_background(), GFP_KERNEL));
	*task = kctx_kthread_run(outer, nested_fn, n, "kctx-nested");
	KUNIT_ASSERT_FALSE(test, IS_ERR(*task));
	wait_for_completion(&n->bound);
	KUNIT_EXPECT_TRUE(test, kctx_test_wait_sleeping(*task));
	return n;
}

static void inner_unbind_keeps_the_signal_of_a_done_outer(struct kunit *test)
{
	struct kctx *outer = KCTX_TEST_NEW(test, kctx_with_cancel(kctx_background(), GFP_KERNEL));
	struct task_struct *task;
	struct nested *n = nested_start(test, outer, &task);

	kctx_cancel(outer);
	KUNIT_EXPECT_EQ(test, kctx_kthread_wait(task), -ECANCELED);
	KUNIT_EXPECT_GT(test, n->first, 0);
	KUNIT_EXPECT_TRUE(test, n->pending_after);
	KUNIT_EXPECT_GT(test, n->later, 0);
	KUNIT_EXPECT_GT(test, n->last, 0);
	kctx_put(n->job);
	kctx_put(outer);
}

static void inner_cancel_spares_the_outer_binding(struct kunit *test)
{
	struct kctx *outer = KCTX_TEST_NEW(test, kctx_with_cancel(kctx_background(), GFP_KERNEL));
	struct task_struct *task;
	struct nested *n = nested_start(test, outer, &task);

	kctx_cancel(n->job);
	KUNIT_EXPECT_NE(test, wait_for_completion_timeout(&n->unbound, KCTX_TEST_WAIT), 0);
	KUNIT_EXPECT_FALSE(test, kctx_done(outer));
	KUNIT_EXPECT_EQ(test, kctx_kthread_stop(task), -ECANCELED);
	KUNIT_EXPECT_GT(test, n->first, 0);
	KUNIT_EXPECT_FALSE(test, n->pending_after);
	KUNIT_EXPECT_EQ(test, n->later, 0);
	KUNIT_EXPECT_GT(test, n->last, 0);
	kctx_put(n->job);
	kctx_put(outer);
}

/* After its context is done, a kctx thread cleans up under another one. */
struct cleanup {
	bool started;
	long broken;		/* broken by the cancel */
	long cleanup_sleep;	/* under the cleanup context: not broken */
	long cleanup_end;	/* broken by the cleanup context's deadline */
	int cleanup_err;
	bool pending_after;	/* the done context signals again */
	long after;
};

static int cleanup_fn(struct kctx *ctx, void *data)
{
	struct cleanup *c = data;
	struct kctx_binding b;
	struct kctx *detached, *cleanup;

	WRITE_ONCE(c->started, true);
	c->broken = msleep_interruptible(FOREVER_MS);
	/* Go's WithTimeout(WithoutCancel(ctx), ...). */
	detached = kctx_without_cancel(ctx, GFP_KERNEL);
	if (IS_ERR(detached))
		return PTR_ERR(detached);
	cleanup = kctx_with_timeout(detached, DEADLINE_NS, GFP_KERNEL);
	kctx_put(detached);
	if (IS_ERR(cleanup))
		return PTR_ERR(cleanup);
	if (kctx_rebind_current(cleanup, &b)) {
		kctx_put(cleanup);
		return -EINVAL;
	}
	c->cleanup_sleep = msleep_interruptible(20);
	c->cleanup_end = msleep_interruptible(FOREVER_MS);
	c->cleanup_err = kctx_err(cleanup);
	kctx_unbind_current(&b);
	kctx_put(cleanup);
	c->pending_after = signal_pending(current);
	c->after = msleep_interruptible(FOREVER_MS);
	return kctx_err(ctx);
}

static void rebind_lets_a_cancelled_thread_clean_up(struct kunit *test)
{
	struct kctx *ctx = KCTX_TEST_NEW(test, kctx_with_cancel(kctx_background(), GFP_KERNEL));
	struct cleanup *c = kunit_kzalloc(test, sizeof(*c), GFP_KERNEL);
	struct task_struct *task;

	KUNIT_ASSERT_NOT_NULL(test, c);
	task = kctx_kthread_run(ctx, cleanup_fn, c, "kctx-cleanup");
	KUNIT_ASSERT_FALSE(test, IS_ERR(task));
	KUNIT_EXPECT_TRUE(test, POLL_UNTIL(READ_ONCE(c->started)));
	KUNIT_EXPECT_TRUE(test, kctx_test_wait_sleeping(task));
	kctx_cancel(ctx);
	KUNIT_EXPECT_EQ(test, kctx_kthread_wait(task), -ECANCELED);
	KUNIT_EXPECT_GT(test, c->broken, 0);
	KUNIT_EXPECT_EQ(test, c->cleanup_sleep, 0);
	KUNIT_EXPECT_GT(test, c->cleanup_end, 0);
	KUNIT_EXPECT_EQ(test, c->cleanup_err, -ETIMEDOUT);
	KUNIT_EXPECT_TRUE(test, c->pending_after);
	KUNIT_EXPECT_GT(test, c->after, 0);
	kctx_put(ctx);
}

/* A kctx thread that puts its own binding on hold for a job's. */
struct held {
	struct kctx *job;
	bool rebound;
	long slept;
	bool pending_after;
};

static int held_fn(struct kctx *ctx, void *data)
{
	struct held *h = data;
	struct kctx_binding b;

	if (kctx_rebind_current(h->job, &b))
		return -EINVAL;
	WRITE_ONCE(h->rebound, true);
	h->slept = msleep_interruptible(FOREVER_MS);
	kctx_unbind_current(&b);
	h->pending_after = signal_pending(current);
	return kctx_err(ctx);
}

static void rebind_holds_the_outer_binding_until_unbind(struct kunit *test)
{
	struct kctx *ctx = KCTX_TEST_NEW(test, kctx_with_cancel(kctx_background(), GFP_KERNEL));
	struct held *h = kunit_kzalloc(test, sizeof(*h), GFP_KERNEL);
	struct task_struct *task;

	KUNIT_ASSERT_NOT_NULL(test, h);
	h->job = KCTX_TEST_NEW(test, kctx_with_cancel(kctx_background(), GFP_KERNEL));
	task = kctx_kthread_run(ctx, held_fn, h, "kctx-held");
	KUNIT_ASSERT_FALSE(test, IS_ERR(task));
	KUNIT_EXPECT_TRUE(test, POLL_UNTIL(READ_ONCE(h->rebound)));
	KUNIT_EXPECT_TRUE(test, kctx_test_wait_sleeping(task));
	/* On hold: the thread's own context is cancelled, and nothing comes. */
	kctx_cancel(ctx);
	KUNIT_EXPECT_FALSE(test, task_sigpending(task));
	KUNIT_EXPECT_FALSE(test, task_is_running(task));
	kctx_cancel(h->job);
	KUNIT_EXPECT_EQ(test, kctx_kthread_wait(task), -ECANCELED);
	KUNIT_EXPECT_GT(test, h->slept, 0);
	KUNIT_EXPECT_TRUE(test, h->pending_after);
	kctx_put(h->job);
	kctx_put(ctx);
}

static struct kunit_case kctx_kthread_cases[] = {
	KUNIT_CASE_PARAM(grandparent_cancel_breaks_the_call, blocker_kind_gen_params),
	KUNIT_CASE_PARAM(grandparent_deadline_breaks_the_call, blocker_kind_gen_params),
	KUNIT_CASE(stop_ends_only_its_own_thread),
	KUNIT_CASE(run_on_a_done_context_breaks_sleeps_at_once),
	KUNIT_CASE(fn_gets_a_child_with_the_parents_deadline),
	KUNIT_CASE(bound_thread_pins_kctx),
	KUNIT_CASE(userspace_kill_does_not_break_a_bound_thread),
	KUNIT_CASE(uninterruptible_sleep_is_not_broken),
	KUNIT_CASE(after_func_shutdown_ends_a_recv_no_signal_reaches),
	KUNIT_CASE(pool_thread_binds_job_after_job_and_keeps_no_signal),
	KUNIT_CASE(binding_a_done_context_is_refused_with_its_error),
	KUNIT_CASE(drivers_own_sigkill_survives_unbind),
	KUNIT_CASE(binding_a_deadline_node_breaks_from_its_timer),
	KUNIT_CASE(inner_unbind_keeps_the_signal_of_a_done_outer),
	KUNIT_CASE(inner_cancel_spares_the_outer_binding),
	KUNIT_CASE(rebind_lets_a_cancelled_thread_clean_up),
	KUNIT_CASE(rebind_holds_the_outer_binding_until_unbind),
	{}
};

struct kunit_suite kctx_kthread_suite = {
	.name = "kctx_kthread",
	.suite_init = blocker_suite_init,
	.test_cases = kctx_kthread_cases,
};

kunit_test_suite(kctx_kthread_suite);
