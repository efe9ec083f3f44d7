//! Deliberate faults, so tests can prove that failures are loud and final.

/// A fault to trigger.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Fault {
    /// Write to the kernel's own code: a page fault on a present, read-only page.
    WriteText,
    /// Read address 0: a page fault at CR2 0 on a page that is not present.
    NullRead,
    /// Recurse until the stack hits its guard page.
    StackOverflow,
    /// A Rust panic (raised by the caller, so the panic location is the app's).
    Panic,
}

/// Triggers `fault`. Returns only if the fault did not happen (which is itself a failure).
pub fn trigger(fault: Fault) {
    match fault {
        Fault::WriteText => {
            let target = xenolith_arch::image_layout().text.start + 0x100;
            // SAFETY: deliberately invalid: the text is mapped read-only, so this write faults
            // before it changes anything.
            unsafe { (target as *mut u8).write_volatile(0xcc) }
        }
        Fault::NullRead => {
            // SAFETY: deliberately invalid: page 0 is unmapped, so this read faults.
            let _ = unsafe { core::ptr::null::<u8>().read_volatile() };
        }
        Fault::StackOverflow => {
            #[allow(unconditional_recursion)] // the point: it ends in the guard page
            fn recurse(depth: u64) -> u64 {
                let mut frame = [depth; 64];
                frame = core::hint::black_box(frame);
                recurse(depth + 1) + frame[depth as usize % 64]
            }
            core::hint::black_box(recurse(0));
        }
        Fault::Panic => {}
    }
}
