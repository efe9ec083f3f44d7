//! The Xen machine: [`domain::Xen`] owns the hypervisor interface (`kernel/xen`'s platform,
//! the grant table, xenstore and its watch events) once the boot sequence has brought it up;
//! [`net`] is netfront wired to it.

#[allow(unsafe_code)] // Xen's special pages and the grant-table frames
pub mod domain;
pub mod net;
