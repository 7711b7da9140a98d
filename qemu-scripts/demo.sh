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

if [ -r /sys/kernel/debug/kctx/tree ]; then
	step "the live context tree (/sys/kernel/debug/kctx/tree)"
	cat /sys/kernel/debug/kctx/tree
fi

step "unloading kctx"
rmmod kctx
if grep -q '^kctx ' /proc/modules; then
	echo "kctx is still loaded"
	exit 1
fi
echo "kctx unloaded"
step "demo done"
