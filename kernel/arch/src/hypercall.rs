//! The Xen hypercall page and the hypercall instruction sequence.
//!
//! Xen writes one 32-byte stub per hypercall into a guest page we name through the MSR that
//! CPUID leaf `base + 2` reports (`xen/include/public/arch-x86/cpuid.h`). The page lives at the
//! end of the text segment (read + execute for us; Xen writes it through guest-physical memory)
//! and is zero-filled by the loader, so it costs no image bytes. A hypercall is a `call` into
//! the stub for its number with arguments in `rdi, rsi, rdx, r10, r8` (the 5th in `r8`, not
//! `r9` as the `xen-sys` crate has it) and the result in `rax`; Xen may clobber the argument
//! registers, `rcx` and `r11`.

core::arch::global_asm!(
    ".section .hypercall_page, \"ax\", @nobits",
    ".p2align 12",
    ".global xenolith_hypercall_page",
    "xenolith_hypercall_page:",
    ".skip 4096",
);

unsafe extern "C" {
    static xenolith_hypercall_page: u8;
}

/// Guest-physical address of the hypercall page.
pub fn page_address() -> u64 {
    // SAFETY: only the symbol's address is taken.
    unsafe { &xenolith_hypercall_page as *const u8 as u64 }
}

/// Asks Xen to fill the hypercall page: writes `page | index` to the MSR CPUID named.
///
/// # Safety
/// Must run on Xen with `msr` taken from CPUID leaf `base + 2` (EBX) and `pages` ≥ 1 (EAX).
pub unsafe fn install_page(msr: u32) {
    // SAFETY: the caller vouches for the MSR; Xen writes 4096 bytes of stubs into our page,
    // which nothing else uses.
    unsafe { crate::cpu::wrmsr(msr, page_address()) }
}

/// Performs hypercall `number` with up to five arguments; returns Xen's `rax`.
///
/// # Safety
/// The hypercall page must be installed, and every pointer among the arguments must be valid
/// for what the hypercall reads and writes.
#[inline]
pub unsafe fn hypercall(number: u32, a1: u64, a2: u64, a3: u64, a4: u64, a5: u64) -> i64 {
    let result: i64;
    let entry = page_address() + u64::from(number) * 32;
    // SAFETY: the caller guarantees the page is installed and the arguments valid. Not
    // `nostack`: the `call` pushes a return address. Not `nomem`: Xen reads and writes the
    // memory the arguments point to.
    unsafe {
        core::arch::asm!(
            "call {entry}",
            entry = in(reg) entry,
            inlateout("rdi") a1 => _,
            inlateout("rsi") a2 => _,
            inlateout("rdx") a3 => _,
            inlateout("r10") a4 => _,
            inlateout("r8") a5 => _,
            lateout("rax") result,
            lateout("rcx") _,
            lateout("r11") _,
        );
    }
    result
}
