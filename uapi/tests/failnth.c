// SPDX-License-Identifier: GPL-2.0
/*
 * Allocation failure, ioctl by ioctl: each test sweeps the kernel's
 * fail-nth over one ioctl. With N written to /proc/thread-self/fail-nth,
 * the Nth fault-injection point this thread reaches fails; reading it back
 * gives 0 if that happened. For N = 1, 2, ... the ioctl runs once, until it
 * succeeds with nothing injected: then every allocation it makes has been
 * failed once.
 *
 * failslab is set for the sweep so that every slab allocation of this
 * thread counts, not only kctx's caches: cache-filter=N (put back to Y at
 * exit), ignore-gfp-wait=N. Nothing else fails, as no other task arms
 * fail-nth and failslab's probability stays 0.
 *
 * Each injected failure must fail the call with ENOMEM and leave nothing
 * behind: the same fds open, the same /sys/kernel/debug/kctx/tree (ids,
 * states and reference counts), the same fdinfo of the fd the call was made
 * on, and no charge against the per-user cap. An injection the call
 * absorbs (kmemleak's and debug objects' own allocations fall back
 * quietly) must leave a working result. kmemleak, scanned by run-vm after
 * the run, finds what leaked. Debug kernel only: 77 without fail-nth.
 */
#include <dirent.h>
#include <sys/eventfd.h>

#include "harness.h"

#define FAILSLAB	"/sys/kernel/debug/failslab/"
#define CAP		"/sys/module/kctx/parameters/max_contexts_per_user"
#define TREE		"/sys/kernel/debug/kctx/tree"
#define MAX_NTH		1000
#define HOUR_NS		(3600 * 1000000000LL)

static int nth_fd = -1;
static char saved_cap[32];

/* What a failed call must leave as it was. */
struct snap {
	unsigned char fds[1024 / 8];
	int lowest_free;		/* a slot reserved, not installed, shows here */
	char tree[8192];
	char fdinfo[1024];
};

/* @path's contents, NUL-terminated, at most @size - 1 bytes. */
static void read_file(const char *path, char *buf, size_t size)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	size_t len = 0;
	ssize_t n;

	if (fd < 0)
		KT_FAIL("open %s: %s", path, strerror(errno));
	while (len < size - 1 && (n = read(fd, buf + len, size - 1 - len)) > 0)
		len += n;
	close(fd);
	buf[len] = 0;
}

static void restore(void)
{
	kt_write_file(FAILSLAB "cache-filter", "Y");
	if (saved_cap[0])
		kt_write_file(CAP, saved_cap);
}

/*
 * Every test starts here: skip without fail-nth or failslab, aim failslab
 * at every allocation of this thread, and put everything back at exit.
 */
static int setup(void)
{
	int dev = kt_dev();

	nth_fd = open("/proc/thread-self/fail-nth", O_RDWR | O_CLOEXEC);
	if (nth_fd < 0)
		SKIP("no /proc/thread-self/fail-nth: this kernel has no CONFIG_FAULT_INJECTION");
	if (access(FAILSLAB "cache-filter", W_OK))
		SKIP("no " FAILSLAB ": this kernel has no failslab in debugfs");
	read_file(CAP, saved_cap, sizeof(saved_cap));
	atexit(restore);
	ASSERT_EQ(kt_write_file(FAILSLAB "cache-filter", "N"), 0);
	ASSERT_EQ(kt_write_file(FAILSLAB "ignore-gfp-wait", "N"), 0);
	ASSERT_EQ(kt_write_file(FAILSLAB "verbose", "0"), 0);
	return dev;
}

/* Fail the @n-th fault-injection point this thread reaches from now on. */
static void arm(unsigned int n)
{
	char buf[16];
	int len = snprintf(buf, sizeof(buf), "%u", n);

	ASSERT_EQ(pwrite(nth_fd, buf, len, 0), len);
}

/* Disarm; true if the fault was injected. */
static int disarm(void)
{
	char buf[16] = "";

	ASSERT_GE(pread(nth_fd, buf, sizeof(buf) - 1, 0), 1);
	ASSERT_EQ(pwrite(nth_fd, "0", 1, 0), 1);
	return atoi(buf) == 0;
}

/* /proc/self/fdinfo/@fd without its ages, or "" for @fd < 0. */
static void fdinfo(int fd, char *buf, size_t size)
{
	char path[64];

	buf[0] = 0;
	if (fd < 0)
		return;
	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", fd);
	read_file(path, buf, size);
	kt_strip_clocks(buf);
}

/* The tree, without what counts by itself. */
static void tree(char *buf, size_t size)
{
	read_file(TREE, buf, size);
	if (strlen(buf) == size - 1)
		KT_FAIL("%s is larger than %zu bytes", TREE, size);
	kt_strip_clocks(buf);
}

