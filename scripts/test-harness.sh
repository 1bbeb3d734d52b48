#!/usr/bin/env bash
# Tests of the harness itself, fast and without a kernel build: the result
# classification of scripts/report.py on made-up consoles, which consoles
# show a defect of the emulator (a boot to repeat), the clear error (and
# nothing changed) on each kind of bad input, and the known bases, with
# the 7.3 source fetched (by stand-ins for apt-get and dpkg-deb) to where
# the tree is made from.
#
# Usage: scripts/test-harness.sh
set -euo pipefail
# shellcheck source=scripts/lib/common.sh
. "$(dirname "$0")/lib/common.sh"

SCRATCH=$(mktemp -d)
trap 'rm -rf "$SCRATCH"' EXIT
passed=0
failed=0

ok() {
	passed=$((passed + 1))
	printf 'ok %d - %s\n' $((passed + failed)) "$1"
}

not_ok() {
	failed=$((failed + 1))
	printf 'not ok %d - %s\n' $((passed + failed)) "$1"
}

# fake_guest DIR OUTCOME EXPECTED CONSOLE: a boot as boot-guest.sh leaves it
fake_guest() {
	mkdir -p "$1"
	printf '%s\n' "$2" >"$1/outcome"
	tr ' ' '\n' <<<"$3" >"$1/expected"
	printf '%b' "$4" >"$1/console.log"
}

