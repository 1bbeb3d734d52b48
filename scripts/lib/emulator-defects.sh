#!/usr/bin/env bash
# Sourced by scripts/boot-guest.sh, and tested by scripts/test-harness.sh.
#
# Defects of the emulation, not of the kernel under test, seen under TCG:
# a guest that dies before its init reports, and in the PVH dom0 and the
# PVH and HVM domUs QEMU's SVM emulation faulting XRSTOR (Linux: "Bad FPU
# state detected", then SIGILL in user space, where no test executes an
# invalid opcode) or triple-faulting the vCPU (Xen: "d1v0 Triple fault",
# with RIP at a Xen address), and a harness tool (busybox, never a test)
# dying of SIGSEGV or SIGILL, which the guest's init reports, or its shell
# does ("Segmentation fault" at the start of a line: a test's own crash
# is its exit status, since tests run under timeout), or one that could
# not return from a signal handler ("bad frame in rt_sigreturn ... in
# busybox", which restores the FPU state with XRSTOR: seen once in the
# PVH dom0, 6.1 patched, 2026-12-04, after two tools reading the KUnit
# report had died of a signal and in a cell whose first boot had shown
# SIGILL; it killed the init).  A boot that
# shows one is repeated, up to MAX_BOOTS boots; what the last boot shows
# is the result.  A harness tool that glibc aborts (a heap-corruption
# message such as "corrupted double-linked list", then the shell's
# "Aborted") counts as one that died of SIGSEGV: seen once, a tool reading
# the KUnit report in the 6.1 patched PVH domU (2026-12-03), under Xen's
# lazy FPU switching, which was shown to lose the XMM registers of those
# domUs' tasks (docs/verdicts.md).  A test's own death is never matched:
# its output is "@@T"-prefixed, and it shows as its exit status.
#
# The SIGILL and XRSTOR faults have a shown cause: QEMU's SVM emulation
# does not intercept XSETBV, so Xen loads a stale XCR0 into the guest's
# vCPUs (docs/verdicts.md, "XCR0 in the HVM-type guests").  Since those
# guests boot with noxsave the unpatched 7.3 PVH dom0 passed 10 boots of
# 10 without a repeat, against 3 of 10 crashed with XSAVE; the rules
# stay, so that a boot that still shows one says so instead of failing
# for the emulator, and the run's summary counts every repeat.
# shellcheck disable=SC2034  # read by scripts/boot-guest.sh
MAX_BOOTS=${MAX_BOOTS:-5}

# The signatures, one class a line: "<class> <extended regex>".
#   fpu           SIGILL, a faulting XRSTOR, or a busybox process that
#                 could not return from a signal handler
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
