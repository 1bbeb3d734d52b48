/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Processes that keep checking their I/O permissions while the system
 * changes under them: a CPU going offline and coming back, the guest being
 * saved and restored.  A mistake on such a path shows up as a task that
 * loses its ports after the event, or one that gains ports it never had.
 *
 * Three processes, one with no permissions, one with ioperm(0x80) and one
 * with iopl(3), each move between the CPUs they may run on, one CPU per
 * iteration, and check on every iteration that exactly their ports work.
 * A test runs them through phases separated by its events.  Every phase
 * runs until each process has made IO_MIN_ITERS checks in it and, where
 * the target CPU (the one the events take away) is online, at least one
 * of them on that CPU.  A check that spans the start or the end of a phase
 * counts in none; one that fails while an event happens is counted apart.
 * In the last phase each process changes its permissions (none ->
 * ioperm(0xed), ioperm(0x80) -> ioperm(0xed), iopl(3) -> ioperm(0x80)),
 * so that changes made after the events take effect too.
 *
 * Ports (see io_fault.h for why they are safe): 0x80 and 0xed are read
 * and written; 0x400 and 0xffff are only read, and only where the read
 * must fault, except that 0xffff is read at iopl(3) with
 * IO_SELFTEST_FAR_PORTS=1.
 */
#ifndef IO_ROLES_H
#define IO_ROLES_H

#include <sched.h>
#include <sys/prctl.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>

#include "io_fault.h"

#define IO_MIN_ITERS		32
#define IO_MAX_REPORTED		5
#define IO_PHASE_SECS		240	/* a slow guest, not a hung one */
#define IO_MAX_PHASES		8

struct io_perm {
	bool post, delay;
	unsigned int level;
};

struct io_role {
	const char *name;
	struct io_perm before, after;
};

static const struct io_role io_roles[] = {
	{ "no permissions", { 0 }, { .delay = true } },
	{ "ioperm(0x80)", { .post = true }, { .delay = true } },
	{ "iopl(3)", { .level = 3 }, { .post = true } },
};

#define IO_NR_ROLES ARRAY_SIZE(io_roles)

/* A phase of the test: checks made while the system is in one state. */
struct io_phase {
	const char *name;
	bool target_offline;
};

#define IO_PH_EVENT	(-1)	/* between two phases: the event happens */
#define IO_PH_DONE	IO_MAX_PHASES

struct io_slot {
	unsigned long bad_in_event;
	unsigned long iters[IO_MAX_PHASES];
	unsigned long on_target[IO_MAX_PHASES];
	unsigned long bad[IO_MAX_PHASES];
	unsigned long reported;
};

struct io_shared {
	int phase;
	struct io_slot slot[IO_NR_ROLES];
};

/* Set by io_roles_start(), read by the processes it forks. */
static struct io_shared *io_sh;
static const struct io_phase *io_phases;
static int io_nr_phases;
static int io_cpus[CPU_SETSIZE];
static int io_nr_cpus;
static int io_target = -1;
static pid_t io_pids[IO_NR_ROLES];

static inline int io_current_cpu(void)
{
	unsigned int cpu;

	/* The system call, not the vDSO: it is right in every guest type. */
	if (syscall(SYS_getcpu, &cpu, NULL, NULL))
		return -1;
	return cpu;
}

/* The CPUs this process may run on, into io_cpus; returns how many. */
static inline int io_roles_find_cpus(void)
{
	cpu_set_t set;

	if (sched_getaffinity(0, sizeof(set), &set))
		ksft_exit_fail_perror("sched_getaffinity");
	io_nr_cpus = 0;
	for (int c = 0; c < CPU_SETSIZE; c++)
		if (CPU_ISSET(c, &set))
			io_cpus[io_nr_cpus++] = c;
	return io_nr_cpus;
}

static inline int io_read_phase(void)
{
	return __atomic_load_n(&io_sh->phase, __ATOMIC_ACQUIRE);
}

static inline void io_set_phase(int phase)
{
	__atomic_store_n(&io_sh->phase, phase, __ATOMIC_RELEASE);
}

static inline bool io_changed_phase(int phase)
{
	return phase == io_nr_phases - 1;
}

static inline void io_apply(const struct io_perm *p)
{
	if (sys_iopl(p->level) ||
	    sys_ioperm(PORT_POST, 1, p->post) ||
	    sys_ioperm(PORT_DELAY, 1, p->delay))
		ksft_exit_fail_msg("setting permissions: %s\n", strerror(errno));
}

static inline void io_check_port(struct io_slot *s, int phase,
				 const char *name, enum io_op op,
				 unsigned short port, bool works)
{
	struct io_result r = io_probe(op, port);

	if (works ? !r.faulted : io_is_gp_segv(&r))
		return;
	if (phase == IO_PH_EVENT)
		s->bad_in_event++;
	else
		s->bad[phase]++;
	if (s->reported++ >= IO_MAX_REPORTED)
		return;
	ksft_print_msg("%s, %s: %s 0x%x %s on cpu %d\n", name,
		       phase == IO_PH_EVENT ? "during an event" :
		       io_phases[phase].name, io_op_name[op], port,
		       !r.faulted ? "worked (leak)" :
		       works ? "faulted (loss)" : "faulted, but not with #GP",
		       io_current_cpu());
}

