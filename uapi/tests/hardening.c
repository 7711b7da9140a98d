// SPDX-License-Identifier: GPL-2.0
/*
 * uAPI hardening (issue 15): what the uapi promises so that no user can
 * make the kernel hold, walk or report more than it should.
 *
 * - The per-user cap charges contexts, not fds: a context stays charged
 *   until its node is freed, however few fds hold the chain below it.
 *
 * Each test says which kernel behaviour it proves; the ones for new
 * behaviour fail on a kernel without it.
 */
#define _GNU_SOURCE

#include "harness.h"

#define CAP		"/sys/module/kctx/parameters/max_contexts_per_user"
#define USER_A		65534	/* nobody */
#define USER_B		65533

static char saved_cap[32];

static void restore_cap(void)
{
	if (saved_cap[0])
		kt_write_file(CAP, saved_cap);
}

/* Set the per-user cap; the old value comes back at exit. */
static void set_cap(long n)
{
	char buf[32];

	if (!saved_cap[0]) {
		if (kt_read_file(CAP, saved_cap, sizeof(saved_cap)) || !saved_cap[0])
			SKIP("no " CAP);
		saved_cap[strcspn(saved_cap, "\n")] = 0;
		atexit(restore_cap);
	}
	snprintf(buf, sizeof(buf), "%ld", n);
	ASSERT_EQ(kt_write_file(CAP, buf), 0);
}

static void send_int(int fd, int v)
{
	ASSERT_EQ(write(fd, &v, sizeof(v)), sizeof(v));
}

/* The next int from the pipe @fd, or -1 once its writers are gone. */
static int recv_int(int fd)
{
	int v;

	return read(fd, &v, sizeof(v)) == sizeof(v) ? v : -1;
}

/* Reap @pid; it must have exited with 0. */
static void reap_ok(pid_t pid)
{
	int status;

	ASSERT_EQ(waitpid(pid, &status, 0), pid);
	if (!WIFEXITED(status) || WEXITSTATUS(status))
		KT_FAIL("child %d ended with status %#x", pid, status);
}

/* ---- the per-user cap charges contexts, not fds ---- */

#define CHAIN_CAP	100

/*
 * As USER_A: a chain in which each context is a child of the one before
 * and the parent's fd is closed as soon as the child exists. No more than
 * two fds are open at any time, but every context of the chain is alive,
 * held by the child below it, and charged.
 */
static void __attribute__((noreturn)) chain_to_the_cap(int dev, int ready, int go)
{
	int fd, next, i, fds[CHAIN_CAP];

	ASSERT_EQ(setuid(USER_A), 0);
	fd = kt_create(dev, KCTX_KIND_CANCEL, 0);
	ASSERT_GE(fd, 0);
	for (i = 2; i <= CHAIN_CAP; i++) {
		next = kt_create(fd, KCTX_KIND_CANCEL, 0);
		if (next < 0)
			KT_FAIL("context %d of the chain: %s", i, strerror(errno));
		close(fd);
		fd = next;
	}
	/* One fd open, CHAIN_CAP contexts alive: context CHAIN_CAP + 1 is over the cap. */
	ASSERT_ERRNO(kt_create(fd, KCTX_KIND_CANCEL, 0), ENOSPC);
	ASSERT_ERRNO(kt_create(dev, KCTX_KIND_CANCEL, 0), ENOSPC);
	send_int(ready, 1);
	ASSERT_EQ(recv_int(go), 1);
	/* The last fd frees the whole chain, and its charge, before close() returns. */
	close(fd);
	for (i = 0; i < CHAIN_CAP; i++) {
		fds[i] = kt_create(dev, KCTX_KIND_CANCEL, 0);
		if (fds[i] < 0)
			KT_FAIL("create %d of %d right after the chain's last fd was closed: %s",
				i + 1, CHAIN_CAP, strerror(errno));
	}
	ASSERT_ERRNO(kt_create(dev, KCTX_KIND_CANCEL, 0), ENOSPC);
	_exit(0);
}

/*
 * As USER_B, with USER_A's effective uid: the charge goes to the real uid,
 * so USER_A at its cap leaves USER_B its own.
 */
static void __attribute__((noreturn)) another_user_fills_its_own_cap(int dev)
{
	int i;

	ASSERT_EQ(setresuid(USER_B, USER_A, USER_A), 0);
	for (i = 0; i < CHAIN_CAP; i++)
		if (kt_create(dev, KCTX_KIND_CANCEL, 0) < 0)
			KT_FAIL("user %d, create %d of %d while user %d is at the cap: %s",
				USER_B, i + 1, CHAIN_CAP, USER_A, strerror(errno));
	ASSERT_ERRNO(kt_create(dev, KCTX_KIND_CANCEL, 0), ENOSPC);
	_exit(0);
}

TEST(cap_charges_every_context_of_a_chain_until_the_chain_is_freed)
{
	int dev = kt_dev(), ready[2], go[2];
	pid_t a, b;

	set_cap(CHAIN_CAP);
	ASSERT_EQ(pipe(ready), 0);
	ASSERT_EQ(pipe(go), 0);
	a = fork();
	ASSERT_GE(a, 0);
	if (a == 0) {
		close(ready[0]);
		close(go[1]);
		chain_to_the_cap(dev, ready[1], go[0]);
	}
	close(ready[1]);
	close(go[0]);
	if (recv_int(ready[0]) != 1) {
		reap_ok(a);
		KT_FAIL("the chain's process ended early");
	}
	b = fork();
	ASSERT_GE(b, 0);
	if (b == 0)
		another_user_fills_its_own_cap(dev);
	reap_ok(b);
	send_int(go[1], 1);
	reap_ok(a);
}
