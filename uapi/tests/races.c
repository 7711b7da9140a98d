// SPDX-License-Identifier: GPL-2.0
/*
 * Races through the uapi, each between two sides with randomized timing,
 * the idea behind LTP's fuzzy sync: every iteration sets up fresh fds,
 * meets the other side at a spin barrier, waits a random time (a busy loop,
 * never a sleep) and runs its side of the race; after a second barrier it
 * checks the invariant that the race could break. The random offset between
 * the two starts sweeps from "B a whole op early" to "A a whole op early",
 * using the measured duration of each side, so both orders and every
 * overlap in between come up. Each race prints how often each outcome came
 * up, and how often B's operation started first, to show that both orders
 * came up. The sides run on different CPUs where there are two. KASAN,
 * lockdep and kmemleak watch the rest (run-vm).
 *
 * The kernel-level races (concurrent cancels, parent cancel against child
 * create, cancel against deadline expiry) are in kunit/race_test.c.
 *
 * Iterations per race: $KCTX_RACE_ITERATIONS (default 100000), but each
 * race stops after $KCTX_RACE_SECONDS (0 for no limit). The default cap
 * depends on the kernel ($KCTX_KERNEL). On stock an iteration costs 40 to
 * 310 us under TCG (the most for the race between two processes), so the
 * 100,000 take 4 to 31 s a race; the cap of 32 s only keeps the nine
 * races within run-tests' 300 s on a loaded host. Debian's other own
 * kernels, lts and rt, get the same cap. On the debug kernels an
 * iteration costs 1.3 to 15 ms with the host (10 to 15 syscalls under
 * KASAN, lockdep, kmemleak and debug objects), so 100,000 would take 2 to
 * 25 minutes a race: there the cap is 6 s, 500 to 4,500 iterations. A race
 * stopped by the cap says so. A long run: KCTX_RACE_ITERATIONS=1000000
 * KCTX_RACE_SECONDS=0.
 */
#define _GNU_SOURCE
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/prctl.h>

#include "harness.h"

#define CAUSE_A		(-1001)
#define CAUSE_B		(-1002)
#define UC_A		0xa000000000000aaaULL
#define UC_B		0xb000000000000bbbULL
#define POLL_LIMIT_MS	10000

struct barrier {
	unsigned int count;
	unsigned int gen;
};

struct race {
	const char *name;
	void (*setup)(struct race *r);
	void (*a)(struct race *r);
	void (*b_prep)(struct race *r);	/* side B, before the start barrier */
	void (*b)(struct race *r);
	void (*b_post)(struct race *r);	/* side B, after the end barrier */
	void (*check)(struct race *r);
	bool b_in_process;		/* side B is another process */
	const char *outcome[4];
	long outcomes[4];

	/* Shared by the sides. */
	struct barrier start, end;
	int stop;
	int64_t b_delay_ns;
	int64_t b_start, b_op, dur_b;
	int64_t avg_a, avg_b;		/* each side's op, averaged; A's to write */
	long iter;
	int fd[8];
	long ret_a, ret_b;
	int err_a, err_b;
	short revents;
	uint64_t val;
	pid_t b_pid;
	int sock[2];
	struct kctx_state st_a, st_b;
	int64_t t_setup, lead, avg_lead;
};

static double loops_per_ns;
static bool one_cpu;
static uint64_t rng;
static volatile long watchdog_iter;
static const char *volatile watchdog_name;

static uint64_t rnd(void)
{
	rng ^= rng >> 12;
	rng ^= rng << 25;
	rng ^= rng >> 27;
	return rng * 0x2545f4914f6cdd1dULL;
}

static void cpu_relax(void)
{
	__asm__ volatile("pause" ::: "memory");
}

static void spin_ns(int64_t ns)
{
	long n = ns * loops_per_ns;

	while (n-- > 0)
		cpu_relax();
}

