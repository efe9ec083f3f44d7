//! Event-channel demultiplexing with the 2-level ABI (`shared_info`/`vcpu_info` in
//! `xen/include/public/xen.h`).
//!
//! Xen signals a port by setting its bit in `shared_info.evtchn_pending`, the word's bit in
//! `vcpu_info.evtchn_pending_sel` and `vcpu_info.evtchn_upcall_pending`, then raising the
//! upcall. The upcall handler only sets a wake flag; the main loop calls
//! [`EventChannels::demux`], which scans and clears those bits the way Linux's
//! `evtchn_2l_handle_events` and Mini-OS's `do_hypervisor_callback` do, and collects the ports
//! in a [`FiredPorts`] that each driver [`take`](FiredPorts::take)s its own port from.
//!
//! Only vCPU 0's `vcpu_info` is used (the kernel is single-core). Port 0 is never valid and is
//! never reported; ports at or above `EVTCHN_2L_NR_CHANNELS` cannot exist with this ABI, so they
//! never fire and read as masked.
//!
//! Masking sets the port's `evtchn_mask` bit directly. Unmasking must go through
//! [`Hypervisor::event_channel_unmask`] ([`EventChannels::unmask`]): an event that arrived while
//! the port was masked left its pending bit set without touching the selector or the upcall
//! flag, and only Xen's `EVTCHNOP_unmask` re-raises it. Clearing the mask bit ourselves would
//! lose that event.

use core::fmt;
use core::mem::offset_of;
use core::sync::atomic::Ordering;

use crate::abi::event_channel::EVTCHN_2L_NR_CHANNELS;
use crate::abi::xen::{shared_info, vcpu_info};
use crate::hypervisor::{Errno, Hypervisor};
use crate::shared::SharedMemory;
use crate::types::EventChannelPort;

/// Words in the pending and mask bitmaps.
const WORDS: usize = EVTCHN_2L_NR_CHANNELS / 64;
/// vCPU 0's `evtchn_upcall_pending` byte.
const UPCALL_PENDING: usize =
    offset_of!(shared_info, vcpu_info) + offset_of!(vcpu_info, evtchn_upcall_pending);
/// vCPU 0's `evtchn_pending_sel` word.
const PENDING_SEL: usize =
    offset_of!(shared_info, vcpu_info) + offset_of!(vcpu_info, evtchn_pending_sel);
/// `evtchn_pending[0]`.
const PENDING: usize = offset_of!(shared_info, evtchn_pending);
/// `evtchn_mask[0]`.
const MASK: usize = offset_of!(shared_info, evtchn_mask);

const _: () = assert!(WORDS == 64, "the selector has one bit per bitmap word");

/// The bitmap word and bit of `port`, if the 2-level ABI can address it.
fn word_and_bit(port: EventChannelPort) -> Option<(usize, u64)> {
    let port = port.0 as usize;
    (port < EVTCHN_2L_NR_CHANNELS).then(|| (port / 64, 1 << (port % 64)))
}

/// What went wrong setting up event-channel demultiplexing.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Error {
    /// The memory passed as `shared_info` is smaller than the structure.
    SharedInfoTooSmall {
        /// The length of the memory passed in.
        len: usize,
    },
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::SharedInfoTooSmall { len } => write!(
                f,
                "shared_info memory is {len} bytes but the structure needs {}: pass the whole mapped page",
                size_of::<shared_info>()
            ),
        }
    }
}

/// A set of event-channel ports, one bit per port of the 2-level ABI.
#[derive(Clone, PartialEq, Eq)]
pub struct FiredPorts {
    words: [u64; WORDS],
}

impl FiredPorts {
    /// The empty set.
    pub const fn new() -> Self {
        Self { words: [0; WORDS] }
    }

    /// Adds `port`; returns whether it was absent. Ports the 2-level ABI cannot address are
    /// never added.
    pub fn insert(&mut self, port: EventChannelPort) -> bool {
        let Some((word, bit)) = word_and_bit(port) else {
            return false;
        };
        let absent = self.words[word] & bit == 0;
        self.words[word] |= bit;
        absent
    }

    /// Removes `port`; returns whether it was present (test-and-clear).
    pub fn take(&mut self, port: EventChannelPort) -> bool {
        let Some((word, bit)) = word_and_bit(port) else {
            return false;
        };
        let present = self.words[word] & bit != 0;
        self.words[word] &= !bit;
        present
    }

    /// Whether `port` is in the set.
    pub fn contains(&self, port: EventChannelPort) -> bool {
        word_and_bit(port).is_some_and(|(word, bit)| self.words[word] & bit != 0)
    }

    /// Whether the set is empty.
    pub fn is_empty(&self) -> bool {
        self.words.iter().all(|&w| w == 0)
    }

    /// The ports in the set, in increasing order.
    pub fn iter(&self) -> impl Iterator<Item = EventChannelPort> + '_ {
        self.words
            .iter()
            .enumerate()
            .flat_map(|(word, &bits)| Bits(bits).map(move |bit| port(word, bit)))
    }
}

