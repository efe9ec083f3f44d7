//! The [`Stack`]: one interface (smoltcp `Interface`), its sockets, its device, its address
//! configuration (IPv4 static or DHCPv4, IPv6 static or SLAAC, each or both) and its timers.
//!
//! The stack is passive: [`Stack::poll`] is called with the time since boot (by the
//! [`executor`](crate::executor), or by hand), moves frames between the device and the
//! sockets, runs the DHCP client and the timers, wakes the tasks whose sockets or timers
//! became ready, and returns the time at which it wants to be polled again. Time is passed
//! in, never read (STYLE.md), so tests drive it with a simulated clock.
//!
//! A [`Stack`] is a handle (`Rc`): clones share one stack, and every socket keeps a clone.
//! The state sits in a `RefCell`, borrowed only inside a socket call or a poll, never across
//! an `await`, so a borrow conflict cannot happen in a single-threaded program.
//!
//! Closing: a dropped [`TcpStream`](crate::TcpStream) whose connection is still open is closed
//! gracefully (FIN after the queued data) and lingers in the socket set until the connection
//! has ended or [`LINGER`] has passed (then it is aborted with a RST); a dropped UDP socket or
//! listener is released at once.

use alloc::boxed::Box;
use alloc::rc::Rc;
use alloc::vec::Vec;
use core::cell::RefCell;
use core::fmt;
use core::future::Future;
use core::pin::Pin;
use core::task::{Context, Poll, Waker};
use core::time::Duration;

use smoltcp::iface::{self, Interface, SocketHandle, SocketSet};
#[cfg(feature = "dhcp")]
use smoltcp::socket::dhcpv4;
use smoltcp::socket::tcp;
use smoltcp::wire::{
    EthernetAddress, HardwareAddress, IpAddress, IpCidr, Ipv4Address, Ipv4Cidr, Ipv6Address,
    Ipv6Cidr,
};

use crate::config::{Ipv4Config, Ipv6Config};
use crate::phy::Adapter;
use crate::time::{instant, since_boot};
use crate::{Config, DeviceStats, Error, Machine, NetDevice, Show};

/// How long a dropped, still-open TCP connection may take to close before it is aborted.
pub const LINGER: Duration = Duration::from_secs(30);

/// Socket buffer sizes for the sockets a stack creates.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SocketBuffers {
    /// TCP receive buffer, bytes (the advertised window).
    pub tcp_rx: usize,
    /// TCP send buffer, bytes.
    pub tcp_tx: usize,
    /// UDP receive buffer, payload bytes.
    pub udp_rx: usize,
    /// UDP send buffer, payload bytes.
    pub udp_tx: usize,
    /// UDP datagrams each UDP buffer holds at most.
    pub udp_datagrams: usize,
}

impl Default for SocketBuffers {
    /// TCP 16 KiB each way (a full window keeps a bulk transfer moving, even under QEMU TCG);
    /// UDP 8 KiB and 16 datagrams each way.
    fn default() -> Self {
        SocketBuffers {
            tcp_rx: 16 * 1024,
            tcp_tx: 16 * 1024,
            udp_rx: 8 * 1024,
            udp_tx: 8 * 1024,
            udp_datagrams: 16,
        }
    }
}

/// Counters, for the console and benchmarks.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct StackStats {
    /// Calls to [`Stack::poll`].
    pub polls: u64,
    /// TCP connections accepted by listeners.
    pub tcp_accepted: u64,
    /// Outgoing TCP connections established.
    pub tcp_connected: u64,
    /// DHCP leases acquired or changed.
    pub dhcp_leases: u64,
    /// DHCP leases lost (expired without renewal).
    pub dhcp_losses: u64,
    /// IPv6 addresses taken from router advertisements (SLAAC).
    pub slaac_addresses: u64,
    /// SLAAC addresses dropped when their lifetime ended.
    pub slaac_expired: u64,
    /// Received packets dropped as malformed: truncated or inconsistent headers, bad checksums,
    /// impossible source addresses, neighbour discovery that did not come from the link.
    pub rx_malformed: u64,
    /// Received packets dropped as not handled: unknown next headers (fragments among them:
    /// there is no reassembly), hop-by-hop options that say to discard.
    pub rx_unsupported: u64,
    /// Neighbour cache entries evicted to make room for another neighbour.
    pub neighbor_evictions: u64,
    /// smoltcp sockets in use (listeners count one per backlog slot).
    pub sockets: usize,
    /// Closed TCP streams still finishing their connection.
    pub lingering: usize,
    /// The device's own counters.
    pub device: DeviceStats,
}

