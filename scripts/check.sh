#!/usr/bin/env bash
# The test command: static checks (checkpatch --strict of every series from
# its base tree, shellcheck), the harness's own tests, then for each base
# the kernels, the module built by DKMS against each (scripts/test-dkms.sh)
# and the guest matrix of each of its lanes (the base's kernels on one Xen
# version, LANES below).  Fails on any finding and on any FAIL, CRASH,
# TIMEOUT or MISSING cell.
#
# The bases run in the order of KNOWN_BASES, the primary one (7.3) first,
# so that its verdict comes soonest, and its unpatched kernel, which is
# also the dom0 of every lane's xen-domu-* environments, is built before
# the other lanes need it.
#
# The command must finish within 80 minutes on a fresh 2-core machine
# (CI allows 90).  A full 7.3 build took 580 to 690 s there on
# 2026-12-02, and unpacking and committing the source of each of the
# three bases about a minute and a half, so it builds four kernels: the
# unpatched and the patched 7.3 kernel and the patched kernel of each
# backport.  The unpatched 7.3 kernel shows the bugs the series fixes,
# in code that the backports share (scripts/known-failures), and it is
# also the dom0, which was a kernel of its own before.  The kernel
# without Xen (patched-noxen) would be a fifth build of about ten
# minutes, for one native boot: scripts/run.sh, the main job, builds and
# boots it, and VARIANTS="unpatched patched patched-noxen" adds it here.
#
# Two configurations no guest boots are built for each base: the patched
# tree without guest support (so also without PARAVIRT and Xen), and
# with guest support but without PARAVIRT, the directories of the files
# the series changes only (scripts/build-configs.sh, SCOPE=series: about
# a minute and a half each on 2 cores, from nothing).  The full vmlinux
# of those and of 32-bit x86, about five minutes each, is "make
# build-configs".
#
# The build after each patch (scripts/build-each-patch.sh, "make bisect")
# is not part of it: three patches of each series change headers that
# nearly every object includes, so even incrementally the 6.12 walk took
# 28 minutes on 2 cores against 6.5 for the patched build; any one walk
# would take the command past CI's 90 minutes on a fresh machine.
#
# Usage: scripts/check.sh   (BASES="7.3" for one base; XEN=4.17|4.20 for
#                            one lane per base, on that Xen; VARIANTS=,
#                            DOMU_VARIANTS=, ENVS= and the rest as for
#                            scripts/run.sh, which --help lists)
set -euo pipefail
# Whether XEN= was given, before scripts/lib/xen-versions.sh defaults it.
XEN_GIVEN=${XEN:-}
# shellcheck source=scripts/lib/common.sh
. "$(dirname "$0")/lib/common.sh"
# shellcheck source=scripts/lib/variants.sh
. "$(dirname "$0")/lib/variants.sh"
# shellcheck source=scripts/lib/envs.sh
. "$(dirname "$0")/lib/envs.sh"
# shellcheck source=scripts/lib/settings.sh
. "$(dirname "$0")/lib/settings.sh"

# Bases whose patches/<base>/ holds a series.
bases_with_series() {
	local base
	for base in "${KNOWN_BASES[@]}"; do
		if compgen -G "$REPO_DIR/patches/$base/0001-*.patch" >/dev/null; then
			printf '%s\n' "$base"
		fi
	done
}

# The lanes: each base on the Xen its users pair it with (Debian 13 ships
# Linux 6.12 with Xen 4.20, Debian 12 Linux 6.1 with Xen 4.17), the
# primary base on the newer one, and its patched kernel also on the other
# Xen in the PV environments, where the series talks to the hypervisor
# most (the vm_assist, PHYSDEVOP_set_iobitmap, the legacy path), so that
# both hypervisors see the primary series.  One lane per line:
#   <base> <Xen> <variants> <xen-domu-* variants> <environments>
# with lists joined by commas and "all" for every environment.  Native
# boots in a base's first lane only: it runs no Xen.
#
# The variants: unpatched and patched on 7.3, the patched kernel only on
# the backports (see above); a domU boot of each type takes about 4
# minutes together.
LANES=(
	"7.3 4.20 unpatched,patched unpatched,patched all"
	"7.3 4.17 patched patched xen-pv,xen-pv-legacy"
	"6.12 4.20 patched patched all"
	"6.1 4.17 patched patched all"
)

