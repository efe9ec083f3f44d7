//! A synchronous xenstore client over the shared ring page.
//!
//! Implements the guest side of `docs/misc/xenstore.txt` over the `xenstore_domain_interface`
//! page of `xen/include/public/io/xs_wire.h`: one request at a time, written into the `req`
//! ring (in pieces when it does not fit: a 4 KiB payload is bigger than the 1 KiB ring), then
//! the reply read back from `rsp`, the other side notified through the event channel after each
//! piece. Watch events that arrive meanwhile are queued for [`XenStore::poll_watch`].
//!
//! Every request has a deadline of now + the timeout (10 s by default), read from
//! [`Hypervisor::now_ns`]; waiting is [`Hypervisor::wait`] in a loop that re-checks the ring.
//!
//! xenstored is another domain: its indexes, headers and payloads are checked, never trusted.
//! A reply that arrives after its request timed out is recognised by its id and dropped. A
//! corrupt ring, a header that breaks the framing, or a request cut off half-way leave the
//! byte stream out of step with xenstored; from then on every call fails with
//! [`ErrorKind::Broken`] instead of reading garbage as messages.

use super::wire::{self, Header, Request, TxId, WatchEvent, WireError};
use crate::abi::io::xs_wire::{XS_ERROR, XS_WATCH_EVENT};
use crate::byte_ring::{ByteRing, Consumer, Producer, RingError, RingLayout};
use crate::hypervisor::{Errno, Hypervisor};
use crate::shared::SharedMemory;
use crate::types::EventChannelPort;
use alloc::boxed::Box;
use alloc::collections::VecDeque;
use alloc::string::String;
use alloc::vec::Vec;
use core::{fmt, mem};

/// How many times [`XenStore::transaction`] runs its body when xenstored keeps answering
/// `EAGAIN` (another domain changed what the transaction read).
const TRANSACTION_ATTEMPTS: usize = 16;

/// A failed xenstore operation: what was asked, and why it failed.
///
/// Boxed, so that it fits in a register: it is returned through every `?` of the Xen path,
/// and allocated only when something failed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Error(Box<Details>);

#[derive(Clone, Debug, PartialEq, Eq)]
struct Details {
    op: &'static str,
    path: String,
    kind: ErrorKind,
}

impl Error {
    /// The failure `kind` of operation `op` on `path` ("" if none).
    #[cold]
    #[inline(never)]
    pub fn new(op: &'static str, path: &str, kind: ErrorKind) -> Error {
        Error(Box::new(Details {
            op,
            path: path.into(),
            kind,
        }))
    }

    /// The operation: "read", "write", "directory", "rm", "mkdir", "watch", "unwatch",
    /// "transaction start", "transaction end" or "watch poll".
    pub fn op(&self) -> &'static str {
        self.0.op
    }

    /// The path the operation was about ("" if none).
    pub fn path(&self) -> &str {
        &self.0.path
    }

    /// What went wrong.
    pub fn kind(&self) -> &ErrorKind {
        &self.0.kind
    }

    /// The errno xenstored answered with, if that is what went wrong.
    pub fn errno(&self) -> Option<Errno> {
        match self.0.kind {
            ErrorKind::Xenstore(errno) => Some(errno),
            _ => None,
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "xenstore {}", self.0.op)?;
        if !self.0.path.is_empty() {
            write!(f, " of {}", self.0.path)?;
        }
        write!(f, " failed: {}", self.0.kind)
    }
}

/// Why a xenstore operation failed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ErrorKind {
    /// xenstored refused the request with this errno (`ENOENT`: no such node; `EACCES`: not
    /// allowed; `EAGAIN`: a transaction conflicted and must be retried).
    Xenstore(Errno),
    /// No complete reply before the deadline: xenstored is not running or not connected.
    Timeout,
    /// The ring's indexes are corrupt (connection now [`Broken`](ErrorKind::Broken)).
    Ring(RingError),
    /// xenstored sent bytes that break the wire protocol.
    Malformed(WireError),
    /// The request cannot be put on the wire (a NUL in a path or token, or too long).
    InvalidRequest(WireError),
    /// A reply to a request id that is not waiting for one.
    UnexpectedReply {
        /// The reply's request id.
        req_id: u32,
    },
    /// A reply of another message type than the request (and not `XS_ERROR`).
    UnexpectedType(u32),
    /// The node's value is not the decimal number the caller asked for.
    NotANumber(String),
    /// Notifying xenstored through the event channel failed.
    EventChannel(Errno),
    /// An earlier error left the byte stream out of step with xenstored; nothing more is sent
    /// or read.
    Broken,
}

