//! `netfront`: the Xen network frontend (kernel/xen `netfront`) against a backend that writes
//! whatever the input says into the shared rings: sequence fuzzing, as rust-vmm does for its
//! virtqueues.
//!
//! The backend connects through xenstore as netback does (InitWait, then Connected once the
//! frontend is; it maps the rings through the real grant table), then each [`Action`] of the
//! input is played: the backend's answers (well-formed ones, and raw responses with any id,
//! offset, flags and status), its index updates (any value), its state changes in xenstore,
//! and the driver's receive, transmit, flush and event handling. Input: one setup byte (bits
//! 0-1: 0 a normal backend; 1 without `feature-rx-copy`; 2 one that refuses to connect; 3 a
//! bad MAC), then actions, each an opcode byte and its fields (see [`Action::decode`]).
//!
//! Properties: no panic (the fake Xen and xenstored are strict: a grant of the wrong kind or
//! an overfilled ring fails); a transmit request stays inside its page; at most 322 grants;
//! a bounded number of frames per receive loop.

use std::cell::{Cell, RefCell};
use std::collections::BTreeMap;
use std::rc::Rc;
use std::sync::atomic::Ordering;

use spin::Mutex;
use xenolith_arch::shared::SharedMemory;
use xenolith_netstack::{DeviceStats, NetDevice};
use xenolith_xen::Hypervisor;
use xenolith_xen::abi::io::ring::SRING_HEADER_SIZE;
use xenolith_xen::grant_table::GrantTable;
use xenolith_xen::netfront::{Netfront, SharedPages};
use xenolith_xen::testing::{FakeXen, FakeXenstored, Peer};
use xenolith_xen::types::{EventChannelPort, Gfn};
use xenolith_xen::xenstore::XenStore;

use crate::{Encoder, Input};

const PAGE: usize = SharedMemory::PAGE;
const FRONTEND: &str = "device/vif/0";
const BACKEND: &str = "/local/domain/0/backend/vif/7/0";
const GRANT_FRAMES: u32 = 4;
/// Slots in each ring (one page of 8- and 12-octet entries, rounded down to a power of two).
const RING_SIZE: u32 = 256;
/// Two rings, 256 RX pages, 64 TX pages.
const MAX_GRANTS: usize = 322;
/// More frames than one receive loop can take in one go from a 256-slot ring, with slack.
const MAX_FRAMES_PER_POLL: usize = 4 * RING_SIZE as usize;

const REQ_PROD: usize = 0;
const REQ_EVENT: usize = 4;
const RSP_PROD: usize = 8;
const RSP_EVENT: usize = 12;

/// Guest frames → memory: what Xen's p2m is to a backend.
type Frames = Rc<RefCell<BTreeMap<u64, SharedMemory>>>;

/// The backend's view of one ring (`struct name_back_ring`).
#[derive(Debug)]
struct BackRing {
    memory: SharedMemory,
    entry: usize,
    req_cons: u32,
    rsp_prod_pvt: u32,
    /// No raw response or index was written: every request read is one the frontend wrote.
    honest: bool,
}

impl BackRing {
    fn slot(&self, index: u32) -> usize {
        SRING_HEADER_SIZE + (index & (RING_SIZE - 1)) as usize * self.entry
    }

    /// The next unconsumed request's octets, consumed.
    fn take_request(&mut self) -> Option<Vec<u8>> {
        let pending = self
            .memory
            .load_u32(REQ_PROD, Ordering::SeqCst)
            .wrapping_sub(self.req_cons);
        if pending == 0 || pending > RING_SIZE {
            return None;
        }
        let mut bytes = vec![0; self.entry];
        self.memory.read_bytes(self.slot(self.req_cons), &mut bytes);
        self.req_cons = self.req_cons.wrapping_add(1);
        Some(bytes)
    }

    /// Writes a response in the next response slot (unpublished).
    fn respond(&mut self, bytes: &[u8]) {
        self.memory.write_bytes(self.slot(self.rsp_prod_pvt), bytes);
        self.rsp_prod_pvt = self.rsp_prod_pvt.wrapping_add(1);
    }

