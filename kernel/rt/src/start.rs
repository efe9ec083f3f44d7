//! The boot sequence, from the arch entry stub to the application and back.
//!
//! 1. time zero, the machine's kind (CPUID), early console, GDT/TSS/IDT — faults print from here;
//! 2. the checked `hvm_start_info` parse: command line, modules, memory map copied out;
//! 3. (PC) legacy PICs masked, TSC calibrated against the PIT, ACPI located (`pc::machine::early`);
//! 4. W^X page tables built from the memory map and the image layout, CR3 switched;
//! 5. the heap claims all remaining free RAM; the logger starts;
//! 6. the machine is brought up once (Xen or PC) and kept (`machine`);
//! 7. the app's `main` runs with it; its return powers the guest off, its error fails it.

use crate::boot::{self, BootData, BootError, PhysicalMemory, Region};
use crate::machine::{Kind, Machine};
use crate::memory::{Image, Mapping, RangeSet, mapping_plan};
use crate::shutdown::{self, Failure};
use crate::{Boot, Module, console, heap, interrupts, logger, println};
use core::ops::Range;
use heapless::Vec;
use xenolith_arch::PAGE_SIZE;
use xenolith_arch::paging::{Access, AddressSpace, FrameMemory};

/// Reads physical memory through the identity map.
struct IdentityMemory;

impl PhysicalMemory for IdentityMemory {
    fn read(&self, address: u64, buffer: &mut [u8]) -> Result<(), BootError> {
        if address
            .checked_add(buffer.len() as u64)
            .is_none_or(|end| end > boot::BOOT_MAPPED_LIMIT)
        {
            return Err(BootError::OutOfReach {
                what: boot::LoaderData::FirmwareData,
                address,
            });
        }
        for (i, byte) in buffer.iter_mut().enumerate() {
            // SAFETY: the boot stub identity-maps all of [0, 4 GiB), checked above; reading
            // loader or firmware memory has no side effects.
            *byte = unsafe { ((address + i as u64) as *const u8).read_volatile() };
        }
        Ok(())
    }
}

/// Page-table frames taken from free RAM below 4 GiB (reachable through the boot map).
struct BootFrames<'a> {
    free: &'a mut RangeSet,
    used: u64,
}

impl FrameMemory for BootFrames<'_> {
    fn allocate_frame(&mut self) -> Option<u64> {
        let frame = self.free.take_pages(1, boot::BOOT_MAPPED_LIMIT)?.start;
        // SAFETY: the frame was free RAM (removed from the set, so nothing else gets it) and is
        // identity-mapped by the boot tables.
        unsafe { core::ptr::write_bytes(frame as *mut u8, 0, PAGE_SIZE as usize) };
        self.used += 1;
        Some(frame)
    }
    fn read(&self, entry: u64) -> u64 {
        // SAFETY: `entry` lies in a frame this allocator handed out (aligned, mapped).
        unsafe { (entry as *const u64).read_volatile() }
    }
    fn write(&mut self, entry: u64, value: u64) {
        // SAFETY: as for `read`; the frames are not yet (or, for tables in use, consistently)
        // walked by the MMU.
        unsafe { (entry as *mut u64).write_volatile(value) }
    }
}

