// SPDX-License-Identifier: GPL-2.0
/*
 * What user space reads of EFLAGS.IOPL, and what it cannot write.
 *
 * Since iopl() is emulated (Linux 5.5), a task at iopl(3) runs with IOPL
 * 0 in its flags, and everything that shows it its flags says 0.  Where
 * the level is kept in the saved flags instead, as a Xen PV guest with
 * Xen's architectural IOPL assist does, the kernel must still show 0.
 * Proves, for a task at iopl(3):
 *  - the EFLAGS of the signal frame (uc_mcontext) has IOPL 0;
 *  - PTRACE_GETREGS and PTRACE_PEEKUSER give a tracer IOPL 0;
 *  - a signal handler that clears IOPL in the frame does not take the
 *    level away: after sigreturn port 0x80 still works;
 * and for a task at iopl(0):
 *  - a signal handler that sets IOPL 3 in the frame grants nothing:
 *    after sigreturn port 0x80 raises SIGSEGV (#GP);
 *  - a tracer that sets IOPL 3 with PTRACE_SETREGS grants nothing either.
 *
 * Port 0x80 is read and written (see io_fault.h for why it is safe).
 */
#define _GNU_SOURCE
#include <stddef.h>
#include <sys/ptrace.h>
#include <sys/user.h>
#include <sys/wait.h>

#include "io_fault.h"

#define X86_EFLAGS_IOPL		0x3000UL
#define IOPL_OF(flags)		(((flags) & X86_EFLAGS_IOPL) >> 12)

/* raise() runs the handler before it returns: no volatile needed */
static sig_atomic_t frame_iopl = -1;
static sig_atomic_t frame_write = -1;

/* SIGUSR1: note the frame's IOPL; write frame_write into it if >= 0 */
static void usr1_handler(int sig, siginfo_t *si, void *ctx)
{
	ucontext_t *uc = ctx;
	greg_t *fl = &uc->uc_mcontext.gregs[REG_EFL];

	(void)sig;
	(void)si;
	frame_iopl = IOPL_OF((unsigned long)*fl);
	if (frame_write >= 0)
		*fl = (*fl & ~X86_EFLAGS_IOPL) | ((greg_t)frame_write << 12);
}

static void install_usr1(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = usr1_handler;
	sa.sa_flags = SA_SIGINFO;
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGUSR1, &sa, NULL))
		ksft_exit_fail_perror("sigaction");
}

static void set_level(unsigned int level)
{
	if (sys_iopl(level))
		ksft_exit_fail_perror("iopl");
}

static void test_sigcontext_hides_iopl(void)
{
	set_level(3);
	frame_write = -1;
	raise(SIGUSR1);
	ksft_test_result(frame_iopl == 0,
			 "iopl(3): the signal frame shows IOPL %d, expected 0\n",
			 (int)frame_iopl);
}

static void test_sigreturn_keeps_level(void)
{
	set_level(3);
	frame_write = 0;
	raise(SIGUSR1);
	ksft_test_result(!io_faults(IO_OUTB, PORT_POST),
			 "iopl(3): sigreturn with IOPL 0 in the frame keeps port 0x80\n");
}

static void test_sigreturn_grants_nothing(void)
{
	struct io_result r;

	set_level(0);
	frame_write = 3;
	raise(SIGUSR1);
	r = io_probe(IO_INB, PORT_POST);
	ksft_test_result(io_is_gp_segv(&r),
			 "iopl(0): sigreturn with IOPL 3 in the frame grants no port\n");
}

/*
 * The child: at LEVEL, stop for the tracer, then report whether port 0x80
 * faults through its exit status (0: it faults, 1: it works).
 */
static void traced_child(unsigned int level)
{
	if (ptrace(PTRACE_TRACEME, 0, NULL, NULL))
		_exit(2);
	if (sys_iopl(level))
		_exit(2);
	raise(SIGSTOP);
	_exit(io_faults(IO_INB, PORT_POST) ? 0 : 1);
}

/*
 * Let the stopped child go on, untraced so that the SIGSEGV of its probe
 * goes to its handler and not to us; its exit status, or -1
 */
static int finish_child(pid_t pid)
{
	int status;

	if (ptrace(PTRACE_DETACH, pid, NULL, NULL))
		ksft_exit_fail_perror("PTRACE_DETACH");
	if (waitpid(pid, &status, 0) != pid)
		ksft_exit_fail_perror("waitpid");
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static pid_t start_traced(unsigned int level)
{
	pid_t pid = io_fork(60);
	int status;

	if (pid == 0)
		traced_child(level);
	if (waitpid(pid, &status, 0) != pid)
		ksft_exit_fail_perror("waitpid");
	if (!WIFSTOPPED(status))
		ksft_exit_fail_msg("the traced child did not stop (status %#x)\n",
				   status);
	return pid;
}

static void test_ptrace_hides_iopl(void)
{
	struct user_regs_struct regs;
	pid_t pid = start_traced(3);
	long peek;

	if (ptrace(PTRACE_GETREGS, pid, NULL, &regs))
		ksft_exit_fail_perror("PTRACE_GETREGS");
	errno = 0;
	peek = ptrace(PTRACE_PEEKUSER, pid,
		      (void *)offsetof(struct user_regs_struct, eflags), NULL);
	if (errno)
		ksft_exit_fail_perror("PTRACE_PEEKUSER");
	ksft_test_result(IOPL_OF(regs.eflags) == 0,
			 "iopl(3): PTRACE_GETREGS shows IOPL %lu, expected 0\n",
			 (unsigned long)IOPL_OF(regs.eflags));
	ksft_test_result(IOPL_OF((unsigned long)peek) == 0,
			 "iopl(3): PTRACE_PEEKUSER shows IOPL %lu, expected 0\n",
			 (unsigned long)IOPL_OF((unsigned long)peek));
	ksft_test_result(finish_child(pid) == 1,
			 "iopl(3): the traced task keeps port 0x80\n");
}

static void test_ptrace_grants_nothing(void)
{
	struct user_regs_struct regs;
	pid_t pid = start_traced(0);

	if (ptrace(PTRACE_GETREGS, pid, NULL, &regs))
		ksft_exit_fail_perror("PTRACE_GETREGS");
	regs.eflags |= X86_EFLAGS_IOPL;
	if (ptrace(PTRACE_SETREGS, pid, NULL, &regs))
		ksft_exit_fail_perror("PTRACE_SETREGS");
	ksft_test_result(finish_child(pid) == 0,
			 "iopl(0): PTRACE_SETREGS with IOPL 3 grants no port\n");
}

int main(void)
{
	const char *why;

	ksft_print_header();
	io_fault_init();
	why = io_skip_reason();
	if (why)
		ksft_exit_skip("%s\n", why);
	install_usr1();
	ksft_set_plan(7);
	test_sigcontext_hides_iopl();
	test_sigreturn_keeps_level();
	test_sigreturn_grants_nothing();
	test_ptrace_hides_iopl();
	test_ptrace_grants_nothing();
	set_level(0);
	ksft_finished();
}