    /// `RING_PUSH_RESPONSES_AND_CHECK_NOTIFY`; also asks for an event on the next request.
    fn publish(&mut self) -> bool {
        let old = self.memory.load_u32(RSP_PROD, Ordering::SeqCst);
        let new = self.rsp_prod_pvt;
        self.memory.store_u32(RSP_PROD, new, Ordering::SeqCst);
        self.memory
            .store_u32(REQ_EVENT, self.req_cons.wrapping_add(1), Ordering::SeqCst);
        let event = self.memory.load_u32(RSP_EVENT, Ordering::SeqCst);
        new.wrapping_sub(event) < new.wrapping_sub(old)
    }
}

#[derive(Debug)]
struct Connection {
    tx: BackRing,
    rx: BackRing,
}

/// The backend domain, over the real pages and grant entries.
#[derive(Debug)]
struct Backend {
    grant_table: SharedMemory,
    frames: Frames,
    refuse: bool,
    connection: Option<Connection>,
    /// Events we sent the frontend that the runtime has not yet passed on.
    notified: bool,
}

impl Peer for Backend {
    /// The frontend's notifications: this backend reads the rings whenever the fuzzer says,
    /// not when notified.
    fn on_event(&mut self, _port: EventChannelPort) {}

    fn on_wait(&mut self, xs: &mut FakeXenstored) {
        let state_path = format!("{BACKEND}/state");
        let backend = xs.get(&state_path).map(String::from);
        let frontend = xs.get(&format!("{FRONTEND}/state")).map(String::from);
        if backend.as_deref() == Some("1") {
            xs.external_write(&state_path, "2");
            return;
        }
        match (&self.connection, frontend.as_deref()) {
            (Some(_), Some("5" | "6")) => {
                self.connection = None;
                xs.external_write(&state_path, "6");
            }
            (None, Some("4")) if backend.as_deref() == Some("2") => {
                if self.refuse {
                    xs.external_write(&state_path, "5");
                } else if self.connect(xs) {
                    xs.external_write(&state_path, "4");
                }
            }
            _ => {}
        }
    }
}

impl Backend {
    /// The page behind grant `gref`, if it is granted to us (writable if `write`).
    fn page(&self, gref: u32, write: bool) -> Option<SharedMemory> {
        let entry = gref as usize * 8;
        if entry + 8 > self.grant_table.len() {
            return None;
        }
        let flags = self.grant_table.load_u16(entry, Ordering::SeqCst);
        let frame = self.grant_table.load_u32(entry + 4, Ordering::SeqCst);
        // GTF_permit_access, and not GTF_readonly when writing.
        if flags & 3 != 1 || (write && flags & 4 != 0) {
            return None;
        }
        self.frames.borrow().get(&u64::from(frame)).copied()
    }

    fn connect(&mut self, xs: &FakeXenstored) -> bool {
        let read =
            |name: &str| -> Option<u32> { xs.get(&format!("{FRONTEND}/{name}"))?.parse().ok() };
        let (Some(tx), Some(rx)) = (read("tx-ring-ref"), read("rx-ring-ref")) else {
            return false;
        };
        let (Some(tx), Some(rx)) = (self.page(tx, true), self.page(rx, true)) else {
            return false;
        };
        let ring = |memory, entry| BackRing {
            memory,
            entry,
            req_cons: 0,
            rsp_prod_pvt: 0,
            honest: true,
        };
        self.connection = Some(Connection {
            tx: ring(tx, 12),
            rx: ring(rx, 8),
        });
        true
    }
}

