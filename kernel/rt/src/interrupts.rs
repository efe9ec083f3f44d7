//! CPU tables (GDT, TSS, IDT) and what happens on an exception or interrupt.
//!
//! A CPU exception is fatal: its report (vector, error code, RIP, CR2 for page faults, the
//! registers, and a diagnosis where one is certain — null pointer, stack overflow, write to
//! read-only memory) goes to the console and the guest ends as failed. An interrupt (vector
//! ≥ 32) runs the hook a driver registered, which only records that work is pending; the main
//! loop does the work (STYLE.md: handlers only wake).

use crate::once::Once;
use core::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use xenolith_arch::gdt::{GlobalDescriptorTable, TaskStateSegment};
use xenolith_arch::idt::{
    self, FIRST_IRQ_VECTOR, IDT_STUBS, InterruptDescriptorTable, InterruptFrame,
};

static TSS: Once<TaskStateSegment> = Once::new();
static GDT: Once<GlobalDescriptorTable> = Once::new();
static IDT: Once<InterruptDescriptorTable> = Once::new();

const HOOKS: usize = IDT_STUBS - FIRST_IRQ_VECTOR as usize;
static HOOK: [AtomicUsize; HOOKS] = [const { AtomicUsize::new(0) }; HOOKS];
static UNEXPECTED: AtomicU64 = AtomicU64::new(0);

/// An interrupt hook: runs with interrupts disabled; must only record work for the main loop.
pub type Hook = fn(vector: u8);

/// Loads the GDT (with the TSS and its fault stack) and the IDT.
pub fn init() {
    let layout = xenolith_arch::image_layout();
    let tss = TSS.call_once(|| TaskStateSegment::new(layout.fault_stack_top));
    let gdt = GDT.call_once(|| GlobalDescriptorTable::new(tss as *const TaskStateSegment as u64));
    let idt = IDT.call_once(|| InterruptDescriptorTable::new(&idt::stub_addresses()));
    idt::set_handler(dispatch);
    // SAFETY: both tables are in 'static `Once` cells that never move; `init` runs once, so the
    // TSS is not loaded twice; every present IDT gate leads to an arch entry stub.
    unsafe {
        gdt.load();
        idt.load();
    }
}

/// Registers `hook` for interrupt `vector` (32..64). Returns `false` for other vectors.
pub fn set_hook(vector: u8, hook: Hook) -> bool {
    match usize::from(vector).checked_sub(usize::from(FIRST_IRQ_VECTOR)) {
        Some(i) if i < HOOKS => {
            HOOK[i].store(hook as usize, Ordering::Release);
            true
        }
        _ => false,
    }
}

/// Interrupts that arrived on a vector with no hook.
pub fn unexpected_interrupts() -> u64 {
    UNEXPECTED.load(Ordering::Relaxed)
}

fn dispatch(frame: &mut InterruptFrame) {
    if frame.vector < u64::from(FIRST_IRQ_VECTOR) {
        exception(frame);
    }
    let slot = (frame.vector as usize).wrapping_sub(usize::from(FIRST_IRQ_VECTOR));
    match HOOK.get(slot).map(|h| h.load(Ordering::Acquire)) {
        Some(hook) if hook != 0 => {
            // SAFETY: HOOK slots hold 0 or a `Hook` stored by `set_hook`.
            let hook: Hook = unsafe { core::mem::transmute::<usize, Hook>(hook) };
            hook(frame.vector as u8);
        }
        _ => {
            UNEXPECTED.fetch_add(1, Ordering::Relaxed);
        }
    }
}

/// What a fault most likely was, where that is certain from the frame.
fn diagnosis(frame: &InterruptFrame, cr2: u64) -> Option<&'static str> {
    use idt::page_fault::*;
    if frame.vector != u64::from(idt::vector::PAGE_FAULT) {
        return None;
    }
    let layout = xenolith_arch::image_layout();
    let e = frame.error_code;
    if layout
        .guard_pages
        .iter()
        .any(|&g| (g..g + xenolith_arch::PAGE_SIZE).contains(&cr2))
    {
        Some("stack overflow (the access hit a stack guard page)")
    } else if cr2 < xenolith_arch::PAGE_SIZE && e & PRESENT == 0 {
        Some("null pointer dereference")
    } else if e & PRESENT != 0 && e & WRITE != 0 && layout.text.contains(&cr2) {
        Some("write to kernel code, which is mapped read-only")
    } else if e & PRESENT != 0 && e & WRITE != 0 {
        Some("write to read-only memory")
    } else if e & PRESENT != 0 && e & INSTRUCTION_FETCH != 0 {
        Some("instruction fetch from no-execute memory")
    } else if e & PRESENT == 0 {
        Some("access to unmapped memory")
    } else {
        None
    }
}

fn exception(frame: &InterruptFrame) -> ! {
    use crate::console::write_fmt_emergency as emit;
    let page_fault = frame.vector == u64::from(idt::vector::PAGE_FAULT);
    let cr2 = xenolith_arch::cpu::read_cr2();
    emit(format_args!(
        "\nFATAL: CPU exception {} (vector {}), error code {:#x}, at rip={:#018x}",
        idt::exception_name(frame.vector),
        frame.vector,
        frame.error_code,
        frame.rip
    ));
    if page_fault {
        use idt::page_fault::*;
        let e = frame.error_code;
        emit(format_args!(
            "\n  page fault at cr2={:#018x}: {} {}{}",
            cr2,
            if e & PRESENT != 0 {
                "protection violation on a present page,"
            } else {
                "page not present,"
            },
            if e & INSTRUCTION_FETCH != 0 {
                "instruction fetch"
            } else if e & WRITE != 0 {
                "write"
            } else {
                "read"
            },
            if e & RESERVED != 0 {
                ", reserved bit set"
            } else {
                ""
            },
        ));
    }
    if let Some(d) = diagnosis(frame, cr2) {
        emit(format_args!("\n  likely cause: {d}"));
    }
    emit(format_args!(
        "\n  rax={:#018x} rbx={:#018x} rcx={:#018x} rdx={:#018x}\n  rsi={:#018x} rdi={:#018x} rbp={:#018x} rsp={:#018x}\n  r8 ={:#018x} r9 ={:#018x} r10={:#018x} r11={:#018x}\n  r12={:#018x} r13={:#018x} r14={:#018x} r15={:#018x}\n  rflags={:#x} cs={:#x} ss={:#x} uptime={} us\n",
        frame.rax,
        frame.rbx,
        frame.rcx,
        frame.rdx,
        frame.rsi,
        frame.rdi,
        frame.rbp,
        frame.rsp,
        frame.r8,
        frame.r9,
        frame.r10,
        frame.r11,
        frame.r12,
        frame.r13,
        frame.r14,
        frame.r15,
        frame.rflags,
        frame.cs,
        frame.ss,
        crate::clock::now().as_micros() as u64,
    ));
    crate::shutdown::fail(crate::shutdown::Failure::Exception)
}
