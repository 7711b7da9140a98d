// SPDX-License-Identifier: GPL-2.0
/*
 * The CPU-bound benchmarks, named and shaped after Go's
 * src/context/benchmark_test.go: what a context costs to make, check,
 * cancel and free, alone and by the hundred thousand.
 */
#include <linux/atomic.h>
#include <linux/delay.h>
#include <linux/kctx.h>
#include <linux/ktime.h>
#include <linux/mm.h>
#include <linux/sched.h>
#include <linux/slab.h>

#include "bench.h"
#include "kmod/ctx.h"

#define CREATE_CANCEL_OPS	100000
#define CHECK_OPS		10000000
#define TREE_NODES		100000	/* per rep, whatever the depth */
#define COMMON_PARENT_OPS	100000
#define WITH_TIMEOUT_OPS	100000
#define LONG_TIMEOUT_NS		(60 * NSEC_PER_SEC)
#define PROBE_MAX		BIT(20)

/* Give the scheduler a chance every so often in long loops. */
static inline void kb_breathe(u64 i)
{
	if (!(i & 1023))
		cond_resched();
}

/*
 * One warm-up and then run->reps timed calls of @body, which returns the
 * nanoseconds it spent on @ops operations (its own setup excluded) or
 * -errno; report the median per operation as @name.
 */
static int kb_repeat(const struct kb_run *run, const char *name, u64 ops,
		     s64 (*body)(void *arg), void *arg)
{
	u64 vals[KB_REPS_MAX];
	unsigned int rep;
	s64 ns;

	for (rep = 0; rep <= run->reps; rep++) {
		ns = body(arg);
		if (ns < 0)
			return ns;
		if (rep)
			vals[rep - 1] = kb_per_op_x10(ns, ops);
	}
	kb_report(run, name, vals, run->reps, "ns", ops);
	return 0;
}

static s64 create_cancel_body(void *arg)
{
	struct kctx *parent = arg, *child;
	u64 i, t0 = ktime_get_ns();

	for (i = 0; i < CREATE_CANCEL_OPS; i++) {
		child = kctx_with_cancel(parent, GFP_KERNEL);
		if (IS_ERR(child))
			return PTR_ERR(child);
		kctx_cancel(child);
		kctx_put(child);
		kb_breathe(i);
	}
	return ktime_get_ns() - t0;
}

static int bench_create_cancel(const struct kb_run *run)
{
	struct kctx *parent;
	int err;

	parent = kctx_with_cancel(kctx_background(), GFP_KERNEL);
	if (IS_ERR(parent))
		return PTR_ERR(parent);
	err = kb_repeat(run, "CreateCancel", CREATE_CANCEL_OPS, create_cancel_body, parent);
	kctx_cancel(parent);
	kctx_put(parent);
	return err;
}

/*
 * What a create + cancel + free is made of, each part timed alone in the
 * same run, so that the report can set kctx's CreateCancel against the
 * parts no kernel object of its kind avoids: a slab object freed after an
 * RCU grace period, irqsave lock round trips, atomics. (A node has had no
 * completion since done-ness became the published error.)
 */
enum part { PART_SLAB, PART_SLAB_RCU, PART_LOCK, PART_ATOMIC };

static const char * const part_names[] = {
	[PART_SLAB] = "slab",
	[PART_SLAB_RCU] = "slab-call_rcu",
	[PART_LOCK] = "lock-irqsave",
	[PART_ATOMIC] = "atomic",
};

/* As big as a cancel node, with the rcu_head call_rcu() needs. */
struct part_obj {
	struct rcu_head rcu;
	u8 body[128 - sizeof(struct rcu_head)];
};

struct part_arg {
	enum part part;
	spinlock_t lock;	/* the lock-irqsave part's, taken by it alone */
	atomic64_t counter;
};

static struct kmem_cache *part_cache;

static void part_free_rcu(struct rcu_head *rcu)
{
	kmem_cache_free(part_cache, container_of(rcu, struct part_obj, rcu));
}

static int part_step(struct part_arg *a)
{
	struct part_obj *obj;
	unsigned long flags;

	switch (a->part) {
	case PART_SLAB:
	case PART_SLAB_RCU:
		obj = kmem_cache_zalloc(part_cache, GFP_KERNEL);
		if (!obj)
			return -ENOMEM;
		if (a->part == PART_SLAB)
			kmem_cache_free(part_cache, obj);
		else
			call_rcu(&obj->rcu, part_free_rcu);
		break;
	case PART_LOCK:
		spin_lock_irqsave(&a->lock, flags);
		spin_unlock_irqrestore(&a->lock, flags);
		break;
	case PART_ATOMIC:
		atomic64_inc(&a->counter);
		break;
	}
	return 0;
}