static void calibrate(void)
{
	const long n = 2000000;
	int64_t t0 = kt_now_ns(), t;
	long i;

	for (i = 0; i < n; i++)
		cpu_relax();
	t = kt_now_ns() - t0;
	loops_per_ns = t > 0 ? (double)n / t : 1;
}

/* Two parties, threads or processes (the struct is shared memory). */
static void barrier_wait(struct barrier *b)
{
	unsigned int gen = __atomic_load_n(&b->gen, __ATOMIC_ACQUIRE);
	long spins = 0;

	if (__atomic_add_fetch(&b->count, 1, __ATOMIC_ACQ_REL) == 2) {
		__atomic_store_n(&b->count, 0, __ATOMIC_RELAXED);
		__atomic_store_n(&b->gen, gen + 1, __ATOMIC_RELEASE);
		return;
	}
	/* On one CPU, let the other side run; on two, it is running. */
	while (__atomic_load_n(&b->gen, __ATOMIC_ACQUIRE) == gen) {
		if (one_cpu && ++spins > 1000)
			sched_yield();
		else
			cpu_relax();
	}
}

static void pin(int cpu)
{
	cpu_set_t set;

	if (one_cpu)
		return;
	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	sched_setaffinity(0, sizeof(set), &set);
}

static void on_alarm(int sig)
{
	char msg[160];
	int n;

	(void)sig;
	n = snprintf(msg, sizeof(msg), "#   race %s stuck in iteration %ld\n",
		     watchdog_name, watchdog_iter);
	if (write(1, msg, n) < 0)
		_exit(1);
	_exit(1);
}

/* The cap on each race's time, in seconds: see the top of the file. */
static long seconds(void)
{
	const char *s = getenv("KCTX_RACE_SECONDS");
	const char *kernel = getenv("KCTX_KERNEL");

	if (s)
		return atol(s) > 0 ? atol(s) : 1000000000L;	/* "0": no limit */
	if (kernel && (!strcmp(kernel, "stock") || !strcmp(kernel, "lts") ||
		       !strcmp(kernel, "rt")))
		return 32;
	return 6;
}

static long iterations(void)
{
	const char *s = getenv("KCTX_RACE_ITERATIONS");

	if (s && atol(s) > 0)
		return atol(s);
	return 100000;
}

static void side_b(struct race *r)
{
	int64_t t;

	pin(1);
	for (;;) {
		if (r->b_prep)
			r->b_prep(r);
		barrier_wait(&r->start);
		r->b_start = kt_now_ns();
		if (__atomic_load_n(&r->stop, __ATOMIC_ACQUIRE))
			return;
		spin_ns(r->b_delay_ns);
		t = kt_now_ns();
		r->b_op = t;
		r->b(r);
		r->dur_b = kt_now_ns() - t;
		barrier_wait(&r->end);
		if (r->b_post)
			r->b_post(r);
	}
}

static void *side_b_thread(void *arg)
{
	side_b(arg);
	return NULL;
}

static struct race *race_new(void)
{
	struct race *r = mmap(NULL, sizeof(*r), PROT_READ | PROT_WRITE,
			      MAP_SHARED | MAP_ANONYMOUS, -1, 0);

	ASSERT_TRUE(r != MAP_FAILED);
	memset(r, 0, sizeof(*r));
	return r;
}

