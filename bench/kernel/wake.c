// SPDX-License-Identifier: GPL-2.0
/*
 * How fast a cancel reaches a sleeper, beside the bare kernel primitive it
 * is built on, how fast it gets a kthread out of a socket read, and how
 * fast a cancel-wait sees a hundred threads out.
 */
#include <linux/completion.h>
#include <linux/delay.h>
#include <linux/in.h>
#include <linux/kctx.h>
#include <linux/kthread.h>
#include <linux/ktime.h>
#include <linux/net.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <net/net_namespace.h>
#include <net/sock.h>

#include "bench.h"

#define WAKE_SAMPLES	200
#define ABORT_SAMPLES	50
#define SLEEP_WAIT_NS	(5 * NSEC_PER_SEC)

/* Report the median and the 99th percentile of @nr latencies in ns. */
static void report_latency(const struct kb_run *run, const char *what, u64 *lat,
			   unsigned int nr)
{
	char name[64];
	u64 p;

	p = kb_percentile(lat, nr, 50) * 10;
	snprintf(name, sizeof(name), "%s/p50", what);
	kb_report(run, name, &p, 1, "ns", nr);
	p = kb_percentile(lat, nr, 99) * 10;
	snprintf(name, sizeof(name), "%s/p99", what);
	kb_report(run, name, &p, 1, "ns", nr);
}

/*
 * Poll, with a deadline, until @task is off its CPU's run state, so that a
 * wake-up measures a real sleeper. 0, or -ETIME if it never slept.
 */
static int wait_asleep(struct task_struct *task)
{
	u64 end = ktime_get_ns() + SLEEP_WAIT_NS;

	while (task_is_running(task)) {
		if (ktime_get_ns() > end)
			return -ETIME;
		cpu_relax();
	}
	return 0;
}

struct wake {
	bool use_kctx;			/* else the bare completion */
	struct kctx *ctx[WAKE_SAMPLES];	/* made beforehand: only the wake is timed */
	struct completion done;
	struct task_struct *waiter;
	atomic_t armed, woken;
	u64 t_fire, lat[WAKE_SAMPLES];
	int err;
};

/*
 * Thread 0 arms a sample and fires it once thread 1 sleeps; thread 1
 * sleeps on it and records how long the wake took. The pair meets in
 * ->armed and ->woken, one step per sample.
 */
static int wake_fn(void *data, unsigned int idx)
{
	struct wake *w = data;
	unsigned int i;

	if (idx == 1)
		WRITE_ONCE(w->waiter, current);
	else
		while (!READ_ONCE(w->waiter))
			cpu_relax();
	for (i = 0; i < WAKE_SAMPLES; i++) {
		if (idx == 1) {
			while (atomic_read(&w->armed) <= i)
				cpu_relax();
			if (w->use_kctx)
				kctx_wait(w->ctx[i]);
			else
				wait_for_completion(&w->done);
			w->lat[i] = ktime_get_ns() - READ_ONCE(w->t_fire);
			atomic_inc(&w->woken);
			continue;
		}
		if (!w->use_kctx)
			reinit_completion(&w->done);
		atomic_inc(&w->armed);
		/* Fire anyway: the waiter must not be left asleep. */
		if (wait_asleep(w->waiter))
			w->err = -ETIME;
		WRITE_ONCE(w->t_fire, ktime_get_ns());
		if (w->use_kctx)
			kctx_cancel(w->ctx[i]);
		else
			complete(&w->done);
		while (atomic_read(&w->woken) <= i)
			cpu_relax();
	}
	return idx ? 0 : w->err;
}

