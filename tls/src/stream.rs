//! [`TlsStream`]: an async TLS server connection over a [`Transport`] (a netstack
//! [`TcpStream`](xenolith_netstack::TcpStream), or an in-memory pipe in tests), driving
//! rustls's unbuffered state machine.
//!
//! Buffers are bounded: incoming TLS octets go into a fixed [`INCOMING_LEN`]-octet buffer
//! (one largest TLS 1.2 record, 5 + 2^14 + 2048 octets, plus room for a second record to
//! arrive behind it); a handshake message that does not fit is [`Error::MessageTooLarge`].
//! Outgoing records are encoded into a buffer that grows only as far as rustls asks
//! (the server's first flight, or one 16 KiB record with its overhead).
//!
//! Errors: when rustls rejects what the peer sent, the alert it queued is sent before the
//! error is returned, and the stream is then failed: every later call returns
//! [`Error::Closed`]. Nothing the peer sends can make the stream panic.
//!
//! One task owns a stream: `read` and `write` take `&mut self`. An HTTP server reads a
//! request, then writes the response, which fits that model.
//!
//! Cancellation (a timeout dropping a pending call): every octet received, decrypted or
//! encoded lives in the stream, never in a future, so
//! - [`TlsStream::read`] is cancel-safe: a dropped read loses nothing, the next one goes on;
//! - a dropped `write`, `write_all` or `close` may already have committed records: they go
//!   out (once, in order) with the next call that transmits, but the caller cannot know how
//!   much of its data was taken, so it should give up on the connection.
//!
//! Memory per connection: the [`INCOMING_LEN`] (36.9 KB) incoming buffer, allocated at once;
//! the outgoing buffer (up to ~17 KB while streaming, more only for a first flight with a
//! long certificate chain); decrypted data waiting to be read (≤ 16 KiB); rustls's own state
//! (a few KB).

use alloc::vec;
use alloc::vec::Vec;

use rustls::server::UnbufferedServerConnection;
use rustls::unbuffered::{ConnectionState, EncodeError, EncryptError, InsufficientSizeError};
use xenolith_netstack::TcpStream;

use crate::Error;

/// The incoming TLS buffer: one largest record (TLS 1.2: 5 + 16384 + 2048) and another.
pub const INCOMING_LEN: usize = 2 * (5 + 16384 + 2048);
/// The most plaintext put into one record (the TLS maximum).
const MAX_FRAGMENT: usize = 16384;
/// The outgoing buffer never grows beyond this (a first flight with a long chain, or one
/// full record).
const MAX_OUTGOING: usize = 64 * 1024;

/// A byte stream TLS runs over: a connected TCP socket, or anything that behaves like one.
// A single-threaded executor runs the futures: no `Send` bounds are wanted.
#[allow(async_fn_in_trait)]
pub trait Transport {
    /// Reads into `buffer`: how many octets, 0 at the end of the stream. Must be cancel-safe:
    /// a read that has not returned has consumed nothing.
    async fn read(&mut self, buffer: &mut [u8]) -> Result<usize, xenolith_netstack::Error>;
    /// Writes some of `data`, waiting for room: how many octets (at least one). Must be
    /// cancel-safe: a write that has not returned has written nothing.
    async fn write(&mut self, data: &[u8]) -> Result<usize, xenolith_netstack::Error>;
    /// Waits until everything written has been delivered (acknowledged, for TCP).
    async fn flush(&mut self) -> Result<(), xenolith_netstack::Error>;
    /// Closes the sending side (TCP FIN).
    fn close(&mut self);
}

impl Transport for TcpStream {
    async fn read(&mut self, buffer: &mut [u8]) -> Result<usize, xenolith_netstack::Error> {
        TcpStream::read(self, buffer).await
    }

    async fn write(&mut self, data: &[u8]) -> Result<usize, xenolith_netstack::Error> {
        TcpStream::write(self, data).await
    }

    async fn flush(&mut self) -> Result<(), xenolith_netstack::Error> {
        TcpStream::flush(self).await
    }

