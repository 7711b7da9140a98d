#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# module-smoke - kctx is loaded and shows itself: a version, its debugfs
# directory and its slab caches. On the stock kernel the objects must stay
# small (on the debug kernel lockdep and KASAN inflate them, so the size
# check is skipped there).

fail() {
	echo "module-smoke: FAIL: $*"
	exit 1
}

[ -r /sys/module/kctx/version ] || fail "no /sys/module/kctx/version"
echo "module-smoke: kctx version $(cat /sys/module/kctx/version)"
[ -d /sys/kernel/debug/kctx ] || fail "no /sys/kernel/debug/kctx/"

for c in kctx kctx_value kctx_deadline; do
	[ -d /sys/kernel/slab/$c ] || fail "no slab cache $c (it must be created with SLAB_NO_MERGE)"
done

# max_size CACHE LIMIT
max_size() {
	size=$(cat /sys/kernel/slab/"$1"/object_size)
	echo "module-smoke: $1 objects are $size bytes (limit $2)"
	[ "$size" -le "$2" ] || fail "$1 objects are $size bytes, more than $2"
}

if [ "$KCTX_KERNEL" = stock ]; then
	max_size kctx 128
	max_size kctx_deadline 192
fi
echo "module-smoke: ok"