static void run_race(struct race *r)
{
	int64_t skew = 0, t0, t, a_start, dur_a, off, limit;
	long n = iterations(), i, b_first = 0;
	pthread_t th;
	int status, k;
	pid_t pid;
	char line[384];
	size_t len;

	rng = kt_now_ns() | 1;
	one_cpu = sysconf(_SC_NPROCESSORS_ONLN) < 2;
	calibrate();
	watchdog_name = r->name;
	signal(SIGALRM, on_alarm);
	if (r->b_in_process) {
		pid = fork();
		ASSERT_GE(pid, 0);
		if (pid == 0) {
			prctl(PR_SET_PDEATHSIG, SIGKILL);
			side_b(r);
			_exit(0);
		}
		r->b_pid = pid;	/* shared memory: not from both sides */
	} else {
		r->b_pid = getpid();
		ASSERT_EQ(pthread_create(&th, NULL, side_b_thread, r), 0);
	}
	pin(0);
	t0 = kt_now_ns();
	limit = t0 + seconds() * 1000000000LL;
	for (i = 0; i < n && (i < 100 || kt_now_ns() < limit); i++) {
		if (!(i & 255)) {
			watchdog_iter = i;
			alarm(60);
		}
		r->iter = i;
		r->setup(r);
		/*
		 * B's op starts anywhere from a whole op of B before A's to a
		 * whole op of A after it. The sides leave the barrier apart by
		 * some skew (B later, usually); the delays make up for it.
		 */
		off = (int64_t)(rnd() % (uint64_t)(r->avg_a + r->avg_b + 1)) - r->avg_b - skew;
		r->b_delay_ns = off > 0 ? off : 0;
		barrier_wait(&r->start);
		a_start = kt_now_ns();
		if (off < 0)
			spin_ns(-off);
		t = kt_now_ns();
		r->a(r);
		dur_a = kt_now_ns() - t;
		barrier_wait(&r->end);
		b_first += r->b_op < t;
		r->avg_a = (r->avg_a * 15 + dur_a) / 16;
		r->avg_b = (r->avg_b * 15 + r->dur_b) / 16;
		skew = (skew * 15 + (r->b_start - a_start)) / 16;
		r->check(r);
	}
	t = kt_now_ns() - t0;
	alarm(0);
	__atomic_store_n(&r->stop, 1, __ATOMIC_RELEASE);
	if (r->b_in_process)
		kt_send_fd(r->sock[0], 0);	/* wakes b_prep */
	barrier_wait(&r->start);
	if (r->b_in_process) {
		ASSERT_EQ(waitpid(r->b_pid, &status, 0), r->b_pid);
		ASSERT_EQ(status, 0);
	} else {
		pthread_join(th, NULL);
	}
	len = snprintf(line, sizeof(line),
		       "#   %s: %ld iterations in %.1f s (%.0f us each; sides %.1f and %.1f us, "
		       "skew %.1f us); B's op first %ld;", r->name, i, t / 1e9, t / 1e3 / i,
		       r->avg_a / 1e3, r->avg_b / 1e3, skew / 1e3, b_first);
	for (k = 0; k < 4 && r->outcome[k]; k++)
		len += snprintf(line + len, sizeof(line) - len, " %s %ld",
				r->outcome[k], r->outcomes[k]);
	printf("%s\n", line);
	if (i < n)
		printf("#   %s: stopped by the %ld s cap after %ld of %ld iterations\n",
		       r->name, seconds(), i, n);
}

static int dev(void)
{
	static int fd = -1;

	if (fd < 0)
		fd = kt_dev();
	return fd;
}

static int create(int parent)
{
	int fd = kt_create(parent, KCTX_KIND_CANCEL, 0);

	ASSERT_GE(fd, 0);
	return fd;
}

static int watch(int fd)
{
	struct kctx_watch w = { .size = sizeof(w) };
	int r = ioctl(fd, KCTX_IOC_WATCH, &w);

	ASSERT_GE(r, 0);
	return r;
}

static void attach(int fd, int efd)
{
	struct kctx_attach_eventfd a = { .size = sizeof(a), .eventfd = efd };

	ASSERT_EQ(ioctl(fd, KCTX_IOC_ATTACH_EVENTFD, &a), 0);
}

static void check_done(int fd, int32_t cause, bool has_uc, uint64_t uc)
{
	struct kctx_state st = kt_state(fd);

	ASSERT_EQ(st.err, -ECANCELED);
	ASSERT_EQ(st.cause, cause);
	ASSERT_EQ(!!(st.state & KCTX_STATE_USER_CAUSE), has_uc);
	ASSERT_EQ(st.user_cause, has_uc ? uc : 0);
}

