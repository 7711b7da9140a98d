# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
# Shared helpers for the kctx harness scripts. Source it; don't run it.
#
# Settings (environment):
#   KCTX_KVER    Debian 6.12 upstream version to use, e.g. 6.12.117, for
#                stock, debug, kcsan, debug-rt and rt. Default: the newest
#                linux-image-6.12.*+deb12-amd64-unsigned that apt offers.
#   KCTX_LTS_KVER
#                Debian 12's 6.1 kernel to use for lts, by its ABI name,
#                e.g. 6.1.0-57. Default: the newest
#                linux-image-6.1.0-N-amd64-unsigned that apt offers.
#   KCTX_CACHE   Where built kernels and extracted packages are cached.
#                Default: ${XDG_CACHE_HOME:-$HOME/.cache}/kctx

KCTX_TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
KCTX_CACHE=${KCTX_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/kctx}
KCTX_T0=${KCTX_T0:-$(date +%s)}
export KCTX_T0 KCTX_CACHE

die() {
	echo "kctx: error: $*" >&2
	exit 2
}

# stage NAME: print a stage banner with the time since the run began.
stage() {
	local now=$(($(date +%s) - KCTX_T0))
	printf '==> [%02d:%02d] %s\n' $((now / 60)) $((now % 60)) "$*" >&2
}

# logged LOG CMD...: run CMD with its output in LOG, and meanwhile say
# once a minute how far it is, with LOG's last line, so that a 10-minute
# kernel build shows it is progressing rather than silence. Returns CMD's
# status. The ticker ends with CMD, or with this shell if it is killed.
logged() {
	local log=$1 ticker rc=0 t0=$SECONDS
	shift
	: >"$log"
	(
		while sleep 60 && kill -0 $$ 2>/dev/null; do
			stage "  ... $(((SECONDS - t0) / 60)) min: $(tail -n 1 "$log" | cut -c1-90)"
		done
	) &
	ticker=$!
	"$@" >"$log" 2>&1 || rc=$?
	kill "$ticker" 2>/dev/null || true
	wait "$ticker" 2>/dev/null || true
	return "$rc"
}

as_root() {
	if [ "$(id -u)" = 0 ]; then
		"$@"
	elif command -v sudo >/dev/null 2>&1; then
		sudo "$@"
	else
		die "need root to run '$*'; run as root or install sudo"
	fi
}

check_host() {
	[ "$(uname -m)" = x86_64 ] ||
		die "unsupported architecture $(uname -m): kctx's harness boots x86_64 kernels and needs an x86_64 Debian 12 host"
	command -v apt-get >/dev/null 2>&1 ||
		die "this host has no apt-get: the harness installs Debian 12 packages; run it on Debian 12 (bookworm)"
}

apt_updated=
apt_update_once() {
	[ -n "$apt_updated" ] && return 0
	stage "apt-get update"
	as_root apt-get update -qq >/dev/null ||
		die "apt-get update failed; check the network path to the Debian archive"
	apt_updated=1
}

