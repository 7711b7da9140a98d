// SPDX-License-Identifier: GPL-2.0
/*
 * Races on two CPUs, each run for many rounds with random timing: see
 * kctx_race_run(). Every round checks the invariant that the race could
 * break; kmemleak and KASAN watch the rest.
 */
#include <linux/cpumask.h>
#include <linux/file.h>
#include <linux/fs.h>

#include "kctx_test.h"

static unsigned int race_rounds = 100000;
module_param(race_rounds, uint, 0444);
MODULE_PARM_DESC(race_rounds, "rounds per race in the kctx_race suite");

/*
 * KUnit fails a case after 300 s. On the debug kernel under TCG a round
 * costs 0.3 to 0.5 ms on an idle host and up to 2.5 ms on a busy one; so
 * each race runs as one case per RACE_CHUNK rounds, a parameter each,
 * numbered from 1.
 */
#define RACE_CHUNK	25000

static const void *race_chunk_gen(const void *prev, char *desc)
{
	unsigned long chunk = (unsigned long)prev + 1;
	unsigned long first = (chunk - 1) * RACE_CHUNK;

	if (first >= race_rounds)
		return NULL;
	/* One CPU skips the race: one skip says so, not one per chunk. */
	if (chunk > 1 && num_online_cpus() < 2)
		return NULL;
	snprintf(desc, KUNIT_PARAM_DESC_SIZE, "rounds %lu-%lu", first + 1,
		 min_t(unsigned long, first + RACE_CHUNK, race_rounds));
	return (const void *)chunk;
}

static unsigned int race_chunk_rounds(struct kunit *test)
{
	unsigned long first = ((unsigned long)test->param_value - 1) * RACE_CHUNK;

	return min_t(unsigned long, RACE_CHUNK, race_rounds - first);
}

#define CAUSE_A	(-1001)
#define CAUSE_B	(-1002)

struct race_ctxs {
	struct kctx *parent;
	struct kctx *child;
	struct kctx_callback cb;
	atomic_t fn_runs;
	bool stopped;
};

static void setup_parent_and_child(struct kctx_race *r)
{
	struct race_ctxs *c = r->data;

	c->parent = kctx_with_cancel(kctx_background(), GFP_KERNEL);
	c->child = kctx_with_cancel(c->parent, GFP_KERNEL);
}

static void put_both(struct race_ctxs *c)
{
	kctx_put(c->child);
	kctx_put(c->parent);
}

static void cancel_parent_a(struct kctx_race *r)
{
	kctx_cancel_cause(((struct race_ctxs *)r->data)->parent, CAUSE_A);
}

static void cancel_parent_b(struct kctx_race *r)
{
	kctx_cancel_cause(((struct race_ctxs *)r->data)->parent, CAUSE_B);
}

static void check_one_cause_everywhere(struct kctx_race *r)
{
	struct race_ctxs *c = r->data;
	int cause = kctx_cause(c->parent);

	if (cause != CAUSE_A && cause != CAUSE_B)
		kctx_race_fail(r, "parent's cause is neither cancel's");
	if (kctx_cause(c->child) != cause)
		kctx_race_fail(r, "child saw another cause than its parent");
	if (kctx_err(c->child) != -ECANCELED)
		kctx_race_fail(r, "child not cancelled");
	put_both(c);
}

static void concurrent_cancels_agree_on_one_cause(struct kunit *test)
{
	struct race_ctxs *c = kunit_kzalloc(test, sizeof(*c), GFP_KERNEL);
	struct kctx_race r = {
		.setup = setup_parent_and_child,
		.op_a = cancel_parent_a,
		.op_b = cancel_parent_b,
		.check = check_one_cause_everywhere,
		.rounds = race_chunk_rounds(test),
		.max_jitter_ns = 2000,
		.data = c,
	};

	KUNIT_ASSERT_NOT_NULL(test, c);
	kctx_race_run(test, &r);
}

static void setup_parent_only(struct kctx_race *r)
{
	struct race_ctxs *c = r->data;

	c->parent = kctx_with_cancel(kctx_background(), GFP_KERNEL);
	c->child = NULL;
}

static void create_child(struct kctx_race *r)
{
	struct race_ctxs *c = r->data;

	c->child = kctx_with_cancel(c->parent, GFP_KERNEL);
}

static void check_child_cancelled_and_unlinked(struct kctx_race *r)
{
	struct race_ctxs *c = r->data;

	if (IS_ERR(c->child)) {
		kctx_race_fail(r, "child creation failed");
		kctx_put(c->parent);
		return;
	}
	if (kctx_cause(c->child) != CAUSE_A)
		kctx_race_fail(r, "child of a cancelled parent is not cancelled");
	if (!hlist_empty(&c->parent->children))
		kctx_race_fail(r, "cancelled parent still lists a child");
	put_both(c);
}

