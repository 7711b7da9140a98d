// SPDX-License-Identifier: GPL-2.0
/*
 * The module's lifecycle: it stays while anything of it is alive, and goes
 * cleanly when nothing is, load after load.
 *
 * delete_module() refuses a module in use with EWOULDBLOCK (EAGAIN), not
 * EBUSY: that is what the kernel returns both for a non-zero reference
 * count and for a module other modules depend on. kctx_pump depends on
 * kctx, so while it is loaded kctx can't go whatever kctx itself holds;
 * the tests unload it first, so that only kctx's own references decide,
 * and prove each refusal by unloading once the holder is gone. Whatever
 * happens, every test leaves kctx and kctx_pump loaded again for the tests
 * after it, from /lib/kctx where run-vm put them.
 *
 * The cycles test loads and unloads kctx KCTX_LIFECYCLE_CYCLES times (20
 * by default; make stress runs 1000) with live contexts in between: a tree
 * with deadlines that fire and deadlines that are cancelled, eventfds, a
 * kctx_pump job (a kctx kthread), and on kernels with KUnit a load of
 * kctx_test.ko running its after-func suite, which creates, fires and
 * stops after-funcs, and the deadline case that leaves contexts for
 * unload to reap. The last thing before each unload is closing a batch of
 * contexts, so that their frees are under way while kctx goes. Before
 * 6.12 nodes wait for RCU: module exit must rcu_barrier() before it
 * destroys its caches, or the caches still hold objects (a WARN) and the
 * RCU callbacks run in freed module text. On every kernel the caches must
 * be gone from /sys/kernel/slab when rmmod returns, or the next load
 * can't make them (a SLAB_TYPESAFE_BY_RCU cache goes only after a grace
 * period before 6.12, which is why kctx doesn't use one there).
 */
#define _GNU_SOURCE
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/stat.h>
#include <sys/syscall.h>

#include "harness.h"
#include "kctx_pump.h"

#define KO_DIR		"/lib/kctx/"
#define KUNIT_GLOB	"/sys/module/kunit/parameters/filter_glob"
#define WAIT_NS		(10 * 1000000000LL)

static int loaded(const char *name)
{
	char path[64];

	snprintf(path, sizeof(path), "/sys/module/%s", name);
	return !access(path, F_OK);
}

static int unload(const char *name)
{
	return syscall(SYS_delete_module, name, O_NONBLOCK);
}

static int load(const char *name)
{
	char path[64];
	int fd, ret;

	snprintf(path, sizeof(path), KO_DIR "%s.ko", name);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	ret = syscall(SYS_finit_module, fd, "", 0);
	close(fd);
	return ret;
}

static int refcnt(const char *name)
{
	char path[64], buf[16] = "";
	int fd;

	snprintf(path, sizeof(path), "/sys/module/%s/refcnt", name);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	ASSERT_GE(fd, 0);
	ASSERT_GE(read(fd, buf, sizeof(buf) - 1), 1);
	close(fd);
	return atoi(buf);
}

/* At exit, however the test ended: kctx and kctx_pump as run-vm left them. */
static void reload(void)
{
	if (loaded("kctx_test"))
		unload("kctx_test");
	if (!loaded("kctx"))
		load("kctx");
	if (!loaded("kctx_pump") && !access(KO_DIR "kctx_pump.ko", R_OK))
		load("kctx_pump");
	kt_write_file(KUNIT_GLOB, "*.*");
}

/*
 * Leave kctx with its own references only, unless @keep_pump; skip if
 * kctx can't be loaded again.
 */
static void isolate(int keep_pump)
{
	close(kt_dev());	/* skips without kctx */
	if (access(KO_DIR "kctx.ko", R_OK))
		SKIP("no " KO_DIR "kctx.ko to load kctx again from");
	atexit(reload);
	if (!keep_pump && loaded("kctx_pump"))
		ASSERT_EQ(unload("kctx_pump"), 0);
}

static void refused(const char *name)
{
	ASSERT_ERRNO(unload(name), EWOULDBLOCK);
	ASSERT_TRUE(loaded(name));
}

