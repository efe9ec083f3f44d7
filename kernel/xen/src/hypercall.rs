//! Typed hypercall wrappers over the hypercall page (`kernel/arch`'s `hypercall`).
//!
//! Each wrapper builds its argument structure on the stack, passes its address, and maps a
//! negative result to an [`Errno`]. These are the only places that hand pointers to Xen.
#![allow(unsafe_code)]

use crate::abi::{event_channel as ev, grant_table as gt, hvm, memory, sched, vcpu, version, xen};
use crate::hypervisor::{Errno, ShutdownReason};
use crate::types::{DomId, EventChannelPort, Gfn};
use xenolith_arch::hypercall::hypercall;

fn call(number: u32, a1: u64, a2: u64) -> Result<u64, Errno> {
    // SAFETY: every caller passes either plain values or the address of a live, correctly
    // typed local structure that the hypercall reads or writes; the page is installed before
    // any wrapper is used (`Platform::init`).
    Errno::check(unsafe { hypercall(number, a1, a2, 0, 0, 0) })
}

fn address<T>(value: &mut T) -> u64 {
    value as *mut T as u64
}

/// `XENVER_version`: (major, minor).
pub fn version() -> (u16, u16) {
    let v = call(
        xen::__HYPERVISOR_xen_version,
        u64::from(version::XENVER_version),
        0,
    )
    .unwrap_or(0);
    ((v >> 16) as u16, v as u16)
}

/// `XENVER_get_features` submap 0.
pub fn features() -> Result<u32, Errno> {
    let mut info = version::xen_feature_info {
        submap_idx: 0,
        submap: 0,
    };
    call(
        xen::__HYPERVISOR_xen_version,
        u64::from(version::XENVER_get_features),
        address(&mut info),
    )?;
    Ok(info.submap)
}

/// `HVMOP_get_param` for this domain.
pub fn hvm_get_param(index: u32) -> Result<u64, Errno> {
    let mut param = hvm::hvm_op::xen_hvm_param {
        domid: xen::DOMID_SELF,
        pad: 0,
        index,
        value: 0,
    };
    call(
        xen::__HYPERVISOR_hvm_op,
        u64::from(hvm::hvm_op::HVMOP_get_param),
        address(&mut param),
    )?;
    Ok(param.value)
}

/// `HVMOP_set_param` for this domain.
pub fn hvm_set_param(index: u32, value: u64) -> Result<(), Errno> {
    let mut param = hvm::hvm_op::xen_hvm_param {
        domid: xen::DOMID_SELF,
        pad: 0,
        index,
        value,
    };
    call(
        xen::__HYPERVISOR_hvm_op,
        u64::from(hvm::hvm_op::HVMOP_set_param),
        address(&mut param),
    )
    .map(drop)
}

/// `XENMEM_add_to_physmap`: put Xen's page `idx` of `space` at guest frame `gfn`.
pub fn add_to_physmap(space: u32, idx: u64, gfn: Gfn) -> Result<(), Errno> {
    let mut map = memory::xen_add_to_physmap {
        domid: xen::DOMID_SELF,
        size: 0,
        space,
        idx,
        gpfn: gfn.0,
    };
    call(
        xen::__HYPERVISOR_memory_op,
        u64::from(memory::XENMEM_add_to_physmap),
        address(&mut map),
    )
    .map(drop)
}

/// `GNTTABOP_query_size`: (frames in use, maximum frames) of our grant table.
pub fn grant_table_query_size() -> Result<(u32, u32), Errno> {
    let mut query = gt::gnttab_query_size {
        dom: xen::DOMID_SELF,
        nr_frames: 0,
        max_nr_frames: 0,
        status: 0,
    };
    // SAFETY: see `call`; GNTTABOP ops take (cmd, arg pointer, count).
    let raw = unsafe {
        hypercall(
            xen::__HYPERVISOR_grant_table_op,
            u64::from(gt::GNTTABOP_query_size),
            address(&mut query),
            1,
            0,
            0,
        )
    };
    Errno::check(raw)?;
    if query.status != 0 {
        return Err(Errno(i32::from(-query.status)));
    }
    Ok((query.nr_frames, query.max_nr_frames))
}

