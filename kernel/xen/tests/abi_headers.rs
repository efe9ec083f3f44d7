//! Checks every Rust ABI mirror in `xenolith_xen::abi` against Xen's real C headers.
//!
//! One table ([`table`]) lists, once, each mirrored struct with its fields, each constant and
//! each computed value. From it the test writes a C program that `#include`s the headers of
//! Debian's `libxen-dev` (`/usr/include/xen/`, Xen 4.17) and prints, for every entry, the C
//! expression and its value (`sizeof`, `offsetof`, the size of each field, the constant); it
//! compiles that with `cc`, runs it, and compares each printed value with the Rust side's
//! (`size_of`, `offset_of!`, the const). Adding a field or a constant to the table checks it on
//! both sides; nothing else needs to change.
//!
//! The items `abi` re-exports from `xen-sys` are in the table too (marked with their origin), so
//! `xen-sys` is checked like the rest.
//!
//! The headers are required: without them the test fails and says to run
//! `apt-get install libxen-dev` (the project's test script installs it). `CC` picks another C
//! compiler than `cc`.

use std::collections::{HashMap, HashSet};
use std::fmt::Write as _;
use std::mem::{offset_of, size_of};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use xenolith_xen::abi::event_channel::*;
use xenolith_xen::abi::grant_table::*;
use xenolith_xen::abi::hvm::hvm_op::*;
use xenolith_xen::abi::hvm::params::*;
use xenolith_xen::abi::io::console::*;
use xenolith_xen::abi::io::netif::*;
use xenolith_xen::abi::io::ring::*;
use xenolith_xen::abi::io::xenbus::*;
use xenolith_xen::abi::io::xs_wire::*;
use xenolith_xen::abi::memory::*;
use xenolith_xen::abi::sched::*;
use xenolith_xen::abi::start_info::*;
use xenolith_xen::abi::vcpu::*;
use xenolith_xen::abi::version::*;
use xenolith_xen::abi::xen::*;

/// The directory that must hold Xen's public headers (`<xen/xen.h>` and friends).
const XEN_HEADERS: &str = "/usr/include/xen";

/// What a check compares; used to count them and to choose how C prints the value.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
enum Kind {
    /// `sizeof` of a struct or union.
    Size,
    /// `offsetof` of a field.
    Offset,
    /// `sizeof` of a field.
    FieldSize,
    /// An integer constant or computed value.
    Int,
    /// A string constant.
    Str,
}

/// Where the Rust side of a check comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
enum Origin {
    /// Declared in `xenolith_xen::abi`.
    Ours,
    /// Re-exported by `xenolith_xen::abi` from `xen-sys`.
    XenSys,
}

/// One row of the table: a C expression and the value the Rust side gives for it.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Check {
    /// The C expression; also the key of the line the C program prints for it.
    expr: String,
    /// What it compares.
    kind: Kind,
    /// Where the Rust side comes from.
    origin: Origin,
    /// The Rust side's value, formatted as the C program prints it.
    rust: String,
}

/// A check whose C and Rust values differ (or whose C line is missing).
#[derive(Clone, Debug, PartialEq, Eq)]
struct Mismatch {
    /// The C expression.
    expr: String,
    /// What the C program printed for it, if anything.
    c: Option<String>,
    /// The Rust side's value.
    rust: String,
}

/// The table being built; the macros below add rows to it.
#[derive(Debug)]
struct Table {
    checks: Vec<Check>,
    origin: Origin,
}

impl Table {
    fn push(&mut self, kind: Kind, expr: String, rust: String) {
        self.checks.push(Check {
            expr,
            kind,
            origin: self.origin,
            rust,
        });
    }

    fn size(&mut self, c_type: &str, size: usize) {
        self.push(Kind::Size, format!("sizeof({c_type})"), size.to_string());
    }

    fn field(&mut self, c_type: &str, field: &str, offset: usize, size: usize) {
        // A Rust keyword field (`r#type`, `r#in`) has the plain C name.
        let field = field.trim_start_matches("r#");
        self.push(
            Kind::Offset,
            format!("offsetof({c_type}, {field})"),
            offset.to_string(),
        );
        self.push(
            Kind::FieldSize,
            format!("sizeof((({c_type} *)0)->{field})"),
            size.to_string(),
        );
    }

    fn int(&mut self, expr: impl Into<String>, value: i128) {
        self.push(Kind::Int, expr.into(), value.to_string());
    }

    fn str(&mut self, expr: impl Into<String>, value: &str) {
        self.push(Kind::Str, expr.into(), value.to_owned());
    }
}

/// The size of a field, from a projection to it (no value of the type is needed; a raw
/// pointer, so that it works for union fields without `unsafe`).
fn field_size<T, F>(_field: fn(&T) -> *const F) -> usize {
    size_of::<F>()
}