TEST(rmmod_is_refused_while_a_context_fd_is_open)
{
	int dev, fd;

	isolate(0);
	dev = kt_dev();
	fd = kt_create(dev, KCTX_KIND_CANCEL, 0);
	close(dev);
	ASSERT_GE(fd, 0);
	refused("kctx");
	ASSERT_EQ(kt_state(fd).err, 0);
	close(fd);
	ASSERT_EQ(unload("kctx"), 0);
}

TEST(rmmod_is_refused_while_a_watch_fd_is_open)
{
	struct kctx_watch w = { .size = sizeof(w) };
	int dev, fd, watch;

	isolate(0);
	dev = kt_dev();
	fd = kt_create(dev, KCTX_KIND_CANCEL, 0);
	ASSERT_GE(watch = ioctl(fd, KCTX_IOC_WATCH, &w), 0);
	close(dev);
	close(fd);
	refused("kctx");
	ASSERT_EQ(kt_state(watch).cause, -EOWNERDEAD);
	close(watch);
	ASSERT_EQ(unload("kctx"), 0);
}

TEST(rmmod_is_refused_while_dev_kctx_is_open)
{
	int dev;

	isolate(0);
	dev = kt_dev();
	refused("kctx");
	close(dev);
	ASSERT_EQ(unload("kctx"), 0);
}

/* A kctx_pump job reading an empty pipe, for the context @ctx. */
struct job {
	int dev, in[2], out[2];
};

static void job_start(struct job *j, int ctx)
{
	struct kctx_pump_start s = { .size = sizeof(s), .ctx_fd = ctx };

	j->dev = open(KCTX_PUMP_DEVICE, O_RDWR | O_CLOEXEC);
	ASSERT_GE(j->dev, 0);
	ASSERT_EQ(pipe2(j->in, O_CLOEXEC), 0);
	ASSERT_EQ(pipe2(j->out, O_CLOEXEC), 0);
	s.in_fd = j->in[0];
	s.out_fd = j->out[1];
	ASSERT_EQ(ioctl(j->dev, KCTX_PUMP_IOC_START, &s), 0);
}

static struct kctx_pump_wait job_wait(struct job *j)
{
	struct kctx_pump_wait w = { .size = sizeof(w) };

	ASSERT_EQ(ioctl(j->dev, KCTX_PUMP_IOC_WAIT, &w), 0);
	return w;
}

static void job_close(struct job *j)
{
	close(j->dev);
	close(j->in[0]);
	close(j->in[1]);
	close(j->out[0]);
	close(j->out[1]);
}

/*
 * The job's kctx kthread holds kctx itself, beyond kctx_pump's hold, until
 * it has exited: kctx_pump can't go while the job's fd is open, and kctx's
 * reference count is one higher while the thread lives.
 */
TEST(rmmod_is_refused_while_a_pump_job_runs)
{
	int dev, ctx, base;
	struct job j;

	isolate(1);
	if (!loaded("kctx_pump"))
		SKIP("kctx_pump is not loaded");
	dev = kt_dev();
	ctx = kt_create(dev, KCTX_KIND_CANCEL, 0);
	ASSERT_GE(ctx, 0);
	base = refcnt("kctx");
	job_start(&j, ctx);
	ASSERT_EQ(refcnt("kctx"), base + 1);
	refused("kctx_pump");
	refused("kctx");
	ASSERT_EQ(kt_cancel(ctx, 0, 0), 0);
	ASSERT_EQ(job_wait(&j).err, -ECANCELED);
	/* Reaped: the thread has exited and given its reference back. */
	ASSERT_EQ(refcnt("kctx"), base);
	refused("kctx_pump");
	job_close(&j);
	ASSERT_EQ(unload("kctx_pump"), 0);
	close(ctx);
	close(dev);
	ASSERT_EQ(unload("kctx"), 0);
}

/* Poll, with a deadline, until @fd is done. */
static void wait_done(int fd)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };

	ASSERT_EQ(poll(&p, 1, WAIT_NS / 1000000), 1);
}

static int kunit_suites(void)
{
	return !access(KO_DIR "kctx_test.ko", R_OK) && !access(KUNIT_GLOB, W_OK);
}

