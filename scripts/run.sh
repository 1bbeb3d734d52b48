#!/usr/bin/env bash
# The main job: install what is missing, apply the series to a copy of the
# kernel tree, build the unpatched and the patched kernel with the module
# and the selftests, boot both in every environment, and print the verdict
# matrix and the module's state from each guest.
#
# Usage: scripts/run.sh            (Linux 7.3 by default; BASE=6.12 or
#                                   BASE=6.1 for a backport series,
#                                   KSRC=/path/to/linux for your own tree,
#                                   ENVS="native xen-pv" for a subset)
set -euo pipefail
# shellcheck source=scripts/lib/common.sh
. "$(dirname "$0")/lib/common.sh"

main() {
	local here start=$SECONDS
	here=$(dirname "$0")

	[ $# -eq 0 ] || die "unknown argument '$1' (settings are variables: BASE=, KSRC=, ENVS=, VARIANTS=)"
	check_base
	rm -f "$BUILD_DIR/timings.tsv"
	"$here/install-deps.sh"
	"$here/build.sh"
	"$here/write-xl-configs.sh"
	"$here/run-matrix.sh"
	msg "main job done in $(((SECONDS - start) / 60))m$(((SECONDS - start) % 60))s; step times in $BUILD_DIR/timings.tsv"
}

main "$@"
