// SPDX-License-Identifier: GPL-2.0
/*
 * pump-demo: userspace cancellation reaching kernel I/O, step by step.
 *
 *  1. make a context tree: a request, a deadline 300 ms away below it, and
 *     a job context below that;
 *  2. start a kernel pump job (kctx_pump.ko) under the job context: a
 *     kernel thread copying a pipe into another pipe;
 *  3. a watcher thread polls an eventfd attached to the job context;
 *  4. the deadline fires: the pump's blocked read breaks and the job ends,
 *     and the watcher wakes.
 *
 * Every step prints when it happened, from the moment the tree was made.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#include "demo.h"
#include "kctx_pump.h"

#define DEADLINE_MS	300

struct watcher {
	int efd;
	double woke_ms;
};

static void *watch(void *arg)
{
	struct watcher *w = arg;
	struct pollfd p = { .fd = w->efd, .events = POLLIN };

	if (poll(&p, 1, 10000) == 1)
		w->woke_ms = since_ms();
	return NULL;
}

int main(void)
{
	struct kctx_create cancel = { .kind = KCTX_KIND_CANCEL };
	struct kctx_create deadline = {
		.kind = KCTX_KIND_DEADLINE,
		.flags = KCTX_CREATE_RELATIVE,
		.deadline_nsec = DEADLINE_MS * 1000000,
	};
	struct kctx_pump_start start = { .size = sizeof(start) };
	struct kctx_pump_wait done = { .size = sizeof(done) };
	struct kctx_attach_eventfd att = { .size = sizeof(att) };
	struct watcher w = { .woke_ms = -1 };
	int dev, req, dl, job, pump, in[2], out[2];
	struct kctx_state st;
	pthread_t watcher;
	char buf[64];
	ssize_t n;

	demo_name = "pump-demo";
	setvbuf(stdout, NULL, _IONBF, 0);
	dev = open_or_die(KCTX_DEVICE, O_RDWR);

	puts("1. a context tree with a deadline");
	t0 = now_ns();
	req = create(dev, cancel, "the request context");
	dl = create(req, deadline, "the deadline context");
	job = create(dl, cancel, "the job context");
	printf("   request  id %llu\n", (unsigned long long)state(req).id);
	printf("   deadline id %llu, %d ms from now\n",
	       (unsigned long long)state(dl).id, DEADLINE_MS);
	printf("   job      id %llu, below the deadline  [%.1f ms]\n",
	       (unsigned long long)state(job).id, since_ms());

	puts("2. a kernel pump job under the job context");
	pump = open_or_die(KCTX_PUMP_DEVICE, O_RDWR);
	if (pipe(in) || pipe(out))
		die("pipe");
	start.ctx_fd = job;
	start.in_fd = in[0];
	start.out_fd = out[1];
	if (ioctl(pump, KCTX_PUMP_IOC_START, &start))
		die("KCTX_PUMP_IOC_START");
	if (write(in[1], "hello from userspace", 20) != 20)
		die("write");
	n = read(out[0], buf, sizeof(buf) - 1);
	buf[n > 0 ? n : 0] = 0;
	printf("   the kernel thread copied \"%s\"; now it blocks reading an empty pipe",
	       buf);
	printf("  [%.1f ms]\n", since_ms());

	puts("3. a watcher polls an eventfd attached to the job context");
	w.efd = eventfd(0, EFD_CLOEXEC);
	att.eventfd = w.efd;
	if (w.efd < 0 || ioctl(job, KCTX_IOC_ATTACH_EVENTFD, &att))
		die("KCTX_IOC_ATTACH_EVENTFD");
	if (pthread_create(&watcher, NULL, watch, &w))
		die("pthread_create");
	printf("   watching  [%.1f ms]\n", since_ms());

	puts("4. the deadline fires");
	if (ioctl(pump, KCTX_PUMP_IOC_WAIT, &done))
		die("KCTX_PUMP_IOC_WAIT");
	printf("   the pump job ended: %s after %llu bytes  [%.1f ms]\n",
	       strerror(-done.err), (unsigned long long)done.bytes, since_ms());
	pthread_join(watcher, NULL);
	printf("   the watcher woke  [%.1f ms]\n", w.woke_ms);
	st = state(job);
	printf("   the job context: err %d (%s), cause %d; the request is still %s\n",
	       st.err, strerror(-st.err), st.cause, state(req).err ? "done" : "live");

	if (done.err != -ETIMEDOUT || w.woke_ms < DEADLINE_MS || st.err != -ETIMEDOUT) {
		fprintf(stderr, "pump-demo: the chain did not end as it should\n");
		return 1;
	}
	return 0;
}
