// SPDX-License-Identifier: GPL-2.0
/*
 * Limits: the per-user cap across processes and users, the largest tree it
 * allows, and memory cgroups.
 * (errors.c has the cap's ENOSPC within one process.)
 *
 * The memory cgroup tests run a child in a cgroup2 group of their own
 * (cgroup2 is mounted on /sys/fs/cgroup if it isn't). kctx charges what
 * userspace makes to the caller's memory cgroup (GFP_KERNEL_ACCOUNT), so
 * creation fails there with ENOMEM at memory.max while the rest of the
 * system goes on. A child over its limit must not fault a page in: the
 * memcg OOM killer finds no victim (oom_score_adj -1000, so that the charge
 * fails rather than the child being killed) and the fault would be retried
 * forever. So the child locks its memory first and, over the limit, only
 * makes system calls that allocate nothing of its own.
 */
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/stat.h>

#include "harness.h"

#define CGROOT		"/sys/fs/cgroup"
#define MAX_FDS		16384
#define WAIT_NS		(30 * 1000000000LL)

static char cg[128];
/* Where a child keeps its fds: in memory locked before it enters a group. */
static int fds[MAX_FDS];

/* Wait, with a deadline, for an eventfd to be signalled. */
static void wait_efd(int efd)
{
	struct pollfd p = { .fd = efd, .events = POLLIN };
	uint64_t n;

	ASSERT_EQ(poll(&p, 1, WAIT_NS / 1000000), 1);
	ASSERT_EQ(read(efd, &n, sizeof(n)), sizeof(n));
}

static void signal_efd(int efd)
{
	uint64_t one = 1;

	ASSERT_EQ(write(efd, &one, sizeof(one)), sizeof(one));
}