/// A network interface with its sockets. See the [module docs](self).
#[derive(Clone)]
pub struct Stack {
    inner: Rc<RefCell<Inner>>,
}

/// The state behind a [`Stack`] handle.
pub(crate) struct Inner {
    pub(crate) iface: Interface,
    pub(crate) sockets: SocketSet<'static>,
    pub(crate) device: Adapter,
    config: Config,
    #[cfg(feature = "dhcp")]
    dhcp: Option<SocketHandle>,
    dns_servers: Vec<Ipv4Address>,
    /// The SLAAC addresses at the last poll (to log and count what router advertisements
    /// change).
    #[cfg(feature = "slaac")]
    slaac: Vec<Ipv6Cidr>,
    /// The time of the last poll (or of creation).
    pub(crate) now: Duration,
    pub(crate) buffers: SocketBuffers,
    /// Bound UDP ports, and ports with a TCP listener.
    pub(crate) udp_ports: Vec<u16>,
    pub(crate) tcp_ports: Vec<u16>,
    /// Dropped TCP sockets still closing, with the time they are aborted at.
    lingering: Vec<(SocketHandle, Duration)>,
    /// Timer slots: deadline and the waker of the task waiting for it.
    timers: Vec<Option<(Duration, Option<Waker>)>>,
    /// Tasks waiting for an address ([`Stack::wait_configured`]).
    config_waiters: Vec<Waker>,
    /// State of the ephemeral port generator (xorshift).
    port_state: u32,
    pub(crate) stats: StackStats,
}

impl Stack {
    /// A stack over `device`, configured statically or by DHCP, with default socket buffers.
    ///
    /// Fails if the device's MAC address is not a unicast address, or the configuration fails
    /// the checks of [`Config::check`].
    pub fn new(
        device: Box<dyn NetDevice>,
        config: Config,
        machine: &dyn Machine,
    ) -> Result<Stack, Error> {
        Stack::with_buffers(device, config, SocketBuffers::default(), machine)
    }

    /// A stack whose sockets get `buffers`.
    pub fn with_buffers(
        device: Box<dyn NetDevice>,
        config: Config,
        buffers: SocketBuffers,
        machine: &dyn Machine,
    ) -> Result<Stack, Error> {
        let mac = EthernetAddress(device.mac_address());
        if !mac.is_unicast() {
            return Err(Error::InvalidMac(mac.0));
        }
        // A configuration built by hand has not been through the parser's checks (and
        // smoltcp panics on a non-unicast address).
        let config = config.check()?;
        let now = machine.now();
        let mut device = Adapter::new(device);
        let mut iface_config = iface::Config::new(HardwareAddress::Ethernet(mac));
        iface_config.random_seed = machine.random_u64();
        // Router solicitations at start, then addresses and routes from advertisements.
        #[cfg(feature = "slaac")]
        {
            iface_config.slaac = matches!(config.ipv6, Ipv6Config::Auto);
        }
        let mut iface = Interface::new(iface_config, &mut device, instant(now));
        #[cfg_attr(not(feature = "dhcp"), allow(unused_mut))]
        let mut sockets = SocketSet::new(Vec::new());
        #[cfg(feature = "dhcp")]
        let mut dhcp = None;
        match config.ipv4 {
            Ipv4Config::Static { address, gateway } => {
                set_address(&mut iface, Some(address), gateway);
            }
            #[cfg(feature = "dhcp")]
            Ipv4Config::Dhcp => {
                dhcp = Some(sockets.add(dhcpv4::Socket::new()));
            }
            #[cfg(not(feature = "dhcp"))]
            Ipv4Config::Dhcp => return Err(Error::DhcpNotBuilt),
            Ipv4Config::Off => {}
        }
        if !matches!(config.ipv6, Ipv6Config::Off) {
            set_ipv6(&mut iface, mac, config.ipv6);
        }
        // Ephemeral ports start at a random place in 49152..=65535 (RFC 6335).
        let port_state = (machine.random_u64() as u32) | 1;
        log::info!("interface {}, {config}", xenolith_device::MacAddress(mac.0));
        Ok(Stack {
            inner: Rc::new(RefCell::new(Inner {
                iface,
                sockets,
                device,
                config,
                #[cfg(feature = "dhcp")]
                dhcp,
                dns_servers: Vec::new(),
                #[cfg(feature = "slaac")]
                slaac: Vec::new(),
                now,
                buffers,
                udp_ports: Vec::new(),
                tcp_ports: Vec::new(),
                lingering: Vec::new(),
                timers: Vec::new(),
                config_waiters: Vec::new(),
                port_state,
                stats: StackStats::default(),
            })),
        })
    }