impl fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ErrorKind::Xenstore(errno) => write!(f, "{} (-{})", wire::errno_name(*errno), errno.0),
            ErrorKind::Timeout => write!(
                f,
                "xenstored did not answer in time \
                 (is xenstored running, and this domain introduced to it?)"
            ),
            ErrorKind::Ring(error) => fmt::Display::fmt(error, f),
            ErrorKind::Malformed(error) => {
                write!(f, "xenstored broke the wire protocol: {}", *error)
            }
            ErrorKind::InvalidRequest(error) => write!(f, "the request cannot be sent: {}", *error),
            ErrorKind::UnexpectedReply { req_id } => write!(
                f,
                "xenstored answered request {req_id}, which is not waiting for an answer"
            ),
            ErrorKind::UnexpectedType(msg_type) => match wire::type_name(*msg_type) {
                Some(name) => write!(f, "xenstored answered with an {} message", name),
                None => write!(f, "xenstored answered with message type {}", *msg_type),
            },
            ErrorKind::NotANumber(value) => {
                write!(
                    f,
                    "the value {} is not a decimal number",
                    crate::types::Quoted(value)
                )
            }
            ErrorKind::EventChannel(errno) => {
                write!(
                    f,
                    "notifying xenstored through its event channel failed: {errno}"
                )
            }
            ErrorKind::Broken => write!(
                f,
                "an earlier protocol error left the connection out of step with xenstored, \
                 so it is no longer used"
            ),
        }
    }
}

/// A xenstore connection: the ring page, its event channel, and the hypervisor to wait with.
#[derive(Debug)]
pub struct XenStore<'a, H: Hypervisor> {
    hypervisor: &'a H,
    port: EventChannelPort,
    requests: ByteRing<Producer>,
    replies: ByteRing<Consumer>,
    next_req_id: u32,
    timeout_ns: u64,
    /// The bytes of the message being received: its header, then (once the header is parsed
    /// into `incoming_header`) its payload.
    incoming: Vec<u8>,
    incoming_header: Option<Header>,
    watch_events: VecDeque<WatchEvent>,
    /// Requests that gave up waiting: their replies are dropped when they arrive.
    abandoned: Vec<u32>,
    broken: bool,
}

impl<'a, H: Hypervisor> XenStore<'a, H> {
    /// The default time a request may take.
    pub const DEFAULT_TIMEOUT_NS: u64 = 10_000_000_000;

    /// A client for the xenstore ring `page` (`HVM_PARAM_STORE_PFN`) signalled through `port`
    /// (`HVM_PARAM_STORE_EVTCHN`).
    ///
    /// # Panics
    /// If `page` is smaller than `xenstore_domain_interface`.
    pub fn new(hypervisor: &'a H, page: SharedMemory, port: EventChannelPort) -> Self {
        XenStore {
            hypervisor,
            port,
            requests: ByteRing::new(page, RingLayout::XENSTORE_REQUESTS),
            replies: ByteRing::new(page, RingLayout::XENSTORE_RESPONSES),
            next_req_id: 0,
            timeout_ns: Self::DEFAULT_TIMEOUT_NS,
            incoming: Vec::new(),
            incoming_header: None,
            watch_events: VecDeque::new(),
            abandoned: Vec::new(),
            broken: false,
        }
    }

    /// Sets the time each later request may take, in nanoseconds.
    pub fn set_timeout_ns(&mut self, timeout_ns: u64) {
        self.timeout_ns = timeout_ns;
    }

    /// The value of `path`.
    pub fn read(&mut self, path: &str) -> Result<String, Error> {
        self.read_in(None, path)
    }

    /// The value of `path` as a decimal `u64` (a port, a grant reference, a domain id).
    pub fn read_u64(&mut self, path: &str) -> Result<u64, Error> {
        self.read_u64_in(None, path)
    }

    /// Sets `path` to `value`, creating the node and its parents if needed.
    pub fn write(&mut self, path: &str, value: &str) -> Result<(), Error> {
        self.call(None, Request::Write { path, value }, wire::parse_ack)
    }

    /// The names of the children of `path`.
    pub fn directory(&mut self, path: &str) -> Result<Vec<String>, Error> {
        self.call(None, Request::Directory(path), wire::parse_directory)
    }

    /// Removes `path` and everything below it.
    pub fn remove(&mut self, path: &str) -> Result<(), Error> {
        self.call(None, Request::Remove(path), wire::parse_ack)
    }

