// SPDX-License-Identifier: GPL-2.0
/*
 * ubench: kctx from userspace, through libkctx and the raw ioctls, beside
 * the bare kernel primitives a program would use instead: getppid() for a
 * syscall's round trip, an eventfd for a wake-up, a timerfd for a deadline.
 * Each pair runs in the same VM, one after the other, so their ratio means
 * something even under an emulator. Output: "@bench" lines, as in
 * bench/kernel/bench.h; progress on stderr.
 *
 *   ubench [-reps N] [base] [limits] [late] [calls]
 *
 * base is all of the above, and calls; limits is the uapi at its bounds: the longest
 * single call at the largest tree the per-user cap allows, and a cancel
 * with 10^5 watch-only fds (LargestTree and WatchCancel below). Both by
 * default, limits first, while nothing else is charged to the user. late
 * is base's deadline lateness alone, with its traced parts; calls is
 * base's cancellable-call rows alone (kctx_read() against read()).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include <linux/futex.h>
#include <linux/kctx.h>
#include "kctx.h"

#define MAX_REPS	15
#define CREATE_OPS	100000
#define CHECK_OPS	10000000
#define TRIP_OPS	100000
#define CALL_OPS	65536	/* 1-byte reads of one full 64 KiB pipe */
#define WAKE_SAMPLES	200
#define LATE_SAMPLES	2000
#define LATE_REPS	3
#define LATE_TIMEOUT_NS	(4 * 1000000ULL)
#define LATE_DEPTH	10
#define ASLEEP_WAIT_NS	(5 * 1000000000ULL)
#define VALUE_LOOKUPS	1000
#define WATCH_FDS	100000
#define CAP_PARAM	"/sys/module/kctx/parameters/max_contexts_per_user"
#define IRQSOFF_FILE	"/sys/kernel/debug/kctx_bench/irqsoff"

static unsigned int reps = 5;

