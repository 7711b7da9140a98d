/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * kctx: Go-style contexts, as file descriptors.
 *
 * Open KCTX_DEVICE and issue KCTX_IOC_CREATE on it to make a root context (a
 * child of the background root). Every context is a file descriptor: issue
 * the commands below on it, poll() it, pass it over SCM_RIGHTS, and see it
 * in /proc/PID/fdinfo. See Documentation/userspace-api.rst.
 *
 * Each command takes a pointer to a struct whose first field is its size
 * in bytes, at least the size of the struct's first version (EINVAL
 * otherwise). A newer kernel accepts an older, shorter struct; an older
 * kernel accepts a newer, longer one only if the fields it does not know
 * are zero, and fails with E2BIG otherwise.
 */
#ifndef _UAPI_LINUX_KCTX_H
#define _UAPI_LINUX_KCTX_H

#include <linux/const.h>
#include <linux/ioctl.h>
#include <linux/types.h>

#define KCTX_DEVICE	"/dev/kctx"
#define KCTX_TYPE	0xC7

/*
 * How deep a context may be: a root context is at depth 1, its children at
 * 2. Every walk along a chain of parents (a value lookup, the release of a
 * chain) is bounded by it, so no user can make the kernel loop for long
 * where it cannot be preempted. KCTX_IOC_CREATE below the deepest level
 * fails with EMLINK.
 */
#define KCTX_MAX_DEPTH	1024

/**
 * DOC: errors
 *
 * ========= =============================================================
 * ENOTTY    unknown command, or a command the fd does not take
 * EINVAL    bad flags, a non-zero reserved field, an unknown kind or
 *           clock, or an unnormalized time
 * E2BIG     a non-zero tail beyond the struct this kernel knows
 * EFAULT    a bad pointer
 * EBADF     not a kctx fd, or not an eventfd
 * EPERM     the fd is watch-only
 * ENOENT    KCTX_IOC_VALUE: no context in the chain carries the key
 * EMFILE    the process's fd table is full
 * ENOSPC    the user's cap on live contexts and workers, or the
 *           context's cap on attached eventfds, is reached
 * EMLINK    KCTX_IOC_CREATE: the parent is KCTX_MAX_DEPTH levels deep
 * ETIME     KCTX_IOC_CANCEL with KCTX_CANCEL_WAIT: work was still
 *           attached when the wait's time ran out
 * EINTR     KCTX_IOC_CANCEL with KCTX_CANCEL_WAIT: a signal ended the
 *           wait; the cancel stands
 * ECANCELED KCTX_IOC_ATTACH: the context is done (cancelled), so no
 *           work may join it
 * ETIMEDOUT KCTX_IOC_ATTACH: the context is done (deadline exceeded)
 * ENOMEM    out of memory, or the caller's memory cgroup is at its limit
 * ========= =============================================================
 *
 * mmap() of a context fd (see struct kctx_status) fails with EINVAL for
 * an offset other than 0 or a length other than one page, EACCES for
 * PROT_WRITE, and ENOMEM as above.
 */

/**
 * DOC: fds
 *
 * A context fd is an owner fd or a watch-only fd. KCTX_IOC_CREATE returns an
 * owner fd, KCTX_IOC_WATCH a watch-only one. Closing the last reference to an
 * owner fd, by close() or by the death of every process that holds it,
 * ends the context with -ECANCELED and the cause -EOWNERDEAD, whatever its
 * kind, along with everything below it, so kernel work started for a
 * crashed process stops. (KCTX_IOC_CANCEL still can't cancel a value or
 * without-cancel context; its owner's death can.)
 *
 * poll(), select() and epoll report EPOLLIN | EPOLLRDNORM once the context
 * is done, and nothing before; and EPOLLHUP besides once it is done and no
 * work is attached below it ("done and drained": what KCTX_CANCEL_WAIT
 * waits for). read() and write() are not supported.
 *
 * mmap() maps, read-only, a page that starts with a struct kctx_status:
 * checking whether a context is done is then a load, with no system call.
 */

enum {
	KCTX_CMD_BASE = 0x00,
	KCTX_CMD_CREATE = KCTX_CMD_BASE,
	KCTX_CMD_CANCEL,
	KCTX_CMD_STATE,
	KCTX_CMD_VALUE,
	KCTX_CMD_ATTACH_EVENTFD,
	KCTX_CMD_WATCH,
	KCTX_CMD_ATTACH,
	KCTX_CMD_DETACH,
};

/**
 * enum kctx_kind - the kind of context KCTX_IOC_CREATE makes
 * @KCTX_KIND_CANCEL: done when cancelled or when its parent is done
 * @KCTX_KIND_DEADLINE: also done, with -ETIMEDOUT, at a deadline
 * @KCTX_KIND_VALUE: carries a 64-bit value under a 64-bit key; done with
 *	its parent and cannot be cancelled by itself
 * @KCTX_KIND_WITHOUT_CANCEL: keeps its parent's values, is never done, and
 *	has no deadline
 */
