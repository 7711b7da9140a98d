// SPDX-License-Identifier: GPL-2.0
/*
 * The kctx tool: subcommands, and the small ones (wait, cancel, show).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tool.h"

static const char usage[] =
"Usage: kctx COMMAND [ARG]...\n"
"\n"
"Go-style contexts (cancellation, deadlines, values) from the shell, over\n"
"the kctx kernel module.\n"
"\n"
"  run [OPTION]... [--] CMD...   run CMD under a new context (like timeout(1))\n"
"  wait [--timeout DUR] [CTX]    wait until a context is done\n"
"  cancel [OPTION]... [CTX]      cancel a context (--wait: and its work)\n"
"  show [CTX]                    print a context's state\n"
"  tree                          print the contexts processes here hold\n"
"\n"
"CTX names a context fd: FD (one of this process's, e.g. inherited from\n"
"the shell), PID:FD (another process's, by pidfd_getfd(2)) or @ID (an id\n"
"from `kctx tree`). Without CTX, $KCTX_FD, which `kctx run` sets.\n"
"\n"
"`kctx COMMAND --help` says more; so do kctx(1) and kctx(3).\n";

static const char usage_wait[] =
"Usage: kctx wait [--timeout DUR] [CTX]\n"
"\n"
"Wait until the context CTX (default: $KCTX_FD) is done: cancelled, past\n"
"its deadline, or its last owner fd closed.\n"
"\n"
"  -t, --timeout DUR   give up after DUR (e.g. 1.5s, 250ms, 1h30m)\n"
"\n"
"Exit status: 0 once the context is done; 124 if DUR passed first;\n"
"1 on an error; 2 on a bad command line.\n";

static const char usage_cancel[] =
"Usage: kctx cancel [--cause CAUSE] [--wait DUR] [CTX]\n"
"\n"
"Cancel the context CTX (default: $KCTX_FD) and all its descendants. The\n"
"first cancel wins; cancelling a done context does nothing. CTX must be\n"
"an owner fd. Cancelling a value or without-cancel context does nothing.\n"
"\n"
"  -c, --cause CAUSE   why: an errno (EIO or -5), which kernel work for\n"
"                      the context sees too, or any other 64-bit number,\n"
"                      which only userspace sees (kctx_cause(3))\n"
"  -w, --wait DUR      then wait, up to DUR, until no work is attached to\n"
"                      the context or below it: kernel threads bound to\n"
"                      it, after-funcs running, processes attached as\n"
"                      workers, a `kctx run` under it (kctx_cancel_wait(3));\n"
"                      0 only checks\n"
"\n"
"Exit status: 0 if cancelled (or already done), and with --wait, once\n"
"nothing is attached; 124 if DUR passed first, naming what is still\n"
"attached when the kernel's report is readable (root); 1 on an error,\n"
"e.g. a watch-only CTX; 2 on a bad command line.\n";

static const char usage_show[] =
"Usage: kctx show [CTX]\n"
"\n"
"Print the state of the context CTX (default: $KCTX_FD), one\n"
"\"key: value\" line each: id, parent_id, fd (owner or watch), state\n"
"(live or done), err, cause, canceller (a pid), deadline (CLOCK_MONOTONIC\n"
"ns, and the time left).\n";

/* The most options, besides --help, that a subcommand here takes. */
#define MAX_OPTS 2

/*
 * Parse "[OPTION...] [CTX]": --help, at most one CTX, and the options of
 * @opts (NULL: none; else ended by an empty entry), each taking a value,
 * which goes to the same index of @optvals. 0, -1 after --help, or a usage
 * error's status.
 */