static void die(const char *what, int err)
{
	fprintf(stderr, "ubench: %s: %s\n", what, strerror(err < 0 ? -err : err));
	exit(1);
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* Nearest-rank quantile, in thousandths; sorts @v. */
static uint64_t permille(uint64_t *v, uint64_t n, unsigned int pm)
{
	uint64_t rank = (n * pm + 999) / 1000;

	qsort(v, n, sizeof(*v), cmp_u64);
	return v[(rank ? rank : 1) - 1];
}

static uint64_t percentile(uint64_t *v, unsigned int n, unsigned int pct)
{
	return permille(v, n, pct * 10);
}

static void emit(const char *side, const char *name, double value, const char *unit,
		 uint64_t n, unsigned int r)
{
	printf("@bench side=%s name=%s value=%.1f unit=%s n=%llu reps=%u\n",
	       side, name, value, unit, (unsigned long long)n, r);
	fflush(stdout);
}

/* One warm-up, then reps timed runs of @body; report the median per op. */
static void repeat(const char *side, const char *name, uint64_t ops,
		   void (*body)(void *arg), void *arg)
{
	uint64_t ns[MAX_REPS], t0;
	double per_op[MAX_REPS], tmp;
	unsigned int r, i, j;

	fprintf(stderr, "ubench: %s %s\n", side, name);
	for (r = 0; r <= reps; r++) {
		t0 = now_ns();
		body(arg);
		if (r)
			ns[r - 1] = now_ns() - t0;
	}
	for (r = 0; r < reps; r++)
		per_op[r] = (double)ns[r] / ops;
	for (i = 1; i < reps; i++)
		for (j = i; j && per_op[j - 1] > per_op[j]; j--) {
			tmp = per_op[j];
			per_op[j] = per_op[j - 1];
			per_op[j - 1] = tmp;
		}
	emit(side, name, per_op[reps / 2], "ns", ops, reps);
}

static void emit_latency(const char *side, const char *what, uint64_t *lat, unsigned int n)
{
	char name[96];

	snprintf(name, sizeof(name), "%s/p50", what);
	emit(side, name, percentile(lat, n, 50), "ns", n, 1);
	snprintf(name, sizeof(name), "%s/p99", what);
	emit(side, name, percentile(lat, n, 99), "ns", n, 1);
}

static kctx_t *new_child(kctx_t *parent)
{
	kctx_t *ctx;
	int r = kctx_with_cancel(parent, &ctx);

	if (r)
		die("kctx_with_cancel", r);
	return ctx;
}

static void create_cancel_body(void *arg)
{
	kctx_t *child;
	int i;

	for (i = 0; i < CREATE_OPS; i++) {
		child = new_child(arg);
		kctx_cancel(child);
		kctx_free(child);
	}
}

static void check_err_body(void *arg)
{
	volatile int sink = 0;
	int i;

	for (i = 0; i < CHECK_OPS; i++)
		sink += kctx_err(arg);
}

/*
 * CheckCanceled's parts: the status page's err word loaded inline, as
 * C++'s stop_requested() loads its flag, and through an out-of-line call,
 * which is what a library function adds before its own code.
 */
static void check_page_load_body(void *arg)
{
	const int *err = arg;
	volatile int sink = 0;
	int i;

	for (i = 0; i < CHECK_OPS; i++)
		sink += __atomic_load_n(err, __ATOMIC_ACQUIRE);
}

__attribute__((noinline)) static int load_out_of_line(const int *err)
{
	return __atomic_load_n(err, __ATOMIC_ACQUIRE);
}

static void check_page_call_body(void *arg)
{
	volatile int sink = 0;
	int i;

	for (i = 0; i < CHECK_OPS; i++)
		sink += load_out_of_line(arg);
}

/* Go's Done, looked at without blocking. */
static void check_done_body(void *arg)
{
	volatile int sink = 0;
	int i;

	for (i = 0; i < CHECK_OPS; i++)
		sink += kctx_done(arg);
}

static int raw_create(int parent_fd)
{
	struct kctx_create c = { .size = sizeof(c), .kind = KCTX_KIND_CANCEL };
	int fd = ioctl(parent_fd, KCTX_IOC_CREATE, &c);

	if (fd < 0)
		die("KCTX_IOC_CREATE", errno);
	return fd;
}

static void raw_cancel(int fd)
{
	struct kctx_cancel c = { .size = sizeof(c) };

	if (ioctl(fd, KCTX_IOC_CANCEL, &c))
		die("KCTX_IOC_CANCEL", errno);
}

static void trip_kctx_body(void *arg)
{
	int parent_fd = *(int *)arg, fd, i;

	for (i = 0; i < TRIP_OPS; i++) {
		fd = raw_create(parent_fd);
		raw_cancel(fd);
		close(fd);
	}
}

static void trip_state_body(void *arg)
{
	struct kctx_state s = { .size = sizeof(s) };
	int fd = *(int *)arg, i;

	for (i = 0; i < TRIP_OPS; i++)
		if (ioctl(fd, KCTX_IOC_STATE, &s))
			die("KCTX_IOC_STATE", errno);
}

/*
 * The floor under every kctx ioctl: the system call, the fd lookup, the
 * VFS and LSM ioctl paths, and kctx_ioctl()'s first check, which refuses
 * a command number it doesn't know.
 */
static void trip_enotty_body(void *arg)
{
	int fd = *(int *)arg, i;

	for (i = 0; i < TRIP_OPS; i++)
		if (ioctl(fd, _IO(KCTX_TYPE, 0xff), NULL) != -1 || errno != ENOTTY)
			die("ioctl with an unknown command", errno);
}

/* What any fd-making call pays: a file, an fd, and a close that frees them. */
static void trip_eventfd_body(void *arg)
{
	int i, fd;

	(void)arg;
	for (i = 0; i < TRIP_OPS; i++) {
		fd = eventfd(0, EFD_CLOEXEC);
		if (fd < 0)
			die("eventfd", errno);
		close(fd);
	}
}

static void trip_getppid_body(void *arg)
{
	int i;

	(void)arg;
	for (i = 0; i < TRIP_OPS; i++)
		syscall(SYS_getppid);
}

/*
 * kctx_read() on a ready pipe against read(): each run fills a 64 KiB pipe
 * with one write, then reads it a byte at a time. The parts: the done
 * check (kctx_err(), CheckCanceled/Err/live), the RWF_NOWAIT read that
 * kctx_read() makes, and the ppoll() of the pipe and the ctx fd that a
 * poll-first design would add.
 */
struct call_bench {
	kctx_t *ctx;
	int rd, wr;
	char fill[CALL_OPS];
};

static void call_fill(struct call_bench *b)
{
	if (write(b->wr, b->fill, CALL_OPS) != CALL_OPS)
		die("filling the pipe", errno);
}

static void call_read_body(void *arg)
{
	struct call_bench *b = arg;
	char c;
	int i;

	call_fill(b);
	for (i = 0; i < CALL_OPS; i++)
		if (read(b->rd, &c, 1) != 1)
			die("read", errno);
}

static void call_kctx_read_body(void *arg)
{
	struct call_bench *b = arg;
	ssize_t r;
	char c;
	int i;

	call_fill(b);
	for (i = 0; i < CALL_OPS; i++) {
		r = kctx_read(b->ctx, b->rd, &c, 1);
		if (r != 1)
			die("kctx_read", r < 0 ? (int)r : EIO);
	}
}

static void call_nowait_body(void *arg)
{
	struct call_bench *b = arg;
	struct iovec iov;
	char c;
	int i;

	call_fill(b);
	iov.iov_base = &c;
	iov.iov_len = 1;
	for (i = 0; i < CALL_OPS; i++)
		if (preadv2(b->rd, &iov, 1, -1, RWF_NOWAIT) != 1)
			die("preadv2 RWF_NOWAIT", errno);
}

static void call_ppoll_body(void *arg)
{
	struct call_bench *b = arg;
	struct pollfd p[2] = {
		{ .fd = b->rd, .events = POLLIN },
		{ .fd = kctx_fd(b->ctx), .events = POLLIN },
	};
	int i;

	call_fill(b);
	for (i = 0; i < CALL_OPS; i++)
		if (ppoll(p, 2, NULL, NULL) != 1)
			die("ppoll", errno);
	for (i = 0; i < CALL_OPS; i += 4096) {
		char drain[4096];

		if (read(b->rd, drain, sizeof(drain)) != sizeof(drain))
			die("draining the pipe", errno);
	}
}

static void bench_calls(kctx_t *bg)
{
	struct call_bench *b = calloc(1, sizeof(*b));
	int p[2];

	if (!b)
		die("calloc", ENOMEM);
	if (pipe(p))
		die("pipe", errno);
	if (fcntl(p[1], F_SETPIPE_SZ, CALL_OPS) < CALL_OPS)
		die("F_SETPIPE_SZ", errno);
	b->rd = p[0];
	b->wr = p[1];
	b->ctx = new_child(bg);
	repeat("baseline-vm", "Call/read/ready-pipe", CALL_OPS, call_read_body, b);
	repeat("libkctx-vm", "Call/kctx_read/ready-pipe", CALL_OPS, call_kctx_read_body, b);
	repeat("libkctx-vm", "Call/parts/preadv2-nowait", CALL_OPS, call_nowait_body, b);
	repeat("libkctx-vm", "Call/parts/kctx_err", CHECK_OPS, check_err_body, b->ctx);
	repeat("libkctx-vm", "Call/parts/ppoll-ready", CALL_OPS, call_ppoll_body, b);
	kctx_free(b->ctx);
	close(p[0]);
	close(p[1]);
	free(b);
}

/* Wait, with a deadline, until thread @tid sleeps ('S' in its stat). */
static void wait_asleep(pid_t tid)
{
	uint64_t end = now_ns() + ASLEEP_WAIT_NS;
	char path[64], buf[256], *p;
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/self/task/%d/stat", tid);
	for (;;) {
		fd = open(path, O_RDONLY);
		if (fd < 0)
			die(path, errno);
		n = read(fd, buf, sizeof(buf) - 1);
		close(fd);
		buf[n > 0 ? n : 0] = '\0';
		p = strrchr(buf, ')');
		if (p && p[1] == ' ' && p[2] == 'S')
			return;
		if (now_ns() > end)
			die("a waiter that never slept", ETIME);
	}
}

/*
 * A waiter thread sleeps on @wait_fd (epoll on an eventfd, or poll on the
 * context fd); the main thread fires once it sleeps and the waiter notes
 * when it woke.
 */
struct wake {
	int wait_fd;
	bool use_epoll;
	atomic_int armed, woken;
	_Atomic pid_t tid;
	_Atomic uint64_t t_fire;
	uint64_t lat[WAKE_SAMPLES];
};

/*
 * Pin the calling thread to @cpu, if the machine has it. The waker spins
 * while it waits for the waiter; on one CPU the wake-up would wait for
 * the spinner's time slice to end, so each side gets a CPU of its own, as
 * in the kernel's CancelWake.
 */
static void pin_to(int cpu)
{
	cpu_set_t set;

	if (sysconf(_SC_NPROCESSORS_ONLN) <= cpu)
		return;
	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	if (sched_setaffinity(0, sizeof(set), &set))
		die("sched_setaffinity", errno);
}

static void *waiter_fn(void *arg)
{
	struct wake *w = arg;
	struct epoll_event ev = { .events = EPOLLIN };
	int i, ep = -1;

	pin_to(1);
	w->tid = gettid();
	if (w->use_epoll) {
		ep = epoll_create1(0);
		if (ep < 0 || epoll_ctl(ep, EPOLL_CTL_ADD, w->wait_fd, &ev))
			die("epoll", errno);
	}
	for (i = 0; i < WAKE_SAMPLES; i++) {
		while (w->armed <= i)
			;
		if (w->use_epoll) {
			if (epoll_wait(ep, &ev, 1, -1) != 1)
				die("epoll_wait", errno);
		} else {
			struct pollfd p = { .fd = w->wait_fd, .events = POLLIN };

			if (poll(&p, 1, -1) != 1)
				die("poll", errno);
		}
		w->lat[i] = now_ns() - w->t_fire;
		w->woken++;
	}
	if (ep >= 0)
		close(ep);
	return NULL;
}

/* @arm makes sample i ready to fire and returns the fd the waiter waits on next. */
static void run_wake(const char *side, const char *what, bool use_epoll,
		     int (*arm)(int i, void *arg), void (*fire)(int i, void *arg), void *arg)
{
	struct wake w = { .use_epoll = use_epoll };
	pthread_t t;
	int i;

	fprintf(stderr, "ubench: %s %s\n", side, what);
	pin_to(0);
	w.wait_fd = arm(0, arg);
	if (pthread_create(&t, NULL, waiter_fn, &w))
		die("pthread_create", errno);
	while (!w.tid)
		;
	for (i = 0; i < WAKE_SAMPLES; i++) {
		if (i)
			w.wait_fd = arm(i, arg);
		w.armed++;
		wait_asleep(w.tid);
		w.t_fire = now_ns();
		fire(i, arg);
		while (w.woken <= i)
			;
	}
	pthread_join(t, NULL);
	emit_latency(side, what, w.lat, WAKE_SAMPLES);
}

/* The baseline: one eventfd, written and drained each sample. */
static int efd_arm(int i, void *arg)
{
	int efd = *(int *)arg;
	uint64_t v;

	if (i && read(efd, &v, sizeof(v)) != sizeof(v))
		die("eventfd read", errno);
	return efd;
}

static void efd_fire(int i, void *arg)
{
	uint64_t one = 1;

	(void)i;
	if (write(*(int *)arg, &one, sizeof(one)) != sizeof(one))
		die("eventfd write", errno);
}

/*
 * kctx: a fresh context per sample. The epoll waiter holds one eventfd,
 * so each context is attached to that same eventfd.
 */
struct kctx_wake {
	kctx_t *bg;
	kctx_t *ctx[WAKE_SAMPLES];
	int efd;		/* -1: poll the context fd itself */
};

static int kctx_arm(int i, void *arg)
{
	struct kctx_attach_eventfd a = { .size = sizeof(a) };
	struct kctx_wake *k = arg;
	uint64_t v;

	k->ctx[i] = new_child(k->bg);
	if (k->efd < 0)
		return kctx_fd(k->ctx[i]);
	if (i && read(k->efd, &v, sizeof(v)) != sizeof(v))
		die("eventfd read", errno);
	a.eventfd = k->efd;
	if (ioctl(kctx_fd(k->ctx[i]), KCTX_IOC_ATTACH_EVENTFD, &a))
		die("KCTX_IOC_ATTACH_EVENTFD", errno);
	return k->efd;
}

static void kctx_fire(int i, void *arg)
{
	struct kctx_wake *k = arg;
	int r = kctx_cancel(k->ctx[i]);

	if (r)
		die("kctx_cancel", r);
}

static void bench_wake(kctx_t *bg)
{
	struct kctx_wake k = { .bg = bg };
	int efd[2], i;

	/* Each run starts from an unsignalled eventfd of its own. */
	for (i = 0; i < 2; i++) {
		efd[i] = eventfd(0, EFD_CLOEXEC);
		if (efd[i] < 0)
			die("eventfd", errno);
	}
	run_wake("baseline-vm", "CancelWake/eventfd-epoll", true, efd_arm, efd_fire, &efd[0]);
	k.efd = efd[1];
	run_wake("libkctx-vm", "CancelWake/eventfd-epoll", true, kctx_arm, kctx_fire, &k);
	for (i = 0; i < WAKE_SAMPLES; i++)
		kctx_free(k.ctx[i]);
	k.efd = -1;
	run_wake("libkctx-vm", "CancelWake/poll-fd", false, kctx_arm, kctx_fire, &k);
	for (i = 0; i < WAKE_SAMPLES; i++)
		kctx_free(k.ctx[i]);
	close(efd[0]);
	close(efd[1]);
}

/*
 * Interrupting a thread blocked where no fd reaches it, a futex wait: by
 * the cancel of a context it is bound to (kctx_bind_thread()), against a
 * pthread_kill() of the same signal from another thread. Each sample binds
 * a fresh context before the waiter sleeps; only the interrupt is timed.
 */
struct intr {
	bool kctx;
	kctx_t *bg;
	kctx_t *ctx[WAKE_SAMPLES];
	pthread_t th;
	_Atomic uint32_t word;
	atomic_int ready, bound, woken;	/* samples the context is made for, bound, done */
	_Atomic pid_t tid;
	_Atomic uint64_t t_fire;
	uint64_t lat[WAKE_SAMPLES];
};

static void intr_nothing(int sig)
{
	(void)sig;
}

static void *intr_waiter(void *arg)
{
	struct intr *w = arg;
	int i, r;

	pin_to(1);
	w->tid = gettid();
	for (i = 0; i < WAKE_SAMPLES; i++) {
		while (w->ready <= i)
			;
		if (w->kctx) {
			r = kctx_bind_thread(w->ctx[i], SIGURG);
			if (r)
				die("kctx_bind_thread", r);
		}
		w->bound++;	/* the main thread fires once this thread sleeps */
		if (syscall(SYS_futex, &w->word, FUTEX_WAIT_PRIVATE, 0, NULL, NULL, 0) != -1 ||
		    errno != EINTR)
			die("futex wait: not interrupted", errno);
		w->lat[i] = now_ns() - w->t_fire;
		kctx_unbind_thread();
		w->woken++;
	}
	return NULL;
}

static void run_intr(const char *side, const char *what, struct intr *w)
{
	struct sigaction sa = { .sa_handler = intr_nothing };
	int i;

	fprintf(stderr, "ubench: %s %s\n", side, what);
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGURG, &sa, NULL))	/* no SA_RESTART */
		die("sigaction", errno);
	pin_to(0);
	if (pthread_create(&w->th, NULL, intr_waiter, w))
		die("pthread_create", errno);
	while (!w->tid)
		;
	for (i = 0; i < WAKE_SAMPLES; i++) {
		if (w->kctx)
			w->ctx[i] = new_child(w->bg);
		w->ready++;
		while (w->bound <= i)
			;
		wait_asleep(w->tid);
		w->t_fire = now_ns();
		if (w->kctx)
			kctx_cancel(w->ctx[i]);
		else
			pthread_kill(w->th, SIGURG);
		while (w->woken <= i)
			;
	}
	pthread_join(w->th, NULL);
	emit_latency(side, what, w->lat, WAKE_SAMPLES);
	for (i = 0; w->kctx && i < WAKE_SAMPLES; i++)
		kctx_free(w->ctx[i]);
}

