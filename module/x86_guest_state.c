// SPDX-License-Identifier: GPL-2.0
/*
 * Show, read-only under /sys/kernel/x86_guest_state/, what the running
 * kernel decided about the platform it runs on and no other file shows:
 * the hypervisor it detected, the Xen PV I/O-privilege path it took,
 * SMAP and EFLAGS.AC as the CPU has them, and whether the save_fl paravirt
 * op keeps its contract.  What the kernel already shows elsewhere stays
 * there: Xen's guest type and version in /sys/hypervisor, the
 * X86_BUG_XEN_PV_IOPL bit in the bugs line of /proc/cpuinfo, the
 * boot-declared hypervisor type in /sys/kernel/boot_params/data.
 *
 * The module builds against kernels that lack some of this (no guest
 * support, no X86_BUG_XEN_PV_IOPL) and loads on CPUs without SMAP.  An
 * attribute that the kernel or the CPU cannot back is not created:
 * deriving its value some other way would show a guess as if the kernel
 * had decided it.  The module uses only symbols of the base kernels, none
 * that a patch series exports for it.
 *
 * The values are described in ABI/sysfs-kernel-x86_guest_state.
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/bits.h>
#include <linux/irqflags.h>
#include <linux/kernel.h>
#include <linux/kobject.h>
#include <linux/module.h>
#include <linux/preempt.h>
#include <linux/printk.h>
#include <linux/sysfs.h>

#include <asm/cpufeature.h>
#include <asm/hypervisor.h>
#include <asm/irqflags.h>
#include <asm/processor.h>
#include <asm/tlbflush.h>

#include <xen/xen.h>

/* Probe pattern: neither the CPU's flags nor IF alone can look like it. */
#define SAVE_FL_JUNK 0xdeadbeefcafe0000UL

#define GS_SHOW(name)							\
	static ssize_t name##_show(struct kobject *kobj,		\
				   struct kobj_attribute *attr, char *buf)

#define GS_ATTR(name)							\
	static struct kobj_attribute name##_attr = __ATTR_RO(name)

#ifdef CONFIG_HYPERVISOR_GUEST
/* Stable names: user space must not rely on the kernel's numbering. */
static const char * const hypervisor_names[] = {
	[X86_HYPER_NATIVE]	= "none",
	[X86_HYPER_VMWARE]	= "vmware",
	[X86_HYPER_MS_HYPERV]	= "ms-hyperv",
	[X86_HYPER_XEN_PV]	= "xen-pv",
	[X86_HYPER_XEN_HVM]	= "xen-hvm",
	[X86_HYPER_KVM]		= "kvm",
	[X86_HYPER_JAILHOUSE]	= "jailhouse",
	[X86_HYPER_ACRN]	= "acrn",
#ifdef CONFIG_BHYVE_GUEST
	/*
	 * X86_HYPER_BHYVE is an enumerator, which the preprocessor cannot
	 * test; the option exists exactly where it does, and without the
	 * option the kernel never detects bhyve.
	 */
	[X86_HYPER_BHYVE]	= "bhyve",
#endif
};

GS_SHOW(hypervisor)
{
	unsigned int type = x86_hyper_type;

	/* A type newer than the module shows as such, not as another. */
	if (type < ARRAY_SIZE(hypervisor_names) && hypervisor_names[type])
		return sysfs_emit(buf, "%s\n", hypervisor_names[type]);
	return sysfs_emit(buf, "unknown %u\n", type);
}

GS_ATTR(hypervisor);
#endif /* CONFIG_HYPERVISOR_GUEST */

#ifdef X86_BUG_XEN_PV_IOPL
/*
 * The bug bit alone does not say which path a guest took: it is clear
 * both in a Xen PV guest with the assist and outside Xen PV.
 */
GS_SHOW(iopl_mode)
{
	const char *mode = "native";

	if (xen_pv_domain())
		mode = boot_cpu_has_bug(X86_BUG_XEN_PV_IOPL) ? "legacy" : "assist";
	return sysfs_emit(buf, "%s\n", mode);
}

GS_ATTR(iopl_mode);
#endif /* X86_BUG_XEN_PV_IOPL */

/*
 * Ask CPUID itself rather than X86_FEATURE_SMAP, which clearcpuid= also
 * clears: a CPU that has SMAP with the kernel not using it is "off", not
 * absent.
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
	unsigned long cr4;

	/*
	 * CR4 itself, not the per-CPU shadow: 7.3 exports cr4_read_shadow()
	 * to KVM only, and the register is what the CPU enforces.
	 */
	preempt_disable();
	cr4 = __read_cr4();
	preempt_enable();
	return sysfs_emit(buf, "%s\n", cr4 & X86_CR4_SMAP ? "on" : "off");
}

GS_ATTR(smap);

GS_SHOW(eflags_ac)
{
	/* The real flags: a paravirt save_fl need not return AC at all. */
	return sysfs_emit(buf, "%d\n", !!(native_save_fl() & X86_EFLAGS_AC));
}

GS_ATTR(eflags_ac);

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
/*
 * There is no op to call: arch_local_save_flags() reads the flags
 * itself, and is checked below all the same.
 */
static bool save_fl_check_pvop(bool irqs_on, struct save_fl_result *res)
{
	return true;
}
#endif /* CONFIG_PARAVIRT_XXL */

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
	/*
	 * The file holds one word; what broke the contract, and where, is
	 * for the log.  Readers may poll, hence the rate limit.
	 */
	if (!ok)
		pr_warn_ratelimited("save_fl contract violated: %#lx from %s, irqs %s\n",
				    res.val, res.via, res.irqs_on ? "on" : "off");
	return sysfs_emit(buf, "%s\n", ok ? "ok" : "violated");
}

GS_ATTR(save_fl_contract);

static struct attribute *guest_state_attrs[] = {
#ifdef CONFIG_HYPERVISOR_GUEST
	&hypervisor_attr.attr,
#endif
#ifdef X86_BUG_XEN_PV_IOPL
	&iopl_mode_attr.attr,
#endif
	&smap_attr.attr,
	&eflags_ac_attr.attr,
	&save_fl_contract_attr.attr,
	NULL,
};

/*
 * Without SMAP there is no CR4.SMAP to show, and EFLAGS.AC opens no user
 * memory to the kernel: neither file is created.
 */
static umode_t guest_state_is_visible(struct kobject *kobj,
				      struct attribute *attr, int n)
{
	if ((attr == &smap_attr.attr || attr == &eflags_ac_attr.attr) &&
	    !cpu_has_smap())
		return 0;
	return attr->mode;
}

static const struct attribute_group guest_state_group = {
	.attrs = guest_state_attrs,
	.is_visible = guest_state_is_visible,
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