static s64 part_body(void *arg)
{
	u64 i, t0 = ktime_get_ns();
	int err;

	for (i = 0; i < CREATE_CANCEL_OPS; i++) {
		err = part_step(arg);
		if (err)
			return err;
		kb_breathe(i);
	}
	return ktime_get_ns() - t0;
}

static int bench_create_cancel_parts(const struct kb_run *run)
{
	struct part_arg a = { .counter = ATOMIC64_INIT(0) };
	char name[64];
	int err = 0;

	part_cache = KMEM_CACHE(part_obj, 0);
	if (!part_cache)
		return -ENOMEM;
	spin_lock_init(&a.lock);
	for (a.part = PART_SLAB; a.part <= PART_ATOMIC && !err; a.part++) {
		snprintf(name, sizeof(name), "CreateCancel/part=%s", part_names[a.part]);
		err = kb_repeat(run, name, CREATE_CANCEL_OPS, part_body, &a);
	}
	/* The callbacks free into the cache. */
	rcu_barrier();
	kmem_cache_destroy(part_cache);
	return err;
}

struct check_arg {
	struct kctx *ctx;
	bool done;	/* kctx_done() rather than kctx_err() */
};

static s64 check_body(void *arg)
{
	struct check_arg *a = arg;
	u64 i, t0 = ktime_get_ns();
	unsigned long sink = 0;

	if (a->done) {
		for (i = 0; i < CHECK_OPS; i++)
			sink += kctx_done(a->ctx);
	} else {
		for (i = 0; i < CHECK_OPS; i++)
			sink += kctx_err(a->ctx);
	}
	/* The loop's result must look used, or it may be dropped. */
	OPTIMIZER_HIDE_VAR(sink);
	return ktime_get_ns() - t0;
}

static int bench_check_canceled(const struct kb_run *run)
{
	static const char * const names[2][2] = {
		{ "CheckCanceled/Err/live", "CheckCanceled/Err/done" },
		{ "CheckCanceled/Done/live", "CheckCanceled/Done/done" },
	};
	struct check_arg a;
	int err = 0, how, state;

	a.ctx = kctx_with_cancel(kctx_background(), GFP_KERNEL);
	if (IS_ERR(a.ctx))
		return PTR_ERR(a.ctx);
	for (state = 0; state < 2 && !err; state++) {
		if (state)
			kctx_cancel(a.ctx);
		for (how = 0; how < 2 && !err; how++) {
			a.done = how;
			err = kb_repeat(run, names[how][state], CHECK_OPS, check_body, &a);
		}
	}
	kctx_cancel(a.ctx);
	kctx_put(a.ctx);
	return err;
}

/* A chain of @depth cancel contexts below @root; drops the leaf, freeing what only it held. */
static int chain_build_drop(struct kctx *root, unsigned int depth)
{
	struct kctx *leaf = kctx_get(root), *next;
	unsigned int i;

	for (i = 0; i < depth; i++) {
		next = kctx_with_cancel(leaf, GFP_KERNEL);
		kctx_put(leaf);	/* the child holds its parent */
		if (IS_ERR(next))
			return PTR_ERR(next);
		leaf = next;
		kb_breathe(i);
	}
	kctx_put(leaf);
	return 0;
}

enum tree_root { ROOT_BACKGROUND, ROOT_OPEN, ROOT_CLOSED };

static const char * const tree_root_names[] = {
	[ROOT_BACKGROUND] = "Background",
	[ROOT_OPEN] = "OpenCanceler",
	[ROOT_CLOSED] = "ClosedCanceler",
};

struct tree_arg {
	enum tree_root root;
	unsigned int depth;
	unsigned int iters;
};

/*
 * Go drops a Background chain to its garbage collector; kctx frees it on
 * the last put, which is timed here as Go's collection is not.
 */
static s64 tree_body(void *arg)
{
	struct tree_arg *a = arg;
	u64 t0 = ktime_get_ns();
	struct kctx *root;
	unsigned int i;
	int err;

	for (i = 0; i < a->iters; i++) {
		if (a->root == ROOT_BACKGROUND) {
			err = chain_build_drop(kctx_background(), a->depth);
			if (err)
				return err;
			continue;
		}
		root = kctx_with_cancel(kctx_background(), GFP_KERNEL);
		if (IS_ERR(root))
			return PTR_ERR(root);
		if (a->root == ROOT_CLOSED)
			kctx_cancel(root);
		err = chain_build_drop(root, a->depth);
		kctx_cancel(root);
		kctx_put(root);
		if (err)
			return err;
	}
	return ktime_get_ns() - t0;
}

