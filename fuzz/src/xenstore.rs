//! `xenstore`: the xenstore client (kernel/xen `xenstore::client` and its wire codec,
//! `xenstore::wire`) against a xenstored whose replies the input writes: sequence fuzzing.
//!
//! Input: a count byte `n`, then `n` bytes of client operations (each an opcode byte and an
//! argument byte, see [`run`]), then the xenstored's script: one event per time xenstored is
//! woken (a notification or a wait of the client), each an opcode byte and its fields (see
//! [`Event::decode`]): a reply to the oldest request with any payload, `OK`, an error name, a
//! transaction id, a watch event, a reply with any header, raw octets, or a corrupt ring
//! index. When the script runs out xenstored goes quiet, and requests time out.
//!
//! Properties: no panic; the client's requests are always well-formed messages.

use std::cell::{Cell, RefCell};
use std::collections::VecDeque;
use std::sync::atomic::Ordering;

use xenolith_arch::shared::SharedMemory;
use xenolith_xen::abi::io::xs_wire::{XS_ERROR, XS_WATCH_EVENT};
use xenolith_xen::byte_ring::{ByteRing, Consumer, Producer, RingLayout};
use xenolith_xen::types::{DomId, EventChannelPort};
use xenolith_xen::xenstore::XenStore;
use xenolith_xen::xenstore::wire::Header;
use xenolith_xen::{Errno, Hypervisor, ShutdownReason};

use crate::{Encoder, Input, Step};

const PORT: EventChannelPort = EventChannelPort(5);
/// How far the clock moves on each wait: a request times out after ten.
const TICK_NS: u64 = 1_000_000_000;

/// What xenstored does when woken.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Event {
    /// Answers the oldest request with this payload.
    Reply(Vec<u8>),
    /// Answers the oldest request with `OK`.
    Ok,
    /// Answers the oldest request with `XS_ERROR` and the `index`th of a few errno names.
    Error(u8),
    /// Answers the oldest request with this transaction id (decimal).
    TransactionId(u32),
    /// Sends a watch event with this payload.
    Watch(Vec<u8>),
    /// Sends a message with this header (request id relative to the oldest request's) and
    /// payload.
    Message {
        msg_type: u32,
        req_delta: u8,
        len: u16,
        payload: Vec<u8>,
    },
    /// Sends these octets as they are.
    Raw(Vec<u8>),
    /// Writes `value` into an index of the page (`which`: 0 `rsp_prod`, 1 `rsp_cons`, 2
    /// `req_cons`, 3 `req_prod`).
    Index { which: u8, value: u32 },
    /// Does nothing.
    Idle,
}

const ERRORS: [&[u8]; 7] = [
    b"ENOENT\0",
    b"EAGAIN\0",
    b"EACCES\0",
    b"EINVAL\0",
    b"E2BIG\0",
    b"EBOGUS\0",
    b"ENOENT",
];

impl Step for Event {
    fn decode(input: &mut Input<'_>) -> Event {
        match input.u8() % 9 {
            0 => Event::Reply(input.short_bytes().to_vec()),
            1 => Event::Ok,
            2 => Event::Error(input.u8()),
            3 => Event::TransactionId(input.u32()),
            4 => Event::Watch(input.short_bytes().to_vec()),
            5 => Event::Message {
                msg_type: input.u32(),
                req_delta: input.u8(),
                len: input.u16(),
                payload: input.short_bytes().to_vec(),
            },
            6 => Event::Raw(input.short_bytes().to_vec()),
            7 => Event::Index {
                which: input.u8(),
                value: input.u32(),
            },
            _ => Event::Idle,
        }
    }

