//! The front-end half of Xen's shared request/response ring (`xen/include/public/io/ring.h`).
//!
//! A ring is one page (or more) shared with a backend: a 64-byte header (`req_prod`,
//! `req_event`, `rsp_prod`, `rsp_event`, padding) followed by a power-of-two number of slots,
//! each as big as the protocol's request/response union ([`abi::io::ring`](crate::abi::io::ring)).
//! Indexes are free-running `u32`s compared with wrapping arithmetic; slot = index & (size - 1).
//! [`FrontRing`] is `struct name_front_ring` with the macros the frontend uses:
//! `XEN_FRONT_RING_INIT`, `RING_FREE_REQUESTS`, `RING_PUSH_REQUESTS_AND_CHECK_NOTIFY`,
//! `RING_COPY_RESPONSE` and `RING_FINAL_CHECK_FOR_RESPONSES`, with the same barriers.
//!
//! Requests and responses cross the page as explicit little-endian bytes ([`ToBytes`],
//! [`FromBytes`]), never by transmuting. The backend is untrusted: a response producer index
//! that claims more responses than we have outstanding requests is reported as
//! [`RingError::Overrun`] rather than read, so stale slots are never taken for new responses.
//! The contents of each response (ids, lengths) are for the protocol driver to validate.

use core::fmt;
use core::marker::PhantomData;
use core::mem::offset_of;
use core::sync::atomic::Ordering;

use crate::abi::io::netif::{
    netif_rx_request, netif_rx_response, netif_tx_request, netif_tx_response,
};
use crate::abi::io::ring::{RING_IDX, SRING_HEADER_SIZE, rd32, sring};
use crate::hypervisor::{Errno, Hypervisor};
use crate::shared::{SharedMemory, mb, rmb, wmb};
use crate::types::EventChannelPort;

const REQ_PROD: usize = offset_of!(sring<u64, 1>, req_prod);
const REQ_EVENT: usize = offset_of!(sring<u64, 1>, req_event);
const RSP_PROD: usize = offset_of!(sring<u64, 1>, rsp_prod);
const RSP_EVENT: usize = offset_of!(sring<u64, 1>, rsp_event);

/// A request's wire encoding: the bytes of its C struct, little-endian.
pub trait ToBytes {
    /// `[u8; N]` with `N` the size of the C struct.
    type Bytes: AsRef<[u8]>;
    /// Encodes `self`.
    fn to_bytes(&self) -> Self::Bytes;
}

/// A response's wire decoding from the bytes of its C struct, little-endian.
pub trait FromBytes: Sized {
    /// `[u8; N]` with `N` the size of the C struct.
    type Bytes: AsMut<[u8]> + Default;
    /// Decodes the fields; any bytes are a value (checking them is the protocol's job).
    fn from_bytes(bytes: &Self::Bytes) -> Self;
}

/// What the backend did wrong, or why a ring cannot be set up.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RingError {
    /// The memory cannot hold the header and one slot.
    TooSmall {
        /// The length of the memory passed in.
        len: usize,
    },
    /// The backend's `rsp_prod` claims more responses than requests we have pushed and not
    /// seen answered: the backend is broken or hostile.
    Overrun {
        /// The backend's response producer index.
        rsp_prod: RING_IDX,
        /// Our response consumer index.
        rsp_cons: RING_IDX,
        /// Requests pushed and not yet answered.
        outstanding: u32,
    },
}

impl fmt::Display for RingError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RingError::TooSmall { len } => write!(
                f,
                "a {len}-byte ring cannot hold the {SRING_HEADER_SIZE}-byte header and one entry: share a whole page"
            ),
            RingError::Overrun {
                rsp_prod,
                rsp_cons,
                outstanding,
            } => write!(
                f,
                "backend published responses up to {rsp_prod} from {rsp_cons} but only {outstanding} requests are outstanding: treat the device as broken"
            ),
        }
    }
}

/// [`FrontRing::push_request`] found no free slot: take responses first.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Full;

impl fmt::Display for Full {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "the ring is full: take responses before pushing more requests"
        )
    }
}

/// Whether the backend must be sent an event after a push.
#[must_use = "the backend may be asleep: pass this to `Notify::send` (or check `needed`)"]
#[derive(Debug, PartialEq, Eq)]
pub struct Notify {
    needed: bool,
}

