// SPDX-License-Identifier: GPL-2.0
/*
 * kexec-boot: start another kernel through kexec_file_load(), as
 * "kexec -s -l ... && kexec -e" would, for the harness's kexec_handover
 * test.  The running kernel's own bzImage loader builds the boot
 * parameters, so the hypervisor type that reaches the next kernel
 * (boot_params.hypervisor_type) is the one the kernel hands on; user
 * space plays no part in it.
 *
 * Usage: kexec-boot KERNEL INITRD CMDLINE
 * Returns only on failure, with a message and exit status 1.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/reboot.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

static int open_or_complain(const char *path)
{
	int fd = open(path, O_RDONLY);

	if (fd < 0)
		fprintf(stderr, "kexec-boot: %s: %s\n", path, strerror(errno));
	return fd;
}

int main(int argc, char **argv)
{
	int kernel_fd, initrd_fd;

	if (argc != 4) {
		fprintf(stderr, "usage: kexec-boot KERNEL INITRD CMDLINE\n");
		return 2;
	}
	kernel_fd = open_or_complain(argv[1]);
	initrd_fd = open_or_complain(argv[2]);
	if (kernel_fd < 0 || initrd_fd < 0)
		return 1;
	/* The length counts the terminating NUL, as the syscall requires. */
	if (syscall(SYS_kexec_file_load, kernel_fd, initrd_fd,
		    strlen(argv[3]) + 1, argv[3], 0UL)) {
		fprintf(stderr, "kexec-boot: kexec_file_load: %s\n",
			strerror(errno));
		return 1;
	}
	sync();
	syscall(SYS_reboot, LINUX_REBOOT_MAGIC1, LINUX_REBOOT_MAGIC2,
		LINUX_REBOOT_CMD_KEXEC, NULL);
	fprintf(stderr, "kexec-boot: reboot(LINUX_REBOOT_CMD_KEXEC): %s\n",
		strerror(errno));
	return 1;
}
