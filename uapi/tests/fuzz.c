// SPDX-License-Identifier: GPL-2.0
/*
 * fuzz - a seeded, randomized fuzzer of kctx's uapi.
 *
 *   fuzz [-s SEED] [-n OPS] [-t THREADS] [-S SLOTS] [-v]
 *
 * It runs OPS random operations over a table of SLOTS file descriptors
 * (default 300) shared by THREADS threads: KCTX_IOC_CREATE of every kind
 * (deadlines past, relative, near and far, on every clock) under random
 * parents and /dev/kctx, CANCEL with random causes (and with
 * KCTX_CANCEL_WAIT for at most 2 ms), STATE, VALUE, WATCH, ATTACH_EVENTFD,
 * ATTACH (a worker fd for an owner or a watch-only fd; its fds sit in the
 * slots with the others, and are closed, dup'ed, passed and inherited like
 * them), DETACH of a worker fd, poll, epoll, read and write, close, dup,
 * fork (the child does a few operations of its own, attaching and
 * detaching workers of its own among them, sometimes sends the parent a
 * context and exits, with or without closing), SCM_RIGHTS over a
 * socketpair (some left in flight when the socket closes), chains of
 * children whose parents' fds are closed as they go (now and then down to
 * KCTX_MAX_DEPTH), the per-user cap moved up and down, the fd table
 * squeezed to EMFILE (for a create, a watch or an attach), an allocation
 * failed through /proc/thread-self/fail-nth (where the kernel has it), and
 * malformed calls: short, long and unreadable structs, bad pointers, flags,
 * reserved fields, kinds, clocks, times, causes, fds (a worker fd to a
 * context's command, a context fd to DETACH) and commands.
 *
 * Every ioctl must succeed or fail with an errno of the table in
 * uapi/linux/kctx.h, and a malformed one with the errno it documents.
 * As it goes, it checks what it saw against a model of the contexts it
 * holds: a context seen done stays done with the same err, cause and user
 * cause; a child of a done parent is born done with the parent's cause; a
 * past deadline gives a child born done; the effective deadline, kind,
 * ids, owner bit, values and poll state are what they must be; a cancel
 * that took effect reached every descendant; closing the last owner fd
 * cancels, and ends a root of any kind; a create is EMLINK exactly under a
 * context KCTX_MAX_DEPTH deep; the per-user cap, which charges a context
 * from its create until its node is freed (while anything below it holds
 * it, a worker fd included) and a worker from its attach until the last
 * copy of its fd is closed, refuses exactly the creations and attaches
 * beyond it. Workers: an attach to a context seen done fails with its
 * error, a worker's fdinfo names its context and says whether it is still
 * attached; a worker counts on its context and every ancestor up to a
 * without-cancel one (included), until it is detached or its fd's last
 * copy closed; and a done context polls EPOLLHUP, and KCTX_CANCEL_WAIT
 * with nothing left to wait for returns 0 rather than ETIME, exactly when
 * no worker counts on it. At the end it closes everything and checks that
 * no context made during the run is left in the kernel's tree
 * (/sys/kernel/debug/kctx/tree) and that the user's charge is back to
 * zero. run-vm adds: no splat, no leak.
 *
 * Reproducing: the seed is printed first. With -t 1 a run is
 * reproducible: the same seed gives the same operations, in the same
 * order, on the same slots (the "digest" line at the end hashes them),
 * until a deadline fires at another moment than it did the first time,
 * which a long run may meet.
 * With threads, each thread's sequence comes from the seed and its index;
 * their interleaving is the scheduler's. On a failure it prints the
 * operation, the seed, the command line to run again and each thread's
 * last operations.
 *
 * Without -t it runs the make check configuration: OPS/2 operations in one
 * thread, then OPS/2 in four threads, each phase with its own seed. The
 * cap on contexts per user is set to 3/4 of SLOTS for the run (as root;
 * restored at the end), so creation hits it.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <linux/kctx.h>

#define NSLOTS_DEFAULT	300
#define MAX_THREADS	16
#define NEFD		4
#define LAST_OPS	16
#define NKEYS		8
#define KTIME_MAX	INT64_MAX
#define KTIME_SEC_MAX	(KTIME_MAX / 1000000000LL)
#define NEVER		KTIME_MAX
#define NSEC		1000000000LL
#define CAP_PARAM	"/sys/module/kctx/parameters/max_contexts_per_user"
#define TREE		"/sys/kernel/debug/kctx/tree"
/* Our user causes: tag, pid, thread, counter; see check_uc(). */
#define UC_TAG		0xa5ULL

/* User keys; two of them look like kernel addresses, which must not matter. */
static const uint64_t keys[NKEYS] = {
	0, 1, 2, 42, 0xdeadbeef, 1ULL << 63, 0xffffffff81000000ULL, UINT64_MAX,
};

/* A context, as this process knows it. Guarded by model_lock. */
struct kobj {
	struct kobj *parent;	/* NULL: a child of the background root */
	int refs;		/* slots, children, and whoever is looking */
	uint64_t id;
	uint64_t parent_id;
	uint32_t kind;		/* as KCTX_IOC_STATE reports it */
	int depth;		/* 1 for a child of the background root */
	bool detached;		/* made with KCTX_KIND_WITHOUT_CANCEL */
	bool owner_gone;	/* its owner file is released (or about to be) */
	bool linked;		/* maybe under its parent: not known born done */
	int64_t pinned_until;	/* see ko_put() */
	bool values_known;
	uint8_t vmask;		/* which keys[] the chain carries */
	uint64_t vals[NKEYS];
	bool has_deadline;
	int64_t deadline_ns;
	int owner_slots;	/* slots holding its owner file, but closing it */
	int attached;		/* eventfds attached while not seen done */
	/*
	 * Workers surely counted on it: our workers attached to it, or below
	 * it with no without-cancel node between (see wf_count()), whose
	 * detach or last close has not begun. One thread, in the parent,
	 * that is the kernel's count: EPOLLHUP, once done, iff it is 0.
	 * Otherwise other threads attach and leave while we look, and a
	 * fork child's copy of a worker fd keeps it attached after our last
	 * close: then the count only bounds the kernel's from below, and
	 * @workers_left, how many have left it so far, tells whether one of
	 * those counted before a call was still there after it.
	 */
	int workers;
	uint64_t workers_left;
	uint64_t chain_mark;	/* see drain_watch() */
	/* Once seen done: */
	bool done;
	uint64_t done_seq;	/* the observation that saw it */
	int32_t err, cause;
	bool has_uc;
	uint64_t uc;
	/* Strict mode: its last owner fd is closed; it must be done. */
	bool must_be_done;
	uint64_t must_seq;
};

/*
 * A worker file, KCTX_IOC_ATTACH's, as this process knows it: one per
 * attach, shared by the slots that hold its fd's copies (dup, SCM_RIGHTS),
 * as a context's owner file is. Guarded by model_lock.
 */
struct wfile {
	struct kobj *ko;	/* its context; the worker holds the node */
	int slots;		/* slots holding it */
	bool counted;		/* in ko's chain's ->workers: see wf_count() */
	pid_t pid;		/* the process that attached it */
	uint64_t detached_seq;	/* once a KCTX_IOC_DETACH on it returned */
};

struct slot {
	pthread_mutex_t lock;	/* held by whoever uses the slot */
	int fd;			/* -1: empty */
	bool owner;
	struct kobj *ko;	/* NULL for a worker fd */
	struct wfile *wf;	/* a worker fd's; NULL for a context fd */
	uint32_t gen;		/* unique per fill, for epoll's data */
};

/* What a pick of a filled slot takes. */
enum pick { PICK_ANY, PICK_CTX, PICK_WORKER };

struct thr {
	int idx;
	pthread_t th;
	uint64_t rng;
	long ops, op_no;
	int efd[NEFD];
	int sock[2];
	int ep;
	int fail_nth;		/* /proc/thread-self/fail-nth, or -1 */
	char *guard;		/* a page followed by an inaccessible one */
	uint32_t ucnt;
	uint64_t digest;
	char last[LAST_OPS][128];
	long counts[32];
};

enum op {
	OP_CREATE, OP_STATE, OP_CANCEL, OP_VALUE, OP_WATCH, OP_ATTACH_EFD,
	OP_ATTACH, OP_DETACH, OP_POLL, OP_RW, OP_CLOSE, OP_DUP, OP_SCM, OP_FORK,
	OP_EPOLL, OP_EFD, OP_BAD, OP_CAP, OP_SQUEEZE, OP_CHAIN, OP_NR,
};

static const char *const op_names[OP_NR] = {
	"create", "state", "cancel", "value", "watch", "attach_efd", "attach",
	"detach", "poll", "rw", "close", "dup", "scm", "fork", "epoll", "efd",
	"bad", "cap", "squeeze", "chain",
};

static const int op_weights[OP_NR] = {
	[OP_CREATE] = 160, [OP_STATE] = 140, [OP_CANCEL] = 90, [OP_VALUE] = 50,
	[OP_WATCH] = 50, [OP_ATTACH_EFD] = 40, [OP_ATTACH] = 50, [OP_DETACH] = 30,
	[OP_POLL] = 60, [OP_RW] = 15, [OP_CLOSE] = 150, [OP_DUP] = 40,
	[OP_SCM] = 40, [OP_FORK] = 3, [OP_EPOLL] = 30, [OP_EFD] = 20,
	[OP_BAD] = 120, [OP_CAP] = 3, [OP_SQUEEZE] = 5, [OP_CHAIN] = 30,
};

/*
 * What a fork child may do: nothing that touches the parent's pools, and no
 * attaching of eventfds, which the parent's count of attachments per file
 * would miss. Workers it may attach: they hold nothing of the parent's but
 * a charge and a count, both gone when the child exits, before the parent
 * goes on in one thread, and only ever more than the parent's model says
 * while other threads go on. It detaches only workers of its own: one of
 * the parent's would leave behind the parent's back.
 */
static const bool child_ops[OP_NR] = {
	[OP_CREATE] = true, [OP_STATE] = true, [OP_CANCEL] = true,
	[OP_VALUE] = true, [OP_WATCH] = true, [OP_ATTACH] = true,
	[OP_DETACH] = true, [OP_POLL] = true, [OP_RW] = true,
	[OP_CLOSE] = true, [OP_DUP] = true,
	[OP_BAD] = true, [OP_CHAIN] = true,
};

static uint64_t seed;
static long nops;
static int nthreads;
static int nslots = NSLOTS_DEFAULT;
static bool verbose;
static bool mt;			/* more than one thread in this phase */
static bool in_child;		/* a fork child; the parent goes on */
static pid_t mypid;

static struct slot *slots;
static struct thr *thrs;
static pthread_mutex_t model_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_rwlock_t fork_lock;
static int dev_fd;
/*
 * RLIMIT_NOFILE as the phase began: what a squeeze puts back. Squeezes run
 * at once in several threads, so the limit one of them reads may be
 * another's squeezed one; restoring that would leave it low for good.
 */
static struct rlimit nofile;
static int pipe_fds[2];
static char *ro_page;		/* a read-only page */
static bool have_fail_nth;
static long cap_orig = -1;	/* -1: we can't set the cap */
static long cap_model = -1;	/* the cap we set, or -1 */
/*
 * The contexts charged to our user: every node from its create until it is
 * freed, however it is held (model_lock). live_nodes counts the nodes the
 * model holds; a node the model has let go may still be held for a while
 * by a deadline timer that fired and the walk it queued, and so may its
 * ancestors: each is in limbo until a bound on that walk. Workers are
 * charged too, each from its attach until its file is released: the
 * model's worker files are live_workers. So the kernel's charge is at
 * least live_nodes + live_workers, and at most that plus limbo.
 */
static int live_nodes;
static int live_workers;
#define LIMBO_NS	(10 * NSEC)
static int64_t *limbo;		/* when each node in limbo surely is freed */
static int nlimbo, limbo_size;
static long dives;
static uint64_t max_id;		/* model_lock */
static uint64_t obs_seq;	/* atomic: orders observations */
static uint32_t gen_counter;	/* atomic */
static long bad_calls, born_done, enospc_hits, emfile_hits, enomem_hits, emlink_hits;
static long done_seen, descendants_checked;
static long attached_ok, attach_refused, detached_ok, detached_again, released_attached;
static long hup_held, hup_drained, wait_etime, wait_zero, drain_wakes;
static bool have_fdinfo;

static bool strict(void)
{
	return !mt && !in_child;
}

static uint64_t seq_next(void)
{
	return __atomic_add_fetch(&obs_seq, 1, __ATOMIC_SEQ_CST);
}

static void count(long *c)
{
	__atomic_add_fetch(c, 1, __ATOMIC_RELAXED);
}

/* xorshift64*, seeded through splitmix64. */
static uint64_t splitmix(uint64_t *x)
{
	uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static uint64_t rnd(struct thr *t)
{
	uint64_t x = t->rng;

	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	t->rng = x;
	return x * 0x2545f4914f6cdd1dULL;
}

static uint32_t below(struct thr *t, uint32_t n)
{
	return n ? (uint32_t)((rnd(t) >> 11) % n) : 0;
}

static bool chance(struct thr *t, int pct)
{
	return below(t, 100) < (uint32_t)pct;
}

static int64_t now_ns(clockid_t clk)
{
	struct timespec ts;

	clock_gettime(clk, &ts);
	return ts.tv_sec * NSEC + ts.tv_nsec;
}

static void restore_cap(void);
static void restore_caches(void);
static bool write_long(const char *path, long v);

static void print_last(struct thr *t)
{
	long i, from = t->op_no >= LAST_OPS ? t->op_no - LAST_OPS + 1 : 0;

	printf("# thread %d, last operations:\n", t->idx);
	for (i = from; i <= t->op_no; i++)
		printf("#   %s\n", t->last[i % LAST_OPS]);
}

static void __attribute__((format(printf, 2, 3), noreturn))
fail(struct thr *t, const char *fmt, ...)
{
	va_list ap;
	int i;

	fflush(stdout);
	printf("fuzz: FAIL: %sthread %d, op #%ld (%s): ",
	       in_child ? "fork child of " : "", t->idx, t->op_no,
	       t->last[t->op_no % LAST_OPS]);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\nfuzz: seed %" PRIu64 "; run again with: fuzz -s %" PRIu64
	       " -n %ld -t %d -S %d\n", seed, seed, nops, nthreads, nslots);
	if (in_child) {
		print_last(t);
	} else {
		for (i = 0; i < nthreads; i++)
			print_last(&thrs[i]);
		restore_cap();
		restore_caches();
	}
	fflush(stdout);
	_exit(1);
}

/* The run could not be set up: exit 2, not 1, which means a finding. */
static void __attribute__((noreturn)) setup_failed(const char *what)
{
	fprintf(stderr, "fuzz: %s: %s\n", what, strerror(errno));
	exit(2);
}

/* Record what the operation is about to do; hashed into the digest. */
static void __attribute__((format(printf, 2, 3)))
note(struct thr *t, const char *fmt, ...)
{
	char *s = t->last[t->op_no % LAST_OPS];
	const char *p;
	va_list ap;
	int n;

	n = snprintf(s, sizeof(t->last[0]), "#%ld ", t->op_no);
	va_start(ap, fmt);
	vsnprintf(s + n, sizeof(t->last[0]) - n, fmt, ap);
	va_end(ap);
	for (p = s; *p; p++)
		t->digest = (t->digest ^ (uint8_t)*p) * 0x100000001b3ULL;
	if (verbose)
		printf("[%d] %s\n", t->idx, s);
}

/* The errno table of uapi/linux/kctx.h. */
static bool documented(int e)
{
	switch (e) {
	case ENOTTY:
	case EINVAL:
	case E2BIG:
	case EFAULT:
	case EBADF:
	case EPERM:
	case ENOENT:
	case EMFILE:
	case ENOSPC:
	case EMLINK:
	case ETIME:
	case EINTR:
	case ECANCELED:
	case ETIMEDOUT:
	case ENOMEM:
		return true;
	}
	return false;
}

