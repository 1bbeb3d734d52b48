#!/usr/bin/env bash
# Sourced by scripts/boot-guest.sh, and tested by scripts/test-harness.sh.
#
# Defects of the emulation, not of the kernel under test, seen under TCG.
# A boot that shows one is repeated, up to MAX_BOOTS boots; what the last
# boot shows is the result, and the run's summary counts every repeat.
# How often each showed, unpatched against patched: README, "How often a
# boot is repeated" (make flake-rates).  Each rule, and what it rests on:
#
# early-end     The guest ended before its init reported, and Linux
#               printed no panic, oops or BUG (a kernel that crashes
#               that early has a bug to find): a guest silent after
#               Xen's "Freed init memory" for 300 s, in the unpatched
#               6.12 PVH dom0, before Linux's first line; once in native
#               (7.3 unpatched, both cores busy) without a line at all.
#               Where a hung guest's vCPUs were is kept since, in
#               console.cpus (docs/verdicts.md, "Hangs").
# fpu           A harness tool (busybox, never a test) killed by SIGILL,
#               Linux's "Bad FPU state detected" (a faulting XRSTOR), or
#               busybox unable to return from a signal handler ("bad
#               frame in rt_sigreturn ... in busybox", which restores FPU
#               state; seen once, it killed the init).  Cause shown:
#               QEMU's SVM emulation does not intercept XSETBV, so Xen
#               loads a stale XCR0 into the vCPUs of HVM-type guests
#               (docs/verdicts.md, "XCR0 in the HVM-type guests"); with
#               XSAVE 3 boots of 10 of the unpatched 7.3 PVH dom0 showed
#               it, with noxsave (what those guests now boot with) none
#               of the boots since.  A test that dies of SIGILL fails:
#               its "Illegal instruction" is in its own "@@T" output.
# triple-fault  Xen reports a vCPU's triple fault, always at a switch
#               between Xen and the guest that the emulated SVM makes:
#               the saved state has Xen's own code selector (e008), RIP
#               and stack, with CR2 that RIP (the vCPU was entered with
#               the host's state, which no guest kernel can cause), or
#               RIP is just after an RDTSC or a VMMCALL, which Xen
#               intercepts.  Each kind shows without the series too,
#               only in the PVH dom0, and none more often with it than
#               chance explains (the README has the counts and the
#               test).
# tool-signal   A harness tool killed by a signal: the guest's init says
#               so, or its shell ("Segmentation fault" at the start of a
#               line; a test's own is in its "@@T" output).  Seen in PVH
#               and HVM domUs under Xen's lazy FPU switching, which lost
#               their tasks' XMM registers as often without the series
#               (docs/verdicts.md); the domUs now get eager switching.
# tool-abort    glibc aborted a harness tool ("corrupted double-linked
#               list", then "Aborted"): seen once, in the patched 6.1 PVH
#               domU under lazy FPU switching, as above.
# shellcheck disable=SC2034  # read by scripts/boot-guest.sh
MAX_BOOTS=${MAX_BOOTS:-5}

# The signatures, one class a line: "<class> <extended regex>".
#   fpu           a harness tool's SIGILL, a faulting XRSTOR, or a busybox
#                 process that could not return from a signal handler
#   triple-fault  Xen reports a guest vCPU's triple fault
#   tool-signal   a harness tool killed by a signal (SIGSEGV and the like)
#   tool-abort    glibc aborted a harness tool (its heap corrupted)
EMULATOR_DEFECT_CLASSES=(
	'fpu ^(harness: [a-z_]+: )?Illegal instruction|Bad FPU state detected|^[a-z0-9_.-]+\[[0-9]+\] bad frame in rt_sigreturn .* in busybox\['
	'triple-fault \(XEN\) d[0-9]+v[0-9]+ Triple fault'
	'tool-signal ^harness: a harness tool crashed|^(harness: [a-z_]+: )?Segmentation fault'
	'tool-abort ^(harness: [a-z_]+: )?(Aborted|corrupted [a-z -]+$|double free or corruption|(malloc|free)\(\): )'
)

# emulator_defect_re: every class's signature, as one regex
emulator_defect_re() {
	local class

	for class in "${EMULATOR_DEFECT_CLASSES[@]}"; do
		printf '%s\n' "${class#* }"
	done | paste -sd '|' -
}
EMULATOR_DEFECT_RE=$(emulator_defect_re)

# What Linux prints when it crashes: a kernel that does so before its
# init reports has a bug to find, not a boot to repeat.
LINUX_CRASH_RE='Kernel panic - not syncing|BUG: kernel|BUG: unable to handle|Oops: |general protection fault'

# ended_early OUTCOME LOG: whether the boot ended before the guest's init
# reported, without a kernel crash
ended_early() {
	[ "$1" != finished ] && ! grep -aqF '@@HARNESS BEGIN' "$2" &&
		! grep -aqE "$LINUX_CRASH_RE" "$2"
}

# emulator_flake OUTCOME LOG: print why the boot looks like one, or fail.
emulator_flake() {
	local line

	if ended_early "$1" "$2"; then
		echo "ended ($1) before the guest's init reported"
		return 0
	fi
	line=$(grep -aE -m1 "$EMULATOR_DEFECT_RE" "$2" | tr -d '\r') || return 1
	echo "emulator defect: ${line:0:120}"
}

# defect_classes OUTCOME LOG: the classes whose signature the boot shows,
# "early-end" for one that ended before the guest's init reported, one a
# line (scripts/flake-rates.sh counts them)
defect_classes() {
	local class

	if ended_early "$1" "$2"; then
		echo early-end
	fi
	for class in "${EMULATOR_DEFECT_CLASSES[@]}"; do
		if grep -aqE "${class#* }" "$2"; then
			printf '%s\n' "${class%% *}"
		fi
	done
}
