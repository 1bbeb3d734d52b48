// SPDX-License-Identifier: GPL-2.0
/*
 * io_switch_bench: what I/O privilege costs per context switch.
 *
 * Micro-benchmarks, all on CPU 0 (sched_setaffinity), timed with
 * clock_gettime(CLOCK_MONOTONIC).  Under QEMU with "-icount shift=0" the
 * guest clock advances one nanosecond per executed instruction, so the
 * results count instructions and repeat from run to run.
 *
 *   pipe_plain         round trip over two pipes between two processes
 *                      without I/O privilege (two context switches)
 *   pipe_iopl          the same, both processes at iopl(3)
 *   pipe_ioperm        the same, both with ioperm(), different ports
 *   pipe_ioperm_plain  the same, one with ioperm(), one without
 *   pipe_iopl_plain    the same, one at iopl(3), one without
 *   iopl_call          one iopl() call, alternating iopl(3) and iopl(0)
 *   ioperm_call        one ioperm() call, granting and revoking one more
 *                      port while another stays granted
 *   outb_ioperm        one outb to port 0x80, granted by ioperm()
 *   outb_iopl          one outb to port 0x80, at iopl(3)
 *   getppid            one getppid() system call, for reference
 *
 * Each benchmark runs in freshly forked processes.  A first run sizes it:
 * how many operations take about RUN_US microseconds of guest time.  Then
 * RUNS timed runs follow, each after a warm-up of a quarter of its
 * operations and a sleep of pseudo-random length up to 10 ms; the runs of
 * the benchmarks are interleaved.  A run is kept well below the 10 ms
 * timer tick of the guest kernel (HZ=100), and the sleep puts it anywhere
 * within the tick, so that most runs see no tick and the median is the
 * cost of the operation itself; the maximum shows a run that took one.
 *
 * Output is TAP: one "# run NAME RUN OPS NS" line per timed run (OPS
 * operations in NS nanoseconds of guest time), then one result line per
 * benchmark with the median, minimum and maximum nanoseconds per
 * operation.
 *
 * Usage: io_switch_bench [-r RUNS] [-t RUN_US]
 *   RUNS    timed runs of each benchmark (default 21, or $bench_runs)
 *   RUN_US  guest microseconds per run (default 1000, or $bench_run_us)
 * The variables can be given on the kernel command line, which passes
 * them to init.  Needs CAP_SYS_RAWIO.  Exit status: 0 when every
 * benchmark ran, 1 otherwise.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/io.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define PORT_POST	0x80	/* POST code port, safe to write */
#define PORT_RTC	0x70	/* granted, never accessed */
#define PORT_RTC_NUM	2
#define PORT_EXTRA	0xed	/* granted and revoked by ioperm_call */

#define DEFAULT_RUNS	21
#define MAX_RUNS	99
#define DEFAULT_RUN_US	1000
#define MAX_OPS		100000000UL
/* The pauses before timed runs spread over one tick of HZ=100. */
#define TICK_NS		10000000ULL

#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))

/* I/O privilege that a process takes before it is timed. */
enum privilege {
	PRIV_NONE,
	PRIV_IOPL,
	PRIV_IOPERM_POST,
	PRIV_IOPERM_RTC,
};

enum loop {
	LOOP_PIPE,
	LOOP_IOPL,
	LOOP_IOPERM,
	LOOP_OUTB,
	LOOP_GETPPID,
};

struct bench {
	const char *name;
	const char *what;
	enum loop loop;
	enum privilege timer;	/* the process that is timed */
	enum privilege echo;	/* its partner in the pipe benchmarks */
};

static const struct bench benches[] = {
	{ "pipe_plain", "round trip, plain <-> plain",
	  LOOP_PIPE, PRIV_NONE, PRIV_NONE },
	{ "pipe_iopl", "round trip, iopl(3) <-> iopl(3)",
	  LOOP_PIPE, PRIV_IOPL, PRIV_IOPL },
	{ "pipe_ioperm", "round trip, ioperm <-> ioperm (other ports)",
	  LOOP_PIPE, PRIV_IOPERM_POST, PRIV_IOPERM_RTC },
	{ "pipe_ioperm_plain", "round trip, ioperm <-> plain",
	  LOOP_PIPE, PRIV_IOPERM_POST, PRIV_NONE },
	{ "pipe_iopl_plain", "round trip, iopl(3) <-> plain",
	  LOOP_PIPE, PRIV_IOPL, PRIV_NONE },
	{ "iopl_call", "iopl() call",
	  LOOP_IOPL, PRIV_NONE, PRIV_NONE },
	{ "ioperm_call", "ioperm() call",
	  LOOP_IOPERM, PRIV_IOPERM_POST, PRIV_NONE },
	{ "outb_ioperm", "outb 0x80, ioperm",
	  LOOP_OUTB, PRIV_IOPERM_POST, PRIV_NONE },
	{ "outb_iopl", "outb 0x80, iopl(3)",
	  LOOP_OUTB, PRIV_IOPL, PRIV_NONE },
	{ "getppid", "getppid() call",
	  LOOP_GETPPID, PRIV_NONE, PRIV_NONE },
};

