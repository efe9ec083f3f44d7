//! TLS 1.2 record protection (feature `tls12`) for the AEADs of [`super::aead`]: AES-GCM with
//! its explicit per-record nonce (RFC 5288), ChaCha20-Poly1305 with the TLS 1.3-style nonce
//! (RFC 7905). Lengths are checked before use: a short or forged record is a `DecryptError`.

use alloc::boxed::Box;

use aes_gcm::aead::generic_array::GenericArray;
use rustls::ConnectionTrafficSecrets;
use rustls::Error;
use rustls::crypto::cipher::{
    AeadKey, InboundOpaqueMessage, InboundPlainMessage, Iv, KeyBlockShape, MessageDecrypter,
    MessageEncrypter, NONCE_LEN, Nonce, OutboundOpaqueMessage, OutboundPlainMessage,
    PrefixedPayload, Tls12AeadAlgorithm, UnsupportedOperationError, make_tls12_aad,
};

use super::aead::{Aead, AeadAlgorithm, TAG_LEN, cipher};

/// TLS 1.2 AES-GCM: the per-record explicit nonce (RFC 5288 §3).
const GCM_EXPLICIT_LEN: usize = 8;
/// TLS 1.2 AES-GCM: the implicit salt from the key block.
const GCM_SALT_LEN: usize = 4;

impl<A: Aead> Tls12AeadAlgorithm for AeadAlgorithm<A> {
    fn encrypter(&self, key: AeadKey, iv: &[u8], extra: &[u8]) -> Box<dyn MessageEncrypter> {
        if !A::GCM {
            Box::new(Tls12ChaCha::<A>(cipher(&key), Iv::copy(iv)))
        } else {
            Box::new(Tls12Gcm::<A>(cipher(&key), gcm_iv(iv, extra)))
        }
    }

    fn decrypter(&self, key: AeadKey, iv: &[u8]) -> Box<dyn MessageDecrypter> {
        if !A::GCM {
            Box::new(Tls12ChaCha::<A>(cipher(&key), Iv::copy(iv)))
        } else {
            // Only the salt is used when decrypting: the rest of the nonce comes in the record.
            Box::new(Tls12Gcm::<A>(
                cipher(&key),
                gcm_iv(iv, &[0; GCM_EXPLICIT_LEN]),
            ))
        }
    }

    fn key_block_shape(&self) -> KeyBlockShape {
        let enc_key_len = <A as aes_gcm::aead::KeySizeUser>::key_size();
        if !A::GCM {
            KeyBlockShape {
                enc_key_len,
                fixed_iv_len: NONCE_LEN,
                explicit_nonce_len: 0,
            }
        } else {
            KeyBlockShape {
                enc_key_len,
                fixed_iv_len: GCM_SALT_LEN,
                explicit_nonce_len: GCM_EXPLICIT_LEN,
            }
        }
    }

    fn extract_keys(
        &self,
        key: AeadKey,
        iv: &[u8],
        explicit: &[u8],
    ) -> Result<ConnectionTrafficSecrets, UnsupportedOperationError> {
        if !A::GCM {
            Ok(A::secrets(key, Iv::copy(iv)))
        } else {
            Ok(A::secrets(key, gcm_iv(iv, explicit)))
        }
    }
}

/// The 12-octet GCM nonce base: the 4-octet salt, then the 8-octet explicit part (zeros when
/// the key block has none, or too few octets were given).
fn gcm_iv(salt: &[u8], explicit: &[u8]) -> Iv {
    let mut iv = [0u8; NONCE_LEN];
    let salt_len = salt.len().min(GCM_SALT_LEN);
    iv[..salt_len].copy_from_slice(&salt[..salt_len]);
    let explicit_len = explicit.len().min(GCM_EXPLICIT_LEN);
    iv[GCM_SALT_LEN..GCM_SALT_LEN + explicit_len].copy_from_slice(&explicit[..explicit_len]);
    Iv::new(iv)
}

/// TLS 1.2 AES-GCM (RFC 5288): each record carries the last 8 octets of its nonce; we use
/// the base nonce xor the sequence number, as rustls and most stacks do.
struct Tls12Gcm<A>(A, Iv);

