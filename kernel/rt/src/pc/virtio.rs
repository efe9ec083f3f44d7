//! virtio-net for the runtime: PCI configuration access (mechanism #1, ports 0xCF8/0xCFC),
//! device-register mapping and DMA pages for `kernel/virtio`, and MSI-X delivered to the local
//! APIC so an idle guest sleeps in `hlt` until a frame arrives.

use alloc::boxed::Box;
use alloc::format;
use alloc::string::String;
use xenolith_arch::paging::Access;
use xenolith_arch::port::{inl, outl};
use xenolith_arch::shared::SharedMemory;
use xenolith_device::NetDevice;
use xenolith_virtio::{Bdf, PciConfig, Platform, VirtioNet};

/// PCI configuration mechanism #1 (present on `q35` and `pc`; absent on `microvm`).
struct PortConfig;

fn address(bdf: Bdf, offset: u8) -> u32 {
    0x8000_0000
        | u32::from(bdf.bus()) << 16
        | u32::from(bdf.device()) << 11
        | u32::from(bdf.function()) << 8
        | u32::from(offset & 0xfc)
}

impl PciConfig for PortConfig {
    fn read32(&self, bdf: Bdf, offset: u8) -> u32 {
        // SAFETY: 0xCF8 selects a configuration register, 0xCFC reads it; on machines without
        // PCI the reads return all ones, which the scan treats as "no device".
        unsafe {
            outl(0xcf8, address(bdf, offset));
            inl(0xcfc)
        }
    }
    fn write32(&self, bdf: Bdf, offset: u8, value: u32) {
        // SAFETY: as for `read32`; the driver writes only registers it owns (command, BARs
        // while sizing, MSI-X control).
        unsafe {
            outl(0xcf8, address(bdf, offset));
            outl(0xcfc, value);
        }
    }
}

struct KernelPlatform;

impl Platform for KernelPlatform {
    type Registers = SharedMemory;

    fn map_device(&self, phys: u64, len: usize) -> Option<SharedMemory> {
        crate::paging::map(phys, len as u64, Access::Device).ok()?;
        // SAFETY: the device's BAR range, just mapped uncached; only the driver touches it.
        Some(unsafe { SharedMemory::new(phys, len) })
    }

    fn alloc_dma(&self, pages: usize) -> Option<SharedMemory> {
        crate::paging::shared_pages(pages)
    }
}

/// Finds and starts the virtio-net device; routes its interrupts to the APIC when it can.
// Out of line: 48 bytes smaller than inlined into `Pc::open_nic`.
#[inline(never)]
pub fn open_net() -> Result<Box<dyn NetDevice>, String> {
    let seed = crate::random::u64();
    let mut nic =
        VirtioNet::probe(&PortConfig, &KernelPlatform, seed).map_err(|e| format!("{e}"))?;
    let mac = nic.mac_address();
    let interrupts = match crate::pc::lapic::id() {
        Some(apic) if crate::pc::lapic::set_device_hook(crate::pc::lapic::DEVICE_VECTOR) => {
            match nic.enable_msix(&PortConfig, crate::pc::lapic::DEVICE_VECTOR, apic) {
                Ok(()) => "MSI-X",
                Err(e) => {
                    log::warn!("virtio-net: {e}; polling instead");
                    "polling"
                }
            }
        }
        _ => "polling (no local APIC)",
    };
    log::info!(
        "virtio-net: PCI {}, MAC {}, {interrupts}",
        nic.bdf(),
        crate::net::Mac(mac)
    );
    Ok(Box::new(nic))
}
