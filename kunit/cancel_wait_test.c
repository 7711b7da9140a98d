// SPDX-License-Identifier: GPL-2.0
/*
 * kctx_cancel_wait(): what it waits for, what it refuses, what it reports
 * when the time runs out.
 *
 * A worker here is a kthread that binds itself to a context, sleeps until
 * the cancel breaks the sleep, and then does its "cleanup": an
 * uninterruptible wait on a completion that only the test releases. So
 * the test decides when each worker leaves, and can prove that the wait
 * lasts exactly as long as the work does.
 */
#include <linux/delay.h>
#include <linux/file.h>
#include <linux/seq_file.h>
#include <linux/signal.h>
#include <linux/string.h>

#include "blocker.h"
#include "kctx_test.h"
#include "../kmod/work.h"
#include "../kmod/worker.h"

#define FOREVER_MS	(10 * 60 * MSEC_PER_SEC)
#define SHORT_NS	(20 * NSEC_PER_MSEC)
#define LONG_NS		(10ULL * NSEC_PER_SEC)

struct worker {
	struct kctx *ctx;
	bool sleep_first;	/* until the cancel breaks the sleep */
	struct completion bound;
	struct completion release;
	int bind_err;
	bool leaving;
	struct kctx_test_thread t;
};

static int worker_fn(void *data)
{
	struct worker *w = data;
	struct kctx_binding b;

	w->bind_err = kctx_bind_current(w->ctx, &b);
	complete(&w->bound);
	if (w->bind_err)
		return 0;
	if (w->sleep_first)
		msleep_interruptible(FOREVER_MS);
	wait_for_completion(&w->release);
	WRITE_ONCE(w->leaving, true);
	kctx_unbind_current(&b);
	return 0;
}

static struct worker *worker_start(struct kunit *test, struct kctx *ctx, bool sleep_first)
{
	struct worker *w = kunit_kzalloc(test, sizeof(*w), GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, w);
	w->ctx = ctx;
	w->sleep_first = sleep_first;
	init_completion(&w->bound);
	init_completion(&w->release);
	kctx_test_thread_start(test, &w->t, worker_fn, w);
	KUNIT_ASSERT_NE(test, wait_for_completion_timeout(&w->bound, KCTX_TEST_WAIT), 0);
	KUNIT_ASSERT_EQ(test, w->bind_err, 0);
	return w;
}

static void worker_release(struct kunit *test, struct worker *w)
{
	complete(&w->release);
	KUNIT_EXPECT_TRUE(test, kctx_test_thread_join(&w->t));
}

/* The last straggler report, as /sys/kernel/debug/kctx/stragglers shows it. */
static char *stragglers(struct kunit *test)
{
	struct seq_file m = { .size = PAGE_SIZE };

	m.buf = kunit_kzalloc(test, PAGE_SIZE, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, m.buf);
	kctx_stragglers_show(&m, NULL);
	m.buf[min(m.count, m.size - 1)] = '\0';
	return m.buf;
}

static void returns_at_once_with_nothing_attached(struct kunit *test)
{
	struct kctx *ctx = KCTX_TEST_NEW(test, kctx_with_cancel(kctx_background(), GFP_KERNEL));

	KUNIT_EXPECT_EQ(test, kctx_cancel_wait(ctx, -EPIPE, LONG_NS), 0);
	KUNIT_EXPECT_EQ(test, kctx_err(ctx), -ECANCELED);
	KUNIT_EXPECT_EQ(test, kctx_cause(ctx), -EPIPE);
	kctx_put(ctx);
}

