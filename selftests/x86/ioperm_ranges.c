// SPDX-License-Identifier: GPL-2.0
/*
 * ioperm() ranges, privileges and the interplay with iopl().
 *
 * Proves that:
 *  - a range is valid exactly when 0 < num and from + num <= 0x10000: the
 *    edges 0, 0x3ff, 0x400, 0xffff and the whole space are accepted, an
 *    empty range, a range ending past 0x10000 and a wrapping range fail
 *    with EINVAL, for enabling and disabling alike, and change nothing;
 *  - a grant is exact: the granted port works with IN, OUT, INS and OUTS,
 *    its neighbours keep faulting, and CLI/STI keep faulting (ioperm never
 *    grants interrupt control);
 *  - sub-ranges can be enabled and disabled independently, including a
 *    hole punched into a larger grant;
 *  - enabling needs CAP_SYS_RAWIO (EPERM without it), disabling does not,
 *    and ports granted earlier keep working after the capability is gone;
 *  - iopl(3) grants every port whatever the bitmap says, and going back to
 *    iopl(0) leaves the ioperm() grants exactly as they were, in both
 *    orders of the two calls.
 *
 * Ports (see io_fault.h for why they are safe): 0x80 and 0xed are read
 * and written; 0x1, 0x7f, 0x81, 0xec, 0xee, 0x3ff, 0x400, 0x401, 0xfffe
 * and 0xffff are only read where the read must fault; 0x400 and 0xffff
 * are read successfully only with IO_SELFTEST_FAR_PORTS=1.
 */
#define _GNU_SOURCE
#include <sys/wait.h>

#include "io_fault.h"

/* Expect @port to work (or fault) with every port instruction. */
static bool port_state(unsigned short port, bool works)
{
	bool ok = true;

	for (int op = IO_INB; op <= IO_OUTSB; op++) {
		struct io_result r;

		/* Only 0x80 and 0xed are ever written or expected to work. */
		if (port != PORT_POST && port != PORT_DELAY && op != IO_INB)
			continue;
		r = io_probe(op, port);
		if (works ? r.faulted : !io_is_gp_segv(&r)) {
			ksft_print_msg("%s 0x%x: %s (signal %d code %#x trap %ld)\n",
				       io_op_name[op], port,
				       r.faulted ? "faulted" : "worked",
				       r.signo, r.code, r.trapno);
			ok = false;
		}
	}
	return ok;
}

static bool cli_sti_fault(void)
{
	struct io_result cli = io_probe(IO_CLI, 0);
	struct io_result sti = io_probe(IO_STI, 0);

	return io_is_gp_segv(&cli) && io_is_gp_segv(&sti);
}

/* 0x80 and 0xed are granted exactly as @post and @delay say. */
static bool grants(bool post, bool delay)
{
	bool a = port_state(PORT_POST, post);
	bool b = port_state(PORT_DELAY, delay);

	return a && b;
}

static void must(long ret, const char *what)
{
	if (ret)
		ksft_exit_fail_msg("%s: %s\n", what, strerror(errno));
}

static void test_einval(void)
{
	static const struct {
		unsigned long from, num;
	} bad[] = {
		{ 0x80, 0 },
		{ 0x10000, 1 },
		{ 0xffff, 2 },
		{ 0, 0x10001 },
		{ 0xfff0, 0x100 },
		{ ~0UL, 1 },
		{ 1, ~0UL },
		{ ~0UL - 0x7f, 0x100 },
	};

	must(sys_ioperm(PORT_POST, 1, 1), "ioperm(0x80, 1, 1)");
	for (unsigned int i = 0; i < ARRAY_SIZE(bad); i++) {
		for (int on = 1; on >= 0; on--) {
			long ret = sys_ioperm(bad[i].from, bad[i].num, on);
			bool einval = ret == -1 && errno == EINVAL;

			ksft_test_result(einval && grants(true, false),
					 "ioperm(%#lx, %#lx, %d): EINVAL, nothing changed\n",
					 bad[i].from, bad[i].num, on);
		}
	}
	must(sys_ioperm(PORT_POST, 1, 0), "ioperm(0x80, 1, 0)");
}

