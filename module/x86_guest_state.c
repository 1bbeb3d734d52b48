// SPDX-License-Identifier: GPL-2.0
/*
 * Show, read-only under /sys/kernel/x86_guest_state/, what the running
 * kernel decided about the platform it runs on: hypervisor and Xen guest
 * type, the boot-declared hypervisor record, the Xen PV I/O-privilege mode,
 * SMAP, and whether the save_fl paravirt op keeps its contract.
 *
 * The module must build against kernels that lack parts of this (no Xen,
 * no setup_data hypervisor record, no X86_BUG_XEN_PV_IOPL).  A value such a
 * kernel cannot provide reads UNSUPPORTED: deriving it some other way
 * would show a guess as if the kernel had decided it.
 *
 * The values are described in ABI/sysfs-kernel-x86_guest_state.
 */

#include <linux/bits.h>
#include <linux/irqflags.h>
#include <linux/kernel.h>
#include <linux/kobject.h>
#include <linux/module.h>
#include <linux/preempt.h>
#include <linux/sysfs.h>

#include <asm/bootparam.h>
#include <asm/cpufeature.h>
#include <asm/hypervisor.h>
#include <asm/irqflags.h>
#include <asm/processor.h>
#include <asm/tlbflush.h>

#include <xen/xen.h>
#ifdef CONFIG_XEN
#include <asm/xen/hypercall.h>
#include <xen/interface/version.h>
#endif

#define UNSUPPORTED "unsupported by this kernel"

/* Probe pattern: neither the CPU's flags nor IF alone can look like it. */
#define SAVE_FL_JUNK 0xdeadbeefcafe0000UL

#define GS_SHOW(name)							\
	static ssize_t name##_show(struct kobject *kobj,		\
				   struct kobj_attribute *attr, char *buf)

#define GS_ATTR(name)							\
	static struct kobj_attribute name##_attr = __ATTR_RO(name)

/* An attribute the running kernel cannot provide. */
#define GS_ATTR_UNSUPPORTED(name)					\
	static struct kobj_attribute name##_attr =			\
		__ATTR(name, 0444, unsupported_show, NULL)

static ssize_t __maybe_unused unsupported_show(struct kobject *kobj,
					       struct kobj_attribute *attr,
					       char *buf)
{
	return sysfs_emit(buf, "%s\n", UNSUPPORTED);
}

/* Stable names for enumerations whose numbering users must not rely on. */
static ssize_t __maybe_unused emit_name(char *buf, const char * const *names,
					size_t nr, unsigned int idx)
{
	if (idx < nr && names[idx])
		return sysfs_emit(buf, "%s\n", names[idx]);
	return sysfs_emit(buf, "unknown %u\n", idx);
}

#ifdef CONFIG_HYPERVISOR_GUEST
static const char * const hypervisor_names[] = {
	[X86_HYPER_NATIVE]	= "none",
	[X86_HYPER_VMWARE]	= "vmware",
	[X86_HYPER_MS_HYPERV]	= "ms-hyperv",
	[X86_HYPER_XEN_PV]	= "xen-pv",
	[X86_HYPER_XEN_HVM]	= "xen-hvm",
	[X86_HYPER_KVM]		= "kvm",
	[X86_HYPER_JAILHOUSE]	= "jailhouse",
	[X86_HYPER_ACRN]	= "acrn",
};

GS_SHOW(hypervisor)
{
	return emit_name(buf, hypervisor_names, ARRAY_SIZE(hypervisor_names),
			 x86_hyper_type);
}

GS_ATTR(hypervisor);
#else
/* Without guest support the kernel never looks for a hypervisor. */
GS_ATTR_UNSUPPORTED(hypervisor);
#endif

#ifdef CONFIG_XEN
GS_SHOW(xen_guest_type)
{
	const char *type = "none";

	if (xen_pv_domain())
		type = "pv";
	else if (xen_pvh_domain())
		type = "pvh";
	else if (xen_hvm_domain())
		type = "hvm";
	return sysfs_emit(buf, "%s\n", type);
}

