#!/usr/bin/env bash
# The main job: install what is missing, apply the series to a copy of the
# kernel tree, build the unpatched and the patched kernel with the module
# and the selftests, boot both in every environment, and print the verdict
# matrix and the module's state from each guest.
#
# Usage: scripts/run.sh   (settings are variables, all optional)
#   BASE=7.3|6.12|6.1    the series and Debian source to use (default 7.3)
#   KSRC=/path/to/linux  your own clean tree of that version instead;
#                        copied, never modified
#   XEN=4.17|4.20        the Xen of the Xen environments: Debian 12's,
#                        installed, or Debian 13's, fetched into BUILD_DIR
#                        (default 4.17)
#   ENVS="native xen-pv" a subset of the environments
#   VARIANTS="patched"   a subset of: unpatched patched patched-noxen
#   DOMU_VARIANTS=...    the variants booted as xl domUs
#                        (default: unpatched patched)
#   TESTS=a,b            only these tests in the guests
#   BOOT_JOBS=n          guests booted at once (default 2)
#   BOOT_STALL=s         seconds of console silence that make a guest hung
#                        (default 300, 600 for the HVM domU)
#   BOOT_TIMEOUT=s       seconds a boot may take at most
#                        (default 720 native, 1800 under Xen)
#   CCACHE=1             compile through ccache
#   BUILD_DIR=dir        where trees, builds and results go
#                        (default ~/.cache/x86-xen-iopl-series)
set -euo pipefail
# shellcheck source=scripts/lib/common.sh
. "$(dirname "$0")/lib/common.sh"
# shellcheck source=scripts/lib/variants.sh
. "$(dirname "$0")/lib/variants.sh"
# shellcheck source=scripts/lib/envs.sh
. "$(dirname "$0")/lib/envs.sh"
# shellcheck source=scripts/lib/settings.sh
. "$(dirname "$0")/lib/settings.sh"

main() {
	local here start=$SECONDS
	here=$(dirname "$0")

	no_arguments "$@"
	check_settings
	rm -f "$BUILD_DIR/timings.tsv"
	"$here/install-deps.sh"
	"$here/build.sh"
	"$here/write-xl-configs.sh"
	"$here/run-matrix.sh"
	msg "main job done in $(((SECONDS - start) / 60))m$(((SECONDS - start) % 60))s; step times in $BUILD_DIR/timings.tsv"
}

main "$@"
