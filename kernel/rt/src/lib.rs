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
//! The parsing and arithmetic modules (`boot`, `cmdline`, `memory`, `acpi`, `clock`) are plain
//! Rust tested on the host; the rest only builds for `target_os = "none"`.
#![cfg_attr(target_os = "none", no_std)]

#[cfg(target_os = "none")]
extern crate alloc;

pub mod acpi;
pub mod boot;
pub mod clock;
pub mod cmdline;
pub mod memory;
pub mod rtc;
pub mod time;

#[cfg(target_os = "none")]
pub mod console;
#[cfg(target_os = "none")]
mod critical;
#[cfg(target_os = "none")]
pub mod debug;
#[cfg(target_os = "none")]
mod heap;
#[cfg(target_os = "none")]
pub mod idle;
#[cfg(target_os = "none")]
pub mod interrupts;
#[cfg(target_os = "none")]
pub mod lapic;
#[cfg(target_os = "none")]
mod logger;
#[cfg(target_os = "none")]
pub mod net;
#[cfg(target_os = "none")]
pub mod paging;
#[cfg(target_os = "none")]
mod pit;
#[cfg(target_os = "none")]
pub mod platform;
#[cfg(target_os = "none")]
mod power_button;
pub mod random;
#[cfg(target_os = "none")]
mod serial;
#[cfg(target_os = "none")]
pub mod shutdown;
#[cfg(target_os = "none")]
mod start;
#[cfg(target_os = "none")]
mod virtio;
#[cfg(target_os = "none")]
pub mod xen;

pub use cmdline::Cmdline;

#[cfg(target_os = "none")]
pub use platform::Platform;

/// What the runtime hands the app.
#[cfg(target_os = "none")]
#[derive(Debug)]
pub struct Boot {
    /// The platform detected at boot.
    pub platform: Platform,
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
static BOOT: spin::Once<Boot> = spin::Once::new();

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
