#!/usr/bin/env bash
# Build the patched tree of a base in the configurations that no guest of
# the matrix boots, so that a patch that breaks one of them is caught
# before it is posted: x86_64 without guest support, x86_64 without
# PARAVIRT, and 32-bit x86 (build-configs/*.config, each applied on top of
# tinyconfig).  Each is built up to a linked vmlinux, so that a call to a
# function that such a configuration does not build fails too.
#
# Usage: BASE=7.3|6.12|6.1 [CONFIGS="no-guest no-paravirt i386"]
#        scripts/build-configs.sh
# Output: $BUILD_DIR/$BASE/obj-config-<name>/vmlinux, logs in
#         $BUILD_DIR/$BASE/logs/config-build-<name>{-configure,}.log
# The first configuration that fails to build stops it, with the end of
# its log.
set -euo pipefail
# shellcheck source=scripts/lib/common.sh
. "$(dirname "$0")/lib/common.sh"
# shellcheck source=scripts/lib/variants.sh
. "$(dirname "$0")/lib/variants.sh"

CONFIG_DIR=$REPO_DIR/build-configs

# The configurations, by name (build-configs/<name>.config)
config_names() {
	local file

	for file in "$CONFIG_DIR"/*.config; do
		basename "$file" .config
	done
}

check_configs() {
	local name

	for name in "$@"; do
		[ -f "$CONFIG_DIR/$name.config" ] ||
			die "CONFIGS: no configuration '$name' (known: $(config_names | xargs))"
	done
}

# The ARCH= of a fragment: i386 where it turns 64BIT off
config_arch() {
	if grep -qx '# CONFIG_64BIT is not set' "$1"; then
		echo i386
	else
		echo x86_64
	fi
}

config_make() {
	local tree=$1 obj=$2 arch=$3
	shift 3

	make -C "$tree" O="$obj" ARCH="$arch" -j"$(nproc)" "$@"
}

# Whether the tree's Kconfig files define option $2 (CONFIG_ prefixed)
tree_defines() {
	grep -rqsxE --include='Kconfig*' "(menu)?config ${2#CONFIG_}" "$1"
}

# The settings of FRAGMENT that the tree defines; the others (the KUnit
# test of a series that does not have it) are named and left out.
defined_settings() {
	local tree=$1 fragment=$2 line opt

	grep -E '^(CONFIG_|# CONFIG_)' "$fragment" | while read -r line; do
		opt=${line#\# }
		opt=${opt%%[= ]*}
		if tree_defines "$tree" "$opt"; then
			printf '%s\n' "$line"
		else
			note "$opt: not defined by this tree, left out" >&2
		fi
	done
}

# Settings of SETTINGS that CONFIG lacks after olddefconfig
missing_settings() {
	local config=$1 settings=$2 line opt

	while read -r line; do
		case $line in
		'# '*)
			opt=${line#\# }
			opt=${opt%% *}
			if grep -q "^$opt=" "$config"; then
				printf '%s\n' "$line"
			fi
			;;
		*) grep -qxF "$line" "$config" || printf '%s\n' "$line" ;;
		esac
	done <"$settings"
}

configure() {
	local tree=$1 obj=$2 arch=$3 fragment=$4 missing
	local settings=$obj/fragment.config

	mkdir -p "$obj"
	config_make "$tree" "$obj" "$arch" tinyconfig
	defined_settings "$tree" "$fragment" >"$settings"
	"$tree/scripts/kconfig/merge_config.sh" -m -O "$obj" "$obj/.config" "$settings"
	config_make "$tree" "$obj" "$arch" olddefconfig
	missing=$(missing_settings "$obj/.config" "$settings")
	if [ -n "$missing" ]; then
		printf 'error: settings of %s that %s/.config lacks after olddefconfig:\n' \
			"$fragment" "$obj" >&2
		printf '%s\n' "$missing" | sed 's/^/    /' >&2
		return 1
	fi
}

build_config() {
	local tree=$1 name=$2 fragment=$CONFIG_DIR/$2.config obj=$LANE_DIR/obj-config-$2
	local log=$LANE_DIR/logs/config-build-$2.log arch stamp

	arch=$(config_arch "$fragment")
	stamp="$(git -C "$tree" rev-parse 'HEAD^{tree}') $(sha256sum <"$fragment" | cut -c1-16)"
	if [ -f "$obj/build.stamp" ] && [ "$(cat "$obj/build.stamp")" = "$stamp" ] && [ -f "$obj/vmlinux" ]; then
		msg "config $BASE/$name: $obj/vmlinux (cached)"
		return 0
	fi
	rm -f "$obj/build.stamp"
	msg "config $BASE/$name ($arch): tinyconfig + $fragment, up to vmlinux"
	run_logged "${log%.log}-configure.log" "configure $BASE/$name" \
		configure "$tree" "$obj" "$arch" "$fragment"
	run_logged "$log" "build $BASE/$name" config_make "$tree" "$obj" "$arch" vmlinux
	echo "$stamp" >"$obj/build.stamp"
}

main() {
	local name tree
	local -a names

	no_arguments "$@"
	check_base
	read -r -a names <<<"${CONFIGS:-$(config_names | xargs)}"
	check_configs "${names[@]}"
	"$(dirname "$0")/apply-series.sh"
	tree=$(variant_tree patched)
	mkdir -p "$LANE_DIR/logs"
	for name in "${names[@]}"; do
		build_config "$tree" "$name"
	done
}

main "$@"
