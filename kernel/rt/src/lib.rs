//! The Xenolith runtime: boot sequence, memory map and heap, console and log, clock, faults,
//! shutdown, and the entry point apps use.
//!
//! An app is a `#![no_std] #![no_main]` binary that names its main function with
//! [`entry!`]; the runtime does everything before and after it:
//!
//! ```ignore
//! #![no_std]
//! #![no_main]
//! xenolith_rt::entry!(main);
//! fn main(boot: &'static xenolith_rt::Boot) -> Result<(), &'static str> {
//!     log::info!("command line: {}", boot.cmdline().as_str());
//!     Ok(()) // powers the guest off
//! }
//! ```
//!
//! Layout: the parsing and arithmetic modules (`boot`, `cmdline`, `memory`, `acpi`, `clock`,
//! `rtc`, `random`, `time`'s formatting) are plain Rust tested on the host; the runtime proper
//! (`start`, `console`, `interrupts`, `paging`, `heap`, `shutdown`, `logger`) and the machine
//! only build for `target_os = "none"`. The `machine` is chosen once at boot:
//! `xen/` is everything Xen's, `pc/` everything the PC's.
//!
//! Unsafe code is denied crate-wide; the modules that touch hardware, page tables or memory
//! shared with another domain allow it, each marked where it is declared below.
#![cfg_attr(target_os = "none", no_std)]
#![deny(unsafe_code)]

#[cfg(target_os = "none")]
extern crate alloc;

pub mod acpi;
pub mod boot;
pub mod clock;
pub mod cmdline;
pub mod exit;
pub mod memory;
#[cfg(any(target_os = "none", test))]
#[allow(unsafe_code)] // the write-once cell for boot-time values
mod once;
#[allow(unsafe_code)] // RDRAND
pub mod random;
pub mod rtc;
pub mod time;

#[cfg(target_os = "none")]
#[allow(unsafe_code)] // the serial and debug ports; the emergency unlock on the fatal path
pub mod console;
#[cfg(target_os = "none")]
#[allow(unsafe_code)] // interrupts off and on around a critical section
mod critical;
#[cfg(target_os = "none")]
#[allow(unsafe_code)] // deliberate faults
pub mod debug;
#[cfg(target_os = "none")]
#[allow(unsafe_code)] // handing free RAM to the allocator
mod heap;
#[cfg(target_os = "none")]
#[allow(unsafe_code)] // loading the GDT/IDT; calling registered hooks
pub mod interrupts;
#[cfg(target_os = "none")]
mod logger;
#[cfg(target_os = "none")]
pub mod machine;
#[cfg(target_os = "none")]
pub mod net;
#[cfg(target_os = "none")]
#[allow(unsafe_code)] // page tables
pub mod paging;
#[cfg(target_os = "none")]
pub mod pc;
#[cfg(target_os = "none")]
#[allow(unsafe_code)] // ACPI sleep registers, the reset and debug-exit ports
pub mod shutdown;
#[cfg(target_os = "none")]
#[allow(unsafe_code)] // the boot sequence: firmware memory, page-table frames, modules
mod start;
#[cfg(target_os = "none")]
pub mod xen;

pub use cmdline::Cmdline;

#[cfg(target_os = "none")]
pub use machine::Machine;

/// What the runtime hands the app.
#[cfg(target_os = "none")]
#[derive(Debug)]
pub struct Boot {
    /// The machine, chosen and brought up at boot: hand it to the executor, open the NIC with
    /// it, wait for shutdown requests on it.
    pub machine: &'static Machine,
    cmdline: heapless::String<{ boot::MAX_CMDLINE }>,
    /// Boot modules (`-initrd` under QEMU, `ramdisk=` in xl).
    pub modules: alloc::vec::Vec<Module>,
    /// Bytes of RAM in the memory map.
    pub ram_bytes: u64,
    /// Bytes handed to the heap.
    pub heap_bytes: u64,
    /// The memory map.
    pub regions: heapless::Vec<boot::Region, { boot::MAX_REGIONS }>,
}

#[cfg(target_os = "none")]
impl Boot {
    /// The command line.
    pub fn cmdline(&self) -> Cmdline<'_> {
        Cmdline::new(&self.cmdline)
    }
}

#[cfg(target_os = "none")]
static BOOT: once::Once<Boot> = once::Once::new();

/// A boot module: its name (module command line) and bytes (mapped read-only).
#[derive(Debug)]
pub struct Module {
    /// The module's command line, often empty.
    pub name: heapless::String<{ boot::MAX_MODULE_NAME }>,
    /// The module's contents.
    pub data: &'static [u8],
}

/// How the app ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Exit {
    /// Power off cleanly.
    Success,
    /// End as failed (the error was logged).
    Failure,
}

impl Exit {
    /// Turns an app's result into an [`Exit`], logging the error.
    pub fn from_result<E: core::fmt::Display>(result: Result<(), E>) -> Exit {
        match result {
            Ok(()) => Exit::Success,
            Err(error) => {
                log::error!("{error}");
                Exit::Failure
            }
        }
    }
}

/// Declares the app's main function: `fn(&'static Boot) -> Result<(), impl Display>`.
#[macro_export]
macro_rules! entry {
    ($main:path) => {
        #[unsafe(no_mangle)]
        fn __xenolith_app_main(boot: &'static $crate::Boot) -> $crate::Exit {
            $crate::Exit::from_result($main(boot))
        }
    };
}
