//! The other side, for unit tests: one fake hypervisor and one fake xenstored that every Xen
//! driver test in this crate runs against, in the manner of rust-vmm `virtio-queue`'s `mock.rs`.
//!
//! - [`FakeXen<P>`] plays Xen. It is the [`Hypervisor`] a test hands to the driver: a clock that
//!   starts at [`START_NS`] and moves only when the guest waits (by at most [`TICK_NS`] a
//!   wait), [`FakeXenstored`] behind the xenstore event channel ([`XENSTORE_PORT`]), and the
//!   peer `P` behind every other port. It records the ports the guest allocates and closes,
//!   and can be told to refuse allocations.
//! - [`FakeXenstored`] plays xenstored over the real ring page (`io/xs_wire.h`,
//!   `docs/misc/xenstore.txt`): a tree with transactions and watches that answers on every
//!   notify and every wait. A test seeds or reads its `tree`, writes as another domain
//!   ([`external_write`](FakeXenstored::external_write)), counts what arrived
//!   (`requests_seen`, `changes`, `commits`), and makes it hostile: `EAGAIN` on commit
//!   (`eagain_commits`), watch events slipped in before a reply
//!   ([`inject_watch_event`](FakeXenstored::inject_watch_event)), or one [`Misbehaviour`] (a
//!   corrupt index, a wrong id or type, an overlong length, a late reply, silence).
//! - A [`Peer`] plays the other domains: each guest wait is one turn of theirs
//!   ([`Peer::on_wait`], with xenstored at hand as their watches would have it), and the guest's
//!   notifications on ports other than xenstore's reach [`Peer::on_event`]. `()` is no peer at
//!   all (a notification to it fails the test). Peers used by one driver's tests live with
//!   them (a scripted backend in `xenbus.rs`, xenconsoled, which owns the console page, in
//!   `console.rs`); [`netback::FakeNetback`] lives here, in [`netback`], because the netfront
//!   fuzz harness (fuzz/) plays the same backend.
//!
//! A test builds `FakeXen::new(peer)`, gives `&xen` to the driver (or takes a xenstore client
//! on the ring with [`FakeXen::client`]), and then looks at `xen.xenstored()`, `xen.peer()`,
//! `xen.waits` and [`xen.elapsed_ns()`](FakeXen::elapsed_ns). Nothing runs on its own:
//! everything happens inside the guest's calls, so every test is deterministic.

extern crate std;

pub mod netback;

use crate::abi::io::xs_wire::{
    XS_DIRECTORY, XS_ERROR, XS_GET_PERMS, XS_MKDIR, XS_READ, XS_RM, XS_TRANSACTION_END,
    XS_TRANSACTION_START, XS_UNWATCH, XS_WATCH, XS_WATCH_EVENT, XS_WRITE,
};
use crate::byte_ring::{ByteRing, Consumer, Producer, RingLayout};
use crate::hypervisor::{Errno, Hypervisor, ShutdownReason};
use crate::shared::SharedMemory;
use crate::types::{DomId, EventChannelPort};
use crate::xenstore::XenStore;
use crate::xenstore::wire::Header;
use alloc::collections::BTreeMap;
use alloc::format;
use alloc::string::{String, ToString};
use alloc::vec::Vec;
use core::cell::{Cell, RefCell, RefMut};
use core::mem;
use core::sync::atomic::Ordering;

/// The xenstore event channel.
pub const XENSTORE_PORT: EventChannelPort = EventChannelPort(5);
/// How far the fake clock moves on each wait, at most.
pub const TICK_NS: u64 = 10_000_000;
/// What the fake clock reads before the guest first waits (not 0, so that a driver that
/// mistakes "no time" for a time is caught).
pub const START_NS: u64 = 1_000;

// ---------------------------------------------------------------------------------------------
// The hypervisor

/// Other domains taking part in a test: a fake backend (netback, xenconsoled, ...).
pub trait Peer {
    /// Takes a turn: the guest waited, so time passed. Move ring data, and react to xenstore as
    /// a backend's watches would make it do. Called on every guest wait and by
    /// [`FakeXen::step`].
    fn on_wait(&mut self, _xenstored: &mut FakeXenstored) {}
    /// The guest notified `port` (any port but [`XENSTORE_PORT`]). A peer checks it is one of
    /// its own; the default, for a peer without event channels, fails the test.
    fn on_event(&mut self, port: EventChannelPort) {
        panic!("the guest notified {port:?}, which no fake domain is bound to");
    }
}

