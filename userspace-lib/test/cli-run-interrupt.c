// SPDX-License-Identifier: GPL-2.0
/*
 * kctx run, interrupted: the context is cancelled (cause -EINTR) and the
 * signal passed on to the command.
 */
#include "cli.h"

TEST(interrupt_cancels_the_context_with_eintr)
{
	struct cli c;

	/* sh and what it runs ignore the signals, and see the cancel instead. */
	cli_start(&c, "exec kctx run -- sh -c "
		  "'trap \"\" INT TERM; echo ready; kctx wait; kctx show'");
	cli_read_until(&c, "ready");
	ASSERT_OK(kill(c.pid, SIGINT));
	ASSERT_EQ(cli_finish(&c), 0);
	ASSERT_CONTAINS(c.out, "state: done");
	ASSERT_CONTAINS(c.out, "err: -125 (-ECANCELED)");
	ASSERT_CONTAINS(c.out, "cause: -4 (-EINTR)");
}

TEST(interrupt_passes_the_signal_on)
{
	struct cli c;

	cli_start(&c, "exec kctx run -- sh -c 'echo ready; exec sleep 30'");
	cli_read_until(&c, "ready");
	ASSERT_OK(kill(c.pid, SIGTERM));
	ASSERT_EQ(cli_finish(&c), 128 + SIGTERM);
	ASSERT_LT(c.ns, MS(10000));

	cli_start(&c, "exec kctx run -- sh -c 'echo ready; exec sleep 30'");
	cli_read_until(&c, "ready");
	ASSERT_OK(kill(c.pid, SIGHUP));
	ASSERT_EQ(cli_finish(&c), 128 + SIGHUP);
}

TEST(interrupt_then_kill_after)
{
	struct cli c;

	cli_start(&c, "exec kctx run --kill-after 100ms -- "
		  "sh -c 'trap \"\" INT; echo ready; sleep 30'");
	cli_read_until(&c, "ready");
	ASSERT_OK(kill(c.pid, SIGINT));
	ASSERT_EQ(cli_finish(&c), 128 + SIGKILL);
	ASSERT_LT(c.ns, MS(10000));
}

TEST(interrupt_ignored_by_the_caller_is_ignored)
{
	struct cli c;

	/* Like nohup: a SIGHUP kctx inherits as ignored cancels nothing. */
	cli_start(&c, "trap '' HUP; exec kctx run -- sh -c 'echo ready; kctx wait --timeout 300ms'");
	cli_read_until(&c, "ready");
	ASSERT_OK(kill(c.pid, SIGHUP));
	ASSERT_EQ(cli_finish(&c), 124);
}
