// SPDX-License-Identifier: GPL-2.0
/*
 * The save_fl paravirt op must return X86_EFLAGS_IF or 0 and nothing else,
 * and SMAP must be what the CPU says with EFLAGS.AC clear outside user
 * accesses.  The x86_guest_state module runs the save_fl check in the
 * kernel at read time, and logs what broke the contract; read it, and the
 * SMAP state, on every CPU.
 *
 * X86_GUEST_STATE_DIR names another directory to read the module's files
 * from, so that the checks can be shown to fail on values made up for them.
 */

#include <errno.h>
#include <limits.h>
#include <sched.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/klog.h>
#include <unistd.h>

#include "../kselftest.h"
#include "cpuinfo.h"

#define STATE_DIR	"/sys/kernel/x86_guest_state"
#define VAL_MAX		256
#define ROUNDS		64

#define SAVE_FL_JUNK	0xdeadbeefcafe0000UL
#define EFLAGS_IF	0x200UL

/* The module's log line on a violation (x86_guest_state.c) */
#define VIOLATED_LOG	"save_fl contract violated: "

/* syslog(2) actions, which glibc does not name */
#define SYSLOG_ACTION_READ_ALL		3
#define SYSLOG_ACTION_SIZE_BUFFER	10

static const char *state_dir;

/* read_attr: NAME's value into BUF; false when the module has no such file */
static bool read_attr(const char *name, char *buf)
{
	char path[PATH_MAX];
	bool ok;
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", state_dir, name);
	f = fopen(path, "r");
	if (!f) {
		if (errno == ENOENT)
			return false;
		ksft_exit_fail_msg("cannot open %s: %s\n", path, strerror(errno));
	}
	ok = fgets(buf, VAL_MAX, f);
	fclose(f);
	if (!ok)
		ksft_exit_fail_msg("cannot read %s\n", path);
	buf[strcspn(buf, "\n")] = '\0';
	return true;
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
static void explain(unsigned long v)
{
	if ((v & ~0xffffUL) == (SAVE_FL_JUNK & ~0xffffUL))
		ksft_print_msg("upper bits are the probe's junk: op set part of %%rax\n");
	else if (v & ~EFLAGS_IF & 0xffff)
		ksft_print_msg("bits other than IF set (%#lx): the op returns more than IF\n",
			       v & ~EFLAGS_IF);
}

/*
 * The file says only "violated"; the value, where it came from and the
 * interrupt state are in the module's last line about it in the kernel
 * log.
 */
static void explain_from_log(void)
{
	char *log, *line = NULL, *p;
	int size, len;

	size = klogctl(SYSLOG_ACTION_SIZE_BUFFER, NULL, 0);
	if (size <= 0) {
		ksft_print_msg("kernel log not readable: %s\n", strerror(errno));
		return;
	}
	log = malloc(size + 1);
	if (!log)
		ksft_exit_fail_perror("malloc");
	len = klogctl(SYSLOG_ACTION_READ_ALL, log, size);
	if (len < 0) {
		ksft_print_msg("kernel log not readable: %s\n", strerror(errno));
		free(log);
		return;
	}
	log[len] = '\0';
	for (p = log; (p = strstr(p, VIOLATED_LOG)); p++)
		line = p;
	if (line) {
		line[strcspn(line, "\n")] = '\0';
		ksft_print_msg("kernel log: %s\n", line);
		explain(strtoul(line + strlen(VIOLATED_LOG), NULL, 16));
	} else {
		ksft_print_msg("no \"%s\" in the kernel log\n", VIOLATED_LOG);
	}
	free(log);
}

/*
 * The check runs in the kernel on whichever CPU serves the read; read it
 * often on each CPU, since a per-CPU implementation can differ by CPU.
 */
static void check_save_fl(void)
{
	char val[VAL_MAX] = "", first_bad[VAL_MAX + 16] = "";
	int cpu, round, cpus = 0, reads = 0, bad = 0;

	for (cpu = 0; cpu < CPU_SETSIZE; cpu++) {
		if (!pin_to(cpu))
			continue;
		cpus++;
		for (round = 0; round < ROUNDS; round++) {
			if (!read_attr("save_fl_contract", val))
				ksft_exit_fail_msg("the module has no save_fl_contract\n");
			reads++;
			if (strcmp(val, "ok") && !bad++)
				snprintf(first_bad, sizeof(first_bad),
					 "cpu %d: %s", cpu, val);
		}
	}
	ksft_print_msg("save_fl_contract: %d reads on %d CPUs, %d not ok; last '%s'\n",
		       reads, cpus, bad, val);
	if (!reads) {
		ksft_test_result_fail("save_fl contract: no CPU to read on\n");
		return;
	}
	if (bad) {
		ksft_print_msg("first: %s\n", first_bad);
		explain_from_log();
	}
	ksft_test_result(!bad, "save_fl contract holds with irqs on and off\n");
}

/*
 * SMAP on exactly where the kernel says it enabled it, AC always clear;
 * the module has neither file on a CPU without SMAP.
 */
static void check_smap(void)
{
	int flag = cpuinfo_has("flags", "smap"), cpu, bad = 0;
	char smap[VAL_MAX] = "", ac[VAL_MAX] = "";

	if (flag < 0) {
		ksft_test_result_fail("smap: no consistent flags line in /proc/cpuinfo\n");
		return;
	}
	for (cpu = 0; cpu < CPU_SETSIZE; cpu++) {
		bool has_smap, has_ac, ok;

		if (!pin_to(cpu))
			continue;
		has_smap = read_attr("smap", smap);
		has_ac = read_attr("eflags_ac", ac);
		if (!has_smap)
			snprintf(smap, sizeof(smap), "(absent)");
		if (!has_ac)
			snprintf(ac, sizeof(ac), "(absent)");
		if (flag)
			ok = has_smap && !strcmp(smap, "on");
		else
			ok = !has_smap || !strcmp(smap, "off");
		ok = ok && has_ac == has_smap && (!has_ac || !strcmp(ac, "0"));
		if (!ok) {
			ksft_print_msg("cpu %d: smap '%s', eflags_ac '%s', cpuinfo flag smap %s\n",
				       cpu, smap, ac, flag ? "set" : "clear");
			bad++;
		}
	}
	ksft_print_msg("smap: '%s', eflags_ac '%s', cpuinfo flag %s\n", smap, ac,
		       flag ? "set" : "clear");
	ksft_test_result(!bad, "smap state matches the CPU, EFLAGS.AC clear\n");
}

int main(void)
{
	state_dir = getenv("X86_GUEST_STATE_DIR");
	if (!state_dir || !*state_dir)
		state_dir = STATE_DIR;

	ksft_print_header();
	if (access(state_dir, F_OK))
		ksft_exit_skip("x86_guest_state module not loaded (no %s)\n",
			       state_dir);
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
