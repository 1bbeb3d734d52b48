// SPDX-License-Identifier: GPL-2.0
/*
 * A small ioperm() grant is exact on every CPU, including the first use
 * of the I/O bitmap on a CPU.
 *
 * The kernel copies only the bytes of the bitmap that cover the granted
 * ports (and whatever the previous user on that CPU had granted) into the
 * CPU's TSS; it relies on the rest of the TSS bitmap being "no access"
 * since the CPU was brought up.  If a CPU's bitmap is not set up that
 * way, the first task to use ioperm() on it gets every port above its
 * grant.  So, pinned to each CPU in turn, a task holding only
 * ioperm(0x80) checks that 0x80 works and that 0xed, 0x400 and 0xffff
 * fault.
 *
 * The first use only happens once per CPU and boot: a task with a larger
 * grant that ran on the CPU earlier fills the bitmap and hides the
 * problem, so run this test on a freshly booted system, before the other
 * I/O tests.  Xen PV brings up its secondary CPUs through cpu_bringup(),
 * which calls cpu_init() but not cpu_init_exception_handling(), where the
 * TSS bitmap is set to "no access": unless the Xen bring-up does that
 * too, their bitmaps stay zero (all ports allowed) and this test fails
 * there.
 *
 * Ports (see io_fault.h for why they are safe): 0x80 is read and written;
 * 0xed, 0x400 and 0xffff are only read, where the read must fault.
 */
#define _GNU_SOURCE
#include <sched.h>

#include "io_fault.h"

static const unsigned short far_ports[] = { PORT_DELAY, 0x400, PORT_TOP };

static int current_cpu(void)
{
	unsigned int cpu;

	/* The system call, not the vDSO: it is right in every guest type. */
	if (syscall(SYS_getcpu, &cpu, NULL, NULL))
		return -1;
	return cpu;
}

static bool grant_exact_on(int cpu)
{
	cpu_set_t set;
	bool ok = true;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	if (sched_setaffinity(0, sizeof(set), &set))
		ksft_exit_fail_perror("sched_setaffinity");
	if (current_cpu() != cpu)
		ksft_print_msg("asked for cpu %d, on cpu %d\n", cpu,
			       current_cpu());
	if (sys_ioperm(PORT_POST, 1, 1))
		ksft_exit_fail_perror("ioperm(0x80, 1, 1)");
	if (io_faults(IO_OUTB, PORT_POST)) {
		ksft_print_msg("cpu %d: outb 0x80 faulted\n", cpu);
		ok = false;
	}
	for (unsigned int i = 0; i < ARRAY_SIZE(far_ports); i++) {
		struct io_result r = io_probe(IO_INB, far_ports[i]);

		if (io_is_gp_segv(&r))
			continue;
		ksft_print_msg("cpu %d: inb 0x%x %s\n", cpu, far_ports[i],
			       r.faulted ? "faulted oddly" : "worked (leak)");
		ok = false;
	}
	if (sys_ioperm(PORT_POST, 1, 0))
		ksft_exit_fail_perror("ioperm(0x80, 1, 0)");
	return ok;
}

int main(void)
{
	cpu_set_t set;
	const char *why;
	int n;

	ksft_print_header();
	io_fault_init();
	why = io_skip_reason();
	if (why)
		ksft_exit_skip("%s\n", why);
	if (sched_getaffinity(0, sizeof(set), &set))
		ksft_exit_fail_perror("sched_getaffinity");
	n = CPU_COUNT(&set);
	ksft_set_plan(n);
	for (int cpu = 0; cpu < CPU_SETSIZE && n; cpu++) {
		if (!CPU_ISSET(cpu, &set))
			continue;
		n--;
		ksft_test_result(grant_exact_on(cpu),
				 "cpu %d: ioperm(0x80) grants 0x80 and nothing above\n",
				 cpu);
	}
	ksft_finished();
}