static int parse_ctx_args(int argc, char **argv, const struct option *opts,
			  const char **optvals, const char **ctx, const char *help)
{
	struct option longopts[MAX_OPTS + 2] = { { "help", no_argument, NULL, 'h' } };
	char shortopts[2 + 2 * MAX_OPTS + 1] = ":h";
	size_t n, i;
	int c;

	for (n = 0; opts && opts[n].name; n++) {
		longopts[n + 1] = opts[n];
		shortopts[2 + 2 * n] = (char)opts[n].val;
		shortopts[3 + 2 * n] = ':';
	}
	*ctx = NULL;
	while ((c = tool_getopt(argc, argv, shortopts, longopts)) != -1) {
		if (c == '?')
			return usage_status;
		if (c == 'h') {
			fputs(help, stdout);
			return -1;
		}
		for (i = 0; i < n; i++)
			if (c == opts[i].val)
				optvals[i] = optarg;
	}
	if (optind < argc)
		*ctx = argv[optind++];
	if (optind < argc)
		return usage_error("unexpected argument '%s'", argv[optind]);
	return 0;
}

static int cmd_wait(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "timeout", required_argument, NULL, 't' },
		{ 0 }
	};
	const char *dur = NULL, *arg;
	uint64_t ns = 0;
	kctx_t *ctx;
	int r;

	r = parse_ctx_args(argc, argv, opts, &dur, &arg, usage_wait);
	if (r)
		return r < 0 ? 0 : r;
	if (dur && parse_duration(dur, &ns))
		return usage_error("'%s' is not a duration (e.g. 1.5s, 250ms, 1h30m)", dur);
	r = ctx_open(arg, &ctx);
	if (r)
		return r;
	do
		r = kctx_wait(ctx, dur ? (int64_t)ns : KCTX_WAIT_FOREVER);
	while (r == -EINTR);
	kctx_free(ctx);
	if (r == -ETIMEDOUT)
		return EXIT_TIMEDOUT;
	if (r) {
		tool_error("%s", kctx_strerror(r));
		return 1;
	}
	return 0;
}

/*
 * The stragglers that kctx_cancel_wait() left behind on context @id, from
 * the kernel's report, to stderr; false if that is not readable (it is
 * root's) or is about another wait.
 */
static bool print_stragglers(uint64_t id)
{
	FILE *f = fopen("/sys/kernel/debug/kctx/stragglers", "re");
	char line[512], want[32];
	bool ours = false;

	if (!f)
		return false;
	snprintf(want, sizeof(want), "ctx=%" PRIu64 " ", id);
	if (fgets(line, sizeof(line), f) && !strncmp(line, want, strlen(want))) {
		ours = true;
		while (fgets(line, sizeof(line), f)) {
			line[strcspn(line, "\n")] = '\0';
			tool_error("still attached:%s", line + 1);
		}
	}
	fclose(f);
	return ours;
}

static int cmd_cancel(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "cause", required_argument, NULL, 'c' },
		{ "wait", required_argument, NULL, 'w' },
		{ 0 }
	};
	const char *vals[MAX_OPTS] = { NULL }, *arg;
	const char *cause_arg, *wait_arg;
	uint64_t wait_ns = 0, id = 0, parent_id;
	int64_t cause = 0;
	kctx_t *ctx;
	int r;

	r = parse_ctx_args(argc, argv, opts, vals, &arg, usage_cancel);
	if (r)
		return r < 0 ? 0 : r;
	cause_arg = vals[0];
	wait_arg = vals[1];
	if (cause_arg && parse_cause(cause_arg, &cause))
		return usage_error("'%s' is not a cause: give a number or an errno name (EIO)",
				   cause_arg);
	if (wait_arg && (parse_duration(wait_arg, &wait_ns) || wait_ns > INT64_MAX))
		return usage_error("'%s' is not a duration (e.g. 1.5s, 250ms, 1h30m)", wait_arg);
	r = ctx_open(arg, &ctx);
	if (r)
		return r;
	if (wait_arg) {
		kctx_id(ctx, &id, &parent_id);
		r = kctx_cancel_wait(ctx, cause, (int64_t)wait_ns);
	} else {
		r = kctx_cancel_cause(ctx, cause);
	}
	kctx_free(ctx);
	if (r == -ETIME) {
		tool_error("%s: cancelled, but work is still attached after %s",
			   arg ? arg : "$" KCTX_FD_ENV, wait_arg);
		if (!print_stragglers(id))
			tool_error("as root, /sys/kernel/debug/kctx/stragglers names it");
		return EXIT_TIMEDOUT;
	}
	if (r == -EPERM) {
		tool_error("%s: watch-only; cancelling needs an owner fd",
			   arg ? arg : "$" KCTX_FD_ENV);
		return 1;
	}
	if (r) {
		tool_error("%s", kctx_strerror(r));
		return 1;
	}
	return 0;
}

