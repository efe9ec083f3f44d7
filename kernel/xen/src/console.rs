//! The PV console: a byte stream to the toolstack's console daemon (`xl console`).
//!
//! Implements the guest side of `xen/include/public/io/console.h`: the page
//! (`HVM_PARAM_CONSOLE_PFN`) holds an `out` ring of 2048 bytes that we fill and xenconsoled
//! drains, and an `in` ring of 1024 bytes the other way; both are [`ByteRing`]s, signalled
//! through the event channel `HVM_PARAM_CONSOLE_EVTCHN`.
//!
//! A console must never hang the guest: when `out` is full, [`PvConsole::write`] waits for the
//! backend for at most [`PvConsole::WRITE_TIMEOUT_NS`], then drops the rest and counts it. After
//! such a timeout the console does not wait again until the backend has made room (a dead
//! backend costs one timeout, not one per line). A corrupt ring drops everything written to it.

use crate::byte_ring::{ByteRing, Consumer, Producer, RingError, RingLayout};
use crate::hypervisor::Hypervisor;
use crate::shared::SharedMemory;
use crate::types::EventChannelPort;

/// The PV console of this domain.
#[derive(Debug)]
pub struct PvConsole<'a, H: Hypervisor> {
    hypervisor: &'a H,
    port: EventChannelPort,
    output: ByteRing<Producer>,
    input: ByteRing<Consumer>,
    dropped: u64,
    /// The last write gave up waiting, and the backend has not made room since.
    stalled: bool,
}

impl<'a, H: Hypervisor> PvConsole<'a, H> {
    /// How long one [`write`](Self::write) waits for the backend to make room.
    pub const WRITE_TIMEOUT_NS: u64 = 2_000_000_000;

    /// The console on `page` (`HVM_PARAM_CONSOLE_PFN`), signalled through `port`
    /// (`HVM_PARAM_CONSOLE_EVTCHN`).
    ///
    /// # Panics
    /// If `page` is smaller than `xencons_interface`.
    pub fn new(hypervisor: &'a H, page: SharedMemory, port: EventChannelPort) -> Self {
        PvConsole {
            hypervisor,
            port,
            output: ByteRing::new(page, RingLayout::CONSOLE_OUTPUT),
            input: ByteRing::new(page, RingLayout::CONSOLE_INPUT),
            dropped: 0,
            stalled: false,
        }
    }

    /// Writes `bytes`, waiting (boundedly) for the backend when the ring is full; returns how
    /// many were written. The rest is dropped and counted in [`dropped`](Self::dropped).
    pub fn write(&mut self, bytes: &[u8]) -> usize {
        let deadline = self
            .hypervisor
            .now_ns()
            .saturating_add(Self::WRITE_TIMEOUT_NS);
        let mut written = 0;
        while written < bytes.len() {
            match self.output.write(bytes.get(written..).unwrap_or_default()) {
                Ok(0) => {
                    if self.stalled || self.hypervisor.now_ns() >= deadline {
                        self.stalled = true;
                        break;
                    }
                    self.hypervisor.wait(deadline);
                }
                Ok(count) => {
                    written += count;
                    self.stalled = false;
                    self.notify();
                }
                Err(RingError::Corrupt { .. }) => break,
            }
        }
        self.dropped += (bytes.len() - written) as u64;
        written
    }

    /// Waits until the backend has consumed everything written, for at most `timeout_ns`;
    /// returns whether it has. A corrupt ring never drains.
    pub fn flush(&mut self, timeout_ns: u64) -> bool {
        let deadline = self.hypervisor.now_ns().saturating_add(timeout_ns);
        loop {
            match self.output.available() {
                Ok(0) => return true,
                Ok(_) => {}
                Err(RingError::Corrupt { .. }) => return false,
            }
            if self.hypervisor.now_ns() >= deadline {
                return false;
            }
            self.hypervisor.wait(deadline);
        }
    }

    /// Reads console input into `buf`, without waiting; returns the number of bytes read.
    pub fn read(&mut self, buf: &mut [u8]) -> Result<usize, RingError> {
        let read = self.input.read(buf)?;
        if read > 0 {
            // The backend may be waiting for room.
            self.notify();
        }
        Ok(read)
    }

    /// How many bytes [`write`](Self::write) has dropped since the console was created.
    pub fn dropped(&self) -> u64 {
        self.dropped
    }

