// SPDX-License-Identifier: MIT
/*
 * worker-pool: graceful shutdown of a pool of workers through a context.
 *
 * The shape of Go's job processor: workers take jobs from a queue until
 * the pool's context is done; each job runs under a child context with a
 * deadline of its own, so a slow job is cut off alone, and a shutdown cuts
 * off every job at once. SIGINT or SIGTERM shuts the pool down, and so
 * does the end of the demo (--for).
 *
 *	worker-pool [--workers N] [--for MS]	defaults: 4 workers, 400 ms
 *
 * Jobs "work" by waiting on their context for a while: job i takes
 * 10 + 30 * (i % 5) ms against a 100 ms budget, so every fifth job times
 * out. A real job would poll its context's fd next to its own fds.
 * Exits 0 when every worker stopped within 500 ms of the shutdown.
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/signalfd.h>

#include <kctx.h>

#define JOB_BUDGET_NS	100000000ull
#define MAX_WORKERS	64

struct pool {
	kctx_t *ctx;			/* the pool's lifetime */
	int jobs;			/* eventfd (semaphore): queued jobs */
	pthread_mutex_t lock;
	int next_job, done, timed_out, aborted;
};

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* One job, under a context of its own: its budget, and the pool's. */
static void run_job(struct pool *p, int id, int worker)
{
	int64_t work_ns = (10 + 30 * (id % 5)) * 1000000ll;
	kctx_t *job;
	int r;

	if (kctx_with_timeout(p->ctx, JOB_BUDGET_NS, &job))
		return;
	/* The work: done when it is done, or when the context says stop. */
	r = kctx_wait(job, work_ns);
	pthread_mutex_lock(&p->lock);
	if (r == -ETIMEDOUT) {
		p->done++;
	} else if (kctx_err(p->ctx)) {
		p->aborted++;
		printf("worker %d: job %d aborted: %s\n", worker, id, kctx_strerror(kctx_err(job)));
	} else {
		p->timed_out++;
		printf("worker %d: job %d over budget: %s\n", worker, id,
		       kctx_strerror(kctx_err(job)));
	}
	pthread_mutex_unlock(&p->lock);
	kctx_free(job);
}

struct worker {
	struct pool *pool;
	int id;
	pthread_t thread;
};

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	struct pool *p = w->pool;
	struct pollfd fds[2] = {
		{ .fd = kctx_fd(p->ctx), .events = POLLIN },	/* shutdown */
		{ .fd = p->jobs, .events = POLLIN },		/* work */
	};
	uint64_t one;
	int id;

	for (;;) {
		if (poll(fds, 2, -1) < 0)
			continue;
		if (fds[0].revents)
			break;		/* <-ctx.Done() */
		if (read(p->jobs, &one, sizeof(one)) != sizeof(one))
			continue;	/* another worker took it */
		pthread_mutex_lock(&p->lock);
		id = p->next_job++;
		pthread_mutex_unlock(&p->lock);
		run_job(p, id, w->id);
	}
	return NULL;
}

int main(int argc, char **argv)
{
	int nworkers = 4, for_ms = 400, i, sfd, r;
	struct worker workers[MAX_WORKERS];
	struct pool p = { .lock = PTHREAD_MUTEX_INITIALIZER };
	struct pollfd fds[2];
	uint64_t one = 1;
	int64_t t_cancel, took;
	sigset_t sigs;
	kctx_t *bg;

	for (i = 1; i + 1 < argc; i += 2) {
		if (!strcmp(argv[i], "--workers"))
			nworkers = atoi(argv[i + 1]);
		else if (!strcmp(argv[i], "--for"))
			for_ms = atoi(argv[i + 1]);
	}
	if (nworkers < 1 || nworkers > MAX_WORKERS) {
		fprintf(stderr, "worker-pool: --workers wants 1..%d\n", MAX_WORKERS);
		return 2;
	}

	/* Signals are read, not handled: every thread blocks them. */
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGINT);
	sigaddset(&sigs, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &sigs, NULL);
	sfd = signalfd(-1, &sigs, SFD_CLOEXEC);
	p.jobs = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK | EFD_SEMAPHORE);
	r = kctx_background(&bg);
	if (!r)
		r = kctx_with_cancel(bg, &p.ctx);
	if (r || sfd < 0 || p.jobs < 0) {
		fprintf(stderr, "worker-pool: %s\n", r ? kctx_strerror(r) : strerror(errno));
		return 1;
	}
	kctx_free(bg);

	for (i = 0; i < nworkers; i++) {
		workers[i] = (struct worker){ .pool = &p, .id = i };
		pthread_create(&workers[i].thread, NULL, worker_main, &workers[i]);
	}
	/* Plenty of work: more than the pool can finish in time. */
	for (i = 0; i < 1000; i++)
		if (write(p.jobs, &one, sizeof(one)) != sizeof(one))
			break;
	printf("worker-pool: %d workers, shutting down in %d ms or on SIGINT/SIGTERM\n",
	       nworkers, for_ms);

	fds[0] = (struct pollfd){ .fd = sfd, .events = POLLIN };
	fds[1] = (struct pollfd){ .fd = kctx_fd(p.ctx), .events = POLLIN };
	if (poll(fds, 2, for_ms) > 0 && fds[0].revents) {
		struct signalfd_siginfo si;

		if (read(sfd, &si, sizeof(si)) == sizeof(si))
			printf("worker-pool: signal %u\n", si.ssi_signo);
	}
	/* cancel(): every worker and every job in flight sees it at once. */
	t_cancel = now_ms();
	kctx_cancel_cause(p.ctx, -ESHUTDOWN);
	for (i = 0; i < nworkers; i++)
		pthread_join(workers[i].thread, NULL);
	took = now_ms() - t_cancel;

	printf("worker-pool: all %d workers stopped %lld ms after the cancel; "
	       "%d jobs done, %d over budget, %d aborted\n", nworkers, (long long)took,
	       p.done, p.timed_out, p.aborted);
	kctx_free(p.ctx);
	close(p.jobs);
	close(sfd);
	return took < 500 ? 0 : 1;
}