enum kctx_kind {
	KCTX_KIND_CANCEL = 0,
	KCTX_KIND_DEADLINE = 1,
	KCTX_KIND_VALUE = 2,
	KCTX_KIND_WITHOUT_CANCEL = 3,
};

/* KCTX_IOC_CREATE and KCTX_IOC_WATCH: the new fd is not O_CLOEXEC. */
#define KCTX_FD_NO_CLOEXEC	_BITUL(0)
/* KCTX_IOC_CREATE: the deadline is a duration from now, not a time. */
#define KCTX_CREATE_RELATIVE	_BITUL(1)

/**
 * struct kctx_create - argument of KCTX_IOC_CREATE
 * @size: sizeof(struct kctx_create)
 * @flags: KCTX_FD_NO_CLOEXEC, KCTX_CREATE_RELATIVE
 * @kind: an enum kctx_kind
 * @clockid: for a deadline: CLOCK_MONOTONIC, CLOCK_BOOTTIME or
 *	CLOCK_REALTIME; 0 with KCTX_CREATE_RELATIVE. The deadline is turned
 *	into a CLOCK_MONOTONIC time when the context is made, so later steps
 *	of the realtime clock do not move it, and time spent suspended does
 *	not count toward a CLOCK_BOOTTIME deadline.
 * @deadline_sec: seconds of the deadline, or of the duration; >= 0
 * @deadline_nsec: nanoseconds, below 1000000000
 * @__reserved: must be zero
 * @key: for a value: the key
 * @value: for a value: the value
 *
 * Issued on KCTX_DEVICE, it makes a child of the background root; issued
 * on a context fd, a child of that context. The fd must be an owner fd.
 * The new context counts against the caller's cap until it is freed.
 *
 * Return: a new owner fd, O_CLOEXEC unless KCTX_FD_NO_CLOEXEC; -EMLINK
 * below KCTX_MAX_DEPTH; -ENOSPC at the user's cap; -EMFILE.
 */
struct kctx_create {
	__u32 size;
	__u32 flags;
	__u32 kind;
	__u32 clockid;
	__s64 deadline_sec;
	__u32 deadline_nsec;
	__u32 __reserved;
	__aligned_u64 key;
	__aligned_u64 value;
};

#define KCTX_IOC_CREATE		_IO(KCTX_TYPE, KCTX_CMD_CREATE)

/* KCTX_IOC_CANCEL: @code and @user_cause carry a cause. */
#define KCTX_CANCEL_CAUSE	_BITUL(0)
/* KCTX_IOC_CANCEL: then wait, up to @wait_ns, for the work to leave. */
#define KCTX_CANCEL_WAIT	_BITUL(1)
/* struct kctx_cancel.wait_ns: no limit. */
#define KCTX_CANCEL_WAIT_FOREVER	(~(__u64)0)

/**
 * struct kctx_cancel - argument of KCTX_IOC_CANCEL
 * @size: sizeof(struct kctx_cancel); 24, without @wait_ns, is accepted
 * @flags: KCTX_CANCEL_CAUSE, KCTX_CANCEL_WAIT
 * @code: an errno-like cause, by convention negative; 0 means
 *	-ECANCELED. Kernel code that works for the context sees it.
 * @__reserved: must be zero
 * @user_cause: any 64-bit value, for userspace to explain itself
 * @wait_ns: the wait's limit, in nanoseconds: 0 only tells whether work
 *	is attached, KCTX_CANCEL_WAIT_FOREVER waits for as long as it takes.
 *	Must be 0 unless @flags asks for the wait.
 *
 * Cancels the context and all its descendants, unless it is already done:
 * the first cancel wins. Value and without-cancel contexts cannot be
 * cancelled by themselves; for them the cancel does nothing.
 *
 * With KCTX_CANCEL_WAIT, the call then waits until no work is attached to
 * the context or below it: kernel threads bound to it, after-funcs that
 * are running, and workers attached with KCTX_IOC_ATTACH. Work below a
 * without-cancel context is not waited for. A signal ends the wait early;
 * the cancel stands either way. See "graceful shutdown" in
 * Documentation/userspace-api.rst.
 *
 * Return: 0; -EPERM on a watch-only fd; with KCTX_CANCEL_WAIT, -ETIME if
 * work was still attached when @wait_ns passed, or -EINTR if a signal
 * came first.
 */
struct kctx_cancel {
	__u32 size;
	__u32 flags;
	__s32 code;
	__u32 __reserved;
	__aligned_u64 user_cause;
	__aligned_u64 wait_ns;
};