/* The eventfd @efd was signalled exactly once. */
static void check_signalled_once(int efd)
{
	uint64_t n = 0;

	ASSERT_EQ(read(efd, &n, sizeof(n)), sizeof(n));
	ASSERT_EQ(n, 1);
}

static void a_cancel(struct race *r)
{
	r->ret_a = kt_cancel(r->fd[0], CAUSE_A, UC_A);
	r->err_a = errno;
}

/*
 * Cancel against close of the last owner fd: either the cancel got the
 * file first, and then its cause is the context's (the close's release
 * waits for the ioctl to let go of the file), or the close did, and the
 * cancel finds no fd and the cause is -EOWNERDEAD. Either way the child
 * and the attached eventfd see the same thing, exactly once.
 */
static void setup_owner_child_watch_eventfd(struct race *r)
{
	r->fd[0] = create(dev());
	r->fd[1] = create(r->fd[0]);
	r->fd[2] = watch(r->fd[0]);
	r->fd[3] = eventfd(0, EFD_NONBLOCK);
	ASSERT_GE(r->fd[3], 0);
	attach(r->fd[0], r->fd[3]);
}

static void b_close_owner(struct race *r)
{
	close(r->fd[0]);
}

static void check_cancel_vs_close(struct race *r)
{
	if (r->ret_a == 0) {
		check_done(r->fd[2], CAUSE_A, true, UC_A);
		check_done(r->fd[1], CAUSE_A, true, UC_A);
		r->outcomes[0]++;
	} else {
		ASSERT_EQ(r->err_a, EBADF);
		check_done(r->fd[2], -EOWNERDEAD, false, 0);
		check_done(r->fd[1], -EOWNERDEAD, false, 0);
		r->outcomes[1]++;
	}
	ASSERT_EQ(kt_state(r->fd[2]).canceller_pid, getpid());
	check_signalled_once(r->fd[3]);
	close(r->fd[1]);
	close(r->fd[2]);
	close(r->fd[3]);
}

TEST(cancel_vs_close_of_last_owner)
{
	struct race *r = race_new();

	*r = (struct race){
		.name = "cancel_vs_close_of_last_owner",
		.setup = setup_owner_child_watch_eventfd,
		.a = a_cancel,
		.b = b_close_owner,
		.check = check_cancel_vs_close,
		.outcome = { "cancel-first", "close-first" },
	};
	run_race(r);
	ASSERT_TRUE(r->outcomes[0] + r->outcomes[1] > 0);
}

/*
 * Close against a thread blocked in poll on the same fd (a dup of the
 * owner fd, or a watch-only fd), then a cancel. The poll finds the fd gone
 * (POLLNVAL); or it holds the file, sleeps, is woken by the cancel and
 * finds the fd gone on its next look (POLLNVAL again); or the close and
 * the cancel both came between its fdget() and its look at the context
 * (POLLIN). It must never sleep through the cancel.
 */
static void setup_owner_and_second_fd(struct race *r)
{
	r->fd[0] = create(dev());
	r->fd[1] = r->iter & 1 ? watch(r->fd[0]) : dup(r->fd[0]);
	ASSERT_GE(r->fd[1], 0);
}

static void a_close_then_cancel(struct race *r)
{
	close(r->fd[1]);
	r->ret_a = kt_cancel(r->fd[0], CAUSE_A, UC_A);
}

static void b_poll(struct race *r)
{
	struct pollfd p = { .fd = r->fd[1], .events = POLLIN };

	r->ret_b = poll(&p, 1, POLL_LIMIT_MS);
	r->err_b = errno;
	r->revents = p.revents;
}

static void check_poll(struct race *r)
{
	ASSERT_EQ(r->ret_a, 0);
	ASSERT_EQ(r->ret_b, 1);	/* 0 would be a missed wake-up */
	if (r->revents == POLLNVAL) {
		r->outcomes[0]++;
	} else {
		ASSERT_EQ(r->revents, POLLIN | POLLHUP);	/* and drained */
		r->outcomes[1]++;
	}
	check_done(r->fd[0], CAUSE_A, true, UC_A);
	close(r->fd[0]);
}

