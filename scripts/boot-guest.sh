#!/usr/bin/env bash
# Boot one kernel + initramfs in one environment and collect what the
# guest reports.  The guest's init (scripts/guest/init) runs the module
# and the selftests; this script watches the console, stops the guest when
# it is done, and classifies the boot: finished, crash (panic, or QEMU
# gone before the guest said it was done) or timeout.
#
# Usage: BASE=7.3|6.12|6.1 scripts/boot-guest.sh
#            ENV [unpatched|patched|patched-noxen]
#   ENV: native xen-pv xen-pv-nopti xen-pv-legacy xen-pvh, or a domU
#        created by xl in a Xen PV dom0: xen-domu-pv xen-domu-pvh xen-domu-hvm
#   KERNEL=, INITRD=  boot these instead of the harness's build
#   TESTS=a,b         run only these tests in the guest
#   BOOT_STALL=s      seconds without console output before the guest
#                     is declared hung (scripts/lib/guest-watch.sh)
#   BOOT_TIMEOUT=s    seconds a boot may take at most, output or not
#   KERNEL_ARGS=...   more kernel parameters
#   FORCE_BOOT=1      boot a cell that scripts/known-unbootable lists
#   MAX_BOOTS=n       boots at most when a boot shows an emulator defect
#                     (scripts/lib/emulator-defects.sh; 1: never again)
# Output: $BUILD_DIR/results/$BASE/<variant>/<env>[@<Xen>]/{console.log,outcome}
set -euo pipefail
# shellcheck source=scripts/lib/common.sh
. "$(dirname "$0")/lib/common.sh"
# shellcheck source=scripts/lib/variants.sh
. "$(dirname "$0")/lib/variants.sh"
# shellcheck source=scripts/lib/envs.sh
. "$(dirname "$0")/lib/envs.sh"
# shellcheck source=scripts/lib/emulator-defects.sh
. "$(dirname "$0")/lib/emulator-defects.sh"
# shellcheck source=scripts/lib/guest-watch.sh
. "$(dirname "$0")/lib/guest-watch.sh"
# shellcheck source=scripts/lib/settings.sh
. "$(dirname "$0")/lib/settings.sh"

# The series has the boot-protocol patches (boot_params.hypervisor_type,
# which kexec_handover checks).
series_declares_hypervisor() {
	variant_has_series "$1" &&
		grep -Eqs '^\+[[:space:]]*__u8[[:space:]]+hypervisor_type;' "$SERIES_DIR"/0*.patch
}

# The checks run in this environment only (envs.sh), less boot_declared
# and kexec_handover on a kernel that has no hypervisor type to check.
extra_tests() {
	local env=$1 variant=$2

	env_extra_tests "$env" | while read -r test; do
		case $test in
		boot_declared | kexec_handover) series_declares_hypervisor "$variant" || continue ;;
		esac
		echo "$test"
	done
}

# The dom0 of a domU environment dumps the state of a domU whose console
# has been quiet for half the time after which the host stops it as hung
# (scripts/guest/dom0-init), so that the dump reaches the host in time.
hang_dump_arg() {
	env_is_domu "$1" || return 0
	printf ' harness_hang_dump=%s' "$((${BOOT_STALL:-$(env_stall_limit "$1")} / 2))"
}

kernel_cmdline() {
	local env=$1 variant=$2

	local extra na

	extra=$(extra_tests "$env" "$variant" | paste -sd, -)
	na=$(env_inapplicable_tests "$env" | paste -sd, -)
	printf '%s panic=-1 quiet harness_env=%s harness_variant=%s harness_base=%s%s%s%s%s%s\n' \
		"$(env_kernel_args "$env")" "$env" "$variant" "$BASE" "${extra:+ harness_extra=$extra}" \
		"${na:+ harness_na=$na}" "${TESTS:+ harness_tests=$TESTS}" "$(hang_dump_arg "$env")" \
		"${KERNEL_ARGS:+ $KERNEL_ARGS}"
}

# The tests the guest must report (any it does not is MISSING): those it
# runs here, less those that cannot apply here, which it does not run.
expected_tests() {
	local env=$1

	runnable_tests "$@" | grep -vxF -f <(env_inapplicable_tests "$env"; echo harness-none) || true
}

