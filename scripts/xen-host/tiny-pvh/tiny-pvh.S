/*
 * tiny-pvh.S - a minimal Xen PVH guest used by scripts/xen-host/selftest.
 *
 * Xen enters it in 32-bit protected mode, paging off, at the address given
 * by the XEN_ELFNOTE_PHYS32_ENTRY note, with %ebx = physical address of
 * struct hvm_start_info. It
 *   1. writes "XH-PVH: hello cmdline=<guest command line>" to I/O port 0xe9
 *      (Xen logs it as "(dN) ..." because guest_loglvl=all),
 *   2. acts on the first character of the command line (xl "extra="):
 *        'c'  -> SCHEDOP_shutdown(SHUTDOWN_crash)    (xl list state "c")
 *        'h'  -> hang: sti; hlt forever (no interrupt source is set up)
 *        else -> SCHEDOP_shutdown(SHUTDOWN_poweroff)  (gone with on_poweroff=destroy)
 * Hypercalls are made directly with VMMCALL (the emulated CPU is AMD):
 * 32-bit ABI, %eax = hypercall number, %ebx, %ecx = arguments.
 *
 * Build (GNU binutils only, no C preprocessor):
 *        as --32 -o tiny-pvh.o tiny-pvh.S
 *        ld -m elf_i386 -T tiny-pvh.ld --build-id=none -o tiny-pvh tiny-pvh.o
 */
        .equ HYPERVISOR_sched_op, 29
        .equ SCHEDOP_shutdown, 2
        .equ SHUTDOWN_poweroff, 0
        .equ SHUTDOWN_crash, 3
        .equ XEN_ELFNOTE_PHYS32_ENTRY, 18

        .section .note.Xen, "a", @note
        .balign 4
        .long   4                       /* namesz: "Xen\0" */
        .long   4                       /* descsz */
        .long   XEN_ELFNOTE_PHYS32_ENTRY
        .asciz  "Xen"
        .balign 4
        .long   _start
        .balign 4

        .text
        .code32
        .globl  _start
_start:
        cld
        mov     $stack_top, %esp
        mov     %ebx, %ebp              /* struct hvm_start_info * */
        mov     $msg_hello, %esi
        call    puts
        xor     %eax, %eax
        mov     24(%ebp), %esi          /* cmdline_paddr (low 32 bits) */
        test    %esi, %esi
        jz      1f
        push    %esi
        call    puts
        pop     %esi
        movzbl  (%esi), %eax
1:      push    %eax
        mov     $msg_nl, %esi
        call    puts
        pop     %eax
        cmp     $'h', %al
        je      hang
        movl    $SHUTDOWN_poweroff, shutdown_reason
        cmp     $'c', %al
        jne     2f
        movl    $SHUTDOWN_crash, shutdown_reason
2:      mov     $msg_bye, %esi
        call    puts
        mov     $HYPERVISOR_sched_op, %eax
        mov     $SCHEDOP_shutdown, %ebx
        mov     $shutdown_reason, %ecx
        vmmcall
        mov     $msg_fail, %esi         /* not reached */
        call    puts
hang:   sti
        hlt
        jmp     hang

/* write the NUL-terminated string at %esi to port 0xe9 */
puts:   lodsb
        test    %al, %al
        jz      3f
        out     %al, $0xe9
        jmp     puts
3:      ret

        .data
msg_hello:  .asciz "XH-PVH: hello cmdline="
msg_nl:     .asciz "\n"
msg_bye:    .asciz "XH-PVH: shutdown\n"
msg_fail:   .asciz "XH-PVH: shutdown hypercall returned\n"
        .balign 4
shutdown_reason: .long 0

        .bss
        .balign 16
        .skip   4096
stack_top:
