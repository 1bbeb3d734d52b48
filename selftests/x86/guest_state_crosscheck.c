// SPDX-License-Identifier: GPL-2.0
/*
 * Cross-check what the x86_guest_state module reports against sources that
 * do not go through it: /sys/hypervisor, the bugs and flags lines of
 * /proc/cpuinfo, the kernel command line and CPUID as user space sees it.
 * When the harness says which environment and kernel variant this is
 * (HARNESS_ENV, HARNESS_VARIANT), also check the values expected there.
 *
 * X86_GUEST_STATE_DIR names another directory to read the module's files
 * from, so that each check can be shown to fail on values made up for it.
 */

#include <cpuid.h>
#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../kselftest.h"
#include "cpuinfo.h"

#define STATE_DIR	"/sys/kernel/x86_guest_state"
#define VAL_MAX		256

/* The base's bug that patch 2 of the series fixes (scripts/known-failures) */
#define SAVE_FL_BUG	"the base's Xen PV save_fl op returns leftover %rax bits (fixed by the series)"

/* read_line: first line of PATH without its newline; false if unreadable */
static bool read_line(const char *path, char *buf, size_t size)
{
	FILE *f = fopen(path, "r");
	bool ok;

	if (!f)
		return false;
	ok = fgets(buf, size, f);
	fclose(f);
	if (ok)
		buf[strcspn(buf, "\n")] = '\0';
	else
		errno = ENODATA;
	return ok;
}

/* An attribute of the module: the module creates only those it can back. */
struct attr {
	const char *name;
	bool present;
	char val[VAL_MAX];
};

static struct attr hypervisor = { .name = "hypervisor" };
static struct attr iopl_mode = { .name = "iopl_mode" };
static struct attr smap = { .name = "smap" };
static struct attr eflags_ac = { .name = "eflags_ac" };
static struct attr save_fl = { .name = "save_fl_contract" };

static const char *state_dir;

static void read_attr(struct attr *a)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/%s", state_dir, a->name);
	a->present = read_line(path, a->val, sizeof(a->val));
	if (!a->present && errno != ENOENT)
		ksft_exit_fail_msg("cannot read %s: %s\n", path, strerror(errno));
	if (!a->present)
		snprintf(a->val, sizeof(a->val), "(absent)");
}

/* Xen's own account, from /sys/hypervisor; empty strings where it has none */
static char sys_type[VAL_MAX], sys_guest_type[VAL_MAX];

static bool on_xen(void)
{
	return !strcmp(sys_type, "xen");
}

/*
 * A Xen PV guest by Xen's account; by the module's when /sys/hypervisor
 * does not say which kind of Xen guest this is.
 */
static bool xen_pv_guest(void)
{
	if (on_xen() && *sys_guest_type)
		return !strcmp(sys_guest_type, "PV");
	return hypervisor.present && !strcmp(hypervisor.val, "xen-pv");
}

static void check_sys_hypervisor(void)
{
	const char *name = "/sys/hypervisor vs hypervisor";
	const char *hv = hypervisor.val;
	bool xen_hv = !strncmp(hv, "xen-", 4);
	bool ok;

	if (!hypervisor.present) {
		ksft_test_result_skip("%s: kernel without guest support\n", name);
		return;
	}
	ksft_print_msg("/sys/hypervisor: type '%s', guest_type '%s'; module: %s\n",
		       sys_type, sys_guest_type, hv);
	if (!on_xen())
		ok = !xen_hv;
	else if (!*sys_guest_type)
		ok = xen_hv;
	else if (!strcmp(sys_guest_type, "PV"))
		ok = !strcmp(hv, "xen-pv");
	else if (!strcmp(sys_guest_type, "PVH") || !strcmp(sys_guest_type, "HVM"))
		ok = !strcmp(hv, "xen-hvm");
	else
		ok = false;
	ksft_test_result(ok, "%s\n", name);
}

static bool cmdline_has(const char *word)
{
	char line[4096];

	if (!read_line("/proc/cmdline", line, sizeof(line)))
		ksft_exit_fail_msg("cannot read /proc/cmdline\n");
	return has_word(line, word);
}

