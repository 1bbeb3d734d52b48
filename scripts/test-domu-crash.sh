#!/usr/bin/env bash
# The harness's check that a domU which crashes is reported CRASH, not
# PASS: boot the patched kernel as a PV domU told to crash (harness_crash=1:
# its init exits after reporting that it started, and Linux panics), and
# require that boot-guest.sh judged the boot a crash and that the dom0 saw
# Xen keep the domU crashed (on_crash="preserve").  Its results are kept
# apart from the matrix, in $BUILD_DIR/crash-check/.
#
# Usage: BASE=7.3|6.12|6.1 scripts/test-domu-crash.sh
set -euo pipefail
# shellcheck source=scripts/lib/common.sh
. "$(dirname "$0")/lib/common.sh"

ENV=xen-domu-pv

main() {
	local out=$BUILD_DIR/crash-check/$BASE/$ENV outcome rc=0

	check_base
	msg "check: a crashing $ENV domU is reported CRASH"
	OUT=$out TESTS=module_load KERNEL_ARGS=harness_crash=1 \
		"$(dirname "$0")/boot-guest.sh" "$ENV" patched >"$BUILD_DIR/crash-check.log" 2>&1 || true
	outcome=$(cat "$out/outcome" 2>/dev/null || echo none)
	if [ "$outcome" = crash ]; then
		note "ok: the boot's outcome is crash"
	else
		note "FAIL: the boot's outcome is '$outcome', not crash (log: $BUILD_DIR/crash-check.log)"
		rc=1
	fi
	if grep -aqE '^dom0: domU [^ ]+ crashed' "$out/console.log" 2>/dev/null; then
		note "ok: the dom0 reported the domU crashed"
	else
		note "FAIL: the dom0 did not report the domU crashed (console: $out/console.log)"
		rc=1
	fi
	[ "$rc" = 0 ] || show_log_tail "$out/console.log" 20
	return "$rc"
}

main "$@"