/// One step of the sequence.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Action {
    /// The backend writes an RX response with these fields in its next slot.
    RxRespond {
        id: u16,
        offset: u16,
        flags: u16,
        status: u16,
    },
    /// The backend takes the next RX request and copies a frame of `len` octets at `offset`
    /// into its buffer, answering as netback does.
    RxDeliver { len: u16, offset: u16 },
    /// The backend publishes its RX responses.
    RxPublish,
    /// The backend takes the next TX request and answers it with `status`.
    TxComplete { status: u16 },
    /// The backend writes a TX response with these fields in its next slot.
    TxRespond { id: u16, status: u16 },
    /// The backend publishes its TX responses.
    TxPublish,
    /// The backend writes `value` into a ring's `rsp_prod` or `req_event` (`which`: bit 0 the
    /// TX ring, bit 1 `req_event`).
    RingIndex { which: u8, value: u32 },
    /// The driver transmits a frame of `len` octets.
    Transmit { len: u16 },
    /// The runtime passes on the backend's events, receives every frame, then flushes.
    Poll,
    /// The driver flushes.
    Flush,
    /// The runtime says the event channel fired.
    Event,
    /// The backend's `state` node becomes `state` (0-7 as a number; others garbage).
    BackendState { state: u8 },
    /// The backend's `state` node is removed.
    BackendGone,
    /// The driver re-reads the backend's state.
    PollBackendState,
    /// Time passes: the backend reacts to xenstore.
    Wait,
}

impl Action {
    /// Decodes the next action.
    pub fn decode(input: &mut Input<'_>) -> Action {
        match input.u8() % 15 {
            0 => Action::RxRespond {
                id: input.u16(),
                offset: input.u16(),
                flags: input.u16(),
                status: input.u16(),
            },
            1 => Action::RxDeliver {
                len: input.u16(),
                offset: input.u16(),
            },
            2 => Action::RxPublish,
            3 => Action::TxComplete {
                status: input.u16(),
            },
            4 => Action::TxRespond {
                id: input.u16(),
                status: input.u16(),
            },
            5 => Action::TxPublish,
            6 => Action::RingIndex {
                which: input.u8(),
                value: input.u32(),
            },
            7 => Action::Transmit { len: input.u16() },
            8 => Action::Poll,
            9 => Action::Flush,
            10 => Action::Event,
            11 => Action::BackendState { state: input.u8() },
            12 => Action::BackendGone,
            13 => Action::PollBackendState,
            _ => Action::Wait,
        }
    }

    /// Encodes the action as [`decode`](Self::decode) reads it.
    pub fn encode(self, e: &mut Encoder) {
        match self {
            Action::RxRespond {
                id,
                offset,
                flags,
                status,
            } => {
                e.u8(0).u16(id).u16(offset).u16(flags).u16(status);
            }
            Action::RxDeliver { len, offset } => {
                e.u8(1).u16(len).u16(offset);
            }
            Action::RxPublish => {
                e.u8(2);
            }
            Action::TxComplete { status } => {
                e.u8(3).u16(status);
            }
            Action::TxRespond { id, status } => {
                e.u8(4).u16(id).u16(status);
            }
            Action::TxPublish => {
                e.u8(5);
            }
            Action::RingIndex { which, value } => {
                e.u8(6).u8(which).u32(value);
            }
            Action::Transmit { len } => {
                e.u8(7).u16(len);
            }
            Action::Poll => {
                e.u8(8);
            }
            Action::Flush => {
                e.u8(9);
            }
            Action::Event => {
                e.u8(10);
            }
            Action::BackendState { state } => {
                e.u8(11).u8(state);
            }
            Action::BackendGone => {
                e.u8(12);
            }
            Action::PollBackendState => {
                e.u8(13);
            }
            Action::Wait => {
                e.u8(14);
            }
        }
    }
}

/// A frame of `len` octets that says where it came from.
fn frame(len: usize, seed: u8) -> Vec<u8> {
    (0..len)
        .map(|i| (i as u8).wrapping_mul(31).wrapping_add(seed))
        .collect()
}

/// Runs one input.
pub fn run(data: &[u8]) {
    let _ = play(data);
    // SAFETY: everything `play` built over test memory has been dropped.
    unsafe { SharedMemory::recycle_test_memory() };
}