static void snap(struct snap *s, int fd)
{
	struct dirent *d;
	DIR *dir;
	int n;

	memset(s->fds, 0, sizeof(s->fds));
	dir = opendir("/proc/self/fd");
	ASSERT_TRUE(dir);
	while ((d = readdir(dir))) {
		n = atoi(d->d_name);
		if (d->d_name[0] == '.' || n == dirfd(dir))
			continue;
		ASSERT_TRUE(n < 1024);
		s->fds[n / 8] |= 1 << (n % 8);
	}
	closedir(dir);
	s->lowest_free = fcntl(0, F_DUPFD_CLOEXEC, 0);
	ASSERT_GE(s->lowest_free, 0);
	close(s->lowest_free);
	tree(s->tree, sizeof(s->tree));
	fdinfo(fd, s->fdinfo, sizeof(s->fdinfo));
}

static void same(const struct snap *a, const struct snap *b, const char *what,
		 unsigned int n)
{
	unsigned int i;

	for (i = 0; i < sizeof(a->fds) * 8; i++)
		if ((a->fds[i / 8] ^ b->fds[i / 8]) & (1 << (i % 8)))
			KT_FAIL("%s, fail-nth %u: fd %d %s", what, n, i,
				b->fds[i / 8] & (1 << (i % 8)) ? "left open" : "closed");
	if (a->lowest_free != b->lowest_free)
		KT_FAIL("%s, fail-nth %u: the lowest free fd went from %d to %d",
			what, n, a->lowest_free, b->lowest_free);
	if (strcmp(a->tree, b->tree))
		KT_FAIL("%s, fail-nth %u: the tree changed\nbefore:\n%s\nafter:\n%s",
			what, n, a->tree, b->tree);
	if (strcmp(a->fdinfo, b->fdinfo))
		KT_FAIL("%s, fail-nth %u: fdinfo changed\nbefore:\n%s\nafter:\n%s",
			what, n, a->fdinfo, b->fdinfo);
}

struct call {
	const char *what;
	int fd;				/* the fd the ioctl goes to */
	int (*run)(struct call *c);	/* the ioctl; -1 with errno on failure */
	/* Check that a success works, and undo what can be undone. */
	void (*ok)(struct call *c, int ret);
	struct kctx_create create;
	int efd;
	int aux;			/* another fd the test needs */
	uint64_t key;			/* an id the result must show */
	int want;			/* what ret_ok() wants returned */
};

static void ret_ok(struct call *c, int ret)
{
	ASSERT_EQ(ret, c->want);
}

/*
 * Sweep fail-nth over @c until it succeeds with nothing injected. Returns
 * how many injections failed the call; prints the figures.
 */
static int sweep(struct call *c)
{
	unsigned int n, absorbed = 0, failed = 0;
	struct snap before, after;
	int ret, err, injected;

	for (n = 1; n <= MAX_NTH; n++) {
		snap(&before, c->fd);
		arm(n);
		errno = 0;
		ret = c->run(c);
		err = errno;
		injected = disarm();
		if (ret < 0) {
			if (!injected)
				KT_FAIL("%s failed with %s, nothing injected (fail-nth %u)",
					c->what, strerror(err), n);
			if (err != ENOMEM)
				KT_FAIL("%s, fail-nth %u: errno %d (%s), want ENOMEM",
					c->what, n, err, strerror(err));
			snap(&after, c->fd);
			same(&before, &after, c->what, n);
			failed++;
			continue;
		}
		c->ok(c, ret);
		if (!injected) {
			printf("# %s: %u fault points: %u failed the call cleanly, %u absorbed\n",
			       c->what, n - 1, failed, absorbed);
			return failed;
		}
		absorbed++;
	}
	KT_FAIL("%s: still injecting at fail-nth %u", c->what, MAX_NTH);
}

static int run_create(struct call *c)
{
	return ioctl(c->fd, KCTX_IOC_CREATE, &c->create);
}

/* A new context works: live, the kind asked for, the right parent. */
static void create_ok(struct call *c, int fd)
{
	struct kctx_state st = kt_state(fd);
	struct kctx_value v = { .size = sizeof(v), .key = 7 };

	ASSERT_EQ(st.err, 0);
	ASSERT_TRUE(st.state & KCTX_STATE_OWNER);
	if (c->create.kind == KCTX_KIND_DEADLINE)
		ASSERT_TRUE(st.state & KCTX_STATE_DEADLINE);
	if (c->create.kind == KCTX_KIND_VALUE) {
		ASSERT_EQ(ioctl(fd, KCTX_IOC_VALUE, &v), 0);
		ASSERT_EQ(v.value, 42);
	}
	ASSERT_EQ(st.parent_id, c->key);
	close(fd);
}

