#!/usr/bin/env bash
# Sourced by the scripts that take packages from another Debian suite than
# the host's (scripts/fetch-linux-source.sh, scripts/fetch-xen.sh): apt-get
# with a source list, package lists and cache of its own under the build
# directory, so that the system's apt sources and installed packages stay
# as they are.  Downloads are checked against the suite's signed Release
# file, as the system's own are.

DEBIAN_KEYRING=/usr/share/keyrings/debian-archive-keyring.gpg
DEBIAN_MIRROR=${DEBIAN_MIRROR:-http://deb.debian.org/debian}

# apt_private DIR ARGS...: apt-get with DIR's source list, lists and cache
# instead of the system's, and no installed package at all (an empty
# dpkg status), so that "install --download-only" fetches the whole
# dependency closure.  As root, apt-get would hand the download to its
# unprivileged "_apt" user, which cannot write DIR.
apt_private() {
	local dir=$1
	shift

	apt-get -q \
		-o Dir::Etc::SourceList="$dir/sources.list" \
		-o Dir::Etc::SourceParts=/dev/null \
		-o Dir::State::Lists="$dir/lists" \
		-o Dir::Cache="$dir/cache" \
		-o Dir::State::status=/dev/null \
		-o Debug::NoLocking=1 \
		-o APT::Sandbox::User=root \
		"$@"
}

# apt_private_init DIR SUITE: a fresh DIR whose source list is SUITE's
# main component, with its package lists fetched.
apt_private_init() {
	local dir=$1 suite=$2

	rm -rf "$dir"
	mkdir -p "$dir/lists/partial" "$dir/cache/archives/partial"
	printf 'deb [signed-by=%s] %s %s main\n' "$DEBIAN_KEYRING" "$DEBIAN_MIRROR" "$suite" >"$dir/sources.list"
	apt_private "$dir" update
}

# apt_first_error LOG: the index that apt-get could not fetch, or its
# first error, or the last line of LOG.
apt_first_error() {
	{
		grep -m1 '^W: Failed to fetch' "$1" ||
			grep -m1 '^E: ' "$1" ||
			tail -n 1 "$1"
	} | cut -c1-240
}
