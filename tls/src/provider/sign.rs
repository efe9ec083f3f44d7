//! Server signing keys: ECDSA P-256 with SHA-256 (what `tls-keygen` makes) and, with the
//! `ed25519` feature, Ed25519; loaded from PKCS#8 or SEC1 DER by the [`KeyProvider`].
//!
//! ECDSA signatures use RFC 6979 deterministic nonces, so signing needs no randomness (and a
//! weak generator cannot leak the key through the nonce). Each key reports its public key as
//! a SubjectPublicKeyInfo, which is how rustls (and [`crate::Identity`]) check that the key
//! belongs to the certificate.

use alloc::boxed::Box;
use alloc::sync::Arc;
use alloc::vec::Vec;
use core::fmt;

use p256::ecdsa::signature::Signer as _;
use p256::pkcs8::DecodePrivateKey;
use rustls::crypto::KeyProvider;
use rustls::pki_types::{PrivateKeyDer, SubjectPublicKeyInfoDer, alg_id};
use rustls::sign::{Signer, SigningKey, public_key_to_spki};
use rustls::{Error, SignatureAlgorithm, SignatureScheme};

/// Loads ECDSA P-256 (PKCS#8 or SEC1) and Ed25519 (PKCS#8) private keys.
#[derive(Debug)]
pub struct Keys;

impl KeyProvider for Keys {
    fn load_private_key(
        &self,
        key_der: PrivateKeyDer<'static>,
    ) -> Result<Arc<dyn SigningKey>, Error> {
        match &key_der {
            PrivateKeyDer::Pkcs8(der) => {
                if let Ok(key) = p256::ecdsa::SigningKey::from_pkcs8_der(der.secret_pkcs8_der()) {
                    return Ok(Arc::new(EcdsaP256::new(key)));
                }
                #[cfg(feature = "ed25519")]
                if let Ok(key) = ed25519_dalek::SigningKey::from_pkcs8_der(der.secret_pkcs8_der()) {
                    return Ok(Arc::new(Ed25519(key)));
                }
                Err(Error::General(unsupported()))
            }
            PrivateKeyDer::Sec1(der) => p256::SecretKey::from_sec1_der(der.secret_sec1_der())
                .map(|key| Arc::new(EcdsaP256::new(key.into())) as Arc<dyn SigningKey>)
                .map_err(|_| Error::General(unsupported())),
            _ => Err(Error::General(unsupported())),
        }
    }
}

fn unsupported() -> alloc::string::String {
    alloc::string::String::from(if cfg!(feature = "ed25519") {
        "the private key is not an ECDSA P-256 (PKCS#8 or SEC1) or Ed25519 (PKCS#8) key"
    } else {
        "the private key is not an ECDSA P-256 key in PKCS#8 or SEC1 form"
    })
}

/// An ECDSA P-256 key.
struct EcdsaP256 {
    key: Arc<p256::ecdsa::SigningKey>,
    spki: Vec<u8>,
}

impl EcdsaP256 {
    fn new(key: p256::ecdsa::SigningKey) -> EcdsaP256 {
        let point = key.verifying_key().to_encoded_point(false);
        let spki = public_key_to_spki(&alg_id::ECDSA_P256, point.as_bytes());
        EcdsaP256 {
            key: Arc::new(key),
            spki: spki.as_ref().to_vec(),
        }
    }
}

impl fmt::Debug for EcdsaP256 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("EcdsaP256")
    }
}

impl SigningKey for EcdsaP256 {
    fn choose_scheme(&self, offered: &[SignatureScheme]) -> Option<Box<dyn Signer>> {
        offered
            .contains(&SignatureScheme::ECDSA_NISTP256_SHA256)
            .then(|| Box::new(EcdsaP256Signer(self.key.clone())) as Box<dyn Signer>)
    }

    fn public_key(&self) -> Option<SubjectPublicKeyInfoDer<'_>> {
        Some(SubjectPublicKeyInfoDer::from(&self.spki[..]))
    }

    fn algorithm(&self) -> SignatureAlgorithm {
        SignatureAlgorithm::ECDSA
    }
}

struct EcdsaP256Signer(Arc<p256::ecdsa::SigningKey>);

impl fmt::Debug for EcdsaP256Signer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("EcdsaP256Signer")
    }
}

impl Signer for EcdsaP256Signer {
    fn sign(&self, message: &[u8]) -> Result<Vec<u8>, Error> {
        let signature: p256::ecdsa::Signature = self.0.sign(message);
        Ok(signature.to_der().as_bytes().to_vec())
    }

    fn scheme(&self) -> SignatureScheme {
        SignatureScheme::ECDSA_NISTP256_SHA256
    }
}

/// An Ed25519 key.
#[cfg(feature = "ed25519")]
struct Ed25519(ed25519_dalek::SigningKey);

#[cfg(feature = "ed25519")]
impl fmt::Debug for Ed25519 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Ed25519")
    }
}

#[cfg(feature = "ed25519")]
impl SigningKey for Ed25519 {
    fn choose_scheme(&self, offered: &[SignatureScheme]) -> Option<Box<dyn Signer>> {
        offered
            .contains(&SignatureScheme::ED25519)
            .then(|| Box::new(Ed25519Signer(self.0.clone())) as Box<dyn Signer>)
    }

    fn public_key(&self) -> Option<SubjectPublicKeyInfoDer<'_>> {
        let spki = public_key_to_spki(&alg_id::ED25519, self.0.verifying_key().as_bytes());
        Some(spki)
    }

    fn algorithm(&self) -> SignatureAlgorithm {
        SignatureAlgorithm::ED25519
    }
}

#[cfg(feature = "ed25519")]
struct Ed25519Signer(ed25519_dalek::SigningKey);

#[cfg(feature = "ed25519")]
impl fmt::Debug for Ed25519Signer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Ed25519Signer")
    }
}

#[cfg(feature = "ed25519")]
impl Signer for Ed25519Signer {
    fn sign(&self, message: &[u8]) -> Result<Vec<u8>, Error> {
        use ed25519_dalek::Signer as _;
        Ok(self.0.sign(message).to_bytes().to_vec())
    }

    fn scheme(&self) -> SignatureScheme {
        SignatureScheme::ED25519
    }
}