static int wait_child(pid_t pid)
{
	int status;

	ASSERT_EQ(waitpid(pid, &status, 0), pid);
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

TEST(cap_counts_every_process_of_a_user_and_not_other_users)
{
	int dev = kt_dev(), held = eventfd(0, 0), go = eventfd(0, 0), i, fd;
	pid_t holder, other;

	kt_set_cap(8);
	holder = fork();
	if (holder == 0) {
		for (i = 0; i < 8; i++)
			ASSERT_GE(kt_create(dev, KCTX_KIND_CANCEL, 0), 0);
		signal_efd(held);
		wait_efd(go);
		_exit(0);	/* the 8 go with the process */
	}
	wait_efd(held);
	/* The same user, another process: over the cap. */
	ASSERT_ERRNO(kt_create(dev, KCTX_KIND_CANCEL, 0), ENOSPC);
	/* Another user is not. */
	other = fork();
	if (other == 0) {
		ASSERT_EQ(setuid(1000), 0);
		for (i = 0; i < 8; i++)
			ASSERT_GE(kt_create(dev, KCTX_KIND_CANCEL, 0), 0);
		ASSERT_ERRNO(kt_create(dev, KCTX_KIND_CANCEL, 0), ENOSPC);
		_exit(0);
	}
	ASSERT_EQ(wait_child(other), 0);
	ASSERT_ERRNO(kt_create(dev, KCTX_KIND_CANCEL, 0), ENOSPC);
	signal_efd(go);
	ASSERT_EQ(wait_child(holder), 0);
	/* The holder's death gave back all 8. */
	for (i = 0; i < 8; i++) {
		fd = kt_create(dev, KCTX_KIND_CANCEL, 0);
		ASSERT_GE(fd, 0);
	}
	ASSERT_ERRNO(kt_create(dev, KCTX_KIND_CANCEL, 0), ENOSPC);
}

/*
 * The largest tree one user may make, at the default cap: a chain as deep
 * as KCTX_MAX_DEPTH, whose tip looks a value up through every ancestor,
 * and a fan-out of all the rest. Cancelling its root and closing every fd
 * must go by without a splat, which is what the harness looks for on the
 * debug kernel: no soft lockup, no sleep in atomic context, no lockdep
 * report. (make bench times the longest single call of each.)
 */
TEST(largest_tree_the_cap_allows_cancels_and_frees_cleanly)
{
	const int cap = 65536, wide = cap - KCTX_MAX_DEPTH;
	struct kctx_create v = {
		.size = sizeof(v), .kind = KCTX_KIND_VALUE, .key = 7, .value = 42,
	};
	struct kctx_value q = { .size = sizeof(q), .key = 7 };
	struct rlimit rl = { cap + 64, cap + 64 };
	int dev = kt_dev(), *all, n = 0, i;

	kt_set_cap(cap);
	ASSERT_EQ(setrlimit(RLIMIT_NOFILE, &rl), 0);
	ASSERT_EQ(setuid(65534), 0);
	all = calloc(cap, sizeof(*all));
	ASSERT_TRUE(all);
	all[n++] = kt_create(dev, KCTX_KIND_CANCEL, 0);
	ASSERT_GE(all[0], 0);
	all[n++] = ioctl(all[0], KCTX_IOC_CREATE, &v);
	ASSERT_GE(all[1], 0);
	while (n < KCTX_MAX_DEPTH) {
		all[n] = kt_create(all[n - 1], KCTX_KIND_CANCEL, 0);
		ASSERT_GE(all[n], 0);
		n++;
	}
	ASSERT_ERRNO(kt_create(all[n - 1], KCTX_KIND_CANCEL, 0), EMLINK);
	ASSERT_EQ(ioctl(all[n - 1], KCTX_IOC_VALUE, &q), 0);
	ASSERT_EQ(q.value, 42);
	for (i = 0; i < wide; i++) {
		all[n] = kt_create(all[0], KCTX_KIND_CANCEL, 0);
		ASSERT_GE(all[n], 0);
		n++;
	}
	ASSERT_ERRNO(kt_create(all[0], KCTX_KIND_CANCEL, 0), ENOSPC);

	ASSERT_EQ(kt_cancel(all[0], -ESHUTDOWN, 0), 0);
	ASSERT_EQ(kt_state(all[KCTX_MAX_DEPTH - 1]).cause, -ESHUTDOWN);
	ASSERT_EQ(kt_state(all[n - 1]).cause, -ESHUTDOWN);
	for (i = n - 1; i >= 0; i--)
		ASSERT_EQ(close(all[i]), 0);
	/* Every node was freed and uncharged: the whole cap is there again. */
	all[0] = kt_create(dev, KCTX_KIND_CANCEL, 0);
	ASSERT_GE(all[0], 0);
	free(all);
}

/* /sys/kernel/debug/kctx/tree, without what counts by itself. */
static void tree(char *buf, size_t size)
{
	if (kt_read_file("/sys/kernel/debug/kctx/tree", buf, size))
		SKIP("no /sys/kernel/debug/kctx/tree");
	ASSERT_TRUE(strlen(buf) < size - 1);
	kt_strip_clocks(buf);
}

/*
 * A create that fails for want of an fd leaves no context behind: not even
 * a deadline context, whose armed timer holds a reference of its own, and
 * which would otherwise stay in the tree, uncharged, until its deadline.
 */
TEST(emfile_on_create_leaves_no_context_behind)
{
	static char before[8192], after[8192];
	int dev = kt_dev(), parent = kt_create(dev, KCTX_KIND_CANCEL, 0), fd;
	struct rlimit rl, full;

	ASSERT_GE(parent, 0);
	fd = dup(0);
	ASSERT_GE(fd, 0);
	close(fd);
	ASSERT_EQ(getrlimit(RLIMIT_NOFILE, &rl), 0);
	full = rl;
	full.rlim_cur = fd;
	tree(before, sizeof(before));
	ASSERT_EQ(setrlimit(RLIMIT_NOFILE, &full), 0);
	ASSERT_ERRNO(kt_create(parent, KCTX_KIND_CANCEL, 0), EMFILE);
	ASSERT_ERRNO(kt_timeout(parent, 3600 * 1000000000LL), EMFILE);
	ASSERT_ERRNO(kt_timeout(dev, 3600 * 1000000000LL), EMFILE);
	ASSERT_EQ(setrlimit(RLIMIT_NOFILE, &rl), 0);
	tree(after, sizeof(after));
	if (strcmp(before, after))
		KT_FAIL("the tree changed\nbefore:\n%s\nafter:\n%s", before, after);
}

static int mounted_cgroup2;

static void cg_cleanup(void)
{
	if (cg[0])
		rmdir(cg);
	if (mounted_cgroup2)
		umount(CGROOT);
}

/* A new cgroup2 group with the memory controller, or skip. */
static void cg_setup(const char *max)
{
	char buf[256], path[192];

	if (access(CGROOT "/cgroup.controllers", F_OK)) {
		if (mount("cgroup2", CGROOT, "cgroup2", 0, NULL))
			SKIP("cannot mount cgroup2 on " CGROOT ": no CONFIG_CGROUPS?");
		mounted_cgroup2 = 1;
	}
	atexit(cg_cleanup);
	if (kt_read_file(CGROOT "/cgroup.controllers", buf, sizeof(buf)) || !strstr(buf, "memory"))
		SKIP("cgroup2 has no memory controller: no CONFIG_MEMCG?");
	ASSERT_EQ(kt_write_file(CGROOT "/cgroup.subtree_control", "+memory"), 0);
	snprintf(cg, sizeof(cg), CGROOT "/kctx-limits-%d", getpid());
	ASSERT_EQ(mkdir(cg, 0755), 0);
	snprintf(path, sizeof(path), "%s/memory.max", cg);
	ASSERT_EQ(kt_write_file(path, max), 0);
}

/*
 * In the child: room for MAX_FDS fds without growing the fd table, memory
 * locked (nothing to fault in over the limit), never an OOM victim, then
 * into the group.
 */
static void cg_enter(void)
{
	struct rlimit rl = { MAX_FDS + 64, MAX_FDS + 64 };
	char path[192];

	ASSERT_EQ(setrlimit(RLIMIT_NOFILE, &rl), 0);
	ASSERT_EQ(dup2(0, MAX_FDS + 32), MAX_FDS + 32);
	close(MAX_FDS + 32);
	ASSERT_EQ(kt_write_file("/proc/self/oom_score_adj", "-1000"), 0);
	ASSERT_EQ(mlockall(MCL_CURRENT | MCL_FUTURE), 0);
	snprintf(path, sizeof(path), "%s/cgroup.procs", cg);
	ASSERT_EQ(kt_write_file(path, "0"), 0);
}

/* Shared with the child, mapped and touched before the fork. */
static long long *shared(void)
{
	long long *v = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
			    MAP_SHARED | MAP_ANONYMOUS, -1, 0);

	ASSERT_TRUE(v != MAP_FAILED);
	memset(v, 0, 4096);
	return v;
}