static void bench_interrupt(kctx_t *bg)
{
	static struct intr kill_side, kctx_side;

	run_intr("baseline-vm", "Interrupt/pthread_kill", &kill_side);
	kctx_side.kctx = true;
	kctx_side.bg = bg;
	run_intr("libkctx-vm", "Interrupt/bound-thread", &kctx_side);
}

static uint64_t ts_ns(const struct timespec *ts)
{
	return ts->tv_sec * 1000000000ULL + ts->tv_nsec;
}

static void wait_readable(int fd)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };

	if (poll(&p, 1, -1) != 1)
		die("poll", errno);
}

/* How late a poller of a timerfd set LATE_TIMEOUT_NS ahead wakes. */
static uint64_t late_timerfd(int tfd)
{
	uint64_t deadline = now_ns() + LATE_TIMEOUT_NS;
	struct itimerspec its = {
		.it_value.tv_sec = deadline / 1000000000ULL,
		.it_value.tv_nsec = deadline % 1000000000ULL,
	};

	if (timerfd_settime(tfd, TFD_TIMER_ABSTIME, &its, NULL))
		die("timerfd_settime", errno);
	wait_readable(tfd);
	return now_ns() - deadline;
}

struct late_sample {
	uint64_t root, leaf;		/* ids */
	uint64_t deadline, wake;	/* CLOCK_MONOTONIC */
	int cpu;			/* where the poller woke */
};