TEST(close_vs_blocked_poll)
{
	struct race *r = race_new();

	*r = (struct race){
		.name = "close_vs_blocked_poll",
		.setup = setup_owner_and_second_fd,
		.a = a_close_then_cancel,
		.b = b_poll,
		.check = check_poll,
		.outcome = { "POLLNVAL", "POLLIN" },
	};
	run_race(r);
}

/* read() of a context fd is not supported; closed under it, it's EBADF. */
static void a_close_second(struct race *r)
{
	r->ret_a = close(r->fd[1]);
}

static void b_read(struct race *r)
{
	char buf[8];

	r->ret_b = read(r->fd[1], buf, sizeof(buf));
	r->err_b = errno;
}

static void check_read(struct race *r)
{
	ASSERT_EQ(r->ret_a, 0);
	ASSERT_EQ(r->ret_b, -1);
	if (r->err_b == EINVAL) {
		r->outcomes[0]++;
	} else {
		ASSERT_EQ(r->err_b, EBADF);
		r->outcomes[1]++;
	}
	/* Only the dup or the watcher went: the context is live. */
	ASSERT_EQ(kt_state(r->fd[0]).err, 0);
	close(r->fd[0]);
}

TEST(close_vs_read)
{
	struct race *r = race_new();

	*r = (struct race){
		.name = "close_vs_read",
		.setup = setup_owner_and_second_fd,
		.a = a_close_second,
		.b = b_read,
		.check = check_read,
		.outcome = { "EINVAL", "EBADF" },
	};
	run_race(r);
}

/*
 * Close of the last owner fd against a thread blocked in read() on an
 * eventfd attached to it: the release cancels, which signals the eventfd,
 * and then detaches it; the reader wakes with 1 whenever it got there.
 */
static void setup_owner_blocking_eventfd(struct race *r)
{
	r->fd[0] = create(dev());
	r->fd[1] = eventfd(0, 0);
	ASSERT_GE(r->fd[1], 0);
	attach(r->fd[0], r->fd[1]);
}

static void a_close_owner(struct race *r)
{
	r->ret_a = close(r->fd[0]);
}

static void b_read_eventfd(struct race *r)
{
	r->val = 0;
	r->ret_b = read(r->fd[1], &r->val, sizeof(r->val));
	r->err_b = errno;
}

static void check_eventfd_read(struct race *r)
{
	ASSERT_EQ(r->ret_a, 0);
	ASSERT_EQ(r->ret_b, sizeof(r->val));
	ASSERT_EQ(r->val, 1);
	r->outcomes[0]++;
	close(r->fd[1]);
}

TEST(close_vs_blocked_eventfd_read)
{
	struct race *r = race_new();

	*r = (struct race){
		.name = "close_vs_blocked_eventfd_read",
		.setup = setup_owner_blocking_eventfd,
		.a = a_close_owner,
		.b = b_read_eventfd,
		.check = check_eventfd_read,
		.outcome = { "woken" },
	};
	run_race(r);
}

/*
 * Close of the last owner fd (which signals the attached eventfd and drops
 * the attachment's reference on it) against epoll_ctl() adding that
 * eventfd: afterwards epoll reports it readable, once, with 1 to read.
 */
static void setup_owner_eventfd_epoll(struct race *r)
{
	setup_owner_child_watch_eventfd(r);
	r->fd[4] = epoll_create1(0);
	ASSERT_GE(r->fd[4], 0);
}

static void b_epoll_add(struct race *r)
{
	struct epoll_event ev = { .events = EPOLLIN };

	r->ret_b = epoll_ctl(r->fd[4], EPOLL_CTL_ADD, r->fd[3], &ev);
	r->err_b = errno;
}