runnable_tests() {
	local env=$1 variant=$2

	if [ -n "${TESTS:-}" ]; then
		tr ',' '\n' <<<"$TESTS"
		return
	fi
	echo module_load
	if compgen -G "$LANE_DIR/selftests/*" >/dev/null; then
		(cd "$LANE_DIR/selftests" && printf '%s\n' *)
	fi
	if variant_has_series "$variant" && grep -qs '^CONFIG_.*KUNIT.*=y' "$SERIES_DIR/series.config"; then
		echo kunit
	fi
	echo kernel_log
	extra_tests "$env" "$variant"
	echo env_check
}

# The reason scripts/known-unbootable gives for not booting this cell, if
# it lists it.
unbootable_reason() {
	local base variant env xen reason

	while read -r base variant env reason; do
		case "$base" in "" | \#*) continue ;; esac
		# "<environment>@<Xen version>": only on that Xen
		xen='*'
		if [[ "$env" == *@* ]]; then
			xen=${env#*@}
			env=${env%%@*}
		fi
		# shellcheck disable=SC2254  # the fields are glob patterns
		case "$BASE" in $base) ;; *) continue ;; esac
		# shellcheck disable=SC2254
		case "$1" in $variant) ;; *) continue ;; esac
		# shellcheck disable=SC2254
		case "$2" in $env) ;; *) continue ;; esac
		# shellcheck disable=SC2254
		case "$XEN" in $xen) ;; *) continue ;; esac
		printf '%s\n' "$reason"
		return
	done <"$REPO_DIR/scripts/known-unbootable"
}

# Record a cell that is not booted; report.py shows its tests as SKIP.
skip_boot() {
	local reason=$1

	note "boot $BASE/$variant in $env: not booted ($reason; FORCE_BOOT=1 boots it)"
	echo skipped >"$out/outcome"
	printf '%s\n' "$reason" >"$out/skipped"
	: >"$out/console.log"
	python3 "$REPO_DIR/scripts/report.py" guest "$out"
}

# Results the host judges, in the guest's line format.
host_checks() {
	local rc=0

	env_check "$1" "$2" >"$out/env_check.tap" || rc=$?
	sed 's/^/@@T env_check: /' "$out/env_check.tap"
	echo "@@TEST env_check rc=$rc secs=0"
}

stop_guest() {
	local pid=$1

	kill "$pid" 2>/dev/null || true
	wait "$pid" 2>/dev/null || true
}

# record_cpu_state SOCKET LOG: where the vCPUs of a hung guest are, in
# LOG.cpus, asked of QEMU's monitor before the guest is stopped, with
# symbols from the kernel's System.map: what a hang is, or that QEMU
# itself stopped answering, is then on record (docs/verdicts.md).
record_cpu_state() {
	local map

	map=$(dirname "$kernel")/System.map
	python3 "$REPO_DIR/scripts/guest-cpu-state.py" "$1" "$map" >"$2.cpus" 2>&1 || true
	note "where the hung guest's vCPUs were, as QEMU's monitor saw them (kept beside its console, as .cpus):"
	grep '^vCPU \|QEMU' "$2.cpus" | sed 's/^/    /' || true
}

# boot_once LOG CMD...: run the guest; its outcome goes to $out/outcome.
# The watcher runs in the background and is waited for with "wait", which
# a signal interrupts at once (a command substitution would hold off the
# trap until the guest ended).  The guest's monitor listens on a socket
# in a directory of its own under TMPDIR (a socket's path is limited to
# 107 bytes, which $out may exceed).
boot_once() {
	local log=$1 pid watcher
	shift

	rm -f "$log.timeout" "$log.silence" "$log.cpus" "$out/outcome"
	monitor_dir=$(mktemp -d "${TMPDIR:-/tmp}/guest-monitor.XXXXXX")
	"$@" -monitor "unix:$monitor_dir/sock,server=on,wait=off" </dev/null >"$log" 2>&1 &
	pid=$!
	echo "$pid" >"$out/qemu.pid"
	watch_guest "$pid" "$log" "${BOOT_STALL:-$(env_stall_limit "$env")}" \
		"${BOOT_TIMEOUT:-$(env_time_limit "$env")}" >"$out/outcome.tmp" &
	watcher=$!
	echo "$watcher" >"$out/watch.pid"
	wait "$watcher" || true
	if [ "$(cat "$out/outcome.tmp")" = timeout ]; then
		record_cpu_state "$monitor_dir/sock" "$log"
	fi
	stop_guest "$pid"
	rm -rf "$monitor_dir"
	rm -f "$out/qemu.pid" "$out/watch.pid"
	mv "$out/outcome.tmp" "$out/outcome"
}