static int bench_cancel_tree(const struct kb_run *run)
{
	static const unsigned int depths[] = { 1, 10, 100, 1000, 100000 };
	struct tree_arg a;
	char name[64];
	unsigned int d;
	int err;

	for (d = 0; d < ARRAY_SIZE(depths); d++) {
		for (a.root = ROOT_BACKGROUND; a.root <= ROOT_CLOSED; a.root++) {
			a.depth = depths[d];
			a.iters = max(1U, TREE_NODES / a.depth);
			snprintf(name, sizeof(name), "CancelTree/depth=%u/root=%s",
				 a.depth, tree_root_names[a.root]);
			err = kb_repeat(run, name, (u64)a.iters * a.depth, tree_body, &a);
			if (err)
				return err;
		}
	}
	return 0;
}

struct fan_out {
	unsigned int n;
	struct kctx *parent;
	struct kctx **kids;
	unsigned int made;
	u64 attach_ns, cancel_ns;
	/* The lock probe's side: every wait it saw, up to PROBE_MAX of them. */
	atomic_t running, probing;
	u64 *waits;
	unsigned int nr_waits;
	/* The control: the same probe on a lock that nothing else takes. */
	bool control;
	spinlock_t control_lock;	/* taken by the probe alone */
};

/* n children of one parent, then the parent's cancel; both timed. */
static int fan_out_run(struct fan_out *f)
{
	u64 t0;
	struct kctx *parent;

	f->made = 0;
	parent = kctx_with_cancel(kctx_background(), GFP_KERNEL);
	/* Release: the lock probe takes the lock this initialised. */
	smp_store_release(&f->parent, parent);
	if (IS_ERR(parent))
		return PTR_ERR(parent);
	t0 = ktime_get_ns();
	for (; f->made < f->n; f->made++) {
		f->kids[f->made] = kctx_with_cancel(f->parent, GFP_KERNEL);
		if (IS_ERR(f->kids[f->made]))
			break;
		kb_breathe(f->made);
	}
	f->attach_ns = ktime_get_ns() - t0;
	t0 = ktime_get_ns();
	kctx_cancel(f->parent);
	f->cancel_ns = ktime_get_ns() - t0;
	return f->made == f->n ? 0 : PTR_ERR(f->kids[f->made]);
}

static void fan_out_release(struct fan_out *f)
{
	if (IS_ERR(f->parent))
		return;
	while (f->made--) {
		kctx_put(f->kids[f->made]);
		kb_breathe(f->made);
	}
	kctx_put(f->parent);
}

/*
 * Thread 0 runs a fan-out; thread 1, on another CPU, keeps taking the
 * parent's lock and records each wait. A contender can wait no longer
 * than the lock is held (plus its own hand-over), so this bounds the
 * longest hold from above without instrumenting kctx. In the control run
 * thread 1 takes a lock of its own instead, which nobody holds: whatever
 * it waits there is the measurement's own, an interrupt between the two
 * clock reads or the host descheduling the probe's vCPU.
 */
static int fan_out_probe_fn(void *data, unsigned int idx)
{
	struct fan_out *f = data;
	struct kctx *parent;
	unsigned long flags;
	spinlock_t *lock;	/* the one probed: the parent's or the control */
	u64 t0, wait;
	int err;

	if (idx == 0) {
		err = fan_out_run(f);
		atomic_set(&f->running, 0);
		/* The probe may be holding the parent's lock until it sees that. */
		while (atomic_read(&f->probing))
			cpu_relax();
		fan_out_release(f);
		return err;
	}
	while (atomic_read(&f->running)) {
		/* Pairs with fan_out_run()'s release: the lock is initialised. */
		parent = smp_load_acquire(&f->parent);
		if (IS_ERR_OR_NULL(parent)) {
			cpu_relax();
			continue;
		}
		lock = f->control ? &f->control_lock : &parent->lock;
		t0 = ktime_get_ns();
		spin_lock_irqsave(lock, flags);
		wait = ktime_get_ns() - t0;
		spin_unlock_irqrestore(lock, flags);
		if (f->nr_waits < PROBE_MAX)
			f->waits[f->nr_waits++] = wait;
		ndelay(500);
		/* stop_machine() (a clocksource change) needs this CPU too. */
		cond_resched();
	}
	atomic_set(&f->probing, 0);
	return 0;
}

