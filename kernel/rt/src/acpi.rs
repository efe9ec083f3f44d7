//! Just enough ACPI to power the machine off and to hear its power button: RSDP → RSDT/XSDT →
//! FADT → the S5 sleep type and the PM1 event registers.
//!
//! Under QEMU (`q35`, `pc`, `microvm`) the guest ends with an ACPI S5 transition, which makes
//! QEMU exit with status 0. Legacy platforms write `SLP_TYPa | SLP_EN` to the PM1a control block
//! (ACPI 6.4 §4.8.3.2.1); hardware-reduced ones (`microvm`) write `SLP_TYP | SLP_EN` to the FADT's
//! sleep control register (§4.8.3.7). The S5 sleep type comes from the DSDT's `\_S5_` package.
//! Every table is checksummed and bounded; a firmware that lies gets an error, not a panic.

use crate::boot::{BootError, PhysicalMemory};

/// How to power off.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PowerOff {
    /// Write `(slp_typ << 10) | SLP_EN` (bit 13) as a 16-bit word to the PM1a (and PM1b)
    /// control ports.
    Pm1Control {
        /// PM1a control block I/O port.
        pm1a: u16,
        /// PM1b control block I/O port, if any.
        pm1b: Option<u16>,
        /// `SLP_TYPa` for S5.
        sleep_type: u8,
    },
    /// Write `(slp_typ << 2) | SLP_EN` (bit 5) as a byte to the sleep control register.
    SleepControl {
        /// The register.
        register: GenericAddress,
        /// `SLP_TYP` for S5.
        sleep_type: u8,
    },
}

/// The fixed-feature power button (ACPI 6.4 §4.8.3.1, §4.8.2.2.1): `PWRBTN_STS` and
/// `PWRBTN_EN` (bit 8) in the PM1 status and enable registers, signalled by the SCI. QEMU's
/// `system_powerdown` (and so `virsh shutdown`) presses it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PowerButton {
    /// PM1a event block I/O port: the status register; the enable register follows it.
    pub pm1a_event: u16,
    /// PM1b event block I/O port, if any.
    pub pm1b_event: Option<u16>,
    /// Offset of the enable register in each event block (half the block's length).
    pub enable_offset: u16,
    /// PM1a control block I/O port (its bit 0, `SCI_EN`, says ACPI mode is on).
    pub pm1a_control: u16,
    /// The ISA interrupt the SCI arrives on (9 under QEMU).
    pub sci_irq: u8,
    /// `SMI_CMD` port and the `ACPI_ENABLE` value to write to it when ACPI mode is off.
    pub acpi_enable: Option<(u16, u8)>,
}

/// What ACPI offers this guest.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Acpi {
    /// How to power off.
    pub power_off: PowerOff,
    /// The power button, where the machine has a fixed-feature one.
    pub power_button: Option<PowerButton>,
}

/// An ACPI generic address (only system memory and system I/O are supported).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum GenericAddress {
    /// A memory-mapped register.
    Memory(u64),
    /// An I/O port.
    Io(u16),
}

/// Why ACPI power-off is unavailable.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AcpiError {
    /// No RSDP was found (no hint, nothing in the EBDA or the BIOS area).
    NoRsdp,
    /// A table's checksum or length is wrong.
    BadTable(Table),
    /// The RSDT/XSDT lists no FADT.
    NoFadt,
    /// The FADT names no usable control register.
    NoControlRegister,
    /// Reading firmware memory failed.
    Unreadable(BootError),
}

/// The tables read (named in [`AcpiError::BadTable`]; a one-byte name keeps `AcpiError` as
/// small as [`BootError`], less code at every `?` than a `&str`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Table {
    /// The RSDT or the XSDT.
    Root,
    /// The FADT.
    Fadt,
    /// The DSDT.
    Dsdt,
}

impl Table {
    fn name(self) -> &'static str {
        match self {
            Table::Root => "RSDT/XSDT",
            Table::Fadt => "FADT",
            Table::Dsdt => "DSDT",
        }
    }
}

impl core::fmt::Display for AcpiError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            AcpiError::NoRsdp => write!(f, "no ACPI RSDP found"),
            AcpiError::BadTable(t) => write!(f, "ACPI table {} is malformed", t.name()),
            AcpiError::NoFadt => write!(f, "no ACPI FADT"),
            AcpiError::NoControlRegister => {
                write!(f, "the ACPI FADT has no PM1 or sleep control register")
            }
            AcpiError::Unreadable(e) => write!(f, "cannot read ACPI tables: {}", *e),
        }
    }
}

