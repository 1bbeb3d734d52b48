// SPDX-License-Identifier: GPL-2.0
/*
 * Cross-check what the x86_guest_state module reports against sources that
 * do not go through it: the bugs and flags lines of /proc/cpuinfo,
 * /sys/hypervisor, the kernel command line and CPUID as user space sees
 * it.  When the harness says which environment and kernel variant this
 * is (HARNESS_ENV, HARNESS_VARIANT), also check the values expected there.
 * HARNESS_BASE says which series that is: the 7.3 one does not carry the
 * boot-declared hypervisor record (its design is being redone), so its
 * patched kernel, like an unpatched one, lacks the boot_hypervisor_*
 * values.
 */

#include <cpuid.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../kselftest.h"
#include "cpuinfo.h"

#define STATE_DIR	"/sys/kernel/x86_guest_state"
#define UNSUPPORTED	"unsupported by this kernel"
#define VAL_MAX		256

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
	return ok;
}

struct state {
	char hypervisor[VAL_MAX];
	char xen_guest_type[VAL_MAX];
	char xen_version[VAL_MAX];
	char boot_type[VAL_MAX];
	char boot_producer[VAL_MAX];
	char boot_flags[VAL_MAX];
	char boot_data[VAL_MAX];
	char iopl_mode[VAL_MAX];
	char iopl_bug[VAL_MAX];
	char smap[VAL_MAX];
};

static struct state st;

static bool read_attr(const char *name, char *buf)
{
	char path[128];

	snprintf(path, sizeof(path), STATE_DIR "/%s", name);
	if (read_line(path, buf, VAL_MAX))
		return true;
	ksft_print_msg("cannot read %s: %s\n", path, strerror(errno));
	return false;
}

static bool read_state(void)
{
	return read_attr("hypervisor", st.hypervisor) &&
	       read_attr("xen_guest_type", st.xen_guest_type) &&
	       read_attr("xen_version", st.xen_version) &&
	       read_attr("boot_hypervisor_type", st.boot_type) &&
	       read_attr("boot_hypervisor_producer", st.boot_producer) &&
	       read_attr("boot_hypervisor_flags", st.boot_flags) &&
	       read_attr("boot_hypervisor_data", st.boot_data) &&
	       read_attr("iopl_mode", st.iopl_mode) &&
	       read_attr("xen_pv_iopl_bug", st.iopl_bug) &&
	       read_attr("smap", st.smap);
}

static bool unsupported(const char *val)
{
	return !strcmp(val, UNSUPPORTED);
}

static void check_bugs_line(void)
{
	int bug = cpuinfo_has("bugs", "xen_pv_iopl");
	const char *name = "cpuinfo bugs vs xen_pv_iopl_bug";

	if (bug < 0) {
		ksft_test_result_fail("%s: no consistent bugs line\n", name);
		return;
	}
	if (unsupported(st.iopl_bug)) {
		if (bug)
			ksft_test_result_fail("%s: bugs lists xen_pv_iopl, module says '%s'\n",
					      name, st.iopl_bug);
		else
			ksft_test_result_skip("%s: kernel lacks the bug bit\n", name);
		return;
	}
	ksft_print_msg("bugs line %s xen_pv_iopl, module says %s\n",
		       bug ? "has" : "lacks", st.iopl_bug);
	ksft_test_result(!strcmp(st.iopl_bug, bug ? "1" : "0"), "%s\n", name);
}

static void check_sys_hypervisor(void)
{
	const char *name = "/sys/hypervisor vs hypervisor, xen_guest_type";
	char type[VAL_MAX] = "", guest[VAL_MAX] = "";
	bool on_xen, ok;

	if (unsupported(st.xen_guest_type)) {
		ksft_test_result_skip("%s: kernel without Xen support\n", name);
		return;
	}
	on_xen = read_line("/sys/hypervisor/type", type, sizeof(type)) &&
		 !strcmp(type, "xen");
	if (!on_xen) {
		ksft_print_msg("/sys/hypervisor/type '%s', xen_guest_type %s\n",
			       type, st.xen_guest_type);
		ksft_test_result(!strcmp(st.xen_guest_type, "none"), "%s\n", name);
		return;
	}
	if (!read_line("/sys/hypervisor/guest_type", guest, sizeof(guest))) {
		ksft_test_result_skip("%s: no /sys/hypervisor/guest_type\n", name);
		return;
	}
	ksft_print_msg("/sys/hypervisor: %s %s; module: %s %s\n", type, guest,
		       st.hypervisor, st.xen_guest_type);
	ok = !strcasecmp(guest, st.xen_guest_type);
	if (!strcmp(st.xen_guest_type, "pv"))
		ok = ok && !strcmp(st.hypervisor, "xen-pv");
	else
		ok = ok && !strcmp(st.hypervisor, "xen-hvm");
	ksft_test_result(ok, "%s\n", name);
}

