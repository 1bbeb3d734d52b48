#!/usr/bin/env bash
# Building blocks of the guests' initramfs, shared by make-initramfs.sh
# (the test guests) and bench.sh (the benchmark guests).  Sourced after
# common.sh.

BUSYBOX=${BUSYBOX:-/bin/busybox}

# initramfs_busybox ROOT: static busybox with a link for each applet, and
# the directories an init mounts on.
initramfs_busybox() {
	local root=$1 applet

	[ -x "$BUSYBOX" ] || die "$BUSYBOX not found; scripts/install-deps.sh installs busybox-static"
	mkdir -p "$root"/{bin,sbin,proc,sys,dev,tmp}
	cp "$BUSYBOX" "$root/bin/busybox"
	for applet in $("$BUSYBOX" --list); do
		[ "$applet" = busybox ] || ln -sf busybox "$root/bin/$applet"
	done
}

# initramfs_base ROOT KDIR: what every guest needs: static busybox, the
# harness's init (scripts/guest/init), the module built in KDIR and the
# command that prints its state.
initramfs_base() {
	local root=$1 kdir=$2

	initramfs_busybox "$root"
	mkdir -p "$root/lib/modules"
	install -m 0755 "$REPO_DIR/scripts/guest/init" "$root/init"
	if compgen -G "$kdir/*.ko" >/dev/null; then
		cp "$kdir"/*.ko "$root/lib/modules/"
	fi
	install -m 0755 "$REPO_DIR/module/x86-guest-state" "$root/bin/x86-guest-state"
}

# initramfs_pack ROOT OUT: a gzipped newc cpio of ROOT, written atomically.
initramfs_pack() {
	local root=$1 out=$2

	(cd "$root" && find . -print0 | sort -z | cpio --null -o -H newc --quiet) | gzip -9 >"$out.tmp"
	mv "$out.tmp" "$out"
}