    /// Creates `path` (and its parents) with an empty value, if it does not exist.
    pub fn mkdir(&mut self, path: &str) -> Result<(), Error> {
        self.call(None, Request::Mkdir(path), wire::parse_ack)
    }

    /// Watches `path` and everything below it: changes arrive as [`WatchEvent`]s tagged with
    /// `token`. xenstored sends one event for `path` right away.
    pub fn watch(&mut self, path: &str, token: &str) -> Result<(), Error> {
        self.call(None, Request::Watch { path, token }, wire::parse_ack)
    }

    /// Removes the watch registered with `path` and `token`. Events already queued stay.
    pub fn unwatch(&mut self, path: &str, token: &str) -> Result<(), Error> {
        self.call(None, Request::Unwatch { path, token }, wire::parse_ack)
    }

    /// The oldest pending watch event, after taking in whatever the ring holds; never waits.
    pub fn poll_watch(&mut self) -> Result<Option<WatchEvent>, Error> {
        if self.watch_events.is_empty() {
            let received = match self.try_next_reply() {
                Ok(None) => Ok(()),
                Ok(Some((header, _))) => Err(ErrorKind::UnexpectedReply {
                    req_id: header.req_id,
                }),
                Err(kind) => Err(kind),
            };
            received.map_err(|kind| Error::new("watch poll", "", kind))?;
        }
        Ok(self.watch_events.pop_front())
    }

    /// The oldest watch event, waiting for one until `deadline_ns` ([`Hypervisor::now_ns`]
    /// time); `None` at the deadline.
    pub fn wait_watch(&mut self, deadline_ns: u64) -> Result<Option<WatchEvent>, Error> {
        loop {
            if let Some(event) = self.poll_watch()? {
                return Ok(Some(event));
            }
            if self.hypervisor.now_ns() >= deadline_ns {
                return Ok(None);
            }
            self.hypervisor.wait(deadline_ns);
        }
    }

    /// Starts a transaction: its reads and writes see one consistent tree, and its commit
    /// fails with `EAGAIN` if another writer changed what it used.
    /// [`transaction`](Self::transaction) runs one with retries.
    pub fn transaction_start(&mut self) -> Result<Transaction<'_, 'a, H>, Error> {
        let id = self.call(None, Request::TransactionStart, wire::parse_transaction_id)?;
        Ok(Transaction { store: self, id })
    }

    /// Runs `body` in a transaction and commits it, running it again (at most 16 times in all)
    /// while xenstored answers `EAGAIN`. If `body` fails, the transaction is aborted and its
    /// error returned.
    pub fn transaction<T>(
        &mut self,
        mut body: impl FnMut(&mut Transaction<'_, 'a, H>) -> Result<T, Error>,
    ) -> Result<T, Error> {
        let mut attempts = 1;
        loop {
            let mut transaction = self.transaction_start()?;
            let result = match body(&mut transaction) {
                Ok(value) => transaction.commit().map(|()| value),
                Err(error) => {
                    // The body's error says more than a failed abort would.
                    let _ = transaction.abort();
                    Err(error)
                }
            };
            match result {
                Err(error)
                    if error.errno() == Some(Errno::EAGAIN) && attempts < TRANSACTION_ATTEMPTS =>
                {
                    attempts += 1;
                }
                result => return result,
            }
        }
    }

    fn read_in(&mut self, tx: Option<TxId>, path: &str) -> Result<String, Error> {
        self.call(tx, Request::Read(path), wire::parse_value)
    }

    fn read_u64_in(&mut self, tx: Option<TxId>, path: &str) -> Result<u64, Error> {
        let value = self.read_in(tx, path)?;
        crate::types::decimal(value.as_bytes())
            .ok_or_else(|| Error::new("read", path, ErrorKind::NotANumber(value)))
    }

    /// Sends `request`, waits for its reply, and decodes the reply's payload with `parse`.
    fn call<T>(
        &mut self,
        tx: Option<TxId>,
        request: Request<'_>,
        parse: fn(&[u8]) -> Result<T, WireError>,
    ) -> Result<T, Error> {
        self.exchange(tx, &request)
            .and_then(|payload| parse(&payload).map_err(ErrorKind::Malformed))
            .map_err(|kind| Error::new(request.name(), request.path(), kind))
    }

