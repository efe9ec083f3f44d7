//! The IDT, the interrupt entry stubs and the register frame they build.
//!
//! Vectors 0–31 (CPU exceptions) and [`FIRST_IRQ_VECTOR`]..[`IDT_STUBS`] (device and hypervisor
//! interrupts) get stubs that push a uniform [`InterruptFrame`] and call the handler registered
//! with `set_handler`; other vectors are not present, so a stray one raises #NP and is reported.
//! Faults that may come from a broken stack run on the IST stack (see `gdt`).

use core::mem::size_of;

/// Number of vectors with an entry stub (0..IDT_STUBS).
pub const IDT_STUBS: usize = 64;
/// First vector not reserved for CPU exceptions.
pub const FIRST_IRQ_VECTOR: u8 = 32;

/// Exception vectors.
pub mod vector {
    /// #DE divide error.
    pub const DIVIDE_ERROR: u8 = 0;
    /// #DB debug.
    pub const DEBUG: u8 = 1;
    /// NMI.
    pub const NMI: u8 = 2;
    /// #BP breakpoint.
    pub const BREAKPOINT: u8 = 3;
    /// #UD invalid opcode.
    pub const INVALID_OPCODE: u8 = 6;
    /// #DF double fault.
    pub const DOUBLE_FAULT: u8 = 8;
    /// #NP segment not present.
    pub const SEGMENT_NOT_PRESENT: u8 = 11;
    /// #SS stack-segment fault.
    pub const STACK_SEGMENT_FAULT: u8 = 12;
    /// #GP general protection.
    pub const GENERAL_PROTECTION: u8 = 13;
    /// #PF page fault.
    pub const PAGE_FAULT: u8 = 14;
    /// #MC machine check.
    pub const MACHINE_CHECK: u8 = 18;
}

/// The mnemonic and name of an exception vector.
pub fn exception_name(vector: u64) -> &'static str {
    match vector {
        0 => "#DE divide error",
        1 => "#DB debug",
        2 => "NMI",
        3 => "#BP breakpoint",
        4 => "#OF overflow",
        5 => "#BR bound range exceeded",
        6 => "#UD invalid opcode",
        7 => "#NM device not available",
        8 => "#DF double fault",
        10 => "#TS invalid TSS",
        11 => "#NP segment not present",
        12 => "#SS stack-segment fault",
        13 => "#GP general protection",
        14 => "#PF page fault",
        16 => "#MF x87 floating-point",
        17 => "#AC alignment check",
        18 => "#MC machine check",
        19 => "#XM SIMD floating-point",
        20 => "#VE virtualization",
        21 => "#CP control protection",
        28 => "#HV hypervisor injection",
        29 => "#VC VMM communication",
        30 => "#SX security",
        9 | 15 | 22..=27 | 31 => "reserved exception",
        _ => "interrupt",
    }
}

/// Page-fault error code bits (Intel SDM vol. 3 §4.7).
pub mod page_fault {
    /// The fault was a protection violation on a present page (else: page not present).
    pub const PRESENT: u64 = 1 << 0;
    /// The access was a write.
    pub const WRITE: u64 = 1 << 1;
    /// The access came from user mode.
    pub const USER: u64 = 1 << 2;
    /// A reserved bit was set in a paging structure.
    pub const RESERVED: u64 = 1 << 3;
    /// The access was an instruction fetch.
    pub const INSTRUCTION_FETCH: u64 = 1 << 4;
}

/// Registers saved by the entry stubs, lowest address first, followed by what the CPU pushed.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default)]
#[allow(missing_docs)]
pub struct InterruptFrame {
    pub r15: u64,
    pub r14: u64,
    pub r13: u64,
    pub r12: u64,
    pub r11: u64,
    pub r10: u64,
    pub r9: u64,
    pub r8: u64,
    pub rdi: u64,
    pub rsi: u64,
    pub rbp: u64,
    pub rbx: u64,
    pub rdx: u64,
    pub rcx: u64,
    pub rax: u64,
    /// The vector number (pushed by the stub).
    pub vector: u64,
    /// The CPU's error code, or 0 for vectors without one.
    pub error_code: u64,
    pub rip: u64,
    pub cs: u64,
    pub rflags: u64,
    pub rsp: u64,
    pub ss: u64,
}