static void waits_until_a_bound_thread_unbinds(struct kunit *test)
{
	struct kctx *ctx = KCTX_TEST_NEW(test, kctx_with_cancel(kctx_background(), GFP_KERNEL));
	struct worker *w = worker_start(test, ctx, true);

	KUNIT_EXPECT_EQ(test, kctx_cancel_wait(ctx, 0, SHORT_NS), -ETIME);
	KUNIT_EXPECT_TRUE(test, kctx_done(ctx));
	KUNIT_EXPECT_FALSE(test, READ_ONCE(w->leaving));
	complete(&w->release);
	KUNIT_EXPECT_EQ(test, kctx_cancel_wait(ctx, 0, LONG_NS), 0);
	KUNIT_EXPECT_TRUE(test, READ_ONCE(w->leaving));
	KUNIT_EXPECT_TRUE(test, kctx_test_thread_join(&w->t));
	kctx_put(ctx);
}

static void zero_timeout_only_says_whether_work_is_attached(struct kunit *test)
{
	struct kctx *ctx = KCTX_TEST_NEW(test, kctx_with_cancel(kctx_background(), GFP_KERNEL));
	struct worker *w = worker_start(test, ctx, false);

	KUNIT_EXPECT_EQ(test, kctx_cancel_wait(ctx, 0, 0), -ETIME);
	worker_release(test, w);
	KUNIT_EXPECT_EQ(test, kctx_cancel_wait(ctx, 0, 0), 0);
	kctx_put(ctx);
}

/* Work below counts; work below a without-cancel child outlives the cancel. */
static void counts_descendants_but_not_below_without_cancel(struct kunit *test)
{
	struct kctx *parent = KCTX_TEST_NEW(test, kctx_with_cancel(kctx_background(), GFP_KERNEL));
	struct kctx *child = KCTX_TEST_NEW(test, kctx_with_cancel(parent, GFP_KERNEL));
	struct kctx *detached = KCTX_TEST_NEW(test, kctx_without_cancel(parent, GFP_KERNEL));
	struct worker *below = worker_start(test, child, true);
	struct worker *cleanup = worker_start(test, detached, false);

	KUNIT_EXPECT_EQ(test, kctx_cancel_wait(parent, 0, SHORT_NS), -ETIME);
	complete(&below->release);
	KUNIT_EXPECT_EQ(test, kctx_cancel_wait(parent, 0, LONG_NS), 0);
	KUNIT_EXPECT_FALSE(test, READ_ONCE(cleanup->leaving));
	KUNIT_EXPECT_EQ(test, kctx_cancel_wait(detached, 0, 0), -ETIME);
	KUNIT_EXPECT_TRUE(test, kctx_test_thread_join(&below->t));
	worker_release(test, cleanup);
	kctx_put(detached);
	kctx_put(child);
	kctx_put(parent);
}

struct stuck_run {
	struct completion release;
	bool leaving;
};

static int stuck_run_fn(struct kctx *ctx, void *data)
{
	struct stuck_run *s = data;

	msleep_interruptible(FOREVER_MS);
	wait_for_completion(&s->release);
	WRITE_ONCE(s->leaving, true);
	return kctx_err(ctx);
}

static void waits_for_kctx_threads_and_group_members(struct kunit *test)
{
	struct kctx *ctx = KCTX_TEST_NEW(test, kctx_with_cancel(kctx_background(), GFP_KERNEL));
	struct stuck_run *run = kunit_kzalloc(test, sizeof(*run), GFP_KERNEL);
	struct stuck_run *member = kunit_kzalloc(test, sizeof(*member), GFP_KERNEL);
	struct task_struct *task;
	struct kctx_group *g;

	KUNIT_ASSERT_NOT_NULL(test, run);
	KUNIT_ASSERT_NOT_NULL(test, member);
	init_completion(&run->release);
	init_completion(&member->release);
	g = kctx_group_new(ctx, GFP_KERNEL);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, g);
	task = kctx_kthread_run(ctx, stuck_run_fn, run, "kctx-cw-run");
	KUNIT_ASSERT_FALSE(test, IS_ERR(task));
	KUNIT_ASSERT_EQ(test, kctx_group_go(g, stuck_run_fn, member, "kctx-cw-member"), 0);

	/* Counted from the start, before either thread has run a line. */
	KUNIT_EXPECT_EQ(test, kctx_cancel_wait(ctx, 0, SHORT_NS), -ETIME);
	complete(&run->release);
	KUNIT_EXPECT_EQ(test, kctx_cancel_wait(ctx, 0, SHORT_NS), -ETIME);
	complete(&member->release);
	KUNIT_EXPECT_EQ(test, kctx_cancel_wait(ctx, 0, LONG_NS), 0);
	KUNIT_EXPECT_TRUE(test, READ_ONCE(run->leaving));
	KUNIT_EXPECT_TRUE(test, READ_ONCE(member->leaving));
	KUNIT_EXPECT_EQ(test, kctx_kthread_wait(task), -ECANCELED);
	KUNIT_EXPECT_EQ(test, kctx_group_wait(g), -ECANCELED);
	kctx_group_free(g);
	kctx_put(ctx);
}

