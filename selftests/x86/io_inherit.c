// SPDX-License-Identifier: GPL-2.0
/*
 * How ioperm() and iopl() permissions pass to children, threads and new
 * programs.
 *
 * Proves that:
 *  - fork: the child starts with its parent's ioperm() grants and iopl
 *    level; what either side changes afterwards stays on that side;
 *  - threads: a new thread starts with its creator's grants and level,
 *    after that the state is per thread: a thread's ioperm() or iopl()
 *    is seen neither by the thread that created it nor by its siblings,
 *    and theirs is not seen by it;
 *  - execve: both the ioperm() grants and the iopl level survive, also
 *    after dropping to an unprivileged uid first (ioperm(2): "preserved
 *    across execve(2); this is useful for giving port access permissions
 *    to unprivileged programs"), the new program can lower but not raise
 *    them, and a thread that calls execve hands its own state, not the
 *    main thread's, to the new program.  iopl(2) still says that since
 *    Linux 3.7 the level is lost on execve; that stopped being true when
 *    5.5 moved iopl() to the I/O bitmap: the kernel keeps
 *    thread.iopl_emul and TIF_IO_BITMAP across exec (nothing in the exec
 *    path or start_thread_common() touches them), and this test pins that.
 *
 * Ports (see io_fault.h for why they are safe): 0x80 and 0xed are read
 * and written by the port instructions.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <sys/wait.h>

#include "io_fault.h"

#define NOBODY_UID	65534
#define EXEC_FLAG	"--exec-child"

static void must(long ret, const char *what)
{
	if (ret)
		ksft_exit_fail_msg("%s: %s\n", what, strerror(errno));
}

/* The task sees exactly these grants on 0x80 and 0xed, and @cli. */
static bool sees(bool post, bool delay, bool cli_works)
{
	struct io_result p = io_probe(IO_INB, PORT_POST);
	struct io_result o = io_probe(IO_OUTB, PORT_POST);
	struct io_result d = io_probe(IO_INB, PORT_DELAY);
	struct io_result c = io_probe(IO_CLI, 0);
	bool cli_ok = cli_works ? !c.faulted && (c.flags & X86_EFLAGS_IF) :
			io_is_gp_segv(&c);
	bool ok = p.faulted != post && o.faulted != post &&
		  d.faulted != delay && cli_ok;

	if (!ok)
		ksft_print_msg("pid %d: 0x80 %s/%s, 0xed %s, cli %s; want 0x80 %d 0xed %d cli %d\n",
			       (int)gettid(), p.faulted ? "faults" : "works",
			       o.faulted ? "faults" : "works",
			       d.faulted ? "faults" : "works",
			       c.faulted ? "faults" : "runs", post, delay,
			       cli_works);
	return ok;
}

static void set_state(bool post, bool delay, unsigned int level)
{
	must(sys_iopl(level), "iopl");
	must(sys_ioperm(PORT_POST, 1, post), "ioperm(0x80)");
	must(sys_ioperm(PORT_DELAY, 1, delay), "ioperm(0xed)");
}