impl Notify {
    /// Whether the backend asked to be woken for the requests just pushed.
    #[must_use]
    pub fn needed(self) -> bool {
        self.needed
    }

    /// Sends the event on `port` if it is needed.
    pub fn send(self, hypervisor: &impl Hypervisor, port: EventChannelPort) -> Result<(), Errno> {
        if self.needed {
            hypervisor.event_channel_send(port)
        } else {
            Ok(())
        }
    }
}

/// The frontend's view of a shared ring carrying `Req` requests and `Rsp` responses
/// (`struct name_front_ring`).
///
/// Invariant: `rsp_cons <= req_prod_pushed <= req_prod_pvt <= rsp_cons + size` in wrapping
/// arithmetic, so there are never more requests in flight than slots.
#[derive(Debug)]
pub struct FrontRing<Req, Rsp> {
    memory: SharedMemory,
    /// `nr_ents`: a power of two.
    size: u32,
    /// Requests produced, published or not.
    req_prod_pvt: RING_IDX,
    /// Requests published in `sring->req_prod`.
    req_prod_pushed: RING_IDX,
    /// Responses consumed.
    rsp_cons: RING_IDX,
    entries: PhantomData<fn(Req) -> Rsp>,
}

/// The TX ring of `io/netif.h`.
pub type NetTxFrontRing = FrontRing<netif_tx_request, netif_tx_response>;
/// The RX ring of `io/netif.h`.
pub type NetRxFrontRing = FrontRing<netif_rx_request, netif_rx_response>;

impl<Req: ToBytes, Rsp: FromBytes> FrontRing<Req, Rsp> {
    /// Size of a slot: `sizeof(union name_sring_entry)`.
    const ENTRY_SIZE: usize = {
        assert!(size_of::<Req::Bytes>() == size_of::<Req>());
        assert!(size_of::<Rsp::Bytes>() == size_of::<Rsp>());
        let size = if size_of::<Req>() > size_of::<Rsp>() {
            size_of::<Req>()
        } else {
            size_of::<Rsp>()
        };
        let align = if align_of::<Req>() > align_of::<Rsp>() {
            align_of::<Req>()
        } else {
            align_of::<Rsp>()
        };
        size.next_multiple_of(align)
    };

    /// Initialises the shared ring in `memory` and attaches to it: `XEN_FRONT_RING_INIT`
    /// (`SHARED_RING_INIT` + `FRONT_RING_INIT`), with the slot count of `__RING_SIZE` for
    /// `memory.len()` bytes.
    ///
    /// The whole of `memory` is zeroed first, so no stale data of ours is shared.
    pub fn init(memory: SharedMemory) -> Result<Self, RingError> {
        Self::init_at(memory, 0)
    }

    /// [`init`](Self::init) with every index starting at `start` instead of 0
    /// (`FRONT_RING_ATTACH`), so tests can cross the `u32` wrap.
    fn init_at(memory: SharedMemory, start: RING_IDX) -> Result<Self, RingError> {
        let slots = memory
            .len()
            .checked_sub(SRING_HEADER_SIZE)
            .map_or(0, |area| area / Self::ENTRY_SIZE);
        let size = rd32(u32::try_from(slots).unwrap_or(u32::MAX));
        if size == 0 {
            return Err(RingError::TooSmall { len: memory.len() });
        }
        memory.zero();
        memory.store_u32(REQ_PROD, start, Ordering::Relaxed);
        memory.store_u32(RSP_PROD, start, Ordering::Relaxed);
        memory.store_u32(REQ_EVENT, start.wrapping_add(1), Ordering::Relaxed);
        memory.store_u32(RSP_EVENT, start.wrapping_add(1), Ordering::Relaxed);
        Ok(Self {
            memory,
            size,
            req_prod_pvt: start,
            req_prod_pushed: start,
            rsp_cons: start,
            entries: PhantomData,
        })
    }

    /// Number of slots (`RING_SIZE`).
    pub fn size(&self) -> u32 {
        self.size
    }

    /// Requests that can be pushed before the ring is full (`RING_FREE_REQUESTS`).
    pub fn free_requests(&self) -> u32 {
        self.size - self.req_prod_pvt.wrapping_sub(self.rsp_cons)
    }