/*
 * The per-user cap is charged for exactly the owner fds held: with the cap
 * at @held + 1, one more create works and the next gets ENOSPC.
 */
static void check_charge(int dev, int held)
{
	char cap[16];
	int fd;

	snprintf(cap, sizeof(cap), "%d", held + 1);
	ASSERT_EQ(kt_write_file(CAP, cap), 0);
	fd = kt_create(dev, KCTX_KIND_CANCEL, 0);
	ASSERT_GE(fd, 0);
	ASSERT_ERRNO(kt_create(dev, KCTX_KIND_CANCEL, 0), ENOSPC);
	close(fd);
	ASSERT_EQ(kt_write_file(CAP, saved_cap), 0);
}

/* Sweep KCTX_IOC_CREATE of @kind on /dev/kctx, or on a context fd. */
static void sweep_create(uint32_t kind, int on_ctx)
{
	int dev = setup(), parent = -1;
	struct call c = {
		.what = "KCTX_IOC_CREATE",
		.fd = dev,
		.run = run_create,
		.ok = create_ok,
		.create = { .size = sizeof(c.create), .kind = kind },
		.key = 1,		/* the background root */
	};

	if (on_ctx) {
		parent = kt_create(dev, KCTX_KIND_CANCEL, 0);
		ASSERT_GE(parent, 0);
		c.fd = parent;
		c.key = kt_state(parent).id;
	}
	if (kind == KCTX_KIND_DEADLINE) {
		c.create.flags = KCTX_CREATE_RELATIVE;
		c.create.deadline_sec = HOUR_NS / 1000000000;
	}
	if (kind == KCTX_KIND_VALUE) {
		c.create.key = 7;
		c.create.value = 42;
	}
	ASSERT_GE(sweep(&c), 1);
	if (on_ctx)
		ASSERT_EQ(kt_state(parent).err, 0);
	check_charge(dev, on_ctx);
}

TEST(create_cancel_on_dev_fails_cleanly)
{
	sweep_create(KCTX_KIND_CANCEL, 0);
}

TEST(create_deadline_on_dev_fails_cleanly)
{
	sweep_create(KCTX_KIND_DEADLINE, 0);
}

TEST(create_value_on_dev_fails_cleanly)
{
	sweep_create(KCTX_KIND_VALUE, 0);
}

TEST(create_without_cancel_on_dev_fails_cleanly)
{
	sweep_create(KCTX_KIND_WITHOUT_CANCEL, 0);
}

TEST(create_cancel_on_ctx_fails_cleanly)
{
	sweep_create(KCTX_KIND_CANCEL, 1);
}

TEST(create_deadline_on_ctx_fails_cleanly)
{
	sweep_create(KCTX_KIND_DEADLINE, 1);
}

TEST(create_value_on_ctx_fails_cleanly)
{
	sweep_create(KCTX_KIND_VALUE, 1);
}

TEST(create_without_cancel_on_ctx_fails_cleanly)
{
	sweep_create(KCTX_KIND_WITHOUT_CANCEL, 1);
}

static int run_cancel(struct call *c)
{
	return kt_cancel(c->fd, -EIO, 99);
}

/* The cancel reached the context and its child. */
static void cancel_ok(struct call *c, int ret)
{
	struct kctx_state st = kt_state(c->fd);

	ASSERT_EQ(ret, 0);
	ASSERT_EQ(st.err, -ECANCELED);
	ASSERT_EQ(st.cause, -EIO);
	ASSERT_EQ(kt_state(c->aux).cause, -EIO);
}

TEST(cancel_fails_cleanly)
{
	int dev = setup();
	struct call c = { .what = "KCTX_IOC_CANCEL", .run = run_cancel, .ok = cancel_ok };
	struct kctx_attach_eventfd a = { .size = sizeof(a) };
	uint64_t n = 0;

	c.fd = kt_create(dev, KCTX_KIND_CANCEL, 0);
	ASSERT_GE(c.fd, 0);
	c.aux = kt_create(c.fd, KCTX_KIND_CANCEL, 0);
	ASSERT_GE(c.aux, 0);
	c.efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	ASSERT_GE(c.efd, 0);
	a.eventfd = c.efd;
	ASSERT_EQ(ioctl(c.fd, KCTX_IOC_ATTACH_EVENTFD, &a), 0);
	sweep(&c);
	/* Signalled once, however many cancels it took. */
	ASSERT_EQ(read(c.efd, &n, sizeof(n)), sizeof(n));
	ASSERT_EQ(n, 1);
}