/*
 * What the timed process does: with @ops, warm up, pause for @pause_ns,
 * then time @ops operations; without, find how many take @run_ns.
 */
struct plan {
	unsigned long long ops;
	unsigned long long run_ns;
	unsigned long long pause_ns;
};

/* What the timed process reports: @ns for @ops operations. */
struct sample {
	unsigned long long ops;
	unsigned long long ns;
};

/* Operations per run, and nanoseconds per operation of each run. */
static unsigned long long bench_ops[ARRAY_SIZE(benches)];
static double results[ARRAY_SIZE(benches)][MAX_RUNS];
static bool failed[ARRAY_SIZE(benches)];

static unsigned long long now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

static int take_privilege(enum privilege priv)
{
	switch (priv) {
	case PRIV_NONE:
		return 0;
	case PRIV_IOPL:
		return iopl(3);
	case PRIV_IOPERM_POST:
		return ioperm(PORT_POST, 1, 1);
	case PRIV_IOPERM_RTC:
		return ioperm(PORT_RTC, PORT_RTC_NUM, 1);
	}
	return -1;
}

static int write_full(int fd, const void *buf, size_t len)
{
	ssize_t n = write(fd, buf, len);

	return n == (ssize_t)len ? 0 : -1;
}

static int read_full(int fd, void *buf, size_t len)
{
	ssize_t n = read(fd, buf, len);

	return n == (ssize_t)len ? 0 : -1;
}

/* The partner of a pipe benchmark: answer every byte until EOF. */
static void echo_loop(int in, int out)
{
	char c;

	for (;;) {
		ssize_t n = read(in, &c, 1);

		if (n == 0)
			_exit(0);
		if (n != 1 || write_full(out, &c, 1))
			_exit(1);
	}
}

static int pipe_round_trips(int out, int in, unsigned long ops)
{
	char c = 0;

	for (unsigned long i = 0; i < ops; i++) {
		if (write_full(out, &c, 1) || read_full(in, &c, 1))
			return -1;
	}
	return 0;
}

static int iopl_calls(unsigned long ops)
{
	for (unsigned long i = 0; i < ops; i += 2) {
		if (iopl(3) || iopl(0))
			return -1;
	}
	return 0;
}

static int ioperm_calls(unsigned long ops)
{
	for (unsigned long i = 0; i < ops; i += 2) {
		if (ioperm(PORT_EXTRA, 1, 1) || ioperm(PORT_EXTRA, 1, 0))
			return -1;
	}
	return 0;
}

static int outb_loop(unsigned long ops)
{
	for (unsigned long i = 0; i < ops; i++)
		outb(0, PORT_POST);
	return 0;
}

static int getppid_loop(unsigned long ops)
{
	for (unsigned long i = 0; i < ops; i++)
		syscall(SYS_getppid);
	return 0;
}

static int run_loop(const struct bench *b, int out, int in, unsigned long ops)
{
	switch (b->loop) {
	case LOOP_PIPE:
		return pipe_round_trips(out, in, ops);
	case LOOP_IOPL:
		return iopl_calls(ops);
	case LOOP_IOPERM:
		return ioperm_calls(ops);
	case LOOP_OUTB:
		return outb_loop(ops);
	case LOOP_GETPPID:
		return getppid_loop(ops);
	}
	return -1;
}

/* Nanoseconds that @ops operations take, 0 when one failed. */
static unsigned long long timed(const struct bench *b, int out, int in,
				unsigned long long ops)
{
	unsigned long long start = now_ns(), end;

	if (run_loop(b, out, in, ops))
		return 0;
	end = now_ns();
	return end > start ? end - start : 1;
}

