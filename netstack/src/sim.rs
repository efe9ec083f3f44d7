//! A simulated network for tests: an in-memory Ethernet [`Wire`] with two ends, and a
//! [`SimMachine`] whose clock jumps to the next deadline instead of sleeping.
//!
//! Two [`Stack`](crate::Stack)s over the two ends of a wire, run by one
//! [`Executor`](crate::Executor), talk to each other exactly as over a real link: ARP, TCP
//! handshakes, retransmissions (with [`Wire::drop_every`]), timers. The simulated clock makes
//! such a test fast and deterministic: a 200 ms retransmission timeout takes no real time.
//!
//! The machine's `idle` returns at once while frames are in flight (a frame on the wire is a
//! device event), jumps the clock to the deadline otherwise, and panics when there is neither
//! (nothing could ever happen again: the test is deadlocked).

use alloc::collections::VecDeque;
use alloc::rc::Rc;
use alloc::vec::Vec;
use core::cell::{Cell, RefCell};
use core::fmt;
use core::time::Duration;

use crate::{DeviceStats, Machine, NetDevice};

/// Frames a direction of the wire holds before it drops (like a full ring).
const QUEUE_FRAMES: usize = 512;

/// An Ethernet link between two [`WireEnd`]s.
#[derive(Clone, Default)]
pub struct Wire {
    state: Rc<RefCell<WireState>>,
}

#[derive(Default)]
struct WireState {
    /// Frames travelling towards end 0 and end 1.
    queues: [VecDeque<Vec<u8>>; 2],
    /// Drop every n-th frame (0: none).
    drop_every: u64,
    /// Frames offered to the wire.
    offered: u64,
    stats: [DeviceStats; 2],
}

/// One end of a [`Wire`]: a [`NetDevice`].
pub struct WireEnd {
    state: Rc<RefCell<WireState>>,
    side: usize,
}

impl Wire {
    /// A wire with nothing on it.
    pub fn new() -> Wire {
        Wire::default()
    }

    /// The wire's two ends (MAC addresses `02:00:00:00:00:01` and `02:00:00:00:00:02`).
    /// Take them once: each end receives what the other transmits.
    pub fn ends(&self) -> (WireEnd, WireEnd) {
        let end = |side| WireEnd {
            state: self.state.clone(),
            side,
        };
        (end(0), end(1))
    }

    /// Loses every `n`-th frame offered to the wire, in either direction (0: lose none).
    pub fn drop_every(&self, n: u64) {
        self.state.borrow_mut().drop_every = n;
    }

    /// Frames on the wire, not yet received.
    pub fn in_flight(&self) -> usize {
        let state = self.state.borrow();
        state.queues[0].len() + state.queues[1].len()
    }
}

impl fmt::Debug for Wire {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = self.state.borrow();
        f.debug_struct("Wire")
            .field(
                "in_flight",
                &(state.queues[0].len() + state.queues[1].len()),
            )
            .field("offered", &state.offered)
            .field("drop_every", &state.drop_every)
            .finish()
    }
}

impl NetDevice for WireEnd {
    fn mac_address(&self) -> [u8; 6] {
        [0x02, 0, 0, 0, 0, self.side as u8 + 1]
    }

    fn receive(&mut self, buffer: &mut [u8]) -> Option<usize> {
        let mut state = self.state.borrow_mut();
        let frame = state.queues[self.side].pop_front()?;
        let Some(destination) = buffer.get_mut(..frame.len()) else {
            state.stats[self.side].rx_dropped += 1;
            return None;
        };
        destination.copy_from_slice(&frame);
        state.stats[self.side].rx_frames += 1;
        Some(frame.len())
    }

    fn can_transmit(&self) -> bool {
        self.state.borrow().queues[1 - self.side].len() < QUEUE_FRAMES
    }

    fn transmit(&mut self, frame: &[u8]) -> bool {
        let mut state = self.state.borrow_mut();
        let state = &mut *state;
        state.offered += 1;
        let lost = state.drop_every != 0 && state.offered.is_multiple_of(state.drop_every);
        let queue = &mut state.queues[1 - self.side];
        let stats = &mut state.stats[self.side];
        if queue.len() >= QUEUE_FRAMES {
            stats.tx_dropped += 1;
            return false;
        }
        stats.tx_frames += 1;
        if !lost {
            queue.push_back(frame.to_vec());
        }
        true
    }

    fn flush(&mut self) {}

    fn is_up(&self) -> bool {
        true
    }

    fn stats(&self) -> DeviceStats {
        self.state.borrow().stats[self.side]
    }
}

impl fmt::Debug for WireEnd {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WireEnd").field("side", &self.side).finish()
    }
}

/// A [`Machine`] with a simulated clock, for stacks on a [`Wire`].
#[derive(Debug)]
pub struct SimMachine {
    wire: Wire,
    now: Cell<Duration>,
    random: Cell<u64>,
    idles: Cell<u64>,
}

impl SimMachine {
    /// A clock at zero, watching `wire` for frames in flight; `seed` drives the randomness.
    pub fn new(wire: &Wire, seed: u64) -> SimMachine {
        SimMachine {
            wire: wire.clone(),
            now: Cell::new(Duration::ZERO),
            random: Cell::new(seed),
            idles: Cell::new(0),
        }
    }

    /// Moves the clock forward by `duration`.
    pub fn advance(&self, duration: Duration) {
        self.now.set(self.now.get() + duration);
    }

    /// How often the executor went idle (jumped the clock or found frames in flight).
    pub fn idles(&self) -> u64 {
        self.idles.get()
    }
}

impl Machine for SimMachine {
    fn now(&self) -> Duration {
        self.now.get()
    }

    fn idle(&self, deadline: Option<Duration>) {
        self.idles.set(self.idles.get() + 1);
        if self.wire.in_flight() > 0 {
            return;
        }
        match deadline {
            Some(deadline) => self.now.set(self.now.get().max(deadline)),
            None => panic!(
                "simulation deadlock: no task is ready, no frame is on the wire and no timer is set"
            ),
        }
    }

    fn random_u64(&self) -> u64 {
        // splitmix64
        let state = self.random.get().wrapping_add(0x9e37_79b9_7f4a_7c15);
        self.random.set(state);
        let mut z = state;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
}
