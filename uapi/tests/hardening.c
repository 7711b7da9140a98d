// SPDX-License-Identifier: GPL-2.0
/*
 * uAPI hardening (issue 15): what the uapi promises so that no user can
 * make the kernel hold, walk or report more than it should.
 *
 * - The per-user cap charges contexts, not fds: a context stays charged
 *   until its node is freed, however few fds hold the chain below it.
 * - A context is at most KCTX_MAX_DEPTH levels deep (EMLINK below that).
 * - The death of its owner ends every kind of root context.
 * - KCTX_CREATE_RELATIVE takes no clock; STATE replies with the kernel's
 *   own struct size.
 * - canceller_pid never names a recycled pid.
 * - A create that fails with EMFILE never made a context (no trace event,
 *   nothing in the tree).
 * - One cancel wakes any number of watchers; eventfd attachments are
 *   capped per context, whichever fd of the owner file asks.
 *
 * Each test says which kernel behaviour it proves; the ones for new
 * behaviour fail on a kernel without it.
 */
#define _GNU_SOURCE
#include <poll.h>
#include <sched.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/stat.h>

#include "harness.h"

#define TREE		"/sys/kernel/debug/kctx/tree"
#define TRACEFS		"/sys/kernel/tracing"
#define NS_LAST_PID	"/proc/sys/kernel/ns_last_pid"
#define HOUR_NS		(3600 * 1000000000LL)
#define USER_A		65534	/* nobody */
#define USER_B		65533

/* At least @n contexts per user (the default, 65536, is plenty). */
static void cap_at_least(long n)
{
	char buf[32];

	if (!kt_read_file(KT_CAP, buf, sizeof(buf)) && atol(buf) < n)
		kt_set_cap(n);
}

/* Room for @n fds; returns the old limit. */
static struct rlimit nofile_at_least(rlim_t n)
{
	struct rlimit old, rl;

	ASSERT_EQ(getrlimit(RLIMIT_NOFILE, &old), 0);
	rl = old;
	if (rl.rlim_cur < n)
		rl.rlim_cur = n;
	if (rl.rlim_max < n)
		rl.rlim_max = n;
	ASSERT_EQ(setrlimit(RLIMIT_NOFILE, &rl), 0);
	return old;
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

