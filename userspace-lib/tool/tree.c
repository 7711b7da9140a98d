// SPDX-License-Identifier: GPL-2.0
/*
 * kctx tree: the live contexts that processes here hold fds of, and the
 * work attached to them.
 *
 * Userspace has no global view of the kernel's tree, and should not: the
 * tree is built from what /proc/PID/fdinfo says about each context fd it
 * may read (its id, its parent's id, its state, its age, the work below
 * it, who made it), and about each worker fd (the context a process works
 * for). A context no fd holds is shown only as the parent of one that is
 * held, by id, or as the context of a worker.
 *
 * Root may read more: /sys/kernel/debug/kctx/tree, the kernel's own walk
 * of every linked context. Where it can be read, it adds what no fd shows:
 * the kernel threads and after-funcs attached to each context, where the
 * kernel made each one (site=), and the contexts that no fd holds but that
 * have work attached at or below them, such as the child context that
 * kctx_kthread_run() makes for its thread. Nothing else of it is shown:
 * the tree stays the one that processes here hold, plus the work.
 *
 * The walk sees only what is linked, and a cancel unlinks the contexts it
 * ends; so after the walk the kernel lists the done contexts that still
 * have work attached (the leaks, after the grace), each line with its
 * parent's id, and the work under it. The text says so when the counts
 * show more work than the lines name (debugfs unreadable, say).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tool.h"

#define DEBUGFS_TREE	"/sys/kernel/debug/kctx/tree"

/* The kernel's walk stops after 4096 lines, so no path is longer. */
#define MAX_LEVELS	4097

static const char usage[] =
"Usage: kctx tree [--json]\n"
"\n"
"Print the tree of live contexts that processes hold fds of, read from\n"
"/proc/PID/fdinfo: for each context its id, kind and state, its\n"
"effective deadline (CLOCK_MONOTONIC, shown as time left), its age, how\n"
"long it has been done, who made it (pid and command), how much work is\n"
"attached to it or below it, LEAKED if it has been done for longer than\n"
"the kctx module's leaked_work_grace_ms with work still attached, and who\n"
"holds it: pid, command, fd, and whether the fd is an owner or watch-only\n"
"fd. Under a context, a \"* \" line for each piece of work attached to it:\n"
"a process that holds a worker fd (kctx_attach(3)), with its state and\n"
"where it sleeps (wchan), or a kernel thread or after-func.\n"
"\n"
"Kernel threads, after-funcs, where the kernel made a context, and\n"
"contexts that no fd holds but that have work attached need root and\n"
"debugfs (" DEBUGFS_TREE "). Without them, those are\n"
"left out, and only counted. Contexts no fd holds appear otherwise only as the\n"
"parent of one that is held, or as the context of a worker. Without root,\n"
"only your own processes can be read. Name a context in `kctx cancel`,\n"
"`kctx wait` or `kctx show` as @ID or PID:FD.\n"
"\n"
"      --json   print one JSON object instead, for tools (kctx(1) has it):\n"
"               {\"debugfs\", \"unreadable\", \"contexts\": [{\"id\",\n"
"               \"parent_id\", \"kind\", \"state\", \"err\", \"cause\",\n"
"               \"user_cause\", \"deadline_left_ns\", \"age_ms\",\n"
"               \"done_for_ms\", \"workers\", \"leaked\", \"creator\": {\"pid\",\n"
"               \"comm\"}, \"site\", \"holders\": [{\"pid\", \"comm\", \"fd\",\n"
"               \"owner\"}], \"attached\": [{\"pid\", \"comm\", \"kthread\",\n"
"               \"state\", \"wchan\", \"attached_for_ns\", \"fd\", \"fn\"}]}]};\n"
"               null where a value is unknown or does not apply\n"
"\n"
"Exit status: 0; 1 if the kctx module is not loaded or /proc can't be\n"
"read; 2 on a bad command line.\n";

/* The debugfs tree: parsing */