    /// Runs the stack at time `now` (since boot): receives and answers frames, transmits what
    /// the sockets queued, runs the DHCP client and the timers, wakes the tasks that can make
    /// progress. Returns when it wants to run next (`None`: only when a frame arrives).
    pub fn poll(&self, now: Duration) -> Option<Duration> {
        let mut wake = Vec::new();
        let deadline = {
            let mut guard = self.inner.borrow_mut();
            let inner = &mut *guard;
            // Time never goes backwards for smoltcp, whatever the machine clock does.
            let now = now.max(inner.now);
            inner.now = now;
            let timestamp = instant(now);
            inner
                .iface
                .poll(timestamp, &mut inner.device, &mut inner.sockets);
            inner.device.device.flush();
            #[cfg(feature = "dhcp")]
            inner.poll_dhcp(&mut wake);
            #[cfg(feature = "slaac")]
            if matches!(inner.config.ipv6, Ipv6Config::Auto) {
                inner.poll_slaac(&mut wake);
            }
            inner.reap_lingering(now);
            let timers = inner.expire_timers(now, &mut wake);
            let stack = inner
                .iface
                .poll_at(timestamp, &inner.sockets)
                .map(since_boot);
            // A lingering socket is aborted at its deadline even if nothing else wakes us.
            let linger = inner.lingering.iter().map(|&(_, abort_at)| abort_at).min();
            inner.stats.polls += 1;
            [timers, stack, linger].into_iter().flatten().min()
        };
        // Wake outside the borrow: a waker is foreign code.
        for waker in wake {
            waker.wake();
        }
        deadline
    }

    /// The configuration the stack was created with.
    pub fn config(&self) -> Config {
        self.inner.borrow().config
    }

    /// The interface's IPv4 address and subnet, once it has one.
    pub fn ipv4_cidr(&self) -> Option<Ipv4Cidr> {
        self.inner
            .borrow()
            .iface
            .ip_addrs()
            .iter()
            .find_map(|cidr| match cidr {
                IpCidr::Ipv4(cidr) => Some(*cidr),
                _ => None,
            })
    }

    /// The interface's IPv6 addresses: link-local first, then static or SLAAC ones.
    pub fn ipv6_cidrs(&self) -> Vec<Ipv6Cidr> {
        let inner = self.inner.borrow();
        inner
            .iface
            .ip_addrs()
            .iter()
            .filter_map(|cidr| match cidr {
                IpCidr::Ipv6(cidr) => Some(*cidr),
                _ => None,
            })
            .collect()
    }

    /// The default IPv4 gateway, if there is one.
    pub fn gateway(&self) -> Option<Ipv4Address> {
        let inner = self.inner.borrow();
        let route = inner.iface.routes().get_default_ipv4_route()?;
        match route.via_router {
            IpAddress::Ipv4(router) => Some(router),
            _ => None,
        }
    }

    /// The default IPv6 router, if there is one (static, or from router advertisements).
    pub fn gateway6(&self) -> Option<Ipv6Address> {
        let inner = self.inner.borrow();
        let route = inner.iface.routes().get_default_ipv6_route()?;
        match route.via_router {
            IpAddress::Ipv6(router) => Some(router),
            _ => None,
        }
    }

    /// DNS servers from the DHCP lease (empty with a static configuration).
    pub fn dns_servers(&self) -> Vec<Ipv4Address> {
        self.inner.borrow().dns_servers.clone()
    }

