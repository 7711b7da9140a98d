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

/* Parse /proc/PID/fdinfo/FD of a context fd into @n and @h. */
static int read_fdinfo(pid_t pid, int fd, struct ctx_node *n, struct ctx_holder *h)
{
	char path[64], line[256], key[32], val[128];
	FILE *f;
	int have_id = 0;

	snprintf(path, sizeof(path), "/proc/%d/fdinfo/%d", (int)pid, fd);
	f = fopen(path, "re");
	if (!f)
		return -errno;
	memset(n, 0, sizeof(*n));
	strcpy(n->kind, "?");
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%31[^:]:%*[ \t]%127s", key, val) != 2)
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
	}
	fclose(f);
	h->pid = pid;
	h->fd = fd;
	return have_id ? 0 : -EPROTO;
}

struct ctx_node *ctx_scan_find(struct ctx_scan *scan, uint64_t id)
{
	size_t i;

	for (i = 0; i < scan->nnodes; i++)
		if (scan->nodes[i].id == id)
			return &scan->nodes[i];
	return NULL;
}

static int add_holder(struct ctx_scan *scan, const struct ctx_node *info,
		      const struct ctx_holder *h)
{
	struct ctx_node *n = ctx_scan_find(scan, info->id), *nodes;
	struct ctx_holder *hs;

	if (!n) {
		nodes = realloc(scan->nodes, (scan->nnodes + 1) * sizeof(*nodes));
		if (!nodes)
			return -ENOMEM;
		scan->nodes = nodes;
		n = &nodes[scan->nnodes++];
		*n = *info;
		n->holders = NULL;
		n->nholders = 0;
	}
	hs = realloc(n->holders, (n->nholders + 1) * sizeof(*hs));
	if (!hs)
		return -ENOMEM;
	n->holders = hs;
	hs[n->nholders++] = *h;
	return 0;
}

static void read_comm(pid_t pid, char *comm, size_t len)
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

/* Every context fd of @pid into @scan. */
static int scan_pid(struct ctx_scan *scan, pid_t pid)
{
	char path[64], link[sizeof(KCTX_LINK) + 1];
	struct ctx_holder h;
	struct ctx_node info;
	struct dirent *de;
	char comm[32];
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
	while ((de = readdir(d))) {
		unsigned long long fd;

		if (parse_uint(de->d_name, 0x7fffffff, &fd))
			continue;
		snprintf(path, sizeof(path), "/proc/%d/fd/%d", (int)pid, (int)fd);
		len = readlink(path, link, sizeof(link));
		if (len != (ssize_t)strlen(KCTX_LINK) || memcmp(link, KCTX_LINK, (size_t)len))
			continue;
		memset(&h, 0, sizeof(h));
		if (read_fdinfo(pid, (int)fd, &info, &h))
			continue;	/* closed meanwhile */
		snprintf(h.comm, sizeof(h.comm), "%s", comm);
		r = add_holder(scan, &info, &h);
		if (r)
			break;
	}
	closedir(d);
	return r;
}

static int by_id(const void *a, const void *b)
{
	const struct ctx_node *x = a, *y = b;

	return x->id < y->id ? -1 : x->id > y->id;
}

/*
 * Every context some process here holds an fd of, from /proc/ * /fdinfo,
 * sorted by id, plus a placeholder for each parent that no fd holds.
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
		struct ctx_node *nodes, p = { 0 };
		uint64_t pid_ = scan->nodes[i].parent_id;

		if (pid_ <= 1 || ctx_scan_find(scan, pid_))
			continue;
		nodes = realloc(scan->nodes, (scan->nnodes + 1) * sizeof(*nodes));
		if (!nodes) {
			r = -ENOMEM;
			break;
		}
		scan->nodes = nodes;
		p.id = pid_;
		p.placeholder = 1;
		strcpy(p.kind, "?");
		scan->nodes[scan->nnodes++] = p;
	}
	if (r) {
		ctx_scan_free(scan);
		errno = -r;
		return -1;
	}
	qsort(scan->nodes, scan->nnodes, sizeof(scan->nodes[0]), by_id);
	return 0;
}

void ctx_scan_free(struct ctx_scan *scan)
{
	size_t i;

	for (i = 0; i < scan->nnodes; i++)
		free(scan->nodes[i].holders);
	free(scan->nodes);
	memset(scan, 0, sizeof(*scan));
}
