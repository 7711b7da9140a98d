// SPDX-License-Identifier: GPL-2.0
/*
 * kctx run: the command, its context, and its exit status.
 */
#include "cli.h"

TEST(run_exits_with_the_command_status)
{
	struct cli c;

	ASSERT_EQ(cli_sh(&c, "kctx run -- sh -c 'exit 3'"), 3);
	ASSERT_EQ(cli_sh(&c, "kctx run --timeout 10s true"), 0);
	ASSERT_LT(c.ns, MS(5000));
	ASSERT_EQ(cli_sh(&c, "kctx run false"), 1);
}

TEST(run_reports_a_signalled_command_as_128_plus_n)
{
	struct cli c;

	ASSERT_EQ(cli_sh(&c, "kctx run -- sh -c 'kill -9 $$'"), 128 + 9);
}

TEST(run_command_not_found_is_127)
{
	struct cli c;

	cli_sh(&c, "kctx run /nonexistent/command");
	ASSERT_ONE_LINE_ERROR(&c, 127);
	ASSERT_CONTAINS(c.err, "/nonexistent/command");
}

TEST(run_command_not_executable_is_126)
{
	char path[] = "/tmp/kctx-cli-noexec.XXXXXX";
	struct cli c;
	int fd = mkstemp(path);

	ASSERT_GE(fd, 0);
	close(fd);
	cli_sh(&c, "kctx run %s", path);
	unlink(path);
	ASSERT_ONE_LINE_ERROR(&c, 126);
}

TEST(run_gives_the_command_an_owner_fd_in_kctx_fd)
{
	struct cli c;

	/* sh inherits the fd across exec, and so does the kctx it runs. */
	ASSERT_EQ(cli_sh(&c, "kctx run -- sh -c 'echo fd=$KCTX_FD; kctx show'"), 0);
	ASSERT_CONTAINS(c.out, "fd=");
	ASSERT_CONTAINS(c.out, "fd: owner");
	ASSERT_CONTAINS(c.out, "state: live");
	ASSERT_CONTAINS(c.out, "parent_id: 1\n");
	ASSERT_CONTAINS(c.out, "deadline: none");
}

TEST(run_with_a_timeout_gives_a_deadline)
{
	struct cli c;

	ASSERT_EQ(cli_sh(&c, "kctx run --timeout 1h -- kctx show"), 0);
	ASSERT_CONTAINS(c.out, "from now)");
	ASSERT_EQ(cli_sh(&c, "kctx run --timeout 0 -- kctx show"), 0);
	ASSERT_CONTAINS(c.out, "deadline: none");
}

TEST(run_nests_under_kctx_fd)
{
	uint64_t outer, inner_parent;
	const char *p;
	struct cli c;

	ASSERT_EQ(cli_sh(&c, "kctx run -- sh -c 'kctx show; kctx run -- kctx show'"), 0);
	p = strstr(c.out, "id: ");
	ASSERT_TRUE(p);
	outer = strtoull(p + 4, NULL, 10);
	p = strstr(p + 1, "parent_id: ");
	p = p ? strstr(p + 1, "parent_id: ") : NULL;
	ASSERT_TRUE(p);
	inner_parent = strtoull(p + 11, NULL, 10);
	ASSERT_EQ(inner_parent, outer);
	/* --background ignores KCTX_FD. */
	ASSERT_EQ(cli_sh(&c, "kctx run -- kctx run --background -- kctx show"), 0);
	ASSERT_CONTAINS(c.out, "parent_id: 1\n");
}

TEST(run_cancels_the_context_when_the_command_exits)
{
	char path[] = "/tmp/kctx-cli-left.XXXXXX";
	char buf[64] = "";
	struct cli c;
	int fd = mkstemp(path), i;

	ASSERT_GE(fd, 0);
	/*
	 * What the command leaves behind, waiting on the context, is told to
	 * stop. In CMD's cgroup or process group it would be killed first
	 * (cli-run-tree.c): here there is no cgroup, and it leaves the group
	 * (setsid) before the command exits, which waits for its stdout to
	 * close.
	 */
	ASSERT_EQ(cli_sh(&c, "kctx run --no-cgroup -- sh -c 'x=$(setsid sh -c "
			 "\"exec </dev/null >/dev/null 2>&1; kctx wait --timeout 20s; "
			 "echo wait=\\$? >%s\" &)'", path), 0);
	for (i = 0; i < 200 && !strstr(buf, "\n"); i++) {
		ASSERT_GE(pread(fd, buf, sizeof(buf) - 1, 0), 0);
		usleep(50000);
	}
	close(fd);
	unlink(path);
	ASSERT_STREQ(buf, "wait=0\n");
}

TEST(run_with_a_bad_kctx_fd_fails_with_125)
{
	struct cli c;

	cli_sh(&c, "KCTX_FD=0 kctx run true");
	ASSERT_ONE_LINE_ERROR(&c, 125);
	ASSERT_CONTAINS(c.err, "KCTX_FD");
	ASSERT_EQ(cli_sh(&c, "KCTX_FD=0 kctx run --background true"), 0);
}

TEST(run_under_a_watch_only_kctx_fd_fails_with_125)
{
	kctx_t *ctx = new_root(), *w;
	struct cli c;

	ASSERT_OK(kctx_watch(ctx, &w));
	cli_pass_fd(w, 9);
	cli_sh(&c, "KCTX_FD=9 kctx run true");
	ASSERT_ONE_LINE_ERROR(&c, 125);
	ASSERT_CONTAINS(c.err, "watch-only");
	kctx_free(w);
	kctx_free(ctx);
}
