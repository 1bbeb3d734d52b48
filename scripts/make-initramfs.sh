#!/usr/bin/env bash
# Make the test initramfs for one kernel: static busybox, the guest init
# (scripts/guest/init), the selftests and the module built for that kernel,
# and what the boot_declared and kexec_handover tests need (see populate).
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

# The kexec loaders, built static for the guest, in BIN
build_loaders() {
	local bin=$1 loader

	for loader in kexec-boot kexec-declare; do
		gcc -static -O2 -Wall -Werror -o "$bin/$loader" "$REPO_DIR/scripts/guest/$loader.c" ||
			die "could not build scripts/guest/$loader.c"
	done
}

# next_kernel ROOT KDIR DEPTH: ROOT/boot gets this kernel's bzImage and
# the initramfs of the kernel that kexec starts next, which, while DEPTH
# is above 1, gets the same for the one after it.  Every initramfs has
# the loaders: the kernels of boot_declared and kexec_handover start
# each other in a chain (scripts/guest/init).
next_kernel() {
	local root=$1 kdir=$2 depth=$3 inner=$1.kexec

	mkdir -p "$root/boot"
	rm -rf "$inner"
	initramfs_base "$inner" "$kdir"
	cp "$root/bin/kexec-boot" "$root/bin/kexec-declare" "$inner/bin/"
	if [ "$depth" -gt 1 ]; then
		next_kernel "$inner" "$kdir" $((depth - 1))
	fi
	initramfs_pack "$inner" "$root/boot/initramfs.cpio.gz"
	rm -rf "$inner"
	cp "$kdir/bzImage" "$root/boot/bzImage"
}

# The first kernel also gets the selftests, and for boot_declared and
# kexec_handover the loaders and two more kernels with their initramfs.
populate() {
	local root=$1 kdir=$2

	initramfs_base "$root" "$kdir"
	mkdir -p "$root/selftests"
	if compgen -G "$LANE_DIR/selftests/*" >/dev/null; then
		cp "$LANE_DIR"/selftests/* "$root/selftests/"
	fi
	build_loaders "$root/bin"
	next_kernel "$root" "$kdir" 2
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
