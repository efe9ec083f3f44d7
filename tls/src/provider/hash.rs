//! SHA-256 and SHA-384 (RustCrypto `sha2`) as rustls hashes, and HMAC over them (`hmac`) for
//! rustls's HKDF (TLS 1.3) and PRF (TLS 1.2) helpers.

use alloc::boxed::Box;
use core::marker::PhantomData;

use hmac::Mac;
use rustls::crypto::hash::{Context, Hash, HashAlgorithm, Output};
use rustls::crypto::hmac::{Hmac, Key, Tag};
use sha2::Digest;
use sha2::digest::core_api::BlockSizeUser;

/// A rustls [`Hash`] over a RustCrypto digest.
pub struct Sha<D>(HashAlgorithm, PhantomData<fn() -> D>);

/// SHA-256.
pub static SHA256: Sha<sha2::Sha256> = Sha(HashAlgorithm::SHA256, PhantomData);
/// SHA-384.
pub static SHA384: Sha<sha2::Sha384> = Sha(HashAlgorithm::SHA384, PhantomData);

impl<D: Digest + Clone + Send + Sync + 'static> Hash for Sha<D> {
    fn start(&self) -> Box<dyn Context> {
        Box::new(ShaContext(D::new()))
    }

    fn hash(&self, data: &[u8]) -> Output {
        Output::new(&D::digest(data))
    }

    fn output_len(&self) -> usize {
        <D as Digest>::output_size()
    }

    fn algorithm(&self) -> HashAlgorithm {
        self.0
    }
}

struct ShaContext<D>(D);

impl<D: Digest + Clone + Send + Sync + 'static> Context for ShaContext<D> {
    fn fork_finish(&self) -> Output {
        Output::new(&self.0.clone().finalize())
    }

    fn fork(&self) -> Box<dyn Context> {
        Box::new(ShaContext(self.0.clone()))
    }

    fn finish(self: Box<Self>) -> Output {
        Output::new(&self.0.finalize())
    }

    fn update(&mut self, data: &[u8]) {
        self.0.update(data);
    }
}

/// HMAC over a RustCrypto digest.
pub struct HmacSha<D>(PhantomData<fn() -> D>);

/// HMAC-SHA-256.
pub static HMAC_SHA256: HmacSha<sha2::Sha256> = HmacSha(PhantomData);
/// HMAC-SHA-384.
pub static HMAC_SHA384: HmacSha<sha2::Sha384> = HmacSha(PhantomData);

impl<D: Digest + BlockSizeUser + Clone + Send + Sync + 'static> Hmac for HmacSha<D> {
    fn with_key(&self, key: &[u8]) -> Box<dyn Key> {
        // `SimpleHmac` takes keys of any length (longer ones are hashed first).
        let mac = <hmac::SimpleHmac<D> as Mac>::new_from_slice(key)
            .unwrap_or_else(|_| unreachable!("HMAC accepts keys of any length"));
        Box::new(HmacKey(mac))
    }

    fn hash_output_len(&self) -> usize {
        <D as Digest>::output_size()
    }
}

struct HmacKey<D: Digest + BlockSizeUser>(hmac::SimpleHmac<D>);

impl<D: Digest + BlockSizeUser + Clone + Send + Sync + 'static> Key for HmacKey<D> {
    fn sign_concat(&self, first: &[u8], middle: &[&[u8]], last: &[u8]) -> Tag {
        let mut mac = self.0.clone();
        mac.update(first);
        for part in middle {
            mac.update(part);
        }
        mac.update(last);
        Tag::new(&mac.finalize().into_bytes())
    }

    fn tag_len(&self) -> usize {
        <D as Digest>::output_size()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sha256_and_hmac_known_answers() {
        // FIPS 180-2 "abc"; RFC 4231 test case 2.
        assert_eq!(SHA256.hash(b"abc").as_ref()[..4], [0xba, 0x78, 0x16, 0xbf]);
        let tag = HMAC_SHA256
            .with_key(b"Jefe")
            .sign(&[b"what do ya want ", b"for nothing?"]);
        assert_eq!(tag.as_ref()[..4], [0x5b, 0xdc, 0xc1, 0x46]);
        let mut context = SHA384.start();
        context.update(b"a");
        let forked = context.fork_finish();
        context.update(b"bc");
        assert_eq!(forked.as_ref(), SHA384.hash(b"a").as_ref());
        assert_eq!(context.finish().as_ref(), SHA384.hash(b"abc").as_ref());
    }
}
