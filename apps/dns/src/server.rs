//! The DNS server: UDP and TCP on port 53 over the Xenolith network stack.
//!
//! UDP: one datagram in, one answer out (or nothing, for packets that are not queries). TCP
//! (RFC 1035 §4.2.2, RFC 7766): two-byte length framing, several queries per connection,
//! pipelined queries answered in order, an idle timeout, and a cap on concurrent connections
//! (connections beyond it wait in the backlog, and beyond that are refused by the stack).
//! Counters go to the console every minute and at shutdown.

use alloc::rc::Rc;
use alloc::vec;
use alloc::vec::Vec;
use core::cell::Cell;
use core::sync::atomic::{AtomicU64, Ordering::Relaxed};
use core::time::Duration;
use dns::{Response, Transport, Zones};
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
    /// How often the counters are printed.
    pub report_every: Duration,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            port: 53,
            max_connections: 32,
            backlog: 8,
            idle_timeout: Duration::from_secs(10),
            report_every: Duration::from_secs(60),
        }
    }
}

/// What the server has done, for the console.
pub struct Counters {
    queries_udp: AtomicU64,
    queries_tcp: AtomicU64,
    rcode: [AtomicU64; 16],
    truncated: AtomicU64,
    dropped: AtomicU64,
    tcp_connections: AtomicU64,
    tcp_errors: AtomicU64,
}

/// The process-wide counters (read by the shutdown report).
pub static COUNTERS: Counters = Counters {
    queries_udp: AtomicU64::new(0),
    queries_tcp: AtomicU64::new(0),
    rcode: [const { AtomicU64::new(0) }; 16],
    truncated: AtomicU64::new(0),
    dropped: AtomicU64::new(0),
    tcp_connections: AtomicU64::new(0),
    tcp_errors: AtomicU64::new(0),
};

const RCODE_NAMES: [&str; 6] = [
    "NOERROR", "FORMERR", "SERVFAIL", "NXDOMAIN", "NOTIMP", "REFUSED",
];

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
        let mut rcodes = heapless::String::<160>::new();
        for (i, count) in self.rcode.iter().enumerate() {
            let n = count.load(Relaxed);
            if n > 0 {
                let _ = match RCODE_NAMES.get(i) {
                    Some(name) => {
                        core::fmt::Write::write_fmt(&mut rcodes, format_args!(" {name}={n}"))
                    }
                    None => core::fmt::Write::write_fmt(&mut rcodes, format_args!(" rcode{i}={n}")),
                };
            }
        }
        log::info!(
            "counters ({when}): queries udp={} tcp={}; answers{}; truncated={} dropped={}; tcp connections={} errors={}",
            self.queries_udp.load(Relaxed),
            self.queries_tcp.load(Relaxed),
            if rcodes.is_empty() {
                " none"
            } else {
                rcodes.as_str()
            },
            self.truncated.load(Relaxed),
            self.dropped.load(Relaxed),
            self.tcp_connections.load(Relaxed),
            self.tcp_errors.load(Relaxed),
        );
    }
}

/// Serves `zones` until the stack fails.
pub async fn serve(
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
        zones.zone_names().count(),
        zones.record_count(),
        options.port,
        options.max_connections
    );
    spawner.spawn(answer_datagrams(udp, zones.clone()));
    spawner.spawn(report_periodically(stack.clone(), options.report_every));

    let active = Rc::new(Cell::new(0usize));
    serve_streams(
        stack,
        spawner,
        listener,
        Rc::new(Plain),
        zones,
        active,
        options,
    )
    .await
}

