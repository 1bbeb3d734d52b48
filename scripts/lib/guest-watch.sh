#!/usr/bin/env bash
# Sourced by scripts/boot-guest.sh, and tested by scripts/test-harness.sh.
#
# How a running guest is judged from its console: finished once the init
# says "@@HARNESS END", a crash on a panic (or QEMU gone before the end),
# and hung when its console stops growing for BOOT_STALL seconds.  A hang
# is the absence of progress, not a slow guest: on a host whose cores are
# shared with other work a guest may take several times as long as on an
# idle one, and it still prints every 30 s while a test runs (the init
# says so, and stops a test that hangs at a timeout of its own, in the
# guest's time).  BOOT_TIMEOUT is only a backstop, for a guest that
# prints without end (a warning in a loop).

# shellcheck disable=SC2034  # END_MARK is read by scripts/boot-guest.sh
END_MARK='@@HARNESS END'
# The dom0 of the domU environments reports a domU it saw crash, or one
# that xl could not create (scripts/guest/dom0-init).
PANIC_RE='Kernel panic - not syncing|Panic on CPU|\(XEN\) \*\*\*\* Panic|Fatal exception|Domain 0 crashed|^dom0: (domU [^ ]+ crashed|xl create failed)'
# How often the console is looked at, in seconds.
WATCH_INTERVAL=${WATCH_INTERVAL:-1}
# How often "still booting" is said, in seconds.
WATCH_NOTE_EVERY=${WATCH_NOTE_EVERY:-30}

# Let the console show how the crash ended: a few seconds for the panic
# message, and in a domU environment until the dom0 has said what became
# of the domU (at most 30 s).  $env is the environment being booted.
settle_after_crash() {
	local i

	sleep 3
	case "${env:-}" in xen-domu-*) ;; *) return 0 ;; esac
	for ((i = 0; i < 27; i++)); do
		grep -aqE '^dom0: (domU [^ ]+ (crashed|is gone)|xl create failed)' "$1" && return
		sleep 1
	done
}

# file_size FILE: its size in bytes, 0 while it does not exist
file_size() {
	stat -c %s "$1" 2>/dev/null || echo 0
}

# watch_guest PID LOG STALL TOTAL: print the outcome (finished, crash or
# timeout) once the guest is done.  A timeout says why on stderr and in
# LOG.timeout; LOG.silence holds the longest the console was quiet, in
# seconds, for the limits to be set from what guests do.
watch_guest() {
	local pid=$1 log=$2 stall=$3 total=$4
	local start=$SECONDS next=$WATCH_NOTE_EVERY size=0 now_size last=$SECONDS longest=0

	while kill -0 "$pid" 2>/dev/null; do
		if grep -qF "$END_MARK" "$log"; then
			sleep 1
			echo finished
			return
		fi
		if grep -qE "$PANIC_RE" "$log"; then
			settle_after_crash "$log"
			echo crash
			return
		fi
		now_size=$(file_size "$log")
		if [ "$now_size" != "$size" ]; then
			size=$now_size
			last=$SECONDS
		fi
		if [ $((SECONDS - last)) -gt "$longest" ]; then
			longest=$((SECONDS - last))
			echo "$longest" >"$log.silence"
		fi
		if [ $((SECONDS - last)) -ge "$stall" ]; then
			watch_timeout "$log" "no console output for ${stall}s (BOOT_STALL), $((SECONDS - start))s after the start"
			return
		fi
		if [ $((SECONDS - start)) -ge "$total" ]; then
			watch_timeout "$log" "still running after ${total}s (BOOT_TIMEOUT), console quiet for $((SECONDS - last))s"
			return
		fi
		if [ $((SECONDS - start)) -ge "$next" ]; then
			printf '    ... still booting: %ss, console %s (%s bytes, last output %ss ago)\n' \
				$((SECONDS - start)) "$log" "$size" $((SECONDS - last)) >&2
			next=$((next + WATCH_NOTE_EVERY))
		fi
		sleep "$WATCH_INTERVAL"
	done
	if grep -qF "$END_MARK" "$log"; then
		echo finished
	else
		echo crash
	fi
}

# watch_timeout LOG WHY: report a hung guest
watch_timeout() {
	printf '%s\n' "$2" >"$1.timeout"
	printf 'warning: the guest is hung: %s\n' "$2" >&2
	echo timeout
}
