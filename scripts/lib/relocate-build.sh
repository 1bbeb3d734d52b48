#!/usr/bin/env bash
# Moving a kernel output directory to another source tree without kbuild
# taking it as out of date.  Sourced, never run.

# rewrite_paths DIR OLD NEW: in the text files and symlinks under DIR,
# replace the path OLD by NEW wherever it stands as a whole path (followed
# by "/", a quote, a space or the end of the line).
rewrite_paths() {
	local dir=$1 link target

	# shellcheck disable=SC2016  # perl, not the shell, expands these
	grep -rlIF -e "$2" "$dir" |
		OLD=$2 NEW=$3 xargs -r -d '\n' perl -pi -e \
			's{\Q$ENV{OLD}\E(?=[/" ]|$)}{$ENV{NEW}}g'
	find "$dir" -type l -lname "$2*" | while read -r link; do
		target=$(readlink "$link")
		case "$target" in
		"$2" | "$2"/*) ln -sfn "$3${target#"$2"}" "$link" ;;
		esac
	done
}
