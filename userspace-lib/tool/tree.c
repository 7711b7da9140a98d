// SPDX-License-Identifier: GPL-2.0
/*
 * kctx tree: the live contexts that processes here hold fds of.
 *
 * Userspace has no global view of the kernel's tree, and should not: the
 * tree is built from what /proc/PID/fdinfo says about each context fd it
 * may read (its id, its parent's id, its state). A context no fd holds is
 * shown only as the parent of one that is held, by id.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tool.h"

static const char usage[] =
"Usage: kctx tree\n"
"\n"
"Print the tree of live contexts that processes hold fds of, read from\n"
"/proc/PID/fdinfo: for each context its id, kind and state, its\n"
"effective deadline (CLOCK_MONOTONIC, shown as time left), and who holds\n"
"it: pid, command, fd, and whether the fd is an owner or watch-only fd.\n"
"Contexts no fd holds appear only as the parent of one that is held.\n"
"Without root, only your own processes can be read. Name a context in\n"
"`kctx cancel`, `kctx wait` or `kctx show` as @ID or PID:FD.\n"
"\n"
"Exit status: 0; 1 if the kctx module is not loaded or /proc can't be\n"
"read; 2 on a bad command line.\n";

static int by_holder(const void *a, const void *b)
{
	const struct ctx_holder *x = a, *y = b;

	if (x->pid != y->pid)
		return x->pid < y->pid ? -1 : 1;
	return x->fd - y->fd;
}

static void print_state(const struct ctx_node *n, int64_t now)
{
	char buf[64];

	if (n->placeholder) {
		printf(" (held by no fd here)");
		return;
	}
	if (!n->done) {
		printf(" live");
	} else {
		printf(" done: %s", n->err == -ETIMEDOUT ? "deadline exceeded" :
		       n->err == -ECANCELED ? "canceled" : "?");
		if (n->has_user_cause) {
			format_cause((int64_t)n->user_cause, buf, sizeof(buf));
			printf(", cause %s", buf);
		} else if (n->cause != n->err) {
			format_cause(n->cause, buf, sizeof(buf));
			printf(", cause %s", buf);
		}
	}
	if (n->has_deadline) {
		format_duration(n->deadline_ns > now ? n->deadline_ns - now : now - n->deadline_ns,
				buf, sizeof(buf));
		printf(n->deadline_ns > now ? ", deadline in %s" : ", deadline %s ago", buf);
	}
}

static void print_holders(struct ctx_node *n)
{
	size_t i;

	qsort(n->holders, n->nholders, sizeof(n->holders[0]), by_holder);
	for (i = 0; i < n->nholders; i++) {
		const struct ctx_holder *h = &n->holders[i];

		if (!i || h->pid != n->holders[i - 1].pid)
			printf("%s[pid %d %s:", i ? "] " : "  ", (int)h->pid, h->comm);
		else
			printf(",");
		printf(" fd %d %s", h->fd, h->owner ? "owner" : "watch");
	}
	if (n->nholders)
		printf("]");
}

static int is_root(const struct ctx_scan *scan, const struct ctx_node *n)
{
	size_t i;

	if (n->parent_id <= 1)
		return 1;
	for (i = 0; i < scan->nnodes; i++)
		if (scan->nodes[i].id == n->parent_id)
			return 0;
	return 1;
}

/* Print the children of @parent_id (0: the roots) under @prefix. */
static void print_children(struct ctx_scan *scan, uint64_t parent_id, const char *prefix,
			   int64_t now, int depth)
{
	size_t i, last = SIZE_MAX;
	char *sub;

	for (i = 0; i < scan->nnodes; i++)
		if (parent_id ? scan->nodes[i].parent_id == parent_id :
		    is_root(scan, &scan->nodes[i]))
			last = i;
	if (last == SIZE_MAX || depth > 64)
		return;
	for (i = 0; i <= last; i++) {
		struct ctx_node *n = &scan->nodes[i];

		if (parent_id ? n->parent_id != parent_id : !is_root(scan, n))
			continue;
		printf("%s%s%" PRIu64, prefix, i == last ? "`-- " : "|-- ", n->id);
		if (!n->placeholder)
			printf(" %s", n->kind);
		print_state(n, now);
		print_holders(n);
		printf("\n");
		if (asprintf(&sub, "%s%s", prefix, i == last ? "    " : "|   ") < 0)
			return;
		print_children(scan, n->id, sub, now, depth + 1);
		free(sub);
	}
}

int cmd_tree(int argc, char **argv)
{
	struct ctx_scan scan;
	int err;

	if (argc > 1 && is_help(argv[1])) {
		fputs(usage, stdout);
		return 0;
	}
	if (argc > 1 && argv[1][0] == '-')
		return usage_error("unknown option '%s'", argv[1]);
	if (argc > 1)
		return usage_error("unexpected argument '%s'", argv[1]);
	/* Without the module there is nothing to show: say so, not "1 background". */
	if (access("/dev/kctx", F_OK) && errno == ENOENT && access("/sys/module/kctx", F_OK)) {
		tool_error("the kctx module is not loaded (no /dev/kctx, no /sys/module/kctx): "
			   "modprobe kctx");
		return 1;
	}
	if (ctx_scan(&scan)) {
		err = errno;
		tool_error("cannot read /proc: %s", strerror(err));
		return 1;
	}
	printf("1 background\n");
	print_children(&scan, 0, "", monotonic_ns(), 0);
	if (scan.unreadable)
		printf("(%zu processes not readable: run as root to see their contexts)\n",
		       scan.unreadable);
	ctx_scan_free(&scan);
	return 0;
}
