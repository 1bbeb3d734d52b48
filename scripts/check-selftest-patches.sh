#!/usr/bin/env bash
# Check that a series of kernel patches carries the repository's selftests
# unchanged: every file that the patches create under
# tools/testing/selftests/x86/ and that selftests/x86/ also has must be
# byte-identical to the repository's copy, which stays the one source of
# the tests.  The files are rebuilt from the patches, applied in order
# with "git apply" into an empty directory (so a later patch that changes
# a file an earlier one created is taken into account).  Each mismatch is
# named and shown as a diff.
#
# The kernel's Makefile of that directory is not compared: selftests/x86/
# has a Makefile of its own, for the harness's static builds.  Any other
# file that the patches change there without creating it cannot be rebuilt
# from the patches alone, and is an error if the repository has it too.
#
# Usage: scripts/check-selftest-patches.sh SERIES_DIR
# Exit status: 0 when every file checked is identical, 1 otherwise, 2 for
# a usage error.
set -euo pipefail
# shellcheck source=scripts/lib/common.sh
. "$(dirname "$0")/lib/common.sh"

KSFT_X86=tools/testing/selftests/x86
REPO_X86=$REPO_DIR/selftests/x86
# Files of $KSFT_X86 of which the repository has a different one by design.
NOT_COMPARED=(Makefile)

usage() {
	printf 'Usage: %s SERIES_DIR\n' "$(basename "$0")" >&2
	exit 2
}

# x86_paths PATCH [new]: the paths under $KSFT_X86/ that PATCH touches,
# relative to it; with "new", only those it creates.
x86_paths() {
	local patch=$1 only_new=${2:-}

	awk -v prefix="$KSFT_X86/" -v only_new="$only_new" '
		/^diff --git / {
			path = substr($4, 3)
			if (index(path, prefix) != 1)
				path = ""
			else if (only_new != "new")
				print substr(path, length(prefix) + 1)
			next
		}
		/^new file mode / && path != "" && only_new == "new" {
			print substr(path, length(prefix) + 1)
		}' "$patch"
}

# all_x86_paths [new] PATCH...: x86_paths over several patches, each once.
all_x86_paths() {
	local only_new=$1 patch
	shift

	for patch in "$@"; do
		x86_paths "$patch" "$only_new"
	done | sort -u
}

# rebuild OUT CREATED PATCH...: apply the patches' changes to the files in
# the newline-separated list CREATED, in order, below the directory OUT.
rebuild() {
	local out=$1 created=$2 patch rel
	local -a include=()
	shift 2

	while IFS= read -r rel; do
		[ -n "$rel" ] && include+=("--include=$KSFT_X86/$rel")
	done <<<"$created"
	for patch in "$@"; do
		(cd "$out" && git apply "${include[@]}" --exclude='*' "$patch") ||
			die "cannot apply ${patch##*/} to the files the series creates"
	done
}

# compare_file REL OUT: whether the rebuilt OUT/$KSFT_X86/REL is the
# repository's selftests/x86/REL; shows the difference if not.
compare_file() {
	local rel=$1 out=$2
	local ours=$REPO_X86/$rel theirs=$out/$KSFT_X86/$rel

	if cmp -s "$ours" "$theirs"; then
		note "identical: $rel"
		return 0
	fi
	printf 'MISMATCH: %s in the series differs from selftests/x86/%s\n' \
		"$KSFT_X86/$rel" "$rel"
	diff -u --label "selftests/x86/$rel (repository)" \
		--label "$KSFT_X86/$rel (series)" "$ours" "$theirs" || true
	return 1
}

# check_changed_only CREATED PATCH...: the files the series changes without
# creating them; an error for each that the repository has, but for
# NOT_COMPARED.
check_changed_only() {
	local created=$1 rel bad=0
	shift

	while IFS= read -r rel; do
		[ -n "$rel" ] || continue
		grep -qxF -- "$rel" <<<"$created" && continue
		[ -e "$REPO_X86/$rel" ] || continue
		if in_list "$rel" "${NOT_COMPARED[@]}"; then
			note "not compared: $rel (the repository's own is a different file by design)"
			continue
		fi
		printf 'MISMATCH: %s is changed, not created, by the series: it cannot be compared with selftests/x86/%s\n' \
			"$KSFT_X86/$rel" "$rel"
		bad=1
	done < <(all_x86_paths "" "$@")
	return "$bad"
}

main() {
	local series=${1:-} out created rel checked=0 failed=0
	local -a patches

	if [ $# -ne 1 ] || [ -z "$series" ]; then
		usage
	fi
	[ -d "$series" ] || die "no such directory: $series"
	SERIES_DIR=$(cd "$series" && pwd)
	mapfile -t patches < <(series_patches)
	[ "${#patches[@]}" -gt 0 ] || die "no NNNN-*.patch files in $SERIES_DIR"

	msg "selftests in ${#patches[@]} patches of $SERIES_DIR against selftests/x86"
	created=$(all_x86_paths new "${patches[@]}")
	out=$(mktemp -d)
	# shellcheck disable=SC2064  # expand $out now, it is local
	trap "rm -rf '$out'" EXIT
	rebuild "$out" "$created" "${patches[@]}"
	while IFS= read -r rel; do
		[ -n "$rel" ] || continue
		if [ ! -e "$REPO_X86/$rel" ]; then
			note "not in selftests/x86, not compared: $rel"
			continue
		fi
		checked=$((checked + 1))
		compare_file "$rel" "$out" || failed=$((failed + 1))
	done <<<"$created"
	check_changed_only "$created" "${patches[@]}" || failed=$((failed + 1))

	if [ "$failed" -gt 0 ]; then
		die "checked $checked files: $failed problem(s), above"
	fi
	if [ "$checked" -eq 0 ]; then
		msg "checked 0 files: the series creates none that selftests/x86 has"
	else
		msg "checked $checked files: each is identical to its copy in selftests/x86"
	fi
}

main "$@"