impl Default for FiredPorts {
    fn default() -> Self {
        Self::new()
    }
}

impl fmt::Debug for FiredPorts {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_set().entries(self.iter().map(|p| p.0)).finish()
    }
}

/// The port of bit `bit` in bitmap word `word`.
fn port(word: usize, bit: u32) -> EventChannelPort {
    EventChannelPort((word * 64) as u32 + bit)
}

/// The set bits of a word, lowest first.
struct Bits(u64);

impl Iterator for Bits {
    type Item = u32;

    fn next(&mut self) -> Option<u32> {
        (self.0 != 0).then(|| {
            let bit = self.0.trailing_zeros();
            self.0 &= self.0 - 1;
            bit
        })
    }
}

/// The event-channel state of `shared_info`, for vCPU 0.
#[derive(Debug)]
pub struct EventChannels {
    shared_info: SharedMemory,
}

impl EventChannels {
    /// Uses the mapped `shared_info` page.
    pub fn new(shared_info: SharedMemory) -> Result<Self, Error> {
        if shared_info.len() < size_of::<shared_info>() {
            return Err(Error::SharedInfoTooSmall {
                len: shared_info.len(),
            });
        }
        Ok(Self { shared_info })
    }

    /// Collects the ports that fired since the last call into `fired`, clearing their pending
    /// bits; masked ports stay pending and are not reported.
    ///
    /// An event that fires during the scan sets the upcall flag and selector again, so it is
    /// reported by the next call (and has woken the main loop meanwhile).
    pub fn demux(&self, fired: &mut FiredPorts) {
        let memory = &self.shared_info;
        // Clear the master flag /before/ taking the selector: an event arriving after the
        // exchange sets both again and is seen next time. The exchange is a full barrier.
        memory.store_u8(UPCALL_PENDING, 0, Ordering::SeqCst);
        let selector = memory.swap_u64(PENDING_SEL, 0);
        for word in Bits(selector) {
            let word = word as usize;
            let pending = memory.load_u64(PENDING + word * 8, Ordering::SeqCst);
            let masked = memory.load_u64(MASK + word * 8, Ordering::SeqCst);
            let active = pending & !masked;
            if active == 0 {
                continue;
            }
            // Clear exactly the bits we report, atomically: Xen may be setting others.
            let cleared = memory.fetch_and_u64(PENDING + word * 8, !active) & active;
            for bit in Bits(cleared) {
                let port = port(word, bit);
                if port.0 != 0 {
                    fired.insert(port);
                }
            }
        }
    }

    /// Whether Xen has flagged events that [`demux`](Self::demux) has not collected yet:
    /// `evtchn_upcall_pending` or any selector bit is set.
    ///
    /// Check this, with interrupts disabled, before halting. Xen raises an upcall only when a
    /// port's selector bit goes from clear to set; while the bit stays set, later events on that
    /// word set their pending bits silently. A selector bit left set with the upcall flag clear
    /// (the upcall handler clears the flag; only `demux` clears the selector) would make every
    /// port of the word deaf to a halted vCPU, so a halt must only start with the selector empty.
    pub fn work_waiting(&self) -> bool {
        self.shared_info.load_u8(UPCALL_PENDING, Ordering::SeqCst) != 0
            || self.shared_info.load_u64(PENDING_SEL, Ordering::SeqCst) != 0
    }

    /// Masks `port`: Xen keeps setting its pending bit but stops raising upcalls for it.
    pub fn mask(&self, port: EventChannelPort) {
        if let Some((word, bit)) = word_and_bit(port) {
            self.shared_info.fetch_or_u64(MASK + word * 8, bit);
        }
    }

    /// Whether `port` is masked (ports the 2-level ABI cannot address always are).
    pub fn is_masked(&self, port: EventChannelPort) -> bool {
        word_and_bit(port).is_none_or(|(word, bit)| {
            self.shared_info.load_u64(MASK + word * 8, Ordering::SeqCst) & bit != 0
        })
    }

    /// Unmasks `port` with `EVTCHNOP_unmask`, which re-raises the event if it became pending
    /// while masked (see the module docs for why the mask bit is not cleared here).
    pub fn unmask(
        &self,
        hypervisor: &impl Hypervisor,
        port: EventChannelPort,
    ) -> Result<(), Errno> {
        hypervisor.event_channel_unmask(port)
    }
}

#[cfg(test)]
mod tests {
    extern crate std;

    use super::*;
    use std::vec::Vec;

    fn setup() -> (EventChannels, SharedMemory) {
        let memory = SharedMemory::for_test(4096);
        (EventChannels::new(memory).unwrap(), memory)
    }

    /// Plays Xen: marks `port` pending and raises the upcall flags.
    fn raise(memory: &SharedMemory, port: u32) {
        let (word, bit) = word_and_bit(EventChannelPort(port)).unwrap();
        memory.fetch_or_u64(PENDING + word * 8, bit);
        memory.fetch_or_u64(PENDING_SEL, 1 << word);
        memory.store_u8(UPCALL_PENDING, 1, Ordering::SeqCst);
    }