/* Every kctx ioctl goes through here. */
static int kioctl(struct thr *t, int fd, unsigned long cmd, void *arg)
{
	int r = ioctl(fd, cmd, arg), e = errno;

	if (r < 0 && !documented(e))
		fail(t, "ioctl %#lx on fd %d: undocumented errno %d (%s)",
		     cmd, fd, e, strerror(e));
	errno = e;
	return r;
}

/* ---- the model ---- */

static struct kobj *ko_new(struct kobj *parent)
{
	struct kobj *ko = calloc(1, sizeof(*ko));

	if (!ko) {
		perror("fuzz: calloc");
		_exit(2);
	}
	ko->refs = 1;
	ko->parent = parent;
	ko->depth = parent ? parent->depth + 1 : 1;
	if (parent)
		parent->refs++;
	ko->values_known = true;
	live_nodes++;
	return ko;
}

/* model_lock held. */
static void limbo_add(int64_t until)
{
	if (nlimbo == limbo_size) {
		limbo_size = limbo_size ? 2 * limbo_size : 256;
		limbo = realloc(limbo, limbo_size * sizeof(*limbo));
		if (!limbo) {
			perror("fuzz: realloc");
			_exit(2);
		}
	}
	limbo[nlimbo++] = until;
}

/* How many nodes may still be charged though the model let them go. */
static int limbo_count(void)
{
	int64_t now = now_ns(CLOCK_MONOTONIC);
	int i, n = 0;

	for (i = 0; i < nlimbo; i++)
		if (limbo[i] > now)
			limbo[n++] = limbo[i];
	nlimbo = n;
	return n;
}

/*
 * A create or attach (@what) failed with ENOSPC: count it, and check it
 * against the cap. Every node is charged until it is freed, and every
 * worker until its fd's last copy is closed. Under model_lock.
 */
static void check_enospc(struct thr *t, const char *what)
{
	count(&enospc_hits);
	if (!strict())
		return;
	if (cap_model < 0)
		fail(t, "%s: ENOSPC, but the cap is %ld", what, cap_orig);
	if (live_nodes + live_workers + limbo_count() < cap_model)
		fail(t, "%s: ENOSPC with %d contexts and %d workers alive (and %d a fired "
		     "deadline may hold), below the cap of %ld", what, live_nodes,
		     live_workers, nlimbo, cap_model);
}

/*
 * Drop a reference; free what nobody holds any more, up the chain.
 * A linked node whose effective deadline has just passed may be held,
 * after its fds are gone, by a deadline timer that fired (its own, or an
 * ancestor's whose walk is passing through it), and it holds its
 * ancestors: those go to limbo instead of straight out, and the first
 * ancestor that stays is marked, for when it goes. model_lock held.
 */
static void ko_put(struct kobj *ko)
{
	int64_t until = 0, now = 0;
	struct kobj *p;

	while (ko && --ko->refs == 0) {
		p = ko->parent;
		if (ko->linked && ko->has_deadline) {
			now = now ?: now_ns(CLOCK_MONOTONIC);
			if (ko->deadline_ns <= now && now - ko->deadline_ns < LIMBO_NS)
				until = now + LIMBO_NS;
		}
		if (ko->pinned_until > until)
			until = ko->pinned_until;
		if (until)
			limbo_add(until);
		live_nodes--;
		free(ko);
		ko = p;
	}
	if (ko && until > ko->pinned_until)
		ko->pinned_until = until;
}

static bool cancellable_kind(uint32_t kind)
{
	return kind == KCTX_KIND_CANCEL || kind == KCTX_KIND_DEADLINE;
}

/*
 * Whether anything can have made @ko done: a cancel of it or of an
 * ancestor whose cancels reach it, or an owner's death. The death of its
 * owner ends a root of any kind, and may end any node; a without-cancel
 * node is beyond its ancestors' reach. model_lock held.
 */
static bool ko_can_be_done(const struct kobj *ko)
{
	for (; ko; ko = ko->parent) {
		if (cancellable_kind(ko->kind) || ko->owner_gone)
			return true;
		if (ko->detached)
			return false;
	}
	return false;
}

/* Put @fd in the locked empty slot @s. model_lock held. */
static void slot_fill(struct slot *s, int fd, struct kobj *ko, bool owner)
{
	s->fd = fd;
	s->ko = ko;
	s->owner = owner;
	s->gen = __atomic_add_fetch(&gen_counter, 1, __ATOMIC_RELAXED);
	ko->refs++;
	if (owner)
		ko->owner_slots++;
}

/* Put a worker fd @fd of @wf in the locked empty slot @s. model_lock held. */
static void slot_fill_worker(struct slot *s, int fd, struct wfile *wf)
{
	s->fd = fd;
	s->ko = NULL;
	s->owner = false;
	s->wf = wf;
	s->gen = __atomic_add_fetch(&gen_counter, 1, __ATOMIC_RELAXED);
	wf->slots++;
}

/* Put @fd, a copy of the locked slot @from's file, in the locked empty @s. */
static void slot_fill_copy(struct slot *s, int fd, const struct slot *from)
{
	pthread_mutex_lock(&model_lock);
	if (from->wf)
		slot_fill_worker(s, fd, from->wf);
	else
		slot_fill(s, fd, from->ko, from->owner);
	pthread_mutex_unlock(&model_lock);
}

/*
 * The nodes a worker on @ko counts on, as the kernel's walk up goes: @ko,
 * then its ancestors, up to the first without-cancel node (included), whose
 * work is meant to outlive its parent's cancel, or else up to the
 * background root (excluded). Every one of them holds the next, so the
 * chain is there as long as @ko is. model_lock held.
 */
static void wf_count(struct wfile *wf)
{
	struct kobj *n;

	wf->counted = true;
	for (n = wf->ko; n; n = n->detached ? NULL : n->parent)
		n->workers++;
}

/* Before a detach or a last close: the worker is no longer sure to count. */
static void wf_uncount(struct wfile *wf)
{
	struct kobj *n;

	if (!wf->counted)
		return;
	wf->counted = false;
	for (n = wf->ko; n; n = n->detached ? NULL : n->parent) {
		n->workers--;
		n->workers_left++;
	}
}

/*
 * Whether the done context @ko must poll EPOLLHUP (1), must not (0), or
 * may go either way (-1), for a look at the kernel's count that began
 * with @ko->workers at @workers0 and @ko->workers_left at @left0. One
 * thread in the parent: exactly when no worker counts on it. Otherwise
 * only a worker counted before and not gone since is sure to hold it.
 * model_lock held.
 */
static int hup_want(const struct kobj *ko, int workers0, uint64_t left0)
{
	if (strict())
		return ko->workers == 0;
	if (workers0 > (int64_t)(ko->workers_left - left0))
		return 0;
	return -1;
}

/* Close the locked slot @s, a worker fd's. */
static void slot_close_worker(struct thr *t, struct slot *s)
{
	struct wfile *wf = s->wf;
	bool last, was;

	/*
	 * Before the close: once it begins, the worker may leave at any
	 * moment for all that another thread could tell. The file itself
	 * lives on if a fork child holds a copy; then the kernel's count
	 * stays above the model's until the child is gone, which only a
	 * model with threads can see (see struct kobj).
	 */
	pthread_mutex_lock(&model_lock);
	last = --wf->slots == 0;
	was = wf->counted;
	if (last)
		wf_uncount(wf);
	pthread_mutex_unlock(&model_lock);
	if (close(s->fd))
		fail(t, "close(%d): %s", s->fd, strerror(errno));
	if (last) {
		/* Released: uncounted, uncharged, and its context let go. */
		pthread_mutex_lock(&model_lock);
		if (was)
			count(&released_attached);
		live_workers--;
		ko_put(wf->ko);
		free(wf);
		pthread_mutex_unlock(&model_lock);
	}
	s->fd = -1;
	s->wf = NULL;
}

/* Close the locked slot @s. */
static void slot_close(struct thr *t, struct slot *s)
{
	struct kobj *ko = s->ko;
	bool last;

	if (s->wf) {
		slot_close_worker(t, s);
		return;
	}
	/*
	 * Before the close, so no thread sees its end before the model does:
	 * two threads closing the last two owner slots at once each count
	 * their own first, so one of them sees that it is the last.
	 */
	pthread_mutex_lock(&model_lock);
	last = s->owner && --ko->owner_slots == 0;
	if (last)
		ko->owner_gone = true;
	pthread_mutex_unlock(&model_lock);
	if (close(s->fd))
		fail(t, "close(%d): %s", s->fd, strerror(errno));
	pthread_mutex_lock(&model_lock);
	if (last) {
		/*
		 * The owner file is released: the context is cancelled, and a
		 * root is done whatever its kind.
		 */
		if (strict() && (cancellable_kind(ko->kind) || !ko->parent)) {
			ko->must_be_done = true;
			ko->must_seq = seq_next();
		}
	}
	ko_put(ko);
	pthread_mutex_unlock(&model_lock);
	s->fd = -1;
	s->ko = NULL;
	s->owner = false;
}

static bool slot_is(const struct slot *s, enum pick what)
{
	if (s->fd < 0)
		return false;
	return what == PICK_ANY || (what == PICK_WORKER) == !!s->wf;
}

/*
 * Pick and lock a filled slot, of a context fd, a worker fd or either,
 * starting at a random one. With @block the first candidate is waited for
 * (only when the caller holds no slot); otherwise busy slots are skipped.
 * -1 if none.
 */
static int pick_filled(struct thr *t, int avoid, bool block, enum pick what)
{
	int start = below(t, nslots), k, i;

	for (k = 0; k < nslots; k++) {
		i = (start + k) % nslots;
		if (i == avoid)
			continue;
		if (block)
			pthread_mutex_lock(&slots[i].lock);
		else if (pthread_mutex_trylock(&slots[i].lock))
			continue;
		if (slot_is(&slots[i], what))
			return i;
		pthread_mutex_unlock(&slots[i].lock);
	}
	return -1;
}

/* Pick and lock an empty slot; if none, empty one by closing it. */
static int pick_empty(struct thr *t, int avoid, bool block)
{
	int start = below(t, nslots), k, i;

	for (k = 0; k < nslots; k++) {
		i = (start + k) % nslots;
		if (i == avoid)
			continue;
		if (block)
			pthread_mutex_lock(&slots[i].lock);
		else if (pthread_mutex_trylock(&slots[i].lock))
			continue;
		if (slots[i].fd < 0)
			return i;
		pthread_mutex_unlock(&slots[i].lock);
	}
	i = pick_filled(t, avoid, block, PICK_ANY);
	if (i >= 0)
		slot_close(t, &slots[i]);
	return i;
}

static void unlock_slot(int i)
{
	if (i >= 0)
		pthread_mutex_unlock(&slots[i].lock);
}

/* Our tagged user causes name the process that cancelled. */
static uint64_t make_uc(struct thr *t)
{
	return UC_TAG << 56 | (uint64_t)(mypid & 0xffffff) << 32 |
	       (uint64_t)(t->idx & 0xff) << 24 | (++t->ucnt & 0xffffff);
}

/*
 * Check a KCTX_IOC_STATE reply for the locked slot @s against the model,
 * and learn from it. @s0 and @s1 bracket the call.
 */
static void observe(struct thr *t, struct slot *s, const struct kctx_state *st,
		    uint64_t s0, uint64_t s1)
{
	const uint32_t bits = KCTX_STATE_DONE | KCTX_STATE_DEADLINE |
			      KCTX_STATE_USER_CAUSE | KCTX_STATE_OWNER;
	bool done = st->state & KCTX_STATE_DONE;
	bool has_uc = st->state & KCTX_STATE_USER_CAUSE;
	struct kobj *ko = s->ko;
	pid_t pid;

	pthread_mutex_lock(&model_lock);
	if (st->state & ~bits)
		fail(t, "unknown state bits %#x", st->state);
	if (st->flags || st->__reserved)
		fail(t, "the reply has flags %#x, __reserved %#x", st->flags, st->__reserved);
	if (!!(st->state & KCTX_STATE_OWNER) != s->owner)
		fail(t, "the owner bit is %d on a%s fd", !!(st->state & KCTX_STATE_OWNER),
		     s->owner ? "n owner" : " watch-only");
	if (st->id != ko->id || st->parent_id != ko->parent_id)
		fail(t, "id %llu, parent %llu; want %llu, parent %llu",
		     (unsigned long long)st->id, (unsigned long long)st->parent_id,
		     (unsigned long long)ko->id, (unsigned long long)ko->parent_id);
	if (st->kind != ko->kind)
		fail(t, "kind %u, want %u", st->kind, ko->kind);
	if (!!(st->state & KCTX_STATE_DEADLINE) != ko->has_deadline ||
	    (int64_t)st->deadline_ns != (ko->has_deadline ? ko->deadline_ns : 0))
		fail(t, "deadline %d/%lld, want %d/%lld", !!(st->state & KCTX_STATE_DEADLINE),
		     (long long)st->deadline_ns, ko->has_deadline, (long long)ko->deadline_ns);
	if (done != (st->err != 0))
		fail(t, "the done bit is %d with err %d", done, st->err);
	if (!has_uc && st->user_cause)
		fail(t, "a user cause %#llx without KCTX_STATE_USER_CAUSE",
		     (unsigned long long)st->user_cause);
	if (!done) {
		if (st->cause || has_uc || st->canceller_pid)
			fail(t, "live, yet cause %d, user cause %d, canceller %d",
			     st->cause, has_uc, st->canceller_pid);
	} else if (st->err == -ETIMEDOUT) {
		if (st->cause != -ETIMEDOUT || has_uc || st->canceller_pid)
			fail(t, "timed out with cause %d, user cause %d, canceller %d",
			     st->cause, has_uc, st->canceller_pid);
	} else if (st->err == -ECANCELED) {
		if (st->cause >= 0 || st->cause < -4095)
			fail(t, "cancelled with cause %d", st->cause);
	} else {
		fail(t, "err %d", st->err);
	}
	if (done && !ko_can_be_done(ko))
		fail(t, "a context that nothing can cancel is done (err %d, cause %d)",
		     st->err, st->cause);
	if (done && has_uc && st->user_cause >> 56 == UC_TAG) {
		/* The canceller is the process that tagged the cause, or gone. */
		pid = (st->user_cause >> 32) & 0xffffff;
		if (st->canceller_pid != pid && (pid == mypid || st->canceller_pid))
			fail(t, "canceller %d, but the cause %#llx is from %d",
			     st->canceller_pid, (unsigned long long)st->user_cause, pid);
	}
	if (ko->done) {
		if (!done && s0 > ko->done_seq)
			fail(t, "live again after it was seen done (err %d, cause %d)",
			     ko->err, ko->cause);
		if (done && (st->err != ko->err || st->cause != ko->cause ||
			     has_uc != ko->has_uc || st->user_cause != ko->uc))
			fail(t, "err %d, cause %d, user cause %d/%#llx; it was %d, %d, %d/%#llx",
			     st->err, st->cause, has_uc, (unsigned long long)st->user_cause,
			     ko->err, ko->cause, ko->has_uc, (unsigned long long)ko->uc);
	} else if (done) {
		ko->done = true;
		ko->done_seq = s1;
		ko->err = st->err;
		ko->cause = st->cause;
		ko->has_uc = has_uc;
		ko->uc = st->user_cause;
		count(&done_seen);
	}
	if (ko->must_be_done && !done && s0 > ko->must_seq)
		fail(t, "live after its last owner fd was closed");
	pthread_mutex_unlock(&model_lock);
}

/* KCTX_IOC_STATE on the locked slot @s, checked; @extra bytes of zero tail. */
/*
 * The status page, mapped after KCTX_IOC_STATE answered @st, agrees with
 * it: the same context, and done with the same error and cause if it was
 * done then, since done-ness never goes back.
 */