/// `EVTCHNOP_send`.
pub fn event_channel_send(port: EventChannelPort) -> Result<(), Errno> {
    let mut op = ev::evtchn_send { port: port.0 };
    call(
        xen::__HYPERVISOR_event_channel_op,
        u64::from(ev::EVTCHNOP_send),
        address(&mut op),
    )
    .map(drop)
}

/// `EVTCHNOP_alloc_unbound` for `remote`.
pub fn event_channel_alloc_unbound(remote: DomId) -> Result<EventChannelPort, Errno> {
    let mut op = ev::evtchn_alloc_unbound {
        dom: xen::DOMID_SELF,
        remote_dom: remote.0,
        port: 0,
    };
    call(
        xen::__HYPERVISOR_event_channel_op,
        u64::from(ev::EVTCHNOP_alloc_unbound),
        address(&mut op),
    )?;
    EventChannelPort::new(u64::from(op.port)).ok_or(Errno::EINVAL)
}

/// `EVTCHNOP_bind_virq` on vCPU 0.
pub fn event_channel_bind_virq(virq: u32) -> Result<EventChannelPort, Errno> {
    let mut op = ev::evtchn_bind_virq {
        virq,
        vcpu: 0,
        port: 0,
    };
    call(
        xen::__HYPERVISOR_event_channel_op,
        u64::from(ev::EVTCHNOP_bind_virq),
        address(&mut op),
    )?;
    EventChannelPort::new(u64::from(op.port)).ok_or(Errno::EINVAL)
}

/// `EVTCHNOP_unmask`.
pub fn event_channel_unmask(port: EventChannelPort) -> Result<(), Errno> {
    let mut op = ev::evtchn_unmask { port: port.0 };
    call(
        xen::__HYPERVISOR_event_channel_op,
        u64::from(ev::EVTCHNOP_unmask),
        address(&mut op),
    )
    .map(drop)
}

/// `EVTCHNOP_close`.
pub fn event_channel_close(port: EventChannelPort) -> Result<(), Errno> {
    let mut op = ev::evtchn_close { port: port.0 };
    call(
        xen::__HYPERVISOR_event_channel_op,
        u64::from(ev::EVTCHNOP_close),
        address(&mut op),
    )
    .map(drop)
}

/// `VCPUOP_set_singleshot_timer` on vCPU 0 at absolute system time `deadline_ns`.
pub fn set_singleshot_timer(deadline_ns: u64) -> Result<(), Errno> {
    // No VCPU_SSHOTTMR_future: a deadline already past fires at once instead of failing.
    let mut op = vcpu::vcpu_set_singleshot_timer {
        timeout_abs_ns: deadline_ns,
        flags: 0,
    };
    // SAFETY: see `call`; VCPUOP takes (cmd, vcpu id, arg pointer).
    let raw = unsafe {
        hypercall(
            xen::__HYPERVISOR_vcpu_op,
            u64::from(vcpu::VCPUOP_set_singleshot_timer),
            0,
            address(&mut op),
            0,
            0,
        )
    };
    Errno::check(raw).map(drop)
}

/// `VCPUOP_stop_periodic_timer` on vCPU 0 (Xen starts one by default for HVM guests).
pub fn stop_periodic_timer() -> Result<(), Errno> {
    // SAFETY: see `call`; this VCPUOP takes no argument structure.
    let raw = unsafe {
        hypercall(
            xen::__HYPERVISOR_vcpu_op,
            u64::from(vcpu::VCPUOP_stop_periodic_timer),
            0,
            0,
            0,
            0,
        )
    };
    Errno::check(raw).map(drop)
}

/// `SCHEDOP_shutdown` — passes a pointer to `sched_shutdown`, as Xen expects.
pub fn shutdown(reason: ShutdownReason) -> Result<(), Errno> {
    let reason = match reason {
        ShutdownReason::PowerOff => sched::SHUTDOWN_poweroff,
        ShutdownReason::Reboot => sched::SHUTDOWN_reboot,
        ShutdownReason::Crash => sched::SHUTDOWN_crash,
    };
    let mut op = sched::sched_shutdown { reason };
    call(
        xen::__HYPERVISOR_sched_op,
        u64::from(sched::SCHEDOP_shutdown),
        address(&mut op),
    )
    .map(drop)
}
