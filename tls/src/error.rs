//! The crate's one error type: a bad certificate or key, a missing random source, a failed
//! handshake or record, a broken transport. Each is shown as a sentence saying what went wrong
//! and, where it helps, what to do.

use alloc::string::String;
use core::fmt;

/// Why a TLS identity, acceptor or connection failed.
#[derive(Debug)]
pub enum Error {
    /// The random source failed its start-up check: TLS refuses to run without randomness.
    NoRandomness(String),
    /// The certificate chain is empty.
    NoCertificate,
    /// The end-entity certificate is not a DER X.509 certificate rustls can read.
    BadCertificate(String),
    /// The private key is not a supported key, or not valid DER.
    UnsupportedKey(String),
    /// The private key does not belong to the end-entity certificate.
    KeyMismatch,
    /// A compiled identity (see [`crate::identity`]) is malformed, truncated or corrupted.
    BadIdentity(&'static str),
    /// rustls refused the server configuration.
    Config(rustls::Error),
    /// The TLS handshake or a record failed (the peer sent something invalid, offered nothing
    /// we support, or closed in the middle); an alert was sent when there was one to send.
    Tls(rustls::Error),
    /// The peer sent a handshake message larger than the connection's buffer.
    MessageTooLarge(usize),
    /// The TCP connection failed.
    Transport(xenolith_netstack::Error),
    /// The peer closed the TCP connection without a TLS close_notify: the data may have been
    /// truncated by an attacker.
    UnexpectedEof,
    /// The connection was used after it was closed, or after it failed.
    Closed,
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::NoRandomness(why) => write!(
                f,
                "TLS refuses to start without a working random number generator: {why}"
            ),
            Error::NoCertificate => write!(
                f,
                "the certificate chain is empty: give at least the server's own certificate"
            ),
            Error::BadCertificate(why) => write!(
                f,
                "the server certificate is not a valid DER X.509 certificate ({why})"
            ),
            Error::UnsupportedKey(why) => write!(
                f,
                "the private key cannot be used: {why} (tls-keygen makes a suitable ECDSA P-256 key)"
            ),
            Error::KeyMismatch => write!(
                f,
                "the private key does not belong to the certificate: its public key differs from the one the certificate names"
            ),
            Error::BadIdentity(why) => write!(
                f,
                "the compiled certificate and key are unusable: {why}; make them again with tls-keygen --module"
            ),
            Error::Config(error) => write!(f, "the TLS configuration was refused: {error}"),
            Error::Tls(error) => write!(f, "TLS failed: {error}"),
            Error::MessageTooLarge(len) => write!(
                f,
                "the peer sent a TLS message larger than the {len}-octet connection buffer"
            ),
            Error::Transport(error) => write!(f, "the TCP connection failed: {error}"),
            Error::UnexpectedEof => write!(
                f,
                "the peer closed the TCP connection without a TLS close_notify (the data may be truncated)"
            ),
            Error::Closed => write!(
                f,
                "the TLS connection is closed: nothing more can be written"
            ),
        }
    }
}

impl core::error::Error for Error {}

impl From<xenolith_netstack::Error> for Error {
    fn from(error: xenolith_netstack::Error) -> Error {
        Error::Transport(error)
    }
}