    /// Sends `request` and returns the payload of its reply.
    fn exchange(&mut self, tx: Option<TxId>, request: &Request<'_>) -> Result<Vec<u8>, ErrorKind> {
        if self.broken {
            return Err(ErrorKind::Broken);
        }
        let req_id = self.next_req_id;
        let message = request
            .encode(req_id, tx)
            .map_err(ErrorKind::InvalidRequest)?;
        self.next_req_id = req_id.wrapping_add(1);
        let deadline = self.hypervisor.now_ns().saturating_add(self.timeout_ns);
        self.send(&message, deadline)?;
        let (header, payload) = match self.next_reply(deadline) {
            Ok(reply) if reply.0.req_id == req_id => reply,
            other => {
                // Our reply may still come: drop it then.
                self.abandoned.push(req_id);
                let (header, _) = other?;
                return Err(ErrorKind::UnexpectedReply {
                    req_id: header.req_id,
                });
            }
        };
        match header.msg_type {
            XS_ERROR => {
                Err(wire::parse_error(&payload)
                    .map_or_else(ErrorKind::Malformed, ErrorKind::Xenstore))
            }
            msg_type if msg_type == request.msg_type() => Ok(payload),
            msg_type => Err(ErrorKind::UnexpectedType(msg_type)),
        }
    }

    /// Writes all of `message` into the request ring, waiting for space until `deadline`.
    fn send(&mut self, message: &[u8], deadline: u64) -> Result<(), ErrorKind> {
        let mut sent = 0;
        let result = loop {
            match self.requests.write(message.get(sent..).unwrap_or_default()) {
                Ok(0) => {}
                Ok(written) => {
                    sent += written;
                    if let Err(error) = self.notify() {
                        break Err(error);
                    }
                }
                Err(error) => break Err(ErrorKind::Ring(error)),
            }
            if sent == message.len() {
                break Ok(());
            }
            if self.hypervisor.now_ns() >= deadline {
                break Err(ErrorKind::Timeout);
            }
            self.hypervisor.wait(deadline);
        };
        // Half a message would make xenstored read our next request as its rest.
        if matches!(result, Err(ErrorKind::Ring(_))) || (0 < sent && sent < message.len()) {
            self.broken = true;
        }
        result
    }

    /// The next reply, waiting for it until `deadline`.
    fn next_reply(&mut self, deadline: u64) -> Result<(Header, Vec<u8>), ErrorKind> {
        loop {
            if let Some(reply) = self.try_next_reply()? {
                return Ok(reply);
            }
            if self.hypervisor.now_ns() >= deadline {
                return Err(ErrorKind::Timeout);
            }
            self.hypervisor.wait(deadline);
        }
    }

    /// Takes in the messages the ring holds: queues watch events, drops replies to abandoned
    /// requests, and returns the first other message.
    fn try_next_reply(&mut self) -> Result<Option<(Header, Vec<u8>)>, ErrorKind> {
        while let Some((header, payload)) = self.receive()? {
            if header.msg_type == XS_WATCH_EVENT {
                let event = wire::parse_watch_event(&payload).map_err(ErrorKind::Malformed)?;
                self.watch_events.push_back(event);
            } else if let Some(i) = self.abandoned.iter().position(|&id| id == header.req_id) {
                self.abandoned.swap_remove(i);
            } else {
                return Ok(Some((header, payload)));
            }
        }
        Ok(None)
    }

    /// Moves bytes from the reply ring into the message being received; returns the message
    /// once it is complete.
    fn receive(&mut self) -> Result<Option<(Header, Vec<u8>)>, ErrorKind> {
        if self.broken {
            return Err(ErrorKind::Broken);
        }
        loop {
            let wanted = self
                .incoming_header
                .map_or(Header::LEN, |header| header.len as usize);
            let have = self.incoming.len();
            if have < wanted {
                self.incoming.resize(wanted, 0);
                let read = self
                    .replies
                    .read(self.incoming.get_mut(have..).unwrap_or_default());
                let read = read.map_err(|error| {
                    self.broken = true;
                    ErrorKind::Ring(error)
                })?;
                self.incoming.truncate(have + read);
                if read > 0 {
                    // xenstored may be waiting for the space.
                    self.notify()?;
                }
                if have + read < wanted {
                    return Ok(None);
                }
            }
            match self.incoming_header.take() {
                Some(header) => return Ok(Some((header, mem::take(&mut self.incoming)))),
                None => {
                    let header = Header::parse(&self.incoming).map_err(|error| {
                        // Without a valid length, the next message's start is unknown.
                        self.broken = true;
                        ErrorKind::Malformed(error)
                    })?;
                    self.incoming.clear();
                    self.incoming_header = Some(header);
                }
            }
        }
    }

    fn notify(&self) -> Result<(), ErrorKind> {
        self.hypervisor
            .event_channel_send(self.port)
            .map_err(ErrorKind::EventChannel)
    }
}

