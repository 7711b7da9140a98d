// SPDX-License-Identifier: GPL-2.0
/*
 * The in-kernel benchmarks as a KUnit suite, for a UML kernel that has
 * kctx built in (qemu-scripts/uml): natively run kernel code, where the
 * VM's emulator would distort it. One case per CPU-bound group; the wake
 * and abort figures cross the user/kernel boundary and come from the VM.
 */
#include <kunit/test.h>
#include <linux/moduleparam.h>
#include <linux/string.h>

#include "bench.h"

static char *filter;
module_param(filter, charp, 0444);
MODULE_PARM_DESC(filter, "run only the groups whose name contains this");

static const void *kb_group_params(const void *prev, char *desc)
{
	const struct kb_group *g = prev ? (const struct kb_group *)prev + 1 : kb_cpu_groups;

	for (; g < kb_cpu_groups + kb_nr_cpu_groups; g++) {
		if (filter && !strstr(g->name, filter))
			continue;
		strscpy(desc, g->name, KUNIT_PARAM_DESC_SIZE);
		return g;
	}
	return NULL;
}

static void kb_kunit_run(struct kunit *test)
{
	const struct kb_run run = { .side = "kernel-uml", .reps = 5 };
	const struct kb_group *g = test->param_value;
	int err;

	err = g->run(&run);
	if (err == -EOPNOTSUPP)
		kunit_skip(test, "%s needs more than this machine has", g->name);
	KUNIT_EXPECT_EQ_MSG(test, err, 0, "%s failed", g->name);
}

static struct kunit_case kb_cases[] = {
	KUNIT_CASE_PARAM(kb_kunit_run, kb_group_params),
	{}
};

static struct kunit_suite kb_suite = {
	.name = "kctx_bench",
	.test_cases = kb_cases,
};

kunit_test_suite(kb_suite);

MODULE_DESCRIPTION("kctx's in-kernel benchmarks, as a KUnit suite");
MODULE_LICENSE("GPL");
