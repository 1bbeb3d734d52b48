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

# Options that Kconfig.fragment asks for and the final .config lacks.
missing_options() {
	local config=$1 line

	grep -E '^CONFIG_[A-Z0-9_]+=' "$REPO_DIR/Kconfig.fragment" | while read -r line; do
		grep -qxF "$line" "$config" || printf '%s\n' "$line"
	done
}

configure() {
	local tree=$1 obj=$2

	kernel_make "$tree" "$obj" tinyconfig
	"$tree/scripts/kconfig/merge_config.sh" -m -O "$obj" "$obj/.config" \
		"$REPO_DIR/Kconfig.fragment"
	kernel_make "$tree" "$obj" olddefconfig
}

check_config() {
	local config=$1 missing

	missing=$(missing_options "$config")
	if [ -n "$missing" ]; then
		printf 'error: options of Kconfig.fragment missing from %s after olddefconfig:\n' "$config" >&2
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
	stamp="$(git -C "$tree" rev-parse 'HEAD^{tree}') $(sha256sum <"$REPO_DIR/Kconfig.fragment" | cut -c1-16)"
	if [ -f "$out/kernel.stamp" ] && [ "$(cat "$out/kernel.stamp")" = "$stamp" ] && [ -f "$out/bzImage" ]; then
		msg "kernel $BASE/$variant: $out/bzImage (cached)"
	else
		msg "kernel $BASE/$variant: building from $tree"
		rm -f "$out/kernel.stamp"
		mkdir -p "$out" "$obj"
		run_logged "$LANE_DIR/logs/config-$variant.log" "configure $BASE/$variant" configure "$tree" "$obj"
		check_config "$obj/.config"
		run_logged "$LANE_DIR/logs/build-$variant.log" "build $BASE/$variant kernel" build_kernel "$tree" "$obj"
		cp "$obj/arch/x86/boot/bzImage" "$obj/System.map" "$out/"
		cp "$obj/.config" "$out/config"
		git -C "$tree" log --oneline base..HEAD >"$out/series.txt"
		printf '%s\n' "$stamp" >"$out/kernel.stamp"
	fi
	KDIR=$obj OUT=$out "$(dirname "$0")/build-module.sh"
}

main "$@"