    fn notify(&self) {
        // Nothing to do if it fails: the console is where we would report it.
        let _ = self.hypervisor.event_channel_send(self.port);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{FakeXen, FakeXenstored, Peer, TICK_NS};
    use alloc::vec::Vec;
    use core::sync::atomic::Ordering;

    const PORT: EventChannelPort = EventChannelPort(2);

    #[derive(Clone, Copy, Debug, PartialEq, Eq)]
    enum Backend {
        /// Drains the ring whenever notified.
        Fast,
        /// Takes this many bytes each time the guest waits, and ignores notifications.
        Slow(usize),
        /// Never reads.
        Dead,
    }

    /// xenconsoled: the peer domain behind the console page and `PORT`.
    struct FakeXenconsoled {
        page: SharedMemory,
        backend: Backend,
        /// What it read from the `out` ring, in order.
        received: Vec<u8>,
        /// How many times the guest notified it.
        notifications: u32,
    }

    impl FakeXenconsoled {
        /// Reads up to `limit` bytes from the `out` ring (none from a corrupt one).
        fn drain(&mut self, limit: usize) {
            let ring = ByteRing::<Consumer>::new(self.page, RingLayout::CONSOLE_OUTPUT);
            let mut buf = [0; 2048];
            let read = ring.read(&mut buf[..limit.min(2048)]).unwrap_or(0);
            self.received.extend_from_slice(&buf[..read]);
        }
    }

    impl Peer for FakeXenconsoled {
        fn on_wait(&mut self, _: &mut FakeXenstored) {
            match self.backend {
                Backend::Fast => self.drain(usize::MAX),
                Backend::Slow(rate) => self.drain(rate),
                Backend::Dead => {}
            }
        }

        fn on_event(&mut self, port: EventChannelPort) {
            assert_eq!(port, PORT);
            self.notifications += 1;
            if self.backend == Backend::Fast {
                self.drain(usize::MAX);
            }
        }
    }

    type Xen = FakeXen<FakeXenconsoled>;

    /// Xen with xenconsoled running as `backend` on a fresh console page.
    fn fake_xen(backend: Backend) -> Xen {
        FakeXen::new(FakeXenconsoled {
            page: SharedMemory::for_test(SharedMemory::PAGE),
            backend,
            received: Vec::new(),
            notifications: 0,
        })
    }

    fn open_console(xen: &Xen) -> PvConsole<'_, Xen> {
        PvConsole::new(xen, console_page(xen), PORT)
    }

    /// The console page.
    fn console_page(xen: &Xen) -> SharedMemory {
        xen.peer().page
    }

    fn text(len: usize) -> Vec<u8> {
        (0..len).map(|i| b"0123456789abcdef\n"[i % 17]).collect()
    }

    #[test]
    fn bytes_arrive_in_order_across_the_wrap() {
        let xen = fake_xen(Backend::Fast);
        let mut console = open_console(&xen);
        let data = text(5000);
        for chunk in data.chunks(700) {
            assert_eq!(console.write(chunk), chunk.len());
        }
        assert!(console.flush(TICK_NS));
        assert_eq!(xen.peer().received, data);
        assert_eq!(console.dropped(), 0);
        assert_eq!(xen.elapsed_ns(), 0, "a fast backend needs no waiting");
        assert!(xen.peer().notifications >= 8);
    }

    #[test]
    fn full_ring_waits_for_a_slow_backend() {
        let xen = fake_xen(Backend::Slow(100));
        let mut console = open_console(&xen);
        let data = text(6000);
        assert_eq!(console.write(&data), 6000);
        assert!(console.flush(PvConsole::<Xen>::WRITE_TIMEOUT_NS));
        assert_eq!(xen.peer().received, data);
        assert_eq!(console.dropped(), 0);
        // 2048 bytes fit at once; the other 3952 need 40 waits of 100 bytes, after which
        // 2000 bytes are left for the flush: 20 more waits.
        assert_eq!(xen.elapsed_ns(), 60 * TICK_NS);
    }

    #[test]
    fn dead_backend_drops_and_costs_one_timeout() {
        let xen = fake_xen(Backend::Dead);
        let mut console = open_console(&xen);
        assert_eq!(console.write(&text(3000)), 2048);
        assert_eq!(console.dropped(), 952);
        assert_eq!(xen.elapsed_ns(), PvConsole::<Xen>::WRITE_TIMEOUT_NS);
        // Later writes do not wait again.
        assert_eq!(console.write(b"more"), 0);
        assert_eq!(console.dropped(), 956);
        assert_eq!(xen.elapsed_ns(), PvConsole::<Xen>::WRITE_TIMEOUT_NS);
        assert!(!console.flush(10 * TICK_NS));
        // Until the backend comes back.
        xen.peer().backend = Backend::Fast;
        xen.peer().drain(usize::MAX);
        assert_eq!(console.write(b"back"), 4);
        assert!(console.flush(TICK_NS));
        assert_eq!(xen.peer().received.len(), 2052);
    }

    #[test]
    fn corrupt_consumer_index_drops_without_panicking() {
        let xen = fake_xen(Backend::Dead);
        let mut console = open_console(&xen);
        assert_eq!(console.write(b"hello"), 5);
        // The backend claims to have consumed more than was produced.
        console_page(&xen).store_u32(RingLayout::CONSOLE_OUTPUT.cons, 6, Ordering::Relaxed);
        assert_eq!(console.write(b"world"), 0);
        assert_eq!(console.dropped(), 5);
        assert!(!console.flush(10 * TICK_NS));
        assert_eq!(xen.elapsed_ns(), 0, "a corrupt ring is not waited for");
    }

    #[test]
    fn input_is_read_and_the_backend_notified() {
        let xen = fake_xen(Backend::Fast);
        let mut console = open_console(&xen);
        let input = ByteRing::<Producer>::new(console_page(&xen), RingLayout::CONSOLE_INPUT);
        assert_eq!(input.write(b"ls\n"), Ok(3));
        let mut buf = [0; 8];
        assert_eq!(console.read(&mut buf), Ok(3));
        assert_eq!(&buf[..3], b"ls\n");
        assert_eq!(xen.peer().notifications, 1);
        assert_eq!(console.read(&mut buf), Ok(0));
        console_page(&xen).store_u32(RingLayout::CONSOLE_INPUT.prod, 5000, Ordering::Relaxed);
        assert!(matches!(
            console.read(&mut buf),
            Err(RingError::Corrupt { .. })
        ));
    }
}