    fn close(&mut self) {
        TcpStream::close(self);
    }
}

/// What the state machine needs next.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Event {
    /// Decrypted data is waiting in `plain`.
    Data,
    /// More TLS octets from the peer are needed (handshake, or nothing else to do).
    NeedInput,
    /// The handshake is done and application data may be written.
    Writable,
    /// The peer sent close_notify: no more data will come.
    PeerClosed,
    /// Both sides sent close_notify.
    Closed,
}

/// What to do after the borrowed rustls state is released.
enum Action {
    Continue,
    Transmit,
    Return(Event),
    Fail(rustls::Error),
}

/// Where the rustls states put their output (apart from the connection, so that both can be
/// borrowed at once).
#[derive(Default)]
struct Buffers {
    /// Encoded records not yet sent: `outgoing[sent..pending_out]` (`..sent` went out).
    outgoing: Vec<u8>,
    pending_out: usize,
    sent: usize,
    /// Decrypted application data not yet read: `plain[plain_start..]` (in the stream).
    plain: Vec<u8>,
}

/// A TLS server connection (after [`TlsAcceptor::accept`](crate::TlsAcceptor::accept)).
pub struct TlsStream<T: Transport = TcpStream> {
    conn: UnbufferedServerConnection,
    transport: T,
    /// Received TLS octets not yet consumed by rustls: `incoming[..filled]`.
    incoming: Vec<u8>,
    filled: usize,
    buffers: Buffers,
    plain_start: usize,
    /// The peer sent close_notify.
    peer_closed: bool,
    /// The transport reached its end.
    eof: bool,
    /// We sent close_notify, or the connection failed.
    done: bool,
}

impl<T: Transport> core::fmt::Debug for TlsStream<T> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("TlsStream")
            .field("handshaking", &self.conn.is_handshaking())
            .field("version", &self.conn.protocol_version())
            .field("peer_closed", &self.peer_closed)
            .field("done", &self.done)
            .finish()
    }
}

impl<T: Transport> TlsStream<T> {
    pub(crate) fn new(conn: UnbufferedServerConnection, transport: T) -> TlsStream<T> {
        TlsStream {
            conn,
            transport,
            incoming: vec![0; INCOMING_LEN],
            filled: 0,
            buffers: Buffers::default(),
            plain_start: 0,
            peer_closed: false,
            eof: false,
            done: false,
        }
    }

    /// Runs the handshake to its end (the client's Finished checked).
    pub(crate) async fn handshake(&mut self) -> Result<(), Error> {
        while self.conn.is_handshaking() {
            match self.step().await? {
                Event::NeedInput | Event::Writable | Event::Data => {
                    if self.conn.is_handshaking() {
                        self.fill().await?;
                    }
                }
                Event::PeerClosed | Event::Closed => return Err(Error::UnexpectedEof),
            }
        }
        // `step` has encoded and sent every record the handshake queued (a TLS 1.2 server's
        // last flight included) before reporting an event; send anything still buffered.
        self.transmit().await
    }

    /// The negotiated protocol version and cipher suite, for logs.
    pub fn negotiated(&self) -> Option<(rustls::ProtocolVersion, rustls::CipherSuite)> {
        Some((
            self.conn.protocol_version()?,
            self.conn.negotiated_cipher_suite()?.suite(),
        ))
    }

    /// The transport (e.g. to ask the TCP stream for its peer address).
    pub fn transport(&self) -> &T {
        &self.transport
    }

    /// The transport, mutably (e.g. to set TCP timeouts).
    pub fn transport_mut(&mut self) -> &mut T {
        &mut self.transport
    }