impl<A: Aead> MessageEncrypter for Tls12Gcm<A> {
    fn encrypt(
        &mut self,
        msg: OutboundPlainMessage<'_>,
        seq: u64,
    ) -> Result<OutboundOpaqueMessage, Error> {
        let nonce = Nonce::new(&self.1, seq).0;
        let mut payload =
            PrefixedPayload::with_capacity(self.encrypted_payload_len(msg.payload.len()));
        payload.extend_from_slice(&nonce[GCM_SALT_LEN..]);
        payload.extend_from_chunks(&msg.payload);
        let aad = make_tls12_aad(seq, msg.typ, msg.version, msg.payload.len());
        let tag = self
            .0
            .encrypt_in_place_detached(
                &GenericArray::from(nonce),
                &aad,
                &mut payload.as_mut()[GCM_EXPLICIT_LEN..],
            )
            .map_err(|_| Error::EncryptError)?;
        payload.extend_from_slice(&tag);
        Ok(OutboundOpaqueMessage::new(msg.typ, msg.version, payload))
    }

    fn encrypted_payload_len(&self, payload_len: usize) -> usize {
        GCM_EXPLICIT_LEN + payload_len + TAG_LEN
    }
}

impl<A: Aead> MessageDecrypter for Tls12Gcm<A> {
    fn decrypt<'a>(
        &mut self,
        mut msg: InboundOpaqueMessage<'a>,
        seq: u64,
    ) -> Result<InboundPlainMessage<'a>, Error> {
        let len = msg.payload.len();
        let Some(text_len) = len.checked_sub(GCM_EXPLICIT_LEN + TAG_LEN) else {
            return Err(Error::DecryptError);
        };
        let mut nonce = [0u8; NONCE_LEN];
        nonce[..GCM_SALT_LEN].copy_from_slice(&self.1.as_ref()[..GCM_SALT_LEN]);
        nonce[GCM_SALT_LEN..].copy_from_slice(&msg.payload[..GCM_EXPLICIT_LEN]);
        let aad = make_tls12_aad(seq, msg.typ, msg.version, text_len);
        let (text, tag) = msg.payload[GCM_EXPLICIT_LEN..].split_at_mut(text_len);
        self.0
            .decrypt_in_place_detached(
                &GenericArray::from(nonce),
                &aad,
                text,
                GenericArray::from_slice(tag),
            )
            .map_err(|_| Error::DecryptError)?;
        Ok(msg.into_plain_message_range(GCM_EXPLICIT_LEN..GCM_EXPLICIT_LEN + text_len))
    }
}

/// TLS 1.2 ChaCha20-Poly1305 (RFC 7905): nonce = IV xor sequence number, as in TLS 1.3.
struct Tls12ChaCha<A>(A, Iv);

impl<A: Aead> MessageEncrypter for Tls12ChaCha<A> {
    fn encrypt(
        &mut self,
        msg: OutboundPlainMessage<'_>,
        seq: u64,
    ) -> Result<OutboundOpaqueMessage, Error> {
        let mut payload =
            PrefixedPayload::with_capacity(self.encrypted_payload_len(msg.payload.len()));
        payload.extend_from_chunks(&msg.payload);
        let aad = make_tls12_aad(seq, msg.typ, msg.version, msg.payload.len());
        let nonce = GenericArray::from(Nonce::new(&self.1, seq).0);
        let tag = self
            .0
            .encrypt_in_place_detached(&nonce, &aad, payload.as_mut())
            .map_err(|_| Error::EncryptError)?;
        payload.extend_from_slice(&tag);
        Ok(OutboundOpaqueMessage::new(msg.typ, msg.version, payload))
    }

    fn encrypted_payload_len(&self, payload_len: usize) -> usize {
        payload_len + TAG_LEN
    }
}

impl<A: Aead> MessageDecrypter for Tls12ChaCha<A> {
    fn decrypt<'a>(
        &mut self,
        mut msg: InboundOpaqueMessage<'a>,
        seq: u64,
    ) -> Result<InboundPlainMessage<'a>, Error> {
        let len = msg.payload.len();
        let Some(text_len) = len.checked_sub(TAG_LEN) else {
            return Err(Error::DecryptError);
        };
        let aad = make_tls12_aad(seq, msg.typ, msg.version, text_len);
        let nonce = GenericArray::from(Nonce::new(&self.1, seq).0);
        let (text, tag) = msg.payload.split_at_mut(text_len);
        self.0
            .decrypt_in_place_detached(&nonce, &aad, text, GenericArray::from_slice(tag))
            .map_err(|_| Error::DecryptError)?;
        msg.payload.truncate(text_len);
        Ok(msg.into_plain_message())
    }
}
