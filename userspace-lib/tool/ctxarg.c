// SPDX-License-Identifier: GPL-2.0
/*
 * The kctx tool: naming contexts from a shell, and finding them in /proc.
 *
 * There is no global name for a context (the kernel has no lookup by id,
 * on purpose: a context is private to the fds that hold it). So a CTX
 * argument names an fd that holds one:
 *
 *   (none)     $KCTX_FD, which `kctx run` sets for its command
 *   N          fd N of this process, e.g. inherited from the shell
 *   PID:N      fd N of process PID, taken with pidfd_getfd(2)
 *   @ID        the context with id ID, as `kctx tree` shows it: an fd of
 *              some process that holds it, an owner fd if any
 *
 * The last two need the right to ptrace PID (same user, or root), as
 * reading /proc/PID/fdinfo does.
 *
 * `kctx tree` and @ID find contexts the same way, by the fds that hold
 * them: "anon_inode:[kctx]" links in /proc/PID/fd, whose fdinfo describes
 * the context; and "anon_inode:[kctx-worker]" ones, worker fds, whose
 * fdinfo names the context that the process holding them works for.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/syscall.h>

#include "tool.h"

#define KCTX_LINK "anon_inode:[kctx]"
#define KCTX_WORKER_LINK "anon_inode:[kctx-worker]"

static int parse_uint(const char *s, unsigned long long max, unsigned long long *v)
{
	char *end;

	if (*s < '0' || *s > '9')
		return -EINVAL;
	errno = 0;
	*v = strtoull(s, &end, 10);
	if (*end || errno || *v > max)
		return -EINVAL;
	return 0;
}

/* A copy, in this process, of fd @fd of process @pid. */
static int steal_fd(pid_t pid, int fd)
{
	int pidfd, nfd;

	if (pid == getpid()) {
		nfd = fcntl(fd, F_DUPFD_CLOEXEC, 0);
		return nfd < 0 ? -errno : nfd;
	}
	pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
	if (pidfd < 0)
		return -errno;
	nfd = (int)syscall(SYS_pidfd_getfd, pidfd, fd, 0);
	if (nfd < 0)
		nfd = -errno;
	close(pidfd);
	return nfd;
}


/*
 * Open the context that @arg names (see the top of this file). Returns 0,
 * or an exit status after one line on stderr: 2 if @arg is malformed, 1 if
 * it names no context.
 */
int ctx_open(const char *arg, kctx_t **out)
{
	unsigned long long pid, fd, id;
	struct ctx_scan scan;
	struct ctx_node *n;
	const char *colon;
	size_t i, best;
	int r;

	if (!arg) {
		r = kctx_from_env(out);
		if (r == -ENOENT)
			tool_error("no context: give one, or run under `kctx run` (%s is not set)",
				   KCTX_FD_ENV);
		else if (r)
			tool_error("%s=%s: %s", KCTX_FD_ENV, getenv(KCTX_FD_ENV),
				   kctx_strerror(r));
		return r ? 1 : 0;
	}
	if (*arg == '@') {
		if (parse_uint(arg + 1, UINT64_MAX, &id))
			return usage_error("'%s' is not a context: @ID wants a number", arg);
		if (ctx_scan(&scan)) {
			tool_error("cannot read /proc: %s", strerror(errno));
			return 1;
		}
		n = ctx_scan_find(&scan, id);
		if (!n || !n->nholders) {
			tool_error("%s: no process here holds a context with id %llu%s", arg, id,
				   scan.unreadable ? " that we may see" : "");
			ctx_scan_free(&scan);
			return 1;
		}
		for (best = 0, i = 0; i < n->nholders; i++)
			if (n->holders[i].owner) {
				best = i;
				break;
			}
		pid = (unsigned long long)n->holders[best].pid;
		fd = (unsigned long long)n->holders[best].fd;
		ctx_scan_free(&scan);
	} else if ((colon = strchr(arg, ':'))) {
		char pidstr[24];

		if ((size_t)(colon - arg) >= sizeof(pidstr))
			return usage_error("'%s' is not a context: PID:FD wants numbers", arg);
		memcpy(pidstr, arg, (size_t)(colon - arg));
		pidstr[colon - arg] = 0;
		if (parse_uint(pidstr, 0x7fffffff, &pid) || parse_uint(colon + 1, 0x7fffffff, &fd))
			return usage_error("'%s' is not a context: PID:FD wants numbers", arg);
	} else {
		if (parse_uint(arg, 0x7fffffff, &fd))
			return usage_error("'%s' is not a context: give FD, PID:FD or @ID", arg);
		pid = (unsigned long long)getpid();
	}
	r = steal_fd((pid_t)pid, (int)fd);
	if (r < 0) {
		/* Named once: "fd 5: Bad file descriptor", not "5: fd 5: ...". */
		if ((pid_t)pid == getpid())
			tool_error("fd %llu: %s", fd, strerror(-r));
		else
			tool_error("cannot take fd %llu of process %llu: %s", fd, pid, strerror(-r));
		return 1;
	}
	fd = (unsigned long long)r;
	r = kctx_from_fd((int)fd, out);
	close((int)fd);
	if (r)
		tool_error("%s: %s", arg, r == -EBADF ? "not a context fd" : kctx_strerror(r));
	return r ? 1 : 0;
}