static void check_epoll_ctl(struct race *r)
{
	struct epoll_event out[2];
	int n;

	ASSERT_EQ(r->ret_a, 0);
	ASSERT_EQ(r->ret_b, 0);
	n = epoll_wait(r->fd[4], out, 2, 0);
	ASSERT_EQ(n, 1);
	ASSERT_EQ(out[0].events, EPOLLIN);
	check_done(r->fd[2], -EOWNERDEAD, false, 0);
	check_done(r->fd[1], -EOWNERDEAD, false, 0);
	check_signalled_once(r->fd[3]);
	r->outcomes[0]++;
	for (n = 1; n <= 4; n++)
		close(r->fd[n]);
}

TEST(close_vs_epoll_ctl_on_attached_eventfd)
{
	struct race *r = race_new();

	*r = (struct race){
		.name = "close_vs_epoll_ctl_on_attached_eventfd",
		.setup = setup_owner_eventfd_epoll,
		.a = a_close_owner,
		.b = b_epoll_add,
		.check = check_epoll_ctl,
		.outcome = { "ok" },
	};
	run_race(r);
}

/*
 * The attached eventfd closed by userspace while the context is cancelled
 * (even iterations) or its owner fd closed (odd ones). The attachment holds
 * its own reference, so the signal lands safely; every fourth iteration
 * keeps a dup of the eventfd to see that it did, exactly once.
 */
static void setup_eventfd_closed(struct race *r)
{
	r->fd[0] = create(dev());
	r->fd[1] = eventfd(0, EFD_NONBLOCK);
	ASSERT_GE(r->fd[1], 0);
	attach(r->fd[0], r->fd[1]);
	r->fd[2] = r->iter & 2 ? dup(r->fd[1]) : -1;
	r->fd[3] = watch(r->fd[0]);
}

static void a_close_eventfd(struct race *r)
{
	r->ret_a = close(r->fd[1]);
}

static void b_cancel_or_close(struct race *r)
{
	if (r->iter & 1) {
		r->ret_b = close(r->fd[0]);
	} else {
		r->ret_b = kt_cancel(r->fd[0], CAUSE_B, UC_B);
		r->err_b = errno;
	}
}

static void check_eventfd_closed(struct race *r)
{
	ASSERT_EQ(r->ret_a, 0);
	ASSERT_EQ(r->ret_b, 0);
	if (r->iter & 1) {
		check_done(r->fd[3], -EOWNERDEAD, false, 0);
	} else {
		check_done(r->fd[3], CAUSE_B, true, UC_B);
		close(r->fd[0]);
	}
	if (r->fd[2] >= 0) {
		check_signalled_once(r->fd[2]);
		close(r->fd[2]);
	}
	close(r->fd[3]);
	r->outcomes[r->iter & 1]++;
}

TEST(attached_eventfd_closed_vs_cancel_or_close)
{
	struct race *r = race_new();

	*r = (struct race){
		.name = "attached_eventfd_closed_vs_cancel_or_close",
		.setup = setup_eventfd_closed,
		.a = a_close_eventfd,
		.b = b_cancel_or_close,
		.check = check_eventfd_closed,
		.outcome = { "vs-cancel", "vs-close" },
	};
	run_race(r);
}

/*
 * Two cancels with different causes, from two threads through two fds of
 * the same owner file: both succeed, exactly one cause wins, and the
 * context, its child and a watcher all report that one.
 */
static void setup_two_owner_fds(struct race *r)
{
	r->fd[0] = create(dev());
	r->fd[1] = dup(r->fd[0]);
	ASSERT_GE(r->fd[1], 0);
	r->fd[2] = create(r->fd[0]);
	r->fd[3] = watch(r->fd[2]);
}

static void b_cancel(struct race *r)
{
	r->ret_b = kt_cancel(r->fd[1], CAUSE_B, UC_B);
	r->err_b = errno;
}