#define KCTX_IOC_CANCEL		_IO(KCTX_TYPE, KCTX_CMD_CANCEL)

/* struct kctx_state.state: */
#define KCTX_STATE_DONE		_BITUL(0)
#define KCTX_STATE_DEADLINE	_BITUL(1)	/* @deadline_ns is valid */
#define KCTX_STATE_USER_CAUSE	_BITUL(2)	/* @user_cause is valid */
#define KCTX_STATE_OWNER	_BITUL(3)	/* this fd is an owner fd */

/**
 * struct kctx_state - argument of KCTX_IOC_STATE
 * @size: sizeof(struct kctx_state); the kernel writes back the size of the
 *	struct it filled in, at most the caller's
 * @flags: must be zero
 * @state: KCTX_STATE_* bits
 * @err: 0 while live, -ECANCELED or -ETIMEDOUT once done
 * @cause: the code of the cancel that reached the context; equals @err
 *	when none was given
 * @canceller_pid: the process that cancelled, in the caller's pid
 *	namespace; 0 for a deadline, for a kernel cancel, or once that
 *	process is gone, even if another process has its number now
 * @kind: the context's enum kctx_kind; a deadline context whose parent's
 *	deadline comes first is a plain KCTX_KIND_CANCEL context
 * @__reserved: zero
 * @user_cause: the user cause of the cancel that reached the context
 * @deadline_ns: the effective deadline on CLOCK_MONOTONIC: the earliest
 *	of the context's own and its ancestors'
 * @id: the context's id, unique while kctx is loaded
 * @parent_id: the parent's id; 1 is the background root
 *
 * Everything but @size and @flags is written by the kernel; @size is
 * written back.
 *
 * Return: 0.
 */
struct kctx_state {
	__u32 size;
	__u32 flags;
	__u32 state;
	__s32 err;
	__s32 cause;
	__s32 canceller_pid;
	__u32 kind;
	__u32 __reserved;
	__aligned_u64 user_cause;
	__aligned_u64 deadline_ns;
	__aligned_u64 id;
	__aligned_u64 parent_id;
};

#define KCTX_IOC_STATE		_IO(KCTX_TYPE, KCTX_CMD_STATE)

/**
 * struct kctx_status - the start of the page that mmap() of a context fd maps
 * @size: sizeof(struct kctx_status) of the kernel that filled it in; a
 *	field past it is not there
 * @err: 0 while live, -ECANCELED or -ETIMEDOUT once done
 * @state: KCTX_STATE_DONE, KCTX_STATE_DEADLINE and KCTX_STATE_USER_CAUSE,
 *	as in struct kctx_state
 * @cause: once done, as in struct kctx_state
 * @user_cause: once done, with KCTX_STATE_USER_CAUSE, as in struct kctx_state
 * @deadline_ns: with KCTX_STATE_DEADLINE, as in struct kctx_state
 * @id: the context's id
 * @parent_id: the parent's id
 *
 * Map it with mmap(NULL, page size, PROT_READ, MAP_SHARED, fd, 0), from an
 * owner or a watch-only fd: every fd of one context, in any process, maps
 * the same page. The kernel writes @err last, with release ordering,
 * before the call that ends the context returns (a cancel, the release of
 * the last owner fd, a deadline's expiry before pollers wake), and every
 * other field before it: load @err with acquire ordering, and once it is
 * non-zero the other fields are final. A mapping keeps the page current
 * as long as it lasts, as a watch-only fd would: even a mapping of an
 * owner fd is not an owner fd, so closing the last owner fd still ends
 * the context.
 *
 * Memory: one page for each context that some process maps, charged to
 * the memory cgroup of the process that mapped it first.
 */
struct kctx_status {
	__u32 size;
	__s32 err;
	__u32 state;
	__s32 cause;
	__aligned_u64 user_cause;
	__aligned_u64 deadline_ns;
	__aligned_u64 id;
	__aligned_u64 parent_id;
};

/**
 * struct kctx_value - argument of KCTX_IOC_VALUE
 * @size: sizeof(struct kctx_value)
 * @flags: must be zero
 * @key: the key to look up through the chain; the nearest wins
 * @value: written by the kernel: the value found
 *
 * Userspace keys and values are apart from the kernel's: neither side
 * can read or shadow the other's.
 *
 * Return: 0, or -ENOENT if no context in the chain carries @key.
 */
struct kctx_value {
	__u32 size;
	__u32 flags;
	__aligned_u64 key;
	__aligned_u64 value;
};

#define KCTX_IOC_VALUE		_IO(KCTX_TYPE, KCTX_CMD_VALUE)

