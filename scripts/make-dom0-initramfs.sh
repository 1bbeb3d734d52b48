#!/usr/bin/env bash
# Make the initramfs of the dom0 that runs the xen-domu-* environments:
# Xen's toolstack from Debian's packages (xl, xenstored, xenconsoled, the
# HVM firmware and device model, each binary with the libraries it links),
# the dom0's init (scripts/guest/dom0-init), and the kernel under test
# with its symbols, its test initramfs and an xl config for each domU type
# (scripts/lib/xl-config.sh).  The dom0 itself runs the unpatched 7.3
# kernel (DOM0_BASE in scripts/lib/envs.sh).
#
# The toolstack part depends on the installed packages only; it is made
# once and reused, and the two parts are two cpio archives one after the
# other, which Linux unpacks in turn.
#
# Usage: BASE=7.3|6.12|6.1 [XEN=4.17|4.20] scripts/make-dom0-initramfs.sh
#            unpatched|patched
# Output: $BUILD_DIR/$BASE/<variant>/dom0-initramfs-xen<XEN>.cpio.gz
set -euo pipefail
# shellcheck source=scripts/lib/common.sh
. "$(dirname "$0")/lib/common.sh"
# shellcheck source=scripts/lib/variants.sh
. "$(dirname "$0")/lib/variants.sh"
# shellcheck source=scripts/lib/initramfs.sh
. "$(dirname "$0")/lib/initramfs.sh"
# shellcheck source=scripts/lib/xl-config.sh
. "$(dirname "$0")/lib/xl-config.sh"
# shellcheck source=scripts/lib/xen-versions.sh
. "$(dirname "$0")/lib/xen-versions.sh"

# The toolstack of XEN (scripts/lib/xen-versions.sh): the host's packages
# for 4.17, the root that scripts/fetch-xen.sh unpacked for 4.20, with that
# root's own libraries and dynamic loader.
XEN_ROOT=$(xen_root "$XEN")
XEN_TOOLS=/usr/lib/xen-$XEN
HOST_TOOLSTACK_PACKAGES=(xen-utils-4.17 xenstore-utils qemu-system-xen qemu-system-data seabios busybox-static libc6)

# Programs the dom0 runs, and what they load at run time, as paths in the
# dom0 (and under XEN_ROOT).
TOOLSTACK_PROGRAMS=(
	"$XEN_TOOLS"/bin/{xl,xenstored,xenconsoled,xenconsole,xen-init-dom0,libxl-save-helper}
	# where the vCPUs of a domU whose console went quiet are, and where
	# KASLR put its kernel
	"$XEN_TOOLS"/bin/{xenctx,xen-hvmctx}
	/usr/libexec/xen-qemu-system-i386
	# xenstore read|write, for the events of io_domu_events
	/usr/bin/xenstore
)
TOOLSTACK_DATA=(
	"$XEN_TOOLS"/boot/hvmloader
	/usr/share/seabios/bios-256k.bin
	/usr/share/qemu/{linuxboot_dma.bin,linuxboot.bin,kvmvapic.bin}
	# libxl starts QEMU with "-vnc none", which still loads a keymap
	/usr/share/qemu/keymaps/en-us
)

# The packages the toolstack comes from, with their versions.
toolstack_packages() {
	if [ -n "$XEN_ROOT" ]; then
		cat "$(xen_fetch_dir "$XEN")/packages.txt"
	else
		dpkg-query -W -f='${Package} ${Version}\n' "${HOST_TOOLSTACK_PACKAGES[@]}"
	fi
}

toolstack_key() {
	{
		echo "Xen $XEN"
		toolstack_packages
		cat "$0" "$REPO_DIR/scripts/lib/initramfs.sh"
	} | sha256sum | cut -c1-16
}

# copy_with_path ROOT FILE: FILE (a path in the dom0) from under XEN_ROOT
# to the same path under ROOT, symlinks followed
copy_with_path() {
	mkdir -p "$1$(dirname "$2")"
	cp -L "$XEN_ROOT$2" "$1$2"
}

# The dynamic loader of XEN_ROOT, which the toolstack's programs name as
# /lib64/ld-linux-x86-64.so.2.
toolstack_loader() {
	local loader

	for loader in /usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2 /lib64/ld-linux-x86-64.so.2; do
		if [ -x "$XEN_ROOT$loader" ]; then
			echo "$loader"
			return
		fi
	done
	die "no dynamic loader under ${XEN_ROOT:-/}"
}