static void parent_cancel_against_child_create(struct kunit *test)
{
	struct race_ctxs *c = kunit_kzalloc(test, sizeof(*c), GFP_KERNEL);
	struct kctx_race r = {
		.setup = setup_parent_only,
		.op_a = cancel_parent_a,
		.op_b = create_child,
		.check = check_child_cancelled_and_unlinked,
		.rounds = race_chunk_rounds(test),
		.max_jitter_ns = 4000,
		.data = c,
	};

	KUNIT_ASSERT_NOT_NULL(test, c);
	kctx_race_run(test, &r);
}

static void setup_deadline_now(struct kctx_race *r)
{
	struct race_ctxs *c = r->data;

	/* Expire within a few microseconds: right around the cancel. */
	c->parent = kctx_with_timeout(kctx_background(), 2000 + get_random_u32_below(8000),
				      GFP_KERNEL);
	c->child = kctx_with_cancel(c->parent, GFP_KERNEL);
}

static void idle(struct kctx_race *r)
{
}

static void check_deadline_or_cancel_consistently(struct kctx_race *r)
{
	struct race_ctxs *c = r->data;
	int err, cause;

	if (kctx_wait_timeout(c->child, KCTX_TEST_WAIT) <= 0)
		kctx_race_fail(r, "child never became done");
	err = kctx_err(c->parent);
	cause = kctx_cause(c->parent);
	if (!(err == -ECANCELED && cause == CAUSE_A) &&
	    !(err == -ETIMEDOUT && cause == -ETIMEDOUT))
		kctx_race_fail(r, "parent's err and cause disagree");
	if (kctx_err(c->child) != err || kctx_cause(c->child) != cause)
		kctx_race_fail(r, "child disagrees with its parent");
	put_both(c);
}

static void cancel_against_deadline_expiry(struct kunit *test)
{
	struct race_ctxs *c = kunit_kzalloc(test, sizeof(*c), GFP_KERNEL);
	struct kctx_race r = {
		.setup = setup_deadline_now,
		.op_a = cancel_parent_a,
		.op_b = idle,
		.check = check_deadline_or_cancel_consistently,
		.rounds = race_chunk_rounds(test),
		.max_jitter_ns = 10000,
		.data = c,
	};

	KUNIT_ASSERT_NOT_NULL(test, c);
	kctx_race_run(test, &r);
	kctx_deadline_flush();
}

static void count_run(struct kctx_callback *cb)
{
	atomic_inc(&container_of(cb, struct race_ctxs, cb)->fn_runs);
}

static void setup_after_func(struct kctx_race *r)
{
	struct race_ctxs *c = r->data;

	c->parent = kctx_with_cancel(kctx_background(), GFP_KERNEL);
	c->child = NULL;
	atomic_set(&c->fn_runs, 0);
	kctx_after_func(c->parent, &c->cb, count_run);
}

static void stop_after_func(struct kctx_race *r)
{
	struct race_ctxs *c = r->data;

	c->stopped = kctx_after_func_stop(&c->cb);
}

static void check_stopped_xor_ran(struct kctx_race *r)
{
	struct race_ctxs *c = r->data;

	flush_workqueue(kctx_wq);
	if (c->stopped == !!atomic_read(&c->fn_runs))
		kctx_race_fail(r, "stop's answer disagrees with whether fn ran");
	if (atomic_read(&c->fn_runs) > 1)
		kctx_race_fail(r, "fn ran twice");
	kctx_put(c->parent);
}

static void after_func_stop_against_cancel(struct kunit *test)
{
	struct race_ctxs *c = kunit_kzalloc(test, sizeof(*c), GFP_KERNEL);
	struct kctx_race r = {
		.setup = setup_after_func,
		.op_a = stop_after_func,
		.op_b = cancel_parent_a,
		.check = check_stopped_xor_ran,
		.rounds = race_chunk_rounds(test),
		.max_jitter_ns = 3000,
		.data = c,
	};

	KUNIT_ASSERT_NOT_NULL(test, c);
	kctx_race_run(test, &r);
}

static void drop_child(struct kctx_race *r)
{
	struct race_ctxs *c = r->data;

	kctx_put(c->child);
	c->child = NULL;
}

static void check_parent_list_empty(struct kctx_race *r)
{
	struct race_ctxs *c = r->data;

	if (!hlist_empty(&c->parent->children))
		kctx_race_fail(r, "parent still lists a dropped child");
	if (refcount_read(&c->parent->ref) != 1)
		kctx_race_fail(r, "dropped child still holds its parent");
	kctx_put(c->parent);
}

static void parent_cancel_against_last_child_put(struct kunit *test)
{
	struct race_ctxs *c = kunit_kzalloc(test, sizeof(*c), GFP_KERNEL);
	struct kctx_race r = {
		.setup = setup_parent_and_child,
		.op_a = cancel_parent_a,
		.op_b = drop_child,
		.check = check_parent_list_empty,
		.rounds = race_chunk_rounds(test),
		.max_jitter_ns = 2000,
		.data = c,
	};

	KUNIT_ASSERT_NOT_NULL(test, c);
	kctx_race_run(test, &r);
}

