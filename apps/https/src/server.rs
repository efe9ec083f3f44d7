//! The HTTP(S) server: a listener on port 443 and an optional plain-HTTP listener on port 80,
//! over the Xenolith network stack.
//!
//! The server is generic over the byte stream a connection carries ([`Connection`], from
//! `xenolith_netstack::stream`): an [`Acceptor`] turns each accepted [`TcpStream`] into one.
//! The HTTPS listener takes the TLS acceptor (`xenolith_tls::TlsAcceptor`: the handshake,
//! then the TLS stream; see `main.rs`); the port-80 listener uses [`Plain`] (the TCP stream
//! itself).
//!
//! Defences, so that no client can stop the server serving others:
//! - a request head must arrive within `header_timeout` of its first octet (or of the
//!   connection's start), else 408 and close (slow or stalled clients);
//! - a kept-alive connection with no request for `idle_timeout` is closed;
//! - every chunk of a response must be taken by the peer within `send_timeout` (clients
//!   that stop reading), and smoltcp aborts a connection whose peer stops acknowledging;
//! - at most `max_connections` connections at once; when a new one arrives at the cap, the
//!   connection that has waited longest for a request is closed to make room (idle and
//!   silent connections go first; connections being answered are never cut);
//! - request heads are limited in size and field count ([`Limits`]), and garbage is answered
//!   with 400 and the connection closed.
//!
//! Counters go to the console every minute and at shutdown: responses by status, connections
//! (accepted, open, closed after a keep-alive idle timeout) and connections dropped (a request
//! head or handshake that timed out, evictions at the cap, I/O or handshake errors).

use alloc::format;
use alloc::rc::Rc;
use alloc::string::{String, ToString};
use alloc::vec::Vec;

use core::future::poll_fn;
use core::pin::pin;
use core::sync::atomic::{AtomicU64, Ordering::Relaxed};
use core::task::Poll;
use core::time::Duration;
use xenolith_app::limit::{Connections, Evictable};

use https::compiled::Site;
use https::{Handler, Limits, Session, Step};
use xenolith_netstack::wire::IpAddress;
use xenolith_netstack::{
    Acceptor, Connection, Error, Plain, Spawner, Stack, TcpListener, TcpStream,
};

/// What the port-80 listener does.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HttpMode {
    /// No listener on port 80.
    Off,
    /// Every request is redirected to `https://` (301, or 308 for methods other than GET and
    /// HEAD).
    Redirect,
    /// The site is served on port 80 too, in plain HTTP.
    Serve,
}

impl HttpMode {
    /// Parses `off`, `redirect` or `serve`.
    pub fn parse(text: &str) -> Option<HttpMode> {
        match text {
            "off" => Some(HttpMode::Off),
            "redirect" => Some(HttpMode::Redirect),
            "serve" => Some(HttpMode::Serve),
            _ => None,
        }
    }

    fn name(self) -> &'static str {
        match self {
            HttpMode::Off => "off",
            HttpMode::Redirect => "redirect",
            HttpMode::Serve => "serve",
        }
    }
}

/// Server settings.
#[derive(Clone, Copy, Debug)]
pub struct Options {
    /// The HTTPS port.
    pub https_port: u16,
    /// The plain-HTTP port.
    pub http_port: u16,
    /// What the plain-HTTP port does.
    pub http: HttpMode,
    /// The HTTPS port named in redirects (differs from `https_port` behind port forwarding).
    pub redirect_port: u16,
    /// Concurrent connections, both listeners together.
    pub max_connections: usize,
    /// Listening sockets kept ready per listener (smoltcp has no kernel backlog).
    pub backlog: usize,
    /// Time allowed for a request head (and the TLS handshake) to arrive.
    pub header_timeout: Duration,
    /// A kept-alive connection with no new request for this long is closed.
    pub idle_timeout: Duration,
    /// Time allowed for the peer to take each chunk of a response.
    pub send_timeout: Duration,
    /// Request head limits.
    pub limits: Limits,
    /// The current time in seconds since the Unix epoch, for `Date`, if there is a clock.
    pub wallclock: fn() -> Option<u64>,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            https_port: 443,
            http_port: 80,
            http: HttpMode::Redirect,
            redirect_port: 443,
            max_connections: 64,
            backlog: 8,
            header_timeout: Duration::from_secs(10),
            idle_timeout: Duration::from_secs(30),
            send_timeout: Duration::from_secs(30),
            limits: Limits::default(),
            wallclock: || None,
        }
    }
}