    /// Writes `request` into the next slot. The backend sees it only after
    /// [`push_requests_and_check_notify`](Self::push_requests_and_check_notify).
    pub fn push_request(&mut self, request: Req) -> Result<(), Full> {
        if self.free_requests() == 0 {
            return Err(Full);
        }
        self.memory
            .write_bytes(self.slot(self.req_prod_pvt), request.to_bytes().as_ref());
        self.req_prod_pvt = self.req_prod_pvt.wrapping_add(1);
        Ok(())
    }

    /// Publishes the requests written so far and says whether the backend asked to be notified
    /// of them (`RING_PUSH_REQUESTS_AND_CHECK_NOTIFY`): it did if its `req_event` lies in
    /// `(old, new]`.
    pub fn push_requests_and_check_notify(&mut self) -> Notify {
        // ring.h re-reads `sring->req_prod` for `old`; only we write it, so our copy is the
        // same value and cannot be tampered with.
        let old = self.req_prod_pushed;
        let new = self.req_prod_pvt;
        wmb(); // back sees requests /before/ updated producer index
        self.memory.store_u32(REQ_PROD, new, Ordering::Relaxed);
        self.req_prod_pushed = new;
        mb(); // back sees new requests /before/ we check req_event
        let req_event = self.memory.load_u32(REQ_EVENT, Ordering::Relaxed);
        Notify {
            needed: new.wrapping_sub(req_event) < new.wrapping_sub(old),
        }
    }

    /// Takes the next response, if the backend has published one (`RING_COPY_RESPONSE` at
    /// `rsp_cons`, then `rsp_cons++`).
    ///
    /// An [`Overrun`](RingError::Overrun) consumes nothing and is returned again on every
    /// call: the caller must stop using the ring.
    pub fn take_response(&mut self) -> Option<Result<Rsp, RingError>> {
        let rsp_prod = self.memory.load_u32(RSP_PROD, Ordering::Relaxed);
        let unconsumed = rsp_prod.wrapping_sub(self.rsp_cons);
        if unconsumed == 0 {
            return None;
        }
        let outstanding = self.req_prod_pushed.wrapping_sub(self.rsp_cons);
        if unconsumed > outstanding {
            return Some(Err(RingError::Overrun {
                rsp_prod,
                rsp_cons: self.rsp_cons,
                outstanding,
            }));
        }
        rmb(); // read the response /after/ the producer index that covers it
        let mut bytes = Rsp::Bytes::default();
        self.memory
            .read_bytes(self.slot(self.rsp_cons), bytes.as_mut());
        self.rsp_cons = self.rsp_cons.wrapping_add(1);
        Some(Ok(Rsp::from_bytes(&bytes)))
    }

    /// Whether responses are waiting; if none, first asks the backend for an event on the next
    /// one (`RING_FINAL_CHECK_FOR_RESPONSES`). Call before going to sleep.
    pub fn final_check_for_responses(&self) -> bool {
        if self.has_unconsumed_responses() {
            return true;
        }
        self.memory
            .store_u32(RSP_EVENT, self.rsp_cons.wrapping_add(1), Ordering::Relaxed);
        mb(); // back sees rsp_event /before/ we check rsp_prod again
        self.has_unconsumed_responses()
    }

    /// `RING_HAS_UNCONSUMED_RESPONSES` (true on an overrun too, which the next
    /// [`take_response`](Self::take_response) reports).
    fn has_unconsumed_responses(&self) -> bool {
        self.memory.load_u32(RSP_PROD, Ordering::Relaxed) != self.rsp_cons
    }

    /// Offset of the slot of `index`.
    fn slot(&self, index: RING_IDX) -> usize {
        SRING_HEADER_SIZE + (index & (self.size - 1)) as usize * Self::ENTRY_SIZE
    }
}

/// The little-endian `u16` at `at` (0 past the end, which the fixed-size callers never reach;
/// no panic path in the image).
fn u16_at(bytes: &[u8], at: usize) -> u16 {
    match bytes.get(at..at + 2) {
        Some(&[lo, hi]) => u16::from_le_bytes([lo, hi]),
        _ => 0,
    }
}

impl ToBytes for netif_tx_request {
    type Bytes = [u8; 12];

