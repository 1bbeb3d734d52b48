// SPDX-License-Identifier: GPL-2.0
/*
 * iopl() levels, privileges and what each level lets user space do.
 *
 * Proves, for every pair of levels 0..3 (caller's level -> requested
 * level):
 *  - with CAP_SYS_RAWIO every change succeeds;
 *  - without it (CAP_SYS_RAWIO dropped by capset(), and separately after
 *    setresuid() to an unprivileged uid) raising fails with EPERM and
 *    leaves the level as it was, while keeping or lowering succeeds;
 *  - levels above 3 fail with EINVAL and change nothing;
 *  - the resulting level is what the task observes: at level 3 IN, OUT,
 *    INS and OUTS succeed on every port tried, at levels 0..2 each of them
 *    raises SIGSEGV (si_code SI_KERNEL, trap 13 #GP);
 *  - CLI and STI never disable interrupts: at level 3 they complete
 *    without a signal and EFLAGS.IF is still set right after them (the
 *    iopl() emulation's fixup_iopl_exception() skips the one-byte
 *    instruction as if it were a NOP and logs it once per thread; where
 *    the level is a real virtual IOPL, as with Xen's architectural IOPL
 *    assist, the hypervisor ignores them), at levels 0..2 they raise
 *    SIGSEGV.
 *
 * Ports (see io_fault.h for why they are safe): 0x80 and 0xed are read
 * and written; 0xffff is read only with IO_SELFTEST_FAR_PORTS=1.
 */
#define _GNU_SOURCE
#include <stdint.h>
#include <sys/wait.h>

#include "io_fault.h"

#define NOBODY_UID	65534

enum drop_mode {
	KEEP_CAPS,
	DROP_CAPSET,
	DROP_SETRESUID,
	NR_DROP_MODES,
};

static const char * const drop_name[NR_DROP_MODES] = {
	"with CAP_SYS_RAWIO",
	"CAP_SYS_RAWIO dropped",
	"after setresuid(65534)",
};

static const unsigned short tested_ports[] = { PORT_POST, PORT_DELAY };

/* Check that the task behaves as having I/O privilege level @level. */
static bool behaves_as_level(unsigned int level)
{
	bool want_fault = level != 3;
	struct io_result r;
	bool ok = true;

	for (unsigned int i = 0; i < ARRAY_SIZE(tested_ports); i++) {
		for (int op = IO_INB; op <= IO_OUTB; op++) {
			r = io_probe(op, tested_ports[i]);
			if (r.faulted == want_fault)
				continue;
			ksft_print_msg("level %u: %s 0x%x %s\n", level,
				       io_op_name[op], tested_ports[i],
				       r.faulted ? "faulted" : "worked");
			ok = false;
		}
	}
	for (int op = IO_CLI; op <= IO_STI; op++) {
		r = io_probe(op, 0);
		if (r.faulted == want_fault &&
		    (r.faulted || (r.flags & X86_EFLAGS_IF)))
			continue;
		ksft_print_msg("level %u: %s %s, flags %#lx\n", level,
			       io_op_name[op],
			       r.faulted ? "faulted" : "completed", r.flags);
		ok = false;
	}
	return ok;
}

static int drop_privilege(enum drop_mode mode)
{
	switch (mode) {
	case DROP_CAPSET:
		return io_drop_rawio();
	case DROP_SETRESUID:
		return setresuid(NOBODY_UID, NOBODY_UID, NOBODY_UID);
	default:
		return 0;
	}
}

/* Child body: from @from, ask for @to, check the result. Exit 0 if right. */
static int level_change_child(enum drop_mode mode, unsigned int from,
			      unsigned int to)
{
	bool may = mode == KEEP_CAPS || to <= from;
	long ret;

	if (sys_iopl(from)) {
		ksft_print_msg("iopl(%u) as root: %s\n", from, strerror(errno));
		return 1;
	}
	if (drop_privilege(mode)) {
		ksft_print_msg("dropping privilege: %s\n", strerror(errno));
		return 1;
	}
	if (mode != KEEP_CAPS && io_have_rawio()) {
		ksft_print_msg("CAP_SYS_RAWIO still effective\n");
		return 1;
	}
	ret = sys_iopl(to);
	if (may && ret) {
		ksft_print_msg("iopl(%u) failed: %s\n", to, strerror(errno));
		return 1;
	}
	if (!may && (ret != -1 || errno != EPERM)) {
		ksft_print_msg("iopl(%u) returned %ld (errno %d), want EPERM\n",
			       to, ret, errno);
		return 1;
	}
	return behaves_as_level(may ? to : from) ? 0 : 1;
}

