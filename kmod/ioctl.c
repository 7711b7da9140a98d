// SPDX-License-Identifier: GPL-2.0
/*
 * The ioctls of /dev/kctx and of context fds.
 *
 * Every argument struct starts with its size. kctx_ioctl() reads the size,
 * copies the struct with copy_struct_from_user(), which zero-fills a short
 * one and refuses a long one whose unknown tail is not zero (E2BIG), checks
 * the fd's capability, and calls the command. A command that reports back
 * copies out at most the size userspace gave. The structs have no implicit
 * padding, and the buffer is zeroed first, so no stray kernel byte leaves.
 */
#include <linux/kctx.h>
#include <linux/fcntl.h>
#include <linux/file.h>
#include <linux/pid.h>
#include <linux/sched.h>
#include <linux/signal.h>
#include <linux/time64.h>
#include <linux/uaccess.h>
#include <uapi/linux/kctx.h>

#include "file.h"
#include "work.h"
#include "worker.h"

struct kctx_ucmd {
	struct file *file;	/* NULL for /dev/kctx */
	struct kctx_uctx *uc;	/* a context file's; NULL for /dev/kctx and workers */
	void __user *ubuffer;
	u32 user_size;
	union {
		struct kctx_create create;
		struct kctx_cancel cancel;
		struct kctx_state state;
		struct kctx_value value;
		struct kctx_attach_eventfd attach;
		struct kctx_watch watch;
		struct kctx_attach attach_worker;
		struct kctx_detach detach;
	} cmd;
};

/* Copy a reply back: no more than userspace's size, no more than ours. */
static int kctx_ucmd_respond(struct kctx_ucmd *ucmd, size_t size)
{
	if (copy_to_user(ucmd->ubuffer, &ucmd->cmd, min_t(size_t, ucmd->user_size, size)))
		return -EFAULT;
	return 0;
}

static struct kctx *kctx_ucmd_ctx(struct kctx_ucmd *ucmd)
{
	return ucmd->uc ? ucmd->uc->ctx : kctx_background();
}

/* The CLOCK_MONOTONIC deadline that a valid @c asks for. */
static ktime_t kctx_create_deadline(const struct kctx_create *c)
{
	ktime_t t, offset;

	t = c->deadline_sec > KTIME_SEC_MAX ? KTIME_MAX :
		ktime_set(c->deadline_sec, c->deadline_nsec);
	if (c->flags & KCTX_CREATE_RELATIVE)
		return ktime_add_safe(ktime_get(), t);
	/* The clock's offset from CLOCK_MONOTONIC, read in one go. */
	switch (c->clockid) {
	case CLOCK_BOOTTIME:
		offset = ktime_mono_to_any(0, TK_OFFS_BOOT);
		break;
	case CLOCK_REALTIME:
		offset = ktime_mono_to_any(0, TK_OFFS_REAL);
		break;
	default:
		offset = 0;
		break;
	}
	/* Saturate: KTIME_MAX stays "never"; a past time stays in the past. */
	return t == KTIME_MAX ? KTIME_MAX : ktime_sub(t, offset);
}

static bool kctx_create_deadline_valid(const struct kctx_create *c)
{
	if (c->deadline_sec < 0 || c->deadline_nsec >= NSEC_PER_SEC)
		return false;
	/* A duration has no clock: a clockid there is a mistake, not ignored. */
	if (c->flags & KCTX_CREATE_RELATIVE)
		return !c->clockid;
	return c->clockid == CLOCK_MONOTONIC || c->clockid == CLOCK_BOOTTIME ||
	       c->clockid == CLOCK_REALTIME;
}

/*
 * Everything about @c is checked here, before the caller is charged, so that
 * a malformed create is -EINVAL even at the per-user cap. Fields a kind does
 * not use must be zero, so they can mean something later.
 */
static bool kctx_create_valid(const struct kctx_create *c)
{
	bool deadline = c->kind == KCTX_KIND_DEADLINE;
	bool value = c->kind == KCTX_KIND_VALUE;

	if (c->flags & ~(KCTX_FD_NO_CLOEXEC | KCTX_CREATE_RELATIVE) || c->__reserved)
		return false;
	if (c->kind > KCTX_KIND_WITHOUT_CANCEL)
		return false;
	if (deadline)
		return kctx_create_deadline_valid(c) && !c->key && !c->value;
	if (c->flags & KCTX_CREATE_RELATIVE || c->clockid || c->deadline_sec ||
	    c->deadline_nsec)
		return false;
	return value || (!c->key && !c->value);
}

