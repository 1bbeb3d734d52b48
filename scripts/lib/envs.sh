#!/usr/bin/env bash
# The guest environments: how QEMU (and Xen) boot a kernel and initramfs in
# each.  Sourced by scripts/boot-guest.sh; the command lines are those
# known to work under TCG emulation, with the reason for each choice.

ALL_ENVS=(native xen-pv xen-pv-nopti xen-pv-legacy xen-pvh
	xen-domu-pv xen-domu-pvh xen-domu-hvm)

# Kernel parameter that forces the legacy (pre-assist) Xen PV IOPL path.
LEGACY_IOPL_PARAM=xen_legacy_iopl

# The dom0 of the xen-domu-* environments, which runs Xen's toolstack and
# creates the kernel under test with xl: the unpatched (mainline) kernel
# of the primary base, the same build that is tested as "unpatched" there;
# Kconfig.fragment gives every kernel what the toolstack needs.  In the
# 7.3 lane it comes from that lane's tree (KSRC= included); other lanes
# build or reuse Debian's 7.3 (scripts/build.sh).
DOM0_BASE=7.3
DOM0_VARIANT=unpatched

# shellcheck source=scripts/lib/xen-versions.sh
. "$(dirname "${BASH_SOURCE[0]}")/xen-versions.sh"
XEN_ELF=${XEN_ELF:-$BUILD_DIR/xen/xen-$XEN.elf}
XEN_GZ=${XEN_GZ:-$(xen_root "$XEN")/boot/xen-$XEN-amd64.gz}

env_known() {
	in_list "$1" "${ALL_ENVS[@]}"
}

# cell_name ENV: the name of a cell's results directory under
# results/<base>/<variant>/: the environment, and for one that boots Xen
# the Xen version too ("xen-pv@4.20"), so that the same kernel booted on
# two Xen versions keeps both results.
cell_name() {
	if [ "$1" = native ]; then
		printf '%s\n' "$1"
	else
		printf '%s@%s\n' "$1" "$XEN"
	fi
}

# Whether the kernel under test runs as a domU that a dom0 creates with xl
# (scripts/guest/dom0-init), rather than as the dom0 or on bare QEMU.
env_is_domu() {
	case "$1" in
	xen-domu-*) return 0 ;;
	*) return 1 ;;
	esac
}

# domu_envs_wanted: whether any environment of ENVS (all by default) is a
# domU created by a dom0
domu_envs_wanted() {
	local env

	for env in ${ENVS:-${ALL_ENVS[*]}}; do
		env_is_domu "$env" && return 0
	done
	return 1
}

# where_booted ENV: how reports name where a cell boots ("xen-pv on Xen
# 4.20"; native runs no Xen)
where_booted() {
	if [ "$1" = native ]; then
		printf '%s\n' "$1"
	else
		printf '%s on Xen %s\n' "$1" "$XEN"
	fi
}

# env_boot_files ENV VARIANT: the kernel and the initramfs QEMU loads, one
# per line.  In the domU environments that is the dom0, whose initramfs
# carries the kernel under test (scripts/make-dom0-initramfs.sh).
env_boot_files() {
	local kdir=$LANE_DIR/$2

	if env_is_domu "$1"; then
		printf '%s\n' "$BUILD_DIR/$DOM0_BASE/$DOM0_VARIANT/bzImage" "$kdir/dom0-initramfs-xen$XEN.cpio.gz"
	else
		printf '%s\n' "$kdir/bzImage" "$kdir/initramfs.cpio.gz"
	fi
}

# Guest checks that run in some environments only, one per line:
# boot_declared and kexec_handover where the kernel can start another
# with kexec: bare metal.  A Xen dom0 hands kexec to the hypervisor, a PV
# domU has none, and in the PVH and HVM domUs kexec is a soft reset that
# this toolstack does not carry through (Xen 4.20's xl exits after "Done.
# Rebooting now" for a PVH domU; for an HVM one it restarts the device
# model, and nothing the kexec'd kernels print reaches its console); and
# module_reload (a thousand unload/load cycles, a minute under emulation)
# where it is quickest, since the module's load path is the same in all.
env_extra_tests() {
	case "$1" in
	native) printf '%s\n' module_reload boot_declared kexec_handover ;;
	esac
}

# Selftests that cannot apply in the environment, one per line: the guest
# does not run them there and the matrix shows "-" (not applicable), so
# that a SKIP always means a test that ran and said why it could not.
# io_domu_ungranted needs a domU that xl granted some ports and not
# others, and a console other than COM1; an HVM domU's port accesses go
# to its device model, not to Xen's permission check.  io_domu_events
# needs a dom0 that makes the events it asks for (scripts/guest/dom0-init).
env_inapplicable_tests() {
	case "$1" in
	xen-domu-pv | xen-domu-pvh) ;;
	xen-domu-hvm) echo io_domu_ungranted ;;
	*) printf '%s\n' io_domu_ungranted io_domu_events ;;
	esac
}

