// SPDX-License-Identifier: GPL-2.0
/*
 * kctx tree: the contexts processes hold, from /proc/PID/fdinfo.
 */
#include "cli.h"

/* The line of `kctx tree` output for context @id. */
static const char *line_of(const char *out, kctx_t *ctx, char *buf, size_t len)
{
	uint64_t id;
	char key[48];
	const char *p, *end;

	ASSERT_OK(kctx_id(ctx, &id, NULL));
	snprintf(key, sizeof(key), "-- %llu ", (unsigned long long)id);
	p = strstr(out, key);
	if (!p)
		FAIL("no line for context %llu in:\n%s", (unsigned long long)id, out);
	while (p > out && p[-1] != '\n')
		p--;
	end = strchr(p, '\n');
	snprintf(buf, len, "%.*s", (int)(end ? end - p : (long)strlen(p)), p);
	return buf;
}

/* Column at which the line's "-- ID" begins: its depth in the tree. */
static int depth(const char *line)
{
	return (int)(strstr(line, "-- ") - line);
}

TEST(tree_shows_each_context_its_holders_and_depth)
{
	kctx_t *root = new_root(), *dl, *val, *w;
	char a[512], b[512], c2[512], want[64];
	struct cli c;
	pid_t child;
	int go[2];

	ASSERT_OK(kctx_with_timeout(root, 3600000000000ull, &dl));
	ASSERT_OK(kctx_with_value(dl, 1, 2, &val));
	ASSERT_OK(kctx_watch(val, &w));
	/* A second process that holds the same fds. */
	ASSERT_OK(pipe(go));
	child = fork();
	ASSERT_GE(child, 0);
	if (child == 0) {
		char x;

		close(go[1]);
		if (read(go[0], &x, 1) < 0)
			_exit(1);
		_exit(0);
	}
	close(go[0]);
	ASSERT_EQ(cli_sh(&c, "kctx tree"), 0);
	close(go[1]);
	ASSERT_EQ(wait_child(child), 0);
	ASSERT_TRUE(!strncmp(c.out, "1 background\n", 13));

	line_of(c.out, root, a, sizeof(a));
	line_of(c.out, dl, b, sizeof(b));
	line_of(c.out, val, c2, sizeof(c2));
	ASSERT_CONTAINS(a, " cancel live");
	ASSERT_CONTAINS(b, " deadline live, deadline in ");
	ASSERT_CONTAINS(c2, " value live");
	ASSERT_LT(depth(a), depth(b));
	ASSERT_LT(depth(b), depth(c2));
	snprintf(want, sizeof(want), "[pid %d ", (int)getpid());
	ASSERT_CONTAINS(c2, want);
	snprintf(want, sizeof(want), "[pid %d ", (int)child);
	ASSERT_CONTAINS(c2, want);
	snprintf(want, sizeof(want), "fd %d owner", kctx_fd(val));
	ASSERT_CONTAINS(c2, want);
	snprintf(want, sizeof(want), "fd %d watch", kctx_fd(w));
	ASSERT_CONTAINS(c2, want);
	kctx_free(w);
	kctx_free(val);
	kctx_free(dl);
	kctx_free(root);
}

TEST(tree_shows_why_a_context_is_done)
{
	kctx_t *a = new_root(), *b = new_root(), *bg, *d;
	char l[512];
	struct cli c;

	ASSERT_OK(kctx_cancel_cause(a, 42));
	ASSERT_OK(kctx_cancel_cause(b, -EIO));
	ASSERT_OK(kctx_background(&bg));
	ASSERT_OK(kctx_with_timeout(bg, 0, &d));
	ASSERT_EQ(cli_sh(&c, "kctx tree"), 0);
	ASSERT_CONTAINS(line_of(c.out, a, l, sizeof(l)), "done: canceled, cause 42");
	ASSERT_CONTAINS(line_of(c.out, b, l, sizeof(l)), "done: canceled, cause -5 (-EIO)");
	ASSERT_CONTAINS(line_of(c.out, d, l, sizeof(l)), "done: deadline exceeded, deadline ");
	ASSERT_CONTAINS(l, " ago");
	kctx_free(d);
	kctx_free(bg);
	kctx_free(b);
	kctx_free(a);
}

TEST(tree_shows_a_parent_no_fd_holds)
{
	kctx_t *a = new_root(), *b;
	uint64_t aid;
	char want[64];
	struct cli c;

	ASSERT_OK(kctx_with_cancel(a, &b));
	ASSERT_OK(kctx_id(a, &aid, NULL));
	kctx_free(a);
	ASSERT_EQ(cli_sh(&c, "kctx tree"), 0);
	snprintf(want, sizeof(want), "-- %llu (held by no fd here)", (unsigned long long)aid);
	ASSERT_CONTAINS(c.out, want);
	kctx_free(b);
}