/// The status codes counted one by one; others are counted together.
const STATUSES: [u16; 12] = [200, 301, 304, 308, 400, 404, 405, 408, 413, 414, 431, 505];

/// What the server has done, for the console.
pub struct Counters {
    responses: [AtomicU64; STATUSES.len() + 1],
    connections: AtomicU64,
    open: AtomicU64,
    idle_closed: AtomicU64,
    timeouts: AtomicU64,
    evicted: AtomicU64,
    errors: AtomicU64,
    bytes: AtomicU64,
}

/// The process-wide counters (read by the shutdown report).
pub static COUNTERS: Counters = Counters {
    responses: [const { AtomicU64::new(0) }; STATUSES.len() + 1],
    connections: AtomicU64::new(0),
    open: AtomicU64::new(0),
    idle_closed: AtomicU64::new(0),
    timeouts: AtomicU64::new(0),
    evicted: AtomicU64::new(0),
    errors: AtomicU64::new(0),
    bytes: AtomicU64::new(0),
};

impl Counters {
    fn response(&self, status: u16) {
        let index = STATUSES
            .iter()
            .position(|&s| s == status)
            .unwrap_or(STATUSES.len());
        self.responses[index].fetch_add(1, Relaxed);
    }

    /// Prints one line of counters.
    pub fn report(&self, when: &str) {
        let mut statuses = heapless::String::<200>::new();
        for (i, count) in self.responses.iter().enumerate() {
            let n = count.load(Relaxed);
            if n > 0 {
                let _ = match STATUSES.get(i) {
                    Some(status) => {
                        core::fmt::Write::write_fmt(&mut statuses, format_args!(" {status}={n}"))
                    }
                    None => core::fmt::Write::write_fmt(&mut statuses, format_args!(" other={n}")),
                };
            }
        }
        log::info!(
            "counters ({when}): responses{}; connections={} open={} idle-closed={}; dropped: timeouts={} evicted={} errors={}; bytes sent={}",
            if statuses.is_empty() {
                " none"
            } else {
                statuses.as_str()
            },
            self.connections.load(Relaxed),
            self.open.load(Relaxed),
            self.idle_closed.load(Relaxed),
            self.timeouts.load(Relaxed),
            self.evicted.load(Relaxed),
            self.errors.load(Relaxed),
            self.bytes.load(Relaxed),
        );
    }
}

/// Serves `site` until the stack fails: HTTPS through `acceptor` on `options.https_port`,
/// and plain HTTP on `options.http_port` as `options.http` says.
pub async fn serve<A: Acceptor + 'static>(
    stack: &Stack,
    spawner: &Spawner,
    site: Rc<Site<'static>>,
    acceptor: Rc<A>,
    options: Options,
) -> Result<(), Error> {
    let https = TcpListener::bind(stack, options.https_port, options.backlog)?;
    let http = match options.http {
        HttpMode::Off => None,
        _ => Some(TcpListener::bind(
            stack,
            options.http_port,
            options.backlog,
        )?),
    };
    let address = stack.wait_configured().await;
    log::info!(
        "serving {} files ({} bytes) on {} port {} and port {} ({}), up to {} connections",
        site.files().len(),
        site.total_bytes(),
        address,
        options.https_port,
        options.http_port,
        options.http.name(),
        options.max_connections,
    );
    let connections = Connections::new(options.max_connections);
    if let Some(http) = http {
        let mode = match options.http {
            HttpMode::Serve => Mode::Site,
            _ => Mode::Redirect,
        };
        spawner.spawn(accept_loop(
            stack.clone(),
            spawner.clone(),
            http,
            Rc::new(Plain),
            Shared {
                site: site.clone(),
                connections: connections.clone(),
                options,
            },
            mode,
        ));
    }
    accept_loop(
        stack.clone(),
        spawner.clone(),
        https,
        acceptor,
        Shared {
            site,
            connections,
            options,
        },
        Mode::Site,
    )
    .await;
    Ok(())
}

