#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# vm-guest.sh [-reps N] [PART]... - what `make bench` runs inside the stock VM, with
# kctx.ko loaded. Every "@bench" line goes to $KCTX_REPORT; progress goes
# to the console. PARTs (default: all of them, in this order):
#   kernel[:GROUP]  kctx_bench.ko's groups (all, or one, e.g. kernel:FanOut)
#   memory          bytes per context, from the slab caches
#   user            ubench: libkctx and the raw kernel baselines, then the
#                   uapi at its limits (user:base and user:limits alone;
#                   user:late, the deadline lateness and its traced parts)
#   go | cpp        the Go and C++ peers (bench/peers)
# -reps N: timed repetitions behind each median (default 5).
# busybox ash has pipefail: a failing benchmark must not hide behind tee.
# shellcheck disable=SC3040
set -e -o pipefail

reps=5
if [ "${1:-}" = -reps ]; then
	reps=$2
	shift 2
fi

report=${KCTX_REPORT:-/dev/null}
groups="CreateCancel CheckCanceled CancelTree FanOut CommonParentCancel WithTimeout CancelWake KthreadAbort CancelWait"

load_bench() {
	grep -q '^kctx_bench ' /proc/modules || insmod kctx_bench.ko reps="$reps"
}

# run_kernel GROUP...: each group's figures are what it added to the log.
run_kernel() {
	load_bench
	for g in "$@"; do
		echo "bench: kernel $g"
		before=$(dmesg | grep -c '@bench' || true)
		echo "$g" >/sys/kernel/debug/kctx_bench/run
		dmesg | grep -o '@bench .*' | tail -n +"$((before + 1))" | tee -a "$report"
	done
}

run_memory() {
	for c in kctx:cancel kctx_deadline:deadline kctx_value:value; do
		size=$(cat "/sys/kernel/slab/${c%%:*}/object_size")
		echo "@bench side=kernel-vm name=Memory/${c#*:} value=$size.0 unit=B n=1 reps=1" |
			tee -a "$report"
	done
}

[ $# -gt 0 ] || set -- kernel memory user go cpp
mount | grep -q debugfs || mount -t debugfs none /sys/kernel/debug
# ubench traces where a deadline's lateness goes; without tracefs it says so.
mount | grep -q tracefs || mount -t tracefs none /sys/kernel/tracing || true
for part in "$@"; do
	case $part in
	kernel)
		# shellcheck disable=SC2086 # one word per group
		run_kernel $groups
		;;
	kernel:*) run_kernel "${part#kernel:}" ;;
	memory) run_memory ;;
	# kctx_bench.ko's irqsoff file measures inside the kernel for limits.
	user) load_bench && ubench -reps "$reps" | tee -a "$report" ;;
	user:*) load_bench && ubench -reps "$reps" "${part#user:}" | tee -a "$report" ;;
	go) ctxbench -side go-vm -reps "$reps" | tee -a "$report" ;;
	cpp) stopbench -side cpp-vm -reps "$reps" | tee -a "$report" ;;
	*) echo "vm-guest.sh: unknown part '$part'" >&2; exit 2 ;;
	esac
done
rmmod kctx_bench 2>/dev/null || true
