#!/usr/bin/env bash
# Build the patched tree of a base in the configurations that no guest of
# the matrix boots, so that a patch that breaks one of them is caught
# before it is posted: x86_64 without guest support, x86_64 without
# PARAVIRT, and 32-bit x86 (build-configs/*.config, each applied on top of
# tinyconfig).
#
# SCOPE=vmlinux (the default) builds each up to a linked vmlinux, so that
# a call to a function that such a configuration does not build fails
# too: about five minutes a configuration on 2 cores.  SCOPE=series
# builds only the directories of the kernel files the series changes, as
# the configuration selects them (a minute or two): the test command's
# check, which the full build would take past its time.
#
# Usage: BASE=7.3|6.12|6.1 [CONFIGS="no-guest no-paravirt i386"]
#        [SCOPE=vmlinux|series] scripts/build-configs.sh
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
SCOPE=${SCOPE:-vmlinux}

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

check_scope() {
	case "$SCOPE" in
	vmlinux | series) ;;
	*) die "SCOPE=$SCOPE: not vmlinux or series" ;;
	esac
}

# The directories of the x86 kernel's C files that the series changes,
# with a trailing slash, as make takes them (selftests and other
# architectures left out)
series_dirs() {
	sed -n 's|^+++ b/\(.*\)/[^/]*\.c$|\1/|p' "$SERIES_DIR"/0*.patch |
		grep -Ev '^(tools|arch/[^x][^/]*|arch/x[^8][^/]*)/' | sort -u
}

# dir_selected DIR CONFIG: whether the configuration builds DIR at all.
# make builds a directory it is asked for whatever selects it, and the
# Makefiles of these list their files in obj-y.
dir_selected() {
	case "$1" in
	arch/x86/xen/ | drivers/xen/) grep -qx 'CONFIG_XEN=y' "$2" ;;
	arch/x86/platform/pvh/) grep -qx 'CONFIG_PVH=y' "$2" ;;
	*) true ;;
	esac
}

# scope_targets CONFIG: the make targets of SCOPE
scope_targets() {
	local dir

	if [ "$SCOPE" = vmlinux ]; then
		echo vmlinux
		return
	fi
	series_dirs | while read -r dir; do
		if dir_selected "$dir" "$1"; then
			echo "$dir"
		fi
	done
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

	local -a targets

	arch=$(config_arch "$fragment")
	stamp="$(git -C "$tree" rev-parse 'HEAD^{tree}') $(sha256sum <"$fragment" | cut -c1-16) $SCOPE"
	if [ -f "$obj/build.stamp" ] && grep -qxF "$stamp" "$obj/build.stamp"; then
		msg "config $BASE/$name: built before ($SCOPE)"
		return 0
	fi
	msg "config $BASE/$name ($arch): tinyconfig + $fragment ($SCOPE)"
	run_logged "${log%.log}-configure.log" "configure $BASE/$name" \
		configure "$tree" "$obj" "$arch" "$fragment"
	mapfile -t targets < <(scope_targets "$obj/.config")
	note "make ${targets[*]}"
	run_logged "$log" "build $BASE/$name" config_make "$tree" "$obj" "$arch" "${targets[@]}"
	echo "$stamp" >>"$obj/build.stamp"
}

main() {
	local name tree
	local -a names

	no_arguments "$@"
	check_base
	check_scope
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
