#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# module-smoke - kctx is loaded and shows itself: a version, its debugfs
# directory and its slab caches. On Debian's own kernels (stock, lts, rt)
# the objects must stay small (on the debug kernels lockdep and KASAN
# inflate them, so the size check is skipped there).

fail() {
	echo "module-smoke: FAIL: $*"
	exit 1
}

[ -r /sys/module/kctx/version ] || fail "no /sys/module/kctx/version"
echo "module-smoke: kctx version $(cat /sys/module/kctx/version)"
[ -d /sys/kernel/debug/kctx ] || fail "no /sys/kernel/debug/kctx/"

for c in kctx kctx_value kctx_deadline; do
	[ -d /sys/kernel/slab/$c ] || fail "no slab cache $c (it must be created with SLAB_NO_MERGE)"
	# A mergeable cache is a link to a shared one (:A-0000128, say).
	[ ! -L /sys/kernel/slab/$c ] ||
		fail "slab cache $c is mergeable: /sys/kernel/slab/$c -> $(readlink /sys/kernel/slab/$c)"
done

# max_size CACHE LIMIT: print the size of CACHE's objects; false past LIMIT.
max_size() {
	size=$(cat /sys/kernel/slab/"$1"/object_size)
	echo "module-smoke: $1 objects are $size bytes (limit $2)"
	[ "$size" -le "$2" ]
}

case $KCTX_KERNEL in
stock | lts | rt)
	big=
	max_size kctx 128 || big="$big kctx"
	max_size kctx_deadline 192 || big="$big kctx_deadline"
	[ -z "$big" ] || fail "objects over their limit on $KCTX_KERNEL:$big"
	;;
esac
echo "module-smoke: ok"
