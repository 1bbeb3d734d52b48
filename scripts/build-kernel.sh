#!/usr/bin/env bash
# Configure and build one kernel of a base (tinyconfig + Kconfig.fragment),
# then the module against it.  "unpatched" builds the pristine tree,
# "patched" the tree with the series applied (scripts/apply-series.sh).
#
# Usage: BASE=6.12|6.1 scripts/build-kernel.sh unpatched|patched
#   NO_APPLY=1 builds the patched tree as it stands (for --build-each)
# Output: $BUILD_DIR/$BASE/<variant>/{bzImage,config,System.map,*.ko}
set -euo pipefail
# shellcheck source=scripts/lib/common.sh
. "$(dirname "$0")/lib/common.sh"

kernel_make() {
	local tree=$1 obj=$2
	shift 2
	local cc=gcc

	if command -v ccache >/dev/null 2>&1 && [ "${NO_CCACHE:-0}" != 1 ]; then
		cc="ccache gcc"
	fi
	make -C "$tree" O="$obj" ARCH=x86_64 CC="$cc" -j"$(nproc)" "$@"
}

# The config fragments of a variant: Kconfig.fragment, and for the
# patched kernel the series' own options (patches/<base>/series.config).
fragments() {
	printf '%s\n' "$REPO_DIR/Kconfig.fragment"
	if [ "$1" = patched ] && [ -f "$SERIES_DIR/series.config" ]; then
		printf '%s\n' "$SERIES_DIR/series.config"
	fi
}

# Options that the fragments ask for and the final .config lacks.
missing_options() {
	local config=$1 variant=$2 line files

	mapfile -t files < <(fragments "$variant")
	cat "${files[@]}" | grep -E '^CONFIG_[A-Z0-9_]+=' | while read -r line; do
		grep -qxF "$line" "$config" || printf '%s\n' "$line"
	done
}

configure() {
	local tree=$1 obj=$2 variant=$3 files

	mapfile -t files < <(fragments "$variant")
	kernel_make "$tree" "$obj" tinyconfig
	"$tree/scripts/kconfig/merge_config.sh" -m -O "$obj" "$obj/.config" "${files[@]}"
	kernel_make "$tree" "$obj" olddefconfig
}

check_config() {
	local config=$1 variant=$2 missing

	missing=$(missing_options "$config" "$variant")
	if [ -n "$missing" ]; then
		printf 'error: options of the config fragments missing from %s after olddefconfig:\n' "$config" >&2
		printf '%s\n' "$missing" | sed 's/^/    /' >&2
		exit 1
	fi
}

build_kernel() {
	local tree=$1 obj=$2

	kernel_make "$tree" "$obj" bzImage modules
}

tree_of() {
	case "$1" in
	unpatched) printf '%s\n' "$LANE_DIR/src" ;;
	patched) printf '%s\n' "$LANE_DIR/tree-patched" ;;
	esac
}

main() {
	local variant=${1:-} tree obj out stamp

	check_base
	case "$variant" in
	unpatched) "$(dirname "$0")/prepare-tree.sh" ;;
	patched) [ "${NO_APPLY:-0}" = 1 ] || "$(dirname "$0")/apply-series.sh" ;;
	*) die "usage: build-kernel.sh unpatched|patched (got '${variant}')" ;;
	esac
	tree=$(tree_of "$variant")
	obj=$LANE_DIR/obj-$variant
	out=$LANE_DIR/$variant
	stamp="$(git -C "$tree" rev-parse 'HEAD^{tree}') $(fragments "$variant" | xargs cat | sha256sum | cut -c1-16)"
	if [ -f "$out/kernel.stamp" ] && [ "$(cat "$out/kernel.stamp")" = "$stamp" ] && [ -f "$out/bzImage" ]; then
		msg "kernel $BASE/$variant: $out/bzImage (cached)"
	else
		msg "kernel $BASE/$variant: building from $tree"
		rm -f "$out/kernel.stamp"
		mkdir -p "$out" "$obj"
		run_logged "$LANE_DIR/logs/config-$variant.log" "configure $BASE/$variant" configure "$tree" "$obj" "$variant"
		check_config "$obj/.config" "$variant"
		run_logged "$LANE_DIR/logs/build-$variant.log" "build $BASE/$variant kernel" build_kernel "$tree" "$obj"
		cp "$obj/arch/x86/boot/bzImage" "$obj/System.map" "$out/"
		cp "$obj/.config" "$out/config"
		git -C "$tree" log --oneline base..HEAD >"$out/series.txt"
		printf '%s\n' "$stamp" >"$out/kernel.stamp"
	fi
	KDIR=$obj OUT=$out "$(dirname "$0")/build-module.sh"
}

main "$@"