/// Plays an input; the driver's counters at the end, if it started.
fn play(data: &[u8]) -> Option<DeviceStats> {
    let mut input = Input::new(data);
    let setup = input.u8() & 3;
    let grant_table = SharedMemory::for_test(GRANT_FRAMES as usize * PAGE);
    let frames = Frames::default();
    let xen = FakeXen::new(Backend {
        grant_table,
        frames: frames.clone(),
        refuse: setup == 2,
        connection: None,
        notified: false,
    });
    let grants = Mutex::new(GrantTable::new(grant_table, GRANT_FRAMES).expect("a grant table"));
    {
        let mut xs = xen.xenstored();
        let mut nodes = vec![
            (format!("{FRONTEND}/backend"), BACKEND),
            (format!("{FRONTEND}/backend-id"), "0"),
            (
                format!("{FRONTEND}/mac"),
                if setup == 3 {
                    "ff:16:3e:5a:01:02"
                } else {
                    "00:16:3e:5a:01:02"
                },
            ),
            (format!("{FRONTEND}/state"), "1"),
            (
                format!("{BACKEND}/frontend"),
                "/local/domain/7/device/vif/0",
            ),
            (format!("{BACKEND}/state"), "1"),
        ];
        if setup != 1 {
            nodes.push((format!("{BACKEND}/feature-rx-copy"), "1"));
        }
        for (path, value) in nodes {
            xs.tree.insert(path, value.into());
        }
    }
    let next_gfn = Cell::new(0x1000u64);
    let alloc = |pages: usize| {
        let memory = SharedMemory::for_test(pages * PAGE);
        let gfn = Gfn(next_gfn.get());
        next_gfn.set(gfn.0 + pages as u64);
        let mut frames = frames.borrow_mut();
        for i in 0..pages {
            frames.insert(gfn.0 + i as u64, memory.slice(i * PAGE, PAGE));
        }
        Some(SharedPages { memory, gfn })
    };
    let mut store = xen.client();
    let Ok(mut netfront) = Netfront::connect(&xen, &mut store, &grants, &alloc, 0) else {
        return None;
    };
    let mut seed = 0u8;
    while !input.is_empty() {
        let action = Action::decode(&mut input);
        seed = seed.wrapping_add(1);
        act(&xen, &mut store, &mut netfront, action, seed);
        assert!(netfront.grants_outstanding() <= MAX_GRANTS);
    }
    Some(netfront.stats())
}

