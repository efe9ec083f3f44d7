//! CPU instructions: CPUID, MSRs, control registers, the TSC, RDRAND, interrupts and halting.

use core::arch::asm;

/// The four registers CPUID returns.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct CpuidResult {
    /// `eax`.
    pub eax: u32,
    /// `ebx`.
    pub ebx: u32,
    /// `ecx`.
    pub ecx: u32,
    /// `edx`.
    pub edx: u32,
}

/// Executes CPUID for `leaf`/`subleaf`. CPUID is always available in long mode.
#[inline]
pub fn cpuid(leaf: u32, subleaf: u32) -> CpuidResult {
    let r = core::arch::x86_64::__cpuid_count(leaf, subleaf);
    CpuidResult {
        eax: r.eax,
        ebx: r.ebx,
        ecx: r.ecx,
        edx: r.edx,
    }
}

/// Reads a model-specific register.
///
/// # Safety
/// Reading an MSR the CPU does not implement raises #GP.
#[inline]
pub unsafe fn rdmsr(msr: u32) -> u64 {
    let (lo, hi): (u32, u32);
    // SAFETY: the caller guarantees the MSR exists.
    unsafe {
        asm!("rdmsr", in("ecx") msr, out("eax") lo, out("edx") hi, options(nomem, nostack, preserves_flags))
    }
    (u64::from(hi) << 32) | u64::from(lo)
}

/// Writes a model-specific register.
///
/// # Safety
/// MSR writes change CPU behaviour globally (and, for Xen's hypercall MSR, make the hypervisor
/// write guest memory); the caller must know the MSR and the effect of `value`.
#[inline]
pub unsafe fn wrmsr(msr: u32, value: u64) {
    // SAFETY: the caller vouches for the MSR and value. Not `nomem`: some MSR writes (Xen's
    // hypercall page) change memory the compiler can see.
    unsafe {
        asm!("wrmsr", in("ecx") msr, in("eax") value as u32, in("edx") (value >> 32) as u32, options(nostack, preserves_flags))
    }
}

/// Reads CR2, the faulting address of the last page fault.
#[inline]
pub fn read_cr2() -> u64 {
    let value: u64;
    // SAFETY: reading CR2 has no side effects (we run at CPL 0).
    unsafe { asm!("mov {}, cr2", out(reg) value, options(nomem, nostack, preserves_flags)) }
    value
}

/// Reads CR3, the physical address of the top-level page table.
#[inline]
pub fn read_cr3() -> u64 {
    let value: u64;
    // SAFETY: reading CR3 has no side effects (we run at CPL 0).
    unsafe { asm!("mov {}, cr3", out(reg) value, options(nomem, nostack, preserves_flags)) }
    value
}

/// Loads CR3, switching to another set of page tables (and flushing non-global TLB entries).
///
/// # Safety
/// `pml4` must be the physical address of a valid PML4 that maps the running code, its stack
/// and every object the kernel still uses, at the same addresses.
#[inline]
pub unsafe fn write_cr3(pml4: u64) {
    // SAFETY: the caller guarantees the new tables keep everything in use mapped.
    unsafe { asm!("mov cr3, {}", in(reg) pml4, options(nostack, preserves_flags)) }
}

/// Reads the time-stamp counter.
#[inline]
pub fn rdtsc() -> u64 {
    // SAFETY: RDTSC only reads the counter (CR4.TSD is clear: we run at CPL 0).
    unsafe { core::arch::x86_64::_rdtsc() }
}

/// One RDRAND attempt: `Some(value)` when the generator delivered (CF=1), `None` when it was
/// momentarily exhausted. Callers retry (Intel DRNG guide §5.2.1) and must check CPUID first.
///
/// # Safety
/// The CPU must support RDRAND (CPUID.1:ECX bit 30), or this raises #UD.
#[inline]
pub unsafe fn rdrand64() -> Option<u64> {
    let value: u64;
    let ok: u8;
    // SAFETY: the caller checked CPUID; RDRAND only writes the output register and flags.
    unsafe {
        asm!("rdrand {v}", "setc {ok}", v = out(reg) value, ok = out(reg_byte) ok, options(nomem, nostack))
    }
    (ok != 0).then_some(value)
}

/// Whether the CPU implements RDRAND (CPUID.1:ECX bit 30).
pub fn has_rdrand() -> bool {
    cpuid(1, 0).ecx & (1 << 30) != 0
}

/// Disables maskable interrupts.
#[inline]
pub fn disable_interrupts() {
    // SAFETY: CLI only clears IF; at CPL 0 it cannot fault.
    unsafe { asm!("cli", options(nostack)) }
}

/// Enables maskable interrupts.
///
/// # Safety
/// An IDT with handlers for every vector that can arrive must be loaded.
#[inline]
pub unsafe fn enable_interrupts() {
    // SAFETY: the caller guarantees the IDT is ready.
    unsafe { asm!("sti", options(nostack)) }
}