/* Grant one edge port, check it and its neighbours, then take it back. */
static void test_edge(unsigned short port, unsigned short below,
		      unsigned short above, bool may_touch)
{
	bool ok = sys_ioperm(port, 1, 1) == 0;

	if (!ok)
		ksft_print_msg("ioperm(%#x, 1, 1): %s\n", port, strerror(errno));
	ok &= grants(false, false);
	if (below != port)
		ok &= port_state(below, false);
	if (above != port)
		ok &= port_state(above, false);
	if (may_touch)
		ok &= !io_faults(IO_INB, port);
	ok &= sys_ioperm(port, 1, 0) == 0;
	if (may_touch)
		ok &= port_state(port, false);
	ksft_test_result(ok, "ioperm(%#x, 1, 1) accepted and exact%s\n", port,
			 may_touch ? ", port works" : "");
}

static void test_edges(void)
{
	bool far = io_probe_far_ports();
	bool ok;

	test_edge(0x0, 0x0, 0x1, false);
	test_edge(0x3ff, 0x3ff, 0x400, false);
	test_edge(0x400, 0x3ff, 0x401, far);
	test_edge(0xffff, 0xfffe, 0xffff, far);

	ok = sys_ioperm(0, 0x10000, 1) == 0 && grants(true, true);
	if (far)
		ok &= !io_faults(IO_INB, PORT_TOP);
	ok &= cli_sti_fault();
	ok &= sys_ioperm(0, 0x10000, 0) == 0 && grants(false, false);
	if (far)
		ok &= port_state(PORT_TOP, false);
	ksft_test_result(ok, "ioperm(0, 0x10000) grants all ports, not CLI/STI, and revokes\n");
}

static void test_exact_grant(void)
{
	must(sys_ioperm(PORT_POST, 1, 1), "ioperm(0x80, 1, 1)");
	ksft_test_result(port_state(PORT_POST, true),
			 "ioperm(0x80): in/out/ins/outs on 0x80 work\n");
	ksft_test_result(port_state(0x7f, false) && port_state(0x81, false) &&
			 port_state(PORT_DELAY, false),
			 "ioperm(0x80): 0x7f, 0x81 and 0xed still fault\n");
	ksft_test_result(cli_sti_fault(), "ioperm(0x80): CLI/STI still fault\n");
	must(sys_ioperm(PORT_POST, 1, 0), "ioperm(0x80, 1, 0)");
	ksft_test_result(grants(false, false), "ioperm(0x80, 1, 0) revokes it\n");
}

static void test_subranges(void)
{
	bool ok;

	must(sys_ioperm(0x7f, 3, 1), "ioperm(0x7f, 3, 1)");
	must(sys_ioperm(0x7f, 1, 0), "ioperm(0x7f, 1, 0)");
	must(sys_ioperm(0x81, 1, 0), "ioperm(0x81, 1, 0)");
	ok = grants(true, false) && port_state(0x7f, false) &&
	     port_state(0x81, false);
	ksft_test_result(ok, "trimming both ends of 0x7f-0x81 leaves 0x80\n");

	must(sys_ioperm(0xe0, 0x20, 1), "ioperm(0xe0, 0x20, 1)");
	ksft_test_result(grants(true, true),
			 "a second range 0xe0-0xff adds 0xed, keeps 0x80\n");

	must(sys_ioperm(0xe8, 8, 0), "ioperm(0xe8, 8, 0)");
	ok = grants(true, false) && port_state(0xec, false) &&
	     port_state(0xee, false);
	ksft_test_result(ok, "disabling 0xe8-0xef drops 0xed, keeps 0x80\n");

	must(sys_ioperm(0, 0x400, 1), "ioperm(0, 0x400, 1)");
	must(sys_ioperm(PORT_POST, 1, 0), "ioperm(0x80, 1, 0)");
	ksft_test_result(grants(false, true),
			 "a hole at 0x80 in 0x0-0x3ff: 0x80 faults, 0xed works\n");

	must(sys_ioperm(0, 0x10000, 0), "ioperm(0, 0x10000, 0)");
	ksft_test_result(grants(false, false), "disabling everything revokes all\n");
}

