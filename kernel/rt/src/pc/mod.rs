//! The PC machine — QEMU (`q35`, `pc`, `microvm`), KVM and other hypervisors that are not Xen:
//! COM1, the TSC calibrated against the PIT, the local APIC timer, virtio-net over PCI with
//! MSI-X, ACPI power-off and the ACPI power button.
//!
//! [`machine::Pc`] is the owner; the other modules are its devices, each the only place that
//! touches its ports or registers.

#[allow(unsafe_code)] // CMOS ports
pub mod cmos;
#[allow(unsafe_code)] // the APIC's registers and its base MSR
pub mod lapic;
#[allow(unsafe_code)] // `sti; hlt`
pub mod machine;
#[allow(unsafe_code)] // PIT and PIC ports
pub mod pit;
#[allow(unsafe_code)] // ACPI PM1 and SMI_CMD ports, the PIC's mask and EOI
pub mod power_button;
#[allow(unsafe_code)] // COM1's ports
pub mod serial;
#[allow(unsafe_code)] // PCI configuration ports, BAR mappings, DMA pages
pub mod virtio;
pub mod wake;