# expect_status DIR TEST STATUS: the guest in DIR reports TEST as STATUS
expect_status() {
	local got case=${1##*/}
	python3 "$REPO_DIR/scripts/report.py" guest "$1" >/dev/null || true
	got=$(python3 -c 'import json,sys; r=json.load(open(sys.argv[1]))["results"]
print(next((x["status"] for x in r if x["test"] == sys.argv[2]), "ABSENT"))' "$1/results.json" "$2")
	if [ "$got" = "$3" ]; then
		ok "report, $case: $2 is $3"
	else
		not_ok "report, $case: $2 is $3 (got $got)"
	fi
}

# The copy of the unpatched build that scripts/build-each-patch.sh starts
# from: whole paths are rewritten, in text and symlinks, and nothing else.
# shellcheck disable=SC2016  # make syntax in the made-up .cmd file
test_relocate() {
	local d=$SCRATCH/relocate

	# shellcheck source=scripts/lib/relocate-build.sh
	. "$REPO_DIR/scripts/lib/relocate-build.sh"
	mkdir -p "$d/obj"
	printf '%s\n' 'cmd := gcc -I/x/src/include -o a.o /x/src/a.c' \
		'ifneq "$(srctree)" "/x/src"' 'srctree := /x/src' '/x/srcfoo/b.c' >"$d/obj/.a.o.cmd"
	ln -s /x/src "$d/obj/source"
	ln -s /x/srcfoo/c "$d/obj/other"
	rewrite_paths "$d/obj" /x/src /x/tree
	if [ "$(cat "$d/obj/.a.o.cmd")" = "$(printf '%s\n' 'cmd := gcc -I/x/tree/include -o a.o /x/tree/a.c' \
		'ifneq "$(srctree)" "/x/tree"' 'srctree := /x/tree' '/x/srcfoo/b.c')" ]; then
		ok "relocate: whole paths in a .cmd file are rewritten, longer names kept"
	else
		not_ok "relocate: whole paths in a .cmd file are rewritten, longer names kept"
		sed 's/^/# /' "$d/obj/.a.o.cmd"
	fi
	if [ "$(readlink "$d/obj/source")" = /x/tree ] && [ "$(readlink "$d/obj/other")" = /x/srcfoo/c ]; then
		ok "relocate: a symlink to the tree is moved, one to a longer name is not"
	else
		not_ok "relocate: a symlink to the tree is moved, one to a longer name is not"
	fi
}

test_report() {
	local d=$SCRATCH/results/6.12/patched
	local pass='@@T a: TAP version 13\n@@T a: 1..1\n@@T a: ok 1 x\n@@TEST a rc=0 secs=1\n'

	fake_guest "$d/pass" finished "a" "$pass@@HARNESS END rc=0\n"
	expect_status "$d/pass" a PASS
	fake_guest "$d/fail" finished "a" '@@T a: 1..2\n@@T a: ok 1 x\n@@T a: not ok 2 y\n@@TEST a rc=1 secs=1\n'
	expect_status "$d/fail" a FAIL
	fake_guest "$d/lie" finished "a" '@@T a: 1..1\n@@T a: not ok 1 y\n@@TEST a rc=0 secs=1\n'
	expect_status "$d/lie" a FAIL
	fake_guest "$d/short" finished "a" '@@T a: 1..3\n@@T a: ok 1 y\n@@TEST a rc=0 secs=1\n'
	expect_status "$d/short" a FAIL
	fake_guest "$d/skip" finished "a" '@@T a: 1..0 # SKIP no rights\n@@TEST a rc=4 secs=0\n'
	expect_status "$d/skip" a SKIP
	fake_guest "$d/missing" finished "a b" "$pass@@HARNESS END rc=0\n"
	expect_status "$d/missing" b MISSING
	fake_guest "$d/crash" crash "a b" "${pass}Kernel panic - not syncing: x\n"
	expect_status "$d/crash" b CRASH
	fake_guest "$d/hang" timeout "a b" "$pass"
	expect_status "$d/hang" b TIMEOUT
	fake_guest "$d/todo" finished "a" '@@T a: 1..2\n@@T a: ok 1 x\n@@T a: not ok 2 y # TODO known bug\n@@TEST a rc=0 secs=1\n'
	expect_status "$d/todo" a XFAIL
	fake_guest "$d/spliced" finished "a" '@@T a: 1..2\n@@T a: ok 1 x\n@@T a: o(XEN) uart interrupt taking more than 4ms, switched to polling\r\nk 2 y\n@@TEST a rc=0 secs=1\n'
	expect_status "$d/spliced" a PASS
	fake_guest "$d/dom0-spliced" finished "a" '@@T a: 1..2\n@@T a: ok 1 x\n@@T a: ok dom0: event 3 save-restore: start\r\n2 y\n@@TEST a rc=0 secs=1\n'
	expect_status "$d/dom0-spliced" a PASS
	fake_guest "$d/dump-spliced" finished "a" '@@T a: 1..2\n@@T a: ok 1 x\n@@T a: odom0: domU domu-hvm: console quiet for 150 s; its vCPUs and console relay:\r\ndom0:   domu-hvm 3 0 1 -b- 12.0 1\r\nk 2 y\n@@TEST a rc=0 secs=1\n'
	expect_status "$d/dump-spliced" a PASS
	local u=$SCRATCH/results/6.12/unpatched
	fake_guest "$u/xen-pv" finished "save_fl_contract" '@@T save_fl_contract: 1..1\n@@T save_fl_contract: not ok 1 x\n@@TEST save_fl_contract rc=1 secs=1\n'
	expect_status "$u/xen-pv" save_fl_contract XFAIL
	fake_guest "$u/native" finished "save_fl_contract" '@@T save_fl_contract: 1..1\n@@T save_fl_contract: not ok 1 x\n@@TEST save_fl_contract rc=1 secs=1\n'
	expect_status "$u/native" save_fl_contract FAIL
	fake_guest "$d/native" finished "save_fl_contract" '@@T save_fl_contract: 1..1\n@@T save_fl_contract: not ok 1 x\n@@TEST save_fl_contract rc=1 secs=1\n'
	expect_status "$d/native" save_fl_contract FAIL
	rm -rf "$u"
	fake_guest "$d/segv" finished "a" '@@T a: 1..1\n@@TEST a rc=139 secs=1\n'
	expect_status "$d/segv" a CRASH
	fake_guest "$d/killed" finished "a" '@@T a: 1..1\n@@TEST a rc=137 secs=120\n'
	expect_status "$d/killed" a TIMEOUT
	if python3 "$REPO_DIR/scripts/report.py" matrix "$SCRATCH/results" >"$SCRATCH/matrix.out"; then
		not_ok "report: a matrix with FAIL cells exits non-zero"
	else
		ok "report: a matrix with FAIL cells exits non-zero"
	fi
	rm -rf "$d"
	fake_guest "$d/pass" finished "a" "$pass@@HARNESS END rc=0\n"
	python3 "$REPO_DIR/scripts/report.py" guest "$d/pass" >/dev/null
	if python3 "$REPO_DIR/scripts/report.py" matrix "$SCRATCH/results" >"$SCRATCH/matrix.out"; then
		ok "report: an all-PASS matrix exits zero"
	else
		not_ok "report: an all-PASS matrix exits zero"
	fi
	test_repeated_boots "$d" "$pass@@HARNESS END rc=0\n"
	test_matrix_order "$d" "$pass@@HARNESS END rc=0\n"
	test_verdicts "$d" "$pass"
	test_consumers
}

# expect_line WHAT FILE LINE: FILE has LINE, whole
expect_line() {
	if grep -qxF "$3" "$2"; then
		ok "report: $1"
	else
		not_ok "report: $1 (no line '$3' in ${2##*/})"
		sed 's/^/# /' "$2"
	fi
}

# A cell whose boot was repeated says so in the matrix, with why, and the
# run counts repeated boots per environment.
test_repeated_boots() {
	local d=$1 console=$2

	rm -rf "$d"
	fake_guest "$d/native" finished "a" "$console"
	fake_guest "$d/xen-pvh" finished "a" "$console"
	printf '%s\n' "boot 1: ended (crash) before the guest's init reported (console.boot1.log)" \
		"boot 2: emulator defect: Illegal instruction (console.boot2.log)" >"$d/xen-pvh/retried"
	python3 "$REPO_DIR/scripts/report.py" guest "$d/native" >/dev/null
	python3 "$REPO_DIR/scripts/report.py" guest "$d/xen-pvh" >/dev/null
	python3 "$REPO_DIR/scripts/report.py" matrix "$SCRATCH/results" >"$SCRATCH/matrix.out" || true
	if grep -qE '^  boots +1 +3 *$' "$SCRATCH/matrix.out"; then
		ok "report: the matrix shows how many boots each cell took"
	else
		not_ok "report: the matrix shows how many boots each cell took"
		sed 's/^/# /' "$SCRATCH/matrix.out"
	fi
	expect_line "the run counts repeated boots per environment" "$SCRATCH/matrix.out" \
		"repeated boots: 2 (xen-pvh 2)"
	expect_line "the run says why each boot was repeated" "$SCRATCH/matrix.out" \
		"  6.12/patched/xen-pvh: boot 2: emulator defect: Illegal instruction (console.boot2.log)"
	rm -rf "$d"
}

# A skip leaves the verdict of what ran; TAP and JUnit say what a known
# failure and a skip are.
test_verdicts() {
	local d=$1 pass=$2 skip='@@T b: 1..0 # SKIP no rights\n@@TEST b rc=4 secs=0\n'
	local todo='@@T c: 1..1\n@@T c: not ok 1 y # TODO known bug\n@@TEST c rc=0 secs=1\n'

	rm -rf "$d"
	fake_guest "$d/native" finished "a b" "$pass$skip@@S hypervisor  none\n@@J {  \"hypervisor\": \"none\"}\n@@HARNESS END rc=0\n"
	python3 "$REPO_DIR/scripts/report.py" guest "$d/native" >"$SCRATCH/guest.out" || true
	expect_line "a cell of passes and a skip is PASS" "$SCRATCH/guest.out" "    6.12/patched/native: PASS (2 tests)"
	fake_guest "$d/xen-pv" finished "b" "$skip@@HARNESS END rc=0\n"
	python3 "$REPO_DIR/scripts/report.py" guest "$d/xen-pv" >"$SCRATCH/guest.out" || true
	expect_line "a cell of skips only is SKIP" "$SCRATCH/guest.out" "    6.12/patched/xen-pv: SKIP (1 tests)"
	fake_guest "$d/xen-pvh" finished "a c" "$pass$todo@@HARNESS END rc=0\n"
	python3 "$REPO_DIR/scripts/report.py" guest "$d/xen-pvh" >/dev/null || true
	python3 "$REPO_DIR/scripts/report.py" matrix "$SCRATCH/results" >"$SCRATCH/matrix.out" || true
	expect_line "a run of passes, skips and known failures is XFAIL" "$SCRATCH/matrix.out" \
		"verdict: XFAIL (every test that applies passed, but for failures that scripts/known-failures or the test itself explains; results: $SCRATCH/results/summary.json, results.tap, junit.xml)"
	expect_line "TAP: a known failure is not ok with TODO" "$SCRATCH/results/results.tap" \
		"not ok 5 - 6.12/patched/xen-pvh/c # TODO known bug"
	expect_line "TAP: a skip gives its reason once" "$SCRATCH/results/results.tap" \
		"ok 2 - 6.12/patched/native/b # SKIP no rights"
	if python3 -c 'import json, sys; s = json.load(open(sys.argv[1]))["states"]
sys.exit(s != {"6.12/patched/native": {"hypervisor": "none"}})' "$SCRATCH/results/summary.json"; then
		ok "report: summary.json has the module state of each cell that printed one"
	else
		not_ok "report: summary.json has the module state of each cell that printed one"
	fi
	if grep -q '<skipped type="xfail" message="known failure: known bug"/>' "$SCRATCH/results/junit.xml"; then
		ok "report: JUnit shows a known failure as a skip that says so"
	else
		not_ok "report: JUnit shows a known failure as a skip that says so"
	fi
}

# What two consumers make of results.tap and junit.xml: prove (Perl's TAP
# harness) and Debian's python3-junitparser, on a run with a pass, a
# skip, a known failure and a failure.
test_consumers() {
	local r=$SCRATCH/consumers/6.12/patched
	local pass='@@T a: 1..1\n@@T a: ok 1 x\n@@TEST a rc=0 secs=1\n'
	local skip='@@T b: 1..0 # SKIP no rights\n@@TEST b rc=4 secs=0\n'
	local todo='@@T c: 1..1\n@@T c: not ok 1 y # TODO known bug\n@@TEST c rc=0 secs=1\n'

	fake_guest "$r/native" finished "a b c" "$pass$skip$todo@@HARNESS END rc=0\n"
	python3 "$REPO_DIR/scripts/report.py" guest "$r/native" >/dev/null || true
	python3 "$REPO_DIR/scripts/report.py" matrix "$SCRATCH/consumers" >/dev/null || true
	if prove -e cat "$SCRATCH/consumers/results.tap" >"$SCRATCH/prove.out" 2>&1 &&
		! grep -q 'TODO passed' "$SCRATCH/prove.out"; then
		ok "prove: a pass, a skip and a known failure pass, with no TODO passed"
	else
		not_ok "prove: a pass, a skip and a known failure pass, with no TODO passed"
		sed 's/^/# /' "$SCRATCH/prove.out"
	fi
	fake_guest "$r/xen-pv" finished "a" '@@T a: 1..1\n@@T a: not ok 1 x\n@@TEST a rc=1 secs=1\n@@HARNESS END rc=1\n'
	python3 "$REPO_DIR/scripts/report.py" guest "$r/xen-pv" >/dev/null || true
	python3 "$REPO_DIR/scripts/report.py" matrix "$SCRATCH/consumers" >/dev/null || true
	if ! prove -e cat "$SCRATCH/consumers/results.tap" >"$SCRATCH/prove.out" 2>&1 &&
		grep -q 'Failed 1/4 subtests' "$SCRATCH/prove.out"; then
		ok "prove: a failure fails, and only that one"
	else
		not_ok "prove: a failure fails, and only that one"
		sed 's/^/# /' "$SCRATCH/prove.out"
	fi
	expect_junit "$SCRATCH/consumers/junit.xml" \
		"6.12/patched/native a pass;6.12/patched/native b skipped;6.12/patched/native c skipped:xfail;6.12/patched/xen-pv a failure:FAIL"
}

# expect_junit FILE CASES: junitparser reads FILE as the ";"-separated
# "<suite> <test> <result>[:<type>]" CASES
expect_junit() {
	local got

	if ! got=$(/usr/bin/python3 - "$1" <<'EOF_PY' 2>&1
import sys
from junitparser import JUnitXml
cases = []
for suite in JUnitXml.fromfile(sys.argv[1]):
    for case in suite:
        kind = "pass"
        if case.result:
            res = case.result[0]
            kind = res._tag + (":" + res.type if res.type else "")
        cases.append("%s %s %s" % (suite.name, case.name, kind))
print(";".join(cases))
EOF_PY
	); then
		not_ok "JUnit: junitparser reads junit.xml ($got)"
	elif [ "$got" = "$2" ]; then
		ok "JUnit: junitparser reads each pass, failure, skip and known failure as such"
	else
		not_ok "JUnit: junitparser reads each pass, failure, skip and known failure as such (got '$got')"
	fi
}

# The matrix's columns come in the order of ALL_ENVS (scripts/lib/envs.sh),
# not in that of the names.
test_matrix_order() {
	local d=$1 console=$2 env header

	rm -rf "$d"
	for env in xen-domu-hvm xen-pvh native xen-domu-pv; do
		fake_guest "$d/$env" finished "a" "$console"
		python3 "$REPO_DIR/scripts/report.py" guest "$d/$env" >/dev/null
	done
	python3 "$REPO_DIR/scripts/report.py" matrix "$SCRATCH/results" >"$SCRATCH/matrix.out" || true
	header=$(grep -m1 '^  test ' "$SCRATCH/matrix.out" | tr -s ' ') || true
	if [ "$header" = " test native xen-pvh xen-domu-pv xen-domu-hvm " ]; then
		ok "report: the matrix's environments in the harness's order"
	else
		not_ok "report: the matrix's environments in the harness's order (got '$header')"
	fi
	test_lane_order "$console"
	test_xen_lanes "$console"
}

# A kernel booted on two Xen versions has a table for each, the newest Xen
# first, with its native cell in the first; TAP names the Xen of a cell.
test_xen_lanes() {
	local r=$SCRATCH/xen-lanes cell got

	for cell in native xen-pv@4.17 xen-pv@4.20 xen-pvh@4.20; do
		fake_guest "$r/7.3/patched/$cell" finished "a" "$1@@HARNESS END rc=0\n"
		python3 "$REPO_DIR/scripts/report.py" guest "$r/7.3/patched/$cell" >/dev/null
	done
	python3 "$REPO_DIR/scripts/report.py" matrix "$r" >"$SCRATCH/matrix.out" || true
	got=$(grep -E '^Linux |^  test ' "$SCRATCH/matrix.out" | tr -s ' ' | tr '\n' '|')
	if [ "$got" = "Linux 7.3, patched, Xen 4.20:| test native xen-pv xen-pvh |Linux 7.3, patched, Xen 4.17:| test xen-pv |" ]; then
		ok "report: a table per Xen version, the newest first, native in the first"
	else
		not_ok "report: a table per Xen version, the newest first, native in the first (got '$got')"
	fi
	expect_line "TAP names the Xen version of a cell" "$r/results.tap" "ok 2 - 7.3/patched/xen-pv@4.17/a"
}

# Matrices come in the order the lanes boot (7.3 first, unpatched before
# patched), and a test keeps its row in each.
test_lane_order() {
	local r=$SCRATCH/lanes lane got
	local two='@@T b: 1..1\n@@T b: ok 1 x\n@@TEST b rc=0 secs=1\n'

	for lane in 6.12/patched 7.3/patched 7.3/unpatched; do
		fake_guest "$r/$lane/native" finished "a b" "$1$two@@HARNESS END rc=0\n"
		python3 "$REPO_DIR/scripts/report.py" guest "$r/$lane/native" >/dev/null
	done
	fake_guest "$r/6.1/patched/native" finished "b a" "$two$1@@HARNESS END rc=0\n"
	python3 "$REPO_DIR/scripts/report.py" guest "$r/6.1/patched/native" >/dev/null
	python3 "$REPO_DIR/scripts/report.py" matrix "$r" >"$SCRATCH/matrix.out" || true
	got=$(grep -E '^Linux |^  [ab] ' "$SCRATCH/matrix.out" | awk '{ printf "%s%s ", $1, ($1 == "Linux" ? $2 $3 : "") }')
	if [ "$got" = "Linux7.3,unpatched: a b Linux7.3,patched: a b Linux6.12,patched: a b Linux6.1,patched: a b " ]; then
		ok "report: matrices in the order the lanes boot, each test in its row"
	else
		not_ok "report: matrices in the order the lanes boot, each test in its row (got '$got')"
	fi
}

# expect_error DESCRIPTION PATTERN CMD...: CMD fails and says PATTERN
expect_error() {
	local what=$1 pattern=$2 rc=0
	shift 2

	"$@" >"$SCRATCH/out" 2>&1 || rc=$?
	if [ "$rc" -ne 0 ] && grep -qE "$pattern" "$SCRATCH/out"; then
		ok "bad input: $what"
	else
		not_ok "bad input: $what (exit $rc)"
		sed 's/^/# /' "$SCRATCH/out"
	fi
}

# A tiny git tree that passes for Linux $1.$2.
fake_kernel_tree() {
	local dir=$1
	mkdir -p "$dir/arch/x86"
	printf 'VERSION = %s\nPATCHLEVEL = %s\nSUBLEVEL = 0\n' "$2" "$3" >"$dir/Makefile"
	printf 'one\ntwo\nthree\n' >"$dir/arch/x86/file.c"
	git -C "$dir" init -q
	git -C "$dir" add -A
	git -C "$dir" -c user.name=t -c user.email=t@localhost commit -q -m base
}

# A series of one good patch and one that does not apply.
fake_series() {
	local dir=$1 tree=$2 work=$1-work
	mkdir -p "$dir"
	git clone -q "$tree" "$work"
	sed -i 's/two/2/' "$work/arch/x86/file.c"
	git -C "$work" -c user.name=t -c user.email=t@localhost commit -q -am "good"
	sed -i 's/three/3/' "$work/arch/x86/file.c"
	git -C "$work" -c user.name=t -c user.email=t@localhost commit -q -am "bad"
	git -C "$work" format-patch -q -o "$dir" HEAD~2
	sed -i 's/^-three/-seven/' "$dir"/0002-*.patch
}

# Every setting is checked before any work: nothing is built, and the
# timings of the last run are kept.
test_settings() {
	local b=$1 script
	local -a env=(env BUILD_DIR="$1")

	mkdir -p "$b"
	echo "1	kept" >"$b/timings.tsv"
	for script in run.sh check.sh; do
		expect_error "$script: unknown environment in ENVS" "unknown environment 'xenpv' \(known: native " \
			"${env[@]}" ENVS="native xenpv" "$REPO_DIR/scripts/$script"
		expect_error "$script: unknown test in TESTS" "unknown test 'iopl_level' \(known: .*iopl_levels" \
			"${env[@]}" TESTS=kernel_log,iopl_level "$REPO_DIR/scripts/$script"
		expect_error "$script: unknown variant" "unknown kernel variant 'patchd'" \
			"${env[@]}" VARIANTS=patchd "$REPO_DIR/scripts/$script"
		expect_error "$script: BOOT_JOBS not a number" "BOOT_JOBS=0: not a positive number" \
			"${env[@]}" BOOT_JOBS=0 "$REPO_DIR/scripts/$script"
	done
	expect_error "check.sh: unknown base in BASES" "unknown base '6.6'" \
		"${env[@]}" BASES="7.3 6.6" "$REPO_DIR/scripts/check.sh"
	if [ "$(cat "$b/timings.tsv")" = "1	kept" ] && [ -z "$(find "$b" -mindepth 1 ! -name timings.tsv)" ]; then
		ok "bad input: refused settings leave the build directory as it was"
	else
		not_ok "bad input: refused settings leave the build directory as it was"
	fi
	for script in run.sh check.sh run-matrix.sh build.sh boot-guest.sh; do
		if "$REPO_DIR/scripts/$script" --help >"$SCRATCH/out" 2>&1 && grep -q 'ENVS\|ENV:' "$SCRATCH/out"; then
			ok "$script --help prints its settings"
		else
			not_ok "$script --help prints its settings"
		fi
	done
	expect_error "make boot refuses ENVS=" "make boot boots one cell" \
		make -s -n -C "$REPO_DIR" boot ENVS=xen-pv
	expect_error "make matrix refuses ENV=" "make matrix takes ENVS= and VARIANTS=" \
		make -s -n -C "$REPO_DIR" matrix ENV=xen-pv
	expect_error "make run refuses VARIANT=" "make run takes ENVS= and VARIANTS=" \
		make -s -n -C "$REPO_DIR" run VARIANT=unpatched
	"$REPO_DIR/scripts/run.sh" --help >"$SCRATCH/out"
	if grep -q 'TESTS=' "$SCRATCH/out" && grep -q 'BOOT_JOBS=' "$SCRATCH/out" &&
		grep -q 'BOOT_TIMEOUT=' "$SCRATCH/out" && grep -q 'CCACHE=' "$SCRATCH/out" &&
		grep -q 'BUILD_DIR=' "$SCRATCH/out"; then
		ok "run.sh --help names TESTS, BOOT_JOBS, BOOT_TIMEOUT, CCACHE and BUILD_DIR"
	else
		not_ok "run.sh --help names TESTS, BOOT_JOBS, BOOT_TIMEOUT, CCACHE and BUILD_DIR"
	fi
}

test_bad_input() {
	local b=$SCRATCH/build tree=$SCRATCH/linux head
	local -a env=(env BUILD_DIR="$b" BASE=6.12)

	expect_error "unknown environment" "unknown environment 'nowhere'" \
		"${env[@]}" "$REPO_DIR/scripts/boot-guest.sh" nowhere
	expect_error "unknown base" "unknown base '5.4'" \
		env BUILD_DIR="$b" BASE=5.4 "$REPO_DIR/scripts/prepare-tree.sh"
	expect_error "unknown option" "unknown argument" "$REPO_DIR/scripts/run.sh" --fast
	expect_error "unknown Xen version" "unknown XEN='4.2' \\(known: 4\\.17 4\\.20\\)" \
		"${env[@]}" XEN=4.2 "$REPO_DIR/scripts/boot-guest.sh" xen-pv
	expect_error "fetch-xen.sh: unknown version" "unknown Xen '4.19'" \
		env BUILD_DIR="$b" "$REPO_DIR/scripts/fetch-xen.sh" 4.19
	expect_error "build-configs.sh: unknown configuration" \
		"no configuration 'no-xen' \\(known: i386 no-guest no-paravirt\\)" \
		"${env[@]}" CONFIGS="no-guest no-xen" "$REPO_DIR/scripts/build-configs.sh"
	test_settings "$b"
	expect_error "missing KSRC" "does not exist" \
		"${env[@]}" KSRC="$SCRATCH/none" "$REPO_DIR/scripts/prepare-tree.sh"
	mkdir -p "$SCRATCH/empty"
	expect_error "KSRC that is not a kernel" "not a readable kernel tree" \
		"${env[@]}" KSRC="$SCRATCH/empty" "$REPO_DIR/scripts/prepare-tree.sh"
	fake_kernel_tree "$SCRATCH/old" 5 10
	expect_error "KSRC of the wrong version" "is Linux 5.10, but the series .* is for 6.12" \
		"${env[@]}" KSRC="$SCRATCH/old" "$REPO_DIR/scripts/prepare-tree.sh"
	fake_kernel_tree "$tree" 6 12
	echo dirt >>"$tree/arch/x86/file.c"
	expect_error "dirty KSRC" "uncommitted changes" \
		"${env[@]}" KSRC="$tree" "$REPO_DIR/scripts/prepare-tree.sh"
	git -C "$tree" checkout -q -- .
	head=$(git -C "$tree" rev-parse HEAD)
	fake_series "$SCRATCH/series" "$tree"
	expect_error "series that does not apply" "0002-bad.patch does not apply" \
		"${env[@]}" KSRC="$tree" SERIES_DIR="$SCRATCH/series" "$REPO_DIR/scripts/apply-series.sh"
	if [ "$(git -C "$b/6.12/tree-patched" rev-parse HEAD)" = "$(git -C "$b/6.12/src" rev-parse base)" ] &&
		[ -z "$(git -C "$b/6.12/tree-patched" status --porcelain)" ]; then
		ok "bad input: nothing stays applied after a failed series"
	else
		not_ok "bad input: nothing stays applied after a failed series"
	fi
	if [ "$(git -C "$tree" rev-parse HEAD)" = "$head" ] && [ -z "$(git -C "$tree" status --porcelain)" ]; then
		ok "bad input: the user's tree is unchanged"
	else
		not_ok "bad input: the user's tree is unchanged"
	fi
}

# Appending a patch to a series applies only that patch: the commits of
# the earlier ones stay, so their files keep their build.
test_incremental_apply() {
	local b=$SCRATCH/build-inc tree=$SCRATCH/linux-inc series=$SCRATCH/series-inc first
	local -a env=(env BUILD_DIR="$b" BASE=6.12 KSRC="$tree" SERIES_DIR="$series")

	fake_kernel_tree "$tree" 6 12
	fake_series "$series" "$tree"
	rm "$series"/0002-*.patch
	"${env[@]}" "$REPO_DIR/scripts/apply-series.sh" >/dev/null
	first=$(git -C "$b/6.12/tree-patched" rev-parse HEAD)
	git clone -q "$series-work" "$SCRATCH/inc-work"
	git -C "$SCRATCH/inc-work" reset -q --hard HEAD~1
	sed -i 's/one/1/' "$SCRATCH/inc-work/arch/x86/file.c"
	git -C "$SCRATCH/inc-work" -c user.name=t -c user.email=t@localhost commit -q -am "more"
	git -C "$SCRATCH/inc-work" format-patch -q --start-number 2 -o "$series" HEAD~1
	if "${env[@]}" "$REPO_DIR/scripts/apply-series.sh" >"$SCRATCH/out" 2>&1 &&
		[ "$(git -C "$b/6.12/tree-patched" rev-parse HEAD~1)" = "$first" ]; then
		ok "apply: a patch appended to the series is applied on top of the kept ones"
	else
		not_ok "apply: a patch appended to the series is applied on top of the kept ones"
		sed 's/^/# /' "$SCRATCH/out"
	fi
}

# format-series.sh on a tiny tree whose get_maintainer.pl is a stand-in:
# every patch gets its To: and Cc:, the cover letter the text given and
# the union of the addresses, and the series directory its new patches
# only.
test_format_series() {
	local tree=$SCRATCH/linux-fmt series=$SCRATCH/series-fmt cover=$SCRATCH/cover.txt
	local -a env=(env BUILD_DIR="$SCRATCH/build-fmt" BASE=7.3 SERIES_DIR="$series")

	fake_kernel_tree "$tree" 7 3
	git -C "$tree" tag base
	mkdir -p "$tree/scripts" "$series"
	# --m: the maintainer; otherwise (--no-m --r --l) the list.
	printf '%s\n' '#!/bin/sh' \
		'case " $* " in *" --m "*) echo "Maint Ainer <m@example.org>" ;;' \
		'*) echo "list@example.org" ;; esac' >"$tree/scripts/get_maintainer.pl"
	chmod +x "$tree/scripts/get_maintainer.pl"
	git -C "$tree" add scripts
	git -C "$tree" -c user.name=t -c user.email=t@localhost commit -q -m "scripts: stand-in"
	git -C "$tree" tag -f base >/dev/null
	sed -i 's/two/2/' "$tree/arch/x86/file.c"
	git -C "$tree" -c user.name="A Uthor" -c user.email=a@example.org commit -q -am "x86: change two"
	touch "$series/0009-stale.patch"
	printf '%s\n' "x86: the subject" "" "The body." >"$cover"
	if "${env[@]}" "$REPO_DIR/scripts/format-series.sh" "$tree" "$cover" >"$SCRATCH/out" 2>&1 &&
		[ ! -e "$series/0009-stale.patch" ] &&
		grep -q '^To: Maint Ainer <m@example.org>$' "$series"/0001-*.patch &&
		grep -q '^Cc: list@example.org$' "$series"/0001-*.patch &&
		grep -q '^Subject: \[PATCH 0/1\] x86: the subject$' "$series/0000-cover-letter.patch" &&
		grep -q '^From: A Uthor <a@example.org>$' "$series/0000-cover-letter.patch" &&
		grep -q '^The body\.$' "$series/0000-cover-letter.patch" &&
		grep -q '^To: Maint Ainer <m@example.org>$' "$series/0000-cover-letter.patch"; then
		ok "format-series: To:/Cc: per patch, the cover letter's text and author, no stale patch"
	else
		not_ok "format-series: To:/Cc: per patch, the cover letter's text and author, no stale patch"
		sed 's/^/# /' "$SCRATCH/out" "$series"/0000-cover-letter.patch 2>/dev/null | head -40
	fi
	printf '%s\n' "no blank line" "The body." >"$cover"
	expect_error "format-series: a cover text without a blank second line" "must be followed by a blank line" \
		"${env[@]}" "$REPO_DIR/scripts/format-series.sh" "$tree" "$cover"
}

# make-posting.sh on a tiny tree with stand-in get_maintainer.pl and
# checkpatch.pl: the poster becomes author and signer of every patch, the
# placeholder's sign-off goes and the other trailers stay; it refuses a
# missing or placeholder identity and a short BASE_COMMIT.
test_posting() {
	local tree=$SCRATCH/linux-post series=$SCRATCH/series-post work=$SCRATCH/series-post-work
	local out=$SCRATCH/posted placeholder="X86 Xen Series <x86-xen-series@example.org>"
	local -a env=(env BUILD_DIR="$SCRATCH/build-post" BASE=7.3 KSRC="$tree" SERIES_DIR="$series" POSTING_DIR="$out")
	local -a me=(GIT_CONFIG_COUNT=2 GIT_CONFIG_KEY_0=user.name GIT_CONFIG_VALUE_0="Jane Poster"
		GIT_CONFIG_KEY_1=user.email GIT_CONFIG_VALUE_1=jane@example.net)

	fake_kernel_tree "$tree" 7 3
	mkdir -p "$tree/scripts" "$series"
	printf '%s\n' '#!/bin/sh' 'echo "Maint Ainer <m@example.org>"' >"$tree/scripts/get_maintainer.pl"
	printf '%s\n' '#!/bin/sh' 'exit 0' >"$tree/scripts/checkpatch.pl"
	chmod +x "$tree/scripts/get_maintainer.pl" "$tree/scripts/checkpatch.pl"
	git -C "$tree" add scripts
	git -C "$tree" -c user.name=t -c user.email=t@localhost commit -q -m "scripts: stand-ins"
	git clone -q "$tree" "$work"
	sed -i 's/two/2/' "$work/arch/x86/file.c"
	git -C "$work" -c user.name="X86 Xen Series" -c user.email=x86-xen-series@example.org commit -q -a \
		-m "x86: change two" -m "Why." -m "Suggested-by: Some One <s@example.org>
Signed-off-by: $placeholder"
	git -C "$work" format-patch -q --cover-letter -o "$series" HEAD~1
	sed -i 's/\*\*\* SUBJECT HERE \*\*\*/x86: the subject/; s/^\*\*\* BLURB HERE \*\*\*$/The body./' "$series/0000-cover-letter.patch"
	if "${env[@]}" "${me[@]}" BASE_COMMIT=0123456789abcdef0123456789abcdef01234567 \
		"$REPO_DIR/scripts/make-posting.sh" >"$SCRATCH/out" 2>&1 &&
		grep -q '^From: Jane Poster <jane@example.net>$' "$out"/0001-*.patch &&
		grep -q '^Signed-off-by: Jane Poster <jane@example.net>$' "$out"/0001-*.patch &&
		grep -q '^Suggested-by: Some One <s@example.org>$' "$out"/0001-*.patch &&
		! grep -q 'x86-xen-series@example.org' "$out"/*.patch &&
		grep -q '^From: Jane Poster <jane@example.net>$' "$out/0000-cover-letter.patch" &&
		grep -q '^The body\.$' "$out/0000-cover-letter.patch" &&
		grep -q '^base-commit: 0123456789abcdef0123456789abcdef01234567$' "$out/0000-cover-letter.patch" &&
		grep -q '^To: Maint Ainer <m@example.org>$' "$out"/0001-*.patch &&
		grep -q 'x86-xen-series@example.org' "$series"/0001-*.patch; then
		ok "posting: the poster's author and sign-off, other trailers kept, base-commit, patches/ untouched"
	else
		not_ok "posting: the poster's author and sign-off, other trailers kept, base-commit, patches/ untouched"
		sed 's/^/# /' "$SCRATCH/out" "$out"/0001-*.patch 2>/dev/null | head -40
	fi
	expect_error "posting: no git identity" "no git identity" "${env[@]}" GIT_CONFIG_COUNT=2 \
		GIT_CONFIG_KEY_0=user.name GIT_CONFIG_VALUE_0= GIT_CONFIG_KEY_1=user.email GIT_CONFIG_VALUE_1= \
		"$REPO_DIR/scripts/make-posting.sh"
	expect_error "posting: the placeholder as identity" "is the series' placeholder" "${env[@]}" GIT_CONFIG_COUNT=1 \
		GIT_CONFIG_KEY_0=user.email GIT_CONFIG_VALUE_0=x86-xen-series@example.org \
		"$REPO_DIR/scripts/make-posting.sh"
	expect_error "posting: a short BASE_COMMIT" "not a full 40-digit commit id" "${env[@]}" "${me[@]}" \
		BASE_COMMIT=abc123 "$REPO_DIR/scripts/make-posting.sh"
}

# stub_debian_tools DIR: an apt-get and a dpkg-deb in DIR that stand for
# Debian's: apt-get records its arguments in $STUB_LOG and "downloads" an
# empty .deb (or fails with STUB_FAIL=1), dpkg-deb "unpacks" it as the
# tarball $STUB_TARBALL in usr/src.
stub_debian_tools() {
	mkdir -p "$1"
	cat >"$1/apt-get" <<'STUB'
#!/usr/bin/env bash
set -euo pipefail
printf '%s\n' "$*" >>"$STUB_LOG"
case " $* " in
*" download "*)
	if [ "${STUB_FAIL:-0}" = 1 ]; then
		echo "E: Unable to locate package ${!#}"
		exit 100
	fi
	: >"${!#}_7.3.4-1~bpo13+1_all.deb"
	;;
esac
STUB
	cat >"$1/dpkg-deb" <<'STUB'
#!/usr/bin/env bash
set -euo pipefail
[ "$1" = -x ]
mkdir -p "$3/usr/src"
cp "$STUB_TARBALL" "$3/usr/src/$(basename "$2" | sed 's/_.*//').tar.xz"
STUB
	chmod +x "$1/apt-get" "$1/dpkg-deb"
}

# A Debian-style tarball of a tree that passes for Linux $2.$3 (its
# .gitignore ignores everything, as Debian's do).
fake_kernel_tarball() {
	local tarball=$1 dir=$SCRATCH/tarball/linux-source-$2.$3

	mkdir -p "$dir/arch/x86"
	printf 'VERSION = %s\nPATCHLEVEL = %s\nSUBLEVEL = 4\n' "$2" "$3" >"$dir/Makefile"
	printf 'one\n' >"$dir/arch/x86/file.c"
	printf '/*\n' >"$dir/.gitignore"
	tar -cJf "$tarball" -C "$SCRATCH/tarball" "linux-source-$2.$3"
}

# lib_says BASE CODE: what CODE prints with scripts/lib/common.sh sourced
# for BASE (unset when empty) and a scratch build directory.
# shellcheck disable=SC2016  # CODE is expanded by the inner shell
lib_says() {
	local -a base=(-u BASE)

	[ -z "$1" ] || base=(BASE="$1")
	env "${base[@]}" BUILD_DIR="$SCRATCH/build-bases" SERIES_DIR="$SCRATCH/series-7.3" \
		bash -c '. "$1/scripts/lib/common.sh" && eval "$2"' - "$REPO_DIR" "$2"
}

# The bases: 7.3 is the default and known, others are refused with the
# list; the 7.3 tarball that fetch-linux-source.sh (run by
# install-deps.sh) leaves is the one prepare-tree.sh unpacks.
test_bases() {
	local b=$SCRATCH/build-bases series=$SCRATCH/series-7.3 got calls
	local -a env=(env BUILD_DIR="$b" SERIES_DIR="$series" PATH="$SCRATCH/stubs:$PATH"
		STUB_LOG="$SCRATCH/apt.log" STUB_TARBALL="$SCRATCH/linux-source-7.3.tar.xz")

	mkdir -p "$series"
	# shellcheck disable=SC2016  # expanded by lib_says's shell
	got=$(lib_says "" 'printf "%s\n" "$BASE"')
	if [ "$got" = 7.3 ]; then
		ok "bases: the default base is 7.3"
	else
		not_ok "bases: the default base is 7.3 (got '$got')"
	fi
	if lib_says 7.3 check_base >"$SCRATCH/out" 2>&1; then
		ok "bases: check_base accepts 7.3"
	else
		not_ok "bases: check_base accepts 7.3"
		sed 's/^/# /' "$SCRATCH/out"
	fi
	expect_error "check_base refuses 6.6, naming the known bases" \
		"unknown base '6\.6' \(known: 7\.3 6\.12 6\.1\)" lib_says 6.6 check_base
	expect_error "7.3 tarball not fetched" \
		"$b/sources/linux-source-7\.3\.tar\.xz is missing; scripts/install-deps\.sh fetches linux-source-7\.3 from Debian trixie-backports" \
		env BUILD_DIR="$b" BASE=7.3 SERIES_DIR="$series" "$REPO_DIR/scripts/prepare-tree.sh"
	stub_debian_tools "$SCRATCH/stubs"
	fake_kernel_tarball "$SCRATCH/linux-source-7.3.tar.xz" 7 3
	expect_error "7.3 source not to be had" \
		"^error: cannot fetch Debian's linux-source-7\.3 from the trixie-backports suite .*Unable to locate package" \
		"${env[@]}" STUB_FAIL=1 "$REPO_DIR/scripts/fetch-linux-source.sh" 7.3
	if "${env[@]}" "$REPO_DIR/scripts/fetch-linux-source.sh" 7.3 >"$SCRATCH/out" 2>&1 &&
		[ "$(lib_says 7.3 'base_tarball 7.3')" = "$b/sources/linux-source-7.3.tar.xz" ] &&
		"${env[@]}" BASE=7.3 "$REPO_DIR/scripts/prepare-tree.sh" >>"$SCRATCH/out" 2>&1 &&
		[ "$(sed -n 's/^PATCHLEVEL = //p' "$b/7.3/src/Makefile")" = 3 ] &&
		git -C "$b/7.3/src" cat-file -e base:arch/x86/file.c; then
		ok "bases: prepare-tree.sh unpacks the 7.3 tarball where fetch-linux-source.sh put it"
	else
		not_ok "bases: prepare-tree.sh unpacks the 7.3 tarball where fetch-linux-source.sh put it"
		sed 's/^/# /' "$SCRATCH/out"
	fi
	calls=$(wc -l <"$SCRATCH/apt.log")
	if "${env[@]}" "$REPO_DIR/scripts/fetch-linux-source.sh" 7.3 >"$SCRATCH/out" 2>&1 &&
		[ "$(wc -l <"$SCRATCH/apt.log")" = "$calls" ]; then
		ok "bases: a fetched tarball is not fetched again"
	else
		not_ok "bases: a fetched tarball is not fetched again"
		sed 's/^/# /' "$SCRATCH/out"
	fi
}

# expect_flake OUTCOME CONSOLE WANT NAME: WANT is yes when the boot is
# one to repeat.
expect_flake() {
	local log=$SCRATCH/flake.log got=no

	printf '%b' "$2" >"$log"
	emulator_flake "$1" "$log" >/dev/null && got=yes
	if [ "$got" = "$3" ]; then
		ok "emulator defect, $4: $3"
	else
		not_ok "emulator defect, $4: want $3, got $got"
	fi
}

test_emulator_defects() {
	local begin='@@HARNESS BEGIN env=x\n' end='@@HARNESS END rc=0\n'

	# shellcheck source=scripts/lib/emulator-defects.sh
	. "$REPO_DIR/scripts/lib/emulator-defects.sh"
	expect_flake finished "$begin@@TEST a rc=0 secs=1\n$end" no "a clean boot"
	expect_flake finished "$begin@@T a: not ok 1 x\n@@TEST a rc=1 secs=1\n$end" no \
		"a failing test"
	expect_flake finished "$begin@@TEST a rc=139 secs=1\n$end" no \
		"a test that died of SIGSEGV"
	expect_flake crash "Linux version 6.12\nKernel panic - not syncing: x\n" no \
		"a kernel crash before init"
	expect_flake crash "Linux version 6.12\nBUG: kernel NULL pointer dereference, address: 0\n" no \
		"an oops before init"
	expect_flake timeout "(XEN) Freed 664kB init memory\n" yes \
		"a guest silent before its first line"
	expect_flake crash "(XEN) d0v0 Triple fault - invoking HVM shutdown action 1\n" yes \
		"a triple fault before init"
	expect_flake crash "$begin@@T a: ok 1\nKernel panic - not syncing: x\n" no \
		"a crash during the tests"
	expect_flake finished "$begin@@T a: Illegal instruction\n@@TEST a rc=132 secs=1\n$end" no \
		"a test that died of SIGILL"
	expect_flake finished "$begin@@TEST a rc=0 secs=1\nIllegal instruction\n$end" yes \
		"the init's shell says a tool died of SIGILL"
	expect_flake finished "$begin""harness: kunit: Illegal instruction\n$end" yes \
		"a tool reading the KUnit report died of SIGILL"
	expect_flake crash "$begin(XEN) d1v0 Triple fault - invoking HVM shutdown action 1\n" \
		yes "Xen reports a triple fault"
	expect_flake finished "$begin""harness: a harness tool crashed: exe[80]: segfault at 8 ip 0 sp 0 error 4 in busybox[33f4b,401000+184000]\n$end" \
		yes "a busybox tool died"
	expect_flake finished "$begin@@T a: # io[9]: segfault at 8 ip 0 sp 0 error 4 in io[1000+10]\n$end" \
		no "a test's own segfault in the log"
	expect_flake finished "$begin@@TEST a rc=0 secs=1\nSegmentation fault\n@@TEST kernel_log rc=0 secs=1\n$end" \
		yes "the init's shell says a tool died"
	expect_flake finished "$begin""harness: kunit: Segmentation fault\n$end" \
		yes "a tool reading the KUnit report died"
	expect_flake finished "$begin@@T a: Segmentation fault\n@@TEST a rc=139 secs=1\n$end" \
		no "a test's own output says Segmentation fault"
	expect_flake finished "$begin""harness: kunit: corrupted double-linked list\nharness: kunit: Aborted\n$end" \
		yes "glibc aborted a tool reading the KUnit report"
	expect_flake finished "$begin""harness: kunit: malloc(): unaligned tcache chunk detected\n$end" \
		yes "glibc found a tool's heap corrupted"
	expect_flake finished "$begin@@T a: corrupted double-linked list\n@@T a: Aborted\n@@TEST a rc=134 secs=1\n$end" \
		no "a test that glibc aborted"
	expect_flake crash "$begin""init[1] bad frame in rt_sigreturn frame:0 ip:4610d3 sp:7ffd0486b238 orax:ffffffffffffffff in busybox[401000+184000]\nKernel panic - not syncing: Attempted to kill init! exitcode=0x0000000b\n" \
		yes "the init's busybox could not return from a signal handler"
	expect_flake finished "$begin@@T a: # io[9] bad frame in rt_sigreturn frame:0 ip:0 sp:0 orax:0 in io[1000+10]\n$end" \
		no "a test's own bad signal frame in the log"
}

# expect_watch WHAT OUTCOME PATTERN CMD...: scripts/lib/guest-watch.sh
# judges the "guest" CMD (a shell loop on the host) as OUTCOME, and a
# timeout's reason matches PATTERN.
expect_watch() {
	local what=$1 want=$2 pattern=$3 log=$SCRATCH/watch/console.log got pid
	shift 3

	mkdir -p "$SCRATCH/watch"
	rm -f "$log" "$log.timeout"
	"$@" >"$log" 2>&1 &
	pid=$!
	got=$(WATCH_INTERVAL=0.2 WATCH_NOTE_EVERY=100 watch_guest "$pid" "$log" 3 8 2>/dev/null)
	kill "$pid" 2>/dev/null || true
	wait "$pid" 2>/dev/null || true
	if [ "$got" = "$want" ] && { [ -z "$pattern" ] || grep -qE "$pattern" "$log.timeout"; }; then
		ok "watch: $what is $want"
	else
		not_ok "watch: $what is $want (got $got: $(cat "$log.timeout" 2>/dev/null))"
	fi
}

# A guest is hung when it stops printing, not when it is slow (stall 3 s,
# backstop 8 s).
test_watch() {
	# shellcheck source=scripts/lib/guest-watch.sh
	. "$REPO_DIR/scripts/lib/guest-watch.sh"
	expect_watch "a guest printing each second for 6 s" finished "" \
		bash -c 'for i in 1 2 3 4 5 6; do echo ok; sleep 1; done; echo "@@HARNESS END rc=0"; sleep 30'
	expect_watch "a guest quiet after its first line" timeout "no console output for 3s" \
		bash -c 'echo "@@HARNESS BEGIN"; sleep 30'
	expect_watch "a guest printing without end" timeout "still running after 8s" \
		bash -c 'while :; do echo "warning"; sleep 0.5; done'
	expect_watch "a guest that panics" crash "" \
		bash -c 'echo "Kernel panic - not syncing: x"; sleep 30'
	expect_watch "a guest gone without its end mark" crash "" \
		bash -c 'echo "@@HARNESS BEGIN"'
}

# Stand-ins for xl and xenstore in a dom0: the domU's domid, xenstore as
# files under $XS, and the calls made, in $STATE.
fake_toolstack() {
	local bin=$1

	mkdir -p "$bin"
	cat >"$bin/xl" <<'EOF_XL'
#!/bin/sh
echo "xl $*" >>"$STATE/calls"
case "$1" in
domid) cat "$STATE/domid" ;;
vcpu-set | debug-keys) ;;
vcpu-list) echo "domu-hvm 3 0 1 -b- 12.0 1" ;;
qemu-monitor-command)
	[ ! -e "$STATE/device-model-gone" ] || exit 1
	echo "(device model) $3"
	;;