static int privilege_child(void)
{
	bool ok = true;

	must(sys_ioperm(PORT_POST, 1, 1), "ioperm(0x80, 1, 1)");
	must(io_drop_rawio(), "capset");
	if (sys_ioperm(PORT_DELAY, 1, 1) != -1 || errno != EPERM) {
		ksft_print_msg("ioperm(0xed, 1, 1) without CAP_SYS_RAWIO: %s\n",
			       strerror(errno));
		ok = false;
	}
	ok &= grants(true, false);
	if (sys_ioperm(PORT_POST, 1, 0)) {
		ksft_print_msg("ioperm(0x80, 1, 0) without CAP_SYS_RAWIO: %s\n",
			       strerror(errno));
		ok = false;
	}
	ok &= grants(false, false);
	if (sys_ioperm(PORT_POST, 1, 1) != -1 || errno != EPERM) {
		ksft_print_msg("re-enabling 0x80 without CAP_SYS_RAWIO succeeded\n");
		ok = false;
	}
	ok &= grants(false, false);
	return ok ? 0 : 1;
}

static void test_privilege(void)
{
	int status;
	pid_t pid;

	pid = io_fork(20);
	if (pid == 0)
		_exit(privilege_child());
	if (waitpid(pid, &status, 0) != pid)
		ksft_exit_fail_perror("waitpid");
	ksft_test_result(WIFEXITED(status) && WEXITSTATUS(status) == 0,
			 "without CAP_SYS_RAWIO: enable EPERM, disable works, old grant kept\n");
}

static void test_iopl_interplay(void)
{
	/* ioperm first, then iopl(3) and back. */
	must(sys_ioperm(PORT_POST, 1, 1), "ioperm(0x80, 1, 1)");
	must(sys_iopl(3), "iopl(3)");
	ksft_test_result(grants(true, true),
			 "ioperm(0x80) + iopl(3): every port works\n");
	must(sys_iopl(0), "iopl(0)");
	ksft_test_result(grants(true, false) && cli_sti_fault(),
			 "ioperm(0x80) + iopl(3) + iopl(0): bitmap back in force\n");
	must(sys_ioperm(PORT_POST, 1, 0), "ioperm(0x80, 1, 0)");

	/* iopl(3) first, then ioperm changes underneath it. */
	must(sys_iopl(3), "iopl(3)");
	must(sys_ioperm(PORT_DELAY, 1, 1), "ioperm(0xed, 1, 1)");
	must(sys_ioperm(PORT_POST, 1, 0), "ioperm(0x80, 1, 0)");
	ksft_test_result(grants(true, true),
			 "iopl(3) + ioperm changes: iopl(3) still grants every port\n");
	must(sys_iopl(0), "iopl(0)");
	ksft_test_result(grants(false, true),
			 "iopl(3) + ioperm(0xed) + iopl(0): only 0xed works\n");
	must(sys_ioperm(PORT_DELAY, 1, 0), "ioperm(0xed, 1, 0)");
	ksft_test_result(grants(false, false), "all revoked again\n");
}

int main(void)
{
	const char *why;

	ksft_print_header();
	io_fault_init();
	why = io_skip_reason();
	if (why)
		ksft_exit_skip("%s\n", why);

	ksft_set_plan(16 + 5 + 4 + 5 + 1 + 5);
	test_einval();
	test_edges();
	test_exact_grant();
	test_subranges();
	test_privilege();
	test_iopl_interplay();
	ksft_finished();
}