/// No other domain.
impl Peer for () {}

/// The hypervisor: a clock that moves only when the guest waits, xenstored behind the xenstore
/// event channel, and `P` behind the others.
pub struct FakeXen<P> {
    pub store_page: SharedMemory,
    now: Cell<u64>,
    /// How many times the guest waited.
    pub waits: Cell<u64>,
    xenstored: RefCell<FakeXenstored>,
    peer: RefCell<P>,
    next_port: Cell<u32>,
    /// Ports handed out by `event_channel_alloc_unbound`, with the remote domain.
    pub allocated: RefCell<Vec<(EventChannelPort, DomId)>>,
    /// Ports closed with `event_channel_close`.
    pub closed: RefCell<Vec<EventChannelPort>>,
    /// When set, `event_channel_alloc_unbound` fails with this errno.
    pub alloc_error: Cell<Option<Errno>>,
}

impl<P> core::fmt::Debug for FakeXen<P> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("FakeXen")
            .field("now", &self.now.get())
            .finish_non_exhaustive()
    }
}

impl<P: Peer> FakeXen<P> {
    pub fn new(peer: P) -> Self {
        let store_page = SharedMemory::for_test(SharedMemory::PAGE);
        FakeXen {
            store_page,
            now: Cell::new(START_NS),
            waits: Cell::new(0),
            xenstored: RefCell::new(FakeXenstored::new(store_page)),
            peer: RefCell::new(peer),
            next_port: Cell::new(20),
            allocated: RefCell::new(Vec::new()),
            closed: RefCell::new(Vec::new()),
            alloc_error: Cell::new(None),
        }
    }

    /// A xenstore client on the ring page.
    pub fn client(&self) -> XenStore<'_, Self> {
        XenStore::new(self, self.store_page, XENSTORE_PORT)
    }

    pub fn xenstored(&self) -> RefMut<'_, FakeXenstored> {
        self.xenstored.borrow_mut()
    }

    pub fn peer(&self) -> RefMut<'_, P> {
        self.peer.borrow_mut()
    }

    /// How far the clock has moved since the start.
    pub fn elapsed_ns(&self) -> u64 {
        self.now.get() - START_NS
    }

    /// What a guest wait does to the other domains, without moving the clock: xenstored takes
    /// in what it can, the peer takes its turn, and xenstored delivers what followed.
    pub fn step(&self) {
        let mut xenstored = self.xenstored();
        xenstored.service();
        self.peer().on_wait(&mut xenstored);
        xenstored.service();
    }
}

impl<P: Peer> Hypervisor for FakeXen<P> {
    fn event_channel_send(&self, port: EventChannelPort) -> Result<(), Errno> {
        if port == XENSTORE_PORT {
            self.xenstored().service();
        } else {
            self.peer().on_event(port);
        }
        Ok(())
    }
    fn event_channel_alloc_unbound(&self, remote: DomId) -> Result<EventChannelPort, Errno> {
        if let Some(errno) = self.alloc_error.get() {
            return Err(errno);
        }
        let port = EventChannelPort(self.next_port.get());
        self.next_port.set(port.0 + 1);
        self.allocated.borrow_mut().push((port, remote));
        Ok(port)
    }
    fn event_channel_bind_virq(&self, _: u32) -> Result<EventChannelPort, Errno> {
        Err(Errno::ENOSYS)
    }
    fn event_channel_unmask(&self, _: EventChannelPort) -> Result<(), Errno> {
        Ok(())
    }
    fn event_channel_close(&self, port: EventChannelPort) -> Result<(), Errno> {
        self.closed.borrow_mut().push(port);
        Ok(())
    }
    fn set_timer(&self, _: u64) -> Result<(), Errno> {
        Ok(())
    }
    fn now_ns(&self) -> u64 {
        self.now.get()
    }
    fn wait(&self, deadline_ns: u64) {
        self.waits.set(self.waits.get() + 1);
        let now = self.now.get();
        self.now.set(now.max(deadline_ns.min(now + TICK_NS)));
        self.step();
    }
    fn shutdown(&self, reason: ShutdownReason) -> ! {
        panic!("shutdown({reason:?})")
    }
}