    fn demux(events: &EventChannels) -> Vec<u32> {
        let mut fired = FiredPorts::new();
        events.demux(&mut fired);
        fired.iter().map(|p| p.0).collect()
    }

    #[test]
    fn offsets_match_the_abi() {
        assert_eq!(
            (UPCALL_PENDING, PENDING_SEL, PENDING, MASK),
            (0, 8, 2048, 2560)
        );
        assert_eq!(
            EventChannels::new(SharedMemory::for_test(3000)).unwrap_err(),
            Error::SharedInfoTooSmall { len: 3000 }
        );
    }

    #[test]
    fn single_port() {
        let (events, memory) = setup();
        raise(&memory, 3);
        assert_eq!(demux(&events), [3]);
        assert_eq!(memory.load_u8(UPCALL_PENDING, Ordering::SeqCst), 0);
        assert_eq!(memory.load_u64(PENDING_SEL, Ordering::SeqCst), 0);
        assert_eq!(memory.load_u64(PENDING, Ordering::SeqCst), 0);
        assert_eq!(demux(&events), [] as [u32; 0]);
    }

    #[test]
    fn ports_across_selector_words() {
        let (events, memory) = setup();
        for port in [4095, 130, 64, 63, 5] {
            raise(&memory, port);
        }
        assert_eq!(
            memory.load_u64(PENDING_SEL, Ordering::SeqCst),
            1 | 2 | 4 | 1 << 63
        );
        assert_eq!(demux(&events), [5, 63, 64, 130, 4095]);
        for word in 0..WORDS {
            assert_eq!(memory.load_u64(PENDING + word * 8, Ordering::SeqCst), 0);
        }
    }

    #[test]
    fn masked_ports_stay_pending() {
        let (events, memory) = setup();
        events.mask(EventChannelPort(65));
        assert!(events.is_masked(EventChannelPort(65)));
        assert!(!events.is_masked(EventChannelPort(64)));
        assert!(events.is_masked(EventChannelPort(4096)));
        raise(&memory, 65);
        raise(&memory, 66);
        assert_eq!(demux(&events), [66]);
        assert_eq!(memory.load_u64(PENDING + 8, Ordering::SeqCst), 1 << 1);
        assert_eq!(memory.load_u64(MASK + 8, Ordering::SeqCst), 1 << 1);
        // Out-of-range ports are ignored, not a panic.
        events.mask(EventChannelPort(u32::MAX));
    }

    #[test]
    fn events_raised_between_calls_come_next_time() {
        let (events, memory) = setup();
        raise(&memory, 10);
        let mut fired = FiredPorts::new();
        events.demux(&mut fired);
        // Xen raises another port after the scan.
        raise(&memory, 200);
        assert_eq!(memory.load_u8(UPCALL_PENDING, Ordering::SeqCst), 1);
        events.demux(&mut fired);
        assert_eq!(fired.iter().map(|p| p.0).collect::<Vec<_>>(), [10, 200]);
        assert!(fired.take(EventChannelPort(10)));
        assert_eq!(demux(&events), [] as [u32; 0]);
    }

    #[test]
    fn work_waiting_sees_the_selector_even_after_the_upcall_flag_is_cleared() {
        let (events, memory) = setup();
        assert!(!events.work_waiting());
        raise(&memory, 5);
        assert!(events.work_waiting());
        // The upcall handler clears only the flag: the selector still says "not collected".
        memory.store_u8(UPCALL_PENDING, 0, Ordering::SeqCst);
        assert!(events.work_waiting());
        let mut fired = FiredPorts::new();
        events.demux(&mut fired);
        assert!(!events.work_waiting());
        assert!(fired.contains(EventChannelPort(5)));
    }

    #[test]
    fn port_zero_is_ignored() {
        let (events, memory) = setup();
        raise(&memory, 0);
        raise(&memory, 1);
        assert_eq!(demux(&events), [1]);
        assert_eq!(memory.load_u64(PENDING, Ordering::SeqCst), 0);
    }

    #[test]
    fn fired_ports_set_operations() {
        let mut set = FiredPorts::default();
        assert!(set.is_empty());
        assert!(set.insert(EventChannelPort(4095)));
        assert!(!set.insert(EventChannelPort(4095)));
        assert!(set.insert(EventChannelPort(1)));
        assert!(!set.insert(EventChannelPort(4096)));
        assert!(set.contains(EventChannelPort(1)));
        assert_eq!(std::format!("{set:?}"), "{1, 4095}");
        assert!(set.take(EventChannelPort(4095)));
        assert!(!set.take(EventChannelPort(4095)));
        assert!(!set.take(EventChannelPort(u32::MAX)));
        assert!(set.take(EventChannelPort(1)));
        assert!(set.is_empty());
    }
}
