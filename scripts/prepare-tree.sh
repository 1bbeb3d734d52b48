#!/usr/bin/env bash
# Make the pristine kernel tree of a base: a git repository under the build
# directory whose tag "base" is the untouched source.  The source is Debian's
# linux-source tarball, or KSRC=<tree>; a user's tree is copied, never
# changed.
#
# Usage: BASE=7.3|6.12|6.1 [KSRC=/path/to/linux] scripts/prepare-tree.sh
set -euo pipefail
# shellcheck source=scripts/lib/common.sh
. "$(dirname "$0")/lib/common.sh"

SRC_DIR=$LANE_DIR/src

tree_version() {
	local makefile=$1/Makefile version patchlevel

	version=$(sed -n 's/^VERSION = *//p' "$makefile" | head -1)
	patchlevel=$(sed -n 's/^PATCHLEVEL = *//p' "$makefile" | head -1)
	printf '%s.%s\n' "$version" "$patchlevel"
}

check_kernel_tree() {
	local tree=$1 version

	[ -e "$tree" ] || die "KSRC=$tree does not exist"
	[ -d "$tree" ] || die "KSRC=$tree is not a directory"
	[ -r "$tree/Makefile" ] || die "KSRC=$tree is not a readable kernel tree (no Makefile)"
	if ! grep -q '^PATCHLEVEL = ' "$tree/Makefile" || ! [ -d "$tree/arch/x86" ]; then
		die "KSRC=$tree is not a Linux kernel tree (no PATCHLEVEL in Makefile or no arch/x86)"
	fi
	version=$(tree_version "$tree")
	if [ "$version" != "$BASE" ]; then
		in_list "$version" "${KNOWN_BASES[@]}" &&
			die "KSRC=$tree is Linux $version, but the series in patches/$BASE is for $BASE (BASE=$version selects the $version series)"
		die "KSRC=$tree is Linux $version, but the series in patches/$BASE is for $BASE (BASE= selects a series, one of: ${KNOWN_BASES[*]})"
	fi
	if [ -e "$tree/.config" ] || [ -d "$tree/include/config" ]; then
		die "KSRC=$tree has build output in it (.config or include/config); run 'make mrproper' there or use a clean copy"
	fi
	if [ -d "$tree/.git" ] || [ -f "$tree/.git" ]; then
		[ -z "$(git -C "$tree" status --porcelain --untracked-files=no)" ] ||
			die "KSRC=$tree has uncommitted changes; commit or stash them first (the series is applied to a copy of HEAD)"
	fi
}

# What the pristine tree was made from; a change means it is made anew.
source_identity() {
	if [ -n "${KSRC:-}" ]; then
		if git -C "$KSRC" rev-parse --git-dir >/dev/null 2>&1; then
			printf 'git %s %s\n' "$(realpath "$KSRC")" "$(git -C "$KSRC" rev-parse HEAD)"
		else
			printf 'dir %s\n' "$(realpath "$KSRC")"
		fi
	else
		printf 'tarball %s\n' "$(stat -c '%n %s %Y' "$(tarball_path)")"
	fi
}

tarball_path() {
	base_tarball "$BASE"
}

# How scripts/install-deps.sh gets the tarball, for messages.
tarball_source() {
	local suite
	suite=$(base_source_suite "$BASE")
	if [ -n "$suite" ]; then
		printf 'fetches linux-source-%s from Debian %s\n' "$BASE" "$suite"
	else
		printf 'installs linux-source-%s\n' "$BASE"
	fi
}

commit_pristine() {
	git -C "$SRC_DIR" init -q
	git -C "$SRC_DIR" add -A -f
	git -C "$SRC_DIR" -c user.name=harness -c user.email=harness@localhost \
		commit -q -m "Linux $BASE pristine base"
}

check_tarball() {
	local tarball
	tarball=$(tarball_path)
	[ -r "$tarball" ] || die "$tarball is missing; scripts/install-deps.sh $(tarball_source)"
}

make_from_tarball() {
	check_tarball
	mkdir -p "$SRC_DIR"
	tar -xJf "$(tarball_path)" -C "$SRC_DIR" --strip-components=1
	commit_pristine
}

make_from_ksrc() {
	if git -C "$KSRC" rev-parse --git-dir >/dev/null 2>&1; then
		git clone -q --shared --no-checkout "$KSRC" "$SRC_DIR"
		git -C "$SRC_DIR" checkout -q --detach "$(git -C "$KSRC" rev-parse HEAD)"
	else
		mkdir -p "$SRC_DIR"
		cp -a "$KSRC/." "$SRC_DIR/"
		commit_pristine
	fi
}

make_pristine() {
	rm -rf "$SRC_DIR" "$LANE_DIR/obj"
	if [ -n "${KSRC:-}" ]; then
		make_from_ksrc
	else
		make_from_tarball
	fi
	git -C "$SRC_DIR" tag -f base >/dev/null
	[ "$(tree_version "$SRC_DIR")" = "$BASE" ] ||
		die "the tree made from $(source_identity) is Linux $(tree_version "$SRC_DIR"), not $BASE"
}

main() {
	local identity
	check_base
	if [ -n "${KSRC:-}" ]; then
		check_kernel_tree "$KSRC"
	else
		check_tarball
	fi
	identity=$(source_identity)
	if [ -f "$LANE_DIR/src.stamp" ] && [ "$(cat "$LANE_DIR/src.stamp")" = "$identity" ] &&
		git -C "$SRC_DIR" rev-parse -q --verify base >/dev/null; then
		msg "pristine $BASE tree: $SRC_DIR (cached, from ${identity%% *})"
		return
	fi
	msg "pristine $BASE tree: making $SRC_DIR from $identity"
	mkdir -p "$LANE_DIR"
	rm -f "$LANE_DIR/src.stamp"
	run_logged "$LANE_DIR/logs/prepare-tree.log" "unpack and commit the $BASE source" make_pristine
	printf '%s\n' "$identity" >"$LANE_DIR/src.stamp"
}

main "$@"