/* The group's memory.current, in bytes. */
static long long cg_current(void)
{
	char path[192], buf[32];

	snprintf(path, sizeof(path), "%s/memory.current", cg);
	ASSERT_EQ(kt_read_file(path, buf, sizeof(buf)), 0);
	return atoll(buf);
}

TEST(create_is_enomem_at_memory_max_and_only_in_that_cgroup)
{
	int dev = kt_dev(), full = eventfd(0, 0), closed = eventfd(0, 0), go = eventfd(0, 0);
	long long *v = shared();
	int64_t end;
	pid_t child;
	int i;

	cg_setup("2M");
	child = fork();
	if (child == 0) {
		cg_enter();
		for (i = 0; i < MAX_FDS; i++) {
			fds[i] = kt_create(dev, KCTX_KIND_CANCEL, 0);
			if (fds[i] < 0)
				break;
		}
		v[0] = i;
		v[1] = i < MAX_FDS ? errno : 0;
		signal_efd(full);
		wait_efd(go);
		while (i--)
			close(fds[i]);
		signal_efd(closed);
		wait_efd(go);
		/* With the memory back, creation works again. */
		v[2] = kt_create(dev, KCTX_KIND_CANCEL, 0) >= 0;
		_exit(0);
	}
	wait_efd(full);
	/* Outside the group, at the same time: as if nothing happened. */
	for (i = 0; i < 256; i++) {
		fds[i] = kt_create(dev, KCTX_KIND_CANCEL, 0);
		ASSERT_GE(fds[i], 0);
		ASSERT_GE(kt_create(fds[i], KCTX_KIND_CANCEL, 0), 0);
	}
	signal_efd(go);
	/*
	 * Nodes and files are freed after an RCU grace period: wait, with a
	 * deadline, for the group's usage to fall, so that the child's next
	 * try is not one more trip to the OOM killer, which prints a report.
	 */
	wait_efd(closed);
	for (end = kt_now_ns() + WAIT_NS; cg_current() > 1024 * 1024; usleep(1000))
		if (kt_now_ns() > end)
			KT_FAIL("the group still uses %lld bytes", cg_current());
	signal_efd(go);
	ASSERT_EQ(wait_child(child), 0);
	printf("# %lld contexts fit in memory.max=2M, then: %s\n", v[0],
	       v[1] ? strerror(v[1]) : "no failure");
	if (v[0] == MAX_FDS)
		SKIP("no ENOMEM after 16384 contexts: kctx's allocations are not charged "
		     "to the caller's memory cgroup (GFP_KERNEL_ACCOUNT / SLAB_ACCOUNT)");
	ASSERT_GE(v[0], 1);
	ASSERT_EQ(v[1], ENOMEM);
	ASSERT_EQ(v[2], 1);
}

