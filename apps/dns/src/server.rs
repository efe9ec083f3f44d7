//! The DNS server (feature `server`): UDP and TCP on port 53, and DNS over TLS, over the
//! Xenolith network stack. Both images use it: `dns` (UDP and TCP) and `dns-tls` (UDP, TCP
//! and DNS over TLS on port 853, RFC 7858).
//!
//! UDP: one datagram in, one answer out (or nothing, for packets that are not queries). TCP
//! (RFC 1035 §4.2.2, RFC 7766): two-byte length framing, several queries per connection,
//! pipelined queries answered in order, an idle timeout, and a cap on concurrent connections
//! (connections beyond it wait in the backlog, and beyond that are refused by the stack).
//! DNS over TLS (RFC 7858) is the same framing inside TLS: [`serve_with_tls`] takes the
//! [`Acceptor`] that runs the handshake (the `tls` crate's `TlsAcceptor`), so this module
//! holds no TLS code and the plain image links none. A handshake is bounded by the idle
//! timeout; the TLS and TCP listeners share one connection cap.
//! Counters go to the console every minute and at shutdown.

use crate::{Response, Transport, Zones};
use alloc::rc::Rc;
use alloc::vec;
use alloc::vec::Vec;
use core::sync::atomic::{AtomicU64, Ordering::Relaxed};
use core::time::Duration;
use xenolith_app::limit::Connections;
use xenolith_netstack::{
    Acceptor, Connection, Error, Plain, Spawner, Stack, TcpListener, UdpSocket,
};

/// Server settings.
#[derive(Clone, Copy, Debug)]
pub struct Options {
    /// UDP and TCP port.
    pub port: u16,
    /// Concurrent TCP connections.
    pub max_connections: usize,
    /// Listening sockets kept ready (smoltcp has no kernel backlog).
    pub backlog: usize,
    /// A TCP connection with no complete query for this long is closed (RFC 7766 §6.2.3).
    pub idle_timeout: Duration,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            port: 53,
            max_connections: 32,
            backlog: 8,
            idle_timeout: Duration::from_secs(10),
        }
    }
}

/// The stack's socket buffers for a DNS server: UDP queues of 64 datagrams (32 KiB) each way,
/// so that a burst of queries waits to be answered instead of being dropped. With the stack's
/// default of 16, dnsperf keeping 20 queries in flight lost 4 in every burst (scripts/bench,
/// dns section). TCP keeps the default. About 64 KiB of heap, well inside the 8 MiB budget.
pub fn socket_buffers() -> xenolith_netstack::SocketBuffers {
    xenolith_netstack::SocketBuffers {
        udp_rx: 32 * 1024,
        udp_tx: 32 * 1024,
        udp_datagrams: 64,
        ..Default::default()
    }
}

/// What the connections of one kind of stream listener (plain TCP, or DNS over TLS) did.
#[derive(Debug)]
pub struct StreamCounters {
    connections: AtomicU64,
    queries: AtomicU64,
    errors: AtomicU64,
    handshake_failures: AtomicU64,
}

impl StreamCounters {
    const fn new() -> Self {
        StreamCounters {
            connections: AtomicU64::new(0),
            queries: AtomicU64::new(0),
            errors: AtomicU64::new(0),
            handshake_failures: AtomicU64::new(0),
        }
    }
}

/// What the server has done, for the console.
#[derive(Debug)]
pub struct Counters {
    queries_udp: AtomicU64,
    rcode: [AtomicU64; 16],
    truncated: AtomicU64,
    dropped: AtomicU64,
    tcp: StreamCounters,
}

/// The process-wide counters (read by the shutdown report).
pub static COUNTERS: Counters = Counters {
    queries_udp: AtomicU64::new(0),
    rcode: [const { AtomicU64::new(0) }; 16],
    truncated: AtomicU64::new(0),
    dropped: AtomicU64::new(0),
    tcp: StreamCounters::new(),
};

/// The DNS-over-TLS connections' counters (their answers count in [`COUNTERS`]' response
/// codes too).
pub static DOT_COUNTERS: StreamCounters = StreamCounters::new();

const RCODE_NAMES: [&str; 6] = [
    "NOERROR", "FORMERR", "SERVFAIL", "NXDOMAIN", "NOTIMP", "REFUSED",
];

/// The answers by response code, ` NAME=COUNT` for each code seen, or ` none`: written
/// straight into the log line.
struct Rcodes<'a>(&'a [AtomicU64; 16]);

impl core::fmt::Display for Rcodes<'_> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        let mut none = true;
        for (i, count) in self.0.iter().enumerate() {
            let n = count.load(Relaxed);
            if n > 0 {
                none = false;
                match RCODE_NAMES.get(i) {
                    Some(name) => write!(f, " {name}={n}")?,
                    None => write!(f, " rcode{i}={n}")?,
                }
            }
        }
        if none {
            f.write_str(" none")?;
        }
        Ok(())
    }
}

impl Counters {
    fn answered(&self, response: &[u8]) {
        if response.len() >= 4 {
            self.rcode[usize::from(response[3] & 0x0f)].fetch_add(1, Relaxed);
            if response[2] & 0x02 != 0 {
                self.truncated.fetch_add(1, Relaxed);
            }
        }
    }

