// SPDX-License-Identifier: GPL-2.0
/*
 * kctx cancel: by $KCTX_FD, by fd number, by PID:FD and by @ID; and
 * --wait, for the kernel work done for the context to stop.
 */
#include "cli.h"
#include "pump.h"

static int64_t cause_of(kctx_t *ctx)
{
	int64_t cause = 0;

	ASSERT_OK(kctx_cause(ctx, &cause));
	return cause;
}

TEST(cancel_by_kctx_fd)
{
	kctx_t *ctx = new_root();
	struct cli c;

	cli_pass_fd(ctx, 9);
	ASSERT_EQ(cli_sh(&c, "KCTX_FD=9 kctx cancel"), 0);
	ASSERT_STREQ(c.out, "");
	ASSERT_STREQ(c.err, "");
	ASSERT_EQ(kctx_err(ctx), -ECANCELED);
	ASSERT_EQ(cause_of(ctx), -ECANCELED);
	kctx_free(ctx);
}

TEST(cancel_by_fd_number_with_a_cause)
{
	kctx_t *ctx = new_root(), *other = new_root(), *third = new_root(), *fourth = new_root();
	pid_t pid;
	struct cli c;

	cli_pass_fd(ctx, 9);
	cli_pass_fd(other, 8);
	/* Above every fd the four hold, so that no dup2() closes one of them. */
	cli_pass_fd(third, 12);
	cli_pass_fd(fourth, 13);
	ASSERT_EQ(cli_sh(&c, "kctx cancel --cause 42 9"), 0);
	ASSERT_EQ(cause_of(ctx), 42);
	ASSERT_OK(kctx_canceller(ctx, &pid));
	ASSERT_NE(pid, getpid());
	ASSERT_EQ(cli_sh(&c, "kctx cancel 8 -c EIO"), 0);
	ASSERT_EQ(cause_of(other), -EIO);
	ASSERT_EQ(cli_sh(&c, "kctx cancel --cause=-EPIPE 12"), 0);
	ASSERT_EQ(cause_of(third), -EPIPE);
	ASSERT_EQ(cli_sh(&c, "kctx cancel -c43 13"), 0);
	ASSERT_EQ(cause_of(fourth), 43);
	kctx_free(fourth);
	kctx_free(third);
	kctx_free(other);
	kctx_free(ctx);
}

TEST(cancel_by_pid_and_fd)
{
	kctx_t *ctx = new_root();
	struct cli c;

	/* Close-on-exec: the command can reach it only through pidfd_getfd(). */
	ASSERT_EQ(cli_sh(&c, "kctx cancel --cause -EPIPE %d:%d", (int)getpid(), kctx_fd(ctx)), 0);
	ASSERT_EQ(cause_of(ctx), -EPIPE);
	kctx_free(ctx);
}

TEST(cancel_by_id)
{
	kctx_t *ctx = new_root(), *w;
	uint64_t id;
	struct cli c;

	/* A watch-only fd too: @ID must pick the owner fd. */
	ASSERT_OK(kctx_watch(ctx, &w));
	ASSERT_OK(kctx_id(ctx, &id, NULL));
	ASSERT_EQ(cli_sh(&c, "kctx cancel @%llu --cause 0x10", (unsigned long long)id), 0);
	ASSERT_EQ(cause_of(ctx), 16);
	kctx_free(w);
	kctx_free(ctx);
}

TEST(cancel_of_a_watch_only_fd_fails)
{
	kctx_t *ctx = new_root(), *w;
	struct cli c;

	ASSERT_OK(kctx_watch(ctx, &w));
	cli_pass_fd(w, 9);
	cli_sh(&c, "kctx cancel 9");
	ASSERT_ONE_LINE_ERROR(&c, 1);
	ASSERT_CONTAINS(c.err, "watch-only");
	ASSERT_EQ(kctx_err(ctx), 0);
	kctx_free(w);
	kctx_free(ctx);
}