save)
	[ -e "$STATE/fail-save" ] && { echo "xc: error: Save failed (22 = Invalid argument)" >&2; exit 1; }
	echo image >"$3"
	;;
restore) echo $(($(cat "$STATE/domid") + 1)) >"$STATE/domid" ;;
*) exit 1 ;;
esac
EOF_XL
	cat >"$bin/xenstore" <<'EOF_XS'
#!/bin/sh
mode=$1
shift
case "$mode" in
read) cat "$XS$1" 2>/dev/null ;;
write)
	while [ $# -ge 2 ]; do
		mkdir -p "$(dirname "$XS$1")"
		printf '%s' "$2" >"$XS$1"
		shift 2
	done
	;;
esac
EOF_XS
	chmod +x "$bin/xl" "$bin/xenstore"
}

# The dom0's side of io_domu_events (scripts/guest/dom0-init), with a
# stand-in toolstack: each request gets its event once and an answer at
# the domU's domid of the moment; a failed save answers with xl's reason.
test_dom0_events() {
	local d=$SCRATCH/dom0-events out
	local key=/local/domain

	mkdir -p "$d/log" "$d/state" "$d/xs"
	fake_toolstack "$d/bin"
	echo 1 >"$d/state/domid"
	out=$(cd "$d" && BIN=$d/bin STATE=$d/state XS=$d/xs DOM0_LOG_DIR=$d/log \
		DOM0_SAVE_DIR=$d DOM0_INIT_FUNCTIONS=1 sh -c '
		. "$0"
		PATH=$BIN:$PATH
		domid=1 last_event="" restored=no
		offer_events 1 pv
		xenstore write /local/domain/1/data/io-events/request "1 vcpu-down"
		serve_event domu-pv
		serve_event domu-pv
		xenstore write /local/domain/1/data/io-events/request "2 save-restore"
		serve_event domu-pv
		echo "restored=$restored domid=$domid"
		touch "$STATE/fail-save"
		xenstore write /local/domain/2/data/io-events/request "3 save-restore"
		serve_event domu-pv' "$REPO_DIR/scripts/guest/dom0-init" 2>&1)
	if [ "$(cat "$d/xs$key/1/data/io-events/offer")" = "vcpu-down vcpu-up save-restore save-restore" ] &&
		[ "$(cat "$d/xs$key/1/data/io-events/done")" = "1 ok" ] &&
		[ "$(grep -c "vcpu-set domu-pv 1" "$d/state/calls")" = 1 ] &&
		[ "$(cat "$d/xs$key/2/data/io-events/done")" = "3 failed: xc: error: Save failed (22 = Invalid argument)" ] &&
		grep -q "xl restore $d/domu-pv.save" "$d/state/calls" && ! [ -e "$d/domu-pv.save" ] &&
		grep -q "restored=yes domid=2" <<<"$out" &&
		grep -q "^dom0: event 2 save-restore: 2 ok" <<<"$out" &&
		grep -q "^dom0:   xc: error: Save failed" <<<"$out"; then
		ok "dom0: each event asked for is made once and answered at the domU's domid; a failed save answers why"
	else
		not_ok "dom0: each event asked for is made once and answered at the domU's domid; a failed save answers why"
		printf '%s\n' "$out" | sed 's/^/# /'
		find "$d/xs" -type f -exec sh -c 'printf "# %s: %s\n" "$1" "$(cat "$1")"' _ {} \;
	fi
}

# env_check judges the guest's lines whole, even when Xen wrote a message
# of its own into the middle of one (seen on a loaded host: "@@HARNESS
# BEGIN e(XEN) uart interrupt taking more than 4ms ...").
test_env_check_spliced() {
	local log=$SCRATCH/env-spliced.log out

	printf '%b' 'dom0: xl create -c /domu/hvm.cfg (kernel arguments: x)\r\n' \
		'@@HARNESS BEGIN e(XEN) uart interrupt taking more than 4ms, switched to polling\r\n' \
		'nv=xen-domu-hvm variant=unpatched base=7.3 kernel=7.3.4+\r\n' \
		'@@S version (from /sys/hypervisor)      4.20\r\n' \
		'dom0: toolstack Xen 4.20, hypervisor Xen 4.20.5-pre\r\n' >"$log"
	if out=$(cd "$REPO_DIR" && bash -c '. scripts/lib/common.sh; . scripts/lib/envs.sh
		XEN=4.20 env_check xen-domu-hvm "$1"' _ "$log" 2>&1); then
		ok "env_check: a Xen message inside the guest's BEGIN line does not hide it"
	else
		not_ok "env_check: a Xen message inside the guest's BEGIN line does not hide it"
		printf '%s\n' "$out" | sed 's/^/# /'
	fi
}

# fake_guest_state ROOT: the files module/x86-guest-state reads, as a
# patched Xen PVH guest without SMAP has them, under ROOT
fake_guest_state() {
	local m=$1/sys/kernel/x86_guest_state

	mkdir -p "$m" "$1/sys/hypervisor/version" "$1/proc" "$1/sys/kernel/boot_params"
	echo xen-hvm >"$m/hypervisor"
	echo native >"$m/iopl_mode"
	echo ok >"$m/save_fl_contract"
	echo xen >"$1/sys/hypervisor/type"
	echo PVH >"$1/sys/hypervisor/guest_type"
	echo 4 >"$1/sys/hypervisor/version/major"
	echo 20 >"$1/sys/hypervisor/version/minor"
	printf 'processor\t: 0\nflags\t\t: fpu smep\nbugs\t\t: spectre_v1 spectre_v2\n\n' >"$1/proc/cpuinfo"
	boot_params_type "$1" 2
}

# boot_params_type ROOT N: a zero page whose hypervisor_type is N
boot_params_type() {
	head -c 4096 /dev/zero >"$1/sys/kernel/boot_params/data"
	printf '%b' "\\0$(printf '%o' "$2")" |
		dd of="$1/sys/kernel/boot_params/data" bs=1 seek=120 conv=notrunc 2>/dev/null
}

# guest_state ROOT [ARG...]: the command's output and, last, "rc=<status>"
guest_state() {
	local root=$1 rc=0
	shift
	X86_GUEST_STATE_ROOT=$root sh "$REPO_DIR/module/x86-guest-state" "$@" 2>&1 || rc=$?
	echo "rc=$rc"
}

# expect_guest_state WHAT OUTPUT REGEX...: every REGEX matches a line
expect_guest_state() {
	local what=$1 out=$2 re
	shift 2

	for re; do
		if ! grep -qE "$re" <<<"$out"; then
			not_ok "x86-guest-state: $what (no line matching '$re')"
			printf '%s\n' "$out" | sed 's/^/# /'
			return
		fi
	done
	ok "x86-guest-state: $what"
}

# module/x86-guest-state shows the module's files that exist and, each
# when its source exists, the values it reads from elsewhere, labelled
# with that source.
test_guest_state_command() {
	local root=$SCRATCH/guest-state out keys

	fake_guest_state "$root"
	out=$(guest_state "$root")
	expect_guest_state "the module's attributes, then the other sources" "$out" \
		'^hypervisor +xen-hvm$' '^iopl_mode +native$' '^save_fl_contract +ok$' \
		'^type \(from /sys/hypervisor\) +xen$' \
		'^guest_type \(from /sys/hypervisor\) +PVH$' \
		'^version \(from /sys/hypervisor\) +4\.20$' \
		'^xen_pv_iopl \(from /proc/cpuinfo bugs\) +absent$' \
		'^hypervisor_type \(from boot_params\) +xen-pvh$' '^rc=0$'
	if grep -qE '^(smap|eflags_ac) ' <<<"$out"; then
		not_ok "x86-guest-state: no line for a file the module did not create"
	else
		ok "x86-guest-state: no line for a file the module did not create"
	fi

	keys=$(X86_GUEST_STATE_ROOT=$root sh "$REPO_DIR/module/x86-guest-state" --json |
		python3 -c 'import json, sys; print(",".join(json.load(sys.stdin)))' 2>&1) || true
	if [ "$keys" = "hypervisor,iopl_mode,save_fl_contract,type (from /sys/hypervisor),guest_type (from /sys/hypervisor),version (from /sys/hypervisor),xen_pv_iopl (from /proc/cpuinfo bugs),hypervisor_type (from boot_params)" ]; then
		ok "x86-guest-state --json: the table's names, in its order"
	else
		not_ok "x86-guest-state --json: the table's names, in its order (got: $keys)"
	fi

	printf 'processor\t: 0\nbugs\t\t: spectre_v1 xen_pv_iopl\n' >"$root/proc/cpuinfo"
	boot_params_type "$root" 9
	rm -r "$root/sys/hypervisor"
	out=$(guest_state "$root")
	expect_guest_state "the bug word when listed, an unknown type by number" "$out" \
		'^xen_pv_iopl \(from /proc/cpuinfo bugs\) +present$' \
		'^hypervisor_type \(from boot_params\) +unknown 9$' '^rc=0$'
	if grep -q 'from /sys/hypervisor' <<<"$out"; then
		not_ok "x86-guest-state: nothing from /sys/hypervisor where it has nothing"
	else
		ok "x86-guest-state: nothing from /sys/hypervisor where it has nothing"
	fi

	rm -r "$root/sys/kernel/x86_guest_state"
	out=$(guest_state "$root")
	expect_guest_state "without the module: exit 2, the other values all the same" "$out" \
		'module is not loaded' '^hypervisor_type \(from boot_params\) +unknown 9$' '^rc=2$'
	expect_guest_state "a usage error: exit 1" "$(guest_state "$root" --bogus)" '^rc=1$'
}

# env_check finds the Xen version in the table x86-guest-state prints,
# and only the one asked for.
test_env_check_xen_version() {
	local root=$SCRATCH/env-version log=$SCRATCH/env-version.log xen

	fake_guest_state "$root"
	{
		printf '@@HARNESS BEGIN env=xen-pvh variant=patched base=7.3 kernel=7.3.4+\r\n'
		printf '(XEN) Dom0 kernel: 64-bit, PAE, lsb, paddr 0x1000000 -> 0x2000000 PVH\r\n'
		X86_GUEST_STATE_ROOT=$root sh "$REPO_DIR/module/x86-guest-state" | sed 's/^/@@S /; s/$/\r/'
	} >"$log"
	for xen in 4.20 4.17; do
		want="ok 3 the guest runs on Xen $xen"
		[ "$xen" = 4.20 ] || want="not $want"
		out=$(cd "$REPO_DIR" && bash -c '. scripts/lib/common.sh; . scripts/lib/envs.sh
			XEN=$2 env_check xen-pvh "$1"' _ "$log" "$xen" 2>&1) || true
		if grep -qx "$want" <<<"$out"; then
			ok "env_check: the guest's table says Xen 4.20, asked for $xen: $want"
		else
			not_ok "env_check: the guest's table says Xen 4.20, asked for $xen: $want"
			printf '%s\n' "$out" | sed 's/^/# /'
		fi
	done
}

# fake_hvm_context FILE: a stand-in for xen-hvmctx in FILE that prints
# an HVM context as those of Xen 4.17 and 4.20 do, in their order, for a
# domU of two vCPUs whose COM1 line (ISA IRQ 4) is raised; with
# $STATE/no-hvm-context, it fails as for a domain that has none.
fake_hvm_context() {
	local vcpu reg

	# shellcheck disable=SC2016  # expanded by the stand-in, not here
	{
		printf '%s\n' '#!/bin/sh' \
			'if [ -e "$STATE/no-hvm-context" ]; then' \
			'	echo "Error: can'"'"'t get HVM record for dom $1"; exit 1' 'fi' 'cat <<EOF' \
			"HVM save record for domain 3" "Entry 0: type 1 instance 0, length 24"
		for vcpu in 0 1; do
			printf '%s\n' "Entry $((1 + vcpu)): type 2 instance $vcpu, length 1024" \
				"          lstar 0xffffffffb6c00080  cstar   0000000000000000"
		done
		printf '%s\n' "Entry 3: type 3 instance 0, length 8" \
			"    PIC: IRQ base 0x30, irr 0x10, imr 0xff, isr 0" \
			"Entry 4: type 3 instance 1, length 8" \
			"    PIC: IRQ base 0x38, irr 0, imr 0xff, isr 0" \
			"Entry 5: type 4 instance 0, length 400" "    IOAPIC: base_address 0xfec00000, ioregsel 0 id 0x1"
		printf '            pin %s: 0x%016x\n' 03 0x10031 04 0x22 05 0x10000
		for vcpu in 0 1; do
			printf '%s\n' "Entry $((6 + vcpu)): type 6 instance $vcpu, length 1024" "    LAPIC registers:"
			for ((reg = 0; reg < 0x400; reg += 32)); do
				printf '          0x%03x: 0x%08x   0x%03x: 0x%08x\n' "$reg" \
					$((reg == 0x180 ? 1 : 0)) $((reg + 16)) $((reg + 16 == 0x210 ? vcpu * 4 : 0))
			done
		done
		printf '%s\n' "Entry 8: type 8 instance 0, length 8" "    ISA IRQs: 0x0010" "EOF"
	} >"$1"
	chmod +x "$1"
}

# A dom0 whose domU's console has been quiet for harness_hang_dump=
# seconds says once where the domU's vCPUs are (xenctx, with the domU
# kernel's symbols moved by its KASLR offset), reads an HVM domU's UART
# from its device model (or says that it did not answer) and the path of
# its interrupt from Xen's HVM context (or says that it is not known),
# and asks Xen for its view (debug key q); a console that spoke lately
# gets no dump, nor does a dom0 not asked for one, and a PVH domU, which
# has no UART, gets neither the UART nor its interrupt.
test_dom0_quiet_domu() {
	local d=$SCRATCH/dom0-quiet out calls pvh_calls what uart irq vcpu reg

	what="dom0: a domU console quiet for harness_hang_dump= seconds is dumped once"
	mkdir -p "$d/log" "$d/state"
	fake_toolstack "$d/bin"
	# shellcheck disable=SC2016  # expanded by the stand-in, not here
	printf '#!/bin/sh\necho "xenctx $*" >>"$STATE/calls"\necho "vcpu0 rip: ffffffff81000000 default_idle"\n' \
		>"$d/bin/xenctx"
	fake_hvm_context "$d/bin/xen-hvmctx"
	chmod +x "$d/bin/xenctx"
	printf '%s\n' "ffffffff81000000 T _stext" "ffffffff81a00080 T entry_SYSCALL_64" \
		"ffffffff82fff000 t last_text" "ffffffff83000000 A absolute" >"$d/System.map"
	echo "console=hvc0 harness_env=xen-domu-hvm harness_hang_dump=300" >"$d/cmdline"
	: >"$d/console"
	out=$(cd "$d" && BIN=$d/bin STATE=$d/state DOM0_LOG_DIR=$d/log DOM0_CMDLINE=$d/cmdline \
		DOM0_CONSOLE=$d/console DOM0_DOMU_SYMBOLS=$d/System.map DOM0_INIT_FUNCTIONS=1 sh -c '
		. "$0"
		PATH=$BIN:$PATH
		domid=3 dumped=no hang_dump=$(cmdline_value harness_hang_dump)
		touch -d "@$(($(date +%s) - 100))" "$CONSOLE"
		check_quiet_domu domu-hvm hvm
		echo "quiet 100 s: dumped=$dumped"
		touch -d "@$(($(date +%s) - 400))" "$CONSOLE"
		check_quiet_domu domu-hvm hvm
		check_quiet_domu domu-hvm hvm
		echo "quiet 400 s: dumped=$dumped"
		cp "$LOG_DIR/domu-symbols" "$LOG_DIR/domu-symbols.hvm"
		dumped=no hang_dump=""
		check_quiet_domu domu-hvm hvm
		echo "not asked: dumped=$dumped"
		mv "$STATE/calls" "$STATE/calls.hvm"
		dumped=no hang_dump=300
		check_quiet_domu domu-pvh pvh
		mv "$STATE/calls" "$STATE/calls.pvh"
		touch "$STATE/device-model-gone" "$STATE/no-hvm-context"
		dumped=no
		check_quiet_domu domu-hvm hvm' "$REPO_DIR/scripts/guest/dom0-init" 2>&1)
	calls=$(cat "$d/state/calls.hvm" 2>/dev/null)
	pvh_calls=$(cat "$d/state/calls.pvh" 2>/dev/null)
	uart=$(printf 'xl qemu-monitor-command domu-hvm %s\n' "i /b 0x3fb" "i /b 0x3f9" \
		"i /b 0x3fc" "i /b 0x3fd" "info chardev")
	irq=$(printf 'dom0:   %s\n' "COM1's interrupt (ISA IRQ 4) as Xen holds it:" "ISA IRQs: 0x0010" \
		"PIC: IRQ base 0x30, irr 0x10, imr 0xff, isr 0" "PIC: IRQ base 0x38, irr 0, imr 0xff, isr 0" \
		"IOAPIC pin 04: 0x0000000000000022")
	for vcpu in 0 1; do
		for reg in 100 120 140 160 200 220 240 260; do
			irq+=$'\n'$(printf 'dom0:   vCPU %s LAPIC 0x%s: 0x%08x   0x%03x: 0x%08x' "$vcpu" \
				"$reg" 0 $((16#$reg + 16)) $((16#$reg + 16 == 0x210 ? vcpu * 4 : 0)))
		done
	done
	if grep -qx "quiet 100 s: dumped=no" <<<"$out" && grep -qx "quiet 400 s: dumped=yes" <<<"$out" &&
		grep -qx "not asked: dumped=no" <<<"$out" &&
		grep -qE "^dom0: domU domu-hvm: console quiet for 40[0-9] s" <<<"$out" &&
		grep -qx "dom0:   vcpu0 rip: ffffffff81000000 default_idle" <<<"$out" &&
		grep -qx "dom0:   KASLR offset of the domU's kernel: 891289600" <<<"$out" &&
		[ "$(cat "$d/log/domu-symbols.hvm")" = "$(printf '%s\n' "ffffffffb6200000 T _stext" \
			"ffffffffb6c00080 T entry_SYSCALL_64" "ffffffffb81ff000 t last_text")" ] &&
		grep -qx "dom0:   (device model) i /b 0x3fd" <<<"$out" &&
		grep -qx 'dom0:   the device model did not answer "info chardev"' <<<"$out" &&
		[ "$(grep -E "^dom0:   (COM1's|ISA IRQs|PIC|IOAPIC|vCPU . LAPIC|not known: xen-hvmctx)" <<<"$out")" = \
			"$irq"$'\n'"$(
			printf '%s\n' "dom0:   COM1's interrupt (ISA IRQ 4) as Xen holds it:" \
				"dom0:   not known: xen-hvmctx said Error: can't get HVM record for dom 3")" ] &&
		[ "$calls" = "$(printf '%s\n' "xl vcpu-list domu-hvm" "xenctx -s $d/log/domu-symbols -S -C 3" \
			"$uart" "xl debug-keys q")" ] &&
		[ "$pvh_calls" = "$(printf '%s\n' "xl vcpu-list domu-pvh" "xenctx -s $d/log/domu-symbols -S -C 3" \
			"xl debug-keys q")" ]; then
		ok "$what"
	else
		not_ok "$what"
		printf '%s\n' "$out" "calls:" "$calls" "PVH calls:" "$pvh_calls" | sed 's/^/# /'
	fi
}

# harness_domu_events= on the dom0's command line replaces the events it
# offers (scripts/suspend-rate.sh asks for save-restores only).
test_dom0_events_override() {
	local d=$SCRATCH/dom0-events-override key=/local/domain/1/data/io-events/offer

	mkdir -p "$d/log" "$d/state" "$d/xs"
	fake_toolstack "$d/bin"
	echo "console=hvc0 harness_domu_events=save-restore,save-restore,save-restore" >"$d/cmdline"
	(cd "$d" && BIN=$d/bin STATE=$d/state XS=$d/xs DOM0_LOG_DIR=$d/log \
		DOM0_CMDLINE=$d/cmdline DOM0_INIT_FUNCTIONS=1 sh -c '
		. "$0"
		PATH=$BIN:$PATH
		offer_events 1 pvh' "$REPO_DIR/scripts/guest/dom0-init" >"$d/out" 2>&1)
	if [ "$(cat "$d/xs$key" 2>/dev/null)" = "save-restore save-restore save-restore" ]; then
		ok "dom0: harness_domu_events= replaces the events offered"
	else
		not_ok "dom0: harness_domu_events= replaces the events offered"
		sed 's/^/# /' "$d/out"
	fi
}

# Bad settings of scripts/suspend-rate.sh are refused before anything
# boots.
test_suspend_rate_settings() {
	local setting out

	for setting in SAVES=7 SAVES=0 BOOTS=x JOBS=0 BUSY=-1; do
		if out=$(env "$setting" BUILD_DIR="$SCRATCH/empty-build" BASE=7.3 \
			"$REPO_DIR/scripts/suspend-rate.sh" 2>&1) ||
			! grep -q "^error: ${setting%%=*}=" <<<"$out"; then
			not_ok "suspend-rate.sh refuses $setting"
			printf '%s\n' "$out" | sed 's/^/# /'
			return
		fi
	done
	ok "suspend-rate.sh refuses bad SAVES, BOOTS, JOBS and BUSY before booting"
}

# harness_copy REPO: a copy of the harness's scripts in REPO, for a test
# to change
harness_copy() {
	mkdir -p "$1"
	cp -r "$REPO_DIR/scripts" "$1/"
}

# A copy of the harness whose boot-guest.sh is a stand-in: it records
# when each boot starts and ends, and leaves a passing cell.
fake_matrix_repo() {
	local repo=$1

	harness_copy "$repo"
	mkdir -p "$repo/patches/6.12"
	cat >"$repo/scripts/boot-guest.sh" <<'EOF_FAKE'
#!/usr/bin/env bash
set -euo pipefail
. "$(dirname "$0")/lib/common.sh"
. "$(dirname "$0")/lib/envs.sh"
out=$BUILD_DIR/results/$BASE/$2/$(cell_name "$1")
rm -rf "$out"
mkdir -p "$out"
echo "start $2/$1 $(date +%s.%N)" >>"$BUILD_DIR/boots.log"
if [ "$1" = xen-domu-hvm ]; then sleep 5; else sleep 1; fi
echo finished >"$out/outcome"
echo a >"$out/expected"
printf '@@T a: 1..1\n@@T a: ok 1 x\n@@TEST a rc=0 secs=1\n@@HARNESS END rc=0\n' >"$out/console.log"
echo "end $2/$1 $(date +%s.%N)" >>"$BUILD_DIR/boots.log"
python3 "$REPO_DIR/scripts/report.py" guest "$out"
EOF_FAKE
}

# A known-unbootable entry limited to one Xen version ("env@4.20") skips
# the cell on that Xen only: a copy of the harness with such an entry.
test_unbootable_per_xen() {
	local b=$SCRATCH/build-unbootable out=$SCRATCH/unbootable repo=$SCRATCH/unbootable-repo
	local -a env=(env BUILD_DIR="$b" BASE=7.3 XEN_GZ="$SCRATCH/xen.gz" OUT="$out")

	harness_copy "$repo"
	mkdir -p "$repo/patches/7.3" "$b/7.3/unpatched"
	echo "7.3 * xen-domu-hvm@4.20 made up for the test" >"$repo/scripts/known-unbootable"
	: >"$b/7.3/unpatched/bzImage"
	: >"$b/7.3/unpatched/dom0-initramfs-xen4.20.cpio.gz"
	: >"$b/7.3/unpatched/dom0-initramfs-xen4.17.cpio.gz"
	echo "not Xen" | gzip >"$SCRATCH/xen.gz"
	"${env[@]}" XEN=4.20 "$repo/scripts/boot-guest.sh" xen-domu-hvm unpatched >"$SCRATCH/out" 2>&1 || true
	if [ "$(cat "$out/outcome" 2>/dev/null)" = skipped ] &&
		grep -qx "made up for the test" "$out/skipped"; then
		ok "known-unbootable: an entry for xen-domu-hvm@4.20 skips the cell on Xen 4.20"
	else
		not_ok "known-unbootable: an entry for xen-domu-hvm@4.20 skips the cell on Xen 4.20"
		sed 's/^/# /' "$SCRATCH/out"
	fi
	"${env[@]}" XEN=4.17 QEMU_EXTRA=-nonexistent-option "$repo/scripts/boot-guest.sh" xen-domu-hvm unpatched >"$SCRATCH/out" 2>&1 || true
	if [ -s "$out/outcome" ] && [ "$(cat "$out/outcome")" != skipped ]; then
		ok "known-unbootable: the same entry does not skip the cell on Xen 4.17"
	else
		not_ok "known-unbootable: the same entry does not skip the cell on Xen 4.17"
		sed 's/^/# /' "$SCRATCH/out"
	fi
}

# A copy of the harness whose steps only record how scripts/check.sh
# called them.
fake_check_repo() {
	local repo=$1 base step

	harness_copy "$repo"
	for base in 7.3 6.12 6.1; do
		mkdir -p "$repo/patches/$base"
		: >"$repo/patches/$base/0001-x.patch"
	done
	for step in install-deps lint test-harness build test-dkms build-configs run-matrix \
		make-dom0-initramfs test-domu-crash; do
		# shellcheck disable=SC2016  # expanded by the stand-in
		printf '#!/bin/sh\necho "%s ${BASE:-} ${XEN:-} [${VARIANTS:-}] [${DOMU_VARIANTS:-}] [${ENVS:-}] $*" >>"$BUILD_DIR/steps.log"\n' \
			"$step" >"$repo/scripts/$step.sh"
	done
}

# expect_steps WHAT LOG LINE...: LOG holds the LINEs in that order
expect_steps() {
	local what=$1 log=$2
	shift 2

	if [ "$(grep -E '^(run-matrix|make-dom0-initramfs|test-domu-crash) ' "$log")" = "$(printf '%s\n' "$@")" ]; then
		ok "lanes: $what"
	else
		not_ok "lanes: $what"
		sed 's/^/# /' "$log"
	fi
}

# scripts/check.sh boots each base in its lanes: the Xen and environments
# of each, native in a base's first lane only; XEN= makes it one lane per
# base.
test_check_lanes() {
	local repo=$SCRATCH/lanes-repo b=$SCRATCH/build-lanes
	local all="native xen-pv xen-pv-nopti xen-pv-legacy xen-pvh xen-domu-pv xen-domu-pvh xen-domu-hvm"

	fake_check_repo "$repo"
	mkdir -p "$b"
	BUILD_DIR=$b "$repo/scripts/check.sh" >"$SCRATCH/out" 2>&1 || true
	expect_steps "each base on its Xen, 7.3 also on 4.17 in two PV environments" "$b/steps.log" \
		"run-matrix 7.3 4.20 [unpatched patched] [unpatched patched] [$all ] " \
		"run-matrix 7.3 4.17 [patched] [patched] [xen-pv xen-pv-legacy ] " \
		"test-domu-crash 7.3 4.20 [] [] [] " \
		"run-matrix 6.12 4.20 [patched] [patched] [$all ] " \
		"run-matrix 6.1 4.17 [patched] [patched] [$all ] "
	rm -f "$b/steps.log"
	BUILD_DIR=$b XEN=4.17 BASES=7.3 "$repo/scripts/check.sh" >"$SCRATCH/out" 2>&1 || true
	expect_steps "XEN= makes one lane on that Xen" "$b/steps.log" \
		"run-matrix 7.3 4.17 [unpatched patched] [unpatched patched] [$all ] " \
		"test-domu-crash 7.3 4.17 [] [] [] "
	rm -f "$b/steps.log"
	BUILD_DIR=$b ENVS="native xen-domu-pv" BASES=7.3 "$repo/scripts/check.sh" >"$SCRATCH/out" 2>&1 || true
	expect_steps "ENVS= applies to every lane; a later lane makes its own Xen's dom0 initramfs" "$b/steps.log" \
		"run-matrix 7.3 4.20 [unpatched patched] [unpatched patched] [native xen-domu-pv ] " \
		"make-dom0-initramfs 7.3 4.17 [] [] [native xen-domu-pv] patched" \
		"run-matrix 7.3 4.17 [patched] [patched] [xen-domu-pv ] " \
		"test-domu-crash 7.3 4.20 [] [] [native xen-domu-pv] "
}

# most_at_once LOG: the most boots that ran at the same time
most_at_once() {
	sort -k3 -n "$1" | awk '$1 == "start" { n++ } $1 == "end" { n-- } n > m { m = n } END { print m + 0 }'
}

# Boots run BOOT_JOBS at a time; a subset run replaces only its own cells
# and summarizes only them, and drops the summary of all bases.
test_matrix_runs() {
	local repo=$SCRATCH/matrix-repo b=$SCRATCH/build-matrix
	local -a env=(env BUILD_DIR="$b" BASE=6.12 XEN_GZ="$SCRATCH/xen.gz")

	fake_matrix_repo "$repo"
	echo "not Xen" | gzip >"$SCRATCH/xen.gz"
	"${env[@]}" BOOT_JOBS=2 VARIANTS=patched ENVS="native xen-pv xen-pvh" \
		"$repo/scripts/run-matrix.sh" >"$SCRATCH/out" 2>&1 || true
	if [ "$(most_at_once "$b/boots.log")" = 2 ] && [ "$(grep -c '^end' "$b/boots.log")" = 3 ]; then
		ok "matrix: BOOT_JOBS=2 boots two cells at a time, and every cell"
	else
		not_ok "matrix: BOOT_JOBS=2 boots two cells at a time, and every cell"
		sed 's/^/# /' "$b/boots.log" "$SCRATCH/out"
	fi
	rm -f "$b/boots.log"
	"${env[@]}" BOOT_JOBS=2 VARIANTS="unpatched patched" ENVS="xen-domu-hvm native" \
		"$repo/scripts/run-matrix.sh" >"$SCRATCH/out" 2>&1 || true
	if [ "$(grep xen-domu-hvm "$b/boots.log" | most_at_once /dev/stdin)" = 1 ] &&
		[ "$(most_at_once "$b/boots.log")" = 2 ]; then
		ok "matrix: two HVM domUs never boot at once, other cells beside them do"
	else
		not_ok "matrix: two HVM domUs never boot at once, other cells beside them do"
		sed 's/^/# /' "$b/boots.log"
	fi
	rm -f "$b/boots.log"
	echo '{}' >"$b/results/summary.json"
	"${env[@]}" BOOT_JOBS=1 VARIANTS=patched ENVS="native xen-pv" \
		"$repo/scripts/run-matrix.sh" >"$SCRATCH/out" 2>&1 || true
	if [ "$(most_at_once "$b/boots.log")" = 1 ]; then
		ok "matrix: BOOT_JOBS=1 boots one cell at a time"
	else
		not_ok "matrix: BOOT_JOBS=1 boots one cell at a time"
	fi
	if [ -f "$b/results/6.12/patched/xen-pvh@4.17/results.json" ] &&
		python3 -c 'import json, sys; r = json.load(open(sys.argv[1]))["results"]
sys.exit(sorted({x["env"] for x in r}) != ["native", "xen-pv"])' "$b/results/6.12/summary.json"; then
		ok "matrix: a subset run keeps the other cells and summarizes only its own"
	else
		not_ok "matrix: a subset run keeps the other cells and summarizes only its own"
	fi
	if [ ! -e "$b/results/summary.json" ] && grep -q "removing .*summary.json, the summary of an earlier" "$SCRATCH/out"; then
		ok "matrix: the summary of all bases is removed, saying so"
	else
		not_ok "matrix: the summary of all bases is removed, saying so"
	fi
}

# A boot stopped by a signal stops its QEMU and marks its cell
# interrupted: a stand-in QEMU that only waits.
test_interrupted_boot() {
	local b=$SCRATCH/build-int stubs=$SCRATCH/int-stubs pid i start
	local cell=$SCRATCH/build-int/results/6.12/patched/native

	mkdir -p "$stubs"
	printf '#!/bin/sh\necho $$ >"%s/qemu.pid"\nexec sleep 60\n' "$stubs" >"$stubs/qemu-system-x86_64"
	chmod +x "$stubs/qemu-system-x86_64"
	: >"$SCRATCH/int-image"
	env BUILD_DIR="$b" BASE=6.12 KERNEL="$SCRATCH/int-image" INITRD="$SCRATCH/int-image" \
		PATH="$stubs:$PATH" "$REPO_DIR/scripts/boot-guest.sh" native patched >"$SCRATCH/int.out" 2>&1 &
	pid=$!
	for ((i = 0; i < 50; i++)); do
		[ -f "$stubs/qemu.pid" ] && break
		sleep 0.2
	done
	sleep 1
	start=$SECONDS
	kill -TERM "$pid"
	wait "$pid" 2>/dev/null || true
	if [ $((SECONDS - start)) -le 10 ] && [ "$(cat "$cell/outcome" 2>/dev/null)" = interrupted ] &&
		! kill -0 "$(cat "$stubs/qemu.pid" 2>/dev/null || echo 0)" 2>/dev/null &&
		grep -q '"status": "MISSING"' "$cell/results.json"; then
		ok "boot: a boot stopped by a signal stops QEMU at once and marks its cell interrupted"
	else
		not_ok "boot: a boot stopped by a signal stops QEMU at once and marks its cell interrupted ($((SECONDS - start)) s)"
		sed 's/^/# /' "$SCRATCH/int.out"
	fi
}

# A hung guest's vCPUs are asked of QEMU's monitor before it is stopped,
# and their addresses named from the kernel's System.map, KASLR undone:
# a stand-in QEMU that prints nothing and answers on its monitor socket
# (MONITOR_MODE=answer) or never does (MONITOR_MODE=stuck).
test_hung_guest_cpu_state() {
	local b=$SCRATCH/build-hung stubs=$SCRATCH/hung-stubs img=$SCRATCH/hung-image mode
	local cell=$SCRATCH/build-hung/results/7.3/patched/native

	mkdir -p "$stubs" "$img" "$b/7.3/selftests"
	: >"$b/7.3/selftests/iopl_levels"
	: >"$img/bzImage"
	: >"$img/initramfs"
	printf 'ffffffff81000100 T default_idle\nffffffff81000200 T other\nffffffff81200000 b idt_table\n' \
		>"$img/System.map"
	cat >"$stubs/qemu-system-x86_64" <<'STUB'
#!/usr/bin/env python3
import os, socket, sys, time
path = sys.argv[sys.argv.index("-monitor") + 1][5:].split(",")[0]
srv = socket.socket(socket.AF_UNIX)
srv.bind(path)
srv.listen(1)
while True:
    conn, _ = srv.accept()
    if os.environ["MONITOR_MODE"] == "stuck":
        time.sleep(60)
    conn.sendall(b"QEMU monitor\r\n(qemu) ")
    cmd = conn.makefile().readline()
    if cmd.startswith("info registers"):
        conn.sendall(cmd.encode() + b"CPU#0\r\nRIP=ffffffff85000105 RFL=00000246 [---Z-P-] "
                     b"CPL=0 II=0 A20=1 SMM=0 HLT=1\r\nIDT=     ffffffff85200000 00000fff\r\n(qemu) ")
    else:
        conn.sendall(cmd.encode() + b"(qemu) ")
    conn.close()
STUB
	chmod +x "$stubs/qemu-system-x86_64"
	for mode in answer stuck; do
		env BUILD_DIR="$b" BASE=7.3 KERNEL="$img/bzImage" INITRD="$img/initramfs" TESTS=iopl_levels \
			BOOT_STALL=2 MAX_BOOTS=1 MONITOR_MODE=$mode MONITOR_WAIT=2 PATH="$stubs:$PATH" \
			"$REPO_DIR/scripts/boot-guest.sh" native patched >"$SCRATCH/hung-$mode.out" 2>&1 || true
		cp "$cell/console.cpus" "$SCRATCH/hung-$mode.cpus" 2>/dev/null || true
	done
	if grep -qx 'vCPU 0: IP ffffffff85000105 CPL=0 HLT=1 default_idle+0x5' "$SCRATCH/hung-answer.cpus" &&
		grep -q 'default_idle+0x5' "$SCRATCH/hung-answer.out"; then
		ok "boot: a hung guest's vCPUs are recorded, named from System.map with KASLR undone"
	else
		not_ok "boot: a hung guest's vCPUs are recorded, named from System.map with KASLR undone"
		sed 's/^/# /' "$SCRATCH/hung-answer.out" "$SCRATCH/hung-answer.cpus"
	fi
	if grep -q "monitor did not answer within 2s: QEMU itself is stuck" "$SCRATCH/hung-stuck.cpus"; then
		ok "boot: a QEMU whose monitor does not answer is said to be stuck itself"
	else
		not_ok "boot: a QEMU whose monitor does not answer is said to be stuck itself"
		sed 's/^/# /' "$SCRATCH/hung-stuck.out"
	fi
}

# A test that cannot apply in an environment is not run there (the guest
# is told harness_na=) nor expected, and its matrix row shows "-" there;
# kexec_handover runs on a kernel whose series has a hypervisor type to
# hand over, and only there.  A stand-in QEMU prints its arguments and the end line.
# scripts/flake-rates.sh boots a cell BOOTS times, never again on a
# signature, and counts the boots that showed each class: a stand-in QEMU
# whose first boot shows SIGILL.
test_flake_rates() {
	local b=$SCRATCH/build-flake stubs=$SCRATCH/flake-stubs row

	mkdir -p "$stubs" "$b/7.3/selftests"
	# shellcheck disable=SC2016  # expanded by the stand-in, not here
	printf '#!/bin/sh
n=$(cat "%s/boots" 2>/dev/null || echo 0)
echo $((n + 1)) >"%s/boots"
echo "@@HARNESS BEGIN env=native variant=patched base=7.3"
[ "$n" = 0 ] && echo "Illegal instruction"
printf "@@T iopl_levels: 1..1\\n@@T iopl_levels: ok 1 x\\n@@TEST iopl_levels rc=0 secs=1\\n"
echo "@@HARNESS END rc=0"
' "$stubs" "$stubs" >"$stubs/qemu-system-x86_64"
	chmod +x "$stubs/qemu-system-x86_64"
	: >"$b/7.3/selftests/iopl_levels"
	: >"$SCRATCH/flake-image"
	env BUILD_DIR="$b" BASES=7.3 VARIANTS=patched ENVS=native BOOTS=2 TESTS=iopl_levels \
		KERNEL="$SCRATCH/flake-image" INITRD="$SCRATCH/flake-image" PATH="$stubs:$PATH" \
		"$REPO_DIR/scripts/flake-rates.sh" >"$SCRATCH/flake.out" 2>&1 || true
	row=$(grep '^7.3 patched native idle ' "$b/flake-rates/table.txt" 2>/dev/null | tr -s ' ') || true
	if [ "$row" = "7.3 patched native idle 2 2 0 1 0 0 0 0" ] && [ "$(cat "$stubs/boots")" = 2 ]; then
		ok "flake-rates: two boots, never repeated, one counted with an fpu signature"
	else
		not_ok "flake-rates: two boots, never repeated, one counted with an fpu signature (row '$row')"
		sed 's/^/# /' "$SCRATCH/flake.out"
	fi
	expect_error "flake-rates: BOOTS=0" "BOOTS=0: not a positive number" \
		env BUILD_DIR="$b" BOOTS=0 "$REPO_DIR/scripts/flake-rates.sh"
}

test_not_applicable() {
	local b=$SCRATCH/build-na stubs=$SCRATCH/na-stubs t
	local cell=$SCRATCH/build-na/results/7.3/patched/native

	mkdir -p "$stubs" "$b/7.3/selftests"
	printf '#!/bin/sh
echo "$*"
echo "@@HARNESS END rc=0"
' >"$stubs/qemu-system-x86_64"
	chmod +x "$stubs/qemu-system-x86_64"
	for t in io_domu_ungranted iopl_levels; do
		: >"$b/7.3/selftests/$t"
	done
	: >"$SCRATCH/na-image"
	env BUILD_DIR="$b" BASE=7.3 KERNEL="$SCRATCH/na-image" INITRD="$SCRATCH/na-image" \
		PATH="$stubs:$PATH" "$REPO_DIR/scripts/boot-guest.sh" native patched >"$SCRATCH/na.out" 2>&1 || true
	if grep -q 'harness_na=io_domu_ungranted' "$cell/console.log" &&
		! grep -q harness_hang_dump "$cell/console.log" &&
		grep -qx iopl_levels "$cell/expected" && ! grep -qx io_domu_ungranted "$cell/expected"; then
		ok "boot: a test that cannot apply is neither run nor expected"
	else
		not_ok "boot: a test that cannot apply is neither run nor expected"
		sed 's/^/# /' "$SCRATCH/na.out" "$cell/expected"
	fi
	if grep -qx module_reload "$cell/expected" && grep -qx kexec_handover "$cell/expected" &&
		grep -q 'harness_extra=.*kexec_handover' "$cell/console.log"; then
		ok "boot: kexec_handover on a kernel with boot_params.hypervisor_type"
	else
		not_ok "boot: kexec_handover on a kernel with boot_params.hypervisor_type"
	fi
	cell=$SCRATCH/build-na/results/7.3/unpatched/native
	env BUILD_DIR="$b" BASE=7.3 KERNEL="$SCRATCH/na-image" INITRD="$SCRATCH/na-image" \
		PATH="$stubs:$PATH" "$REPO_DIR/scripts/boot-guest.sh" native unpatched >"$SCRATCH/na.out" 2>&1 || true
	if grep -qx module_reload "$cell/expected" && ! grep -qx kexec_handover "$cell/expected" &&
		! grep -q 'harness_extra=.*kexec_handover' "$cell/console.log"; then
		ok "boot: no kexec_handover on a kernel without the boot-protocol patches"
	else
		not_ok "boot: no kexec_handover on a kernel without the boot-protocol patches"
		sed 's/^/# /' "$SCRATCH/na.out"
	fi
	# shellcheck disable=SC2016  # expanded by lib_says's shell
	if [ -z "$(lib_says 6.12 '. "$1/scripts/lib/envs.sh"; env_inapplicable_tests xen-domu-pv; env_inapplicable_tests xen-domu-pvh')" ]; then
		ok "boot: every test applies in the PV and PVH domUs"
	else
		not_ok "boot: every test applies in the PV and PVH domUs"
	fi
	test_not_applicable_matrix
}

test_not_applicable_matrix() {
	local r=$SCRATCH/na-results/6.12/patched row
	local a='@@T a: 1..1\n@@T a: ok 1 x\n@@TEST a rc=0 secs=1\n'
	local b='@@T b: 1..1\n@@T b: ok 1 x\n@@TEST b rc=0 secs=1\n'

	fake_guest "$r/native" finished "a" "$a@@HARNESS END rc=0\n"
	fake_guest "$r/xen-domu-pv" finished "a b" "$a$b@@HARNESS END rc=0\n"
	python3 "$REPO_DIR/scripts/report.py" guest "$r/native" >/dev/null || true
	python3 "$REPO_DIR/scripts/report.py" guest "$r/xen-domu-pv" >/dev/null || true
	python3 "$REPO_DIR/scripts/report.py" matrix "$SCRATCH/na-results" >"$SCRATCH/matrix.out" || true
	row=$(grep '^  b ' "$SCRATCH/matrix.out" | tr -s ' ') || true
	if [ "$row" = " b - PASS " ] && grep -q '^verdict: PASS' "$SCRATCH/matrix.out"; then
		ok "report: a test that does not apply shows \"-\" and leaves the verdict PASS"
	else
		not_ok "report: a test that does not apply shows \"-\" and leaves the verdict PASS (row '$row')"
		sed 's/^/# /' "$SCRATCH/matrix.out"
	fi
}

main() {
	echo "TAP version 13"
	test_relocate
	test_report
	test_dom0_events
	test_dom0_events_override
	test_dom0_quiet_domu
	test_env_check_spliced
	test_env_check_xen_version
	test_guest_state_command
	test_suspend_rate_settings
	test_watch
	test_matrix_runs
	test_check_lanes
	test_interrupted_boot
	test_hung_guest_cpu_state
	test_not_applicable
	test_emulator_defects
	test_flake_rates
	test_unbootable_per_xen
	test_bad_input
	test_bases
	test_incremental_apply
	test_format_series
	test_posting
	echo "1..$((passed + failed))"
	printf '%d passed, %d failed\n' "$passed" "$failed"
	[ "$failed" -eq 0 ]
}

main "$@"
