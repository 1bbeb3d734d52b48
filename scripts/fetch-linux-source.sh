#!/usr/bin/env bash
# Fetch Debian's source tarball of a base that Debian 12 does not ship
# (base_source_suite in scripts/lib/common.sh names the suite that has
# it), without installing anything: apt-get downloads the package with a
# source list, package lists and cache of its own under the build
# directory, so the system's apt sources and installed packages stay as
# they are, and dpkg-deb unpacks it there.  The tarball is kept where
# scripts/prepare-tree.sh looks for it (base_tarball), and fetched only
# when it is missing.  The package is arch-all: the kernel's source, no
# binaries, no dependencies on the newer suite's libraries.
#
# Usage: scripts/fetch-linux-source.sh BASE  (scripts/install-deps.sh runs
#                                            it for each such base)
#   DEBIAN_MIRROR=http://...  another Debian mirror than deb.debian.org
# Output: $BUILD_DIR/sources/linux-source-<base>.tar.xz, and beside it
#         linux-source-<base>.origin, the .deb it came from
set -euo pipefail
# shellcheck source=scripts/lib/common.sh
. "$(dirname "$0")/lib/common.sh"
# shellcheck source=scripts/lib/debian-apt.sh
. "$(dirname "$0")/lib/debian-apt.sh"

# download PACKAGE SUITE DIR: PACKAGE's .deb from SUITE, into DIR/deb
download() {
	local package=$1 suite=$2 dir=$3

	apt_private_init "$dir" "$suite"
	mkdir -p "$dir/deb"
	(cd "$dir/deb" && apt_private "$dir" download "$package")
}

# unpack_tarball DEB TARBALL: the tarball that DEB installs in /usr/src,
# moved to TARBALL
unpack_tarball() {
	local deb=$1 tarball=$2 dir

	dir=$(dirname "$deb")/x
	dpkg-deb -x "$deb" "$dir"
	[ -f "$dir/usr/src/$(basename "$tarball")" ] ||
		{ echo "$deb has no usr/src/$(basename "$tarball")"; return 1; }
	mkdir -p "$(dirname "$tarball")"
	mv "$dir/usr/src/$(basename "$tarball")" "$tarball.tmp"
	mv "$tarball.tmp" "$tarball"
}

# fetch PACKAGE SUITE DIR TARBALL: download and unpack; the output goes
# to the caller's log
fetch() {
	local package=$1 suite=$2 dir=$3 tarball=$4
	local -a debs

	download "$package" "$suite" "$dir"
	mapfile -t debs < <(find "$dir/deb" -maxdepth 1 -name "${package}_*.deb")
	[ "${#debs[@]}" -eq 1 ] || { echo "apt-get download left ${#debs[@]} .deb files of $package"; return 1; }
	echo "unpacking ${debs[0]}"
	unpack_tarball "${debs[0]}" "$tarball"
	printf '%s (%s)\n' "$(basename "${debs[0]}")" "$suite" >"$(origin_file "$tarball")"
}

# The record of which package a tarball came from.
origin_file() {
	printf '%s.origin\n' "${1%.tar.xz}"
}

main() {
	local base=${1:-} suite package tarball dir log rc=0 start=$SECONDS

	[ $# -eq 1 ] || die "usage: fetch-linux-source.sh BASE (one of: ${KNOWN_BASES[*]})"
	in_list "$base" "${KNOWN_BASES[@]}" || die "unknown base '$base' (known: ${KNOWN_BASES[*]})"
	suite=$(base_source_suite "$base")
	[ -n "$suite" ] || die "Linux $base comes from Debian 12's linux-source-$base (scripts/install-deps.sh installs it)"
	package=linux-source-$base
	tarball=$(base_tarball "$base")
	if [ -r "$tarball" ]; then
		msg "$package: $tarball (fetched before: $(cat "$(origin_file "$tarball")" 2>/dev/null || echo "from $suite"))"
		return
	fi
	dir=$BUILD_DIR/debian/$suite
	log=$BUILD_DIR/logs/fetch-$package.log
	mkdir -p "$BUILD_DIR/logs"
	msg "$package: fetching it from Debian $suite (log: $log)"
	# In the background, so that "set -e" still holds inside fetch.
	fetch "$package" "$suite" "$dir" "$tarball" >"$log" 2>&1 &
	wait $! || rc=$?
	if [ "$rc" -ne 0 ]; then
		rm -f "$tarball.tmp"
		die "cannot fetch Debian's $package from the $suite suite ($DEBIAN_MIRROR), which Linux $base needs: $(apt_first_error "$log") (log: $log)"
	fi
	rm -rf "$dir/deb"
	note "$package: $tarball ($(du -h "$tarball" | cut -f1), from $(cat "$(origin_file "$tarball")")) in $((SECONDS - start))s"
	timing_record "fetch $package" $((SECONDS - start))
}

main "$@"