    /// The interface's MAC address.
    pub fn mac_address(&self) -> [u8; 6] {
        self.inner.borrow().device.device.mac_address()
    }

    /// Waits until the interface has an address other hosts can reach beyond the link (at
    /// once with a static configuration; with DHCP or SLAAC, when the first lease or
    /// advertisement arrives) and returns its addresses.
    pub fn wait_configured(&self) -> impl Future<Output = Addresses> {
        core::future::poll_fn(move |cx| {
            let addresses = Addresses(self.inner.borrow().iface.ip_addrs().to_vec());
            if addresses.reachable().next().is_some() {
                return Poll::Ready(addresses);
            }
            let mut inner = self.inner.borrow_mut();
            if !inner.config_waiters.iter().any(|w| w.will_wake(cx.waker())) {
                inner.config_waiters.push(cx.waker().clone());
            }
            Poll::Pending
        })
    }

    /// The time of the stack's last poll, since boot.
    pub fn now(&self) -> Duration {
        self.inner.borrow().now
    }

    /// A future that completes `duration` after the stack's current time.
    pub fn sleep(&self, duration: Duration) -> Sleep {
        self.sleep_until(self.now().saturating_add(duration))
    }

    /// A future that completes at `deadline` (time since boot).
    pub fn sleep_until(&self, deadline: Duration) -> Sleep {
        Sleep {
            stack: self.clone(),
            deadline,
            slot: None,
        }
    }

    /// Runs `future` for at most `duration`: its output, or [`Error::TimedOut`] (the future is
    /// then dropped, which releases whatever it held). The time runs from now (the stack's
    /// last poll).
    pub fn timeout<F: Future>(&self, duration: Duration, future: F) -> Timeout<F> {
        Timeout {
            future,
            sleep: self.sleep(duration),
        }
    }

    /// Buffer sizes for the sockets created from now on.
    pub fn set_socket_buffers(&self, buffers: SocketBuffers) {
        self.inner.borrow_mut().buffers = buffers;
    }

    /// The counters.
    pub fn stats(&self) -> StackStats {
        let inner = self.inner.borrow();
        let drops = inner.iface.rx_drops();
        StackStats {
            rx_malformed: drops.malformed,
            rx_unsupported: drops.unsupported,
            neighbor_evictions: drops.neighbor_evictions,
            sockets: inner.sockets.iter().count(),
            lingering: inner.lingering.len(),
            device: inner.device.device.stats(),
            ..inner.stats
        }
    }

    /// Runs `f` on the stack's state (sockets use this; never held across an `await`).
    pub(crate) fn with<R>(&self, f: impl FnOnce(&mut Inner) -> R) -> R {
        f(&mut self.inner.borrow_mut())
    }
}

impl fmt::Debug for Stack {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let inner = self.inner.borrow();
        f.debug_struct("Stack")
            .field("config", &inner.config)
            .field("addresses", &inner.iface.ip_addrs())
            .field("now", &inner.now)
            .field("stats", &inner.stats)
            .finish()
    }
}

/// The interface's addresses, shown as a comma-separated list without the link-local ones
/// (e.g. `10.0.0.2/24, 2001:db8::2/64`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Addresses(Vec<IpCidr>);

impl Addresses {
    /// Every address, link-local ones included.
    pub fn all(&self) -> &[IpCidr] {
        &self.0
    }

    /// The addresses hosts beyond the link can reach (all but IPv6 link-local ones).
    pub fn reachable(&self) -> impl Iterator<Item = &IpCidr> {
        self.0.iter().filter(
            |cidr| !matches!(cidr, IpCidr::Ipv6(v6) if v6.address().is_unicast_link_local()),
        )
    }
}

impl fmt::Display for Addresses {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, cidr) in self.reachable().enumerate() {
            if i > 0 {
                f.write_str(", ")?;
            }
            Show(*cidr).fmt(f)?;
        }
        Ok(())
    }
}