    fn encode(&self, e: &mut Encoder) {
        match self {
            Event::Reply(payload) => {
                e.u8(0).short_bytes(payload);
            }
            Event::Ok => {
                e.u8(1);
            }
            Event::Error(index) => {
                e.u8(2).u8(*index);
            }
            Event::TransactionId(id) => {
                e.u8(3).u32(*id);
            }
            Event::Watch(payload) => {
                e.u8(4).short_bytes(payload);
            }
            Event::Message {
                msg_type,
                req_delta,
                len,
                payload,
            } => {
                e.u8(5)
                    .u32(*msg_type)
                    .u8(*req_delta)
                    .u16(*len)
                    .short_bytes(payload);
            }
            Event::Raw(bytes) => {
                e.u8(6).short_bytes(bytes);
            }
            Event::Index { which, value } => {
                e.u8(7).u8(*which).u32(*value);
            }
            Event::Idle => {
                e.u8(8);
            }
        }
    }
}

/// The other side of the ring.
struct Xenstored {
    page: SharedMemory,
    requests: ByteRing<Consumer>,
    replies: ByteRing<Producer>,
    incoming: Vec<u8>,
    /// Requests received and not yet answered.
    pending: VecDeque<Header>,
    outgoing: Vec<u8>,
    script: Vec<Event>,
    next: usize,
    /// An [`Event::Index`] wrote one of the request ring's indexes.
    requests_corrupted: bool,
}

impl Xenstored {
    fn service(&mut self) {
        let mut chunk = [0; 512];
        while let Ok(read @ 1..) = self.requests.read(&mut chunk) {
            self.incoming.extend_from_slice(&chunk[..read]);
        }
        while self.incoming.len() >= Header::LEN {
            let header = match Header::parse(&self.incoming) {
                Ok(header) => header,
                // Our own index writes put the request stream out of step: no more requests.
                Err(_) if self.requests_corrupted => {
                    self.incoming.clear();
                    break;
                }
                Err(error) => panic!("the client sent a malformed header: {error:?}"),
            };
            let end = Header::LEN + header.len as usize;
            if self.incoming.len() < end {
                break;
            }
            self.incoming.drain(..end);
            self.pending.push_back(header);
        }
        if let Some(event) = self.script.get(self.next).cloned() {
            self.next += 1;
            self.play(event);
        }
        let written = self.replies.write(&self.outgoing).unwrap_or(0);
        self.outgoing.drain(..written);
    }

    fn send(&mut self, header: Header, payload: &[u8]) {
        self.outgoing.extend_from_slice(&header.to_bytes());
        self.outgoing.extend_from_slice(payload);
    }

    /// Answers the oldest request with `payload` (its own type, or `msg_type`).
    fn answer(&mut self, msg_type: Option<u32>, payload: &[u8]) {
        if let Some(request) = self.pending.pop_front() {
            let header = Header {
                msg_type: msg_type.unwrap_or(request.msg_type),
                len: payload.len() as u32,
                ..request
            };
            self.send(header, payload);
        }
    }

    fn play(&mut self, event: Event) {
        match event {
            Event::Reply(payload) => self.answer(None, &payload),
            Event::Ok => self.answer(None, b"OK\0"),
            Event::Error(index) => {
                self.answer(Some(XS_ERROR), ERRORS[usize::from(index) % ERRORS.len()])
            }
            Event::TransactionId(id) => self.answer(None, format!("{id}\0").as_bytes()),
            Event::Watch(payload) => {
                let header = Header {
                    msg_type: XS_WATCH_EVENT,
                    req_id: 0,
                    tx_id: 0,
                    len: payload.len() as u32,
                };
                self.send(header, &payload);
            }
            Event::Message {
                msg_type,
                req_delta,
                len,
                payload,
            } => {
                let req_id = self
                    .pending
                    .front()
                    .map_or(0, |h| h.req_id)
                    .wrapping_add(u32::from(req_delta));
                let header = Header {
                    msg_type,
                    req_id,
                    tx_id: 0,
                    len: u32::from(len),
                };
                self.send(header, &payload);
            }
            Event::Raw(bytes) => self.outgoing.extend_from_slice(&bytes),
            Event::Index { which, value } => {
                let responses = RingLayout::XENSTORE_RESPONSES;
                let requests = RingLayout::XENSTORE_REQUESTS;
                let which = usize::from(which % 4);
                self.requests_corrupted |= which >= 2;
                let offset = [responses.prod, responses.cons, requests.cons, requests.prod][which];
                self.page.store_u32(offset, value, Ordering::SeqCst);
            }
            Event::Idle => {}
        }
    }
}

