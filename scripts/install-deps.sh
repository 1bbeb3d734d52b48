#!/usr/bin/env bash
# Install the Debian packages the harness needs, only those missing, and
# fetch the source of the bases that Debian 12 does not ship
# (scripts/fetch-linux-source.sh: Linux 7.3 from trixie-backports) and
# the Xen versions it does not ship (scripts/fetch-xen.sh: Xen 4.20 from
# trixie), into the build directory, with nothing installed from trixie.
# Needs root (or passwordless sudo) when a package is missing.
#
# Usage: scripts/install-deps.sh [extra-package...]
set -euo pipefail
# shellcheck source=scripts/lib/common.sh
. "$(dirname "$0")/lib/common.sh"
# shellcheck source=scripts/lib/xen-versions.sh
. "$(dirname "$0")/lib/xen-versions.sh"

PACKAGES=(
	build-essential bc flex bison libelf-dev libssl-dev kmod cpio git
	python3 python3-ply python3-git ccache qemu-system-x86 xen-hypervisor-4.17-amd64
	busybox-static shellcheck gnuplot-nox python3-junitparser perl
)

# Installed without their recommendations: dkms would pull in the headers
# of Debian's own kernel, which the harness does not use; Xen's toolstack
# and its HVM device model, which the dom0 of the xen-domu-* environments
# runs (scripts/make-dom0-initramfs.sh), would pull in grub, bridge-utils,
# OVMF and qemu-utils.
PACKAGES_NO_RECOMMENDS=(dkms xen-utils-4.17 qemu-system-xen)

# The linux-source packages of the bases that Debian 12 ships (6.12, 6.1),
# installed like the rest; the others come from fetch-linux-source.sh.
bookworm_source_packages() {
	local base
	for base in "${KNOWN_BASES[@]}"; do
		if [ -z "$(base_source_suite "$base")" ]; then
			printf 'linux-source-%s\n' "$base"
		fi
	done
}

# fetch_other_suites SUITE_OF FETCHER ITEM...: scripts/FETCHER for each
# ITEM (a base, a Xen version) that SUITE_OF says comes from another
# suite than Debian 12's; the fetcher does nothing when it has it already.
fetch_other_suites() {
	local suite_of=$1 fetcher=$2 item
	shift 2

	for item in "$@"; do
		if [ -n "$("$suite_of" "$item")" ]; then
			"$(dirname "$0")/$fetcher" "$item"
		fi
	done
}

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

# install_packages "PKG..." "PKG...": the first list with recommendations,
# the second without
install_packages() {
	local -a with without

	read -r -a with <<<"$1"
	read -r -a without <<<"$2"
	as_root apt-get update -q
	if [ "${#with[@]}" -gt 0 ]; then
		as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${with[@]}"
	fi
	if [ "${#without[@]}" -gt 0 ]; then
		as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q \
			--no-install-recommends "${without[@]}"
	fi
}

install_missing() {
	local -a missing missing_norec

	command -v dpkg-query >/dev/null ||
		die "not a Debian system: install the equivalents of ${PACKAGES[*]} ${PACKAGES_NO_RECOMMENDS[*]} $*"
	mapfile -t missing < <(missing_packages "${PACKAGES[@]}" "$@")
	mapfile -t missing_norec < <(missing_packages "${PACKAGES_NO_RECOMMENDS[@]}")
	if [ "$((${#missing[@]} + ${#missing_norec[@]}))" -eq 0 ]; then
		msg "dependencies: all installed"
		return
	fi
	msg "dependencies: installing ${missing[*]} ${missing_norec[*]}"
	run_logged "$BUILD_DIR/logs/install-deps.log" \
		"apt-get install $((${#missing[@]} + ${#missing_norec[@]})) packages" \
		install_packages "${missing[*]}" "${missing_norec[*]}"
	mapfile -t missing < <(missing_packages "${PACKAGES[@]}" "${PACKAGES_NO_RECOMMENDS[@]}" "$@")
	[ "${#missing[@]}" -eq 0 ] || die "still missing after apt-get: ${missing[*]}"
}

main() {
	mapfile -t -O "${#PACKAGES[@]}" PACKAGES < <(bookworm_source_packages)
	install_missing "$@"
	fetch_other_suites base_source_suite fetch-linux-source.sh "${KNOWN_BASES[@]}"
	fetch_other_suites xen_suite fetch-xen.sh "${KNOWN_XENS[@]}"
}

main "$@"
