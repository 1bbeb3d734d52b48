#!/usr/bin/env bash
# Write xl domain configs that boot the harness's kernel and initramfs as a
# PV, a PVH and an HVM domU on a real Xen host (xl create -c <file>).  The
# guest prints the same "@@" result lines on its console as in QEMU.
#
# Usage: BASE=6.12|6.1 [VARIANTS=...] scripts/write-xl-configs.sh
# Output: $BUILD_DIR/xl/<base>-<variant>-{pv,pvh,hvm}.cfg
set -euo pipefail
# shellcheck source=scripts/lib/common.sh
. "$(dirname "$0")/lib/common.sh"

# Ports the selftests use, granted to the domU (xl's hex syntax).
IOPORTS='"80", "ed"'

write_config() {
	local type=$1 variant=$2 file=$3 kdir=$LANE_DIR/$2 console=hvc0

	[ "$type" = hvm ] && console=ttyS0
	cat >"$file" <<CFG
# Linux $BASE ($variant) with the x86/Xen I/O-privilege series harness,
# as a Xen $type domU: xl create -c $file
name = "iopl-$BASE-$variant-$type"
type = "$type"
kernel = "$kdir/bzImage"
ramdisk = "$kdir/initramfs.cpio.gz"
extra = "console=$console panic=-1 quiet harness_env=xen-domu-$type harness_variant=$variant harness_base=$BASE"
memory = 512
vcpus = 2
ioports = [ $IOPORTS ]
on_poweroff = "destroy"
on_reboot = "destroy"
on_crash = "destroy"
CFG
	[ "$type" != hvm ] || printf 'serial = "pty"\n' >>"$file"
}

main() {
	local variant type dir=$BUILD_DIR/xl

	check_base
	mkdir -p "$dir"
	for variant in ${VARIANTS:-unpatched patched}; do
		for type in pv pvh hvm; do
			write_config "$type" "$variant" "$dir/$BASE-$variant-$type.cfg"
		done
	done
	msg "xl configs for a real Xen host: $dir/$BASE-*.cfg"
}

main "$@"
