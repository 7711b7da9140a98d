// SPDX-License-Identifier: GPL-2.0
/*
 * The limits the library reports: EMFILE, ENOSPC and ENOMEM.
 */
#include "harness.h"

#include <sys/resource.h>

#define CAP "/sys/module/kctx/parameters/max_contexts_per_user"

static int write_str(const char *path, const char *s)
{
	int fd = open(path, O_WRONLY), ok;

	if (fd < 0)
		return -1;
	ok = write(fd, s, strlen(s)) == (ssize_t)strlen(s);
	close(fd);
	return ok ? 0 : -1;
}

/*
 * Run @fn in a child while a global knob is turned, and turn it back
 * whatever the child does: the tests after this one need it back.
 */
static void with_knob(const char *path, const char *value, void (*fn)(void))
{
	char old[64] = "";
	FILE *f = fopen(path, "r");
	pid_t child;
	int rc;

	if (!f)
		SKIP("no %s", path);
	if (!fgets(old, sizeof(old), f))
		old[0] = 0;
	fclose(f);
	if (write_str(path, value))
		SKIP("cannot write %s: %s", path, strerror(errno));
	child = fork();
	if (child == 0) {
		fn();
		_exit(0);
	}
	rc = wait_child(child);
	ASSERT_OK(write_str(path, old));
	ASSERT_EQ(rc, 0);
}

TEST(create_with_a_full_fd_table_is_emfile)
{
	kctx_t *ctx = new_root(), *c;
	struct rlimit rl;
	int fd;

	/* Leave no free fd: the lowest free one becomes the limit. */
	fd = dup(0);
	ASSERT_GE(fd, 0);
	close(fd);
	rl.rlim_cur = rl.rlim_max = (rlim_t)fd;
	ASSERT_OK(setrlimit(RLIMIT_NOFILE, &rl));
	ASSERT_EQ(kctx_with_cancel(ctx, &c), -EMFILE);
	ASSERT_EQ(kctx_watch(ctx, &c), -EMFILE);
	ASSERT_EQ(kctx_eventfd(ctx), -EMFILE);
	ASSERT_EQ(kctx_from_fd(kctx_fd(ctx), &c), -EMFILE);
	ASSERT_EQ(kctx_background(&c), -EMFILE);
	kctx_free(ctx);
}

static kctx_t *held;

static void hit_the_cap(void)
{
	kctx_t *bg, *c;

	ASSERT_OK(kctx_background(&bg));
	ASSERT_EQ(kctx_with_cancel(bg, &c), -ENOSPC);
	ASSERT_EQ(kctx_with_timeout(held, MS(1), &c), -ENOSPC);
	ASSERT_EQ(kctx_with_value(held, 1, 1, &c), -ENOSPC);
	ASSERT_EQ(kctx_without_cancel(held, &c), -ENOSPC);
	/* Watch-only fds do not count against the cap. */
	ASSERT_OK(kctx_watch(held, &c));
	kctx_free(c);
	kctx_free(bg);
}

TEST(create_past_the_user_cap_is_enospc)
{
	held = new_root();
	/* A cap of 0: whatever else is live, the next owner fd is one too many. */
	with_knob(CAP, "0", hit_the_cap);
	kctx_free(held);
}

static void fail_an_allocation(void)
{
	kctx_t *bg, *c;
	char path[64];
	int r;

	ASSERT_OK(kctx_background(&bg));
	snprintf(path, sizeof(path), "/proc/self/task/%d/fail-nth", (int)gettid());
	ASSERT_OK(write_str(path, "1"));
	r = kctx_with_cancel(bg, &c);
	write_str(path, "0");
	ASSERT_EQ(r, -ENOMEM);
	ASSERT_OK(kctx_with_cancel(bg, &c));
	kctx_free(c);
	kctx_free(bg);
}

TEST(create_when_memory_fails_is_enomem)
{
	if (access("/proc/self/fail-nth", F_OK) && access("/proc/thread-self/fail-nth", F_OK))
		SKIP("no fault injection in this kernel");
	with_knob("/sys/kernel/slab/kctx/failslab", "1", fail_an_allocation);
}
