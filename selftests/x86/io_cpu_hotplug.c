// SPDX-License-Identifier: GPL-2.0
/*
 * I/O permissions survive a CPU going offline and coming back.
 *
 * Taking a CPU down and up again replays part of its bring-up: on Xen PV
 * the vCPU leaves through VCPUOP_down and comes back through Xen's
 * cpu_bringup(), which sets up the CPU's TSS I/O bitmap again, while Xen
 * itself keeps the vCPU's I/O bitmap registration and the kernel may cache
 * what it last registered.  A mistake on that path shows up as a task
 * that loses its ports after the CPU came back, or one that gains ports
 * it never had.
 *
 * Three processes, one with no permissions, one with ioperm(0x80) and one
 * with iopl(3), each move between the CPUs they may run on, one CPU per
 * iteration, and check on every iteration that exactly their ports work:
 * before the event, while the last CPU that can go offline is offline
 * (twice), after it came back (twice), and after each process changed its
 * permissions once the CPU was back (none -> ioperm(0xed), ioperm(0x80)
 * -> ioperm(0xed), iopl(3) -> ioperm(0x80)), so that changes made after
 * the event take effect too.  Every phase runs until each process has
 * made MIN_ITERS checks and, where the CPU is online, at least one of
 * them on that CPU.
 *
 * The test needs root, two CPUs and a CPU with an "online" file in sysfs;
 * it skips otherwise.  It puts the CPU back online on every exit path.
 *
 * Ports (see io_fault.h for why they are safe): 0x80 and 0xed are read
 * and written; 0x400 and 0xffff are only read, and only where the read
 * must fault, except that 0xffff is read at iopl(3) with
 * IO_SELFTEST_FAR_PORTS=1.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <sched.h>
#include <sys/prctl.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>

#include "io_fault.h"

#define MIN_ITERS	32
#define MAX_REPORTED	5
#define PHASE_SECS	240	/* a slow guest, not a hung one */

struct perm {
	bool post, delay;
	unsigned int level;
};

struct role {
	const char *name;
	struct perm before, after;
};

static const struct role roles[] = {
	{ "no permissions", { 0 }, { .delay = true } },
	{ "ioperm(0x80)", { .post = true }, { .delay = true } },
	{ "iopl(3)", { .level = 3 }, { .post = true } },
};

#define NR_ROLES ARRAY_SIZE(roles)

enum phase {
	PH_EVENT = -1,		/* the CPU is going offline or online */
	PH_BEFORE,
	PH_OFFLINE_1,
	PH_ONLINE_1,
	PH_OFFLINE_2,
	PH_ONLINE_2,
	PH_CHANGED,
	NR_PHASES,
	PH_DONE = NR_PHASES,
};

static const char * const phase_name[NR_PHASES] = {
	"before the event", "cpu offline", "cpu back online",
	"cpu offline again", "cpu back online again",
	"permissions changed after the event",
};

struct slot {
	unsigned long bad_in_event;
	unsigned long iters[NR_PHASES];
	unsigned long on_target[NR_PHASES];
	unsigned long bad[NR_PHASES];
	unsigned long reported;
};

struct shared {
	int phase;
	struct slot slot[NR_ROLES];
};

static struct shared *sh;
static int cpus[CPU_SETSIZE];
static int nr_cpus;
static int target = -1;
static char online_path[64];
static bool target_down;

static int current_cpu(void)
{
	unsigned int cpu;

	/* The system call, not the vDSO: it is right in every guest type. */
	if (syscall(SYS_getcpu, &cpu, NULL, NULL))
		return -1;
	return cpu;
}

static int read_phase(void)
{
	return __atomic_load_n(&sh->phase, __ATOMIC_ACQUIRE);
}

static void set_phase(int phase)
{
	__atomic_store_n(&sh->phase, phase, __ATOMIC_RELEASE);
}

static void apply(const struct perm *p)
{
	if (sys_iopl(p->level) ||
	    sys_ioperm(PORT_POST, 1, p->post) ||
	    sys_ioperm(PORT_DELAY, 1, p->delay))
		ksft_exit_fail_msg("setting permissions: %s\n", strerror(errno));
}