struct blocking_after {
	struct kctx_callback cb;
	struct completion ran;
	struct completion release;
	bool returned;
};

static void blocking_after_fn(struct kctx_callback *cb)
{
	struct blocking_after *a = container_of(cb, struct blocking_after, cb);

	complete(&a->ran);
	wait_for_completion(&a->release);
	WRITE_ONCE(a->returned, true);
}

/* On the heap: a work item on the stack would need ODEBUG annotations. */
static struct blocking_after *blocking_after_new(struct kunit *test, struct kctx *ctx)
{
	struct blocking_after *a = kunit_kzalloc(test, sizeof(*a), GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, a);
	init_completion(&a->ran);
	init_completion(&a->release);
	kctx_after_func(ctx, &a->cb, blocking_after_fn);
	return a;
}

static void waits_for_an_after_func_and_names_it(struct kunit *test)
{
	struct kctx *ctx = KCTX_TEST_NEW(test, kctx_with_cancel(kctx_background(), GFP_KERNEL));
	struct blocking_after *a = blocking_after_new(test, ctx);

	/* Counted from the cancel on, whether it has begun to run or not. */
	KUNIT_EXPECT_EQ(test, kctx_cancel_wait(ctx, 0, 0), -ETIME);
	KUNIT_ASSERT_NE(test, wait_for_completion_timeout(&a->ran, KCTX_TEST_WAIT), 0);
	KUNIT_EXPECT_EQ(test, kctx_cancel_wait(ctx, 0, SHORT_NS), -ETIME);
	KUNIT_EXPECT_NOT_NULL(test, strstr(stragglers(test), "fn=blocking_after_fn"));
	complete(&a->release);
	KUNIT_EXPECT_EQ(test, kctx_cancel_wait(ctx, 0, LONG_NS), 0);
	KUNIT_EXPECT_TRUE(test, READ_ONCE(a->returned));
	KUNIT_EXPECT_FALSE(test, kctx_after_func_stop_sync(&a->cb));
	kctx_put(ctx);
}

/* A stopped after-func that never ran leaves nothing counted. */
static void a_stopped_after_func_is_not_waited_for(struct kunit *test)
{
	struct kctx *ctx = KCTX_TEST_NEW(test, kctx_with_cancel(kctx_background(), GFP_KERNEL));
	struct blocking_after *a = blocking_after_new(test, ctx);

	KUNIT_EXPECT_TRUE(test, kctx_after_func_stop(&a->cb));
	KUNIT_EXPECT_EQ(test, kctx_cancel_wait(ctx, 0, LONG_NS), 0);
	KUNIT_EXPECT_EQ(test, atomic_read(&ctx->workers), 0);
	kctx_put(ctx);
}

