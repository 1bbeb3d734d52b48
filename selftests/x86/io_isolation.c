// SPDX-License-Identifier: GPL-2.0
/*
 * No I/O permission leaks between tasks across context switches and CPU
 * migrations.
 *
 * Several processes, and several threads of one process, each hold a
 * different I/O permission set: none, ioperm(0x80), ioperm(0xed) plus a
 * high range 0xfff8-0xffff, iopl(3), and sets that change on every
 * iteration.  They run at the same time for a bounded time, yield, sleep
 * briefly so that CPUs go idle, and are moved between the first two CPUs
 * with sched_setaffinity().  On every iteration each checks that exactly
 * its own ports work and every other port it probes faults, and that CLI
 * faults, or at iopl(3) leaves EFLAGS.IF set.  One leak (a port that
 * works but must fault) or loss (a port that faults but must work) fails
 * the test: this is what a stale I/O bitmap in the TSS, a stale bitmap
 * registered with the hypervisor, or a stale virtual IOPL after a context
 * switch looks like from user space.  So does a denied access that faults
 * in another way than with #GP (a wrong fault), reported with its signal.
 * The counts are reported per worker.
 *
 * IO_ISOLATION_SECS sets the run time in seconds (default 3, 1..600).
 * Each worker also runs at least MIN_RUNS iterations, however long they
 * take: in a guest whose vCPU the hypervisor keeps off a CPU for longer
 * than the run time, a worker would otherwise check nothing.
 *
 * Ports (see io_fault.h for why they are safe): 0x80 and 0xed are read
 * and written; 0x81 and 0xffff are only read, and only where the read
 * must fault, except that 0xffff is read under iopl(3) with
 * IO_SELFTEST_FAR_PORTS=1.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <sched.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>

#include "io_fault.h"

#define MAX_REPORTED	5
#define MIN_RUNS	192	/* past three affinity changes, see move_cpu() */
#define HIGH_FROM	0xfff8
#define HIGH_NUM	8

/* What one worker holds; a toggling worker alternates between two. */
struct perm {
	bool post, delay, high;
	unsigned int level;
};

struct role {
	const char *name;
	bool thread;		/* a thread of the shared process */
	struct perm a, b;
	bool toggle;
};

static const struct role roles[] = {
	{ "process, no permissions", false, { 0 }, { 0 }, false },
	{ "process, ioperm(0x80)", false, { .post = true }, { 0 }, false },
	{ "process, ioperm(0xed, 0xfff8-0xffff)", false,
	  { .delay = true, .high = true }, { 0 }, false },
	{ "process, iopl(3)", false, { .level = 3 }, { 0 }, false },
	{ "process, toggling ioperm(0x80) <-> iopl(3)+ioperm(0xed)", false,
	  { .post = true }, { .delay = true, .level = 3 }, true },
	{ "thread, no permissions", true, { 0 }, { 0 }, false },
	{ "thread, ioperm(0x80)", true, { .post = true }, { 0 }, false },
	{ "thread, iopl(3)", true, { .level = 3 }, { 0 }, false },
	{ "thread, toggling ioperm(0xed) <-> nothing", true,
	  { .delay = true }, { 0 }, true },
	{ "thread, toggling high range <-> iopl(3)", true,
	  { .high = true }, { .level = 3 }, true },
};

#define NR_ROLES ARRAY_SIZE(roles)

struct stat_slot {
	unsigned long iters, leaks, losses, wrong, migrations, toggles;
	unsigned long reported;
	int started;
};

static struct stat_slot *stats;		/* shared with the children */
static double run_secs = 3;
static int cpus[2];
static int nr_cpus;

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static int current_cpu(void)
{
	unsigned int cpu;

	/* The system call, not the vDSO: it is right in every guest type. */
	if (syscall(SYS_getcpu, &cpu, NULL, NULL))
		return -1;
	return cpu;
}

