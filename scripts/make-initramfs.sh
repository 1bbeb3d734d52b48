#!/usr/bin/env bash
# Make the test initramfs for one kernel: static busybox, the guest init
# (scripts/guest/init), the selftests and the module built for that kernel,
# and what the kexec_handover test needs (see populate).
#
# Usage: BASE=6.12|6.1 scripts/make-initramfs.sh unpatched|patched|patched-noxen
# Output: $BUILD_DIR/$BASE/<variant>/initramfs.cpio.gz
set -euo pipefail
# shellcheck source=scripts/lib/common.sh
. "$(dirname "$0")/lib/common.sh"
# shellcheck source=scripts/lib/variants.sh
. "$(dirname "$0")/lib/variants.sh"

BUSYBOX=${BUSYBOX:-/bin/busybox}

# What every stage of the guest needs: busybox, init, the module and its
# state command.
populate_base() {
	local root=$1 kdir=$2 applet

	mkdir -p "$root"/{bin,sbin,proc,sys,dev,tmp,lib/modules}
	cp "$BUSYBOX" "$root/bin/busybox"
	for applet in $("$BUSYBOX" --list); do
		[ "$applet" = busybox ] || ln -sf busybox "$root/bin/$applet"
	done
	install -m 0755 "$REPO_DIR/scripts/guest/init" "$root/init"
	if compgen -G "$kdir/*.ko" >/dev/null; then
		cp "$kdir"/*.ko "$root/lib/modules/"
	fi
	if [ -f "$REPO_DIR/module/x86-guest-state" ]; then
		install -m 0755 "$REPO_DIR/module/x86-guest-state" "$root/bin/x86-guest-state"
	fi
}

# The first kernel also gets the selftests, and for the kexec_handover
# test its own bzImage, a small initramfs for the second kernel and the
# loader that starts it.
populate() {
	local root=$1 kdir=$2 inner=$1.kexec

	populate_base "$root" "$kdir"
	mkdir -p "$root/selftests" "$root/boot"
	if compgen -G "$LANE_DIR/selftests/*" >/dev/null; then
		cp "$LANE_DIR"/selftests/* "$root/selftests/"
	fi
	gcc -static -O2 -Wall -Werror -o "$root/bin/kexec-boot" "$REPO_DIR/scripts/guest/kexec-boot.c" ||
		die "could not build scripts/guest/kexec-boot.c"
	rm -rf "$inner"
	populate_base "$inner" "$kdir"
	pack "$inner" "$root/boot/initramfs.cpio.gz"
	rm -rf "$inner"
	cp "$kdir/bzImage" "$root/boot/bzImage"
}

pack() {
	local root=$1 out=$2

	(cd "$root" && find . -print0 | sort -z | cpio --null -o -H newc --quiet) | gzip -9 >"$out.tmp"
	mv "$out.tmp" "$out"
}

main() {
	local variant=${1:-} kdir root

	check_base
	[ -n "$variant" ] || die "usage: make-initramfs.sh $(variants_usage)"
	check_variant "$variant"
	kdir=$LANE_DIR/$variant
	[ -x "$BUSYBOX" ] || die "$BUSYBOX not found; scripts/install-deps.sh installs busybox-static"
	[ -d "$LANE_DIR/selftests" ] || die "no selftests in $LANE_DIR/selftests; run scripts/build-selftests.sh first"
	[ -f "$kdir/bzImage" ] || die "no kernel in $kdir; run scripts/build-kernel.sh $variant first"
	root=$kdir/initramfs-root
	rm -rf "$root"
	populate "$root" "$kdir"
	pack "$root" "$kdir/initramfs.cpio.gz"
	msg "initramfs $BASE/$variant: $kdir/initramfs.cpio.gz ($(du -h "$kdir/initramfs.cpio.gz" | cut -f1))"
}

main "$@"