/* The mode follows from the guest type and the bug bit, never otherwise. */
static void check_iopl_mode(void)
{
	const char *name = "cmdline, guest type, cpuinfo bugs vs iopl_mode";
	bool legacy_param = cmdline_has("xen_legacy_iopl");
	int bug = cpuinfo_has("bugs", "xen_pv_iopl");
	bool pv = xen_pv_guest();
	const char *want;

	if (bug < 0) {
		ksft_test_result_fail("%s: no consistent bugs line\n", name);
		return;
	}
	if (!iopl_mode.present) {
		/* Only a kernel that defines the bug bit can list it. */
		if (bug)
			ksft_test_result_fail("%s: bugs lists xen_pv_iopl, no iopl_mode\n",
					      name);
		else
			ksft_test_result_skip("%s: kernel lacks X86_BUG_XEN_PV_IOPL\n",
					      name);
		return;
	}
	if (!pv)
		want = "native";
	else if (legacy_param || bug)
		want = "legacy";
	else
		want = "assist";
	ksft_print_msg("xen_legacy_iopl %s, Xen PV %s, bug %s: want %s, module %s\n",
		       legacy_param ? "given" : "absent", pv ? "yes" : "no",
		       bug ? "listed" : "not listed", want, iopl_mode.val);
	ksft_test_result(!strcmp(iopl_mode.val, want) &&
			 bug == !strcmp(want, "legacy"), "%s\n", name);
}

static bool user_cpuid_smap(void)
{
	unsigned int eax, ebx, ecx, edx;

	if (__get_cpuid_max(0, NULL) < 7)
		return false;
	__cpuid_count(7, 0, eax, ebx, ecx, edx);
	return ebx & (1u << 20);
}

static void check_smap(void)
{
	const char *name = "CPUID, cpuinfo flags vs smap";
	bool cpuid = user_cpuid_smap();
	int flag = cpuinfo_has("flags", "smap");
	bool on = smap.present && !strcmp(smap.val, "on");
	bool off = smap.present && !strcmp(smap.val, "off");
	bool ok = true;

	ksft_print_msg("user CPUID.7.0:EBX.SMAP %d, cpuinfo flag %d, module '%s'\n",
		       cpuid, flag, smap.val);
	if (smap.present && !on && !off) {
		ksft_test_result_fail("%s: unexpected value\n", name);
		return;
	}
	if (flag < 0) {
		ksft_test_result_fail("%s: no consistent flags line\n", name);
		return;
	}
	/* The kernel lists the flag exactly when it enabled SMAP. */
	if (flag != on)
		ok = false;
	/*
	 * A Xen PV guest's user space may run CPUID unfiltered when the
	 * CPU cannot fault CPUID, and see a feature that Xen hides from
	 * the guest kernel; elsewhere the two agree.
	 */
	if (cpuid != smap.present) {
		if (xen_pv_guest() && cpuid)
			ksft_print_msg("Xen PV: user CPUID not filtered like the kernel's\n");
		else
			ok = false;
	}
	ksft_test_result(ok, "%s\n", name);
}

/* AC set outside a user access would let the kernel reach user memory. */
static void check_eflags_ac(void)
{
	const char *name = "eflags_ac is 0, there exactly when smap is";

	if (eflags_ac.present != smap.present) {
		ksft_test_result_fail("%s: smap %s, eflags_ac %s\n", name,
				      smap.val, eflags_ac.val);
		return;
	}
	if (!eflags_ac.present) {
		ksft_test_result_skip("%s: CPU without SMAP\n", name);
		return;
	}
	ksft_print_msg("eflags_ac '%s'\n", eflags_ac.val);
	ksft_test_result(!strcmp(eflags_ac.val, "0"), "%s\n", name);
}

static const struct {
	const char *sig;
	const char *hypervisor;
} signatures[] = {
	{ "XenVMMXenVMM", "xen" },
	{ "KVMKVMKVM\0\0\0", "kvm" },
	{ "Microsoft Hv", "ms-hyperv" },
	{ "VMwareVMware", "vmware" },
	{ "ACRNACRNACRN", "acrn" },
	{ "Jailhouse\0\0\0", "jailhouse" },
	{ "bhyve bhyve ", "bhyve" },
	{ "TCGTCGTCGTCG", "qemu-tcg" },
};

/*
 * cpuid_signature_has: whether a hypervisor CPUID leaf (0x40000000 and
 * the alternative bases 0x100 apart, used when a hypervisor also offers
 * another's interface) carries a signature of HYPERVISOR.
 */