/// `layout!(t, struct name { field, .. })`, `layout!(t, union name { .. })`, or
/// `layout!(t, "C type" => RustType { .. })`: the size of the type, and the offset and size of
/// each listed field.
macro_rules! layout {
    ($t:ident, struct $name:ident { $($field:ident),* $(,)? }) => {
        layout!($t, concat!("struct ", stringify!($name)) => $name { $($field),* })
    };
    ($t:ident, union $name:ident { $($field:ident),* $(,)? }) => {
        layout!($t, concat!("union ", stringify!($name)) => $name { $($field),* })
    };
    ($t:ident, $c_type:expr => $rust:ty { $($field:ident),* $(,)? }) => {{
        $t.size($c_type, size_of::<$rust>());
        $(
            $t.field(
                $c_type,
                stringify!($field),
                offset_of!($rust, $field),
                field_size(|s: &$rust| &raw const s.$field),
            );
        )*
    }};
}

/// `consts!(t, NAME, ..)`: integer constants with the same name on both sides.
macro_rules! consts {
    ($t:ident, $($name:ident),* $(,)?) => {
        $( $t.int(stringify!($name), $name as i128); )*
    };
}

/// `strings!(t, NAME, ..)`: string constants with the same name on both sides.
macro_rules! strings {
    ($t:ident, $($name:ident),* $(,)?) => {
        $( $t.str(stringify!($name), $name); )*
    };
}