static uint64_t ctx_id(kctx_t *ctx)
{
	uint64_t id, parent;
	int r = kctx_id(ctx, &id, &parent);

	if (r)
		die("kctx_id", r);
	return id;
}

/*
 * The same for a kctx deadline, watched at a node @depth levels below the
 * one whose timer fires: the deadline reaches the leaf by propagation.
 * With @s, also the ids of both ends and the times, for late_parts().
 */
static uint64_t late_kctx(kctx_t *bg, unsigned int depth, struct late_sample *s)
{
	kctx_t *chain[LATE_DEPTH + 1];
	struct timespec ts;
	uint64_t wake;
	unsigned int i;
	int r;

	r = kctx_with_timeout(bg, LATE_TIMEOUT_NS, &chain[0]);
	if (r)
		die("kctx_with_timeout", r);
	r = kctx_deadline(chain[0], &ts);
	if (r)
		die("kctx_deadline", r);
	for (i = 1; i <= depth; i++)
		chain[i] = new_child(chain[i - 1]);
	if (s) {
		s->root = ctx_id(chain[0]);
		s->leaf = ctx_id(chain[depth]);
	}
	wait_readable(kctx_fd(chain[depth]));
	wake = now_ns();
	if (s) {
		s->deadline = ts_ns(&ts);
		s->wake = wake;
		s->cpu = sched_getcpu();
	}
	for (i = depth + 1; i-- > 0;)
		kctx_free(chain[i]);
	return wake - ts_ns(&ts);
}

/*
 * DeadlineLateness: timerfd, a kctx deadline and a leaf LATE_DEPTH below
 * one, sample by sample in turn, so that the three see the same host.
 * Each repetition gives each its p50 and p99; the main figure is the
 * median over LATE_REPS repetitions, and each repetition's own figure is
 * there too (/repN), for the spread.
 */