/// What a listener's connections answer.
#[derive(Clone, Copy, Debug)]
enum Mode {
    Site,
    Redirect,
}

/// What every connection task needs.
#[derive(Clone)]
struct Shared {
    site: Rc<Site<'static>>,
    connections: Connections,
    options: Options,
}

async fn accept_loop<A: Acceptor + 'static>(
    stack: Stack,
    spawner: Spawner,
    listener: TcpListener,
    acceptor: Rc<A>,
    shared: Shared,
    mode: Mode,
) {
    loop {
        let stream = listener.accept().await;
        COUNTERS.connections.fetch_add(1, Relaxed);
        // At the cap: make room by closing the connection that has waited longest for a
        // request; if every connection is busy sending, wait for one to finish.
        let (slot, evicted) = shared.connections.admit_evicting(&stack).await;
        if evicted {
            COUNTERS.evicted.fetch_add(1, Relaxed);
        }
        COUNTERS.open.fetch_add(1, Relaxed);
        let (stack, acceptor, shared) = (stack.clone(), acceptor.clone(), shared.clone());
        spawner.spawn(async move {
            // A request without Host (HTTP/1.0) is redirected to the address it came to.
            let local = match stream.local().map(|endpoint| endpoint.addr) {
                Some(IpAddress::Ipv6(v6)) => format!("[{v6}]"),
                Some(v4) => v4.to_string(),
                None => String::new(),
            };
            let handler = match mode {
                Mode::Site => Handler::Site(&shared.site),
                Mode::Redirect => Handler::Redirect {
                    https_port: shared.options.redirect_port,
                    default_host: &local,
                },
            };
            connection(&stack, &*acceptor, stream, &handler, &slot, &shared.options).await;
            COUNTERS.open.fetch_sub(1, Relaxed);
            drop(slot);
        });
    }
}

/// How a wait for the peer ended.
enum Wait<T> {
    /// The future completed.
    Done(T),
    /// The deadline passed first.
    TimedOut,
    /// The accept loop closed the connection to make room.
    Evicted,
}

/// Runs `future` (a read, or the acceptor's handshake) until it completes, `deadline` passes,
/// or the slot is evicted.
async fn wait_for<F: Future>(
    stack: &Stack,
    slot: &Evictable,
    deadline: Duration,
    future: F,
) -> Wait<F::Output> {
    let mut future = pin!(future);
    let mut sleep = pin!(stack.sleep_until(deadline));
    let wait = poll_fn(|cx| {
        if slot.evicted() {
            return Poll::Ready(Wait::Evicted);
        }
        slot.wake_on_eviction(cx.waker());
        if let Poll::Ready(output) = future.as_mut().poll(cx) {
            return Poll::Ready(Wait::Done(output));
        }
        match sleep.as_mut().poll(cx) {
            Poll::Ready(()) => Poll::Ready(Wait::TimedOut),
            Poll::Pending => Poll::Pending,
        }
    })
    .await;
    slot.clear_waker();
    wait
}

/// Writes `data` in chunks, each within `send_timeout`.
async fn send<C: Connection>(
    stack: &Stack,
    conn: &mut C,
    data: &[u8],
    send_timeout: Duration,
) -> Result<(), String> {
    for chunk in data.chunks(16 * 1024) {
        match stack.timeout(send_timeout, conn.write_all(chunk)).await {
            Ok(Ok(())) => COUNTERS.bytes.fetch_add(chunk.len() as u64, Relaxed),
            Ok(Err(error)) => return Err(error.to_string()),
            Err(error) => return Err(error.to_string()),
        };
    }
    Ok(())
}

