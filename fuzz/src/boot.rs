//! `boot`: the PVH boot handoff as the runtime reads it (kernel/rt `start.rs`):
//! `boot::parse` of `hvm_start_info` with its command line, module list and memory map, the
//! memory map turned into the heap's free ranges and the page-table plan (`memory`), and the
//! ACPI tables (`acpi::find`: RSDP, RSDT/XSDT, FADT, the DSDT's `\_S5_`).
//!
//! Input: physical memory as segments, each `address u32 | length u16 | flags u8 | bytes`;
//! memory no segment covers reads as zeros, later segments win. `hvm_start_info` is at the
//! first segment's address. Flag bit 0 makes the harness fix the segment's ACPI table
//! checksum (octet 9 over the segment), bit 1 its RSDP checksums (octet 8 over 20 octets,
//! octet 32 over 36), so mutations reach the checks behind them.

use std::ops::Range;

use xenolith_rt::acpi;
use xenolith_rt::boot::{self, BootError, PhysicalMemory};
use xenolith_rt::memory::{Image, RangeSet, align_down, align_up, mapping_plan};

use crate::{Encoder, Input};

const PAGE: u64 = 4096;

/// Sparse physical memory: (address, bytes), later ones on top.
#[derive(Debug, Default)]
pub struct Sparse {
    segments: Vec<(u64, Vec<u8>)>,
}

impl PhysicalMemory for Sparse {
    fn read(&self, address: u64, buffer: &mut [u8]) -> Result<(), BootError> {
        buffer.fill(0);
        let end = address.saturating_add(buffer.len() as u64);
        for (start, bytes) in &self.segments {
            let seg_end = start + bytes.len() as u64;
            let (from, to) = (address.max(*start), end.min(seg_end));
            if from < to {
                let (f, t) = ((from - start) as usize, (to - start) as usize);
                let at = (from - address) as usize;
                buffer[at..at + (t - f)].copy_from_slice(&bytes[f..t]);
            }
        }
        Ok(())
    }
}

fn fix_checksum(bytes: &mut [u8], at: usize, len: usize) {
    if bytes.len() > at && bytes.len() >= len {
        bytes[at] = 0;
        let sum = bytes[..len].iter().fold(0u8, |s, &b| s.wrapping_add(b));
        bytes[at] = 0u8.wrapping_sub(sum);
    }
}

/// Decodes an input into memory, and the start info's address.
pub fn memory(data: &[u8]) -> (Sparse, u64) {
    let mut input = Input::new(data);
    let mut memory = Sparse::default();
    while !input.is_empty() {
        let address = u64::from(input.u32());
        let len = usize::from(input.u16());
        let flags = input.u8();
        let mut bytes = input.bytes(len).to_vec();
        if flags & 1 != 0 {
            let len = bytes.len();
            fix_checksum(&mut bytes, 9, len);
        }
        if flags & 2 != 0 {
            fix_checksum(&mut bytes, 8, 20);
            fix_checksum(&mut bytes, 32, 36);
        }
        memory.segments.push((address, bytes));
    }
    let start = memory.segments.first().map_or(0, |s| s.0);
    (memory, start)
}

/// Runs one input.
pub fn run(data: &[u8]) {
    let (memory, start_info) = memory(data);
    let mut rsdp = None;
    if let Ok(boot) = boot::parse(&memory, start_info) {
        rsdp = boot.rsdp;
        let modules: Vec<Range<u64>> = boot
            .modules
            .iter()
            .map(|m| m.start..m.start + m.size)
            .collect();
        let mut free = RangeSet::usable_ram(&boot.regions);
        free.remove(0x10_0000..0x20_0000);
        for m in &modules {
            free.remove(align_down(m.start, PAGE)..align_up(m.end, PAGE));
        }
        let image = Image {
            text: 0x10_0000..0x11_0000,
            rodata: 0x11_0000..0x11_8000,
            data: 0x11_8000..0x12_0000,
            guard_pages: [0x11_f000, 0x12_0000],
        };
        let _ = mapping_plan(&boot.regions, &image, &modules);
        let _ = free.take_pages(8, 1 << 32);
        let _ = free.total();
    }
    let _ = acpi::find(&memory, rsdp);
}

fn segment(e: &mut Encoder, address: u32, flags: u8, bytes: &[u8]) {
    e.u32(address)
        .u16(bytes.len() as u16)
        .u8(flags)
        .bytes(bytes);
}

