/* SPDX-License-Identifier: GPL-2.0 */
#undef TRACE_SYSTEM
#define TRACE_SYSTEM kctx

#if !defined(_KCTX_TRACE_H) || defined(TRACE_HEADER_MULTI_READ)
#define _KCTX_TRACE_H

#include <linux/tracepoint.h>

#include "ctx.h"

TRACE_EVENT(kctx_create,
	    TP_PROTO(const struct kctx *ctx),
	    TP_ARGS(ctx),
	    TP_STRUCT__entry(__field(u64, id)
			     __field(u64, parent)
			     __field(u8, kind)
			     __field(s64, deadline)
			     __field(int, err)),
	    TP_fast_assign(__entry->id = ctx->id;
			   __entry->parent = ctx->parent->id;
			   __entry->kind = ctx->kind;
			   __entry->deadline = ctx->deadline;
			   /* A cancel may already be under way. */
			   __entry->err = READ_ONCE(ctx->head.err);),
	    TP_printk("id=%llu parent=%llu kind=%u deadline=%lld born_err=%d",
		      __entry->id, __entry->parent, __entry->kind,
		      __entry->deadline, __entry->err)
);

TRACE_EVENT(kctx_cancel,
	    TP_PROTO(const struct kctx *ctx, int err, int cause),
	    TP_ARGS(ctx, err, cause),
	    TP_STRUCT__entry(__field(u64, id)
			     __field(int, err)
			     __field(int, cause)),
	    TP_fast_assign(__entry->id = ctx->id;
			   __entry->err = err;
			   __entry->cause = cause;),
	    TP_printk("id=%llu err=%d cause=%d",
		      __entry->id, __entry->err, __entry->cause)
);

TRACE_EVENT(kctx_deadline,
	    TP_PROTO(const struct kctx *ctx),
	    TP_ARGS(ctx),
	    TP_STRUCT__entry(__field(u64, id)
			     __field(s64, deadline)),
	    TP_fast_assign(__entry->id = ctx->id;
			   __entry->deadline = ctx->deadline;),
	    TP_printk("id=%llu deadline=%lld", __entry->id, __entry->deadline)
);

/* kctx_cancel_wait() timed out, and this work was still attached. */
TRACE_EVENT(kctx_straggler,
	    TP_PROTO(u64 waited, u64 ctx, pid_t pid, const char *comm, char state,
		     void *fn, s64 age_ns),
	    TP_ARGS(waited, ctx, pid, comm, state, fn, age_ns),
	    TP_STRUCT__entry(__field(u64, waited)
			     __field(u64, ctx)
			     __field(pid_t, pid)
			     __array(char, comm, TASK_COMM_LEN)
			     __field(char, state)
			     __field(void *, fn)
			     __field(s64, age_ns)),
	    TP_fast_assign(__entry->waited = waited;
			   __entry->ctx = ctx;
			   __entry->pid = pid;
			   memcpy(__entry->comm, comm, TASK_COMM_LEN);
			   __entry->state = state;
			   __entry->fn = fn;
			   __entry->age_ns = age_ns;),
	    TP_printk("waited=%llu ctx=%llu pid=%d comm=%s state=%c fn=%ps age_ns=%lld",
		      __entry->waited, __entry->ctx, __entry->pid, __entry->comm,
		      __entry->state, __entry->fn, __entry->age_ns)
);

#endif /* _KCTX_TRACE_H */

#undef TRACE_INCLUDE_PATH
#define TRACE_INCLUDE_PATH .
#undef TRACE_INCLUDE_FILE
#define TRACE_INCLUDE_FILE kctx_trace
#include <trace/define_trace.h>
