//! `echo`: the Echo Protocol (RFC 862) on UDP and TCP, over the Xenolith network stack.
//!
//! Every UDP datagram to the port is sent back to its sender; every TCP connection gets back
//! what it sends until it closes its side, then the server closes too. ICMP echo (ping) is
//! answered by the stack itself. The same [`serve`] runs in the unikernel image and as a
//! Linux process over a TAP interface (see `main.rs`).
//!
//! Each TCP connection is its own task; at most [`Options::max_connections`] run at once
//! (further connections wait in the listener's backlog, and beyond that are refused). A
//! connection idle for [`Options::idle_timeout`] (no data from the peer, or the peer not
//! reading our echo) is closed, so silent clients cannot pin the connection slots.
#![no_std]
#![forbid(unsafe_code)]

extern crate alloc;

use alloc::vec;

use core::time::Duration;

use xenolith_app::limit::{Connections, Permit};
use xenolith_netstack::{Error, Spawner, Stack, TcpListener, TcpStream, UdpSocket};

/// What the server listens on and how much it takes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Options {
    /// UDP and TCP port (7, the echo port, by default).
    pub port: u16,
    /// TCP connections served at once.
    pub max_connections: usize,
    /// Handshaking or established connections waiting to be accepted; a burst of more SYNs
    /// than this is refused with a RST.
    pub backlog: usize,
    /// A TCP connection without progress for this long is closed.
    pub idle_timeout: Duration,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            port: 7,
            max_connections: 64,
            backlog: 16,
            idle_timeout: Duration::from_secs(60),
        }
    }
}

/// Serves UDP and TCP echo on `options.port` until an error ends it (binding the port is the
/// only one: per-datagram and per-connection errors are logged and survived).
pub async fn serve(stack: &Stack, spawner: &Spawner, options: &Options) -> Result<(), Error> {
    let udp = UdpSocket::bind(stack, options.port)?;
    let listener = TcpListener::bind(stack, options.port, options.backlog)?;
    let address = stack.wait_configured().await;
    log::info!(
        "serving UDP and TCP port {} on {address} (up to {} connections)",
        options.port,
        options.max_connections
    );
    spawner.spawn(echo_datagrams(udp));

    let connections = Connections::new(options.max_connections);
    loop {
        let slot = connections.admit(stack).await;
        let stream = listener.accept().await;
        spawner.spawn(echo_connection(
            stack.clone(),
            stream,
            options.idle_timeout,
            slot,
        ));
    }
}

/// Sends every datagram back to where it came from.
async fn echo_datagrams(socket: UdpSocket) {
    // No IP fragmentation: a datagram holds at most 1472 bytes on a 1500-byte MTU.
    let mut buffer = vec![0; 1500];
    loop {
        match socket.recv_from(&mut buffer).await {
            Ok((len, peer)) => {
                if let Err(error) = socket.send_to(&buffer[..len], peer).await {
                    log::debug!("UDP reply to {peer}: {error}");
                }
            }
            Err(error) => log::debug!("UDP: {error}"),
        }
    }
}

/// Echoes one connection until the peer closes it, it fails, or it idles too long.
async fn echo_connection(stack: Stack, mut stream: TcpStream, idle: Duration, _slot: Permit) {
    let peer = stream.peer();
    // Dead peers (no answer to our data or probes) are aborted by the stack itself.
    stream.set_timeout(Some(idle));
    let mut buffer = vec![0; 4096];
    let mut echoed: u64 = 0;
    let outcome = loop {
        let len = match stack.timeout(idle, stream.read(&mut buffer)).await {
            Ok(Ok(0)) => break Ok(()),
            Ok(Ok(len)) => len,
            Ok(Err(error)) | Err(error) => break Err(error),
        };
        match stack.timeout(idle, stream.write_all(&buffer[..len])).await {
            Ok(Ok(())) => echoed += len as u64,
            Ok(Err(error)) | Err(error) => break Err(error),
        }
    };
    match (outcome, peer) {
        (Ok(()), Some(peer)) => log::debug!("{peer}: closed after {echoed} bytes"),
        (Err(error), Some(peer)) => log::debug!("{peer}: {error} after {echoed} bytes"),
        (_, None) => {}
    }
    // Graceful close; the stack finishes it after the task ends.
    stream.close();
}

