#!/usr/bin/env bash
# Build the module with DKMS from module/dkms.conf, as a distribution
# would, against each kernel variant of a base that has been built.  DKMS
# runs with private trees under $BUILD_DIR/dkms, so nothing is added to
# /usr/src or /var/lib/dkms.  Fails unless every build gives a module
# whose vermagic is that kernel's release.
#
# Usage: BASE=7.3|6.12|6.1 [VARIANTS="..."] scripts/test-dkms.sh
set -euo pipefail
# shellcheck source=scripts/lib/common.sh
. "$(dirname "$0")/lib/common.sh"
# shellcheck source=scripts/lib/variants.sh
. "$(dirname "$0")/lib/variants.sh"

NAME=x86_guest_state

dkms_conf_value() {
	sed -n "s/^$1=\"\\(.*\\)\"/\\1/p" "$REPO_DIR/module/dkms.conf"
}

# dkms_build VARIANT VERSION: add, build and check the module for one
# kernel, in a DKMS tree of its own (the variants share a release name).
dkms_build() {
	local variant=$1 version=$2 obj=$LANE_DIR/obj-$1 root=$BUILD_DIR/dkms/$BASE/$1
	local release ko vermagic
	local -a trees

	release=$(cat "$obj/include/config/kernel.release")
	rm -rf "$root"
	mkdir -p "$root/source" "$root/tree" "$root/install"
	cp -r "$REPO_DIR/module" "$root/source/$NAME-$version"
	trees=(--sourcetree "$root/source" --dkmstree "$root/tree" --installtree "$root/install")
	run_logged "$root/dkms.log" "dkms build $NAME $version for $BASE/$variant ($release)" \
		dkms_add_and_build "$version" "$release" "$obj" "${trees[@]}"
	ko=$root/tree/$NAME/$version/$release/x86_64/module/$NAME.ko
	[ -f "$ko" ] || die "dkms reported success but left no $ko"
	vermagic=$(modinfo -F vermagic "$ko")
	[ "${vermagic%% *}" = "$release" ] ||
		die "$ko was built for '${vermagic%% *}', not $release"
	note "dkms: $BASE/$variant: $ko (vermagic $release)"
}

dkms_add_and_build() {
	local version=$1 release=$2 obj=$3
	shift 3

	dkms add "$@" -m "$NAME" -v "$version"
	dkms build "$@" -m "$NAME" -v "$version" -k "$release" \
		--kernelsourcedir "$obj" --arch x86_64
}

main() {
	local version variant built=0

	[ $# -eq 0 ] || die "unknown argument '$1' (settings are variables: BASE=, VARIANTS=)"
	check_base
	command -v dkms >/dev/null || die "dkms not found; scripts/install-deps.sh installs it"
	version=$(dkms_conf_value PACKAGE_VERSION)
	[ -n "$version" ] || die "no PACKAGE_VERSION in module/dkms.conf"
	for variant in ${VARIANTS:-${ALL_VARIANTS[*]}}; do
		check_variant "$variant"
		if ! [ -f "$LANE_DIR/obj-$variant/include/config/kernel.release" ]; then
			note "dkms: $BASE/$variant: not built, skipped"
			continue
		fi
		dkms_build "$variant" "$version"
		built=$((built + 1))
	done
	[ "$built" -gt 0 ] || die "no kernel of $BASE is built (scripts/build.sh builds them)"
	msg "dkms: the module built with DKMS for $built kernels of $BASE"
}

main "$@"