/// Replaces the interface's IPv4 address and default route (IPv6 addresses stay).
fn set_address(iface: &mut Interface, address: Option<Ipv4Cidr>, gateway: Option<Ipv4Address>) {
    iface.update_ip_addrs(|addrs| {
        addrs.retain(|cidr| !matches!(cidr, IpCidr::Ipv4(_)));
        if let Some(address) = address {
            // Room for IFACE_MAX_ADDR_COUNT (3) addresses: this, link-local and one IPv6.
            let _ = addrs.push(IpCidr::Ipv4(address));
        }
    });
    let routes = iface.routes_mut();
    routes.remove_default_ipv4_route();
    if let Some(gateway) = gateway {
        // The route table holds IFACE_MAX_ROUTE_COUNT (3) routes: this, an IPv6 one and a
        // second advertising router's.
        let _ = routes.add_default_ipv4_route(gateway);
    }
}

/// The link-local prefix, fe80::/64.
const LINK_LOCAL: Ipv6Cidr = Ipv6Cidr::new(Ipv6Address::new(0xfe80, 0, 0, 0, 0, 0, 0, 0), 64);

/// Gives the interface its link-local address (from the MAC: modified EUI-64, RFC 4291
/// appendix A) and, with a static configuration, its address and default router.
fn set_ipv6(iface: &mut Interface, mac: EthernetAddress, config: Ipv6Config) {
    let link_local = Ipv6Cidr::from_link_prefix(&LINK_LOCAL, HardwareAddress::Ethernet(mac));
    iface.update_ip_addrs(|addrs| {
        if let Some(link_local) = link_local {
            let _ = addrs.push(IpCidr::Ipv6(link_local));
        }
        if let Ipv6Config::Static { address, .. } = config {
            let _ = addrs.push(IpCidr::Ipv6(address));
        }
    });
    if let Ipv6Config::Static {
        gateway: Some(gateway),
        ..
    } = config
    {
        let _ = iface.routes_mut().add_default_ipv6_route(gateway);
    }
}