static bool cpuid_signature_has(const char *hypervisor)
{
	unsigned int base, eax, regs[3];
	size_t i;

	for (base = 0x40000000; base < 0x40010000; base += 0x100) {
		__cpuid(base, eax, regs[0], regs[1], regs[2]);
		for (i = 0; i < ARRAY_SIZE(signatures); i++) {
			if (memcmp(regs, signatures[i].sig, 12))
				continue;
			if (!strcmp(signatures[i].hypervisor, hypervisor))
				return true;
		}
	}
	return false;
}

static void list_cpuid_signatures(void)
{
	unsigned int eax, ebx, ecx, edx;
	char sig[13];

	__cpuid(1, eax, ebx, ecx, edx);
	ksft_print_msg("CPUID.1:ECX.hypervisor %u\n", ecx >> 31);
	__cpuid(0x40000000, eax, ebx, ecx, edx);
	memcpy(sig, &ebx, 4);
	memcpy(sig + 4, &ecx, 4);
	memcpy(sig + 8, &edx, 4);
	sig[12] = '\0';
	for (eax = 0; eax < 12; eax++)
		if (sig[eax] < ' ' || sig[eax] > '~')
			sig[eax] = '.';
	ksft_print_msg("CPUID 0x40000000 signature '%s'\n", sig);
}

/* The harness's patched-noxen kernel is the one it boots without Xen. */
static bool kernel_without_xen(void)
{
	const char *variant = getenv("HARNESS_VARIANT");

	return variant && !strcmp(variant, "patched-noxen");
}

static void check_cpuid_hypervisor(void)
{
	const char *name = "CPUID hypervisor leaves vs hypervisor";
	bool xen_sig = cpuid_signature_has("xen");
	const char *hv = hypervisor.val;

	list_cpuid_signatures();
	if (!hypervisor.present) {
		ksft_test_result_skip("%s: kernel without guest support\n", name);
		return;
	}
	if (!strcmp(hv, "xen-pv") && !xen_sig) {
		/* Without CPUID faulting Xen cannot intercept user CPUID. */
		ksft_test_result_skip("%s: user CPUID not intercepted by Xen PV\n",
				      name);
		return;
	}
	if (!strncmp(hv, "xen-", 4)) {
		ksft_test_result(xen_sig, "%s\n", name);
		return;
	}
	if (!strcmp(hv, "none")) {
		/*
		 * A kernel with Xen guest support finds Xen where CPUID
		 * shows it; which others it supports, user space cannot
		 * tell.
		 */
		ksft_test_result(!xen_sig || kernel_without_xen(), "%s\n", name);
		return;
	}
	ksft_test_result(cpuid_signature_has(hv), "%s\n", name);
}

/*
 * The environments and variants are those of the harness
 * (scripts/lib/envs.sh, scripts/lib/variants.sh); a xen-domu-* guest is
 * the domU of that type, created by xl in a PV dom0.  patched-noxen, the
 * patched kernel without CONFIG_XEN, boots in native only.
 */
static const struct environment {
	const char *env;
	const char *hypervisor;
	const char *iopl_mode;	/* with the series */
	bool xen_pv;
} environments[] = {
	{ "native",		"none",		"native",	false },
	/* xen-pv-nopti changes only Xen's page tables. */
	{ "xen-pv",		"xen-pv",	"assist",	true },
	{ "xen-pv-nopti",	"xen-pv",	"assist",	true },
	/* Booted with xen_legacy_iopl: the bug bit is forced on. */
	{ "xen-pv-legacy",	"xen-pv",	"legacy",	true },
	{ "xen-pvh",		"xen-hvm",	"native",	false },
	{ "xen-domu-pv",	"xen-pv",	"assist",	true },
	{ "xen-domu-pvh",	"xen-hvm",	"native",	false },
	{ "xen-domu-hvm",	"xen-hvm",	"native",	false },
};

static const struct environment *harness_env;
static bool harness_unpatched;

/* Where the harness expects the base's save_fl bug, the check says TODO. */
static bool save_fl_bug_expected(void)
{
	return harness_env && harness_env->xen_pv && harness_unpatched;
}

