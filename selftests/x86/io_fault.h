/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Shared helpers for the iopl()/ioperm() selftests: run one port access or
 * one CLI/STI and report whether it faulted, with the signal details.
 *
 * Every test only decides "faulted or not"; the value a read returns is
 * never checked, because in a Xen dom0 a port the hypervisor withholds
 * reads as all ones without a fault, and that must not matter here.
 *
 * Ports.  The tests run as root on bare metal and in Xen guests (PV and
 * PVH dom0, PV, PVH and HVM domU), so a port that is really accessed must
 * be harmless in all of them:
 *   0x80  POST code latch.  Linux itself writes it for I/O delays, Xen
 *         leaves it to dom0 (PV and PVH).
 *   0xed  the alternative delay port (io_delay=0xed).  No device decodes
 *         it in QEMU's pc or q35 machine and Xen's dom0 deny list does not
 *         contain it.
 * Those two are the only ports a test expects to work and writes to.  The
 * neighbours used to show that a grant is exact (0x7f, 0x81, 0xec, 0xee)
 * and the far ports (0x0, 0x3ff, 0x400, 0xffff) are only ever read, and
 * only where the kernel must make the read fault, so they reach hardware
 * only if the kernel is broken.  0xffff is read successfully only when
 * io_probe_far_ports() says so: when IO_SELFTEST_FAR_PORTS=1 is set in
 * the environment.  Set it only where the machine is known to decode
 * nothing there, as QEMU's pc and q35 machines decode nothing at or above
 * 0xc080; on other hardware a device may sit at 0xffff.  Avoided on purpose:
 * PIC 0x20/0xa0, PIT 0x40-0x43, 0x61, 0x70/0x71, PCI config 0xcf8-0xcff,
 * serial ports, ACPI PM blocks, 0xe9 (Xen's HVM debug console) and
 * 0x81-0x8f except as a faulting read (ISA DMA pages, denied to a PVH
 * dom0 by Xen).
 */
#ifndef IO_FAULT_H
#define IO_FAULT_H

#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <ucontext.h>
#include <unistd.h>
#include <linux/capability.h>
#include <sys/syscall.h>

#include "../kselftest.h"

#define PORT_POST	0x80
#define PORT_DELAY	0xed
#define PORT_TOP	0xffff
#define X86_TRAP_GP	13
#define X86_EFLAGS_IF	0x200UL

/*
 * io_fork: fork with stdout flushed, failing the test if fork fails.  The
 * child, which gets 0, dies by SIGALRM after WATCHDOG seconds, so that a
 * child stuck on a broken kernel fails the test instead of hanging it.
 */
static inline pid_t io_fork(unsigned int watchdog)
{
	pid_t pid;

	fflush(stdout);
	pid = fork();
	if (pid < 0)
		ksft_exit_fail_perror("fork");
	if (pid == 0)
		alarm(watchdog);
	return pid;
}

static inline void io_compiler_barrier(void)
{
	asm volatile("" : : : "memory");
}

enum io_op {
	IO_INB,
	IO_OUTB,
	IO_INSB,
	IO_OUTSB,
	IO_CLI,
	IO_STI,
	IO_NR_OPS,
};

static const char * const io_op_name[IO_NR_OPS] = {
	"inb", "outb", "insb", "outsb", "cli", "sti",
};

struct io_result {
	bool faulted;
	int signo;
	int code;
	long trapno;
	long err;
	unsigned long flags;	/* EFLAGS right after a CLI/STI that ran */
	unsigned char byte;	/* what an INB that ran read */
};

/* Per thread: a probe in one thread must not jump into another's frame. */
static __thread sigjmp_buf io_jmp;
static __thread sig_atomic_t io_armed;
static __thread struct io_result io_last;
/* The byte a probe reads or writes: not a local that siglongjmp() clobbers. */
static __thread unsigned char io_byte;

static void io_fault_handler(int sig, siginfo_t *si, void *ctx)
{
	ucontext_t *uc = ctx;
	static const char msg[] = "io_fault: unexpected signal outside a probe\n";

	if (!io_armed) {
		/* A fault nobody asked for is a test failure, not a crash. */
		if (write(STDOUT_FILENO, msg, sizeof(msg) - 1) < 0)
			_exit(KSFT_FAIL);
		_exit(KSFT_FAIL);
	}
	io_last.faulted = true;
	io_last.signo = sig;
	io_last.code = si->si_code;
	io_last.trapno = uc->uc_mcontext.gregs[REG_TRAPNO];
	io_last.err = uc->uc_mcontext.gregs[REG_ERR];
	io_armed = 0;
	siglongjmp(io_jmp, 1);
}

/* Install once per process; handlers are shared by all its threads. */
static inline void io_fault_init(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = io_fault_handler;
	sa.sa_flags = SA_SIGINFO | SA_NODEFER;
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGSEGV, &sa, NULL) || sigaction(SIGBUS, &sa, NULL))
		ksft_exit_fail_perror("sigaction");
}

