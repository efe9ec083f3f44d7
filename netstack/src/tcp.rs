//! Async TCP: [`TcpListener`] accepts connections, [`TcpStream`] reads and writes them.
//!
//! A listener keeps `backlog` smoltcp sockets listening on its port, so that several
//! handshakes can proceed at once; [`accept`](TcpListener::accept) hands out the first one
//! that is established and re-arms a fresh listening socket in its place. When all `backlog`
//! sockets are busy (handshaking or waiting to be accepted), further SYNs are answered with a
//! RST, as a full backlog does on other systems.
//!
//! A stream has two wakers in smoltcp, one for receiving and one for sending, so one task may
//! read while another (or the same, with [`split`](TcpStream::split)) writes; two concurrent
//! readers (or writers) would steal each other's wake-ups, which the `&mut self` receivers
//! rule out.
//!
//! Timeouts: [`TcpStream::set_timeout`] and [`TcpStream::set_keep_alive`] are smoltcp's
//! dead-peer detection (the connection is aborted when the peer stops answering);
//! an idle timeout for a live but silent peer is [`Stack::timeout`] around a read.

use alloc::vec;
use core::fmt;
use core::future::{Future, poll_fn};
use core::task::{Context, Poll};
use core::time::Duration;

use alloc::vec::Vec;
use core::cell::{Cell, RefCell};
use smoltcp::iface::SocketHandle;
use smoltcp::socket::tcp::{self, State};
use smoltcp::wire::IpEndpoint;

use crate::stack::Inner;
use crate::time::smol_duration;
use crate::{Error, Stack};

/// A TCP port accepting connections. Dropping it resets the connections not yet accepted and
/// frees the port.
pub struct TcpListener {
    stack: Stack,
    port: u16,
    /// The listening sockets (some may be handshaking or established, not yet accepted).
    backlog: RefCell<Vec<SocketHandle>>,
}

/// A new smoltcp TCP socket with the stack's buffer sizes.
fn new_socket(inner: &Inner) -> tcp::Socket<'static> {
    tcp::Socket::new(
        tcp::SocketBuffer::new(vec![0; inner.buffers.tcp_rx]),
        tcp::SocketBuffer::new(vec![0; inner.buffers.tcp_tx]),
    )
}

/// A socket listening on `port`, added to the set.
fn listening_socket(inner: &mut Inner, port: u16) -> SocketHandle {
    let mut socket = new_socket(inner);
    // Cannot fail: the port is not zero and the socket is new.
    let _ = socket.listen(port);
    inner.sockets.add(socket)
}

impl TcpListener {
    /// Listens on `port` (every local address) with `backlog` connections able to handshake
    /// or wait for [`accept`](TcpListener::accept) at once.
    pub fn bind(stack: &Stack, port: u16, backlog: usize) -> Result<TcpListener, Error> {
        if port == 0 {
            return Err(Error::PortZero);
        }
        if backlog == 0 {
            return Err(Error::ZeroBacklog);
        }
        stack.with(|inner| {
            if inner.tcp_ports.contains(&port) {
                return Err(Error::PortInUse {
                    protocol: "TCP",
                    port,
                });
            }
            inner.tcp_ports.push(port);
            let handles = (0..backlog)
                .map(|_| listening_socket(inner, port))
                .collect();
            Ok(TcpListener {
                stack: stack.clone(),
                port,
                backlog: RefCell::new(handles),
            })
        })
    }

    /// The local port.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// Waits for an established connection; re-arms a listening socket in its place.
    pub fn accept(&self) -> impl Future<Output = TcpStream> {
        poll_fn(move |cx| {
            let mut backlog = self.backlog.borrow_mut();
            self.stack.with(|inner| {
                for slot in backlog.iter_mut() {
                    let socket = inner.sockets.get_mut::<tcp::Socket<'_>>(*slot);
                    match socket.state() {
                        State::Listen | State::SynReceived => {
                            socket.register_recv_waker(cx.waker())
                        }
                        // Established, possibly with data and even the peer's FIN already in.
                        State::Established | State::CloseWait => {
                            let handle = *slot;
                            *slot = listening_socket(inner, self.port);
                            inner.stats.tcp_accepted += 1;
                            return Poll::Ready(TcpStream::new(&self.stack, handle));
                        }
                        // The connection died before it was accepted: listen again.
                        _ => {
                            socket.abort();
                            let _ = socket.listen(self.port);
                            socket.register_recv_waker(cx.waker());
                        }
                    }
                }
                Poll::Pending
            })
        })
    }
}

impl Drop for TcpListener {
    fn drop(&mut self) {
        let backlog = core::mem::take(&mut *self.backlog.borrow_mut());
        self.stack.with(|inner| {
            for handle in backlog {
                inner.abort_tcp(handle);
            }
            inner.tcp_ports.retain(|&port| port != self.port);
        });
    }
}

impl fmt::Debug for TcpListener {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TcpListener")
            .field("port", &self.port)
            .field("backlog", &self.backlog.borrow().len())
            .finish()
    }
}