static void bench_lateness(kctx_t *bg)
{
	static const char *const name[3] = {
		"timerfd", "kctx", "kctx-leaf10",
	};
	static const char *const side[3] = { "baseline-vm", "libkctx-vm", "libkctx-vm" };
	static const unsigned int pct[2] = { 50, 99 };
	static uint64_t late[3][LATE_SAMPLES];
	uint64_t fig[3][2][LATE_REPS];
	unsigned int r, i, k, p;
	char what[96];
	int tfd;

	fprintf(stderr, "ubench: DeadlineLateness (timerfd, kctx, a leaf %u below, in turn)\n",
		LATE_DEPTH);
	tfd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC);
	if (tfd < 0)
		die("timerfd_create", errno);
	for (r = 0; r < LATE_REPS; r++) {
		for (i = 0; i < LATE_SAMPLES; i++) {
			late[0][i] = late_timerfd(tfd);
			late[1][i] = late_kctx(bg, 0, NULL);
			late[2][i] = late_kctx(bg, LATE_DEPTH, NULL);
		}
		for (k = 0; k < 3; k++)
			for (p = 0; p < 2; p++) {
				fig[k][p][r] = percentile(late[k], LATE_SAMPLES, pct[p]);
				snprintf(what, sizeof(what), "DeadlineLateness/%s/p%u/rep%u",
					 name[k], pct[p], r + 1);
				emit(side[k], what, fig[k][p][r], "ns", LATE_SAMPLES, 1);
			}
	}
	close(tfd);
	for (k = 0; k < 3; k++)
		for (p = 0; p < 2; p++) {
			snprintf(what, sizeof(what), "DeadlineLateness/%s/p%u", name[k], pct[p]);
			emit(side[k], what, percentile(fig[k][p], LATE_REPS, 50), "ns",
			     LATE_SAMPLES, LATE_REPS);
		}
}

/* ---- where a leaf's lateness goes, from the kernel's trace events ---- */

#define TRACING		"/sys/kernel/tracing/"
#define PARTS_SAMPLES	1000

/* Write @val to the tracefs file @file (emptied first); false if it can't. */
static bool tracing_write(const char *file, const char *val)
{
	char path[128];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), TRACING "%s", file);
	fd = open(path, O_WRONLY | O_TRUNC | O_CLOEXEC);
	if (fd < 0)
		return false;
	n = write(fd, val, strlen(val));
	close(fd);
	return n == (ssize_t)strlen(val);
}

/* kctx_trace.h's events about one node, on CLOCK_MONOTONIC (0: none). */
struct traced {
	uint64_t fire;		/* kctx_deadline: its timer's callback began */
	uint64_t mark;		/* kctx_cancel: it was made done */
	bool mark_in_irq;	/* ...in hard irq: the callback's own walk */
	int mark_cpu;		/* ...on this CPU */
};

/*
 * Read the trace buffer's kctx_deadline and kctx_cancel lines about the
 * ids [@lo, @lo + @n) into @ev. A line reads "COMM-PID [CPU] FLAGS SEC.USEC:
 * EVENT: id=ID ...", where FLAGS has 'h' (or 'H') in hard irq; tracefs
 * gives microseconds.
 */
static void trace_read(uint64_t lo, size_t n, struct traced *ev)
{
	unsigned long long sec, usec, id, cpu;
	char line[512], flags[16], *p, *q;
	FILE *f = fopen(TRACING "trace", "re");
	bool fire;

	if (!f)
		die(TRACING "trace", errno);
	while (fgets(line, sizeof(line), f)) {
		fire = (p = strstr(line, ": kctx_deadline: id="));
		if (!fire && !(p = strstr(line, ": kctx_cancel: id=")))
			continue;
		id = strtoull(strstr(p, "id=") + 3, NULL, 10);
		q = strstr(line, "] ");
		if (!q || q > p || sscanf(q + 2, "%15s %llu.%llu:", flags, &sec, &usec) != 3 ||
		    !(q = strrchr(line, '[')) || q > p || sscanf(q, "[%llu]", &cpu) != 1 ||
		    id < lo || id - lo >= n)
			continue;
		if (fire) {
			ev[id - lo].fire = sec * 1000000000ULL + usec * 1000;
		} else {
			ev[id - lo].mark = sec * 1000000000ULL + usec * 1000;
			ev[id - lo].mark_in_irq = strpbrk(flags, "hH");
			ev[id - lo].mark_cpu = cpu;
		}
	}
	fclose(f);
}

static bool tracing_start(void)
{
	static const char *const setup[][2] = {
		{ "tracing_on", "0" }, { "trace_clock", "mono" }, { "buffer_size_kb", "4096" },
		{ "trace", "" }, { "events/kctx/kctx_deadline/enable", "1" },
		{ "events/kctx/kctx_cancel/enable", "1" }, { "tracing_on", "1" },
	};
	unsigned int i;

	for (i = 0; i < sizeof(setup) / sizeof(setup[0]); i++)
		if (!tracing_write(setup[i][0], setup[i][1]))
			return false;
	return true;
}

static void tracing_stop(void)
{
	tracing_write("tracing_on", "0");
	tracing_write("events/kctx/enable", "0");
}

static void tracing_clear(void)
{
	tracing_write("trace", "");
	tracing_write("trace_clock", "local");
	tracing_write("buffer_size_kb", "1408");
}

/* 0 for a part that came out below zero: microseconds against ns. */
static uint64_t span(uint64_t from, uint64_t to)
{
	return to > from ? to - from : 0;
}

/*
 * DeadlineLateness/kctx-leaf10/parts: where the lateness of a leaf
 * LATE_DEPTH below an expiring deadline goes, traced: the timer's callback
 * begins (fire: from the deadline to kctx:kctx_deadline), the walk reaches
 * the leaf (walk: to the leaf's kctx:kctx_cancel), and its poller runs
 * (wake: to poll()'s return). For the p50 sample and as the mean over the
 * slowest 1% (the tail), with the share of leaves the callback's own walk
 * marked rather than the worker. Each event costs a little, so the parts
 * explain the figure rather than repeat it.
 */
