#!/usr/bin/env bash
# The kernel variants of a base: which tree each is built from, with which
# config fragments, and where it can boot.  Sourced after common.sh.
#
#   unpatched      the pristine tree
#   patched        the tree with the series applied
#   patched-noxen  the same tree without Xen support (CONFIG_XEN off), to
#                  show that the module builds and loads there; bare
#                  metal only
#
# The unpatched kernel of 7.3 is also the dom0 that creates the xen-domu-*
# guests with xl (DOM0_BASE in scripts/lib/envs.sh).

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
	case "$1" in
	patched-noxen) printf '%s\n' "$REPO_DIR/Kconfig.fragment-noxen" ;;
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

# tree_defines TREE OPTION: whether TREE's Kconfig files define OPTION
# (CONFIG_ prefixed), by "config" or "menuconfig"
tree_defines() {
	grep -rqsxE --include='Kconfig*' "(menu)?config ${2#CONFIG_}" "$1"
}