static void check_port(struct slot *s, int phase, const char *name,
		       enum io_op op, unsigned short port, bool works)
{
	struct io_result r = io_probe(op, port);

	if (works ? !r.faulted : io_is_gp_segv(&r))
		return;
	if (phase == PH_EVENT)
		s->bad_in_event++;
	else
		s->bad[phase]++;
	if (s->reported++ >= MAX_REPORTED)
		return;
	ksft_print_msg("%s, %s: %s 0x%x %s on cpu %d\n", name,
		       phase == PH_EVENT ? "cpu going offline or online" :
		       phase_name[phase], io_op_name[op], port,
		       !r.faulted ? "worked (leak)" :
		       works ? "faulted (loss)" : "faulted, but not with #GP",
		       current_cpu());
}

static void check_once(struct slot *s, int phase, const char *name,
		       const struct perm *p)
{
	bool all = p->level == 3;

	check_port(s, phase, name, IO_INB, PORT_POST, p->post || all);
	check_port(s, phase, name, IO_OUTB, PORT_POST, p->post || all);
	check_port(s, phase, name, IO_INB, PORT_DELAY, p->delay || all);
	check_port(s, phase, name, IO_OUTB, PORT_DELAY, p->delay || all);
	if (!all) {
		check_port(s, phase, name, IO_INB, 0x400, false);
		check_port(s, phase, name, IO_INB, PORT_TOP, false);
	} else if (io_probe_far_ports()) {
		check_port(s, phase, name, IO_INB, PORT_TOP, true);
	}
}

/* Pin to the next CPU of the list that is online; stay put if none is. */
static void move_on(unsigned int *next)
{
	for (int tries = 0; tries < nr_cpus; tries++) {
		cpu_set_t set;

		CPU_ZERO(&set);
		CPU_SET(cpus[*next], &set);
		*next = (*next + 1) % nr_cpus;
		if (!sched_setaffinity(0, sizeof(set), &set))
			return;
	}
}

static void run_role(unsigned int idx)
{
	const struct role *r = &roles[idx];
	struct slot *s = &sh->slot[idx];
	unsigned int next = idx % nr_cpus;
	bool changed = false;
	int phase;

	apply(&r->before);
	while ((phase = read_phase()) != PH_DONE) {
		bool here;

		if (phase == PH_CHANGED && !changed) {
			apply(&r->after);
			changed = true;
		}
		move_on(&next);
		check_once(s, phase, r->name, changed ? &r->after : &r->before);
		here = current_cpu() == target;
		/* Count only checks made wholly inside one phase. */
		if (phase == PH_EVENT || read_phase() != phase)
			continue;
		s->on_target[phase] += here;
		if (++s->iters[phase] % 16 == 0)
			usleep(1000);
	}
}

static bool is_offline_phase(int phase)
{
	return phase == PH_OFFLINE_1 || phase == PH_OFFLINE_2;
}

static bool phase_done(int phase)
{
	bool online = !is_offline_phase(phase);

	for (unsigned int i = 0; i < NR_ROLES; i++) {
		const struct slot *s = &sh->slot[i];

		if (__atomic_load_n(&s->iters[phase], __ATOMIC_RELAXED) < MIN_ITERS)
			return false;
		if (online &&
		    !__atomic_load_n(&s->on_target[phase], __ATOMIC_RELAXED))
			return false;
	}
	return true;
}

static bool wait_phase(int phase)
{
	time_t end = time(NULL) + PHASE_SECS;

	while (!phase_done(phase)) {
		if (time(NULL) > end)
			return false;
		usleep(10000);
	}
	return true;
}

static int write_online(const char *val)
{
	int fd = open(online_path, O_WRONLY);
	int ret = 0;

	if (fd < 0)
		return -1;
	if (write(fd, val, 1) != 1)
		ret = -1;
	close(fd);
	return ret;
}

static void bring_target_back(void)
{
	if (target_down && !write_online("1"))
		target_down = false;
}

static void set_target_online(bool online)
{
	set_phase(PH_EVENT);
	if (write_online(online ? "1" : "0")) {
		int err = errno;

		bring_target_back();
		set_phase(PH_DONE);
		ksft_exit_fail_msg("writing %d to %s: %s\n", online,
				   online_path, strerror(err));
	}
	target_down = !online;
	ksft_print_msg("cpu %d is %s\n", target, online ? "online" : "offline");
}