	kt_set_cap(CHAIN_CAP);
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

/* ---- the depth limit ---- */

/* Every kind of child of @fd fails with EMLINK. */
static void no_child_below(int fd)
{
	static const uint32_t kinds[] = {
		KCTX_KIND_CANCEL, KCTX_KIND_VALUE, KCTX_KIND_WITHOUT_CANCEL,
	};
	size_t i;

	for (i = 0; i < ARRAY_SIZE(kinds); i++) {
		errno = 0;
		if (kt_create(fd, kinds[i], 0) != -1 || errno != EMLINK)
			KT_FAIL("a child of kind %u below depth %d: %s, want EMLINK", kinds[i],
				KCTX_MAX_DEPTH, errno ? strerror(errno) : "made");
	}
	ASSERT_ERRNO(kt_timeout(fd, HOUR_NS), EMLINK);
}

TEST(create_below_depth_1024_is_emlink)
{
	static int fds[KCTX_MAX_DEPTH + 1];	/* fds[d]: the context at depth d */
	int dev = kt_dev(), d, sibling;

	cap_at_least(4 * KCTX_MAX_DEPTH);
	nofile_at_least(KCTX_MAX_DEPTH + 64);
	fds[1] = kt_create(dev, KCTX_KIND_CANCEL, 0);	/* a root: depth 1 */
	ASSERT_GE(fds[1], 0);
	for (d = 2; d <= KCTX_MAX_DEPTH; d++) {
		fds[d] = kt_create(fds[d - 1], KCTX_KIND_CANCEL, 0);
		if (fds[d] < 0)
			KT_FAIL("a context at depth %d: %s", d, strerror(errno));
	}
	no_child_below(fds[KCTX_MAX_DEPTH]);
	/* One level up there is room, for a sibling at the deepest level. */
	sibling = kt_create(fds[KCTX_MAX_DEPTH - 1], KCTX_KIND_CANCEL, 0);
	ASSERT_GE(sibling, 0);
	no_child_below(sibling);
	/* The refusals changed nothing: the chain is whole and live. */
	ASSERT_EQ(kt_state(fds[KCTX_MAX_DEPTH]).err, 0);
	ASSERT_EQ(kt_state(fds[KCTX_MAX_DEPTH]).parent_id, kt_state(fds[KCTX_MAX_DEPTH - 1]).id);
}

/*
 * The chain of close-as-you-go: closing a parent's only owner fd cancels
 * it, so from the third context on each is born done; born done, it is
 * still a child of its parent, and still a level deeper.
 */
TEST(born_done_contexts_of_a_closed_chain_still_count_toward_depth)
{
	int dev = kt_dev(), fd, next, d;
	struct kctx_state st;
	uint64_t parent_id;

	cap_at_least(4 * KCTX_MAX_DEPTH);
	fd = kt_create(dev, KCTX_KIND_CANCEL, 0);
	ASSERT_GE(fd, 0);
	parent_id = kt_state(fd).id;
	for (d = 2; d <= KCTX_MAX_DEPTH; d++) {
		next = kt_create(fd, KCTX_KIND_CANCEL, 0);
		if (next < 0)
			KT_FAIL("a context at depth %d: %s", d, strerror(errno));
		st = kt_state(next);
		if (st.parent_id != parent_id)
			KT_FAIL("depth %d: parent %llu, want %llu", d,
				(unsigned long long)st.parent_id, (unsigned long long)parent_id);
		if (d > 2 && (!(st.state & KCTX_STATE_DONE) || st.err != -ECANCELED ||
			      st.cause != -EOWNERDEAD))
			KT_FAIL("depth %d, under a done parent: born with state %#x, err %d, "
				"cause %d; want done, -ECANCELED, -EOWNERDEAD", d, st.state,
				st.err, st.cause);
		close(fd);
		fd = next;
		parent_id = st.id;
	}
	st = kt_state(fd);
	ASSERT_TRUE(st.state & KCTX_STATE_DONE);
	ASSERT_EQ(st.cause, -EOWNERDEAD);
	no_child_below(fd);
}

/* ---- owner death ends every kind ---- */

/* @what is done, -EOWNERDEAD, and polls readable. */
static void check_owner_dead(int fd, const char *what)
{
	struct kctx_state st = kt_state(fd);
	struct pollfd p = { .fd = fd, .events = POLLIN };

	if (!(st.state & KCTX_STATE_DONE) || st.err != -ECANCELED || st.cause != -EOWNERDEAD ||
	    (st.state & KCTX_STATE_USER_CAUSE))
		KT_FAIL("%s: state %#x, err %d, cause %d; want done, -ECANCELED, -EOWNERDEAD",
			what, st.state, st.err, st.cause);
	ASSERT_EQ(poll(&p, 1, 0), 1);
}

/* @what is live and polls not readable. */
static void check_live(int fd, const char *what)
{
	struct kctx_state st = kt_state(fd);
	struct pollfd p = { .fd = fd, .events = POLLIN };

	if ((st.state & KCTX_STATE_DONE) || st.err || st.cause)
		KT_FAIL("%s: state %#x, err %d, cause %d; want live", what, st.state, st.err,
			st.cause);
	ASSERT_EQ(poll(&p, 1, 0), 0);
}

/*
 * A root of @kind with a watcher, a cancel child and the child's watcher:
 * closing the root's last owner fd makes all of them done, -EOWNERDEAD.
 */
static void owner_death_ends_a_root_of(uint32_t kind)
{
	int dev = kt_dev(), root = kt_create(dev, kind, 0), w, child, cw, d;

	ASSERT_GE(root, 0);
	ASSERT_EQ(kt_state(root).kind, kind);
	ASSERT_GE(w = kt_watch(root), 0);
	ASSERT_GE(child = kt_create(root, KCTX_KIND_CANCEL, 0), 0);
	ASSERT_GE(cw = kt_watch(child), 0);
	/* Not the last owner fd: nothing happens. */
	ASSERT_GE(d = dup(root), 0);
	close(root);
	check_live(w, "the root, its owner file still open");
	check_live(cw, "its child, the root's owner file still open");
	/* The last one: the root and everything below it are done at once. */
	close(d);
	check_owner_dead(w, "the root, its owner file closed");
	check_owner_dead(cw, "its child, through a watch fd");
	check_owner_dead(child, "its child, through its owner fd");
}

TEST(closing_the_last_owner_fd_ends_a_value_root_and_its_children)
{
	owner_death_ends_a_root_of(KCTX_KIND_VALUE);
}

TEST(closing_the_last_owner_fd_ends_a_without_cancel_root_and_its_children)
{
	owner_death_ends_a_root_of(KCTX_KIND_WITHOUT_CANCEL);
}

TEST(cancel_of_a_value_or_without_cancel_root_still_does_nothing)
{
	static const uint32_t kinds[] = { KCTX_KIND_VALUE, KCTX_KIND_WITHOUT_CANCEL };
	int dev = kt_dev(), root, child, w;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(kinds); i++) {
		ASSERT_GE(root = kt_create(dev, kinds[i], 0), 0);
		ASSERT_GE(child = kt_create(root, KCTX_KIND_CANCEL, 0), 0);
		ASSERT_GE(w = kt_watch(root), 0);
		ASSERT_EQ(kt_cancel(root, 0, 0), 0);
		ASSERT_EQ(kt_cancel(root, -EIO, 7), 0);
		check_live(root, kinds[i] == KCTX_KIND_VALUE ? "a cancelled value root" :
			   "a cancelled without-cancel root");
		check_live(w, "the cancelled root, through a watch fd");
		check_live(child, "the cancelled root's child");
	}
}