static int cmd_show(int argc, char **argv)
{
	uint64_t id, parent_id;
	struct timespec dl;
	int64_t cause, d;
	const char *arg;
	char buf[64];
	kctx_t *ctx;
	pid_t pid;
	int r, err;

	r = parse_ctx_args(argc, argv, NULL, NULL, &arg, usage_show);
	if (r)
		return r < 0 ? 0 : r;
	r = ctx_open(arg, &ctx);
	if (r)
		return r;
	r = kctx_id(ctx, &id, &parent_id);
	if (!r) {
		printf("id: %" PRIu64 "\nparent_id: %" PRIu64 "\n", id, parent_id);
		r = kctx_is_owner(ctx);
	}
	if (r >= 0) {
		printf("fd: %s\n", r ? "owner" : "watch");
		err = kctx_err(ctx);
		printf("state: %s\n", err ? "done" : "live");
		format_cause(err, buf, sizeof(buf));
		printf("err: %s\n", buf);
		r = kctx_cause(ctx, &cause);
	}
	if (!r) {
		format_cause(cause, buf, sizeof(buf));
		printf("cause: %s\n", buf);
		r = kctx_canceller(ctx, &pid);
	}
	if (!r) {
		printf("canceller: %d\n", (int)pid);
		r = kctx_deadline(ctx, &dl);
		if (!r) {
			d = (int64_t)dl.tv_sec * 1000000000 + dl.tv_nsec;
			format_duration(d - monotonic_ns(), buf, sizeof(buf));
			printf("deadline: %" PRId64 " (%s from now)\n", d, buf);
		} else if (r == -ENOENT) {
			printf("deadline: none\n");
			r = 0;
		}
	}
	kctx_free(ctx);
	if (r) {
		tool_error("%s", kctx_strerror(r));
		return 1;
	}
	return 0;
}

/* kctx run's usage errors are 125, as timeout(1)'s are, not CMD's own 2. */
static const struct {
	const char *name;
	int (*fn)(int argc, char **argv);
	int usage_status;
} commands[] = {
	{ "run", cmd_run, EXIT_INTERNAL },
	{ "wait", cmd_wait, EXIT_USAGE },
	{ "cancel", cmd_cancel, EXIT_USAGE },
	{ "show", cmd_show, EXIT_USAGE },
	{ "tree", cmd_tree, EXIT_USAGE },
};

int kctx_tool_main(int argc, char **argv)
{
	static char name[32];
	size_t i;

	if (argc < 2)
		return usage_error("no command given");
	if (is_help(argv[1]) || !strcmp(argv[1], "help")) {
		if (argc > 2 && strcmp(argv[1], "help") == 0) {
			char *sub[] = { argv[2], "--help", NULL };

			for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
				if (!strcmp(argv[2], commands[i].name)) {
					optind = 0;	/* a fresh getopt */
					return commands[i].fn(2, sub);
				}
			return usage_error("unknown command '%s'", argv[2]);
		}
		fputs(usage, stdout);
		return 0;
	}
	if (!strcmp(argv[1], "--version")) {
		printf("kctx %s\n", kctx_version());
		return 0;
	}
	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
		if (strcmp(argv[1], commands[i].name))
			continue;
		snprintf(name, sizeof(name), "kctx %s", commands[i].name);
		tool_cmd = name;
		usage_status = commands[i].usage_status;
		optind = 0;	/* a fresh getopt */
		return commands[i].fn(argc - 1, argv + 1);
	}
	if (argv[1][0] == '-')
		return usage_error("unknown option '%s'", argv[1]);
	return usage_error("unknown command '%s'", argv[1]);
}