TEST(cancel_of_what_is_not_a_context_fails)
{
	struct cli c;
	int p[2];

	ASSERT_OK(pipe(p));
	ASSERT_EQ(dup2(p[0], 9), 9);
	cli_sh(&c, "kctx cancel 9");
	ASSERT_ONE_LINE_ERROR(&c, 1);
	ASSERT_CONTAINS(c.err, "not a context fd");
	cli_sh(&c, "kctx cancel 63");
	ASSERT_ONE_LINE_ERROR(&c, 1);
	cli_sh(&c, "kctx cancel %d:63", (int)getpid());
	ASSERT_ONE_LINE_ERROR(&c, 1);
	cli_sh(&c, "kctx cancel @18446744073709551615");
	ASSERT_ONE_LINE_ERROR(&c, 1);
	cli_sh(&c, "kctx cancel");
	ASSERT_ONE_LINE_ERROR(&c, 1);
	ASSERT_CONTAINS(c.err, "KCTX_FD");
}

TEST(cancel_of_a_done_context_is_fine)
{
	kctx_t *ctx = new_root();
	struct cli c;

	ASSERT_OK(kctx_cancel_cause(ctx, 5));
	cli_pass_fd(ctx, 9);
	ASSERT_EQ(cli_sh(&c, "kctx cancel 9 --cause 6"), 0);
	ASSERT_EQ(cause_of(ctx), 5);
	kctx_free(ctx);
}

TEST(cancel_from_inside_kctx_run)
{
	struct cli c;

	/* The command cancels its own context; kctx signals it, as on any cancel. */
	ASSERT_EQ(cli_sh(&c, "kctx run -- sh -c 'kctx cancel; sleep 10'"), 128 + SIGTERM);
	ASSERT_LT(c.ns, MS(5000));
}

TEST(cancel_wait_names_what_stays_then_sees_it_leave)
{
	kctx_t *root = new_root(), *value;
	char comm[32];
	struct cli c;
	int dev;

	/* A value context can't be cancelled by itself: its pump stays. */
	ASSERT_OK(kctx_with_value(root, 1, 2, &value));
	dev = pump_start(value);
	cli_pass_fd(value, 9);
	ASSERT_EQ(cli_sh(&c, "kctx cancel --wait 50ms 9"), 124);
	ASSERT_TRUE(strstr(c.err, "kctx cancel: 9: cancelled, but work is still attached after 50ms\n"));
	snprintf(comm, sizeof(comm), "comm=kctx-pump/%d ", (int)getpid());
	ASSERT_TRUE(strstr(c.err, comm) || strstr(c.err, "/sys/kernel/debug/kctx/stragglers"));
	ASSERT_OK(kctx_cancel(root));
	ASSERT_EQ(cli_sh(&c, "kctx cancel -w 10s 9"), 0);
	ASSERT_STREQ(c.err, "");
	close(dev);
	kctx_free(value);
	kctx_free(root);
}

/*
 * kctx run is its command's worker: a cancel-wait above it lasts until the
 * command's tree is gone. This command ignores SIGTERM, so it goes only
 * at --kill-after's KILL.
 */
TEST(cancel_wait_waits_for_the_tree_of_kctx_run)
{
	kctx_t *root = new_root();
	struct cli c;

	setenv(KCTX_FD_ENV, "9", 1);
	cli_pass_fd(root, 9);
	cli_start(&c, "exec kctx run --kill-after 500ms -- sh -c "
		      "\"trap '' TERM; echo ready; while :; do sleep 1; done\"");
	cli_read_until(&c, "ready");
	ASSERT_EQ(kctx_cancel_wait(root, 0, MS(100)), -ETIME);
	ASSERT_OK(kctx_cancel_wait(root, 0, MS(10000)));
	/* kctx left only after the KILL, and then exits at once. */
	ASSERT_EQ(cli_finish(&c), 128 + SIGKILL);
	ASSERT_GE(c.ns, MS(500));
	unsetenv(KCTX_FD_ENV);
	kctx_free(root);
}

TEST(cancel_wait_takes_a_duration)
{
	kctx_t *ctx = new_root();
	struct cli c;

	cli_pass_fd(ctx, 9);
	ASSERT_EQ(cli_sh(&c, "kctx cancel --wait soon 9"), 2);
	ASSERT_TRUE(strstr(c.err, "'soon' is not a duration"));
	ASSERT_OK(kctx_err(ctx));
	ASSERT_EQ(cli_sh(&c, "kctx cancel --wait 0 --cause EIO 9"), 0);
	ASSERT_EQ(cause_of(ctx), -EIO);
	kctx_free(ctx);
}