/// An open transaction; end it with [`commit`](Self::commit) or [`abort`](Self::abort).
#[derive(Debug)]
#[must_use = "a transaction stays open in xenstored until it is committed or aborted"]
pub struct Transaction<'s, 'a, H: Hypervisor> {
    store: &'s mut XenStore<'a, H>,
    id: TxId,
}

impl<H: Hypervisor> Transaction<'_, '_, H> {
    /// The id xenstored gave the transaction.
    pub fn id(&self) -> TxId {
        self.id
    }

    /// [`XenStore::read`] in the transaction.
    pub fn read(&mut self, path: &str) -> Result<String, Error> {
        self.store.read_in(Some(self.id), path)
    }

    /// [`XenStore::read_u64`] in the transaction.
    pub fn read_u64(&mut self, path: &str) -> Result<u64, Error> {
        self.store.read_u64_in(Some(self.id), path)
    }

    /// [`XenStore::write`] in the transaction.
    pub fn write(&mut self, path: &str, value: &str) -> Result<(), Error> {
        self.store.call(
            Some(self.id),
            Request::Write { path, value },
            wire::parse_ack,
        )
    }

    /// [`XenStore::directory`] in the transaction.
    pub fn directory(&mut self, path: &str) -> Result<Vec<String>, Error> {
        self.store.call(
            Some(self.id),
            Request::Directory(path),
            wire::parse_directory,
        )
    }

    /// [`XenStore::remove`] in the transaction.
    pub fn remove(&mut self, path: &str) -> Result<(), Error> {
        self.store
            .call(Some(self.id), Request::Remove(path), wire::parse_ack)
    }

    /// [`XenStore::mkdir`] in the transaction.
    pub fn mkdir(&mut self, path: &str) -> Result<(), Error> {
        self.store
            .call(Some(self.id), Request::Mkdir(path), wire::parse_ack)
    }

    /// Commits the transaction; an `EAGAIN` error means it conflicted and must be run again.
    pub fn commit(self) -> Result<(), Error> {
        self.end(true)
    }

    /// Aborts the transaction: none of its writes happen.
    pub fn abort(self) -> Result<(), Error> {
        self.end(false)
    }

    fn end(self, commit: bool) -> Result<(), Error> {
        self.store.call(
            Some(self.id),
            Request::TransactionEnd { commit },
            wire::parse_ack,
        )
    }
}

#[cfg(test)]
mod tests {
    //! The client against the shared fake xenstored (`crate::testing`), behaving and
    //! misbehaving.

    use super::*;
    use crate::testing::{FakeXen, Misbehaviour, TICK_NS};
    use alloc::string::ToString;
    use alloc::vec;

    /// Xen with xenstored and no other domain.
    type Xen = FakeXen<()>;

    fn event(path: &str, token: &str) -> WatchEvent {
        WatchEvent {
            path: path.into(),
            token: token.into(),
        }
    }

    #[test]
    fn read_write_round_trip() {
        let xen = Xen::new(());
        let mut xs = xen.client();
        xs.write("device/vif/0/mac", "00:16:3e:00:00:01").unwrap();
        assert_eq!(xs.read("device/vif/0/mac").unwrap(), "00:16:3e:00:00:01");
        xs.write("device/vif/0/backend-id", "0").unwrap();
        assert_eq!(xs.read_u64("device/vif/0/backend-id"), Ok(0));
        let ids: Vec<u32> = xen
            .xenstored()
            .requests_seen
            .iter()
            .map(|h| h.req_id)
            .collect();
        assert_eq!(ids, [0, 1, 2, 3]);
        assert_eq!(
            xen.waits.get(),
            0,
            "the fake answers on notify: no waiting needed"
        );
    }

    #[test]
    fn messages_larger_than_the_ring_go_through_in_pieces() {
        let xen = Xen::new(());
        let mut xs = xen.client();
        let value: String = (0..3000)
            .map(|i| char::from(b'a' + (i % 26) as u8))
            .collect();
        xs.write("data/big", &value).unwrap();
        assert_eq!(xen.xenstored().tree["data/big"], value);
        assert_eq!(xs.read("data/big").unwrap(), value);
        // Many round trips move both rings' indexes far past their size.
        for i in 0..20 {
            let value = &value[..1000 + i * 100];
            xs.write("data/big", value).unwrap();
            assert_eq!(xs.read("data/big").unwrap(), value);
        }
    }

