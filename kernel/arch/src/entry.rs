//! The PVH entry point and the image layout the linker script defines.
//!
//! `pvh_start32` is entered in 32-bit protected mode, paging off, interrupts off, flat
//! segments, `ebx` = physical address of `hvm_start_info` (`docs/misc/pvh.pandoc`). It builds
//! boot page tables that identity-map the first 4 GiB with 2 MiB pages (read/write/execute: the
//! runtime replaces them with W^X tables as its first real work), enables PAE, long mode, NX and
//! CR0.WP (so the kernel itself cannot write read-only pages), and calls
//! `xenolith_start64(start_info_paddr)`, which the runtime defines, on the boot stack.
//!
//! The ELF note `XEN_ELFNOTE_PHYS32_ENTRY` (type 18, `xen/include/public/elfnote.h`) publishes the
//! entry. QEMU 7.2 only accepts it in a `PT_NOTE` program header with `p_align` 4 and an 8-byte
//! descriptor, which `link.ld` and the `.quad` below provide.

use core::ops::Range;

/// Bytes of the boot (main) stack.
pub const BOOT_STACK_SIZE: u64 = 256 * 1024;
/// Bytes of the fault stack (IST 1).
pub const FAULT_STACK_SIZE: u64 = 16 * 1024;

core::arch::global_asm!(
    r#"
    .section .note.Xen, "a"
    .p2align 2
    .long 4                 /* namesz: "Xen\0" */
    .long 8                 /* descsz */
    .long 18                /* XEN_ELFNOTE_PHYS32_ENTRY */
    .asciz "Xen"
    .p2align 2
    .quad pvh_start32

    .section .boot_bss, "aw", @nobits
    .p2align 12
    boot_pml4:  .skip 4096
    boot_pdpt:  .skip 4096
    boot_pd:    .skip 4 * 4096
    .global xenolith_boot_stack_guard, xenolith_boot_stack_top
    xenolith_boot_stack_guard: .skip 4096
    .skip {stack_size}
    xenolith_boot_stack_top:
    .global xenolith_fault_stack_guard, xenolith_fault_stack_top
    xenolith_fault_stack_guard: .skip 4096
    .skip {fault_stack_size}
    xenolith_fault_stack_top:

    .section .rodata.boot, "a"
    .p2align 3
    boot_gdt:
    .quad 0
    .quad 0x00af9a000000ffff    /* 0x08: 64-bit code */
    .quad 0x00cf92000000ffff    /* 0x10: data */
    boot_gdt_pointer:
    .word boot_gdt_pointer - boot_gdt - 1
    .long boot_gdt

    .section .text.boot32, "ax"
    .code32
    .global pvh_start32
    pvh_start32:
    cli
    cld
    mov %ebx, %edi                  /* hvm_start_info: first argument of xenolith_start64 */
    mov $xenolith_boot_stack_top, %esp

    /* PML4[0] -> PDPT; PDPT[0..4] -> four page directories. */
    mov $boot_pdpt + 0x3, %eax
    mov %eax, boot_pml4
    mov $boot_pd + 0x3, %eax
    mov %eax, boot_pdpt
    add $0x1000, %eax
    mov %eax, boot_pdpt + 8
    add $0x1000, %eax
    mov %eax, boot_pdpt + 16
    add $0x1000, %eax
    mov %eax, boot_pdpt + 24

    /* 2048 two-MiB pages: present | writable | huge. */
    mov $boot_pd, %ebx
    xor %ecx, %ecx
    1:
    mov %ecx, %eax
    shl $21, %eax
    or $0x83, %eax
    mov %eax, (%ebx, %ecx, 8)
    movl $0, 4(%ebx, %ecx, 8)
    inc %ecx
    cmp $2048, %ecx
    jb 1b

    mov %cr4, %eax
    or $0x20, %eax                  /* CR4.PAE */
    mov %eax, %cr4
    mov $boot_pml4, %eax
    mov %eax, %cr3
    mov $0xc0000080, %ecx           /* IA32_EFER */
    rdmsr
    or $0x900, %eax                 /* LME | NXE */
    wrmsr
    mov %cr0, %eax
    or $0x80010000, %eax            /* PG | WP */
    mov %eax, %cr0
    lgdt boot_gdt_pointer
    ljmp $0x08, $2f

    .code64
    2:
    mov $0x10, %eax
    mov %eax, %ds
    mov %eax, %es
    mov %eax, %ss
    xor %eax, %eax
    mov %eax, %fs
    mov %eax, %gs
    mov $xenolith_boot_stack_top, %rsp
    xor %ebp, %ebp
    call xenolith_start64
    3:
    cli
    hlt
    jmp 3b
    "#,
    stack_size = const BOOT_STACK_SIZE,
    fault_stack_size = const FAULT_STACK_SIZE,
    options(att_syntax)
);

unsafe extern "C" {
    static __image_start: u8;
    static __text_start: u8;
    static __text_end: u8;
    static __rodata_start: u8;
    static __rodata_end: u8;
    static __data_start: u8;
    static __image_end: u8;
    static xenolith_boot_stack_guard: u8;
    static xenolith_boot_stack_top: u8;
    static xenolith_fault_stack_guard: u8;
    static xenolith_fault_stack_top: u8;
}

/// Where the linker put each part of the image (all page-aligned, identity-mapped).
#[derive(Clone, Debug)]
pub struct ImageLayout {
    /// The whole image, loaded sections and bss.
    pub image: Range<u64>,
    /// Code: read + execute.
    pub text: Range<u64>,
    /// Constants and the ELF note: read only.
    pub rodata: Range<u64>,
    /// Data and bss, including the stacks: read + write.
    pub data: Range<u64>,
    /// Guard pages (one below each stack) that must stay unmapped.
    pub guard_pages: [u64; 2],
    /// Top of the fault (IST) stack.
    pub fault_stack_top: u64,
}

fn address(symbol: &u8) -> u64 {
    symbol as *const u8 as u64
}

/// The image layout, from the linker script's symbols.
pub fn image_layout() -> ImageLayout {
    // SAFETY: only the addresses of these linker-defined symbols are taken; they are never read.
    unsafe {
        ImageLayout {
            image: address(&__image_start)..address(&__image_end),
            text: address(&__text_start)..address(&__text_end),
            rodata: address(&__rodata_start)..address(&__rodata_end),
            data: address(&__data_start)..address(&__image_end),
            guard_pages: [
                address(&xenolith_boot_stack_guard),
                address(&xenolith_fault_stack_guard),
            ],
            fault_stack_top: address(&xenolith_fault_stack_top),
        }
    }
}

/// The boot stack (without its guard page).
pub fn boot_stack_range() -> Range<u64> {
    // SAFETY: only the addresses of these symbols are taken.
    unsafe { address(&xenolith_boot_stack_guard) + 4096..address(&xenolith_boot_stack_top) }
}
