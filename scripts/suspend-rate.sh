#!/usr/bin/env bash
# How often a save and restore of a PV domU makes its kernel warn, per
# variant: boot the xen-domu-pv cell BOOTS times for each variant, with
# io_domu_events asking the dom0 for SAVES save-restores in a row (the
# dom0's offer is replaced through harness_domu_events=), JOBS boots at a
# time, the variants interleaved so that both see the same load, and BUSY
# CPU-bound processes beside them.  Each boot's console is searched for
# the clockevents warning of a tick reprogrammed while suspended
# ("Current state:", in what kernel_log prints of the domU's dmesg) and
# for any other kernel warning (kernel_log failing without it).
#
# It builds nothing: build the kernels first (make build BASE=...).
#
# Usage: [BASE=7.3] [VARIANTS="unpatched patched"] [BOOTS=4] [SAVES=6]
#        [JOBS=2] [BUSY=2] [LOAD_NAME=...] [XEN=4.17|4.20] scripts/suspend-rate.sh
#   LOAD_NAME  names the load in the list when it is not only BUSY's
#              processes (say, "build" when kernels build meanwhile)
# Output: $BUILD_DIR/suspend-rate/<base>/rates.tsv, a line per boot
#         (appended to, so that runs add up), and the totals per variant.
set -euo pipefail
# shellcheck source=scripts/lib/common.sh
. "$(dirname "$0")/lib/common.sh"
# shellcheck source=scripts/lib/variants.sh
. "$(dirname "$0")/lib/variants.sh"
# shellcheck source=scripts/lib/envs.sh
. "$(dirname "$0")/lib/envs.sh"
# shellcheck source=scripts/lib/settings.sh
. "$(dirname "$0")/lib/settings.sh"
# shellcheck source=scripts/lib/busy-load.sh
. "$(dirname "$0")/lib/busy-load.sh"

ENV=xen-domu-pv
MAX_SAVES=6 # io_domu_events makes at most six events

# save_list N: "save-restore" N times, comma-separated
save_list() {
	local i list=save-restore

	for ((i = 1; i < $1; i++)); do
		list+=,save-restore
	done
	echo "$list"
}

# count PATTERN FILE: how many lines of FILE match PATTERN (0 without FILE)
count() {
	local n

	n=$(grep -c -e "$1" "$2" 2>/dev/null) || true
	echo "${n:-0}"
}

# boot_once VARIANT N: one boot, one line of rates.tsv: the saves made,
# whether the clockevents warning showed (1/0), whether another warning
# did (1/0, or "-" when kernel_log did not run)
boot_once() {
	local variant=$1 n=$2 dir console saves clock others outcome

	dir=$RATE_DIR/$variant/$LOAD/$n
	mkdir -p "$(dirname "$dir")"
	OUT=$dir MAX_BOOTS=1 FORCE_BOOT=1 TESTS=io_domu_events,kernel_log \
		KERNEL_ARGS="harness_domu_events=$(save_list "$SAVES")" \
		"$(dirname "$0")/boot-guest.sh" "$ENV" "$variant" >"$dir.log" 2>&1 || true
	console=$dir/console.log
	outcome=$(cat "$dir/outcome" 2>/dev/null || echo none)
	saves=$(count 'dom0: event [0-9]* save-restore: [0-9]* ok' "$console")
	clock=0 others=-
	[ "$(count 'Current state: ' "$console")" = 0 ] || clock=1
	if grep -q '^@@TEST kernel_log rc=0' "$console" 2>/dev/null; then
		others=0
	elif grep -q '^@@TEST kernel_log rc=' "$console" 2>/dev/null; then
		others=$((1 - clock))
	fi
	printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$(date -u +%FT%TZ)" "$BASE" "$variant" \
		"$XEN" "$LOAD" "$outcome" "$saves" "$clock" "$others" >>"$RATES"
	note "$BASE/$variant $ENV@$XEN ($LOAD) boot $n: $outcome, $saves saves, clockevents warning: $clock, other warning: $others (log: $dir.log)"
}

# print_totals: saves and warnings per variant and load, over rates.tsv
print_totals() {
	awk -F '\t' '
	{
		key = $2 " " $3 " " $4 " " $5
		if (!(key in boots)) order[++nk] = key
		boots[key]++; saves[key] += $7; clock[key] += $8
		if ($9 == "-") unread[key]++; else other[key] += $9
	}
	END {
		printf "%-28s %5s %5s %17s %15s %13s\n", "base variant Xen load", "boots",
			"saves", "clockevents warn", "other warnings", "log not read"
		for (k = 1; k <= nk; k++)
			printf "%-28s %5d %5d %17d %15d %13d\n", order[k], boots[order[k]],
				saves[order[k]], clock[order[k]], other[order[k]], unread[order[k]]
	}' "$RATES"
}

check_numbers() {
	[[ "$BOOTS" =~ ^[1-9][0-9]*$ ]] || die "BOOTS=$BOOTS: not a positive number"
	[[ "$JOBS" =~ ^[1-9][0-9]*$ ]] || die "JOBS=$JOBS: not a positive number"
	[[ "$BUSY" =~ ^[0-9]+$ ]] || die "BUSY=$BUSY: not a number"
	if ! [[ "$SAVES" =~ ^[1-9]$ ]] || [ "$SAVES" -gt "$MAX_SAVES" ]; then
		die "SAVES=$SAVES: from 1 to $MAX_SAVES (the events io_domu_events makes)"
	fi
}

main() {
	local n variant running=0
	local -a variants

	no_arguments "$@"
	BOOTS=${BOOTS:-4} SAVES=${SAVES:-6} JOBS=${JOBS:-2} BUSY=${BUSY:-2}
	check_numbers
	check_settings
	read -r -a variants <<<"${VARIANTS:-unpatched patched}"
	for variant in "${variants[@]}"; do
		check_variant "$variant"
		variant_boots_in "$variant" "$ENV" || die "the $variant kernel does not boot in $ENV"
	done
	LOAD=idle
	[ "$BUSY" = 0 ] || LOAD=busy$BUSY
	LOAD=${LOAD_NAME:-$LOAD}
	RATE_DIR=$BUILD_DIR/suspend-rate/$BASE
	RATES=$RATE_DIR/rates.tsv
	mkdir -p "$RATE_DIR"
	trap stop_hogs EXIT
	start_hogs "$BUSY"
	msg "suspend rate: $BOOTS boots a variant, $SAVES saves a boot, $JOBS at a time, $LOAD, Xen $XEN (list: $RATES)"
	for ((n = 1; n <= BOOTS; n++)); do
		for variant in "${variants[@]}"; do
			boot_once "$variant" "$n" &
			running=$((running + 1))
			if [ "$running" -ge "$JOBS" ]; then
				wait -n || true
				running=$((running - 1))
			fi
		done
	done
	wait
	print_totals | tee "$RATE_DIR/totals.txt"
}

main "$@"