impl Inner {
    #[cfg(feature = "dhcp")]
    /// Applies DHCP events: a new or changed lease sets the address and default route, a lost
    /// lease removes them.
    fn poll_dhcp(&mut self, wake: &mut Vec<Waker>) {
        let Some(handle) = self.dhcp else { return };
        match self.sockets.get_mut::<dhcpv4::Socket<'_>>(handle).poll() {
            None => {}
            Some(dhcpv4::Event::Configured(lease)) => {
                match lease.router {
                    Some(router) => log::info!(
                        "DHCP: address {}, gateway {}, from server {}",
                        Show(lease.address),
                        Show(router),
                        Show(lease.server.address)
                    ),
                    None => log::info!(
                        "DHCP: address {}, no gateway, from server {}",
                        Show(lease.address),
                        Show(lease.server.address)
                    ),
                }
                set_address(&mut self.iface, Some(lease.address), lease.router);
                self.dns_servers = lease.dns_servers.iter().copied().collect();
                self.stats.dhcp_leases += 1;
                wake.append(&mut self.config_waiters);
            }
            Some(dhcpv4::Event::Deconfigured) => {
                // The client also reports this when it starts, before any lease.
                if self.iface.ip_addrs().is_empty() {
                    return;
                }
                log::warn!("DHCP: lease lost; no address until a new lease");
                set_address(&mut self.iface, None, None);
                self.dns_servers.clear();
                self.stats.dhcp_losses += 1;
            }
        }
    }

    /// Logs and counts what router advertisements changed: SLAAC addresses taken or expired
    /// (smoltcp applies them during the interface's poll). A new address wakes the tasks
    /// waiting for one.
    #[cfg(feature = "slaac")]
    fn poll_slaac(&mut self, wake: &mut Vec<Waker>) {
        let global = |cidr: &IpCidr| match cidr {
            IpCidr::Ipv6(v6) if !v6.address().is_unicast_link_local() => Some(*v6),
            _ => None,
        };
        let addrs = self.iface.ip_addrs();
        let unchanged = addrs.iter().filter_map(global).count() == self.slaac.len()
            && addrs
                .iter()
                .filter_map(global)
                .all(|v6| self.slaac.contains(&v6));
        if unchanged {
            return; // the usual case: no allocation per poll
        }
        let current: Vec<Ipv6Cidr> = addrs.iter().filter_map(global).collect();
        for added in current.iter().filter(|c| !self.slaac.contains(c)) {
            log::info!("SLAAC: address {}", Show(*added));
            self.stats.slaac_addresses += 1;
        }
        for gone in self.slaac.iter().filter(|c| !current.contains(c)) {
            log::warn!("SLAAC: address {} expired", Show(*gone));
            self.stats.slaac_expired += 1;
        }
        if current.len() > self.slaac.len() {
            wake.append(&mut self.config_waiters);
        }
        self.slaac = current;
    }

    /// Removes lingering TCP sockets whose connection has ended; aborts those past their time.
    fn reap_lingering(&mut self, now: Duration) {
        let sockets = &mut self.sockets;
        self.lingering.retain(|&(handle, abort_at)| {
            let socket = sockets.get_mut::<tcp::Socket<'_>>(handle);
            match socket.state() {
                // TIME-WAIT only guards against stray segments of the old connection; the
                // socket is not needed for that (smoltcp answers strays with a RST).
                tcp::State::Closed | tcp::State::TimeWait => {
                    sockets.remove(handle);
                    false
                }
                _ => {
                    if now >= abort_at {
                        // Sends a RST at the next poll; removed as Closed after that.
                        socket.abort();
                    }
                    true
                }
            }
        });
    }

    /// Collects the wakers of expired timers; returns the earliest remaining deadline.
    fn expire_timers(&mut self, now: Duration, wake: &mut Vec<Waker>) -> Option<Duration> {
        let mut next: Option<Duration> = None;
        for (deadline, waker) in self.timers.iter_mut().flatten() {
            if *deadline <= now {
                wake.extend(waker.take());
            } else {
                next = Some(next.map_or(*deadline, |n| n.min(*deadline)));
            }
        }
        next
    }

    /// Hands a dropped TCP socket over to the linger list, or removes it if it is done.
    pub(crate) fn release_tcp(&mut self, handle: SocketHandle) {
        let socket = self.sockets.get_mut::<tcp::Socket<'_>>(handle);
        match socket.state() {
            tcp::State::Closed | tcp::State::TimeWait | tcp::State::Listen => {
                self.sockets.remove(handle);
            }
            _ => {
                socket.close();
                self.lingering
                    .push((handle, self.now.saturating_add(LINGER)));
            }
        }
    }

    /// Aborts a TCP socket (a RST at the next poll) and removes it once that is sent.
    pub(crate) fn abort_tcp(&mut self, handle: SocketHandle) {
        let socket = self.sockets.get_mut::<tcp::Socket<'_>>(handle);
        match socket.state() {
            tcp::State::Closed | tcp::State::Listen => {
                self.sockets.remove(handle);
            }
            _ => {
                socket.abort();
                self.lingering.push((handle, self.now));
            }
        }
    }

    /// Whether `address` is on a local subnet or link, or the interface has an address of its
    /// family to send from and a default route (or it is a broadcast or multicast address).
    pub(crate) fn reachable(&self, address: &IpAddress) -> bool {
        let addrs = self.iface.ip_addrs();
        let on_link = addrs.iter().any(|cidr| cidr.contains_addr(address));
        let routes = self.iface.routes();
        let (has_source, routed, flooded) = match address {
            IpAddress::Ipv4(a) => (
                addrs.iter().any(|c| matches!(c, IpCidr::Ipv4(_))),
                routes.get_default_ipv4_route().is_some(),
                a.is_broadcast() || a.is_multicast(),
            ),
            IpAddress::Ipv6(a) => (
                addrs.iter().any(|c| matches!(c, IpCidr::Ipv6(_))),
                routes.get_default_ipv6_route().is_some(),
                a.is_multicast(),
            ),
        };
        on_link || (has_source && (routed || flooded))
    }

    /// An ephemeral port (49152..=65535) no UDP socket is bound to.
    pub(crate) fn ephemeral_port(&mut self) -> u16 {
        loop {
            // xorshift32: full period over non-zero states.
            let mut x = self.port_state;
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            self.port_state = x;
            let port = 49152 + (x % 16384) as u16;
            if !self.udp_ports.contains(&port) {
                return port;
            }
        }
    }
}

pin_project_lite::pin_project! {
    /// The future of [`Stack::timeout`]: `future`'s output, or [`Error::TimedOut`] once the
    /// sleep has ended first.
    ///
    /// A struct, not an `async fn`: no state machine with its "resumed after completion"
    /// panic for each future type it wraps (docs/image-size.md).
    #[must_use = "futures do nothing unless awaited"]
    pub struct Timeout<F> {
        #[pin]
        future: F,
        sleep: Sleep,
    }
}

