//! Test doubles shared by the xenbus and netfront tests: a small xenstored over a real ring
//! page (`io/xs_wire.h`) and a fake hypervisor that runs it and a scripted peer domain.
//!
//! [`FakeXen`] is a [`Hypervisor`] whose clock moves only when the guest waits (by at most
//! [`TICK_NS`]), whose xenstore event channel runs [`FakeXenstored`], and whose other event
//! channels are handed to a [`Peer`] (a fake backend). On every wait the peer gets to look at
//! xenstore and react, as a backend domain's watches would make it do.
//!
//! This is separate from (and does not change) the xenstore client's own tests, which keep
//! their misbehaving xenstored.

extern crate std;

use crate::abi::io::xs_wire::{
    XS_DIRECTORY, XS_ERROR, XS_MKDIR, XS_READ, XS_RM, XS_TRANSACTION_END, XS_TRANSACTION_START,
    XS_UNWATCH, XS_WATCH, XS_WATCH_EVENT, XS_WRITE,
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

/// The xenstore event channel.
pub const XENSTORE_PORT: EventChannelPort = EventChannelPort(5);
/// How far the fake clock moves on each wait, at most.
pub const TICK_NS: u64 = 10_000_000;

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
    requests: ByteRing<Consumer>,
    replies: ByteRing<Producer>,
    /// The live tree.
    pub tree: BTreeMap<String, String>,
    transactions: BTreeMap<u32, OpenTransaction>,
    last_tx: u32,
    watches: Vec<(String, String)>,
    incoming: Vec<u8>,
    outgoing: Vec<u8>,
    /// How many more commits to answer with `EAGAIN`.
    pub eagain_commits: u32,
    /// Every change committed to the live tree, in order (guest and other domains).
    pub changes: Vec<Change>,
    /// How many transactions were committed.
    pub commits: u32,
}

impl core::fmt::Debug for FakeXenstored {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("FakeXenstored")
            .field("tree", &self.tree)
            .finish_non_exhaustive()
    }
}

impl FakeXenstored {
    pub fn new(page: SharedMemory) -> Self {
        FakeXenstored {
            requests: ByteRing::new(page, RingLayout::XENSTORE_REQUESTS),
            replies: ByteRing::new(page, RingLayout::XENSTORE_RESPONSES),
            tree: BTreeMap::new(),
            transactions: BTreeMap::new(),
            last_tx: 0,
            watches: Vec::new(),
            incoming: Vec::new(),
            outgoing: Vec::new(),
            eagain_commits: 0,
            changes: Vec::new(),
            commits: 0,
        }
    }

    /// Takes in requests, answers the complete ones, and pushes out what fits.
    pub fn service(&mut self) {
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

    /// The value of `path` in the live tree.
    pub fn get(&self, path: &str) -> Option<&str> {
        self.tree.get(path).map(String::as_str)
    }

    /// The paths of the registered watches.
    pub fn watched(&self) -> Vec<(String, String)> {
        self.watches.clone()
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
            None => {
                let below = format!("{path}/");
                self.tree
                    .retain(|p, _| p.as_str() != path && !p.starts_with(&below));
            }
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
                    None => {
                        let below = format!("{path}/");
                        open.view
                            .retain(|p, _| p.as_str() != path && !p.starts_with(&below));
                    }
                }
                open.changes.push((path.into(), value));
            }
            None => self.commit_change(0, path, value),
        }
    }

    fn handle(&mut self, header: Header, payload: &[u8]) {
        let text = core::str::from_utf8(payload).expect("request not UTF-8");
        let mut args = text.split('\0');
        let first = args.next().unwrap_or("").to_string();
        let second = args.next().unwrap_or("").to_string();
        let tx = header.tx_id;
        let mut after = None;
        let reply: Result<Vec<u8>, &str> = match header.msg_type {
            XS_READ => self
                .view(tx)
                .get(&first)
                .map(|v| v.as_bytes().to_vec())
                .ok_or("ENOENT"),
            XS_WRITE => {
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
                if self.view(tx).contains_key(&first) {
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
            Ok(payload) => self.send(header.msg_type, header.req_id, tx, &payload),
            Err(name) => self.send(XS_ERROR, header.req_id, tx, format!("{name}\0").as_bytes()),
        }
        if let Some((path, token)) = after {
            // Real xenstored fires a new watch once, right after the acknowledgement.
            self.send_event(&path, &token);
        }
    }
}

/// Another domain taking part in a test: a fake backend.
pub trait Peer {
    /// Looks at xenstore and reacts (called on every wait of the guest).
    fn on_xenstore(&mut self, _xenstored: &mut FakeXenstored) {}
    /// The guest sent an event on `port` (not the xenstore port).
    fn on_event(&mut self, _port: EventChannelPort) {}
}

/// A peer that does nothing.
impl Peer for () {}

/// The hypervisor: a clock that moves only when the guest waits, xenstored behind the xenstore
/// event channel, and `P` behind the others.
pub struct FakeXen<P> {
    pub store_page: SharedMemory,
    now: Cell<u64>,
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
            now: Cell::new(1_000),
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

    /// Lets the peer react to xenstore, and xenstored deliver what follows.
    pub fn step(&self) {
        let mut xenstored = self.xenstored();
        xenstored.service();
        self.peer().on_xenstore(&mut xenstored);
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