/* The longest wait for the parent's lock, and the 99.9th percentile. */
static void report_lock_waits(const struct kb_run *run, struct fan_out *f)
{
	static const struct { const char *name; unsigned int permille; } q[] = {
		{ "p99.9", 999 }, { "max", 1000 },
	};
	char name[64];
	unsigned int i;
	u64 v;

	for (i = 0; i < ARRAY_SIZE(q); i++) {
		v = kb_permille(f->waits, f->nr_waits, q[i].permille) * 10;
		snprintf(name, sizeof(name), "FanOut/n=%u/%slockwait/%s", f->n,
			 f->control ? "control-" : "", q[i].name);
		kb_report(run, name, &v, 1, "ns", f->nr_waits);
	}
}

static int bench_fan_out_n(const struct kb_run *run, unsigned int n)
{
	u64 attach[KB_REPS_MAX], cancel[KB_REPS_MAX];
	struct fan_out f = { .n = n };
	unsigned int rep, pass;
	char name[64];
	int err = 0;

	f.kids = kvmalloc_array(n, sizeof(*f.kids), GFP_KERNEL);
	if (!f.kids)
		return -ENOMEM;
	for (rep = 0; rep <= run->reps; rep++) {
		err = fan_out_run(&f);
		fan_out_release(&f);
		if (err)
			goto free_kids;
		if (rep) {
			attach[rep - 1] = kb_per_op_x10(f.attach_ns, n);
			cancel[rep - 1] = kb_per_op_x10(f.cancel_ns, n);
		}
	}
	snprintf(name, sizeof(name), "FanOut/n=%u/attach", n);
	kb_report(run, name, attach, run->reps, "ns", n);
	snprintf(name, sizeof(name), "FanOut/n=%u/cancel", n);
	kb_report(run, name, cancel, run->reps, "ns", n);

	/* Apart from the timed reps: the probe slows the lock's owner. */
	if (kb_need_cpus(run, "FanOut lock probe", 2))
		goto free_kids;
	f.waits = kvmalloc_array(PROBE_MAX, sizeof(*f.waits), GFP_KERNEL);
	if (!f.waits) {
		err = -ENOMEM;
		goto free_kids;
	}
	spin_lock_init(&f.control_lock);
	/* The parent's lock, then the control: the same run, another lock. */
	for (pass = 0; pass < 2 && !err; pass++) {
		f.control = pass;
		f.parent = NULL;
		f.nr_waits = 0;
		atomic_set(&f.running, 1);
		atomic_set(&f.probing, 1);
		err = kb_run_on_cpus(fan_out_probe_fn, &f, 2);
		if (!err)
			report_lock_waits(run, &f);
	}
	kvfree(f.waits);
free_kids:
	kvfree(f.kids);
	return err;
}

static int bench_fan_out(const struct kb_run *run)
{
	return bench_fan_out_n(run, 100000) ?: bench_fan_out_n(run, 1000000);
}

static int kb_common_key;

/*
 * Thread i makes its children under parent[i]: the same context for both
 * threads, or, as a control, one each, which shares everything but the
 * parent (the CPUs, the slab, the emulator's own cost of a second vCPU).
 */
struct common_parent {
	struct kctx *parent[2];
	unsigned int nr_threads;
	atomic_t arrived;
	u64 start[2], end[2];
};

/* Go's benchmark does the same busy work around each cancel. */
static void busy_work(void)
{
	int i, x = 0;

	for (i = 0; i < 100; i++) {
		x /= x + 1;
		OPTIMIZER_HIDE_VAR(x);	/* or the compiler folds it to nothing */
	}
}

static int common_parent_fn(void *data, unsigned int idx)
{
	struct common_parent *c = data;
	struct kctx *ctx;
	u64 i;

	atomic_inc(&c->arrived);
	while (atomic_read(&c->arrived) < c->nr_threads)
		cpu_relax();
	c->start[idx] = ktime_get_ns();
	for (i = 0; i < COMMON_PARENT_OPS; i++) {
		ctx = kctx_with_cancel(c->parent[idx], GFP_KERNEL);
		if (IS_ERR(ctx))
			return PTR_ERR(ctx);
		if (kctx_value(ctx, &kb_common_key) != &kb_common_key) {
			kctx_put(ctx);
			return -EINVAL;
		}
		busy_work();
		kctx_cancel(ctx);
		kctx_put(ctx);
		busy_work();
		kb_breathe(i);
	}
	c->end[idx] = ktime_get_ns();
	return 0;
}

static s64 common_parent_body(void *arg)
{
	struct common_parent *c = arg;
	int err;

	atomic_set(&c->arrived, 0);
	err = kb_run_on_cpus(common_parent_fn, c, c->nr_threads);
	if (err)
		return err;
	if (c->nr_threads == 1)
		return c->end[0] - c->start[0];
	return max(c->end[0], c->end[1]) - min(c->start[0], c->start[1]);
}

