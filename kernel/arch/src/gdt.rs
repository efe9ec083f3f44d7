//! The long-mode GDT and TSS.
//!
//! Four descriptors: null, 64-bit kernel code (selector 0x08), kernel data (0x10) and the TSS
//! (0x18, 16 bytes). The TSS exists for its interrupt stack table: faults that may come from a
//! broken stack (double fault, page fault on the stack guard page, NMI, machine check) switch to
//! [`FAULT_IST`] so their report can still be printed.

use core::mem::size_of;

/// Selector of the 64-bit kernel code segment.
pub const KERNEL_CODE_SELECTOR: u16 = 0x08;
/// Selector of the kernel data segment.
pub const KERNEL_DATA_SELECTOR: u16 = 0x10;
/// Selector of the TSS.
pub const TSS_SELECTOR: u16 = 0x18;
/// IST slot (1-based, as the IDT encodes it) used by the fatal-fault handlers.
pub const FAULT_IST: u8 = 1;

/// The 64-bit task-state segment (Intel SDM vol. 3 §8.7).
#[repr(C, packed(4))]
#[derive(Clone, Copy, Debug, Default)]
pub struct TaskStateSegment {
    reserved0: u32,
    /// Stack pointers for privilege levels 0–2 (unused: everything runs at CPL 0).
    pub privilege_stack: [u64; 3],
    reserved1: u64,
    /// Interrupt stack table: `interrupt_stack[n - 1]` is IST slot `n`.
    pub interrupt_stack: [u64; 7],
    reserved2: u64,
    reserved3: u16,
    /// Offset of the I/O permission bitmap; past the limit means "none".
    pub iomap_base: u16,
}

const _: () = assert!(size_of::<TaskStateSegment>() == 104);

impl TaskStateSegment {
    /// A TSS whose IST slot [`FAULT_IST`] points at `fault_stack_top`.
    pub const fn new(fault_stack_top: u64) -> Self {
        let mut interrupt_stack = [0; 7];
        interrupt_stack[FAULT_IST as usize - 1] = fault_stack_top;
        Self {
            reserved0: 0,
            privilege_stack: [0; 3],
            reserved1: 0,
            interrupt_stack,
            reserved2: 0,
            reserved3: 0,
            iomap_base: size_of::<Self>() as u16,
        }
    }
}

/// The GDT: null, code, data and the two halves of the TSS descriptor.
#[repr(C, align(16))]
#[derive(Clone, Copy, Debug)]
pub struct GlobalDescriptorTable {
    entries: [u64; 5],
}

impl GlobalDescriptorTable {
    /// Flat 64-bit code (L=1, P=1, DPL 0, execute/read) and data (P=1, write) segments.
    const CODE64: u64 = 0x00af_9a00_0000_ffff;
    const DATA: u64 = 0x00cf_9200_0000_ffff;

    /// A GDT whose TSS descriptor points at a TSS at linear address `tss`.
    pub const fn new(tss: u64) -> Self {
        let limit = (size_of::<TaskStateSegment>() - 1) as u64;
        // Available 64-bit TSS (type 0x9), present.
        let low = (limit & 0xffff)
            | ((tss & 0xff_ffff) << 16)
            | (0x89 << 40)
            | (((limit >> 16) & 0xf) << 48)
            | (((tss >> 24) & 0xff) << 56);
        let high = tss >> 32;
        Self {
            entries: [0, Self::CODE64, Self::DATA, low, high],
        }
    }

    /// The raw descriptors (for tests and debugging).
    pub const fn entries(&self) -> &[u64; 5] {
        &self.entries
    }

    /// Loads this GDT, reloads every segment register and loads the task register.
    ///
    /// # Safety
    /// `self` must live forever at this address (the CPU keeps using it), and the TSS the
    /// descriptor points at must live forever too.
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
        // SAFETY: the table is 'static and well-formed; the far return reloads CS with the
        // code selector of the new table; data segments get the data selector; LTR marks the
        // TSS busy, which is why it must not be loaded twice.
        unsafe {
            core::arch::asm!(
                "lgdt [{ptr}]",
                "push {code}",
                "lea {tmp}, [rip + 2f]",
                "push {tmp}",
                "retfq",
                "2:",
                "mov ds, {data:e}",
                "mov es, {data:e}",
                "mov ss, {data:e}",
                "xor {tmp:e}, {tmp:e}",
                "mov fs, {tmp:e}",
                "mov gs, {tmp:e}",
                "ltr {tss:x}",
                ptr = in(reg) &pointer,
                code = in(reg) u64::from(KERNEL_CODE_SELECTOR),
                data = in(reg) u32::from(KERNEL_DATA_SELECTOR),
                tss = in(reg) TSS_SELECTOR,
                tmp = out(reg) _,
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tss_descriptor_encodes_base_and_limit() {
        let gdt = GlobalDescriptorTable::new(0x1234_5678_9abc_def0);
        let [_, code, data, low, high] = *gdt.entries();
        assert_eq!(code >> 40 & 0xff, 0x9a);
        assert_eq!(data >> 40 & 0xff, 0x92);
        assert_eq!(low & 0xffff, 103);
        assert_eq!(low >> 16 & 0xff_ffff, 0xbc_def0);
        assert_eq!(low >> 40 & 0xff, 0x89);
        assert_eq!(low >> 56, 0x9a);
        assert_eq!(high, 0x1234_5678);
    }

    #[test]
    fn ist_slot_one_is_set() {
        let tss = TaskStateSegment::new(0xdead_b000);
        let ist = tss.interrupt_stack;
        assert_eq!(ist[0], 0xdead_b000);
        assert!(ist[1..].iter().all(|&s| s == 0));
    }
}