// The one idle halt of the kernel, out of line so that its `hlt` has one known address
// (`xenolith_idle_hlt`, see `interrupted_idle_halt`).
core::arch::global_asm!(
    ".pushsection .text.xenolith_idle, \"ax\"",
    ".global xenolith_sti_hlt",
    "xenolith_sti_hlt:",
    "sti",
    ".global xenolith_idle_hlt",
    "xenolith_idle_hlt:",
    "hlt",
    "ret",
    ".popsection",
);

unsafe extern "C" {
    /// `sti; hlt; ret` (above). Not to be called as a Rust function.
    fn xenolith_sti_hlt();
    /// The `hlt` instruction inside [`xenolith_sti_hlt`].
    static xenolith_idle_hlt: u8;
}

/// Atomically enables interrupts and halts until the next one (`sti; hlt`: the instruction after
/// STI runs before any interrupt is taken, so a wake-up cannot be lost between a check for work
/// done with interrupts disabled and the halt). Also a compiler barrier: memory accesses are
/// not moved across it.
///
/// # Safety
/// As for [`enable_interrupts`].
#[inline]
pub unsafe fn enable_interrupts_and_halt() {
    // SAFETY: the caller guarantees the IDT is ready; the routine only executes `sti; hlt; ret`
    // (HLT resumes on the next interrupt) and clobbers no register.
    unsafe { asm!("call {halt}", halt = sym xenolith_sti_hlt) }
}

/// The address of the idle `hlt` instruction (one byte long).
pub fn idle_halt_address() -> u64 {
    // Only the address of the symbol is taken (safe since Rust 2024); it is never read.
    core::ptr::addr_of!(xenolith_idle_hlt) as u64
}

/// Halts that an interrupt pre-empted before they began (see [`interrupted_idle_halt`]).
static SKIPPED_HALTS: core::sync::atomic::AtomicU64 = core::sync::atomic::AtomicU64::new(0);

/// Called with the return address of every interrupt: if it is the idle `hlt` itself, returns
/// the address after it (and counts it), so that the interrupted code resumes *after* the halt.
///
/// On hardware this cannot happen: the STI shadow holds interrupts until the `hlt` has begun,
/// and they then return past it. A hypervisor that injects an interrupt inside the shadow (seen
/// with Xen nested in QEMU's emulated SVM) would otherwise resume into a `hlt` right after the
/// interrupt that should have ended it: the waker never looks at the wake-up, and on Xen the
/// vCPU sleeps through every later event (the upcall flag is clear, the selector still set).
pub fn interrupted_idle_halt(return_address: u64) -> Option<u64> {
    let halt = idle_halt_address();
    if return_address != halt {
        return None;
    }
    SKIPPED_HALTS.fetch_add(1, core::sync::atomic::Ordering::Relaxed);
    Some(halt + 1)
}

/// How many times an interrupt landed on the idle `hlt` before it began (diagnostic).
pub fn skipped_halts() -> u64 {
    SKIPPED_HALTS.load(core::sync::atomic::Ordering::Relaxed)
}

/// Halts forever with interrupts disabled. The last resort when nothing can end the guest.
pub fn halt_forever() -> ! {
    loop {
        // SAFETY: with IF clear only an NMI wakes HLT, and we halt again at once.
        unsafe { asm!("cli", "hlt", options(nomem, nostack)) }
    }
}

/// Invalidates the TLB entry for the page holding `address`.
#[inline]
pub fn invlpg(address: u64) {
    // SAFETY: INVLPG only drops a cached translation; it cannot make memory unsafe.
    unsafe { asm!("invlpg [{}]", in(reg) address, options(nostack, preserves_flags)) }
}

/// Reads RFLAGS.
#[inline]
pub fn read_rflags() -> u64 {
    let value: u64;
    // SAFETY: PUSHF/POP only touch the stack slot they use.
    unsafe { asm!("pushfq", "pop {}", out(reg) value, options(nomem, preserves_flags)) }
    value
}

/// Whether maskable interrupts are enabled (RFLAGS.IF).
pub fn interrupts_enabled() -> bool {
    read_rflags() & (1 << 9) != 0
}

/// The hypervisor vendor signature CPUID reports at `leaf` (0x4000_0000 + n·0x100): 12 bytes
/// from `ebx`, `ecx`, `edx`, and the highest leaf of that block from `eax`.
pub fn hypervisor_signature(leaf: u32) -> ([u8; 12], u32) {
    let r = cpuid(leaf, 0);
    let mut sig = [0u8; 12];
    sig[0..4].copy_from_slice(&r.ebx.to_le_bytes());
    sig[4..8].copy_from_slice(&r.ecx.to_le_bytes());
    sig[8..12].copy_from_slice(&r.edx.to_le_bytes());
    (sig, r.eax)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_idle_halt_is_skipped() {
        let halt = idle_halt_address();
        let before = skipped_halts();
        assert_eq!(interrupted_idle_halt(halt - 1), None, "the sti before it");
        assert_eq!(
            interrupted_idle_halt(halt + 1),
            None,
            "a return after the halt"
        );
        assert_eq!(interrupted_idle_halt(0), None);
        assert_eq!(skipped_halts(), before);
        assert_eq!(interrupted_idle_halt(halt), Some(halt + 1));
        assert_eq!(skipped_halts(), before + 1);
    }
}