fn act<'x>(
    xen: &'x FakeXen<Backend>,
    store: &mut XenStore<'x, FakeXen<Backend>>,
    netfront: &mut Netfront<'x, FakeXen<Backend>>,
    action: Action,
    seed: u8,
) {
    let up = netfront.is_up();
    let backend = |f: &mut dyn FnMut(&mut Backend, &mut Connection)| {
        let mut backend = xen.peer();
        if let Some(mut connection) = backend.connection.take() {
            f(&mut backend, &mut connection);
            backend.connection = Some(connection);
        }
    };
    match action {
        Action::RxRespond {
            id,
            offset,
            flags,
            status,
        } => backend(&mut |_, c| {
            c.rx.honest = false;
            let mut bytes = [0; 8];
            for (i, v) in [id, offset, flags, status].into_iter().enumerate() {
                bytes[2 * i..2 * i + 2].copy_from_slice(&v.to_le_bytes());
            }
            c.rx.respond(&bytes);
        }),
        Action::RxDeliver { len, offset } => backend(&mut |b, c| {
            let Some(request) = c.rx.take_request() else {
                return;
            };
            let id = u16::from_le_bytes([request[0], request[1]]);
            let gref = u32::from_le_bytes(request[4..8].try_into().unwrap());
            let Some(page) = b.page(gref, true) else {
                assert!(
                    !(up && c.rx.honest),
                    "an RX request whose buffer is not granted writable to the backend"
                );
                return;
            };
            let offset = usize::from(offset) % PAGE;
            let len = usize::from(len).min(PAGE - offset);
            page.write_bytes(offset, &frame(len, seed));
            let mut bytes = [0; 8];
            bytes[0..2].copy_from_slice(&id.to_le_bytes());
            bytes[2..4].copy_from_slice(&(offset as u16).to_le_bytes());
            bytes[6..8].copy_from_slice(&(len as u16).to_le_bytes());
            c.rx.respond(&bytes);
        }),
        Action::RxPublish => backend(&mut |b, c| b.notified |= c.rx.publish()),
        Action::TxComplete { status } => backend(&mut |b, c| {
            let Some(request) = c.tx.take_request() else {
                return;
            };
            let u16_at = |i: usize| u16::from_le_bytes([request[i], request[i + 1]]);
            let gref = u32::from_le_bytes(request[0..4].try_into().unwrap());
            let (offset, id, size) = (usize::from(u16_at(4)), u16_at(8), usize::from(u16_at(10)));
            let honest = up && c.tx.honest;
            assert!(
                !honest || offset + size <= PAGE,
                "a TX request runs past its page"
            );
            let page = b.page(gref, false).filter(|_| offset + size <= PAGE);
            let Some(page) = page else {
                assert!(
                    !honest,
                    "a TX request whose buffer is not granted to the backend"
                );
                return;
            };
            let mut frame = vec![0; size];
            page.read_bytes(offset, &mut frame);
            let mut bytes = [0; 4];
            bytes[..2].copy_from_slice(&id.to_le_bytes());
            bytes[2..].copy_from_slice(&status.to_le_bytes());
            c.tx.respond(&bytes);
        }),
        Action::TxRespond { id, status } => backend(&mut |_, c| {
            c.tx.honest = false;
            let mut bytes = [0; 4];
            bytes[..2].copy_from_slice(&id.to_le_bytes());
            bytes[2..].copy_from_slice(&status.to_le_bytes());
            c.tx.respond(&bytes);
        }),
        Action::TxPublish => backend(&mut |b, c| b.notified |= c.tx.publish()),
        Action::RingIndex { which, value } => backend(&mut |_, c| {
            let ring = if which & 1 == 0 { &mut c.rx } else { &mut c.tx };
            let field = if which & 2 == 0 { RSP_PROD } else { REQ_EVENT };
            ring.honest = false;
            ring.memory.store_u32(field, value, Ordering::SeqCst);
            if field == RSP_PROD {
                ring.rsp_prod_pvt = value;
            }
        }),
        Action::Transmit { len } => {
            let up = netfront.is_up();
            let sent = netfront.transmit(&frame(usize::from(len) % 2100, seed));
            assert!(up || !sent, "a frame was accepted while the link is down");
        }
        Action::Poll => {
            if std::mem::take(&mut xen.peer().notified) {
                netfront.handle_event();
            }
            let mut buffer = [0; 1514];
            let mut frames = 0;
            while let Some(len) = netfront.receive(&mut buffer) {
                assert!((1..=buffer.len()).contains(&len));
                frames += 1;
                assert!(frames <= MAX_FRAMES_PER_POLL, "receive does not stop");
            }
            netfront.flush();
        }
        Action::Flush => netfront.flush(),
        Action::Event => netfront.handle_event(),
        Action::BackendState { state } => {
            let value = if state < 8 {
                state.to_string()
            } else {
                format!("x{state}")
            };
            xen.xenstored()
                .external_write(&format!("{BACKEND}/state"), &value);
            dispatch_watches(store, netfront);
        }
        Action::BackendGone => {
            xen.xenstored().external_remove(&format!("{BACKEND}/state"));
            dispatch_watches(store, netfront);
        }
        Action::PollBackendState => {
            let _ = netfront.poll_backend_state(store);
        }
        Action::Wait => {
            xen.wait(xen.now_ns() + 1_000_000);
            dispatch_watches(store, netfront);
        }
    }
}

/// What the runtime does with xenstore watch events.
fn dispatch_watches<'x>(
    store: &mut XenStore<'x, FakeXen<Backend>>,
    netfront: &mut Netfront<'x, FakeXen<Backend>>,
) {
    for _ in 0..64 {
        match store.poll_watch() {
            Ok(Some(event)) => {
                let _ = netfront.handle_watch_event(store, &event);
            }
            _ => break,
        }
    }
}