/**
 * struct kctx_attach_eventfd - argument of KCTX_IOC_ATTACH_EVENTFD
 * @size: sizeof(struct kctx_attach_eventfd)
 * @flags: must be zero
 * @eventfd: an eventfd; it is signalled with 1 once the context is done,
 *	at once if it already is
 * @__reserved: must be zero
 *
 * The attachment lasts until the context fd is closed, and holds its own
 * reference on the eventfd, so closing the eventfd early is harmless.
 *
 * Return: 0; -EBADF if @eventfd is not an eventfd; -EPERM on a watch-only
 * fd; -ENOSPC past KCTX_MAX_EVENTFDS attachments on this context.
 */
struct kctx_attach_eventfd {
	__u32 size;
	__u32 flags;
	__s32 eventfd;
	__u32 __reserved;
};

#define KCTX_IOC_ATTACH_EVENTFD	_IO(KCTX_TYPE, KCTX_CMD_ATTACH_EVENTFD)
#define KCTX_MAX_EVENTFDS	64

/**
 * struct kctx_watch - argument of KCTX_IOC_WATCH
 * @size: sizeof(struct kctx_watch)
 * @flags: KCTX_FD_NO_CLOEXEC
 *
 * Makes a watch-only fd for the same context: it can be polled, queried
 * and passed on, but not used to cancel, create children or attach
 * eventfds. Closing it never cancels anything.
 *
 * Return: the new fd.
 */
struct kctx_watch {
	__u32 size;
	__u32 flags;
};

#define KCTX_IOC_WATCH		_IO(KCTX_TYPE, KCTX_CMD_WATCH)

/**
 * struct kctx_attach - argument of KCTX_IOC_ATTACH
 * @size: sizeof(struct kctx_attach); 8, without @signal, is accepted
 * @flags: KCTX_ATTACH_SIGNAL, or zero
 * @signal: with KCTX_ATTACH_SIGNAL, the signal to send; else zero
 * @__reserved: zero
 *
 * Attaches the caller as a worker of the context (Go's WaitGroup.Add), so
 * that KCTX_CANCEL_WAIT on it or on any context above it waits until the
 * worker has left, and poll() holds EPOLLHUP back until then. Either fd of
 * the context may attach.
 *
 * The worker is the returned worker fd, which is close-on-exec: the worker
 * leaves when the last copy of that fd is closed (so at exit, and at exec,
 * of every process that holds one), or at KCTX_IOC_DETACH on it, whichever
 * comes first. A child forked without exec shares the fd, and the worker
 * stays until both are gone. A worker counts against the user's cap on
 * live contexts until its fd is closed. Its fdinfo gives the context's id
 * ("ctx_id"), whether it is still attached, and since when on
 * CLOCK_MONOTONIC ("since_ns").
 *
 * With KCTX_ATTACH_SIGNAL, the worker is also the calling thread's binding
 * to the context: the moment the context is done, whoever ends it (a
 * cancel from any process, a deadline, the owner's death), the kernel
 * sends @signal to that thread alone, as SIGEV_THREAD_ID does for a POSIX
 * timer (si_code SI_KERNEL). A handler installed without SA_RESTART then
 * ends the thread's interruptible sleep, even in a call that can't be
 * polled (a futex wait, a read of a FUSE or NFS file), with EINTR. If the
 * context is done between the attach and the binding, the signal is sent
 * at once. The binding ends when the worker leaves. @signal may be any
 * signal but SIGKILL and SIGSTOP.
 *
 * Return: the worker fd; -ECANCELED or -ETIMEDOUT if the context is done
 * already, in which case nothing is attached; -ENOSPC at the user's cap;
 * -EINVAL for an unknown flag, a bad @signal or a non-zero @__reserved.
 */
struct kctx_attach {
	__u32 size;
	__u32 flags;
	__u32 signal;
	__u32 __reserved;
};

/* KCTX_IOC_ATTACH: send struct kctx_attach.signal to this thread when done. */
#define KCTX_ATTACH_SIGNAL	_BITUL(0)

#define KCTX_IOC_ATTACH		_IO(KCTX_TYPE, KCTX_CMD_ATTACH)

/**
 * struct kctx_detach - argument of KCTX_IOC_DETACH, on a worker fd
 * @size: sizeof(struct kctx_detach)
 * @flags: must be zero
 *
 * The worker leaves its context now, whoever else holds the worker fd
 * (Go's WaitGroup.Done). The fd stays open, attached to nothing; detaching
 * again does nothing.
 *
 * Return: 0; -ENOTTY on any fd but a worker fd.
 */
struct kctx_detach {
	__u32 size;
	__u32 flags;
};

#define KCTX_IOC_DETACH		_IO(KCTX_TYPE, KCTX_CMD_DETACH)

#endif /* _UAPI_LINUX_KCTX_H */