async fn connection<A: Acceptor>(
    stack: &Stack,
    acceptor: &A,
    mut stream: TcpStream,
    handler: &Handler<'_>,
    slot: &Evictable,
    options: &Options,
) {
    let started = stack.now();
    slot.set_waiting(Some(started));
    stream.set_nodelay(true);
    // Dead-peer detection: abort when sent data stays unacknowledged this long.
    stream.set_timeout(Some(options.send_timeout));
    let deadline = started + options.header_timeout;
    let mut conn = match wait_for(stack, slot, deadline, acceptor.accept(stream)).await {
        Wait::Done(Ok(conn)) => conn,
        Wait::Done(Err(error)) => {
            log::debug!("connection refused by the acceptor: {error}");
            COUNTERS.errors.fetch_add(1, Relaxed);
            return;
        }
        Wait::TimedOut => {
            COUNTERS.timeouts.fetch_add(1, Relaxed);
            return;
        }
        Wait::Evicted => return,
    };
    let mut session = Session::new(options.limits);
    let mut out = Vec::with_capacity(1024);
    // When the request being read began (its first octet, or the connection's start).
    let mut head_started = Some(started);
    let mut answered = 0u64;
    loop {
        match session.next(handler) {
            Step::Reply(reply) => {
                slot.set_waiting(None);
                COUNTERS.response(reply.status);
                out.clear();
                reply.write_head((options.wallclock)(), &mut out);
                let body = reply.body();
                // Small bodies go with the head, in one write.
                let sent = if body.len() <= 4096 {
                    out.extend_from_slice(body);
                    send(stack, &mut conn, &out, options.send_timeout).await
                } else {
                    match send(stack, &mut conn, &out, options.send_timeout).await {
                        Ok(()) => send(stack, &mut conn, body, options.send_timeout).await,
                        Err(error) => Err(error),
                    }
                };
                if let Err(error) = sent {
                    log::debug!("sending a response: {error}");
                    COUNTERS.errors.fetch_add(1, Relaxed);
                    break;
                }
                answered += 1;
                if reply.close {
                    break;
                }
                let now = stack.now();
                slot.set_waiting(Some(now));
                head_started = (session.pending() > 0).then_some(now);
            }
            Step::Read => {
                let deadline = match head_started {
                    Some(start) => start + options.header_timeout,
                    None => stack.now() + options.idle_timeout,
                };
                match wait_for(stack, slot, deadline, conn.read(session.read_buffer())).await {
                    Wait::Done(Ok(0)) => break,
                    Wait::Done(Ok(n)) => {
                        session.received(n);
                        head_started.get_or_insert(stack.now());
                    }
                    Wait::TimedOut if answered > 0 && session.pending() == 0 => {
                        // A kept-alive connection with nothing more to ask: a normal end.
                        COUNTERS.idle_closed.fetch_add(1, Relaxed);
                        break;
                    }
                    Wait::TimedOut => {
                        COUNTERS.timeouts.fetch_add(1, Relaxed);
                        if session.pending() > 0 {
                            // A head started and stalled: say so (RFC 9110 §15.5.9).
                            let reply = https::Reply::page(408, true);
                            COUNTERS.response(408);
                            out.clear();
                            reply.write_head((options.wallclock)(), &mut out);
                            out.extend_from_slice(reply.body());
                            let _ = send(stack, &mut conn, &out, Duration::from_secs(1)).await;
                        }
                        break;
                    }
                    Wait::Evicted => break,
                    Wait::Done(Err(error)) => {
                        log::debug!("reading a request: {error}");
                        COUNTERS.errors.fetch_add(1, Relaxed);
                        break;
                    }
                }
            }
        }
    }
    // Bounded: a TLS close_notify could wait on a peer that does not read.
    let _ = stack.timeout(Duration::from_secs(1), conn.close()).await;
}
