// SPDX-License-Identifier: GPL-2.0
/*
 * kctx's tracepoints: kctx:kctx_create, kctx:kctx_cancel, kctx:kctx_deadline,
 * kctx:kctx_straggler.
 */
#define CREATE_TRACE_POINTS
#include "kctx_trace.h"

EXPORT_TRACEPOINT_SYMBOL_GPL(kctx_create);
EXPORT_TRACEPOINT_SYMBOL_GPL(kctx_cancel);
EXPORT_TRACEPOINT_SYMBOL_GPL(kctx_deadline);
EXPORT_TRACEPOINT_SYMBOL_GPL(kctx_straggler);
