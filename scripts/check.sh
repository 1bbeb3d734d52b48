#!/usr/bin/env bash
# The test command: static checks (checkpatch --strict of every series from
# its base tree, shellcheck), the harness's own tests, then for each base
# the kernels, the module built by DKMS against each (scripts/test-dkms.sh)
# and the guest matrix.  Fails on any finding and on any FAIL, CRASH,
# TIMEOUT or MISSING cell.
#
# The bases run in the order of KNOWN_BASES, the primary one (7.3) first,
# so that its verdict comes soonest, and its unpatched kernel, which is
# also the dom0 of every lane's xen-domu-* environments, is built before
# the other lanes need it.
#
# The command must finish within 80 minutes on a fresh 2-core machine
# (CI allows 90).  A full 7.3 build took 580 to 690 s there on
# 2026-12-02, and unpacking and committing the source of each of the
# three bases about a minute and a half, so it builds four kernels: the
# unpatched and the patched 7.3 kernel and the patched kernel of each
# backport.  The unpatched 7.3 kernel shows the bugs the series fixes,
# in code that the backports share (scripts/known-failures), and it is
# also the dom0, which was a kernel of its own before.  The kernel
# without Xen (patched-noxen) would be a fifth build of about ten
# minutes, for one native boot: scripts/run.sh, the main job, builds and
# boots it, and VARIANTS="unpatched patched patched-noxen" adds it here.
#
# The build after each patch (scripts/build-each-patch.sh, "make bisect")
# is not part of it: three patches of each series change headers that
# nearly every object includes, so even incrementally the 6.12 walk took
# 28 minutes on 2 cores against 6.5 for the patched build; any one walk
# would take the command past CI's 90 minutes on a fresh machine.
#
# Usage: scripts/check.sh   (BASES="7.3" for one base; VARIANTS=,
#                            DOMU_VARIANTS=, ENVS= and the rest as for
#                            scripts/run.sh, which --help lists)
set -euo pipefail
# shellcheck source=scripts/lib/common.sh
. "$(dirname "$0")/lib/common.sh"
# shellcheck source=scripts/lib/variants.sh
. "$(dirname "$0")/lib/variants.sh"
# shellcheck source=scripts/lib/envs.sh
. "$(dirname "$0")/lib/envs.sh"
# shellcheck source=scripts/lib/settings.sh
. "$(dirname "$0")/lib/settings.sh"

# Bases whose patches/<base>/ holds a series.
bases_with_series() {
	local base
	for base in "${KNOWN_BASES[@]}"; do
		if compgen -G "$REPO_DIR/patches/$base/0001-*.patch" >/dev/null; then
			printf '%s\n' "$base"
		fi
	done
}

# The kernel variants each base is tested with: unpatched and patched on
# 7.3, the patched kernel only on the backports (see above).  VARIANTS=
# can still add a backport's unpatched kernel: the entries of
# scripts/known-failures for "unpatched" match any base.
base_variants() {
	if [ -n "${VARIANTS:-}" ]; then
		printf '%s\n' "$VARIANTS"
	elif [ "$1" = 7.3 ]; then
		printf '%s\n' "unpatched patched"
	else
		printf '%s\n' "patched"
	fi
}

# The variants booted as xl domUs: both on 7.3, the patched one on the
# backports (the only one they build; a domU boot of each type takes
# about 4 minutes together).
base_domu_variants() {
	if [ -n "${DOMU_VARIANTS:-}" ]; then
		printf '%s\n' "$DOMU_VARIANTS"
	elif [ "$1" = 7.3 ]; then
		printf '%s\n' "unpatched patched"
	else
		printf '%s\n' "patched"
	fi
}

check_base_lane() {
	local here=$1 rc=0 variants domu

	# Called as "check_base_lane || rc=1", so set -e does not apply here.
	variants=$(base_variants "$BASE")
	domu=$(base_domu_variants "$BASE")
	VARIANTS=$variants DOMU_VARIANTS=$domu "$here/build.sh" || return 1
	VARIANTS=$variants "$here/test-dkms.sh" || return 1
	VARIANTS=$variants DOMU_VARIANTS=$domu "$here/run-matrix.sh" || rc=$?
	if [ "$BASE" = 7.3 ]; then
		"$here/test-domu-crash.sh" || rc=1
	fi
	return "$rc"
}

main() {
	local here start=$SECONDS base rc=0 bases summary harness
	here=$(dirname "$0")

	no_arguments "$@"
	check_settings
	for base in ${BASES:-}; do
		BASE=$base check_base
	done
	rm -f "$BUILD_DIR/timings.tsv"
	"$here/install-deps.sh"
	mapfile -t bases < <(bases_with_series)
	# The harness's tests mostly wait (on made-up guests and bad input),
	# so they run beside the static checks, which unpack the trees.
	mkdir -p "$BUILD_DIR/logs"
	"$here/test-harness.sh" >"$BUILD_DIR/logs/test-harness.log" 2>&1 &
	harness=$!
	BASES="${bases[*]}" "$here/lint.sh"
	msg "tests of the harness itself (log: $BUILD_DIR/logs/test-harness.log)"
	if ! wait "$harness"; then
		show_log_tail "$BUILD_DIR/logs/test-harness.log" 60
		die "the harness's own tests failed"
	fi
	tail -n 1 "$BUILD_DIR/logs/test-harness.log"
	rm -rf "$BUILD_DIR/results"
	for base in ${BASES:-${bases[*]}}; do
		BASE=$base check_base_lane "$here" || rc=1
	done
	msg "all bases"
	summary=$(python3 "$REPO_DIR/scripts/report.py" matrix "$BUILD_DIR/results") || rc=1
	# The repeated boots of every lane, the counts and the verdict
	sed -n '/^repeated boots:/,$p' <<<"$summary"
	msg "tests done in $(((SECONDS - start) / 60))m$(((SECONDS - start) % 60))s; step times in $BUILD_DIR/timings.tsv"
	return "$rc"
}

main "$@"