    fn to_bytes(&self) -> [u8; 12] {
        let [g0, g1, g2, g3] = self.gref.to_le_bytes();
        let [o0, o1] = self.offset.to_le_bytes();
        let [f0, f1] = self.flags.to_le_bytes();
        let [i0, i1] = self.id.to_le_bytes();
        let [s0, s1] = self.size.to_le_bytes();
        [g0, g1, g2, g3, o0, o1, f0, f1, i0, i1, s0, s1]
    }
}

impl FromBytes for netif_tx_response {
    type Bytes = [u8; 4];

    fn from_bytes(b: &[u8; 4]) -> Self {
        Self {
            id: u16_at(b, 0),
            status: u16_at(b, 2) as i16,
        }
    }
}

impl ToBytes for netif_rx_request {
    type Bytes = [u8; 8];

    fn to_bytes(&self) -> [u8; 8] {
        let [i0, i1] = self.id.to_le_bytes();
        let [p0, p1] = self.pad.to_le_bytes();
        let [g0, g1, g2, g3] = self.gref.to_le_bytes();
        [i0, i1, p0, p1, g0, g1, g2, g3]
    }
}

impl FromBytes for netif_rx_response {
    type Bytes = [u8; 8];

    fn from_bytes(b: &[u8; 8]) -> Self {
        Self {
            id: u16_at(b, 0),
            offset: u16_at(b, 2),
            flags: u16_at(b, 4),
            status: u16_at(b, 6) as i16,
        }
    }
}

#[cfg(test)]
mod tests {
    extern crate std;

    use super::*;
    use crate::abi::io::netif::{
        NET_RX_RING_SIZE, NET_TX_RING_SIZE, NETIF_RSP_ERROR, NETRXF_more_data, NETTXF_more_data,
        netif_rx_sring_entry, netif_tx_sring_entry,
    };
    use std::vec::Vec;

    fn page() -> SharedMemory {
        SharedMemory::for_test(4096)
    }

    fn tx_request(id: u16) -> netif_tx_request {
        netif_tx_request {
            gref: 0x0102_0304,
            offset: 0x0506,
            flags: NETTXF_more_data,
            id,
            size: 0x0a0b,
        }
    }

    /// The backend's side of the TX ring, played by the test.
    struct Backend {
        memory: SharedMemory,
    }

    impl Backend {
        fn load(&self, offset: usize) -> u32 {
            self.memory.load_u32(offset, Ordering::SeqCst)
        }

        fn store(&self, offset: usize, value: u32) {
            self.memory.store_u32(offset, value, Ordering::SeqCst);
        }

        /// The request `id` at `index` (bytes 8..10 of a TX request).
        fn request_id(&self, index: RING_IDX) -> u16 {
            let mut id = [0; 2];
            self.memory
                .read_bytes(64 + (index & 255) as usize * 12 + 8, &mut id);
            u16::from_le_bytes(id)
        }

        /// Answers the request at `index` with `status` (without publishing).
        fn respond(&self, index: RING_IDX, status: i16) {
            let id = self.request_id(index);
            let mut bytes = [0; 4];
            bytes[..2].copy_from_slice(&id.to_le_bytes());
            bytes[2..].copy_from_slice(&status.to_le_bytes());
            self.memory
                .write_bytes(64 + (index & 255) as usize * 12, &bytes);
        }
    }

    fn tx_ring_at(start: RING_IDX) -> (NetTxFrontRing, Backend) {
        let memory = page();
        let ring = NetTxFrontRing::init_at(memory, start).unwrap();
        (ring, Backend { memory })
    }

    #[test]
    fn geometry_matches_the_abi() {
        assert_eq!(
            NetTxFrontRing::ENTRY_SIZE,
            size_of::<netif_tx_sring_entry>()
        );
        assert_eq!(
            NetRxFrontRing::ENTRY_SIZE,
            size_of::<netif_rx_sring_entry>()
        );
        assert_eq!(
            NetTxFrontRing::init(page()).unwrap().size() as usize,
            NET_TX_RING_SIZE
        );
        assert_eq!(
            NetRxFrontRing::init(page()).unwrap().size() as usize,
            NET_RX_RING_SIZE
        );
        // __RING_SIZE rounds down to a power of two: 2 pages of 8-byte entries hold 1016 -> 512.
        let two_pages = SharedMemory::for_test(8192);
        assert_eq!(NetRxFrontRing::init(two_pages).unwrap().size(), 512);
        let tiny = SharedMemory::for_test(64 + 11);
        assert_eq!(
            NetTxFrontRing::init(tiny).unwrap_err(),
            RingError::TooSmall { len: 75 }
        );
    }

