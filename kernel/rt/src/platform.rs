//! Which hypervisor we run on, from CPUID (Xen's `XenVMMXenVMM` may sit at any of
//! 0x4000_0000 + n·0x100, after a Viridian block).

use core::fmt;

/// The platform.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Platform {
    /// Xen, with its CPUID block at `base`.
    Xen {
        /// First leaf of Xen's CPUID block.
        base: u32,
    },
    /// Anything else (QEMU TCG, KVM, ...), with the hypervisor signature if one is advertised.
    Other {
        /// The signature at 0x4000_0000, if printable.
        signature: Option<[u8; 12]>,
    },
}

impl Platform {
    /// Detects the platform.
    pub fn detect() -> Platform {
        let hypervisor_bit = xenolith_arch::cpu::cpuid(1, 0).ecx & (1 << 31) != 0;
        for n in 0..16u32 {
            let base = 0x4000_0000 + n * 0x100;
            let (signature, max_leaf) = xenolith_arch::cpu::hypervisor_signature(base);
            if &signature == b"XenVMMXenVMM" && max_leaf >= base + 2 {
                return Platform::Xen { base };
            }
        }
        let (signature, _) = xenolith_arch::cpu::hypervisor_signature(0x4000_0000);
        let printable =
            signature.iter().all(|b| b.is_ascii_graphic() || *b == 0) && signature[0] != 0;
        Platform::Other {
            signature: (hypervisor_bit && printable).then_some(signature),
        }
    }

    /// Whether this is Xen.
    pub fn is_xen(&self) -> bool {
        matches!(self, Platform::Xen { .. })
    }
}

impl fmt::Display for Platform {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Platform::Xen { base } => write!(f, "Xen (CPUID {base:#x}: XenVMMXenVMM)"),
            Platform::Other { signature: Some(s) } => {
                let text = core::str::from_utf8(s)
                    .unwrap_or("?")
                    .trim_end_matches('\0');
                write!(
                    f,
                    "not Xen (hypervisor \"{text}\"): serial console, ACPI power-off"
                )
            }
            Platform::Other { signature: None } => write!(
                f,
                "not Xen (no hypervisor signature): serial console, ACPI power-off"
            ),
        }
    }
}
