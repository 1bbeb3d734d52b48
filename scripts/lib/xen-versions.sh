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

# xen_hvm_guest_args TYPE: what Linux needs on its command line, under
# QEMU's TCG, as an HVM-type guest (TYPE pv, pvh or hvm; the PVH dom0 is
# pvh) of $XEN.  QEMU's emulation of AMD SVM has no XSETBV intercept
# (target/i386: helper_xsetbv() checks none, and its svm.h has no
# SVM_EXIT_XSETBV), so Xen never sees such a guest set XCR0.  Xen 4.17
# reads CPUID 0xD.0 EBX, the XSAVE area's size for the current XCR0,
# from the CPU; since 4.19 it computes it from the XCR0 it saw the guest
# set, none, and says 0.  Linux then warns "XSAVE consistency problem:
# size 832 != kernel_size 0" and turns XSAVE off, and 7.3 crashes on
# that path (a NULL pointer dereference in prepare_creds() before init,
# PVH dom0 4 boots of 4, PVH and HVM domU 2 of 2, unpatched and patched
# alike, 2026-12-04).  With "noxsave" Linux never asks: every test of
# those guests passed.  Real hardware intercepts XSETBV.
xen_hvm_guest_args() {
	case "$1:$XEN" in
	pv:* | *:4.17) ;;
	*) echo "noxsave" ;;
	esac
}

# check_xen: XEN names a known version
check_xen() {
	xen_known "$XEN" || die "unknown XEN='$XEN' (known: ${KNOWN_XENS[*]})"
}