static int bench_cancel_wake(const struct kb_run *run)
{
	unsigned int made = 0;
	struct wake *w;
	int err;

	err = kb_need_cpus(run, "CancelWake", 2);
	if (err)
		return err;
	w = kzalloc(sizeof(*w), GFP_KERNEL);
	if (!w)
		return -ENOMEM;
	init_completion(&w->done);
	err = kb_run_on_cpus(wake_fn, w, 2);
	if (err)
		goto free_w;
	report_latency(run, "CancelWake/completion", w->lat, WAKE_SAMPLES);

	for (; made < WAKE_SAMPLES; made++) {
		w->ctx[made] = kctx_with_cancel(kctx_background(), GFP_KERNEL);
		if (IS_ERR(w->ctx[made])) {
			err = PTR_ERR(w->ctx[made]);
			goto put_ctx;
		}
	}
	atomic_set(&w->armed, 0);
	atomic_set(&w->woken, 0);
	w->waiter = NULL;
	w->use_kctx = true;
	err = kb_run_on_cpus(wake_fn, w, 2);
	if (!err)
		report_latency(run, "CancelWake/kthread", w->lat, WAKE_SAMPLES);
put_ctx:
	while (made--) {
		kctx_cancel(w->ctx[made]);
		kctx_put(w->ctx[made]);
	}
free_w:
	kfree(w);
	return err;
}

static int recv_forever(struct kctx *ctx, void *data)
{
	struct socket *sock = data;
	struct msghdr msg = {};
	struct kvec iov;
	char c;

	iov.iov_base = &c;
	iov.iov_len = 1;
	return kernel_recvmsg(sock, &msg, &iov, 1, 1, 0);
}

static int udp_socket(struct socket **sock)
{
	struct sockaddr_in addr = {
		.sin_family = AF_INET,
		.sin_addr.s_addr = htonl(INADDR_LOOPBACK),
	};
	int err;

	err = sock_create_kern(&init_net, AF_INET, SOCK_DGRAM, IPPROTO_UDP, sock);
	if (err)
		return err;
	err = kernel_bind(*sock, (struct sockaddr *)&addr, sizeof(addr));
	if (err)
		sock_release(*sock);
	return err;
}

/* One kthread blocked in a UDP read: cancel to the thread's return. */
static int abort_recv_once(u64 *lat)
{
	struct task_struct *task;
	struct socket *sock;
	struct kctx *ctx;
	u64 t0;
	int err;

	ctx = kctx_with_cancel(kctx_background(), GFP_KERNEL);
	if (IS_ERR(ctx))
		return PTR_ERR(ctx);
	err = udp_socket(&sock);
	if (err)
		goto put_ctx;
	task = kctx_kthread_run(ctx, recv_forever, sock, "kctx-bench-recv");
	if (IS_ERR(task)) {
		err = PTR_ERR(task);
		goto release_sock;
	}
	err = wait_asleep(task);
	t0 = ktime_get_ns();
	kctx_cancel(ctx);
	kctx_kthread_wait(task);
	*lat = ktime_get_ns() - t0;
release_sock:
	sock_release(sock);
put_ctx:
	kctx_put(ctx);
	return err;
}

static int bench_kthread_abort(const struct kb_run *run)
{
	u64 *lat;
	unsigned int i;
	int err = 0;

	lat = kcalloc(ABORT_SAMPLES, sizeof(*lat), GFP_KERNEL);
	if (!lat)
		return -ENOMEM;
	for (i = 0; i < ABORT_SAMPLES && !err; i++)
		err = abort_recv_once(&lat[i]);
	if (!err)
		report_latency(run, "KthreadAbort/udp_recvmsg", lat, ABORT_SAMPLES);
	kfree(lat);
	return err;
}

/*
 * Graceful shutdown of DRAIN_THREADS sleeping kthreads: kctx_cancel_wait()
 * on the context they are bound to, beside what a driver writes by hand: a
 * flag, a wake-up of the wait queue they sleep on, and a completion per
 * thread to wait for. Timed from the cancel until the last one has left;
 * the two kinds of sample take turns.
 */
#define DRAIN_THREADS	100
#define DRAIN_SAMPLES	15
#define DRAIN_FOREVER_MS	(60 * MSEC_PER_SEC)

struct drain;

struct drain_slot {
	struct drain *d;
	struct completion left;		/* the hand-written shutdown's */
	struct task_struct *task;
};

