#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# demo.sh - what `make demo` runs inside the stock VM, with kctx.ko loaded.
# It says what it does as it goes. Later features add their own steps here
# (userspace contexts through the uapi, the kctx tool, ...).

set -e

step() {
	echo
	echo "== $*"
}

step "kctx is loaded"
echo "version $(cat /sys/module/kctx/version) (/sys/module/kctx/version)"
grep '^kctx ' /proc/modules

step "userspace cancellation reaching kernel I/O (pump-demo)"
pump-demo

step "graceful shutdown: cancel, then wait for kernel threads and processes (shutdown-demo)"
shutdown-demo

step "unloading the example consumer and kctx"
rmmod kctx_pump
rmmod kctx
if grep -q '^kctx ' /proc/modules; then
	echo "kctx is still loaded"
	exit 1
fi
echo "kctx unloaded"
step "demo done"
