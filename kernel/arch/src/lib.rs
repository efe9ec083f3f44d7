//! x86-64 for Xenolith: the PVH entry, long mode, GDT/TSS/IDT, page tables, port I/O, MSRs,
//! CPUID, the TSC and RDRAND.
//!
//! This crate is the only home of `asm!`/`global_asm!` in the project (STYLE.md), and of the
//! [`shared::SharedMemory`] wrapper through which drivers reach memory a hypervisor, another
//! domain or a device also writes. Data types
//! (page-table entries, descriptor layouts, exception frames) are plain Rust that builds and
//! tests on the host; the instructions that touch hardware are tiny `unsafe fn` wrappers, each
//! with a `# Safety` section, and the boot code is gated on `target_os = "none"`.
//!
//! Boot path (`entry`): the loader (Xen's PVH domain builder or QEMU's PVH option ROM) finds the
//! `XEN_ELFNOTE_PHYS32_ENTRY` note and jumps to `pvh_start32` in 32-bit protected mode with
//! paging off and `ebx` = physical address of `hvm_start_info` (`docs/misc/pvh.pandoc`). The stub
//! identity-maps the first 4 GiB with 2 MiB pages, enables PAE, long mode and NX, loads a
//! temporary GDT and calls the runtime's `xenolith_start64(start_info_paddr)` on the boot stack.
#![no_std]

pub mod cpu;
pub mod gdt;
#[cfg(target_os = "none")]
pub mod hypercall;
pub mod idt;
pub mod paging;
pub mod port;
pub mod shared;

#[cfg(target_os = "none")]
mod entry;

#[cfg(target_os = "none")]
pub use entry::{boot_stack_range, image_layout};

/// Size of a small page.
pub const PAGE_SIZE: u64 = 4096;
/// Size of a large (2 MiB) page.
pub const LARGE_PAGE_SIZE: u64 = 2 << 20;
