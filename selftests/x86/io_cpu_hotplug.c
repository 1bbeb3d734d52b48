// SPDX-License-Identifier: GPL-2.0
/*
 * I/O permissions survive a CPU going offline and coming back.
 *
 * Taking a CPU down and up again replays part of its bring-up: on Xen PV
 * the vCPU leaves through VCPUOP_down and comes back through Xen's
 * cpu_bringup(), which sets up the CPU's TSS I/O bitmap again, while Xen
 * itself keeps the vCPU's I/O bitmap registration and the kernel may cache
 * what it last registered.
 *
 * The processes of io_roles.h check exactly their ports before the event,
 * while the last CPU that can go offline is offline (twice), after it came
 * back (twice), and after each process changed its permissions once the
 * CPU was back.
 *
 * The test needs root, two CPUs and a CPU with an "online" file in sysfs;
 * it skips otherwise.  It puts the CPU back online on every exit path.
 */
#define _GNU_SOURCE
#include <fcntl.h>

#include "io_roles.h"

enum phase {
	PH_BEFORE,
	PH_OFFLINE_1,
	PH_ONLINE_1,
	PH_OFFLINE_2,
	PH_ONLINE_2,
	PH_CHANGED,
	NR_PHASES,
};

static const struct io_phase phases[NR_PHASES] = {
	[PH_BEFORE] = { .name = "before the event" },
	[PH_OFFLINE_1] = { .name = "cpu offline", .target_offline = true },
	[PH_ONLINE_1] = { .name = "cpu back online" },
	[PH_OFFLINE_2] = { .name = "cpu offline again", .target_offline = true },
	[PH_ONLINE_2] = { .name = "cpu back online again" },
	[PH_CHANGED] = { .name = "permissions changed after the event" },
};

static char online_path[64];
static bool target_down;

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
	if (write_online(online ? "1" : "0")) {
		int err = errno;

		bring_target_back();
		io_set_phase(IO_PH_DONE);
		ksft_exit_fail_msg("writing %d to %s: %s\n", online,
				   online_path, strerror(err));
	}
	target_down = !online;
	ksft_print_msg("cpu %d is %s\n", io_target,
		       online ? "online" : "offline");
}

/* The last CPU we may run on that has an "online" file and is online. */
static const char *find_target(void)
{
	if (io_roles_find_cpus() < 2)
		return "needs two CPUs";
	for (int i = io_nr_cpus - 1; i >= 0; i--) {
		char val = 0;
		int fd;

		snprintf(online_path, sizeof(online_path),
			 "/sys/devices/system/cpu/cpu%d/online", io_cpus[i]);
		fd = open(online_path, O_RDWR);
		if (fd < 0)
			continue;
		if (read(fd, &val, 1) == 1 && val == '1')
			io_target = io_cpus[i];
		close(fd);
		if (io_target >= 0)
			return NULL;
	}
	return "no CPU can go offline (no writable online file in sysfs)";
}

/* Run the phases; returns how many completed. */
static int run_phases(void)
{
	for (int phase = PH_BEFORE; phase < NR_PHASES; phase++) {
		if (!io_roles_phase(phase))
			return phase;
		if (phase == PH_BEFORE || phase == PH_ONLINE_1)
			set_target_online(false);
		else if (phase == PH_OFFLINE_1 || phase == PH_OFFLINE_2)
			set_target_online(true);
	}
	return NR_PHASES;
}

int main(void)
{
	char events[64];
	const char *why;
	int done;

	ksft_print_header();
	io_fault_init();
	why = io_skip_reason();
	if (!why)
		why = find_target();
	if (why)
		ksft_exit_skip("%s\n", why);
	ksft_set_plan(NR_PHASES * IO_NR_ROLES + 1);
	ksft_print_msg("cpu %d goes offline and back, twice\n", io_target);

	io_roles_start(phases, NR_PHASES, io_target);
	done = run_phases();
	bring_target_back();
	snprintf(events, sizeof(events), "cpu %d went offline and online",
		 io_target);
	io_roles_report(done, events);
	ksft_finished();
}