static void names_a_stuck_worker_and_leaks_nothing_after(struct kunit *test)
{
	struct kctx *ctx = KCTX_TEST_NEW(test, kctx_with_cancel(kctx_background(), GFP_KERNEL));
	struct worker *w = worker_start(test, ctx, true);
	char pid[32];
	char *report;

	KUNIT_EXPECT_EQ(test, kctx_cancel_wait(ctx, -ESHUTDOWN, SHORT_NS), -ETIME);
	/* Its sleep broke; now it is stuck in its cleanup. */
	KUNIT_ASSERT_TRUE(test, POLL_UNTIL(task_state_to_char(w->t.task) == 'D'));
	KUNIT_EXPECT_EQ(test, kctx_cancel_wait(ctx, -ESHUTDOWN, 0), -ETIME);
	report = stragglers(test);
	snprintf(pid, sizeof(pid), " pid=%d ", task_pid_nr(w->t.task));
	KUNIT_EXPECT_NOT_NULL_MSG(test, strstr(report, pid), "%s", report);
	KUNIT_EXPECT_NOT_NULL_MSG(test, strstr(report, "state=D"), "%s", report);
	KUNIT_EXPECT_NOT_NULL_MSG(test, strstr(report, "kthread=1"), "%s", report);
	worker_release(test, w);
	KUNIT_EXPECT_EQ(test, kctx_cancel_wait(ctx, 0, LONG_NS), 0);
	KUNIT_EXPECT_EQ(test, atomic_read(&ctx->workers), 0);
	KUNIT_EXPECT_EQ(test, refcount_read(&ctx->ref), 1);
	kctx_put(ctx);
}

/* Loops binding fresh children of one context until one is refused. */
struct churn {
	struct kctx *ctx;
	atomic_t inside;	/* bound right now */
	atomic_t rounds;
	int refused[2];
	struct kctx_test_thread t[2];
};

struct churn_side {
	struct churn *c;
	int i;
};

static int churn_fn(void *data)
{
	struct churn_side *s = data;
	struct churn *c = s->c;
	struct kctx_binding b;
	struct kctx *child;
	int err;

	for (;;) {
		child = kctx_with_cancel(c->ctx, GFP_KERNEL);
		if (IS_ERR(child))
			return PTR_ERR(child);
		err = kctx_bind_current(child, &b);
		if (err) {
			kctx_put(child);
			c->refused[s->i] = err;
			return 0;
		}
		atomic_inc(&c->inside);
		cond_resched();
		atomic_dec(&c->inside);
		kctx_unbind_current(&b);
		kctx_put(child);
		atomic_inc(&c->rounds);
	}
}

static void refuses_work_that_attaches_during_the_wait(struct kunit *test)
{
	struct churn *c = kunit_kzalloc(test, sizeof(*c), GFP_KERNEL);
	struct churn_side sides[2];
	int i;

	KUNIT_ASSERT_NOT_NULL(test, c);
	c->ctx = KCTX_TEST_NEW(test, kctx_with_cancel(kctx_background(), GFP_KERNEL));
	for (i = 0; i < 2; i++) {
		sides[i] = (struct churn_side){ c, i };
		kctx_test_thread_start(test, &c->t[i], churn_fn, &sides[i]);
	}
	KUNIT_ASSERT_TRUE(test, POLL_UNTIL(atomic_read(&c->rounds) > 1000));
	KUNIT_EXPECT_EQ(test, kctx_cancel_wait(c->ctx, 0, LONG_NS), 0);
	/* Whoever was bound before the cancel had left; nobody got in after. */
	KUNIT_EXPECT_EQ(test, atomic_read(&c->inside), 0);
	for (i = 0; i < 2; i++) {
		KUNIT_EXPECT_TRUE(test, kctx_test_thread_join(&c->t[i]));
		KUNIT_EXPECT_EQ(test, c->t[i].ret, 0);
		KUNIT_EXPECT_EQ(test, c->refused[i], -ECANCELED);
	}
	KUNIT_EXPECT_EQ(test, atomic_read(&c->inside), 0);
	kctx_put(c->ctx);
}

struct nested_wait {
	struct kctx *ctx;
	int ret;
};