/* ---- a relative deadline takes no clock ---- */

TEST(relative_deadline_with_a_clockid_is_einval)
{
	static const clockid_t clocks[] = {
		CLOCK_MONOTONIC, CLOCK_BOOTTIME, CLOCK_PROCESS_CPUTIME_ID, 99,
	};
	struct kctx_create c = {
		.size = sizeof(c), .flags = KCTX_CREATE_RELATIVE, .kind = KCTX_KIND_DEADLINE,
		.deadline_sec = 3600,
	};
	int dev = kt_dev(), parent = kt_create(dev, KCTX_KIND_CANCEL, 0), on[2], fd;
	size_t i, k;

	ASSERT_GE(parent, 0);
	on[0] = dev;
	on[1] = parent;
	for (i = 0; i < ARRAY_SIZE(clocks); i++) {
		for (k = 0; k < 2; k++) {
			c.clockid = clocks[i];
			errno = 0;
			fd = ioctl(on[k], KCTX_IOC_CREATE, &c);
			if (fd != -1 || errno != EINVAL)
				KT_FAIL("KCTX_CREATE_RELATIVE with clockid %d on %s: %d/%s, want EINVAL",
					clocks[i], k ? "a context" : KCTX_DEVICE, fd, strerror(errno));
		}
	}
	/* Without a clock it is a valid request. */
	c.clockid = 0;
	fd = ioctl(parent, KCTX_IOC_CREATE, &c);
	ASSERT_GE(fd, 0);
	ASSERT_TRUE(kt_state(fd).state & KCTX_STATE_DEADLINE);
}

/* ---- STATE replies with the kernel's struct size ---- */

TEST(state_reply_carries_the_kernels_struct_size)
{
	struct {
		struct kctx_state st;
		unsigned char tail[16];
	} big;
	struct kctx_state st;
	int fd = kt_create(kt_dev(), KCTX_KIND_CANCEL, 0);
	size_t i;

	ASSERT_GE(fd, 0);
	memset(&big, 0, sizeof(big));	/* a non-zero tail would be E2BIG */
	big.st.size = sizeof(big);
	ASSERT_EQ(ioctl(fd, KCTX_IOC_STATE, &big), 0);
	ASSERT_EQ(big.st.size, sizeof(struct kctx_state));
	for (i = 0; i < sizeof(big.tail); i++)
		ASSERT_EQ(big.tail[i], 0);
	ASSERT_EQ(big.st.state, KCTX_STATE_OWNER);
	ASSERT_TRUE(big.st.id > 1);

	memset(&st, 0, sizeof(st));
	st.size = sizeof(st);
	ASSERT_EQ(ioctl(fd, KCTX_IOC_STATE, &st), 0);
	ASSERT_EQ(st.size, sizeof(struct kctx_state));
	ASSERT_EQ(st.id, big.st.id);
}

/* ---- canceller_pid never names a recycled pid ---- */