static void check_status_page(struct thr *t, struct slot *s, const struct kctx_state *st)
{
	long ps = sysconf(_SC_PAGESIZE);
	const struct kctx_status *p = mmap(NULL, ps, PROT_READ, MAP_SHARED, s->fd, 0);
	int err;

	if (p == MAP_FAILED) {
		if (errno != ENOMEM)
			fail(t, "mmap of fd %d: %s", s->fd, strerror(errno));
		return;
	}
	err = __atomic_load_n(&p->err, __ATOMIC_ACQUIRE);
	if (p->id != st->id || p->parent_id != st->parent_id)
		fail(t, "fd %d: the status page is of context %llu, not %llu", s->fd,
		     (unsigned long long)p->id, (unsigned long long)st->id);
	if (st->err && (err != st->err || p->cause != st->cause))
		fail(t, "fd %d: the status page says err %d cause %d, the state %d %d",
		     s->fd, err, p->cause, st->err, st->cause);
	munmap((void *)p, ps);
}

static void state_of(struct thr *t, struct slot *s, unsigned int extra,
		     bool garbage, struct kctx_state *out)
{
	struct {
		struct kctx_state st;
		unsigned char tail[64];
	} b;
	uint64_t s0, s1;
	unsigned int i;

	memset(&b, 0, sizeof(b));
	if (garbage)	/* everything but size and flags is the kernel's to write */
		memset(&b.st, 0x5a, sizeof(b.st));
	b.st.size = sizeof(b.st) + extra;
	b.st.flags = 0;
	s0 = seq_next();
	if (kioctl(t, s->fd, KCTX_IOC_STATE, &b))
		fail(t, "KCTX_IOC_STATE on fd %d (size %u): %s", s->fd, b.st.size,
		     strerror(errno));
	s1 = seq_next();
	/* The reply carries the kernel's size: this header's, or less. */
	if (b.st.size != sizeof(b.st))
		fail(t, "the reply's size is %u, not %zu (asked with %zu)", b.st.size,
		     sizeof(b.st), sizeof(b.st) + extra);
	for (i = 0; i < extra; i++)
		if (b.tail[i])
			fail(t, "the kernel wrote past its struct");
	observe(t, s, &b.st, s0, s1);
	check_status_page(t, s, &b.st);
	if (out)
		*out = b.st;
}

/* The nearest up-ancestor chain from @ko reaches @x (or is @x). */
static bool descends_from(const struct kobj *ko, const struct kobj *x, bool strict_mode)
{
	bool first = true;

	for (; ko; ko = ko->parent, first = false) {
		if (ko == x)
			return true;
		if (ko->detached)
			return false;
		/*
		 * Below @x, a node done by someone else may still be walking
		 * its own subtree (a fired deadline's walk runs from a work
		 * item; another thread's cancel is still going on): only
		 * nodes nobody else can make done are sure to be passed.
		 */
		if (!first && ko->kind != KCTX_KIND_VALUE &&
		    !(strict_mode && ko->kind == KCTX_KIND_CANCEL))
			return false;
	}
	return false;
}

/* ---- operations ---- */

static const char *kind_name(uint32_t k)
{
	static const char *const n[] = { "cancel", "deadline", "value", "without_cancel" };

	return k < 4 ? n[k] : "bad";
}

/* A random deadline request; [*lo, *hi] bounds it on CLOCK_MONOTONIC. */
static void pick_deadline(struct thr *t, struct kctx_create *c, int *variant)
{
	static const clockid_t clocks[] = { CLOCK_MONOTONIC, CLOCK_REALTIME, CLOCK_BOOTTIME };
	int64_t d = 0, base;

	*variant = below(t, 10);
	c->clockid = 0;
	switch (*variant) {
	case 0:		/* relative 0: due at once */
		c->flags |= KCTX_CREATE_RELATIVE;
		return;
	case 1:		/* relative, under 2 ms */
		d = below(t, 2000000);
		break;
	case 2:		/* relative, 2 to 50 ms */
		d = 2000000 + below(t, 48000000);
		break;
	case 3:		/* relative, an hour to 100 days */
		d = 3600 * NSEC + (int64_t)below(t, 100 * 86400) * NSEC;
		break;
	case 4:		/* relative, up to forever: saturates */
		c->flags |= KCTX_CREATE_RELATIVE;
		c->deadline_sec = rnd(t) >> 1;
		c->deadline_nsec = below(t, NSEC);
		return;
	case 5:		/* absolute, in the past */
		c->clockid = clocks[below(t, 3)];
		base = now_ns(c->clockid);
		d = base > 0 ? (int64_t)(rnd(t) % (uint64_t)base) : 0;
		c->deadline_sec = d / NSEC;
		c->deadline_nsec = d % NSEC;
		return;
	case 6:		/* absolute, soon */
	case 7:		/* absolute, far */
		c->clockid = clocks[below(t, 3)];
		d = *variant == 6 ? below(t, 20000000) : 86400 * NSEC + below(t, 1000) * NSEC;
		d += now_ns(c->clockid);
		c->deadline_sec = d / NSEC;
		c->deadline_nsec = d % NSEC;
		return;
	case 8:		/* absolute zero */
		c->clockid = clocks[below(t, 3)];
		return;
	default:	/* absolute, at or past the end of ktime */
		c->clockid = clocks[below(t, 3)];
		c->deadline_sec = KTIME_SEC_MAX + below(t, 3) - 1;
		if (chance(t, 30))
			c->deadline_sec = INT64_MAX;
		c->deadline_nsec = below(t, NSEC);
		return;
	}
	c->flags |= KCTX_CREATE_RELATIVE;
	c->deadline_sec = d / NSEC;
	c->deadline_nsec = d % NSEC;
}

static int64_t sat_add(int64_t a, int64_t b)
{
	int64_t r;

	return __builtin_add_overflow(a, b, &r) || r < 0 ? KTIME_MAX : r;
}

/* The kernel's ktime_set() with KTIME_MAX for "never". */
static int64_t ktime_of(int64_t sec, int64_t nsec)
{
	if (sec >= KTIME_SEC_MAX)
		return KTIME_MAX;
	return sec * NSEC + nsec;
}

/*
 * Bounds on the CLOCK_MONOTONIC deadline the kernel computed for @c, given
 * clock readings before (@b*) and after (@a*) the call.
 */
static void deadline_bounds(const struct kctx_create *c, int64_t bmono, int64_t amono,
			    int64_t boff, int64_t aoff, int64_t *lo, int64_t *hi)
{
	int64_t t = ktime_of(c->deadline_sec, c->deadline_nsec);
	/*
	 * The kernel reads the other clock and CLOCK_MONOTONIC one after the
	 * other, so its offset is off by whatever ran between the two reads:
	 * an interrupt, a preemption. Under TCG on the debug kernel that has
	 * been seen at 2.6 ms.
	 */
	const int64_t slack = 50000000;

	if (c->flags & KCTX_CREATE_RELATIVE) {
		*lo = sat_add(bmono, t);
		*hi = sat_add(amono, t);
	} else if (t == KTIME_MAX) {
		*lo = *hi = KTIME_MAX;
	} else if (c->clockid == CLOCK_MONOTONIC) {
		*lo = *hi = t;
	} else {
		*lo = t - aoff - slack;	/* aoff: the largest offset seen */
		*hi = t - boff + slack;	/* boff: the smallest */
	}
}

/* @clk minus CLOCK_MONOTONIC, bracketed: the true offset is in [*lo, *hi]. */
static void clock_offset(clockid_t clk, int64_t *lo, int64_t *hi)
{
	int64_t m0, c, m1;

	if (clk == CLOCK_MONOTONIC) {
		*lo = *hi = 0;
		return;
	}
	m0 = now_ns(CLOCK_MONOTONIC);
	c = now_ns(clk);
	m1 = now_ns(CLOCK_MONOTONIC);
	*lo = c - m1;
	*hi = c - m0;
}

/* Set /proc/thread-self/fail-nth; read it back. */
static void fail_nth_set(struct thr *t, int n)
{
	char b[16];
	int len = snprintf(b, sizeof(b), "%d", n);

	if (pwrite(t->fail_nth, b, len, 0) != len)
		fail(t, "fail-nth: %s", strerror(errno));
}

static int fail_nth_get(struct thr *t)
{
	char b[16] = "";

	if (pread(t->fail_nth, b, sizeof(b) - 1, 0) <= 0)
		fail(t, "fail-nth: %s", strerror(errno));
	return atoi(b);
}

static void check_cloexec(struct thr *t, int fd, bool want)
{
	int f = fcntl(fd, F_GETFD);

	if (f < 0 || !!(f & FD_CLOEXEC) != want)
		fail(t, "fd %d: FD_CLOEXEC is %d, want %d", fd,
		     f < 0 ? -1 : !!(f & FD_CLOEXEC), want);
}

/*
 * KCTX_IOC_CREATE of @kind under the locked slot @ps, or with @ps -1 under
 * /dev/kctx (a new open of it with @fresh_dev), into the locked empty slot
 * @si, checked against the model; @what names the operation. Returns
 * whether it made a context. The caller unlocks the slots.
 */
static bool do_create(struct thr *t, const char *what, uint32_t kind, int ps, bool fresh_dev,
		      int si, bool may_fault)
{
	struct {
		struct kctx_create c;
		unsigned char tail[64];
	} b;
	struct kctx_create *c = &b.c;
	int pfd = dev_fd, fd = -1, e, dl_variant = -1, fired = 0, key_idx = 0, pdepth = 0;
	bool fault = false, pdone = false, powner = true;
	int64_t bmono, amono, boff = 0, aoff = 0, lo = 0, hi = 0, pd = NEVER, l2, h2;
	struct kobj *pko = NULL, *ko;
	struct kctx_state st;
	int32_t perr = 0, pcause = 0;
	bool puc = false;
	uint64_t puv = 0, s0;
	unsigned int extra = 0;

	memset(&b, 0, sizeof(b));
	c->kind = kind;
	if (chance(t, 15))
		extra = 8 * (1 + below(t, 8));
	c->size = sizeof(*c) + extra;
	if (chance(t, 50))
		c->flags |= KCTX_FD_NO_CLOEXEC;
	if (c->kind == KCTX_KIND_DEADLINE)
		pick_deadline(t, c, &dl_variant);
	if (c->kind == KCTX_KIND_VALUE) {
		key_idx = below(t, NKEYS);
		c->key = keys[key_idx];
		c->value = rnd(t);
	}
	fault = have_fail_nth && !in_child && may_fault && chance(t, 3);
	note(t, "%s %s%s under %s%d into slot %d, size %u, flags %#x, dl %d%s", what,
	     kind_name(c->kind), fault ? " (fail-nth 1)" : "",
	     ps >= 0 ? "slot " : (fresh_dev ? "new /dev/kctx " : "/dev/kctx "),
	     ps, si, c->size, c->flags, dl_variant, "");

	if (ps >= 0) {
		pfd = slots[ps].fd;
		powner = slots[ps].owner;
		pthread_mutex_lock(&model_lock);
		pko = slots[ps].ko;
		pko->refs++;
		pdepth = pko->depth;
		pdone = pko->done;
		perr = pko->err;
		pcause = pko->cause;
		puc = pko->has_uc;
		puv = pko->uc;
		if (pko->has_deadline && c->kind != KCTX_KIND_WITHOUT_CANCEL)
			pd = pko->deadline_ns;
		pthread_mutex_unlock(&model_lock);
	} else if (fresh_dev) {
		pfd = open(KCTX_DEVICE, O_RDWR | O_CLOEXEC);
		if (pfd < 0) {
			if (mt && errno == EMFILE)
				goto out;
			fail(t, "open " KCTX_DEVICE ": %s", strerror(errno));
		}
	}

	if (fault)
		fail_nth_set(t, 1);
	if (c->kind == KCTX_KIND_DEADLINE && !(c->flags & KCTX_CREATE_RELATIVE))
		clock_offset(c->clockid, &boff, &aoff);
	bmono = now_ns(CLOCK_MONOTONIC);
	s0 = seq_next();
	fd = kioctl(t, pfd, KCTX_IOC_CREATE, &b);
	e = errno;
	amono = now_ns(CLOCK_MONOTONIC);
	if (c->kind == KCTX_KIND_DEADLINE && !(c->flags & KCTX_CREATE_RELATIVE)) {
		clock_offset(c->clockid, &l2, &h2);
		boff = l2 < boff ? l2 : boff;	/* the offset is in [boff, aoff] */
		aoff = h2 > aoff ? h2 : aoff;
	}
	if (fault) {
		fired = fail_nth_get(t) == 0;
		fail_nth_set(t, 0);
	}

	if (!powner) {
		if (fd >= 0 || e != EPERM)
			fail(t, "create on a watch-only fd: %d/%s, want EPERM", fd, strerror(e));
		goto out;
	}
	pthread_mutex_lock(&model_lock);
	if (fd < 0) {
		switch (e) {
		case ENOSPC:
			check_enospc(t, "create");
			break;
		case EMLINK:
			count(&emlink_hits);
			if (pdepth < KCTX_MAX_DEPTH)
				fail(t, "EMLINK under a context at depth %d", pdepth);
			break;
		case ENOMEM:
			count(&enomem_hits);
			if (!fired)
				fail(t, "ENOMEM with no allocation failure injected");
			break;
		case EMFILE:
			count(&emfile_hits);
			if (!mt)
				fail(t, "EMFILE with fds to spare");
			break;
		default:
			fail(t, "create failed: %s", strerror(e));
		}
		if (fired && e != ENOMEM && e != ENOSPC && e != EMLINK)
			fail(t, "an injected allocation failure gave %s", strerror(e));
		pthread_mutex_unlock(&model_lock);
		fd = -1;
		goto out;
	}
	if (fired)
		fail(t, "create succeeded through an injected allocation failure");
	if (pdepth >= KCTX_MAX_DEPTH)
		fail(t, "made a child of a context at depth %d", pdepth);
	if (strict() && cap_model >= 0 && live_nodes + live_workers >= cap_model)
		fail(t, "create succeeded with %d contexts and %d workers alive, at the cap "
		     "of %ld", live_nodes, live_workers, cap_model);
	ko = ko_new(pko);
	ko->parent_id = pko ? pko->id : 1;
	ko->detached = c->kind == KCTX_KIND_WITHOUT_CANCEL;
	if (pko) {
		ko->values_known = pko->values_known;
		ko->vmask = pko->vmask;
		memcpy(ko->vals, pko->vals, sizeof(ko->vals));
	}
	if (c->kind == KCTX_KIND_VALUE) {
		ko->vmask |= 1U << key_idx;
		ko->vals[key_idx] = c->value;
	}
	slot_fill(&slots[si], fd, ko, true);
	ko->refs--;	/* the slot holds it */
	pthread_mutex_unlock(&model_lock);
	check_cloexec(t, fd, !(c->flags & KCTX_FD_NO_CLOEXEC));

	/* What the new context must be, from its reply. */
	memset(&st, 0, sizeof(st));
	st.size = sizeof(st);
	if (kioctl(t, fd, KCTX_IOC_STATE, &st))
		fail(t, "KCTX_IOC_STATE: %s", strerror(errno));
	pthread_mutex_lock(&model_lock);
	if (strict() && st.id <= max_id)
		fail(t, "new id %llu, not above %llu", (unsigned long long)st.id,
		     (unsigned long long)max_id);
	if (st.id > max_id)
		max_id = st.id;
	ko->id = st.id;
	if (c->kind == KCTX_KIND_DEADLINE) {
		deadline_bounds(c, bmono, amono, boff, aoff, &lo, &hi);
		if (hi < pd && st.kind != KCTX_KIND_DEADLINE)
			fail(t, "deadline [%lld, %lld] before the parent's %lld, yet kind %u",
			     (long long)lo, (long long)hi, (long long)pd, st.kind);
		if (lo >= pd && st.kind != KCTX_KIND_CANCEL)
			fail(t, "deadline [%lld, %lld] not before the parent's %lld, yet kind %u",
			     (long long)lo, (long long)hi, (long long)pd, st.kind);
		if (st.kind != KCTX_KIND_DEADLINE && st.kind != KCTX_KIND_CANCEL)
			fail(t, "a deadline request made kind %u", st.kind);
	} else if (st.kind != c->kind) {
		fail(t, "asked for kind %u, got %u", c->kind, st.kind);
	}
	ko->kind = st.kind;
	/* Born done, it is linked nowhere: no deadline's walk can hold it. */
	ko->linked = !pdone && !(st.kind == KCTX_KIND_DEADLINE &&
				 (int64_t)st.deadline_ns <= bmono);
	if (st.kind == KCTX_KIND_DEADLINE) {
		if (!(st.state & KCTX_STATE_DEADLINE) || (int64_t)st.deadline_ns < lo ||
		    (int64_t)st.deadline_ns > hi || (int64_t)st.deadline_ns >= pd)
			fail(t, "deadline %lld, want in [%lld, %lld] and before %lld",
			     (long long)st.deadline_ns, (long long)lo, (long long)hi,
			     (long long)pd);
		ko->has_deadline = true;
		ko->deadline_ns = st.deadline_ns;
		/* Due before the call: born done. */
		if (ko->deadline_ns <= bmono && !(st.state & KCTX_STATE_DONE))
			fail(t, "deadline %lld is past (%lld), yet live",
			     (long long)ko->deadline_ns, (long long)bmono);
	} else {
		ko->has_deadline = pd != NEVER;
		ko->deadline_ns = pd != NEVER ? pd : 0;
	}
	pthread_mutex_unlock(&model_lock);
	observe(t, &slots[si], &st, s0, seq_next());

	/* A child of a done parent is born done, with the parent's cause. */
	if (pdone) {
		count(&born_done);
		if (c->kind == KCTX_KIND_WITHOUT_CANCEL) {
			if (st.err)
				fail(t, "without_cancel child of a done parent is done");
		} else if (st.err != perr || st.cause != pcause ||
			   !!(st.state & KCTX_STATE_USER_CAUSE) != puc || st.user_cause != puv) {
			fail(t, "child of a done parent (%d, %d, %d/%#llx) born %d, %d, %d/%#llx",
			     perr, pcause, puc, (unsigned long long)puv, st.err, st.cause,
			     !!(st.state & KCTX_STATE_USER_CAUSE),
			     (unsigned long long)st.user_cause);
		}
	}
out:
	if (fresh_dev && pfd >= 0)
		close(pfd);
	if (pko) {
		pthread_mutex_lock(&model_lock);
		ko_put(pko);
		pthread_mutex_unlock(&model_lock);
	}
	return fd >= 0;
}