static void check_xen_version(void)
{
	const char *name = "/sys/hypervisor/version vs xen_version";
	char major[32], minor[32], want[80];

	if (unsupported(st.xen_version) || !strcmp(st.xen_version, "none")) {
		ksft_test_result_skip("%s: xen_version is '%s'\n", name,
				      st.xen_version);
		return;
	}
	if (!read_line("/sys/hypervisor/version/major", major, sizeof(major)) ||
	    !read_line("/sys/hypervisor/version/minor", minor, sizeof(minor))) {
		ksft_test_result_skip("%s: no /sys/hypervisor/version\n", name);
		return;
	}
	snprintf(want, sizeof(want), "%s.%s", major, minor);
	ksft_print_msg("/sys/hypervisor/version %s, module %s\n", want,
		       st.xen_version);
	ksft_test_result(!strcmp(want, st.xen_version), "%s\n", name);
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
	const char *name = "cmdline, guest type, bug bit vs iopl_mode";
	bool legacy_param = cmdline_has("xen_legacy_iopl");
	bool pv = !strcmp(st.xen_guest_type, "pv");
	const char *want;

	if (unsupported(st.iopl_mode) || unsupported(st.iopl_bug)) {
		ksft_test_result_skip("%s: kernel lacks the IOPL mode\n", name);
		return;
	}
	if (!pv)
		want = "native";
	else if (legacy_param || !strcmp(st.iopl_bug, "1"))
		want = "legacy";
	else
		want = "assist";
	ksft_print_msg("xen_legacy_iopl %s, guest type %s, bug %s: want %s, module %s\n",
		       legacy_param ? "given" : "absent", st.xen_guest_type,
		       st.iopl_bug, want, st.iopl_mode);
	ksft_test_result(!strcmp(st.iopl_mode, want) &&
			 !strcmp(st.iopl_bug, strcmp(want, "legacy") ? "0" : "1"),
			 "%s\n", name);
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
	bool on = !strncmp(st.smap, "on ", 3);
	bool off = !strncmp(st.smap, "off ", 4);
	bool none = !strcmp(st.smap, "not supported by the cpu");
	bool ok = true;

	ksft_print_msg("user CPUID.7.0:EBX.SMAP %d, cpuinfo flag %d, module '%s'\n",
		       cpuid, flag, st.smap);
	if (!on && !off && !none) {
		ksft_test_result_fail("%s: unexpected value\n", name);
		return;
	}
	if (flag < 0) {
		ksft_test_result_fail("%s: no consistent flags line\n", name);
		return;
	}
	/* AC set outside a user access would defeat SMAP. */
	if ((on || off) && strcmp(strchr(st.smap, ' ') + 1, "ac=0"))
		ok = false;
	/* The kernel lists the flag exactly when it enabled SMAP. */
	if (flag != on)
		ok = false;
	/*
	 * A Xen PV guest's user space may run CPUID unfiltered when the
	 * CPU cannot fault CPUID, and see a feature that Xen hides from
	 * the guest kernel; elsewhere the two agree.
	 */
	if (cpuid != !none) {
		if (!strcmp(st.xen_guest_type, "pv") && cpuid)
			ksft_print_msg("Xen PV: user CPUID not filtered like the kernel's\n");
		else
			ok = false;
	}
	ksft_test_result(ok, "%s\n", name);
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

static void check_cpuid_hypervisor(void)
{
	const char *name = "CPUID hypervisor leaves vs hypervisor";
	bool xen_sig = cpuid_signature_has("xen");
	const char *hv = st.hypervisor;

	list_cpuid_signatures();
	if (unsupported(hv)) {
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
		/* Only Xen support is known to be built in (xen_guest_type). */
		ksft_test_result(unsupported(st.xen_guest_type) || !xen_sig,
				 "%s\n", name);
		return;
	}
	ksft_test_result(cpuid_signature_has(hv), "%s\n", name);
}

/*
 * Values expected in each harness environment and kernel variant; lists
 * end with an empty entry.
 */
struct expect {
	const char *attr;
	const char *val;	/* NULL: a real value, not none or unsupported */
};

static const struct expect native[] = {
	{ "hypervisor", "none" }, { "xen_guest_type", "none" },
	{ "xen_version", "none" }, {}
};

static const struct expect pv[] = {
	{ "hypervisor", "xen-pv" }, { "xen_guest_type", "pv" },
	{ "xen_version", NULL }, {}
};

static const struct expect pvh[] = {
	{ "hypervisor", "xen-hvm" }, { "xen_guest_type", "pvh" },
	{ "xen_version", NULL }, {}
};

static const struct expect hvm[] = {
	{ "hypervisor", "xen-hvm" }, { "xen_guest_type", "hvm" },
	{ "xen_version", NULL }, {}
};

/* A kernel built without Xen support cannot say anything about Xen. */
static const struct expect native_noxen[] = {
	{ "hypervisor", "none" }, { "xen_guest_type", UNSUPPORTED },
	{ "xen_version", UNSUPPORTED }, {}
};

/* An unpatched kernel has none of what the series adds. */
static const struct expect unpatched[] = {
	{ "iopl_mode", UNSUPPORTED }, { "xen_pv_iopl_bug", UNSUPPORTED },
	{ "boot_hypervisor_type", UNSUPPORTED },
	{ "boot_hypervisor_producer", UNSUPPORTED },
	{ "boot_hypervisor_flags", UNSUPPORTED },
	{ "boot_hypervisor_data", UNSUPPORTED }, {}
};

/* Nothing declares a hypervisor when QEMU loads the kernel directly. */
static const struct expect native_patched[] = {
	{ "iopl_mode", "native" }, { "xen_pv_iopl_bug", "0" },
	{ "boot_hypervisor_type", "none" },
	{ "boot_hypervisor_producer", "none" },
	{ "boot_hypervisor_flags", "none" },
	{ "boot_hypervisor_data", "none" }, {}
};

static const struct expect pv_patched[] = {
	{ "iopl_mode", "assist" }, { "xen_pv_iopl_bug", "0" },
	{ "boot_hypervisor_type", "xen" },
	{ "boot_hypervisor_producer", "xen-pv" },
	{ "boot_hypervisor_flags", "xen-pv" },
	{ "boot_hypervisor_data", NULL }, {}
};

/* Booted with xen_legacy_iopl: the bug bit is forced on. */
static const struct expect pv_legacy_patched[] = {
	{ "iopl_mode", "legacy" }, { "xen_pv_iopl_bug", "1" },
	{ "boot_hypervisor_type", "xen" },
	{ "boot_hypervisor_producer", "xen-pv" },
	{ "boot_hypervisor_flags", "xen-pv" },
	{ "boot_hypervisor_data", NULL }, {}
};

/*
 * hvmloader and SeaBIOS start an HVM guest's kernel through the 16-bit
 * boot protocol, with no Xen entry point: nothing declares a hypervisor.
 */
static const struct expect hvm_patched[] = {
	{ "iopl_mode", "native" }, { "xen_pv_iopl_bug", "0" },
	{ "boot_hypervisor_type", "none" },
	{ "boot_hypervisor_producer", "none" },
	{ "boot_hypervisor_flags", "none" },
	{ "boot_hypervisor_data", "none" }, {}
};

static const struct expect pvh_patched[] = {
	{ "iopl_mode", "native" }, { "xen_pv_iopl_bug", "0" },
	{ "boot_hypervisor_type", "xen" },
	{ "boot_hypervisor_producer", "xen-pvh" },
	{ "boot_hypervisor_flags", "xen-pvh" },
	{ "boot_hypervisor_data", NULL }, {}
};

/*
 * The environments and variants are those of the harness
 * (scripts/lib/envs.sh, scripts/lib/variants.sh); a xen-domu-* guest is
 * the domU of that type, created by xl in a PV dom0.  patched-noxen, the
 * patched kernel without CONFIG_XEN, boots in native only.
 */
static const struct {
	const char *env;
	const struct expect *guest;
	const struct expect *patched;
} environments[] = {
	{ "native", native, native_patched },
	{ "xen-pv", pv, pv_patched },
	{ "xen-pv-nopti", pv, pv_patched },
	{ "xen-pv-legacy", pv, pv_legacy_patched },
	{ "xen-pvh", pvh, pvh_patched },
	{ "xen-domu-pv", pv, pv_patched },
	{ "xen-domu-pvh", pvh, pvh_patched },
	{ "xen-domu-hvm", hvm, hvm_patched },
};

static size_t nr_expect(const struct expect *e)
{
	size_t n = 0;

	while (e && e[n].attr)
		n++;
	return n;
}

/* Bases whose series adds the boot-declared hypervisor record. */
static bool base_has_boot_record(void)
{
	const char *base = getenv("HARNESS_BASE");

	return !base || strcmp(base, "7.3");
}

static bool is_boot_record_attr(const char *attr)
{
	return !strncmp(attr, "boot_hypervisor_", strlen("boot_hypervisor_"));
}

static void check_expected(const struct expect *e, const char *env,
			   const char *variant)
{
	const char *want = e->val;
	char val[VAL_MAX];
	bool ok;

	if (!read_attr(e->attr, val)) {
		ksft_test_result_fail("%s/%s: %s readable\n", env, variant, e->attr);
		return;
	}
	if (is_boot_record_attr(e->attr) && !base_has_boot_record())
		want = UNSUPPORTED;
	if (want)
		ok = !strcmp(val, want);
	else
		ok = !unsupported(val) && strcmp(val, "none") &&
		     strcmp(val, "malformed") && strcmp(val, "0");
	if (!ok || !want)
		ksft_print_msg("%s is '%s', expected '%s'\n", e->attr, val,
			       want ? want : "a value");
	ksft_test_result(ok, "%s/%s: %s = %s\n", env, variant, e->attr,
			 want ? want : "<a value>");
}

#define NR_CROSSCHECKS 6

static void check_all_expected(const struct expect *e, const char *env,
			       const char *variant)
{
	for (; e && e->attr; e++)
		check_expected(e, env, variant);
}

int main(void)
{
	const char *env = getenv("HARNESS_ENV");
	const char *variant = getenv("HARNESS_VARIANT");
	const struct expect *guest = NULL, *series = NULL;
	size_t i;

	ksft_print_header();
	if (access(STATE_DIR, F_OK))
		ksft_exit_skip("x86_guest_state module not loaded (no %s)\n",
			       STATE_DIR);
	if (!read_state())
		ksft_exit_fail_msg("cannot read the module's attributes\n");

	if (env && *env && variant && *variant) {
		bool noxen = !strcmp(variant, "patched-noxen");

		if (strcmp(variant, "patched") && strcmp(variant, "unpatched") &&
		    !noxen)
			ksft_exit_fail_msg("unknown HARNESS_VARIANT '%s'\n", variant);
		for (i = 0; i < ARRAY_SIZE(environments); i++) {
			if (strcmp(env, environments[i].env))
				continue;
			guest = environments[i].guest;
			series = strcmp(variant, "unpatched") ?
				 environments[i].patched : unpatched;
		}
		if (!guest)
			ksft_exit_fail_msg("unknown HARNESS_ENV '%s'\n", env);
		if (noxen && strcmp(env, "native"))
			ksft_exit_fail_msg("%s boots in native only, not %s\n",
					   variant, env);
		if (noxen)
			guest = native_noxen;
	}
	ksft_set_plan(NR_CROSSCHECKS + nr_expect(guest) + nr_expect(series));

	check_bugs_line();
	check_sys_hypervisor();
	check_xen_version();
	check_iopl_mode();
	check_smap();
	check_cpuid_hypervisor();
	if (!guest)
		ksft_print_msg("no HARNESS_ENV/HARNESS_VARIANT: no per-environment checks\n");
	check_all_expected(guest, env, variant);
	check_all_expected(series, env, variant);

	if (ksft_get_fail_cnt())
		ksft_exit_fail();
	if (!ksft_get_pass_cnt()) {
		ksft_print_cnts();
		exit(KSFT_SKIP);
	}
	ksft_exit_pass();
}
