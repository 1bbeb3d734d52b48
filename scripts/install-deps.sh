#!/usr/bin/env bash
# Install the Debian packages the harness needs, only those missing.
# Needs root (or passwordless sudo) when something is missing.
#
# Usage: scripts/install-deps.sh [extra-package...]
set -euo pipefail
# shellcheck source=scripts/lib/common.sh
. "$(dirname "$0")/lib/common.sh"

PACKAGES=(
	build-essential bc flex bison libelf-dev libssl-dev kmod cpio git
	python3 python3-ply ccache qemu-system-x86 xen-hypervisor-4.17-amd64
	linux-source-6.12 linux-source-6.1 busybox-static shellcheck
)

missing_packages() {
	local pkg
	for pkg in "$@"; do
		dpkg-query -W -f='${Status}\n' "$pkg" 2>/dev/null | grep -q '^install ok installed$' ||
			printf '%s\n' "$pkg"
	done
}

as_root() {
	if [ "$(id -u)" -eq 0 ]; then
		"$@"
	elif command -v sudo >/dev/null && sudo -n true 2>/dev/null; then
		sudo "$@"
	else
		die "need root to run: $*"
	fi
}

install_packages() {
	as_root apt-get update -q
	as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q "$@"
}

main() {
	local missing

	command -v dpkg-query >/dev/null || die "not a Debian system: install the equivalents of ${PACKAGES[*]} $*"
	mapfile -t missing < <(missing_packages "${PACKAGES[@]}" "$@")
	if [ "${#missing[@]}" -eq 0 ]; then
		msg "dependencies: all installed"
		return
	fi
	msg "dependencies: installing ${missing[*]}"
	run_logged "$BUILD_DIR/logs/install-deps.log" "apt-get install ${#missing[@]} packages" \
		install_packages "${missing[@]}"
	mapfile -t missing < <(missing_packages "${PACKAGES[@]}" "$@")
	[ "${#missing[@]}" -eq 0 ] || die "still missing after apt-get: ${missing[*]}"
}

main "$@"