// ---------------------------------------------------------------------------------------------
// xenstored

/// Something [`FakeXenstored`] does wrong with its reply to the next request. Each is done once,
/// except `Silent`, which lasts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Misbehaviour {
    /// Sends the reply, then moves `rsp_prod` 2000 bytes past `rsp_cons` (more than the ring).
    CorruptResponseIndex,
    /// Answers with the request id plus 1000.
    WrongRequestId,
    /// Answers with `XS_GET_PERMS` instead of the request's type.
    WrongType,
    /// Claims a 5000-byte payload (more than `XENSTORE_PAYLOAD_MAX`) but sends the real one.
    OverlongLength,
    /// Holds the reply back until the next request arrives, then sends it before that one's.
    Late,
    /// Stops reading requests and never answers again.
    Silent,
}

/// One write (or removal, `value: None`) that reached the tree, with the transaction it was
/// made in (0: none).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Change {
    pub tx: u32,
    pub path: String,
    pub value: Option<String>,
}

/// An open transaction: its own view of the tree and the changes to apply on commit.
struct OpenTransaction {
    view: BTreeMap<String, String>,
    changes: Vec<(String, Option<String>)>,
}

/// An in-memory xenstored serving the ring page.
pub struct FakeXenstored {
    page: SharedMemory,
    requests: ByteRing<Consumer>,
    replies: ByteRing<Producer>,
    /// The live tree. A node created by a write has no entries for its parents; they exist
    /// because something is below them, as in real xenstored.
    pub tree: BTreeMap<String, String>,
    transactions: BTreeMap<u32, OpenTransaction>,
    last_tx: u32,
    watches: Vec<(String, String)>,
    incoming: Vec<u8>,
    outgoing: Vec<u8>,
    /// Replies held back by [`Misbehaviour::Late`].
    held: Vec<u8>,
    /// Watch events to send before the next reply.
    injected_events: Vec<(String, String)>,
    /// How many more commits to answer with `EAGAIN`.
    pub eagain_commits: u32,
    /// What to do wrong with the next reply.
    pub misbehaviour: Option<Misbehaviour>,
    /// The header of every request taken in, in order.
    pub requests_seen: Vec<Header>,
    /// Every change committed to the live tree, in order (guest and other domains).
    pub changes: Vec<Change>,
    /// How many transactions were committed.
    pub commits: u32,
}

impl core::fmt::Debug for FakeXenstored {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("FakeXenstored").finish_non_exhaustive()
    }
}

impl FakeXenstored {
    pub fn new(page: SharedMemory) -> Self {
        FakeXenstored {
            page,
            requests: ByteRing::new(page, RingLayout::XENSTORE_REQUESTS),
            replies: ByteRing::new(page, RingLayout::XENSTORE_RESPONSES),
            tree: BTreeMap::new(),
            transactions: BTreeMap::new(),
            last_tx: 0,
            watches: Vec::new(),
            incoming: Vec::new(),
            outgoing: Vec::new(),
            held: Vec::new(),
            injected_events: Vec::new(),
            eagain_commits: 0,
            misbehaviour: None,
            requests_seen: Vec::new(),
            changes: Vec::new(),
            commits: 0,
        }
    }

    /// Takes in requests, answers the complete ones, and pushes out what fits.
    pub fn service(&mut self) {
        if self.misbehaviour == Some(Misbehaviour::Silent) {
            return;
        }
        let mut chunk = [0; 512];
        while let Ok(read @ 1..) = self.requests.read(&mut chunk) {
            self.incoming.extend_from_slice(&chunk[..read]);
        }
        while let Ok(header) = Header::parse(&self.incoming) {
            let end = Header::LEN + header.len as usize;
            if self.incoming.len() < end {
                break;
            }
            let payload: Vec<u8> = self.incoming.drain(..end).skip(Header::LEN).collect();
            self.handle(header, &payload);
        }
        let written = self.replies.write(&self.outgoing).unwrap_or(0);
        self.outgoing.drain(..written);
    }

    /// A write by another domain (fires watches).
    pub fn external_write(&mut self, path: &str, value: &str) {
        self.commit_change(0, path, Some(value.into()));
        self.service();
    }