/*
 * The key and the value of a "key:\tvalue" line of fdinfo, in place; 0 if
 * it is not one. The value is the rest of the line, spaces and all, as a
 * comm may have them.
 */
static int split_line(char *line, char **key, char **val)
{
	char *colon = strchr(line, ':');

	if (!colon)
		return 0;
	*colon = 0;
	*key = line;
	*val = colon + 1 + strspn(colon + 1, " \t");
	(*val)[strcspn(*val, "\n")] = 0;
	return 1;
}

static uint32_t parse_u32(const char *val)
{
	uint32_t v = 0;

	sscanf(val, "%" SCNu32, &v);
	return v;
}

/* The fields that kernels since "A tree that finds leaks" add to fdinfo. */
static void read_fdinfo_work(struct ctx_node *n, const char *key, const char *val)
{
	if (!strcmp(key, "age_ms")) {
		n->has_age = 1;
		n->age_ms = parse_u32(val);
	} else if (!strcmp(key, "done_for_ms")) {
		n->done_for_ms = parse_u32(val);
	} else if (!strcmp(key, "workers")) {
		n->has_workers = 1;
		n->workers = parse_u32(val);
	} else if (!strcmp(key, "leaked")) {
		n->leaked = atoi(val) != 0;
	} else if (!strcmp(key, "creator_pid")) {
		n->has_creator = 1;
		n->creator_pid = (pid_t)atoi(val);
	} else if (!strcmp(key, "creator_comm")) {
		snprintf(n->creator_comm, sizeof(n->creator_comm), "%s", val);
	}
}

/* Parse /proc/PID/fdinfo/FD of a context fd into @n and @h. */
static int read_fdinfo(pid_t pid, int fd, struct ctx_node *n, struct ctx_holder *h)
{
	char path[64], line[256], *key, *val;
	FILE *f;
	int have_id = 0;

	snprintf(path, sizeof(path), "/proc/%d/fdinfo/%d", (int)pid, fd);
	f = fopen(path, "re");
	if (!f)
		return -errno;
	memset(n, 0, sizeof(*n));
	strcpy(n->kind, "?");
	while (fgets(line, sizeof(line), f)) {
		if (!split_line(line, &key, &val))
			continue;
		if (!strcmp(key, "id"))
			have_id = sscanf(val, "%" SCNu64, &n->id) == 1;
		else if (!strcmp(key, "parent_id"))
			sscanf(val, "%" SCNu64, &n->parent_id);
		else if (!strcmp(key, "kind"))
			snprintf(n->kind, sizeof(n->kind), "%.*s", (int)sizeof(n->kind) - 1, val);
		else if (!strcmp(key, "owner"))
			h->owner = atoi(val);
		else if (!strcmp(key, "state"))
			n->done = !strcmp(val, "done");
		else if (!strcmp(key, "err"))
			n->err = atoi(val);
		else if (!strcmp(key, "cause"))
			n->cause = atoi(val);
		else if (!strcmp(key, "user_cause"))
			n->has_user_cause = sscanf(val, "%" SCNu64, &n->user_cause) == 1;
		else if (!strcmp(key, "deadline_ns"))
			n->has_deadline = sscanf(val, "%" SCNd64, &n->deadline_ns) == 1;
		else
			read_fdinfo_work(n, key, val);
	}
	fclose(f);
	h->pid = pid;
	h->fd = fd;
	return have_id ? 0 : -EPROTO;
}

/*
 * Parse /proc/PID/fdinfo/FD of a worker fd: the context it works for, and
 * since when. 0 if it is still attached; -ENOENT if it has detached.
 */
static int read_worker_fdinfo(pid_t pid, int fd, uint64_t *ctx_id, int64_t *since_ns)
{
	char path[64], line[256], *key, *val;
	int have_id = 0, attached = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/fdinfo/%d", (int)pid, fd);
	f = fopen(path, "re");
	if (!f)
		return -errno;
	*since_ns = 0;
	while (fgets(line, sizeof(line), f)) {
		if (!split_line(line, &key, &val))
			continue;
		if (!strcmp(key, "ctx_id"))
			have_id = sscanf(val, "%" SCNu64, ctx_id) == 1;
		else if (!strcmp(key, "attached"))
			attached = atoi(val);
		else if (!strcmp(key, "since_ns"))
			sscanf(val, "%" SCNd64, since_ns);
	}
	fclose(f);
	if (!have_id)
		return -EPROTO;
	return attached ? 0 : -ENOENT;
}

