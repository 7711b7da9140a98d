// SPDX-License-Identifier: GPL-2.0
/*
 * kctx show: a context's state, one "key: value" line each.
 */
#include "cli.h"

TEST(show_a_live_context_with_a_deadline)
{
	kctx_t *root = new_root(), *ctx;
	uint64_t id, parent;
	char want[64];
	struct cli c;

	ASSERT_OK(kctx_with_timeout(root, 3600000000000ull, &ctx));
	ASSERT_OK(kctx_id(ctx, &id, &parent));
	cli_pass_fd(ctx, 9);
	ASSERT_EQ(cli_sh(&c, "kctx show 9"), 0);
	snprintf(want, sizeof(want), "id: %llu\nparent_id: %llu\n", (unsigned long long)id,
		 (unsigned long long)parent);
	ASSERT_CONTAINS(c.out, want);
	ASSERT_CONTAINS(c.out, "fd: owner\n");
	ASSERT_CONTAINS(c.out, "state: live\n");
	ASSERT_CONTAINS(c.out, "err: 0\n");
	ASSERT_CONTAINS(c.out, "cause: 0\n");
	ASSERT_CONTAINS(c.out, "canceller: 0\n");
	ASSERT_CONTAINS(c.out, "s from now)\n");
	kctx_free(ctx);
	kctx_free(root);
}

TEST(show_a_cancelled_context_through_a_watch)
{
	kctx_t *ctx = new_root(), *w;
	char want[64];
	struct cli c;

	ASSERT_OK(kctx_watch(ctx, &w));
	ASSERT_OK(kctx_cancel_cause(ctx, 1234567890123ll));
	cli_pass_fd(w, 9);
	ASSERT_EQ(cli_sh(&c, "kctx show 9"), 0);
	ASSERT_CONTAINS(c.out, "fd: watch\n");
	ASSERT_CONTAINS(c.out, "state: done\n");
	ASSERT_CONTAINS(c.out, "err: -125 (-ECANCELED)\n");
	ASSERT_CONTAINS(c.out, "cause: 1234567890123\n");
	snprintf(want, sizeof(want), "canceller: %d\n", (int)getpid());
	ASSERT_CONTAINS(c.out, want);
	ASSERT_CONTAINS(c.out, "deadline: none\n");
	kctx_free(w);
	kctx_free(ctx);
}

TEST(show_without_a_context_fails)
{
	struct cli c;

	cli_sh(&c, "kctx show");
	ASSERT_ONE_LINE_ERROR(&c, 1);
}
