#!/usr/bin/env bash
# The kernel variants of a base: which tree each is built from, with which
# config fragments, and where it can boot.  Sourced after common.sh.
#
#   unpatched      the pristine tree
#   patched        the tree with the series applied
#   patched-noxen  the same tree without Xen support (CONFIG_XEN off), to
#                  show that the module builds, loads and says
#                  "unsupported by this kernel" there; bare metal only
#
# and one kernel that is not under test:
#
#   dom0           the pristine 6.12 tree with what Xen's toolstack needs
#                  (Kconfig.fragment-dom0): the dom0 that creates the
#                  xen-domu-* guests with xl (scripts/lib/dom0.sh)

ALL_VARIANTS=(unpatched patched patched-noxen)
# shellcheck disable=SC2034  # used by the scripts that source us
DOM0_BASE=6.12

variant_known() {
	in_list "$1" "${ALL_VARIANTS[@]}"
}

# Die with a usage line unless $1 is a known variant.
check_variant() {
	variant_known "$1" || die "unknown kernel variant '$1' (known: ${ALL_VARIANTS[*]})"
}

# Like check_variant, for the kernels the harness builds: the dom0 too.
check_buildable() {
	[ "$1" = dom0 ] || check_variant "$1"
}

# The source tree of a variant.
variant_tree() {
	case "$1" in
	unpatched | dom0) printf '%s\n' "$LANE_DIR/src" ;;
	*) printf '%s\n' "$LANE_DIR/tree-patched" ;;
	esac
}

# Whether a variant is built from the tree with the series applied.
variant_has_series() {
	[ "$1" != unpatched ] && [ "$1" != dom0 ]
}

# The config fragments of a variant, in the order they are merged: later
# ones override earlier ones.
variant_fragments() {
	printf '%s\n' "$REPO_DIR/Kconfig.fragment"
	if variant_has_series "$1" && [ -f "$SERIES_DIR/series.config" ]; then
		printf '%s\n' "$SERIES_DIR/series.config"
	fi
	case "$1" in
	patched-noxen) printf '%s\n' "$REPO_DIR/Kconfig.fragment-noxen" ;;
	dom0) printf '%s\n' "$REPO_DIR/Kconfig.fragment-dom0" ;;
	esac
}

# Whether a variant can boot in an environment.  DOMU_VARIANTS= limits
# the variants booted as xl domUs (default: unpatched and patched).
variant_boots_in() {
	case "$1:$2" in
	patched-noxen:*) [ "$2" = native ] ;;
	*:xen-domu-*)
		# shellcheck disable=SC2086  # a list of words
		in_list "$1" ${DOMU_VARIANTS:-unpatched patched}
		;;
	*) return 0 ;;
	esac
}

# "unpatched|patched|...", for usage lines.
variants_usage() {
	local IFS='|'
	printf '%s\n' "${ALL_VARIANTS[*]}"
}
