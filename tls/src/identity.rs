//! The server's identity: its certificate chain and private key, checked to belong together,
//! and the compiled form in which an image embeds it or receives it as a boot module.
//!
//! [`Identity::from_der`] is the one check, run on the host (by `tls-keygen` and by an app's
//! `build.rs`) and again in the guest (on the embedded or module bytes): the key must be a
//! supported key (ECDSA P-256 in PKCS#8 or SEC1, or Ed25519 in PKCS#8), the first certificate
//! must parse, and the key's public key must equal the certificate's SubjectPublicKeyInfo.
//!
//! The compiled form (all integers big-endian, like apps/dns's compiled zones):
//!
//! ```text
//! identity = magic "XTLS" | version u16 (=1) | cert_count u16 | total_len u32 | checksum u32
//!            | key_len u32 | key DER | (cert_len u32 | cert DER) * cert_count
//! ```
//!
//! `checksum` is FNV-1a (32 bit) over every octet after the 16-octet header and catches
//! truncation and bit rot, not tampering; `total_len` is the blob's length; certificates are
//! in chain order, the server's own first. A blob that arrives as a boot module is untrusted
//! input: every length is checked before use.

use alloc::sync::Arc;
use alloc::vec::Vec;
use core::fmt;

use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use rustls::sign::CertifiedKey;

use crate::Error;
use crate::provider::Keys;

/// The first four octets of a compiled identity.
pub const MAGIC: [u8; 4] = *b"XTLS";
/// The format version this crate writes and reads.
pub const VERSION: u16 = 1;
/// The fixed header: magic, version, certificate count, total length, checksum.
pub const HEADER_LEN: usize = 16;
/// At most this many certificates in a chain.
pub const MAX_CERTIFICATES: usize = 8;
/// A compiled identity is at most this long (a chain of a few certificates is ~5 KB).
pub const MAX_LEN: usize = 256 * 1024;

/// FNV-1a, 32 bit: the compiled identity's checksum.
pub fn checksum(bytes: &[u8]) -> u32 {
    bytes.iter().fold(0x811c_9dc5u32, |hash, &b| {
        (hash ^ u32::from(b)).wrapping_mul(0x0100_0193)
    })
}

/// A certificate chain with its private key, checked to belong together.
#[derive(Clone)]
pub struct Identity {
    chain: Vec<CertificateDer<'static>>,
    key: Vec<u8>,
    certified: Arc<CertifiedKey>,
}

impl fmt::Debug for Identity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Identity")
            .field("certificates", &self.chain.len())
            .field("key", &self.certified.key)
            .finish()
    }
}

impl Identity {
    /// Checks and takes a DER certificate chain (the server's certificate first) and a DER
    /// private key (PKCS#8 or SEC1).
    pub fn from_der(chain: Vec<Vec<u8>>, key: Vec<u8>) -> Result<Identity, Error> {
        if chain.is_empty() {
            return Err(Error::NoCertificate);
        }
        if chain.len() > MAX_CERTIFICATES {
            return Err(Error::BadIdentity("the chain has more than 8 certificates"));
        }
        let chain: Vec<CertificateDer<'static>> =
            chain.into_iter().map(CertificateDer::from).collect();
        let key_der = PrivateKeyDer::try_from(&key[..])
            .map_err(|why| Error::UnsupportedKey(why.into()))?
            .clone_key();
        let signing_key = rustls::crypto::KeyProvider::load_private_key(&Keys, key_der)
            .map_err(|error| Error::UnsupportedKey(alloc::format!("{error}")))?;
        let certified = CertifiedKey::new(chain.clone(), signing_key);
        match certified.keys_match() {
            Ok(()) => {}
            Err(rustls::Error::InconsistentKeys(rustls::InconsistentKeys::KeyMismatch)) => {
                return Err(Error::KeyMismatch);
            }
            Err(error) => return Err(Error::BadCertificate(alloc::format!("{error}"))),
        }
        Ok(Identity {
            chain,
            key,
            certified: Arc::new(certified),
        })
    }

