// SPDX-License-Identifier: GPL-2.0
/*
 * kexec-declare: start a bzImage through kexec_load(), with a zero page
 * that this program builds itself, as a boot loader outside the kernel
 * does, and with boot_params.hypervisor_type set to a value of the
 * caller's choice.  The harness uses it to declare a hypervisor type that
 * differs from the one the machine has, and to check that the next kernel
 * reports the declaration and drops it.
 *
 * The zero page starts as a copy of the running kernel's
 * (/sys/kernel/boot_params/data: its E820 table, ACPI RSDP address and
 * subarch describe this machine), with the new kernel's setup header laid
 * over it as the boot protocol says (Documentation/arch/x86/boot.rst),
 * the command line, the initrd, and the type.  The kernel is entered at
 * its 64-bit entry point (load address + 0x200) through a three-
 * instruction stub that puts the zero page's address in %rsi: the
 * running kernel's relocate_kernel returns to the stub in long mode with
 * an identity map of memory, which is what that entry point needs.
 *
 * Usage: kexec-declare KERNEL INITRD CMDLINE TYPE [RESERVED]
 *   TYPE      the byte at offset 0x078 (0 to 255)
 *   RESERVED  the byte written at 0x079, the first reserved one (default 0)
 * Returns only on failure, with a message and exit status 1 (2: usage).
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/kexec.h>
#include <linux/reboot.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#define PAGE		4096UL
#define ZERO_PAGE_SIZE	4096
#define BOOT_PARAMS	"/sys/kernel/boot_params/data"

/* Offsets in the zero page (Documentation/arch/x86/zero-page.rst, boot.rst) */
#define BP_HYPERVISOR_TYPE	0x078
#define BP_EXT_RAMDISK_IMAGE	0x0c0
#define BP_EXT_RAMDISK_SIZE	0x0c4
#define BP_EXT_CMD_LINE_PTR	0x0c8
#define BP_SENTINEL		0x1ef
#define BP_SETUP_SECTS		0x1f1
#define BP_HEADER_MAGIC		0x202
#define BP_VERSION		0x206
#define BP_TYPE_OF_LOADER	0x210
#define BP_LOADFLAGS		0x211
#define BP_RAMDISK_IMAGE	0x218
#define BP_RAMDISK_SIZE		0x21c
#define BP_CMD_LINE_PTR		0x228
#define BP_KERNEL_ALIGNMENT	0x230
#define BP_XLOADFLAGS		0x236
#define BP_SETUP_DATA		0x250
#define BP_INIT_SIZE		0x260

#define HDRS_MAGIC		0x53726448	/* "HdrS" */
#define XLF_KERNEL_64		0x1
#define LOADED_HIGH		0x1
#define LOADER_UNDEFINED	0xff

/* Where the kernel goes: 16 MiB, a multiple of every kernel_alignment. */
#define KERNEL_ADDR		0x1000000UL

struct image {
	unsigned char *buf;
	size_t size;
};

static void die(const char *what, const char *why)
{
	fprintf(stderr, "kexec-declare: %s: %s\n", what, why);
	exit(1);
}

static struct image read_file(const char *path)
{
	struct image img = { 0 };
	struct stat st;
	int fd;

	fd = open(path, O_RDONLY);
	if (fd < 0 || fstat(fd, &st))
		die(path, strerror(errno));
	img.size = st.st_size;
	img.buf = malloc(img.size ? img.size : 1);
	if (!img.buf)
		die(path, "out of memory");
	if (read(fd, img.buf, img.size) != (ssize_t)img.size)
		die(path, "short read");
	close(fd);
	return img;
}

static unsigned int get32(const unsigned char *p)
{
	unsigned int v;

	memcpy(&v, p, sizeof(v));
	return v;
}

static void put32(unsigned char *p, unsigned int v)
{
	memcpy(p, &v, sizeof(v));
}

static unsigned long round_up(unsigned long v, unsigned long to)
{
	return (v + to - 1) / to * to;
}

/* The bzImage must be one that a 64-bit loader may enter at +0x200. */
static void check_kernel(const struct image *k)
{
	if (k->size < 0x1000 || get32(k->buf + BP_HEADER_MAGIC) != HDRS_MAGIC)
		die("kernel", "not a bzImage (no HdrS magic)");
	if ((k->buf[BP_VERSION] | k->buf[BP_VERSION + 1] << 8) < 0x20c)
		die("kernel", "boot protocol older than 2.12");
	if (!(k->buf[BP_XLOADFLAGS] & XLF_KERNEL_64))
		die("kernel", "no 64-bit entry point (XLF_KERNEL_64)");
}

/*
 * The zero page: the running kernel's, with the new setup header (from
 * 0x1f1 to the end the header gives at 0x201) and this loader's fields.
 */
