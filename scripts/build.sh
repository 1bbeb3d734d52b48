#!/usr/bin/env bash
# Build everything one base needs for the guests: the selftests, and for
# each kernel variant the kernel, the module and the initramfs; for the
# xen-domu-* environments also the dom0 kernel (the unpatched 7.3 one,
# scripts/lib/envs.sh) and, for each variant that boots there, the dom0
# initramfs that carries it.
#
# Usage: BASE=7.3|6.12|6.1 [VARIANTS="unpatched patched patched-noxen"]
#        [ENVS="native ..."] scripts/build.sh
set -euo pipefail
# shellcheck source=scripts/lib/common.sh
. "$(dirname "$0")/lib/common.sh"
# shellcheck source=scripts/lib/variants.sh
. "$(dirname "$0")/lib/variants.sh"
# shellcheck source=scripts/lib/envs.sh
. "$(dirname "$0")/lib/envs.sh"
# shellcheck source=scripts/lib/settings.sh
. "$(dirname "$0")/lib/settings.sh"

# The dom0 kernel is the unpatched kernel of $DOM0_BASE: this lane's
# (built above unless VARIANTS= left it out) when the lane is of that base,
# KSRC= included; otherwise the one built from Debian's source, without
# KSRC= and with that base's own series directory, and reused when built
# before.
build_dom0_kernel() {
	if [ "$BASE" = "$DOM0_BASE" ]; then
		"$1/build-kernel.sh" "$DOM0_VARIANT"
	else
		BASE=$DOM0_BASE KSRC='' SERIES_DIR='' "$1/build-kernel.sh" "$DOM0_VARIANT"
	fi
}

main() {
	local variant here
	here=$(dirname "$0")

	no_arguments "$@"
	check_settings
	"$here/build-selftests.sh"
	for variant in ${VARIANTS:-${ALL_VARIANTS[*]}}; do
		"$here/build-kernel.sh" "$variant"
		"$here/make-initramfs.sh" "$variant"
	done
	domu_envs_wanted || return 0
	build_dom0_kernel "$here"
	for variant in ${VARIANTS:-${ALL_VARIANTS[*]}}; do
		if variant_boots_in "$variant" xen-domu-pv; then
			"$here/make-dom0-initramfs.sh" "$variant"
		fi
	done
}

main "$@"