static void op_create(struct thr *t)
{
	uint32_t kind = below(t, 4);
	bool fresh_dev = false;
	int ps = -1, si;

	if (chance(t, 20))
		fresh_dev = chance(t, 10);
	else
		ps = pick_filled(t, -1, true, PICK_CTX);
	si = pick_empty(t, ps, ps < 0);
	if (si < 0) {
		unlock_slot(ps);
		note(t, "create: no slot");
		return;
	}
	do_create(t, "create", kind, ps, fresh_dev, si, true);
	unlock_slot(si);
	unlock_slot(ps);
}

/* Pick and lock a slot holding an owner fd, as pick_filled() does; -1 if none. */
static int pick_owner(struct thr *t)
{
	int start = below(t, nslots), k, i;

	for (k = 0; k < nslots; k++) {
		i = (start + k) % nslots;
		pthread_mutex_lock(&slots[i].lock);
		if (slots[i].fd >= 0 && slots[i].owner)
			return i;
		pthread_mutex_unlock(&slots[i].lock);
	}
	return -1;
}

/*
 * Chain and close: a child of an owner fd, then that fd closed. The parent
 * lives on, held by its child, and charged; if the fd was its owner's last,
 * it is done, and the child with it. Repeated, this makes chains that are
 * deep without holding fds. Now and then (one thread, with the cap raised
 * to fit) it dives: it goes on until the chain is KCTX_MAX_DEPTH deep and
 * the next create is EMLINK, then often closes the chain's last fd, which
 * frees the whole chain at once, and puts the cap back.
 */
static void op_chain(struct thr *t)
{
	bool dive = strict() && chance(t, 1), raised = false;
	int ps = pick_owner(t), si, steps = 1, k;
	long old_cap = cap_model, need;

	note(t, "chain under slot %d%s", ps, dive ? ", dive" : "");
	if (ps < 0)
		return;
	if (dive) {
		pthread_mutex_lock(&model_lock);
		steps = KCTX_MAX_DEPTH - slots[ps].ko->depth + 1;
		need = live_nodes + live_workers + limbo_count() + steps + 8;
		if (cap_model >= 0 && cap_model < need) {
			if (!write_long(CAP_PARAM, need))
				fail(t, "writing " CAP_PARAM ": %s", strerror(errno));
			cap_model = need;
			raised = true;
		}
		pthread_mutex_unlock(&model_lock);
		count(&dives);
	}
	for (k = 0; k < steps; k++) {
		si = pick_empty(t, ps, false);
		if (si < 0)
			break;
		if (!do_create(t, dive ? "chain (dive)" : "chain", below(t, 4), ps, false, si,
			       !dive)) {
			unlock_slot(si);
			break;
		}
		slot_close(t, &slots[ps]);
		unlock_slot(ps);
		ps = si;
	}
	if (dive && raised && chance(t, 60)) {
		note(t, "chain: close the dive's last fd, cap back to %ld", old_cap);
		slot_close(t, &slots[ps]);
		pthread_mutex_lock(&model_lock);
		if (!write_long(CAP_PARAM, old_cap))
			fail(t, "writing " CAP_PARAM ": %s", strerror(errno));
		cap_model = old_cap;
		pthread_mutex_unlock(&model_lock);
	}
	unlock_slot(ps);
}

static void op_state(struct thr *t)
{
	int si = pick_filled(t, -1, true, PICK_CTX);
	unsigned int extra = chance(t, 20) ? 8 * (1 + below(t, 8)) : 0;
	bool garbage = chance(t, 10);

	note(t, "state slot %d, extra %u%s", si, extra, garbage ? ", garbage" : "");
	if (si < 0)
		return;
	state_of(t, &slots[si], extra, garbage, NULL);
	unlock_slot(si);
}

/* After a cancel of @x took effect: every descendant we can see is done. */
static void check_descendants(struct thr *t, int xi, struct kobj *x)
{
	struct kctx_state st;
	bool below;
	int i;

	for (i = 0; i < nslots; i++) {
		if (i != xi && pthread_mutex_trylock(&slots[i].lock))
			continue;
		if (slot_is(&slots[i], PICK_CTX)) {
			pthread_mutex_lock(&model_lock);
			below = descends_from(slots[i].ko, x, strict());
			pthread_mutex_unlock(&model_lock);
			if (below) {
				state_of(t, &slots[i], 0, false, &st);
				if (!st.err)
					fail(t, "slot %d is live; its ancestor's (%d) cancel won",
					     i, xi);
				count(&descendants_checked);
			}
		}
		if (i != xi)
			pthread_mutex_unlock(&slots[i].lock);
	}
}

static void op_cancel(struct thr *t)
{
	struct {
		struct kctx_cancel c;
		unsigned char tail[32];
	} b;
	int si = pick_filled(t, -1, true, PICK_CTX), v = below(t, 5), r, e, hw = -1;
	static const int32_t codes[] = { 0, -ECANCELED, -EIO, -EOWNERDEAD, -4095 };
	bool wait = chance(t, 20);
	struct kctx_state st;
	struct kobj *x;
	uint64_t left0 = 0;
	int workers0 = 0;

	memset(&b, 0, sizeof(b));
	b.c.size = sizeof(b.c) + (chance(t, 10) ? 8 : 0);
	if (wait) {
		/*
		 * 0 only asks whether any work is attached; a wait of up to 2 ms
		 * for work that only this thread could end times out.
		 */
		b.c.flags = KCTX_CANCEL_WAIT;
		b.c.wait_ns = chance(t, 70) ? 0 : below(t, 2000000);
	}
	if (v > 0) {
		b.c.flags |= KCTX_CANCEL_CAUSE;
		b.c.code = v == 4 ? -(int32_t)(1 + below(t, 4095)) : codes[below(t, 5)];
		if (chance(t, 80)) {
			b.c.user_cause = make_uc(t);
		} else {
			b.c.user_cause = rnd(t);
			b.c.user_cause >>= below(t, 64);
			if (b.c.user_cause >> 56 == UC_TAG)	/* not ours */
				b.c.user_cause ^= 1ULL << 63;
		}
	}
	/* Our tagged causes carry the pid: only their counter goes in the digest. */
	note(t, "cancel slot %d, flags %u, code %d, uc %s%#llx, wait %llu", si, b.c.flags,
	     b.c.code, b.c.user_cause >> 56 == UC_TAG ? "ours " : "",
	     (unsigned long long)(b.c.user_cause >> 56 == UC_TAG ?
				  b.c.user_cause & 0xffffff : b.c.user_cause),
	     (unsigned long long)b.c.wait_ns);
	if (si < 0)
		return;
	pthread_mutex_lock(&model_lock);
	workers0 = slots[si].ko->workers;
	left0 = slots[si].ko->workers_left;
	pthread_mutex_unlock(&model_lock);
	r = kioctl(t, slots[si].fd, KCTX_IOC_CANCEL, &b);
	e = errno;
	if (!slots[si].owner) {
		if (r != -1 || e != EPERM)
			fail(t, "cancel on a watch-only fd: %d/%s, want EPERM", r, strerror(e));
		goto out;
	}
	if (wait) {
		/* The wait's answer is whether workers still count on it. */
		pthread_mutex_lock(&model_lock);
		hw = hup_want(slots[si].ko, workers0, left0);
		if (r && e != ETIME)
			fail(t, "cancel-wait: %s", strerror(e));
		if (r && hw == 1)
			fail(t, "cancel-wait: ETIME, with no worker attached at or below");
		if (!r && hw == 0)
			fail(t, "cancel-wait: 0, with %d worker%s attached at or below",
			     slots[si].ko->workers, slots[si].ko->workers == 1 ? "" : "s");
		pthread_mutex_unlock(&model_lock);
		count(r ? &wait_etime : &wait_zero);
	} else if (r) {
		fail(t, "cancel: %s", strerror(e));
	}
	state_of(t, &slots[si], 0, false, &st);
	if (cancellable_kind(st.kind) && !st.err)
		fail(t, "live after KCTX_IOC_CANCEL returned");
	if ((b.c.flags & KCTX_CANCEL_CAUSE) && st.user_cause == b.c.user_cause &&
	    (st.state & KCTX_STATE_USER_CAUSE) && b.c.user_cause >> 56 == UC_TAG) {
		/* Ours won. */
		if (st.err != -ECANCELED || st.cause != (b.c.code ?: -ECANCELED) ||
		    st.canceller_pid != mypid)
			fail(t, "our cancel won, yet err %d, cause %d, canceller %d",
			     st.err, st.cause, st.canceller_pid);
		x = slots[si].ko;
		check_descendants(t, si, x);
	}
out:
	unlock_slot(si);
}

static void op_value(struct thr *t)
{
	struct {
		struct kctx_value v;
		unsigned char tail[16];
	} b;
	int si = pick_filled(t, -1, true, PICK_CTX), k = below(t, NKEYS + 2), r, e;
	struct kobj *ko;

	memset(&b, 0, sizeof(b));
	b.v.size = sizeof(b.v) + (chance(t, 10) ? 16 : 0);
	b.v.key = k < NKEYS ? keys[k] : 0x1234567800000000ULL + k;
	b.v.value = rnd(t);	/* the kernel's to write */
	note(t, "value slot %d key %#llx", si, (unsigned long long)b.v.key);
	if (si < 0)
		return;
	r = kioctl(t, slots[si].fd, KCTX_IOC_VALUE, &b);
	e = errno;
	pthread_mutex_lock(&model_lock);
	ko = slots[si].ko;
	if (!ko->values_known) {
		if (r && e != ENOENT)
			fail(t, "value: %s", strerror(e));
	} else if (k < NKEYS && (ko->vmask & (1U << k))) {
		if (r || b.v.value != ko->vals[k])
			fail(t, "value: %d/%s, value %#llx; want %#llx", r, strerror(e),
			     (unsigned long long)b.v.value, (unsigned long long)ko->vals[k]);
	} else if (r != -1 || e != ENOENT) {
		fail(t, "value of a key nobody set: %d/%s, want ENOENT", r, strerror(e));
	}
	pthread_mutex_unlock(&model_lock);
	unlock_slot(si);
}

static void op_watch(struct thr *t)
{
	struct {
		struct kctx_watch w;
		unsigned char tail[16];
	} b;
	int si = pick_filled(t, -1, true, PICK_CTX), di, fd, e;
	struct kctx_state st;

	memset(&b, 0, sizeof(b));
	b.w.size = sizeof(b.w) + (chance(t, 10) ? 16 : 0);
	b.w.flags = chance(t, 50) ? KCTX_FD_NO_CLOEXEC : 0;
	di = pick_empty(t, si, false);
	note(t, "watch slot %d into slot %d, flags %u", si, di, b.w.flags);
	if (si < 0 || di < 0)
		goto out;
	fd = kioctl(t, slots[si].fd, KCTX_IOC_WATCH, &b);
	e = errno;
	if (fd < 0) {
		if (e == EMFILE && mt) {
			count(&emfile_hits);
			goto out;
		}
		fail(t, "watch: %s", strerror(e));
	}
	pthread_mutex_lock(&model_lock);
	slot_fill(&slots[di], fd, slots[si].ko, false);
	pthread_mutex_unlock(&model_lock);
	check_cloexec(t, fd, !b.w.flags);
	state_of(t, &slots[di], 0, false, &st);
out:
	unlock_slot(di);
	unlock_slot(si);
}

static int attach_efd(struct thr *t, int fd, int efd)
{
	struct kctx_attach_eventfd a = { .size = sizeof(a), .eventfd = efd };

	return kioctl(t, fd, KCTX_IOC_ATTACH_EVENTFD, &a);
}

static void op_attach_efd(struct thr *t)
{
	int si = pick_filled(t, -1, true, PICK_CTX), v = below(t, 10), ei = below(t, NEFD);
	int efd = t->efd[ei], r, e;
	uint64_t s0, n;
	struct kobj *ko;
	bool known_done;

	switch (v) {
	case 0:
		efd = pipe_fds[0];
		break;
	case 1:
		efd = chance(t, 50) ? -1 : 4000 + (int)below(t, 1000);
		break;
	case 2:
		efd = si >= 0 ? slots[si].fd : dev_fd;
		break;
	}
	note(t, "attach_efd slot %d, eventfd %d (variant %d)", si, efd, v);
	if (si < 0)
		return;
	pthread_mutex_lock(&model_lock);
	ko = slots[si].ko;
	known_done = ko->done;
	pthread_mutex_unlock(&model_lock);
	s0 = seq_next();
	r = attach_efd(t, slots[si].fd, efd);
	e = errno;
	if (!slots[si].owner) {
		if (r != -1 || e != EPERM)
			fail(t, "attach on a watch-only fd: %d/%s, want EPERM", r, strerror(e));
	} else if (v < 3) {
		if (r != -1 || e != EBADF)
			fail(t, "attach of fd %d: %d/%s, want EBADF", efd, r, strerror(e));
	} else if (r) {
		pthread_mutex_lock(&model_lock);
		/* Threads attaching at once may not have counted theirs yet. */
		if (e != ENOSPC || ko->attached < KCTX_MAX_EVENTFDS - (mt ? nthreads : 0))
			fail(t, "attach: %s, with %d attached", strerror(e), ko->attached);
		pthread_mutex_unlock(&model_lock);
	} else {
		pthread_mutex_lock(&model_lock);
		if (!ko->done || ko->done_seq > s0)
			ko->attached++;
		pthread_mutex_unlock(&model_lock);
		/* Attached to a context already done: signalled at once. */
		if (known_done && !in_child &&
		    (read(efd, &n, sizeof(n)) != sizeof(n) || !n))
			fail(t, "an eventfd attached to a done context is not signalled");
	}
	unlock_slot(si);
}

/*
 * A worker fd's fdinfo: its context's id, whether it is attached, and since
 * when. False if it could not be read for want of an fd, which another
 * thread's squeeze may cause.
 */