/// A hypervisor whose clock moves only when the client waits, and whose event channel wakes
/// the xenstored.
struct Fake {
    now: Cell<u64>,
    xenstored: RefCell<Xenstored>,
}

impl std::fmt::Debug for Fake {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Fake")
            .field("now", &self.now.get())
            .finish_non_exhaustive()
    }
}

impl Hypervisor for Fake {
    fn event_channel_send(&self, port: EventChannelPort) -> Result<(), Errno> {
        assert_eq!(port, PORT);
        self.xenstored.borrow_mut().service();
        Ok(())
    }
    fn event_channel_alloc_unbound(&self, _: DomId) -> Result<EventChannelPort, Errno> {
        Err(Errno::ENOSYS)
    }
    fn event_channel_bind_virq(&self, _: u32) -> Result<EventChannelPort, Errno> {
        Err(Errno::ENOSYS)
    }
    fn event_channel_unmask(&self, _: EventChannelPort) -> Result<(), Errno> {
        Err(Errno::ENOSYS)
    }
    fn event_channel_close(&self, _: EventChannelPort) -> Result<(), Errno> {
        Err(Errno::ENOSYS)
    }
    fn set_timer(&self, _: u64) -> Result<(), Errno> {
        Ok(())
    }
    fn now_ns(&self) -> u64 {
        self.now.get()
    }
    fn wait(&self, deadline_ns: u64) {
        let now = self.now.get();
        self.now.set(now.max(deadline_ns.min(now + TICK_NS)));
        self.xenstored.borrow_mut().service();
    }
    fn shutdown(&self, reason: ShutdownReason) -> ! {
        panic!("shutdown({reason:?})")
    }
}

const PATHS: [&str; 6] = [
    "device/vif/0/mac",
    "device/vif/0/backend-id",
    "/local/domain/0/backend/vif/7/0/state",
    "control/shutdown",
    "a\0path with a NUL",
    "",
];

/// Runs one input.
pub fn run(data: &[u8]) {
    play(data);
    // SAFETY: the ring page is not used after `play`.
    unsafe { SharedMemory::recycle_test_memory() };
}

fn play(data: &[u8]) {
    let mut input = Input::new(data);
    let count = input.u8();
    let mut ops = Input::new(input.bytes(usize::from(count)));
    let mut script_input = Input::new(input.rest());
    let mut script = Vec::new();
    while !script_input.is_empty() {
        script.push(Event::decode(&mut script_input));
    }
    let page = SharedMemory::for_test(SharedMemory::PAGE);
    let xen = Fake {
        now: Cell::new(1_000),
        xenstored: RefCell::new(Xenstored {
            page,
            requests: ByteRing::new(page, RingLayout::XENSTORE_REQUESTS),
            replies: ByteRing::new(page, RingLayout::XENSTORE_RESPONSES),
            incoming: Vec::new(),
            pending: VecDeque::new(),
            outgoing: Vec::new(),
            script,
            next: 0,
            requests_corrupted: false,
        }),
    };
    let mut store = XenStore::new(&xen, page, PORT);
    let long_value = "v".repeat(5000);
    while !ops.is_empty() {
        let op = ops.u8();
        let arg = ops.u8();
        let path = PATHS[usize::from(arg) % PATHS.len()];
        let value = if arg >= 0x80 {
            long_value.as_str()
        } else {
            "00:16:3e:00:00:01"
        };
        match op % 12 {
            0 => drop(store.read(path)),
            1 => drop(store.read_u64(path)),
            2 => drop(store.write(path, value)),
            3 => drop(store.directory(path)),
            4 => drop(store.remove(path)),
            5 => drop(store.mkdir(path)),
            6 => drop(store.watch(path, "token")),
            7 => drop(store.unwatch(path, "token")),
            8 => drop(store.poll_watch()),
            9 => drop(store.transaction(|t| {
                let old = t.read(path)?;
                t.write(path, &old)?;
                t.directory("device")
            })),
            10 => {
                if let Ok(transaction) = store.transaction_start() {
                    let _ = if arg & 1 == 0 {
                        transaction.commit()
                    } else {
                        transaction.abort()
                    };
                }
            }
            _ => drop(store.wait_watch(xen.now_ns() + u64::from(arg) * TICK_NS)),
        }
    }
}

