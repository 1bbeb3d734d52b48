#!/usr/bin/env bash
# checkpatch.pl --strict of a base tree on the patches of a directory, as
# the series is checked before it is posted.  Sourced by scripts/lint.sh
# and scripts/make-posting.sh, never run.

# checkpatch runs scripts/spdxcheck.py with the first python3 on PATH; the
# system one is where install-deps.sh puts python3-ply and python3-git.
[ -x /usr/bin/python3 ] && PATH=/usr/bin:$PATH

# The files PATCH creates, one path a line.
added_files() {
	awk '/^diff --git / { path = substr($4, 3) } /^new file mode / { print path }' "$1"
}

# Whether every file PATCH creates already has a maintainer in SRC's
# MAINTAINERS (an F: pattern of an entry other than THE REST), so that
# checkpatch's "does MAINTAINERS need updating?" has its answer: no.  It
# asks whenever a patch adds a file, covered or not.
added_files_maintained() {
	local src=$1 patch=$2 file who=0

	# get_maintainer.pl looks up only paths that exist: a new file is
	# covered when its directory is (a new directory is not).
	while read -r file; do
		who=$( (cd "$src" && scripts/get_maintainer.pl --no-git --no-git-fallback \
			--m --no-r --no-l --no-rolestats "$(dirname "$file")/" 2>/dev/null) |
			grep -cv 'Linus Torvalds' || true)
		[ "$who" -gt 0 ] || return 1
	done < <(added_files "$patch")
}

# checkpatch_patches SRC DIR: checkpatch --strict from the tree SRC on
# every patch of DIR but the cover letter; each finding is printed, and
# the status is 1 if there was any.
checkpatch_patches() {
	local src=$1 dir=$2 patch out status=0
	local -a ignore=() extra

	out=$(mktemp)
	# A tree unpacked from a release tarball has one commit, so the
	# commit ids that Fixes: tags name cannot be looked up in it.
	if [ "$(git -C "$src" rev-list --count HEAD)" -le 1 ]; then
		ignore=(--ignore UNKNOWN_COMMIT_ID)
	fi
	for patch in "$dir"/[0-9][0-9][0-9][0-9]-*.patch; do
		[ -e "$patch" ] || continue
		case "$patch" in */0000-*) continue ;; esac
		extra=("${ignore[@]}")
		if [ -n "$(added_files "$patch")" ] && added_files_maintained "$src" "$patch"; then
			extra+=(--ignore FILE_PATH_CHANGES)
		fi
		if ! (cd "$src" && scripts/checkpatch.pl --strict -q "${extra[@]}" "$patch") >"$out" 2>&1; then
			printf 'checkpatch: %s\n' "$patch"
			sed 's/^/    /' "$out"
			status=1
		fi
	done
	rm -f "$out"
	return "$status"
}
