#!/usr/bin/env bash
# The Xen versions the harness boots, chosen with XEN=: 4.17, Debian 12's,
# whose packages scripts/install-deps.sh installs on the host, and 4.20,
# Debian 13's, which scripts/fetch-xen.sh unpacks into the build directory
# (the hypervisor, and the toolstack that the dom0 of the xen-domu-*
# environments runs, with its own libraries).
# shellcheck disable=SC2034  # read by the scripts that source this

KNOWN_XENS=(4.17 4.20)
XEN=${XEN:-4.17}

xen_known() {
	in_list "$1" "${KNOWN_XENS[@]}"
}

# The Debian suite a version is fetched from; empty: the host's packages.
xen_suite() {
	case "$1" in
	4.20) echo trixie ;;
	esac
}

xen_fetch_dir() {
	printf '%s/xen/%s\n' "$BUILD_DIR" "$1"
}

# The root the hypervisor and the toolstack of a version are taken from,
# to be put in front of their paths: empty for the host's packages.
xen_root() {
	if [ -n "$(xen_suite "$1")" ]; then
		printf '%s/root\n' "$(xen_fetch_dir "$1")"
	fi
}

# Where to get a version that is missing.
xen_how_to_get() {
	if [ -n "$(xen_suite "$1")" ]; then
		echo "scripts/fetch-xen.sh $1 fetches it (scripts/install-deps.sh runs it)"
	else
		echo "scripts/install-deps.sh installs xen-hypervisor-$1-amd64"
	fi
}

# check_xen: XEN names a known version
check_xen() {
	xen_known "$XEN" || die "unknown XEN='$XEN' (known: ${KNOWN_XENS[*]})"
}