static void build_zero_page(unsigned char *zp, const struct image *k,
			    unsigned long cmdline, unsigned long initrd,
			    unsigned long initrd_size, int type, int reserved)
{
	struct image cur = read_file(BOOT_PARAMS);
	size_t hdr_end = 0x202 + k->buf[0x201];

	if (cur.size != ZERO_PAGE_SIZE)
		die(BOOT_PARAMS, "not one zero page");
	memcpy(zp, cur.buf, ZERO_PAGE_SIZE);
	free(cur.buf);
	memcpy(zp + BP_SETUP_SECTS, k->buf + BP_SETUP_SECTS,
	       hdr_end - BP_SETUP_SECTS);
	zp[BP_SENTINEL] = 0;
	zp[BP_TYPE_OF_LOADER] = LOADER_UNDEFINED;
	zp[BP_LOADFLAGS] |= LOADED_HIGH;
	put32(zp + BP_SETUP_DATA, 0);
	put32(zp + BP_SETUP_DATA + 4, 0);
	put32(zp + BP_CMD_LINE_PTR, (unsigned int)cmdline);
	put32(zp + BP_EXT_CMD_LINE_PTR, (unsigned int)(cmdline >> 32));
	put32(zp + BP_RAMDISK_IMAGE, (unsigned int)initrd);
	put32(zp + BP_EXT_RAMDISK_IMAGE, (unsigned int)(initrd >> 32));
	put32(zp + BP_RAMDISK_SIZE, (unsigned int)initrd_size);
	put32(zp + BP_EXT_RAMDISK_SIZE, 0);
	memset(zp + BP_HYPERVISOR_TYPE, 0, 8);
	zp[BP_HYPERVISOR_TYPE] = type;
	zp[BP_HYPERVISOR_TYPE + 1] = reserved;
}

/* movabs $zero_page, %rsi; movabs $entry, %rax; jmp *%rax */
static void build_stub(unsigned char *stub, unsigned long zero_page, unsigned long entry)
{
	static const unsigned char jmp_rax[] = { 0xff, 0xe0 };

	stub[0] = 0x48;
	stub[1] = 0xbe;
	memcpy(stub + 2, &zero_page, 8);
	stub[10] = 0x48;
	stub[11] = 0xb8;
	memcpy(stub + 12, &entry, 8);
	memcpy(stub + 20, jmp_rax, sizeof(jmp_rax));
}

static int parse_byte(const char *s, const char *what)
{
	char *end;
	long v = strtol(s, &end, 0);

	if (!*s || *end || v < 0 || v > 255)
		die(what, "not a number from 0 to 255");
	return v;
}

int main(int argc, char **argv)
{
	static unsigned char page[3 * PAGE];	/* zero page, command line, stub */
	struct kexec_segment seg[3];
	struct image kernel, initrd;
	unsigned long pm_off, init_size, align, pages, initrd_addr;
	int type, reserved = 0;

	if (argc != 5 && argc != 6) {
		fprintf(stderr, "usage: kexec-declare KERNEL INITRD CMDLINE TYPE [RESERVED]\n");
		return 2;
	}
	type = parse_byte(argv[4], "TYPE");
	if (argc == 6)
		reserved = parse_byte(argv[5], "RESERVED");
	if (strlen(argv[3]) >= PAGE)
		die("CMDLINE", "longer than a page");
	kernel = read_file(argv[1]);
	initrd = read_file(argv[2]);
	check_kernel(&kernel);

	/* The protected-mode kernel follows the boot sector and setup. */
	pm_off = ((unsigned long)(kernel.buf[BP_SETUP_SECTS] ?: 4) + 1) * 512;
	init_size = get32(kernel.buf + BP_INIT_SIZE);
	align = get32(kernel.buf + BP_KERNEL_ALIGNMENT);
	if (pm_off >= kernel.size || !align || KERNEL_ADDR % align)
		die("kernel", "setup header out of range");

	pages = round_up(KERNEL_ADDR + init_size, 2UL << 20);
	initrd_addr = pages + sizeof(page);
	build_zero_page(page, &kernel, pages + PAGE, initrd_addr, initrd.size,
			type, reserved);
	memcpy(page + PAGE, argv[3], strlen(argv[3]) + 1);
	build_stub(page + 2 * PAGE, pages, KERNEL_ADDR + 0x200);

	seg[0] = (struct kexec_segment){
		.buf = kernel.buf + pm_off, .bufsz = kernel.size - pm_off,
		.mem = (void *)KERNEL_ADDR, .memsz = round_up(init_size, PAGE),
	};
	seg[1] = (struct kexec_segment){
		.buf = page, .bufsz = sizeof(page),
		.mem = (void *)pages, .memsz = sizeof(page),
	};
	seg[2] = (struct kexec_segment){
		.buf = initrd.buf, .bufsz = initrd.size,
		.mem = (void *)initrd_addr, .memsz = round_up(initrd.size, PAGE),
	};
	if (seg[0].bufsz > seg[0].memsz)
		die("kernel", "larger than its init_size");

	if (syscall(SYS_kexec_load, pages + 2 * PAGE, 3UL, seg,
		    (unsigned long)KEXEC_ARCH_X86_64))
		die("kexec_load", strerror(errno));
	sync();
	syscall(SYS_reboot, LINUX_REBOOT_MAGIC1, LINUX_REBOOT_MAGIC2,
		LINUX_REBOOT_CMD_KEXEC, NULL);
	die("reboot(LINUX_REBOOT_CMD_KEXEC)", strerror(errno));
	return 1;
}