/* The last CPU we may run on that has an "online" file and is online. */
static const char *find_target(void)
{
	cpu_set_t set;

	if (sched_getaffinity(0, sizeof(set), &set))
		ksft_exit_fail_perror("sched_getaffinity");
	for (int c = 0; c < CPU_SETSIZE; c++)
		if (CPU_ISSET(c, &set))
			cpus[nr_cpus++] = c;
	if (nr_cpus < 2)
		return "needs two CPUs";
	for (int i = nr_cpus - 1; i >= 0; i--) {
		char val = 0;
		int fd;

		snprintf(online_path, sizeof(online_path),
			 "/sys/devices/system/cpu/cpu%d/online", cpus[i]);
		fd = open(online_path, O_RDWR);
		if (fd < 0)
			continue;
		if (read(fd, &val, 1) == 1 && val == '1')
			target = cpus[i];
		close(fd);
		if (target >= 0)
			return NULL;
	}
	return "no CPU can go offline (no writable online file in sysfs)";
}

static pid_t spawn(unsigned int idx)
{
	pid_t pid = io_fork(NR_PHASES * PHASE_SECS + 60);

	if (pid == 0) {
		/* A parent that dies must not leave us probing ports. */
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		run_role(idx);
		_exit(0);
	}
	return pid;
}

/* Run the phases; returns how many completed. */
static int run_phases(void)
{
	for (int phase = PH_BEFORE; phase < NR_PHASES; phase++) {
		set_phase(phase);
		if (!wait_phase(phase)) {
			ksft_print_msg("%s: no progress in %d s\n",
				       phase_name[phase], PHASE_SECS);
			return phase;
		}
		if (phase == PH_BEFORE || phase == PH_ONLINE_1)
			set_target_online(false);
		else if (phase == PH_OFFLINE_1 || phase == PH_OFFLINE_2)
			set_target_online(true);
	}
	return NR_PHASES;
}

static void report(int done, const int *status)
{
	unsigned long in_event = 0;

	for (int phase = 0; phase < NR_PHASES; phase++) {
		for (unsigned int i = 0; i < NR_ROLES; i++) {
			const struct slot *s = &sh->slot[i];
			/* A check wholly inside an offline phase ran elsewhere. */
			bool placed = !is_offline_phase(phase) ||
				      !s->on_target[phase];

			ksft_test_result(phase < done && !s->bad[phase] &&
					 placed && !status[i],
					 "%s, %s: %lu checks, %lu on cpu %d, %lu wrong\n",
					 roles[i].name, phase_name[phase],
					 s->iters[phase], s->on_target[phase],
					 target, s->bad[phase]);
		}
	}
	for (unsigned int i = 0; i < NR_ROLES; i++)
		in_event += sh->slot[i].bad_in_event;
	ksft_test_result(done == NR_PHASES && !in_event,
			 "while cpu %d went offline and online: %lu wrong\n",
			 target, in_event);
}

int main(void)
{
	int status[NR_ROLES] = { 0 };
	pid_t pids[NR_ROLES];
	const char *why;
	int done;

	ksft_print_header();
	io_fault_init();
	why = io_skip_reason();
	if (!why)
		why = find_target();
	if (why)
		ksft_exit_skip("%s\n", why);
	sh = mmap(NULL, sizeof(*sh), PROT_READ | PROT_WRITE,
		  MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (sh == MAP_FAILED)
		ksft_exit_fail_perror("mmap");
	ksft_set_plan(NR_PHASES * NR_ROLES + 1);
	ksft_print_msg("cpu %d goes offline and back, twice\n", target);

	for (unsigned int i = 0; i < NR_ROLES; i++)
		pids[i] = spawn(i);
	done = run_phases();
	bring_target_back();
	set_phase(PH_DONE);
	for (unsigned int i = 0; i < NR_ROLES; i++) {
		int st;

		if (waitpid(pids[i], &st, 0) != pids[i])
			ksft_exit_fail_perror("waitpid");
		status[i] = st;
	}
	report(done, status);
	ksft_finished();
}