struct pids {
	int ret;
	pid_t global;	/* in the initial pid namespace (/proc's) */
	pid_t local;	/* in the caller's own */
};

/* The caller's pid in /proc's pid namespace and in its own, from NSpid. */
static void my_pids(struct pids *p)
{
	char buf[4096], *s, *e;
	long v;

	ASSERT_EQ(kt_read_file("/proc/self/status", buf, sizeof(buf)), 0);
	s = strstr(buf, "\nNSpid:");
	ASSERT_TRUE(s);
	s += strlen("\nNSpid:");
	p->global = p->local = 0;
	for (;;) {
		v = strtol(s, &e, 10);
		if (e == s)
			break;
		if (!p->global)
			p->global = v;
		p->local = v;
		s = e;
	}
	ASSERT_TRUE(p->global > 0);
}

static void send_pids(int fd, const struct pids *p)
{
	ASSERT_EQ(write(fd, p, sizeof(*p)), sizeof(*p));
}

static int recv_pids(int fd, struct pids *p)
{
	return read(fd, p, sizeof(*p)) == sizeof(*p);
}

/* Make the next pid that the caller's pid namespace hands out @pid. */
static void next_pid_is(pid_t pid)
{
	char buf[16];

	snprintf(buf, sizeof(buf), "%d", pid - 1);
	ASSERT_EQ(kt_write_file(NS_LAST_PID, buf), 0);
}

/*
 * The init of a new pid namespace. C cancels @fd and stays until told to
 * go; once it is reaped, D is made to get C's pid, both in this namespace
 * (here) and in the initial one (the test's process, told over @up, steers
 * that). Each step is reported over @up and acknowledged over @down.
 */
static void __attribute__((noreturn)) ns_init(int fd, int up, int down)
{
	int cr[2], cgo[2], dr[2], dgo[2];
	struct pids c, d;
	pid_t cpid, dpid;

	ASSERT_EQ(pipe(cr), 0);
	ASSERT_EQ(pipe(cgo), 0);
	ASSERT_EQ(pipe(dr), 0);
	ASSERT_EQ(pipe(dgo), 0);
	cpid = fork();
	ASSERT_GE(cpid, 0);
	if (cpid == 0) {
		close(cgo[1]);
		c.ret = kt_cancel(fd, -EXDEV, 0);
		my_pids(&c);
		send_pids(cr[1], &c);
		recv_int(cgo[0]);	/* until the write end closes */
		_exit(0);
	}
	close(cgo[0]);
	ASSERT_TRUE(recv_pids(cr[0], &c));
	ASSERT_EQ(c.ret, 0);
	ASSERT_EQ(c.local, cpid);
	/* While C lives it is named, as this namespace sees it. */
	ASSERT_EQ(kt_state(fd).cause, -EXDEV);
	ASSERT_EQ(kt_state(fd).canceller_pid, cpid);
	send_pids(up, &c);
	ASSERT_EQ(recv_int(down), 1);

	close(cgo[1]);
	reap_ok(cpid);
	send_pids(up, &c);	/* C is gone: steer the initial namespace's next pid */
	ASSERT_EQ(recv_int(down), 1);
	next_pid_is(c.local);
	dpid = fork();
	ASSERT_GE(dpid, 0);
	if (dpid == 0) {
		close(dgo[1]);
		d.ret = 0;
		my_pids(&d);
		send_pids(dr[1], &d);
		recv_int(dgo[0]);
		_exit(0);
	}
	close(dgo[0]);
	ASSERT_TRUE(recv_pids(dr[0], &d));
	if (d.local != c.local || d.global != c.global) {
		printf("#   skip: D got pids %d (here) and %d (initial namespace), C had %d and "
		       "%d: another process took the pid first\n",
		       d.local, d.global, c.local, c.global);
		exit(KT_SKIP);
	}
	printf("#   D has C's pids: %d here, %d in the initial namespace\n", d.local, d.global);
	/* C is gone; D, which has its number, never cancelled anything. */
	ASSERT_EQ(kt_state(fd).canceller_pid, 0);
	send_pids(up, &d);
	ASSERT_EQ(recv_int(down), 1);
	close(dgo[1]);
	reap_ok(dpid);
	exit(0);
}