static bool worker_info(struct thr *t, int fd, uint64_t *id, int *attached, int64_t *since)
{
	char path[64], buf[1024], *p;
	unsigned long long v;
	long long sn;
	ssize_t n;
	int f;

	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", fd);
	f = open(path, O_RDONLY | O_CLOEXEC);
	if (f < 0) {
		if (mt && (errno == EMFILE || errno == ENFILE))
			return false;
		fail(t, "%s: %s", path, strerror(errno));
	}
	n = read(f, buf, sizeof(buf) - 1);
	close(f);
	if (n <= 0)
		fail(t, "reading %s: %s", path, n ? strerror(errno) : "empty");
	buf[n] = 0;
	p = strstr(buf, "\nctx_id:");
	if (!p || sscanf(p, "\nctx_id: %llu", &v) != 1)
		fail(t, "%s has no ctx_id: \"%s\"", path, buf);
	*id = v;
	p = strstr(buf, "\nattached:");
	if (!p || sscanf(p, "\nattached: %d", attached) != 1)
		fail(t, "%s has no attached: \"%s\"", path, buf);
	p = strstr(buf, "\nsince_ns:");
	if (!p || sscanf(p, "\nsince_ns: %lld", &sn) != 1)
		fail(t, "%s has no since_ns: \"%s\"", path, buf);
	*since = sn;
	return true;
}

/*
 * Check the locked worker slot @s against the model, through fdinfo: its
 * context, and whether it is attached. A detach is for good, so once one
 * has returned it says 0 to everyone; while it says 1, only one thread in
 * the parent knows that nothing is detaching it meanwhile. @since_lo and
 * @since_hi, unless 0, bracket its attach.
 */
static void worker_check(struct thr *t, struct slot *s, int64_t since_lo, int64_t since_hi)
{
	struct wfile *wf = s->wf;
	uint64_t id, s0;
	int64_t since;
	int a;

	if (!have_fdinfo)
		return;
	s0 = seq_next();
	if (!worker_info(t, s->fd, &id, &a, &since))
		return;
	pthread_mutex_lock(&model_lock);
	if (id != wf->ko->id)
		fail(t, "a worker of context %llu says ctx_id %llu",
		     (unsigned long long)wf->ko->id, (unsigned long long)id);
	if (a != 0 && a != 1)
		fail(t, "a worker's fdinfo says attached %d", a);
	if (a && wf->detached_seq && wf->detached_seq < s0)
		fail(t, "a worker still attached after KCTX_IOC_DETACH returned");
	if (strict() && a != !wf->detached_seq)
		fail(t, "a worker's fdinfo says attached %d, yet it was %sdetached", a,
		     wf->detached_seq ? "" : "never ");
	pthread_mutex_unlock(&model_lock);
	if (since_lo && (since < since_lo || since > since_hi))
		fail(t, "a worker attached in [%lld, %lld] says since_ns %lld",
		     (long long)since_lo, (long long)since_hi, (long long)since);
}

/* Check the locked slot @s against the model, whichever kind of fd it holds. */
static void check_slot(struct thr *t, struct slot *s)
{
	struct kctx_state st;

	if (s->wf)
		worker_check(t, s, 0, 0);
	else
		state_of(t, s, 0, false, &st);
}

/*
 * With one thread, before the worker @wf leaves: find a done context in a
 * slot other than @avoid that only @wf holds back from EPOLLHUP, lock it,
 * and watch it with a new edge-triggered epoll, which must report EPOLLIN
 * alone so far. Then the worker's leaving must wake it with EPOLLHUP
 * (drain_watch_end()): with nothing else to wake that watch, that is the
 * wake-up of pollers when the count reaches zero. Returns the slot, or -1;
 * *@ep gets the epoll fd.
 */
static int drain_watch(struct thr *t, const struct wfile *wf, int avoid, int *ep)
{
	struct epoll_event ev = { .events = EPOLLIN | EPOLLET }, out;
	static uint64_t mark;
	int i = -1, k, start, r;
	const struct kobj *ko;
	struct kobj *n;
	bool ok = false;

	if (!strict() || !wf->counted)
		return -1;
	/* Mark the nodes it counts on, once: chains may be KCTX_MAX_DEPTH long. */
	pthread_mutex_lock(&model_lock);
	mark++;
	for (n = wf->ko; n; n = n->detached ? NULL : n->parent)
		n->chain_mark = mark;
	pthread_mutex_unlock(&model_lock);
	start = below(t, nslots);
	for (k = 0; k < nslots && !ok; k++) {
		i = (start + k) % nslots;
		if (i == avoid || pthread_mutex_trylock(&slots[i].lock))
			continue;
		if (slot_is(&slots[i], PICK_CTX)) {
			pthread_mutex_lock(&model_lock);
			ko = slots[i].ko;
			ok = ko->chain_mark == mark && ko->done && ko->workers == 1;
			pthread_mutex_unlock(&model_lock);
		}
		if (!ok)
			pthread_mutex_unlock(&slots[i].lock);
	}
	if (!ok)
		return -1;
	*ep = epoll_create1(EPOLL_CLOEXEC);
	if (*ep < 0)
		fail(t, "epoll_create1: %s", strerror(errno));
	ev.data.u64 = i;
	if (epoll_ctl(*ep, EPOLL_CTL_ADD, slots[i].fd, &ev))
		fail(t, "epoll_ctl: %s", strerror(errno));
	r = epoll_wait(*ep, &out, 1, 0);
	if (r != 1 || out.events != EPOLLIN)
		fail(t, "slot %d, done, its last worker still attached: epoll_wait gives %d, "
		     "events %#x; want EPOLLIN", i, r, r == 1 ? out.events : 0);
	return i;
}

/* After the worker left: @ep, drain_watch()'s, was woken with EPOLLHUP. */
static void drain_watch_end(struct thr *t, int i, int ep)
{
	struct epoll_event out;
	int r;

	if (i < 0)
		return;
	r = epoll_wait(ep, &out, 1, 0);
	if (r != 1 || out.events != (EPOLLIN | EPOLLHUP))
		fail(t, "slot %d: its last worker left, but epoll_wait gives %d, events %#x; "
		     "want EPOLLIN | EPOLLHUP", i, r, r == 1 ? out.events : 0);
	count(&drain_wakes);
	close(ep);
	unlock_slot(i);
}

/*
 * A context slot, locked as pick_filled() does; with @worked, mostly one
 * that workers count on, else mostly one not seen done: a context seen
 * done only refuses workers, and most contexts are done soon.
 */
static int pick_live(struct thr *t, bool worked)
{
	int si = -1, k;
	bool ok;

	for (k = 0; k < 4; k++) {
		si = pick_filled(t, -1, true, PICK_CTX);
		if (si < 0)
			return -1;
		pthread_mutex_lock(&model_lock);
		ok = worked ? slots[si].ko->workers > 0 : !slots[si].ko->done;
		pthread_mutex_unlock(&model_lock);
		if (ok || k == 3)
			break;
		unlock_slot(si);
	}
	return si;
}

/*
 * KCTX_IOC_ATTACH on a context fd, owner or watch-only, into a new slot:
 * refused with the context's error if it was seen done before the call,
 * and ENOSPC exactly at the cap, which counts the worker like a context.
 */
static void op_attach(struct thr *t)
{
	struct {
		struct kctx_attach a;
		unsigned char tail[16];
	} b;
	int si, di, fd, e;
	bool was_done = false;
	int64_t bmono, amono;
	struct kctx_state st;
	struct wfile *wf;
	struct kobj *ko;
	int32_t err = 0;
	uint64_t s0;

	si = chance(t, 75) ? pick_live(t, false) : pick_filled(t, -1, true, PICK_CTX);
	memset(&b, 0, sizeof(b));
	b.a.size = sizeof(b.a) + (chance(t, 10) ? 8 * (1 + below(t, 2)) : 0);
	di = pick_empty(t, si, false);
	note(t, "attach slot %d into slot %d, size %u", si, di, b.a.size);
	if (si < 0 || di < 0)
		goto out;
	bmono = now_ns(CLOCK_MONOTONIC);
	s0 = seq_next();
	pthread_mutex_lock(&model_lock);
	ko = slots[si].ko;
	/* Done is for good: seen done before the call, done at it. */
	if (ko->done && ko->done_seq < s0) {
		was_done = true;
		err = ko->err;
	} else if (ko->must_be_done && ko->must_seq < s0) {
		was_done = true;	/* by its owner's close, or a deadline before */
	}
	pthread_mutex_unlock(&model_lock);
	fd = kioctl(t, slots[si].fd, KCTX_IOC_ATTACH, &b);
	e = errno;
	amono = now_ns(CLOCK_MONOTONIC);
	pthread_mutex_lock(&model_lock);
	if (fd < 0) {
		switch (e) {
		case ENOSPC:
			/* The charge comes first, done or not. */
			check_enospc(t, "attach");
			break;
		case ECANCELED:
		case ETIMEDOUT:
			count(&attach_refused);
			if (was_done && err && -e != err)
				fail(t, "attach to a context done with %d: %s", err, strerror(e));
			break;
		case EMFILE:
			count(&emfile_hits);
			if (!mt)
				fail(t, "attach: EMFILE with fds to spare");
			break;
		default:
			fail(t, "attach: %s", strerror(e));
		}
		pthread_mutex_unlock(&model_lock);
		/* Refused as done: it is, and with that error, for good. */
		if (e == ECANCELED || e == ETIMEDOUT) {
			state_of(t, &slots[si], 0, false, &st);
			if (st.err != -e)
				fail(t, "attach refused with %s, yet the context's err is %d",
				     strerror(e), st.err);
		}
		goto out;
	}
	if (was_done)
		fail(t, "attached to a context seen done (err %d)", err);
	if (strict() && cap_model >= 0 && live_nodes + live_workers >= cap_model)
		fail(t, "attach succeeded with %d contexts and %d workers alive, at the cap "
		     "of %ld", live_nodes, live_workers, cap_model);
	wf = calloc(1, sizeof(*wf));
	if (!wf) {
		perror("fuzz: calloc");
		_exit(2);
	}
	wf->ko = ko;
	ko->refs++;
	wf->pid = mypid;
	wf_count(wf);
	live_workers++;
	slot_fill_worker(&slots[di], fd, wf);
	pthread_mutex_unlock(&model_lock);
	count(&attached_ok);
	/* Close-on-exec always: exec ends the worker. */
	check_cloexec(t, fd, true);
	worker_check(t, &slots[di], bmono, amono);
out:
	unlock_slot(di);
	unlock_slot(si);
}

/*
 * KCTX_IOC_DETACH on a worker fd: the worker leaves for every copy of the
 * fd, at once; again, it does nothing. The fd stays, attached to nothing.
 */
static void op_detach(struct thr *t)
{
	struct {
		struct kctx_detach d;
		unsigned char tail[16];
	} b;
	int si = -1, r, k, wi = -1, ep = -1;
	struct wfile *wf;
	bool first, counted;

	/* Mostly one still attached. */
	for (k = 0; k < 3; k++) {
		si = pick_filled(t, -1, true, PICK_WORKER);
		if (si < 0)
			break;
		pthread_mutex_lock(&model_lock);
		counted = slots[si].wf->counted;
		pthread_mutex_unlock(&model_lock);
		if (counted || k == 2)
			break;
		unlock_slot(si);
	}
	memset(&b, 0, sizeof(b));
	b.d.size = sizeof(b.d) + (chance(t, 10) ? 8 * (1 + below(t, 2)) : 0);
	note(t, "detach slot %d, size %u", si, b.d.size);
	if (si < 0)
		return;
	wf = slots[si].wf;
	/* A fork child leaves the parent's workers alone (see child_ops). */
	if (wf->pid != mypid)
		goto out;
	pthread_mutex_lock(&model_lock);
	first = !wf->detached_seq;
	pthread_mutex_unlock(&model_lock);
	wi = drain_watch(t, wf, si, &ep);
	pthread_mutex_lock(&model_lock);
	wf_uncount(wf);
	pthread_mutex_unlock(&model_lock);
	r = kioctl(t, slots[si].fd, KCTX_IOC_DETACH, &b);
	if (r)
		fail(t, "detach: %d/%s", r, strerror(errno));
	pthread_mutex_lock(&model_lock);
	if (!wf->detached_seq)
		wf->detached_seq = seq_next();
	pthread_mutex_unlock(&model_lock);
	drain_watch_end(t, wi, ep);
	count(first ? &detached_ok : &detached_again);
	worker_check(t, &slots[si], 0, 0);
out:
	unlock_slot(si);
}

static void op_poll(struct thr *t)
{
	static const short masks[] = {
		POLLIN, POLLIN | POLLRDNORM, POLLRDNORM, POLLOUT | POLLPRI,
		POLLIN | POLLOUT | POLLPRI | POLLRDNORM,
	};
	int n = 1 + below(t, 8), idx[8], k, m = 0, i, timeout = chance(t, 15) ? 1 : 0;
	int workers0[8], hw;
	uint64_t left0[8];
	struct pollfd p[8];
	struct kobj *ko[8];
	bool done[8], hup;
	uint64_t s0;
	short in;
	struct kctx_state st;

	for (k = 0; k < n; k++) {
		/* Now and then one that workers hold back from EPOLLHUP, first. */
		if (m == 0 && chance(t, 30))
			idx[m] = pick_live(t, true);
		else
			idx[m] = pick_filled(t, -1, m == 0, PICK_ANY);
		for (i = 0; i < m && idx[m] >= 0; i++)
			if (idx[i] == idx[m])	/* can't be: we hold it */
				idx[m] = -1;
		if (idx[m] < 0)
			continue;
		p[m].fd = slots[idx[m]].fd;
		p[m].events = masks[below(t, 5)];
		p[m].revents = 0;
		m++;
	}
	note(t, "poll %d fds, timeout %d", m, timeout);
	if (!m)
		return;
	pthread_mutex_lock(&model_lock);
	for (k = 0; k < m; k++) {
		ko[k] = slots[idx[k]].ko;	/* NULL: a worker fd */
		if (!ko[k])
			continue;
		done[k] = ko[k]->done;
		workers0[k] = ko[k]->workers;
		left0[k] = ko[k]->workers_left;
	}
	pthread_mutex_unlock(&model_lock);
	s0 = seq_next();
	if (poll(p, m, timeout) < 0) {
		/* Another thread's squeeze may hold RLIMIT_NOFILE below @m. */
		if (mt && errno == EINVAL)
			goto out;
		fail(t, "poll: %s", strerror(errno));
	}
	for (k = 0; k < m; k++) {
		if (!ko[k]) {
			/*
			 * The uapi says nothing of polling a worker fd; the
			 * kernel must only not take it for a bad one.
			 */
			if (p[k].revents & (POLLNVAL | POLLERR))
				fail(t, "poll of worker slot %d: revents %#x", idx[k],
				     p[k].revents);
			continue;
		}
		/*
		 * Done: POLLIN and POLLRDNORM, as asked, and POLLHUP, which
		 * poll() reports unasked, once no work counts on it too.
		 */
		in = p[k].events & (POLLIN | POLLRDNORM);
		if (p[k].revents & ~(in | POLLHUP))
			fail(t, "poll of slot %d: revents %#x for events %#x", idx[k],
			     p[k].revents, p[k].events);
		if (p[k].revents && (p[k].revents & in) != in)
			fail(t, "poll of slot %d: revents %#x, want %#x with or without "
			     "POLLHUP", idx[k], p[k].revents, in);
		if (p[k].revents) {
			state_of(t, &slots[idx[k]], 0, false, &st);
			if (!st.err)
				fail(t, "poll of slot %d says done, KCTX_IOC_STATE live", idx[k]);
		}
		pthread_mutex_lock(&model_lock);
		if (done[k] && ko[k]->done_seq < s0) {
			if (in && !(p[k].revents & in))
				fail(t, "poll of slot %d: not readable, but it was seen done",
				     idx[k]);
		} else if (!p[k].revents) {
			/* Not known to be done when poll() looked. */
			pthread_mutex_unlock(&model_lock);
			continue;
		}
		hup = p[k].revents & POLLHUP;
		hw = hup_want(ko[k], workers0[k], left0[k]);
		if (hw == 1 && !hup)
			fail(t, "poll of slot %d: done, no worker at or below, but revents %#x",
			     idx[k], p[k].revents);
		if (hw == 0 && hup)
			fail(t, "poll of slot %d: POLLHUP, with %d worker%s attached at or "
			     "below", idx[k], ko[k]->workers, ko[k]->workers == 1 ? "" : "s");
		if (hw >= 0)
			count(hup ? &hup_drained : &hup_held);
		pthread_mutex_unlock(&model_lock);
	}
out:
	for (k = 0; k < m; k++)
		unlock_slot(idx[k]);
}