#[cfg(test)]
mod tests {
    extern crate std;

    use super::*;
    use alloc::boxed::Box;
    use alloc::vec::Vec;
    use core::future::poll_fn;
    use core::task::Poll;
    use xenolith_netstack::sim::{SimMachine, Wire};
    use xenolith_netstack::wire::{Ipv4Address, Ipv4Cidr};
    use xenolith_netstack::{Config, Executor};

    const SERVER: Ipv4Address = Ipv4Address::new(10, 0, 0, 2);

    fn stacks(wire: &Wire, platform: &SimMachine) -> (Stack, Stack) {
        let (client_end, server_end) = wire.ends();
        let config = |last| Config::ipv4(Ipv4Cidr::new(Ipv4Address::new(10, 0, 0, last), 24), None);
        (
            Stack::new(Box::new(client_end), config(1), platform).unwrap(),
            Stack::new(Box::new(server_end), config(2), platform).unwrap(),
        )
    }

    #[test]
    fn echoes_udp_and_tcp_and_caps_connections() {
        let wire = Wire::new();
        let platform = SimMachine::new(&wire, 1);
        let (client, server) = stacks(&wire, &platform);
        let executor = Executor::new();
        let options = Options {
            max_connections: 2,
            idle_timeout: Duration::from_secs(10),
            ..Options::default()
        };
        let spawner = executor.spawner();
        let (serve_stack, serve_spawner) = (server.clone(), spawner.clone());
        spawner.spawn(async move {
            serve(&serve_stack, &serve_spawner, &options).await.unwrap();
        });
        executor.block_on_stacks(&[&client, &server], &platform, async {
            let udp = UdpSocket::bind(&client, 0).unwrap();
            udp.send_to(b"ping", (SERVER, 7).into()).await.unwrap();
            let mut buffer = [0; 64];
            let (len, from) = udp.recv_from(&mut buffer).await.unwrap();
            assert_eq!((&buffer[..len], from), (&b"ping"[..], (SERVER, 7).into()));

            // Two connections take both slots; a third is accepted only when one ends.
            let mut first = TcpStream::connect(&client, (SERVER, 7).into())
                .await
                .unwrap();
            let mut second = TcpStream::connect(&client, (SERVER, 7).into())
                .await
                .unwrap();
            let mut third = TcpStream::connect(&client, (SERVER, 7).into())
                .await
                .unwrap();
            for stream in [&mut first, &mut second] {
                stream.write_all(b"hello").await.unwrap();
                let len = stream.read(&mut buffer).await.unwrap();
                assert_eq!(&buffer[..len], b"hello");
            }
            third.write_all(b"queued").await.unwrap();
            let waiting = client
                .timeout(Duration::from_secs(1), third.read(&mut buffer))
                .await;
            assert_eq!(waiting, Err(Error::TimedOut));
            first.close();
            assert_eq!(first.read(&mut buffer).await, Ok(0));
            let len = third.read(&mut buffer).await.unwrap();
            assert_eq!(&buffer[..len], b"queued");

            // A silent connection is closed after the idle timeout.
            let started = client.now();
            assert_eq!(second.read(&mut buffer).await, Ok(0));
            assert!(client.now() - started >= Duration::from_secs(8));
            let big: Vec<u8> = (0..100_000u32).map(|i| i as u8).collect();
            let (mut reader, mut writer) = third.split();
            let write = async {
                writer.write_all(&big).await.unwrap();
                writer.close();
            };
            let read = async {
                let mut echoed = Vec::new();
                loop {
                    match reader.read(&mut buffer).await.unwrap() {
                        0 => break echoed,
                        n => echoed.extend_from_slice(&buffer[..n]),
                    }
                }
            };
            let (mut write, mut read) = (core::pin::pin!(write), core::pin::pin!(read));
            let (mut wrote, mut echoed) = (false, None);
            poll_fn(|cx| {
                wrote = wrote || write.as_mut().poll(cx).is_ready();
                if echoed.is_none()
                    && let Poll::Ready(data) = read.as_mut().poll(cx)
                {
                    echoed = Some(data);
                }
                if wrote && echoed.is_some() {
                    Poll::Ready(())
                } else {
                    Poll::Pending
                }
            })
            .await;
            let echoed = echoed.unwrap();
            assert!(echoed == big);
        });
    }
}
