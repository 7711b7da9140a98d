// SPDX-License-Identifier: GPL-2.0
/*
 * What every in-kernel benchmark shares: reporting medians and
 * percentiles, and running a body on several CPUs at once.
 */
#include <linux/completion.h>
#include <linux/cpumask.h>
#include <linux/kthread.h>
#include <linux/math64.h>
#include <linux/printk.h>
#include <linux/slab.h>
#include <linux/sort.h>

#include "bench.h"

static int cmp_u64(const void *a, const void *b)
{
	u64 x = *(const u64 *)a, y = *(const u64 *)b;

	return x < y ? -1 : x > y;
}

/* Tenths of a nanosecond per operation: one decimal, as the peers print. */
u64 kb_per_op_x10(u64 ns, u64 ops)
{
	return div64_u64(ns * 10, max_t(u64, ops, 1));
}

/* The @permille-th per-mille of @vals, nearest rank; sorts @vals. */
u64 kb_permille(u64 *vals, unsigned int nr, unsigned int permille)
{
	unsigned int rank;

	if (!nr)
		return 0;
	sort(vals, nr, sizeof(*vals), cmp_u64, NULL);
	rank = DIV_ROUND_UP_ULL((u64)nr * permille, 1000);
	return vals[clamp(rank, 1U, nr) - 1];
}

u64 kb_percentile(u64 *vals, unsigned int nr, unsigned int pct)
{
	return kb_permille(vals, nr, pct * 10);
}

/* Print the median of @nr per-op figures (tenths of @unit) as one row. */
void kb_report(const struct kb_run *run, const char *name, u64 *vals_x10,
	       unsigned int nr, const char *unit, u64 ops)
{
	u64 med = kb_percentile(vals_x10, nr, 50);

	pr_info("@bench side=%s name=%s value=%llu.%llu unit=%s n=%llu reps=%u\n",
		run->side, name, med / 10, med % 10, unit, ops, nr);
}

void kb_note(const struct kb_run *run, const char *fmt, ...)
{
	struct va_format vaf;
	va_list args;

	va_start(args, fmt);
	vaf.fmt = fmt;
	vaf.va = &args;
	pr_info("kctx_bench (%s): %pV\n", run->side, &vaf);
	va_end(args);
}

/* 0 if this machine has @nr online CPUs; else say so and -EOPNOTSUPP. */
int kb_need_cpus(const struct kb_run *run, const char *name, unsigned int nr)
{
	if (num_online_cpus() >= nr)
		return 0;
	kb_note(run, "%s skipped: needs %u CPUs, %u online", name, nr, num_online_cpus());
	return -EOPNOTSUPP;
}

struct kb_thread {
	int (*fn)(void *data, unsigned int idx);
	void *data;
	unsigned int idx;
	int ret;
	struct completion done;
};

static int kb_thread_fn(void *arg)
{
	struct kb_thread *t = arg;

	t->ret = t->fn(t->data, t->idx);
	/* Never return into this module's text after the waiter moves on. */
	kthread_complete_and_exit(&t->done, 0);
}

/*
 * Run @fn(@data, i) for i in [0, @nr_threads) at once, thread i bound to
 * the i-th online CPU, and wait for all of them. The caller checks that
 * there are enough CPUs. Return: 0, or the first thread's error.
 */
int kb_run_on_cpus(int (*fn)(void *data, unsigned int idx), void *data,
		   unsigned int nr_threads)
{
	struct task_struct **task;
	struct kb_thread *t;
	unsigned int i, created;
	int cpu = -1, err = 0;

	t = kcalloc(nr_threads, sizeof(*t), GFP_KERNEL);
	task = kcalloc(nr_threads, sizeof(*task), GFP_KERNEL);
	if (!t || !task) {
		err = -ENOMEM;
		goto free_arrays;
	}
	/* All or none: a body waiting at a barrier for a thread never made would hang. */
	for (created = 0; created < nr_threads; created++) {
		cpu = cpumask_next(cpu, cpu_online_mask);
		t[created] = (struct kb_thread){ .fn = fn, .data = data, .idx = created };
		init_completion(&t[created].done);
		task[created] = kthread_create(kb_thread_fn, &t[created], "kctx-bench/%u", created);
		if (IS_ERR(task[created])) {
			err = PTR_ERR(task[created]);
			goto stop_created;
		}
		kthread_bind(task[created], cpu);
	}
	for (i = 0; i < nr_threads; i++)
		wake_up_process(task[i]);
	for (i = 0; i < nr_threads; i++) {
		wait_for_completion(&t[i].done);
		if (!err)
			err = t[i].ret;
	}
	goto free_arrays;

stop_created:
	/* Never woken, so their function never runs. */
	while (created--)
		kthread_stop(task[created]);
free_arrays:
	kfree(task);
	kfree(t);
	return err;
}