TEST(canceller_pid_is_0_once_the_canceller_is_gone_even_if_its_pid_is_reused)
{
	int dev = kt_dev(), fd = kt_create(dev, KCTX_KIND_CANCEL, 0), up[2], down[2], status;
	struct pids c;
	pid_t init;

	ASSERT_GE(fd, 0);
	if (access(NS_LAST_PID, W_OK))
		SKIP("no writable " NS_LAST_PID ": no CONFIG_CHECKPOINT_RESTORE, or not root");
	ASSERT_EQ(pipe(up), 0);
	ASSERT_EQ(pipe(down), 0);
	if (unshare(CLONE_NEWPID)) {
		printf("#   unshare(CLONE_NEWPID): %s\n", strerror(errno));
		SKIP("no new pid namespace: no CONFIG_PID_NS, or not root");
	}
	init = fork();
	ASSERT_GE(init, 0);
	if (init == 0) {
		close(up[0]);
		close(down[1]);
		ns_init(fd, up[1], down[0]);
	}
	close(up[1]);
	close(down[0]);
	/* C cancelled and lives: named, as the initial namespace sees it. */
	if (!recv_pids(up[0], &c))
		goto reap;
	ASSERT_EQ(kt_state(fd).canceller_pid, c.global);
	send_int(down[1], 1);
	/* C is reaped: the next pid here is its old one. */
	if (!recv_pids(up[0], &c))
		goto reap;
	next_pid_is(c.global);
	send_int(down[1], 1);
	/* D lives with C's pids, here and in the namespace. */
	if (!recv_pids(up[0], &c))
		goto reap;
	ASSERT_EQ(kt_state(fd).canceller_pid, 0);
	send_int(down[1], 1);
reap:
	ASSERT_EQ(waitpid(init, &status, 0), init);
	if (WIFEXITED(status) && WEXITSTATUS(status) == KT_SKIP)
		exit(KT_SKIP);
	if (!WIFEXITED(status) || WEXITSTATUS(status))
		KT_FAIL("the namespace's init ended with status %#x", status);
}

/* ---- EMFILE leaves no trace ---- */

static char trace_dir[128];
static int mounted_tracefs;

static void trace_cleanup(void)
{
	char path[192];

	if (trace_dir[0]) {
		snprintf(path, sizeof(path), "%s/events/kctx/kctx_create/enable", trace_dir);
		kt_write_file(path, "0");
		rmdir(trace_dir);
	}
	if (mounted_tracefs)
		umount(TRACEFS);
}

/* A trace instance of our own, recording kctx:kctx_create; or skip. */
static void trace_setup(void)
{
	char path[192];

	if (access(TRACEFS "/instances", F_OK)) {
		if (mount("tracefs", TRACEFS, "tracefs", 0, NULL))
			SKIP("cannot mount tracefs on " TRACEFS ": no CONFIG_TRACING?");
		mounted_tracefs = 1;
	}
	atexit(trace_cleanup);
	if (access(TRACEFS "/events/kctx/kctx_create", F_OK))
		SKIP("no kctx:kctx_create event in " TRACEFS "/events: no CONFIG_EVENT_TRACING?");
	snprintf(trace_dir, sizeof(trace_dir), TRACEFS "/instances/kctx-hardening-%d", getpid());
	if (mkdir(trace_dir, 0755)) {
		trace_dir[0] = 0;
		SKIP("cannot make a trace instance in " TRACEFS "/instances");
	}
	snprintf(path, sizeof(path), "%s/events/kctx/kctx_create/enable", trace_dir);
	ASSERT_EQ(kt_write_file(path, "1"), 0);
}

static void trace_clear(void)
{
	char path[192];
	int fd;

	snprintf(path, sizeof(path), "%s/trace", trace_dir);
	fd = open(path, O_WRONLY | O_TRUNC | O_CLOEXEC);
	ASSERT_GE(fd, 0);
	close(fd);
}

