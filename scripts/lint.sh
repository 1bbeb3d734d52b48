#!/usr/bin/env bash
# Static checks: checkpatch.pl --strict of each base tree on every patch of
# its series and on the module and selftest sources, the selftests that a
# series carries against selftests/x86 (scripts/check-selftest-patches.sh),
# and every shell script through shellcheck.  Any finding fails.
#
# Usage: [BASES="7.3 6.12 6.1"] scripts/lint.sh   (the module and selftest
#        sources are checked with the first base's checkpatch.pl)
set -euo pipefail
# shellcheck source=scripts/lib/common.sh
. "$(dirname "$0")/lib/common.sh"
# shellcheck source=scripts/lib/checkpatch.sh
. "$(dirname "$0")/lib/checkpatch.sh"

failed=0

checkpatch_series() {
	checkpatch_patches "$BUILD_DIR/$1/src" "$REPO_DIR/patches/$1" || failed=1
}

checkpatch_sources() {
	local src=$BUILD_DIR/$1/src file

	# ENOSYS: the selftests test for the kernel's "no such system call"
	# answer, the one use checkpatch's ENOSYS rule cannot tell apart.
	for file in "$REPO_DIR"/module/*.[ch] "$REPO_DIR"/selftests/x86/*.[ch] "$REPO_DIR"/bench/*.[ch] \
		"$REPO_DIR"/scripts/guest/*.c; do
		[ -e "$file" ] || continue
		if ! "$src/scripts/checkpatch.pl" --strict -q --no-tree --ignore ENOSYS -f "$file" \
			>"$BUILD_DIR/logs/checkpatch.out" 2>&1; then
			printf 'checkpatch: %s\n' "${file#"$REPO_DIR"/}"
			sed 's/^/    /' "$BUILD_DIR/logs/checkpatch.out"
			failed=1
		fi
	done
}

# The selftests a series carries must be the repository's, unchanged.
selftests_unchanged() {
	if ! "$(dirname "$0")/check-selftest-patches.sh" "$REPO_DIR/patches/$1" \
		>"$BUILD_DIR/logs/selftest-patches.out" 2>&1; then
		printf 'selftests in the %s series differ from selftests/x86:\n' "$1"
		sed 's/^/    /' "$BUILD_DIR/logs/selftest-patches.out"
		failed=1
	fi
}

shell_scripts() {
	local f
	for f in "$REPO_DIR"/scripts/*.sh "$REPO_DIR"/scripts/*/*.sh \
		"$REPO_DIR"/scripts/guest/init "$REPO_DIR"/scripts/guest/dom0-init "$REPO_DIR"/.ci/run "$REPO_DIR"/module/x86-guest-state; do
		[ -f "$f" ] && printf '%s\n' "$f"
	done
}

run_shellcheck() {
	local scripts
	mapfile -t scripts < <(shell_scripts)
	if ! shellcheck -x "${scripts[@]}"; then
		failed=1
	fi
	python3 -m py_compile "$REPO_DIR/scripts/report.py" "$REPO_DIR/scripts/bench-report.py" \
		"$REPO_DIR/scripts/guest-cpu-state.py" || failed=1
}

main() {
	local base bases=${BASES:-${KNOWN_BASES[*]}}

	mkdir -p "$BUILD_DIR/logs"
	for base in $bases; do
		BASE=$base "$(dirname "$0")/prepare-tree.sh"
		msg "checkpatch --strict, Linux $base tree"
		checkpatch_series "$base"
		selftests_unchanged "$base"
	done
	checkpatch_sources "${bases%% *}"
	msg "shellcheck"
	run_shellcheck
	[ "$failed" = 0 ] || die "static checks found problems (above)"
	msg "static checks: clean"
}

main "$@"