/* A known failure, which TAP consumers count as such, not as a failure */
static void result_todo(const char *name, const char *reason)
{
	ksft_inc_xfail_cnt();
	printf("not ok %u %s # TODO %s\n", ksft_test_num(), name, reason);
}

static void check_save_fl(void)
{
	const char *name = "save_fl_contract is ok";

	if (!save_fl.present) {
		ksft_test_result_fail("%s: the module has no save_fl_contract\n",
				      name);
		return;
	}
	ksft_print_msg("save_fl_contract '%s'\n", save_fl.val);
	if (!strcmp(save_fl.val, "violated") && save_fl_bug_expected()) {
		result_todo(name, SAVE_FL_BUG);
		return;
	}
	ksft_test_result(!strcmp(save_fl.val, "ok"), "%s\n", name);
}

#define NR_CROSSCHECKS 6

/* check_expected: attribute A reads WANT; WANT NULL: A is not there */
static void check_expected(const struct attr *a, const char *want,
			   const char *env, const char *variant)
{
	bool ok;

	if (want)
		ok = a->present && !strcmp(a->val, want);
	else
		ok = !a->present;
	if (!ok)
		ksft_print_msg("%s is '%s', expected '%s'\n", a->name, a->val,
			       want ? want : "(absent)");
	ksft_test_result(ok, "%s/%s: %s %s%s\n", env, variant, a->name,
			 want ? "= " : "absent", want ? want : "");
}

#define NR_EXPECTED 2

static void check_environment(const char *env, const char *variant)
{
	ksft_print_msg("expected values of %s, %s\n", env, variant);
	check_expected(&hypervisor, harness_env->hypervisor, env, variant);
	/* The unpatched kernel lacks X86_BUG_XEN_PV_IOPL. */
	check_expected(&iopl_mode,
		       harness_unpatched ? NULL : harness_env->iopl_mode,
		       env, variant);
}

/* find_environment: HARNESS_ENV's entry; NULL when the harness set none */
static const struct environment *find_environment(const char *env,
						  const char *variant)
{
	size_t i;

	if (!env || !*env || !variant || !*variant)
		return NULL;
	if (strcmp(variant, "patched") && strcmp(variant, "unpatched") &&
	    strcmp(variant, "patched-noxen"))
		ksft_exit_fail_msg("unknown HARNESS_VARIANT '%s'\n", variant);
	if (!strcmp(variant, "patched-noxen") && strcmp(env, "native"))
		ksft_exit_fail_msg("%s boots in native only, not %s\n",
				   variant, env);
	for (i = 0; i < ARRAY_SIZE(environments); i++)
		if (!strcmp(env, environments[i].env))
			return &environments[i];
	ksft_exit_fail_msg("unknown HARNESS_ENV '%s'\n", env);
	return NULL;
}

int main(void)
{
	const char *env = getenv("HARNESS_ENV");
	const char *variant = getenv("HARNESS_VARIANT");

	state_dir = getenv("X86_GUEST_STATE_DIR");
	if (!state_dir || !*state_dir)
		state_dir = STATE_DIR;

	ksft_print_header();
	if (access(state_dir, F_OK))
		ksft_exit_skip("x86_guest_state module not loaded (no %s)\n",
			       state_dir);
	harness_env = find_environment(env, variant);
	harness_unpatched = variant && !strcmp(variant, "unpatched");
	read_attr(&hypervisor);
	read_attr(&iopl_mode);
	read_attr(&smap);
	read_attr(&eflags_ac);
	read_attr(&save_fl);
	read_line("/sys/hypervisor/type", sys_type, sizeof(sys_type));
	read_line("/sys/hypervisor/guest_type", sys_guest_type,
		  sizeof(sys_guest_type));

	ksft_set_plan(NR_CROSSCHECKS + (harness_env ? NR_EXPECTED : 0));
	check_sys_hypervisor();
	check_cpuid_hypervisor();
	check_iopl_mode();
	check_smap();
	check_eflags_ac();
	check_save_fl();
	if (harness_env)
		check_environment(env, variant);
	else
		ksft_print_msg("no HARNESS_ENV/HARNESS_VARIANT: no per-environment checks\n");

	if (ksft_get_fail_cnt())
		ksft_exit_fail();
	if (!ksft_get_pass_cnt()) {
		ksft_print_cnts();
		exit(KSFT_SKIP);
	}
	ksft_exit_pass();
}
