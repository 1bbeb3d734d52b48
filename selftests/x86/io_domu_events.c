// SPDX-License-Identifier: GPL-2.0
/*
 * I/O permissions survive what the toolstack does to a running Xen domU:
 * a vCPU taken away and given back ("xl vcpu-set"), and the domain saved
 * to a file and restored from it ("xl save", "xl restore"), which is what
 * a migration does without the file.
 *
 * The guest kernel keeps state that Xen may or may not keep across those:
 * the VMASST_TYPE_architectural_iopl assist, the I/O bitmap registered
 * with PHYSDEVOP_set_iobitmap for each vCPU (and the kernel's note of
 * what it registered), the virtual IOPL, the TSS I/O bitmap of a vCPU
 * brought up again.  A stale note in either direction is a bug: a task
 * that loses its ports after a restore, or one that keeps ports it no
 * longer has.
 *
 * The processes of io_roles.h check exactly their ports before the events,
 * after each of them, and after each process changed its permissions once
 * the events were over.  The events are the dom0's to make: the test asks
 * for each one through the domain's xenstore directory data/io-events,
 * where the dom0 of the harness (scripts/guest/dom0-init) lists the events
 * it offers ("offer", e.g. "vcpu-down vcpu-up save-restore") and why not
 * the others ("not-offered"), reads the test's "request" ("<n> <event>")
 * and answers in "done" ("<n> ok" or "<n> failed: <why>").  After a
 * vcpu-down or vcpu-up the test also waits for the guest's own view of
 * the vCPU to change; a vCPU given back is brought online by the test, as
 * udev would.
 *
 * The test needs root, two CPUs, /dev/xen/xenbus and a dom0 that offers
 * events; it skips otherwise.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <linux/types.h>

#include "io_roles.h"

#define XENBUS_DEV	"/dev/xen/xenbus"
#define EVENTS_DIR	"data/io-events/"
#define EVENT_SECS	600	/* a save under emulation is slow */
#define MAX_EVENTS	(IO_MAX_PHASES - 2)

/* The xenstore wire protocol (xen/include/public/io/xs_wire.h). */
enum { XS_READ = 2, XS_WRITE = 11, XS_ERROR = 16 };

struct xs_msg {
	__u32 type, req_id, tx_id, len;
};

struct event_kind {
	const char *word, *phase;
	bool target_offline;
};

static const struct event_kind kinds[] = {
	{ .word = "vcpu-down", .phase = "vcpu taken away (xl vcpu-set)",
	  .target_offline = true },
	{ .word = "vcpu-up", .phase = "vcpu given back (xl vcpu-set)" },
	{ .word = "save-restore", .phase = "saved and restored (xl save, xl restore)" },
};

static int xenbus = -1;
static const struct event_kind *events[MAX_EVENTS];
static int nr_events;
static struct io_phase phases[IO_MAX_PHASES];

/* xs_call TYPE PAYLOAD LEN REPLY SIZE: one request; the reply's length or -1 */
static int xs_call(__u32 type, const char *payload, __u32 len,
		   char *reply, size_t size)
{
	static __u32 req_id;
	struct xs_msg msg = { .type = type, .req_id = ++req_id, .len = len };
	char buf[sizeof(msg) + 4096];
	ssize_t n;

	if (len > sizeof(buf) - sizeof(msg))
		return -1;
	memcpy(buf, &msg, sizeof(msg));
	memcpy(buf + sizeof(msg), payload, len);
	if (write(xenbus, buf, sizeof(msg) + len) != (ssize_t)(sizeof(msg) + len))
		return -1;
	n = read(xenbus, buf, sizeof(buf));
	if (n < (ssize_t)sizeof(msg))
		return -1;
	memcpy(&msg, buf, sizeof(msg));
	if (msg.type == XS_ERROR || msg.len >= size ||
	    n != (ssize_t)(sizeof(msg) + msg.len))
		return -1;
	memcpy(reply, buf + sizeof(msg), msg.len);
	reply[msg.len] = '\0';
	return msg.len;
}

/* Read data/io-events/KEY of this domain into VAL; false if absent. */
static bool xs_read(const char *key, char *val, size_t size)
{
	char path[64];

	snprintf(path, sizeof(path), EVENTS_DIR "%s", key);
	return xs_call(XS_READ, path, strlen(path) + 1, val, size) >= 0;
}

static bool xs_write(const char *key, const char *val)
{
	char buf[128], reply[16];
	int len;

	len = snprintf(buf, sizeof(buf), EVENTS_DIR "%s", key) + 1;
	len += snprintf(buf + len, sizeof(buf) - len, "%s", val);
	return xs_call(XS_WRITE, buf, len, reply, sizeof(reply)) >= 0;
}

static const struct event_kind *kind_of(const char *word)
{
	for (unsigned int i = 0; i < ARRAY_SIZE(kinds); i++)
		if (!strcmp(kinds[i].word, word))
			return &kinds[i];
	return NULL;
}