static int nested_wait_fn(void *data)
{
	struct nested_wait *n = data;

	n->ret = kctx_cancel_wait(n->ctx, 0, LONG_NS);
	return 0;
}

static void two_nested_waits_both_end_when_the_work_leaves(struct kunit *test)
{
	struct kctx *parent = KCTX_TEST_NEW(test, kctx_with_cancel(kctx_background(), GFP_KERNEL));
	struct kctx *child = KCTX_TEST_NEW(test, kctx_with_cancel(parent, GFP_KERNEL));
	struct worker *w = worker_start(test, child, true);
	struct nested_wait n = { .ctx = child, .ret = 1 };
	struct kctx_test_thread t;

	kctx_test_thread_start(test, &t, nested_wait_fn, &n);
	KUNIT_ASSERT_TRUE(test, kctx_test_wait_sleeping(t.task));
	KUNIT_EXPECT_TRUE(test, kctx_done(child));
	KUNIT_EXPECT_EQ(test, kctx_cancel_wait(parent, 0, SHORT_NS), -ETIME);
	complete(&w->release);
	KUNIT_EXPECT_EQ(test, kctx_cancel_wait(parent, 0, LONG_NS), 0);
	KUNIT_EXPECT_TRUE(test, kctx_test_thread_join(&t));
	KUNIT_EXPECT_EQ(test, n.ret, 0);
	KUNIT_EXPECT_TRUE(test, kctx_test_thread_join(&w->t));
	kctx_put(child);
	kctx_put(parent);
}

/* KCTX_IOC_ATTACH's worker, from the kernel side. */
static void a_worker_file_counts_until_detached_and_detaches_once(struct kunit *test)
{
	struct kctx *parent = KCTX_TEST_NEW(test, kctx_with_cancel(kctx_background(), GFP_KERNEL));
	struct kctx *ctx = KCTX_TEST_NEW(test, kctx_with_cancel(parent, GFP_KERNEL));
	struct file *file = kctx_worker_create(ctx, 0);

	KUNIT_ASSERT_FALSE(test, IS_ERR(file));
	KUNIT_EXPECT_EQ(test, atomic_read(&ctx->workers), 1);
	KUNIT_EXPECT_EQ(test, atomic_read(&parent->workers), 1);
	KUNIT_EXPECT_EQ(test, kctx_cancel_wait(parent, 0, SHORT_NS), -ETIME);
	kctx_worker_detach(file);
	KUNIT_EXPECT_EQ(test, kctx_cancel_wait(parent, 0, 0), 0);
	kctx_worker_detach(file);
	KUNIT_EXPECT_EQ(test, atomic_read(&parent->workers), 0);
	__fput_sync(file);
	KUNIT_EXPECT_EQ(test, atomic_read(&parent->workers), 0);
	KUNIT_EXPECT_EQ(test, refcount_read(&ctx->ref), 1);
	kctx_put(ctx);
	kctx_put(parent);
}

static void a_worker_file_leaves_at_its_release(struct kunit *test)
{
	struct kctx *ctx = KCTX_TEST_NEW(test, kctx_with_cancel(kctx_background(), GFP_KERNEL));
	struct file *file = kctx_worker_create(ctx, 0);

	KUNIT_ASSERT_FALSE(test, IS_ERR(file));
	KUNIT_EXPECT_EQ(test, kctx_cancel_wait(ctx, 0, 0), -ETIME);
	__fput_sync(file);
	KUNIT_EXPECT_EQ(test, kctx_cancel_wait(ctx, 0, 0), 0);
	KUNIT_EXPECT_EQ(test, refcount_read(&ctx->ref), 1);
	kctx_put(ctx);
}