const _: () = assert!(size_of::<InterruptFrame>() == 22 * 8);

/// One 16-byte IDT gate.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct GateDescriptor {
    offset_low: u16,
    selector: u16,
    options: u16,
    offset_middle: u16,
    offset_high: u32,
    reserved: u32,
}

impl GateDescriptor {
    /// A present interrupt gate (IF cleared on entry) to `handler` in the kernel code segment,
    /// switching to IST slot `ist` (0: no switch).
    pub const fn interrupt_gate(handler: u64, ist: u8) -> Self {
        Self {
            offset_low: handler as u16,
            selector: crate::gdt::KERNEL_CODE_SELECTOR,
            options: (ist as u16 & 0x7) | (0xe << 8) | (1 << 15),
            offset_middle: (handler >> 16) as u16,
            offset_high: (handler >> 32) as u32,
            reserved: 0,
        }
    }

    /// The handler address this gate jumps to.
    pub const fn handler(&self) -> u64 {
        self.offset_low as u64 | (self.offset_middle as u64) << 16 | (self.offset_high as u64) << 32
    }

    /// Whether the gate is present.
    pub const fn is_present(&self) -> bool {
        self.options & (1 << 15) != 0
    }
}

/// The interrupt descriptor table.
#[repr(C, align(16))]
#[derive(Clone, Copy, Debug)]
pub struct InterruptDescriptorTable {
    gates: [GateDescriptor; 256],
}

impl InterruptDescriptorTable {
    /// An IDT with a gate for every entry stub. `stubs[v]` is the address of vector `v`'s stub.
    pub fn new(stubs: &[u64; IDT_STUBS]) -> Self {
        let mut gates = [GateDescriptor::default(); 256];
        for (vector, (&stub, gate)) in stubs.iter().zip(gates.iter_mut()).enumerate() {
            let ist = match vector as u8 {
                vector::NMI | vector::DOUBLE_FAULT | vector::PAGE_FAULT | vector::MACHINE_CHECK => {
                    crate::gdt::FAULT_IST
                }
                _ => 0,
            };
            *gate = GateDescriptor::interrupt_gate(stub, ist);
        }
        Self { gates }
    }

    /// The gate for `vector`.
    pub fn gate(&self, vector: u8) -> &GateDescriptor {
        &self.gates[usize::from(vector)]
    }

    /// Loads this IDT.
    ///
    /// # Safety
    /// `self` must live forever at this address, and every present gate must lead to a stub
    /// that preserves the interrupted context.
    #[cfg(target_os = "none")]
    pub unsafe fn load(&'static self) {
        #[repr(C, packed)]
        struct Pointer {
            limit: u16,
            base: u64,
        }
        let pointer = Pointer {
            limit: (size_of::<Self>() - 1) as u16,
            base: self as *const Self as u64,
        };
        // SAFETY: the caller guarantees the table is 'static and its gates are valid.
        unsafe {
            core::arch::asm!("lidt [{}]", in(reg) &pointer, options(readonly, nostack, preserves_flags))
        }
    }
}

/// The handler every stub calls: `fn(&mut InterruptFrame)`. Runs with interrupts disabled.
pub type Handler = fn(&mut InterruptFrame);

#[cfg(target_os = "none")]
mod stubs {
    use super::{Handler, IDT_STUBS, InterruptFrame};
    use core::sync::atomic::{AtomicUsize, Ordering};

    static HANDLER: AtomicUsize = AtomicUsize::new(0);

    pub(super) fn set(handler: Handler) {
        HANDLER.store(handler as usize, Ordering::Release);
    }

    /// Called by `isr_common` with a pointer to the frame it built on the stack.
    extern "C" fn dispatch(frame: *mut InterruptFrame) {
        // SAFETY: `isr_common` passes the address of the frame it just pushed; nothing else
        // refers to it until the handler returns.
        let frame = unsafe { &mut *frame };
        let handler = HANDLER.load(Ordering::Acquire);
        if handler == 0 {
            // No handler yet: nothing can report; stop here rather than loop on the fault.
            crate::cpu::halt_forever();
        }
        // SAFETY: HANDLER only ever holds 0 or a `Handler` stored by `set`.
        let handler: Handler = unsafe { core::mem::transmute::<usize, Handler>(handler) };
        handler(frame);
        if let Some(resume) = crate::cpu::interrupted_idle_halt(frame.rip) {
            frame.rip = resume;
        }
    }

