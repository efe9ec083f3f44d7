//! `#[repr(C)]` mirrors of Xen's public ABI, one module per header.
//!
//! Each type keeps Xen's C name (with `#[doc(alias)]` for its C spelling, `struct foo` or the
//! `foo_t` typedef), each module names the header it mirrors, and each layout is pinned by
//! compile-time asserts. `tests/abi_headers.rs` compiles a C program against Debian's
//! `libxen-dev` headers (Xen 4.17, `/usr/include/xen/`) and compares every size, offset and
//! constant with these, including the items taken from `xen-sys`.
//!
//! The mirrors follow interface version `__XEN_LATEST_INTERFACE_VERSION__` (0x00040e00, which
//! is still the latest in Xen 4.17) on x86_64: `xen_ulong_t` and `xen_pfn_t` are 64 bits and the
//! `arch-x86/xen-x86_64.h` variants of the arch structures apply. Everything here is plain data:
//! no `unsafe`, no pointers into shared memory. The drivers that read and write those pages live
//! elsewhere in this crate.
//!
//! # Conventions
//!
//! - A guest handle (`XEN_GUEST_HANDLE(T)`, on x86_64 `struct { T *p; }`) is mirrored as a `u64`
//!   holding the guest virtual address of the buffer, so the structs stay `Copy + Send` and
//!   carry no raw pointer. (`xen-sys`'s `sched_poll`, re-exported as is, uses `*mut u32`.)
//! - A C union field is mirrored either as the one member the guest uses, or as its raw
//!   padding member; each such field says which in its doc comment.
//! - Macros that compute something (`__RD32`, `__CONST_RING_SIZE`, the callback-via encoding)
//!   become `const fn`s with a `#[doc(alias)]` naming the macro.
//! - Names that exist only on the Rust side (e.g. `NET_TX_RING_SIZE`) say so, and the header test
//!   checks them against the C expression they stand for.
//!
//! # What comes from `xen-sys` (0.0.0-pre2) and what does not
//!
//! The brief is "use xen-sys where it is right and say where it is not". It builds for the host
//! and for `x86_64-unknown-none`, and its bindgen output was checked item by item against the
//! 4.17 headers by `tests/abi_headers.rs`.
//!
//! **Used** (re-exported from the module of the header they belong to, so the header test checks
//! them through the same path the rest of the crate uses):
//! - [`xen`]: every `__HYPERVISOR_*` hypercall number, `VIRQ_*` and `NR_VIRQS`,
//!   `XEN_LEGACY_MAX_VCPUS`, `XEN_PVCLOCK_TSC_STABLE_BIT`, `XEN_PVCLOCK_GUEST_STOPPED`,
//!   `CONSOLEIO_write`, `CONSOLEIO_read`, `XEN_HVM_DEBUGCONS_IOPORT`,
//!   `__XEN_LATEST_INTERFACE_VERSION__`.
//! - [`event_channel`]: `EVTCHNOP_*`, `EVTCHNSTAT_*`, `evtchn_port_t`, and the structs
//!   `evtchn_alloc_unbound`, `evtchn_bind_interdomain`, `evtchn_bind_virq`, `evtchn_close`,
//!   `evtchn_send`, `evtchn_unmask`, `evtchn_status`.
//! - [`sched`]: `SCHEDOP_*`, `SHUTDOWN_*` (including `SHUTDOWN_soft_reset` and `SHUTDOWN_MAX`),
//!   and the structs `sched_shutdown` and `sched_poll`.
//!
//! These structs derive only `Debug`, `Clone` and `Copy` and have no field docs; their layouts
//! match the headers.
//!
//! **Not used, and why:**
//! - Its hypercall functions (`hypercall_1` ..= `hypercall_5`, `console_io`, `sched_op`). They
//!   are wrong in ways that fail silently: `hypercall_5` puts the 5th argument in `r9`
//!   where Xen's x86_64 ABI wants `r8`; every stub `call`s into the hypercall page under
//!   `options(nostack)` although `call` pushes a return address; `sched_op` passes the
//!   `SHUTDOWN_*` reason as the argument value where Xen wants a pointer to a `sched_shutdown`
//!   (and panics for every sub-op but `yield` and `shutdown`); and they are `#[no_mangle]` and
//!   reference an `extern` static `HYPERCALL_PAGE` that nothing here defines, so calling any of
//!   them would also need a global symbol of that name. Our hypercall stubs belong in
//!   `xenolith-arch`, the only home of `asm!`. (Nothing references the `xen-sys` functions, so
//!   the linker drops them.)
//! - Its `vcpu_time_info`: the bindings were generated with `__XEN_INTERFACE_VERSION__` = 0, so
//!   the struct has the pre-4.6 tail `pad1: [i8; 3]` and no `flags` byte, which is where
//!   `XEN_PVCLOCK_TSC_STABLE_BIT` is read. Same size, missing field. [`xen::vcpu_time_info`] is
//!   ours, and so are [`xen::vcpu_info`] and [`xen::shared_info`], which embed it, and their arch
//!   parts [`xen::arch_vcpu_info`] and [`xen::arch_shared_info`] (whose `xen-sys` layouts are
//!   right, but whose missing `Default`/`PartialEq` would take those derives away from
//!   `vcpu_info`, which host tests can then build as a fixture).
//! - Its `__XEN_INTERFACE_VERSION__` (0, see above) and `__HYPERVISOR_dom0_op` (defined by the
//!   headers only for interface versions below 0x00030204).
//! - What it does not have: `DOMID_*` (bindgen cannot evaluate `xen_mk_uint(..)`), and
//!   everything in `memory.h`, `grant_table.h`, `vcpu.h`, `hvm/*`, `hvm_start_info` and `io/*`.
// Xen's C names: lower-case struct names (`shared_info`) and mixed-case constants
// (`GTF_permit_access`, `XenbusStateConnected`) are kept as they are, so that the headers, the
// docs and `grep` all find them.
#![allow(non_camel_case_types, non_upper_case_globals)]
// No `unsafe` in the ABI mirrors: they are data, checked at compile time and by the header test.
#![forbid(unsafe_code)]

pub mod event_channel;
pub mod grant_table;
pub mod hvm;
pub mod io;
pub mod memory;
pub mod sched;
pub mod start_info;
pub mod vcpu;
pub mod version;
pub mod xen;
