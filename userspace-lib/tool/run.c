// SPDX-License-Identifier: GPL-2.0
/*
 * kctx run: run a command under a new context, like timeout(1).
 *
 * The context is a child of $KCTX_FD's when that is set (so runs nest, and
 * cancelling an outer one reaches the inner ones) or of the background.
 * The command gets an owner fd of it, not close-on-exec, named by
 * $KCTX_FD: it and everything it starts, kernel work included, can watch
 * it, derive from it, or cancel it.
 *
 * kctx waits for the command, the context and signals at once (poll on
 * the context fd and a signalfd). When the context is done, at the
 * deadline or because someone cancelled it, the command's process group
 * gets SIGTERM (--signal), and SIGKILL --kill-after later. The command
 * leads a process group of its own (unless --foreground), so that the
 * signal reaches whatever it started and never kctx itself. When kctx gets
 * SIGINT, SIGTERM, SIGHUP or SIGQUIT, it cancels the context with the
 * cause -EINTR and passes the signal on. When the command exits, the
 * context is cancelled: what the command left behind stops too.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/signalfd.h>
#include <sys/wait.h>

#include "tool.h"

static const char usage[] =
"Usage: kctx run [OPTION]... [--] CMD [ARG]...\n"
"\n"
"Run CMD under a new context and exit with its status, like timeout(1).\n"
"CMD finds the context's fd in $KCTX_FD (an owner fd, not close-on-exec).\n"
"The context is a child of $KCTX_FD's context when that is set, so runs\n"
"nest; otherwise of the background.\n"
"\n"
"  -t, --timeout DUR     cancel the context DUR from now (deadline exceeded)\n"
"  -s, --signal SIG      signal CMD's process group gets when the context\n"
"                        is done (default TERM)\n"
"  -k, --kill-after DUR  and then KILL, if CMD still runs DUR later\n"
"      --background      a child of the background even if $KCTX_FD is set\n"
"      --foreground      leave CMD in kctx's process group, so that it can\n"
"                        read the terminal; only CMD itself is signalled\n"
"  -h, --help            this help\n"
"\n"
"DUR is Go's syntax (1h30m, 1.5s, 250ms) or timeout(1)'s (a number of\n"
"seconds, or one of s, m, h, d after it); 0 means no timeout. When kctx\n"
"gets SIGINT, SIGTERM, SIGHUP or SIGQUIT (unless it was started with the\n"
"signal ignored, as by nohup), it cancels the context (cause -EINTR) and\n"
"passes the signal on to CMD. When CMD exits, the context is cancelled,\n"
"so whatever CMD started under it stops too.\n"
"\n"
"Options take their value as --timeout=DUR or --timeout DUR, -t5s or -t 5s.\n"
"\n"
"Exit status: CMD's (128+N if signal N killed it); 124 if the deadline\n"
"passed (137 if CMD then needed KILL); 125 if kctx failed, or on a bad\n"
"command line (as timeout(1)); 126 if CMD could not be executed; 127 if\n"
"CMD was not found.\n";

struct run {
	kctx_t *ctx;
	pid_t child;
	int sig;		/* --signal */
	uint64_t kill_after;	/* --kill-after, ns; 0: never */
	int foreground;
	int timed_out;
	int killed;		/* SIGKILL was sent */
	int64_t kill_at;	/* when to send SIGKILL; 0: not armed */
};

static const int term_signals[] = { SIGINT, SIGTERM, SIGHUP, SIGQUIT };

/* In the child: the context fd as $KCTX_FD, then CMD. */
static void __attribute__((noreturn)) exec_child(struct run *r, int inherited, char **cmd,
						 const sigset_t *oldmask)
{
	int fd = kctx_fd(r->ctx), err;
	char num[16];

	if (!r->foreground)
		setpgid(0, 0);
	if (inherited >= 0 && inherited != fd)
		close(inherited);
	if (fcntl(fd, F_SETFD, 0) < 0)
		goto fail;
	snprintf(num, sizeof(num), "%d", fd);
	if (setenv(KCTX_FD_ENV, num, 1))
		goto fail;
	sigprocmask(SIG_SETMASK, oldmask, NULL);
	execvp(cmd[0], cmd);
fail:
	err = errno;
	tool_error("%s: %s", cmd[0], strerror(err));
	_exit(err == ENOENT ? EXIT_NOT_FOUND : EXIT_CANNOT_RUN);
}

/* Signal CMD: its process group, unless --foreground. */
static void signal_cmd(struct run *r, int sig)
{
	if (r->foreground || kill(-r->child, sig) < 0)
		kill(r->child, sig);
	if (sig == SIGKILL)
		r->killed = 1;
}

/* The context is done: tell CMD, and arm --kill-after. */
static void context_done(struct run *r)
{
	r->timed_out = kctx_err(r->ctx) == -ETIMEDOUT;
	signal_cmd(r, r->sig);
	if (r->kill_after)
		r->kill_at = monotonic_ns() + (int64_t)r->kill_after;
}