/* fdinfo's names of the kinds, for the kernel's own. */
static const char *uapi_kind(const char *kind)
{
	if (!strcmp(kind, "user_value"))
		return "value";
	if (!strcmp(kind, "detached"))
		return "without_cancel";
	return kind;
}

static int by_id(const void *a, const void *b)
{
	const struct ctx_node *x = a, *y = b;

	return x->id < y->id ? -1 : x->id > y->id;
}

/* Node @id of @scan, which is sorted by id; NULL if none. */
static struct ctx_node *find_sorted(struct ctx_scan *scan, uint64_t id)
{
	struct ctx_node key = { .id = id };

	if (!scan->nnodes)
		return NULL;
	return bsearch(&key, scan->nodes, scan->nnodes, sizeof(key), by_id);
}

/*
 * One "key=value" word of a context's line into @n. The site is cut off
 * before this, since it may have a space ("func+0x1/0x2 [module]").
 */
static void parse_context_word(struct ctx_node *n, char *word, int64_t now,
			       unsigned int *depth)
{
	char *eq = strchr(word, '=');
	int64_t in;

	if (!strcmp(word, "LEAKED")) {
		n->leaked = 1;
		return;
	}
	if (!eq)
		return;
	*eq++ = 0;
	if (!strcmp(word, "err")) {
		n->err = atoi(eq);
	} else if (!strcmp(word, "cause")) {
		n->cause = atoi(eq);
	} else if (!strcmp(word, "deadline_in_ns") && sscanf(eq, "%" SCNd64, &in) == 1) {
		n->has_deadline = 1;
		n->deadline_ns = now + in;
	} else if (!strcmp(word, "parent")) {
		n->parent_id = strtoull(eq, NULL, 10);
	} else if (!strcmp(word, "depth")) {
		*depth = (unsigned int)strtoul(eq, NULL, 10);
	} else if (!strcmp(word, "age_ms")) {
		n->has_age = 1;
		n->age_ms = (uint32_t)strtoul(eq, NULL, 10);
	} else if (!strcmp(word, "done_for_ms")) {
		n->done_for_ms = (uint32_t)strtoul(eq, NULL, 10);
	} else if (!strcmp(word, "workers")) {
		n->workers = (uint32_t)strtoul(eq, NULL, 10);
	}
}

/*
 * A context's line, "ID KIND live|done [err=E cause=C] [deadline_in_ns=N]
 * ref=R depth=D age_ms=A [done_for_ms=F] [workers=W] [LEAKED] [site=S]",
 * into @n; its depth, or -1 if it is not one.
 */
static int parse_context_line(char *p, struct ctx_node *n, int64_t now)
{
	char kind[24], state[8], *site, *word, *save;
	unsigned int depth = 0;
	int off = 0;

	memset(n, 0, sizeof(*n));
	if (sscanf(p, "%" SCNu64 " %23s %7s%n", &n->id, kind, state, &off) != 3)
		return -1;
	p += off;
	site = strstr(p, " site=");
	if (site) {
		*site = 0;
		snprintf(n->site, sizeof(n->site), "%s", site + 6);
	}
	snprintf(n->kind, sizeof(n->kind), "%s", uapi_kind(kind));
	n->done = !strcmp(state, "done");
	n->placeholder = 1;
	n->from_debugfs = 1;
	/* The kernel counts the work at or below a node: 0 if not said. */
	n->has_workers = 1;
	for (word = strtok_r(p, " ", &save); word; word = strtok_r(NULL, " ", &save))
		parse_context_word(n, word, now, &depth);
	return depth < MAX_LEVELS ? (int)depth : -1;
}

/*
 * A line of work attached to @ctx_id, "ctx=ID pid=P comm=C kthread=K
 * state=S age_ns=A [fn=F]", into @w; 0, or -1 if it is not one, or is not
 * kernel work (userspace workers are found by their fds instead, which
 * name every process that holds one). The comm may hold anything but a
 * NUL, " kthread=..." too: the last such word that parses ends it.
 */