    #[test]
    fn directory_remove_and_mkdir() {
        let xen = Xen::new(());
        let mut xs = xen.client();
        xs.write("device/vif/0/mac", "m").unwrap();
        xs.write("device/vif/1/mac", "m").unwrap();
        xs.mkdir("device/vbd").unwrap();
        assert_eq!(xs.directory("device").unwrap(), ["vbd", "vif"]);
        assert_eq!(xs.directory("device/vif").unwrap(), ["0", "1"]);
        assert_eq!(xs.directory("device/vbd").unwrap(), Vec::<String>::new());
        xs.remove("device/vif/0").unwrap();
        assert_eq!(xs.directory("device/vif").unwrap(), ["1"]);
        assert_eq!(xs.read("device/vbd").unwrap(), "");
    }

    #[test]
    fn xenstore_errors_carry_the_errno_and_read_as_a_sentence() {
        let xen = Xen::new(());
        let mut xs = xen.client();
        let error = xs.read("device/vif/0/mac").unwrap_err();
        assert_eq!(error.errno(), Some(Errno::ENOENT));
        assert_eq!(
            error.to_string(),
            "xenstore read of device/vif/0/mac failed: ENOENT (-2)"
        );
        assert_eq!(
            xs.remove("nothing").unwrap_err().errno(),
            Some(Errno::ENOENT)
        );
        xs.write("backend-id", "zero").unwrap();
        let error = xs.read_u64("backend-id").unwrap_err();
        assert_eq!(*error.kind(), ErrorKind::NotANumber("zero".into()));
        assert_eq!(
            error.to_string(),
            "xenstore read of backend-id failed: the value \"zero\" is not a decimal number"
        );
        // The connection is still fine.
        assert_eq!(xs.read("backend-id").unwrap(), "zero");
    }

    #[test]
    fn requests_that_cannot_be_framed_are_not_sent() {
        let xen = Xen::new(());
        let mut xs = xen.client();
        let error = xs.read("a\0b").unwrap_err();
        assert_eq!(
            *error.kind(),
            ErrorKind::InvalidRequest(WireError::EmbeddedNul)
        );
        let long = "x".repeat(5000);
        assert_eq!(
            *xs.write("p", &long).unwrap_err().kind(),
            ErrorKind::InvalidRequest(WireError::PayloadTooLong(5002))
        );
        assert!(xen.xenstored().requests_seen.is_empty());
        xs.write("p", "v").unwrap();
    }

    #[test]
    fn watch_events_are_queued_while_a_request_is_in_flight() {
        let xen = Xen::new(());
        let mut xs = xen.client();
        xen.xenstored()
            .tree
            .insert("control/shutdown".into(), "poweroff".into());
        xs.watch("control", "ctl").unwrap();
        xen.xenstored()
            .inject_watch_event("control/shutdown", "ctl");
        // The injected event comes before this read's reply, the registration event after
        // the watch's acknowledgement: both are queued.
        assert_eq!(xs.read("control/shutdown").unwrap(), "poweroff");
        assert_eq!(xs.poll_watch(), Ok(Some(event("control", "ctl"))));
        assert_eq!(xs.poll_watch(), Ok(Some(event("control/shutdown", "ctl"))));
        assert_eq!(xs.poll_watch(), Ok(None));
        // Our own write fires the watch too.
        xs.write("control/shutdown", "").unwrap();
        assert_eq!(xs.poll_watch(), Ok(Some(event("control/shutdown", "ctl"))));
        xs.unwatch("control", "ctl").unwrap();
        xs.write("control/shutdown", "reboot").unwrap();
        assert_eq!(xs.poll_watch(), Ok(None));
        assert_eq!(
            xs.unwatch("control", "ctl").unwrap_err().errno(),
            Some(Errno::ENOENT)
        );
    }

    #[test]
    fn wait_watch_waits_until_an_event_or_the_deadline() {
        let xen = Xen::new(());
        let mut xs = xen.client();
        xs.watch("control/shutdown", "sd").unwrap();
        assert_eq!(xs.poll_watch(), Ok(Some(event("control/shutdown", "sd"))));
        let deadline = xen.now_ns() + 5 * TICK_NS;
        assert_eq!(xs.wait_watch(deadline), Ok(None));
        assert_eq!(xen.now_ns(), deadline);
        // Another domain writes: the event is in the ring before we look.
        xen.xenstored()
            .external_write("control/shutdown", "poweroff");
        assert_eq!(
            xs.wait_watch(xen.now_ns() + 5 * TICK_NS),
            Ok(Some(event("control/shutdown", "sd")))
        );
    }