# base_lanes BASE: the lanes of BASE, one per line as in LANES, commas
# turned into spaces.  XEN= makes it one lane on that Xen with every
# environment; VARIANTS=, DOMU_VARIANTS= and ENVS= replace a lane's own.
# VARIANTS= can add a backport's unpatched kernel: the entries of
# scripts/known-failures for "unpatched" match any base.
base_lanes() {
	local lane base xen variants domu envs first=yes

	for lane in "${LANES[@]}"; do
		read -r base xen variants domu envs <<<"$lane"
		[ "$base" = "$1" ] || continue
		if [ -n "${XEN_GIVEN:-}" ]; then
			[ "$first" = yes ] || continue
			xen=$XEN_GIVEN envs=all
		fi
		first=no
		[ "$envs" != all ] || envs=${ALL_ENVS[*]}
		printf '%s|%s|%s|%s\n' "$xen" "${VARIANTS:-${variants//,/ }}" \
			"${DOMU_VARIANTS:-${domu//,/ }}" "${ENVS:-${envs//,/ }}"
	done
}

# lane_envs FIRST ENVS: ENVS without native unless FIRST says this is the
# base's first lane ("first")
lane_envs() {
	local env

	for env in $2; do
		[ "$env" != native ] || [ "$1" = first ] || continue
		printf '%s ' "$env"
	done
}

# check_lane HERE FIRST XEN VARIANTS DOMU_VARIANTS ENVS: boot one lane.
# The base's first lane built the kernels; a later one makes only the dom0
# initramfs of its own Xen, where it boots domUs.
check_lane() {
	local here=$1 variant envs

	envs=$(lane_envs "$2" "$6")
	[ -n "$envs" ] || return 0
	if [ "$2" != first ] && ENVS=$envs domu_envs_wanted; then
		for variant in $5; do
			XEN=$3 "$here/make-dom0-initramfs.sh" "$variant" || return 1
		done
	fi
	XEN=$3 VARIANTS=$4 DOMU_VARIANTS=$5 ENVS=$envs "$here/run-matrix.sh"
}

check_base_lane() {
	local here=$1 rc=0 first=first lane xen variants domu envs built_for
	local -a lanes

	# Called as "check_base_lane || rc=1", so set -e does not apply here.
	mapfile -t lanes < <(base_lanes "$BASE")
	[ "${#lanes[@]}" -gt 0 ] || return 0
	IFS='|' read -r xen variants domu envs <<<"${lanes[0]}"
	built_for=$xen
	XEN=$xen VARIANTS=$variants DOMU_VARIANTS=$domu ENVS=$envs "$here/build.sh" || return 1
	VARIANTS=$variants "$here/test-dkms.sh" || return 1
	CONFIGS="no-guest no-paravirt" SCOPE=series "$here/build-configs.sh" || return 1
	for lane in "${lanes[@]}"; do
		IFS='|' read -r xen variants domu envs <<<"$lane"
		check_lane "$here" "$first" "$xen" "$variants" "$domu" "$envs" || rc=1
		first=later
	done
	if [ "$BASE" = 7.3 ]; then
		XEN=$built_for "$here/test-domu-crash.sh" || rc=1
	fi
	return "$rc"
}

main() {
	local here start=$SECONDS base rc=0 bases summary harness
	here=$(dirname "$0")

	no_arguments "$@"
	check_settings
	for base in ${BASES:-}; do
		BASE=$base check_base
	done
	rm -f "$BUILD_DIR/timings.tsv"
	"$here/install-deps.sh"
	mapfile -t bases < <(bases_with_series)
	# The harness's tests mostly wait (on made-up guests and bad input),
	# so they run beside the static checks, which unpack the trees.
	mkdir -p "$BUILD_DIR/logs"
	"$here/test-harness.sh" >"$BUILD_DIR/logs/test-harness.log" 2>&1 &
	harness=$!
	BASES="${bases[*]}" "$here/lint.sh"
	msg "tests of the harness itself (log: $BUILD_DIR/logs/test-harness.log)"
	if ! wait "$harness"; then
		show_log_tail "$BUILD_DIR/logs/test-harness.log" 60
		die "the harness's own tests failed"
	fi
	tail -n 1 "$BUILD_DIR/logs/test-harness.log"
	rm -rf "$BUILD_DIR/results"
	for base in ${BASES:-${bases[*]}}; do
		BASE=$base check_base_lane "$here" || rc=1
	done
	msg "all bases"
	summary=$(python3 "$REPO_DIR/scripts/report.py" matrix "$BUILD_DIR/results") || rc=1
	# The repeated boots of every lane, the counts and the verdict
	sed -n '/^repeated boots:/,$p' <<<"$summary"
	msg "tests done in $(((SECONDS - start) / 60))m$(((SECONDS - start) % 60))s; step times in $BUILD_DIR/timings.tsv"
	return "$rc"
}

main "$@"