/// Every check, once.
fn table() -> Vec<Check> {
    let mut t = Table {
        checks: Vec::new(),
        origin: Origin::Ours,
    };

    // arch-x86/hvm/start_info.h
    layout!(t, struct hvm_start_info {
        magic, version, flags, nr_modules, modlist_paddr, cmdline_paddr, rsdp_paddr,
        memmap_paddr, memmap_entries, reserved,
    });
    layout!(t, struct hvm_modlist_entry { paddr, size, cmdline_paddr, reserved });
    layout!(t, struct hvm_memmap_table_entry { addr, size, r#type, reserved });
    consts!(
        t,
        XEN_HVM_START_MAGIC_VALUE,
        SIF_PRIVILEGED,
        SIF_INITDOMAIN,
        XEN_HVM_MEMMAP_TYPE_RAM,
        XEN_HVM_MEMMAP_TYPE_RESERVED,
        XEN_HVM_MEMMAP_TYPE_ACPI,
        XEN_HVM_MEMMAP_TYPE_NVS,
        XEN_HVM_MEMMAP_TYPE_UNUSABLE,
        XEN_HVM_MEMMAP_TYPE_DISABLED,
        XEN_HVM_MEMMAP_TYPE_PMEM,
    );

    // xen.h and arch-x86/xen*.h: ours.
    layout!(t, struct vcpu_time_info {
        version, pad0, tsc_timestamp, system_time, tsc_to_system_mul, tsc_shift, flags, pad1,
    });
    layout!(t, struct arch_vcpu_info { cr2, pad });
    layout!(t, struct vcpu_info {
        evtchn_upcall_pending, evtchn_upcall_mask, evtchn_pending_sel, arch, time,
    });
    layout!(t, struct arch_shared_info {
        max_pfn, pfn_to_mfn_frame_list_list, nmi_reason, p2m_cr3, p2m_vaddr, p2m_generation,
    });
    layout!(t, struct shared_info {
        vcpu_info, evtchn_pending, evtchn_mask, wc_version, wc_sec, wc_nsec, wc_sec_hi, arch,
    });
    t.int("sizeof(domid_t)", size_of::<domid_t>() as i128);
    t.int("sizeof(xen_ulong_t)", size_of::<xen_ulong_t>() as i128);
    t.int("sizeof(xen_pfn_t)", size_of::<xen_pfn_t>() as i128);
    consts!(
        t,
        DOMID_FIRST_RESERVED,
        DOMID_SELF,
        DOMID_IO,
        DOMID_XEN,
        DOMID_COW,
        DOMID_INVALID,
        DOMID_IDLE,
        DOMID_MASK,
    );

    // xen.h and arch-x86/xen.h: from xen-sys.
    t.origin = Origin::XenSys;
    consts!(
        t,
        __XEN_LATEST_INTERFACE_VERSION__,
        __HYPERVISOR_set_trap_table,
        __HYPERVISOR_mmu_update,
        __HYPERVISOR_set_gdt,
        __HYPERVISOR_stack_switch,
        __HYPERVISOR_set_callbacks,
        __HYPERVISOR_fpu_taskswitch,
        __HYPERVISOR_sched_op_compat,
        __HYPERVISOR_platform_op,
        __HYPERVISOR_set_debugreg,
        __HYPERVISOR_get_debugreg,
        __HYPERVISOR_update_descriptor,
        __HYPERVISOR_memory_op,
        __HYPERVISOR_multicall,
        __HYPERVISOR_update_va_mapping,
        __HYPERVISOR_set_timer_op,
        __HYPERVISOR_event_channel_op_compat,
        __HYPERVISOR_xen_version,
        __HYPERVISOR_console_io,
        __HYPERVISOR_physdev_op_compat,
        __HYPERVISOR_grant_table_op,
        __HYPERVISOR_vm_assist,
        __HYPERVISOR_update_va_mapping_otherdomain,
        __HYPERVISOR_iret,
        __HYPERVISOR_vcpu_op,
        __HYPERVISOR_set_segment_base,
        __HYPERVISOR_mmuext_op,
        __HYPERVISOR_xsm_op,
        __HYPERVISOR_nmi_op,
        __HYPERVISOR_sched_op,
        __HYPERVISOR_callback_op,
        __HYPERVISOR_xenoprof_op,
        __HYPERVISOR_event_channel_op,
        __HYPERVISOR_physdev_op,
        __HYPERVISOR_hvm_op,
        __HYPERVISOR_sysctl,
        __HYPERVISOR_domctl,
        __HYPERVISOR_kexec_op,
        __HYPERVISOR_tmem_op,
        __HYPERVISOR_argo_op,
        __HYPERVISOR_xenpmu_op,
        __HYPERVISOR_dm_op,
        __HYPERVISOR_hypfs_op,
        __HYPERVISOR_arch_0,
        __HYPERVISOR_arch_1,
        __HYPERVISOR_arch_2,
        __HYPERVISOR_arch_3,
        __HYPERVISOR_arch_4,
        __HYPERVISOR_arch_5,
        __HYPERVISOR_arch_6,
        __HYPERVISOR_arch_7,
        VIRQ_TIMER,
        VIRQ_DEBUG,
        VIRQ_CONSOLE,
        VIRQ_DOM_EXC,
        VIRQ_TBUF,
        VIRQ_DEBUGGER,
        VIRQ_XENOPROF,
        VIRQ_CON_RING,
        VIRQ_PCPU_STATE,
        VIRQ_MEM_EVENT,
        VIRQ_ARGO,
        VIRQ_ENOMEM,
        VIRQ_XENPMU,
        VIRQ_ARCH_0,
        VIRQ_ARCH_1,
        VIRQ_ARCH_2,
        VIRQ_ARCH_3,
        VIRQ_ARCH_4,
        VIRQ_ARCH_5,
        VIRQ_ARCH_6,
        VIRQ_ARCH_7,
        NR_VIRQS,
        XEN_LEGACY_MAX_VCPUS,
        XEN_PVCLOCK_TSC_STABLE_BIT,
        XEN_PVCLOCK_GUEST_STOPPED,
        CONSOLEIO_write,
        CONSOLEIO_read,
        XEN_HVM_DEBUGCONS_IOPORT,
    );
    t.origin = Origin::Ours;

    // memory.h
    layout!(t, struct xen_add_to_physmap { domid, size, space, idx, gpfn });
    layout!(t, struct xen_memory_map { nr_entries, buffer });
    consts!(
        t,
        XENMEM_increase_reservation,
        XENMEM_decrease_reservation,
        XENMEM_maximum_ram_page,
        XENMEM_current_reservation,
        XENMEM_maximum_reservation,
        XENMEM_populate_physmap,
        XENMEM_add_to_physmap,
        XENMEM_memory_map,
        XENMEM_maximum_gpfn,
        XENMEM_remove_from_physmap,
        XENMAPSPACE_shared_info,
        XENMAPSPACE_grant_table,
        XENMAPSPACE_gmfn,
        XENMAPSPACE_gmfn_range,
        XENMAPSPACE_gmfn_foreign,
        XENMAPSPACE_dev_mmio,
        XENMAPIDX_grant_table_status,
    );

    // event_channel.h: ours, then xen-sys's.
    consts!(t, EVTCHN_2L_NR_CHANNELS);
    t.int("sizeof(evtchn_port_t)", size_of::<evtchn_port_t>() as i128);
    t.origin = Origin::XenSys;
    consts!(
        t,
        EVTCHNOP_bind_interdomain,
        EVTCHNOP_bind_virq,
        EVTCHNOP_bind_pirq,
        EVTCHNOP_close,
        EVTCHNOP_send,
        EVTCHNOP_status,
        EVTCHNOP_alloc_unbound,
        EVTCHNOP_bind_ipi,
        EVTCHNOP_bind_vcpu,
        EVTCHNOP_unmask,
        EVTCHNOP_reset,
        EVTCHNOP_init_control,
        EVTCHNOP_expand_array,
        EVTCHNOP_set_priority,
        EVTCHNSTAT_closed,
        EVTCHNSTAT_unbound,
        EVTCHNSTAT_interdomain,
        EVTCHNSTAT_pirq,
        EVTCHNSTAT_virq,
        EVTCHNSTAT_ipi,
    );
    layout!(t, struct evtchn_alloc_unbound { dom, remote_dom, port });
    layout!(t, struct evtchn_bind_interdomain { remote_dom, remote_port, local_port });
    layout!(t, struct evtchn_bind_virq { virq, vcpu, port });
    layout!(t, struct evtchn_close { port });
    layout!(t, struct evtchn_send { port });
    layout!(t, struct evtchn_unmask { port });
    layout!(t, struct evtchn_status { dom, port, status, vcpu, u });
    t.origin = Origin::Ours;

    // grant_table.h
    layout!(t, struct grant_entry_v1 { flags, domid, frame });
    layout!(t, struct gnttab_setup_table { dom, nr_frames, status, frame_list });
    layout!(t, struct gnttab_query_size { dom, nr_frames, max_nr_frames, status });
    layout!(t, struct gnttab_set_version { version });
    t.int("sizeof(grant_ref_t)", size_of::<grant_ref_t>() as i128);
    t.int(
        "sizeof(grant_handle_t)",
        size_of::<grant_handle_t>() as i128,
    );
    consts!(
        t,
        GNTTAB_NR_RESERVED_ENTRIES,
        GNTTAB_RESERVED_CONSOLE,
        GNTTAB_RESERVED_XENSTORE,
        GTF_invalid,
        GTF_permit_access,
        GTF_accept_transfer,
        GTF_transitive,
        GTF_type_mask,
        GTF_readonly,
        GTF_reading,
        GTF_writing,
        GTF_PWT,
        GTF_PCD,
        GTF_PAT,
        GTF_sub_page,
        GTF_transfer_committed,
        GTF_transfer_completed,
        GNTTABOP_map_grant_ref,
        GNTTABOP_unmap_grant_ref,
        GNTTABOP_setup_table,
        GNTTABOP_dump_table,
        GNTTABOP_transfer,
        GNTTABOP_copy,
        GNTTABOP_query_size,
        GNTTABOP_unmap_and_replace,
        GNTTABOP_set_version,
        GNTTABOP_get_status_frames,
        GNTTABOP_get_version,
        GNTTABOP_swap_grant_ref,
        GNTTABOP_cache_flush,
        GNTST_okay,
        GNTST_general_error,
        GNTST_bad_domain,
        GNTST_bad_gntref,
        GNTST_bad_handle,
        GNTST_bad_virt_addr,
        GNTST_bad_dev_addr,
        GNTST_no_device_space,
        GNTST_permission_denied,
        GNTST_bad_page,
        GNTST_bad_copy_arg,
        GNTST_address_too_big,
        GNTST_eagain,
        GNTST_no_space,
    );

    // sched.h: all from xen-sys.
    t.origin = Origin::XenSys;
    consts!(
        t,
        SCHEDOP_yield,
        SCHEDOP_block,
        SCHEDOP_shutdown,
        SCHEDOP_poll,
        SCHEDOP_remote_shutdown,
        SCHEDOP_shutdown_code,
        SCHEDOP_watchdog,
        SCHEDOP_pin_override,
        SHUTDOWN_poweroff,
        SHUTDOWN_reboot,
        SHUTDOWN_suspend,
        SHUTDOWN_crash,
        SHUTDOWN_watchdog,
        SHUTDOWN_soft_reset,
        SHUTDOWN_MAX,
    );
    // version.h, features.h
    layout!(t, struct xen_feature_info { submap_idx, submap });
    consts!(
        t,
        XENVER_version,
        XENVER_get_features,
        XENFEAT_hvm_callback_vector,
        XENFEAT_hvm_safe_pvclock,
        XENFEAT_hvm_pirqs,
    );

    layout!(t, struct sched_shutdown { reason });
    layout!(t, struct sched_poll { ports, nr_ports, timeout });
    t.origin = Origin::Ours;

    // vcpu.h
    layout!(t, struct vcpu_set_periodic_timer { period_ns });
    layout!(t, struct vcpu_set_singleshot_timer { timeout_abs_ns, flags });
    layout!(t, struct vcpu_register_vcpu_info { mfn, offset, rsvd });
    consts!(
        t,
        VCPUOP_initialise,
        VCPUOP_up,
        VCPUOP_down,
        VCPUOP_is_up,
        VCPUOP_get_runstate_info,
        VCPUOP_register_runstate_memory_area,
        VCPUOP_set_periodic_timer,
        VCPUOP_stop_periodic_timer,
        VCPUOP_set_singleshot_timer,
        VCPUOP_stop_singleshot_timer,
        VCPUOP_register_vcpu_info,
        VCPUOP_send_nmi,
        VCPUOP_get_physid,
        VCPUOP_register_vcpu_time_memory_area,
        VCPU_SSHOTTMR_future,
    );

    // hvm/hvm_op.h
    layout!(t, struct xen_hvm_param { domid, pad, index, value });
    layout!(t, struct xen_hvm_get_time { now });
    layout!(t, struct xen_hvm_evtchn_upcall_vector { vcpu, vector });
    consts!(
        t,
        HVMOP_set_param,
        HVMOP_get_param,
        HVMOP_flush_tlbs,
        HVMOP_pagetable_dying,
        HVMOP_get_time,
        HVMOP_get_mem_type,
        HVMOP_set_evtchn_upcall_vector,
        HVMOP_guest_request_vm_event,
        HVMOP_altp2m,
    );

    // hvm/params.h
    consts!(
        t,
        HVM_PARAM_CALLBACK_IRQ,
        HVM_PARAM_STORE_PFN,
        HVM_PARAM_STORE_EVTCHN,
        HVM_PARAM_IOREQ_PFN,
        HVM_PARAM_BUFIOREQ_PFN,
        HVM_PARAM_VIRIDIAN,
        HVM_PARAM_TIMER_MODE,
        HVM_PARAM_HPET_ENABLED,
        HVM_PARAM_IDENT_PT,
        HVM_PARAM_ACPI_S_STATE,
        HVM_PARAM_VM86_TSS,
        HVM_PARAM_VPT_ALIGN,
        HVM_PARAM_CONSOLE_PFN,
        HVM_PARAM_CONSOLE_EVTCHN,
        HVM_PARAM_ACPI_IOPORTS_LOCATION,
        HVM_PARAM_PAGING_RING_PFN,
        HVM_PARAM_MONITOR_RING_PFN,
        HVM_PARAM_SHARING_RING_PFN,
        HVM_PARAM_TRIPLE_FAULT_REASON,
        HVM_PARAM_IOREQ_SERVER_PFN,
        HVM_PARAM_NR_IOREQ_SERVER_PAGES,
        HVM_PARAM_VM_GENERATION_ID_ADDR,
        HVM_PARAM_ALTP2M,
        HVM_PARAM_X87_FIP_WIDTH,
        HVM_PARAM_VM86_TSS_SIZED,
        HVM_PARAM_MCA_CAP,
        HVM_NR_PARAMS,
        HVMPTM_delay_for_missed_ticks,
        HVMPTM_no_delay_for_missed_ticks,
        HVMPTM_no_missed_ticks_pending,
        HVMPTM_one_missed_tick_pending,
        HVM_PARAM_CALLBACK_IRQ_TYPE_MASK,
        HVM_PARAM_CALLBACK_TYPE_GSI,
        HVM_PARAM_CALLBACK_TYPE_PCI_INTX,
        HVM_PARAM_CALLBACK_TYPE_VECTOR,
    );
    // The header has only the mask; the shift and the encoding are derived from it.
    const CALLBACK_SHIFT_IN_C: &str = "__builtin_ctzll(HVM_PARAM_CALLBACK_IRQ_TYPE_MASK)";
    t.int(CALLBACK_SHIFT_IN_C, HVM_CALLBACK_VIA_TYPE_SHIFT as i128);
    for vector in [0x20_u8, 0xf3, 0xff] {
        t.int(
            format!(
                "((uint64_t)HVM_PARAM_CALLBACK_TYPE_VECTOR << {CALLBACK_SHIFT_IN_C}) | {vector:#x}"
            ),
            hvm_callback_vector(vector) as i128,
        );
    }

    // io/ring.h, through the rings netif.h declares with DEFINE_RING_TYPES. C's `struct
    // name_sring` declares `ring[1]`, so its size is that of `sring<E, 1>`.
    consts!(t, XEN_PAGE_SHIFT);
    t.int("(1 << XEN_PAGE_SHIFT)", XEN_PAGE_SIZE as i128);
    t.int("sizeof(RING_IDX)", size_of::<RING_IDX>() as i128);
    t.int(
        "offsetof(struct xen_netif_ctrl_sring, ring)",
        SRING_HEADER_SIZE as i128,
    );
    layout!(t, "struct netif_tx_sring" => sring<netif_tx_sring_entry, 1> {
        req_prod, req_event, rsp_prod, rsp_event, pvt, __pad, ring,
    });
    layout!(t, "struct netif_rx_sring" => sring<netif_rx_sring_entry, 1> {
        req_prod, req_event, rsp_prod, rsp_event, pvt, __pad, ring,
    });
    for x in [
        0_u32,
        1,
        2,
        3,
        4,
        5,
        7,
        8,
        9,
        15,
        16,
        17,
        63,
        64,
        65,
        255,
        256,
        336,
        504,
        4032,
        65535,
        65536,
        0x0123_4567,
        0x8000_0000,
        0xffff_ffff,
    ] {
        t.int(format!("__RD32({x:#x}u)"), rd32(x) as i128);
    }
    // (4096 is checked with the netif.h names below.)
    for area in [128_usize, 1024, 8192, 65536] {
        t.int(
            format!("__CONST_RING_SIZE(netif_tx, {area})"),
            const_ring_size::<netif_tx_sring_entry>(area) as i128,
        );
        t.int(
            format!("__CONST_RING_SIZE(netif_rx, {area})"),
            const_ring_size::<netif_rx_sring_entry>(area) as i128,
        );
    }

    // io/netif.h
    layout!(t, struct netif_tx_request { gref, offset, flags, id, size });
    layout!(t, struct netif_extra_info { r#type, flags, u });
    layout!(t, struct netif_tx_response { id, status });
    layout!(t, struct netif_rx_request { id, pad, gref });
    layout!(t, struct netif_rx_response { id, offset, flags, status });
    layout!(t, union netif_tx_sring_entry { req, rsp });
    layout!(t, union netif_rx_sring_entry { req, rsp });
    t.int(
        "__CONST_RING_SIZE(netif_tx, 4096)",
        NET_TX_RING_SIZE as i128,
    );
    t.int(
        "__CONST_RING_SIZE(netif_rx, 4096)",
        NET_RX_RING_SIZE as i128,
    );
    t.int(
        "offsetof(struct netif_tx_sring, ring) \
         + __CONST_RING_SIZE(netif_tx, 4096) * sizeof(union netif_tx_sring_entry)",
        size_of::<netif_tx_sring>() as i128,
    );
    t.int(
        "offsetof(struct netif_rx_sring, ring) \
         + __CONST_RING_SIZE(netif_rx, 4096) * sizeof(union netif_rx_sring_entry)",
        size_of::<netif_rx_sring>() as i128,
    );
    consts!(
        t,
        XEN_NETIF_NR_SLOTS_MIN,
        XEN_NETIF_MAX_TX_SIZE,
        NETTXF_csum_blank,
        NETTXF_data_validated,
        NETTXF_more_data,
        NETTXF_extra_info,
        NETRXF_data_validated,
        NETRXF_csum_blank,
        NETRXF_more_data,
        NETRXF_extra_info,
        NETRXF_gso_prefix,
        NETIF_RSP_DROPPED,
        NETIF_RSP_ERROR,
        NETIF_RSP_OKAY,
        NETIF_RSP_NULL,
        XEN_NETIF_EXTRA_TYPE_NONE,
        XEN_NETIF_EXTRA_TYPE_GSO,
        XEN_NETIF_EXTRA_TYPE_MCAST_ADD,
        XEN_NETIF_EXTRA_TYPE_MCAST_DEL,
        XEN_NETIF_EXTRA_TYPE_HASH,
        XEN_NETIF_EXTRA_TYPE_MAX,
        XEN_NETIF_EXTRA_FLAG_MORE,
        XEN_NETIF_GSO_TYPE_NONE,
        XEN_NETIF_GSO_TYPE_TCPV4,
        XEN_NETIF_GSO_TYPE_TCPV6,
    );

    // io/console.h
    layout!(t, struct xencons_interface { r#in, out, in_cons, in_prod, out_cons, out_prod });
    t.int(
        "sizeof(XENCONS_RING_IDX)",
        size_of::<XENCONS_RING_IDX>() as i128,
    );

    // io/xs_wire.h
    layout!(t, struct xsd_sockmsg { r#type, req_id, tx_id, len });
    layout!(t, struct xenstore_domain_interface {
        req, rsp, req_cons, req_prod, rsp_cons, rsp_prod, server_features, connection, error,
    });
    t.int(
        "sizeof(XENSTORE_RING_IDX)",
        size_of::<XENSTORE_RING_IDX>() as i128,
    );
    t.int(
        "sizeof(enum xsd_sockmsg_type)",
        size_of::<xsd_sockmsg_type>() as i128,
    );
    consts!(
        t,
        XS_CONTROL,
        XS_DEBUG,
        XS_DIRECTORY,
        XS_READ,
        XS_GET_PERMS,
        XS_WATCH,
        XS_UNWATCH,
        XS_TRANSACTION_START,
        XS_TRANSACTION_END,
        XS_INTRODUCE,
        XS_RELEASE,
        XS_GET_DOMAIN_PATH,
        XS_WRITE,
        XS_MKDIR,
        XS_RM,
        XS_SET_PERMS,
        XS_WATCH_EVENT,
        XS_ERROR,
        XS_IS_DOMAIN_INTRODUCED,
        XS_RESUME,
        XS_SET_TARGET,
        XS_RESET_WATCHES,
        XS_DIRECTORY_PART,
        XS_TYPE_COUNT,
        XS_INVALID,
        XS_WATCH_PATH,
        XS_WATCH_TOKEN,
        XENSTORE_RING_SIZE,
        XENSTORE_PAYLOAD_MAX,
        XENSTORE_ABS_PATH_MAX,
        XENSTORE_REL_PATH_MAX,
        XENSTORE_SERVER_FEATURE_RECONNECTION,
        XENSTORE_SERVER_FEATURE_ERROR,
        XENSTORE_CONNECTED,
        XENSTORE_RECONNECT,
        XENSTORE_ERROR_NONE,
        XENSTORE_ERROR_COMM,
        XENSTORE_ERROR_RINGIDX,
        XENSTORE_ERROR_PROTO,
    );
    strings!(t, XS_WRITE_NONE, XS_WRITE_CREATE, XS_WRITE_CREATE_EXCL);
    t.int(
        "sizeof(xsd_errors) / sizeof(xsd_errors[0])",
        XSD_ERRORS.len() as i128,
    );
    for (i, error) in XSD_ERRORS.iter().enumerate() {
        t.int(format!("xsd_errors[{i}].errnum"), error.errnum.into());
        t.str(format!("xsd_errors[{i}].errstring"), error.errstring);
    }

    // io/xenbus.h
    t.int("sizeof(XenbusState)", size_of::<XenbusState>() as i128);
    consts!(
        t,
        XenbusStateUnknown,
        XenbusStateInitialising,
        XenbusStateInitWait,
        XenbusStateInitialised,
        XenbusStateConnected,
        XenbusStateClosing,
        XenbusStateClosed,
        XenbusStateReconfiguring,
        XenbusStateReconfigured,
    );

    t.checks
}

/// The start of the C program: the headers, at the interface version the mirrors follow, and
/// the two printers.
const C_PROLOGUE: &str = r#"/* Generated by kernel/xen/tests/abi_headers.rs. */
#include <errno.h>  /* before xs_wire.h, which builds xsd_errors[] only if EINVAL is defined */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define __XEN_INTERFACE_VERSION__ @VERSION@
#include <xen/xen.h>
#include <xen/memory.h>
#include <xen/event_channel.h>
#include <xen/grant_table.h>
#include <xen/sched.h>
#include <xen/vcpu.h>
#include <xen/version.h>
#include <xen/hvm/hvm_op.h>
#include <xen/hvm/params.h>
#include <xen/arch-x86/hvm/start_info.h>
#include <xen/io/ring.h>
#include <xen/io/netif.h>
#include <xen/io/console.h>
#include <xen/io/xs_wire.h>
#include <xen/io/xenbus.h>

#ifndef __x86_64__
#error "the ABI mirrors are x86_64's: the header test needs an x86_64 host"
#endif

#define CHECK_INT(name, expr)                                                  \
    do {                                                                       \
        if ((expr) < 0)                                                        \
            printf("%s\t%lld\n", (name), (long long)(expr));                   \
        else                                                                   \
            printf("%s\t%llu\n", (name), (unsigned long long)(expr));          \
    } while (0)
#define CHECK_STR(name, expr) printf("%s\t%s\n", (name), (expr))

int main(void)
{
"#;

/// The C program that prints every check's expression and value, one `expr<TAB>value` a line.
fn c_program(checks: &[Check]) -> String {
    let mut c = C_PROLOGUE.replace(
        "@VERSION@",
        &format!("{:#010x}", __XEN_LATEST_INTERFACE_VERSION__),
    );
    for check in checks {
        let print = if check.kind == Kind::Str {
            "CHECK_STR"
        } else {
            "CHECK_INT"
        };
        let name = check.expr.replace('\\', "\\\\").replace('"', "\\\"");
        writeln!(c, "    {print}(\"{name}\", {});", check.expr).unwrap();
    }
    c.push_str("    return 0;\n}\n");
    c
}

/// Fails with what to install if `dir` does not hold Xen's public headers.
fn require_headers(dir: &Path) -> Result<(), String> {
    if dir.join("xen.h").is_file() && dir.join("io/xs_wire.h").is_file() {
        Ok(())
    } else {
        Err(format!(
            "Xen's public headers are missing ({} not found): install them with \
             `apt-get install libxen-dev`",
            dir.join("xen.h").display()
        ))
    }
}

/// Compiles and runs [`c_program`] against the headers; returns its output.
fn run_c_program(checks: &[Check]) -> Result<String, String> {
    require_headers(Path::new(XEN_HEADERS))?;
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("abi_headers-{}", std::process::id()));
    std::fs::create_dir_all(&dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    let source = dir.join("abi_headers.c");
    let binary = dir.join("abi_headers");
    std::fs::write(&source, c_program(checks))
        .map_err(|e| format!("cannot write {}: {e}", source.display()))?;

    let cc = std::env::var("CC").unwrap_or_else(|_| "cc".to_owned());
    let compiled = Command::new(&cc)
        .args(["-std=gnu11", "-Wall", "-Werror", "-o"])
        .arg(&binary)
        .arg(&source)
        .output()
        .map_err(|e| format!("cannot run the C compiler `{cc}` ({e}): install gcc"))?;
    if !compiled.status.success() {
        return Err(format!(
            "`{cc}` could not compile {} against {XEN_HEADERS}:\n{}",
            source.display(),
            String::from_utf8_lossy(&compiled.stderr)
        ));
    }
    let ran = Command::new(&binary)
        .output()
        .map_err(|e| format!("cannot run {}: {e}", binary.display()))?;
    if !ran.status.success() {
        return Err(format!("{} failed: {}", binary.display(), ran.status));
    }
    let output = String::from_utf8(ran.stdout).map_err(|e| format!("output is not UTF-8: {e}"))?;
    // Keep the files only when something went wrong above.
    let _ = std::fs::remove_dir_all(&dir);
    Ok(output)
}

/// The C program's output for [`table`], built once per test process.
fn c_output() -> &'static str {
    static OUTPUT: OnceLock<Result<String, String>> = OnceLock::new();
    match OUTPUT.get_or_init(|| run_c_program(&table())) {
        Ok(output) => output,
        Err(why) => panic!("{why}"),
    }
}

/// Every check whose Rust value differs from the C program's, in table order.
fn compare(checks: &[Check], c_output: &str) -> Vec<Mismatch> {
    let c_values: HashMap<&str, &str> = c_output
        .lines()
        .filter_map(|line| line.split_once('\t'))
        .collect();
    checks
        .iter()
        .filter_map(|check| {
            let c = c_values.get(check.expr.as_str()).copied();
            (c != Some(check.rust.as_str())).then(|| Mismatch {
                expr: check.expr.clone(),
                c: c.map(str::to_owned),
                rust: check.rust.clone(),
            })
        })
        .collect()
}

/// The failure message: every mismatch, one a line.
fn report(mismatches: &[Mismatch], total: usize) -> String {
    let mut text = format!(
        "{} of {total} checks differ between the Rust mirrors in xenolith_xen::abi and the C \
         headers in {XEN_HEADERS}:\n",
        mismatches.len()
    );
    for m in mismatches {
        let c = m.c.as_deref().unwrap_or("<not printed by the C program>");
        writeln!(text, "  {}: C = {c}, Rust = {}", m.expr, m.rust).unwrap();
    }
    text
}

#[test]
fn rust_mirrors_match_the_xen_headers() {
    let checks = table();
    let mut seen = HashSet::new();
    let duplicates: Vec<&str> = checks
        .iter()
        .map(|c| c.expr.as_str())
        .filter(|e| !seen.insert(*e))
        .collect();
    assert!(
        duplicates.is_empty(),
        "checked twice (a slip in the table?): {duplicates:?}"
    );

    let mismatches = compare(&checks, c_output());
    assert!(
        mismatches.is_empty(),
        "{}",
        report(&mismatches, checks.len())
    );

    let count = |kind| checks.iter().filter(|c| c.kind == kind).count();
    let from_xen_sys = checks.iter().filter(|c| c.origin == Origin::XenSys).count();
    println!(
        "{} checks match {XEN_HEADERS}: {} struct/union sizes, {} field offsets, {} field sizes, \
         {} integer constants and computed values, {} strings ({from_xen_sys} of them on items \
         re-exported from xen-sys)",
        checks.len(),
        count(Kind::Size),
        count(Kind::Offset),
        count(Kind::FieldSize),
        count(Kind::Int),
        count(Kind::Str),
    );
}

/// The comparator catches a wrong Rust-side entry: a fake offset for `shared_info.wc_sec`,
/// compared with the real C program's output, is reported, alone and with both values.
#[test]
fn a_wrong_offset_is_reported() {
    const EXPR: &str = "offsetof(struct shared_info, wc_sec)";
    let real = offset_of!(shared_info, wc_sec);
    let fake = real + 4;
    let mut checks = table();
    let entry = checks
        .iter_mut()
        .find(|c| c.expr == EXPR)
        .expect("the table checks wc_sec");
    entry.rust = fake.to_string();

    let mismatches = compare(&checks, c_output());

    assert_eq!(
        mismatches,
        [Mismatch {
            expr: EXPR.to_owned(),
            c: Some(real.to_string()),
            rust: fake.to_string()
        }]
    );
    let text = report(&mismatches, checks.len());
    assert!(
        text.contains(&format!("1 of {} checks differ", checks.len())),
        "{text}"
    );
    assert!(
        text.contains(&format!("{EXPR}: C = {real}, Rust = {fake}")),
        "{text}"
    );
}

/// The comparator lists every mismatch, including values the C program did not print and
/// strings, without needing the headers.
#[test]
fn comparator_lists_every_mismatch() {
    let check = |expr: &str, kind, rust: &str| Check {
        expr: expr.to_owned(),
        kind,
        origin: Origin::Ours,
        rust: rust.to_owned(),
    };
    let checks = [
        check("sizeof(struct a)", Kind::Size, "8"),
        check("offsetof(struct a, x)", Kind::Offset, "4"),
        check("A_CONSTANT", Kind::Int, "-1"),
        check("A_STRING", Kind::Str, "EINVAL"),
        check("NOT_PRINTED", Kind::Int, "3"),
    ];
    let c_output = "sizeof(struct a)\t8\noffsetof(struct a, x)\t2\nA_CONSTANT\t-1\nA_STRING\tEIO\n";

    let mismatches = compare(&checks, c_output);

    let mismatch = |expr: &str, c: Option<&str>, rust: &str| Mismatch {
        expr: expr.to_owned(),
        c: c.map(str::to_owned),
        rust: rust.to_owned(),
    };
    assert_eq!(
        mismatches,
        [
            mismatch("offsetof(struct a, x)", Some("2"), "4"),
            mismatch("A_STRING", Some("EIO"), "EINVAL"),
            mismatch("NOT_PRINTED", None, "3"),
        ]
    );
    let text = report(&mismatches, checks.len());
    assert!(text.starts_with("3 of 5 checks differ"), "{text}");
    assert!(
        text.contains("NOT_PRINTED: C = <not printed by the C program>, Rust = 3"),
        "{text}"
    );
}

/// Without the headers the test fails and says what to install.
#[test]
fn missing_headers_say_what_to_install() {
    let why = require_headers(Path::new("/nonexistent/xen")).unwrap_err();
    assert!(why.contains("apt-get install libxen-dev"), "{why}");
}
