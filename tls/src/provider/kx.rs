//! Key exchange: X25519 (RFC 7748, `x25519-dalek`) and secp256r1 ECDHE (`p256`), the two
//! groups every current client offers.
//!
//! Each group holds the provider's random source, because rustls starts a key exchange
//! without passing one. The peer's share is checked: X25519 refuses an all-zero shared secret
//! (RFC 8446 §7.4.2), P-256 takes only an uncompressed point on the curve (§4.2.8.2).

use alloc::boxed::Box;
use core::fmt;

use rustls::crypto::{ActiveKeyExchange, SecureRandom, SharedSecret, SupportedKxGroup};
use rustls::{Error, NamedGroup, PeerMisbehaved};

/// X25519.
pub struct X25519 {
    pub(crate) random: &'static dyn SecureRandom,
}

/// secp256r1 (NIST P-256).
pub struct Secp256r1 {
    pub(crate) random: &'static dyn SecureRandom,
}

impl fmt::Debug for X25519 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("X25519")
    }
}

impl fmt::Debug for Secp256r1 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("secp256r1")
    }
}

impl SupportedKxGroup for X25519 {
    fn start(&self) -> Result<Box<dyn ActiveKeyExchange>, Error> {
        let mut secret = [0u8; 32];
        self.random.fill(&mut secret)?;
        let public = x25519_dalek::x25519(secret, x25519_dalek::X25519_BASEPOINT_BYTES);
        Ok(Box::new(X25519Exchange { secret, public }))
    }

    fn name(&self) -> NamedGroup {
        NamedGroup::X25519
    }
}

struct X25519Exchange {
    secret: [u8; 32],
    public: [u8; 32],
}

impl ActiveKeyExchange for X25519Exchange {
    fn complete(mut self: Box<Self>, peer: &[u8]) -> Result<SharedSecret, Error> {
        let peer: [u8; 32] = peer
            .try_into()
            .map_err(|_| Error::from(PeerMisbehaved::InvalidKeyShare))?;
        let shared = x25519_dalek::x25519(self.secret, peer);
        self.secret = [0; 32];
        // A small-order peer point gives all zeros (RFC 7748 §6.1): refuse it.
        if shared.iter().fold(0, |acc, b| acc | b) == 0 {
            return Err(PeerMisbehaved::InvalidKeyShare.into());
        }
        Ok(SharedSecret::from(&shared[..]))
    }

    fn pub_key(&self) -> &[u8] {
        &self.public
    }

    fn group(&self) -> NamedGroup {
        NamedGroup::X25519
    }
}

impl SupportedKxGroup for Secp256r1 {
    fn start(&self) -> Result<Box<dyn ActiveKeyExchange>, Error> {
        // A random 32-octet string is a valid scalar unless it is 0 or ≥ n (p ≈ 2^-32);
        // a few attempts make failure impossible in practice.
        for _ in 0..4 {
            let mut bytes = [0u8; 32];
            self.random.fill(&mut bytes)?;
            let scalar = p256::NonZeroScalar::try_from(&bytes[..]);
            if let Ok(secret) = scalar {
                let public = p256::PublicKey::from_secret_scalar(&secret);
                let point = p256::EncodedPoint::from(public);
                let mut encoded = [0u8; 65];
                encoded.copy_from_slice(point.as_bytes());
                return Ok(Box::new(Secp256r1Exchange {
                    secret,
                    public: encoded,
                }));
            }
        }
        Err(Error::FailedToGetRandomBytes)
    }

    fn name(&self) -> NamedGroup {
        NamedGroup::secp256r1
    }
}

struct Secp256r1Exchange {
    secret: p256::NonZeroScalar,
    /// The uncompressed point, 0x04 ‖ x ‖ y.
    public: [u8; 65],
}

impl ActiveKeyExchange for Secp256r1Exchange {
    fn complete(self: Box<Self>, peer: &[u8]) -> Result<SharedSecret, Error> {
        // RFC 8446 §4.2.8.2: only the uncompressed form.
        if peer.len() != 65 || peer[0] != 4 {
            return Err(PeerMisbehaved::InvalidKeyShare.into());
        }
        let peer = p256::PublicKey::from_sec1_bytes(peer)
            .map_err(|_| Error::from(PeerMisbehaved::InvalidKeyShare))?;
        let shared = p256::ecdh::diffie_hellman(self.secret, peer.as_affine());
        Ok(SharedSecret::from(&shared.raw_secret_bytes()[..]))
    }

    fn pub_key(&self) -> &[u8] {
        &self.public
    }

    fn group(&self) -> NamedGroup {
        NamedGroup::secp256r1
    }
}
