//! Hosted mode (feature `std`, Linux processes): `/dev/urandom` and the system clock, for apps
//! that also run as a process over a TAP device (their `--hosted` mode).

use alloc::sync::Arc;
use std::io::Read;

use rustls::crypto::{GetRandomFailed, SecureRandom};
use rustls::pki_types::UnixTime;
use rustls::time_provider::TimeProvider;

use crate::{Error, Identity, TlsAcceptor};

/// The kernel's random source, `/dev/urandom`.
#[derive(Debug)]
pub struct Urandom;

/// The one `/dev/urandom` source (rustls wants a `'static` random source).
pub static URANDOM: Urandom = Urandom;

impl SecureRandom for Urandom {
    fn fill(&self, buffer: &mut [u8]) -> Result<(), GetRandomFailed> {
        std::fs::File::open("/dev/urandom")
            .and_then(|mut file| file.read_exact(buffer))
            .map_err(|_| GetRandomFailed)
    }
}

/// The system's wallclock.
#[derive(Debug)]
pub struct SystemClock;

impl TimeProvider for SystemClock {
    fn current_time(&self) -> Option<UnixTime> {
        let since = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .ok()?;
        Some(UnixTime::since_unix_epoch(since))
    }
}

/// A [`TlsAcceptor`] on `/dev/urandom` and the system clock.
pub fn acceptor(identity: &Identity) -> Result<TlsAcceptor, Error> {
    TlsAcceptor::new(identity, &URANDOM, Arc::new(SystemClock))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urandom_fills_and_the_acceptor_starts() {
        let mut a = [0u8; 32];
        let mut b = [0u8; 32];
        URANDOM.fill(&mut a).unwrap();
        URANDOM.fill(&mut b).unwrap();
        assert_ne!(a, b);
        assert!(SystemClock.current_time().unwrap().as_secs() > 1_700_000_000);
        let identity = Identity::from_der(
            alloc::vec![include_bytes!("../tests/data/p256-cert.der").to_vec()],
            include_bytes!("../tests/data/p256-key.der").to_vec(),
        )
        .unwrap();
        acceptor(&identity).unwrap();
    }
}
