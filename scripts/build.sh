#!/usr/bin/env bash
# Build everything one base needs for the guests: the selftests, and for
# each kernel variant the kernel, the module and the initramfs; for the
# xen-domu-* environments also the dom0 kernel and, for each variant that
# boots there, the dom0 initramfs that carries it.
#
# Usage: BASE=6.12|6.1 [VARIANTS="unpatched patched patched-noxen"]
#        [ENVS="native ..."] scripts/build.sh
set -euo pipefail
# shellcheck source=scripts/lib/common.sh
. "$(dirname "$0")/lib/common.sh"
# shellcheck source=scripts/lib/variants.sh
. "$(dirname "$0")/lib/variants.sh"
# shellcheck source=scripts/lib/envs.sh
. "$(dirname "$0")/lib/envs.sh"

# Whether any environment to be booted is a domU created by a dom0.
domu_envs_wanted() {
	local env

	for env in ${ENVS:-${ALL_ENVS[*]}}; do
		env_is_domu "$env" && return 0
	done
	return 1
}

# The dom0 kernel comes from the 6.12 tree of this lane when it is one
# (KSRC= included), from Debian's 6.12 source otherwise.
build_dom0_kernel() {
	if [ "$BASE" = "$DOM0_BASE" ]; then
		"$1/build-kernel.sh" dom0
	else
		BASE=$DOM0_BASE KSRC='' "$1/build-kernel.sh" dom0
	fi
}

main() {
	local variant here
	here=$(dirname "$0")

	check_base
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
