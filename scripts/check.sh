#!/usr/bin/env bash
# The test command: static checks, the harness's own tests, then the main
# job's guest matrix for every base that has a series, with the module
# also built by DKMS against every kernel (scripts/test-dkms.sh).  Fails on any
# finding and any FAIL, CRASH, TIMEOUT or MISSING cell.  (The build after
# every patch is "make bisect"; it is not part of this command yet.)
#
# Usage: scripts/check.sh        (BASES="6.12 6.1" to boot both bases;
#                                 the static checks cover every series)
set -euo pipefail
# shellcheck source=scripts/lib/common.sh
. "$(dirname "$0")/lib/common.sh"

# Bases whose patches/<base>/ holds a series.
bases_with_series() {
	local base
	for base in 6.12 6.1; do
		if compgen -G "$REPO_DIR/patches/$base/0001-*.patch" >/dev/null; then
			printf '%s\n' "$base"
		fi
	done
}

check_base_lane() {
	local here=$1 rc=0

	"$here/build.sh"
	"$here/test-dkms.sh"
	"$here/run-matrix.sh" || rc=$?
	return "$rc"
}

main() {
	local here start=$SECONDS base rc=0 bases summary
	here=$(dirname "$0")

	[ $# -eq 0 ] || die "unknown argument '$1' (settings are variables: BASES=, ENVS=)"
	rm -f "$BUILD_DIR/timings.tsv"
	"$here/install-deps.sh"
	mapfile -t bases < <(bases_with_series)
	BASES="${bases[*]}" "$here/lint.sh"
	msg "tests of the harness itself"
	"$here/test-harness.sh"
	rm -rf "$BUILD_DIR/results"
	# The 6.1 backport is not complete yet: its guests run on request.
	for base in ${BASES:-6.12}; do
		BASE=$base check_base_lane "$here" || rc=1
	done
	msg "all bases"
	summary=$(python3 "$REPO_DIR/scripts/report.py" matrix "$BUILD_DIR/results") || rc=1
	tail -n 3 <<<"$summary"
	msg "tests done in $(((SECONDS - start) / 60))m$(((SECONDS - start) % 60))s; step times in $BUILD_DIR/timings.tsv"
	return "$rc"
}

main "$@"