# need_pkgs PKG...: install whichever of PKG are missing. Idempotent.
need_pkgs() {
	local missing=() p
	for p in "$@"; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' ||
			missing+=("$p")
	done
	[ ${#missing[@]} -eq 0 ] && return 0
	check_host
	apt_update_once
	stage "installing ${missing[*]}"
	as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q \
		--no-install-recommends "${missing[@]}" >"$KCTX_CACHE/apt.log" 2>&1 ||
		die "apt-get install ${missing[*]} failed; see $KCTX_CACHE/apt.log"
}

# Tools every stage needs: compiler and kbuild tools, QEMU, busybox, lint
# (python3-sphinx renders Documentation/: qemu-scripts/htmldocs).
KCTX_HOST_PKGS=(make gcc libc6-dev flex bison bc libelf-dev libssl-dev
	cpio kmod xz-utils python3 qemu-system-x86 busybox-static sparse
	perl dwarves rsync gcc-multilib pkgconf groff-base python3-sphinx)

# What qemu-scripts/deb (make deb) needs, and so lint, which runs it:
# Debian's packaging tools, and debian/control's Build-Depends (dh-dkms
# provides dh-sequence-dkms). No fakeroot: Rules-Requires-Root is no.
KCTX_DEB_PKGS=(dpkg-dev debhelper dh-dkms lintian make gcc libc6-dev)
KCTX_HOST_PKGS+=("${KCTX_DEB_PKGS[@]}")

# The sources with kernel-doc comments: lint's kernel-doc -Wall run checks
# every .c and .h under them, and htmldocs renders only files from them.
KCTX_KDOC_DIRS=(kmod uapi/linux)

need_host_tools() {
	mkdir -p "$KCTX_CACHE"
	check_host
	need_pkgs "${KCTX_HOST_PKGS[@]}"
	# Resolve the kernel version once, here, and export it: inside
	# "local x=$(kver)" a failure would be masked and a script would go on
	# with an empty version.
	KCTX_KVER=$(kver) || exit 2
	export KCTX_KVER
}

# newest_pkg ERE SED: the newest (sort -V) of the package names apt offers
# that match ERE, each turned into a version by the sed script SED; nothing
# when apt has none, even after an update.
newest_pkg() {
	local v
	v=$(apt-cache search --names-only "$1" 2>/dev/null | sed -n "$2" | sort -V | tail -n 1)
	if [ -z "$v" ]; then
		apt_update_once
		v=$(apt-cache search --names-only "$1" | sed -n "$2" | sort -V | tail -n 1)
	fi
	echo "$v"
}

# pinned_or_newest VAR ERE SED WHAT: the version in $VAR if it is set,
# else the newest that apt offers (newest_pkg ERE SED), then exported in
# VAR; dies naming the packages WHAT when apt offers none.
pinned_or_newest() {
	local var=$1 v
	if [ -n "${!var:-}" ]; then
		echo "${!var}"
		return
	fi
	v=$(newest_pkg "$2" "$3")
	[ -n "$v" ] || die "apt offers no $4"
	export "$var=$v"
	echo "$v"
}

# kver: the Debian 6.12 upstream version in use (e.g. 6.12.117).
kver() {
	pinned_or_newest KCTX_KVER '^linux-image-6\.12\.[0-9]+\+deb12-amd64-unsigned$' \
		's/^linux-image-\(6\.12\.[0-9]*\)+deb12-amd64-unsigned .*/\1/p' \
		'linux-image-6.12.*+deb12-amd64-unsigned; enable bookworm-security or bookworm-backports'
}

# lts_kver: the Debian 12 6.1 kernel in use, by its ABI name (6.1.0-57).
# Not resolved by need_host_tools: only the lts kernel needs it.
lts_kver() {
	[ -z "${KCTX_LTS_KVER:-}" ] || [[ $KCTX_LTS_KVER =~ ^6\.1\.0-[0-9]+$ ]] ||
		die "KCTX_LTS_KVER names Debian's 6.1 ABI, e.g. 6.1.0-57, not '$KCTX_LTS_KVER'"
	pinned_or_newest KCTX_LTS_KVER '^linux-image-6\.1\.0-[0-9]+-amd64-unsigned$' \
		's/^linux-image-\(6\.1\.0-[0-9]*\)-amd64-unsigned .*/\1/p' \
		'linux-image-6.1.0-N-amd64-unsigned; enable bookworm and bookworm-security'
}

# abi [FLAVOUR]: Debian's kernel release string of stock (the default), rt
# or lts, e.g. 6.12.117+deb12-amd64, 6.12.117+deb12-rt-amd64, 6.1.0-57-amd64.
abi() {
	case ${1:-stock} in
	stock) echo "$(kver)+deb12-amd64" ;;
	rt) echo "$(kver)+deb12-rt-amd64" ;;
	lts) echo "$(lts_kver)-amd64" ;;
	*) die "abi: no Debian kernel flavour '$1'" ;;
	esac
}

# pin_hint FLAVOUR: what to say when apt lacks a Debian flavour's package.
pin_hint() {
	case $1 in
	lts) echo "KCTX_LTS_KVER=$(lts_kver) is not offered here (apt-cache search linux-image-6.1.0 lists what is)" ;;
	*) echo "KCTX_KVER=$(kver) is not offered here (apt-cache search linux-image-6.12 lists what is)" ;;
	esac
}

# pkg_version PKG PREFIX: the apt version of PKG that begins with PREFIX.
pkg_version() {
	apt-cache madison "$1" 2>/dev/null | awk -v p="$2" '$3 ~ "^"p {print $3; exit}'
}

# need_kernel_pkg PKG [FLAVOUR]: install PKG (which names the version of
# stock, the default, rt or lts) or explain why not.
need_kernel_pkg() {
	dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q 'install ok installed' && return 0
	apt_update_once
	apt-cache show "$1" >/dev/null 2>&1 ||
		die "apt has no package $1; $(pin_hint "${2:-stock}")"
	need_pkgs "$1"
}