static int parse_work_line(char *p, uint64_t ctx_id, struct ctx_worker *w, int64_t now)
{
	char *comm, *q = NULL, *fn, st = '?', s;
	int kthread = 0, k, off = 0, end = 0, e;
	int64_t age = 0, a;
	uint64_t id;

	memset(w, 0, sizeof(*w));
	if (sscanf(p, "ctx=%" SCNu64 " pid=%d comm=%n", &id, &w->pid, &off) != 2 || !off ||
	    id != ctx_id)
		return -1;
	comm = p + off;
	for (p = comm; (p = strstr(p, " kthread=")); p++) {
		e = 0;
		if (sscanf(p, " kthread=%d state=%c age_ns=%" SCNd64 "%n", &k, &s, &a, &e) != 3 ||
		    (p[e] && p[e] != ' '))
			continue;
		q = p;
		kthread = k;
		st = s;
		age = a;
		end = e;
	}
	if (!q || !kthread)
		return -1;
	fn = strstr(q + end, " fn=");
	if (fn)
		snprintf(w->fn, sizeof(w->fn), "%s", fn + 4);
	*q = 0;
	w->fd = -1;
	w->kthread = 1;
	w->since_ns = now - age;
	/* Fresher than the kernel's line, and a kthread's full name. */
	read_task_state(w->pid, &w->state, w->wchan, sizeof(w->wchan));
	if (w->state == '?')
		w->state = st;
	read_comm(w->pid, w->comm, sizeof(w->comm));
	if (!strcmp(w->comm, "?"))
		snprintf(w->comm, sizeof(w->comm), "%s", comm);
	return 0;
}

/*
 * Add @n to @k, unless it is there already (a done context's line comes
 * once per piece of work that outlived it), and return its index, or a
 * negative errno. Its parent is its parent= or, from an older kernel, the
 * last node one level up in @levels, the ids of the walk's path.
 */
static int add_kernel_node(struct ctx_scan *k, struct ctx_node *n, unsigned int depth,
			   uint64_t *levels)
{
	struct ctx_node *nodes;
	size_t i;

	levels[depth] = n->id;
	if (!depth)
		return -ENOENT;	/* the background root: not a node here */
	if (!n->parent_id)
		n->parent_id = levels[depth - 1];
	for (i = 0; i < k->nnodes; i++)
		if (k->nodes[i].id == n->id)
			return (int)i;
	nodes = realloc(k->nodes, (k->nnodes + 1) * sizeof(*nodes));
	if (!nodes)
		return -ENOMEM;
	k->nodes = nodes;
	nodes[k->nnodes] = *n;
	return (int)k->nnodes++;
}

/*
 * Every context of the debugfs tree into @k, sorted by id, each with the
 * kernel work attached to it. Lines come depth first, so a node's parent
 * is the last node one level up, and its work lines follow it.
 * 0, or a negative errno: -EACCES and kin where it can't be read.
 */
static int read_debugfs(struct ctx_scan *k)
{
	FILE *f = fopen(DEBUGFS_TREE, "re");
	uint64_t *levels;
	struct ctx_worker w;
	struct ctx_node n;
	char line[2048], *p;
	int64_t now = monotonic_ns();
	int depth, cur = -1, r = 0;

	memset(k, 0, sizeof(*k));
	if (!f)
		return -errno;
	levels = calloc(MAX_LEVELS, sizeof(*levels));
	if (!levels) {
		fclose(f);
		return -ENOMEM;
	}
	while (!r && fgets(line, sizeof(line), f)) {
		line[strcspn(line, "\n")] = 0;
		p = line + strspn(line, " ");
		if (!strncmp(p, "ctx=", 4)) {
			if (cur >= 0 && !parse_work_line(p, k->nodes[cur].id, &w, now))
				r = ctx_node_add_worker(&k->nodes[cur], &w);
		} else {
			depth = parse_context_line(p, &n, now);
			cur = -1;
			if (depth < 0 || (depth && !n.parent_id && !levels[depth - 1]))
				continue;
			cur = add_kernel_node(k, &n, (unsigned int)depth, levels);
			if (cur == -ENOMEM)
				r = cur;
		}
	}
	free(levels);
	fclose(f);
	if (r) {
		ctx_scan_free(k);
		return r;
	}
	ctx_scan_sort(k);
	return 0;
}

