#!/usr/bin/env bash
# Build the selftests (selftests/x86) as static binaries.  They include
# kselftest.h from a kernel tree's tools/testing/selftests, as in-tree
# tests do; the pristine tree of the base provides it.
#
# Usage: [BASE=...] [KSFT_DIR=...] scripts/build-selftests.sh
# Output: $BUILD_DIR/<base>/selftests/<test>
set -euo pipefail
# shellcheck source=scripts/lib/common.sh
. "$(dirname "$0")/lib/common.sh"

main() {
	local ksft=${KSFT_DIR:-$LANE_DIR/src/tools/testing/selftests}

	if [ -z "${KSFT_DIR:-}" ]; then
		"$(dirname "$0")/prepare-tree.sh"
	fi
	[ -f "$ksft/kselftest.h" ] || die "no kselftest.h in $ksft (KSFT_DIR)"
	rm -rf "$LANE_DIR/selftests"
	mkdir -p "$LANE_DIR/selftests"
	run_logged "$LANE_DIR/logs/selftests.log" "build selftests (static) for $BASE" \
		make -C "$REPO_DIR/selftests/x86" KSFT_DIR="$ksft" OUTPUT="$LANE_DIR/selftests"
	note "selftests: $(cd "$LANE_DIR/selftests" && echo *)"
}

main "$@"
