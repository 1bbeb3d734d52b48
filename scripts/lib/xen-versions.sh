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

# xen_hvm_guest_args TYPE: what Linux needs on its command line as an
# HVM-type guest of Xen under QEMU's TCG (TYPE pv, pvh or hvm; the PVH
# dom0 is pvh).  QEMU's emulation of AMD SVM has no XSETBV intercept
# (target/i386: helper_xsetbv() checks none, and its svm.h has no
# SVM_EXIT_XSETBV), so Xen never sees such a guest set XCR0 and, when it
# switches the vCPU in, loads the XCR0 it believes the guest has: x87 and
# SSE.  Seen from user space in the unpatched 7.3 PVH dom0 on Xen 4.17
# (2026-12-04, a probe reading XCR0 and running one AVX instruction on
# each vCPU for 25 s): vCPU 1 read 0x7 and ran AVX, vCPU 0 read 0x3 and
# every AVX instruction raised SIGILL.  That is the "Illegal
# instruction" of user programs, and an XRSTOR of AVX state saved on the
# other vCPU faults ("Bad FPU state detected").  Xen 4.20 also computes
# the XSAVE size it reports (CPUID 0xD.0 EBX) from the XCR0 it saw, none,
# and says 0: Linux warns "XSAVE consistency problem" and turns XSAVE
# off, and 7.3 then crashes before init (NULL pointer dereference in
# prepare_creds()).  With "noxsave" Linux leaves XCR0 alone and uses
# FXSAVE: the guest and Xen agree.  Real hardware intercepts XSETBV.
xen_hvm_guest_args() {
	case "$1" in
	pv) ;;
	*) echo "noxsave" ;;
	esac
}

# check_xen: XEN names a known version
check_xen() {
	xen_known "$XEN" || die "unknown XEN='$XEN' (known: ${KNOWN_XENS[*]})"
}
