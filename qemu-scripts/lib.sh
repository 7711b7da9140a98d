# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
# Shared helpers for the kctx harness scripts. Source it; don't run it.
#
# Settings (environment):
#   KCTX_KVER    Debian 6.12 upstream version to use, e.g. 6.12.117.
#                Default: the newest linux-image-6.12.*+deb12-amd64-unsigned
#                that apt offers.
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

# Tools every stage needs: compiler and kbuild tools, QEMU, busybox, lint.
KCTX_HOST_PKGS=(make gcc libc6-dev flex bison bc libelf-dev libssl-dev
	cpio kmod xz-utils python3 qemu-system-x86 busybox-static sparse
	perl dwarves rsync gcc-multilib pkgconf groff-base)

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

# kver: the Debian 6.12 upstream version in use (e.g. 6.12.117).
kver() {
	if [ -n "${KCTX_KVER:-}" ]; then
		echo "$KCTX_KVER"
		return
	fi
	local v
	v=$(apt-cache search --names-only '^linux-image-6\.12\.[0-9]+\+deb12-amd64-unsigned$' 2>/dev/null |
		sed -n 's/^linux-image-\(6\.12\.[0-9]*\)+deb12-amd64-unsigned .*/\1/p' | sort -V | tail -n 1)
	if [ -z "$v" ]; then
		apt_update_once
		v=$(apt-cache search --names-only '^linux-image-6\.12\.[0-9]+\+deb12-amd64-unsigned$' |
			sed -n 's/^linux-image-\(6\.12\.[0-9]*\)+deb12-amd64-unsigned .*/\1/p' | sort -V | tail -n 1)
	fi
	[ -n "$v" ] || die "apt offers no linux-image-6.12.*+deb12-amd64-unsigned; enable bookworm-security or bookworm-backports"
	KCTX_KVER=$v
	export KCTX_KVER
	echo "$v"
}

# abi: Debian's kernel release string for the version, e.g. 6.12.117+deb12-amd64.
abi() {
	echo "$(kver)+deb12-amd64"
}

# pkg_version PKG PREFIX: the apt version of PKG that begins with PREFIX.
pkg_version() {
	apt-cache madison "$1" 2>/dev/null | awk -v p="$2" '$3 ~ "^"p {print $3; exit}'
}

# need_kernel_pkg PKG: install PKG (which names the version) or explain why not.
need_kernel_pkg() {
	dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q 'install ok installed' && return 0
	apt_update_once
	apt-cache show "$1" >/dev/null 2>&1 ||
		die "apt has no package $1; KCTX_KVER=$(kver) is not offered here (apt-cache search linux-image-6.12 lists what is)"
	need_pkgs "$1"
}

# kcfg_hash: the cache key of the debug kernel; it changes with anything
# that changes the built kernel.
kcfg_hash() {
	local flavour=${1:-debug}
	{
		kver
		cat "$KCTX_TOP"/qemu-scripts/config/base.config \
			"$KCTX_TOP/qemu-scripts/config/$flavour.config" \
			"$KCTX_TOP"/qemu-scripts/kernel
	} | sha256sum | cut -c1-16
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

# print_header FILE: the comment block at the top of a script, after the
# shebang and SPDX lines, without the '# '. Scripts use it as their usage.
print_header() {
	awk 'NR < 3 || (NR == 3 && /^#$/) { next }
		/^#/ { sub(/^# ?/, ""); print; next }
		{ exit }' "$1"
}