    #[test]
    fn transaction_commits_and_retries_on_eagain() {
        let xen = Xen::new(());
        let mut xs = xen.client();
        xs.write("counter", "41").unwrap();
        xen.xenstored().eagain_commits = 2;
        let mut runs = 0;
        let value = xs
            .transaction(|tx| {
                runs += 1;
                let value = tx.read_u64("counter")? + 1;
                tx.write("counter", &value.to_string())?;
                Ok(value)
            })
            .unwrap();
        assert_eq!((value, runs), (42, 3));
        assert_eq!(xs.read("counter").unwrap(), "42");
        assert_eq!(xen.xenstored().open_transactions(), 0);
    }

    #[test]
    fn transaction_gives_up_after_bounded_retries() {
        let xen = Xen::new(());
        let mut xs = xen.client();
        xen.xenstored().eagain_commits = 1000;
        let mut runs = 0;
        let error = xs
            .transaction(|tx| {
                runs += 1;
                tx.write("x", "1")
            })
            .unwrap_err();
        assert_eq!(error.errno(), Some(Errno::EAGAIN));
        assert_eq!(error.op(), "transaction end");
        assert_eq!(runs, TRANSACTION_ATTEMPTS);
        assert_eq!(xen.xenstored().open_transactions(), 0);
        assert_eq!(xs.read("x").unwrap_err().errno(), Some(Errno::ENOENT));
    }

    #[test]
    fn a_failing_body_aborts_the_transaction() {
        let xen = Xen::new(());
        let mut xs = xen.client();
        let error = xs
            .transaction(|tx| {
                tx.write("half", "done")?;
                tx.read("missing")
            })
            .unwrap_err();
        assert_eq!(error.errno(), Some(Errno::ENOENT));
        assert_eq!(xen.xenstored().open_transactions(), 0);
        assert_eq!(xs.read("half").unwrap_err().errno(), Some(Errno::ENOENT));
        // By hand: the header carries the transaction id.
        let mut tx = xs.transaction_start().unwrap();
        let id = tx.id();
        let first = xen.xenstored().requests_seen.len();
        tx.mkdir("a/b").unwrap();
        assert_eq!(tx.directory("a").unwrap(), ["b"]);
        tx.remove("a/b").unwrap();
        tx.write("a/c", "1").unwrap();
        tx.commit().unwrap();
        let in_tx: Vec<u32> = xen.xenstored().requests_seen[first..]
            .iter()
            .map(|h| h.tx_id)
            .collect();
        assert_eq!(in_tx, [id.get(); 5]);
        assert_eq!(xs.directory("a").unwrap(), ["c"]);
    }

    #[test]
    fn corrupt_response_index_is_a_ring_error_then_broken() {
        let xen = Xen::new(());
        let mut xs = xen.client();
        xs.write("a", "1").unwrap();
        xen.xenstored().misbehaviour = Some(Misbehaviour::CorruptResponseIndex);
        let error = xs.read("a").unwrap_err();
        assert!(
            matches!(error.kind(), ErrorKind::Ring(RingError::Corrupt { .. })),
            "{error:?}"
        );
        assert_eq!(*xs.read("a").unwrap_err().kind(), ErrorKind::Broken);
        assert_eq!(*xs.poll_watch().unwrap_err().kind(), ErrorKind::Broken);
    }

    #[test]
    fn reply_with_a_wrong_request_id_is_reported() {
        let xen = Xen::new(());
        let mut xs = xen.client();
        xs.write("a", "1").unwrap();
        xen.xenstored().misbehaviour = Some(Misbehaviour::WrongRequestId);
        let error = xs.read("a").unwrap_err();
        assert_eq!(*error.kind(), ErrorKind::UnexpectedReply { req_id: 1001 });
        // The framing is intact: the next request works.
        assert_eq!(xs.read("a").unwrap(), "1");
    }

    #[test]
    fn reply_of_the_wrong_type_is_reported() {
        let xen = Xen::new(());
        let mut xs = xen.client();
        xs.write("a", "1").unwrap();
        xen.xenstored().misbehaviour = Some(Misbehaviour::WrongType);
        let error = xs.read("a").unwrap_err();
        assert_eq!(
            *error.kind(),
            ErrorKind::UnexpectedType(crate::abi::io::xs_wire::XS_GET_PERMS)
        );
        assert_eq!(
            error.to_string(),
            "xenstore read of a failed: xenstored answered with an XS_GET_PERMS message"
        );
        assert_eq!(xs.read("a").unwrap(), "1");
    }

