// SPDX-License-Identifier: GPL-2.0
/*
 * kctx run --timeout: 124 at the deadline, like timeout(1).
 */
#include "cli.h"

TEST(timeout_exits_124)
{
	struct cli c;

	ASSERT_EQ(cli_sh(&c, "kctx run --timeout 200ms -- sleep 10"), 124);
	ASSERT_GE(c.ns, MS(200));
	ASSERT_LT(c.ns, MS(3000));
	ASSERT_EQ(cli_sh(&c, "kctx run -t 0.2 -- sleep 10"), 124);
	/* GNU's forms: the value in the option's word. */
	ASSERT_EQ(cli_sh(&c, "kctx run --timeout=200ms -- sleep 10"), 124);
	ASSERT_GE(c.ns, MS(200));
	ASSERT_EQ(cli_sh(&c, "kctx run -t200ms sleep 10"), 124);
	ASSERT_GE(c.ns, MS(200));
}

TEST(timeout_reaches_the_whole_process_group)
{
	struct cli c;

	/* If only sh were signalled, sleep would hold stdout open for 10 s. */
	ASSERT_EQ(cli_sh(&c, "kctx run --timeout 200ms -- sh -c 'sleep 10; echo not reached'"),
		  124);
	ASSERT_LT(c.ns, MS(3000));
	ASSERT_STREQ(c.out, "");
}

TEST(timeout_is_deadline_exceeded_in_the_context)
{
	struct cli c;

	/*
	 * The command ignores SIGTERM, so it lives to see the context done.
	 * It is ignored from the start (kctx passes that on): a trap inside
	 * the command would race with the deadline on a slow machine.
	 */
	ASSERT_EQ(cli_sh(&c, "trap '' TERM; kctx run --timeout 200ms -- sh -c "
			 "'kctx wait; echo waited=$?; kctx show'"), 124);
	ASSERT_CONTAINS(c.out, "waited=0");
	ASSERT_CONTAINS(c.out, "state: done");
	ASSERT_CONTAINS(c.out, "err: -110 (-ETIMEDOUT)");
	ASSERT_CONTAINS(c.out, "cause: -110 (-ETIMEDOUT)");
}

TEST(timeout_then_kill_after)
{
	struct cli c;

	ASSERT_EQ(cli_sh(&c, "trap '' TERM; kctx run --timeout 100ms --kill-after 200ms -- "
			 "sleep 10"), 128 + 9);
	ASSERT_GE(c.ns, MS(300));
	ASSERT_LT(c.ns, MS(3000));
	ASSERT_EQ(cli_sh(&c, "trap '' TERM; kctx run --timeout=100ms --kill-after=200ms -- "
			 "sleep 10"), 128 + 9);
	ASSERT_GE(c.ns, MS(300));
	ASSERT_EQ(cli_sh(&c, "trap '' TERM; kctx run -t100ms -k200ms sleep 10"), 128 + 9);
	ASSERT_GE(c.ns, MS(300));
}

TEST(timeout_with_another_signal)
{
	struct cli c;

	ASSERT_EQ(cli_sh(&c, "kctx run --timeout 100ms --signal KILL -- sleep 10"), 128 + 9);
	ASSERT_EQ(cli_sh(&c, "kctx run --timeout 100ms -s INT -- sleep 10"), 124);
	ASSERT_EQ(cli_sh(&c, "kctx run --timeout=100ms --signal=KILL -- sleep 10"), 128 + 9);
	ASSERT_EQ(cli_sh(&c, "kctx run -t100ms -sKILL -- sleep 10"), 128 + 9);
}

TEST(timeout_of_an_outer_run_reaches_an_inner_one)
{
	struct cli c;

	ASSERT_EQ(cli_sh(&c, "trap '' TERM; kctx run --timeout 300ms -- kctx run --foreground -- "
			 "sh -c 'kctx wait; kctx show'"), 124);
	ASSERT_CONTAINS(c.out, "-ETIMEDOUT");
}