/* The kctx_create events recorded since the last trace_clear(), in @buf. */
static int trace_creates(char *buf, size_t size)
{
	static char raw[65536];
	char path[192], *line, *save, *p = buf;
	int n = 0;

	snprintf(path, sizeof(path), "%s/trace", trace_dir);
	ASSERT_EQ(kt_read_file(path, raw, sizeof(raw)), 0);
	buf[0] = 0;
	for (line = strtok_r(raw, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		if (line[0] == '#' || !strstr(line, "kctx_create:"))
			continue;
		n++;
		p += snprintf(p, size - (p - buf), "#     %s\n", line);
		if ((size_t)(p - buf) >= size - 1)
			break;
	}
	return n;
}

/* The ids in the kctx tree (debugfs mounted if it isn't); -1 without one. */
static int tree_ids(uint64_t *ids, int max)
{
	static char buf[1 << 16];
	char *line, *save;
	int n = 0;

	if (access(TREE, F_OK) && mount("debugfs", "/sys/kernel/debug", "debugfs", 0, NULL))
		return -1;
	if (kt_read_file(TREE, buf, sizeof(buf)))
		return -1;
	for (line = strtok_r(buf, "\n", &save); line && n < max; line = strtok_r(NULL, "\n", &save))
		ids[n++] = strtoull(line, NULL, 10);
	return n;
}

TEST(create_that_fails_with_emfile_traces_and_links_nothing)
{
	static uint64_t before[4096], after[4096];
	int dev = kt_dev(), parent, fd, nb, na, i, k, low;
	static char events[8192];
	struct rlimit rl, full;
	char want[32];

	trace_setup();
	parent = kt_create(dev, KCTX_KIND_CANCEL, 0);
	ASSERT_GE(parent, 0);
	/* The instance records creates: one that works shows up, with its id. */
	trace_clear();
	fd = kt_create(parent, KCTX_KIND_CANCEL, 0);
	ASSERT_GE(fd, 0);
	snprintf(want, sizeof(want), " id=%llu ", (unsigned long long)kt_state(fd).id);
	ASSERT_EQ(trace_creates(events, sizeof(events)), 1);
	if (!strstr(events, want))
		KT_FAIL("the create's event does not name id%s:\n%s", want, events);
	close(fd);

	trace_clear();
	nb = tree_ids(before, ARRAY_SIZE(before));
	ASSERT_GE(low = dup(0), 0);
	close(low);
	ASSERT_EQ(getrlimit(RLIMIT_NOFILE, &rl), 0);
	full = rl;
	full.rlim_cur = low;
	ASSERT_EQ(setrlimit(RLIMIT_NOFILE, &full), 0);
	ASSERT_ERRNO(kt_create(dev, KCTX_KIND_CANCEL, 0), EMFILE);
	ASSERT_ERRNO(kt_create(parent, KCTX_KIND_CANCEL, 0), EMFILE);
	ASSERT_ERRNO(kt_create(parent, KCTX_KIND_VALUE, 0), EMFILE);
	ASSERT_ERRNO(kt_timeout(dev, HOUR_NS), EMFILE);
	ASSERT_ERRNO(kt_timeout(parent, HOUR_NS), EMFILE);
	ASSERT_EQ(setrlimit(RLIMIT_NOFILE, &rl), 0);
	na = tree_ids(after, ARRAY_SIZE(after));
	k = trace_creates(events, sizeof(events));
	if (k)
		KT_FAIL("%d kctx_create events from creates that failed with EMFILE:\n%s", k,
			events);
	if (nb < 0 || na < 0) {
		printf("#   no %s: the tree is not compared\n", TREE);
		return;
	}
	for (i = 0; i < na; i++) {
		for (k = 0; k < nb && before[k] != after[i]; k++)
			;
		if (k == nb)
			KT_FAIL("context %llu is new in %s", (unsigned long long)after[i], TREE);
	}
}

/* ---- one cancel wakes every watcher ---- */

#define WATCHERS	10000
#define WAKE_LIMIT_NS	(10 * 1000000000LL)

TEST(one_cancel_wakes_10000_watch_fds_in_one_epoll)
{
	static struct epoll_event out[1024];
	static unsigned char seen[WATCHERS];
	struct epoll_event ev = { .events = EPOLLIN };
	struct rlimit old = nofile_at_least(WATCHERS + 64);
	int fd = kt_create(kt_dev(), KCTX_KIND_CANCEL, 0), ep = epoll_create1(EPOLL_CLOEXEC);
	int i, n, w, k, nseen = 0, ep2;
	int64_t t0, end;

	ASSERT_GE(fd, 0);
	ASSERT_GE(ep, 0);
	for (i = 0; i < WATCHERS; i++) {
		w = kt_watch(fd);
		if (w < 0)
			KT_FAIL("watch fd %d of %d: %s", i + 1, WATCHERS, strerror(errno));
		ev.data.u32 = i;
		ASSERT_EQ(epoll_ctl(ep, EPOLL_CTL_ADD, w, &ev), 0);
	}
	ASSERT_EQ(epoll_wait(ep, out, ARRAY_SIZE(out), 0), 0);
	t0 = kt_now_ns();
	ASSERT_EQ(kt_cancel(fd, 0, 0), 0);
	/* The deadline only bounds a failure; every wake-up is there already. */
	for (end = t0 + WAKE_LIMIT_NS; nseen < WATCHERS; ) {
		if (kt_now_ns() > end)
			KT_FAIL("%d of %d watch fds reported EPOLLIN in %lld s", nseen, WATCHERS,
				WAKE_LIMIT_NS / 1000000000);
		n = epoll_wait(ep, out, ARRAY_SIZE(out), (end - kt_now_ns()) / 1000000 + 1);
		ASSERT_GE(n, 0);
		for (k = 0; k < n; k++) {
			ASSERT_EQ(out[k].events, EPOLLIN | EPOLLHUP);
			ASSERT_TRUE(out[k].data.u32 < WATCHERS);
			if (!seen[out[k].data.u32]++)
				nseen++;
		}
	}
	printf("#   %d watch fds woken in %lld us\n", WATCHERS, (long long)(kt_now_ns() - t0) / 1000);
	/* A watcher that comes later finds the context done at once. */
	ASSERT_GE(w = kt_watch(fd), 0);
	ASSERT_GE(ep2 = epoll_create1(EPOLL_CLOEXEC), 0);
	ev.data.u32 = WATCHERS;
	ASSERT_EQ(epoll_ctl(ep2, EPOLL_CTL_ADD, w, &ev), 0);
	ASSERT_EQ(epoll_wait(ep2, out, 1, 0), 1);
	ASSERT_EQ(out[0].events, EPOLLIN | EPOLLHUP);
	ASSERT_EQ(out[0].data.u32, WATCHERS);
	ASSERT_EQ(setrlimit(RLIMIT_NOFILE, &old), 0);
}

/* ---- eventfd attachments are capped per context ---- */

static int attach(int fd, int efd)
{
	struct kctx_attach_eventfd a = { .size = sizeof(a), .eventfd = efd };

	return ioctl(fd, KCTX_IOC_ATTACH_EVENTFD, &a);
}

TEST(eventfd_attachments_stop_at_kctx_max_eventfds_through_every_fd_of_the_owner)
{
	int fd = kt_create(kt_dev(), KCTX_KIND_CANCEL, 0), efd[KCTX_MAX_EVENTFDS], extra, d, i;
	uint64_t n;
	pid_t pid;

	ASSERT_GE(fd, 0);
	for (i = 0; i < KCTX_MAX_EVENTFDS; i++) {
		ASSERT_GE(efd[i] = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC), 0);
		if (attach(fd, efd[i]))
			KT_FAIL("attachment %d of %d: %s", i + 1, KCTX_MAX_EVENTFDS, strerror(errno));
	}
	ASSERT_GE(extra = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC), 0);
	ASSERT_ERRNO(attach(fd, extra), ENOSPC);
	ASSERT_ERRNO(attach(fd, efd[0]), ENOSPC);
	/* A dup is the same owner file, the same context. */
	ASSERT_GE(d = dup(fd), 0);
	ASSERT_ERRNO(attach(d, extra), ENOSPC);
	/* So is a forked child's copy. */
	pid = fork();
	ASSERT_GE(pid, 0);
	if (pid == 0) {
		ASSERT_ERRNO(attach(fd, extra), ENOSPC);
		ASSERT_ERRNO(attach(d, extra), ENOSPC);
		_exit(0);
	}
	reap_ok(pid);
	/* The KCTX_MAX_EVENTFDS attachments are real; the refused one is not. */
	ASSERT_EQ(kt_cancel(fd, 0, 0), 0);
	for (i = 0; i < KCTX_MAX_EVENTFDS; i++) {
		ASSERT_EQ(read(efd[i], &n, sizeof(n)), sizeof(n));
		ASSERT_EQ(n, 1);
	}
	ASSERT_ERRNO(read(extra, &n, sizeof(n)), EAGAIN);
}
