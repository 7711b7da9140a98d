// SPDX-License-Identifier: MIT
/*
 * poll-loop: an epoll event loop that stops when its context is done.
 *
 * The loop serves a timer (standing in for real work: sockets, pipes) and
 * watches two things that end it: the context's fd, readable once the
 * context is done, and SIGINT/SIGTERM, which cancel the context. Ctrl-C and
 * the deadline end the loop the same way, through the context.
 *
 *	poll-loop [TIMEOUT_MS]		default 300
 *
 * Exits 0 when the loop ended because its context was done.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/timerfd.h>

#include <kctx.h>

enum { EV_CTX, EV_TICK, EV_SIGNAL };

static int add(int ep, int fd, uint64_t tag)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.u64 = tag };

	return epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
}

int main(int argc, char **argv)
{
	long timeout_ms = argc > 1 ? atol(argv[1]) : 300;
	struct itimerspec tick = { { 0, 20000000 }, { 0, 20000000 } };
	kctx_t *bg, *ctx;
	int ep, tfd, sfd, r, ticks = 0, running = 1;
	int64_t cause;
	sigset_t sigs;

	r = kctx_background(&bg);
	if (!r)
		r = kctx_with_timeout(bg, (uint64_t)timeout_ms * 1000000, &ctx);
	if (r) {
		fprintf(stderr, "poll-loop: %s\n", kctx_strerror(r));
		return 1;
	}
	kctx_free(bg);

	sigemptyset(&sigs);
	sigaddset(&sigs, SIGINT);
	sigaddset(&sigs, SIGTERM);
	sigprocmask(SIG_BLOCK, &sigs, NULL);
	sfd = signalfd(-1, &sigs, SFD_CLOEXEC);
	tfd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC);
	ep = epoll_create1(EPOLL_CLOEXEC);
	if (sfd < 0 || tfd < 0 || ep < 0 || timerfd_settime(tfd, 0, &tick, NULL) ||
	    add(ep, kctx_fd(ctx), EV_CTX) || add(ep, tfd, EV_TICK) || add(ep, sfd, EV_SIGNAL)) {
		perror("poll-loop");
		return 1;
	}

	printf("poll-loop: serving for up to %ld ms (Ctrl-C stops it sooner)\n", timeout_ms);
	while (running) {
		struct epoll_event ev;
		uint64_t n;

		if (epoll_wait(ep, &ev, 1, -1) < 1) {
			if (errno == EINTR)
				continue;
			perror("epoll_wait");
			return 1;
		}
		switch (ev.data.u64) {
		case EV_TICK:
			if (read(tfd, &n, sizeof(n)) == sizeof(n))
				ticks += (int)n;
			break;
		case EV_SIGNAL: {
			struct signalfd_siginfo si;

			if (read(sfd, &si, sizeof(si)) == sizeof(si)) {
				printf("poll-loop: signal %u: cancelling\n", si.ssi_signo);
				kctx_cancel_cause(ctx, -EINTR);
			}
			break;
		}
		case EV_CTX:
			/* Done: the fd stays readable; leave the loop. */
			running = 0;
			break;
		}
	}

	kctx_cause(ctx, &cause);
	printf("poll-loop: stopped after %d ticks: %s (cause: %s)\n", ticks,
	       kctx_strerror(kctx_err(ctx)), kctx_strerror((int)cause));
	r = kctx_err(ctx) ? 0 : 1;
	kctx_free(ctx);
	close(ep);
	close(tfd);
	close(sfd);
	return r;
}