impl<F: Future> Future for Timeout<F> {
    type Output = Result<F::Output, Error>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.project();
        if let Poll::Ready(output) = this.future.poll(cx) {
            return Poll::Ready(Ok(output));
        }
        match Pin::new(this.sleep).poll(cx) {
            Poll::Ready(()) => Poll::Ready(Err(Error::TimedOut)),
            Poll::Pending => Poll::Pending,
        }
    }
}

impl<F> fmt::Debug for Timeout<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Timeout")
            .field("sleep", &self.sleep)
            .finish_non_exhaustive()
    }
}

/// The future of [`Stack::sleep`] and [`Stack::sleep_until`].
pub struct Sleep {
    stack: Stack,
    deadline: Duration,
    /// The timer slot this sleep registered, once polled.
    slot: Option<usize>,
}

impl Future for Sleep {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let this = &mut *self;
        let mut inner = this.stack.inner.borrow_mut();
        if inner.now >= this.deadline {
            if let Some(timer) = this.slot.take().and_then(|slot| inner.timers.get_mut(slot)) {
                *timer = None;
            }
            return Poll::Ready(());
        }
        let entry = Some((this.deadline, Some(cx.waker().clone())));
        // (Checked indexing throughout: a slot is always in range, and the image is smaller
        // without the panic paths.)
        if let Some(timer) = this.slot.and_then(|slot| inner.timers.get_mut(slot)) {
            *timer = entry;
        } else {
            match inner.timers.iter().position(Option::is_none) {
                Some(free) => {
                    if let Some(timer) = inner.timers.get_mut(free) {
                        *timer = entry;
                    }
                    this.slot = Some(free);
                }
                None => {
                    this.slot = Some(inner.timers.len());
                    inner.timers.push(entry);
                }
            }
        }
        Poll::Pending
    }
}

impl Drop for Sleep {
    fn drop(&mut self) {
        if let Some(slot) = self.slot.take()
            && let Some(timer) = self.stack.inner.borrow_mut().timers.get_mut(slot)
        {
            *timer = None;
        }
    }
}

impl fmt::Debug for Sleep {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Sleep")
            .field("deadline", &self.deadline)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::{SimMachine, Wire};
    use alloc::vec;
    use smoltcp::phy::ChecksumCapabilities;
    use smoltcp::wire::{
        ArpOperation, ArpPacket, ArpRepr, EthernetFrame, EthernetProtocol, EthernetRepr,
        Icmpv4Packet, Icmpv4Repr, IpProtocol, Ipv4Packet, Ipv4Repr,
    };

    const PEER: Ipv4Address = Ipv4Address::new(10, 0, 0, 1);
    const US: Ipv4Address = Ipv4Address::new(10, 0, 0, 2);

    fn frame(
        dst: EthernetAddress,
        src: EthernetAddress,
        ethertype: EthernetProtocol,
        payload_len: usize,
    ) -> Vec<u8> {
        let repr = EthernetRepr {
            src_addr: src,
            dst_addr: dst,
            ethertype,
        };
        let mut bytes = vec![0; repr.buffer_len() + payload_len];
        repr.emit(&mut EthernetFrame::new_unchecked(&mut bytes[..]));
        bytes
    }

    /// With IPv6 on, the interface has its link-local address (from the MAC) first, then the
    /// static one; `LinkLocal` gives the link-local address alone, `Off` none.
    #[test]
    fn ipv6_addresses_by_configuration() {
        let wire = Wire::new();
        let machine = SimMachine::new(&wire, 3);
        let addresses = |ipv6| {
            let (_, end) = wire.ends();
            let mac = EthernetAddress(end.mac_address());
            let config = Config {
                ipv4: Ipv4Config::Static {
                    address: Ipv4Cidr::new(US, 24),
                    gateway: None,
                },
                ipv6,
            };
            let stack = Stack::new(Box::new(end), config, &machine).unwrap();
            let link_local =
                Ipv6Cidr::from_link_prefix(&LINK_LOCAL, HardwareAddress::Ethernet(mac));
            (stack.ipv6_cidrs(), link_local.unwrap())
        };
        let (cidrs, link_local) = addresses(Ipv6Config::LinkLocal);
        assert_eq!(cidrs, vec![link_local]);
        assert!(link_local.address().is_unicast_link_local());
        let global = Ipv6Cidr::new(Ipv6Address::new(0xfd00, 0, 0, 0, 0, 0, 0, 2), 64);
        let (cidrs, link_local) = addresses(Ipv6Config::Static {
            address: global,
            gateway: None,
        });
        assert_eq!(cidrs, vec![link_local, global]);
        assert_eq!(addresses(Ipv6Config::Off).0, vec![]);
    }

