/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The kctx command-line tool: shared declarations.
 */
#ifndef KCTX_TOOL_H
#define KCTX_TOOL_H

#include <getopt.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#include "kctx.h"

/* Exit statuses, as timeout(1) has them where it has them. */
#define EXIT_USAGE	2	/* bad command line (but kctx run's: 125) */
#define EXIT_TIMEDOUT	124	/* kctx run, kctx wait: the time ran out */
#define EXIT_INTERNAL	125	/* kctx run: kctx itself failed, or its command line */
#define EXIT_CANNOT_RUN	126	/* kctx run: CMD found but not executable */
#define EXIT_NOT_FOUND	127	/* kctx run: CMD not found */

/* The tool's entry point; main() is a one-liner around it. */
int kctx_tool_main(int argc, char **argv);

int cmd_run(int argc, char **argv);
int cmd_tree(int argc, char **argv);

/* util.c */
extern const char *tool_cmd;	/* "kctx run" and so on, for messages */
extern int usage_status;	/* what usage_error() returns: the subcommand's */
void tool_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
int usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
int tool_getopt(int argc, char **argv, const char *shortopts, const struct option *longopts);
const char *option_name(int opt, const struct option *longopts, char *buf, size_t len);
int parse_duration(const char *s, uint64_t *ns);
void format_duration(int64_t ns, char *buf, size_t len);
const char *errno_name(long long err);
int parse_cause(const char *s, int64_t *cause);
void format_cause(int64_t cause, char *buf, size_t len);
int parse_signal(const char *s);
int64_t monotonic_ns(void);

/* Is @arg "--help" or "-h"? */
int is_help(const char *arg);

/* ctxarg.c: CTX arguments, and what `kctx tree` reads from /proc. */
int ctx_open(const char *arg, kctx_t **out);

/* Room for a comm: TASK_COMM_LEN is 16, a kthread's full name up to 64. */
#define CTX_COMM_LEN	64

struct ctx_holder {
	pid_t pid;
	int fd;
	int owner;
	char comm[CTX_COMM_LEN];
};

/*
 * Work attached to a context itself: a process that holds a worker fd
 * (KCTX_IOC_ATTACH), or, from the debugfs tree, a kernel thread or a
 * running after-func.
 */
struct ctx_worker {
	pid_t pid;
	int fd;			/* the worker fd; -1 for kernel work */
	int kthread;
	char state;		/* as in /proc/PID/stat; '?' if unknown */
	char comm[CTX_COMM_LEN];
	char wchan[64];		/* where it sleeps; "" if it doesn't, or unknown */
	char fn[128];		/* an after-func's symbol; "" if none */
	int64_t since_ns;	/* CLOCK_MONOTONIC when it attached */
};

struct ctx_node {
	uint64_t id;
	uint64_t parent_id;	/* 0: unknown (known only from a worker fd) */
	char kind[24];
	int done;
	int err;
	int cause;
	int has_user_cause;
	uint64_t user_cause;
	int has_deadline;
	int64_t deadline_ns;
	int placeholder;	/* no fdinfo: known as a parent, by a worker, or to debugfs */
	int from_debugfs;	/* the fields above are the debugfs tree's */
	int has_age;		/* age_ms, and done_for_ms if done */
	uint32_t age_ms;
	uint32_t done_for_ms;
	int has_workers;
	uint32_t workers;	/* work attached at or below it */
	int leaked;		/* done too long with work still attached */
	int has_creator;
	pid_t creator_pid;	/* 0 once it has exited */
	char creator_comm[CTX_COMM_LEN];
	char site[160];		/* where the kernel made it; "" if not known */
	struct ctx_holder *holders;
	size_t nholders;
	struct ctx_worker *attached;
	size_t nattached;
};

struct ctx_scan {
	struct ctx_node *nodes;
	size_t nnodes;
	size_t unreadable;	/* processes whose fds we may not read */
	int debugfs;		/* the debugfs tree was merged in */
};

int ctx_scan(struct ctx_scan *scan);
void ctx_scan_free(struct ctx_scan *scan);
struct ctx_node *ctx_scan_find(struct ctx_scan *scan, uint64_t id);
struct ctx_node *ctx_scan_get(struct ctx_scan *scan, uint64_t id);
int ctx_node_add_worker(struct ctx_node *n, const struct ctx_worker *w);
int ctx_scan_add_worker(struct ctx_scan *scan, uint64_t id, const struct ctx_worker *w);
void ctx_scan_sort(struct ctx_scan *scan);
void read_comm(pid_t pid, char *comm, size_t len);
void read_task_state(pid_t pid, char *state, char *wchan, size_t len);

#endif /* KCTX_TOOL_H */