static void late_parts(kctx_t *bg)
{
	/* Shares of the leaves: marked in the callback, woken on another CPU. */
	static const char *const share_name[2] = { "in-callback", "cross-cpu" };
	static const char *const name[3] = { "fire", "walk", "wake" };
	static uint64_t part[3][PARTS_SAMPLES], total[PARTS_SAMPLES], sorted[PARTS_SAMPLES];
	static struct late_sample smp[PARTS_SAMPLES];
	static bool flag[2][PARTS_SAMPLES];
	unsigned int i, k, n = 0, tail = 0, all[2] = { 0 }, in_tail[2] = { 0 };
	uint64_t lo, hi, cut, sum[3] = { 0 };
	struct traced *ev, *root, *leaf;
	char what[96];

	if (!tracing_start()) {
		tracing_stop();
		fprintf(stderr, "ubench: no tracefs with kctx's events: no lateness parts\n");
		return;
	}
	fprintf(stderr, "ubench: DeadlineLateness parts (%u traced leaves)\n", PARTS_SAMPLES);
	for (i = 0; i < PARTS_SAMPLES; i++)
		late_kctx(bg, LATE_DEPTH, &smp[i]);
	tracing_stop();
	lo = smp[0].root;
	hi = smp[PARTS_SAMPLES - 1].leaf;
	ev = calloc(hi - lo + 1, sizeof(*ev));
	if (!ev)
		die("calloc", ENOMEM);
	trace_read(lo, hi - lo + 1, ev);
	tracing_clear();
	for (i = 0; i < PARTS_SAMPLES; i++) {
		root = &ev[smp[i].root - lo];
		leaf = &ev[smp[i].leaf - lo];
		if (!root->fire || !leaf->mark)
			continue;	/* lost: the buffer overran */
		part[0][n] = span(smp[i].deadline, root->fire);
		part[1][n] = span(root->fire, leaf->mark);
		part[2][n] = span(leaf->mark, smp[i].wake);
		total[n] = smp[i].wake - smp[i].deadline;
		flag[0][n] = leaf->mark_in_irq;
		flag[1][n] = leaf->mark_cpu != smp[i].cpu;
		n++;
	}
	if (n < PARTS_SAMPLES / 2)
		die("the trace lost most of the leaves' events", EIO);
	/* The tail first: percentile() sorts, and parts must stay in step. */
	memcpy(sorted, total, n * sizeof(*total));
	cut = permille(sorted, n, 990);
	for (i = 0; i < n; i++) {
		for (k = 0; k < 2; k++)
			all[k] += flag[k][i];
		if (total[i] < cut)
			continue;
		tail++;
		for (k = 0; k < 2; k++)
			in_tail[k] += flag[k][i];
		for (k = 0; k < 3; k++)
			sum[k] += part[k][i];
	}
	for (k = 0; k < 3; k++) {
		snprintf(what, sizeof(what), "DeadlineLateness/kctx-leaf10/parts/%s/tail", name[k]);
		emit("libkctx-vm", what, (double)sum[k] / tail, "ns", tail, 1);
		snprintf(what, sizeof(what), "DeadlineLateness/kctx-leaf10/parts/%s/p50", name[k]);
		emit("libkctx-vm", what, percentile(part[k], n, 50), "ns", n, 1);
	}
	emit("libkctx-vm", "DeadlineLateness/kctx-leaf10/parts/total/p99",
	     percentile(total, n, 99), "ns", n, 1);
	for (k = 0; k < 2; k++) {
		snprintf(what, sizeof(what), "DeadlineLateness/kctx-leaf10/parts/%s", share_name[k]);
		emit("libkctx-vm", what, 100.0 * all[k] / n, "%", n, 1);
		snprintf(what, sizeof(what), "DeadlineLateness/kctx-leaf10/parts/%s/tail",
			 share_name[k]);
		emit("libkctx-vm", what, 100.0 * in_tail[k] / tail, "%", tail, 1);
	}
	free(ev);
}

/*
 * LargestTree: the longest single call at the largest tree the per-user cap
 * allows. The shape is uapi/tests/limits.c's: a root, a value child, a
 * chain down to KCTX_MAX_DEPTH, then children of the root until the cap
 * says ENOSPC. Every create, close, cancel and lookup is timed alone; the
 * figures are the longest of each kind over every repetition.
 */
struct longest {
	uint64_t max, n, room;
	uint64_t *ns;	/* every sample, for the 99.9th percentile */
};

static void longest_add(struct longest *l, uint64_t t0)
{
	uint64_t ns = now_ns() - t0;

	if (ns > l->max)
		l->max = ns;
	if (l->n == l->room) {
		l->room = l->room ? 2 * l->room : 4096;
		l->ns = realloc(l->ns, l->room * sizeof(*l->ns));
		if (!l->ns)
			die("realloc", ENOMEM);
	}
	l->ns[l->n++] = ns;
}

struct tree_calls {
	struct longest create, value, cancel, close_tip, close_root, close_other;
	unsigned int nodes;
};

static void tree_calls_free(struct tree_calls *t)
{
	struct longest *all[] = {
		&t->create, &t->value, &t->cancel, &t->close_tip, &t->close_root, &t->close_other,
	};
	unsigned int i;

	for (i = 0; i < sizeof(all) / sizeof(all[0]); i++)
		free(all[i]->ns);
}

static unsigned int read_cap(void)
{
	unsigned int cap;
	FILE *f = fopen(CAP_PARAM, "r");

	if (!f || fscanf(f, "%u", &cap) != 1)
		die(CAP_PARAM, f ? EINVAL : errno);
	fclose(f);
	return cap;
}

/* Room for @nr more fds than the process has now. */
static void raise_nofile(unsigned int nr)
{
	struct rlimit rl = { nr + 1024, nr + 1024 };

	if (setrlimit(RLIMIT_NOFILE, &rl))
		die("setrlimit(RLIMIT_NOFILE)", errno);
}

static unsigned int tree_build(int dev, int *all, unsigned int room, struct tree_calls *t)
{
	struct kctx_create c = { .size = sizeof(c), .kind = KCTX_KIND_CANCEL };
	struct kctx_create v = {
		.size = sizeof(v), .kind = KCTX_KIND_VALUE, .key = 7, .value = 42,
	};
	unsigned int n = 0;
	uint64_t t0;
	int fd;

	for (;; n++) {
		if (n == room)
			die("the cap lets the tree outgrow its fd array", E2BIG);
		t0 = now_ns();
		fd = ioctl(n == 0 ? dev : n < KCTX_MAX_DEPTH ? all[n - 1] : all[0],
			   KCTX_IOC_CREATE, n == 1 ? &v : &c);
		if (fd < 0 && errno == ENOSPC && n >= KCTX_MAX_DEPTH)
			return n;
		if (fd < 0)
			die("KCTX_IOC_CREATE", errno);
		longest_add(&t->create, t0);
		all[n] = fd;
	}
}