    #[test]
    fn init_writes_the_shared_header() {
        let memory = page();
        memory.write_bytes(0, &[0xff; 4096]);
        let ring = NetTxFrontRing::init(memory).unwrap();
        let mut header = [0xaa; 64];
        memory.read_bytes(0, &mut header);
        let mut expected = [0; 64];
        expected[4] = 1; // req_event
        expected[12] = 1; // rsp_event
        assert_eq!(header, expected);
        assert_eq!(ring.free_requests(), 256);
    }

    #[test]
    fn requests_are_encoded_into_their_slots() {
        let (mut ring, backend) = tx_ring_at(0);
        ring.push_request(tx_request(7)).unwrap();
        ring.push_request(tx_request(8)).unwrap();
        let mut slot = [0; 24];
        backend.memory.read_bytes(64, &mut slot);
        assert_eq!(
            slot[..12],
            [
                4,
                3,
                2,
                1,
                6,
                5,
                NETTXF_more_data as u8,
                0,
                7,
                0,
                0x0b,
                0x0a
            ]
        );
        assert_eq!(slot[12..][8], 8);
        // Not published yet.
        assert_eq!(backend.load(REQ_PROD), 0);
        assert!(ring.push_requests_and_check_notify().needed());
        assert_eq!(backend.load(REQ_PROD), 2);
    }

    #[test]
    fn notify_only_when_req_event_is_in_the_pushed_range() {
        let (mut ring, backend) = tx_ring_at(0);
        // Initial req_event = 1: the first request wakes the backend.
        ring.push_request(tx_request(0)).unwrap();
        assert!(ring.push_requests_and_check_notify().needed());
        // The backend is busy and has not asked again (req_event still 1).
        ring.push_request(tx_request(1)).unwrap();
        assert!(!ring.push_requests_and_check_notify().needed());
        // It consumed both and wants an event on the next: req_event = 3, in (2, 4].
        backend.store(REQ_EVENT, 3);
        ring.push_request(tx_request(2)).unwrap();
        ring.push_request(tx_request(3)).unwrap();
        assert!(ring.push_requests_and_check_notify().needed());
        // It wants to batch until request 10: not in (4, 5].
        backend.store(REQ_EVENT, 10);
        ring.push_request(tx_request(4)).unwrap();
        assert!(!ring.push_requests_and_check_notify().needed());
        // Pushing nothing never notifies.
        backend.store(REQ_EVENT, 5);
        assert!(!ring.push_requests_and_check_notify().needed());
    }

    #[test]
    fn full_ring() {
        let (mut ring, backend) = tx_ring_at(0);
        for id in 0..256 {
            ring.push_request(tx_request(id)).unwrap();
        }
        assert_eq!(ring.free_requests(), 0);
        assert_eq!(ring.push_request(tx_request(256)), Err(Full));
        let _ = ring.push_requests_and_check_notify();
        backend.respond(0, 0);
        backend.store(RSP_PROD, 1);
        assert_eq!(
            ring.take_response(),
            Some(Ok(netif_tx_response { id: 0, status: 0 }))
        );
        assert_eq!(ring.free_requests(), 1);
        ring.push_request(tx_request(256)).unwrap();
        assert_eq!(backend.request_id(256), 256);
        assert_eq!(ring.push_request(tx_request(257)), Err(Full));
    }

    #[test]
    fn indexes_wrap_at_u32_max() {
        let start = u32::MAX - 2;
        let (mut ring, backend) = tx_ring_at(start);
        assert_eq!(backend.load(REQ_EVENT), u32::MAX - 1);
        for id in 0..5 {
            ring.push_request(tx_request(id)).unwrap();
        }
        assert_eq!(ring.free_requests(), 251);
        // req_event (MAX - 1) lies in the pushed range (MAX - 2, 2].
        assert!(ring.push_requests_and_check_notify().needed());
        assert_eq!(backend.load(REQ_PROD), 2);
        // Slots 253, 254, 255, 0, 1.
        let ids: Vec<u16> = (0..5)
            .map(|i| backend.request_id(start.wrapping_add(i)))
            .collect();
        assert_eq!(ids, [0, 1, 2, 3, 4]);

        for i in 0..5 {
            backend.respond(start.wrapping_add(i), i as i16);
        }
        backend.store(RSP_PROD, 1); // 4 of the 5, across the wrap
        let mut taken = Vec::new();
        while let Some(response) = ring.take_response() {
            taken.push(response.unwrap());
        }
        assert_eq!(taken.iter().map(|r| r.id).collect::<Vec<_>>(), [0, 1, 2, 3]);
        assert_eq!(taken[3].status, 3);
        backend.store(RSP_PROD, 2);
        assert_eq!(ring.take_response().unwrap().unwrap().id, 4);
        assert_eq!(ring.take_response(), None);
        assert_eq!(ring.free_requests(), 256);
        assert!(!ring.final_check_for_responses());
        assert_eq!(backend.load(RSP_EVENT), 3);
    }

