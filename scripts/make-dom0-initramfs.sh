#!/usr/bin/env bash
# Make the initramfs of the dom0 that runs the xen-domu-* environments:
# Xen's toolstack from Debian's packages (xl, xenstored, xenconsoled, the
# HVM firmware and device model, each binary with the libraries it links),
# the dom0's init (scripts/guest/dom0-init), and the kernel under test
# with its test initramfs and an xl config for each domU type
# (scripts/lib/xl-config.sh).  The dom0 itself runs the unpatched 7.3
# kernel (DOM0_BASE in scripts/lib/envs.sh).
#
# The toolstack part depends on the installed packages only; it is made
# once and reused, and the two parts are two cpio archives one after the
# other, which Linux unpacks in turn.
#
# Usage: BASE=7.3|6.12|6.1 scripts/make-dom0-initramfs.sh unpatched|patched
# Output: $BUILD_DIR/$BASE/<variant>/dom0-initramfs.cpio.gz
set -euo pipefail
# shellcheck source=scripts/lib/common.sh
. "$(dirname "$0")/lib/common.sh"
# shellcheck source=scripts/lib/variants.sh
. "$(dirname "$0")/lib/variants.sh"
# shellcheck source=scripts/lib/initramfs.sh
. "$(dirname "$0")/lib/initramfs.sh"
# shellcheck source=scripts/lib/xl-config.sh
. "$(dirname "$0")/lib/xl-config.sh"

XEN_TOOLS=/usr/lib/xen-4.17
TOOLSTACK_PACKAGES=(xen-utils-4.17 qemu-system-xen qemu-system-data seabios busybox-static libc6)

# Programs the dom0 runs, and what they load at run time.
TOOLSTACK_PROGRAMS=(
	"$XEN_TOOLS"/bin/{xl,xenstored,xenconsoled,xenconsole,xen-init-dom0,libxl-save-helper}
	/usr/libexec/xen-qemu-system-i386
)
TOOLSTACK_DATA=(
	"$XEN_TOOLS"/boot/hvmloader
	/usr/share/seabios/bios-256k.bin
	/usr/share/qemu/{linuxboot_dma.bin,linuxboot.bin,kvmvapic.bin}
	# libxl starts QEMU with "-vnc none", which still loads a keymap
	/usr/share/qemu/keymaps/en-us
)

toolstack_key() {
	{
		dpkg-query -W -f='${Package} ${Version}\n' "${TOOLSTACK_PACKAGES[@]}"
		cat "$0" "$REPO_DIR/scripts/lib/initramfs.sh"
	} | sha256sum | cut -c1-16
}

# copy_with_path ROOT FILE: FILE at the same path under ROOT, symlinks
# followed
copy_with_path() {
	mkdir -p "$1$(dirname "$2")"
	cp -L "$2" "$1$2"
}

# The shared libraries a program links, as ldd resolves them.
linked_libraries() {
	ldd "$1" | awk '$2 == "=>" && $3 ~ /^\// { print $3 } $1 ~ /^\// { print $1 }'
}

populate_toolstack() {
	local root=$1 file lib

	for file in "${TOOLSTACK_PROGRAMS[@]}" "${TOOLSTACK_DATA[@]}"; do
		[ -e "$file" ] || die "$file not found; scripts/install-deps.sh installs the Xen toolstack"
		copy_with_path "$root" "$file"
	done
	for file in "${TOOLSTACK_PROGRAMS[@]}"; do
		linked_libraries "$file"
	done | sort -u | while read -r lib; do
		copy_with_path "$root" "$lib"
	done
}

# The toolstack archive, made again only when a package changed.
toolstack_archive() {
	local dir=$BUILD_DIR/dom0 key root

	key=$(toolstack_key)
	if [ -f "$dir/toolstack.cpio.gz" ] && [ "$(cat "$dir/toolstack.key" 2>/dev/null)" = "$key" ]; then
		printf '%s\n' "$dir/toolstack.cpio.gz"
		return
	fi
	root=$dir/toolstack-root
	rm -rf "$root" "$dir/toolstack.key"
	mkdir -p "$root"
	populate_toolstack "$root"
	initramfs_pack "$root" "$dir/toolstack.cpio.gz"
	rm -rf "$root"
	printf '%s\n' "$key" >"$dir/toolstack.key"
	printf '%s\n' "$dir/toolstack.cpio.gz"
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
	cp "$kdir/bzImage" "$kdir/initramfs.cpio.gz" "$root/domu/"
	for type in "${XL_DOMU_TYPES[@]}"; do
		xl_domu_config "$type" "domu-$type" /domu/bzImage /domu/initramfs.cpio.gz \
			"$(xl_harness_args "$type" "$variant")" >"$root/domu/$type.cfg"
	done
}

main() {
	local variant=${1:-} kdir root toolstack

	check_base
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
	cat "$toolstack" "$kdir/dom0-part.cpio.gz" >"$kdir/dom0-initramfs.cpio.gz.tmp"
	mv "$kdir/dom0-initramfs.cpio.gz.tmp" "$kdir/dom0-initramfs.cpio.gz"
	rm -f "$kdir/dom0-part.cpio.gz"
	msg "dom0 initramfs $BASE/$variant: $kdir/dom0-initramfs.cpio.gz ($(du -h "$kdir/dom0-initramfs.cpio.gz" | cut -f1))"
}

main "$@"