    /// The interface answers ARP and ICMP echo requests by itself (no socket).
    #[test]
    fn answers_arp_and_ping() {
        let wire = Wire::new();
        let machine = SimMachine::new(&wire, 3);
        let (mut peer, end) = wire.ends();
        let peer_mac = EthernetAddress(peer.mac_address());
        let our_mac = EthernetAddress(end.mac_address());
        let config = Config::ipv4(Ipv4Cidr::new(US, 24), None);
        let stack = Stack::new(Box::new(end), config, &machine).unwrap();

        let arp = ArpRepr::EthernetIpv4 {
            operation: ArpOperation::Request,
            source_hardware_addr: peer_mac,
            source_protocol_addr: PEER,
            target_hardware_addr: EthernetAddress([0; 6]),
            target_protocol_addr: US,
        };
        let mut request = frame(
            EthernetAddress::BROADCAST,
            peer_mac,
            EthernetProtocol::Arp,
            arp.buffer_len(),
        );
        arp.emit(&mut ArpPacket::new_unchecked(
            EthernetFrame::new_unchecked(&mut request[..]).payload_mut(),
        ));
        assert!(peer.transmit(&request));

        let echo = Icmpv4Repr::EchoRequest {
            ident: 0x1234,
            seq_no: 7,
            data: b"xenolith",
        };
        let ip = Ipv4Repr {
            src_addr: PEER,
            dst_addr: US,
            next_header: IpProtocol::Icmp,
            payload_len: echo.buffer_len(),
            hop_limit: 64,
        };
        let checksums = ChecksumCapabilities::default();
        let mut ping = frame(
            our_mac,
            peer_mac,
            EthernetProtocol::Ipv4,
            ip.buffer_len() + echo.buffer_len(),
        );
        {
            let mut ethernet = EthernetFrame::new_unchecked(&mut ping[..]);
            let mut packet = Ipv4Packet::new_unchecked(ethernet.payload_mut());
            ip.emit(&mut packet, &checksums);
            echo.emit(
                &mut Icmpv4Packet::new_unchecked(packet.payload_mut()),
                &checksums,
            );
        }
        assert!(peer.transmit(&ping));
        stack.poll(Duration::from_millis(1));

        let mut buffer = vec![0; 1514];
        let len = peer.receive(&mut buffer).expect("an ARP reply");
        let reply = EthernetFrame::new_checked(&buffer[..len]).unwrap();
        assert_eq!(reply.ethertype(), EthernetProtocol::Arp);
        let arp = ArpRepr::parse(&ArpPacket::new_checked(reply.payload()).unwrap()).unwrap();
        assert!(matches!(
            arp,
            ArpRepr::EthernetIpv4 { operation: ArpOperation::Reply, source_hardware_addr, source_protocol_addr, .. }
                if source_hardware_addr == our_mac && source_protocol_addr == US
        ));

        let len = peer.receive(&mut buffer).expect("an ICMP echo reply");
        let reply = EthernetFrame::new_checked(&buffer[..len]).unwrap();
        assert_eq!(reply.dst_addr(), peer_mac);
        let packet = Ipv4Packet::new_checked(reply.payload()).unwrap();
        assert_eq!((packet.src_addr(), packet.dst_addr()), (US, PEER));
        let icmp = Icmpv4Packet::new_checked(packet.payload()).unwrap();
        assert_eq!(
            Icmpv4Repr::parse(&icmp, &checksums).unwrap(),
            Icmpv4Repr::EchoReply {
                ident: 0x1234,
                seq_no: 7,
                data: b"xenolith",
            }
        );
        assert_eq!(stack.stats().device.rx_frames, 2);
    }
}