/* Every case of @suite passed in the run kctx_test.ko's load just made. */
static void kunit_passed(const char *suite)
{
	char path[128], buf[8192] = "";
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/sys/kernel/debug/kunit/%s/results", suite);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	ASSERT_GE(fd, 0);
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	ASSERT_GE(n, 1);
	if (strstr(buf, "not ok"))
		KT_FAIL("KUnit suite %s failed:\n%s", suite, buf);
}

#define NR_BATCH	64

/* One load, some life, one unload. */
static void cycle(int kunit)
{
	int dev, root, fire[4], stay[4], batch[NR_BATCH], efd, i;
	struct kctx_attach_eventfd a = { .size = sizeof(a) };
	struct job j;
	uint64_t n;

	ASSERT_EQ(load("kctx"), 0);
	if (!access(KO_DIR "kctx_pump.ko", R_OK))
		ASSERT_EQ(load("kctx_pump"), 0);
	dev = kt_dev();
	root = kt_create(dev, KCTX_KIND_CANCEL, 0);
	ASSERT_GE(root, 0);
	efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	a.eventfd = efd;
	ASSERT_EQ(ioctl(root, KCTX_IOC_ATTACH_EVENTFD, &a), 0);
	/* Deadlines left to fire, and deadlines to cancel. */
	for (i = 0; i < 4; i++) {
		fire[i] = kt_timeout(root, (i + 1) * 500000LL);
		stay[i] = kt_timeout(i ? stay[i - 1] : root, 3600 * 1000000000LL);
		ASSERT_GE(fire[i], 0);
		ASSERT_GE(stay[i], 0);
	}
	/* A kctx kthread bound to a deadline that fires under it. */
	if (loaded("kctx_pump"))
		job_start(&j, fire[3]);
	/* After-funcs created, fired and stopped, by kernel code. */
	if (kunit) {
		ASSERT_EQ(load("kctx_test"), 0);
		kunit_passed("kctx_after_func");
		kunit_passed("kctx_deadline");
	}
	for (i = 0; i < 4; i++)
		wait_done(fire[i]);
	if (loaded("kctx_pump")) {
		ASSERT_EQ(job_wait(&j).err, -ETIMEDOUT);
		job_close(&j);
	}
	ASSERT_EQ(kt_cancel(stay[1], -EIO, 0), 0);
	for (i = 0; i < 4; i++) {
		close(fire[i]);
		close(stay[i]);
	}
	for (i = 0; i < NR_BATCH; i++)
		ASSERT_GE(batch[i] = kt_create(root, i % 2 ? KCTX_KIND_CANCEL : KCTX_KIND_VALUE, 0), 0);
	if (kunit)
		ASSERT_EQ(unload("kctx_test"), 0);
	if (loaded("kctx_pump"))
		ASSERT_EQ(unload("kctx_pump"), 0);
	/* Last: closing these leaves their nodes to RCU as kctx goes. */
	close(root);
	ASSERT_EQ(read(efd, &n, sizeof(n)), sizeof(n));
	close(efd);
	for (i = 0; i < NR_BATCH; i++)
		close(batch[i]);
	close(dev);
	ASSERT_EQ(unload("kctx"), 0);
	ASSERT_TRUE(access("/sys/kernel/slab/kctx", F_OK));
}

TEST(load_unload_cycles_with_live_contexts)
{
	const char *env = getenv("KCTX_LIFECYCLE_CYCLES");
	int cycles = env ? atoi(env) : 20, kunit = kunit_suites(), i;
	int64_t t0 = kt_now_ns();

	isolate(0);
	ASSERT_EQ(unload("kctx"), 0);
	/*
	 * Every after-func case (they begin with r or s), and the deadline
	 * case that leaves contexts for unload to reap (o). Not the other
	 * deadline cases: they time things in milliseconds, which the
	 * contexts and the kthread of the cycle around them can upset.
	 */
	if (kunit)
		ASSERT_EQ(kt_write_file(KUNIT_GLOB, "kctx_[ad]*.[rso]*"), 0);
	for (i = 0; i < cycles; i++)
		cycle(kunit);
	printf("# %d load/unload cycles%s in %.1f s\n", cycles,
	       kunit ? ", each with a load of kctx_test.ko" : "",
	       (kt_now_ns() - t0) / 1e9);
}