/* One parent for both threads, or with @own one each; both held by @c. */
static int common_parent_make(struct common_parent *c, struct kctx *root, bool own)
{
	c->parent[0] = kctx_with_cancel(root, GFP_KERNEL);
	if (IS_ERR(c->parent[0]))
		return PTR_ERR(c->parent[0]);
	c->parent[1] = own ? kctx_with_cancel(root, GFP_KERNEL) : kctx_get(c->parent[0]);
	if (IS_ERR(c->parent[1])) {
		kctx_put(c->parent[0]);
		return PTR_ERR(c->parent[1]);
	}
	return 0;
}

static void common_parent_drop(struct common_parent *c)
{
	kctx_cancel(c->parent[0]);
	kctx_cancel(c->parent[1]);
	kctx_put(c->parent[1]);
	kctx_put(c->parent[0]);
}

static int bench_common_parent_cancel(const struct kb_run *run)
{
	struct common_parent c = {};
	struct kctx *root;
	char name[64];
	int own, err = 0;

	root = kctx_with_value(kctx_background(), &kb_common_key, &kb_common_key, GFP_KERNEL);
	if (IS_ERR(root))
		return PTR_ERR(root);
	for (own = 0; own <= 1 && !err; own++) {
		err = common_parent_make(&c, root, own);
		if (err)
			break;
		for (c.nr_threads = 1; c.nr_threads <= 2 && !err; c.nr_threads++) {
			err = kb_need_cpus(run, "CommonParentCancel", c.nr_threads);
			if (err)
				break;
			snprintf(name, sizeof(name), "CommonParentCancel/%sthreads=%u",
				 own ? "own-parent/" : "", c.nr_threads);
			err = kb_repeat(run, name, COMMON_PARENT_OPS, common_parent_body, &c);
		}
		common_parent_drop(&c);
	}
	kctx_put(root);
	/* One CPU still measured one thread; that is the row that matters here. */
	return err == -EOPNOTSUPP && c.nr_threads > 1 ? 0 : err;
}

static s64 with_timeout_body(void *arg)
{
	u64 i, t0 = ktime_get_ns();
	struct kctx *ctx;

	for (i = 0; i < WITH_TIMEOUT_OPS; i++) {
		ctx = kctx_with_timeout(kctx_background(), LONG_TIMEOUT_NS, GFP_KERNEL);
		if (IS_ERR(ctx))
			return PTR_ERR(ctx);
		kctx_cancel(ctx);
		kctx_put(ctx);
		kb_breathe(i);
	}
	return ktime_get_ns() - t0;
}

/* Creating and cancelling a deadline should not care how many others are armed. */
static int bench_with_timeout_live(const struct kb_run *run, unsigned int live)
{
	struct kctx **armed;
	unsigned int made;
	char name[64];
	int err = 0;

	armed = kvmalloc_array(live, sizeof(*armed), GFP_KERNEL);
	if (!armed)
		return -ENOMEM;
	for (made = 0; made < live; made++) {
		armed[made] = kctx_with_timeout(kctx_background(), LONG_TIMEOUT_NS, GFP_KERNEL);
		if (IS_ERR(armed[made])) {
			err = PTR_ERR(armed[made]);
			goto cancel_armed;
		}
		kb_breathe(made);
	}
	snprintf(name, sizeof(name), "WithTimeout/live=%u", live);
	err = kb_repeat(run, name, WITH_TIMEOUT_OPS, with_timeout_body, NULL);
cancel_armed:
	while (made--) {
		kctx_cancel(armed[made]);
		kctx_put(armed[made]);
		kb_breathe(made);
	}
	kvfree(armed);
	return err;
}

static int bench_with_timeout(const struct kb_run *run)
{
	return bench_with_timeout_live(run, 40) ?:
	       bench_with_timeout_live(run, 4000) ?:
	       bench_with_timeout_live(run, 400000);
}

const struct kb_group kb_cpu_groups[] = {
	{ "CreateCancel", bench_create_cancel },
	{ "CreateCancelParts", bench_create_cancel_parts },
	{ "CheckCanceled", bench_check_canceled },
	{ "CancelTree", bench_cancel_tree },
	{ "FanOut", bench_fan_out },
	{ "CommonParentCancel", bench_common_parent_cancel },
	{ "WithTimeout", bench_with_timeout },
};

const unsigned int kb_nr_cpu_groups = ARRAY_SIZE(kb_cpu_groups);
