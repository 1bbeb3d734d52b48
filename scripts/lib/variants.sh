#!/usr/bin/env bash
# The kernel variants of a base: which tree each is built from, with which
# config fragments, and where it can boot.  Sourced after common.sh.
#
#   unpatched      the pristine tree
#   patched        the tree with the series applied
#   patched-noxen  the same tree without Xen support (CONFIG_XEN off), to
#                  show that the module builds, loads and says
#                  "unsupported by this kernel" there; bare metal only

ALL_VARIANTS=(unpatched patched patched-noxen)

variant_known() {
	in_list "$1" "${ALL_VARIANTS[@]}"
}

# Die with a usage line unless $1 is a known variant.
check_variant() {
	variant_known "$1" || die "unknown kernel variant '$1' (known: ${ALL_VARIANTS[*]})"
}

# The source tree of a variant.
variant_tree() {
	case "$1" in
	unpatched) printf '%s\n' "$LANE_DIR/src" ;;
	*) printf '%s\n' "$LANE_DIR/tree-patched" ;;
	esac
}

# Whether a variant is built from the tree with the series applied.
variant_has_series() {
	[ "$1" != unpatched ]
}

# The config fragments of a variant, in the order they are merged: later
# ones override earlier ones.
variant_fragments() {
	printf '%s\n' "$REPO_DIR/Kconfig.fragment"
	if variant_has_series "$1" && [ -f "$SERIES_DIR/series.config" ]; then
		printf '%s\n' "$SERIES_DIR/series.config"
	fi
	if [ "$1" = patched-noxen ]; then
		printf '%s\n' "$REPO_DIR/Kconfig.fragment-noxen"
	fi
}

# Whether a variant can boot in an environment.
variant_boots_in() {
	case "$1" in
	patched-noxen) [ "$2" = native ] ;;
	*) return 0 ;;
	esac
}

# "unpatched|patched|...", for usage lines.
variants_usage() {
	local IFS='|'
	printf '%s\n' "${ALL_VARIANTS[*]}"
}