GS_ATTR(xen_guest_type);

GS_SHOW(xen_version)
{
	int version;

	if (!xen_domain())
		return sysfs_emit(buf, "none\n");
	/* XENVER_version is the one sub-op that returns data, not status. */
	version = HYPERVISOR_xen_version(XENVER_version, NULL);
	return sysfs_emit(buf, "%u.%u\n", (u32)version >> 16, version & 0xffff);
}

GS_ATTR(xen_version);
#else
GS_ATTR_UNSUPPORTED(xen_guest_type);
GS_ATTR_UNSUPPORTED(xen_version);
#endif

#ifdef SETUP_HYPERVISOR
static const char * const boot_hv_type_names[] = {
	[SETUP_HV_TYPE_NONE]		= "none",
	[SETUP_HV_TYPE_XEN]		= "xen",
	[SETUP_HV_TYPE_KVM]		= "kvm",
	[SETUP_HV_TYPE_VMWARE]		= "vmware",
	[SETUP_HV_TYPE_HYPERV]		= "ms-hyperv",
	[SETUP_HV_TYPE_ACRN]		= "acrn",
	[SETUP_HV_TYPE_JAILHOUSE]	= "jailhouse",
	[SETUP_HV_TYPE_BHYVE]		= "bhyve",
};

static const char * const boot_hv_producer_names[] = {
	[SETUP_HV_PRODUCER_LOADER]	= "loader",
	[SETUP_HV_PRODUCER_XEN_PV]	= "xen-pv",
	[SETUP_HV_PRODUCER_XEN_PVH]	= "xen-pvh",
	[SETUP_HV_PRODUCER_KEXEC]	= "kexec",
};

static const struct {
	u16 flag;
	const char *name;
} boot_hv_flag_names[] = {
	{ SETUP_HV_F_XEN_PV,	"xen-pv" },
	{ SETUP_HV_F_XEN_PVH,	"xen-pvh" },
	{ SETUP_HV_F_XEN_HVM,	"xen-hvm" },
};

/*
 * The record's fields mean nothing unless the kernel validated it; say
 * instead whether there was none or it was rejected.
 */
static const struct setup_hypervisor *boot_record(char *buf, ssize_t *len)
{
	if (x86_boot_hypervisor.valid)
		return &x86_boot_hypervisor.rec;
	*len = sysfs_emit(buf, "%s\n",
			  x86_boot_hypervisor.found ? "malformed" : "none");
	return NULL;
}

GS_SHOW(boot_hypervisor_type)
{
	const struct setup_hypervisor *rec;
	ssize_t len;

	rec = boot_record(buf, &len);
	if (!rec)
		return len;
	return emit_name(buf, boot_hv_type_names,
			 ARRAY_SIZE(boot_hv_type_names), rec->type);
}

GS_ATTR(boot_hypervisor_type);

GS_SHOW(boot_hypervisor_producer)
{
	const struct setup_hypervisor *rec;
	ssize_t len;

	rec = boot_record(buf, &len);
	if (!rec)
		return len;
	return emit_name(buf, boot_hv_producer_names,
			 ARRAY_SIZE(boot_hv_producer_names), rec->producer);
}

GS_ATTR(boot_hypervisor_producer);

GS_SHOW(boot_hypervisor_flags)
{
	const struct setup_hypervisor *rec;
	unsigned int rest, i;
	ssize_t len;

	rec = boot_record(buf, &len);
	if (!rec)
		return len;
	if (!rec->flags)
		return sysfs_emit(buf, "0\n");

	len = 0;
	rest = rec->flags;
	for (i = 0; i < ARRAY_SIZE(boot_hv_flag_names); i++) {
		if (!(rest & boot_hv_flag_names[i].flag))
			continue;
		rest &= ~boot_hv_flag_names[i].flag;
		len += sysfs_emit_at(buf, len, "%s%s", len ? "," : "",
				     boot_hv_flag_names[i].name);
	}
	/* Bits from a newer producer stay visible rather than dropped. */
	if (rest)
		len += sysfs_emit_at(buf, len, "%s%#x", len ? "," : "", rest);
	len += sysfs_emit_at(buf, len, "\n");
	return len;
}