static void check_one_cause(struct race *r, pid_t a_pid, pid_t b_pid)
{
	struct kctx_state st = kt_state(r->fd[0]);
	int k;

	ASSERT_EQ(r->ret_a, 0);
	ASSERT_EQ(r->ret_b, 0);
	ASSERT_TRUE(st.cause == CAUSE_A || st.cause == CAUSE_B);
	if (st.cause == CAUSE_A) {
		check_done(r->fd[0], CAUSE_A, true, UC_A);
		check_done(r->fd[2], CAUSE_A, true, UC_A);
		check_done(r->fd[3], CAUSE_A, true, UC_A);
		ASSERT_EQ(kt_state(r->fd[3]).canceller_pid, a_pid);
		r->outcomes[0]++;
	} else {
		check_done(r->fd[0], CAUSE_B, true, UC_B);
		check_done(r->fd[2], CAUSE_B, true, UC_B);
		check_done(r->fd[3], CAUSE_B, true, UC_B);
		ASSERT_EQ(kt_state(r->fd[3]).canceller_pid, b_pid);
		r->outcomes[1]++;
	}
	for (k = 0; k < 4; k++)
		if (r->fd[k] >= 0)
			close(r->fd[k]);
}

static void check_one_cause_threads(struct race *r)
{
	check_one_cause(r, getpid(), getpid());
}

TEST(concurrent_cancels_from_two_threads)
{
	struct race *r = race_new();

	*r = (struct race){
		.name = "concurrent_cancels_from_two_threads",
		.setup = setup_two_owner_fds,
		.a = a_cancel,
		.b = b_cancel,
		.check = check_one_cause_threads,
		.outcome = { "A-won", "B-won" },
	};
	run_race(r);
}

/*
 * The same from two processes: the other process gets the owner fd over
 * SCM_RIGHTS each iteration. The canceller's pid names the winner.
 */
static void setup_send_owner(struct race *r)
{
	r->fd[0] = create(dev());
	r->fd[1] = -1;
	r->fd[2] = create(r->fd[0]);
	r->fd[3] = watch(r->fd[2]);
	kt_send_fd(r->sock[0], r->fd[0]);
}

static void b_recv_owner(struct race *r)
{
	r->fd[5] = kt_recv_fd(r->sock[1]);
}

static void b_cancel_received(struct race *r)
{
	r->ret_b = kt_cancel(r->fd[5], CAUSE_B, UC_B);
	r->err_b = errno;
}

static void b_close_received(struct race *r)
{
	close(r->fd[5]);
}

static void check_one_cause_processes(struct race *r)
{
	check_one_cause(r, getpid(), r->b_pid);
}

TEST(concurrent_cancels_from_two_processes)
{
	struct race *r = race_new();

	*r = (struct race){
		.name = "concurrent_cancels_from_two_processes",
		.setup = setup_send_owner,
		.a = a_cancel,
		.b_prep = b_recv_owner,
		.b = b_cancel_received,
		.b_post = b_close_received,
		.check = check_one_cause_processes,
		.b_in_process = true,
		.outcome = { "A-won", "B-won" },
	};
	ASSERT_EQ(socketpair(AF_UNIX, SOCK_STREAM, 0, r->sock), 0);
	run_race(r);
}

/*
 * A parent's cancel against a deadline below it: P (a cancel context) has
 * a deadline child D, and D a cancel child G. Side A cancels P. D's
 * relative deadline is drawn over the span the sides' offsets sweep (from
 * a whole op of B before the start of A's cancel to a whole op of A after
 * it), so D times out before, during and after the cancel. When the
 * cancel returns, every descendant of P is done, G included, even if D
 * timed out first and its own walk down to G has not run yet. G is done
 * with -ETIMEDOUT (D's deadline reached it first) or with P's cause, and
 * with -ETIMEDOUT only if D timed out. Side B reads G's state meanwhile:
 * live, or done as it stays.
 */
static void setup_deadline_under_parent(struct race *r)
{
	int64_t in = r->avg_lead + (int64_t)(rnd() % (uint64_t)(r->avg_a + r->avg_b + 1)) -
		     r->avg_b;

	r->fd[0] = create(dev());
	r->t_setup = kt_now_ns();
	r->fd[1] = kt_timeout(r->fd[0], in > 0 ? in : 0);
	ASSERT_GE(r->fd[1], 0);
	r->fd[2] = create(r->fd[1]);
	r->fd[3] = watch(r->fd[2]);
}