    // Entry stubs. Vectors 8, 10-14, 17, 21, 29 and 30 get an error code from the CPU; the
    // others push 0 so the frame is uniform. The CPU aligns RSP to 16 bytes before pushing its
    // frame (5 words); error code + vector + 15 registers keep the call site 16-byte aligned.
    core::arch::global_asm!(
        r#"
        .macro ISR_STUB v
        .p2align 4
        isr_stub_\v:
        .if (\v == 8) || ((\v >= 10) && (\v <= 14)) || (\v == 17) || (\v == 21) || (\v == 29) || (\v == 30)
        .else
            push 0
        .endif
            push \v
            jmp {common}
        .endm

        .section .text.isr, "ax"
        .altmacro
        .set vec, 0
        .rept {count}
            ISR_STUB %vec
            .set vec, vec + 1
        .endr

        .section .rodata.isr_table, "a"
        .p2align 3
        .global xenolith_isr_table
        xenolith_isr_table:
        .macro ISR_ADDR v
            .quad isr_stub_\v
        .endm
        .set vec, 0
        .rept {count}
            ISR_ADDR %vec
            .set vec, vec + 1
        .endr
        .noaltmacro
        "#,
        common = sym isr_common,
        count = const IDT_STUBS,
    );

    #[unsafe(naked)]
    unsafe extern "C" fn isr_common() {
        core::arch::naked_asm!(
            "push rax", "push rcx", "push rdx", "push rbx", "push rbp", "push rsi", "push rdi",
            "push r8", "push r9", "push r10", "push r11", "push r12", "push r13", "push r14", "push r15",
            "mov rdi, rsp",
            "cld",
            "call {dispatch}",
            "pop r15", "pop r14", "pop r13", "pop r12", "pop r11", "pop r10", "pop r9", "pop r8",
            "pop rdi", "pop rsi", "pop rbp", "pop rbx", "pop rdx", "pop rcx", "pop rax",
            "add rsp, 16",
            "iretq",
            dispatch = sym dispatch,
        );
    }

    unsafe extern "C" {
        static xenolith_isr_table: [u64; IDT_STUBS];
    }

    pub(super) fn table() -> [u64; IDT_STUBS] {
        // SAFETY: the table is emitted above with exactly IDT_STUBS read-only quadwords.
        unsafe { xenolith_isr_table }
    }
}

/// Registers the function every interrupt and exception stub calls.
#[cfg(target_os = "none")]
pub fn set_handler(handler: Handler) {
    stubs::set(handler);
}

/// The addresses of the entry stubs, indexed by vector.
#[cfg(target_os = "none")]
pub fn stub_addresses() -> [u64; IDT_STUBS] {
    stubs::table()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gate_round_trips_handler_and_ist() {
        let gate = GateDescriptor::interrupt_gate(0xffff_8000_1234_5678, 1);
        assert_eq!(gate.handler(), 0xffff_8000_1234_5678);
        assert!(gate.is_present());
        assert_eq!(gate.options & 0x7, 1);
        assert_eq!(gate.selector, 0x08);
    }

    #[test]
    fn fault_vectors_use_the_ist_and_others_do_not() {
        let stubs: [u64; IDT_STUBS] = core::array::from_fn(|v| 0x10_0000 + 16 * v as u64);
        let idt = InterruptDescriptorTable::new(&stubs);
        assert_eq!(idt.gate(vector::PAGE_FAULT).options & 7, 1);
        assert_eq!(idt.gate(vector::DOUBLE_FAULT).options & 7, 1);
        assert_eq!(idt.gate(vector::GENERAL_PROTECTION).options & 7, 0);
        assert_eq!(idt.gate(40).handler(), 0x10_0000 + 16 * 40);
        assert!(!idt.gate(200).is_present());
    }

    #[test]
    fn names_exceptions() {
        assert_eq!(exception_name(14), "#PF page fault");
        assert_eq!(exception_name(40), "interrupt");
    }
}