static int run_state(struct call *c)
{
	struct kctx_state st = { .size = sizeof(st) };

	return ioctl(c->fd, KCTX_IOC_STATE, &st);
}

TEST(state_fails_cleanly)
{
	int dev = setup();
	struct call c = { .what = "KCTX_IOC_STATE", .run = run_state, .ok = ret_ok };

	c.fd = kt_timeout(dev, HOUR_NS);
	ASSERT_GE(c.fd, 0);
	sweep(&c);
}

static int run_value(struct call *c)
{
	struct kctx_value v = { .size = sizeof(v), .key = 7 };
	int ret = ioctl(c->fd, KCTX_IOC_VALUE, &v);

	return ret ?: (int)v.value;
}

TEST(value_fails_cleanly)
{
	int dev = setup(), parent;
	struct call c = {
		.what = "KCTX_IOC_VALUE",
		.run = run_value,
		.ok = ret_ok,
		.want = 42,
		.create = { .size = sizeof(c.create), .kind = KCTX_KIND_VALUE,
			    .key = 7, .value = 42 },
	};

	parent = ioctl(dev, KCTX_IOC_CREATE, &c.create);
	ASSERT_GE(parent, 0);
	/* Looked up through a chain, from a grandchild. */
	c.aux = kt_create(parent, KCTX_KIND_CANCEL, 0);
	ASSERT_GE(c.aux, 0);
	c.fd = kt_create(c.aux, KCTX_KIND_CANCEL, 0);
	ASSERT_GE(c.fd, 0);
	sweep(&c);
}

static int run_attach(struct call *c)
{
	struct kctx_attach_eventfd a = { .size = sizeof(a), .eventfd = c->efd };

	return ioctl(c->fd, KCTX_IOC_ATTACH_EVENTFD, &a);
}

/* Every attachment that succeeded is live: a cancel signals each once. */
static void check_attached(int fd, int efd)
{
	char info[1024], *p;
	uint64_t n = 0;
	int nr;

	fdinfo(fd, info, sizeof(info));
	p = strstr(info, "eventfds:");
	ASSERT_TRUE(p);
	nr = atoi(p + strlen("eventfds:"));
	ASSERT_GE(nr, 1);
	ASSERT_EQ(kt_cancel(fd, 0, 0), 0);
	ASSERT_EQ(read(efd, &n, sizeof(n)), sizeof(n));
	ASSERT_EQ(n, nr);
}

TEST(attach_eventfd_fails_cleanly)
{
	int dev = setup();
	struct call c = { .what = "KCTX_IOC_ATTACH_EVENTFD", .run = run_attach,
			  .ok = ret_ok };

	c.fd = kt_create(dev, KCTX_KIND_CANCEL, 0);
	ASSERT_GE(c.fd, 0);
	c.efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	ASSERT_GE(c.efd, 0);
	ASSERT_GE(sweep(&c), 1);
	check_attached(c.fd, c.efd);
}

TEST(attach_eventfd_to_a_done_context_fails_cleanly)
{
	int dev = setup();
	struct call c = { .what = "KCTX_IOC_ATTACH_EVENTFD (done)", .run = run_attach,
			  .ok = ret_ok };
	uint64_t n = 0;

	c.fd = kt_create(dev, KCTX_KIND_CANCEL, 0);
	ASSERT_GE(c.fd, 0);
	ASSERT_EQ(kt_cancel(c.fd, 0, 0), 0);
	c.efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	ASSERT_GE(c.efd, 0);
	ASSERT_GE(sweep(&c), 1);
	/* Signalled at once, by each attach that succeeded. */
	ASSERT_EQ(read(c.efd, &n, sizeof(n)), sizeof(n));
	ASSERT_GE(n, 1);
}

static int run_watch(struct call *c)
{
	struct kctx_watch w = { .size = sizeof(w) };

	return ioctl(c->fd, KCTX_IOC_WATCH, &w);
}

/* A watch fd that works: same context, not an owner, sees the cancel. */
static void watch_ok(struct call *c, int fd)
{
	struct kctx_state st = kt_state(fd);

	ASSERT_EQ(st.id, c->key);
	ASSERT_EQ(st.state & KCTX_STATE_OWNER, 0);
	ASSERT_ERRNO(kt_cancel(fd, 0, 0), EPERM);
	close(fd);
}

TEST(watch_fails_cleanly)
{
	int dev = setup();
	struct call c = { .what = "KCTX_IOC_WATCH", .run = run_watch, .ok = watch_ok };

	c.fd = kt_create(dev, KCTX_KIND_CANCEL, 0);
	ASSERT_GE(c.fd, 0);
	c.key = kt_state(c.fd).id;
	ASSERT_GE(sweep(&c), 1);
	check_charge(dev, 1);
}