static inline void io_check_once(struct io_slot *s, int phase,
				 const char *name, const struct io_perm *p)
{
	bool all = p->level == 3;

	io_check_port(s, phase, name, IO_INB, PORT_POST, p->post || all);
	io_check_port(s, phase, name, IO_OUTB, PORT_POST, p->post || all);
	io_check_port(s, phase, name, IO_INB, PORT_DELAY, p->delay || all);
	io_check_port(s, phase, name, IO_OUTB, PORT_DELAY, p->delay || all);
	if (!all) {
		io_check_port(s, phase, name, IO_INB, 0x400, false);
		io_check_port(s, phase, name, IO_INB, PORT_TOP, false);
	} else if (io_probe_far_ports()) {
		io_check_port(s, phase, name, IO_INB, PORT_TOP, true);
	}
}

/* Pin to the next CPU of the list that is online; stay put if none is. */
static inline void io_move_on(unsigned int *next)
{
	for (int tries = 0; tries < io_nr_cpus; tries++) {
		cpu_set_t set;

		CPU_ZERO(&set);
		CPU_SET(io_cpus[*next], &set);
		*next = (*next + 1) % io_nr_cpus;
		if (!sched_setaffinity(0, sizeof(set), &set))
			return;
	}
}

static inline void io_run_role(unsigned int idx)
{
	const struct io_role *r = &io_roles[idx];
	struct io_slot *s = &io_sh->slot[idx];
	unsigned int next = idx % io_nr_cpus;
	bool changed = false;
	int phase;

	io_apply(&r->before);
	while ((phase = io_read_phase()) != IO_PH_DONE) {
		bool here;

		if (io_changed_phase(phase) && !changed) {
			io_apply(&r->after);
			changed = true;
		}
		io_move_on(&next);
		io_check_once(s, phase, r->name, changed ? &r->after : &r->before);
		here = io_current_cpu() == io_target;
		/* Count only checks made wholly inside one phase. */
		if (phase == IO_PH_EVENT || io_read_phase() != phase)
			continue;
		s->on_target[phase] += here;
		if (++s->iters[phase] % 16 == 0)
			usleep(1000);
	}
}

static inline bool io_phase_done(int phase)
{
	bool online = !io_phases[phase].target_offline;

	for (unsigned int i = 0; i < IO_NR_ROLES; i++) {
		const struct io_slot *s = &io_sh->slot[i];

		if (__atomic_load_n(&s->iters[phase], __ATOMIC_RELAXED) < IO_MIN_ITERS)
			return false;
		if (online &&
		    !__atomic_load_n(&s->on_target[phase], __ATOMIC_RELAXED))
			return false;
	}
	return true;
}

/*
 * io_roles_start: fork the processes for NR phases (the last one being
 * the one in which they change their permissions), TARGET being the CPU
 * the events take away.  The TAP plan is the caller's: one result per
 * phase and process, and one for the events (io_roles_report()).
 */
static inline void io_roles_start(const struct io_phase *phases, int nr,
				  int target)
{
	io_phases = phases;
	io_nr_phases = nr;
	io_target = target;
	io_sh = mmap(NULL, sizeof(*io_sh), PROT_READ | PROT_WRITE,
		     MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (io_sh == MAP_FAILED)
		ksft_exit_fail_perror("mmap");
	io_set_phase(IO_PH_EVENT);
	for (unsigned int i = 0; i < IO_NR_ROLES; i++) {
		pid_t pid = io_fork(nr * IO_PHASE_SECS + 60);

		if (pid == 0) {
			/* A parent that dies must not leave us probing ports. */
			prctl(PR_SET_PDEATHSIG, SIGKILL);
			io_run_role(i);
			_exit(0);
		}
		io_pids[i] = pid;
	}
}

/* Run phase PHASE until it is done; false if it made no progress. */
static inline bool io_roles_phase(int phase)
{
	time_t end = time(NULL) + IO_PHASE_SECS;

	io_set_phase(phase);
	while (!io_phase_done(phase)) {
		if (time(NULL) > end) {
			ksft_print_msg("%s: no progress in %d s\n",
				       io_phases[phase].name, IO_PHASE_SECS);
			return false;
		}
		usleep(10000);
	}
	io_set_phase(IO_PH_EVENT);
	return true;
}

/*
 * io_roles_report: stop the processes and report, DONE being the phases
 * that completed and EVENTS what happened between them.
 */
static inline void io_roles_report(int done, const char *events)
{
	unsigned long in_event = 0;
	int status[IO_NR_ROLES];

	io_set_phase(IO_PH_DONE);
	for (unsigned int i = 0; i < IO_NR_ROLES; i++)
		if (waitpid(io_pids[i], &status[i], 0) != io_pids[i])
			ksft_exit_fail_perror("waitpid");
	for (int phase = 0; phase < io_nr_phases; phase++) {
		for (unsigned int i = 0; i < IO_NR_ROLES; i++) {
			const struct io_slot *s = &io_sh->slot[i];
			/* A check wholly inside an offline phase ran elsewhere. */
			bool placed = !io_phases[phase].target_offline ||
				      !s->on_target[phase];

			ksft_test_result(phase < done && !s->bad[phase] &&
					 placed && !status[i],
					 "%s, %s: %lu checks, %lu on cpu %d, %lu wrong\n",
					 io_roles[i].name, io_phases[phase].name,
					 s->iters[phase], s->on_target[phase],
					 io_target, s->bad[phase]);
		}
	}
	for (unsigned int i = 0; i < IO_NR_ROLES; i++)
		in_event += io_sh->slot[i].bad_in_event;
	ksft_test_result(done == io_nr_phases && !in_event,
			 "while %s: %lu wrong\n", events, in_event);
}

#endif /* IO_ROLES_H */