/* The node @c asks for, not yet linked, or an ERR_PTR. */
static struct kctx *kctx_create_node(struct kctx *parent, const struct kctx_create *c)
{
	const gfp_t gfp = GFP_KERNEL_ACCOUNT;
	const unsigned long site = _RET_IP_;

	switch (c->kind) {
	case KCTX_KIND_CANCEL:
		return kctx_alloc(parent, KCTX_NODE_CANCEL, gfp, site);
	case KCTX_KIND_DEADLINE:
		return kctx_alloc_deadline(parent, kctx_create_deadline(c), gfp, site);
	case KCTX_KIND_VALUE:
		return kctx_alloc_user_value(parent, c->key, c->value, gfp, site);
	case KCTX_KIND_WITHOUT_CANCEL:
		return kctx_alloc(parent, KCTX_NODE_DETACHED, gfp, site);
	}
	return ERR_PTR(-EINVAL);	/* kctx_create_valid() said no already */
}

/*
 * The pidfd and timerfd order: check the request, reserve the fd, charge
 * the user, build the node and its file, and only then publish the node
 * (kctx_file_create()) and install the fd. A failure at any step leaves
 * nothing behind: no node in the tree, no trace event, no charge.
 */
static int kctx_cmd_create(struct kctx_ucmd *ucmd)
{
	const struct kctx_create *c = &ucmd->cmd.create;
	struct kctx *parent = kctx_ucmd_ctx(ucmd);
	kuid_t uid = current_uid();
	struct file *file;
	struct kctx *ctx;
	int fd, err;

	if (!kctx_create_valid(c))
		return -EINVAL;
	if (parent->depth >= KCTX_MAX_DEPTH)
		return -EMLINK;
	fd = get_unused_fd_flags(c->flags & KCTX_FD_NO_CLOEXEC ? 0 : O_CLOEXEC);
	if (fd < 0)
		return fd;
	err = kctx_user_charge(uid);
	if (err)
		goto err_put_fd;
	ctx = kctx_create_node(parent, c);
	if (IS_ERR(ctx)) {
		err = PTR_ERR(ctx);
		goto err_uncharge;
	}
	ctx->charged = uid;	/* the node's now: kctx_put() uncharges */
	file = kctx_file_create(ctx);
	if (IS_ERR(file)) {
		err = PTR_ERR(file);
		goto err_put_ctx;
	}
	fd_install(fd, file);
	return fd;

err_put_ctx:
	kctx_put(ctx);	/* never linked, never armed; uncharges */
	goto err_put_fd;
err_uncharge:
	kctx_user_uncharge(uid);
err_put_fd:
	put_unused_fd(fd);
	return err;
}

static int kctx_cmd_cancel(struct kctx_ucmd *ucmd)
{
	const struct kctx_cancel *c = &ucmd->cmd.cancel;
	bool has_cause = c->flags & KCTX_CANCEL_CAUSE;
	struct kctx_why why = {
		.err = -ECANCELED,
		.canceller = kctx_current_canceller(),
	};

	if (c->flags & ~(KCTX_CANCEL_CAUSE | KCTX_CANCEL_WAIT) || c->__reserved)
		return -EINVAL;
	if (!has_cause && (c->code || c->user_cause))
		return -EINVAL;
	if (!(c->flags & KCTX_CANCEL_WAIT) && c->wait_ns)
		return -EINVAL;
	if (c->code > 0 || c->code < -MAX_ERRNO)
		return -EINVAL;
	why.cause = c->code ?: -ECANCELED;
	why.has_user_cause = has_cause;
	why.user_cause = c->user_cause;
	kctx_cancel_why(ucmd->uc->ctx, &why);
	if (!(c->flags & KCTX_CANCEL_WAIT))
		return 0;
	return kctx_work_drain(ucmd->uc->ctx, why.cause, c->wait_ns, true);
}

static const u32 kctx_uapi_kinds[KCTX_NODE_NR_KINDS] = {
	[KCTX_NODE_CANCEL] = KCTX_KIND_CANCEL,
	[KCTX_NODE_DEADLINE] = KCTX_KIND_DEADLINE,
	[KCTX_NODE_VALUE] = KCTX_KIND_VALUE,
	[KCTX_NODE_USER_VALUE] = KCTX_KIND_VALUE,
	[KCTX_NODE_DETACHED] = KCTX_KIND_WITHOUT_CANCEL,
};

/**
 * kctx_uapi_kind() - the enum kctx_kind userspace sees for a context
 * @ctx: a context that an fd can refer to (never the background root)
 *
 * Context: Any context.
 * Return: the kind.
 */