GS_ATTR(boot_hypervisor_flags);

GS_SHOW(boot_hypervisor_data)
{
	const struct setup_hypervisor *rec;
	ssize_t len;

	rec = boot_record(buf, &len);
	if (!rec)
		return len;
	return sysfs_emit(buf, "%#llx\n", (unsigned long long)rec->data);
}

GS_ATTR(boot_hypervisor_data);
#else
GS_ATTR_UNSUPPORTED(boot_hypervisor_type);
GS_ATTR_UNSUPPORTED(boot_hypervisor_producer);
GS_ATTR_UNSUPPORTED(boot_hypervisor_flags);
GS_ATTR_UNSUPPORTED(boot_hypervisor_data);
#endif

#ifdef X86_BUG_XEN_PV_IOPL
GS_SHOW(iopl_mode)
{
	const char *mode = "native";

	if (xen_pv_domain())
		mode = boot_cpu_has_bug(X86_BUG_XEN_PV_IOPL) ? "legacy" : "assist";
	return sysfs_emit(buf, "%s\n", mode);
}

GS_ATTR(iopl_mode);

GS_SHOW(xen_pv_iopl_bug)
{
	return sysfs_emit(buf, "%d\n", boot_cpu_has_bug(X86_BUG_XEN_PV_IOPL));
}

GS_ATTR(xen_pv_iopl_bug);
#else
GS_ATTR_UNSUPPORTED(iopl_mode);
GS_ATTR_UNSUPPORTED(xen_pv_iopl_bug);
#endif

/*
 * Ask CPUID itself rather than X86_FEATURE_SMAP, which clearcpuid= also
 * clears: a CPU that has SMAP with the kernel not using it is "off", not
 * "not supported".
 */
static bool cpu_has_smap(void)
{
	unsigned int eax, ebx, ecx, edx;

	if (boot_cpu_data.cpuid_level < 7)
		return false;
	cpuid_count(7, 0, &eax, &ebx, &ecx, &edx);
	/* Feature word 9 is CPUID.(EAX=7,ECX=0):EBX. */
	return ebx & BIT(X86_FEATURE_SMAP & 31);
}

GS_SHOW(smap)
{
	unsigned long cr4, eflags;

	if (!cpu_has_smap() && !boot_cpu_has(X86_FEATURE_SMAP))
		return sysfs_emit(buf, "not supported by the cpu\n");

	/*
	 * CR4 itself, not the per-CPU shadow: 7.3 exports cr4_read_shadow()
	 * to KVM only, and the register is what the CPU enforces.
	 */
	preempt_disable();
	cr4 = __read_cr4();
	preempt_enable();
	/* The real flags: a paravirt save_fl need not return AC at all. */
	eflags = native_save_fl();
	return sysfs_emit(buf, "%s ac=%d\n", cr4 & X86_CR4_SMAP ? "on" : "off",
			  !!(eflags & X86_EFLAGS_AC));
}

GS_ATTR(smap);

/* The flags that no instruction between two reads of them here changes */
#define EFLAGS_STABLE	(~(X86_EFLAGS_CF | X86_EFLAGS_PF | X86_EFLAGS_AF | \
			   X86_EFLAGS_ZF | X86_EFLAGS_SF | X86_EFLAGS_OF))

/*
 * The contract: X86_EFLAGS_IF tells the interrupt state, and the other
 * bits are either the CPU's own flags (the native op) or all 0 (any
 * other implementation), never leftover register contents.
 */
static bool save_fl_holds(unsigned long val, bool irqs_on)
{
	if (!!(val & X86_EFLAGS_IF) != irqs_on)
		return false;
	if (!(val & ~X86_EFLAGS_IF))
		return true;
	return (val & EFLAGS_STABLE) == (native_save_fl() & EFLAGS_STABLE);
}

