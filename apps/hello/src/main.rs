//! `hello`: the boot report, a heap exercise, and deliberate faults for testing.
//!
//! Prints the platform, the memory map, the heap size, the command line and the boot modules,
//! exercises the heap, and returns, which powers the guest off. With `fault=write-text`,
//! `fault=null-read`, `fault=stack-overflow` or `fault=panic` on the command line it fails on
//! purpose instead, so the failure paths can be tested.
#![no_std]
#![no_main]
#![forbid(unsafe_code)]

extern crate alloc;

use alloc::boxed::Box;
use alloc::vec::Vec;
use core::fmt;
use xenolith_rt::boot::RegionKind;
use xenolith_rt::debug::Fault;
use xenolith_rt::shutdown::Request;
use xenolith_rt::{Boot, Machine, println};

xenolith_rt::entry!(main);

/// Why hello failed.
#[derive(Debug)]
enum Error {
    /// The command line asked for something hello does not know.
    BadArgument(&'static str, heapless::String<64>),
    /// A deliberate fault did not fault.
    FaultDidNotHappen(Fault),
    /// The heap returned memory that did not keep what was written.
    HeapCorrupt,
}

fn truncated(text: &str) -> heapless::String<64> {
    let mut value = heapless::String::new();
    for c in text.chars().take(60) {
        let _ = value.push(c);
    }
    value
}

/// Domain id and name (Xen), the wallclock, and a 100 ms sleep measured by the platform clock
/// (Xen: the pvclock; elsewhere the calibrated TSC).
fn report_platform(machine: &Machine) {
    match machine.xen_domain() {
        Some(Ok((domid, name))) => println!("hello: xen domain id {domid}, name \"{name}\""),
        Some(Err(e)) => println!("hello: xenstore: {e}"),
        None => {}
    }
    match xenolith_rt::time::wallclock() {
        Some(now) => println!(
            "hello: wallclock: {}",
            xenolith_rt::time::Utc(now.as_secs())
        ),
        None => println!("hello: wallclock: unavailable"),
    }
    let before = xenolith_rt::time::now();
    xenolith_rt::time::sleep(core::time::Duration::from_millis(100));
    let slept = xenolith_rt::time::now() - before;
    let clock = machine.clock_name();
    println!(
        "hello: slept 100 ms: {} us by the {clock}",
        slept.as_micros() as u64
    );
}

/// Waits for `xl shutdown` / `xl reboot` on Xen, the ACPI power button elsewhere, and does what
/// it asks.
fn wait_for_shutdown_request(machine: &Machine) -> Result<(), Error> {
    println!("hello: waiting for a shutdown request (xl shutdown / xl reboot, ACPI power button)");
    match machine.wait_for_request() {
        Request::PowerOff => {
            println!("hello: powering off as requested");
            Ok(())
        }
        Request::Reboot => {
            println!("hello: rebooting as requested");
            xenolith_rt::shutdown::reboot()
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::BadArgument(key, value) => write!(
                f,
                "{key}={value} is not understood: hello takes fault=write-text|null-read|stack-overflow|panic and wait=shutdown"
            ),
            Error::FaultDidNotHappen(fault) => {
                write!(f, "the deliberate fault {fault:?} did not happen")
            }
            Error::HeapCorrupt => {
                write!(f, "heap check failed: memory did not keep what was written")
            }
        }
    }
}

fn main(boot: &'static Boot) -> Result<(), Error> {
    let cmdline = boot.cmdline();
    // Validate the whole command line before doing anything.
    let wait_for_shutdown = match cmdline.get("wait") {
        None => false,
        Some("shutdown") => true,
        Some(other) => return Err(Error::BadArgument("wait", truncated(other))),
    };
    let fault = match cmdline.get("fault") {
        None => None,
        Some("write-text") => Some(Fault::WriteText),
        Some("null-read") => Some(Fault::NullRead),
        Some("stack-overflow") => Some(Fault::StackOverflow),
        Some("panic") => Some(Fault::Panic),
        Some(other) => return Err(Error::BadArgument("fault", truncated(other))),
    };

    println!("hello: platform: {}", boot.machine);
    println!("hello: command line: \"{}\"", cmdline.as_str());
    println!(
        "hello: memory map ({} regions, {} MiB RAM):",
        boot.regions.len(),
        boot.ram_bytes >> 20
    );
    for region in &boot.regions {
        let kind = match region.kind {
            RegionKind::Ram => "RAM",
            RegionKind::Acpi => "ACPI",
            RegionKind::Reserved(_) => "reserved",
        };
        println!(
            "hello:   {:#012x}-{:#012x} {:>8} KiB {}",
            region.start,
            region.end,
            (region.end - region.start) >> 10,
            kind
        );
    }
    println!(
        "hello: heap: {} KiB ({} MiB)",
        boot.heap_bytes >> 10,
        boot.heap_bytes >> 20
    );
    println!("hello: boot modules: {}", boot.modules.len());
    for (i, module) in boot.modules.iter().enumerate() {
        let name = if module.name.is_empty() {
            "(unnamed)"
        } else {
            module.name.as_str()
        };
        println!("hello:   module {i}: {name}, {} bytes", module.data.len());
    }

    exercise_heap(boot.heap_bytes)?;
    report_platform(boot.machine);

    if wait_for_shutdown {
        return wait_for_shutdown_request(boot.machine);
    }
    if let Some(fault) = fault {
        println!("hello: triggering {fault:?} on purpose");
        if fault == Fault::Panic {
            panic!("deliberate panic requested on the command line (fault=panic)");
        }
        xenolith_rt::debug::trigger(fault);
        return Err(Error::FaultDidNotHappen(fault));
    }
    println!("hello: done");
    Ok(())
}

/// Many small allocations and one of a quarter of the heap, each written and read back.
fn exercise_heap(heap_bytes: u64) -> Result<(), Error> {
    let boxes: Vec<Box<[u64; 8]>> = (0..1000u64).map(|i| Box::new([i; 8])).collect();
    if boxes
        .iter()
        .enumerate()
        .any(|(i, b)| b.iter().any(|&v| v != i as u64))
    {
        return Err(Error::HeapCorrupt);
    }
    drop(boxes);
    let big_len = usize::try_from(heap_bytes / 4).unwrap_or(usize::MAX) & !7;
    let mut big: Vec<u8> = Vec::with_capacity(big_len);
    big.extend((0..big_len).map(|i| (i % 251) as u8));
    let ok = big
        .iter()
        .enumerate()
        .step_by(4093)
        .all(|(i, &v)| v == (i % 251) as u8);
    if !ok {
        return Err(Error::HeapCorrupt);
    }
    println!(
        "hello: heap check passed (1000 small allocations, one of {} KiB)",
        big_len >> 10
    );
    Ok(())
}