static void a_worker_file_is_refused_on_a_done_context(struct kunit *test)
{
	struct kctx *ctx = KCTX_TEST_NEW(test, kctx_with_cancel(kctx_background(), GFP_KERNEL));

	kctx_cancel(ctx);
	KUNIT_EXPECT_EQ(test, PTR_ERR(kctx_worker_create(ctx, 0)), -ECANCELED);
	KUNIT_EXPECT_EQ(test, atomic_read(&ctx->workers), 0);
	KUNIT_EXPECT_EQ(test, refcount_read(&ctx->ref), 1);
	kctx_put(ctx);
}

/*
 * KCTX_ATTACH_SIGNAL: the thread that attached is signalled when the
 * context ends, once, and not once it has left. The test's kthread takes
 * the signal as pending, with allow_signal().
 */
static void a_signal_bound_worker_is_signalled_once_and_not_after_it_left(struct kunit *test)
{
	struct kctx *ctx = KCTX_TEST_NEW(test, kctx_with_cancel(kctx_background(), GFP_KERNEL));
	struct kctx *other = KCTX_TEST_NEW(test, kctx_with_cancel(kctx_background(), GFP_KERNEL));
	struct file *file;

	allow_signal(SIGUSR1);
	flush_signals(current);
	file = kctx_worker_create(ctx, SIGUSR1);
	KUNIT_ASSERT_FALSE(test, IS_ERR(file));
	KUNIT_EXPECT_FALSE(test, signal_pending(current));
	kctx_cancel(ctx);
	KUNIT_EXPECT_TRUE(test, sigismember(&current->pending.signal, SIGUSR1));
	flush_signals(current);
	kctx_cancel(ctx);
	KUNIT_EXPECT_FALSE(test, signal_pending(current));
	__fput_sync(file);

	file = kctx_worker_create(other, SIGUSR1);
	KUNIT_ASSERT_FALSE(test, IS_ERR(file));
	kctx_worker_detach(file);
	kctx_cancel(other);
	KUNIT_EXPECT_FALSE(test, signal_pending(current));
	__fput_sync(file);
	disallow_signal(SIGUSR1);
	kctx_put(other);
	kctx_put(ctx);
}

/* A deadline signals from its timer, in hard irq outside PREEMPT_RT. */
static void a_deadline_signals_a_bound_worker_from_its_timer(struct kunit *test)
{
	/* Not so soon that it could fire before the worker is made, on debug. */
	struct kctx *ctx = KCTX_TEST_NEW(test, kctx_with_timeout(kctx_background(),
								  200 * NSEC_PER_MSEC, GFP_KERNEL));
	struct file *file;

	allow_signal(SIGUSR1);
	flush_signals(current);
	file = kctx_worker_create(ctx, SIGUSR1);
	if (IS_ERR(file)) {
		KUNIT_FAIL(test, "no worker: %ld", PTR_ERR(file));
		disallow_signal(SIGUSR1);
		kctx_put(ctx);
		return;
	}
	KUNIT_EXPECT_EQ(test, kctx_wait(ctx), 0);
	KUNIT_EXPECT_EQ(test, kctx_err(ctx), -ETIMEDOUT);
	KUNIT_EXPECT_TRUE(test, sigismember(&current->pending.signal, SIGUSR1));
	flush_signals(current);
	__fput_sync(file);
	disallow_signal(SIGUSR1);
	kctx_put(ctx);
}