    /// Prints one line of counters.
    pub fn report(&self, when: &str) {
        log::info!(
            "counters ({when}): queries udp={} tcp={}; answers{}; truncated={} dropped={}; tcp connections={} errors={}",
            self.queries_udp.load(Relaxed),
            self.tcp.queries.load(Relaxed),
            Rcodes(&self.rcode),
            self.truncated.load(Relaxed),
            self.dropped.load(Relaxed),
            self.tcp.connections.load(Relaxed),
            self.tcp.errors.load(Relaxed),
        );
    }

    /// [`Counters::report`], then a second line for DNS over TLS ([`DOT_COUNTERS`]).
    pub fn report_with_dot(&self, when: &str) {
        self.report(when);
        let dot = &DOT_COUNTERS;
        log::info!(
            "counters ({when}): dot connections={} handshake failures={} queries={} errors={}",
            dot.connections.load(Relaxed),
            dot.handshake_failures.load(Relaxed),
            dot.queries.load(Relaxed),
            dot.errors.load(Relaxed),
        );
    }
}

/// Serves `zones` on UDP and TCP port `options.port` until the stack fails.
// `#[inline]`, and generic underneath: the server is then compiled along with the image's
// `main`, as when it lived in the `dns` binary. Compiled in the library instead, the DNS image
// came out 0.8 KB larger (LLVM inlines differently across the crate boundary).
#[inline]
pub fn serve<'a>(
    stack: &'a Stack,
    spawner: &'a Spawner,
    zones: Rc<Zones>,
    options: Options,
) -> impl Future<Output = Result<(), Error>> + 'a {
    serve_plain(Rc::new(Plain), stack, spawner, zones, options)
}

/// [`serve`]'s body, with `acceptor` making the TCP connections' streams (only ever
/// [`Plain`]: the type parameter is what makes the image's crate compile it, see `serve`).
async fn serve_plain<A: Acceptor + 'static>(
    acceptor: Rc<A>,
    stack: &Stack,
    spawner: &Spawner,
    zones: Rc<Zones>,
    options: Options,
) -> Result<(), Error> {
    let udp = UdpSocket::bind(stack, options.port)?;
    let listener = TcpListener::bind(stack, options.port, options.backlog)?;
    let address = stack.wait_configured().await;
    log::info!(
        "serving {} zone(s), {} records, on {address} port {} (UDP and TCP, up to {} TCP connections)",
        zones.zone_count(),
        zones.record_count(),
        options.port,
        options.max_connections
    );
    spawner.spawn(answer_datagrams(udp, zones.clone()));

    let connections = Connections::new(options.max_connections);
    serve_streams(
        stack,
        spawner,
        listener,
        acceptor,
        &COUNTERS.tcp,
        zones,
        connections,
        options,
    )
    .await
}

/// Serves `zones` on UDP and TCP port `options.port` and over TLS (DNS over TLS, RFC 7858)
/// on `tls_port`, with `acceptor` running each TLS handshake, until the stack fails. The TCP
/// and TLS connections share `options.max_connections`; DoT is counted in [`DOT_COUNTERS`].
pub async fn serve_with_tls<A: Acceptor + 'static>(
    stack: &Stack,
    spawner: &Spawner,
    zones: Rc<Zones>,
    options: Options,
    tls_port: u16,
    acceptor: Rc<A>,
) -> Result<(), Error> {
    let udp = UdpSocket::bind(stack, options.port)?;
    let listener = TcpListener::bind(stack, options.port, options.backlog)?;
    let tls_listener = TcpListener::bind(stack, tls_port, options.backlog)?;
    let address = stack.wait_configured().await;
    log::info!(
        "serving {} zone(s), {} records, on {address} port {} (UDP and TCP) and port {tls_port} (DNS over TLS), up to {} TCP and TLS connections",
        zones.zone_count(),
        zones.record_count(),
        options.port,
        options.max_connections
    );
    spawner.spawn(answer_datagrams(udp, zones.clone()));

    let connections = Connections::new(options.max_connections);
    let (tls_stack, tls_spawner, tls_zones, tls_connections) = (
        stack.clone(),
        spawner.clone(),
        zones.clone(),
        connections.clone(),
    );
    spawner.spawn(async move {
        serve_streams(
            &tls_stack,
            &tls_spawner,
            tls_listener,
            acceptor,
            &DOT_COUNTERS,
            tls_zones,
            tls_connections,
            options,
        )
        .await
    });
    serve_streams(
        stack,
        spawner,
        listener,
        Rc::new(Plain),
        &COUNTERS.tcp,
        zones,
        connections,
        options,
    )
    .await
}