    /// Reads decrypted data into `buffer`: how many octets, or 0 once the peer has closed the
    /// TLS session with close_notify. A TCP end without close_notify is
    /// [`Error::UnexpectedEof`].
    pub async fn read(&mut self, buffer: &mut [u8]) -> Result<usize, Error> {
        if buffer.is_empty() {
            return Ok(0);
        }
        loop {
            if self.plain_start < self.buffers.plain.len() {
                let available = &self.buffers.plain[self.plain_start..];
                let len = available.len().min(buffer.len());
                buffer[..len].copy_from_slice(&available[..len]);
                self.plain_start += len;
                if self.plain_start == self.buffers.plain.len() {
                    self.buffers.plain.clear();
                    self.plain_start = 0;
                }
                return Ok(len);
            }
            if self.peer_closed {
                return Ok(0);
            }
            if self.done {
                return Err(Error::Closed);
            }
            match self.step().await? {
                Event::Data => {}
                Event::NeedInput | Event::Writable => self.fill().await?,
                Event::PeerClosed | Event::Closed => self.peer_closed = true,
            }
        }
    }

    /// Encrypts and sends some of `data` (at most one 16 KiB record); returns how much.
    pub async fn write(&mut self, data: &[u8]) -> Result<usize, Error> {
        if data.is_empty() {
            return Ok(0);
        }
        let data = &data[..data.len().min(MAX_FRAGMENT)];
        loop {
            if self.done {
                return Err(Error::Closed);
            }
            let status = self
                .conn
                .process_tls_records(&mut self.incoming[..self.filled]);
            let discard = status.discard;
            let action = match status.state {
                Ok(ConnectionState::WriteTraffic(mut traffic)) => {
                    let result = encode_into(
                        &mut self.buffers.outgoing,
                        self.buffers.pending_out,
                        |out| traffic.encrypt(data, out).map_err(encrypt_size),
                    );
                    match result {
                        Ok(len) => {
                            self.buffers.pending_out += len;
                            Action::Return(Event::Writable)
                        }
                        Err(error) => Action::Fail(error),
                    }
                }
                Ok(ConnectionState::Closed) => Action::Return(Event::Closed),
                Ok(state) => self.buffers.handle(state),
                Err(error) => Action::Fail(error),
            };
            self.discard(discard);
            match action {
                Action::Return(Event::Writable) => {
                    self.transmit().await?;
                    return Ok(data.len());
                }
                Action::Return(Event::Closed) => {
                    self.done = true;
                    return Err(Error::Closed);
                }
                Action::Return(Event::NeedInput) => self.fill().await?,
                Action::Return(Event::PeerClosed) => self.peer_closed = true,
                Action::Return(Event::Data) | Action::Continue => {}
                Action::Transmit => self.transmit().await?,
                Action::Fail(error) => return Err(self.fail(error).await),
            }
        }
    }

    /// Encrypts and sends all of `data`.
    pub async fn write_all(&mut self, mut data: &[u8]) -> Result<(), Error> {
        while !data.is_empty() {
            let written = self.write(data).await?;
            data = &data[written..];
        }
        Ok(())
    }

    /// Waits until everything sent has been delivered to the peer.
    pub async fn flush(&mut self) -> Result<(), Error> {
        self.transport.flush().await.map_err(Error::Transport)
    }

    /// Ends the session: sends close_notify, waits for it to be delivered, and closes the
    /// transport's sending side. Does not wait for the peer's close_notify (most clients
    /// never send one).
    pub async fn close(&mut self) -> Result<(), Error> {
        if self.done {
            self.transport.close();
            return Ok(());
        }
        loop {
            let status = self
                .conn
                .process_tls_records(&mut self.incoming[..self.filled]);
            let discard = status.discard;
            let action = match status.state {
                Ok(ConnectionState::WriteTraffic(mut traffic)) => {
                    let result = encode_into(
                        &mut self.buffers.outgoing,
                        self.buffers.pending_out,
                        |out| traffic.queue_close_notify(out).map_err(encrypt_size),
                    );
                    match result {
                        Ok(len) => {
                            self.buffers.pending_out += len;
                            Action::Return(Event::Closed)
                        }
                        Err(error) => Action::Fail(error),
                    }
                }
                Ok(ConnectionState::Closed) => Action::Return(Event::Closed),
                Ok(state) => self.buffers.handle(state),
                Err(error) => Action::Fail(error),
            };
            self.discard(discard);
            match action {
                Action::Return(Event::Closed) => break,
                // Still handshaking (close called early): nothing to notify, just hang up.
                Action::Return(Event::NeedInput) => break,
                Action::Return(Event::PeerClosed) => self.peer_closed = true,
                Action::Return(_) | Action::Continue => {}
                Action::Transmit => self.transmit().await?,
                Action::Fail(error) => return Err(self.fail(error).await),
            }
        }
        self.done = true;
        self.transmit().await?;
        self.transport.flush().await?;
        self.transport.close();
        Ok(())
    }