static unsigned long long fastest_of_three(const struct bench *b, int out,
					   int in, unsigned long long ops)
{
	unsigned long long best = 0, ns;

	for (int i = 0; i < 3; i++) {
		ns = timed(b, out, in, ops);
		if (!ns)
			return 0;
		if (!best || ns < best)
			best = ns;
	}
	return best;
}

/* Sleep; the idle guest's clock jumps ahead at no cost under icount. */
static void pause_ns(unsigned long long ns)
{
	struct timespec ts = {
		.tv_sec = ns / 1000000000ULL,
		.tv_nsec = ns % 1000000000ULL,
	};

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

/*
 * The timed process: take the privilege and carry out @p.  The sample
 * goes to @report.
 */
static void timer_main(const struct bench *b, int out, int in, int report,
		       const struct plan *p)
{
	unsigned long long ops = p->ops, run_ns = p->run_ns;
	struct sample s = { .ops = ops };

	if (take_privilege(b->timer)) {
		printf("# %s: taking the privilege: %s\n", b->name,
		       strerror(errno));
		_exit(2);
	}
	if (ops) {
		s.ns = timed(b, out, in, ops / 4 ? ops / 4 : 1);
		pause_ns(p->pause_ns);
		if (s.ns)
			s.ns = timed(b, out, in, ops);
	} else {
		/*
		 * Double the count until it lasts an eighth of a run; the
		 * fastest of three tries, so that a timer tick in one does
		 * not stop the doubling early.
		 */
		for (s.ops = 2;; s.ops *= 2) {
			s.ns = fastest_of_three(b, out, in, s.ops);
			if (!s.ns || s.ns >= run_ns / 8 || s.ops >= MAX_OPS)
				break;
		}
		s.ops = s.ns ? s.ops * run_ns / s.ns : 0;
		/* The call loops alternate two calls. */
		s.ops = s.ops < 2 ? 2 : (s.ops + 1) & ~1ULL;
	}
	if (!s.ns) {
		printf("# %s: the operation failed: %s\n", b->name,
		       strerror(errno));
		_exit(3);
	}
	if (write_full(report, &s, sizeof(s)))
		_exit(4);
	_exit(0);
}

static bool child_ok(pid_t pid, const char *name, const char *role)
{
	int status;

	if (pid <= 0)
		return true;
	if (waitpid(pid, &status, 0) != pid) {
		printf("# %s: waitpid of the %s: %s\n", name, role,
		       strerror(errno));
		return false;
	}
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		return true;
	if (WIFSIGNALED(status))
		printf("# %s: the %s died of signal %d\n", name, role,
		       WTERMSIG(status));
	else
		printf("# %s: the %s exited with %d\n", name, role,
		       WEXITSTATUS(status));
	return false;
}

static void close_all(int *fds, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (fds[i] >= 0)
			close(fds[i]);
		fds[i] = -1;
	}
}

/*
 * One run of @b: fork the timed process (and for a pipe benchmark its
 * partner) to carry out @p, collect its sample.  Returns false on
 * failure.
 */
static bool run_once(const struct bench *b, const struct plan *p,
		     struct sample *s)
{
	int fds[6] = { -1, -1, -1, -1, -1, -1 };
	int *to_echo = &fds[0], *to_timer = &fds[2], *report = &fds[4];
	pid_t echo = 0, timer;
	bool ok;

	if (pipe(report) || (b->loop == LOOP_PIPE &&
			     (pipe(to_echo) || pipe(to_timer)))) {
		printf("# %s: pipe: %s\n", b->name, strerror(errno));
		close_all(fds, ARRAY_SIZE(fds));
		return 0;
	}
	fflush(stdout);
	if (b->loop == LOOP_PIPE) {
		echo = fork();
		if (echo == 0) {
			close(to_echo[1]);
			close(to_timer[0]);
			close(report[0]);
			close(report[1]);
			if (take_privilege(b->echo)) {
				printf("# %s: the partner taking the privilege: %s\n",
				       b->name, strerror(errno));
				_exit(2);
			}
			echo_loop(to_echo[0], to_timer[1]);
		}
	}
	timer = echo < 0 ? -1 : fork();
	if (timer == 0) {
		close(to_echo[0]);
		close(to_timer[1]);
		close(report[0]);
		timer_main(b, to_echo[1], to_timer[0], report[1], p);
	}
	if (echo < 0 || timer < 0)
		printf("# %s: fork: %s\n", b->name, strerror(errno));
	/* Keep only the read end of the report: EOF once the timer is gone. */
	close(report[1]);
	report[1] = -1;
	ok = !read_full(report[0], s, sizeof(*s)) && s->ops && s->ns;
	/* The partner sees EOF once every write end is closed. */
	close_all(fds, ARRAY_SIZE(fds));
	ok = child_ok(timer, b->name, "timed process") && ok;
	ok = child_ok(echo, b->name, "partner") && ok;
	return ok;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static unsigned long setting(const char *opt, const char *env,
			     unsigned long def, unsigned long max)
{
	const char *s = opt ? opt : getenv(env);
	unsigned long v;
	char *end;

	if (!s || !*s)
		return def;
	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || *end || v == 0 || v > max) {
		fprintf(stderr, "io_switch_bench: bad %s '%s'\n", env, s);
		exit(1);
	}
	return v;
}