/// Traffic both ways, a lap of the RX ring, misbehaving answers, and going down.
pub fn seeds() -> Vec<(String, Vec<u8>)> {
    let encode = |setup: u8, actions: &[Action]| {
        let mut e = Encoder::default();
        e.u8(setup);
        for action in actions {
            action.encode(&mut e);
        }
        e.finish()
    };
    use Action::*;
    let mut seeds = Vec::new();
    let mut traffic = vec![Poll];
    for i in 0..6u16 {
        traffic.push(RxDeliver {
            len: 60 + 100 * i,
            offset: 2 * i,
        });
        traffic.push(Transmit { len: 60 + 200 * i });
    }
    traffic.extend([
        RxPublish,
        Poll,
        TxComplete { status: 0 },
        TxComplete { status: 0 },
        TxPublish,
        Poll,
    ]);
    traffic.extend([
        TxComplete { status: 0xffff },
        TxComplete { status: 0xfffe },
        TxComplete { status: 0 },
        TxPublish,
        Event,
        Flush,
        Poll,
    ]);
    seeds.push(("traffic".to_string(), encode(0, &traffic)));

    let mut lap = Vec::new();
    for _ in 0..3 {
        for _ in 0..100 {
            lap.push(RxDeliver {
                len: 1514,
                offset: 0,
            });
        }
        lap.extend([RxPublish, Poll]);
    }
    seeds.push(("rx-laps".to_string(), encode(0, &lap)));

    let bad = [
        Poll,
        RxRespond {
            id: 300,
            offset: 0,
            flags: 0,
            status: 60,
        },
        RxRespond {
            id: 1,
            offset: 4000,
            flags: 0,
            status: 200,
        },
        RxRespond {
            id: 2,
            offset: 0,
            flags: 0x4,
            status: 60,
        },
        RxRespond {
            id: 3,
            offset: 0,
            flags: 0x8,
            status: 60,
        },
        RxRespond {
            id: 4,
            offset: 0,
            flags: 0,
            status: 0xffff,
        },
        RxDeliver {
            len: 2000,
            offset: 0,
        },
        RxPublish,
        Poll,
        Transmit { len: 100 },
        Flush,
        TxRespond { id: 9, status: 0 },
        TxRespond {
            id: 0x7f,
            status: 0,
        },
        TxRespond {
            id: 0x7f,
            status: 3,
        },
        TxPublish,
        Poll,
    ];
    seeds.push(("misbehaving".to_string(), encode(0, &bad)));

    let broken = [
        Poll,
        RingIndex {
            which: 0,
            value: 1000,
        },
        Event,
        Poll,
        Transmit { len: 60 },
        BackendState { state: 5 },
        Wait,
        PollBackendState,
    ];
    seeds.push(("broken-ring".to_string(), encode(0, &broken)));

    let closing = [
        Transmit { len: 60 },
        Flush,
        BackendState { state: 5 },
        Wait,
        BackendState { state: 6 },
        BackendState { state: 9 },
        BackendGone,
        Poll,
    ];
    seeds.push(("backend-closes".to_string(), encode(0, &closing)));
    seeds.push(("no-rx-copy".to_string(), encode(1, &[Poll])));
    seeds.push(("refused".to_string(), encode(2, &[Poll])));
    seeds
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The seeds do what they are named for: the harness is not stuck before the driver.
    #[test]
    fn seeds_carry_traffic() {
        let seeds = seeds();
        let input = |name: &str| &seeds.iter().find(|(n, _)| n == name).unwrap().1;
        let stats = play(input("traffic")).expect("the driver starts");
        assert!(stats.rx_frames >= 5 && stats.tx_frames >= 5, "{stats:?}");
        let stats = play(input("misbehaving")).expect("the driver starts");
        assert!(stats.errors > 0, "{stats:?}");
    }
}
