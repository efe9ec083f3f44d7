//! The checked PVH boot handoff: `hvm_start_info` → [`BootData`].
//!
//! The loader's structure is validated first (magic, version — as Solo5's
//! `bindings/xen/platform.c` does), then the command line, module list and memory map are copied
//! into fixed-capacity storage before anything (page tables, the heap) can overwrite them. All
//! reads of loader memory go through [`PhysicalMemory`], so this parses byte fixtures in host
//! tests and identity-mapped memory at boot.

use heapless::{String, Vec};
use xenolith_xen::abi::start_info::{
    XEN_HVM_MEMMAP_TYPE_ACPI, XEN_HVM_MEMMAP_TYPE_RAM, XEN_HVM_START_MAGIC_VALUE,
    hvm_memmap_table_entry, hvm_modlist_entry, hvm_start_info,
};

/// Longest command line kept (Xen's own limit for `extra=` is 1024).
pub const MAX_CMDLINE: usize = 1024;
/// Most boot modules kept.
pub const MAX_MODULES: usize = 8;
/// Longest module name (its command line) kept.
pub const MAX_MODULE_NAME: usize = 64;
/// Most memory-map entries kept.
pub const MAX_REGIONS: usize = 64;
/// Highest address the boot stub maps; loader structures must lie below it.
pub const BOOT_MAPPED_LIMIT: u64 = 4 << 30;

/// Reads physical memory during boot.
pub trait PhysicalMemory {
    /// Fills `buffer` from physical address `address`.
    fn read(&self, address: u64, buffer: &mut [u8]) -> Result<(), BootError>;
}

/// What was wrong with the boot handoff.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BootError {
    /// `hvm_start_info.magic` was not `0x336ec578`: not entered through PVH.
    BadMagic(u32),
    /// A loader structure lies outside the memory the boot stub maps.
    OutOfReach {
        /// What was being read.
        what: LoaderData,
        /// Its physical address.
        address: u64,
    },
    /// The loader gave no memory map (start info version 0, or 0 entries).
    NoMemoryMap,
    /// More memory-map entries than [`MAX_REGIONS`].
    TooManyRegions(u32),
    /// More boot modules than [`MAX_MODULES`].
    TooManyModules(u32),
    /// A module's address range overflows or is empty of sense.
    BadModule {
        /// Index of the module.
        index: usize,
    },
}

/// What the boot sequence reads from the loader or the firmware (named in
/// [`BootError::OutOfReach`]). A one-byte name keeps `BootError` at 16 bytes, which a function
/// returns in two registers: less code at every `?` of the boot path than a `&str` (32 bytes).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LoaderData {
    /// `hvm_start_info`.
    StartInfo,
    /// The command line.
    CommandLine,
    /// The module list.
    ModuleList,
    /// A module's command line.
    ModuleCommandLine,
    /// The memory map.
    MemoryMap,
    /// Firmware data (ACPI tables, the EBDA).
    FirmwareData,
}

impl LoaderData {
    /// Its name in messages.
    pub fn name(self) -> &'static str {
        match self {
            LoaderData::StartInfo => "hvm_start_info",
            LoaderData::CommandLine => "command line",
            LoaderData::ModuleList => "module list",
            LoaderData::ModuleCommandLine => "module command line",
            LoaderData::MemoryMap => "memory map",
            LoaderData::FirmwareData => "firmware data",
        }
    }
}

impl core::fmt::Display for BootError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            BootError::BadMagic(m) => write!(
                f,
                "hvm_start_info magic is {m:#x}, not 0x336ec578: boot this image as a PVH kernel (xl type=\"pvh\", or qemu -kernel)"
            ),
            BootError::OutOfReach { what, address } => {
                write!(
                    f,
                    "the loader put the {} at {address:#x}, above the 4 GiB the boot stub maps",
                    what.name()
                )
            }
            BootError::NoMemoryMap => write!(
                f,
                "the loader passed no memory map (hvm_start_info version 0)"
            ),
            BootError::TooManyRegions(n) => write!(
                f,
                "the memory map has {n} entries; at most {MAX_REGIONS} are supported"
            ),
            BootError::TooManyModules(n) => write!(
                f,
                "{n} boot modules were passed; at most {MAX_MODULES} are supported"
            ),
            BootError::BadModule { index } => {
                write!(f, "boot module {} has an invalid address range", *index)
            }
        }
    }
}

pub use crate::memory::{Region, RegionKind};

