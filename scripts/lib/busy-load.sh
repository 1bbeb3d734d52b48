#!/usr/bin/env bash
# The CPU-bound processes that keep a host busy while guests boot
# (BUSY=n of scripts/flake-rates.sh and scripts/suspend-rate.sh).

HOGS=()

# start_hogs N: start N processes that spin; stop_hogs ends them
start_hogs() {
	local i

	for ((i = 0; i < $1; i++)); do
		bash -c 'while :; do :; done' &
		HOGS+=("$!")
	done
}

stop_hogs() {
	[ "${#HOGS[@]}" = 0 ] || kill "${HOGS[@]}" 2>/dev/null || true
}