static void apply(const struct perm *p)
{
	if (sys_iopl(p->level) ||
	    sys_ioperm(PORT_POST, 1, p->post) ||
	    sys_ioperm(PORT_DELAY, 1, p->delay) ||
	    sys_ioperm(HIGH_FROM, HIGH_NUM, p->high))
		ksft_exit_fail_msg("setting permissions: %s\n", strerror(errno));
}

/*
 * A denied access that faults in some other way than with #GP is neither
 * a leak nor a loss: it is reported with the signal, so that its cause
 * can be told.
 */
static void note(struct stat_slot *s, const char *name, const char *what,
		 unsigned short port, bool works, const struct io_result *r)
{
	const char *kind;

	if (!r->faulted) {
		s->leaks++;
		kind = "worked (leak)";
	} else if (works) {
		s->losses++;
		kind = "faulted (loss)";
	} else {
		s->wrong++;
		kind = "faulted, but not with #GP (wrong fault)";
	}
	if (s->reported++ >= MAX_REPORTED)
		return;
	ksft_print_msg("%s: %s 0x%x %s at iteration %lu on cpu %d\n",
		       name, what, port, kind, s->iters, current_cpu());
	if (r->faulted)
		ksft_print_msg("  signal %d, si_code %d, trap %ld, error code %#lx\n",
			       r->signo, r->code, r->trapno, r->err);
}

static void check_port(struct stat_slot *s, const char *name, enum io_op op,
		       unsigned short port, bool works)
{
	struct io_result r = io_probe(op, port);

	if (works ? r.faulted : !io_is_gp_segv(&r))
		note(s, name, io_op_name[op], port, works, &r);
}

static void check_once(struct stat_slot *s, const char *name,
		       const struct perm *p)
{
	bool all = p->level == 3;
	struct io_result c;

	check_port(s, name, IO_INB, PORT_POST, p->post || all);
	check_port(s, name, IO_OUTB, PORT_POST, p->post || all);
	check_port(s, name, IO_INB, PORT_DELAY, p->delay || all);
	check_port(s, name, IO_OUTSB, PORT_DELAY, p->delay || all);
	if (!all)
		check_port(s, name, IO_INB, 0x81, false);
	if (!all && !p->high)
		check_port(s, name, IO_INB, PORT_TOP, false);
	else if (io_probe_far_ports())
		check_port(s, name, IO_INB, PORT_TOP, true);

	c = io_probe(IO_CLI, 0);
	if (all ? c.faulted || !(c.flags & X86_EFLAGS_IF) : !io_is_gp_segv(&c))
		note(s, name, "cli", 0, all, &c);
}

static void move_cpu(unsigned long iter)
{
	cpu_set_t set;

	if (nr_cpus < 2)
		return;
	CPU_ZERO(&set);
	switch ((iter / 64) % 3) {
	case 0:
		CPU_SET(cpus[0], &set);
		break;
	case 1:
		CPU_SET(cpus[1], &set);
		break;
	default:
		CPU_SET(cpus[0], &set);
		CPU_SET(cpus[1], &set);
		break;
	}
	sched_setaffinity(0, sizeof(set), &set);
}

static void run_role(unsigned int idx)
{
	const struct role *r = &roles[idx];
	struct stat_slot *s = &stats[idx];
	const struct perm *cur = &r->a;
	double end = now() + run_secs;
	int cpu = current_cpu();

	apply(cur);
	s->started = 1;
	while (s->iters < MIN_RUNS || now() < end) {
		int here;

		check_once(s, r->name, cur);
		s->iters++;
		if (r->toggle) {
			cur = cur == &r->a ? &r->b : &r->a;
			apply(cur);
			s->toggles++;
		}
		if (s->iters % 64 == 0)
			move_cpu(s->iters);
		if (s->iters % 8 == 0)
			sched_yield();
		if (s->iters % 256 == 0)
			usleep(100);
		here = current_cpu();
		if (here != cpu)
			s->migrations++;
		cpu = here;
	}
}

static void *role_thread(void *arg)
{
	run_role((unsigned int)(long)arg);
	return NULL;
}