/* Each case runs in a child so that it starts from level 0 with all caps. */
static bool run_level_case(enum drop_mode mode, unsigned int from,
			   unsigned int to)
{
	int status;
	pid_t pid;

	pid = io_fork(20);
	if (pid == 0)
		_exit(level_change_child(mode, from, to));
	if (waitpid(pid, &status, 0) != pid)
		ksft_exit_fail_perror("waitpid");
	if (!WIFEXITED(status)) {
		ksft_print_msg("child killed by signal %d\n", WTERMSIG(status));
		return false;
	}
	return WEXITSTATUS(status) == 0;
}

static void test_level_matrix(void)
{
	for (int mode = 0; mode < NR_DROP_MODES; mode++)
		for (unsigned int from = 0; from <= 3; from++)
			for (unsigned int to = 0; to <= 3; to++)
				ksft_test_result(run_level_case(mode, from, to),
						 "%s: iopl %u -> %u %s\n",
						 drop_name[mode], from, to,
						 mode == KEEP_CAPS || to <= from ?
						 "allowed" : "EPERM");
}

static void test_einval(void)
{
	static const unsigned int bad[] = { 4, 7, 0x80000000u, UINT32_MAX };

	if (sys_iopl(3))
		ksft_exit_fail_perror("iopl(3)");
	for (unsigned int i = 0; i < ARRAY_SIZE(bad); i++) {
		long ret = sys_iopl(bad[i]);

		ksft_test_result(ret == -1 && errno == EINVAL &&
				 behaves_as_level(3),
				 "iopl(%#x): EINVAL, level 3 kept\n", bad[i]);
	}
	if (sys_iopl(0))
		ksft_exit_fail_perror("iopl(0)");
}

static void expect_ops(unsigned int level, bool want_fault)
{
	for (unsigned int i = 0; i < ARRAY_SIZE(tested_ports); i++) {
		for (int op = IO_INB; op <= IO_OUTSB; op++) {
			struct io_result r = io_probe(op, tested_ports[i]);
			bool ok = want_fault ? io_is_gp_segv(&r) : !r.faulted;

			if (r.faulted)
				ksft_print_msg("%s 0x%x: signal %d code %#x trap %ld err %#lx\n",
					       io_op_name[op], tested_ports[i],
					       r.signo, r.code, r.trapno,
					       r.err);
			ksft_test_result(ok, "level %u: %s 0x%x %s\n", level,
					 io_op_name[op], tested_ports[i],
					 want_fault ? "SIGSEGV/#GP" : "works");
		}
	}
}

static void expect_cli_sti(unsigned int level, bool want_fault)
{
	for (int op = IO_CLI; op <= IO_STI; op++) {
		struct io_result r = io_probe(op, 0);
		bool ok;

		if (want_fault)
			ok = io_is_gp_segv(&r);
		else
			ok = !r.faulted && (r.flags & X86_EFLAGS_IF);
		if (!ok)
			ksft_print_msg("%s: faulted %d signal %d code %#x trap %ld flags %#lx\n",
				       io_op_name[op], r.faulted, r.signo,
				       r.code, r.trapno, r.flags);
		ksft_test_result(ok, "level %u: %s %s\n", level,
				 io_op_name[op],
				 want_fault ? "SIGSEGV/#GP" :
				 "no signal, IF still set");
	}
}

static void test_top_port(void)
{
	if (!io_probe_far_ports()) {
		ksft_test_result_skip("level 3: inb 0xffff: IO_SELFTEST_FAR_PORTS=1 not set\n");
		return;
	}
	if (sys_iopl(3))
		ksft_exit_fail_perror("iopl(3)");
	ksft_test_result(!io_faults(IO_INB, PORT_TOP),
			 "level 3: inb 0xffff works\n");
	if (sys_iopl(0))
		ksft_exit_fail_perror("iopl(0)");
}

static void test_level_ops(void)
{
	for (unsigned int level = 0; level <= 3; level++) {
		if (sys_iopl(level))
			ksft_exit_fail_perror("iopl");
		/* Levels 1 and 2 are covered by the matrix; spell out 0 and 3. */
		if (level == 1 || level == 2)
			continue;
		expect_ops(level, level != 3);
		expect_cli_sti(level, level != 3);
	}
	if (sys_iopl(0))
		ksft_exit_fail_perror("iopl(0)");
	expect_ops(0, true);
	expect_cli_sti(0, true);
}

int main(void)
{
	const char *why;

	ksft_print_header();
	io_fault_init();
	why = io_skip_reason();
	if (why)
		ksft_exit_skip("%s\n", why);

	/* 48 matrix cases, 4 EINVAL, 3 x (8 port ops + CLI/STI), top port */
	ksft_set_plan(NR_DROP_MODES * 16 + 4 + 3 * 10 + 1);
	test_level_matrix();
	test_einval();
	test_level_ops();
	test_top_port();
	ksft_finished();
}
