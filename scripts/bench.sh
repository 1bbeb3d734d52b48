#!/usr/bin/env bash
# Benchmark: what I/O privilege costs per context switch, on the unpatched
# and the patched kernel of a base, in every environment.  Each guest boots
# under deterministic TCG (one vCPU thread, "-icount shift=0,sleep=off":
# one guest nanosecond per instruction) with an initramfs that runs only
# bench/io_switch_bench through the harness's guest init; one boot per
# (environment, kernel) runs every benchmark several times.  The whole
# benchmark runs BENCH_REPEAT times back to back, and
# scripts/bench-report.py prints the table, the ratios and whether the
# repeats agree, and draws the chart.
#
# Usage: BASE=7.3|6.12|6.1 [XEN=4.17|4.20] scripts/bench.sh
#   ENVS="native xen-pv xen-pv-legacy xen-pvh"   environments
#   VARIANTS="unpatched patched"   kernels (the ratios need both)
#   BENCH_REPEAT=2    whole benchmark runs, back to back
#   BENCH_RUNS=21     timed runs of each benchmark in one boot
#   BENCH_RUN_US=1000 guest microseconds per timed run
#   BENCH_JOBS=N      guests booted at once (default: the CPU count; under
#                     icount the host's load does not change the results)
#   NO_BUILD=1        use the kernels as they are built
#   BENCH_BASELINE=report.json   an earlier run's report: targets that the
#                     patched kernel is no worse than that run's patched one
# Output: $BUILD_DIR/bench/<base>/run<N>/<base>/<variant>/<env>/ (console,
#         results), $BUILD_DIR/bench/<base>/{report.txt,report.json,
#         io-switch.png}
set -euo pipefail
# shellcheck source=scripts/lib/common.sh
. "$(dirname "$0")/lib/common.sh"
# shellcheck source=scripts/lib/envs.sh
. "$(dirname "$0")/lib/envs.sh"
# shellcheck source=scripts/lib/initramfs.sh
. "$(dirname "$0")/lib/initramfs.sh"

BENCH_ENVS=(native xen-pv xen-pv-legacy xen-pvh)
# Tests the bench guest runs: the module shows which I/O privilege path
# the kernel took, kernel_log that nothing went wrong while timing.
BENCH_TESTS=module_load,io_switch_bench,kernel_log
# Guest seconds (instructions / 1e9) the benchmark may take, and host
# seconds a whole boot may take; the benchmark prints nothing until it is
# done, so that is also how long the console may stay quiet.
BENCH_GUEST_TIMEOUT=1200
BENCH_BOOT_TIMEOUT=${BENCH_BOOT_TIMEOUT:-1800}

# The kernels, their module, and the benchmark binary.
build_all() {
	local here variant
	here=$(dirname "$0")

	"$here/install-deps.sh"
	if [ "${NO_BUILD:-0}" != 1 ]; then
		for variant in "$@"; do
			"$here/build-kernel.sh" "$variant"
		done
	fi
	run_logged "$BUILD_DIR/logs/bench-build.log" "build bench/io_switch_bench (static)" \
		make -C "$REPO_DIR/bench" OUTPUT="$BENCH_DIR/bin"
}

# bench_initramfs VARIANT OUT: a guest's base (scripts/lib/initramfs.sh)
# with the benchmark as the only test.
bench_initramfs() {
	local variant=$1 out=$2 kdir=$LANE_DIR/$1 root

	[ -f "$kdir/bzImage" ] || die "no kernel in $kdir (scripts/build-kernel.sh $variant)"
	root=$BENCH_DIR/initramfs-root-$variant
	rm -rf "$root"
	initramfs_base "$root" "$kdir"
	mkdir -p "$root/selftests"
	install -m 0755 "$BENCH_DIR/bin/io_switch_bench" "$root/selftests/io_switch_bench"
	initramfs_pack "$root" "$out"
	rm -rf "$root"
}

# Copy a kernel, so that a rebuild while the benchmark runs cannot change
# what the later boots of the same kernel see.
snapshot_kernel() {
	local variant=$1 kdir=$LANE_DIR/$1

	cp "$kdir/bzImage" "$BENCH_DIR/bzImage-$variant"
	cp "$kdir/kernel.stamp" "$BENCH_DIR/kernel-$variant.stamp" 2>/dev/null || true
	bench_initramfs "$variant" "$BENCH_DIR/initramfs-$variant.cpio.gz"
}

