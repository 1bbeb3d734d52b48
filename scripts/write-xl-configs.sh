#!/usr/bin/env bash
# Write xl domain configs that boot the harness's kernel and initramfs as a
# PV, a PVH and an HVM domU on a real Xen host (xl create -c <file>).  The
# guest prints the same "@@" result lines on its console as in QEMU; the
# xen-domu-* environments create their domUs from the same configs.
#
# Usage: BASE=7.3|6.12|6.1 [VARIANTS=...] scripts/write-xl-configs.sh
# Output: $BUILD_DIR/xl/<base>-<variant>-{pv,pvh,hvm}.cfg
set -euo pipefail
# shellcheck source=scripts/lib/common.sh
. "$(dirname "$0")/lib/common.sh"
# shellcheck source=scripts/lib/xl-config.sh
. "$(dirname "$0")/lib/xl-config.sh"

write_config() {
	local type=$1 variant=$2 file=$3 kdir=$LANE_DIR/$2

	{
		printf '# Linux %s (%s) with the x86/Xen I/O-privilege series harness,\n' "$BASE" "$variant"
		printf '# as a Xen %s domU: xl create -c %s\n' "$type" "$file"
		xl_domu_config "$type" "iopl-$BASE-$variant-$type" "$kdir/bzImage" \
			"$kdir/initramfs.cpio.gz" "$(xl_harness_args "$type" "$variant")"
	} >"$file"
}

main() {
	local variant type dir=$BUILD_DIR/xl

	check_base
	mkdir -p "$dir"
	for variant in ${VARIANTS:-unpatched patched}; do
		for type in "${XL_DOMU_TYPES[@]}"; do
			write_config "$type" "$variant" "$dir/$BASE-$variant-$type.cfg"
		done
	done
	msg "xl configs for a real Xen host: $dir/$BASE-*.cfg"
}

main "$@"
