#!/usr/bin/env bash
# Make the test initramfs for one kernel: static busybox, the guest init
# (scripts/guest/init), the selftests and the module built for that kernel,
# and what the kexec_handover test needs (see populate).
#
# Usage: BASE=7.3|6.12|6.1 scripts/make-initramfs.sh
#            unpatched|patched|patched-noxen
# Output: $BUILD_DIR/$BASE/<variant>/initramfs.cpio.gz
set -euo pipefail
# shellcheck source=scripts/lib/common.sh
. "$(dirname "$0")/lib/common.sh"
# shellcheck source=scripts/lib/variants.sh
. "$(dirname "$0")/lib/variants.sh"
# shellcheck source=scripts/lib/initramfs.sh
. "$(dirname "$0")/lib/initramfs.sh"

# The first kernel also gets the selftests, and for the kexec_handover
# test its own bzImage, a small initramfs for the second kernel and the
# loader that starts it.
populate() {
	local root=$1 kdir=$2 inner=$1.kexec

	initramfs_base "$root" "$kdir"
	mkdir -p "$root/selftests" "$root/boot"
	if compgen -G "$LANE_DIR/selftests/*" >/dev/null; then
		cp "$LANE_DIR"/selftests/* "$root/selftests/"
	fi
	gcc -static -O2 -Wall -Werror -o "$root/bin/kexec-boot" "$REPO_DIR/scripts/guest/kexec-boot.c" ||
		die "could not build scripts/guest/kexec-boot.c"
	rm -rf "$inner"
	initramfs_base "$inner" "$kdir"
	initramfs_pack "$inner" "$root/boot/initramfs.cpio.gz"
	rm -rf "$inner"
	cp "$kdir/bzImage" "$root/boot/bzImage"
}

main() {
	local variant=${1:-} kdir root

	check_base
	[ -n "$variant" ] || die "usage: make-initramfs.sh $(variants_usage)"
	check_variant "$variant"
	kdir=$LANE_DIR/$variant
	[ -d "$LANE_DIR/selftests" ] || die "no selftests in $LANE_DIR/selftests; run scripts/build-selftests.sh first"
	[ -f "$kdir/bzImage" ] || die "no kernel in $kdir; run scripts/build-kernel.sh $variant first"
	root=$kdir/initramfs-root
	rm -rf "$root"
	populate "$root" "$kdir"
	initramfs_pack "$root" "$kdir/initramfs.cpio.gz"
	msg "initramfs $BASE/$variant: $kdir/initramfs.cpio.gz ($(du -h "$kdir/initramfs.cpio.gz" | cut -f1))"
}

main "$@"
