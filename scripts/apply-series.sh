#!/usr/bin/env bash
# Apply the series of a base with "git am" onto a copy of the pristine tree
# (a git worktree under the build directory).  A series that does not apply
# is reported with the failing patch and hunk, and nothing stays applied.
#
# Usage: BASE=6.12|6.1 [KSRC=...] [UPTO=N] scripts/apply-series.sh [--build-each]
#   UPTO=N        applies only the first N patches
#   --build-each  builds the kernel and the module after each patch, and
#                 stops naming the first patch that does not build
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
	rm -f "$LANE_DIR/tree-patched.stamp"
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

# Build the tree as it stands after patch number $1.
build_step() {
	local count=$1 patch=$2

	if ! NO_APPLY=1 "$(dirname "$0")/build-kernel.sh" patched; then
		rm -f "$LANE_DIR/tree-patched.stamp"
		die "the $BASE series does not build after patch $count: $(basename "$patch")"
	fi
}

main() {
	local patches stamp log count=0 upto build_each=0

	case "${1:-}" in
	--build-each) build_each=1 ;;
	"") ;;
	*) die "unknown option '$1' (usage: apply-series.sh [--build-each])" ;;
	esac
	check_base
	"$(dirname "$0")/prepare-tree.sh"
	mapfile -t patches < <(series_patches)
	upto=${UPTO:-${#patches[@]}}
	if ! [[ "$upto" =~ ^[0-9]+$ ]] || [ "$upto" -gt "${#patches[@]}" ]; then
		die "UPTO=$upto: the $BASE series has ${#patches[@]} patches"
	fi
	stamp="$(series_hash) $(git -C "$SRC_DIR" rev-parse base) $upto"
	ensure_worktree
	if [ "$build_each" = 0 ] && [ -f "$LANE_DIR/tree-patched.stamp" ] &&
		[ "$(cat "$LANE_DIR/tree-patched.stamp")" = "$stamp" ]; then
		msg "patched $BASE tree: $TREE (cached, $upto patches)"
		return
	fi
	log=$LANE_DIR/logs/apply-series.log
	mkdir -p "$(dirname "$log")"
	: >"$log"
	msg "applying $upto of ${#patches[@]} patches of patches/$BASE to a copy of the pristine tree: $TREE (log: $log)"
	git_tree reset -q --hard base
	for patch in "${patches[@]:0:$upto}"; do
		apply_one "$patch" "$log"
		count=$((count + 1))
		note "[$count/$upto] $(basename "$patch")"
		if [ "$build_each" = 1 ]; then
			build_step "$count" "$patch"
		fi
	done
	printf '%s\n' "$stamp" >"$LANE_DIR/tree-patched.stamp"
	msg "patched $BASE tree ready: $TREE"
}

main "$@"