static int status_of(int st)
{
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

/* Wait for CMD, the context and signals; return kctx's exit status. */
static int supervise(struct run *r, int sfd)
{
	struct pollfd pfd[2] = {
		{ .fd = sfd, .events = POLLIN },
		{ .fd = kctx_fd(r->ctx), .events = POLLIN },
	};
	struct signalfd_siginfo si;
	int done = 0, st, timeout;
	pid_t w;

	for (;;) {
		w = waitpid(r->child, &st, WNOHANG);
		if (w == r->child)
			break;
		if (w < 0 && errno != EINTR) {
			tool_error("waitpid: %s", strerror(errno));
			return EXIT_INTERNAL;
		}
		timeout = -1;
		if (r->kill_at && !r->killed) {
			int64_t left = r->kill_at - monotonic_ns();

			if (left <= 0) {
				signal_cmd(r, SIGKILL);
				continue;
			}
			timeout = (int)((left + 999999) / 1000000);
		}
		/* Once done, the context fd stays readable: stop polling it. */
		pfd[0].revents = pfd[1].revents = 0;
		if (poll(pfd, done ? 1 : 2, timeout) < 0 && errno != EINTR) {
			tool_error("poll: %s", strerror(errno));
			return EXIT_INTERNAL;
		}
		if (!done && pfd[1].revents) {
			done = 1;
			context_done(r);
		}
		if (!(pfd[0].revents & POLLIN))
			continue;
		if (read(sfd, &si, sizeof(si)) != sizeof(si))
			continue;
		if (si.ssi_signo == SIGCHLD)
			continue;
		kctx_cancel_cause(r->ctx, -EINTR);
		signal_cmd(r, (int)si.ssi_signo);
		if (!done) {
			done = 1;
			if (r->kill_after)
				r->kill_at = monotonic_ns() + (int64_t)r->kill_after;
		}
	}
	if (r->timed_out)
		return r->killed ? 128 + SIGKILL : EXIT_TIMEDOUT;
	return status_of(st);
}

enum { OPT_BACKGROUND = 256, OPT_FOREGROUND };

static const struct option options[] = {
	{ "timeout", required_argument, NULL, 't' },
	{ "signal", required_argument, NULL, 's' },
	{ "kill-after", required_argument, NULL, 'k' },
	{ "background", no_argument, NULL, OPT_BACKGROUND },
	{ "foreground", no_argument, NULL, OPT_FOREGROUND },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

int cmd_run(int argc, char **argv)
{
	struct run r = { .sig = SIGTERM, .child = -1 };
	uint64_t timeout = 0;
	int background = 0, inherited = -1, sfd, i, rc, c;
	size_t j;
	kctx_t *parent;
	sigset_t mask, oldmask;
	const char *env;

	while ((c = tool_getopt(argc, argv, "+:ht:s:k:", options)) != -1) {
		char name[32];

		switch (c) {
		case 'h':
			fputs(usage, stdout);
			return 0;
		case OPT_BACKGROUND:
			background = 1;
			break;
		case OPT_FOREGROUND:
			r.foreground = 1;
			break;
		case 't':
		case 'k':
			if (parse_duration(optarg, c == 't' ? &timeout : &r.kill_after)) {
				usage_error("%s: '%s' is not a duration (e.g. 1.5s, 250ms, 1h30m)",
					    option_name(c, options, name, sizeof(name)), optarg);
				return usage_status;
			}
			break;
		case 's':
			r.sig = parse_signal(optarg);
			if (r.sig < 0) {
				usage_error("--signal: '%s' is not a signal (e.g. TERM, INT, 9)", optarg);
				return usage_status;
			}
			break;
		default:	/* '?': tool_getopt() said what */
			return usage_status;
		}
	}
	i = optind;
	if (i >= argc)
		return usage_error("no command to run");

	env = getenv(KCTX_FD_ENV);
	if (!background && env) {
		rc = kctx_from_env(&parent);
		if (rc) {
			tool_error("%s=%s: %s", KCTX_FD_ENV, env, kctx_strerror(rc));
			return EXIT_INTERNAL;
		}
		inherited = atoi(env);
	} else {
		rc = kctx_background(&parent);
		if (rc) {
			tool_error("cannot open /dev/kctx: %s%s", strerror(-rc),
				   rc == -ENOENT ? " (is the kctx module loaded?)" : "");
			return EXIT_INTERNAL;
		}
	}
	rc = timeout ? kctx_with_timeout(parent, timeout, &r.ctx) :
		kctx_with_cancel(parent, &r.ctx);
	kctx_free(parent);
	if (rc == -EPERM) {
		tool_error("%s=%s is watch-only: no context can derive from it (--background ignores it)",
			   KCTX_FD_ENV, env);
		return EXIT_INTERNAL;
	}
	if (rc) {
		tool_error("cannot create a context: %s", kctx_strerror(rc));
		return EXIT_INTERNAL;
	}

	/*
	 * Signals arrive through sfd from here on; CMD gets the old mask. A
	 * signal we were started with ignored stays ignored (nohup).
	 */
	sigemptyset(&mask);
	sigaddset(&mask, SIGCHLD);
	for (j = 0; j < sizeof(term_signals) / sizeof(term_signals[0]); j++) {
		struct sigaction sa;

		if (!sigaction(term_signals[j], NULL, &sa) && sa.sa_handler != SIG_IGN)
			sigaddset(&mask, term_signals[j]);
	}
	sigprocmask(SIG_BLOCK, &mask, &oldmask);
	sfd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
	if (sfd < 0) {
		tool_error("signalfd: %s", strerror(errno));
		kctx_free(r.ctx);
		return EXIT_INTERNAL;
	}
	r.child = fork();
	if (r.child < 0) {
		tool_error("fork: %s", strerror(errno));
		kctx_free(r.ctx);
		return EXIT_INTERNAL;
	}
	if (r.child == 0)
		exec_child(&r, inherited, argv + i, &oldmask);
	/* As the child does: whichever runs first, the group exists at once. */
	if (!r.foreground)
		setpgid(r.child, r.child);

	rc = supervise(&r, sfd);
	/* CMD is gone: whatever it started under the context stops now. */
	kctx_cancel(r.ctx);
	kctx_free(r.ctx);
	close(sfd);
	return rc;
}