/// Accepts connections on `listener` and answers queries on each, over the stream `acceptor`
/// makes of it (plain TCP, or TLS for DNS over TLS), counting in `counters`. `connections` is
/// shared by every listener of the server: at its cap the loop waits for one to end before it
/// accepts the next (which waits in the listener's backlog meanwhile).
#[allow(clippy::too_many_arguments)] // each is a different piece of the server's state
pub async fn serve_streams<A: Acceptor + 'static>(
    stack: &Stack,
    spawner: &Spawner,
    listener: TcpListener,
    acceptor: Rc<A>,
    counters: &'static StreamCounters,
    zones: Rc<Zones>,
    connections: Connections,
    options: Options,
) -> ! {
    loop {
        let permit = connections.admit(stack).await;
        let mut stream = listener.accept().await;
        stream.set_timeout(Some(options.idle_timeout));
        counters.connections.fetch_add(1, Relaxed);
        let (stack, zones, acceptor) = (stack.clone(), zones.clone(), acceptor.clone());
        spawner.spawn(async move {
            match stack
                .timeout(options.idle_timeout, acceptor.accept(stream))
                .await
            {
                Ok(Ok(connection)) => {
                    answer_connection(&stack, connection, counters, &zones, options.idle_timeout)
                        .await;
                }
                Ok(Err(error)) => {
                    log::debug!("connection refused: {error}");
                    counters.handshake_failures.fetch_add(1, Relaxed);
                }
                Err(_) => {
                    counters.handshake_failures.fetch_add(1, Relaxed);
                }
            }
            drop(permit);
        });
    }
}

async fn answer_datagrams(socket: UdpSocket, zones: Rc<Zones>) {
    let mut query = vec![0u8; 1500];
    let mut answer = Vec::with_capacity(1500);
    loop {
        let (len, peer) = match socket.recv_from(&mut query).await {
            Ok(received) => received,
            Err(error) => {
                log::debug!("UDP: {error}");
                COUNTERS.dropped.fetch_add(1, Relaxed);
                continue;
            }
        };
        COUNTERS.queries_udp.fetch_add(1, Relaxed);
        // `get`, not indexing: no panic path (the lengths are always in range).
        let reply = match query.get(..len) {
            Some(query) => match crate::respond(&zones, query, Transport::Udp, &mut answer) {
                Response::Reply(n) => answer.get(..n),
                Response::Drop => None,
            },
            None => None,
        };
        match reply {
            Some(reply) => {
                COUNTERS.answered(reply);
                if let Err(error) = socket.send_to(reply, peer).await {
                    log::debug!("UDP reply to {}: {error}", xenolith_netstack::Show(peer));
                }
            }
            None => {
                COUNTERS.dropped.fetch_add(1, Relaxed);
            }
        }
    }
}

/// Answers the length-framed queries of one connection (RFC 1035 §4.2.2, RFC 7766) until the
/// peer closes it, goes quiet for `idle`, or breaks the framing. What arrives is gathered in
/// one buffer (room for a length prefix and the longest query) and answered frame by frame,
/// so pipelined queries that arrive together are answered without another read.
async fn answer_connection<C: Connection>(
    stack: &Stack,
    mut stream: C,
    counters: &StreamCounters,
    zones: &Zones,
    idle: Duration,
) {
    let mut buffer = vec![0u8; 2 + 65535];
    // Octets received and not yet answered, at the start of `buffer`.
    let mut have = 0usize;
    let mut answer = Vec::with_capacity(4096);
    let mut framed = Vec::with_capacity(4098);
    loop {
        let frame = match buffer.get(..have) {
            Some(&[hi, lo, ref rest @ ..]) => {
                let length = usize::from(u16::from_be_bytes([hi, lo]));
                rest.get(..length).map(|query| (query, 2 + length))
            }
            _ => None,
        };
        let Some((query, used)) = frame else {
            // `get_mut`, not indexing: no panic path (a frame always fits the buffer).
            let Some(free) = buffer.get_mut(have..).filter(|free| !free.is_empty()) else {
                break;
            };
            match stack.timeout(idle, stream.read(free)).await {
                // Closed between queries.
                Ok(Ok(0)) if have == 0 => break,
                Ok(Ok(n)) if n > 0 => {
                    have += n;
                    continue;
                }
                // Closed inside a query, failed, or quiet for `idle`.
                Ok(Ok(_)) | Ok(Err(_)) | Err(_) => {
                    counters.errors.fetch_add(1, Relaxed);
                    break;
                }
            }
        };
        counters.queries.fetch_add(1, Relaxed);
        let reply = match crate::respond(zones, query, Transport::Tcp, &mut answer) {
            Response::Reply(n) => answer.get(..n),
            Response::Drop => None,
        };
        match reply {
            Some(reply) => {
                COUNTERS.answered(reply);
                framed.clear();
                framed.extend_from_slice(&(reply.len() as u16).to_be_bytes());
                framed.extend_from_slice(reply);
                if !matches!(
                    stack.timeout(idle, stream.write_all(&framed)).await,
                    Ok(Ok(()))
                ) {
                    counters.errors.fetch_add(1, Relaxed);
                    break;
                }
            }
            None => {
                // Not a query: the stream cannot be trusted to stay in step; close it.
                COUNTERS.dropped.fetch_add(1, Relaxed);
                break;
            }
        }
        // The frame is answered: what follows it moves to the start.
        if used > have {
            break;
        }
        buffer.copy_within(used..have, 0);
        have -= used;
    }
    stream.close().await;
}
