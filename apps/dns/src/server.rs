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
//! UDP answers are rate limited (`rrl`) and every answer carries DNS cookies (`cookie`) with
//! the [`Options`]' settings and keys; the library decides, this module passes the client's
//! address and the stack's clock in.
//! Counters go to the console every minute and at shutdown.

use crate::{Client, Guard, Response, Transport, Zones, cookie, rrl};
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
    /// Rate limiting of UDP answers (off when its rate is 0).
    pub rrl: rrl::Settings,
    /// The server cookie secret, from a random source at start; `None`: cookies are off.
    pub cookie_secret: Option<cookie::Secret>,
    /// The key of the rate limiter's table hash, from a random source at start.
    pub rrl_key: [u8; 16],
}

impl Options {
    /// The options of an image: the rate limiter's words (`rrl=`, ... found by `lookup` on the
    /// boot command line) and 32 random octets for the cookie secret and the rate limiter's
    /// key, from `strong` (RDRAND). Without a strong source, no cookies (a guessable secret
    /// would let anyone forge them) and a key from `weak`. Every image that serves DNS starts
    /// this way.
    pub fn from_boot<'a>(
        lookup: impl Fn(&str) -> Option<&'a str>,
        mut strong: impl FnMut() -> Option<u64>,
        mut weak: impl FnMut() -> u64,
    ) -> Result<Options, rrl::BadSetting> {
        let rrl = rrl::Settings::from_lookup(lookup)?;
        let mut keys = [0u8; 32];
        let mut ok = true;
        for chunk in keys.chunks_exact_mut(8) {
            let value = strong().unwrap_or_else(|| {
                ok = false;
                weak()
            });
            chunk.copy_from_slice(&value.to_le_bytes());
        }
        let (secret, key) = keys.split_at(16);
        if !ok {
            log::warn!(
                "cookies: off, the CPU has no working RDRAND for their secret (QEMU: use -cpu max)"
            );
        }
        Ok(Options {
            rrl,
            cookie_secret: ok.then(|| cookie::Secret(secret.try_into().unwrap_or_default())),
            rrl_key: key.try_into().unwrap_or_default(),
            ..Options::default()
        })
    }

    /// [`from_boot`](Self::from_boot) with the image's random sources (RDRAND, and the
    /// runtime's fallback generator).
    #[cfg(target_os = "none")]
    pub fn for_image<'a>(
        lookup: impl Fn(&str) -> Option<&'a str>,
    ) -> Result<Options, rrl::BadSetting> {
        use xenolith_rt::random;
        Options::from_boot(lookup, || random::rdrand().ok(), random::u64)
    }
}