static void op_rw(struct thr *t)
{
	int si = pick_filled(t, -1, true, PICK_ANY), wr = chance(t, 50);
	char buf[8] = { 0 };
	ssize_t r;

	note(t, "%s slot %d", wr ? "write" : "read", si);
	if (si < 0)
		return;
	r = wr ? write(slots[si].fd, buf, sizeof(buf)) : read(slots[si].fd, buf, sizeof(buf));
	if (r != -1 || errno != EINVAL)
		fail(t, "%s on a context fd: %zd/%s, want EINVAL", wr ? "write" : "read",
		     r, strerror(errno));
	unlock_slot(si);
}

static void op_close(struct thr *t)
{
	int si = pick_filled(t, -1, true, PICK_ANY), wi = -1, ep = -1;

	note(t, "close slot %d (fd %d)", si, si >= 0 ? slots[si].fd : -1);
	if (si < 0)
		return;
	/*
	 * A worker fd's last copy: its release wakes who waits for the
	 * drain. (One thread: nobody else touches the model.)
	 */
	if (strict() && slots[si].wf && slots[si].wf->slots == 1)
		wi = drain_watch(t, slots[si].wf, si, &ep);
	slot_close(t, &slots[si]);
	drain_watch_end(t, wi, ep);
	unlock_slot(si);
}

static void op_dup(struct thr *t)
{
	int si = pick_filled(t, -1, true, PICK_ANY), di, v = below(t, 3), min = below(t, 600), fd;

	di = pick_empty(t, si, false);
	note(t, "dup slot %d into slot %d, variant %d, min %d", si, di, v, min);
	if (si < 0 || di < 0)
		goto out;
	if (v == 0)
		fd = dup(slots[si].fd);
	else
		fd = fcntl(slots[si].fd, v == 1 ? F_DUPFD : F_DUPFD_CLOEXEC, min);
	if (fd < 0) {
		/* Another thread's squeeze: F_DUPFD says EINVAL at min >= the limit. */
		if (mt && (errno == EMFILE || (v && errno == EINVAL)))
			goto out;
		fail(t, "dup: %s", strerror(errno));
	}
	slot_fill_copy(&slots[di], fd, &slots[si]);
	check_slot(t, &slots[di]);
out:
	unlock_slot(di);
	unlock_slot(si);
}

static int send_fds(int sock, const int *fds, int n, const void *data, size_t len)
{
	char cbuf[CMSG_SPACE(2 * sizeof(int))] = { 0 };
	char dummy = 0;
	struct iovec iov = {
		.iov_base = data ? (void *)data : &dummy,
		.iov_len = data ? len : 1,
	};
	struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1 };
	struct cmsghdr *cm;

	if (n) {
		m.msg_control = cbuf;
		m.msg_controllen = CMSG_SPACE(n * sizeof(int));
		cm = CMSG_FIRSTHDR(&m);
		cm->cmsg_level = SOL_SOCKET;
		cm->cmsg_type = SCM_RIGHTS;
		cm->cmsg_len = CMSG_LEN(n * sizeof(int));
		memcpy(CMSG_DATA(cm), fds, n * sizeof(int));
	}
	return sendmsg(sock, &m, MSG_DONTWAIT | MSG_NOSIGNAL);
}