struct drain {
	wait_queue_head_t wq;
	bool stop;
	struct drain_slot slot[DRAIN_THREADS];
	u64 lat_kctx[DRAIN_SAMPLES], lat_plain[DRAIN_SAMPLES];
};

static int drain_plain_fn(void *data)
{
	struct drain_slot *s = data;

	wait_event_interruptible(s->d->wq, READ_ONCE(s->d->stop));
	complete(&s->left);
	return 0;
}

static int drain_plain_once(struct drain *d, u64 *lat)
{
	unsigned int i, made;
	int err = 0;
	u64 t0;

	d->stop = false;
	for (made = 0; made < DRAIN_THREADS; made++) {
		struct drain_slot *s = &d->slot[made];

		s->d = d;
		init_completion(&s->left);
		s->task = kthread_run(drain_plain_fn, s, "kctx-bench-drain");
		if (IS_ERR(s->task)) {
			err = PTR_ERR(s->task);
			break;
		}
		get_task_struct(s->task);
	}
	for (i = 0; i < made && !err; i++)
		err = wait_asleep(d->slot[i].task);
	t0 = ktime_get_ns();
	WRITE_ONCE(d->stop, true);
	wake_up_all(&d->wq);
	for (i = 0; i < made; i++)
		wait_for_completion(&d->slot[i].left);
	*lat = ktime_get_ns() - t0;
	for (i = 0; i < made; i++) {
		kthread_stop(d->slot[i].task);
		put_task_struct(d->slot[i].task);
	}
	return err;
}

static int drain_bound_fn(struct kctx *ctx, void *data)
{
	msleep_interruptible(DRAIN_FOREVER_MS);
	return kctx_err(ctx);
}

static int drain_kctx_once(struct drain *d, u64 *lat)
{
	struct kctx *ctx = kctx_with_cancel(kctx_background(), GFP_KERNEL);
	unsigned int i, made;
	int err = 0, left;
	u64 t0;

	if (IS_ERR(ctx))
		return PTR_ERR(ctx);
	for (made = 0; made < DRAIN_THREADS; made++) {
		d->slot[made].task = kctx_kthread_run(ctx, drain_bound_fn, NULL,
						      "kctx-bench-drain");
		if (IS_ERR(d->slot[made].task)) {
			err = PTR_ERR(d->slot[made].task);
			break;
		}
	}
	for (i = 0; i < made && !err; i++)
		err = wait_asleep(d->slot[i].task);
	t0 = ktime_get_ns();
	left = kctx_cancel_wait(ctx, 0, 10ULL * NSEC_PER_SEC);
	*lat = ktime_get_ns() - t0;
	for (i = 0; i < made; i++)
		kctx_kthread_wait(d->slot[i].task);
	kctx_put(ctx);
	return err ?: left;
}

static int bench_cancel_wait(const struct kb_run *run)
{
	struct drain *d = kzalloc(sizeof(*d), GFP_KERNEL);
	unsigned int i;
	int err = 0;

	if (!d)
		return -ENOMEM;
	init_waitqueue_head(&d->wq);
	for (i = 0; i < DRAIN_SAMPLES && !err; i++) {
		err = drain_plain_once(d, &d->lat_plain[i]);
		if (!err)
			err = drain_kctx_once(d, &d->lat_kctx[i]);
	}
	if (!err) {
		report_latency(run, "CancelWait/completions", d->lat_plain, DRAIN_SAMPLES);
		report_latency(run, "CancelWait/kctx", d->lat_kctx, DRAIN_SAMPLES);
	}
	kfree(d);
	return err;
}

const struct kb_group kb_wake_groups[] = {
	{ "CancelWake", bench_cancel_wake },
	{ "KthreadAbort", bench_kthread_abort },
	{ "CancelWait", bench_cancel_wait },
};

const unsigned int kb_nr_wake_groups = ARRAY_SIZE(kb_wake_groups);