    /// A removal by another domain (fires watches).
    pub fn external_remove(&mut self, path: &str) {
        self.commit_change(0, path, None);
        self.service();
    }

    /// Sends a watch event for `path` tagged `token` before the reply to the next request, as
    /// if a watch had fired while that request was on its way.
    pub fn inject_watch_event(&mut self, path: &str, token: &str) {
        self.injected_events.push((path.into(), token.into()));
    }

    /// The value of `path` in the live tree.
    pub fn get(&self, path: &str) -> Option<&str> {
        self.tree.get(path).map(String::as_str)
    }

    /// The paths of the registered watches.
    pub fn watched(&self) -> Vec<(String, String)> {
        self.watches.clone()
    }

    /// How many transactions are open (started, neither committed nor aborted).
    pub fn open_transactions(&self) -> usize {
        self.transactions.len()
    }

    fn send(&mut self, msg_type: u32, req_id: u32, tx_id: u32, payload: &[u8]) {
        let header = Header {
            msg_type,
            req_id,
            tx_id,
            len: payload.len() as u32,
        };
        self.outgoing.extend_from_slice(&header.to_bytes());
        self.outgoing.extend_from_slice(payload);
    }

    fn send_event(&mut self, path: &str, token: &str) {
        self.send(
            XS_WATCH_EVENT,
            0,
            0,
            format!("{path}\0{token}\0").as_bytes(),
        );
    }

    /// Sends the reply to `request`, done wrong as `misbehaviour` says.
    fn send_reply(
        &mut self,
        request: Header,
        msg_type: u32,
        payload: &[u8],
        misbehaviour: Option<Misbehaviour>,
    ) {
        let mut header = Header {
            msg_type,
            req_id: request.req_id,
            tx_id: request.tx_id,
            len: payload.len() as u32,
        };
        match misbehaviour {
            Some(Misbehaviour::WrongRequestId) => header.req_id += 1000,
            Some(Misbehaviour::WrongType) => header.msg_type = XS_GET_PERMS,
            Some(Misbehaviour::OverlongLength) => header.len = 5000,
            _ => {}
        }
        let target = if misbehaviour == Some(Misbehaviour::Late) {
            &mut self.held
        } else {
            &mut self.outgoing
        };
        target.extend_from_slice(&header.to_bytes());
        target.extend_from_slice(payload);
    }

    /// Fires the watches on `path` and its parents.
    fn fire(&mut self, path: &str) {
        let fired: Vec<String> = self
            .watches
            .iter()
            .filter(|(watched, _)| {
                path == watched.as_str()
                    || path
                        .strip_prefix(watched.as_str())
                        .is_some_and(|rest| rest.starts_with('/'))
            })
            .map(|(_, token)| token.clone())
            .collect();
        for token in fired {
            self.send_event(path, &token);
        }
    }

    fn commit_change(&mut self, tx: u32, path: &str, value: Option<String>) {
        match &value {
            Some(value) => {
                self.tree.insert(path.into(), value.clone());
            }
            None => remove_below(&mut self.tree, path),
        }
        self.changes.push(Change {
            tx,
            path: path.into(),
            value,
        });
        self.fire(path);
    }

    fn view(&self, tx: u32) -> &BTreeMap<String, String> {
        match self.transactions.get(&tx) {
            Some(open) => &open.view,
            None => &self.tree,
        }
    }

    fn change(&mut self, tx: u32, path: &str, value: Option<String>) {
        match self.transactions.get_mut(&tx) {
            Some(open) => {
                match &value {
                    Some(value) => {
                        open.view.insert(path.into(), value.clone());
                    }
                    None => remove_below(&mut open.view, path),
                }
                open.changes.push((path.into(), value));
            }
            None => self.commit_change(0, path, value),
        }
    }