/*
 * Where a run starts within the tick: left alone, the interleaved runs
 * keep the same phase to the tick from one round to the next, and a
 * benchmark would take a tick in all its runs or in none.  A pause of
 * pseudo-random length (the same sequence on every boot) before each
 * timed run makes a tick land in a run with the chance that its length
 * gives.
 */
static unsigned long long next_pause_ns(void)
{
	static unsigned int state = 1;

	state = state * 1103515245U + 12345U;
	return (state >> 8) % (TICK_NS / 1000) * 1000;
}

static void measure(unsigned long runs, unsigned long long run_ns)
{
	struct plan p = { .run_ns = run_ns };
	struct sample s;

	/* Run 0 sizes each benchmark. */
	for (unsigned long run = 0; run <= runs; run++) {
		for (size_t i = 0; i < ARRAY_SIZE(benches); i++) {
			const struct bench *b = &benches[i];

			if (failed[i])
				continue;
			p.ops = bench_ops[i];
			p.pause_ns = next_pause_ns();
			if (!run_once(b, &p, &s)) {
				failed[i] = true;
				continue;
			}
			if (run == 0) {
				bench_ops[i] = s.ops;
				continue;
			}
			results[i][run - 1] = (double)s.ns / s.ops;
			printf("# run %s %lu %llu %llu\n", b->name, run, s.ops,
			       s.ns);
		}
	}
}

int main(int argc, char **argv)
{
	const char *runs_opt = NULL, *run_us_opt = NULL;
	unsigned long runs, run_us;
	cpu_set_t cpus;
	int opt, rc = 0;

	while ((opt = getopt(argc, argv, "r:t:")) != -1) {
		switch (opt) {
		case 'r':
			runs_opt = optarg;
			break;
		case 't':
			run_us_opt = optarg;
			break;
		default:
			fprintf(stderr, "usage: %s [-r RUNS] [-t RUN_US]\n",
				argv[0]);
			return 1;
		}
	}
	runs = setting(runs_opt, "bench_runs", DEFAULT_RUNS, MAX_RUNS);
	run_us = setting(run_us_opt, "bench_run_us", DEFAULT_RUN_US, 10000000);

	setvbuf(stdout, NULL, _IOLBF, 0);
	printf("TAP version 13\n");
	printf("1..%zu\n", ARRAY_SIZE(benches));
	CPU_ZERO(&cpus);
	CPU_SET(0, &cpus);
	if (sched_setaffinity(0, sizeof(cpus), &cpus)) {
		printf("Bail out! sched_setaffinity(CPU 0): %s\n",
		       strerror(errno));
		return 1;
	}
	printf("# io_switch_bench: %lu runs of about %lu us each, CPU 0\n",
	       runs, run_us);
	printf("# run NAME RUN OPS NS\n");
	measure(runs, run_us * 1000ULL);

	for (size_t i = 0; i < ARRAY_SIZE(benches); i++) {
		double *r = results[i];

		if (failed[i]) {
			printf("not ok %zu %s: %s\n", i + 1, benches[i].name,
			       benches[i].what);
			rc = 1;
			continue;
		}
		qsort(r, runs, sizeof(*r), cmp_double);
		printf("ok %zu %s: %s: median %.1f ns, min %.1f, max %.1f\n",
		       i + 1, benches[i].name, benches[i].what,
		       r[runs / 2], r[0], r[runs - 1]);
	}
	return rc;
}
