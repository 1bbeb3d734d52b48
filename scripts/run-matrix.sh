#!/usr/bin/env bash
# Boot every environment with every kernel variant of a base, then print
# the results matrix and each environment's module state.  The worst
# result decides the exit status.
#
# BOOT_JOBS guests boot at once (default 2).  A guest under QEMU's
# emulation spends much of its time with one vCPU busy and the other
# idle, and a Xen domU environment with the dom0 waiting on the domU, so
# two guests at a time use the two cores of the machines this runs on
# better than one; a guest slowed by the other is not taken for a hung
# one (scripts/lib/guest-watch.sh).  Each boot's lines are printed
# together when it ends, from its log beside the cell's results.
#
# Usage: BASE=7.3|6.12|6.1 [VARIANTS="unpatched patched patched-noxen"]
#        [XEN=4.17|4.20]
#        [ENVS="native ..."] [BOOT_JOBS=n]
#        scripts/run-matrix.sh
set -euo pipefail
# shellcheck source=scripts/lib/common.sh
. "$(dirname "$0")/lib/common.sh"
# shellcheck source=scripts/lib/variants.sh
. "$(dirname "$0")/lib/variants.sh"
# shellcheck source=scripts/lib/envs.sh
. "$(dirname "$0")/lib/envs.sh"
# shellcheck source=scripts/lib/settings.sh
. "$(dirname "$0")/lib/settings.sh"

# cell_dir CELL: the results directory of a "variant/env" cell, under
# $BUILD_DIR/results/$BASE
cell_dir() {
	printf '%s/%s\n' "${1%%/*}" "$(cell_name "${1#*/}")"
}

# print_states CELL...: the module's state as each booted cell's guest
# printed it
print_states() {
	local cell dir

	for cell in "$@"; do
		dir=$BUILD_DIR/results/$BASE/$(cell_dir "$cell")
		[ -s "$dir/state.txt" ] || continue
		printf '\nModule state, Linux %s %s, %s:\n' "$BASE" "${cell%%/*}" "$(where_booted "${cell#*/}")"
		sed 's/^/  /' "$dir/state.txt"
	done
}

# boot_cell VARIANT ENV: boot one cell; with more than one job, into a
# log that is printed whole when the boot ends.
boot_cell() {
	local log

	log=$BUILD_DIR/results/$BASE/$(cell_dir "$1/$2").boot.log

	if [ "$BOOT_JOBS" = 1 ]; then
		"$(dirname "$0")/boot-guest.sh" "$2" "$1" || true
		return
	fi
	mkdir -p "$(dirname "$log")"
	"$(dirname "$0")/boot-guest.sh" "$2" "$1" >"$log" 2>&1 || true
	cat "$log"
}

# The boots running now: process id -> cell.
declare -A RUNNING=()

# reap_boots: forget the boots that have ended
reap_boots() {
	local pid

	for pid in "${!RUNNING[@]}"; do
		kill -0 "$pid" 2>/dev/null && continue
		wait "$pid" 2>/dev/null || true
		unset "RUNNING[$pid]"
	done
}

# wait_for_slot LIMIT: wait until fewer than LIMIT boots run, saying every
# minute which are still running.
wait_for_slot() {
	local limit=$1 waited=0

	reap_boots
	while [ "${#RUNNING[@]}" -ge "$limit" ]; do
		sleep 2
		waited=$((waited + 2))
		if [ $((waited % 60)) = 0 ]; then
			note "... booting: ${RUNNING[*]} (consoles under $BUILD_DIR/results/$BASE)"
		fi
		reap_boots
	done
}

# On Ctrl-C or a signal: stop every boot.  A background job of a script
# ignores SIGINT, so each boot-guest.sh is sent SIGTERM, on which it stops
# its guest and marks its cell interrupted.
stop_boots() {
	local pid

	trap - INT TERM HUP
	for pid in "${!RUNNING[@]}"; do
		pkill -TERM -P "$pid" 2>/dev/null || true
	done
	wait || true
	die "interrupted; the cells being booted say so"
}

# Environments of which one guest at a time boots, whatever BOOT_JOBS
# says: two HVM domUs side by side took longer than one after the other
# (each keeps both cores busy under emulation), and their tests ran two
# to three times as long.
ALONE_ENVS=(xen-domu-hvm)

# env_booting ENV: whether a guest of ENV is booting now
env_booting() {
	local cell

	for cell in "${RUNNING[@]}"; do
		[ "${cell#*/}" = "$1" ] && return 0
	done
	return 1
}

# wait_for_alone ENV: if ENV boots alone, wait while a guest of it boots
wait_for_alone() {
	in_list "$1" "${ALONE_ENVS[@]}" || return 0
	reap_boots
	while env_booting "$1"; do
		sleep 2
		reap_boots
	done
}

# boot_cells CELL...: boot every "variant/env" cell, BOOT_JOBS at a time
boot_cells() {
	local cell

	trap stop_boots INT TERM HUP
	for cell in "$@"; do
		wait_for_slot "$BOOT_JOBS"
		wait_for_alone "${cell#*/}"
		[ "$BOOT_JOBS" = 1 ] || note "boot $BASE/$cell started (log: $BUILD_DIR/results/$BASE/$(cell_dir "$cell").boot.log)"
		boot_cell "${cell%%/*}" "${cell#*/}" &
		RUNNING[$!]=$cell
	done
	wait_for_slot 1
}

# The summaries of all bases (scripts/check.sh) no longer say what the
# cells hold once some are booted again; this run writes its base's own.
# Cells it does not boot are kept as they are.
forget_summaries() {
	local f

	for f in summary.json results.tap junit.xml; do
		if [ -f "$BUILD_DIR/results/$f" ]; then
			note "removing $BUILD_DIR/results/$f, the summary of an earlier scripts/check.sh run"
			rm -f "$BUILD_DIR/results/$f"
		fi
	done
}

main() {
	local variant env variants cell
	local -a cells=() dirs=()

	no_arguments "$@"
	check_settings
	read -r -a variants <<<"${VARIANTS:-${ALL_VARIANTS[*]}}"
	BOOT_JOBS=${BOOT_JOBS:-2}
	for variant in "${variants[@]}"; do
		for env in ${ENVS:-${ALL_ENVS[*]}}; do
			variant_boots_in "$variant" "$env" || continue
			cells+=("$variant/$env")
			[ "$env" = native ] || ensure_xen_elf
		done
	done
	forget_summaries
	boot_cells "${cells[@]}"
	print_states "${cells[@]}"
	for cell in "${cells[@]}"; do
		dirs+=("$(cell_dir "$cell")")
	done
	python3 "$REPO_DIR/scripts/report.py" matrix "$BUILD_DIR/results/$BASE" "${dirs[@]}"
}

main "$@"
