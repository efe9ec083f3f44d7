//! The kernel's random source and clock for TLS: RDRAND through `rt::random` (ten retries,
//! stuck-generator detection) and `rt::time::wallclock` (Xen `shared_info`, or the CMOS RTC).

use alloc::format;
use alloc::sync::Arc;

use rustls::crypto::{GetRandomFailed, SecureRandom};
use rustls::pki_types::UnixTime;
use rustls::time_provider::TimeProvider;

use crate::{Error, Identity, TlsAcceptor};

/// RDRAND, with `rt::random`'s checks on every draw.
#[derive(Debug)]
pub struct Rdrand;

/// The one RDRAND source (rustls wants a `'static` random source).
pub static RDRAND: Rdrand = Rdrand;

impl SecureRandom for Rdrand {
    fn fill(&self, buffer: &mut [u8]) -> Result<(), GetRandomFailed> {
        for chunk in buffer.chunks_mut(8) {
            let value = xenolith_rt::random::rdrand().map_err(|error| {
                log::error!("TLS: {error}");
                GetRandomFailed
            })?;
            chunk.copy_from_slice(&value.to_le_bytes()[..chunk.len()]);
        }
        Ok(())
    }
}

/// The wallclock: Xen's `shared_info`, or the CMOS RTC elsewhere.
#[derive(Debug)]
pub struct WallClock;

impl TimeProvider for WallClock {
    fn current_time(&self) -> Option<UnixTime> {
        xenolith_rt::time::wallclock().map(UnixTime::since_unix_epoch)
    }
}

/// A [`TlsAcceptor`] on RDRAND and the wallclock, refused with the reason if RDRAND is
/// missing or fails its start-up check (`rt::random::self_test`).
pub fn acceptor(identity: &Identity) -> Result<TlsAcceptor, Error> {
    xenolith_rt::random::self_test().map_err(|error| Error::NoRandomness(format!("{error}")))?;
    TlsAcceptor::new(identity, &RDRAND, Arc::new(WallClock))
}