/* The debugfs tree: merging */

/* What becomes of each of the kernel's contexts in the scan. */
enum { HIDE, ADD, MERGE };

/*
 * Which of the kernel's contexts @k to show: those the scan found, those
 * with work attached at or below them, and the ancestors of all these,
 * for a tree with no gaps. Returns ADD or HIDE for each node of @k, or
 * NULL.
 */
static char *kernel_nodes_to_show(struct ctx_scan *scan, struct ctx_scan *k)
{
	char *show = calloc(k->nnodes + 1, 1);
	struct ctx_node *n, *up;
	size_t i;

	if (!show)
		return NULL;
	for (i = 0; i < k->nnodes; i++) {
		n = &k->nodes[i];
		if (!find_sorted(scan, n->id) && !n->workers && !n->leaked)
			continue;
		show[i] = ADD;
		/* Each node is marked once, so this is one walk over @k in all. */
		while ((up = find_sorted(k, n->parent_id)) && !show[up - k->nodes]) {
			show[up - k->nodes] = ADD;
			n = up;
		}
	}
	return show;
}

/* Add the kernel work attached to @kn to @n's. */
static int append_work(struct ctx_node *n, const struct ctx_node *kn)
{
	struct ctx_worker *ws;

	ws = realloc(n->attached, (n->nattached + kn->nattached + 1) * sizeof(*ws));
	if (!ws)
		return -ENOMEM;
	memcpy(ws + n->nattached, kn->attached, kn->nattached * sizeof(*ws));
	n->attached = ws;
	n->nattached += kn->nattached;
	return 0;
}

/* What the kernel says of @kn into @n, where fdinfo did not say it. */
static int merge_node(struct ctx_node *n, const struct ctx_node *kn)
{
	struct ctx_node fds = *n;

	if (n->placeholder) {
		/* No fdinfo: the kernel's state, with what the fds showed. */
		*n = *kn;
		n->holders = fds.holders;
		n->nholders = fds.nholders;
		n->attached = fds.attached;
		n->nattached = fds.nattached;
		return append_work(n, kn);
	}
	if (!n->has_age && kn->has_age) {
		n->has_age = 1;
		n->age_ms = kn->age_ms;
		n->done_for_ms = kn->done_for_ms;
	}
	if (!n->has_workers) {
		n->has_workers = 1;
		n->workers = kn->workers;
	}
	n->leaked |= kn->leaked;
	snprintf(n->site, sizeof(n->site), "%s", kn->site);
	return append_work(n, kn);
}

/*
 * Merge the debugfs tree into @scan, sorted by id (see the top of this
 * file). 0, or a negative errno, after which @scan is whole, if short of
 * some of the kernel's part.
 */