/// A TCP connection. Dropping it closes the connection gracefully in the background (see
/// [`stack`](crate::stack)).
pub struct TcpStream {
    stack: Stack,
    handle: SocketHandle,
    /// [`close`](TcpStream::close) or [`abort`](TcpStream::abort) was called.
    closed_locally: Cell<bool>,
}

/// The reading half of a [`TcpStream`], from [`TcpStream::split`].
#[derive(Debug)]
pub struct ReadHalf<'a> {
    stream: &'a TcpStream,
}

/// The writing half of a [`TcpStream`], from [`TcpStream::split`].
#[derive(Debug)]
pub struct WriteHalf<'a> {
    stream: &'a TcpStream,
}

impl TcpStream {
    fn new(stack: &Stack, handle: SocketHandle) -> TcpStream {
        TcpStream {
            stack: stack.clone(),
            handle,
            closed_locally: Cell::new(false),
        }
    }

    /// Connects to `remote` from an ephemeral port.
    pub async fn connect(stack: &Stack, remote: IpEndpoint) -> Result<TcpStream, Error> {
        let handle = stack.with(|inner| {
            if remote.port == 0 || !inner.reachable(&remote.addr) {
                return Err(Error::Unreachable(remote));
            }
            let mut socket = new_socket(inner);
            let port = inner.ephemeral_port();
            socket
                .connect(inner.iface.context(), remote, port)
                .map_err(|_| Error::Unreachable(remote))?;
            Ok(inner.sockets.add(socket))
        })?;
        // From here on, dropping `stream` (also on error) releases the socket.
        let stream = TcpStream::new(stack, handle);
        poll_fn(|cx| {
            stream.with_socket(|socket, stats| match socket.state() {
                State::Established | State::CloseWait => {
                    stats.tcp_connected += 1;
                    Poll::Ready(Ok(()))
                }
                State::SynSent | State::SynReceived => {
                    socket.register_send_waker(cx.waker());
                    Poll::Pending
                }
                _ => Poll::Ready(Err(Error::ConnectFailed(remote))),
            })
        })
        .await?;
        Ok(stream)
    }

