#!/usr/bin/env bash
# Apply the series of a base with "git am" onto a copy of the pristine tree
# (a git worktree under the build directory).  A series that does not apply
# is reported with the failing patch and hunk, and nothing stays applied.
#
# Usage: BASE=7.3|6.12|6.1 [KSRC=...] [UPTO=N] scripts/apply-series.sh
#   UPTO=N  applies only the first N patches (scripts/build-each-patch.sh
#           builds after each)
set -euo pipefail
# shellcheck source=scripts/lib/common.sh
. "$(dirname "$0")/lib/common.sh"

SRC_DIR=$LANE_DIR/src
TREE=$LANE_DIR/tree-patched

git_tree() {
	GIT_COMMITTER_NAME=harness GIT_COMMITTER_EMAIL=harness@localhost \
		git -C "$TREE" "$@"
}

ensure_worktree() {
	if ! git -C "$TREE" rev-parse --git-dir >/dev/null 2>&1; then
		rm -rf "$TREE"
		git -C "$SRC_DIR" worktree prune
		git -C "$SRC_DIR" worktree add -q --detach "$TREE" base
	fi
	git_tree am --abort >/dev/null 2>&1 || true
}

# Leave the worktree at the pristine base after a failure.
reset_to_base() {
	git_tree am --abort >/dev/null 2>&1 || true
	git_tree reset -q --hard base
	git -C "$SRC_DIR" rev-parse base >"$APPLIED"
}

apply_one() {
	local patch=$1 log=$2

	if ! git_tree am -q "$patch" >>"$log" 2>&1; then
		printf 'error: %s does not apply to Linux %s:\n' "$(basename "$patch")" "$BASE" >&2
		grep -E '^(error|Patch failed|hint: Use)' "$log" | grep -v '^hint' | sed 's/^/    /' >&2 || true
		show_log_tail "$log" 20
		reset_to_base
		note "nothing was left applied: $TREE is back at the pristine base" >&2
		exit 1
	fi
}

# Record of what the worktree holds: the base commit, then the hash of
# each applied patch, one a line.
APPLIED=$LANE_DIR/tree-patched.applied

# How many of the wanted patches (hashes on stdin) the worktree already
# holds, in order; 0 when it holds anything else or has local changes.
common_prefix() {
	local -a have want
	local n=0

	mapfile -t want
	[ -f "$APPLIED" ] || { echo 0; return; }
	[ -z "$(git_tree status --porcelain --untracked-files=no)" ] || { echo 0; return; }
	mapfile -t have <"$APPLIED"
	[ "${have[0]:-}" = "$(git -C "$SRC_DIR" rev-parse base)" ] || { echo 0; return; }
	have=("${have[@]:1}")
	[ "$(git_tree rev-list --count base..HEAD)" = "${#have[@]}" ] || { echo 0; return; }
	while [ "$n" -lt "${#have[@]}" ] && [ "$n" -lt "${#want[@]}" ] &&
		[ "${have[$n]}" = "${want[$n]}" ]; do
		n=$((n + 1))
	done
	echo "$n"
}

# Move the worktree back to the base plus its first $1 patches; only the
# files of the dropped patches change, so their builds stay incremental.
rewind_to() {
	local keep=$1 commit

	commit=base
	if [ "$keep" -gt 0 ]; then
		commit=$(git_tree rev-list --reverse base..HEAD | sed -n "${keep}p")
	fi
	git_tree reset -q --hard "$commit"
	{
		git -C "$SRC_DIR" rev-parse base
		if [ "$keep" -gt 0 ]; then
			head -n $((keep + 1)) "$APPLIED" | tail -n +2
		fi
	} >"$APPLIED.new"
	mv "$APPLIED.new" "$APPLIED"
}

main() {
	local patches log count=0 upto keep patch

	[ $# -eq 0 ] || die "unknown argument '$1' (usage: BASE=7.3|6.12|6.1 [UPTO=N] apply-series.sh)"
	check_base
	"$(dirname "$0")/prepare-tree.sh"
	mapfile -t patches < <(series_patches)
	upto=${UPTO:-${#patches[@]}}
	if ! [[ "$upto" =~ ^[0-9]+$ ]] || [ "$upto" -gt "${#patches[@]}" ]; then
		die "UPTO=$upto: the $BASE series has ${#patches[@]} patches"
	fi
	patches=("${patches[@]:0:$upto}")
	ensure_worktree
	keep=$(for patch in "${patches[@]}"; do patch_hash "$patch"; done | common_prefix)
	if [ "$keep" = "$upto" ] && [ "$(git_tree rev-list --count base..HEAD)" = "$upto" ]; then
		msg "patched $BASE tree: $TREE (cached, $upto patches)"
		return
	fi
	log=$LANE_DIR/logs/apply-series.log
	mkdir -p "$(dirname "$log")"
	: >"$log"
	msg "applying patches $((keep + 1))-$upto of patches/$BASE to a copy of the pristine tree: $TREE (log: $log)"
	rewind_to "$keep"
	count=$keep
	for patch in "${patches[@]:$keep}"; do
		apply_one "$patch" "$log"
		patch_hash "$patch" >>"$APPLIED"
		count=$((count + 1))
		note "[$count/$upto] $(basename "$patch")"
	done
	msg "patched $BASE tree ready: $TREE"
}

main "$@"
