#!/usr/bin/env bash
# Fetch a Xen that Debian 12 does not ship, without installing anything:
# Debian 13's Xen 4.20 (the hypervisor, its toolstack and the HVM device
# model, with every library they need down to libc) from the trixie
# suite, downloaded with a private apt configuration
# (scripts/lib/debian-apt.sh) and unpacked with dpkg-deb into a root of
# its own under the build directory.  The harness boots that root's
# /boot/xen-4.20-amd64.gz, and the dom0 of the xen-domu-* environments
# runs that root's xl, xenstored, xenconsoled and QEMU with that root's
# libraries (scripts/make-dom0-initramfs.sh).  Fetched only when missing.
# Xen 4.17 is Debian 12's, installed by scripts/install-deps.sh.
#
# Usage: scripts/fetch-xen.sh 4.20   (scripts/install-deps.sh runs it)
#   DEBIAN_MIRROR=http://...  another Debian mirror than deb.debian.org
# Output: $BUILD_DIR/xen/4.20/root/, and beside it packages.txt, the
#         packages unpacked there with their versions
set -euo pipefail
# shellcheck source=scripts/lib/common.sh
. "$(dirname "$0")/lib/common.sh"
# shellcheck source=scripts/lib/debian-apt.sh
. "$(dirname "$0")/lib/debian-apt.sh"
# shellcheck source=scripts/lib/xen-versions.sh
. "$(dirname "$0")/lib/xen-versions.sh"

# What the dom0 runs and the hypervisor; apt-get adds their dependencies.
# No recommendations: they would add grub, bridge-utils and OVMF.
XEN_420_PACKAGES=(xen-hypervisor-4.20-amd64 xen-utils-4.20 qemu-system-xen seabios)

# fetch VERSION DIR: download the packages and unpack them into DIR/root;
# the output goes to the caller's log
fetch() {
	local version=$1 dir=$2 apt=$2/apt deb

	apt_private_init "$apt" "$(xen_suite "$version")"
	apt_private "$apt" install -y --download-only --no-install-recommends "${XEN_420_PACKAGES[@]}"
	rm -rf "$dir/root.tmp"
	mkdir -p "$dir/root.tmp"
	for deb in "$apt"/cache/archives/*.deb; do
		echo "unpacking $(basename "$deb")"
		dpkg-deb -x "$deb" "$dir/root.tmp"
		dpkg-deb -f "$deb" Package Version | paste -sd' ' >>"$dir/packages.txt.tmp"
	done
	[ -r "$dir/root.tmp/boot/xen-$version-amd64.gz" ] ||
		{ echo "no boot/xen-$version-amd64.gz in the packages"; return 1; }
	rm -rf "$dir/root" "$apt/cache/archives"
	mv "$dir/root.tmp" "$dir/root"
	sort "$dir/packages.txt.tmp" >"$dir/packages.txt"
	rm -f "$dir/packages.txt.tmp"
}

main() {
	local version=${1:-} dir log

	[ $# -eq 1 ] || die "usage: fetch-xen.sh VERSION (one of: ${KNOWN_XENS[*]})"
	xen_known "$version" || die "unknown Xen '$version' (known: ${KNOWN_XENS[*]})"
	if [ -z "$(xen_suite "$version")" ]; then
		msg "Xen $version: Debian 12's packages (scripts/install-deps.sh installs them)"
		return
	fi
	dir=$(xen_fetch_dir "$version")
	if [ -r "$dir/packages.txt" ] && [ -r "$dir/root/boot/xen-$version-amd64.gz" ]; then
		msg "Xen $version: $dir/root (fetched before: $(wc -l <"$dir/packages.txt") packages)"
		return
	fi
	log=$BUILD_DIR/logs/fetch-xen-$version.log
	mkdir -p "$dir" "$BUILD_DIR/logs"
	rm -f "$dir/packages.txt" "$dir/packages.txt.tmp"
	run_logged "$log" "fetch Xen $version from Debian $(xen_suite "$version") ($DEBIAN_MIRROR)" \
		fetch "$version" "$dir"
	msg "Xen $version: $dir/root ($(wc -l <"$dir/packages.txt") packages, $(du -sh "$dir/root" | cut -f1))"
}

main "$@"