# On Ctrl-C or a signal: stop QEMU (a background process of a script
# ignores SIGINT, so it would run on), and mark the cell interrupted
# rather than leave it half written.
interrupted() {
	trap - INT TERM HUP
	if [ -f "$out/watch.pid" ]; then
		kill "$(cat "$out/watch.pid")" 2>/dev/null || true
	fi
	if [ -f "$out/qemu.pid" ]; then
		stop_guest "$(cat "$out/qemu.pid")"
	fi
	rm -rf "${monitor_dir:-}"
	rm -f "$out/qemu.pid" "$out/watch.pid" "$out/outcome.tmp"
	echo interrupted >"$out/outcome"
	warn "boot $BASE/$variant in $env interrupted; the cell says so"
	python3 "$REPO_DIR/scripts/report.py" guest "$out" >/dev/null 2>&1 || true
	exit 130
}

# keep_watch_notes LOG NAME: keep what the watcher noted about the boot
# whose console is LOG, as NAME.timeout, NAME.silence and NAME.cpus in
# $out.
keep_watch_notes() {
	local what

	for what in timeout silence cpus; do
		if [ -f "$1.$what" ]; then
			mv "$1.$what" "$out/$2.$what"
		fi
	done
}

main() {
	local env=${1:-} variant=${2:-patched} kernel initrd out log outcome reason
	local boots why
	local -a cmd files
	local start=$SECONDS

	case "$env" in -h | --help) usage && exit 0 ;; esac
	check_settings
	env_known "$env" || die "unknown environment '$env' (known: ${ALL_ENVS[*]})"
	check_variant "$variant"
	variant_boots_in "$variant" "$env" || die "the $variant kernel does not boot in $env (see scripts/lib/variants.sh)"
	mapfile -t files < <(env_boot_files "$env" "$variant")
	kernel=${KERNEL:-${files[0]}}
	initrd=${INITRD:-${files[1]}}
	[ -r "$kernel" ] || die "no kernel at $kernel (build it: make build)"
	[ -r "$initrd" ] || die "no initramfs at $initrd (build it: make build)"
	command -v qemu-system-x86_64 >/dev/null ||
		die "qemu-system-x86_64 not found; scripts/install-deps.sh installs qemu-system-x86"
	[ "$env" = native ] || ensure_xen_elf
	out=${OUT:-$BUILD_DIR/results/$BASE/$variant/$(cell_name "$env")}
	rm -rf "$out"
	mkdir -p "$out"
	trap interrupted INT TERM HUP
	log=$out/console.log
	mapfile -t cmd < <(env_qemu_cmd "$env" "$kernel" "$initrd" "$(kernel_cmdline "$env" "$variant")")
	expected_tests "$env" "$variant" >"$out/expected"
	printf '%q ' "${cmd[@]}" >"$out/command"
	echo >>"$out/command"
	reason=$(unbootable_reason "$variant" "$env")
	if [ -n "$reason" ] && [ "${FORCE_BOOT:-0}" != 1 ]; then
		skip_boot "$reason"
		return
	fi
	note "boot $BASE/$variant in $(where_booted "$env") (console: $log)"
	boot_once "$log" "${cmd[@]}"
	outcome=$(cat "$out/outcome")
	boots=1
	while [ "$boots" -lt "$MAX_BOOTS" ] && why=$(emulator_flake "$outcome" "$log"); do
		mv "$log" "$out/console.boot$boots.log"
		keep_watch_notes "$log" "console.boot$boots"
		warn "$env: boot $boots: $why; booting again (its console: $out/console.boot$boots.log)"
		echo "boot $boots: $why (console.boot$boots.log)" >>"$out/retried"
		boots=$((boots + 1))
		boot_once "$log" "${cmd[@]}"
	outcome=$(cat "$out/outcome")
	done
	keep_watch_notes "$log" console
	host_checks "$env" "$log" >"$out/host.log"
	note "boot $BASE/$variant in $env: $outcome after $((SECONDS - start))s"
	timing_record "boot $BASE/$variant $env" $((SECONDS - start))
	python3 "$REPO_DIR/scripts/report.py" guest "$out"
}

main "$@"
