// SPDX-License-Identifier: GPL-2.0
/*
 * Values: lookup through the chain, nearest wins, keys by address.
 */
#include "kctx_test.h"

static const int key_a, key_b;
static int val_1, val_2, val_3;

static void value_is_found_through_every_kind(struct kunit *test)
{
	struct kctx *v, *c, *d, *w;

	v = KCTX_TEST_NEW(test, kctx_with_value(kctx_background(), &key_a, &val_1, GFP_KERNEL));
	c = KCTX_TEST_NEW(test, kctx_with_cancel(v, GFP_KERNEL));
	d = KCTX_TEST_NEW(test, kctx_with_timeout(c, 3600 * NSEC_PER_SEC, GFP_KERNEL));
	w = KCTX_TEST_NEW(test, kctx_without_cancel(d, GFP_KERNEL));
	KUNIT_EXPECT_PTR_EQ(test, kctx_value(v, &key_a), &val_1);
	KUNIT_EXPECT_PTR_EQ(test, kctx_value(d, &key_a), &val_1);
	KUNIT_EXPECT_PTR_EQ(test, kctx_value(w, &key_a), &val_1);
	kctx_cancel(c);
	kctx_put(w);
	kctx_put(d);
	kctx_put(c);
	kctx_put(v);
}

static void nearest_value_wins(struct kunit *test)
{
	struct kctx *outer, *mid, *inner;

	outer = KCTX_TEST_NEW(test, kctx_with_value(kctx_background(), &key_a, &val_1, GFP_KERNEL));
	mid = KCTX_TEST_NEW(test, kctx_with_value(outer, &key_b, &val_2, GFP_KERNEL));
	inner = KCTX_TEST_NEW(test, kctx_with_value(mid, &key_a, &val_3, GFP_KERNEL));
	KUNIT_EXPECT_PTR_EQ(test, kctx_value(inner, &key_a), &val_3);
	KUNIT_EXPECT_PTR_EQ(test, kctx_value(inner, &key_b), &val_2);
	KUNIT_EXPECT_PTR_EQ(test, kctx_value(mid, &key_a), &val_1);
	kctx_put(inner);
	kctx_put(mid);
	kctx_put(outer);
}

static void missing_key_gives_null(struct kunit *test)
{
	struct kctx *v;

	v = KCTX_TEST_NEW(test, kctx_with_value(kctx_background(), &key_a, &val_1, GFP_KERNEL));
	KUNIT_EXPECT_NULL(test, kctx_value(v, &key_b));
	KUNIT_EXPECT_NULL(test, kctx_value(kctx_background(), &key_a));
	kctx_put(v);
}

static void null_value_is_a_value(struct kunit *test)
{
	struct kctx *outer, *inner;

	outer = KCTX_TEST_NEW(test, kctx_with_value(kctx_background(), &key_a, &val_1, GFP_KERNEL));
	inner = KCTX_TEST_NEW(test, kctx_with_value(outer, &key_a, NULL, GFP_KERNEL));
	KUNIT_EXPECT_NULL(test, kctx_value(inner, &key_a));
	kctx_put(inner);
	kctx_put(outer);
}

static void value_context_is_done_with_its_parent(struct kunit *test)
{
	struct kctx *parent, *v;

	parent = KCTX_TEST_NEW(test, kctx_with_cancel(kctx_background(), GFP_KERNEL));
	v = KCTX_TEST_NEW(test, kctx_with_value(parent, &key_a, &val_1, GFP_KERNEL));
	kctx_cancel_cause(parent, -EOWNERDEAD);
	KUNIT_EXPECT_EQ(test, kctx_err(v), -ECANCELED);
	KUNIT_EXPECT_EQ(test, kctx_cause(v), -EOWNERDEAD);
	KUNIT_EXPECT_PTR_EQ(test, kctx_value(v, &key_a), &val_1);
	kctx_put(v);
	kctx_put(parent);
}

static struct kunit_case kctx_value_cases[] = {
	KUNIT_CASE(value_is_found_through_every_kind),
	KUNIT_CASE(nearest_value_wins),
	KUNIT_CASE(missing_key_gives_null),
	KUNIT_CASE(null_value_is_a_value),
	KUNIT_CASE(value_context_is_done_with_its_parent),
	{}
};

struct kunit_suite kctx_value_suite = {
	.name = "kctx_value",
	.test_cases = kctx_value_cases,
};

kunit_test_suite(kctx_value_suite);
