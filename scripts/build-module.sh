#!/usr/bin/env bash
# Build the module (module/) against a configured and built kernel tree.
# The sources are copied first, so module/ stays free of build output.
#
# Usage: KDIR=/path/to/kernel/build [OUT=dir] scripts/build-module.sh
set -euo pipefail
# shellcheck source=scripts/lib/common.sh
. "$(dirname "$0")/lib/common.sh"

main() {
	local kdir=${KDIR:-} out=${OUT:-$BUILD_DIR/module} work

	[ -n "$kdir" ] || die "KDIR is not set (the kernel build directory to build against)"
	# Kbuild runs in KDIR, where relative paths would mean something else
	kdir=$(realpath -m "$kdir")
	out=$(realpath -m "$out")
	[ -f "$kdir/Module.symvers" ] || [ -f "$kdir/.config" ] ||
		die "KDIR=$kdir is not a configured kernel build directory"
	work=$out/module-build
	rm -rf "$work"
	mkdir -p "$work"
	cp "$REPO_DIR"/module/*.c "$REPO_DIR"/module/Kbuild "$REPO_DIR"/module/Makefile "$work/"
	run_logged "$out/module-build.log" "build module against $kdir" \
		make -C "$kdir" M="$work" modules
	cp "$work"/*.ko "$out/"
	note "module: $(cd "$out" && ls ./*.ko)"
}

main "$@"
