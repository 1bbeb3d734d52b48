// SPDX-License-Identifier: GPL-2.0
/*
 * The save_fl paravirt op must return X86_EFLAGS_IF or 0 and nothing else,
 * and SMAP must be what the CPU says with EFLAGS.AC clear outside user
 * accesses.  The x86_guest_state module runs the save_fl check in the
 * kernel at read time; read it, and the SMAP state, on every CPU.
 */

#include <errno.h>
#include <sched.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../kselftest.h"
#include "cpuinfo.h"

#define STATE_DIR	"/sys/kernel/x86_guest_state"
#define UNSUPPORTED	"unsupported by this kernel"
#define VAL_MAX		256
#define ROUNDS		64

#define SAVE_FL_JUNK	0xdeadbeefcafe0000UL
#define EFLAGS_IF	0x200UL

static bool read_attr(const char *name, char *buf)
{
	char path[128];
	bool ok;
	FILE *f;

	snprintf(path, sizeof(path), STATE_DIR "/%s", name);
	f = fopen(path, "r");
	if (!f) {
		ksft_print_msg("cannot open %s: %s\n", path, strerror(errno));
		return false;
	}
	ok = fgets(buf, VAL_MAX, f);
	fclose(f);
	if (ok)
		buf[strcspn(buf, "\n")] = '\0';
	return ok;
}

static cpu_set_t allowed;

/* pin_to: run on CPU if it is one this task may use */
static bool pin_to(int cpu)
{
	cpu_set_t set;

	if (!CPU_ISSET(cpu, &allowed))
		return false;
	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	return !sched_setaffinity(0, sizeof(set), &set);
}

/* Say which way a bad value breaks the contract, to tell the bugs apart. */
static void explain(const char *val)
{
	const char *hex = strstr(val, "0x");
	unsigned long v;

	if (!hex)
		return;
	v = strtoul(hex, NULL, 16);
	if ((v & ~0xffffUL) == (SAVE_FL_JUNK & ~0xffffUL))
		ksft_print_msg("upper bits are the probe's junk: op set part of %%rax\n");
	else if (v & ~EFLAGS_IF & 0xffff)
		ksft_print_msg("bits other than IF set (%#lx): the op returns more than IF\n",
			       v & ~EFLAGS_IF);
}

/*
 * The check runs in the kernel on whichever CPU serves the read; read it
 * often on each CPU, since a per-CPU implementation can differ by CPU.
 */
static void check_save_fl(void)
{
	char val[VAL_MAX], first_bad[VAL_MAX + 16] = "";
	int cpu, round, cpus = 0, reads = 0, bad = 0, unsupp = 0;

	for (cpu = 0; cpu < CPU_SETSIZE; cpu++) {
		if (!pin_to(cpu))
			continue;
		cpus++;
		for (round = 0; round < ROUNDS; round++) {
			if (!read_attr("save_fl_contract", val))
				ksft_exit_fail_msg("cannot read save_fl_contract\n");
			reads++;
			if (!strcmp(val, UNSUPPORTED)) {
				unsupp++;
			} else if (strncmp(val, "ok", 2)) {
				if (!bad++)
					snprintf(first_bad, sizeof(first_bad),
						 "cpu %d: %s", cpu, val);
			}
		}
	}
	ksft_print_msg("save_fl_contract: %d reads on %d CPUs, %d not ok; last '%s'\n",
		       reads, cpus, bad, val);
	if (!reads) {
		ksft_test_result_fail("save_fl contract: no CPU to read on\n");
		return;
	}
	if (unsupp == reads) {
		ksft_test_result_skip("save_fl contract: %s\n", UNSUPPORTED);
		return;
	}
	if (bad) {
		ksft_print_msg("first: %s\n", first_bad);
		explain(first_bad);
	}
	ksft_test_result(!bad, "save_fl contract holds with irqs on and off\n");
}

/* SMAP on exactly where the kernel says it enabled it, AC always clear. */
static void check_smap(void)
{
	int flag = cpuinfo_has("flags", "smap"), cpu, bad = 0;
	char val[VAL_MAX] = "";

	if (flag < 0) {
		ksft_test_result_fail("smap: no consistent flags line in /proc/cpuinfo\n");
		return;
	}
	for (cpu = 0; cpu < CPU_SETSIZE; cpu++) {
		bool ok;

		if (!pin_to(cpu))
			continue;
		if (!read_attr("smap", val))
			ksft_exit_fail_msg("cannot read smap\n");
		if (flag)
			ok = !strcmp(val, "on ac=0");
		else
			ok = !strcmp(val, "not supported by the cpu") ||
			     !strcmp(val, "off ac=0");
		if (!ok) {
			ksft_print_msg("cpu %d: smap '%s', cpuinfo flag smap %s\n",
				       cpu, val, flag ? "set" : "clear");
			bad++;
		}
	}
	ksft_print_msg("smap: '%s', cpuinfo flag %s\n", val, flag ? "set" : "clear");
	ksft_test_result(!bad, "smap state matches the CPU, EFLAGS.AC clear\n");
}

int main(void)
{
	ksft_print_header();
	if (access(STATE_DIR, F_OK))
		ksft_exit_skip("x86_guest_state module not loaded (no %s)\n",
			       STATE_DIR);
	if (sched_getaffinity(0, sizeof(allowed), &allowed))
		ksft_exit_fail_perror("sched_getaffinity");
	ksft_set_plan(2);
	check_save_fl();
	check_smap();

	if (ksft_get_fail_cnt())
		ksft_exit_fail();
	if (!ksft_get_pass_cnt()) {
		ksft_print_cnts();
		exit(KSFT_SKIP);
	}
	ksft_exit_pass();
}
