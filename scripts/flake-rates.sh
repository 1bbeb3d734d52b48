#!/usr/bin/env bash
# How often each signature of scripts/lib/emulator-defects.sh shows, per
# cell: boot each cell BOOTS times, never again on a signature
# (MAX_BOOTS=1) and whatever scripts/known-unbootable says (FORCE_BOOT=1),
# on an idle host or with BUSY CPU-bound processes beside the guest, and
# count the boots that showed each class and the cell's verdicts.  The
# variants of a cell take turns, boot by boot, so that a change of the
# host's load over a run falls on both; with PAIRED=1 they boot side by
# side instead (load "paired"), each beside the other, as the test
# command boots two guests at a time.  Every boot is kept and appended to
# one list, numbered after the boots already kept, so that runs on other
# days, loads and Xen versions add up into one table.
#
# It builds nothing: build the kernels first (make build BASE=...
# VARIANTS=...).
#
# Usage: [BASES="7.3 6.12 6.1"] [VARIANTS="unpatched patched"]
#        [ENVS="xen-pvh xen-domu-pvh xen-domu-hvm"] [BOOTS=20] [BUSY=0]
#        [PAIRED=0|1] [XEN=4.17|4.20] scripts/flake-rates.sh
# Output: $BUILD_DIR/flake-rates/rates.tsv, a line per boot;
#         $BUILD_DIR/flake-rates/table.txt, the counts of every boot so
#         far; each boot's console under $BUILD_DIR/flake-rates/<base>/
#         <variant>/<env>@<Xen>/<load>/<n>/
set -euo pipefail
# shellcheck source=scripts/lib/common.sh
. "$(dirname "$0")/lib/common.sh"
# shellcheck source=scripts/lib/variants.sh
. "$(dirname "$0")/lib/variants.sh"
# shellcheck source=scripts/lib/envs.sh
. "$(dirname "$0")/lib/envs.sh"
# shellcheck source=scripts/lib/emulator-defects.sh
. "$(dirname "$0")/lib/emulator-defects.sh"
# shellcheck source=scripts/lib/settings.sh
. "$(dirname "$0")/lib/settings.sh"
# shellcheck source=scripts/lib/busy-load.sh
. "$(dirname "$0")/lib/busy-load.sh"

RATES_DIR=$BUILD_DIR/flake-rates
RATES=$RATES_DIR/rates.tsv
CLASSES=(early-end fpu triple-fault tool-signal tool-abort)

# cell_status DIR: the worst status of a booted cell (scripts/report.py)
cell_status() {
	python3 -c 'import json, sys
sys.path.insert(0, sys.argv[1])
import report
r = json.load(open(sys.argv[2]))["results"]
print(report.worst([x["status"] for x in r] or ["MISSING"]))' "$REPO_DIR/scripts" "$1/results.json" 2>/dev/null ||
		echo MISSING
}

# next_boot DIR: the number of the next boot kept in DIR
next_boot() {
	local n=1

	while [ -e "$1/$n" ] || [ -e "$1/$n.log" ]; do
		n=$((n + 1))
	done
	echo "$n"
}

# boot_and_count VARIANT ENV LOAD: one boot, one line of rates.tsv
boot_and_count() {
	local variant=$1 env=$2 load=$3 n dir outcome status classes

	dir=$RATES_DIR/$BASE/$variant/$(cell_name "$env")/$load
	mkdir -p "$dir"
	n=$(next_boot "$dir")
	dir=$dir/$n
	OUT=$dir MAX_BOOTS=1 FORCE_BOOT=1 "$(dirname "$0")/boot-guest.sh" "$env" "$variant" \
		>"$dir.log" 2>&1 || true
	outcome=$(cat "$dir/outcome" 2>/dev/null || echo none)
	status=$(cell_status "$dir")
	classes=$(defect_classes "$outcome" "$dir/console.log" 2>/dev/null | paste -sd, -)
	printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$(date -u +%FT%TZ)" "$BASE" "$variant" \
		"$env" "$XEN" "$load" "$n" "$outcome" "$status" "${classes:-none}" >>"$RATES"
	note "$BASE/$variant/$env on Xen $XEN ($load) boot $n: $outcome, $status, signatures: ${classes:-none} (log: $dir.log)"
}

