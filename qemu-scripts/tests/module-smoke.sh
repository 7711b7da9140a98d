#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# module-smoke - kctx is loaded and shows itself: a version, its debugfs
# directory and its slab caches. On Debian's own kernels (stock, lts, rt)
# the objects must stay small (on the debug kernels lockdep and KASAN
# inflate them, so the size check is skipped there): a node at most 128
# bytes and a deadline node 192, each 32 more on rt (see below).

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

# On PREEMPT_RT a spinlock_t is an rt_mutex, 32 bytes where it is 4, and
# each node has one: the limits there are 32 bytes higher. A raw_spinlock_t
# would keep the node at 128, but the hooks that run under the node lock
# take the locks RT makes sleep (wait-queue heads for eventfds and pollers,
# the siglock for a bound thread's SIGKILL), which no raw lock may hold.
case $KCTX_KERNEL in
stock | lts) node=128 deadline=192 ;;
rt) node=160 deadline=224 ;;
*) node= ;;
esac
if [ -n "$node" ]; then
	big=
	max_size kctx "$node" || big="$big kctx"
	max_size kctx_deadline "$deadline" || big="$big kctx_deadline"
	[ -z "$big" ] || fail "objects over their limit on $KCTX_KERNEL:$big"
fi
echo "module-smoke: ok"