/* All thread roles run in one process, so they share an mm. */
static void run_thread_roles(void)
{
	pthread_t tids[NR_ROLES];
	unsigned int n = 0;

	for (unsigned int i = 0; i < NR_ROLES; i++) {
		if (!roles[i].thread)
			continue;
		if (pthread_create(&tids[n++], NULL, role_thread,
				   (void *)(long)i))
			ksft_exit_fail_msg("pthread_create\n");
	}
	while (n)
		pthread_join(tids[--n], NULL);
}

static pid_t spawn(void (*fn)(unsigned int), unsigned int arg)
{
	pid_t pid;

	pid = io_fork((unsigned int)run_secs + 60);
	if (pid == 0) {
		fn(arg);
		_exit(0);
	}
	return pid;
}

static void thread_roles_entry(unsigned int unused)
{
	(void)unused;
	run_thread_roles();
}

static void setup(void)
{
	const char *env = getenv("IO_ISOLATION_SECS");
	cpu_set_t set;

	if (env) {
		run_secs = atof(env);
		if (run_secs < 1 || run_secs > 600)
			ksft_exit_fail_msg("IO_ISOLATION_SECS=%s: want 1..600\n",
					   env);
	}
	if (sched_getaffinity(0, sizeof(set), &set))
		ksft_exit_fail_perror("sched_getaffinity");
	for (int c = 0; c < CPU_SETSIZE && nr_cpus < 2; c++)
		if (CPU_ISSET(c, &set))
			cpus[nr_cpus++] = c;

	stats = mmap(NULL, sizeof(*stats) * NR_ROLES, PROT_READ | PROT_WRITE,
		     MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (stats == MAP_FAILED)
		ksft_exit_fail_perror("mmap");
}

static void report(const int *status)
{
	unsigned long migrations = 0;

	for (unsigned int i = 0; i < NR_ROLES; i++) {
		struct stat_slot *s = &stats[i];
		bool ok = s->started && s->iters > 0 && !s->leaks &&
			  !s->losses && !s->wrong && status[i] == 0;

		migrations += s->migrations;
		ksft_test_result(ok,
				 "%s: %lu runs, %lu leaks, %lu losses, %lu wrong faults, %lu moves, %lu flips, exit status %d\n",
				 roles[i].name, s->iters, s->leaks, s->losses,
				 s->wrong, s->migrations, s->toggles, status[i]);
	}
	if (nr_cpus < 2)
		ksft_test_result_skip("migrations: only one CPU available\n");
	else
		ksft_test_result(migrations > 0,
				 "workers migrated between CPUs %d and %d %lu times\n",
				 cpus[0], cpus[1], migrations);
}

int main(void)
{
	int status[NR_ROLES] = { 0 };
	pid_t pids[NR_ROLES];
	pid_t thread_pid;
	const char *why;
	int st;

	ksft_print_header();
	io_fault_init();
	why = io_skip_reason();
	if (why)
		ksft_exit_skip("%s\n", why);
	setup();
	ksft_set_plan(NR_ROLES + 1);
	ksft_print_msg("%zu workers for %.0f s on CPUs %d,%d\n", NR_ROLES,
		       run_secs, cpus[0], nr_cpus > 1 ? cpus[1] : -1);

	for (unsigned int i = 0; i < NR_ROLES; i++)
		if (!roles[i].thread)
			pids[i] = spawn(run_role, i);
	thread_pid = spawn(thread_roles_entry, 0);

	for (unsigned int i = 0; i < NR_ROLES; i++) {
		if (roles[i].thread)
			continue;
		if (waitpid(pids[i], &st, 0) != pids[i])
			ksft_exit_fail_perror("waitpid");
		status[i] = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
	}
	if (waitpid(thread_pid, &st, 0) != thread_pid)
		ksft_exit_fail_perror("waitpid");
	for (unsigned int i = 0; i < NR_ROLES; i++)
		if (roles[i].thread)
			status[i] = WIFEXITED(st) ? WEXITSTATUS(st) :
				    128 + WTERMSIG(st);
	report(status);
	ksft_finished();
}
