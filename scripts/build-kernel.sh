#!/usr/bin/env bash
# Configure and build one kernel of a base (tinyconfig + Kconfig.fragment),
# then the module against it.  "unpatched" builds the pristine tree,
# "patched" the tree with the series applied (scripts/apply-series.sh),
# "patched-noxen" the same without Xen (scripts/lib/variants.sh).
#
# "BASE=7.3 build-kernel.sh unpatched" is also the dom0 of the xen-domu-*
# environments (scripts/lib/envs.sh).
#
# Usage: BASE=7.3|6.12|6.1 scripts/build-kernel.sh
#            unpatched|patched|patched-noxen
#   NO_APPLY=1 builds the patched tree as it stands (for build-each-patch.sh)
#   BISECT_STEP=1 tolerates series options the tree does not define yet,
#     and builds the kernel only
#   CCACHE=1 compiles through ccache: quicker rebuilds of content built
#     before, but slower first builds (about 40% here), so it is opt-in
# Output: $BUILD_DIR/$BASE/<variant>/{bzImage,config,System.map,*.ko}
set -euo pipefail
# shellcheck source=scripts/lib/common.sh
. "$(dirname "$0")/lib/common.sh"
# shellcheck source=scripts/lib/variants.sh
. "$(dirname "$0")/lib/variants.sh"

kernel_make() {
	local tree=$1 obj=$2
	shift 2
	local cc=gcc

	if [ "${CCACHE:-0}" = 1 ]; then
		command -v ccache >/dev/null 2>&1 || die "CCACHE=1: ccache is not installed"
		cc="ccache gcc"
	fi
	make -C "$tree" O="$obj" ARCH=x86_64 CC="$cc" -j"$(nproc)" "$@"
}

# Each option the fragments set, with the value it ends up with: later
# fragments override earlier ones; "n" stands for "is not set".
effective_settings() {
	local files

	mapfile -t files < <(variant_fragments "$1")
	cat "${files[@]}" |
		sed -n -e 's/^\(CONFIG_[A-Z0-9_]*\)=\(.*\)$/\1 \2/p' \
			-e 's/^# \(CONFIG_[A-Z0-9_]*\) is not set$/\1 n/p' |
		awk '!($1 in v) { order[++n] = $1 } { v[$1] = $2 }
			END { for (i = 1; i <= n; i++) print order[i], v[order[i]] }'
}

# Settings that the fragments ask for and the final .config does not have.
missing_options() {
	local config=$1 variant=$2 opt val

	effective_settings "$variant" | while read -r opt val; do
		if [ "$val" = n ]; then
			if grep -q "^$opt=" "$config"; then
				printf '# %s is not set\n' "$opt"
			fi
		elif ! grep -qxF "$opt=$val" "$config"; then
			printf '%s=%s\n' "$opt" "$val"
		fi
	done
}

configure() {
	local tree=$1 obj=$2 variant=$3 files

	mapfile -t files < <(variant_fragments "$variant")
	kernel_make "$tree" "$obj" tinyconfig
	"$tree/scripts/kconfig/merge_config.sh" -m -O "$obj" "$obj/.config" "${files[@]}"
	kernel_make "$tree" "$obj" olddefconfig
}

# What the .config of a variant is made from: the tree's Kconfig files,
# the fragments, and whether undefined options are tolerated.
config_key() {
	local tree=$1 variant=$2

	{
		git -C "$tree" ls-tree -r HEAD | awk -F '\t' '$2 ~ /(^|\/)Kconfig[^\/]*$/'
		variant_fragments "$variant" | xargs cat
		echo "${BISECT_STEP:-0}"
	} | sha256sum | cut -c1-16
}

# With BISECT_STEP=1 (a tree part way through the series), options the
# tree does not define yet (the series adds them later) are left out, and
# named.
drop_undefined() {
	local tree=$1 line opt

	while read -r line; do
		opt=${line#\# }
		opt=${opt%%[= ]*}
		if [ "${BISECT_STEP:-0}" = 1 ] && ! tree_defines "$tree" "$opt"; then
			note "$opt: not defined at this point of the series" >&2
			continue
		fi
		printf '%s\n' "$line"
	done
}

check_config() {
	local config=$1 variant=$2 tree=$3 missing

	missing=$(missing_options "$config" "$variant" | drop_undefined "$tree")
	if [ -n "$missing" ]; then
		printf 'error: settings of the config fragments that %s lacks after olddefconfig:\n' "$config" >&2
		printf '%s\n' "$missing" | sed 's/^/    /' >&2
		exit 1
	fi
}

build_kernel() {
	local tree=$1 obj=$2

	kernel_make "$tree" "$obj" bzImage modules
}

main() {
	local variant=${1:-} tree obj out stamp key

	check_base
	[ -n "$variant" ] || die "usage: build-kernel.sh $(variants_usage)"
	check_variant "$variant"
	if ! variant_has_series "$variant"; then
		"$(dirname "$0")/prepare-tree.sh"
	elif [ "${NO_APPLY:-0}" != 1 ]; then
		"$(dirname "$0")/apply-series.sh"
	fi
	tree=$(variant_tree "$variant")
	obj=$LANE_DIR/obj-$variant
	out=$LANE_DIR/$variant
	stamp="$(git -C "$tree" rev-parse 'HEAD^{tree}') $(variant_fragments "$variant" | xargs cat | sha256sum | cut -c1-16)"
	if [ -f "$out/kernel.stamp" ] && [ "$(cat "$out/kernel.stamp")" = "$stamp" ] && [ -f "$out/bzImage" ]; then
		msg "kernel $BASE/$variant: $out/bzImage (cached)"
	else
		msg "kernel $BASE/$variant: building from $tree"
		rm -f "$out/kernel.stamp"
		mkdir -p "$out" "$obj"
		key=$(config_key "$tree" "$variant")
		if [ -f "$obj/.config" ] && [ "$(cat "$obj/.config-key" 2>/dev/null)" = "$key" ]; then
			note "configure $BASE/$variant: the Kconfig files and fragments are unchanged"
		else
			rm -f "$obj/.config-key"
			run_logged "$LANE_DIR/logs/config-$variant.log" "configure $BASE/$variant" configure "$tree" "$obj" "$variant"
			check_config "$obj/.config" "$variant" "$tree"
			printf '%s\n' "$key" >"$obj/.config-key"
		fi
		run_logged "$LANE_DIR/logs/build-$variant.log" "build $BASE/$variant kernel" build_kernel "$tree" "$obj"
		cp "$obj/arch/x86/boot/bzImage" "$obj/System.map" "$out/"
		cp "$obj/.config" "$out/config"
		git -C "$tree" log --oneline base..HEAD >"$out/series.txt"
		printf '%s\n' "$stamp" >"$out/kernel.stamp"
	fi
	# The module is for the base and the whole series, the kernels that
	# the guests boot; part way through, building it would only cost time.
	if [ "${BISECT_STEP:-0}" != 1 ]; then
		KDIR=$obj OUT=$out "$(dirname "$0")/build-module.sh"
	fi
}

main "$@"