static void timed_close(int fd, struct longest *l)
{
	uint64_t t0 = now_ns();

	if (close(fd))
		die("close", errno);
	longest_add(l, t0);
}

/*
 * One tree: built, looked up at the tip, then either cancelled at the root
 * or ended by closing the root's only owner fd; then closed chain first, so
 * that the tip's close frees the whole chain in one release cascade.
 */
static void tree_rep(int dev, int *all, unsigned int room, struct tree_calls *t,
		     bool cancel_first)
{
	struct kctx_value q = { .size = sizeof(q), .key = 7 };
	unsigned int n, i;
	uint64_t t0;

	n = tree_build(dev, all, room, t);
	if (t->nodes && n != t->nodes)
		die("the largest tree changed size between repetitions", EAGAIN);
	t->nodes = n;
	for (i = 0; i < VALUE_LOOKUPS; i++) {
		t0 = now_ns();
		if (ioctl(all[KCTX_MAX_DEPTH - 1], KCTX_IOC_VALUE, &q) || q.value != 42)
			die("KCTX_IOC_VALUE at the tip", errno);
		longest_add(&t->value, t0);
	}
	if (cancel_first) {
		t0 = now_ns();
		raw_cancel(all[0]);
		longest_add(&t->cancel, t0);
	} else {
		timed_close(all[0], &t->close_root);
	}
	for (i = 1; i < KCTX_MAX_DEPTH - 1; i++)
		timed_close(all[i], &t->close_other);
	timed_close(all[KCTX_MAX_DEPTH - 1], &t->close_tip);
	for (i = KCTX_MAX_DEPTH; i < n; i++)
		timed_close(all[i], &t->close_other);
	if (cancel_first)
		timed_close(all[0], &t->close_other);
}

/*
 * The longest call of a kind, and the 99.9th percentile beside it: a
 * longest far above a small p99.9 is one rare stall (the host, or the
 * guest's own softirq work landing in that call), not work the call does
 * every time at this size.
 */
static void emit_longest(const char *what, struct longest *l)
{
	char name[96];

	snprintf(name, sizeof(name), "%s/max", what);
	emit("uapi-vm", name, l->max, "ns", l->n, reps);
	snprintf(name, sizeof(name), "%s/p99.9", what);
	emit("uapi-vm", name, l->n ? permille(l->ns, l->n, 999) : 0, "ns", l->n, reps);
	free(l->ns);
}

static void bench_largest_tree(int dev)
{
	unsigned int cap = read_cap(), r;
	struct longest floor = {};
	struct tree_calls t = {};
	uint64_t t0, n;
	int *all;

	fprintf(stderr, "ubench: LargestTree (cap %u)\n", cap);
	if (cap < KCTX_MAX_DEPTH + 1 || cap > (1U << 20))
		die("LargestTree wants a cap from KCTX_MAX_DEPTH + 1 to 2^20", EINVAL);
	raise_nofile(cap);
	all = calloc(cap + 1, sizeof(*all));
	if (!all)
		die("calloc", ENOMEM);
	/* The first two trees warm up; each rep times one of either ending. */
	for (r = 0; r <= reps; r++) {
		if (!r) {
			struct tree_calls warm = {};

			tree_rep(dev, all, cap + 1, &warm, true);
			tree_rep(dev, all, cap + 1, &warm, false);
			tree_calls_free(&warm);
			continue;
		}
		tree_rep(dev, all, cap + 1, &t, true);
		tree_rep(dev, all, cap + 1, &t, false);
	}
	free(all);
	/* The floor: how long the longest of as many trivial calls takes here. */
	for (n = 0; n < t.create.n; n++) {
		t0 = now_ns();
		syscall(SYS_getppid);
		longest_add(&floor, t0);
	}
	emit("uapi-vm", "LargestTree/nodes", t.nodes, "nodes", t.nodes, reps);
	emit_longest("LargestTree/control-getppid", &floor);
	emit_longest("LargestTree/create", &t.create);
	emit_longest("LargestTree/value-at-tip", &t.value);
	emit_longest("LargestTree/cancel-root", &t.cancel);
	emit_longest("LargestTree/close-root-uncancelled", &t.close_root);
	emit_longest("LargestTree/close-tip", &t.close_tip);
	emit_longest("LargestTree/close-other", &t.close_other);
}

/*
 * WatchCancel: a cancel of a context with WATCH_FDS idle watch-only fds,
 * against one with none, in turns. Each cancel ioctl is timed whole, which
 * bounds from above every interrupts-off stretch inside it; if kctx_bench.ko
 * is loaded, its irqsoff file (bench/kernel/stretch.c) also measures the
 * node-locked part from inside the kernel.
 */
static void irqsoff_arm(int probe, int fd)
{
	char buf[16];
	int len = snprintf(buf, sizeof(buf), "%d", fd);

	if (write(probe, buf, len) != len)
		die("arming " IRQSOFF_FILE, errno);
}

static uint64_t irqsoff_read(int probe)
{
	char buf[32];
	ssize_t n = pread(probe, buf, sizeof(buf) - 1, 0);

	if (n <= 0)
		die("reading " IRQSOFF_FILE, n ? errno : ENODATA);
	buf[n] = '\0';
	return strtoull(buf, NULL, 10);
}

