//! The crypto provider: rustls's [`CryptoProvider`] built from RustCrypto crates, with only
//! what a TLS server without client authentication needs.
//!
//! | piece | what | crate |
//! |---|---|---|
//! | key exchange | X25519, secp256r1 | `x25519-dalek`, `p256` |
//! | TLS 1.3 suites | AES-128-GCM-SHA256, AES-256-GCM-SHA384, CHACHA20-POLY1305-SHA256 | `aes-gcm`, `chacha20poly1305`, `sha2`, `hmac` |
//! | TLS 1.2 suites (feature `tls12`) | ECDHE-ECDSA with AES-128-GCM, AES-256-GCM, CHACHA20-POLY1305 | same |
//! | server keys | ECDSA P-256 (+ Ed25519 with the `ed25519` feature) | `p256`, `ed25519-dalek` |
//! | randomness | supplied by the caller ([`SecureRandom`]) | — |
//!
//! No signature *verification* algorithms: they serve only to check certificates a peer
//! presents, and a server without client authentication never receives any. RSA is left out:
//! RSA signing would add a bignum library for keys nobody needs to use here.
//!
//! TLS 1.2 suites are listed for ECDSA certificates only (`ECDHE_ECDSA_*`): rustls skips
//! suites whose signature algorithm does not match the key, so Ed25519 keys work with the
//! same suites (RFC 8422 §5.1.1 allows Ed25519 in ECDHE_ECDSA suites).

mod aead;
#[cfg(feature = "tls12")]
mod aead12;
mod hash;
mod kx;
mod sign;

use alloc::boxed::Box;
use alloc::vec;

#[cfg(feature = "tls12")]
use rustls::crypto::KeyExchangeAlgorithm;
#[cfg(feature = "tls12")]
use rustls::crypto::tls12::PrfUsingHmac;
use rustls::crypto::tls13::HkdfUsingHmac;
use rustls::crypto::{
    CipherSuiteCommon, CryptoProvider, SecureRandom, SupportedKxGroup, WebPkiSupportedAlgorithms,
};
use rustls::{CipherSuite, SupportedCipherSuite, Tls13CipherSuite};
#[cfg(feature = "tls12")]
use rustls::{SignatureScheme, Tls12CipherSuite};

pub use sign::Keys;

/// Builds the provider around `random`, the source of every random octet rustls and the key
/// exchanges use (handshake randoms, ephemeral keys, session ids).
pub fn provider(random: &'static dyn SecureRandom) -> CryptoProvider {
    // The groups carry `random`; rustls wants them `'static`. A provider is built once per
    // image (it lives in the acceptor's `ServerConfig`), so two small leaks are fine.
    let x25519: &'static dyn SupportedKxGroup = Box::leak(Box::new(kx::X25519 { random }));
    let secp256r1: &'static dyn SupportedKxGroup = Box::leak(Box::new(kx::Secp256r1 { random }));
    CryptoProvider {
        cipher_suites: CIPHER_SUITES.to_vec(),
        kx_groups: vec![x25519, secp256r1],
        signature_verification_algorithms: WebPkiSupportedAlgorithms {
            all: &[],
            mapping: &[],
        },
        secure_random: random,
        key_provider: &Keys,
    }
}

/// Every suite, in the server's order of preference: TLS 1.3 first; ChaCha20-Poly1305 first
/// within each version. Everything here is portable software (the target has no AES-NI or
/// carry-less multiply), and there ChaCha20-Poly1305 is the faster AEAD: its add-rotate-xor
/// rounds cost a few instructions each, where AES-GCM needs bitsliced AES and a bit-serial
/// GHASH. (./scripts/bench --only https, same run setup: 7.8 KB responses over TLS 1.3 went
/// from 437 to 840 per second when ChaCha20 came first.) AES-128-GCM before AES-256-GCM.
pub static CIPHER_SUITES: &[SupportedCipherSuite] = &[
    TLS13_CHACHA20_POLY1305_SHA256,
    TLS13_AES_128_GCM_SHA256,
    TLS13_AES_256_GCM_SHA384,
    #[cfg(feature = "tls12")]
    TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256,
    #[cfg(feature = "tls12")]
    TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
    #[cfg(feature = "tls12")]
    TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
];