static bool wait_ok(pid_t pid)
{
	int status;

	if (waitpid(pid, &status, 0) != pid)
		ksft_exit_fail_perror("waitpid");
	if (WIFSIGNALED(status))
		ksft_print_msg("child killed by signal %d\n", WTERMSIG(status));
	return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

static void test_fork(void)
{
	int pipefd[2];
	pid_t pid;
	bool ok;
	char c;

	set_state(true, false, 0);
	pid = io_fork(20);
	if (pid == 0)
		_exit(sees(true, false, false) ? 0 : 1);
	ksft_test_result(wait_ok(pid), "fork: child inherits ioperm(0x80)\n");

	pid = io_fork(20);
	if (pid == 0) {
		set_state(false, true, 0);
		_exit(sees(false, true, false) ? 0 : 1);
	}
	ok = wait_ok(pid);
	ksft_test_result(ok && sees(true, false, false),
			 "fork: the child's ioperm changes stay in the child\n");

	must(pipe(pipefd), "pipe");
	pid = io_fork(20);
	if (pid == 0) {
		if (read(pipefd[0], &c, 1) != 1)
			_exit(2);
		_exit(sees(true, false, false) ? 0 : 1);
	}
	set_state(false, true, 3);
	if (write(pipefd[1], "x", 1) != 1)
		ksft_exit_fail_perror("write");
	ok = wait_ok(pid);
	close(pipefd[0]);
	close(pipefd[1]);
	ksft_test_result(ok, "fork: the parent's later changes stay in the parent\n");

	set_state(true, false, 3);
	pid = io_fork(20);
	if (pid == 0)
		_exit(sees(true, true, true) ? 0 : 1);
	ksft_test_result(wait_ok(pid), "fork: child inherits iopl(3)\n");

	pid = io_fork(20);
	if (pid == 0) {
		must(sys_iopl(0), "iopl(0)");
		_exit(sees(true, false, false) ? 0 : 1);
	}
	ok = wait_ok(pid);
	ksft_test_result(ok && sees(true, true, true),
			 "fork: the child's iopl(0) stays in the child\n");

	set_state(true, false, 0);
	pid = io_fork(20);
	if (pid == 0) {
		must(sys_iopl(3), "iopl(3)");
		_exit(sees(true, true, true) ? 0 : 1);
	}
	ok = wait_ok(pid);
	ksft_test_result(ok && sees(true, false, false),
			 "fork: the child's iopl(3) stays in the child\n");
	set_state(false, false, 0);
}

struct thread_case {
	pthread_barrier_t changed;	/* the changing thread is done */
	pthread_barrier_t checked;	/* everyone has checked */
	bool post, delay;		/* what the changer switches to */
	unsigned int level;
	bool sibling_ok, changer_ok;
};

static void *sibling_fn(void *arg)
{
	struct thread_case *tc = arg;

	pthread_barrier_wait(&tc->changed);
	tc->sibling_ok = sees(true, false, false);
	pthread_barrier_wait(&tc->checked);
	return NULL;
}

static void *changer_fn(void *arg)
{
	struct thread_case *tc = arg;
	bool ok;
	bool all = tc->level == 3;

	set_state(tc->post, tc->delay, tc->level);
	ok = sees(tc->post || all, tc->delay || all, all);
	pthread_barrier_wait(&tc->changed);
	pthread_barrier_wait(&tc->checked);
	/* Still its own state after the others ran their checks. */
	tc->changer_ok = ok && sees(tc->post || all, tc->delay || all, all);
	return NULL;
}

static void *inherit_fn(void *arg)
{
	bool *want_iopl3 = arg;

	return (void *)(long)sees(true, *want_iopl3, *want_iopl3);
}

static bool new_thread_sees(bool iopl3)
{
	pthread_t t;
	void *ret;

	if (pthread_create(&t, NULL, inherit_fn, &iopl3) ||
	    pthread_join(t, &ret))
		ksft_exit_fail_msg("pthread\n");
	return !!ret;
}

/*
 * The main thread holds ioperm(0x80) at level 0; a changer thread switches
 * to the state in @tc while a sibling and the main thread look on.
 */
static bool thread_change_isolated(struct thread_case *tc)
{
	pthread_t sib, chg;
	bool main_ok;

	set_state(true, false, 0);
	pthread_barrier_init(&tc->changed, NULL, 3);
	pthread_barrier_init(&tc->checked, NULL, 3);
	if (pthread_create(&sib, NULL, sibling_fn, tc) ||
	    pthread_create(&chg, NULL, changer_fn, tc))
		ksft_exit_fail_msg("pthread_create\n");
	pthread_barrier_wait(&tc->changed);
	main_ok = sees(true, false, false);
	pthread_barrier_wait(&tc->checked);
	pthread_join(sib, NULL);
	pthread_join(chg, NULL);
	pthread_barrier_destroy(&tc->changed);
	pthread_barrier_destroy(&tc->checked);
	return main_ok && tc->sibling_ok && tc->changer_ok;
}

static void test_threads(void)
{
	struct thread_case swap = { .post = false, .delay = true, .level = 0 };
	struct thread_case raise = { .post = true, .delay = false, .level = 3 };
	struct thread_case drop = { .post = false, .delay = false, .level = 0 };

	set_state(true, false, 0);
	ksft_test_result(new_thread_sees(false),
			 "thread: a new thread inherits ioperm(0x80)\n");
	set_state(true, false, 3);
	ksft_test_result(new_thread_sees(true),
			 "thread: a new thread inherits iopl(3)\n");

	ksft_test_result(thread_change_isolated(&swap),
			 "thread: a thread's ioperm changes are its own\n");
	ksft_test_result(thread_change_isolated(&raise),
			 "thread: a thread's iopl(3) is its own\n");
	ksft_test_result(thread_change_isolated(&drop),
			 "thread: a thread dropping all permissions drops only its own\n");
	set_state(false, false, 0);
}

enum exec_case { EX_NONE, EX_IOPERM, EX_IOPL3, EX_IOPERM_NOBODY,
		 EX_IOPL3_NOBODY, EX_THREAD, EX_NR };

static const char * const exec_desc[EX_NR] = {
	"no permissions: none after exec",
	"ioperm(0x80) survives exec",
	"iopl(3) survives exec",
	"ioperm(0x80) survives exec as uid 65534, cannot be extended",
	"iopl(3) survives exec as uid 65534, can be lowered, not raised again",
	"a non-main thread's own ioperm(0xed) survives its exec",
};

/* Runs in the new program: check what it was handed. */
static int exec_child(int which)
{
	bool ok;

	switch (which) {
	case EX_NONE:
		return sees(false, false, false) ? 0 : 1;
	case EX_IOPERM:
		return sees(true, false, false) ? 0 : 1;
	case EX_IOPL3:
		return sees(true, true, true) ? 0 : 1;
	case EX_IOPERM_NOBODY:
		ok = sees(true, false, false);
		ok &= sys_ioperm(PORT_DELAY, 1, 1) == -1 && errno == EPERM;
		ok &= sys_iopl(3) == -1 && errno == EPERM;
		return ok && sees(true, false, false) ? 0 : 1;
	case EX_IOPL3_NOBODY:
		ok = sees(true, true, true);
		ok &= sys_iopl(0) == 0 && sees(false, false, false);
		ok &= sys_iopl(3) == -1 && errno == EPERM;
		return ok && sees(false, false, false) ? 0 : 1;
	case EX_THREAD:
		return sees(false, true, false) ? 0 : 1;
	default:
		return 2;
	}
}

static void exec_self(int which)
{
	static char arg[16];
	static char * const argv[] = { "io_inherit", EXEC_FLAG, arg, NULL };
	static char * const envp[] = { NULL };

	snprintf(arg, sizeof(arg), "%d", which);
	fflush(stdout);
	execve("/proc/self/exe", argv, envp);
	ksft_print_msg("execve(/proc/self/exe): %s\n", strerror(errno));
	_exit(3);
}

static void *exec_thread_fn(void *arg)
{
	set_state(false, true, 0);
	exec_self(*(int *)arg);
	return NULL;
}

/* The forked child sets up the state, then becomes the checking program. */
static void exec_setup(int which)
{
	pthread_t t;

	switch (which) {
	case EX_NONE:
		set_state(false, false, 0);
		break;
	case EX_IOPERM:
		set_state(true, false, 0);
		break;
	case EX_IOPL3:
		set_state(false, false, 3);
		break;
	case EX_IOPERM_NOBODY:
		set_state(true, false, 0);
		must(setresuid(NOBODY_UID, NOBODY_UID, NOBODY_UID), "setresuid");
		break;
	case EX_IOPL3_NOBODY:
		set_state(false, false, 3);
		must(setresuid(NOBODY_UID, NOBODY_UID, NOBODY_UID), "setresuid");
		break;
	case EX_THREAD:
		set_state(true, false, 0);
		if (pthread_create(&t, NULL, exec_thread_fn, &which))
			_exit(3);
		pause();
		break;
	}
	exec_self(which);
}

static void test_exec(void)
{
	if (access("/proc/self/exe", X_OK)) {
		for (int i = 0; i < EX_NR; i++)
			ksft_test_result_skip("execve: %s: no /proc/self/exe\n",
					      exec_desc[i]);
		return;
	}
	for (int i = 0; i < EX_NR; i++) {
		pid_t pid = io_fork(20);

		if (pid == 0)
			exec_setup(i);
		ksft_test_result(wait_ok(pid), "execve: %s\n", exec_desc[i]);
	}
}

int main(int argc, char **argv)
{
	const char *why;

	io_fault_init();
	if (argc == 3 && !strcmp(argv[1], EXEC_FLAG))
		return exec_child(atoi(argv[2]));

	ksft_print_header();
	why = io_skip_reason();
	if (why)
		ksft_exit_skip("%s\n", why);

	ksft_set_plan(6 + 5 + EX_NR);
	test_fork();
	test_threads();
	test_exec();
	ksft_finished();
}
