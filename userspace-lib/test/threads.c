// SPDX-License-Identifier: GPL-2.0
/*
 * Handles shared between threads.
 */
#include "harness.h"

#include <pthread.h>

#define NTHREADS 8

static void *get_eventfd(void *arg)
{
	return (void *)(intptr_t)kctx_eventfd(arg);
}

TEST(threads_race_for_the_eventfd_and_get_one)
{
	kctx_t *ctx = new_root();
	pthread_t t[NTHREADS];
	void *r[NTHREADS];
	int i;

	for (i = 0; i < NTHREADS; i++)
		ASSERT_OK(pthread_create(&t[i], NULL, get_eventfd, ctx));
	for (i = 0; i < NTHREADS; i++) {
		ASSERT_OK(pthread_join(t[i], &r[i]));
		ASSERT_GE((intptr_t)r[i], 0);
		ASSERT_EQ((intptr_t)r[i], (intptr_t)r[0]);
	}
	kctx_free(ctx);
}

static void *wait_for(void *arg)
{
	return (void *)(intptr_t)kctx_wait(arg, MS(10000));
}

TEST(threads_one_cancel_wakes_every_waiter)
{
	kctx_t *root = new_root(), *ctx;
	pthread_t t[NTHREADS];
	void *r;
	int i;

	ASSERT_OK(kctx_with_cancel(root, &ctx));
	for (i = 0; i < NTHREADS; i++)
		ASSERT_OK(pthread_create(&t[i], NULL, wait_for, i % 2 ? ctx : root));
	usleep(20000);
	ASSERT_OK(kctx_cancel(root));
	for (i = 0; i < NTHREADS; i++) {
		ASSERT_OK(pthread_join(t[i], &r));
		ASSERT_EQ((intptr_t)r, 0);
	}
	kctx_free(ctx);
	kctx_free(root);
}

static void *churn(void *arg)
{
	kctx_t *parent = arg, *c;
	int i;

	for (i = 0; i < 200; i++) {
		if (kctx_with_cancel(parent, &c))
			return (void *)1;
		if (i % 2)
			kctx_cancel(c);
		kctx_free(c);
	}
	return NULL;
}

TEST(threads_create_and_cancel_under_one_parent)
{
	kctx_t *root = new_root();
	pthread_t t[NTHREADS];
	void *r;
	int i;

	for (i = 0; i < NTHREADS; i++)
		ASSERT_OK(pthread_create(&t[i], NULL, churn, root));
	for (i = 0; i < NTHREADS; i++) {
		ASSERT_OK(pthread_join(t[i], &r));
		ASSERT_TRUE(r == NULL);
	}
	ASSERT_EQ(kctx_err(root), 0);
	kctx_free(root);
}