# Seconds the console of a guest may stay quiet before it is declared
# hung (scripts/lib/guest-watch.sh).  While a test runs the init says so
# every 30 s (and stops the test after harness_timeout, 300 s of the
# guest's time), so the longest quiet stretch of a healthy boot is a
# domU's boot before its init: each boot records its own in
# console.silence.  On 2026-12-02 the longest
# were 91 s (native, before module_reload said how far it was), 13 s (PVH
# domU) and 64 s (HVM domU: its firmware and kernel print nothing) on an
# idle host, and 165 s for the HVM domU while a kernel built beside it.
env_stall_limit() {
	case "$1" in
	xen-domu-hvm) echo 600 ;;
	*) echo 300 ;;
	esac
}

# Seconds a whole boot may take at most, however much it prints: three
# times the longest healthy boot of the environment on an idle host.
env_time_limit() {
	case "$1" in
	native) echo 720 ;;
	*) echo 1800 ;;
	esac
}

# Xen's multiboot loader in QEMU wants an ELF, Debian ships it gzipped.
ensure_xen_elf() {
	check_xen
	[ -r "$XEN_GZ" ] || die "$XEN_GZ not found; $(xen_how_to_get "$XEN")"
	if [ ! -s "$XEN_ELF" ] || [ "$XEN_GZ" -nt "$XEN_ELF" ]; then
		mkdir -p "$(dirname "$XEN_ELF")"
		zcat "$XEN_GZ" >"$XEN_ELF.tmp"
		mv "$XEN_ELF.tmp" "$XEN_ELF"
	fi
}

# Xen's log level: what 4.17 prints at "warning" (its default), 4.20
# prints at "info" (its default since Xen 4.18 made plain printk() INFO),
# env_check included.
xen_loglvl() {
	case "$XEN" in
	4.17) echo warning ;;
	*) echo info ;;
	esac
}

# The dom0's memory: in the domU environments it holds the domU's save
# image (384 MB, "xl save" in scripts/guest/dom0-init) in its tmpfs.
dom0_mem() {
	case "$1" in
	xen-domu-*) echo 896M ;;
	*) echo 512M ;;
	esac
}

# Xen's own command line for an environment.
xen_args() {
	local common

	common="console=com1 com1=115200,8n1 dom0_mem=$(dom0_mem "$1") loglvl=$(xen_loglvl) guest_loglvl=warning"

	case "$1" in
	xen-pv | xen-pv-legacy) echo "$common xpti=dom0=true" ;;
	xen-pv-nopti) echo "$common xpti=dom0=false" ;;
	xen-pvh) echo "$common dom0=pvh iommu=1 cpuidle=no" ;;
	# The dom0 has CPU 0 to itself; the domU gets CPU 1
	# (scripts/guest/dom0-init).  Eager FPU switching: with Xen's lazy
	# switching (its default on AMD CPUs, as QEMU's EPYC model is) the
	# two vCPUs of a PVH or HVM domU, which share CPU 1, now and then saw their
	# XMM registers go back to older contents under QEMU's SVM
	# emulation, whatever the kernel (docs/verdicts.md).
	xen-domu-*) echo "$common cpuidle=no dom0_max_vcpus=1 dom0_vcpus_pin spec-ctrl=eager-fpu" ;;
	esac
}

# Linux command line additions of an environment.
env_kernel_args() {
	case "$1" in
	# no_timer_check: under a loaded TCG host the IO-APIC timer check
	# can time out and panic a healthy guest.
	native) echo "console=ttyS0 no_timer_check" ;;
	xen-pv-legacy) echo "console=hvc0 $LEGACY_IOPL_PARAM" ;;
	xen-pvh) echo "console=hvc0 $(xen_hvm_guest_args pvh)" ;;
	*) echo "console=hvc0" ;;
	esac
}

