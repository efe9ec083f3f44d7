//! The local APIC (xAPIC, memory-mapped): one-shot timer for deadlines, EOI, and the target of
//! MSI-X interrupts. Used when not on Xen (on Xen, event channels and Xen's timer do this).
//!
//! The timer counts down at the APIC bus rate ÷ 16; we calibrate it against the TSC once.
//! Interrupt hooks only set the wake flag (`idle`) and acknowledge the APIC.

use crate::once::Once;
use core::sync::atomic::{AtomicU64, Ordering};
use core::time::Duration;
use xenolith_arch::paging::Access;
use xenolith_arch::shared::SharedMemory;

/// Vector of the APIC timer.
pub const TIMER_VECTOR: u8 = 0x31;
/// First vector handed to devices (MSI-X).
pub const DEVICE_VECTOR: u8 = 0x32;
/// Spurious-interrupt vector (low nibble all ones, as older APICs require).
pub const SPURIOUS_VECTOR: u8 = 0x3f;

const ID: usize = 0x20;
const TPR: usize = 0x80;
const EOI: usize = 0xb0;
const SVR: usize = 0xf0;
const LVT_TIMER: usize = 0x320;
const INITIAL_COUNT: usize = 0x380;
const CURRENT_COUNT: usize = 0x390;
const DIVIDE: usize = 0x3e0;
const MASKED: u32 = 1 << 16;

struct Apic {
    registers: SharedMemory,
    id: u8,
}

static APIC: Once<Apic> = Once::new();
static TICKS_PER_MS: AtomicU64 = AtomicU64::new(0);

/// Why the APIC could not be used.
#[derive(Clone, Copy, Debug)]
pub enum Error {
    /// CPUID says there is no APIC.
    Absent,
    /// Its registers could not be mapped.
    Unmappable,
    /// The timer did not count.
    TimerDead,
}

impl core::fmt::Display for Error {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            Error::Absent => write!(f, "the CPU has no local APIC"),
            Error::Unmappable => write!(f, "the local APIC registers could not be mapped"),
            Error::TimerDead => write!(f, "the local APIC timer does not count"),
        }
    }
}

fn eoi() {
    if let Some(apic) = APIC.get() {
        apic.registers.store_u32(EOI, 0, Ordering::SeqCst);
    }
}

/// Enables the APIC, calibrates its timer against the TSC, and registers the timer and
/// spurious hooks. Device vectors are registered with [`set_device_hook`].
pub fn init() -> Result<(), Error> {
    if xenolith_arch::cpu::cpuid(1, 0).edx & (1 << 9) == 0 {
        return Err(Error::Absent);
    }
    // SAFETY: IA32_APIC_BASE exists whenever CPUID reports an APIC.
    let base = unsafe { xenolith_arch::cpu::rdmsr(0x1b) } & 0x000f_ffff_ffff_f000;
    crate::paging::map(base, 4096, Access::Device).map_err(|_| Error::Unmappable)?;
    // SAFETY: the APIC page was just mapped uncached; it is reached only through this wrapper.
    let registers = unsafe { SharedMemory::new(base, 4096) };
    let id = (registers.load_u32(ID, Ordering::SeqCst) >> 24) as u8;
    registers.store_u32(TPR, 0, Ordering::SeqCst);
    registers.store_u32(SVR, 0x100 | u32::from(SPURIOUS_VECTOR), Ordering::SeqCst);
    registers.store_u32(DIVIDE, 0x3, Ordering::SeqCst); // ÷16
    registers.store_u32(
        LVT_TIMER,
        MASKED | u32::from(TIMER_VECTOR),
        Ordering::SeqCst,
    );

    // Calibrate: count down from the top for ~2 ms of TSC time.
    registers.store_u32(INITIAL_COUNT, u32::MAX, Ordering::SeqCst);
    let start = crate::clock::now();
    while crate::clock::now() - start < Duration::from_millis(2) {
        core::hint::spin_loop();
    }
    let elapsed = crate::clock::now() - start;
    let counted = u64::from(u32::MAX - registers.load_u32(CURRENT_COUNT, Ordering::SeqCst));
    registers.store_u32(INITIAL_COUNT, 0, Ordering::SeqCst);
    let per_ms = counted * 1_000_000 / u64::try_from(elapsed.as_nanos()).unwrap_or(1).max(1);
    if per_ms == 0 {
        return Err(Error::TimerDead);
    }
    TICKS_PER_MS.store(per_ms, Ordering::Relaxed);
    log::debug!(
        "local APIC {id}: timer {per_ms} ticks/ms, svr {:#x}",
        registers.load_u32(SVR, Ordering::SeqCst)
    );
    APIC.call_once(|| Apic { registers, id });
    crate::interrupts::set_hook(TIMER_VECTOR, |_| {
        crate::pc::wake::wake();
        eoi();
    });
    // A spurious interrupt needs no EOI.
    crate::interrupts::set_hook(SPURIOUS_VECTOR, |_| {});
    Ok(())
}

/// Whether the APIC timer can wake the CPU.
pub fn is_ready() -> bool {
    APIC.get().is_some()
}

/// The APIC id of this CPU (the destination of MSI messages).
pub fn id() -> Option<u8> {
    APIC.get().map(|a| a.id)
}

/// Registers `vector` as a device interrupt: its hook wakes the idle loop and acknowledges.
pub fn set_device_hook(vector: u8) -> bool {
    crate::interrupts::set_hook(vector, |_| {
        crate::pc::wake::wake();
        eoi();
    })
}

/// Arms the one-shot timer to fire after `delay` (clamped to what the counter can hold).
pub fn arm_timer(delay: Duration) {
    let Some(apic) = APIC.get() else { return };
    let per_ms = TICKS_PER_MS.load(Ordering::Relaxed);
    let ticks = u128::from(per_ms) * delay.as_nanos() / 1_000_000;
    let ticks = u32::try_from(ticks).unwrap_or(u32::MAX).max(1);
    apic.registers
        .store_u32(LVT_TIMER, u32::from(TIMER_VECTOR), Ordering::SeqCst);
    apic.registers
        .store_u32(INITIAL_COUNT, ticks, Ordering::SeqCst);
}

/// Stops the timer.
pub fn disarm_timer() {
    if let Some(apic) = APIC.get() {
        apic.registers.store_u32(INITIAL_COUNT, 0, Ordering::SeqCst);
    }
}