/* Receive a message and up to 2 fds; returns how many fds, or -1. */
static int recv_fds(int sock, int *fds, void *data, size_t len)
{
	char cbuf[CMSG_SPACE(2 * sizeof(int))];
	char dummy;
	struct iovec iov = {
		.iov_base = data ? data : &dummy,
		.iov_len = data ? len : 1,
	};
	struct msghdr m = {
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = cbuf, .msg_controllen = sizeof(cbuf),
	};
	struct cmsghdr *cm;
	int n = 0;

	if (recvmsg(sock, &m, MSG_DONTWAIT | MSG_CMSG_CLOEXEC) < 0)
		return -1;
	for (cm = CMSG_FIRSTHDR(&m); cm; cm = CMSG_NXTHDR(&m, cm)) {
		if (cm->cmsg_level != SOL_SOCKET || cm->cmsg_type != SCM_RIGHTS)
			continue;
		n = (cm->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		memcpy(fds, CMSG_DATA(cm), n * sizeof(int));
	}
	return n;
}

static void new_sockpair(struct thr *t)
{
	if (socketpair(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0, t->sock)) {
		if (!(mt && errno == EMFILE))
			fail(t, "socketpair: %s", strerror(errno));
		t->sock[0] = t->sock[1] = -1;
	}
}

static void op_scm(struct thr *t)
{
	int si = pick_filled(t, -1, true, PICK_ANY), di[2] = { -1, -1 }, copies = 1 + below(t, 2);
	bool in_flight = chance(t, 10);
	int fds[2], n, k;

	if (t->sock[0] < 0)
		new_sockpair(t);
	if (!in_flight) {
		di[0] = pick_empty(t, si, false);
		if (copies == 2)
			di[1] = pick_empty(t, si, false);
	}
	note(t, "scm slot %d x%d into slots %d %d%s", si, copies, di[0], di[1],
	     in_flight ? ", left in flight" : "");
	if (si < 0 || t->sock[0] < 0)
		goto out;
	fds[0] = fds[1] = slots[si].fd;
	if (send_fds(t->sock[0], fds, copies, NULL, 0) != 1)
		fail(t, "sendmsg: %s", strerror(errno));
	if (in_flight) {
		/* The in-flight fds go with the socket. */
		close(t->sock[0]);
		close(t->sock[1]);
		new_sockpair(t);
		goto out;
	}
	n = recv_fds(t->sock[1], fds, NULL, 0);
	if (n < 0)
		fail(t, "recvmsg: %s", strerror(errno));
	if (n < copies && !mt)
		fail(t, "received %d fds of %d", n, copies);
	for (k = 0; k < n; k++) {
		if (di[k] < 0) {
			close(fds[k]);
			continue;
		}
		slot_fill_copy(&slots[di[k]], fds[k], &slots[si]);
		check_slot(t, &slots[di[k]]);
	}
out:
	unlock_slot(di[1]);
	unlock_slot(di[0]);
	unlock_slot(si);
}

/* What a fork child sends its parent. */
struct child_msg {
	uint32_t kind;		/* KCTX_KIND_*, or ~0: nothing sent */
	uint32_t owner;
	uint32_t has_key, key_idx;
	uint64_t value;
};

static void run_op(struct thr *t, enum op op);

static void __attribute__((noreturn)) child_main(struct thr *t, uint64_t cseed, int sock)
{
	struct kctx_create c = { .size = sizeof(c) };
	struct kctx_watch w = { .size = sizeof(w) };
	struct child_msg msg = { .kind = ~0U };
	int n, i, fd, wfd;

	in_child = true;
	mypid = getpid();
	/* Write-held by the parent's thread, whose tid this is not. */
	pthread_rwlock_init(&fork_lock, NULL);
	/*
	 * The parent's other threads may detach its workers while we look:
	 * only the workers we attach are sure to count here.
	 */
	for (i = 0; i < nslots; i++)
		if (slots[i].wf)
			wf_uncount(slots[i].wf);
	t->rng = cseed | 1;
	n = 1 + below(t, 8);
	for (i = 0; i < n; i++) {
		enum op op;

		do
			op = below(t, OP_NR);
		while (!child_ops[op]);
		t->op_no++;
		run_op(t, op);
	}
	t->op_no++;
	note(t, "child: send and exit");
	if (chance(t, 60)) {
		c.kind = below(t, 4);
		if (c.kind == KCTX_KIND_DEADLINE) {
			c.flags = KCTX_CREATE_RELATIVE;
			c.deadline_sec = 3600;
		}
		if (c.kind == KCTX_KIND_VALUE) {
			msg.has_key = 1;
			msg.key_idx = below(t, NKEYS);
			c.key = keys[msg.key_idx];
			c.value = msg.value = rnd(t);
		}
		fd = ioctl(dev_fd, KCTX_IOC_CREATE, &c);
		if (fd >= 0) {
			msg.kind = c.kind;
			msg.owner = chance(t, 70);
			if (!msg.owner) {
				wfd = kioctl(t, fd, KCTX_IOC_WATCH, &w);
				if (wfd < 0)
					fail(t, "watch: %s", strerror(errno));
				close(fd);	/* cancels it: the watcher sees that */
				fd = wfd;
			}
			if (send_fds(sock, &fd, 1, &msg, sizeof(msg)) < 0)
				fail(t, "sendmsg to the parent: %s", strerror(errno));
		} else if (errno != ENOSPC) {
			fail(t, "create: %s", strerror(errno));
		}
	}
	if (chance(t, 50))	/* or leave it all to exit */
		for (i = 0; i < nslots; i++)
			if (slots[i].fd >= 0)
				close(slots[i].fd);
	_exit(0);
}

static void op_fork(struct thr *t)
{
	uint64_t cseed = rnd(t);
	struct child_msg msg;
	int sv[2], status, fds[2], fd, n, di;
	struct kctx_state st;
	struct kobj *ko;
	pid_t pid;

	note(t, "fork");
	if (socketpair(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0, sv)) {
		if (mt && errno == EMFILE)
			return;
		fail(t, "socketpair: %s", strerror(errno));
	}
	/* No other thread is in an operation: the child's copy is whole. */
	pthread_rwlock_wrlock(&fork_lock);
	pid = fork();
	if (pid == 0)
		child_main(t, cseed, sv[1]);
	pthread_rwlock_unlock(&fork_lock);
	if (pid < 0)
		fail(t, "fork: %s", strerror(errno));
	close(sv[1]);
	if (waitpid(pid, &status, 0) != pid)
		fail(t, "waitpid: %s", strerror(errno));
	if (!WIFEXITED(status) || WEXITSTATUS(status))
		fail(t, "the fork child failed (status %#x)", status);
	/* It sent us a context, perhaps, and is gone. */
	pthread_rwlock_rdlock(&fork_lock);
	n = recv_fds(sv[0], fds, &msg, sizeof(msg));
	if (n == 1) {
		fd = fds[0];
		di = pick_empty(t, -1, true);
		if (di < 0) {
			close(fd);
			goto out;
		}
		pthread_mutex_lock(&model_lock);
		ko = ko_new(NULL);
		ko->parent_id = 1;
		ko->detached = msg.kind == KCTX_KIND_WITHOUT_CANCEL;
		ko->owner_gone = !msg.owner;
		ko->linked = true;
		if (msg.has_key) {
			ko->vmask = 1U << msg.key_idx;
			ko->vals[msg.key_idx] = msg.value;
		}
		memset(&st, 0, sizeof(st));
		st.size = sizeof(st);
		if (kioctl(t, fd, KCTX_IOC_STATE, &st))
			fail(t, "KCTX_IOC_STATE: %s", strerror(errno));
		ko->id = st.id;
		ko->kind = msg.kind;
		ko->has_deadline = st.state & KCTX_STATE_DEADLINE;
		ko->deadline_ns = st.deadline_ns;
		/* A watcher's context, a root, lost its only owner with the child. */
		if (!msg.owner) {
			ko->must_be_done = true;
			ko->must_seq = 0;
		}
		slot_fill(&slots[di], fd, ko, msg.owner);
		ko->refs--;
		pthread_mutex_unlock(&model_lock);
		state_of(t, &slots[di], 0, false, &st);
		if (!msg.owner && st.cause != -EOWNERDEAD)
			fail(t, "the child's %s context, its owner gone, has cause %d",
			     kind_name(msg.kind), st.cause);
		unlock_slot(di);
	}
out:
	pthread_rwlock_unlock(&fork_lock);
	close(sv[0]);
}

/* In epoll's data: the slot held a worker fd (bit 31, above any slot index). */
#define EP_WORKER	(1ULL << 31)

static void op_epoll(struct thr *t)
{
	struct epoll_event ev, out[8];
	int si = pick_filled(t, -1, true, PICK_ANY), v = below(t, 20), n, k, i;
	struct kctx_state st;
	uint32_t gen;

	note(t, "epoll slot %d, variant %d", si, v);
	if (v == 0) {
		close(t->ep);
		t->ep = epoll_create1(EPOLL_CLOEXEC);
		if (t->ep < 0 && !(mt && errno == EMFILE))
			fail(t, "epoll_create1: %s", strerror(errno));
	}
	if (si >= 0 && t->ep >= 0) {
		ev.events = EPOLLIN | (chance(t, 30) ? EPOLLET : 0);
		ev.data.u64 = (uint64_t)slots[si].gen << 32 | si |
			      (slots[si].wf ? EP_WORKER : 0);
		/*
		 * A worker fd has no poll of its own, which epoll refuses;
		 * the uapi says nothing of it either way.
		 */
		if (epoll_ctl(t->ep, EPOLL_CTL_ADD, slots[si].fd, &ev) && errno != EEXIST &&
		    !(slots[si].wf && errno == EPERM))
			fail(t, "epoll_ctl: %s", strerror(errno));
	}
	unlock_slot(si);
	if (t->ep < 0)
		return;
	n = epoll_wait(t->ep, out, 8, 0);
	if (n < 0)
		fail(t, "epoll_wait: %s", strerror(errno));
	for (k = 0; k < n; k++) {
		if (out[k].data.u64 & EP_WORKER)
			continue;
		i = out[k].data.u64 & 0xffffffff;
		gen = out[k].data.u64 >> 32;
		/* Done; and drained, or not, while a worker counts on it. */
		if (out[k].events != EPOLLIN && out[k].events != (EPOLLIN | EPOLLHUP))
			fail(t, "epoll: events %#x", out[k].events);
		if (pthread_mutex_trylock(&slots[i].lock))
			continue;
		/*
		 * The same file still in the slot: then it is done, and with
		 * one thread, drained exactly when no worker counts on it
		 * (epoll_wait() polls each ready file again as it reports it).
		 */
		if (slots[i].fd >= 0 && slots[i].gen == gen) {
			state_of(t, &slots[i], 0, false, &st);
			if (!st.err)
				fail(t, "epoll says slot %d is done; KCTX_IOC_STATE, live", i);
			pthread_mutex_lock(&model_lock);
			if (strict() && !!(out[k].events & EPOLLHUP) != !slots[i].ko->workers)
				fail(t, "epoll of slot %d: events %#x, %d worker%s at or below",
				     i, out[k].events, slots[i].ko->workers,
				     slots[i].ko->workers == 1 ? "" : "s");
			if (strict())
				count(out[k].events & EPOLLHUP ? &hup_drained : &hup_held);
			pthread_mutex_unlock(&model_lock);
		}
		pthread_mutex_unlock(&slots[i].lock);
	}
}

static void op_efd(struct thr *t)
{
	int i = below(t, NEFD), v = below(t, 4);
	uint64_t n;
	ssize_t r;

	note(t, "eventfd %d, variant %d", i, v);
	if (v == 0) {
		/* Attachments hold their own reference: closing is harmless. */
		r = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
		if (r < 0) {
			if (mt && errno == EMFILE)
				return;
			fail(t, "eventfd: %s", strerror(errno));
		}
		close(t->efd[i]);
		t->efd[i] = r;
		return;
	}
	r = read(t->efd[i], &n, sizeof(n));
	if (!(r == sizeof(n) && n > 0) && !(r == -1 && errno == EAGAIN))
		fail(t, "read of an eventfd: %zd/%s", r, strerror(errno));
}

/* ---- malformed calls ---- */

enum bad_mut {
	M_SHORT, M_TAIL, M_PTR, M_PTR_END, M_RO, M_FLAGS, M_RESERVED, M_KIND,
	M_CLOCK, M_NSEC, M_SEC, M_UNUSED_FIELD, M_CODE, M_NOCAUSE, M_EFD, M_NR,
};

static const char *const mut_names[M_NR] = {
	"short", "tail", "pointer", "pointer-end", "read-only", "flags",
	"reserved", "kind", "clock", "nsec", "sec", "unused-field", "code",
	"no-cause-flag", "eventfd",
};

#define NCMDS	(KCTX_CMD_DETACH + 1)

static const unsigned int cmd_size[NCMDS] = {
	[KCTX_CMD_CREATE] = sizeof(struct kctx_create),
	[KCTX_CMD_CANCEL] = sizeof(struct kctx_cancel),
	[KCTX_CMD_STATE] = sizeof(struct kctx_state),
	[KCTX_CMD_VALUE] = sizeof(struct kctx_value),
	[KCTX_CMD_ATTACH_EVENTFD] = sizeof(struct kctx_attach_eventfd),
	[KCTX_CMD_WATCH] = sizeof(struct kctx_watch),
	[KCTX_CMD_ATTACH] = sizeof(struct kctx_attach),
	[KCTX_CMD_DETACH] = sizeof(struct kctx_detach),
};

/* Which mutations apply to which command. */
static bool mut_applies(int cmd, int m)
{
	switch (m) {
	case M_SHORT:
	case M_TAIL:
	case M_PTR:
	case M_PTR_END:
	case M_FLAGS:
		return true;
	case M_RO:
		return cmd == KCTX_CMD_STATE;
	case M_RESERVED:
		return cmd == KCTX_CMD_CREATE || cmd == KCTX_CMD_CANCEL ||
		       cmd == KCTX_CMD_ATTACH_EVENTFD || cmd == KCTX_CMD_ATTACH;
	case M_KIND:
	case M_CLOCK:
	case M_NSEC:
	case M_SEC:
	case M_UNUSED_FIELD:
		return cmd == KCTX_CMD_CREATE;
	case M_CODE:
	case M_NOCAUSE:
		return cmd == KCTX_CMD_CANCEL;
	case M_EFD:
		return cmd == KCTX_CMD_ATTACH_EVENTFD;
	}
	return false;
}

static void op_bad(struct thr *t)
{
	enum { T_SLOT, T_DEV, T_EVENTFD, T_PIPE, T_BADFD } tgt;
	unsigned char *buf = (unsigned char *)t->guard + 4096 - 256;	/* 256 bytes to the guard */
	int si = -1, fd, nr = below(t, NCMDS), m, r, e, want = 0, efd_variant = 0;
	unsigned long cmd;
	unsigned int size, min;
	void *arg = buf;
	bool bad_cmd = chance(t, 15);
	uint32_t v = below(t, 100);

	if (v < 55)
		tgt = T_SLOT;
	else if (v < 80)
		tgt = T_DEV;
	else if (v < 87)
		tgt = T_EVENTFD;
	else if (v < 93)
		tgt = T_PIPE;
	else
		tgt = T_BADFD;
	if (tgt == T_SLOT) {
		/* DETACH mostly where it belongs, to get past the fd's check. */
		si = pick_filled(t, -1, true, nr == KCTX_CMD_DETACH && chance(t, 80) ?
					      PICK_WORKER : PICK_ANY);
		if (si < 0)
			tgt = T_DEV;
	}
	do
		m = below(t, M_NR);
	while (!mut_applies(nr, m));
	cmd = _IO(KCTX_TYPE, nr);
	if (bad_cmd) {
		switch (below(t, 4)) {
		case 0:		/* past the last command */
			cmd = _IO(KCTX_TYPE, NCMDS + below(t, 256 - NCMDS));
			break;
		case 1:
			cmd = _IO(KCTX_TYPE + 1 + below(t, 4), nr);
			break;
		case 2:
			cmd = _IOWR(KCTX_TYPE, nr, struct kctx_state);
			break;
		default:
			cmd = _IOC(below(t, 4), KCTX_TYPE, nr, below(t, 64));
			if (cmd == _IO(KCTX_TYPE, nr))
				cmd |= _IOC(_IOC_READ, 0, 0, 8);
			break;
		}
	}

	/* A valid struct first: the mutation must be the only fault. */
	min = cmd_size[nr];
	memset(buf, 0, 256);
	size = min;
	switch (nr) {
	case KCTX_CMD_CREATE:
		((struct kctx_create *)buf)->kind = KCTX_KIND_CANCEL;
		break;
	case KCTX_CMD_ATTACH_EVENTFD:
		((struct kctx_attach_eventfd *)buf)->eventfd = t->efd[0];
		break;
	}
	switch (m) {
	case M_SHORT:
		/*
		 * Below the struct's first version: CANCEL's grew @wait_ns,
		 * ATTACH's @signal.
		 */
		size = below(t, nr == KCTX_CMD_CANCEL ? offsetof(struct kctx_cancel, wait_ns) :
				nr == KCTX_CMD_ATTACH ? offsetof(struct kctx_attach, signal) : min);
		want = EINVAL;
		break;
	case M_TAIL:
		size = min + 1 + below(t, 64);
		v = min + below(t, size - min);
		buf[v] = 1 + below(t, 255);
		want = E2BIG;
		break;
	case M_PTR: {
		static void *const ptrs[] = {
			NULL, (void *)8, (void *)0xffff888000000000ULL,
			(void *)0xffffffffff600000ULL, (void *)-1L,
		};
		int k = below(t, 6);

		arg = k < 5 ? ptrs[k] : t->guard + 4096;
		want = EFAULT;
		break;
	}
	case M_PTR_END:
		/* The struct runs into the guard page. */
		size = 257 + below(t, 4096);
		want = EFAULT;
		break;
	case M_RO:
		arg = ro_page;
		size = min;
		want = EFAULT;
		break;
	case M_FLAGS: {
		static const uint32_t ok_flags[NCMDS] = {
			[KCTX_CMD_CREATE] = KCTX_FD_NO_CLOEXEC | KCTX_CREATE_RELATIVE,
			[KCTX_CMD_CANCEL] = KCTX_CANCEL_CAUSE | KCTX_CANCEL_WAIT,
			[KCTX_CMD_WATCH] = KCTX_FD_NO_CLOEXEC,
			/* Valid, but it signals the thread: never sent here. */
			[KCTX_CMD_ATTACH] = KCTX_ATTACH_SIGNAL,
		};
		uint32_t f;

		do
			f = 1U << below(t, 32);
		while (f & ok_flags[nr]);
		((uint32_t *)buf)[1] = f;
		want = EINVAL;
		break;
	}
	case M_RESERVED:
		if (nr == KCTX_CMD_CREATE)
			((struct kctx_create *)buf)->__reserved = 1 + below(t, 1000);
		else if (nr == KCTX_CMD_CANCEL)
			((struct kctx_cancel *)buf)->__reserved = 1U << below(t, 32);
		else if (nr == KCTX_CMD_ATTACH)
			((struct kctx_attach *)buf)->__reserved = 1U << below(t, 32);
		else
			((struct kctx_attach_eventfd *)buf)->__reserved = 1 + below(t, 7);
		want = EINVAL;
		break;
	case M_KIND:
		((struct kctx_create *)buf)->kind = 4 + below(t, 1000);
		if (chance(t, 20))
			((struct kctx_create *)buf)->kind = 0x80000000U;
		want = EINVAL;
		break;
	case M_CLOCK: {
		struct kctx_create *c = (struct kctx_create *)buf;

		c->kind = KCTX_KIND_DEADLINE;
		c->deadline_sec = 1;
		want = EINVAL;
		if (chance(t, 30)) {
			/* A relative deadline takes no clock, not even a valid one. */
			c->flags = KCTX_CREATE_RELATIVE;
			c->clockid = 1 + below(t, 15);
			break;
		}
		do
			c->clockid = below(t, 16);
		while (c->clockid == CLOCK_MONOTONIC || c->clockid == CLOCK_REALTIME ||
		       c->clockid == CLOCK_BOOTTIME);
		break;
	}
	case M_NSEC: {
		struct kctx_create *c = (struct kctx_create *)buf;

		c->kind = KCTX_KIND_DEADLINE;
		c->flags = chance(t, 50) ? KCTX_CREATE_RELATIVE : 0;
		c->deadline_nsec = NSEC + below(t, 3000000000U);
		want = EINVAL;
		break;
	}
	case M_SEC: {
		struct kctx_create *c = (struct kctx_create *)buf;

		c->kind = KCTX_KIND_DEADLINE;
		c->flags = chance(t, 50) ? KCTX_CREATE_RELATIVE : 0;
		c->deadline_sec = chance(t, 50) ? -1 : INT64_MIN + below(t, 100);
		want = EINVAL;
		break;
	}
	case M_UNUSED_FIELD: {
		struct kctx_create *c = (struct kctx_create *)buf;
		int k = below(t, 6);

		c->kind = below(t, 4);
		if (c->kind == KCTX_KIND_DEADLINE)
			c->kind = KCTX_KIND_CANCEL;
		if (k == 0)
			c->clockid = 1 + below(t, 7);
		else if (k == 1)
			c->deadline_sec = 1 + below(t, 100);
		else if (k == 2)
			c->deadline_nsec = 1 + below(t, 100);
		else if (k == 3)
			c->flags = KCTX_CREATE_RELATIVE;
		else if (c->kind == KCTX_KIND_VALUE)
			c->flags = KCTX_CREATE_RELATIVE;
		else if (k == 4)
			c->key = 1 + below(t, 100);
		else
			c->value = 1 + below(t, 100);
		want = EINVAL;
		break;
	}
	case M_CODE: {
		struct kctx_cancel *c = (struct kctx_cancel *)buf;

		c->flags = KCTX_CANCEL_CAUSE;
		c->code = chance(t, 50) ? 1 + below(t, 1000) : -4096 - below(t, 100000);
		if (chance(t, 10))
			c->code = INT32_MIN;
		want = EINVAL;
		break;
	}
	case M_NOCAUSE: {
		struct kctx_cancel *c = (struct kctx_cancel *)buf;

		if (chance(t, 50))
			c->code = -1 - below(t, 100);
		else
			c->user_cause = 1 + rnd(t) % 1000;
		want = EINVAL;
		break;
	}
	case M_EFD:
		efd_variant = below(t, 4);
		((struct kctx_attach_eventfd *)buf)->eventfd =
			efd_variant == 0 ? -1 : efd_variant == 1 ? pipe_fds[1] :
			efd_variant == 2 ? dev_fd : 5000;
		want = EBADF;
		break;
	}
	/* ro_page holds a valid size and nothing else. */
	if (m != M_PTR && m != M_RO)
		*(uint32_t *)buf = size;

	switch (tgt) {
	case T_SLOT:
		fd = slots[si].fd;
		break;
	case T_DEV:
		fd = dev_fd;
		break;
	case T_EVENTFD:
		fd = t->efd[below(t, NEFD)];
		break;
	case T_PIPE:
		fd = pipe_fds[below(t, 2)];
		break;
	default:
		fd = chance(t, 50) ? -1 : 3000 + (int)below(t, 1000);
		break;
	}
	/* What comes before the mutation is looked at. */
	if (tgt == T_BADFD) {
		want = EBADF;
	} else if (tgt == T_EVENTFD || tgt == T_PIPE || bad_cmd) {
		want = ENOTTY;
	} else if (tgt == T_DEV && nr != KCTX_CMD_CREATE) {
		want = ENOTTY;
	} else if (tgt == T_SLOT && !!slots[si].wf != (nr == KCTX_CMD_DETACH)) {
		/* A worker fd takes DETACH alone, and only a worker fd does. */
		want = ENOTTY;
	} else if (tgt == T_SLOT && !slots[si].owner &&
		   (nr == KCTX_CMD_CREATE || nr == KCTX_CMD_CANCEL ||
		    nr == KCTX_CMD_ATTACH_EVENTFD)) {
		want = EPERM;
	}
	note(t, "bad %s cmd %#lx on %s %d (slot %d), size %u: want %s", mut_names[m],
	     cmd, tgt == T_SLOT ? (slots[si].wf ? "worker fd" : "slot fd") :
	     tgt == T_DEV ? "dev" : "other fd", fd, si, size, strerrorname_np(want));
	count(&bad_calls);
	r = kioctl(t, fd, cmd, arg);
	e = errno;
	if (r >= 0) {
		if (nr == KCTX_CMD_CREATE || nr == KCTX_CMD_WATCH || nr == KCTX_CMD_ATTACH)
			close(r);
		fail(t, "a malformed call succeeded (%d)", r);
	}
	if (e != want)
		fail(t, "got %s, want %s", strerror(e), strerrorname_np(want));
	unlock_slot(si);
}

static long read_long(const char *path)
{
	char b[32] = "";
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -1;
	n = read(fd, b, sizeof(b) - 1);
	close(fd);
	return n > 0 ? atol(b) : -1;
}

static bool write_long(const char *path, long v)
{
	char b[32];
	int fd = open(path, O_WRONLY | O_CLOEXEC), len;
	bool ok;

	if (fd < 0)
		return false;
	len = snprintf(b, sizeof(b), "%ld", v);
	ok = write(fd, b, len) == len;
	close(fd);
	return ok;
}

/* kctx's caches, and whether each was marked for failslab before us. */
static const char *const caches[] = { "kctx", "kctx_value", "kctx_deadline" };
static long cache_failslab[3] = { -1, -1, -1 };

static void cache_path(char *p, size_t n, int i)
{
	snprintf(p, n, "/sys/kernel/slab/%s/failslab", caches[i]);
}

/*
 * fail-nth counts only the caches failslab aims at: with cache-filter=Y,
 * those marked, and kctx's are not marked unless someone does it.
 */
static bool mark_caches(void)
{
	char p[64];
	int i;

	for (i = 0; i < 3; i++) {
		cache_path(p, sizeof(p), i);
		cache_failslab[i] = read_long(p);
		if (cache_failslab[i] < 0 || !write_long(p, 1))
			return false;
	}
	return true;
}

static void restore_cap(void)
{
	if (cap_orig >= 0)
		write_long(CAP_PARAM, cap_orig);
}

static void restore_caches(void)
{
	char p[64];
	int i;

	for (i = 0; i < 3; i++) {
		cache_path(p, sizeof(p), i);
		if (cache_failslab[i] >= 0)
			write_long(p, cache_failslab[i]);
	}
}

static void op_cap(struct thr *t)
{
	long cap = nslots / 4 + below(t, nslots);

	note(t, "cap %ld", cap);
	if (cap_model < 0 || (mt && t->idx))
		return;
	/* Hold the model: creations are checked against it. */
	pthread_mutex_lock(&model_lock);
	if (!write_long(CAP_PARAM, cap)) {
		/* Other threads may have filled the fd table: not kctx's doing. */
		if (errno != EMFILE && errno != ENFILE)
			fail(t, "writing " CAP_PARAM ": %s", strerror(errno));
		pthread_mutex_unlock(&model_lock);
		return;
	}
	cap_model = cap;
	pthread_mutex_unlock(&model_lock);
}

static void op_squeeze(struct thr *t)
{
	static const char *const what_names[] = { "create", "watch", "attach" };
	struct kctx_create c = { .size = sizeof(c), .kind = KCTX_KIND_CANCEL };
	struct kctx_watch w = { .size = sizeof(w) };
	struct kctx_attach a = { .size = sizeof(a) };
	int si = pick_filled(t, -1, true, PICK_CTX), low, r, e, pdepth = 0, v = below(t, 4);
	enum { SQ_CREATE, SQ_WATCH, SQ_ATTACH } what;
	bool watch;
	struct rlimit squeezed;

	what = si < 0 || v < 2 ? SQ_CREATE : v == 2 ? SQ_WATCH : SQ_ATTACH;
	watch = what == SQ_WATCH;

	/* Every kind: the context made before the fd fails must go too. */
	c.kind = below(t, 4);
	if (c.kind == KCTX_KIND_DEADLINE) {
		c.flags = KCTX_CREATE_RELATIVE;
		c.deadline_sec = 3600;
	}
	note(t, "squeeze, then %s slot %d (kind %u)", what_names[what], si, c.kind);
	if (what == SQ_CREATE && si >= 0 && slots[si].owner) {
		pthread_mutex_lock(&model_lock);
		pdepth = slots[si].ko->depth;
		pthread_mutex_unlock(&model_lock);
	}
	low = fcntl(dev_fd, F_DUPFD_CLOEXEC, 0);
	if (low < 0)
		goto out;
	close(low);
	squeezed = nofile;
	squeezed.rlim_cur = low;
	if (setrlimit(RLIMIT_NOFILE, &squeezed))
		fail(t, "setrlimit: %s", strerror(errno));
	if (watch)
		r = kioctl(t, slots[si].fd, KCTX_IOC_WATCH, &w);
	else if (what == SQ_ATTACH)
		r = kioctl(t, slots[si].fd, KCTX_IOC_ATTACH, &a);
	else
		r = kioctl(t, si >= 0 && slots[si].owner ? slots[si].fd : dev_fd,
			   KCTX_IOC_CREATE, &c);
	e = errno;
	if (setrlimit(RLIMIT_NOFILE, &nofile))
		fail(t, "setrlimit: %s", strerror(errno));
	if (r >= 0) {
		if (!mt)
			fail(t, "a new fd (%d) beyond RLIMIT_NOFILE %d", r, low);
		if (pdepth >= KCTX_MAX_DEPTH)
			fail(t, "made a child of a context at depth %d", pdepth);
		close(r);	/* a thread closed a lower fd meanwhile */
	} else if (e == EMFILE) {
		count(&emfile_hits);
	} else if (e == EMLINK && pdepth >= KCTX_MAX_DEPTH) {
		/* Either check may come first. */
		count(&emlink_hits);
	} else if (what == SQ_ATTACH) {
		/* The uapi doesn't say which of the fd, the cap and done comes first. */
		if (e != ENOSPC && e != ECANCELED && e != ETIMEDOUT)
			fail(t, "attach at RLIMIT_NOFILE: %s, want EMFILE", strerror(e));
	} else if (!(e == ENOSPC && !watch)) {
		fail(t, "at RLIMIT_NOFILE: %s, want EMFILE", strerror(e));
	}
out:
	unlock_slot(si);
}

static void run_op(struct thr *t, enum op op)
{
	t->counts[op]++;
	switch (op) {
	case OP_CREATE:
		op_create(t);
		break;
	case OP_STATE:
		op_state(t);
		break;
	case OP_CANCEL:
		op_cancel(t);
		break;
	case OP_VALUE:
		op_value(t);
		break;
	case OP_WATCH:
		op_watch(t);
		break;
	case OP_ATTACH_EFD:
		op_attach_efd(t);
		break;
	case OP_ATTACH:
		op_attach(t);
		break;
	case OP_DETACH:
		op_detach(t);
		break;
	case OP_POLL:
		op_poll(t);
		break;
	case OP_RW:
		op_rw(t);
		break;
	case OP_CLOSE:
		op_close(t);
		break;
	case OP_DUP:
		op_dup(t);
		break;
	case OP_SCM:
		op_scm(t);
		break;
	case OP_FORK:
		op_fork(t);
		break;
	case OP_EPOLL:
		op_epoll(t);
		break;
	case OP_EFD:
		op_efd(t);
		break;
	case OP_BAD:
		op_bad(t);
		break;
	case OP_CAP:
		op_cap(t);
		break;
	case OP_SQUEEZE:
		op_squeeze(t);
		break;
	case OP_CHAIN:
		op_chain(t);
		break;
	case OP_NR:
		break;
	}
}

static void *thread_main(void *arg)
{
	struct thr *t = arg;
	int total = 0, i, w;
	enum op op;

	for (i = 0; i < OP_NR; i++)
		total += op_weights[i];
	if (have_fail_nth) {
		t->fail_nth = open("/proc/thread-self/fail-nth", O_RDWR | O_CLOEXEC);
		if (t->fail_nth < 0)
			fail(t, "/proc/thread-self/fail-nth: %s", strerror(errno));
	}
	for (t->op_no = 0; t->op_no < t->ops; t->op_no++) {
		w = below(t, total);
		for (op = 0; w >= op_weights[op]; op++)
			w -= op_weights[op];
		if (op == OP_FORK) {
			run_op(t, op);	/* takes fork_lock itself */
			continue;
		}
		pthread_rwlock_rdlock(&fork_lock);
		run_op(t, op);
		pthread_rwlock_unlock(&fork_lock);
	}
	if (t->fail_nth >= 0)
		close(t->fail_nth);
	return NULL;
}

/*
 * Contexts in the kernel's tree with an id above @id (made after it), or
 * -1 without the tree; with @print, list them.
 */
static int tree_after(uint64_t id, bool print)
{
	char line[256];
	FILE *f = fopen(TREE, "r");
	int n = 0;

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (strtoull(line, NULL, 10) > id && n++ < 40 && print)
			printf("#   %s", line);
	fclose(f);
	return n;
}

/* An id above that of every context made before the call. */
static uint64_t probe_id(void)
{
	struct kctx_create c = { .size = sizeof(c) };
	struct kctx_state st = { .size = sizeof(st) };
	int fd = ioctl(dev_fd, KCTX_IOC_CREATE, &c);

	if (fd < 0 || ioctl(fd, KCTX_IOC_STATE, &st))
		setup_failed("a first context");
	close(fd);
	return st.id;
}

/* One phase: @threads threads, @ops operations in all. */
static void run_phase(uint64_t s, long ops, int threads)
{
	struct thr *t;
	long i, per, total_counts[OP_NR] = { 0 };
	int k, j, left = -1;
	int64_t t0, t1;
	uint64_t digest = 0, x = s, id0;
	pthread_rwlockattr_t ra;

	seed = s;
	nops = ops;
	nthreads = threads;
	mt = threads > 1;
	printf("fuzz: seed %" PRIu64 ", %ld ops, %d thread%s, %d slots; again: fuzz -s %"
	       PRIu64 " -n %ld -t %d -S %d\n", s, ops, threads, threads > 1 ? "s" : "",
	       nslots, s, ops, threads, nslots);
	id0 = probe_id();
	thrs = calloc(threads, sizeof(*thrs));
	slots = calloc(nslots, sizeof(*slots));
	if (!thrs || !slots)
		setup_failed("calloc");
	for (k = 0; k < nslots; k++) {
		pthread_mutex_init(&slots[k].lock, NULL);
		slots[k].fd = -1;
	}
	pthread_rwlockattr_init(&ra);
	pthread_rwlockattr_setkind_np(&ra, PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP);
	pthread_rwlock_init(&fork_lock, &ra);
	if (getrlimit(RLIMIT_NOFILE, &nofile))
		setup_failed("getrlimit");
	live_nodes = 0;
	live_workers = 0;
	nlimbo = 0;
	per = ops / threads;
	for (k = 0; k < threads; k++) {
		t = &thrs[k];
		t->idx = k;
		t->rng = splitmix(&x) | 1;
		t->ops = per + (k < ops % threads);
		t->fail_nth = -1;
		t->digest = 0xcbf29ce484222325ULL;
		for (j = 0; j < NEFD; j++) {
			t->efd[j] = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
			if (t->efd[j] < 0)
				setup_failed("eventfd");
		}
		new_sockpair(t);
		t->ep = epoll_create1(EPOLL_CLOEXEC);
		t->guard = mmap(NULL, 2 * 4096, PROT_READ | PROT_WRITE,
				MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (t->guard == MAP_FAILED || mprotect(t->guard + 4096, 4096, PROT_NONE))
			setup_failed("mmap");
	}
	if (cap_orig >= 0) {
		cap_model = nslots * 3 / 4;
		if (!write_long(CAP_PARAM, cap_model))
			setup_failed(CAP_PARAM);
	}

	t0 = now_ns(CLOCK_MONOTONIC);
	if (threads == 1) {
		thread_main(&thrs[0]);
	} else {
		for (k = 0; k < threads; k++) {
			/* pthread_create() returns its error; errno is stale. */
			errno = pthread_create(&thrs[k].th, NULL, thread_main, &thrs[k]);
			if (errno)
				setup_failed("pthread_create");
		}
		for (k = 0; k < threads; k++)
			pthread_join(thrs[k].th, NULL);
	}
	t1 = now_ns(CLOCK_MONOTONIC);

	/* Close everything; the kernel must be back where it was. */
	mt = false;
	t = &thrs[0];
	t->op_no++;
	note(t, "cleanup");
	for (k = 0; k < nslots; k++) {
		if (slots[k].fd >= 0)
			slot_close(t, &slots[k]);
		pthread_mutex_destroy(&slots[k].lock);
	}
	for (k = 0; k < threads; k++) {
		for (j = 0; j < NEFD; j++)
			close(thrs[k].efd[j]);
		if (thrs[k].sock[0] >= 0) {
			close(thrs[k].sock[0]);
			close(thrs[k].sock[1]);
		}
		if (thrs[k].ep >= 0)
			close(thrs[k].ep);
		munmap(thrs[k].guard, 2 * 4096);
		digest ^= thrs[k].digest;
		for (j = 0; j < OP_NR; j++)
			total_counts[j] += thrs[k].counts[j];
	}
	if (live_nodes || live_workers)
		fail(t, "the model still counts %d contexts and %d workers", live_nodes,
		     live_workers);
	/* A fired deadline's walk may still be queued: give it 10 s. */
	for (i = 0; i < 1000; i++) {
		left = tree_after(id0, false);
		if (left <= 0)
			break;
		usleep(10000);
	}
	if (left > 0) {
		tree_after(id0, true);
		fail(t, "%d context%s made in the run %s still in " TREE, left,
		     left == 1 ? "" : "s", left == 1 ? "is" : "are");
	}
	if (cap_orig >= 0) {
		/*
		 * Nothing is charged to us any more: exactly the cap fits. A
		 * fired deadline's walk may hold its node a little after the
		 * node left the tree: 10 s more for that.
		 */
		struct kctx_create c = { .size = sizeof(c) };
		int fds[5], r, e;

		if (!write_long(CAP_PARAM, 5))
			fail(t, "writing " CAP_PARAM);
		for (i = 0; ; i++) {
			for (k = 0; k < 5; k++) {
				fds[k] = ioctl(dev_fd, KCTX_IOC_CREATE, &c);
				if (fds[k] < 0)
					break;
			}
			if (k == 5)
				break;
			e = errno;
			for (j = 0; j < k; j++)
				close(fds[j]);
			if (e != ENOSPC || i == 1000)
				fail(t, "with the cap at 5, creation %d failed: %s", k + 1,
				     strerror(e));
			usleep(10000);
		}

		r = ioctl(dev_fd, KCTX_IOC_CREATE, &c);
		if (r >= 0 || errno != ENOSPC)
			fail(t, "with the cap at 5, creation 6 gave %d/%s", r, strerror(errno));
		for (k = 0; k < 5; k++)
			close(fds[k]);
		restore_cap();
		cap_model = -1;
	}

	printf("fuzz: %ld ops in %.1f s: %.0f ops/s\n", ops, (t1 - t0) / 1e9,
	       ops / ((t1 - t0) / 1e9));
	printf("fuzz:");
	for (j = 0; j < OP_NR; j++)
		printf(" %s %ld", op_names[j], total_counts[j]);
	printf("\nfuzz: %ld malformed calls; %ld seen done; %ld born done under a done parent;"
	       " %ld descendants checked; ENOSPC %ld, EMFILE %ld, injected ENOMEM %ld,"
	       " EMLINK %ld; %ld dives to KCTX_MAX_DEPTH\n",
	       bad_calls, done_seen, born_done, descendants_checked, enospc_hits,
	       emfile_hits, enomem_hits, emlink_hits, dives);
	printf("fuzz: workers: %ld attached, %ld refused as done; %ld detached, %ld again;"
	       " %ld released while attached; done contexts seen held from EPOLLHUP by a"
	       " worker %ld, drained %ld; %ld woken with EPOLLHUP as their last worker"
	       " left; cancel-waits %ld ETIME, %ld 0\n",
	       attached_ok, attach_refused, detached_ok, detached_again, released_attached,
	       hup_held, hup_drained, drain_wakes, wait_etime, wait_zero);
	if (left == 0)
		printf("fuzz: no context made in the run is left in the tree\n");
	else
		printf("fuzz: no " TREE "; tree not checked\n");
	printf("fuzz: digest %016" PRIx64 "%s\n", digest,
	       threads > 1 ? " (threads: not reproducible)" : "");
	free(slots);
	free(thrs);
	pthread_rwlock_destroy(&fork_lock);
	bad_calls = done_seen = born_done = descendants_checked = 0;
	enospc_hits = emfile_hits = enomem_hits = emlink_hits = dives = 0;
	attached_ok = attach_refused = detached_ok = detached_again = released_attached = 0;
	hup_held = hup_drained = wait_etime = wait_zero = drain_wakes = 0;
}

static void usage(void)
{
	fprintf(stderr,
		"usage: fuzz [-s SEED] [-n OPS] [-t THREADS] [-S SLOTS] [-v]\n"
		"  without -t: OPS/2 in one thread, then OPS/2 in 4 threads\n");
	exit(2);
}

int main(int argc, char **argv)
{
	uint64_t s;
	long n = 50000;
	int opt, threads = 0, fd;
	bool have_seed = false;

	setvbuf(stdout, NULL, _IOLBF, 0);
	while ((opt = getopt(argc, argv, "s:n:t:S:v")) != -1) {
		switch (opt) {
		case 's':
			s = strtoull(optarg, NULL, 0);
			have_seed = true;
			break;
		case 'n':
			n = atol(optarg);
			break;
		case 't':
			threads = atoi(optarg);
			if (threads < 1 || threads > MAX_THREADS)
				usage();
			break;
		case 'S':
			nslots = atoi(optarg);
			if (nslots < 8 || nslots > 4000)
				usage();
			break;
		case 'v':
			verbose = true;
			break;
		default:
			usage();
		}
	}
	if (!have_seed) {
		s = now_ns(CLOCK_REALTIME) ^ ((uint64_t)getpid() << 32);
		s = splitmix(&s) >> 16;	/* short enough to type */
	}
	mypid = getpid();
	dev_fd = open(KCTX_DEVICE, O_RDWR | O_CLOEXEC);
	if (dev_fd < 0) {
		printf("fuzz: skip: no " KCTX_DEVICE ": is kctx.ko loaded?\n");
		return 77;
	}
	if (pipe2(pipe_fds, O_CLOEXEC))
		setup_failed("pipe");
	ro_page = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (ro_page == MAP_FAILED)
		setup_failed("mmap");
	*(uint32_t *)ro_page = sizeof(struct kctx_state);
	mprotect(ro_page, 4096, PROT_READ);
	fd = open("/proc/thread-self/fail-nth", O_RDWR | O_CLOEXEC);
	have_fail_nth = fd >= 0 && mark_caches();
	if (fd >= 0)
		close(fd);
	have_fdinfo = access("/proc/self/fdinfo", F_OK) == 0;
	if (!have_fdinfo)
		printf("fuzz: no /proc/self/fdinfo; workers' fdinfo not checked\n");
	cap_orig = read_long(CAP_PARAM);
	if (cap_orig >= 0 && !write_long(CAP_PARAM, cap_orig))
		cap_orig = -1;	/* not ours to set */
	if (cap_orig < 0)
		printf("fuzz: can't set " CAP_PARAM "; the cap is not exercised\n");
	if (!have_fail_nth)
		printf("fuzz: no /proc/thread-self/fail-nth or failslab for kctx's caches; "
		       "no allocation failures\n");

	if (threads) {
		run_phase(s, n, threads);
	} else {
		run_phase(s, n / 2, 1);
		run_phase(s + 1, n - n / 2, 4);
	}
	restore_cap();
	restore_caches();
	printf("fuzz: ok\n");
	return 0;
}