    #[test]
    fn final_check_arms_rsp_event_only_when_idle() {
        let (mut ring, backend) = tx_ring_at(0);
        backend.store(RSP_EVENT, 0xdead);
        ring.push_request(tx_request(1)).unwrap();
        let _ = ring.push_requests_and_check_notify();
        backend.respond(0, NETIF_RSP_ERROR);
        backend.store(RSP_PROD, 1);
        // A response waits: report it, leave rsp_event alone.
        assert!(ring.final_check_for_responses());
        assert_eq!(backend.load(RSP_EVENT), 0xdead);
        assert_eq!(
            ring.take_response(),
            Some(Ok(netif_tx_response {
                id: 1,
                status: NETIF_RSP_ERROR
            }))
        );
        // Idle: ask for an event on the next response (rsp_cons + 1).
        assert!(!ring.final_check_for_responses());
        assert_eq!(backend.load(RSP_EVENT), 2);
    }

    #[test]
    fn an_overrunning_backend_is_an_error() {
        let (mut ring, backend) = tx_ring_at(u32::MAX);
        ring.push_request(tx_request(1)).unwrap();
        ring.push_request(tx_request(2)).unwrap();
        let _ = ring.push_requests_and_check_notify();
        // Two requests outstanding, three responses claimed.
        backend.store(RSP_PROD, 2);
        let overrun = Some(Err(RingError::Overrun {
            rsp_prod: 2,
            rsp_cons: u32::MAX,
            outstanding: 2,
        }));
        assert_eq!(ring.take_response(), overrun);
        assert_eq!(ring.take_response(), overrun, "nothing was consumed");
        assert!(ring.final_check_for_responses());
        // An index moved backwards is the same lie.
        backend.store(RSP_PROD, u32::MAX - 1);
        assert!(matches!(
            ring.take_response(),
            Some(Err(RingError::Overrun { .. }))
        ));
    }

    #[test]
    fn responses_to_unpublished_requests_are_an_overrun() {
        let (mut ring, backend) = tx_ring_at(0);
        ring.push_request(tx_request(1)).unwrap();
        backend.store(RSP_PROD, 1);
        assert_eq!(
            ring.take_response(),
            Some(Err(RingError::Overrun {
                rsp_prod: 1,
                rsp_cons: 0,
                outstanding: 0
            }))
        );
    }

    #[test]
    fn rx_entries_round_trip_through_bytes() {
        let request = netif_rx_request {
            id: 0x0102,
            pad: 0,
            gref: 0x0a0b_0c0d,
        };
        assert_eq!(request.to_bytes(), [2, 1, 0, 0, 0x0d, 0x0c, 0x0b, 0x0a]);
        let response = netif_rx_response::from_bytes(&[2, 1, 0x40, 0, 4, 0, 0xfe, 0xff]);
        assert_eq!(
            response,
            netif_rx_response {
                id: 0x0102,
                offset: 0x40,
                flags: NETRXF_more_data,
                status: -2,
            }
        );

        let memory = page();
        let mut ring = NetRxFrontRing::init(memory).unwrap();
        ring.push_request(request).unwrap();
        let _ = ring.push_requests_and_check_notify();
        memory.write_bytes(64, &[2, 1, 0x40, 0, 4, 0, 0xdc, 0x05]);
        memory.store_u32(RSP_PROD, 1, Ordering::SeqCst);
        let response = ring.take_response().unwrap().unwrap();
        assert_eq!((response.id, response.status), (0x0102, 1500));
    }
}