    fn handle(&mut self, request: Header, payload: &[u8]) {
        self.requests_seen.push(request);
        let misbehaviour = self.misbehaviour.take();
        // What was held back or injected goes out before this reply.
        self.outgoing.append(&mut self.held);
        for (path, token) in mem::take(&mut self.injected_events) {
            self.send_event(&path, &token);
        }
        let text = core::str::from_utf8(payload).expect("request not UTF-8");
        let mut args = text.split('\0');
        let first = args.next().unwrap_or("").to_string();
        let second = args.next().unwrap_or("").to_string();
        let tx = request.tx_id;
        let mut after = None;
        let reply: Result<Vec<u8>, &str> = match request.msg_type {
            XS_READ => self
                .view(tx)
                .get(&first)
                .map(|v| v.as_bytes().to_vec())
                .ok_or("ENOENT"),
            XS_WRITE => {
                // The value is everything after the first NUL.
                let value = text[first.len() + 1..].to_string();
                self.change(tx, &first, Some(value));
                Ok(b"OK\0".to_vec())
            }
            XS_MKDIR => {
                if !self.view(tx).contains_key(&first) {
                    self.change(tx, &first, Some(String::new()));
                }
                Ok(b"OK\0".to_vec())
            }
            XS_RM => {
                if exists(self.view(tx), &first) {
                    self.change(tx, &first, None);
                    Ok(b"OK\0".to_vec())
                } else {
                    Err("ENOENT")
                }
            }
            XS_DIRECTORY => {
                let below = format!("{first}/");
                let view = self.view(tx);
                let mut children: Vec<&str> = view
                    .keys()
                    .filter_map(|path| path.strip_prefix(&below))
                    .map(|rest| rest.split('/').next().unwrap_or(rest))
                    .collect();
                children.sort_unstable();
                children.dedup();
                if children.is_empty() && !view.contains_key(&first) {
                    Err("ENOENT")
                } else {
                    Ok(children
                        .iter()
                        .flat_map(|c| [c.as_bytes(), &b"\0"[..]])
                        .flatten()
                        .copied()
                        .collect())
                }
            }
            XS_WATCH => {
                self.watches.push((first.clone(), second.clone()));
                after = Some((first, second));
                Ok(b"OK\0".to_vec())
            }
            XS_UNWATCH => {
                let before = self.watches.len();
                self.watches
                    .retain(|w| *w != (first.clone(), second.clone()));
                if self.watches.len() == before {
                    Err("ENOENT")
                } else {
                    Ok(b"OK\0".to_vec())
                }
            }
            XS_TRANSACTION_START => {
                self.last_tx += 1;
                let open = OpenTransaction {
                    view: self.tree.clone(),
                    changes: Vec::new(),
                };
                self.transactions.insert(self.last_tx, open);
                Ok(format!("{}\0", self.last_tx).into_bytes())
            }
            XS_TRANSACTION_END => match self.transactions.remove(&tx) {
                None => Err("EINVAL"),
                Some(_) if first == "T" && self.eagain_commits > 0 => {
                    self.eagain_commits -= 1;
                    Err("EAGAIN")
                }
                Some(open) => {
                    if first == "T" {
                        self.commits += 1;
                        for (path, value) in open.changes {
                            self.commit_change(tx, &path, value);
                        }
                    }
                    Ok(b"OK\0".to_vec())
                }
            },
            _ => Err("ENOSYS"),
        };
        match reply {
            Ok(payload) => self.send_reply(request, request.msg_type, &payload, misbehaviour),
            Err(name) => {
                let payload = format!("{name}\0");
                self.send_reply(request, XS_ERROR, payload.as_bytes(), misbehaviour);
            }
        }
        if let Some((path, token)) = after {
            // Real xenstored fires a new watch once, right after the acknowledgement.
            self.send_event(&path, &token);
        }
        if misbehaviour == Some(Misbehaviour::CorruptResponseIndex) {
            let layout = RingLayout::XENSTORE_RESPONSES;
            let cons = self.page.load_u32(layout.cons, Ordering::Relaxed);
            self.page
                .store_u32(layout.prod, cons.wrapping_add(2000), Ordering::Relaxed);
        }
    }
}

/// Whether `path` is a node of `tree`: it has a value, or something is below it.
fn exists(tree: &BTreeMap<String, String>, path: &str) -> bool {
    let below = format!("{path}/");
    tree.contains_key(path) || tree.keys().any(|p| p.starts_with(&below))
}

/// Removes `path` and everything below it from `tree`.
fn remove_below(tree: &mut BTreeMap<String, String>, path: &str) {
    let below = format!("{path}/");
    tree.retain(|p, _| p.as_str() != path && !p.starts_with(&below));
}