static int merge_debugfs(struct ctx_scan *scan)
{
	struct ctx_node *nodes, *n;
	struct ctx_scan k;
	size_t i, added = 0;
	char *show;
	int r;

	r = read_debugfs(&k);
	if (r)
		return r;
	show = kernel_nodes_to_show(scan, &k);
	if (!show) {
		ctx_scan_free(&k);
		return -ENOMEM;
	}
	/* Which the scan has, before any is added: @scan is sorted until then. */
	for (i = 0; i < k.nnodes; i++)
		if (show[i] && find_sorted(scan, k.nodes[i].id))
			show[i] = MERGE;
		else if (show[i])
			added++;
	nodes = realloc(scan->nodes, (scan->nnodes + added + 1) * sizeof(*nodes));
	r = nodes ? 0 : -ENOMEM;
	if (nodes)
		scan->nodes = nodes;
	for (i = 0; !r && i < k.nnodes; i++)
		if (show[i] == MERGE)
			r = merge_node(find_sorted(scan, k.nodes[i].id), &k.nodes[i]);
	for (i = 0; !r && i < k.nnodes; i++) {
		if (show[i] != ADD)
			continue;
		n = &scan->nodes[scan->nnodes++];
		memset(n, 0, sizeof(*n));
		n->placeholder = 1;
		r = merge_node(n, &k.nodes[i]);
	}
	free(show);
	ctx_scan_free(&k);
	ctx_scan_sort(scan);
	if (!r)
		scan->debugfs = 1;
	return r;
}

/* Text */

/* @s, with control characters as '?', so that it stays on its line. */
static const char *clean(const char *s, char *buf, size_t len)
{
	size_t i;

	for (i = 0; s[i] && i + 1 < len; i++)
		buf[i] = (unsigned char)s[i] < 0x20 || s[i] == 0x7f ? '?' : s[i];
	buf[i] = 0;
	return buf;
}

static int by_holder(const void *a, const void *b)
{
	const struct ctx_holder *x = a, *y = b;

	if (x->pid != y->pid)
		return x->pid < y->pid ? -1 : 1;
	return x->fd - y->fd;
}

static int by_worker(const void *a, const void *b)
{
	const struct ctx_worker *x = a, *y = b;

	if (x->pid != y->pid)
		return x->pid < y->pid ? -1 : 1;
	return x->fd - y->fd;
}