u32 kctx_uapi_kind(const struct kctx *ctx)
{
	return kctx_uapi_kinds[ctx->kind];
}

static int kctx_cmd_state(struct kctx_ucmd *ucmd)
{
	struct kctx_state *st = &ucmd->cmd.state;
	struct kctx *ctx = ucmd->uc->ctx;
	struct kctx_why why;
	ktime_t deadline;

	if (st->flags)
		return -EINVAL;
	kctx_why_get(ctx, &why);
	*st = (struct kctx_state){
		/* What this kernel fills in: a newer caller's tail is not ours. */
		.size = min_t(u32, st->size, sizeof(*st)),
		.err = why.err,
		.cause = why.cause,
		.canceller_pid = kctx_tgid_vnr(why.canceller),
		.kind = kctx_uapi_kind(ctx),
		.id = ctx->id,
		.parent_id = ctx->parent->id,
	};
	if (why.err)
		st->state |= KCTX_STATE_DONE;
	if (why.has_user_cause) {
		st->state |= KCTX_STATE_USER_CAUSE;
		st->user_cause = why.user_cause;
	}
	if (kctx_deadline(ctx, &deadline)) {
		st->state |= KCTX_STATE_DEADLINE;
		st->deadline_ns = ktime_to_ns(deadline);
	}
	if (kctx_file_owner(ucmd->file))
		st->state |= KCTX_STATE_OWNER;
	return kctx_ucmd_respond(ucmd, sizeof(*st));
}

static int kctx_cmd_value(struct kctx_ucmd *ucmd)
{
	struct kctx_value *v = &ucmd->cmd.value;

	if (v->flags)
		return -EINVAL;
	if (!kctx_user_value(ucmd->uc->ctx, v->key, &v->value))
		return -ENOENT;
	return kctx_ucmd_respond(ucmd, sizeof(*v));
}

static int kctx_cmd_attach_eventfd(struct kctx_ucmd *ucmd)
{
	const struct kctx_attach_eventfd *a = &ucmd->cmd.attach;

	if (a->flags || a->__reserved)
		return -EINVAL;
	return kctx_file_attach_eventfd(ucmd->uc, a->eventfd);
}

static int kctx_cmd_watch(struct kctx_ucmd *ucmd)
{
	const struct kctx_watch *w = &ucmd->cmd.watch;
	struct file *file;
	int fd;

	if (w->flags & ~KCTX_FD_NO_CLOEXEC)
		return -EINVAL;
	fd = get_unused_fd_flags(w->flags & KCTX_FD_NO_CLOEXEC ? 0 : O_CLOEXEC);
	if (fd < 0)
		return fd;
	file = kctx_file_watch(ucmd->uc);
	if (IS_ERR(file)) {
		put_unused_fd(fd);
		return PTR_ERR(file);
	}
	fd_install(fd, file);
	return fd;
}

static int kctx_cmd_attach(struct kctx_ucmd *ucmd)
{
	const struct kctx_attach *a = &ucmd->cmd.attach_worker;
	struct file *file;
	int fd;

	if (a->flags & ~KCTX_ATTACH_SIGNAL || a->__reserved)
		return -EINVAL;
	/* A signal with KCTX_ATTACH_SIGNAL, and none without. */
	if (!(a->flags & KCTX_ATTACH_SIGNAL) != !a->signal)
		return -EINVAL;
	if (a->signal && (!valid_signal(a->signal) || sig_kernel_only(a->signal)))
		return -EINVAL;
	/* Close-on-exec always: exec ends the worker (worker.c). */
	fd = get_unused_fd_flags(O_CLOEXEC);
	if (fd < 0)
		return fd;
	file = kctx_worker_create(ucmd->uc->ctx, a->signal);
	if (IS_ERR(file)) {
		put_unused_fd(fd);
		return PTR_ERR(file);
	}
	fd_install(fd, file);
	return fd;
}

static int kctx_cmd_detach(struct kctx_ucmd *ucmd)
{
	if (ucmd->cmd.detach.flags)
		return -EINVAL;
	kctx_worker_detach(ucmd->file);
	return 0;
}

/*
 * Which fds take a command: the device, any context fd, context owners
 * only, or worker fds only.
 */
enum kctx_ioctl_on {
	KCTX_ON_DEVICE_OR_OWNER,
	KCTX_ON_CONTEXT,
	KCTX_ON_OWNER,
	KCTX_ON_WORKER,
};

struct kctx_ioctl_op {
	unsigned int min_size;	/* of the struct's first version */
	unsigned int size;	/* of the struct this kernel knows */
	enum kctx_ioctl_on on;
	int (*execute)(struct kctx_ucmd *ucmd);
};