impl From<BootError> for AcpiError {
    fn from(e: BootError) -> Self {
        AcpiError::Unreadable(e)
    }
}

/// Longest table read (a DSDT is a few KiB under QEMU).
const MAX_TABLE: u32 = 256 * 1024;

fn read<M: PhysicalMemory, const N: usize>(memory: &M, address: u64) -> Result<[u8; N], AcpiError> {
    let mut b = [0u8; N];
    memory.read(address, &mut b)?;
    Ok(b)
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

fn checksum_ok<M: PhysicalMemory>(
    memory: &M,
    address: u64,
    length: u32,
) -> Result<bool, AcpiError> {
    let mut sum = 0u8;
    let mut chunk = [0u8; 256];
    let mut done = 0u32;
    while done < length {
        let n = (length - done).min(256) as usize;
        // (`get_mut` over `[..n]`: n <= 256 always; no panic path in the image.)
        let part = chunk.get_mut(..n).unwrap_or_default();
        memory.read(address + u64::from(done), part)?;
        sum = part.iter().fold(sum, |s, &b| s.wrapping_add(b));
        done += n as u32;
    }
    Ok(sum == 0)
}

/// A validated table header: (signature, length).
fn table<M: PhysicalMemory>(
    memory: &M,
    address: u64,
    name: Table,
) -> Result<([u8; 4], u32), AcpiError> {
    let header: [u8; 36] = read(memory, address)?;
    let length = u32_at(&header, 4);
    if !(36..=MAX_TABLE).contains(&length) || !checksum_ok(memory, address, length)? {
        return Err(AcpiError::BadTable(name));
    }
    Ok(([header[0], header[1], header[2], header[3]], length))
}

fn rsdp_at<M: PhysicalMemory>(memory: &M, address: u64) -> Result<Option<[u8; 36]>, AcpiError> {
    let b: [u8; 36] = read(memory, address)?;
    if &b[..8] != b"RSD PTR " || b[..20].iter().fold(0u8, |s, &x| s.wrapping_add(x)) != 0 {
        return Ok(None);
    }
    Ok(Some(b))
}

/// Finds the RSDP: the loader's hint, else the first KiB of the EBDA, else 0xE0000–0xFFFFF.
pub fn find_rsdp<M: PhysicalMemory>(memory: &M, hint: Option<u64>) -> Result<[u8; 36], AcpiError> {
    if let Some(address) = hint
        && let Some(rsdp) = rsdp_at(memory, address)?
    {
        return Ok(rsdp);
    }
    let ebda_segment: [u8; 2] = read(memory, 0x40e)?;
    let ebda = u64::from(u16::from_le_bytes(ebda_segment)) << 4;
    let areas = [
        (
            ebda,
            if (0x8_0000..0xa_0000).contains(&ebda) {
                1024
            } else {
                0
            },
        ),
        (0xe_0000u64, 0x2_0000),
    ];
    for (start, len) in areas {
        for address in (start..start + len).step_by(16) {
            if let Some(rsdp) = rsdp_at(memory, address)? {
                return Ok(rsdp);
            }
        }
    }
    Err(AcpiError::NoRsdp)
}

fn generic_address(b: &[u8]) -> Option<GenericAddress> {
    let address = u64_at(b, 4);
    match (b[0], address) {
        (_, 0) => None,
        (0, a) => Some(GenericAddress::Memory(a)),
        (1, a) => u16::try_from(a).ok().map(GenericAddress::Io),
        _ => None,
    }
}

/// Finds how to power off, and the power button, from the ACPI tables.
pub fn find<M: PhysicalMemory>(memory: &M, rsdp_hint: Option<u64>) -> Result<Acpi, AcpiError> {
    let rsdp = find_rsdp(memory, rsdp_hint)?;
    let (root, entry_size) = if rsdp[15] >= 2 && u64_at(&rsdp, 24) != 0 {
        (u64_at(&rsdp, 24), 8u64)
    } else {
        (u64::from(u32_at(&rsdp, 16)), 4)
    };
    let (_, root_length) = table(memory, root, Table::Root)?;
    let mut fadt = None;
    for i in 0..u64::from(root_length - 36) / entry_size {
        let entry: [u8; 8] = read(memory, root + 36 + i * entry_size)?;
        let address = if entry_size == 8 {
            u64_at(&entry, 0)
        } else {
            u64::from(u32_at(&entry, 0))
        };
        let signature: [u8; 4] = read(memory, address)?;
        if &signature == b"FACP" {
            fadt = Some(address);
            break;
        }
    }
    let fadt = fadt.ok_or(AcpiError::NoFadt)?;
    let (_, fadt_length) = table(memory, fadt, Table::Fadt)?;
    let mut f = [0u8; 276];
    let n = (fadt_length as usize).min(f.len());
    memory.read(fadt, f.get_mut(..n).unwrap_or_default())?;

    let dsdt = if n >= 148 && u64_at(&f, 140) != 0 {
        u64_at(&f, 140)
    } else {
        u64::from(u32_at(&f, 40))
    };
    let hardware_reduced = n >= 116 && u32_at(&f, 112) & (1 << 20) != 0;
    let s5 = if dsdt != 0 {
        s5_sleep_type(memory, dsdt)?
    } else {
        None
    };

    if hardware_reduced {
        let register = if n >= 256 {
            generic_address(&f[244..256])
        } else {
            None
        };
        let register = register.ok_or(AcpiError::NoControlRegister)?;
        // QEMU's hardware-reduced machines use 5 for S5 when the DSDT does not say.
        // (Their power button is a generic event device, which this runtime does not read.)
        return Ok(Acpi {
            power_off: PowerOff::SleepControl {
                register,
                sleep_type: s5.unwrap_or(5),
            },
            power_button: None,
        });
    }
    let pm1a = u16::try_from(u32_at(&f, 64)).ok().filter(|&p| p != 0);
    let pm1a = match pm1a {
        Some(port) => port,
        None if n >= 184 => match generic_address(&f[172..184]) {
            Some(GenericAddress::Io(port)) => port,
            _ => return Err(AcpiError::NoControlRegister),
        },
        None => return Err(AcpiError::NoControlRegister),
    };
    let pm1b = u16::try_from(u32_at(&f, 68)).ok().filter(|&p| p != 0);
    Ok(Acpi {
        power_off: PowerOff::Pm1Control {
            pm1a,
            pm1b,
            sleep_type: s5.unwrap_or(0),
        },
        power_button: power_button(&f, n, pm1a),
    })
}

/// The fixed-feature power button from the FADT's first `n` bytes, unless the FADT says it is
/// absent or a control-method device (`PWR_BUTTON` flag), or names no usable event block.
fn power_button(f: &[u8], n: usize, pm1a_control: u16) -> Option<PowerButton> {
    const PWR_BUTTON: u32 = 1 << 4;
    if n < 116 || u32_at(f, 112) & PWR_BUTTON != 0 {
        return None;
    }
    let port = |at| u16::try_from(u32_at(f, at)).ok().filter(|&p| p != 0);
    let pm1a_event = port(56).or_else(|| match f.get(148..160).and_then(generic_address) {
        Some(GenericAddress::Io(port)) => Some(port),
        _ => None,
    })?;
    // PM1_EVT_LEN: status and enable registers of equal length, at least 2 bytes each.
    let length = *f.get(88)?;
    if length < 4 || length % 2 != 0 {
        return None;
    }
    let sci = u16::from_le_bytes([*f.get(46)?, *f.get(47)?]);
    let acpi_enable = port(48).zip(f.get(52).copied().filter(|&v| v != 0));
    Some(PowerButton {
        pm1a_event,
        pm1b_event: port(60),
        enable_offset: u16::from(length / 2),
        pm1a_control,
        sci_irq: u8::try_from(sci).ok().filter(|&irq| irq < 16)?,
        acpi_enable,
    })
}

/// Scans the DSDT's AML for `Name(_S5_, Package(){ SLP_TYPa, ... })` and returns `SLP_TYPa`.
fn s5_sleep_type<M: PhysicalMemory>(memory: &M, dsdt: u64) -> Result<Option<u8>, AcpiError> {
    let (signature, length) = table(memory, dsdt, Table::Dsdt)?;
    if &signature != b"DSDT" {
        return Err(AcpiError::BadTable(Table::Dsdt));
    }
    // Slide a window over the AML; each window overlaps the next by 16 bytes.
    let mut window = [0u8; 512];
    let mut offset = 36u32;
    while offset < length {
        let n = (length - offset).min(window.len() as u32) as usize;
        memory.read(
            dsdt + u64::from(offset),
            window.get_mut(..n).unwrap_or_default(),
        )?;
        for i in 0..n.saturating_sub(4) {
            if window.get(i..i + 4) != Some(b"_S5_") {
                continue;
            }
            let before = |back: usize| i.checked_sub(back).and_then(|at| window.get(at)).copied();
            let name_op =
                before(1) == Some(0x08) || (before(1) == Some(b'\\') && before(2) == Some(0x08));
            // PackageOp PkgLength NumElements FirstElement.
            let (Some(&0x12), Some(&pkg_length)) = (window.get(i + 4), window.get(i + 5)) else {
                continue;
            };
            if !name_op || i + 5 >= n {
                continue;
            }
            let pkg_length_bytes = usize::from(pkg_length >> 6);
            let element = i + 5 + 1 + pkg_length_bytes + 1;
            let value = match window.get(element..element + 2) {
                Some([0x0a, v]) => *v,
                Some([0x00, _]) => 0,
                Some([0x01, _]) => 1,
                Some([v, _]) => *v,
                _ => continue,
            };
            return Ok(Some(value & 0x7));
        }
        if n < window.len() {
            break;
        }
        offset += (window.len() - 16) as u32;
    }
    Ok(None)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::boot::tests::Flat;
    use std::vec::Vec;

    fn finish(table: &mut [u8], checksum_at: usize) {
        table[checksum_at] = 0;
        let sum = table.iter().fold(0u8, |s, &b| s.wrapping_add(b));
        table[checksum_at] = 0u8.wrapping_sub(sum);
    }

    fn header(signature: &[u8; 4], length: usize) -> Vec<u8> {
        let mut t = std::vec![0u8; length];
        t[..4].copy_from_slice(signature);
        t[4..8].copy_from_slice(&(length as u32).to_le_bytes());
        t
    }

    /// A q35-like layout: RSDP at 0xf5a10, RSDT at 0x7fe0000, FADT, DSDT with \_S5_.
    fn machine(hardware_reduced: bool, s5: &[u8]) -> Flat {
        let mut mem = std::vec![0u8; 0x800_0000];
        let mut rsdp = std::vec![0u8; 20];
        rsdp[..8].copy_from_slice(b"RSD PTR ");
        rsdp[16..20].copy_from_slice(&0x7fe_0000u32.to_le_bytes());
        finish(&mut rsdp, 8);
        mem[0xf_5a10..0xf_5a10 + 20].copy_from_slice(&rsdp);

        let mut rsdt = header(b"RSDT", 40);
        rsdt[36..40].copy_from_slice(&0x7fe_1000u32.to_le_bytes());
        finish(&mut rsdt, 9);
        mem[0x7fe_0000..0x7fe_0000 + 40].copy_from_slice(&rsdt);

        let mut fadt = header(b"FACP", 276);
        fadt[40..44].copy_from_slice(&0x7fe_2000u32.to_le_bytes());
        if hardware_reduced {
            fadt[112..116].copy_from_slice(&(1u32 << 20).to_le_bytes());
            fadt[244] = 1; // system I/O
            fadt[248..256].copy_from_slice(&0x508u64.to_le_bytes());
        } else {
            // q35 (ICH9): SCI on IRQ 9, SMI_CMD 0xb2 with ACPI_ENABLE 2, PM1 events at 0x600.
            fadt[46..48].copy_from_slice(&9u16.to_le_bytes());
            fadt[48..52].copy_from_slice(&0xb2u32.to_le_bytes());
            fadt[52] = 2;
            fadt[56..60].copy_from_slice(&0x600u32.to_le_bytes());
            fadt[64..68].copy_from_slice(&0x604u32.to_le_bytes());
            fadt[88] = 4;
        }
        finish(&mut fadt, 9);
        mem[0x7fe_1000..0x7fe_1000 + 276].copy_from_slice(&fadt);

        let mut dsdt = header(b"DSDT", 36 + 600 + s5.len() + 8);
        dsdt[36 + 600..36 + 600 + s5.len()].copy_from_slice(s5);
        finish(&mut dsdt, 9);
        mem[0x7fe_2000..0x7fe_2000 + dsdt.len()].copy_from_slice(&dsdt);
        Flat(mem)
    }

    #[test]
    fn q35_style_pm1_with_s5_from_dsdt() {
        // Name(_S5_, Package(4){ 0x05, 0x05, 0, 0 }) as BytePrefix-encoded AML.
        let aml = [
            0x08, b'_', b'S', b'5', b'_', 0x12, 0x0a, 0x04, 0x0a, 0x05, 0x0a, 0x05, 0, 0,
        ];
        let m = machine(false, &aml);
        assert_eq!(
            find(&m, None).unwrap().power_off,
            PowerOff::Pm1Control {
                pm1a: 0x604,
                pm1b: None,
                sleep_type: 5
            }
        );
        // The hint is used when it is right, and ignored when it is not.
        assert!(find(&m, Some(0xf_5a10)).is_ok());
        assert!(find(&m, Some(0x1000)).is_ok());
    }

    #[test]
    fn hardware_reduced_uses_sleep_control() {
        let m = machine(
            true,
            &[
                0x08, b'_', b'S', b'5', b'_', 0x12, 0x06, 0x02, 0x0a, 0x05, 0x00,
            ],
        );
        assert_eq!(
            find(&m, None).unwrap().power_off,
            PowerOff::SleepControl {
                register: GenericAddress::Io(0x508),
                sleep_type: 5
            }
        );
    }

    #[test]
    fn zero_op_and_missing_s5() {
        let m = machine(
            false,
            &[
                0x08, b'\\', b'_', b'S', b'5', b'_', 0x12, 0x06, 0x04, 0x00, 0x00,
            ],
        );
        assert_eq!(
            find(&m, None).unwrap().power_off,
            PowerOff::Pm1Control {
                pm1a: 0x604,
                pm1b: None,
                sleep_type: 0
            }
        );
        let m = machine(false, b"nothing here");
        assert_eq!(
            find(&m, None).unwrap().power_off,
            PowerOff::Pm1Control {
                pm1a: 0x604,
                pm1b: None,
                sleep_type: 0
            }
        );
    }

    #[test]
    fn power_button_from_the_fadt() {
        let m = machine(false, &[]);
        let button = find(&m, None).unwrap().power_button;
        assert_eq!(
            button,
            Some(PowerButton {
                pm1a_event: 0x600,
                pm1b_event: None,
                enable_offset: 2,
                pm1a_control: 0x604,
                sci_irq: 9,
                acpi_enable: Some((0xb2, 2)),
            })
        );
        // Hardware-reduced machines have none (theirs is a generic event device).
        assert_eq!(find(&machine(true, &[]), None).unwrap().power_button, None);

        let fadt = 0x7fe_1000;
        let with = |edit: &dyn Fn(&mut [u8])| {
            let mut m = machine(false, &[]);
            edit(&mut m.0[fadt..fadt + 276]);
            finish(&mut m.0[fadt..fadt + 276], 9);
            find(&m, None).unwrap()
        };
        // A control-method button, no event block, an odd or short block, an SCI past the
        // ISA range: no button, and power-off still works.
        for edit in [
            &(|f: &mut [u8]| f[112] = 1 << 4) as &dyn Fn(&mut [u8]),
            &|f: &mut [u8]| f[56..60].fill(0),
            &|f: &mut [u8]| f[88] = 3,
            &|f: &mut [u8]| f[88] = 2,
            &|f: &mut [u8]| f[46] = 20,
        ] {
            let acpi = with(edit);
            assert_eq!(acpi.power_button, None);
            assert!(matches!(
                acpi.power_off,
                PowerOff::Pm1Control { pm1a: 0x604, .. }
            ));
        }
        // No SMI_CMD: ACPI mode is taken as already on.
        let acpi = with(&|f: &mut [u8]| f[48..52].fill(0));
        assert_eq!(acpi.power_button.unwrap().acpi_enable, None);
        // The 64-bit event block when the 32-bit one is zero.
        let acpi = with(&|f: &mut [u8]| {
            f[56..60].fill(0);
            f[148] = 1;
            f[152..160].copy_from_slice(&0x700u64.to_le_bytes());
        });
        assert_eq!(acpi.power_button.unwrap().pm1a_event, 0x700);
    }

    #[test]
    fn corrupt_tables_are_errors() {
        let mut m = machine(false, &[]);
        m.0[0x7fe_1000 + 20] ^= 0xff; // FADT checksum
        assert_eq!(find(&m, None), Err(AcpiError::BadTable(Table::Fadt)));
        let mut m = machine(false, &[]);
        m.0[0x7fe_0004] = 0xff; // RSDT length absurd
        m.0[0x7fe_0007] = 0xff;
        assert_eq!(find(&m, None), Err(AcpiError::BadTable(Table::Root)));
        assert_eq!(
            find(&Flat(std::vec![0u8; 0x10_0000]), None),
            Err(AcpiError::NoRsdp)
        );
    }
}