/* The events the dom0 offers, into events[]; why not, or NULL. */
static const char *read_offer(void)
{
	static char why[512];
	char offer[128], not_offered[384] = "", *word, *save;

	xenbus = open(XENBUS_DEV, O_RDWR);
	if (xenbus < 0)
		return "no " XENBUS_DEV ": not a Xen guest";
	if (!xs_read("offer", offer, sizeof(offer)))
		return "no " EVENTS_DIR "offer in xenstore: no dom0 here makes the events";
	for (word = strtok_r(offer, " ", &save); word;
	     word = strtok_r(NULL, " ", &save)) {
		const struct event_kind *k = kind_of(word);

		if (!k || nr_events == MAX_EVENTS) {
			snprintf(why, sizeof(why), "bad offer: \"%s\"", word);
			ksft_exit_fail_msg("%s\n", why);
		}
		events[nr_events++] = k;
	}
	if (xs_read("not-offered", not_offered, sizeof(not_offered)) &&
	    *not_offered)
		ksft_print_msg("not offered: %s\n", not_offered);
	if (!nr_events) {
		snprintf(why, sizeof(why), "the dom0 offers no event here (%s)",
			 not_offered);
		return why;
	}
	return NULL;
}

static void make_phases(void)
{
	phases[0].name = "before the events";
	for (int i = 0; i < nr_events; i++) {
		phases[i + 1].name = events[i]->phase;
		phases[i + 1].target_offline = events[i]->target_offline;
	}
	phases[nr_events + 1].name = "permissions changed after the events";
}

/*
 * Whether the target CPU is online, from the list of online CPUs: a Xen PV
 * guest unregisters a vCPU the toolstack took away, and its cpuN directory
 * goes with it.
 */
static bool target_online(void)
{
	char list[256], *range, *save;
	ssize_t n;
	int fd;

	fd = open("/sys/devices/system/cpu/online", O_RDONLY);
	if (fd < 0)
		ksft_exit_fail_perror("/sys/devices/system/cpu/online");
	n = read(fd, list, sizeof(list) - 1);
	close(fd);
	list[n > 0 ? n : 0] = '\0';
	for (range = strtok_r(list, ",\n", &save); range;
	     range = strtok_r(NULL, ",\n", &save)) {
		int first, last, got = sscanf(range, "%d-%d", &first, &last);

		if (got == 1)
			last = first;
		if (got >= 1 && io_target >= first && io_target <= last)
			return true;
	}
	return false;
}

/*
 * A vCPU given back is only present: as udev does, bring it online once
 * its "online" file is there again.
 */
static void online_target(void)
{
	char path[64];
	int fd;

	snprintf(path, sizeof(path), "/sys/devices/system/cpu/cpu%d/online",
		 io_target);
	fd = open(path, O_WRONLY);
	if (fd < 0)
		return;
	if (write(fd, "1", 1) != 1 && errno != EBUSY)
		ksft_print_msg("writing 1 to %s: %s\n", path, strerror(errno));
	close(fd);
}

/* Ask the dom0 for event N and wait for it to be done; false if it failed. */
static bool make_event(int n)
{
	const struct event_kind *k = events[n];
	time_t start = time(NULL);
	char req[32], want[32], done[512];

	snprintf(req, sizeof(req), "%d %s", n + 1, k->word);
	snprintf(want, sizeof(want), "%d ", n + 1);
	if (!xs_write("request", req)) {
		ksft_print_msg("event %d (%s): writing the request failed\n",
			       n + 1, k->word);
		return false;
	}
	while (!xs_read("done", done, sizeof(done)) ||
	       strncmp(done, want, strlen(want))) {
		if (time(NULL) - start > EVENT_SECS)
			goto timeout;
		sleep(1);
	}
	if (strcmp(done + strlen(want), "ok")) {
		ksft_print_msg("event %d (%s): the dom0 says %s\n", n + 1,
			       k->word, done + strlen(want));
		return false;
	}
	/* The vCPU goes and comes through a xenstore watch of the guest. */
	while (k->target_offline == target_online() &&
	       strncmp(k->word, "vcpu-", 5) == 0) {
		if (time(NULL) - start > EVENT_SECS)
			goto timeout;
		if (!k->target_offline)
			online_target();
		usleep(100000);
	}
	ksft_print_msg("event %d: %s, in %ld s\n", n + 1, k->phase,
		       (long)(time(NULL) - start));
	return true;
timeout:
	ksft_print_msg("event %d (%s): not done in %d s\n", n + 1, k->word,
		       EVENT_SECS);
	return false;
}

/* Run the phases and the events between them; returns the phases done. */
static int run_phases(void)
{
	int nr_phases = nr_events + 2;

	for (int phase = 0; phase < nr_phases; phase++) {
		if (!io_roles_phase(phase))
			return phase;
		if (phase < nr_events && !make_event(phase))
			return phase + 1;
	}
	return nr_phases;
}

int main(void)
{
	char list[128] = "";
	const char *why;
	int done;

	ksft_print_header();
	io_fault_init();
	why = io_skip_reason();
	if (!why && io_roles_find_cpus() < 2)
		why = "needs two CPUs";
	if (!why)
		why = read_offer();
	if (why)
		ksft_exit_skip("%s\n", why);
	/* "xl vcpu-set" takes the highest vCPU away first. */
	io_target = io_cpus[io_nr_cpus - 1];
	make_phases();
	for (int i = 0; i < nr_events; i++)
		snprintf(list + strlen(list), sizeof(list) - strlen(list),
			 "%s%s", i ? ", " : "", events[i]->word);
	ksft_set_plan((nr_events + 2) * IO_NR_ROLES + 1);
	ksft_print_msg("events: %s; cpu %d is the one taken away\n", list,
		       io_target);

	io_roles_start(phases, nr_events + 2, io_target);
	done = run_phases();
	io_roles_report(done, "the dom0 made the events");
	ksft_finished();
}