/* One cancel with @nr watch-only fds; the stretch too if @probe >= 0. */
static void watch_cancel(int dev, int probe, int *watch, unsigned int nr,
			 uint64_t *call_ns, uint64_t *stretch_ns)
{
	struct kctx_watch w = { .size = sizeof(w) };
	int fd = raw_create(dev);
	unsigned int i;
	uint64_t t0;

	for (i = 0; i < nr; i++) {
		watch[i] = ioctl(fd, KCTX_IOC_WATCH, &w);
		if (watch[i] < 0)
			die("KCTX_IOC_WATCH", errno);
	}
	if (probe >= 0)
		irqsoff_arm(probe, fd);
	t0 = now_ns();
	raw_cancel(fd);
	*call_ns = now_ns() - t0;
	if (probe >= 0)
		*stretch_ns = irqsoff_read(probe);
	for (i = 0; i < nr; i++)
		close(watch[i]);
	close(fd);
}

static void emit_spread(const char *what, uint64_t *v, unsigned int n)
{
	char name[96];

	snprintf(name, sizeof(name), "%s/p50", what);
	emit("uapi-vm", name, percentile(v, n, 50), "ns", n, 1);
	snprintf(name, sizeof(name), "%s/max", what);
	emit("uapi-vm", name, percentile(v, n, 100), "ns", n, 1);
}

static void bench_watch_cancel(int dev)
{
	uint64_t call[2][MAX_REPS], stretch[2][MAX_REPS], c, st = 0;
	static const unsigned int nr[2] = { 0, WATCH_FDS };
	int *watch, probe = open(IRQSOFF_FILE, O_RDWR | O_CLOEXEC);
	unsigned int r, k;
	char what[64];

	fprintf(stderr, "ubench: WatchCancel (%u watch-only fds)\n", WATCH_FDS);
	if (probe < 0)
		fprintf(stderr, "ubench: no %s (kctx_bench.ko not loaded): no irqsoff figures\n",
			IRQSOFF_FILE);
	raise_nofile(WATCH_FDS);
	watch = calloc(WATCH_FDS, sizeof(*watch));
	if (!watch)
		die("calloc", ENOMEM);
	/* In turns, after one warm-up of each. */
	for (r = 0; r <= reps; r++) {
		for (k = 0; k < 2; k++) {
			watch_cancel(dev, probe, watch, nr[k], &c, &st);
			if (r) {
				call[k][r - 1] = c;
				stretch[k][r - 1] = st;
			}
		}
	}
	free(watch);
	if (probe >= 0)
		close(probe);
	for (k = 0; k < 2; k++) {
		snprintf(what, sizeof(what), "WatchCancel/n=%u/ioctl", nr[k]);
		emit_spread(what, call[k], reps);
		if (probe < 0)
			continue;
		snprintf(what, sizeof(what), "WatchCancel/n=%u/irqsoff", nr[k]);
		emit_spread(what, stretch[k], reps);
	}
}

int main(int argc, char **argv)
{
	bool base = false, limits = false, late = false, calls = false;
	kctx_t *bg, *parent, *done;
	const struct kctx_status *page;
	int i, r, fd, dev;

	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "-reps") && i + 1 < argc)
			reps = atoi(argv[++i]);
		else if (!strcmp(argv[i], "base"))
			base = true;
		else if (!strcmp(argv[i], "limits"))
			limits = true;
		else if (!strcmp(argv[i], "late"))
			late = true;
		else if (!strcmp(argv[i], "calls"))
			calls = true;
		else
			die("usage: ubench [-reps N] [base] [limits] [late] [calls]", EINVAL);
	}
	if (!base && !limits && !late && !calls)
		base = limits = true;
	if (reps < 1 || reps > MAX_REPS)
		die("-reps must be 1 to 15", EINVAL);
	r = kctx_background(&bg);
	if (r)
		die("kctx_background (is kctx.ko loaded?)", r);
	if (limits) {
		/* libkctx hides the device's fd behind the background handle. */
		dev = open(KCTX_DEVICE, O_RDWR | O_CLOEXEC);
		if (dev < 0)
			die(KCTX_DEVICE, errno);
		bench_largest_tree(dev);
		bench_watch_cancel(dev);
		close(dev);
	}
	if (late && !base) {
		bench_lateness(bg);
		late_parts(bg);
	}
	if (calls && !base)
		bench_calls(bg);
	if (!base) {
		kctx_free(bg);
		return 0;
	}
	parent = new_child(bg);
	done = new_child(bg);
	kctx_cancel(done);

	repeat("libkctx-vm", "CreateCancel", CREATE_OPS, create_cancel_body, parent);
	repeat("libkctx-vm", "CheckCanceled/Err/live", CHECK_OPS, check_err_body, parent);
	repeat("libkctx-vm", "CheckCanceled/Err/done", CHECK_OPS, check_err_body, done);
	repeat("libkctx-vm", "CheckCanceled/Done/live", CHECK_OPS, check_done_body, parent);
	repeat("libkctx-vm", "CheckCanceled/Done/done", CHECK_OPS, check_done_body, done);
	page = mmap(NULL, sysconf(_SC_PAGESIZE), PROT_READ, MAP_SHARED, kctx_fd(parent), 0);
	if (page == MAP_FAILED)
		die("mmap of the status page", errno);
	repeat("libkctx-vm", "CheckCanceled/parts/page-load", CHECK_OPS, check_page_load_body,
	       (void *)&page->err);
	repeat("libkctx-vm", "CheckCanceled/parts/call-load", CHECK_OPS, check_page_call_body,
	       (void *)&page->err);
	munmap((void *)page, sysconf(_SC_PAGESIZE));

	fd = kctx_fd(parent);
	repeat("baseline-vm", "RoundTrip/getppid", TRIP_OPS, trip_getppid_body, NULL);
	repeat("baseline-vm", "RoundTrip/eventfd-close", TRIP_OPS, trip_eventfd_body, NULL);
	repeat("libkctx-vm", "RoundTrip/ioctl-enotty", TRIP_OPS, trip_enotty_body, &fd);
	repeat("libkctx-vm", "RoundTrip/state", TRIP_OPS, trip_state_body, &fd);
	repeat("libkctx-vm", "RoundTrip/create-cancel-close", TRIP_OPS, trip_kctx_body, &fd);

	bench_calls(bg);
	bench_wake(bg);
	bench_interrupt(bg);
	bench_lateness(bg);
	late_parts(bg);

	kctx_free(done);
	kctx_free(parent);
	kctx_free(bg);
	return 0;
}
