// SPDX-License-Identifier: GPL-2.0
/*
 * What a Xen PV or PVH domU sees on the I/O ports its configuration did
 * not grant it.
 *
 * Two parties decide about a port access in a domU.  The guest kernel
 * decides whether it faults (iopl(), ioperm()); Xen decides whether it
 * reaches the machine (xl's ioports=, which grants the harness's domUs
 * 0x80 and 0xed only).  So at iopl(3) every access completes, and on a
 * port outside the grant Xen reads all ones and drops the write.
 *
 * Proves, in a domU of the harness (HARNESS_ENV xen-domu-pv or
 * xen-domu-pvh):
 *  - at iopl(3), inb and outb on the granted ports complete;
 *  - at iopl(3), inb on ports the domU was not granted completes and
 *    reads 0xff: 0x61 (PIT gate and speaker), 0x64 (keyboard controller
 *    status), 0x71 (CMOS data) and 0x3fd (COM1 line status), all of
 *    which QEMU's machine decodes; reading them has no side effect;
 *  - at iopl(3), outb of a line of text to 0x3f8 (COM1's transmit
 *    register, the UART Xen's own console uses) completes.  The host
 *    checks that the line never reached the UART, i.e. that the writes
 *    were dropped (env_check in scripts/lib/envs.sh);
 *  - at iopl(0), the same reads still raise #GP: the guest kernel, not
 *    the grant, decides about the fault.
 *
 * An HVM domU's ports are emulated by its device model, which decodes
 * these; a dom0 or bare metal reaches the real devices.  The test skips
 * there.
 */
#include "io_fault.h"

#define PORT_PIT_GATE	0x61
#define PORT_I8042_STAT	0x64
#define PORT_CMOS_DATA	0x71
#define PORT_COM1_LSR	0x3fd
#define PORT_COM1_THR	0x3f8

/* The host looks for this on the console; see env_check. */
static const char dropped_line[] =
	"\r\nxen-domu: a write to an ungranted port reached the UART\r\n";

static const unsigned short ungranted_reads[] = {
	PORT_PIT_GATE, PORT_I8042_STAT, PORT_CMOS_DATA, PORT_COM1_LSR,
};

static void check_granted(void)
{
	bool ok = true;

	for (int op = IO_INB; op <= IO_OUTB; op++) {
		ok &= !io_faults(op, PORT_POST);
		ok &= !io_faults(op, PORT_DELAY);
	}
	ksft_test_result(ok, "iopl(3): inb/outb on the granted ports 0x80, 0xed complete\n");
}

static void check_ungranted_read(unsigned short port)
{
	struct io_result r = io_probe(IO_INB, port);

	if (r.faulted) {
		ksft_test_result_fail("iopl(3): inb 0x%x faulted\n", port);
		return;
	}
	ksft_test_result(r.byte == 0xff, "iopl(3): ungranted port 0x%x reads 0x%02x, want 0xff\n",
			 port, r.byte);
}

static void check_ungranted_write(void)
{
	bool ok = true;

	for (size_t i = 0; ok && i < sizeof(dropped_line) - 1; i++)
		ok = !io_probe_byte(IO_OUTB, PORT_COM1_THR, dropped_line[i]).faulted;
	ksft_test_result(ok, "iopl(3): outb of %zu bytes to ungranted port 0x%x completes\n",
			 sizeof(dropped_line) - 1, PORT_COM1_THR);
}

static void check_still_faults(void)
{
	bool ok = true;

	for (size_t i = 0; i < ARRAY_SIZE(ungranted_reads); i++) {
		struct io_result r = io_probe(IO_INB, ungranted_reads[i]);

		if (!io_is_gp_segv(&r)) {
			ksft_print_msg("iopl(0): inb 0x%x %s\n", ungranted_reads[i],
				       r.faulted ? "faulted, but not with #GP" : "worked");
			ok = false;
		}
	}
	ksft_test_result(ok, "iopl(0): inb on the ungranted ports raises #GP\n");
}

static const char *skip_reason(void)
{
	const char *env = getenv("HARNESS_ENV");

	if (!env || (strcmp(env, "xen-domu-pv") && strcmp(env, "xen-domu-pvh")))
		return "HARNESS_ENV is not xen-domu-pv or xen-domu-pvh";
	return io_skip_reason();
}

int main(void)
{
	const char *why = skip_reason();

	ksft_print_header();
	if (why)
		ksft_exit_skip("%s\n", why);
	io_fault_init();
	ksft_set_plan(3 + ARRAY_SIZE(ungranted_reads));

	if (sys_iopl(3))
		ksft_exit_fail_perror("iopl(3)");
	check_granted();
	for (size_t i = 0; i < ARRAY_SIZE(ungranted_reads); i++)
		check_ungranted_read(ungranted_reads[i]);
	check_ungranted_write();
	if (sys_iopl(0))
		ksft_exit_fail_perror("iopl(0)");
	check_still_faults();

	ksft_finished();
}