# cfg_key FILE...: a cache key for a built kernel: the kernel version and
# the contents of FILE..., hashed.
cfg_key() {
	{
		kver
		cat "$@"
	} | sha256sum | cut -c1-16
}

# kcfg_frags FLAVOUR: the config fragments (in qemu-scripts/config/) of a
# kernel built from source, in the order they are merged; a later one
# overrides an earlier one.
kcfg_frags() {
	case $1 in
	kcsan) echo base.config debug.config kcsan.config ;;
	debug-rt) echo base.config debug.config rt.config ;;
	*) echo base.config "$1.config" ;;
	esac
}

# kcfg_hash [FLAVOUR]: the cache key of a kernel built from source (debug,
# the default, kcsan or debug-rt); it changes with anything that changes it.
kcfg_hash() {
	local flavour=${1:-debug} f files=()
	for f in $(kcfg_frags "$flavour"); do
		files+=("$KCTX_TOP/qemu-scripts/config/$f")
	done
	cfg_key "${files[@]}" "$KCTX_TOP"/qemu-scripts/kernel
}

# check_config CONFIG FRAGMENT...: fail unless every option the fragments
# ask for made it into the final .config. Kconfig drops options whose
# dependencies are unmet without a word, so this is the only safe way.
check_config() {
	local cfg=$1 line opt bad=0
	shift
	while IFS= read -r line; do
		case $line in
		CONFIG_*=*)
			grep -qxF "$line" "$cfg" || { echo "  wanted $line, got: $(grep "^${line%%=*}=" "$cfg" || echo unset)" >&2; bad=1; }
			;;
		"# CONFIG_"*" is not set")
			opt=${line#\# }
			opt=${opt%% *}
			! grep -q "^$opt=" "$cfg" || { echo "  wanted $opt unset, got: $(grep "^$opt=" "$cfg")" >&2; bad=1; }
			;;
		esac
	done < <(cat "$@")
	[ $bad = 0 ] || die "$cfg lacks options asked for above; fix the fragments: $*"
}

# splat LOG [KERNEL]: print the first line of the console log LOG that
# shows the kernel in trouble, or nothing. On the kcsan kernel KCSAN's
# reports are left to kcsan_races.
splat() {
	# FAULT_INJECTION's "forcing a failure" and the module taint notices
	# match none of these, on purpose.
	local re='BUG:|WARNING:|KASAN:|UBSAN:|possible circular locking|suspicious RCU usage'
	re+='|inconsistent lock state|sleeping function called from invalid context'
	re+='|ODEBUG:|refcount_t:|list_add corruption|list_del corruption'
	re+='|INFO: task .* blocked|rcu_.*detected stall|RCU stall|general protection fault'
	re+='|Kernel panic|kmemleak: .*suspected memory leak|unreferenced object|Oops:'
	# lockdep switching itself off is a failure: nothing is checked after it.
	re+='|turning off the locking correctness validator|DEBUG_LOCKS_WARN_ON'
	re+='|trying to register non-static key'
	# A consumer leaked contexts (kmod/leak.c); the lines after name them.
	re+='|kctx: [0-9]+ contexts? still held at unload'
	local skip='^$'
	[ "${2:-}" != kcsan ] || skip='BUG: KCSAN: '
	grep -a -E "$re" "$1" | grep -a -v -E "$skip" | head -n 1 | tr -d '\r' || true
}