struct save_fl_result {
	unsigned long val;
	const char *via;
	bool irqs_on;
};

#ifdef CONFIG_PARAVIRT_XXL
#define SAVE_FL_NOTE ""

/*
 * Call the op through its pointer, not through a patched call site, with
 * %rax preloaded with junk: an implementation that writes only part of
 * %rax (Xen's sets only %ah) leaves the junk in its return value.  The op
 * is a callee-save thunk, so %rax is the only register it may change.
 */
static unsigned long pvop_save_fl(void)
{
	unsigned long ret = SAVE_FL_JUNK;
	void *fn = pv_ops.irq.save_fl.func;

	asm volatile(CALL_NOSPEC
		     : "+a" (ret), ASM_CALL_CONSTRAINT
		     : THUNK_TARGET(fn)
		     : "memory", "cc");
	return ret;
}

static bool save_fl_check_pvop(bool irqs_on, struct save_fl_result *res)
{
	res->via = "pv_ops.irq.save_fl";
	res->val = pvop_save_fl();
	return save_fl_holds(res->val, irqs_on);
}
#else
#define SAVE_FL_NOTE " (no save_fl pvop: arch_local_save_flags() checked)"

/* There is no op to call: the kernel reads the flags directly. */
static bool save_fl_check_pvop(bool irqs_on, struct save_fl_result *res)
{
	return true;
}
#endif

/* Check both the raw op and the call site the kernel patched in. */
static bool save_fl_check(bool irqs_on, struct save_fl_result *res)
{
	res->irqs_on = irqs_on;
	if (!save_fl_check_pvop(irqs_on, res))
		return false;
	res->via = "arch_local_save_flags";
	res->val = arch_local_save_flags();
	return save_fl_holds(res->val, irqs_on);
}

GS_SHOW(save_fl_contract)
{
	struct save_fl_result res;
	unsigned long flags;
	bool ok;

	/* A sysfs show() may sleep, so it is entered with interrupts on. */
	ok = save_fl_check(true, &res);
	if (ok) {
		local_irq_save(flags);
		ok = save_fl_check(false, &res);
		local_irq_restore(flags);
	}
	if (!ok)
		return sysfs_emit(buf, "violated: %#lx (%s, irqs %s)\n",
				  res.val, res.via, res.irqs_on ? "on" : "off");
	return sysfs_emit(buf, "ok%s\n", SAVE_FL_NOTE);
}

GS_ATTR(save_fl_contract);

static struct attribute *guest_state_attrs[] = {
	&hypervisor_attr.attr,
	&xen_guest_type_attr.attr,
	&xen_version_attr.attr,
	&boot_hypervisor_type_attr.attr,
	&boot_hypervisor_flags_attr.attr,
	&boot_hypervisor_producer_attr.attr,
	&boot_hypervisor_data_attr.attr,
	&iopl_mode_attr.attr,
	&xen_pv_iopl_bug_attr.attr,
	&smap_attr.attr,
	&save_fl_contract_attr.attr,
	NULL,
};

static const struct attribute_group guest_state_group = {
	.attrs = guest_state_attrs,
};

static struct kobject *guest_state_kobj;

static int __init x86_guest_state_init(void)
{
	int ret;

	guest_state_kobj = kobject_create_and_add("x86_guest_state",
						  kernel_kobj);
	if (!guest_state_kobj)
		return -ENOMEM;

	ret = sysfs_create_group(guest_state_kobj, &guest_state_group);
	if (ret)
		kobject_put(guest_state_kobj);
	return ret;
}

static void __exit x86_guest_state_exit(void)
{
	sysfs_remove_group(guest_state_kobj, &guest_state_group);
	kobject_put(guest_state_kobj);
}

module_init(x86_guest_state_init);
module_exit(x86_guest_state_exit);

MODULE_DESCRIPTION("Show the x86 guest state the kernel detected");
MODULE_LICENSE("GPL");