/// One boot module: where it lies and its name (the module's command line).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ModuleRange {
    /// Physical start.
    pub start: u64,
    /// Size in bytes.
    pub size: u64,
    /// The module's command line (QEMU: empty; xl: empty unless set), truncated.
    pub name: String<MAX_MODULE_NAME>,
}

/// Everything kept from the handoff.
#[derive(Clone, Debug)]
pub struct BootData {
    /// `hvm_start_info` version.
    pub version: u32,
    /// `SIF_*` flags.
    pub flags: u32,
    /// The command line (truncated to [`MAX_CMDLINE`], invalid UTF-8 replaced by `?`).
    pub cmdline: String<MAX_CMDLINE>,
    /// Whether the command line was longer than [`MAX_CMDLINE`].
    pub cmdline_truncated: bool,
    /// Boot modules.
    pub modules: Vec<ModuleRange, MAX_MODULES>,
    /// The memory map, sorted by start address.
    pub regions: Vec<Region, MAX_REGIONS>,
    /// Physical address of the ACPI RSDP, if the loader gave one.
    pub rsdp: Option<u64>,
}

fn read_struct<T: Copy + Default, M: PhysicalMemory>(
    memory: &M,
    address: u64,
    what: LoaderData,
    parse: impl Fn(&[u8]) -> T,
    buffer: &mut [u8],
) -> Result<T, BootError> {
    check_reach(address, buffer.len() as u64, what)?;
    memory.read(address, buffer)?;
    Ok(parse(buffer))
}

fn check_reach(address: u64, len: u64, what: LoaderData) -> Result<(), BootError> {
    match address.checked_add(len) {
        Some(end) if address != 0 && end <= BOOT_MAPPED_LIMIT => Ok(()),
        _ => Err(BootError::OutOfReach { what, address }),
    }
}

/// The little-endian `u32` at `at` (0 past the end, which the fixed-size callers never reach;
/// no panic path in the image).
fn u32_at(b: &[u8], at: usize) -> u32 {
    match b.get(at..at + 4) {
        Some(&[b0, b1, b2, b3]) => u32::from_le_bytes([b0, b1, b2, b3]),
        _ => 0,
    }
}

fn u64_at(b: &[u8], at: usize) -> u64 {
    u64::from(u32_at(b, at)) | u64::from(u32_at(b, at + 4)) << 32
}

fn parse_start_info(b: &[u8]) -> hvm_start_info {
    hvm_start_info {
        magic: u32_at(b, 0),
        version: u32_at(b, 4),
        flags: u32_at(b, 8),
        nr_modules: u32_at(b, 12),
        modlist_paddr: u64_at(b, 16),
        cmdline_paddr: u64_at(b, 24),
        rsdp_paddr: u64_at(b, 32),
        memmap_paddr: u64_at(b, 40),
        memmap_entries: u32_at(b, 48),
        reserved: u32_at(b, 52),
    }
}

/// Reads a NUL-terminated string of at most `N` bytes (stops at the 4 GiB limit).
fn read_c_string<const N: usize, M: PhysicalMemory>(
    memory: &M,
    address: u64,
    what: LoaderData,
) -> Result<(String<N>, bool), BootError> {
    let mut text = String::new();
    let mut chunk = [0u8; 64];
    let mut at = address;
    loop {
        check_reach(at, chunk.len() as u64, what)?;
        memory.read(at, &mut chunk)?;
        for &byte in &chunk {
            if byte == 0 {
                return Ok((text, false));
            }
            let c = if byte.is_ascii() && (byte >= 0x20 || byte == b'\t') {
                byte as char
            } else {
                '?'
            };
            if text.push(c).is_err() {
                return Ok((text, true));
            }
        }
        at += chunk.len() as u64;
    }
}