/*
 * Every kctx ioctl is _IO(KCTX_TYPE, nr): the table is indexed by nr.
 * @_v0 is where the struct's first version ended.
 */
#define KCTX_IOCTL_OP(_ioctl, _fn, _struct, _v0, _on)			\
	[_IOC_NR(_ioctl) - KCTX_CMD_BASE] = {				\
		.min_size = _v0,					\
		.size = sizeof(struct _struct),				\
		.on = _on,						\
		.execute = _fn,						\
	}

static const struct kctx_ioctl_op kctx_ioctl_ops[] = {
	KCTX_IOCTL_OP(KCTX_IOC_CREATE, kctx_cmd_create, kctx_create,
		      offsetofend(struct kctx_create, value), KCTX_ON_DEVICE_OR_OWNER),
	KCTX_IOCTL_OP(KCTX_IOC_CANCEL, kctx_cmd_cancel, kctx_cancel,
		      offsetofend(struct kctx_cancel, user_cause), KCTX_ON_OWNER),
	KCTX_IOCTL_OP(KCTX_IOC_STATE, kctx_cmd_state, kctx_state,
		      offsetofend(struct kctx_state, parent_id), KCTX_ON_CONTEXT),
	KCTX_IOCTL_OP(KCTX_IOC_VALUE, kctx_cmd_value, kctx_value,
		      offsetofend(struct kctx_value, value), KCTX_ON_CONTEXT),
	KCTX_IOCTL_OP(KCTX_IOC_ATTACH_EVENTFD, kctx_cmd_attach_eventfd, kctx_attach_eventfd,
		      offsetofend(struct kctx_attach_eventfd, __reserved), KCTX_ON_OWNER),
	KCTX_IOCTL_OP(KCTX_IOC_WATCH, kctx_cmd_watch, kctx_watch,
		      offsetofend(struct kctx_watch, flags), KCTX_ON_CONTEXT),
	KCTX_IOCTL_OP(KCTX_IOC_ATTACH, kctx_cmd_attach, kctx_attach,
		      offsetofend(struct kctx_attach, flags), KCTX_ON_CONTEXT),
	KCTX_IOCTL_OP(KCTX_IOC_DETACH, kctx_cmd_detach, kctx_detach,
		      offsetofend(struct kctx_detach, flags), KCTX_ON_WORKER),
};

/* 0 if @file (NULL for /dev/kctx) may issue @op, else the errno. */
static int kctx_ioctl_allowed(const struct kctx_ioctl_op *op, struct file *file)
{
	if (!file)
		return op->on == KCTX_ON_DEVICE_OR_OWNER ? 0 : -ENOTTY;
	if (op->on == KCTX_ON_WORKER)
		return kctx_file_worker(file) ? 0 : -ENOTTY;
	if (kctx_file_worker(file))
		return -ENOTTY;
	if (op->on != KCTX_ON_CONTEXT && !kctx_file_owner(file))
		return -EPERM;
	return 0;
}

/**
 * kctx_ioctl() - run one kctx ioctl
 * @file: the context or worker file, or NULL for /dev/kctx
 * @cmd: the ioctl number
 * @arg: the user pointer to the command's struct
 *
 * Context: Process context; sleeps.
 * Return: what the command returns, or a negative errno from the table in
 * uapi/linux/kctx.h.
 */
long kctx_ioctl(struct file *file, unsigned int cmd, unsigned long arg)
{
	const struct kctx_ioctl_op *op;
	struct kctx_ucmd ucmd = {};
	unsigned int nr = _IOC_NR(cmd);
	int err;

	if (cmd != _IO(KCTX_TYPE, nr) || nr - KCTX_CMD_BASE >= ARRAY_SIZE(kctx_ioctl_ops))
		return -ENOTTY;
	op = &kctx_ioctl_ops[nr - KCTX_CMD_BASE];
	err = kctx_ioctl_allowed(op, file);
	if (err)
		return err;

	ucmd.file = file;
	ucmd.uc = file && !kctx_file_worker(file) ? file->private_data : NULL;
	ucmd.ubuffer = (void __user *)arg;
	if (get_user(ucmd.user_size, (u32 __user *)ucmd.ubuffer))
		return -EFAULT;
	if (ucmd.user_size < op->min_size)
		return -EINVAL;
	err = copy_struct_from_user(&ucmd.cmd, op->size, ucmd.ubuffer, ucmd.user_size);
	if (err)
		return err;
	return op->execute(&ucmd);
}
