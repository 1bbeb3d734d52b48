#!/usr/bin/env bash
# Write patches/<base>/ from a kernel tree whose commits base..HEAD are the
# series: "git format-patch --cover-letter", with the To: and Cc: of each
# patch from that tree's own scripts/get_maintainer.pl (To: maintainers,
# Cc: reviewers and lists; the cover letter goes to all of them), and the
# cover letter's text taken from a file.
#
# Usage: BASE=7.3|6.12|6.1 scripts/format-series.sh TREE COVER
#   TREE   a git tree with a tag "base" (the pristine tree) and the series
#          on top; scripts/apply-series.sh's tree-patched is one
#   COVER  the cover letter: its subject on the first line, a blank line,
#          then the body; the shortlog and diffstat are added below it
# The existing patches of the base are replaced; series.config is kept.
set -euo pipefail
# shellcheck source=scripts/lib/common.sh
. "$(dirname "$0")/lib/common.sh"

check_tree() {
	local tree=$1

	git -C "$tree" rev-parse -q --verify base >/dev/null ||
		die "$tree has no tag 'base' (the pristine tree the series applies to)"
	[ -x "$tree/scripts/get_maintainer.pl" ] || die "$tree has no scripts/get_maintainer.pl"
	[ -z "$(git -C "$tree" status --porcelain --untracked-files=no)" ] ||
		die "$tree has uncommitted changes: commit them into the series first"
	[ "$(git -C "$tree" rev-list --count base..HEAD)" -gt 0 ] ||
		die "$tree has no commits on top of 'base'"
}

# recipients TREE PATCH ROLE: the addresses get_maintainer.pl gives, one
# per line; ROLE "to" gives maintainers, "cc" reviewers and lists.
recipients() {
	local tree=$1 patch=$2 role=$3
	local -a select=(--m --no-r --no-l)

	[ "$role" = cc ] && select=(--no-m --r --l)
	# Its stderr is git failing to look up the commits that Fixes: tags
	# name, which a tree made from a release tarball does not have.
	(cd "$tree" && scripts/get_maintainer.pl --no-git --no-git-fallback \
		--no-rolestats --no-multiline --separator $'\n' "${select[@]}" \
		"$patch" 2>/dev/null)
}

# header_lines NAME ADDRESS...: "NAME: a," continuation lines, RFC 5322
header_lines() {
	local name=$1 i
	shift
	[ $# -gt 0 ] || return 0
	for ((i = 1; i <= $#; i++)); do
		if [ "$i" -eq 1 ]; then
			printf '%s: %s' "$name" "${!i}"
		else
			printf '    %s' "${!i}"
		fi
		if [ "$i" -lt $# ]; then printf ',\n'; else printf '\n'; fi
	done
}

# add_headers PATCH TOFILE CCFILE: put To: and Cc: before the Subject: line
add_headers() {
	local patch=$1 tofile=$2 ccfile=$3 headers
	local -a to cc

	mapfile -t to < <(awk 'NF && !seen[$0]++' "$tofile")
	# An address already in To: is not repeated in Cc:.
	mapfile -t cc < <(awk 'NR == FNR { seen[$0] = 1; next } NF && !seen[$0]++' "$tofile" "$ccfile")
	headers=$(header_lines To "${to[@]}"; header_lines Cc "${cc[@]}")
	HEADERS=$headers awk '!done && /^Subject: / { print ENVIRON["HEADERS"]; done = 1 } { print }' \
		"$patch" >"$patch.new"
	mv "$patch.new" "$patch"
}

# fill_cover COVERPATCH COVERTEXT: the subject and body from the text file,
# in place of git's placeholders
fill_cover() {
	local patch=$1 text=$2 subject

	subject=$(head -n 1 "$text")
	SUBJECT=$subject BODYFILE=$text awk '
		BEGIN {
			while ((getline line < ENVIRON["BODYFILE"]) > 0)
				if (n++ >= 2) body = body line "\n"
		}
		/^Subject: / { sub(/\*\*\* SUBJECT HERE \*\*\*/, ENVIRON["SUBJECT"]) }
		/^\*\*\* BLURB HERE \*\*\*$/ { printf "%s", body; next }
		{ print }' "$patch" >"$patch.new"
	mv "$patch.new" "$patch"
	! grep -q '\*\*\* \(SUBJECT\|BLURB\) HERE \*\*\*' "$patch" ||
		die "the cover letter kept git's placeholders: is $text subject, blank line, body?"
}

main() {
	local tree=${1:-} cover=${2:-} out patch all_to all_cc first name email
	local -a patches

	[ $# -eq 2 ] || die "usage: BASE=<base> scripts/format-series.sh TREE COVER"
	check_base
	check_tree "$tree"
	[ -r "$cover" ] || die "cover letter text $cover is not readable"
	[ "$(sed -n 2p "$cover")" = "" ] || die "$cover: the subject line must be followed by a blank line"
	out=$(mktemp -d)
	# shellcheck disable=SC2064  # expand now: the directory is known
	trap "rm -rf '$out'" EXIT
	# The cover letter is from the series' author, not from whoever runs
	# this.
	# sed, not head: head would close the pipe early, and pipefail would
	# then take git's SIGPIPE for a failure.
	first=$(git -C "$tree" rev-list --reverse base..HEAD | sed -n 1p)
	name=$(git -C "$tree" log -1 --format=%an "$first")
	email=$(git -C "$tree" log -1 --format=%ae "$first")
	git -C "$tree" -c user.name="$name" -c user.email="$email" \
		format-patch -q --cover-letter --subject-prefix=PATCH -o "$out" base..HEAD
	all_to=$out/all.to
	all_cc=$out/all.cc
	: >"$all_to"
	: >"$all_cc"
	mapfile -t patches < <(find "$out" -name '[0-9][0-9][0-9][0-9]-*.patch' ! -name '0000-*' | sort)
	for patch in "${patches[@]}"; do
		recipients "$tree" "$patch" to >"$patch.to"
		recipients "$tree" "$patch" cc >"$patch.cc"
		add_headers "$patch" "$patch.to" "$patch.cc"
		cat "$patch.to" >>"$all_to"
		cat "$patch.cc" >>"$all_cc"
	done
	fill_cover "$out"/0000-cover-letter.patch "$cover"
	add_headers "$out"/0000-cover-letter.patch "$all_to" "$all_cc"
	mkdir -p "$SERIES_DIR"
	find "$SERIES_DIR" -maxdepth 1 -name '[0-9][0-9][0-9][0-9]-*.patch' -delete
	cp "$out"/[0-9][0-9][0-9][0-9]-*.patch "$SERIES_DIR/"
	msg "series for $BASE: ${#patches[@]} patches and a cover letter in ${SERIES_DIR#"$REPO_DIR"/}"
}

main "$@"