/// Exchanges with a well-behaved xenstored, and with one that misbehaves.
pub fn seeds() -> Vec<(String, Vec<u8>)> {
    let encode = |ops: &[(u8, u8)], script: &[Event]| {
        let mut e = Encoder::default();
        e.u8((2 * ops.len()) as u8);
        for &(op, arg) in ops {
            e.u8(op).u8(arg);
        }
        e.steps(script);
        e.finish()
    };
    let mac = b"00:16:3e:00:00:01".to_vec();
    let mut seeds = vec![(
        "read-write-watch".to_string(),
        encode(
            &[
                (0, 0),
                (1, 1),
                (2, 0),
                (3, 0),
                (6, 2),
                (8, 0),
                (7, 2),
                (4, 3),
                (5, 3),
            ],
            &[
                Event::Reply(mac.clone()),
                Event::Reply(b"0".to_vec()),
                Event::Ok,
                Event::Reply(b"mac\0backend-id\0state\0".to_vec()),
                Event::Ok,
                Event::Watch(b"/local/domain/0/backend/vif/7/0/state\0token\0".to_vec()),
                Event::Idle,
                Event::Ok,
                Event::Error(0),
                Event::Ok,
            ],
        ),
    )];
    seeds.push((
        "transaction".to_string(),
        encode(
            &[(9, 0), (10, 0), (10, 1)],
            &[
                Event::TransactionId(7),
                Event::Reply(mac.clone()),
                Event::Ok,
                Event::Reply(b"vif\0".to_vec()),
                Event::Error(1),
                Event::TransactionId(8),
                Event::Reply(mac.clone()),
                Event::Ok,
                Event::Reply(b"vif\0".to_vec()),
                Event::Ok,
                Event::TransactionId(9),
                Event::Ok,
                Event::TransactionId(10),
                Event::Ok,
            ],
        ),
    ));
    seeds.push((
        "misbehaving".to_string(),
        encode(
            &[(0, 0), (0, 0), (2, 0x80), (0, 1), (0, 1), (11, 2)],
            &[
                Event::Message {
                    msg_type: 2,
                    req_delta: 5,
                    len: 3,
                    payload: b"abc".to_vec(),
                },
                Event::Idle,
                Event::Error(5),
                Event::Message {
                    msg_type: 99,
                    req_delta: 0,
                    len: 0,
                    payload: Vec::new(),
                },
                Event::Raw(b"garbage".to_vec()),
                Event::Index {
                    which: 0,
                    value: 5000,
                },
                Event::Reply(b"x".to_vec()),
            ],
        ),
    ));
    seeds.push((
        "timeouts".to_string(),
        encode(
            &[(0, 0), (1, 0), (3, 0), (8, 0)],
            &[Event::Idle, Event::Idle, Event::Reply(b"12x".to_vec())],
        ),
    ));
    seeds.push((
        "watch-events".to_string(),
        encode(
            &[(6, 2), (11, 3), (8, 0), (8, 0)],
            &[
                Event::Watch(b"a\0b\0".to_vec()),
                Event::Ok,
                Event::Watch(b"no-token\0".to_vec()),
                Event::Watch(b"x\0y\0z\0".to_vec()),
                Event::Watch(b"\xff\0t\0".to_vec()),
            ],
        ),
    ));
    seeds
}