# print_table: the counts per cell and load, over every line of rates.tsv
print_table() {
	awk -F '\t' -v classes="${CLASSES[*]}" '
	BEGIN { nc = split(classes, cls, " ") }
	{
		key = $2 " " $3 " " ($4 == "native" ? $4 : $4 "@" $5) " " $6
		if (!(key in boots)) order[++nk] = key
		boots[key]++
		if ($9 == "PASS" || $9 == "XFAIL") passed[key]++
		split($10, found, ",")
		for (f in found) seen[key, found[f]]++
		if ($9 != "PASS" && $9 != "XFAIL" && $9 != "SKIP" && $10 == "none") unexplained[key]++
	}
	END {
		printf "%-44s %5s %6s", "cell (base variant env@Xen load)", "boots", "passed"
		for (c = 1; c <= nc; c++) printf " %12s", cls[c]
		printf " %11s\n", "unexplained"
		for (k = 1; k <= nk; k++) {
			key = order[k]
			printf "%-44s %5d %6d", key, boots[key], passed[key]
			for (c = 1; c <= nc; c++) printf " %12d", seen[key, cls[c]]
			printf " %11d\n", unexplained[key]
		}
	}' "$RATES"
}

# boot_round ENV LOAD VARIANT...: one boot of each variant, in turn or,
# with PAIRED=1, side by side
boot_round() {
	local env=$1 load=$2 variant
	local -a pids=()
	shift 2

	for variant in "$@"; do
		if [ "$PAIRED" = 1 ]; then
			boot_and_count "$variant" "$env" "$load" &
			pids+=("$!")
		else
			boot_and_count "$variant" "$env" "$load"
		fi
	done
	[ "${#pids[@]}" = 0 ] || wait "${pids[@]}"
}

# cell_variants ENV: the variants of VARIANTS that boot in ENV
cell_variants() {
	local variant

	for variant in ${VARIANTS:-unpatched patched}; do
		if variant_boots_in "$variant" "$1"; then
			echo "$variant"
		fi
	done
}

main() {
	local base env load n
	local -a variants

	no_arguments "$@"
	BOOTS=${BOOTS:-20}
	BUSY=${BUSY:-0}
	PAIRED=${PAIRED:-0}
	[[ "$BOOTS" =~ ^[1-9][0-9]*$ ]] || die "BOOTS=$BOOTS: not a positive number"
	[[ "$BUSY" =~ ^[0-9]+$ ]] || die "BUSY=$BUSY: not a number"
	[[ "$PAIRED" =~ ^[01]$ ]] || die "PAIRED=$PAIRED: not 0 or 1"
	for base in ${BASES:-${KNOWN_BASES[*]}}; do
		BASE=$base check_settings
	done
	case "$PAIRED/$BUSY" in
	0/0) load=idle ;;
	0/*) load=busy$BUSY ;;
	1/0) load=paired ;;
	*) load=paired+busy$BUSY ;;
	esac
	mkdir -p "$RATES_DIR"
	trap stop_hogs EXIT
	start_hogs "$BUSY"
	msg "flake rates: $BOOTS boots a cell, $load, Xen $XEN (list: $RATES)"
	for base in ${BASES:-${KNOWN_BASES[*]}}; do
		export BASE=$base
		for env in ${ENVS:-xen-pvh xen-domu-pvh xen-domu-hvm}; do
			mapfile -t variants < <(cell_variants "$env")
			[ "${#variants[@]}" != 0 ] || continue
			for ((n = 1; n <= BOOTS; n++)); do
				boot_round "$env" "$load" "${variants[@]}"
			done
		done
	done
	print_table | tee "$RATES_DIR/table.txt"
}

main "$@"
