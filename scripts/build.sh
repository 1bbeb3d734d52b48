#!/usr/bin/env bash
# Build everything one base needs for the guests: the selftests, and for
# each kernel variant the kernel, the module and the initramfs.
#
# Usage: BASE=6.12|6.1 [VARIANTS="unpatched patched patched-noxen"] scripts/build.sh
set -euo pipefail
# shellcheck source=scripts/lib/common.sh
. "$(dirname "$0")/lib/common.sh"
# shellcheck source=scripts/lib/variants.sh
. "$(dirname "$0")/lib/variants.sh"

main() {
	local variant here
	here=$(dirname "$0")

	check_base
	"$here/build-selftests.sh"
	for variant in ${VARIANTS:-${ALL_VARIANTS[*]}}; do
		"$here/build-kernel.sh" "$variant"
		"$here/make-initramfs.sh" "$variant"
	done
}

main "$@"