static inline void io_exec_op(enum io_op op, unsigned short port,
			      unsigned char *byte, unsigned long *flags)
{
	unsigned char buf = *byte;
	unsigned char *p = &buf;
	unsigned long cnt = 1;

	switch (op) {
	case IO_INB:
		asm volatile("inb %w1, %%al" : "=a" (buf) : "Nd" (port));
		break;
	case IO_OUTB:
		asm volatile("outb %%al, %w1" : : "a" (buf), "Nd" (port));
		break;
	case IO_INSB:
		asm volatile("rep insb" : "+D" (p), "+c" (cnt)
			     : "d" (port) : "memory");
		break;
	case IO_OUTSB:
		asm volatile("rep outsb" : "+S" (p), "+c" (cnt)
			     : "d" (port) : "memory");
		break;
	case IO_CLI:
		asm volatile("cli; pushf; pop %0" : "=rm" (*flags) : : "memory");
		break;
	case IO_STI:
		asm volatile("sti; pushf; pop %0" : "=rm" (*flags) : : "memory");
		break;
	default:
		break;
	}
	*byte = buf;
}

/*
 * Run @op once, writing @byte if it is an OUT, and say whether it
 * faulted.  sigsetjmp() saves the signal mask so that the SIGSEGV taken
 * inside is unblocked again on the way out.
 */
static inline struct io_result io_probe_byte(enum io_op op, unsigned short port,
					     unsigned char byte)
{
	memset(&io_last, 0, sizeof(io_last));
	io_byte = byte;
	if (sigsetjmp(io_jmp, 1) == 0) {
		unsigned long flags = 0;

		io_armed = 1;
		/* The handler must see io_armed set before the instruction. */
		io_compiler_barrier();
		io_exec_op(op, port, &io_byte, &flags);
		io_compiler_barrier();
		io_armed = 0;
		io_last.flags = flags;
		io_last.byte = io_byte;
	}
	return io_last;
}

static inline struct io_result io_probe(enum io_op op, unsigned short port)
{
	return io_probe_byte(op, port, 0);
}

static inline bool io_faults(enum io_op op, unsigned short port)
{
	return io_probe(op, port).faulted;
}

/* The fault a denied port access or CLI/STI must produce: #GP, SIGSEGV. */
static inline bool io_is_gp_segv(const struct io_result *r)
{
	return r->faulted && r->signo == SIGSEGV && r->code == SI_KERNEL &&
	       r->trapno == X86_TRAP_GP;
}

/* See the header comment: 0xffff is read successfully only on request. */
static inline bool io_probe_far_ports(void)
{
	const char *far = getenv("IO_SELFTEST_FAR_PORTS");

	return far && !strcmp(far, "1");
}

static inline int io_capget(struct __user_cap_data_struct data[2])
{
	struct __user_cap_header_struct hdr = {
		.version = _LINUX_CAPABILITY_VERSION_3,
	};

	return syscall(SYS_capget, &hdr, data);
}

static inline bool io_have_rawio(void)
{
	struct __user_cap_data_struct data[2];

	if (io_capget(data))
		return false;
	return data[0].effective & (1U << CAP_SYS_RAWIO);
}

/* Drop CAP_SYS_RAWIO from every set, keeping uid 0 and other caps. */
static inline int io_drop_rawio(void)
{
	struct __user_cap_header_struct hdr = {
		.version = _LINUX_CAPABILITY_VERSION_3,
	};
	struct __user_cap_data_struct data[2];

	if (io_capget(data))
		return -1;
	data[0].effective &= ~(1U << CAP_SYS_RAWIO);
	data[0].permitted &= ~(1U << CAP_SYS_RAWIO);
	data[0].inheritable &= ~(1U << CAP_SYS_RAWIO);
	return syscall(SYS_capset, &hdr, data);
}

/*
 * Why the environment cannot run the tests, or NULL if it can.  iopl(0)
 * changes nothing for a task that has no I/O permissions yet, and where
 * the system call exists it cannot fail: it fails on a kernel without
 * CONFIG_X86_IOPL_IOPERM, or where a seccomp filter denies it.
 */
static inline const char *io_skip_reason(void)
{
	static char why[128];

	if (syscall(SYS_iopl, 0)) {
		snprintf(why, sizeof(why),
			 "iopl(0) failed (%s): kernel without CONFIG_X86_IOPL_IOPERM?",
			 strerror(errno));
		return why;
	}
	if (!io_have_rawio())
		return "no CAP_SYS_RAWIO: run as root";
	if (syscall(SYS_iopl, 3)) {
		return errno == EPERM ?
		       "iopl(3) denied with CAP_SYS_RAWIO (kernel lockdown?)" :
		       "iopl(3) failed";
	}
	syscall(SYS_iopl, 0);
	return NULL;
}

static inline long sys_iopl(unsigned int level)
{
	return syscall(SYS_iopl, level);
}

static inline long sys_ioperm(unsigned long from, unsigned long num, int on)
{
	return syscall(SYS_ioperm, from, num, on);
}

#endif /* IO_FAULT_H */