/// Validates `hvm_start_info` at `address` and copies out what the kernel keeps.
// Out of line: 0.2 KB smaller than inlined into `xenolith_start64`, its one caller.
#[inline(never)]
pub fn parse<M: PhysicalMemory>(memory: &M, address: u64) -> Result<BootData, BootError> {
    let mut buffer = [0u8; 56];
    let info = read_struct(
        memory,
        address,
        LoaderData::StartInfo,
        parse_start_info,
        &mut buffer,
    )?;
    if info.magic != XEN_HVM_START_MAGIC_VALUE {
        return Err(BootError::BadMagic(info.magic));
    }
    let (cmdline, cmdline_truncated) = if info.cmdline_paddr == 0 {
        (String::new(), false)
    } else {
        read_c_string(memory, info.cmdline_paddr, LoaderData::CommandLine)?
    };

    if info.nr_modules as usize > MAX_MODULES {
        return Err(BootError::TooManyModules(info.nr_modules));
    }
    let mut modules = Vec::new();
    for index in 0..info.nr_modules as usize {
        let mut b = [0u8; 32];
        let entry = read_struct(
            memory,
            info.modlist_paddr + 32 * index as u64,
            LoaderData::ModuleList,
            |b| hvm_modlist_entry {
                paddr: u64_at(b, 0),
                size: u64_at(b, 8),
                cmdline_paddr: u64_at(b, 16),
                reserved: u64_at(b, 24),
            },
            &mut b,
        )?;
        if entry
            .paddr
            .checked_add(entry.size)
            .is_none_or(|end| end > BOOT_MAPPED_LIMIT)
        {
            return Err(BootError::BadModule { index });
        }
        let name = if entry.cmdline_paddr == 0 {
            String::new()
        } else {
            read_c_string(memory, entry.cmdline_paddr, LoaderData::ModuleCommandLine)?.0
        };
        // Capacity was checked against MAX_MODULES above.
        let _ = modules.push(ModuleRange {
            start: entry.paddr,
            size: entry.size,
            name,
        });
    }

    if info.version < 1 || info.memmap_entries == 0 {
        return Err(BootError::NoMemoryMap);
    }
    if info.memmap_entries as usize > MAX_REGIONS {
        return Err(BootError::TooManyRegions(info.memmap_entries));
    }
    let mut regions: Vec<Region, MAX_REGIONS> = Vec::new();
    for index in 0..u64::from(info.memmap_entries) {
        let mut b = [0u8; 24];
        let entry = read_struct(
            memory,
            info.memmap_paddr + 24 * index,
            LoaderData::MemoryMap,
            |b| hvm_memmap_table_entry {
                addr: u64_at(b, 0),
                size: u64_at(b, 8),
                r#type: u32_at(b, 16),
                reserved: 0,
            },
            &mut b,
        )?;
        let Some(end) = entry.addr.checked_add(entry.size) else {
            continue;
        };
        if entry.size == 0 {
            continue;
        }
        let kind = match entry.r#type {
            XEN_HVM_MEMMAP_TYPE_RAM => RegionKind::Ram,
            XEN_HVM_MEMMAP_TYPE_ACPI => RegionKind::Acpi,
            other => RegionKind::Reserved(other),
        };
        let _ = regions.push(Region {
            start: entry.addr,
            end,
            kind,
        });
    }
    crate::memory::sort_by_start(&mut regions);

    Ok(BootData {
        version: info.version,
        flags: info.flags,
        cmdline,
        cmdline_truncated,
        modules,
        regions,
        rsdp: (info.rsdp_paddr != 0).then_some(info.rsdp_paddr),
    })
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use std::vec::Vec as StdVec;

    /// Boot and ACPI errors fit two registers (see [`LoaderData`]); the messages name the data.
    #[test]
    fn errors_are_small() {
        assert_eq!(core::mem::size_of::<BootError>(), 16);
        assert_eq!(core::mem::size_of::<crate::acpi::AcpiError>(), 16);
        let error = BootError::OutOfReach {
            what: LoaderData::ModuleCommandLine,
            address: 0x1_2345_6789,
        };
        assert_eq!(
            std::format!("{error}"),
            "the loader put the module command line at 0x123456789, above the 4 GiB the boot \
             stub maps"
        );
        assert_eq!(
            std::format!(
                "{}",
                crate::acpi::AcpiError::BadTable(crate::acpi::Table::Root)
            ),
            "ACPI table RSDT/XSDT is malformed"
        );
    }

    /// Flat fake physical memory starting at address 0.
    pub(crate) struct Flat(pub StdVec<u8>);

    impl PhysicalMemory for Flat {
        fn read(&self, address: u64, buffer: &mut [u8]) -> Result<(), BootError> {
            let start = address as usize;
            for (i, b) in buffer.iter_mut().enumerate() {
                *b = self.0.get(start + i).copied().unwrap_or(0);
            }
            Ok(())
        }
    }

    fn put(mem: &mut [u8], at: usize, bytes: &[u8]) {
        mem[at..at + bytes.len()].copy_from_slice(bytes);
    }

    /// A start info at 0x1000 with a command line, one module and a q35-like memory map.
    pub(crate) fn fixture(magic: u32, version: u32, entries: u32) -> Flat {
        let mut m = std::vec![0u8; 0x4000];
        let mut si = StdVec::new();
        for v in [magic, version, 0, 1] {
            si.extend_from_slice(&v.to_le_bytes());
        }
        for v in [0x2000u64, 0x2100, 0xf5000, 0x3000] {
            si.extend_from_slice(&v.to_le_bytes());
        }
        si.extend_from_slice(&entries.to_le_bytes());
        si.extend_from_slice(&0u32.to_le_bytes());
        put(&mut m, 0x1000, &si);
        let mut module = StdVec::new();
        for v in [0x80_0000u64, 1234, 0x2200, 0] {
            module.extend_from_slice(&v.to_le_bytes());
        }
        put(&mut m, 0x2000, &module);
        put(&mut m, 0x2100, b"fault=panic ip=10.0.0.2/24\0");
        put(&mut m, 0x2200, b"zone.bin\0");
        let map: [(u64, u64, u32); 4] = [
            (0x10_0000, 0x7ee_0000, 1),
            (0, 0x9_fc00, 1),
            (0x9_fc00, 0x400, 2),
            (0xfeff_c000, 0x4000, 2),
        ];
        for (i, (addr, size, ty)) in map.iter().enumerate() {
            let mut e = StdVec::new();
            e.extend_from_slice(&addr.to_le_bytes());
            e.extend_from_slice(&size.to_le_bytes());
            e.extend_from_slice(&ty.to_le_bytes());
            e.extend_from_slice(&0u32.to_le_bytes());
            put(&mut m, 0x3000 + 24 * i, &e);
        }
        Flat(m)
    }

    #[test]
    fn parses_a_q35_handoff() {
        let data = parse(&fixture(XEN_HVM_START_MAGIC_VALUE, 1, 4), 0x1000).unwrap();
        assert_eq!(data.cmdline.as_str(), "fault=panic ip=10.0.0.2/24");
        assert_eq!(data.modules.len(), 1);
        assert_eq!(data.modules[0].start, 0x80_0000);
        assert_eq!(data.modules[0].size, 1234);
        assert_eq!(data.modules[0].name.as_str(), "zone.bin");
        assert_eq!(data.regions.len(), 4);
        assert_eq!(
            data.regions[0],
            Region {
                start: 0,
                end: 0x9_fc00,
                kind: RegionKind::Ram
            }
        );
        assert_eq!(data.regions[1].kind, RegionKind::Reserved(2));
        assert_eq!(data.rsdp, Some(0xf5000));
    }

    #[test]
    fn refuses_bad_magic_and_missing_map() {
        assert_eq!(
            parse(&fixture(0x1234, 1, 4), 0x1000).unwrap_err(),
            BootError::BadMagic(0x1234)
        );
        assert_eq!(
            parse(&fixture(XEN_HVM_START_MAGIC_VALUE, 0, 4), 0x1000).unwrap_err(),
            BootError::NoMemoryMap
        );
        assert_eq!(
            parse(&fixture(XEN_HVM_START_MAGIC_VALUE, 1, 1000), 0x1000).unwrap_err(),
            BootError::TooManyRegions(1000)
        );
        assert!(matches!(
            parse(&fixture(XEN_HVM_START_MAGIC_VALUE, 1, 4), 0),
            Err(BootError::OutOfReach { .. })
        ));
        assert!(matches!(
            parse(&fixture(XEN_HVM_START_MAGIC_VALUE, 1, 4), u64::MAX - 8),
            Err(BootError::OutOfReach { .. })
        ));
    }

    #[test]
    fn long_and_binary_command_lines_are_bounded() {
        let mut mem = fixture(XEN_HVM_START_MAGIC_VALUE, 1, 4);
        mem.0.resize(0x10000, b'x');
        // Point the command line at 0x8000 with no terminator for 32 KiB.
        mem.0[0x1018..0x1020].copy_from_slice(&0x8000u64.to_le_bytes());
        mem.0[0x8000] = 0xff;
        let data = parse(&mem, 0x1000).unwrap();
        assert!(data.cmdline_truncated);
        assert_eq!(data.cmdline.len(), MAX_CMDLINE);
        assert!(data.cmdline.starts_with("?x"));
    }
}
