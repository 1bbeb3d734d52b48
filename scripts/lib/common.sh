#!/usr/bin/env bash
# Shared helpers for the harness scripts: paths, messages, logged steps.
# Sourced, never run.

# shellcheck disable=SC2034  # variables are used by the scripts that source us
REPO_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
# Trees, builds and results live outside the repository, in a cache that
# later runs (and other clones) reuse: every build is keyed by what went in.
BUILD_DIR=${BUILD_DIR:-${XDG_CACHE_HOME:-${HOME:-/tmp}/.cache}/x86-xen-iopl-series}
mkdir -p "$BUILD_DIR"
BUILD_DIR=$(cd -P "$BUILD_DIR" && pwd)
# The kernel bases, the primary one (the default) first; each has its
# series in patches/<base>/.
KNOWN_BASES=(7.3 6.12 6.1)
BASE=${BASE:-${KNOWN_BASES[0]}}
LANE_DIR=$BUILD_DIR/$BASE
SERIES_DIR=${SERIES_DIR:-$REPO_DIR/patches/$BASE}

msg() {
	printf '==> %s\n' "$*"
}

note() {
	printf '    %s\n' "$*"
}

warn() {
	printf 'warning: %s\n' "$*" >&2
}

die() {
	printf 'error: %s\n' "$*" >&2
	exit 1
}

# usage: the header comment of the running script, which says what it does
# and which settings it takes
usage() {
	sed -n '2,/^[^#]/{/^#/!q;s/^# \{0,1\}//;p}' "$0"
}

# no_arguments "$@": --help prints the usage; any other argument is an
# error (settings are variables)
no_arguments() {
	case "${1:-}" in
	"") return 0 ;;
	-h | --help)
		usage
		exit 0
		;;
	esac
	die "unknown argument '$1' (settings are variables; $0 --help lists them)"
}

check_base() {
	in_list "$BASE" "${KNOWN_BASES[@]}" || die "unknown base '$BASE' (known: ${KNOWN_BASES[*]})"
	[ -d "$SERIES_DIR" ] || die "no series for base $BASE in $SERIES_DIR"
}

# The Debian suite from which scripts/fetch-linux-source.sh fetches
# linux-source-<base> without installing it (Debian 12 does not have that
# kernel); nothing for the bases that Debian 12 (bookworm) ships, whose
# package scripts/install-deps.sh installs.
base_source_suite() {
	case "$1" in
	7.3) echo trixie-backports ;;
	esac
}

# base_tarball BASE: where Debian's source tarball of a base is, for
# scripts/prepare-tree.sh to unpack: in /usr/src where the installed
# package put it, or in the build directory where
# scripts/fetch-linux-source.sh put it.
base_tarball() {
	if [ -n "$(base_source_suite "$1")" ]; then
		printf '%s\n' "$BUILD_DIR/sources/linux-source-$1.tar.xz"
	else
		printf '/usr/src/linux-source-%s.tar.xz\n' "$1"
	fi
}

# Print the last lines of a log, indented, to explain a failure.
show_log_tail() {
	local log=$1 lines=${2:-40}

	printf '    --- last %s lines of %s ---\n' "$lines" "$log" >&2
	tail -n "$lines" "$log" | sed 's/^/    | /' >&2
	printf '    --- end of %s ---\n' "$log" >&2
}

# Print a line every 30 seconds while a long step runs.
progress_ticker() {
	local what=$1 log=$2 start=$SECONDS

	while sleep 30; do
		printf '    ... %s: %dm%02ds, log %s (%s lines)\n' "$what" \
			$(((SECONDS - start) / 60)) $(((SECONDS - start) % 60)) \
			"$log" "$(wc -l <"$log" 2>/dev/null || echo 0)"
	done
}

# run_logged LOG WHAT CMD...: run CMD with its output in LOG, show
# progress, and on failure show the end of LOG and stop.
run_logged() {
	local log=$1 what=$2 start=$SECONDS ticker rc=0
	shift 2

	mkdir -p "$(dirname "$log")"
	note "$what (log: $log)"
	progress_ticker "$what" "$log" &
	ticker=$!
	# In the background, so that "set -e" still holds inside a function.
	"$@" >"$log" 2>&1 &
	wait $! || rc=$?
	kill "$ticker" 2>/dev/null
	wait "$ticker" 2>/dev/null || true
	if [ "$rc" -ne 0 ]; then
		printf 'error: %s failed (exit %s) after %ds\n' "$what" "$rc" \
			$((SECONDS - start)) >&2
		show_log_tail "$log"
		exit 1
	fi
	note "$what: done in $((SECONDS - start))s"
	timing_record "$what" $((SECONDS - start))
}

# Wall time of each step, collected for the final summary.
timing_record() {
	mkdir -p "$BUILD_DIR"
	printf '%s\t%s\n' "$2" "$1" >>"$BUILD_DIR/timings.tsv"
}

# in_list WORD ITEM...: whether WORD is one of the ITEMs
in_list() {
	local word=$1 item
	shift
	for item in "$@"; do
		[ "$item" = "$word" ] && return 0
	done
	return 1
}

# The patches of a series, in order, without the cover letter.
series_patches() {
	find "$SERIES_DIR" -maxdepth 1 -name '[0-9][0-9][0-9][0-9]-*.patch' \
		! -name '0000-*' | sort
}

# The short hash by which the worktree and the per-patch build record a
# patch.
patch_hash() {
	sha256sum <"$1" | cut -c1-16
}