# env_qemu_cmd ENV KERNEL INITRD CMDLINE: print the QEMU argv, one per line.
env_qemu_cmd() {
	local env=$1 kernel=$2 initrd=$3 cmdline=$4
	local -a cmd extra=()

	read -r -a extra <<<"${QEMU_EXTRA:-}"
	cmd=(qemu-system-x86_64 -display none -no-reboot -nic none
		-serial stdio -smp 2 -accel "tcg${QEMU_TCG_OPTS:-}" "${extra[@]}")
	case "$env" in
	native)
		cmd+=(-cpu max -m 512 -kernel "$kernel" -initrd "$initrd"
			-append "$cmdline")
		;;
	xen-pv | xen-pv-nopti | xen-pv-legacy)
		cmd+=(-cpu Haswell-noTSX -m 1024 -kernel "$XEN_ELF"
			-append "$(xen_args "$env")"
			-initrd "$kernel ${cmdline//,/,,},$initrd")
		;;
	xen-pvh)
		# QEMU's option syntax: the commas belong to one argument.
		# shellcheck disable=SC2054
		cmd+=(-machine q35 -device intel-iommu -cpu EPYC,-rdtscp,-monitor
			-m 1024 -kernel "$XEN_ELF" -append "$(xen_args "$env")"
			-initrd "$kernel ${cmdline//,/,,},$initrd")
		;;
	xen-domu-pv)
		# A PV domU needs no hardware virtualization: the CPU model
		# of xen-pv; room for the dom0 and a 384 MB domU.
		cmd+=(-cpu Haswell-noTSX -m 1536 -kernel "$XEN_ELF"
			-append "$(xen_args "$env")"
			-initrd "$kernel ${cmdline//,/,,},$initrd")
		;;
	xen-domu-*)
		# A PV dom0 on the CPU model whose SVM (with nested paging)
		# QEMU emulates, which PVH and HVM domUs need.  Without SMAP:
		# with it, Xen faults writing an exception frame to the PV
		# dom0's stack (create_bounce_frame, #PF on a present page)
		# and the dom0 dies before its first line.
		# shellcheck disable=SC2054
		cmd+=(-cpu EPYC,-rdtscp,-monitor,-smap
			-m 1536 -kernel "$XEN_ELF" -append "$(xen_args "$env")"
			-initrd "$kernel ${cmdline//,/,,},$initrd")
		;;
	esac
	printf '%s\n' "${cmd[@]}"
}

# env_check ENV CONSOLE: TAP on whether the guest ran in the environment
# it was meant for, judged from what Xen, the dom0 and the guest printed:
# the Xen version too, as the guest's x86-guest-state read it from
# /sys/hypervisor, and in the domU environments the dom0's toolstack
# version.
env_check() {
	local lines joined

	# Judged on the lines as the guest wrote them: Xen writes a message
	# of its own into the middle of a guest line ("@@HARNESS BEGIN
	# e(XEN) uart interrupt taking more than 4ms ..."), which the report
	# puts back together too (scripts/report.py, unsplice_xen).
	joined=$(mktemp)
	unspliced_console "$2" >"$joined"
	lines=$(env_check_lines "$1" "$joined")
	rm -f "$joined"
	echo "TAP version 13"
	echo "1..$(grep -c '^' <<<"$lines")"
	printf '%s\n' "$lines"
	! grep -q '^not ok' <<<"$lines"
}

# unspliced_console LOG: LOG with every guest line that Xen or the dom0
# split put back together
unspliced_console() {
	python3 -c 'import sys
sys.path.insert(0, sys.argv[1])
import report
print("\n".join(report.read_console(sys.argv[2])))' "$REPO_DIR/scripts" "$1"
}

# env_check_lines ENV CONSOLE: the TAP lines of env_check, numbered in turn
env_check_lines() {
	local env=$1 log=$2 n=2 xen_re=${XEN//./\\.}

	env_expect "$log" 1 "the guest's init ran with harness_env=$env" "@@HARNESS BEGIN env=$env "
	case "$env" in
	native) env_expect "$log" 2 "no hypervisor below Linux" '^\(XEN\)' absent ;;
	xen-pv | xen-pv-legacy) env_expect "$log" 2 "Xen has XPTI on for dom0" 'XPTI \(64-bit PV only\): Dom0 enabled' ;;
	xen-pv-nopti) env_expect "$log" 2 "Xen has XPTI off for dom0" 'XPTI \(64-bit PV only\): Dom0 disabled' ;;
	xen-pvh) env_expect "$log" 2 "Xen built a PVH dom0" 'PVH is an experimental mode|Dom0 kernel: .*PVH|dom0=pvh' ;;
	xen-domu-*) env_expect "$log" 2 "the dom0 created the domU with xl" "^dom0: xl create -c /domu/${env#xen-domu-}\.cfg" ;;
	esac
	[ "$env" != native ] || return 0
	env_expect "$log" $((++n)) "the guest runs on Xen $XEN" \
		"^@@S version \\(from /sys/hypervisor\\) +$xen_re([^0-9.]|\$)"
	env_is_domu "$env" || return 0
	env_expect "$log" $((++n)) "the dom0 runs Xen $XEN's toolstack" \
		"^dom0: toolstack Xen $xen_re, hypervisor Xen $xen_re([.]|\$)"
	case "$env" in
	xen-domu-pv | xen-domu-pvh)
		# The line io_domu_ungranted writes to COM1, which Xen drops.
		env_expect "$log" $((++n)) "the domU's writes to ungranted port 0x3f8 never reached the UART" \
			'xen-domu: a write to an ungranted port reached the UART' absent
		;;
	esac
}

# env_expect LOG N WHAT REGEX [absent]: TAP line N on REGEX in LOG (env_check
# judges the lines)
env_expect() {
	local found=yes want=yes result=ok

	grep -aqE "$4" "$1" || found=no
	[ "${5:-}" != absent ] || want=no
	[ "$found" = "$want" ] || result="not ok"
	echo "$result $2 $3"
}