/* The debugfs tree's lines under a context, and its LEAKED flag. */
static void the_tree_names_attached_work_and_flags_it_once_leaked(struct kunit *test)
{
	struct kctx *ctx = KCTX_TEST_NEW(test, kctx_with_cancel(kctx_background(), GFP_KERNEL));
	struct worker *w = worker_start(test, ctx, false);
	unsigned int grace = kctx_leaked_work_grace_ms;
	struct seq_file m = { .size = PAGE_SIZE };
	char pid[32];

	m.buf = kunit_kzalloc(test, PAGE_SIZE, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, m.buf);
	kctx_work_show(&m, ctx, 4);
	snprintf(pid, sizeof(pid), "    ctx=%llu pid=%d ", ctx->id, task_pid_nr(w->t.task));
	KUNIT_EXPECT_NOT_NULL_MSG(test, strstr(m.buf, pid), "%s", m.buf);
	KUNIT_EXPECT_NOT_NULL_MSG(test, strstr(m.buf, " kthread=1 "), "%s", m.buf);

	kctx_leaked_work_grace_ms = 0;
	KUNIT_EXPECT_FALSE(test, kctx_work_leaked(ctx));	/* live */
	kctx_cancel(ctx);
	KUNIT_EXPECT_TRUE(test, POLL_UNTIL(kctx_work_leaked(ctx)));
	worker_release(test, w);
	KUNIT_EXPECT_FALSE(test, kctx_work_leaked(ctx));	/* drained */
	kctx_leaked_work_grace_ms = grace;
	kctx_put(ctx);
}

static void show_id(struct seq_file *m, const struct kctx *ctx)
{
	seq_printf(m, "%llu\n", ctx->id);
}

/* A cancel unlinks a context; the work that outlives it is still listed. */
static void the_tree_lists_work_still_attached_to_done_contexts(struct kunit *test)
{
	struct kctx *ctx = KCTX_TEST_NEW(test, kctx_with_cancel(kctx_background(), GFP_KERNEL));
	struct worker *w = worker_start(test, ctx, false);
	struct seq_file m = { .size = PAGE_SIZE };
	char want[64];

	m.buf = kunit_kzalloc(test, PAGE_SIZE, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, m.buf);
	kctx_work_show_done(&m, show_id, 16);
	snprintf(want, sizeof(want), "\n    ctx=%llu pid=%d ", ctx->id, task_pid_nr(w->t.task));
	KUNIT_EXPECT_NULL_MSG(test, strstr(m.buf, want), "%s", m.buf);	/* live */
	kctx_cancel(ctx);
	kctx_work_show_done(&m, show_id, 16);
	snprintf(want, sizeof(want), "%llu\n    ctx=%llu pid=%d ", ctx->id, ctx->id,
		 task_pid_nr(w->t.task));
	KUNIT_EXPECT_NOT_NULL_MSG(test, strstr(m.buf, want), "%s", m.buf);
	worker_release(test, w);
	kctx_put(ctx);
}

static struct kunit_case kctx_cancel_wait_cases[] = {
	KUNIT_CASE(returns_at_once_with_nothing_attached),
	KUNIT_CASE(waits_until_a_bound_thread_unbinds),
	KUNIT_CASE(zero_timeout_only_says_whether_work_is_attached),
	KUNIT_CASE(counts_descendants_but_not_below_without_cancel),
	KUNIT_CASE(waits_for_kctx_threads_and_group_members),
	KUNIT_CASE(waits_for_an_after_func_and_names_it),
	KUNIT_CASE(a_stopped_after_func_is_not_waited_for),
	KUNIT_CASE(names_a_stuck_worker_and_leaks_nothing_after),
	KUNIT_CASE(refuses_work_that_attaches_during_the_wait),
	KUNIT_CASE(two_nested_waits_both_end_when_the_work_leaves),
	KUNIT_CASE(a_worker_file_counts_until_detached_and_detaches_once),
	KUNIT_CASE(a_worker_file_leaves_at_its_release),
	KUNIT_CASE(a_worker_file_is_refused_on_a_done_context),
	KUNIT_CASE(a_signal_bound_worker_is_signalled_once_and_not_after_it_left),
	KUNIT_CASE(a_deadline_signals_a_bound_worker_from_its_timer),
	KUNIT_CASE(the_tree_names_attached_work_and_flags_it_once_leaked),
	KUNIT_CASE(the_tree_lists_work_still_attached_to_done_contexts),
	{}
};

struct kunit_suite kctx_cancel_wait_suite = {
	.name = "kctx_cancel_wait",
	.test_cases = kctx_cancel_wait_cases,
};

kunit_test_suite(kctx_cancel_wait_suite);