static void print_state(const struct ctx_node *n, int64_t now)
{
	char buf[64];

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

/* @ms as "250ms" or "9.120s": the kernel counts these in jiffies, not ns. */
static const char *format_ms(uint32_t ms, char *buf, size_t len)
{
	if (ms < 1000)
		snprintf(buf, len, "%" PRIu32 "ms", ms);
	else
		snprintf(buf, len, "%" PRIu32 ".%03" PRIu32 "s", ms / 1000, ms % 1000);
	return buf;
}

/* Its age, the work below it, LEAKED, and who made it. */
static void print_life(const struct ctx_node *n)
{
	char buf[64], comm[CTX_COMM_LEN];

	if (n->has_age) {
		printf(", age %s", format_ms(n->age_ms, buf, sizeof(buf)));
		if (n->done)
			printf(", done %s ago", format_ms(n->done_for_ms, buf, sizeof(buf)));
	}
	if (n->workers)
		printf(", %" PRIu32 " worker%s", n->workers, n->workers == 1 ? "" : "s");
	if (n->leaked)
		printf(" LEAKED");
	clean(n->creator_comm, comm, sizeof(comm));
	if (n->has_creator && n->creator_pid)
		printf(", made by pid %d %s", (int)n->creator_pid, comm);
	else if (n->has_creator)
		printf(", made by %s, exited", comm);
	else if (n->site[0])
		printf(", made at %s", n->site);
}

static void print_holders(struct ctx_node *n)
{
	char comm[CTX_COMM_LEN];
	size_t i;

	qsort(n->holders, n->nholders, sizeof(n->holders[0]), by_holder);
	for (i = 0; i < n->nholders; i++) {
		const struct ctx_holder *h = &n->holders[i];

		if (!i || h->pid != n->holders[i - 1].pid)
			printf("%s[pid %d %s:", i ? "] " : "  ", (int)h->pid,
			       clean(h->comm, comm, sizeof(comm)));
		else
			printf(",");
		printf(" fd %d %s", h->fd, h->owner ? "owner" : "watch");
	}
	if (n->nholders)
		printf("]");
}

/*
 * "* pid 340 sleeper (worker fd 5): S in pipe_read, attached 2.900s", one
 * per piece of work attached to @n itself, under @prefix.
 */
static void print_attached(struct ctx_node *n, const char *prefix, int64_t now)
{
	char comm[CTX_COMM_LEN], buf[64];
	const struct ctx_worker *w;
	size_t i;

	qsort(n->attached, n->nattached, sizeof(n->attached[0]), by_worker);
	for (i = 0; i < n->nattached; i++) {
		w = &n->attached[i];
		printf("%s* pid %d %s (", prefix, (int)w->pid, clean(w->comm, comm, sizeof(comm)));
		if (w->kthread)
			printf("kernel thread%s%s): ", w->fn[0] ? ", fn " : "", w->fn);
		else
			printf("worker fd %d): ", w->fd);
		printf("%c", w->state);
		if (w->wchan[0])
			printf(" in %s", clean(w->wchan, buf, sizeof(buf)));
		format_duration(now - w->since_ns, buf, sizeof(buf));
		printf(", attached %s\n", buf);
	}
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

/* Is @n a child of @parent_id (0: a root of what is shown)? */
static int child_of(const struct ctx_scan *scan, const struct ctx_node *n, uint64_t parent_id)
{
	return parent_id ? n->parent_id == parent_id : is_root(scan, n);
}

static void print_node(struct ctx_node *n, const char *prefix, const char *branch,
		       int64_t now)
{
	printf("%s%s%" PRIu64, prefix, branch, n->id);
	if (!n->nholders)
		printf(" (held by no fd here)");
	if (!n->placeholder || n->from_debugfs) {
		printf(" %s", n->kind);
		print_state(n, now);
		print_life(n);
	}
	print_holders(n);
	printf("\n");
}

/* Print the children of @parent_id (0: the roots) under @prefix. */
static void print_children(struct ctx_scan *scan, uint64_t parent_id, const char *prefix,
			   int64_t now, int depth)
{
	size_t i, j, last = SIZE_MAX;
	int kids;
	char *sub, *work;

	for (i = 0; i < scan->nnodes; i++)
		if (child_of(scan, &scan->nodes[i], parent_id))
			last = i;
	if (last == SIZE_MAX || depth > 64)
		return;
	for (i = 0; i <= last; i++) {
		struct ctx_node *n = &scan->nodes[i];

		if (!child_of(scan, n, parent_id))
			continue;
		print_node(n, prefix, i == last ? "`-- " : "|-- ", now);
		if (asprintf(&sub, "%s%s", prefix, i == last ? "    " : "|   ") < 0)
			return;
		for (kids = 0, j = 0; j < scan->nnodes && !kids; j++)
			kids = scan->nodes[j].parent_id == n->id;
		/* The work between the node and its children, the line down kept. */
		if (n->nattached && asprintf(&work, "%s%s", sub, kids ? "|   " : "    ") >= 0) {
			print_attached(n, work, now);
			free(work);
		}
		print_children(scan, n->id, sub, now, depth + 1);
		free(sub);
	}
}

/*
 * Is there work at or below @n that no line names? Kernel threads and
 * after-funcs go unnamed without the debugfs tree, and under a done
 * context even with it, since a cancel unlinks what it ends from the
 * kernel's tree. A without-cancel child counts its own work, not its
 * parent's.
 */
static int unnamed_work(const struct ctx_scan *scan, const struct ctx_node *n,
			uint64_t *named, int depth)
{
	uint64_t below = 0;
	size_t i;
	int r = 0;

	for (i = 0; i < scan->nnodes && depth < 64; i++) {
		const struct ctx_node *c = &scan->nodes[i];
		uint64_t sub = 0;

		if (c->parent_id != n->id)
			continue;
		r |= unnamed_work(scan, c, &sub, depth + 1);
		if (strcmp(c->kind, "without_cancel"))
			below += sub;
	}
	*named = below + n->nattached;
	return r || (n->has_workers && n->workers > *named);
}

static void print_text(struct ctx_scan *scan)
{
	uint64_t named;
	size_t i;
	int unnamed = 0;

	printf("1 background\n");
	print_children(scan, 0, "", monotonic_ns(), 0);
	if (scan->unreadable)
		printf("(%zu processes not readable: run as root to see their contexts)\n",
		       scan->unreadable);
	for (i = 0; i < scan->nnodes && !unnamed; i++)
		if (is_root(scan, &scan->nodes[i]))
			unnamed = unnamed_work(scan, &scan->nodes[i], &named, 0);
	if (unnamed && scan->debugfs)
		printf("(work is attached that no line names: it left while this was read)\n");
	else if (unnamed)
		printf("(work is attached that no line names: kernel threads and after-funcs "
		       "show to root, from " DEBUGFS_TREE ")\n");
}

/* JSON */

/* The length of the UTF-8 sequence at @s, or 0 if it is not valid UTF-8. */
static int utf8_len(const unsigned char *s)
{
	uint32_t c;
	int n, i;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf) {
		n = 2;
		c = s[0] & 0x1f;
	} else if ((s[0] & 0xf0) == 0xe0) {
		n = 3;
		c = s[0] & 0x0f;
	} else if (s[0] >= 0xf0 && s[0] <= 0xf4) {
		n = 4;
		c = s[0] & 0x07;
	} else {
		return 0;
	}
	for (i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;	/* the NUL at the end too */
		c = c << 6 | (s[i] & 0x3f);
	}
	/* Overlong forms, surrogates and what lies past U+10FFFF are not UTF-8. */
	if ((n == 3 && c < 0x800) || (n == 4 && (c < 0x10000 || c > 0x10ffff)) ||
	    (c >= 0xd800 && c <= 0xdfff))
		return 0;
	return n;
}

/* Control character @c, escaped for a JSON string. */
static void json_control(unsigned char c)
{
	static const char short_forms[][2] = {
		['\b'] = "b", ['\t'] = "t", ['\n'] = "n", ['\f'] = "f", ['\r'] = "r",
	};

	if (c < sizeof(short_forms) / sizeof(short_forms[0]) && short_forms[c][0])
		printf("\\%c", short_forms[c][0]);
	else
		printf("\\u%04x", c);
}

/*
 * @str as a JSON string. A comm is any bytes but NUL: quotes, backslashes
 * and control characters are escaped, and a byte that is not UTF-8 becomes
 * U+FFFD, so that the document stays valid.
 */
static void json_str(const char *str)
{
	const unsigned char *s = (const unsigned char *)str;
	int n;

	putchar('"');
	while (*s) {
		if (*s == '"' || *s == '\\') {
			printf("\\%c", *s++);
		} else if (*s < 0x20 || *s == 0x7f) {
			json_control(*s++);
		} else {
			n = utf8_len(s);
			if (n)
				fwrite(s, 1, (size_t)n, stdout);
			else
				fputs("\\ufffd", stdout);
			s += n ? n : 1;
		}
	}
	putchar('"');
}

/* "key": @s, or null if @s is empty. */
static void json_str_or_null(const char *key, const char *s)
{
	printf(",\"%s\":", key);
	if (*s)
		json_str(s);
	else
		printf("null");
}

static void json_holders(const struct ctx_node *n)
{
	size_t i;

	printf(",\"holders\":[");
	for (i = 0; i < n->nholders; i++) {
		const struct ctx_holder *h = &n->holders[i];

		printf("%s{\"pid\":%d,\"comm\":", i ? "," : "", (int)h->pid);
		json_str(h->comm);
		printf(",\"fd\":%d,\"owner\":%s}", h->fd, h->owner ? "true" : "false");
	}
	printf("]");
}

static void json_attached(const struct ctx_node *n, int64_t now)
{
	char state[2] = { 0 };
	size_t i;

	printf(",\"attached\":[");
	for (i = 0; i < n->nattached; i++) {
		const struct ctx_worker *w = &n->attached[i];

		printf("%s{\"pid\":%d,\"comm\":", i ? "," : "", (int)w->pid);
		json_str(w->comm);
		printf(",\"kthread\":%s", w->kthread ? "true" : "false");
		state[0] = w->state == '?' ? 0 : w->state;
		json_str_or_null("state", state);
		json_str_or_null("wchan", w->wchan);
		printf(",\"attached_for_ns\":%" PRId64, now - w->since_ns);
		if (w->fd >= 0)
			printf(",\"fd\":%d", w->fd);
		else
			printf(",\"fd\":null");
		json_str_or_null("fn", w->fn);
		printf("}");
	}
	printf("]");
}

/* The fields fdinfo or debugfs give; null for a context known by id alone. */
static void json_state(const struct ctx_node *n, int64_t now)
{
	int known = !n->placeholder || n->from_debugfs;

	if (!known) {
		printf(",\"kind\":null,\"state\":null,\"err\":null,\"cause\":null");
	} else {
		printf(",\"kind\":");
		json_str(n->kind);
		printf(",\"state\":\"%s\",\"err\":%d,\"cause\":%d",
		       n->done ? "done" : "live", n->err, n->cause);
	}
	if (n->has_user_cause)
		printf(",\"user_cause\":%" PRIu64, n->user_cause);
	else
		printf(",\"user_cause\":null");
	if (n->has_deadline)
		printf(",\"deadline_left_ns\":%" PRId64, n->deadline_ns - now);
	else
		printf(",\"deadline_left_ns\":null");
	if (n->has_age)
		printf(",\"age_ms\":%" PRIu32, n->age_ms);
	else
		printf(",\"age_ms\":null");
	if (n->has_age && n->done)
		printf(",\"done_for_ms\":%" PRIu32, n->done_for_ms);
	else
		printf(",\"done_for_ms\":null");
	if (n->has_workers)
		printf(",\"workers\":%" PRIu32, n->workers);
	else
		printf(",\"workers\":null");
	printf(",\"leaked\":%s", n->leaked ? "true" : "false");
}

static void json_node(const struct ctx_node *n, int64_t now)
{
	printf("{\"id\":%" PRIu64, n->id);
	if (n->parent_id)
		printf(",\"parent_id\":%" PRIu64, n->parent_id);
	else
		printf(",\"parent_id\":null");
	json_state(n, now);
	if (n->has_creator) {
		printf(",\"creator\":{\"pid\":");
		if (n->creator_pid)
			printf("%d", (int)n->creator_pid);
		else
			printf("null");
		printf(",\"comm\":");
		json_str(n->creator_comm);
		printf("}");
	} else {
		printf(",\"creator\":null");
	}
	json_str_or_null("site", n->site);
	json_holders(n);
	json_attached(n, now);
	printf("}");
}

/* One object, with a line per context, so that a grep still works too. */
static void print_json(struct ctx_scan *scan)
{
	int64_t now = monotonic_ns();
	size_t i;

	printf("{\"debugfs\":%s,\"unreadable\":%zu,\"contexts\":[",
	       scan->debugfs ? "true" : "false", scan->unreadable);
	for (i = 0; i < scan->nnodes; i++) {
		printf("%s\n", i ? "," : "");
		json_node(&scan->nodes[i], now);
	}
	printf("\n]}\n");
}

int cmd_tree(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	struct ctx_scan scan;
	int c, json = 0, err;

	while ((c = tool_getopt(argc, argv, ":h", longopts)) != -1) {
		if (c == '?')
			return usage_status;
		if (c == 'h') {
			fputs(usage, stdout);
			return 0;
		}
		json = 1;
	}
	if (optind < argc)
		return usage_error("unexpected argument '%s'", argv[optind]);
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
	/* Root's extras; without them (EACCES, no debugfs), the tree is fdinfo's. */
	merge_debugfs(&scan);
	if (json)
		print_json(&scan);
	else
		print_text(&scan);
	ctx_scan_free(&scan);
	return 0;
}
