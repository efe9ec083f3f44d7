//! Boot modules: which compiled blob is which.
//!
//! The image takes a compiled zone set (`dns-zone -o zones.bin`, magic `XDNZ`) and/or a
//! compiled TLS identity (`tls-keygen compile` or `--module`, magic `XTLS`) at boot. Both
//! formats open with the same 16-octet header, `magic[4] | version u16 | count u16 |
//! total_len u32 | checksum u32` (big-endian), so blobs are told apart by their magic and may
//! also come back to back in one module (`cat zones.bin identity.bin > module.bin`): QEMU's
//! PVH loader and xl's `ramdisk=` hand over one module. Here only the framing is checked; each
//! blob's own loader (`dns::Zones::from_compiled`, `xenolith_tls::Identity::from_compiled`)
//! checks the rest, checksum included.

use core::fmt;

/// The compiled zone set's magic (`dns::compiled::MAGIC`).
pub const ZONES_MAGIC: [u8; 4] = dns::compiled::MAGIC;
/// The compiled identity's magic (`xenolith_tls::identity::MAGIC`).
pub const IDENTITY_MAGIC: [u8; 4] = xenolith_tls::identity::MAGIC;
/// The header both formats share.
const HEADER_LEN: usize = 16;

/// The blobs found in the boot modules.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct BootData<'a> {
    /// A compiled zone set.
    pub zones: Option<&'a [u8]>,
    /// A compiled TLS identity.
    pub identity: Option<&'a [u8]>,
}

/// Why the boot modules are unusable.
#[derive(Debug, PartialEq, Eq)]
pub enum ModuleError {
    /// Module `module` holds, at `offset`, something that is neither blob.
    Unknown { module: usize, offset: usize },
    /// Module `module` ends inside the blob at `offset` (it is cut short or damaged).
    Truncated { module: usize, offset: usize },
    /// Two blobs of the same kind.
    Twice(&'static str),
}

impl fmt::Display for ModuleError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ModuleError::Unknown { module, offset } => write!(
                f,
                "boot module {module} holds, at octet {offset}, neither a compiled zone set (dns-zone -o FILE) nor a compiled TLS identity (tls-keygen compile)"
            ),
            ModuleError::Truncated { module, offset } => write!(
                f,
                "boot module {module} ends inside the compiled blob that starts at octet {offset}: the file is cut short or damaged"
            ),
            ModuleError::Twice(what) => write!(
                f,
                "the boot modules hold two {what}s: pass at most one of each"
            ),
        }
    }
}

/// Sorts the blobs of `modules` (each one or more blobs back to back) into zones and identity.
pub fn classify<'a>(
    modules: impl IntoIterator<Item = &'a [u8]>,
) -> Result<BootData<'a>, ModuleError> {
    let mut found = BootData::default();
    for (module, mut rest) in modules.into_iter().enumerate() {
        let mut offset = 0;
        loop {
            if rest.len() < HEADER_LEN {
                return Err(if rest.len() >= 4 && known(&rest[..4]) {
                    ModuleError::Truncated { module, offset }
                } else {
                    ModuleError::Unknown { module, offset }
                });
            }
            let magic = &rest[..4];
            if !known(magic) {
                return Err(ModuleError::Unknown { module, offset });
            }
            let total = u32::from_be_bytes([rest[8], rest[9], rest[10], rest[11]]) as usize;
            if total < HEADER_LEN || total > rest.len() {
                return Err(ModuleError::Truncated { module, offset });
            }
            let (blob, after) = rest.split_at(total);
            let (slot, what) = if magic == ZONES_MAGIC {
                (&mut found.zones, "compiled zone set")
            } else {
                (&mut found.identity, "compiled TLS identity")
            };
            if slot.replace(blob).is_some() {
                return Err(ModuleError::Twice(what));
            }
            offset += total;
            rest = after;
            if rest.is_empty() {
                break;
            }
        }
    }
    Ok(found)
}

fn known(magic: &[u8]) -> bool {
    magic == ZONES_MAGIC || magic == IDENTITY_MAGIC
}

#[cfg(test)]
mod tests {
    use super::*;

    fn blob(magic: [u8; 4], len: usize, fill: u8) -> Vec<u8> {
        let mut b = vec![fill; len];
        b[..4].copy_from_slice(&magic);
        b[8..12].copy_from_slice(&(len as u32).to_be_bytes());
        b
    }

    #[test]
    fn separate_and_concatenated_blobs_are_found() {
        let zones = blob(ZONES_MAGIC, 40, 1);
        let identity = blob(IDENTITY_MAGIC, 30, 2);
        assert_eq!(classify([]), Ok(BootData::default()));
        let found = classify([&zones[..], &identity[..]]).unwrap();
        assert_eq!(found.zones, Some(&zones[..]));
        assert_eq!(found.identity, Some(&identity[..]));
        let both = [identity.clone(), zones.clone()].concat();
        let found = classify([&both[..]]).unwrap();
        assert_eq!(found.zones, Some(&zones[..]));
        assert_eq!(found.identity, Some(&identity[..]));
        let found = classify([&identity[..]]).unwrap();
        assert_eq!((found.zones, found.identity), (None, Some(&identity[..])));
    }

    #[test]
    fn bad_modules_are_refused_with_a_reason() {
        let zones = blob(ZONES_MAGIC, 40, 1);
        assert_eq!(
            classify([&b"not a compiled blob at all"[..]]),
            Err(ModuleError::Unknown {
                module: 0,
                offset: 0
            })
        );
        assert_eq!(
            classify([&b""[..]]),
            Err(ModuleError::Unknown {
                module: 0,
                offset: 0
            })
        );
        assert_eq!(
            classify([&zones[..], &zones[..20]]),
            Err(ModuleError::Truncated {
                module: 1,
                offset: 0
            })
        );
        assert_eq!(
            classify([&zones[..8]]),
            Err(ModuleError::Truncated {
                module: 0,
                offset: 0
            })
        );
        let trailing = [zones.clone(), b"junk".to_vec()].concat();
        assert_eq!(
            classify([&trailing[..]]),
            Err(ModuleError::Unknown {
                module: 0,
                offset: 40
            })
        );
        let mut short = zones.clone();
        short[8..12].copy_from_slice(&4u32.to_be_bytes());
        assert_eq!(
            classify([&short[..]]),
            Err(ModuleError::Truncated {
                module: 0,
                offset: 0
            })
        );
        let twice = [zones.clone(), zones.clone()].concat();
        assert_eq!(
            classify([&twice[..]]),
            Err(ModuleError::Twice("compiled zone set"))
        );
        assert!(
            ModuleError::Twice("compiled zone set")
                .to_string()
                .contains("two compiled zone sets")
        );
    }
}