unsafe extern "Rust" {
    /// Defined by the application through `xenolith_rt::entry!`.
    safe fn __xenolith_app_main(boot: &'static Boot) -> crate::Exit;
}

fn boot_failure(what: &str, error: &dyn core::fmt::Display) -> ! {
    println!("FATAL: {what}: {error}");
    shutdown::fail(Failure::Boot)
}

/// Called by `pvh_start32` in long mode on the boot stack.
#[unsafe(no_mangle)]
extern "C" fn xenolith_start64(start_info: u64) -> ! {
    crate::clock::mark_boot(xenolith_arch::cpu::rdtsc());
    let kind = Kind::detect();
    if kind.is_xen() || !console::init_early(console::Early::Serial) {
        console::init_early(console::Early::DebugPort);
    }
    interrupts::init();
    println!("Xenolith {} on {}", env!("CARGO_PKG_VERSION"), kind);

    let data = boot::parse(&IdentityMemory, start_info)
        .unwrap_or_else(|e| boot_failure("unusable PVH boot handoff", &e));
    let cmdline = crate::Cmdline::new(&data.cmdline);
    let level = match cmdline.get("loglevel") {
        None => log::LevelFilter::Info,
        Some(text) => logger::parse_level(text).unwrap_or_else(|| {
            boot_failure(
                "bad command line",
                &format_args!("loglevel={text}: expected off, error, warn, info, debug or trace"),
            )
        }),
    };

    // The PC needs some answers before the heap (a memory-mapped ACPI register to map).
    let pc = (!kind.is_xen()).then(|| crate::pc::machine::early(&IdentityMemory, data.rsdp));
    let mut device_pages: Vec<u64, 2> = Vec::new();
    if let Some(page) = pc.and_then(|pc| pc.device_page) {
        let _ = device_pages.push(page);
    }

    let modules: Vec<Range<u64>, { boot::MAX_MODULES }> = data
        .modules
        .iter()
        .map(|m| m.start..m.start + m.size)
        .collect();
    let mut free = RangeSet::usable_ram(&data.regions);
    let layout = xenolith_arch::image_layout();
    free.remove(layout.image.clone());
    for m in &modules {
        free.remove(
            crate::memory::align_down(m.start, PAGE_SIZE)
                ..crate::memory::align_up(m.end, PAGE_SIZE),
        );
    }
    let table_frames = switch_page_tables(&data, &mut free, &modules, &device_pages);

    let mut heap_bytes = 0;
    for range in free.ranges() {
        // SAFETY: free RAM: usable per the memory map, outside the image, the modules and the
        // page tables, mapped read-write by the tables just loaded, handed out once.
        heap_bytes += unsafe { heap::claim(range.start, range.end) };
    }
    logger::init(level);
    let machine = match (kind, pc) {
        (Kind::Xen { base }, _) => match crate::xen::domain::Xen::bring_up(base) {
            Ok(xen) => {
                let (major, minor) = xen.version();
                log::info!("Xen {major}.{minor}: shared_info, event channels and timer up");
                Machine::install_xen(kind, xen)
            }
            Err(e) => boot_failure("Xen platform", &e),
        },
        (_, Some(early)) => Machine::install_pc(kind, crate::pc::machine::Pc::bring_up(early)),
        (_, None) => boot_failure("machine", &"no bring-up for this machine"),
    };
    if data.cmdline_truncated {
        log::warn!(
            "command line longer than {} bytes was truncated",
            boot::MAX_CMDLINE
        );
    }
    log::debug!(
        "page tables: {} frames; TSC {} MHz; image {:#x}..{:#x}",
        table_frames,
        crate::clock::tsc_frequency() / 1_000_000,
        layout.image.start,
        layout.image.end
    );

    let boot = crate::BOOT.call_once(|| make_boot(machine, &data, heap_bytes));
    match __xenolith_app_main(boot) {
        crate::Exit::Success => {
            log::info!("app finished; powering off");
            shutdown::power_off()
        }
        crate::Exit::Failure => shutdown::fail(Failure::App),
    }
}

fn switch_page_tables(
    data: &BootData,
    free: &mut RangeSet,
    modules: &[Range<u64>],
    devices: &[u64],
) -> u64 {
    let layout = xenolith_arch::image_layout();
    let image = Image {
        text: layout.text.clone(),
        rodata: layout.rodata.clone(),
        data: layout.data.clone(),
        guard_pages: layout.guard_pages,
    };
    let mut frames = BootFrames { free, used: 0 };
    let mut space =
        AddressSpace::new(&mut frames).unwrap_or_else(|e| boot_failure("page tables", &e));
    for mapping in mapping_plan(&data.regions, &image, modules) {
        let result = match mapping {
            Mapping::Map(range, access) => space.map(range.start, range.end, access),
            Mapping::Unmap(range) => space.unmap(range.start, range.end),
        };
        result.unwrap_or_else(|e| boot_failure("page tables", &e));
    }
    for &page in devices {
        space
            .map(page, page + PAGE_SIZE, Access::Device)
            .unwrap_or_else(|e| boot_failure("page tables", &e));
    }
    let root = space.root();
    // SAFETY: the new tables map the image (text executable, stacks writable), all RAM and the
    // firmware areas at their identity addresses, so everything in use stays reachable.
    unsafe { xenolith_arch::cpu::write_cr3(root) };
    frames.used
}

fn make_boot(machine: &'static Machine, data: &BootData, heap_bytes: u64) -> Boot {
    let modules = data
        .modules
        .iter()
        .map(|m| Module {
            name: m.name.clone(),
            // SAFETY: the module's pages are mapped read-only, kept out of the heap and never
            // written, so a shared 'static slice over them is sound.
            data: unsafe { core::slice::from_raw_parts(m.start as *const u8, m.size as usize) },
        })
        .collect();
    let ram = data
        .regions
        .iter()
        .filter(|r| r.kind == boot::RegionKind::Ram)
        .map(|r| r.end - r.start)
        .sum();
    let regions: Vec<Region, { boot::MAX_REGIONS }> = data.regions.clone();
    Boot {
        machine,
        cmdline: data.cmdline.clone(),
        modules,
        ram_bytes: ram,
        heap_bytes,
        regions,
    }
}

#[panic_handler]
fn panic(info: &core::panic::PanicInfo<'_>) -> ! {
    let location = info.location().map(|l| (l.file(), l.line(), l.column()));
    console::write_fmt_emergency(format_args!("\nFATAL: panic: {}\n", info.message()));
    if let Some((file, line, column)) = location {
        console::write_fmt_emergency(format_args!("  at {file}:{line}:{column}\n"));
    }
    shutdown::fail(Failure::Panic)
}