    #[test]
    fn overlong_length_is_malformed_then_broken() {
        let xen = Xen::new(());
        let mut xs = xen.client();
        xen.xenstored().misbehaviour = Some(Misbehaviour::OverlongLength);
        let error = xs.write("a", "1").unwrap_err();
        assert_eq!(
            *error.kind(),
            ErrorKind::Malformed(WireError::PayloadTooLong(5000))
        );
        assert_eq!(*xs.read("a").unwrap_err().kind(), ErrorKind::Broken);
    }

    #[test]
    fn silent_xenstored_times_out_in_bounded_time() {
        let xen = Xen::new(());
        let mut xs = xen.client();
        xen.xenstored().misbehaviour = Some(Misbehaviour::Silent);
        let start = xen.now_ns();
        let error = xs.read("a").unwrap_err();
        assert_eq!(*error.kind(), ErrorKind::Timeout);
        assert_eq!(xen.now_ns() - start, XenStore::<Xen>::DEFAULT_TIMEOUT_NS);
        assert_eq!(
            xen.waits.get(),
            XenStore::<Xen>::DEFAULT_TIMEOUT_NS / TICK_NS
        );
        // A request that cannot even be written times out too, and breaks the stream.
        xs.set_timeout_ns(50 * TICK_NS);
        let big = "x".repeat(3000);
        assert_eq!(
            *xs.write("big", &big).unwrap_err().kind(),
            ErrorKind::Timeout
        );
        assert_eq!(*xs.read("a").unwrap_err().kind(), ErrorKind::Broken);
    }

    #[test]
    fn a_late_reply_is_dropped_when_it_arrives() {
        let xen = Xen::new(());
        let mut xs = xen.client();
        xs.set_timeout_ns(10 * TICK_NS);
        xs.write("a", "1").unwrap();
        xs.write("b", "2").unwrap();
        xen.xenstored().misbehaviour = Some(Misbehaviour::Late);
        assert_eq!(*xs.read("a").unwrap_err().kind(), ErrorKind::Timeout);
        // The reply to "a" comes just before the reply to "b".
        assert_eq!(xs.read("b").unwrap(), "2");
        assert_eq!(xs.read("a").unwrap(), "1");
    }

    /// Random bytes in the reply ring: every call returns, none panics.
    #[test]
    fn garbage_from_xenstored_never_panics() {
        let mut state = 0x9e37_79b9_7f4a_7c15_u64;
        let mut next = move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        for round in 0..200 {
            let xen = Xen::new(());
            let mut xs = xen.client();
            xs.set_timeout_ns(3 * TICK_NS);
            let len = (next() % 200) as usize;
            let mut garbage: Vec<u8> = (0..len).map(|_| next() as u8).collect();
            if round % 2 == 0 && garbage.len() >= 16 {
                // A plausible header in front, to get past the header check sometimes.
                let msg_type =
                    [XS_WATCH_EVENT, XS_ERROR, crate::abi::io::xs_wire::XS_READ][round % 3];
                let header = Header {
                    msg_type,
                    req_id: (next() % 2) as u32,
                    tx_id: 0,
                    len: (next() % 40) as u32,
                };
                garbage[..16].copy_from_slice(&header.to_bytes());
            }
            let written = ByteRing::<Producer>::new(xen.store_page, RingLayout::XENSTORE_RESPONSES)
                .write(&garbage)
                .unwrap();
            assert_eq!(written, len);
            for _ in 0..3 {
                let _ = xs.poll_watch();
                let _ = xs.read("a");
                let _ = xs.wait_watch(xen.now_ns() + TICK_NS);
            }
        }
    }

    #[test]
    fn every_error_kind_reads_as_a_sentence() {
        let kinds = vec![
            ErrorKind::Xenstore(Errno(21)),
            ErrorKind::Timeout,
            ErrorKind::Ring(RingError::Corrupt {
                cons: 0,
                prod: 2000,
            }),
            ErrorKind::Malformed(WireError::MissingNul),
            ErrorKind::InvalidRequest(WireError::EmbeddedNul),
            ErrorKind::UnexpectedReply { req_id: 7 },
            ErrorKind::UnexpectedType(99),
            ErrorKind::NotANumber("x".into()),
            ErrorKind::EventChannel(Errno::EINVAL),
            ErrorKind::Broken,
        ];
        for kind in kinds {
            let error = Error::new("write", "a/b", kind);
            let text = error.to_string();
            assert!(text.starts_with("xenstore write of a/b failed: "), "{text}");
            assert!(text.len() > 35, "{text}");
        }
        let error = Error::new("transaction start", "", ErrorKind::Xenstore(Errno(21)));
        assert_eq!(
            error.to_string(),
            "xenstore transaction start failed: EISDIR (-21)"
        );
    }
}
