#!/usr/bin/env bash
# xl domain configs that boot the harness's kernel and initramfs as a PV,
# a PVH or an HVM domU.  The same text serves a real Xen host
# (scripts/write-xl-configs.sh) and the emulated one of the xen-domu-*
# environments (scripts/make-dom0-initramfs.sh).  Sourced after common.sh.

# shellcheck disable=SC2034  # used by the scripts that source us
XL_DOMU_TYPES=(pv pvh hvm)

# The ports the selftests write (0x80, 0xed), granted to the domU in xl's
# hex syntax.  Every other port the tests touch is one the domU must not
# reach: Xen drops its writes and reads it as all ones.
XL_IOPORTS='"80", "ed"'

# xl_domu_console TYPE: the console the domU's Linux writes to.  An HVM
# guest has QEMU's emulated UART; PV and PVH have Xen's console ring.
xl_domu_console() {
	case "$1" in
	hvm) echo ttyS0 ;;
	*) echo hvc0 ;;
	esac
}

# xl_domu_args TYPE: kernel parameters a domU type needs.  An HVM guest's
# console is a UART that QEMU emulates in the dom0, one exit per byte;
# where that is slow (under TCG, where the environments run) the UART's
# interrupt held a vCPU for 21 s, and RCU reported a stall.  The longest
# stall timeout keeps real hangs reported.
xl_domu_args() {
	case "$1" in
	hvm) echo " rcupdate.rcu_cpu_stall_timeout=300" ;;
	esac
}

# xl_harness_args TYPE VARIANT: the guest init's settings for a domU of
# TYPE running VARIANT of $BASE (scripts/guest/init).
xl_harness_args() {
	echo "panic=-1 quiet harness_env=xen-domu-$1 harness_variant=$2 harness_base=$BASE"
}

# xl_domu_config TYPE NAME KERNEL RAMDISK EXTRA: print the config.
# A crash is preserved, so that whoever created the domU can tell a crash
# ("xl list" state c) from a shutdown; every other end destroys it.
xl_domu_config() {
	local type=$1 name=$2 kernel=$3 ramdisk=$4 extra=$5

	cat <<CFG
name = "$name"
type = "$type"
kernel = "$kernel"
ramdisk = "$ramdisk"
extra = "console=$(xl_domu_console "$type")$(xl_domu_args "$type") $extra"
memory = 384
vcpus = 2
ioports = [ $XL_IOPORTS ]
on_poweroff = "destroy"
on_reboot = "destroy"
on_crash = "preserve"
CFG
	if [ "$type" = hvm ]; then
		# No disk, network or display: the guest boots the kernel that
		# QEMU loads and talks on its first UART only.
		printf '%s\n' 'serial = "pty"' 'vga = "none"' 'nographic = 1' 'vnc = 0'
	fi
}
