#!/usr/bin/env bash
# Turn the series of a base into one that its poster can send: the same
# patches, authored and signed off by the poster's git identity instead of
# the series' placeholder, with the To: and Cc: of the base tree's
# get_maintainer.pl, checked with its checkpatch.pl --strict, and applied
# once more with "git am" to the pristine tree to prove that what is sent
# is what was tested.  The repository's patches/ stay as they are.
#
# Usage: BASE=7.3|6.12|6.1 [POSTING_DIR=dir] [BASE_COMMIT=sha] scripts/make-posting.sh
#   identity     git config user.name and user.email (as "git commit" uses)
#   POSTING_DIR  where the patches go (default: $BUILD_DIR/<base>/posting)
#   BASE_COMMIT  the upstream commit of the base (a stable tag's commit),
#                written as the cover letter's base-commit: line; the
#                pristine tree is a release tarball with no history, so
#                it cannot be found here
set -euo pipefail
# shellcheck source=scripts/lib/common.sh
. "$(dirname "$0")/lib/common.sh"
# shellcheck source=scripts/lib/checkpatch.sh
. "$(dirname "$0")/lib/checkpatch.sh"

PLACEHOLDER_EMAIL=x86-xen-series@example.org
SRC_DIR=$LANE_DIR/src
POSTING_DIR=${POSTING_DIR:-$LANE_DIR/posting}
TREE=$LANE_DIR/tree-posting
CHECK_TREE=$LANE_DIR/tree-posting-check

# The poster's identity, "Name <email>"; never the placeholder.
poster_identity() {
	local name email

	name=$(git -C "$REPO_DIR" config user.name || true)
	email=$(git -C "$REPO_DIR" config user.email || true)
	if [ -z "$name" ] || [ -z "$email" ]; then
		die "no git identity: set it with git config --global user.name / user.email (the poster signs off every patch)"
	fi
	[ "$email" != "$PLACEHOLDER_EMAIL" ] ||
		die "git identity is the series' placeholder $PLACEHOLDER_EMAIL: set your own"
	printf '%s <%s>\n' "$name" "$email"
}

check_base_commit() {
	[ -z "${BASE_COMMIT:-}" ] || [[ $BASE_COMMIT =~ ^[0-9a-f]{40}$ ]] ||
		die "BASE_COMMIT=$BASE_COMMIT is not a full 40-digit commit id"
}

# fresh_worktree DIR: a detached worktree of the pristine base at DIR
fresh_worktree() {
	local dir=$1

	rm -rf "$dir"
	git -C "$SRC_DIR" worktree prune
	git -C "$SRC_DIR" worktree add -q --detach "$dir" base
}

# am_all DIR PATCH...: git am every patch onto DIR, or say which failed
am_all() {
	local dir=$1 patch
	shift

	for patch in "$@"; do
		if ! git -C "$dir" am -q "$patch" >"$dir.am.log" 2>&1; then
			git -C "$dir" am --abort >/dev/null 2>&1 || true
			sed 's/^/    /' "$dir.am.log" | tail -n 20
			die "$(basename "$patch") does not apply with git am to the pristine $BASE tree"
		fi
	done
}

# Author and sign-off of every commit become the poster's; the
# placeholder's Signed-off-by goes, every other trailer stays.
resign() {
	local name=$1 email=$2

	git -C "$TREE" -c user.name="$name" -c user.email="$email" rebase -q base --exec \
		"git log -1 --format=%B | sed '/^Signed-off-by: .*<$PLACEHOLDER_EMAIL>\$/d' | git commit -q --amend --reset-author -s -F -" >"$TREE.rebase.log" 2>&1 || {
		tail -n 20 "$TREE.rebase.log"
		die "rewriting author and Signed-off-by failed (log: $TREE.rebase.log)"
	}
}

# cover_text FILE: the cover letter's subject and body, as
# scripts/format-series.sh takes them, from the series' own cover letter
cover_text() {
	local out=$1 cover=$SERIES_DIR/0000-cover-letter.patch

	[ -r "$cover" ] || die "no cover letter $cover"
	{
		sed -n 's/^Subject: \[PATCH [0-9]*\/[0-9]*\] //p' "$cover" | sed -n 1p
		echo
		awk 'body && /^[^ ].* \([0-9]+\):$/ { exit }
		     body { print }
		     !body && /^$/ { body = 1 }' "$cover" | sed '${/^$/d}'
	} >"$out"
}

add_base_commit() {
	local cover=$POSTING_DIR/0000-cover-letter.patch

	[ -n "${BASE_COMMIT:-}" ] || return 0
	BC=$BASE_COMMIT awk '!done && /^-- $/ { print "base-commit: " ENVIRON["BC"]; print ""; done = 1 } { print }' \
		"$cover" >"$cover.new"
	mv "$cover.new" "$cover"
}

# The posted patches, applied to a new copy of the pristine tree, must
# give the tree that was signed off.
check_round_trip() {
	local -a patches

	mapfile -t patches < <(find "$POSTING_DIR" -name '[0-9][0-9][0-9][0-9]-*.patch' ! -name '0000-*' | sort)
	fresh_worktree "$CHECK_TREE"
	am_all "$CHECK_TREE" "${patches[@]}"
	[ "$(git -C "$CHECK_TREE" rev-parse 'HEAD^{tree}')" = "$(git -C "$TREE" rev-parse 'HEAD^{tree}')" ] ||
		die "the posted patches do not give the tree that was signed off"
	git -C "$SRC_DIR" worktree remove --force "$CHECK_TREE"
}

main() {
	local identity name email cover
	local -a patches

	[ $# -eq 0 ] || { usage; die "unknown argument: $1"; }
	check_base
	identity=$(poster_identity)
	name=${identity% <*}
	email=${identity##*<}
	email=${email%>}
	check_base_commit
	"$(dirname "$0")/prepare-tree.sh"
	mapfile -t patches < <(find "$SERIES_DIR" -name '[0-9][0-9][0-9][0-9]-*.patch' ! -name '0000-*' | sort)
	[ "${#patches[@]}" -gt 0 ] || die "no patches in $SERIES_DIR"
	msg "posting $BASE: ${#patches[@]} patches as $identity"
	fresh_worktree "$TREE"
	am_all "$TREE" "${patches[@]}"
	resign "$name" "$email"
	cover=$(mktemp)
	cover_text "$cover"
	rm -rf "$POSTING_DIR"
	mkdir -p "$POSTING_DIR"
	SERIES_DIR=$POSTING_DIR "$(dirname "$0")/format-series.sh" "$TREE" "$cover" >/dev/null
	rm -f "$cover"
	add_base_commit
	msg "checkpatch --strict, Linux $BASE tree"
	checkpatch_patches "$SRC_DIR" "$POSTING_DIR" || die "checkpatch found problems (above)"
	msg "git am of the posted patches to the pristine tree"
	check_round_trip
	msg "ready: $POSTING_DIR (send with: git send-email $POSTING_DIR/*.patch)"
}

main "$@"
