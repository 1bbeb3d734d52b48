// SPDX-License-Identifier: GPL-2.0
/*
 * The vDSO's getcpu() is right on every CPU.
 *
 * The vDSO reads the CPU number without a system call, from state that
 * the kernel sets up on each CPU as it comes up: the limit of the CPUNODE
 * segment in the GDT (read with LSL) and MSR_TSC_AUX (read with RDPID or
 * RDTSCP).  A CPU that skipped that setup gives whatever its GDT entry and
 * TSC_AUX held before; the system call, which asks the scheduler, stays
 * right.  Xen PV brings up its secondary CPUs through cpu_bringup(), not
 * through cpu_init_exception_handling(), where the setup is done: unless
 * the Xen bring-up does it too, every CPU but the first gets it wrong.
 *
 * So, pinned to each CPU in turn, this checks that getcpu() through the
 * vDSO, sched_getcpu() (which the C library may answer from rseq or the
 * vDSO), the CPUNODE segment limit and, where the CPU has them, RDPID and
 * RDTSCP all give the CPU the system call gives.  The node number of the
 * vDSO must match the system call's too.  vDSO/vdso_test_correctness
 * compares the vDSO's getcpu() with the system call as well; this test
 * also checks what the vDSO reads, so that a failure says which part is
 * wrong, and covers RDTSCP users, who do not go through the vDSO.
 *
 * Built with ../vDSO/parse_vdso.c.
 */
#define _GNU_SOURCE
#include <cpuid.h>
#include <sched.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "../kselftest.h"
#include "../vDSO/parse_vdso.h"

/* arch/x86/include/asm/segment.h: GDT_ENTRY_CPUNODE * 8 + 3 (x86_64) */
#define CPUNODE_SEG_64	(15 * 8 + 3)
/* The CPU number is in the low 12 bits, the node above them. */
#define CPUNODE_CPU_BITS	12
#define CPUNODE_CPU_MASK	((1U << CPUNODE_CPU_BITS) - 1)

typedef long (*getcpu_fn)(unsigned int *cpu, unsigned int *node, void *unused);

static getcpu_fn vdso_getcpu;
static bool has_rdpid, has_rdtscp, has_cpunode_seg;

static void probe_cpu(void)
{
	unsigned int a, b, c, d;
	struct utsname u;

	if (__get_cpuid_count(7, 0, &a, &b, &c, &d))
		has_rdpid = c & (1U << 22);
	if (__get_cpuid(0x80000001, &a, &b, &c, &d))
		has_rdtscp = d & (1U << 27);
	/* A 32-bit kernel puts the segment elsewhere; Xen PV is 64-bit. */
	has_cpunode_seg = !uname(&u) && !strcmp(u.machine, "x86_64");
}

static unsigned int rdpid(void)
{
	unsigned long p;

	asm volatile (".byte 0xf3, 0x0f, 0xc7, 0xf8"	/* rdpid %eax/%rax */
		      : "=a" (p));
	return p;
}

static unsigned int rdtscp_aux(void)
{
	unsigned int lo, hi, aux;

	asm volatile ("rdtscp" : "=a" (lo), "=d" (hi), "=c" (aux));
	return aux;
}

/* The CPUNODE segment limit, or -1 if LSL refuses the selector. */
static long cpunode_limit(void)
{
	unsigned int limit = 0;
	unsigned char ok;

	asm volatile ("lsl %[sel], %[limit]\n\tsetz %[ok]"
		      : [limit] "+r" (limit), [ok] "=q" (ok)
		      : [sel] "r" (CPUNODE_SEG_64)
		      : "cc");
	return ok ? (long)limit : -1;
}

/* check(ok, cpu, what, got): say what is wrong, once per mismatch */
static bool check(bool ok, int cpu, const char *what, long got)
{
	if (!ok)
		ksft_print_msg("cpu %d: %s gives %ld\n", cpu, what, got);
	return ok;
}

static bool getcpu_right_on(int cpu)
{
	unsigned int sys_cpu, sys_node, v_cpu = -1U, v_node = -1U;
	cpu_set_t set;
	bool ok = true;
	long seg;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	if (sched_setaffinity(0, sizeof(set), &set))
		ksft_exit_fail_perror("sched_setaffinity");
	if (syscall(SYS_getcpu, &sys_cpu, &sys_node, NULL))
		ksft_exit_fail_perror("getcpu");
	ok &= check(sys_cpu == (unsigned int)cpu, cpu, "the getcpu system call",
		    sys_cpu);
	if (vdso_getcpu) {
		ok &= check(!vdso_getcpu(&v_cpu, &v_node, NULL) &&
			    v_cpu == sys_cpu, cpu, "the vDSO's getcpu()", v_cpu);
		ok &= check(v_node == sys_node, cpu, "the vDSO's node", v_node);
	}
	ok &= check(sched_getcpu() == cpu, cpu, "sched_getcpu()",
		    sched_getcpu());
	if (has_cpunode_seg) {
		seg = cpunode_limit();
		ok &= check(seg >= 0 && (seg & CPUNODE_CPU_MASK) == sys_cpu &&
			    seg >> CPUNODE_CPU_BITS == sys_node, cpu,
			    "the CPUNODE segment limit (-1: no segment)", seg);
	}
	if (has_rdpid)
		ok &= check((rdpid() & CPUNODE_CPU_MASK) == sys_cpu, cpu,
			    "RDPID", rdpid());
	if (has_rdtscp)
		ok &= check((rdtscp_aux() & CPUNODE_CPU_MASK) == sys_cpu, cpu,
			    "RDTSCP's TSC_AUX", rdtscp_aux());
	return ok;
}

int main(void)
{
	cpu_set_t set;
	int n;

	ksft_print_header();
	probe_cpu();
	if (getauxval(AT_SYSINFO_EHDR)) {
		vdso_init_from_sysinfo_ehdr(getauxval(AT_SYSINFO_EHDR));
		vdso_getcpu = (getcpu_fn)vdso_sym("LINUX_2.6", "__vdso_getcpu");
	}
	ksft_print_msg("vDSO getcpu %s, RDPID %s, RDTSCP %s, CPUNODE segment %s\n",
		       vdso_getcpu ? "found" : "not found",
		       has_rdpid ? "yes" : "no", has_rdtscp ? "yes" : "no",
		       has_cpunode_seg ? "checked" : "not checked");
	if (!vdso_getcpu && !has_cpunode_seg && !has_rdpid && !has_rdtscp)
		ksft_exit_skip("no vDSO getcpu() and nothing it reads\n");
	if (sched_getaffinity(0, sizeof(set), &set))
		ksft_exit_fail_perror("sched_getaffinity");
	n = CPU_COUNT(&set);
	ksft_set_plan(n);
	for (int cpu = 0; cpu < CPU_SETSIZE && n; cpu++) {
		if (!CPU_ISSET(cpu, &set))
			continue;
		n--;
		ksft_test_result(getcpu_right_on(cpu),
				 "cpu %d: the vDSO and the CPU number it reads agree with getcpu\n",
				 cpu);
	}
	ksft_finished();
}
