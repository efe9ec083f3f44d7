//! Async UDP sockets.
//!
//! A [`UdpSocket`] owns one smoltcp UDP socket, bound to a port on every local address. Its
//! futures register the task's waker with smoltcp and complete when a datagram arrived or
//! there is room to queue one. Dropping the socket releases the smoltcp socket and the port.
//!
//! Datagrams larger than the IP MTU are not sent (IP fragmentation is not built in: 1472
//! payload bytes at most over IPv4 on a 1500-byte MTU, 1452 over IPv6); received fragments are
//! dropped.

use alloc::vec;
use core::fmt;
use core::future::{Future, poll_fn};
use core::task::Poll;

use smoltcp::iface::SocketHandle;
use smoltcp::socket::udp;
use smoltcp::wire::{IpAddress, IpEndpoint};

use crate::{Error, Stack};

/// A UDP socket bound to a local port.
pub struct UdpSocket {
    stack: Stack,
    handle: SocketHandle,
    port: u16,
}

impl UdpSocket {
    /// Binds to `port` on every local address; port 0 picks an ephemeral port.
    pub fn bind(stack: &Stack, port: u16) -> Result<UdpSocket, Error> {
        stack.with(|inner| {
            let port = match port {
                0 => inner.ephemeral_port(),
                port if inner.udp_ports.contains(&port) => {
                    return Err(Error::PortInUse {
                        protocol: "UDP",
                        port,
                    });
                }
                port => port,
            };
            let buffers = inner.buffers;
            let buffer = |bytes| {
                udp::PacketBuffer::new(
                    vec![udp::PacketMetadata::EMPTY; buffers.udp_datagrams],
                    vec![0; bytes],
                )
            };
            let (rx, tx) = (buffer(buffers.udp_rx), buffer(buffers.udp_tx));
            let mut socket = udp::Socket::new(rx, tx);
            // Cannot fail: the port is not zero and the socket is new.
            let _ = socket.bind(port);
            let handle = inner.sockets.add(socket);
            inner.udp_ports.push(port);
            Ok(UdpSocket {
                stack: stack.clone(),
                handle,
                port,
            })
        })
    }

    /// The local port.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// Waits for a datagram, copies it into `buffer` and returns its length and sender.
    ///
    /// A datagram longer than `buffer` is dropped and reported as
    /// [`Error::DatagramTruncated`].
    pub fn recv_from(
        &self,
        buffer: &mut [u8],
    ) -> impl Future<Output = Result<(usize, IpEndpoint), Error>> {
        poll_fn(move |cx| {
            self.stack.with(|inner| {
                let socket = inner.sockets.get_mut::<udp::Socket<'_>>(self.handle);
                match socket.recv() {
                    Ok((payload, meta)) => {
                        let Some(destination) = buffer.get_mut(..payload.len()) else {
                            return Poll::Ready(Err(Error::DatagramTruncated {
                                len: payload.len(),
                                capacity: buffer.len(),
                            }));
                        };
                        // (Equal lengths; a zip has no length-mismatch panic path.)
                        for (to, from) in destination.iter_mut().zip(payload) {
                            *to = *from;
                        }
                        Poll::Ready(Ok((payload.len(), meta.endpoint)))
                    }
                    Err(udp::RecvError::Exhausted | udp::RecvError::Truncated) => {
                        socket.register_recv_waker(cx.waker());
                        Poll::Pending
                    }
                }
            })
        })
    }

    /// Queues `datagram` for `to`, waiting while the send buffer is full. A datagram larger
    /// than the MTU allows (1472 bytes over IPv4 on a 1500-byte MTU, 1452 over IPv6) or than
    /// the send buffer holds is
    /// refused with [`Error::DatagramTooLarge`].
    pub fn send_to(
        &self,
        datagram: &[u8],
        to: IpEndpoint,
    ) -> impl Future<Output = Result<(), Error>> {
        poll_fn(move |cx| {
            self.stack.with(|inner| {
                if !inner.reachable(&to.addr) {
                    return Poll::Ready(Err(Error::Unreachable(to)));
                }
                // Ethernet, IP and UDP headers; no IP fragmentation.
                let ip_header = match to.addr {
                    IpAddress::Ipv4(_) => 20,
                    IpAddress::Ipv6(_) => 40,
                };
                let mtu_payload = inner
                    .device
                    .device
                    .max_frame_len()
                    .saturating_sub(14 + ip_header + 8);
                let socket = inner.sockets.get_mut::<udp::Socket<'_>>(self.handle);
                let largest = mtu_payload.min(socket.payload_send_capacity());
                if datagram.len() > largest {
                    return Poll::Ready(Err(Error::DatagramTooLarge {
                        len: datagram.len(),
                        largest,
                    }));
                }
                match socket.send_slice(datagram, to) {
                    Ok(()) => Poll::Ready(Ok(())),
                    Err(udp::SendError::BufferFull) => {
                        socket.register_send_waker(cx.waker());
                        Poll::Pending
                    }
                    Err(udp::SendError::Unaddressable) => Poll::Ready(Err(Error::Unreachable(to))),
                }
            })
        })
    }
}

impl Drop for UdpSocket {
    fn drop(&mut self) {
        self.stack.with(|inner| {
            inner.sockets.remove(self.handle);
            inner.udp_ports.retain(|&port| port != self.port);
        });
    }
}

impl fmt::Debug for UdpSocket {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("UdpSocket")
            .field("port", &self.port)
            .finish()
    }
}