    /// Processes what is buffered until there is something for the caller to act on.
    async fn step(&mut self) -> Result<Event, Error> {
        loop {
            if self.done {
                return Err(Error::Closed);
            }
            let status = self
                .conn
                .process_tls_records(&mut self.incoming[..self.filled]);
            let discard = status.discard;
            let action = match status.state {
                Ok(ConnectionState::WriteTraffic(_)) => Action::Return(Event::Writable),
                Ok(ConnectionState::Closed) => Action::Return(Event::Closed),
                Ok(state) => self.buffers.handle(state),
                Err(error) => Action::Fail(error),
            };
            self.discard(discard);
            match action {
                Action::Continue => {}
                Action::Transmit => self.transmit().await?,
                Action::Return(event) => return Ok(event),
                Action::Fail(error) => return Err(self.fail(error).await),
            }
        }
    }

    /// Removes `len` consumed octets from the front of the incoming buffer.
    fn discard(&mut self, len: usize) {
        let len = len.min(self.filled);
        if len > 0 {
            self.incoming.copy_within(len..self.filled, 0);
            self.filled -= len;
        }
    }

    /// Reads more TLS octets from the transport.
    async fn fill(&mut self) -> Result<(), Error> {
        if self.filled == self.incoming.len() {
            // rustls wants more than a full buffer: a handshake message too large to hold.
            let error = Error::MessageTooLarge(INCOMING_LEN);
            self.done = true;
            self.transport.close();
            return Err(error);
        }
        if self.eof {
            return Err(self.hang_up(Error::UnexpectedEof));
        }
        match self.transport.read(&mut self.incoming[self.filled..]).await {
            Ok(0) => {
                self.eof = true;
                Err(self.hang_up(Error::UnexpectedEof))
            }
            Ok(len) => {
                self.filled += len.min(self.incoming.len() - self.filled);
                Ok(())
            }
            Err(error) => Err(self.hang_up(Error::Transport(error))),
        }
    }

    /// Sends the encoded records. Cancel-safe: progress is kept in `buffers.sent`, so a
    /// cancelled call resumes where it stopped, and no octet is sent twice.
    async fn transmit(&mut self) -> Result<(), Error> {
        while self.buffers.sent < self.buffers.pending_out {
            let unsent = &self.buffers.outgoing[self.buffers.sent..self.buffers.pending_out];
            match self.transport.write(unsent).await {
                Ok(0) => {
                    return Err(
                        self.hang_up(Error::Transport(xenolith_netstack::Error::NotWritable))
                    );
                }
                Ok(len) => self.buffers.sent += len.min(unsent.len()),
                Err(error) => return Err(self.hang_up(Error::Transport(error))),
            }
        }
        self.buffers.sent = 0;
        self.buffers.pending_out = 0;
        Ok(())
    }

    /// Marks the stream failed and closes the transport.
    fn hang_up(&mut self, error: Error) -> Error {
        self.done = true;
        self.transport.close();
        error
    }