static void a_cancel_parent_then_look(struct race *r)
{
	r->lead = kt_now_ns() - r->t_setup;
	r->ret_a = kt_cancel(r->fd[0], CAUSE_A, UC_A);
	r->err_a = errno;
	/* G, the moment the cancel of its grandparent has returned. */
	r->st_a = kt_state(r->fd[3]);
}

static void b_look_at_grandchild(struct race *r)
{
	r->st_b = (struct kctx_state){ .size = sizeof(r->st_b) };
	r->ret_b = ioctl(r->fd[2], KCTX_IOC_STATE, &r->st_b);
	r->err_b = errno;
}

/* @what is done, timed out or cancelled by side A. */
static void check_timed_out_or_cancelled(const struct kctx_state *st, const char *what,
					 long iter)
{
	bool timed_out = st->err == -ETIMEDOUT;

	if (!(st->state & KCTX_STATE_DONE))
		KT_FAIL("iteration %ld: %s is live once the cancel of P has returned", iter, what);
	if (timed_out ? st->cause != -ETIMEDOUT || (st->state & KCTX_STATE_USER_CAUSE) ||
			st->canceller_pid :
			st->err != -ECANCELED || st->cause != CAUSE_A ||
			!(st->state & KCTX_STATE_USER_CAUSE) || st->user_cause != UC_A ||
			st->canceller_pid != getpid())
		KT_FAIL("iteration %ld: %s has err %d, cause %d, user cause %d/%#llx, "
			"canceller %d; neither D's deadline nor P's cancel", iter, what, st->err,
			st->cause, !!(st->state & KCTX_STATE_USER_CAUSE),
			(unsigned long long)st->user_cause, st->canceller_pid);
}

static void check_deadline_vs_parent_cancel(struct race *r)
{
	struct kctx_state d, g;
	int k;

	ASSERT_EQ(r->ret_a, 0);
	ASSERT_EQ(r->ret_b, 0);
	check_done(r->fd[0], CAUSE_A, true, UC_A);
	check_timed_out_or_cancelled(&r->st_a, "G", r->iter);
	d = kt_state(r->fd[1]);
	check_timed_out_or_cancelled(&d, "D", r->iter);
	/* Only D's deadline times G out. */
	if (r->st_a.err == -ETIMEDOUT && d.err != -ETIMEDOUT)
		KT_FAIL("iteration %ld: G timed out, D has err %d", r->iter, d.err);
	/* G stays as it was when the cancel returned; B saw it live or so. */
	g = kt_state(r->fd[2]);
	ASSERT_EQ(g.err, r->st_a.err);
	ASSERT_EQ(g.cause, r->st_a.cause);
	if (r->st_b.state & KCTX_STATE_DONE) {
		ASSERT_EQ(r->st_b.err, r->st_a.err);
		ASSERT_EQ(r->st_b.cause, r->st_a.cause);
	} else {
		ASSERT_EQ(r->st_b.err, 0);
		ASSERT_EQ(r->st_b.cause, 0);
	}
	if (r->st_a.err == -ETIMEDOUT)
		r->outcomes[0]++;
	else if (d.err == -ETIMEDOUT)
		r->outcomes[2]++;
	else
		r->outcomes[1]++;
	r->avg_lead = (r->avg_lead * 15 + r->lead) / 16;
	for (k = 0; k < 4; k++)
		close(r->fd[k]);
}

TEST(deadline_vs_parent_cancel)
{
	struct race *r = race_new();

	*r = (struct race){
		.name = "deadline_vs_parent_cancel",
		.setup = setup_deadline_under_parent,
		.a = a_cancel_parent_then_look,
		.b = b_look_at_grandchild,
		.check = check_deadline_vs_parent_cancel,
		.outcome = { "deadline-first", "cancel-first", "D-timed-out-G-cancelled" },
	};
	run_race(r);
}