    fn with_socket<R>(
        &self,
        f: impl FnOnce(&mut tcp::Socket<'static>, &mut crate::StackStats) -> R,
    ) -> R {
        self.stack.with(|inner| {
            let socket = inner.sockets.get_mut::<tcp::Socket<'static>>(self.handle);
            f(socket, &mut inner.stats)
        })
    }

    /// Reads into `buffer`: the number of bytes read, 0 at the end of the stream (the peer
    /// closed its side), or [`Error::ConnectionReset`].
    pub fn read(&mut self, buffer: &mut [u8]) -> impl Future<Output = Result<usize, Error>> {
        self.read_shared(buffer)
    }

    /// Writes some of `data` into the send buffer, waiting for room; returns how much.
    pub fn write(&mut self, data: &[u8]) -> impl Future<Output = Result<usize, Error>> {
        self.write_shared(data)
    }

    /// Writes all of `data`, waiting for room as needed.
    pub fn write_all(&mut self, data: &[u8]) -> impl Future<Output = Result<(), Error>> {
        self.write_all_shared(data)
    }

    /// Waits until everything written has been acknowledged by the peer.
    pub fn flush(&mut self) -> impl Future<Output = Result<(), Error>> {
        self.flush_shared()
    }

    /// The reading and the writing half, to read and write concurrently in one task.
    pub fn split(&mut self) -> (ReadHalf<'_>, WriteHalf<'_>) {
        (ReadHalf { stream: self }, WriteHalf { stream: self })
    }

    /// Reads into `buffer` (see [`read`](TcpStream::read)). The futures are `poll_fn`s returned
    /// directly, not `async fn`s: no state machine around them (docs/image-size.md).
    fn read_shared(&self, buffer: &mut [u8]) -> impl Future<Output = Result<usize, Error>> {
        poll_fn(move |cx| self.poll_read(cx, buffer))
    }

    fn poll_read(&self, cx: &mut Context<'_>, buffer: &mut [u8]) -> Poll<Result<usize, Error>> {
        if buffer.is_empty() {
            return Poll::Ready(Ok(0));
        }
        self.with_socket(|socket, _| match socket.recv_slice(buffer) {
            Ok(0) => {
                socket.register_recv_waker(cx.waker());
                Poll::Pending
            }
            Ok(len) => Poll::Ready(Ok(len)),
            Err(tcp::RecvError::Finished) => Poll::Ready(Ok(0)),
            Err(tcp::RecvError::InvalidState) => match socket.state() {
                State::SynSent | State::SynReceived => {
                    socket.register_recv_waker(cx.waker());
                    Poll::Pending
                }
                _ => Poll::Ready(Err(Error::ConnectionReset)),
            },
        })
    }

    fn write_shared(&self, data: &[u8]) -> impl Future<Output = Result<usize, Error>> {
        poll_fn(move |cx| self.poll_write(cx, data))
    }

    fn poll_write(&self, cx: &mut Context<'_>, data: &[u8]) -> Poll<Result<usize, Error>> {
        if data.is_empty() {
            return Poll::Ready(Ok(0));
        }
        self.with_socket(|socket, _| match socket.send_slice(data) {
            Ok(0) => {
                socket.register_send_waker(cx.waker());
                Poll::Pending
            }
            Ok(len) => Poll::Ready(Ok(len)),
            Err(tcp::SendError::InvalidState) => match socket.state() {
                State::SynSent | State::SynReceived => {
                    socket.register_send_waker(cx.waker());
                    Poll::Pending
                }
                State::Closed if !self.closed_locally.get() => {
                    Poll::Ready(Err(Error::ConnectionReset))
                }
                _ => Poll::Ready(Err(Error::NotWritable)),
            },
        })
    }

    fn write_all_shared(&self, mut data: &[u8]) -> impl Future<Output = Result<(), Error>> {
        poll_fn(move |cx| {
            while !data.is_empty() {
                let written = match self.poll_write(cx, data) {
                    Poll::Ready(Ok(written)) => written,
                    Poll::Ready(Err(error)) => return Poll::Ready(Err(error)),
                    Poll::Pending => return Poll::Pending,
                };
                data = data.get(written..).unwrap_or_default();
            }
            Poll::Ready(Ok(()))
        })
    }

    fn flush_shared(&self) -> impl Future<Output = Result<(), Error>> {
        poll_fn(move |cx| {
            self.with_socket(|socket, _| {
                if socket.send_queue() == 0 {
                    Poll::Ready(Ok(()))
                } else if socket.state() == State::Closed {
                    Poll::Ready(Err(Error::ConnectionReset))
                } else {
                    socket.register_send_waker(cx.waker());
                    Poll::Pending
                }
            })
        })
    }

    /// Closes the sending side: a FIN follows the data already written. Reading goes on
    /// until the peer closes its side.
    pub fn close(&mut self) {
        self.close_shared();
    }

    fn close_shared(&self) {
        self.closed_locally.set(true);
        self.with_socket(|socket, _| socket.close());
    }

    /// Aborts the connection at once with a RST; unsent data is discarded.
    pub fn abort(&mut self) {
        self.closed_locally.set(true);
        self.with_socket(|socket, _| socket.abort());
    }

    /// The peer's address and port (`None` once the connection is closed).
    pub fn peer(&self) -> Option<IpEndpoint> {
        self.with_socket(|socket, _| socket.remote_endpoint())
    }

    /// The local address and port (`None` once the connection is closed).
    pub fn local(&self) -> Option<IpEndpoint> {
        self.with_socket(|socket, _| socket.local_endpoint())
    }

    /// smoltcp's timeout: abort the connection when the peer does not answer for `timeout`
    /// while we wait for it (data unacknowledged, or keep-alive probes unanswered).
    pub fn set_timeout(&mut self, timeout: Option<Duration>) {
        self.with_socket(|socket, _| socket.set_timeout(timeout.map(smol_duration)));
    }

    /// Sends a keep-alive probe after `interval` of silence; with
    /// [`set_timeout`](TcpStream::set_timeout), a dead peer is detected even on an idle
    /// connection.
    pub fn set_keep_alive(&mut self, interval: Option<Duration>) {
        self.with_socket(|socket, _| socket.set_keep_alive(interval.map(smol_duration)));
    }

    /// Disables Nagle's algorithm (`true`: send small segments at once, like `TCP_NODELAY`).
    pub fn set_nodelay(&mut self, nodelay: bool) {
        self.with_socket(|socket, _| socket.set_nagle_enabled(!nodelay));
    }
}

impl ReadHalf<'_> {
    /// As [`TcpStream::read`].
    pub fn read(&mut self, buffer: &mut [u8]) -> impl Future<Output = Result<usize, Error>> {
        self.stream.read_shared(buffer)
    }
}

impl WriteHalf<'_> {
    /// As [`TcpStream::write`].
    pub fn write(&mut self, data: &[u8]) -> impl Future<Output = Result<usize, Error>> {
        self.stream.write_shared(data)
    }

    /// As [`TcpStream::write_all`].
    pub fn write_all(&mut self, data: &[u8]) -> impl Future<Output = Result<(), Error>> {
        self.stream.write_all_shared(data)
    }

    /// As [`TcpStream::flush`].
    pub fn flush(&mut self) -> impl Future<Output = Result<(), Error>> {
        self.stream.flush_shared()
    }

    /// As [`TcpStream::close`]: the peer sees the end of the stream; reading goes on.
    pub fn close(&mut self) {
        self.stream.close_shared();
    }
}

impl Drop for TcpStream {
    fn drop(&mut self) {
        self.stack.with(|inner| inner.release_tcp(self.handle));
    }
}

impl fmt::Debug for TcpStream {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (state, peer) =
            self.with_socket(|socket, _| (socket.state(), socket.remote_endpoint()));
        f.debug_struct("TcpStream")
            .field("state", &state)
            .field("peer", &peer)
            .finish()
    }
}
