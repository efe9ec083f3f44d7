//! AES-GCM and ChaCha20-Poly1305 (RustCrypto `aes-gcm`, `chacha20poly1305`) as rustls record
//! ciphers for TLS 1.3 (RFC 8446 §5.2–5.3) and TLS 1.2 (RFC 5288 for GCM's explicit nonce,
//! RFC 7905 for ChaCha20-Poly1305).
//!
//! The TLS 1.2 record formats are in `aead12` (feature `tls12`).
//!
//! All three AEADs have a 12-octet nonce and a 16-octet tag. Decryption checks lengths before
//! touching the payload, so a short or forged record is a `DecryptError`, never a panic.

use alloc::boxed::Box;
use core::marker::PhantomData;

use aes_gcm::aead::consts::{U12, U16};
use aes_gcm::aead::generic_array::GenericArray;
use aes_gcm::aead::{AeadInPlace, KeyInit};
use rustls::crypto::cipher::{
    AeadKey, InboundOpaqueMessage, InboundPlainMessage, Iv, MessageDecrypter, MessageEncrypter,
    Nonce, OutboundOpaqueMessage, OutboundPlainMessage, PrefixedPayload, Tls13AeadAlgorithm,
    UnsupportedOperationError, make_tls13_aad,
};
use rustls::{ConnectionTrafficSecrets, ContentType, Error, ProtocolVersion};

/// Tag length of every AEAD here.
pub(super) const TAG_LEN: usize = 16;

/// The AEADs this provider has: 12-octet nonce, 16-octet tag.
pub trait Aead:
    AeadInPlace<NonceSize = U12, TagSize = U16> + KeyInit + Send + Sync + 'static
{
    /// AES-GCM: TLS 1.2 records carry an explicit nonce (RFC 5288); ChaCha20-Poly1305's do not.
    #[cfg_attr(not(feature = "tls12"), allow(dead_code))]
    const GCM: bool;
    /// The traffic secrets for rustls's key export (kTLS); unused by this crate, required by
    /// the trait.
    fn secrets(key: AeadKey, iv: Iv) -> ConnectionTrafficSecrets;
}

impl Aead for aes_gcm::Aes128Gcm {
    const GCM: bool = true;
    fn secrets(key: AeadKey, iv: Iv) -> ConnectionTrafficSecrets {
        ConnectionTrafficSecrets::Aes128Gcm { key, iv }
    }
}

impl Aead for aes_gcm::Aes256Gcm {
    const GCM: bool = true;
    fn secrets(key: AeadKey, iv: Iv) -> ConnectionTrafficSecrets {
        ConnectionTrafficSecrets::Aes256Gcm { key, iv }
    }
}

impl Aead for chacha20poly1305::ChaCha20Poly1305 {
    const GCM: bool = false;
    fn secrets(key: AeadKey, iv: Iv) -> ConnectionTrafficSecrets {
        ConnectionTrafficSecrets::Chacha20Poly1305 { key, iv }
    }
}

/// A rustls AEAD algorithm over the RustCrypto type `A`.
pub struct AeadAlgorithm<A>(PhantomData<fn() -> A>);

/// AES-128-GCM.
pub static AES_128_GCM: AeadAlgorithm<aes_gcm::Aes128Gcm> = AeadAlgorithm(PhantomData);
/// AES-256-GCM.
pub static AES_256_GCM: AeadAlgorithm<aes_gcm::Aes256Gcm> = AeadAlgorithm(PhantomData);
/// ChaCha20-Poly1305.
pub static CHACHA20_POLY1305: AeadAlgorithm<chacha20poly1305::ChaCha20Poly1305> =
    AeadAlgorithm(PhantomData);

pub(super) fn cipher<A: Aead>(key: &AeadKey) -> A {
    // rustls derives keys of exactly `key_len()` / `key_block_shape().enc_key_len` octets.
    A::new_from_slice(key.as_ref()).unwrap_or_else(|_| unreachable!("rustls sized the key"))
}

impl<A: Aead> Tls13AeadAlgorithm for AeadAlgorithm<A> {
    fn encrypter(&self, key: AeadKey, iv: Iv) -> Box<dyn MessageEncrypter> {
        Box::new(Tls13Record::<A>(cipher(&key), iv))
    }

    fn decrypter(&self, key: AeadKey, iv: Iv) -> Box<dyn MessageDecrypter> {
        Box::new(Tls13Record::<A>(cipher(&key), iv))
    }

    fn key_len(&self) -> usize {
        <A as aes_gcm::aead::KeySizeUser>::key_size()
    }

    fn extract_keys(
        &self,
        key: AeadKey,
        iv: Iv,
    ) -> Result<ConnectionTrafficSecrets, UnsupportedOperationError> {
        Ok(A::secrets(key, iv))
    }
}

/// TLS 1.3 record protection: nonce = IV xor sequence number; the inner content type
/// follows the plaintext; the record header is the additional data.
struct Tls13Record<A>(A, Iv);

impl<A: Aead> MessageEncrypter for Tls13Record<A> {
    fn encrypt(
        &mut self,
        msg: OutboundPlainMessage<'_>,
        seq: u64,
    ) -> Result<OutboundOpaqueMessage, Error> {
        let total_len = self.encrypted_payload_len(msg.payload.len());
        let mut payload = PrefixedPayload::with_capacity(total_len);
        payload.extend_from_chunks(&msg.payload);
        payload.extend_from_slice(&msg.typ.to_array());
        let nonce = GenericArray::from(Nonce::new(&self.1, seq).0);
        let tag = self
            .0
            .encrypt_in_place_detached(&nonce, &make_tls13_aad(total_len), payload.as_mut())
            .map_err(|_| Error::EncryptError)?;
        payload.extend_from_slice(&tag);
        Ok(OutboundOpaqueMessage::new(
            ContentType::ApplicationData,
            // RFC 8446 §5.1: the legacy record version of protected records.
            ProtocolVersion::TLSv1_2,
            payload,
        ))
    }

    fn encrypted_payload_len(&self, payload_len: usize) -> usize {
        payload_len + 1 + TAG_LEN
    }
}

impl<A: Aead> MessageDecrypter for Tls13Record<A> {
    fn decrypt<'a>(
        &mut self,
        mut msg: InboundOpaqueMessage<'a>,
        seq: u64,
    ) -> Result<InboundPlainMessage<'a>, Error> {
        let len = msg.payload.len();
        let Some(text_len) = len.checked_sub(TAG_LEN) else {
            return Err(Error::DecryptError);
        };
        let nonce = GenericArray::from(Nonce::new(&self.1, seq).0);
        let (text, tag) = msg.payload.split_at_mut(text_len);
        self.0
            .decrypt_in_place_detached(
                &nonce,
                &make_tls13_aad(len),
                text,
                GenericArray::from_slice(tag),
            )
            .map_err(|_| Error::DecryptError)?;
        msg.payload.truncate(text_len);
        msg.into_tls13_unpadded_message()
    }
}
