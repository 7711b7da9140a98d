// SPDX-License-Identifier: GPL-2.0
/*
 * shutdown-demo: a graceful shutdown across kernel threads and processes.
 *
 *  1. a job context, and under it: a pool of kernel threads (kctx_pump
 *     jobs, each blocked reading an empty pipe), a worker process that
 *     stops when the job is cancelled, and a worker stuck on purpose,
 *     which ignores the cancel;
 *  2. cancel the job and wait, for at most WAIT_MS, until its work stops:
 *     the kernel threads and the good worker leave; the stuck one stays,
 *     so the wait ends with ETIME;
 *  3. the report names the straggler;
 *  4. release it: the wait returns 0, and the job's fd polls HUP.
 *
 * Every step prints when it happened, from the moment the job was made.
 */
#include <fcntl.h>
#include <poll.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "demo.h"
#include "kctx_pump.h"

#define POOL		4
#define WAIT_MS		200
#define STRAGGLERS	"/sys/kernel/debug/kctx/stragglers"

static int cancel_wait(int ctx, unsigned long long wait_ns)
{
	struct kctx_cancel c = { .size = sizeof(c), .flags = KCTX_CANCEL_WAIT, .wait_ns = wait_ns };

	return ioctl(ctx, KCTX_IOC_CANCEL, &c) ? -errno : 0;
}

/* A kernel thread copying an empty pipe for @job; the device fd. */
static int pool_thread(int job)
{
	struct kctx_pump_start s = { .size = sizeof(s), .ctx_fd = job };
	int pump = open_or_die(KCTX_PUMP_DEVICE, O_RDWR), in[2], out[2];

	if (pipe(in) || pipe(out))
		die("pipe");
	s.in_fd = in[0];
	s.out_fd = out[1];
	if (ioctl(pump, KCTX_PUMP_IOC_START, &s))
		die("KCTX_PUMP_IOC_START");
	return pump;
}

/*
 * A worker process named @comm, attached to @job. A good one (@hold NULL)
 * stops when the job is done; the stuck one waits for the write end of
 * the pipe @hold to close instead.
 */
static pid_t worker(int job, const char *comm, const int *hold)
{
	struct kctx_attach a = { .size = sizeof(a) };
	struct pollfd p = { .fd = hold ? hold[0] : job, .events = POLLIN };
	int ready[2];
	pid_t pid;
	char c;

	if (pipe(ready))
		die("pipe");
	pid = fork();
	if (pid < 0)
		die("fork");
	if (pid == 0) {
		if (hold)
			close(hold[1]);
		prctl(PR_SET_NAME, comm);
		if (ioctl(job, KCTX_IOC_ATTACH, &a) < 0)
			die("KCTX_IOC_ATTACH");
		if (write(ready[1], "a", 1) != 1)
			die("write");
		poll(&p, 1, -1);
		printf("   %s (pid %d) stops  [%.1f ms]\n", comm, getpid(), since_ms());
		exit(0);	/* the worker fd closes: it leaves */
	}
	if (read(ready[0], &c, 1) != 1)
		die("attaching the process");
	close(ready[0]);
	close(ready[1]);
	printf("   %s, pid %d, attached  [%.1f ms]\n", comm, pid, since_ms());
	return pid;
}

/* Print the kernel's record of the stragglers; whether it names @comm. */
static int show_stragglers(const char *comm)
{
	char buf[4096], want[32];
	int fd = open_or_die(STRAGGLERS, O_RDONLY);
	ssize_t n;

	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	buf[n > 0 ? n : 0] = 0;
	printf("   %s:\n%s", STRAGGLERS, buf);
	snprintf(want, sizeof(want), "comm=%s ", comm);
	return !!strstr(buf, want);
}

int main(void)
{
	struct kctx_create cancel = { .kind = KCTX_KIND_CANCEL };
	struct kctx_pump_wait w = { .size = sizeof(w) };
	struct pollfd p = { .events = POLLIN };
	int dev, job, pool[POOL], hold[2], i, err, named, ok = 1;
	pid_t good, stuck;

	demo_name = "shutdown-demo";
	setvbuf(stdout, NULL, _IONBF, 0);
	dev = open_or_die(KCTX_DEVICE, O_RDWR);

	puts("1. a job, with kernel threads and processes working for it");
	t0 = now_ns();
	job = create(dev, cancel, "the job context");
	printf("   job id %llu\n", (unsigned long long)state(job).id);
	for (i = 0; i < POOL; i++)
		pool[i] = pool_thread(job);
	printf("   %d kernel threads copy pipes for it  [%.1f ms]\n", POOL, since_ms());
	good = worker(job, "demo-worker", NULL);
	if (pipe(hold))
		die("pipe");
	stuck = worker(job, "demo-stuck", hold);
	close(hold[0]);

	printf("2. cancel the job, and wait up to %d ms for its work to stop\n", WAIT_MS);
	err = cancel_wait(job, WAIT_MS * 1000000ULL);
	printf("   the wait ends: %s  [%.1f ms]\n", err ? strerror(-err) : "all stopped",
	       since_ms());
	for (i = 0; i < POOL; i++) {
		if (ioctl(pool[i], KCTX_PUMP_IOC_WAIT, &w))
			die("KCTX_PUMP_IOC_WAIT");
		ok &= w.err == -ECANCELED;
	}
	printf("   the %d kernel threads ended: %s\n", POOL, strerror(ECANCELED));

	puts("3. the report names what is still attached");
	named = show_stragglers("demo-stuck");

	puts("4. release the straggler, and wait again");
	close(hold[1]);
	ok &= cancel_wait(job, 10000000000ULL) == 0;
	p.fd = job;
	ok &= poll(&p, 1, 0) == 1 && p.revents == (POLLIN | POLLHUP);
	printf("   nothing is attached: the job's fd polls IN|HUP  [%.1f ms]\n", since_ms());
	ok &= waitpid(good, NULL, 0) == good && waitpid(stuck, NULL, 0) == stuck;

	if (err != -ETIME || !named || !ok) {
		fprintf(stderr, "shutdown-demo: the shutdown did not go as it should\n");
		return 1;
	}
	return 0;
}
