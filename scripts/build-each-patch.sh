#!/usr/bin/env bash
# Build the kernel after each patch of a series, in order, and stop naming
# the first patch that does not build.  The last step is the patched
# kernel itself, with the module, so the walk costs only the rebuilds that
# the patches cause.  (The module is built against the base and the whole
# series only, the kernels that the guests boot.)
#
# The walk starts from the unpatched build: its output directory is copied
# and pointed at the patched worktree (see seed_from_unpatched), so the
# first patches rebuild only what they touch.  A series whose first N
# patches built before (same base, same config fragments) resumes after
# patch N.
#
# Usage: BASE=7.3|6.12|6.1 [KSRC=...] scripts/build-each-patch.sh
set -euo pipefail
# shellcheck source=scripts/lib/common.sh
. "$(dirname "$0")/lib/common.sh"
# shellcheck source=scripts/lib/variants.sh
. "$(dirname "$0")/lib/variants.sh"
# shellcheck source=scripts/lib/relocate-build.sh
. "$(dirname "$0")/lib/relocate-build.sh"

HERE=$(dirname "$0")
TREE=$(variant_tree patched)
OBJ=$LANE_DIR/obj-patched
UNPATCHED_OBJ=$LANE_DIR/obj-unpatched
# What the walk has built: a key line, then the hash of each patch that
# built, one a line, in series order.
WALK_RECORD=$LANE_DIR/build-each.record
# The text size of vmlinux at the base and after each patch, for the
# object-code figures of commit messages and cover letters.
TEXT_SIZES=$LANE_DIR/build-each.text-sizes

# The base commit and the config fragments: a change to either means the
# walk starts again from the unpatched build.
walk_key() {
	printf '%s %s\n' "$(git -C "$LANE_DIR/src" rev-parse base)" \
		"$(variant_fragments patched | xargs cat | sha256sum | cut -c1-16)"
}

# How many leading patches of the series (paths as arguments) the record
# says built.
recorded_prefix() {
	local -a built
	local n=0 patch

	if [ ! -f "$WALK_RECORD" ] || [ ! -d "$OBJ" ]; then
		echo 0
		return
	fi
	mapfile -t built <"$WALK_RECORD"
	[ "${built[0]:-}" = "$(walk_key)" ] || { echo 0; return; }
	built=("${built[@]:1}")
	for patch in "$@"; do
		[ "$n" -lt "${#built[@]}" ] || break
		[ "${built[$n]}" = "$(patch_hash "$patch")" ] || break
		n=$((n + 1))
	done
	echo "$n"
}

# Make the patched output directory a copy of the unpatched one that kbuild
# takes as up to date for the worktree at the base: kbuild keys every
# object by its command line and by its dependencies' times, so the paths
# are rewritten and the worktree's files are dated before every object.
# The worktree then differs from the pristine tree only where git changes
# it, and git stamps those files with the current time.
seed_from_unpatched() {
	UPTO=0 "$HERE/apply-series.sh" >/dev/null
	rm -rf "$OBJ" "$LANE_DIR/patched/kernel.stamp"
	cp -a "$UNPATCHED_OBJ" "$OBJ.tmp"
	rewrite_paths "$OBJ.tmp" "$LANE_DIR/src" "$TREE"
	rewrite_paths "$OBJ.tmp" "$UNPATCHED_OBJ" "$OBJ"
	mv "$OBJ.tmp" "$OBJ"
	find "$TREE" -mindepth 1 -name .git -prune -o -print0 |
		xargs -0 touch -h -d @946684800
	# Or the next "git reset --hard" rewrites every file whose time no
	# longer matches the index, and dates it now.
	git -C "$TREE" update-index -q --refresh >/dev/null || true
	walk_key >"$WALK_RECORD"
}

# Build the tree with the first $1 of $2 patches.  Until the last patch,
# options of the config fragments that the series has not added yet are
# left out.
build_step() {
	local count=$1 total=$2 patch=$3 partial=1

	msg "[$count/$total] building after $(basename "$patch")"
	UPTO=$count "$HERE/apply-series.sh" >/dev/null
	[ "$count" -lt "$total" ] || partial=0
	if ! NO_APPLY=1 BISECT_STEP=$partial "$HERE/build-kernel.sh" patched; then
		die "the $BASE series does not build after patch $count: $(basename "$patch")"
	fi
	patch_hash "$patch" >>"$WALK_RECORD"
	record_text_size "$OBJ" "$(basename "$patch")"
}

# record_text_size OBJ NAME: the text size of OBJ/vmlinux, and its change
# from the line before
record_text_size() {
	local obj=$1 name=$2 text prev

	text=$(size "$obj/vmlinux" | awk 'NR == 2 { print $1 }')
	prev=$(tail -n 1 "$TEXT_SIZES" 2>/dev/null | cut -f2)
	printf '%s\t%s\t%+d\n' "$name" "$text" "$((text - ${prev:-$text}))" >>"$TEXT_SIZES"
	note "vmlinux text: $text bytes ($((text - ${prev:-$text})) from the step before; $TEXT_SIZES)"
}

main() {
	local -a patches
	local built count start=$SECONDS

	[ $# -eq 0 ] || die "unknown argument '$1' (usage: BASE=7.3|6.12|6.1 build-each-patch.sh)"
	check_base
	mapfile -t patches < <(series_patches)
	"$HERE/build-kernel.sh" unpatched
	built=$(recorded_prefix "${patches[@]}")
	if [ "$built" = "${#patches[@]}" ] && [ -f "$LANE_DIR/patched/kernel.stamp" ]; then
		msg "every patch of the $BASE series builds (cached: $WALK_RECORD)"
		return
	fi
	if [ "$built" = 0 ]; then
		msg "building the $BASE series patch by patch, from a copy of the unpatched build: $OBJ"
		seed_from_unpatched
		: >"$TEXT_SIZES"
		record_text_size "$UNPATCHED_OBJ" base
	else
		msg "building the $BASE series patch by patch, after patch $built (built before)"
		head -n $((built + 1)) "$WALK_RECORD" >"$WALK_RECORD.tmp"
		mv "$WALK_RECORD.tmp" "$WALK_RECORD"
		if [ -f "$TEXT_SIZES" ]; then
			head -n $((built + 1)) "$TEXT_SIZES" >"$TEXT_SIZES.tmp"
			mv "$TEXT_SIZES.tmp" "$TEXT_SIZES"
		fi
	fi
	for ((count = built + 1; count <= ${#patches[@]}; count++)); do
		build_step "$count" "${#patches[@]}" "${patches[count - 1]}"
	done
	msg "every patch of the $BASE series builds: ${#patches[@]} steps in $(((SECONDS - start) / 60))m$(((SECONDS - start) % 60))s"
	timing_record "build after each patch of $BASE" $((SECONDS - start))
}

main "$@"