struct ctx_node *ctx_scan_find(struct ctx_scan *scan, uint64_t id)
{
	size_t i;

	for (i = 0; i < scan->nnodes; i++)
		if (scan->nodes[i].id == id)
			return &scan->nodes[i];
	return NULL;
}

/*
 * The node of context @id, made a placeholder (no fdinfo, parent unknown)
 * if there is none yet; NULL without memory. Valid until the next node is
 * added.
 */
struct ctx_node *ctx_scan_get(struct ctx_scan *scan, uint64_t id)
{
	struct ctx_node *n = ctx_scan_find(scan, id), *nodes;

	if (n)
		return n;
	nodes = realloc(scan->nodes, (scan->nnodes + 1) * sizeof(*nodes));
	if (!nodes)
		return NULL;
	scan->nodes = nodes;
	n = &nodes[scan->nnodes++];
	memset(n, 0, sizeof(*n));
	n->id = id;
	n->placeholder = 1;
	strcpy(n->kind, "?");
	return n;
}

static int add_holder(struct ctx_scan *scan, const struct ctx_node *info,
		      const struct ctx_holder *h)
{
	struct ctx_node *n = ctx_scan_get(scan, info->id);
	struct ctx_holder *hs;
	struct ctx_worker *attached;
	size_t nattached;

	if (!n)
		return -ENOMEM;
	if (n->placeholder) {
		/* The first fdinfo of it: all but what others found already. */
		attached = n->attached;
		nattached = n->nattached;
		*n = *info;
		n->attached = attached;
		n->nattached = nattached;
	}
	hs = realloc(n->holders, (n->nholders + 1) * sizeof(*hs));
	if (!hs)
		return -ENOMEM;
	n->holders = hs;
	hs[n->nholders++] = *h;
	return 0;
}

/* Append @w to @n's attached work; 0 or -ENOMEM. */
int ctx_node_add_worker(struct ctx_node *n, const struct ctx_worker *w)
{
	struct ctx_worker *ws = realloc(n->attached, (n->nattached + 1) * sizeof(*ws));

	if (!ws)
		return -ENOMEM;
	n->attached = ws;
	ws[n->nattached++] = *w;
	return 0;
}

/*
 * Add @w to the work attached to context @id. Copies of one worker fd in
 * one process (dup(2)) are one worker: the same process, attached at the
 * same nanosecond. The lowest fd names it.
 */
int ctx_scan_add_worker(struct ctx_scan *scan, uint64_t id, const struct ctx_worker *w)
{
	struct ctx_node *n = ctx_scan_get(scan, id);
	struct ctx_worker *ws;
	size_t i;

	if (!n)
		return -ENOMEM;
	for (i = 0; i < n->nattached && w->fd >= 0; i++) {
		ws = &n->attached[i];
		if (ws->fd >= 0 && ws->pid == w->pid && ws->since_ns == w->since_ns) {
			if (w->fd < ws->fd)
				ws->fd = w->fd;
			return 0;
		}
	}
	return ctx_node_add_worker(n, w);
}

/* @pid's comm, as /proc has it; "?" if it can't be read. */
void read_comm(pid_t pid, char *comm, size_t len)
{
	char path[64];
	FILE *f;

	snprintf(comm, len, "?");
	snprintf(path, sizeof(path), "/proc/%d/comm", (int)pid);
	f = fopen(path, "re");
	if (!f)
		return;
	if (fgets(comm, (int)len, f))
		comm[strcspn(comm, "\n")] = 0;
	fclose(f);
}

/*
 * @pid's state letter, as /proc/PID/stat has it ('?' if it can't be read),
 * and where it sleeps, from /proc/PID/wchan ("" if it runs, or that can't
 * be read: it needs the right to ptrace @pid, and kallsyms).
 */
void read_task_state(pid_t pid, char *state, char *wchan, size_t len)
{
	char path[64], buf[512], *paren;
	ssize_t n;
	int fd;

	*state = '?';
	*wchan = 0;
	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd >= 0) {
		n = read(fd, buf, sizeof(buf) - 1);
		close(fd);
		buf[n > 0 ? n : 0] = 0;
		/* After the comm, which may hold ") " itself: the last ')'. */
		paren = strrchr(buf, ')');
		if (paren && paren[1] == ' ' && paren[2])
			*state = paren[2];
	}
	snprintf(path, sizeof(path), "/proc/%d/wchan", (int)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return;
	n = read(fd, wchan, len - 1);
	close(fd);
	wchan[n > 0 ? n : 0] = 0;
	wchan[strcspn(wchan, "\n")] = 0;
	if (!strcmp(wchan, "0"))
		*wchan = 0;
}