/// Accepts connections on `listener` and answers queries on each, over the stream `acceptor`
/// makes of it (plain TCP, or TLS for DNS over TLS). `active` counts the connections open
/// across every listener that shares it, against `options.max_connections`.
pub async fn serve_streams<A: Acceptor + 'static>(
    stack: &Stack,
    spawner: &Spawner,
    listener: TcpListener,
    acceptor: Rc<A>,
    zones: Rc<Zones>,
    active: Rc<Cell<usize>>,
    options: Options,
) -> ! {
    loop {
        while active.get() >= options.max_connections {
            stack.sleep(Duration::from_millis(10)).await;
        }
        let mut stream = listener.accept().await;
        stream.set_timeout(Some(options.idle_timeout));
        COUNTERS.tcp_connections.fetch_add(1, Relaxed);
        active.set(active.get() + 1);
        let (stack, zones, active, acceptor) = (
            stack.clone(),
            zones.clone(),
            active.clone(),
            acceptor.clone(),
        );
        spawner.spawn(async move {
            match stack
                .timeout(options.idle_timeout, acceptor.accept(stream))
                .await
            {
                Ok(Ok(connection)) => {
                    answer_connection(&stack, connection, &zones, options.idle_timeout).await;
                }
                Ok(Err(error)) => {
                    log::debug!("connection refused: {error}");
                    COUNTERS.tcp_errors.fetch_add(1, Relaxed);
                }
                Err(_) => {
                    COUNTERS.tcp_errors.fetch_add(1, Relaxed);
                }
            }
            active.set(active.get() - 1);
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
        match dns::respond(&zones, &query[..len], Transport::Udp, &mut answer) {
            Response::Reply(n) => {
                COUNTERS.answered(&answer[..n]);
                if let Err(error) = socket.send_to(&answer[..n], peer).await {
                    log::debug!("UDP reply to {peer}: {error}");
                }
            }
            Response::Drop => {
                COUNTERS.dropped.fetch_add(1, Relaxed);
            }
        }
    }
}

/// Reads exactly `buffer.len()` bytes; `Ok(false)` if the peer closed before the first byte,
/// `Err(())` if it closed in the middle, failed, or sent nothing for `idle`.
async fn read_exact<C: Connection>(
    stack: &Stack,
    stream: &mut C,
    buffer: &mut [u8],
    idle: Duration,
) -> Result<bool, ()> {
    let mut done = 0;
    while done < buffer.len() {
        match stack.timeout(idle, stream.read(&mut buffer[done..])).await {
            Ok(Ok(0)) if done == 0 => return Ok(false),
            Ok(Ok(n)) if n > 0 => done += n,
            Ok(Ok(_)) | Ok(Err(_)) | Err(_) => return Err(()),
        }
    }
    Ok(true)
}

/// Answers the length-framed queries of one connection (RFC 1035 §4.2.2, RFC 7766) until the
/// peer closes it, goes quiet for `idle`, or breaks the framing.
async fn answer_connection<C: Connection>(
    stack: &Stack,
    mut stream: C,
    zones: &Zones,
    idle: Duration,
) {
    let mut query = vec![0u8; 65535];
    let mut answer = Vec::with_capacity(4096);
    let mut framed = Vec::with_capacity(4098);
    loop {
        let mut length = [0u8; 2];
        match read_exact(stack, &mut stream, &mut length, idle).await {
            Ok(true) => {}
            Ok(false) => break,
            Err(_) => {
                COUNTERS.tcp_errors.fetch_add(1, Relaxed);
                break;
            }
        }
        let length = usize::from(u16::from_be_bytes(length));
        if read_exact(stack, &mut stream, &mut query[..length], idle)
            .await
            .is_err()
        {
            COUNTERS.tcp_errors.fetch_add(1, Relaxed);
            break;
        }
        COUNTERS.queries_tcp.fetch_add(1, Relaxed);
        match dns::respond(zones, &query[..length], Transport::Tcp, &mut answer) {
            Response::Reply(n) => {
                COUNTERS.answered(&answer[..n]);
                framed.clear();
                framed.extend_from_slice(&(n as u16).to_be_bytes());
                framed.extend_from_slice(&answer[..n]);
                if !matches!(
                    stack.timeout(idle, stream.write_all(&framed)).await,
                    Ok(Ok(()))
                ) {
                    COUNTERS.tcp_errors.fetch_add(1, Relaxed);
                    break;
                }
            }
            Response::Drop => {
                // Not a query: the stream cannot be trusted to stay in step; close it.
                COUNTERS.dropped.fetch_add(1, Relaxed);
                break;
            }
        }
    }
    stream.close().await;
}

async fn report_periodically(stack: Stack, every: Duration) {
    loop {
        stack.sleep(every).await;
        COUNTERS.report("last minute and before");
    }
}