/*
 * The debugfs tree walk reads lists under RCU, and nodes are freed at once
 * into a SLAB_TYPESAFE_BY_RCU cache, so a node the walk is about to look
 * at may be freed and made again, elsewhere, from the same memory. Side B
 * drops @victim, listed under @parent behind @stable, and at once makes
 * @reborn under @other, likely in @victim's memory; side A reads the tree.
 * It must always list @stable under @parent, and never @reborn there.
 */
struct tree_reuse {
	struct kctx *parent, *stable, *victim, *other, *reborn;
	char *buf;
	ssize_t len;
};

#define TREE_READ_SIZE	(64 * 1024)

static ssize_t read_tree(char *buf)
{
	struct file *f = filp_open("/sys/kernel/debug/kctx/tree", O_RDONLY, 0);
	loff_t pos = 0;
	ssize_t n;

	if (IS_ERR(f))
		return PTR_ERR(f);
	n = kernel_read(f, buf, TREE_READ_SIZE - 1, &pos);
	fput(f);
	buf[max_t(ssize_t, n, 0)] = '\0';
	return n;
}

static void setup_tree_reuse(struct kctx_race *r)
{
	struct tree_reuse *t = r->data;

	t->parent = kctx_with_cancel(kctx_background(), GFP_KERNEL);
	/* Lists grow at the head: @stable comes before @victim. */
	t->victim = kctx_with_cancel(t->parent, GFP_KERNEL);
	t->stable = kctx_with_cancel(t->parent, GFP_KERNEL);
	t->other = kctx_with_cancel(kctx_background(), GFP_KERNEL);
	t->reborn = NULL;
}

static void read_tree_a(struct kctx_race *r)
{
	struct tree_reuse *t = r->data;

	t->len = read_tree(t->buf);
}

static void drop_and_remake_b(struct kctx_race *r)
{
	struct tree_reuse *t = r->data;

	kctx_put(t->victim);
	t->reborn = kctx_with_cancel(t->other, GFP_KERNEL);
}

/* Whether @id is listed among the children of the line that starts at @line. */
static bool tree_lists_child(const char *line, u64 id)
{
	char want[32];
	size_t n;

	n = snprintf(want, sizeof(want), "\n    %llu ", id);
	/* @line is "\n  <id> ...": its children are the lines below indented by 4. */
	while ((line = strchr(line + 1, '\n')) && !strncmp(line, "\n    ", 5))
		if (!strncmp(line, want, n))
			return true;
	return false;
}

static void check_tree_kept_its_shape(struct kctx_race *r)
{
	struct tree_reuse *t = r->data;
	const char *line;
	char want[32];

	snprintf(want, sizeof(want), "\n  %llu cancel", kctx_id(t->parent));
	line = t->len > 0 ? strstr(t->buf, want) : NULL;
	if (!line)
		kctx_race_fail(r, "the tree did not list the parent");
	else if (!tree_lists_child(line, kctx_id(t->stable)))
		kctx_race_fail(r, "the tree lost a child listed before the freed one");
	else if (!IS_ERR_OR_NULL(t->reborn) && tree_lists_child(line, kctx_id(t->reborn)))
		kctx_race_fail(r, "the tree listed a reused node under its old parent");
	if (IS_ERR(t->reborn))
		kctx_race_fail(r, "could not make a node");
	else
		kctx_put(t->reborn);
	kctx_put(t->other);
	kctx_put(t->stable);
	kctx_put(t->parent);
}

static void tree_walk_against_free_and_reuse(struct kunit *test)
{
	struct tree_reuse *t = kunit_kzalloc(test, sizeof(*t), GFP_KERNEL);
	struct kctx_race r = {
		.setup = setup_tree_reuse,
		.op_a = read_tree_a,
		.op_b = drop_and_remake_b,
		.check = check_tree_kept_its_shape,
		/* A read of the whole tree costs several rounds of the others. */
		.rounds = race_chunk_rounds(test) / 20,
		.max_jitter_ns = 20000,
		.data = t,
	};

	KUNIT_ASSERT_NOT_NULL(test, t);
	t->buf = kunit_kzalloc(test, TREE_READ_SIZE, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, t->buf);
	if (read_tree(t->buf) < 0)
		kunit_skip(test, "debugfs is not mounted");
	kctx_race_run(test, &r);
}

#define RACE_CASE(name)	\
	KUNIT_CASE_PARAM_ATTR(name, race_chunk_gen, { .speed = KUNIT_SPEED_SLOW })

static struct kunit_case kctx_race_cases[] = {
	RACE_CASE(concurrent_cancels_agree_on_one_cause),
	RACE_CASE(parent_cancel_against_child_create),
	RACE_CASE(cancel_against_deadline_expiry),
	RACE_CASE(after_func_stop_against_cancel),
	RACE_CASE(parent_cancel_against_last_child_put),
	RACE_CASE(tree_walk_against_free_and_reuse),
	{}
};

struct kunit_suite kctx_race_suite = {
	.name = "kctx_race",
	.test_cases = kctx_race_cases,
};

kunit_test_suite(kctx_race_suite);