/// TLS_AES_128_GCM_SHA256 (RFC 8446).
pub static TLS13_AES_128_GCM_SHA256: SupportedCipherSuite =
    SupportedCipherSuite::Tls13(&Tls13CipherSuite {
        common: CipherSuiteCommon {
            suite: CipherSuite::TLS13_AES_128_GCM_SHA256,
            hash_provider: &hash::SHA256,
            // draft-irtf-cfrg-aead-limits §5.1: 2^24.5 full records for AES-GCM.
            confidentiality_limit: 1 << 24,
        },
        hkdf_provider: &HkdfUsingHmac(&hash::HMAC_SHA256),
        aead_alg: &aead::AES_128_GCM,
        quic: None,
    });

/// TLS_AES_256_GCM_SHA384 (RFC 8446).
pub static TLS13_AES_256_GCM_SHA384: SupportedCipherSuite =
    SupportedCipherSuite::Tls13(&Tls13CipherSuite {
        common: CipherSuiteCommon {
            suite: CipherSuite::TLS13_AES_256_GCM_SHA384,
            hash_provider: &hash::SHA384,
            confidentiality_limit: 1 << 24,
        },
        hkdf_provider: &HkdfUsingHmac(&hash::HMAC_SHA384),
        aead_alg: &aead::AES_256_GCM,
        quic: None,
    });

/// TLS_CHACHA20_POLY1305_SHA256 (RFC 8446).
pub static TLS13_CHACHA20_POLY1305_SHA256: SupportedCipherSuite =
    SupportedCipherSuite::Tls13(&Tls13CipherSuite {
        common: CipherSuiteCommon {
            suite: CipherSuite::TLS13_CHACHA20_POLY1305_SHA256,
            hash_provider: &hash::SHA256,
            confidentiality_limit: u64::MAX,
        },
        hkdf_provider: &HkdfUsingHmac(&hash::HMAC_SHA256),
        aead_alg: &aead::CHACHA20_POLY1305,
        quic: None,
    });

/// Signature schemes an `ECDHE_ECDSA` suite may use with our keys.
#[cfg(feature = "tls12")]
static TLS12_ECDSA_SCHEMES: &[SignatureScheme] = &[
    SignatureScheme::ED25519,
    SignatureScheme::ECDSA_NISTP256_SHA256,
];

/// TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256 (RFC 5289).
#[cfg(feature = "tls12")]
pub static TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256: SupportedCipherSuite =
    SupportedCipherSuite::Tls12(&Tls12CipherSuite {
        common: CipherSuiteCommon {
            suite: CipherSuite::TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
            hash_provider: &hash::SHA256,
            confidentiality_limit: 1 << 24,
        },
        kx: KeyExchangeAlgorithm::ECDHE,
        sign: TLS12_ECDSA_SCHEMES,
        aead_alg: &aead::AES_128_GCM,
        prf_provider: &PrfUsingHmac(&hash::HMAC_SHA256),
    });

/// TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384 (RFC 5289).
#[cfg(feature = "tls12")]
pub static TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384: SupportedCipherSuite =
    SupportedCipherSuite::Tls12(&Tls12CipherSuite {
        common: CipherSuiteCommon {
            suite: CipherSuite::TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
            hash_provider: &hash::SHA384,
            confidentiality_limit: 1 << 24,
        },
        kx: KeyExchangeAlgorithm::ECDHE,
        sign: TLS12_ECDSA_SCHEMES,
        aead_alg: &aead::AES_256_GCM,
        prf_provider: &PrfUsingHmac(&hash::HMAC_SHA384),
    });

/// TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256 (RFC 7905).
#[cfg(feature = "tls12")]
pub static TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256: SupportedCipherSuite =
    SupportedCipherSuite::Tls12(&Tls12CipherSuite {
        common: CipherSuiteCommon {
            suite: CipherSuite::TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256,
            hash_provider: &hash::SHA256,
            confidentiality_limit: u64::MAX,
        },
        kx: KeyExchangeAlgorithm::ECDHE,
        sign: TLS12_ECDSA_SCHEMES,
        aead_alg: &aead::CHACHA20_POLY1305,
        prf_provider: &PrfUsingHmac(&hash::HMAC_SHA256),
    });