impl Default for Options {
    fn default() -> Self {
        Options {
            port: 53,
            max_connections: 32,
            backlog: 8,
            idle_timeout: Duration::from_secs(10),
            rrl: rrl::Settings::default(),
            cookie_secret: None,
            rrl_key: [0; 16],
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
    limited: AtomicU64,
    slipped: AtomicU64,
    cookies: AtomicU64,
    cookies_valid: AtomicU64,
    cookies_invalid: AtomicU64,
    tcp: StreamCounters,
}

/// The process-wide counters (read by the shutdown report).
pub static COUNTERS: Counters = Counters {
    queries_udp: AtomicU64::new(0),
    rcode: [const { AtomicU64::new(0) }; 16],
    truncated: AtomicU64::new(0),
    dropped: AtomicU64::new(0),
    limited: AtomicU64::new(0),
    slipped: AtomicU64::new(0),
    cookies: AtomicU64::new(0),
    cookies_valid: AtomicU64::new(0),
    cookies_invalid: AtomicU64::new(0),
    tcp: StreamCounters::new(),
};

/// The DNS-over-TLS connections' counters (their answers count in [`COUNTERS`]' response
/// codes too).
pub static DOT_COUNTERS: StreamCounters = StreamCounters::new();

/// The names of the response codes by the header's four bits. 7 is BADCOOKIE (extended code
/// 23, whose low bits it is): the server never sends YXRRSET, which 7 alone would be.
const RCODE_NAMES: [&str; 8] = [
    "NOERROR",
    "FORMERR",
    "SERVFAIL",
    "NXDOMAIN",
    "NOTIMP",
    "REFUSED",
    "YXDOMAIN",
    "BADCOOKIE",
];

/// What the guard did with one query: rate limiting and cookies.
fn guarded(outcome: &crate::Outcome) {
    let counter = match outcome.limit {
        rrl::Verdict::Pass => None,
        rrl::Verdict::Slip => Some(&COUNTERS.slipped),
        rrl::Verdict::Drop => Some(&COUNTERS.limited),
    };
    let cookie = match outcome.cookie {
        cookie::Verdict::None => None,
        cookie::Verdict::ClientOnly => Some(&COUNTERS.cookies),
        cookie::Verdict::Valid => Some(&COUNTERS.cookies_valid),
        cookie::Verdict::Invalid => Some(&COUNTERS.cookies_invalid),
    };
    for counter in [counter, cookie].into_iter().flatten() {
        counter.fetch_add(1, Relaxed);
    }
}

/// Answers one query of `transport` from `client` into `answer`, and counts what was done:
/// the reply to send, or `None` (the input was not a query, or the rate limiter dropped the
/// answer; counted as dropped). UDP and TCP share it.
// Out of line: one copy for both transports (about 0.15 KB).
#[inline(never)]
fn reply<'a>(
    zones: &Zones,
    query: &[u8],
    transport: Transport,
    client: &Client<'_>,
    guard: &mut Guard,
    answer: &'a mut Vec<u8>,
) -> Option<&'a [u8]> {
    let outcome = crate::answer_from(zones, query, transport, client, guard, answer);
    guarded(&outcome);
    let reply = match outcome.response {
        Response::Reply(n) => answer.get(..n),
        Response::Drop => None,
    };
    match reply {
        Some(reply) => COUNTERS.answered(reply),
        None => {
            COUNTERS.dropped.fetch_add(1, Relaxed);
        }
    }
    reply
}

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
        if let [_, _, _, rcode, ..] = *response {
            self.rcode[usize::from(rcode & 0x0f)].fetch_add(1, Relaxed);
            if response[2] & 0x02 != 0 {
                self.truncated.fetch_add(1, Relaxed);
            }
        }
    }

    /// Prints one line of counters.
    pub fn report(&self, when: &str) {
        log::info!(
            "counters ({when}): queries udp={} tcp={}; answers{}; truncated={} dropped={}; rrl limited={} slipped={}; cookies new={} valid={} bad={}; tcp connections={} errors={}",
            self.queries_udp.load(Relaxed),
            self.tcp.queries.load(Relaxed),
            Rcodes(&self.rcode),
            self.truncated.load(Relaxed),
            self.dropped.load(Relaxed),
            self.limited.load(Relaxed),
            self.slipped.load(Relaxed),
            self.cookies.load(Relaxed),
            self.cookies_valid.load(Relaxed),
            self.cookies_invalid.load(Relaxed),
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
    spawner.spawn(answer_datagrams(stack.clone(), udp, zones.clone(), options));

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
    spawner.spawn(answer_datagrams(stack.clone(), udp, zones.clone(), options));

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
        let peer = stream.peer().map(|peer| address_octets(&peer.addr));
        stream.set_timeout(Some(options.idle_timeout));
        counters.connections.fetch_add(1, Relaxed);
        let (stack, zones, acceptor) = (stack.clone(), zones.clone(), acceptor.clone());
        spawner.spawn(async move {
            match stack
                .timeout(options.idle_timeout, acceptor.accept(stream))
                .await
            {
                Ok(Ok(connection)) => {
                    let peer = peer.unwrap_or(([0; 16], 0));
                    answer_connection(&stack, connection, counters, &zones, options, peer).await;
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

/// Seconds for cookie timestamps at the stack's time `now`: since boot, not since the Unix
/// epoch. Only this server reads them, and only until it reboots, which draws a new secret
/// anyway: RFC 9018 asks for Unix time so that servers sharing a secret (an anycast group)
/// read each other's cookies, which a secret drawn at boot rules out. The machine's wallclock
/// (the CMOS clock's reader) would cost the image about 0.5 KB for nothing.
fn seconds(now: Duration) -> u32 {
    now.as_secs() as u32
}

/// The address octets of `peer` (4 or 16).
fn address_octets(peer: &xenolith_netstack::wire::IpAddress) -> ([u8; 16], usize) {
    let mut octets = [0u8; 16];
    match peer {
        xenolith_netstack::wire::IpAddress::Ipv4(v4) => {
            octets[..4].copy_from_slice(&v4.octets());
            (octets, 4)
        }
        xenolith_netstack::wire::IpAddress::Ipv6(v6) => (v6.octets(), 16),
    }
}

async fn answer_datagrams(stack: Stack, socket: UdpSocket, zones: Rc<Zones>, options: Options) {
    let mut query = vec![0u8; 1500];
    let mut answer = Vec::with_capacity(1500);
    let mut guard = Guard {
        cookies: options.cookie_secret,
        limiter: rrl::Limiter::new(options.rrl, options.rrl_key),
    };
    let rrl = options.rrl;
    if guard.limiter.is_some() {
        log::info!(
            "rrl: {} responses a second per /{} (IPv4) or /{} (IPv6) and kind of answer, window {} s, slip {}",
            rrl.rate,
            rrl.v4_prefix,
            rrl.v6_prefix,
            rrl.window,
            rrl.slip
        );
    } else {
        log::info!("rrl: off");
    }
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
        let now = stack.now();
        let (octets, family) = address_octets(&peer.addr);
        let client = Client {
            address: octets.get(..family).unwrap_or(&[]),
            seconds: seconds(now),
            micros: now.as_micros() as u64,
        };
        // `get`, not indexing: no panic path (the lengths are always in range; an empty
        // query would be dropped and counted as such).
        let query = query.get(..len).unwrap_or(&[]);
        if let Some(reply) = reply(
            &zones,
            query,
            Transport::Udp,
            &client,
            &mut guard,
            &mut answer,
        ) && let Err(error) = socket.send_to(reply, peer).await
        {
            log::debug!("UDP reply to {}: {error}", xenolith_netstack::Show(peer));
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
    options: Options,
    (octets, family): ([u8; 16], usize),
) {
    let idle = options.idle_timeout;
    let mut guard = Guard {
        cookies: options.cookie_secret,
        limiter: None,
    };
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
            match stack
                .timeout(idle, transfer(&mut stream, Io::Read(free)))
                .await
            {
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
        let client = Client {
            address: octets.get(..family).unwrap_or(&[]),
            seconds: seconds(stack.now()),
            micros: 0,
        };
        match reply(
            zones,
            query,
            Transport::Tcp,
            &client,
            &mut guard,
            &mut answer,
        ) {
            Some(reply) => {
                framed.clear();
                framed.extend_from_slice(&(reply.len() as u16).to_be_bytes());
                framed.extend_from_slice(reply);
                if !matches!(
                    stack
                        .timeout(idle, transfer(&mut stream, Io::Write(&framed)))
                        .await,
                    Ok(Ok(_))
                ) {
                    counters.errors.fetch_add(1, Relaxed);
                    break;
                }
            }
            None => {
                // Not a query: the stream cannot be trusted to stay in step; close it.
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

/// One read or one write of a connection.
enum Io<'a> {
    /// Read into the buffer.
    Read(&'a mut [u8]),
    /// Write all of it.
    Write(&'a [u8]),
}

/// Does `io` on `stream`: the octets read (0 at the end of the stream), or written. Reads and
/// writes are one future type, so the connection's idle timeout is compiled once for both
/// (about 50 bytes).
async fn transfer<C: Connection>(stream: &mut C, io: Io<'_>) -> Result<usize, C::Error> {
    match io {
        Io::Read(buffer) => stream.read(buffer).await,
        Io::Write(data) => stream.write_all(data).await.map(|()| data.len()),
    }
}