# boot_bench RUN ENV VARIANT: one guest; its log is kept beside its results.
# FORCE_BOOT: the ratios need every cell, also those the test matrix
# leaves out for emulator defects (scripts/known-unbootable); boot-guest.sh
# boots again on such a defect, and a guest that still fails is reported
# as such, without numbers.
boot_bench() {
	local run=$1 env=$2 variant=$3 out log rc=0 start=$SECONDS

	out=$BENCH_DIR/run$run/$BASE/$variant/$env
	log=$BENCH_DIR/run$run/$variant-$env.log
	mkdir -p "$(dirname "$log")"
	OUT=$out KERNEL=$BENCH_DIR/bzImage-$variant INITRD=$BENCH_DIR/initramfs-$variant.cpio.gz \
		TESTS=$BENCH_TESTS BOOT_TIMEOUT=$BENCH_BOOT_TIMEOUT BOOT_STALL=$BENCH_BOOT_TIMEOUT \
		KERNEL_ARGS="harness_timeout=$BENCH_GUEST_TIMEOUT bench_runs=${BENCH_RUNS:-21} bench_run_us=${BENCH_RUN_US:-1000}" \
		QEMU_TCG_OPTS=",thread=single" QEMU_EXTRA="-icount shift=0,sleep=off" FORCE_BOOT=1 \
		"$REPO_DIR/scripts/boot-guest.sh" "$env" "$variant" >"$log" 2>&1 || rc=$?
	printf '    run %s %s/%s in %s: %s after %ds (exit %s)\n' "$run" "$BASE" "$variant" "$env" \
		"$(cat "$out/outcome" 2>/dev/null || echo 'no outcome')" $((SECONDS - start)) "$rc"
}

# Run every boot of one repeat, BENCH_JOBS at a time.
run_repeat() {
	local run=$1 env variant jobs=${BENCH_JOBS:-$(nproc)} running=0
	shift

	rm -rf "$BENCH_DIR/run$run"
	for env in "${envs[@]}"; do
		for variant in "$@"; do
			if [ "$running" -ge "$jobs" ]; then
				wait -n || true
				running=$((running - 1))
			fi
			boot_bench "$run" "$env" "$variant" &
			running=$((running + 1))
		done
	done
	wait
}

main() {
	local run repeats=${BENCH_REPEAT:-2} start=$SECONDS variant env
	local -a variants envs runs=() baseline=()

	check_base
	check_xen
	read -r -a variants <<<"${VARIANTS:-unpatched patched}"
	read -r -a envs <<<"${ENVS:-${BENCH_ENVS[*]}}"
	for env in "${envs[@]}"; do
		env_known "$env" || die "unknown environment '$env' (known: ${ALL_ENVS[*]})"
	done
	if [ -n "${BENCH_BASELINE:-}" ]; then
		[ -f "$BENCH_BASELINE" ] || die "BENCH_BASELINE=$BENCH_BASELINE: no such report.json"
		baseline=(--baseline "$(realpath "$BENCH_BASELINE")")
	fi
	BENCH_DIR=$BUILD_DIR/bench/$BASE
	mkdir -p "$BENCH_DIR"
	build_all "${variants[@]}"
	for variant in "${variants[@]}"; do
		snapshot_kernel "$variant"
	done
	ensure_xen_elf
	for run in $(seq 1 "$repeats"); do
		msg "benchmark run $run of $repeats: ${envs[*]} x ${variants[*]}, -icount shift=0"
		run_repeat "$run" "${variants[@]}"
		runs+=("$BENCH_DIR/run$run/$BASE")
	done
	msg "benchmark: $repeats runs in $(((SECONDS - start) / 60))m$(((SECONDS - start) % 60))s"
	timing_record "benchmark $BASE, $repeats runs" $((SECONDS - start))
	python3 "$REPO_DIR/scripts/bench-report.py" --out "$BENCH_DIR" --xen "$XEN" "${baseline[@]}" "${runs[@]}"
}

main "$@"