/* Worker fd @fd of @pid, if it is still attached, into @scan. */
static int add_worker_fd(struct ctx_scan *scan, pid_t pid, int fd, const char *comm)
{
	struct ctx_worker w = { .pid = pid, .fd = fd };
	uint64_t id;

	if (read_worker_fdinfo(pid, fd, &id, &w.since_ns))
		return 0;	/* detached, or closed meanwhile */
	snprintf(w.comm, sizeof(w.comm), "%s", comm);
	read_task_state(pid, &w.state, w.wchan, sizeof(w.wchan));
	return ctx_scan_add_worker(scan, id, &w);
}

/* Context fd @fd of @pid into @scan. */
static int add_ctx_fd(struct ctx_scan *scan, pid_t pid, int fd, const char *comm)
{
	struct ctx_holder h;
	struct ctx_node info;

	memset(&h, 0, sizeof(h));
	if (read_fdinfo(pid, fd, &info, &h))
		return 0;	/* closed meanwhile */
	snprintf(h.comm, sizeof(h.comm), "%s", comm);
	return add_holder(scan, &info, &h);
}

/* Every context fd and worker fd of @pid into @scan. */
static int scan_pid(struct ctx_scan *scan, pid_t pid)
{
	char path[64], link[sizeof(KCTX_WORKER_LINK) + 1], comm[CTX_COMM_LEN];
	struct dirent *de;
	DIR *d;
	ssize_t len;
	int r = 0;

	snprintf(path, sizeof(path), "/proc/%d/fd", (int)pid);
	d = opendir(path);
	if (!d) {
		if (errno == EACCES || errno == EPERM)
			scan->unreadable++;
		return 0;	/* gone, or not ours to read */
	}
	read_comm(pid, comm, sizeof(comm));
	while ((de = readdir(d)) && !r) {
		unsigned long long fd;

		if (parse_uint(de->d_name, 0x7fffffff, &fd))
			continue;
		snprintf(path, sizeof(path), "/proc/%d/fd/%d", (int)pid, (int)fd);
		len = readlink(path, link, sizeof(link));
		if (len == (ssize_t)strlen(KCTX_LINK) && !memcmp(link, KCTX_LINK, (size_t)len))
			r = add_ctx_fd(scan, pid, (int)fd, comm);
		else if (len == (ssize_t)strlen(KCTX_WORKER_LINK) &&
			 !memcmp(link, KCTX_WORKER_LINK, (size_t)len))
			r = add_worker_fd(scan, pid, (int)fd, comm);
	}
	closedir(d);
	return r;
}

static int by_id(const void *a, const void *b)
{
	const struct ctx_node *x = a, *y = b;

	return x->id < y->id ? -1 : x->id > y->id;
}

void ctx_scan_sort(struct ctx_scan *scan)
{
	if (scan->nnodes)
		qsort(scan->nodes, scan->nnodes, sizeof(scan->nodes[0]), by_id);
}

/*
 * Every context some process here holds an fd of, from /proc/ * /fdinfo,
 * with the processes attached to it as workers, sorted by id; plus a
 * placeholder for each parent that no fd holds, and for each context that
 * only a worker fd names (whose parent is unknown).
 * 0, or -1 with errno set.
 */
int ctx_scan(struct ctx_scan *scan)
{
	unsigned long long pid;
	struct dirent *de;
	size_t i, n;
	DIR *d;
	int r = 0;

	memset(scan, 0, sizeof(*scan));
	d = opendir("/proc");
	if (!d)
		return -1;
	while ((de = readdir(d)) && !r)
		if (!parse_uint(de->d_name, 0x7fffffff, &pid))
			r = scan_pid(scan, (pid_t)pid);
	closedir(d);
	/* Parents that only children hold: known by id alone. */
	for (i = 0, n = scan->nnodes; i < n && !r; i++) {
		uint64_t pid_ = scan->nodes[i].parent_id;

		if (pid_ > 1 && !ctx_scan_get(scan, pid_))
			r = -ENOMEM;
	}
	if (r) {
		ctx_scan_free(scan);
		errno = -r;
		return -1;
	}
	ctx_scan_sort(scan);
	return 0;
}

void ctx_scan_free(struct ctx_scan *scan)
{
	size_t i;

	for (i = 0; i < scan->nnodes; i++) {
		free(scan->nodes[i].holders);
		free(scan->nodes[i].attached);
	}
	free(scan->nodes);
	memset(scan, 0, sizeof(*scan));
}
