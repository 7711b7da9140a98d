// SPDX-License-Identifier: GPL-2.0
/*
 * kctx wait: 0 once done, 124 at --timeout.
 */
#include "cli.h"

TEST(wait_on_a_done_context_returns_0)
{
	kctx_t *ctx = new_root();
	struct cli c;

	ASSERT_OK(kctx_cancel(ctx));
	cli_pass_fd(ctx, 9);
	ASSERT_EQ(cli_sh(&c, "kctx wait 9"), 0);
	ASSERT_EQ(cli_sh(&c, "KCTX_FD=9 kctx wait"), 0);
	kctx_free(ctx);
}

TEST(wait_times_out_with_124)
{
	kctx_t *ctx = new_root();
	struct cli c;

	cli_pass_fd(ctx, 9);
	ASSERT_EQ(cli_sh(&c, "kctx wait --timeout 100ms 9"), 124);
	ASSERT_GE(c.ns, MS(100));
	ASSERT_STREQ(c.err, "");
	ASSERT_EQ(cli_sh(&c, "kctx wait --timeout=100ms 9"), 124);
	ASSERT_GE(c.ns, MS(100));
	ASSERT_EQ(cli_sh(&c, "kctx wait -t100ms 9"), 124);
	ASSERT_GE(c.ns, MS(100));
	ASSERT_STREQ(c.err, "");
	kctx_free(ctx);
}

TEST(wait_returns_when_cancelled)
{
	kctx_t *ctx = new_root();
	struct cli c;

	cli_pass_fd(ctx, 9);
	cli_start(&c, "echo started; exec kctx wait --timeout 20s 9");
	cli_read_until(&c, "started");
	ASSERT_OK(kctx_cancel(ctx));
	ASSERT_EQ(cli_finish(&c), 0);
	ASSERT_LT(c.ns, MS(15000));
	kctx_free(ctx);
}

TEST(wait_returns_at_the_deadline)
{
	kctx_t *root = new_root(), *ctx;
	struct cli c;

	ASSERT_OK(kctx_with_timeout(root, MS(200), &ctx));
	cli_pass_fd(ctx, 9);
	ASSERT_EQ(cli_sh(&c, "kctx wait 9"), 0);
	ASSERT_EQ(kctx_err(ctx), -ETIMEDOUT);
	kctx_free(ctx);
	kctx_free(root);
}

TEST(wait_on_a_watch_only_fd)
{
	kctx_t *ctx = new_root(), *w;
	struct cli c;

	ASSERT_OK(kctx_watch(ctx, &w));
	ASSERT_OK(kctx_cancel(ctx));
	cli_pass_fd(w, 9);
	ASSERT_EQ(cli_sh(&c, "kctx wait 9"), 0);
	kctx_free(w);
	kctx_free(ctx);
}

TEST(wait_without_a_context_fails)
{
	struct cli c;

	cli_sh(&c, "kctx wait");
	ASSERT_ONE_LINE_ERROR(&c, 1);
	cli_sh(&c, "kctx wait 63");
	ASSERT_ONE_LINE_ERROR(&c, 1);
}
