/* SPDX-License-Identifier: GPL-2.0 */
/*
 * kctx's in-kernel benchmarks. The same bodies run in kctx_bench.ko in the
 * VM (module.c, driven through debugfs) and built into a UML kernel as a
 * KUnit suite (kunit.c). Shapes and counts match the Go and C++ peers in
 * bench/peers, so each row compares like with like.
 *
 * Every figure is printed as one line that bench/report reads:
 *   @bench side=SIDE name=NAME value=MEDIAN unit=ns|B n=OPS reps=REPS
 */
#ifndef _KCTX_BENCH_H
#define _KCTX_BENCH_H

#include <linux/types.h>

#define KB_REPS_MAX 15

struct kb_run {
	const char *side;	/* "kernel-vm", "kernel-uml" */
	unsigned int reps;	/* timed repetitions; the median is reported */
};

/*
 * One benchmark group. @run returns 0, or -EOPNOTSUPP when this machine
 * can't run it (say, one CPU) after printing why, or another -errno.
 */
struct kb_group {
	const char *name;
	int (*run)(const struct kb_run *run);
};

extern const struct kb_group kb_cpu_groups[];
extern const unsigned int kb_nr_cpu_groups;
extern const struct kb_group kb_wake_groups[];
extern const unsigned int kb_nr_wake_groups;

void kb_report(const struct kb_run *run, const char *name, u64 *vals_x10,
	       unsigned int nr, const char *unit, u64 ops);
u64 kb_per_op_x10(u64 ns, u64 ops);
u64 kb_percentile(u64 *vals, unsigned int nr, unsigned int pct);
u64 kb_permille(u64 *vals, unsigned int nr, unsigned int permille);
int kb_run_on_cpus(int (*fn)(void *data, unsigned int idx), void *data,
		   unsigned int nr_threads);
int kb_need_cpus(const struct kb_run *run, const char *name, unsigned int nr);
void kb_note(const struct kb_run *run, const char *fmt, ...) __printf(2, 3);

/* stretch.c, in kctx_bench.ko only: the irqsoff file for ubench. */
struct dentry;
void kb_stretch_init(struct dentry *dir);

#endif /* _KCTX_BENCH_H */