    /// Reads and checks a compiled identity (embedded in the image or a boot module).
    pub fn from_compiled(blob: &[u8]) -> Result<Identity, Error> {
        let (chain, key) = parse(blob)?;
        Identity::from_der(chain, key)
    }

    /// The compiled form, for `build.rs` to embed or `tls-keygen --module` to write.
    pub fn to_compiled(&self) -> Vec<u8> {
        let mut body = Vec::new();
        push_part(&mut body, &self.key);
        for cert in &self.chain {
            push_part(&mut body, cert.as_ref());
        }
        let total_len = HEADER_LEN + body.len();
        let mut blob = Vec::with_capacity(total_len);
        blob.extend_from_slice(&MAGIC);
        blob.extend_from_slice(&VERSION.to_be_bytes());
        // `from_der` keeps the count at most MAX_CERTIFICATES.
        blob.extend_from_slice(&(self.chain.len() as u16).to_be_bytes());
        blob.extend_from_slice(&(total_len as u32).to_be_bytes());
        blob.extend_from_slice(&checksum(&body).to_be_bytes());
        blob.extend_from_slice(&body);
        blob
    }

    /// The certificate chain, the server's own certificate first.
    pub fn chain(&self) -> &[CertificateDer<'static>] {
        &self.chain
    }

    /// The checked certificate and signing key, as rustls uses them.
    pub fn certified_key(&self) -> Arc<CertifiedKey> {
        self.certified.clone()
    }
}

fn push_part(body: &mut Vec<u8>, part: &[u8]) {
    body.extend_from_slice(&(part.len() as u32).to_be_bytes());
    body.extend_from_slice(part);
}

/// Splits a compiled identity into its certificate chain and key, checking every length.
fn parse(blob: &[u8]) -> Result<(Vec<Vec<u8>>, Vec<u8>), Error> {
    let header = blob
        .get(..HEADER_LEN)
        .ok_or(Error::BadIdentity("it is shorter than its 16-octet header"))?;
    if header[..4] != MAGIC {
        return Err(Error::BadIdentity(
            "it does not start with XTLS (it is not a compiled identity)",
        ));
    }
    if u16::from_be_bytes([header[4], header[5]]) != VERSION {
        return Err(Error::BadIdentity("its format version is not 1"));
    }
    let count = usize::from(u16::from_be_bytes([header[6], header[7]]));
    let total_len = u32::from_be_bytes([header[8], header[9], header[10], header[11]]) as usize;
    let sum = u32::from_be_bytes([header[12], header[13], header[14], header[15]]);
    if total_len != blob.len() || total_len > MAX_LEN {
        return Err(Error::BadIdentity(
            "its length does not match its header (truncated or padded)",
        ));
    }
    if count == 0 || count > MAX_CERTIFICATES {
        return Err(Error::BadIdentity("it must hold 1 to 8 certificates"));
    }
    let mut body = &blob[HEADER_LEN..];
    if checksum(body) != sum {
        return Err(Error::BadIdentity("its checksum is wrong (corrupted)"));
    }
    let key = take_part(&mut body)?;
    let mut chain = Vec::with_capacity(count);
    for _ in 0..count {
        chain.push(take_part(&mut body)?);
    }
    if !body.is_empty() {
        return Err(Error::BadIdentity(
            "it has octets after its last certificate",
        ));
    }
    Ok((chain, key))
}

fn take_part(body: &mut &[u8]) -> Result<Vec<u8>, Error> {
    const SHORT: &str = "a length field points past its end";
    let (len, rest) = body
        .split_first_chunk::<4>()
        .ok_or(Error::BadIdentity(SHORT))?;
    let len = u32::from_be_bytes(*len) as usize;
    if len == 0 {
        return Err(Error::BadIdentity("it holds an empty certificate or key"));
    }
    let part = rest.get(..len).ok_or(Error::BadIdentity(SHORT))?;
    *body = &rest[len..];
    Ok(part.to_vec())
}