# retry_summary FILE: "run-vm retries: N", and when N > 0 the lines run-vm
# appended to FILE (its KCTX_RETRY_LOG, one per retry: the kernel and the
# first line of the crash), in parentheses. A missing FILE counts none.
retry_summary() {
	local lines=() l out
	[ ! -e "$1" ] || mapfile -t lines <"$1"
	out="run-vm retries: ${#lines[@]}"
	if [ ${#lines[@]} -gt 0 ]; then
		out+=" (${lines[0]}"
		for l in "${lines[@]:1}"; do
			out+="; $l"
		done
		out+=")"
	fi
	echo "$out"
}

# kcsan_races LOG: one line per KCSAN report in the console log LOG, its
# title prefixed with "kctx " when a frame of either access is in a kctx
# module (kctx, kctx_pump, kctx_test, ...), else with "other ".
kcsan_races() {
	tr -d '\r' <"$1" | awk '
		function done() { if (t != "") print (k ? "kctx " : "other ") t; t = "" }
		/BUG: KCSAN: / { done(); t = $0; sub(/.*BUG: KCSAN: /, "", t); k = 0 }
		t != "" && /\[kctx[a-z_]*\]/ { k = 1 }
		/Reported by Kernel Concurrency Sanitizer/ { done() }
		END { done() }'
}

# Test results, one line each on stdout, TAP-like; qemu-scripts/check counts
# them. Anything else a test stage prints is commentary.
t_pass() {
	echo "ok - $*"
}

t_fail() {
	echo "not ok - $*"
}

# t_skip NAME [WHY]
t_skip() {
	echo "ok - $1 # SKIP${2:+ $2}"
}

# t_note TEXT...: commentary; each line starts with '# ' so that it can
# never be taken for a result.
t_note() {
	printf '%s\n' "$@" | sed 's/^/# /'
}

# vm_tests_list: the tests qemu-scripts/vm-tests.list names, one path
# relative to the top per line, without its comments and blank lines.
vm_tests_list() {
	sed -e 's/#.*//' -e '/^[[:space:]]*$/d' "$KCTX_TOP/qemu-scripts/vm-tests.list"
}

# t_check NAME CMD...: one result line for CMD; what it printed is shown
# as commentary when it fails. Returns CMD's status.
t_check() {
	local name=$1 o rc=0
	shift
	o=$("$@" 2>&1) || rc=$?
	if [ $rc = 0 ]; then
		t_pass "$name"
	else
		[ -z "$o" ] || t_note "$(head -n 30 <<<"$o")"
		t_fail "$name"
	fi
	return $rc
}

# kunit_report LABEL SRC KTAP DIR: parse the KTAP in the file KTAP with the
# kernel's own tools/testing/kunit/kunit.py from the source tree SRC, into
# DIR/kunit.json and DIR/kunit.txt, and print one result line per test
# case (each parameter of a parameterised case counts), named
# "LABEL: suite.case". Returns 1 when a case failed, or when kunit.py
# failed the run (a crash, a bad plan, no tests, KTAP it can't parse),
# which is one more result line unless a failed case explains it.
kunit_report() {
	local label=$1 src=$2 ktap=$3 dir=$4 prc=0 results summary
	rm -f "$dir/kunit.json" "$dir/kunit.txt"
	python3 "$src/tools/testing/kunit/kunit.py" parse --json="$dir/kunit.json" \
		"$ktap" >"$dir/kunit.txt" 2>&1 || prc=$?
	if [ ! -s "$dir/kunit.json" ]; then
		t_note "$(tail -n 20 "$dir/kunit.txt")"
		t_fail "$label: kunit.py could not parse the KTAP ($ktap)"
		return 1
	fi
	results=$(python3 - "$label" "$dir/kunit.json" <<'EOF'
import json, sys

label = sys.argv[1]

def walk(group, path):
    for case in group["test_cases"]:
        name = ".".join(path + [case["name"] or "(unnamed)"])
        if case["status"] == "PASS":
            print("ok - %s: %s" % (label, name))
        elif case["status"] == "SKIP":
            print("ok - %s: %s # SKIP" % (label, name))
        else:
            print("not ok - %s: %s (%s)" % (label, name, case["status"]))
    for sub in group["sub_groups"]:
        walk(sub, path + [sub["name"]])

with open(sys.argv[2]) as f:
    top = json.load(f)
walk(top, [])
EOF
	)
	[ -z "$results" ] || echo "$results"
	# kunit.py fails the run for more than failed cases: a crash, a bad
	# plan, no tests at all. Count that unless a failed case explains it.
	summary=$(grep -m1 'Testing complete' "$dir/kunit.txt" ||
		grep -m1 -E 'No tests|could not|[Ee]rror' "$dir/kunit.txt" ||
		tail -n 1 "$dir/kunit.txt")
	t_note "kunit.py: $summary"
	if [ $prc -ne 0 ]; then
		grep -q '^not ok - ' <<<"$results" ||
			t_fail "$label: kunit.py parse failed: $summary (see $dir/kunit.txt)"
		return 1
	fi
	! grep -q '^not ok' <<<"$results"
}

# print_header FILE: the comment block at the top of a script, after the
# shebang and SPDX lines, without the '# '. Scripts use it as their usage.
print_header() {
	awk 'NR < 3 || (NR == 3 && /^#$/) { next }
		/^#/ { sub(/^# ?/, ""); print; next }
		{ exit }' "$1"
}
