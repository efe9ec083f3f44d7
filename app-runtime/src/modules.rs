//! Boot modules: which compiled blob is which, by its magic.
//!
//! Every compiled format an image takes at boot — zone sets (`dns-zone -o`, `XDNZ`), TLS
//! identities (`tls-keygen compile`, `XTLS`), and whatever comes next — opens with the same
//! 16-octet header, `magic[4] | version u16 | count u16 | total_len u32 | checksum u32`
//! (big-endian). So an app names the [`Kind`]s it takes and [`classify`] finds them, one per
//! module or back to back in one module (`cat zones.bin identity.bin > module.bin`: QEMU's PVH
//! loader and xl's `ramdisk=` hand over a single module). Only the framing is checked here;
//! each blob's own loader checks the rest, checksum included.

use core::fmt;

/// The header every compiled format shares.
pub const HEADER_LEN: usize = 16;

/// A kind of compiled blob an app takes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Kind {
    /// The format's magic.
    pub magic: [u8; 4],
    /// What it is, for error messages: "compiled zone set".
    pub name: &'static str,
    /// How it is made: "dns-zone -o FILE".
    pub made_by: &'static str,
}

/// Why the boot modules are unusable.
#[derive(Debug, PartialEq, Eq)]
pub enum ModuleError {
    /// Module `module` holds, at `offset`, none of the kinds the app takes.
    Unknown {
        /// Which module (0 is the first).
        module: usize,
        /// Where in it.
        offset: usize,
        /// What the app takes.
        kinds: &'static [Kind],
    },
    /// Module `module` ends inside the blob at `offset` (it is cut short or damaged).
    Truncated {
        /// Which module.
        module: usize,
        /// Where the blob starts.
        offset: usize,
    },
    /// Two blobs of the same kind.
    Twice(&'static str),
}

impl fmt::Display for ModuleError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ModuleError::Unknown {
                module,
                offset,
                kinds,
            } => {
                write!(f, "boot module {} holds, at octet {}, ", *module, *offset)?;
                match kinds {
                    [one] => write!(f, "something other than a {} ({})", one.name, one.made_by),
                    [first, rest @ ..] => {
                        write!(f, "neither a {} ({})", first.name, first.made_by)?;
                        rest.iter()
                            .try_for_each(|k| write!(f, " nor a {} ({})", k.name, k.made_by))
                    }
                    [] => write!(f, "a module this app does not take"),
                }
            }
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

/// Sorts the blobs of `modules` (each one or more blobs back to back) by `kinds`: slot `i` of
/// the answer is the blob of `kinds[i]`, if any.
pub fn classify<'a, const N: usize>(
    kinds: &'static [Kind; N],
    modules: impl IntoIterator<Item = &'a [u8]>,
) -> Result<[Option<&'a [u8]>; N], ModuleError> {
    let mut found = [None; N];
    for (module, mut rest) in modules.into_iter().enumerate() {
        let mut offset = 0;
        loop {
            let kind = rest
                .get(..4)
                .and_then(|magic| kinds.iter().position(|k| k.magic == magic));
            let Some(kind) = kind else {
                return Err(ModuleError::Unknown {
                    module,
                    offset,
                    kinds,
                });
            };
            let total = match rest.get(8..12) {
                Some(&[a, b, c, d]) => u32::from_be_bytes([a, b, c, d]) as usize,
                _ => 0,
            };
            let Some((blob, after)) = rest.split_at_checked(total).filter(|_| total >= HEADER_LEN)
            else {
                return Err(ModuleError::Truncated { module, offset });
            };
            let (Some(slot), Some(what)) = (found.get_mut(kind), kinds.get(kind)) else {
                return Err(ModuleError::Truncated { module, offset });
            };
            if slot.replace(blob).is_some() {
                return Err(ModuleError::Twice(what.name));
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

#[cfg(test)]
mod tests {
    extern crate std;
    use super::*;
    use std::string::ToString;
    use std::vec;
    use std::vec::Vec;

    const ZONES: Kind = Kind {
        magic: *b"XDNZ",
        name: "compiled zone set",
        made_by: "dns-zone -o FILE",
    };
    const IDENTITY: Kind = Kind {
        magic: *b"XTLS",
        name: "compiled TLS identity",
        made_by: "tls-keygen compile",
    };
    static BOTH: [Kind; 2] = [ZONES, IDENTITY];
    static ONE: [Kind; 1] = [ZONES];

    fn blob(magic: [u8; 4], len: usize, fill: u8) -> Vec<u8> {
        let mut b = vec![fill; len];
        b[..4].copy_from_slice(&magic);
        b[8..12].copy_from_slice(&(len as u32).to_be_bytes());
        b
    }

    #[test]
    fn separate_and_concatenated_blobs_are_found() {
        let zones = blob(ZONES.magic, 40, 1);
        let identity = blob(IDENTITY.magic, 30, 2);
        assert_eq!(classify(&BOTH, []), Ok([None, None]));
        let found = classify(&BOTH, [&zones[..], &identity[..]]).unwrap();
        assert_eq!(found, [Some(&zones[..]), Some(&identity[..])]);
        let both = [identity.clone(), zones.clone()].concat();
        let found = classify(&BOTH, [&both[..]]).unwrap();
        assert_eq!(found, [Some(&zones[..]), Some(&identity[..])]);
        let found = classify(&BOTH, [&identity[..]]).unwrap();
        assert_eq!(found, [None, Some(&identity[..])]);
        assert_eq!(classify(&ONE, [&zones[..]]).unwrap(), [Some(&zones[..])]);
    }

    #[test]
    fn bad_modules_are_refused_with_a_reason() {
        let zones = blob(ZONES.magic, 40, 1);
        let identity = blob(IDENTITY.magic, 30, 2);
        let unknown = |module, offset, kinds| ModuleError::Unknown {
            module,
            offset,
            kinds,
        };
        assert_eq!(
            classify(&BOTH, [&b"not a compiled blob at all"[..]]),
            Err(unknown(0, 0, &BOTH))
        );
        assert_eq!(classify(&BOTH, [&b""[..]]), Err(unknown(0, 0, &BOTH)));
        // An identity where only zone sets are taken.
        assert_eq!(
            classify(&ONE, [&zones[..], &identity[..]]),
            Err(unknown(1, 0, &ONE))
        );
        // Garbage after a good blob, in the same module.
        let tail = [zones.clone(), b"junk".to_vec()].concat();
        assert_eq!(classify(&BOTH, [&tail[..]]), Err(unknown(0, 40, &BOTH)));
        // Cut short, or a length below the header.
        assert_eq!(
            classify(&BOTH, [&zones[..39]]),
            Err(ModuleError::Truncated {
                module: 0,
                offset: 0
            })
        );
        assert_eq!(
            classify(&BOTH, [&zones[..6]]),
            Err(ModuleError::Truncated {
                module: 0,
                offset: 0
            })
        );
        let mut short = zones.clone();
        short[8..12].copy_from_slice(&4u32.to_be_bytes());
        assert_eq!(
            classify(&BOTH, [&short[..]]),
            Err(ModuleError::Truncated {
                module: 0,
                offset: 0
            })
        );
        assert_eq!(
            classify(&BOTH, [&zones[..], &zones[..]]),
            Err(ModuleError::Twice(ZONES.name))
        );
        assert_eq!(
            ModuleError::Twice(ZONES.name).to_string(),
            "the boot modules hold two compiled zone sets: pass at most one of each"
        );
        // The messages name what was expected.
        let text = unknown(0, 0, &BOTH).to_string();
        assert!(
            text.contains("neither a compiled zone set")
                && text.contains("nor a compiled TLS identity"),
            "{text}"
        );
        let text = unknown(2, 16, &ONE).to_string();
        assert_eq!(
            text,
            "boot module 2 holds, at octet 16, something other than a compiled zone set (dns-zone -o FILE)"
        );
    }
}