/*
 * In a child in the group: fill it with watch fds on one context, or with
 * child contexts of it, until a call fails; @v[0] counts them, @v[1] is
 * the errno.
 */
static void fill(long long *v, int dev, int watch)
{
	struct kctx_watch w = { .size = sizeof(w) };
	pid_t child = fork();
	int parent, i;

	if (child == 0) {
		cg_enter();
		parent = kt_create(dev, KCTX_KIND_CANCEL, 0);
		ASSERT_GE(parent, 0);
		for (i = 0; i < MAX_FDS; i++) {
			fds[i] = watch ? ioctl(parent, KCTX_IOC_WATCH, &w) :
					 kt_create(parent, KCTX_KIND_CANCEL, 0);
			if (fds[i] < 0)
				break;
		}
		v[0] = i;
		v[1] = i < MAX_FDS ? errno : 0;
		_exit(0);
	}
	ASSERT_EQ(wait_child(child), 0);
}

/*
 * Wait, with a deadline, until what the group held is freed (RCU). KASAN's
 * quarantine keeps freed objects, and their charge, for a while; then the
 * two fills can't be compared, which is no failure of kctx's (a leak is
 * kmemleak's to report).
 */
static void drained(void)
{
	int64_t end = kt_now_ns() + WAIT_NS;

	while (cg_current() > 256 * 1024) {
		if (kt_now_ns() > end) {
			printf("# the group still holds %lld bytes of freed objects\n",
			       cg_current());
			SKIP("freed objects stay charged (KASAN quarantine); can't compare fills");
		}
		usleep(1000);
	}
}

/*
 * The context nodes themselves are charged, not only the files: fewer
 * context fds than watch fds fit in the same group, by a node's size each.
 * A watch fd has the same file and kctx_file as a context fd, but no node.
 * (Counted at the limit, where charging is exact; memory.stat lags.)
 */
TEST(context_nodes_are_charged_to_the_callers_memory_cgroup)
{
	long long *v = shared(), max = 2 << 20, watches, ctxs, per_watch, per_ctx, node;
	int dev = kt_dev();
	char size[32];

	ASSERT_EQ(kt_read_file("/sys/kernel/slab/kctx/slab_size", size, sizeof(size)), 0);
	node = atoll(size);
	cg_setup("2M");
	fill(v, dev, 1);
	watches = v[0];
	ASSERT_EQ(v[1], ENOMEM);
	drained();
	fill(v, dev, 0);
	ctxs = v[0];
	ASSERT_EQ(v[1], ENOMEM);
	per_watch = max / watches;
	per_ctx = max / ctxs;
	printf("# in memory.max=2M: %lld watch fds (%lld bytes each), %lld context fds "
	       "(%lld); a node is %lld\n", watches, per_watch, ctxs, per_ctx, node);
	if (per_ctx - per_watch < node * 3 / 4)
		SKIP("kctx's context nodes are not charged to the caller's memory cgroup: "
		     "its caches lack SLAB_ACCOUNT and the uapi's allocations __GFP_ACCOUNT");
}
