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
 * cause -EINTR and passes the signal on.
 *
 * A process group is easy to leave (setsid(), setpgid()), and then the
 * signals miss what left. So where cgroup v2 allows, the command also runs
 * in a cgroup of its own, kctx-run.PID below kctx's own cgroup: the child
 * joins it before exec, so nothing the command starts can be outside it.
 * The first signal still goes to the process group, for the command to
 * clean up; the final kill (--kill-after's, and the one when the command
 * has exited) is cgroup.kill, which misses nothing. kctx then waits until
 * the cgroup is empty (cgroup.events), with a bound, and removes it.
 * Without cgroup2, without the right to write there, or with --no-cgroup,
 * the final kill goes where the first signal went: the process group, or
 * with --foreground (the group is kctx's own) the command alone.
 *
 * When the command exits, what it left behind is killed, and then the
 * context is cancelled, so that what else it started under it (kernel
 * work, processes outside its tree holding the fd) stops too.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
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
"      --no-cgroup       no cgroup for CMD, even where kctx could make one\n"
"  -h, --help            this help\n"
"\n"
"DUR is Go's syntax (1h30m, 1.5s, 250ms) or timeout(1)'s (a number of\n"
"seconds, or one of s, m, h, d after it); 0 means no timeout. When kctx\n"
"gets SIGINT, SIGTERM, SIGHUP or SIGQUIT (unless it was started with the\n"
"signal ignored, as by nohup), it cancels the context (cause -EINTR) and\n"
"passes the signal on to CMD.\n"
"\n"
"CMD runs in a cgroup v2 group of its own where kctx can make one (below\n"
"kctx's own cgroup), else, or with --no-cgroup, only in a process group of\n"
"its own (unless --foreground). The first signal goes to the process group.\n"
"The final KILL (--kill-after's, and the one when CMD has exited) is a\n"
"cgroup.kill where CMD has a cgroup, which stops everything CMD started,\n"
"even what left the process group (setsid); kctx then waits until the group\n"
"is empty and removes it. Without a cgroup, the final KILL goes to the\n"
"process group (to CMD alone with --foreground). So when CMD exits,\n"
"whatever it left running is killed; then the context is cancelled, so\n"
"that what else CMD started under it stops too. kctx is attached to the\n"
"context as a worker (kctx_attach(3)) until CMD's tree is gone, so that\n"
"`kctx cancel --wait` on it waits for that.\n"
"\n"
"Options take their value as --timeout=DUR or --timeout DUR, -t5s or -t 5s.\n"
"\n"
"Exit status: CMD's (128+N if signal N killed it); 124 if the deadline\n"
"passed (137 if CMD then needed KILL); 125 if kctx failed, or on a bad\n"
"command line (as timeout(1)), or if CMD's cgroup did not empty; 126 if\n"
"CMD could not be executed; 127 if CMD was not found.\n";

/* How long CMD's cgroup may take to empty after cgroup.kill. */
#define CGROUP_EMPTY_MS	10000

struct run {
	kctx_t *ctx;
	pid_t child;
	int sig;		/* --signal */
	uint64_t kill_after;	/* --kill-after, ns; 0: never */
	int foreground;
	int timed_out;
	int killed;		/* SIGKILL was sent */
	int64_t kill_at;	/* when to send SIGKILL; 0: not armed */
	/* CMD's cgroup and its files; cg_dir < 0: none, a process group only */
	int cg_dir, cg_procs, cg_kill, cg_events;
	char cg_path[PATH_MAX];
};

static const int term_signals[] = { SIGINT, SIGTERM, SIGHUP, SIGQUIT };

/* Undo mountinfo's octal escapes (\040 for a space), in place. */
static void unescape(char *s)
{
	char *d = s;

	for (; *s; s++) {
		if (s[0] == '\\' && s[1] >= '0' && s[1] <= '3' && s[2] >= '0' && s[2] <= '7' &&
		    s[3] >= '0' && s[3] <= '7') {
			*d++ = (char)((s[1] - '0') << 6 | (s[2] - '0') << 3 | (s[3] - '0'));
			s += 3;
		} else {
			*d++ = *s;
		}
	}
	*d = 0;
}

/*
 * Where kctx's own cgroup is: the "0::PATH" line of /proc/self/cgroup,
 * under a cgroup2 mount of /proc/self/mountinfo whose root holds PATH.
 * -ENOENT without either (no cgroup2, or only v1 hierarchies).
 */
static int own_cgroup_dir(char *buf, size_t len)
{
	char *line = NULL, *path = NULL;
	size_t cap = 0;
	int rc = -ENOENT;
	FILE *f;

	f = fopen("/proc/self/cgroup", "re");
	if (!f)
		return -errno;
	while (getline(&line, &cap, f) > 0)
		if (!strncmp(line, "0::/", 4)) {
			line[strcspn(line, "\n")] = 0;
			path = strdup(line + 3);
			break;
		}
	fclose(f);
	/* "/../x": outside our cgroup namespace, where no mount reaches. */
	if (!path || !strncmp(path, "/..", 3))
		goto out;
	f = fopen("/proc/self/mountinfo", "re");
	if (!f) {
		rc = -errno;
		goto out;
	}
	/* ID PARENT MAJ:MIN ROOT MOUNTPOINT OPTIONS [OPTIONAL...] - FSTYPE ... */
	while (getline(&line, &cap, f) > 0) {
		char *sep = strstr(line, " - "), *field[5], *save = NULL, *rel;
		size_t n;

		if (!sep || strncmp(sep + 3, "cgroup2 ", 8))
			continue;
		*sep = 0;
		for (n = 0; n < 5; n++) {
			field[n] = strtok_r(n ? NULL : line, " ", &save);
			if (!field[n])
				break;
		}
		if (n < 5)
			continue;
		unescape(field[3]);
		unescape(field[4]);
		if (!strcmp(field[3], "/"))
			field[3][0] = 0;
		n = strlen(field[3]);
		if (strncmp(path, field[3], n) || (path[n] && path[n] != '/'))
			continue;
		rel = path + n;
		if (snprintf(buf, len, "%s%s", field[4], strcmp(rel, "/") ? rel : "") < (int)len)
			rc = 0;
		else
			rc = -ENAMETOOLONG;
		break;
	}
	fclose(f);
out:
	free(line);
	free(path);
	return rc;
}

static void close_fd(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

/* Close CMD's cgroup's fds: from here on, CMD has no cgroup to kctx. */
static void cgroup_close(struct run *r)
{
	close_fd(&r->cg_procs);
	close_fd(&r->cg_kill);
	close_fd(&r->cg_events);
	close_fd(&r->cg_dir);
}

/* Remove the empty cgroups below @fd, deepest first (what nested runs left). */
static void rmdir_below(int fd)
{
	struct dirent *e;
	DIR *d;
	int sub;

	fd = dup(fd);
	d = fd >= 0 ? fdopendir(fd) : NULL;
	if (!d) {
		if (fd >= 0)
			close(fd);
		return;
	}
	while ((e = readdir(d))) {
		if (e->d_type != DT_DIR || !strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		sub = openat(dirfd(d), e->d_name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (sub < 0)
			continue;
		rmdir_below(sub);
		close(sub);
		unlinkat(dirfd(d), e->d_name, AT_REMOVEDIR);
	}
	closedir(d);
}

/* Remove CMD's cgroup, and any below it. 0 or -errno; the fds stay open. */
static int cgroup_rmdir(struct run *r)
{
	if (r->cg_dir >= 0)
		rmdir_below(r->cg_dir);
	return rmdir(r->cg_path) ? -errno : 0;
}

/*
 * Make CMD's cgroup, kctx-run.PID below kctx's own, and open what kctx
 * needs of it: cgroup.procs for the child to join, cgroup.kill (Linux
 * 5.14) and cgroup.events. On any failure, nothing is left behind.
 */
static int cgroup_make(struct run *r)
{
	char dir[PATH_MAX];
	int rc;

	rc = own_cgroup_dir(dir, sizeof(dir));
	if (rc)
		return rc;
	if (snprintf(r->cg_path, sizeof(r->cg_path), "%s/kctx-run.%d", dir,
		     (int)getpid()) >= (int)sizeof(r->cg_path))
		return -ENAMETOOLONG;
	/* EEXIST: a killed kctx's with our pid; it is not ours to remove. */
	if (mkdir(r->cg_path, 0755))
		return -errno;
	r->cg_dir = open(r->cg_path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (r->cg_dir >= 0) {
		r->cg_procs = openat(r->cg_dir, "cgroup.procs", O_WRONLY | O_CLOEXEC);
		r->cg_kill = openat(r->cg_dir, "cgroup.kill", O_WRONLY | O_CLOEXEC);
		r->cg_events = openat(r->cg_dir, "cgroup.events", O_RDONLY | O_CLOEXEC);
	}
	if (r->cg_dir < 0 || r->cg_procs < 0 || r->cg_kill < 0 || r->cg_events < 0) {
		rc = -errno;
		cgroup_rmdir(r);
		cgroup_close(r);
		return rc;
	}
	return 0;
}

/*
 * After the fork: did the child get into CMD's cgroup? It says so on
 * @report before exec. If it did not (EBUSY, EOPNOTSUPP, EACCES...), the
 * cgroup goes and CMD has only its process group. Should the child die
 * before saying, rmdir tells: it fails (EBUSY) only if the child got in.
 */
static void cgroup_joined(struct run *r, int report)
{
	ssize_t n;
	int err = -1;

	do
		n = read(report, &err, sizeof(err));
	while (n < 0 && errno == EINTR);
	if (n == sizeof(err) && !err)
		return;
	if (cgroup_rmdir(r) != -EBUSY)
		cgroup_close(r);
}

/*
 * Wait until CMD's cgroup is empty: the kernel notifies a change of
 * cgroup.events as POLLPRI, after which it is read again. -ETIMEDOUT if
 * it is still populated CGROUP_EMPTY_MS later (a process stuck in the
 * kernel, say).
 */
static int cgroup_wait_empty(struct run *r)
{
	int64_t end = monotonic_ns() + (int64_t)CGROUP_EMPTY_MS * 1000000, left;
	struct pollfd pfd = { .fd = r->cg_events, .events = POLLPRI };
	char buf[256];
	ssize_t n;

	for (;;) {
		/* Reading it arms the next notification: read, then poll. */
		n = pread(r->cg_events, buf, sizeof(buf) - 1, 0);
		if (n < 0)
			return -errno;
		buf[n] = 0;
		if (strstr(buf, "populated 0\n"))
			return 0;
		left = end - monotonic_ns();
		if (left <= 0)
			return -ETIMEDOUT;
		if (poll(&pfd, 1, (int)((left + 999999) / 1000000)) < 0 && errno != EINTR)
			return -errno;
	}
}

/* In the child: the context fd as $KCTX_FD, CMD's cgroup, then CMD. */
static void __attribute__((noreturn)) exec_child(struct run *r, int inherited, int report,
						 char **cmd, const sigset_t *oldmask)
{
	int fd = kctx_fd(r->ctx), err;
	char num[16];

	if (!r->foreground)
		setpgid(0, 0);
	/*
	 * Into the cgroup before exec, so that nothing CMD starts can be
	 * outside it. A report that can't be made reads as EOF there: CMD
	 * does not run, rather than run with the parent unsure of its cgroup.
	 */
	if (r->cg_procs >= 0) {
		err = write(r->cg_procs, "0", 1) == 1 ? 0 : errno;
		if (write(report, &err, sizeof(err)) != sizeof(err))
			_exit(EXIT_INTERNAL);
	}
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

/*
 * The final KILL, at --kill-after and once CMD has exited: cgroup.kill
 * where CMD has a cgroup, as nothing CMD started can have left it; else
 * as signal_cmd() does it (with --foreground CMD alone: its group is
 * kctx's, and a zombie ignores signals).
 */
static void kill_cmd(struct run *r)
{
	if (r->cg_dir >= 0 && write(r->cg_kill, "1", 1) == 1)
		r->killed = 1;
	else
		signal_cmd(r, SIGKILL);
}

/* The context is done: tell CMD, and arm --kill-after. */
static void context_done(struct run *r)
{
	r->timed_out = kctx_err(r->ctx) == -ETIMEDOUT;
	signal_cmd(r, r->sig);
	if (r->kill_after)
		r->kill_at = monotonic_ns() + (int64_t)r->kill_after;
}

/*
 * Wait for CMD, the context and signals; return kctx's exit status. CMD
 * is left a zombie (WNOWAIT), so that until stop_tree() reaps it, its pid
 * and process group id can't be reused by a process we must not kill.
 */
static int supervise(struct run *r, int sfd)
{
	struct pollfd pfd[2] = {
		{ .fd = sfd, .events = POLLIN },
		{ .fd = kctx_fd(r->ctx), .events = POLLIN },
	};
	struct signalfd_siginfo si;
	int done = 0, timeout;
	siginfo_t info;

	for (;;) {
		info.si_pid = 0;
		if (!waitid(P_PID, (id_t)r->child, &info, WEXITED | WNOHANG | WNOWAIT)) {
			if (info.si_pid == r->child)
				break;
		} else if (errno != EINTR) {
			tool_error("waitid: %s", strerror(errno));
			return EXIT_INTERNAL;
		}
		timeout = -1;
		if (r->kill_at && !r->killed) {
			int64_t left = r->kill_at - monotonic_ns();

			if (left <= 0) {
				kill_cmd(r);
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
	return info.si_code == CLD_EXITED ? info.si_status : 128 + info.si_status;
}

/*
 * CMD has exited, or supervise() failed with CMD maybe still running:
 * kill what is left, reap CMD, and where CMD has a cgroup, wait until it
 * is empty and remove it. 0, or EXIT_INTERNAL if the cgroup did not empty
 * or can't be removed (which kctx says).
 */
static int stop_tree(struct run *r)
{
	int st, rc;

	kill_cmd(r);
	while (waitpid(r->child, &st, 0) < 0 && errno == EINTR)
		;
	if (r->cg_dir < 0)
		return 0;
	rc = cgroup_wait_empty(r);
	if (rc == -ETIMEDOUT) {
		tool_error("%s: still populated %d s after cgroup.kill", r->cg_path,
			   CGROUP_EMPTY_MS / 1000);
	} else if (rc) {
		tool_error("%s/cgroup.events: %s", r->cg_path, strerror(-rc));
	} else {
		rc = cgroup_rmdir(r);
		if (rc)
			tool_error("cannot remove %s: %s", r->cg_path, strerror(-rc));
	}
	cgroup_close(r);
	return rc ? EXIT_INTERNAL : 0;
}

enum { OPT_BACKGROUND = 256, OPT_FOREGROUND, OPT_NO_CGROUP };

static const struct option options[] = {
	{ "timeout", required_argument, NULL, 't' },
	{ "signal", required_argument, NULL, 's' },
	{ "kill-after", required_argument, NULL, 'k' },
	{ "background", no_argument, NULL, OPT_BACKGROUND },
	{ "foreground", no_argument, NULL, OPT_FOREGROUND },
	{ "no-cgroup", no_argument, NULL, OPT_NO_CGROUP },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

int cmd_run(int argc, char **argv)
{
	struct run r = {
		.sig = SIGTERM, .child = -1,
		.cg_dir = -1, .cg_procs = -1, .cg_kill = -1, .cg_events = -1,
	};
	uint64_t timeout = 0;
	int background = 0, no_cgroup = 0, inherited = -1, report[2] = { -1, -1 };
	int sfd, i, rc, c;
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
		case OPT_NO_CGROUP:
			no_cgroup = 1;
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
	 * kctx is the worker that stands for CMD's tree, which it outlives:
	 * a cancel-wait on the context waits until that tree is gone. A
	 * context born done refuses it, and CMD is stopped at once anyway.
	 */
	rc = kctx_attach(r.ctx);
	if (rc && rc != kctx_err(r.ctx)) {
		tool_error("cannot attach to the context as its worker: %s", kctx_strerror(rc));
		kctx_free(r.ctx);
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
	/* A cgroup where we can; silently none where we can't. */
	if (!no_cgroup && !cgroup_make(&r) && pipe2(report, O_CLOEXEC)) {
		cgroup_rmdir(&r);
		cgroup_close(&r);
	}
	r.child = fork();
	if (r.child < 0) {
		tool_error("fork: %s", strerror(errno));
		if (r.cg_dir >= 0) {
			cgroup_rmdir(&r);
			cgroup_close(&r);
			close_fd(&report[0]);
			close_fd(&report[1]);
		}
		close(sfd);
		kctx_free(r.ctx);
		return EXIT_INTERNAL;
	}
	if (r.child == 0)
		exec_child(&r, inherited, report[1], argv + i, &oldmask);
	/* As the child does: whichever runs first, the group exists at once. */
	if (!r.foreground)
		setpgid(r.child, r.child);
	if (r.cg_dir >= 0) {
		close(report[1]);
		cgroup_joined(&r, report[0]);
		close(report[0]);
	}

	rc = supervise(&r, sfd);
	rc = stop_tree(&r) ?: rc;
	/*
	 * CMD's tree is gone: CMD is reaped, and nothing it started is left
	 * in its cgroup (or, without one, in its process group). What can
	 * still hold the context is kernel work and processes outside the
	 * tree (the fd sent over a socket, a setsid() without a cgroup): the
	 * cancel is for them. A cancel-wait sees CMD's work done now.
	 */
	kctx_detach(r.ctx);
	kctx_cancel(r.ctx);
	kctx_free(r.ctx);
	close(sfd);
	return rc;
}
