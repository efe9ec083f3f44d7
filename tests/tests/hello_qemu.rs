//! The hello image under QEMU: boot report, memory sizing, modules, and every failure path.

use xenolith_tests::{Qemu, image, status, temp_dir};

fn hello() -> Qemu {
    Qemu::new(image("hello"))
}

fn heap_kib(console: &str) -> u64 {
    let line = console
        .lines()
        .find_map(|l| l.strip_prefix("hello: heap: "))
        .expect("heap line");
    line.split_whitespace().next().unwrap().parse().unwrap()
}

#[test]
fn q35_boot_report_and_clean_power_off() {
    let run = hello().append("console=hvc0 motd=\"two words\"").run();
    run.assert_status(status::SUCCESS)
        .assert_console("Xenolith ")
        .assert_console("hello: platform: not Xen")
        .assert_console("hello: command line: \"console=hvc0 motd=\"two words\"\"")
        .assert_console("hello: memory map (")
        .assert_console(" RAM\n")
        .assert_console("hello: boot modules: 0")
        .assert_console("hello: heap check passed")
        .assert_console("hello: done");
}

#[test]
fn microvm_and_pc_boot_too() {
    for machine in ["microvm", "pc"] {
        let run = hello().machine(machine).run();
        run.assert_status(status::SUCCESS)
            .assert_console("hello: done");
    }
}

#[test]
fn the_readme_command_works() {
    // The exact command of the README (issue 2), plus the exit device it documents.
    let kernel = image("hello");
    let out = std::process::Command::new("qemu-system-x86_64")
        .args(["-accel", "tcg", "-M", "q35", "-m", "64", "-kernel"])
        .arg(&kernel)
        .args(["-display", "none", "-serial", "stdio", "-no-reboot"])
        .args(["-device", "isa-debug-exit,iobase=0xf4,iosize=0x04"])
        .output()
        .expect("run qemu");
    let console = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{console}");
    assert!(console.contains("hello: done"), "{console}");
}

#[test]
fn heap_follows_guest_memory() {
    let small = hello().memory(32).run();
    small.assert_status(status::SUCCESS);
    let large = hello().memory(512).run();
    large.assert_status(status::SUCCESS);
    let (small, large) = (heap_kib(&small.console), heap_kib(&large.console));
    assert!(
        (26 * 1024..32 * 1024).contains(&small),
        "heap with -m 32: {small} KiB"
    );
    assert!(
        (490 * 1024..512 * 1024).contains(&large),
        "heap with -m 512: {large} KiB"
    );
}

#[test]
fn boot_module_is_listed_with_its_size() {
    let dir = temp_dir("module");
    let module = dir.join("zone.bin");
    let bytes: Vec<u8> = (0..12345u32).map(|i| (i * 7) as u8).collect();
    std::fs::write(&module, &bytes).unwrap();
    let run = hello().initrd(&module).run();
    run.assert_status(status::SUCCESS)
        .assert_console("hello: boot modules: 1")
        .assert_console("bytes");
    let line = run.line_after("hello:   module 0: ").expect("module line");
    assert!(line.ends_with("12345 bytes"), "{line}");
}

#[test]
fn write_to_text_is_a_protection_fault() {
    let run = hello().append("fault=write-text").run();
    run.assert_status(status::EXCEPTION)
        .assert_console("FATAL: CPU exception #PF page fault (vector 14), error code 0x3")
        .assert_console("protection violation on a present page, write")
        .assert_console("write to kernel code");
}

#[test]
fn null_read_faults_at_cr2_zero() {
    let run = hello().append("fault=null-read").run();
    run.assert_status(status::EXCEPTION)
        .assert_console("FATAL: CPU exception #PF page fault (vector 14), error code 0x0")
        .assert_console("page fault at cr2=0x0000000000000000: page not present, read")
        .assert_console("null pointer dereference");
}

#[test]
fn stack_overflow_hits_the_guard_page() {
    let run = hello().append("fault=stack-overflow").run();
    run.assert_status(status::EXCEPTION)
        .assert_console("stack overflow (the access hit a stack guard page)");
}

#[test]
fn panic_prints_message_and_location() {
    let run = hello().append("fault=panic").run();
    run.assert_status(status::PANIC)
        .assert_console(
            "FATAL: panic: deliberate panic requested on the command line (fault=panic)",
        )
        .assert_console("at apps/hello/src/main.rs:");
}

#[test]
fn bad_arguments_are_refused_clearly() {
    let run = hello().append("fault=sideways").run();
    run.assert_status(status::APP)
        .assert_console("fault=sideways is not understood");
    let run = hello().append("loglevel=loud").run();
    run.assert_status(status::BOOT)
        .assert_console("loglevel=loud: expected off, error, warn, info, debug or trace");
}

#[test]
fn a_two_mib_guest_still_boots() {
    // No fixed heap arena: the heap is whatever RAM is left after the image.
    let run = hello().memory(2).run();
    run.assert_status(status::SUCCESS)
        .assert_console("hello: heap check passed");
    assert!(heap_kib(&run.console) < 1024, "{}", run.console);
}