    /// After rustls rejected the peer: sends the alert rustls queued (if any), then fails.
    async fn fail(&mut self, error: rustls::Error) -> Error {
        // The alert waits in rustls's queue of outgoing TLS data, which `process_tls_records`
        // hands out (as EncodeTlsData) before it looks at input again. Call it only while
        // that queue is non-empty: once empty, it would parse the offending record again.
        // The same unconsumed octets must be passed: rustls remembers how far it has read.
        while self.conn.wants_write() {
            let status = self
                .conn
                .process_tls_records(&mut self.incoming[..self.filled]);
            let discard = status.discard;
            let encoded = match status.state {
                Ok(ConnectionState::EncodeTlsData(mut encode)) => encode_into(
                    &mut self.buffers.outgoing,
                    self.buffers.pending_out,
                    |out| encode.encode(out).map_err(encode_size),
                )
                .ok(),
                _ => None,
            };
            self.discard(discard);
            match encoded {
                Some(len) => self.buffers.pending_out += len,
                None => break,
            }
        }
        let _ = self.transmit().await;
        self.hang_up(Error::Tls(error))
    }
}

impl Buffers {
    /// The states every caller handles alike.
    fn handle(
        &mut self,
        state: ConnectionState<'_, '_, rustls::server::ServerConnectionData>,
    ) -> Action {
        match state {
            ConnectionState::ReadTraffic(mut traffic) => {
                while let Some(record) = traffic.next_record() {
                    match record {
                        // rustls holds at most one record's plaintext at a time (≤ 16 KiB).
                        Ok(record) => self.plain.extend_from_slice(record.payload),
                        Err(error) => return Action::Fail(error),
                    }
                }
                Action::Return(Event::Data)
            }
            ConnectionState::EncodeTlsData(mut encode) => {
                match encode_into(&mut self.outgoing, self.pending_out, |out| {
                    encode.encode(out).map_err(encode_size)
                }) {
                    Ok(len) => {
                        self.pending_out += len;
                        Action::Continue
                    }
                    Err(error) => Action::Fail(error),
                }
            }
            ConnectionState::TransmitTlsData(transmit) => {
                // The octets are in `outgoing`; the caller sends them before going on.
                transmit.done();
                Action::Transmit
            }
            ConnectionState::BlockedHandshake => Action::Return(Event::NeedInput),
            ConnectionState::PeerClosed => Action::Return(Event::PeerClosed),
            ConnectionState::Closed => Action::Return(Event::Closed),
            ConnectionState::WriteTraffic(_) => Action::Return(Event::Writable),
            // Early data is never accepted (max_early_data_size is 0); any future state is
            // treated as a failure rather than guessed at.
            _ => Action::Fail(rustls::Error::General(
                "unexpected TLS connection state".into(),
            )),
        }
    }
}

/// Runs `encode` into the free part of `outgoing` (from `used`), growing the buffer as rustls
/// asks, up to [`MAX_OUTGOING`]; returns the octets written.
fn encode_into(
    outgoing: &mut Vec<u8>,
    used: usize,
    mut encode: impl FnMut(&mut [u8]) -> Result<usize, Result<usize, rustls::Error>>,
) -> Result<usize, rustls::Error> {
    loop {
        match encode(&mut outgoing[used..]) {
            Ok(len) => return Ok(len),
            Err(Ok(required)) => {
                let wanted = used + required;
                if wanted > MAX_OUTGOING {
                    return Err(rustls::Error::General("outgoing TLS data too large".into()));
                }
                outgoing.resize(wanted, 0);
            }
            Err(Err(error)) => return Err(error),
        }
    }
}

/// `Err(Ok(size))`: the buffer must hold `size` octets; `Err(Err(_))`: a real failure.
fn encode_size(error: EncodeError) -> Result<usize, rustls::Error> {
    match error {
        EncodeError::InsufficientSize(InsufficientSizeError { required_size }) => Ok(required_size),
        EncodeError::AlreadyEncoded => Err(rustls::Error::General("TLS data encoded twice".into())),
    }
}

fn encrypt_size(error: EncryptError) -> Result<usize, rustls::Error> {
    match error {
        EncryptError::InsufficientSize(InsufficientSizeError { required_size }) => {
            Ok(required_size)
        }
        EncryptError::EncryptExhausted => Err(rustls::Error::EncryptError),
    }
}