# The shared libraries a program links, as paths in the dom0: resolved by
# XEN_ROOT's loader in XEN_ROOT's library directories.
linked_libraries() {
	local lib_path=$XEN_ROOT/usr/lib/x86_64-linux-gnu:$XEN_ROOT/lib/x86_64-linux-gnu

	"$XEN_ROOT$(toolstack_loader)" --library-path "$lib_path" --list "$XEN_ROOT$1" |
		awk -v root="$XEN_ROOT" '$2 == "=>" && index($3, root "/") == 1 {
			print substr($3, length(root) + 1)
		}'
}

populate_toolstack() {
	local root=$1 file lib

	for file in "${TOOLSTACK_PROGRAMS[@]}" "${TOOLSTACK_DATA[@]}"; do
		[ -e "$XEN_ROOT$file" ] || die "$XEN_ROOT$file not found; $(xen_how_to_get "$XEN")"
		copy_with_path "$root" "$file"
	done
	mkdir -p "$root/lib64"
	cp -L "$XEN_ROOT$(toolstack_loader)" "$root/lib64/ld-linux-x86-64.so.2"
	for file in "${TOOLSTACK_PROGRAMS[@]}"; do
		linked_libraries "$file"
	done | sort -u | while read -r lib; do
		copy_with_path "$root" "$lib"
	done
}

# The toolstack archive, made again only when a package changed.
toolstack_archive() {
	local key root archive=$BUILD_DIR/dom0/toolstack-xen$XEN

	key=$(toolstack_key)
	if [ -f "$archive.cpio.gz" ] && [ "$(cat "$archive.key" 2>/dev/null)" = "$key" ]; then
		printf '%s\n' "$archive.cpio.gz"
		return
	fi
	root=$archive-root
	rm -rf "$root" "$archive.key"
	mkdir -p "$root"
	populate_toolstack "$root"
	initramfs_pack "$root" "$archive.cpio.gz"
	rm -rf "$root"
	printf '%s\n' "$key" >"$archive.key"
	printf '%s\n' "$archive.cpio.gz"
}

# domu_args TYPE VARIANT: the domU's settings for the guest init, and
# what it needs under QEMU (scripts/lib/xen-versions.sh)
domu_args() {
	local emulated

	emulated=$(xen_hvm_guest_args "$1")
	echo "$(xl_harness_args "$1" "$2")${emulated:+ $emulated}"
}

# The dom0's own part: busybox, its init, and the domU to create.
populate_domu() {
	local root=$1 variant=$2 kdir=$LANE_DIR/$2 type

	initramfs_busybox "$root"
	mkdir -p "$root"/{run,domu}
	install -m 0755 "$REPO_DIR/scripts/guest/dom0-init" "$root/init"
	mkdir -p "$root/etc/xen"
	# dom0_mem= fixes the dom0's memory; xl need not balloon it down.
	printf 'autoballoon = "off"\n' >"$root/etc/xen/xl.conf"
	cp "$kdir/bzImage" "$kdir/System.map" "$kdir/initramfs.cpio.gz" "$root/domu/"
	for type in "${XL_DOMU_TYPES[@]}"; do
		xl_domu_config "$type" "domu-$type" /domu/bzImage /domu/initramfs.cpio.gz \
			"$(domu_args "$type" "$variant")" >"$root/domu/$type.cfg"
	done
}

main() {
	local variant=${1:-} kdir root toolstack out

	check_base
	check_xen
	[ -n "$variant" ] || die "usage: make-dom0-initramfs.sh unpatched|patched"
	check_variant "$variant"
	kdir=$LANE_DIR/$variant
	[ -f "$kdir/initramfs.cpio.gz" ] || die "no test initramfs in $kdir; run scripts/make-initramfs.sh $variant first"
	toolstack=$(toolstack_archive)
	root=$kdir/dom0-root
	rm -rf "$root"
	populate_domu "$root" "$variant"
	initramfs_pack "$root" "$kdir/dom0-part.cpio.gz"
	rm -rf "$root"
	out=$kdir/dom0-initramfs-xen$XEN.cpio.gz
	cat "$toolstack" "$kdir/dom0-part.cpio.gz" >"$out.tmp"
	mv "$out.tmp" "$out"
	rm -f "$kdir/dom0-part.cpio.gz"
	msg "dom0 initramfs $BASE/$variant, Xen $XEN: $out ($(du -h "$out" | cut -f1))"
}

main "$@"
