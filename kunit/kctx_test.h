/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers shared by kctx's KUnit suites.
 */
#ifndef _KCTX_TEST_H
#define _KCTX_TEST_H

#include <kunit/test.h>
#include <linux/completion.h>
#include <linux/kthread.h>

#include "../kmod/ctx.h"

/* Generous bound for anything that should happen "at once" under TCG. */
#define KCTX_TEST_WAIT		(10 * HZ)

/* Make a context or end the test case. */
#define KCTX_TEST_NEW(test, expr)					\
({									\
	struct kctx *__c = (expr);					\
									\
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, __c);			\
	__c;								\
})

/* A kthread running one function, and completions for its start and end. */
struct kctx_test_thread {
	struct task_struct *task;
	struct completion started;
	struct completion exited;
	int (*fn)(void *data);
	void *data;
	int ret;
};

void kctx_test_thread_start(struct kunit *test, struct kctx_test_thread *t,
			    int (*fn)(void *data), void *data);
bool kctx_test_thread_join(struct kctx_test_thread *t);
bool kctx_test_wait_sleeping(struct task_struct *task);

/*
 * Two threads that meet at a barrier, wait a random few microseconds, run
 * one operation each, and meet again; side 0 also sets up before and checks
 * after each round. The jitter moves the collision point around, the idea
 * behind LTP's fuzzy-sync.
 */
struct kctx_race {
	void (*setup)(struct kctx_race *r);
	void (*check)(struct kctx_race *r);
	unsigned int rounds;
	unsigned int max_jitter_ns;
	atomic_t arrived;
	atomic_t failures;
	const char *first_failure;
	void *data;
	void (*op_a)(struct kctx_race *r);	/* side 0 */
	void (*op_b)(struct kctx_race *r);	/* side 1 */
};

void kctx_race_run(struct kunit *test, struct kctx_race *r);
void kctx_race_fail(struct kctx_race *r, const char *what);

extern struct kunit_suite kctx_tree_suite;
extern struct kunit_suite kctx_deadline_suite;
extern struct kunit_suite kctx_value_suite;
extern struct kunit_suite kctx_wait_suite;
extern struct kunit_suite kctx_after_func_suite;
extern struct kunit_suite kctx_race_suite;
extern struct kunit_suite kctx_scale_suite;
extern struct kunit_suite kctx_fault_suite;
extern struct kunit_suite kctx_kthread_suite;
extern struct kunit_suite kctx_group_suite;
extern struct kunit_suite kctx_cancel_wait_suite;

#endif /* _KCTX_TEST_H */