/// A start info at 0x1000 as QEMU and Xen write it (command line, a module, a q35 memory
/// map), with ACPI tables as QEMU's q35 and microvm lay them out.
pub fn seeds() -> Vec<(String, Vec<u8>)> {
    let start_info = |version: u32, modules: u32, entries: u32| {
        let mut si = Vec::new();
        for v in [0x336e_c578u32, version, 0, modules] {
            si.extend_from_slice(&v.to_le_bytes());
        }
        for v in [0x2000u64, 0x2100, 0xf_5a10, 0x3000] {
            si.extend_from_slice(&v.to_le_bytes());
        }
        si.extend_from_slice(&entries.to_le_bytes());
        si.extend_from_slice(&0u32.to_le_bytes());
        si
    };
    let mut module = Vec::new();
    for v in [0x80_0000u64, 1234, 0x2200, 0] {
        module.extend_from_slice(&v.to_le_bytes());
    }
    let mut map = Vec::new();
    for (addr, size, ty) in [
        (0u64, 0x9_fc00u64, 1u32),
        (0x9_fc00, 0x400, 2),
        (0xf_0000, 0x1_0000, 2),
        (0x10_0000, 0x7ee_0000, 1),
        (0x7fe_0000, 0x2_0000, 3),
        (0xfeff_c000, 0x4000, 2),
        (0x1_0000_0000, 0x4000_0000, 1),
    ] {
        map.extend_from_slice(&addr.to_le_bytes());
        map.extend_from_slice(&size.to_le_bytes());
        map.extend_from_slice(&ty.to_le_bytes());
        map.extend_from_slice(&0u32.to_le_bytes());
    }

    let acpi = |e: &mut Encoder, hardware_reduced: bool| {
        let mut rsdp = [0u8; 36];
        rsdp[..8].copy_from_slice(b"RSD PTR ");
        rsdp[9..15].copy_from_slice(b"BOCHS ");
        rsdp[16..20].copy_from_slice(&0x7fe_0000u32.to_le_bytes());
        segment(e, 0xf_5a10, 2, &rsdp[..20]);
        let header = |signature: &[u8; 4], len: usize| {
            let mut t = vec![0u8; len];
            t[..4].copy_from_slice(signature);
            t[4..8].copy_from_slice(&(len as u32).to_le_bytes());
            t[8] = 1;
            t[10..16].copy_from_slice(b"BOCHS ");
            t
        };
        let mut rsdt = header(b"RSDT", 44);
        rsdt[36..40].copy_from_slice(&0x7fe_1000u32.to_le_bytes());
        rsdt[40..44].copy_from_slice(&0x7fe_3000u32.to_le_bytes());
        segment(e, 0x7fe_0000, 1, &rsdt);
        let mut fadt = header(b"FACP", 276);
        fadt[40..44].copy_from_slice(&0x7fe_2000u32.to_le_bytes());
        if hardware_reduced {
            fadt[112..116].copy_from_slice(&(1u32 << 20).to_le_bytes());
            fadt[244] = 1;
            fadt[248..256].copy_from_slice(&0x508u64.to_le_bytes());
        } else {
            fadt[46..48].copy_from_slice(&9u16.to_le_bytes());
            fadt[48..52].copy_from_slice(&0xb2u32.to_le_bytes());
            fadt[52] = 2;
            fadt[56..60].copy_from_slice(&0x600u32.to_le_bytes());
            fadt[64..68].copy_from_slice(&0x604u32.to_le_bytes());
            fadt[88] = 4;
        }
        segment(e, 0x7fe_1000, 1, &fadt);
        let aml = [
            0x10, 0x0c, b'\\', b'_', b'S', b'B', b'_', 0x08, b'_', b'S', b'5', b'_', 0x12, 0x06,
            0x04, 0x0a, 0x05, 0x0a, 0x05, 0x00, 0x00,
        ];
        let mut dsdt = header(b"DSDT", 36 + aml.len());
        dsdt[36..].copy_from_slice(&aml);
        segment(e, 0x7fe_2000, 1, &dsdt);
        let mut apic = header(b"APIC", 44);
        apic[36..40].copy_from_slice(&0xfee0_0000u32.to_le_bytes());
        segment(e, 0x7fe_3000, 1, &apic);
    };

    let mut seeds = Vec::new();
    let mut e = Encoder::default();
    segment(&mut e, 0x1000, 0, &start_info(1, 1, 7));
    segment(&mut e, 0x2000, 0, &module);
    segment(
        &mut e,
        0x2100,
        0,
        b"ip=10.0.0.2/24 gw=10.0.0.1 loglevel=debug\0",
    );
    segment(&mut e, 0x2200, 0, b"zones.bin\0");
    segment(&mut e, 0x3000, 0, &map);
    acpi(&mut e, false);
    seeds.push(("q35".to_string(), e.finish()));

    segment(&mut e, 0x1000, 0, &start_info(1, 0, 3));
    segment(&mut e, 0x2100, 0, b"\0");
    segment(&mut e, 0x3000, 0, &map[..72]);
    acpi(&mut e, true);
    seeds.push(("microvm".to_string(), e.finish()));

    // Xen: no ACPI for a PVH guest without it, a module with an xl command line.
    segment(&mut e, 0x1000, 0, &start_info(1, 1, 2));
    segment(&mut e, 0x2000, 0, &module);
    segment(&mut e, 0x2100, 0, b"ip=192.0.2.53/24 gw=192.0.2.1\0");
    segment(&mut e, 0x2200, 0, b"\0");
    segment(&mut e, 0x3000, 0, &map[..48]);
    seeds.push(("xen".to_string(), e.finish()));

    // Version 0: no memory map.
    segment(&mut e, 0x1000, 0, &start_info(0, 0, 0));
    seeds.push(("version-0".to_string(), e.finish()));
    seeds
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The seeds reach what they are for: the start info parses, and ACPI where there is some.
    #[test]
    fn seeds_parse() {
        for (name, input) in seeds() {
            let (memory, start) = memory(&input);
            let parsed = boot::parse(&memory, start);
            assert_eq!(parsed.is_ok(), name != "version-0", "{name}: {parsed:?}");
            let acpi = acpi::find(&memory, parsed.ok().and_then(|b| b.rsdp));
            assert_eq!(
                acpi.is_ok(),
                name == "q35" || name == "microvm",
                "{name}: {acpi:?}"
            );
        }
    }
}
