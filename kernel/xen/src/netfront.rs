//! netfront: the Xen paravirtual network frontend (`xen/include/public/io/netif.h`, connected
//! with the xenbus handshake of `io/xenbus.h` and `docs/misc/xenstore-paths.pandoc`).
//!
//! One queue, one event channel, copy in both directions, no scatter-gather, no offloads:
//!
//! - **Handshake** ([`Netfront::connect`]): read `device/vif/<n>/{backend,backend-id,mac}`;
//!   watch the backend's `state` and wait for it to reach InitWait (it publishes its features
//!   first) and check `feature-rx-copy`; allocate and grant the two ring pages and the buffers,
//!   allocate an unbound event channel for the backend; in one xenstore transaction write
//!   `tx-ring-ref`, `rx-ring-ref`, `event-channel`, `request-rx-copy = 1`,
//!   `feature-rx-notify = 1`, `feature-sg = 0`, `feature-gso-tcpv4 = 0`,
//!   `feature-no-csum-offload = 1` (the backend fills in checksums; smoltcp would drop the
//!   `NETRXF_csum_blank` packets of offloading peers) and `state = Initialised`; then switch to
//!   Connected and wait for the backend to be Connected.
//!
//!   We switch to Connected *before* the backend is: Linux's netback ignores a frontend in
//!   Initialised and connects only when the frontend says Connected
//!   (`drivers/net/xen-netback/xenbus.c`, `frontend_changed`), as Linux's netfront and Mini-OS
//!   do. Backends that connect on Initialised (QEMU's) see the complete details there.
//! - **RX**: one granted page per RX ring slot (256), all kept posted; the backend copies each
//!   frame into a page (`request-rx-copy`) and answers in the slot of the request it consumed
//!   (netif.h: "responses always appear in the same ring slot as their corresponding
//!   request"). So the buffer a response returns is known from the slot, not from the id the
//!   backend wrote: the id must match that buffer, or the frame is dropped — and the buffer is
//!   recycled either way, so no id the backend invents can make us post a page twice or lose
//!   one. Offset and length must fit in the page; a negative status is the backend's error
//!   code; `NETRXF_more_data`/`NETRXF_extra_info` (which we did not ask for) drop the frame and
//!   its continuation slots. Recycled buffers keep their grant and are published by
//!   [`flush`](NetDevice::flush).
//! - **TX**: [`transmit`](NetDevice::transmit) copies a frame into a free half-page buffer
//!   (128 of them in 64 pages granted read-only) and writes a request with the buffer's index
//!   as id; [`flush`](NetDevice::flush) publishes the requests, notifies the backend if it
//!   asked to be, and reclaims buffers whose responses came back. TX responses may come in any
//!   order, so the id is all there is: it must name a buffer in flight. If the backend has
//!   answered every request and some buffers never got a valid answer, they are reclaimed (the
//!   pages are read-only to it, so reuse is safe).
//! - **Events**: the runtime demultiplexes event channels and calls
//!   [`Netfront::handle_event`] when [`Netfront::port`] fired. Until then
//!   [`receive`](NetDevice::receive) and [`flush`](NetDevice::flush) touch no shared memory.
//!   When a ring runs dry we re-arm `rsp_event` with `RING_FINAL_CHECK_FOR_RESPONSES` and look
//!   once more, so a response is either seen now or announced by an event.
//! - **Going down**: the runtime passes watch events whose token is
//!   [`Netfront::watch_token`] to [`Netfront::handle_watch_event`] (or calls
//!   [`Netfront::poll_backend_state`]). When the backend goes to Closing or Closed (or its
//!   `state` node vanishes), or breaks a ring's index protocol, the link goes down
//!   ([`is_up`](NetDevice::is_up) is false): the rings are never touched again and every grant
//!   that can be ended is; a grant the backend still maps stays granted, and since the pages
//!   are never freed nothing of ours is ever written there again.
//!
//! Everything the backend writes is untrusted. A protocol violation (bad id, offset, length,
//! status or flags) is counted in [`DeviceStats::errors`] (the frame, if any, also in
//! `rx_dropped`) and the driver carries on; a broken ring index takes the link down.

use crate::abi::io::netif::{
    NETIF_RSP_DROPPED, NETIF_RSP_ERROR, NETIF_RSP_OKAY, NETRXF_extra_info, NETRXF_gso_prefix,
    NETRXF_more_data, XEN_NETIF_EXTRA_FLAG_MORE, netif_rx_request, netif_rx_response,
    netif_tx_request, netif_tx_response,
};
use crate::grant_table::{self, GrantTable};
use crate::hypervisor::{Errno, Hypervisor};
use crate::ring::{NetRxFrontRing, NetTxFrontRing, RingError};
use crate::shared::SharedMemory;
use crate::types::{DomId, EventChannelPort, Gfn, GrantRef};
use crate::xenbus::{self, XenbusDevice, XenbusState};
use crate::xenstore::{WatchEvent, XenStore};
use alloc::boxed::Box;
use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;
use core::fmt;
use spin::Mutex;
use xenolith_device::MacAddress as Mac;
use xenolith_device::{DeviceStats, NetDevice};

/// Bytes in a page.
const PAGE: usize = SharedMemory::PAGE;
/// Bytes in a TX buffer: a frame never crosses a page, so two fit in each page.
const TX_BUFFER_SIZE: usize = 2048;
/// Pages of TX buffers.
const TX_PAGES: usize = 64;
/// TX buffers, and so TX requests in flight at most.
const TX_BUFFERS: usize = TX_PAGES * (PAGE / TX_BUFFER_SIZE);
/// Violations logged at `warn` level; later ones are only counted.
const VIOLATIONS_LOGGED: u64 = 8;

/// How long [`Netfront::connect`] waits for the backend, in nanoseconds.
pub const CONNECT_TIMEOUT_NS: u64 = 10_000_000_000;

/// Zeroed, page-aligned, contiguous pages from the page allocator, never freed: the memory and
/// the guest frame of its first page (the frames of the others follow).
#[derive(Clone, Copy, Debug)]
pub struct SharedPages {
    /// The pages.
    pub memory: SharedMemory,
    /// The frame of the first page.
    pub gfn: Gfn,
}

impl SharedPages {
    /// Pages whose virtual address is their guest-physical address (the kernel's identity
    /// map); `None` if `memory` is not page-aligned.
    pub fn identity_mapped(memory: SharedMemory) -> Option<SharedPages> {
        Gfn::from_address(memory.address()).map(|gfn| SharedPages { memory, gfn })
    }
}

/// Why [`Netfront::connect`] or [`Netfront::poll_backend_state`] failed ([`ErrorKind`], boxed
/// so that it fits in a register: it is returned through every `?` of the Xen path, and
/// allocated only when something failed).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Error(Box<ErrorKind>);

/// Why [`Netfront::connect`] or [`Netfront::poll_backend_state`] failed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ErrorKind {
    /// A xenstore request or the xenbus handshake failed (names the path).
    Xenbus(xenbus::Error),
    /// The frontend's `mac` node does not hold a unicast MAC address.
    InvalidMac {
        /// The `mac` node.
        path: String,
        /// Its value (at most 64 characters of it).
        value: String,
    },
    /// The backend does not offer a feature netfront needs.
    MissingBackendFeature {
        /// The backend's feature node.
        path: String,
    },
    /// The page allocator gave no region, or one of the wrong size.
    Allocation {
        /// What the pages were for.
        what: &'static str,
        /// How many pages were asked for.
        pages: usize,
    },
    /// Granting a page to the backend failed.
    Grant {
        /// What the page was for.
        what: &'static str,
        /// Why.
        error: grant_table::Error,
    },
    /// An event-channel hypercall failed.
    EventChannel {
        /// The operation.
        op: &'static str,
        /// Xen's error.
        errno: Errno,
    },
    /// A ring could not be set up.
    Ring(RingError),
}

impl Error {
    /// What went wrong.
    pub fn kind(&self) -> &ErrorKind {
        &self.0
    }
}

impl From<ErrorKind> for Error {
    #[cold]
    #[inline(never)]
    fn from(kind: ErrorKind) -> Self {
        Error(Box::new(kind))
    }
}

impl From<xenbus::Error> for Error {
    fn from(error: xenbus::Error) -> Self {
        ErrorKind::Xenbus(error).into()
    }
}

impl From<crate::xenstore::Error> for Error {
    fn from(error: crate::xenstore::Error) -> Self {
        ErrorKind::Xenbus(error.into()).into()
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&*self.0, f)
    }
}

impl fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "netfront: ")?;
        match self {
            ErrorKind::Xenbus(error) => fmt::Display::fmt(error, f),
            ErrorKind::InvalidMac { path, value } => write!(
                f,
                "{path} = {} is not a unicast MAC address like 00:16:3e:00:00:01: \
                 fix the vif's mac= setting",
                crate::types::Quoted(value)
            ),
            ErrorKind::MissingBackendFeature { path } => write!(
                f,
                "{path} is not 1: the backend cannot copy received packets into our pages, \
                 which is the only receive mode netfront supports"
            ),
            ErrorKind::Allocation { what, pages } => write!(
                f,
                "no memory for {what} ({pages} pages): give the guest more memory"
            ),
            ErrorKind::Grant { what, error } => write!(f, "granting {} failed: {}", *what, *error),
            ErrorKind::EventChannel { op, errno } => write!(f, "{} failed: {}", *op, *errno),
            ErrorKind::Ring(error) => fmt::Display::fmt(error, f),
        }
    }
}

/// Why the link went down.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DownReason {
    /// The backend went to Closing or Closed.
    BackendClosed(XenbusState),
    /// The backend's `state` node disappeared (the device was removed).
    BackendGone,
    /// The backend broke a ring's index protocol; the ring cannot be used any more.
    RingBroken {
        /// "RX" or "TX".
        ring: &'static str,
        /// What it did.
        error: RingError,
    },
}

impl fmt::Display for DownReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DownReason::BackendClosed(state) => write!(f, "the backend went to {}", *state),
            DownReason::BackendGone => write!(f, "the backend's state node was removed"),
            DownReason::RingBroken { ring, error } => {
                write!(f, "the backend broke the {} ring: {}", *ring, *error)
            }
        }
    }
}

/// A backend protocol violation, for the log.
#[derive(Clone, Copy, Debug)]
enum Violation {
    RxIdMismatch { id: u16, expected: u16 },
    RxUnexpectedFlags { flags: u16 },
    RxOutsidePage { offset: u16, len: usize },
    TxUnknownId { id: u16 },
    TxUnexpectedStatus { id: u16, status: i16 },
    TxLostBuffers { count: usize },
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Violation::RxIdMismatch { id, expected } => write!(
                f,
                "RX response with id {id} in the slot of request {expected} (never posted, \
                 already answered, or out of range); frame dropped"
            ),
            Violation::RxUnexpectedFlags { flags } => write!(
                f,
                "RX response with flags {flags:#x} (extra info or more data, which we did not \
                 negotiate); frame dropped"
            ),
            Violation::RxOutsidePage { offset, len } => write!(
                f,
                "RX response of {len} bytes at offset {offset} runs past its page; frame dropped"
            ),
            Violation::TxUnknownId { id } => {
                write!(
                    f,
                    "TX response for id {id}, which is not in flight; ignored"
                )
            }
            Violation::TxUnexpectedStatus { id, status } => {
                // As i32: the image then needs no separate i16 formatting code.
                write!(
                    f,
                    "TX response for id {id} with status {}",
                    i32::from(status)
                )
            }
            Violation::TxLostBuffers { count } => write!(
                f,
                "every TX request was answered but {count} buffers never were; reclaimed"
            ),
        }
    }
}

/// Where the RX stream is: at the start of a frame, or in the slots of one being dropped.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum RxContinuation {
    /// The next response starts a frame.
    FrameStart,
    /// The next response is an extra-info slot; then data slots follow if `then_data`.
    ExtraInfo { then_data: bool },
    /// The next response is a data slot of the frame being dropped.
    Data,
}

/// A posted RX page.
#[derive(Clone, Copy, Debug)]
struct RxBuffer {
    memory: SharedMemory,
    gref: GrantRef,
}

/// A TX buffer: half a page.
#[derive(Clone, Copy, Debug)]
struct TxBuffer {
    memory: SharedMemory,
    gref: GrantRef,
    offset: u16,
    in_flight: bool,
}

/// Grants pages to the backend, remembering each so they can all be ended.
struct Granter<'g> {
    grants: &'g Mutex<GrantTable>,
    backend: DomId,
    refs: Vec<GrantRef>,
}

impl Granter<'_> {
    fn grant(&mut self, gfn: Gfn, readonly: bool, what: &'static str) -> Result<GrantRef, Error> {
        let gref = self
            .grants
            .lock()
            .grant_access(self.backend, gfn, readonly)
            .map_err(|error| Error::from(ErrorKind::Grant { what, error }))?;
        self.refs.push(gref);
        Ok(gref)
    }
}

/// Ends every grant in `refs` that the peer does not map any more; keeps the others.
fn end_grants(grants: &Mutex<GrantTable>, refs: &mut Vec<GrantRef>, frontend: &str) {
    let mut table = grants.lock();
    refs.retain(|&gref| match table.end_access(gref) {
        Ok(()) => false,
        Err(grant_table::Error::InUse(_)) => true,
        Err(error) => {
            log::warn!("netfront {frontend}: ending grant {gref}: {error}");
            false
        }
    });
}

/// Takes `pages` pages from `alloc`, checking the size.
fn allocate(
    alloc: &dyn Fn(usize) -> Option<SharedPages>,
    pages: usize,
    what: &'static str,
) -> Result<SharedPages, Error> {
    alloc(pages)
        .filter(|region| region.memory.len() == pages * PAGE)
        .ok_or_else(|| ErrorKind::Allocation { what, pages }.into())
}

/// Parses `00:16:3e:01:02:03`: six two-digit hex bytes; multicast and all-zero refused.
fn parse_mac(value: &str) -> Option<[u8; 6]> {
    let mut mac = [0; 6];
    let mut parts = value.split(':');
    for byte in &mut mac {
        let part = parts.next()?;
        if part.len() != 2 || !part.bytes().all(|b| b.is_ascii_hexdigit()) {
            return None;
        }
        *byte = u8::from_str_radix(part, 16).ok()?;
    }
    let unicast = mac[0] & 1 == 0 && mac != [0; 6];
    (parts.next().is_none() && unicast).then_some(mac)
}

/// A connected (or, after the backend went away, disconnected) Xen network interface.
#[derive(Debug)]
pub struct Netfront<'a, H: Hypervisor> {
    hypervisor: &'a H,
    grants: &'a Mutex<GrantTable>,
    device: XenbusDevice,
    watch_token: String,
    mac: [u8; 6],
    port: EventChannelPort,
    port_closed: bool,
    /// The state we last published.
    frontend_state: XenbusState,
    down: Option<DownReason>,
    /// Every grant not yet ended: rings and buffers.
    granted: Vec<GrantRef>,
    tx_ring_ref: GrantRef,
    rx_ring_ref: GrantRef,

    rx: NetRxFrontRing,
    rx_buffers: Vec<RxBuffer>,
    /// For each RX ring slot, the buffer whose request was written in it.
    rx_posted: Vec<u16>,
    /// Our request producer index (the ring's `req_prod_pvt`).
    rx_req_index: u32,
    /// Our response consumer index (the ring's `rsp_cons`).
    rx_rsp_index: u32,
    rx_continuation: RxContinuation,
    /// Recycled buffers are written but not published.
    rx_unpushed: bool,
    /// The event fired (or we have not yet looked since arming `rsp_event`).
    rx_work: bool,

    tx: NetTxFrontRing,
    tx_buffers: Vec<TxBuffer>,
    tx_free: Vec<u16>,
    tx_in_flight: usize,
    tx_unpushed: bool,
    tx_work: bool,

    stats: DeviceStats,
}

impl<'a, H: Hypervisor> Netfront<'a, H> {
    /// Connects to the backend of `device/vif/<index>` and returns the interface, up.
    ///
    /// `alloc(n)` must return `n` zeroed, page-aligned, contiguous pages that are never freed
    /// or reused (a grant may outlive the driver); [`SharedPages::identity_mapped`] wraps what
    /// the kernel's page allocator hands out. About 330 pages are taken: two rings, 256 RX
    /// pages and 64 TX pages, each granted to the backend (so `grants` needs as many free
    /// references). Waits at most [`CONNECT_TIMEOUT_NS`] for the backend.
    ///
    /// Registers a xenstore watch on the backend's `state` with token
    /// [`watch_token`](Self::watch_token); its events (one per state change during the
    /// handshake, too) must be passed to [`handle_watch_event`](Self::handle_watch_event).
    // Out of line: inlined into `xen::net::open` (its one caller in the image) it cost 1.3 KB.
    #[inline(never)]
    pub fn connect(
        hypervisor: &'a H,
        store: &mut XenStore<'_, H>,
        grants: &'a Mutex<GrantTable>,
        alloc: &dyn Fn(usize) -> Option<SharedPages>,
        index: u32,
    ) -> Result<Self, Error> {
        let frontend = format!("device/vif/{index}");
        let device = store.xenbus_device(&frontend)?;
        let mac_path = device.frontend_node("mac");
        let value = store.read(&mac_path)?;
        let Some(mac) = parse_mac(&value) else {
            return Err(ErrorKind::InvalidMac {
                path: mac_path,
                value: crate::types::truncated(&value, 64),
            }
            .into());
        };
        let deadline = hypervisor.now_ns().saturating_add(CONNECT_TIMEOUT_NS);

        // Start from Initialising: a device left Closed by an earlier connection reopens.
        let state = match store.read_xenbus_state(&frontend) {
            Ok(state) => state,
            Err(error) if error.is_missing_node() => XenbusState::Unknown,
            Err(error) => return Err(error.into()),
        };
        if state != XenbusState::Initialising {
            store.switch_xenbus_state(&frontend, state, XenbusState::Initialising)?;
        }

        let watch_token = format!("xenolith-netfront-{index}");
        let backend_state = device.backend_node("state");
        store.watch(&backend_state, &watch_token)?;
        let result =
            Self::early_backend_checks(hypervisor, store, &device, deadline).and_then(|()| {
                Self::allocate(hypervisor, grants, alloc, device.clone(), mac, &watch_token)
            });
        let mut netfront = match result {
            Ok(netfront) => netfront,
            Err(error) => {
                let _ = store.unwatch(&backend_state, &watch_token);
                return Err(error);
            }
        };
        match netfront.handshake(store, deadline) {
            Ok(()) => {
                log::info!(
                    "netfront {}: connected to {} (domain {}), MAC {}",
                    netfront.device.frontend,
                    netfront.device.backend,
                    netfront.device.backend_id,
                    Mac(netfront.mac)
                );
                Ok(netfront)
            }
            Err(error) => {
                netfront.abandon(store);
                Err(error)
            }
        }
    }

    /// Waits for the backend to publish its features (InitWait) and checks them.
    fn early_backend_checks(
        hypervisor: &H,
        store: &mut XenStore<'_, H>,
        device: &XenbusDevice,
        deadline: u64,
    ) -> Result<(), Error> {
        store.wait_for_xenbus_state(
            hypervisor,
            &device.backend,
            XenbusState::InitWait,
            deadline,
        )?;
        let path = device.backend_node("feature-rx-copy");
        match store.read_u64(&path) {
            Ok(1) => Ok(()),
            Ok(_) => Err(ErrorKind::MissingBackendFeature { path }.into()),
            Err(error) if error.errno() == Some(Errno::ENOENT) => {
                Err(ErrorKind::MissingBackendFeature { path }.into())
            }
            Err(error) => Err(error.into()),
        }
    }

    /// Allocates and grants the rings and buffers, allocates the event channel and posts every
    /// RX buffer. On failure, ends the grants it made (the backend knows none of them yet).
    fn allocate(
        hypervisor: &'a H,
        grants: &'a Mutex<GrantTable>,
        alloc: &dyn Fn(usize) -> Option<SharedPages>,
        device: XenbusDevice,
        mac: [u8; 6],
        watch_token: &str,
    ) -> Result<Self, Error> {
        let mut granter = Granter {
            grants,
            backend: device.backend_id,
            refs: Vec::new(),
        };
        let result = Self::allocate_with(hypervisor, &mut granter, alloc, device, mac, watch_token);
        if result.is_err() {
            end_grants(grants, &mut granter.refs, "(connecting)");
        }
        result
    }

    fn allocate_with(
        hypervisor: &'a H,
        granter: &mut Granter<'a>,
        alloc: &dyn Fn(usize) -> Option<SharedPages>,
        device: XenbusDevice,
        mac: [u8; 6],
        watch_token: &str,
    ) -> Result<Self, Error> {
        let tx_ring_pages = allocate(alloc, 1, "the TX ring")?;
        let rx_ring_pages = allocate(alloc, 1, "the RX ring")?;
        let tx = NetTxFrontRing::init(tx_ring_pages.memory)
            .map_err(|error| Error::from(ErrorKind::Ring(error)))?;
        let mut rx = NetRxFrontRing::init(rx_ring_pages.memory)
            .map_err(|error| Error::from(ErrorKind::Ring(error)))?;
        let tx_ring_ref = granter.grant(tx_ring_pages.gfn, false, "the TX ring")?;
        let rx_ring_ref = granter.grant(rx_ring_pages.gfn, false, "the RX ring")?;

        let rx_slots = rx.size() as usize;
        let rx_pages = allocate(alloc, rx_slots, "RX buffers")?;
        let mut rx_buffers = Vec::with_capacity(rx_slots);
        for i in 0..rx_slots {
            let gfn = Gfn(rx_pages.gfn.0 + i as u64);
            rx_buffers.push(RxBuffer {
                memory: rx_pages.memory.slice(i * PAGE, PAGE),
                gref: granter.grant(gfn, false, "an RX buffer")?,
            });
        }

        let tx_pages = allocate(alloc, TX_PAGES, "TX buffers")?;
        let mut tx_buffers = Vec::with_capacity(TX_BUFFERS);
        for page in 0..TX_PAGES {
            let gfn = Gfn(tx_pages.gfn.0 + page as u64);
            let gref = granter.grant(gfn, true, "a TX buffer")?;
            for offset in (0..PAGE).step_by(TX_BUFFER_SIZE) {
                tx_buffers.push(TxBuffer {
                    memory: tx_pages.memory.slice(page * PAGE + offset, TX_BUFFER_SIZE),
                    gref,
                    offset: offset as u16,
                    in_flight: false,
                });
            }
        }

        let port = hypervisor
            .event_channel_alloc_unbound(device.backend_id)
            .map_err(|errno| {
                Error::from(ErrorKind::EventChannel {
                    op: "EVTCHNOP_alloc_unbound",
                    errno,
                })
            })?;
        if let Err(errno) = hypervisor.event_channel_unmask(port) {
            let _ = hypervisor.event_channel_close(port);
            return Err(ErrorKind::EventChannel {
                op: "EVTCHNOP_unmask",
                errno,
            }
            .into());
        }

        // Post every RX buffer, buffer i in slot i.
        let mut rx_posted = Vec::with_capacity(rx_slots);
        for (id, buffer) in rx_buffers.iter().enumerate() {
            let request = netif_rx_request {
                id: id as u16,
                pad: 0,
                gref: buffer.gref.0,
            };
            // Cannot fail: the ring has exactly `rx_slots` free slots.
            let _ = rx.push_request(request);
            rx_posted.push(id as u16);
        }
        // The backend reads the ring when it connects: there is nobody to notify yet.
        let _before_connect = rx.push_requests_and_check_notify();

        Ok(Netfront {
            hypervisor,
            grants: granter.grants,
            watch_token: watch_token.into(),
            mac,
            port,
            port_closed: false,
            frontend_state: XenbusState::Initialising,
            down: None,
            granted: core::mem::take(&mut granter.refs),
            tx_ring_ref,
            rx_ring_ref,
            rx,
            rx_buffers,
            rx_posted,
            rx_req_index: rx_slots as u32,
            rx_rsp_index: 0,
            rx_continuation: RxContinuation::FrameStart,
            rx_unpushed: false,
            rx_work: true,
            tx,
            tx_buffers,
            tx_free: (0..TX_BUFFERS as u16).rev().collect(),
            tx_in_flight: 0,
            tx_unpushed: false,
            tx_work: true,
            stats: DeviceStats::default(),
            device,
        })
    }

    /// Publishes the connection details, switches to Connected and waits for the backend.
    fn handshake(&mut self, store: &mut XenStore<'_, H>, deadline: u64) -> Result<(), Error> {
        let node = |name: &str| self.device.frontend_node(name);
        let details = [
            (node("tx-ring-ref"), format!("{}", self.tx_ring_ref)),
            (node("rx-ring-ref"), format!("{}", self.rx_ring_ref)),
            (node("event-channel"), format!("{}", self.port)),
            (node("request-rx-copy"), "1".into()),
            (node("feature-rx-notify"), "1".into()),
            (node("feature-sg"), "0".into()),
            (node("feature-gso-tcpv4"), "0".into()),
            (node("feature-no-csum-offload"), "1".into()),
            (node("state"), format!("{}", XenbusState::Initialised.raw())),
        ];
        store.transaction(|transaction| {
            for (path, value) in &details {
                transaction.write(path, value)?;
            }
            Ok(())
        })?;
        self.frontend_state = XenbusState::Initialised;
        self.switch_state(store, XenbusState::Connected)?;
        store.wait_for_xenbus_state(
            self.hypervisor,
            &self.device.backend,
            XenbusState::Connected,
            deadline,
        )?;
        Ok(())
    }

    /// After a failed handshake: stop watching, tell the backend we are closed, end what
    /// grants we can and close the event channel.
    fn abandon(&mut self, store: &mut XenStore<'_, H>) {
        let _ = store.unwatch(&self.device.backend_node("state"), &self.watch_token);
        if self.frontend_state != XenbusState::Initialising {
            let _ = self.switch_state(store, XenbusState::Closed);
        }
        self.release();
        self.close_port();
    }

    /// Publishes our state `to`.
    fn switch_state(&mut self, store: &mut XenStore<'_, H>, to: XenbusState) -> Result<(), Error> {
        store.switch_xenbus_state(&self.device.frontend, self.frontend_state, to)?;
        self.frontend_state = to;
        Ok(())
    }

    /// The event channel the backend signals; when the runtime's demultiplexer reports it,
    /// call [`handle_event`](Self::handle_event).
    pub fn port(&self) -> EventChannelPort {
        self.port
    }

    /// Tells netfront its event channel fired: the next [`receive`](NetDevice::receive) and
    /// [`flush`](NetDevice::flush) look at the rings.
    pub fn handle_event(&mut self) {
        self.rx_work = true;
        self.tx_work = true;
    }

    /// The token of the watch on the backend's `state`.
    pub fn watch_token(&self) -> &str {
        &self.watch_token
    }

    /// The frontend and backend directories and the backend's domain.
    pub fn device(&self) -> &XenbusDevice {
        &self.device
    }

    /// Why the link is down, if it is.
    pub fn down_reason(&self) -> Option<&DownReason> {
        self.down.as_ref()
    }

    /// How many grants are still in place (all of them while up; after going down, the ones
    /// the backend still maps).
    pub fn grants_outstanding(&self) -> usize {
        self.granted.len()
    }

    /// Handles a watch event: if it is ours (its token is [`watch_token`](Self::watch_token)),
    /// re-reads the backend's state ([`poll_backend_state`](Self::poll_backend_state)) and
    /// returns `Ok(true)`; other events are left alone (`Ok(false)`).
    pub fn handle_watch_event(
        &mut self,
        store: &mut XenStore<'_, H>,
        event: &WatchEvent,
    ) -> Result<bool, Error> {
        if event.token != self.watch_token {
            return Ok(false);
        }
        self.poll_backend_state(store)?;
        Ok(true)
    }

    /// Reads the backend's state and follows it, returning it (a missing `state` node reads as
    /// Closed).
    ///
    /// When the backend is Closing or Closed: the link goes down (the event channel is closed),
    /// grants are ended where the backend no longer maps them (again on each call, so the
    /// ring grants end once it has unmapped them) and we switch to Closed. When the link went
    /// down on our side (a broken ring) while the backend is still up, we switch to Closing so
    /// that it disconnects. A garbage state is counted as an error and returned; the link
    /// stays as it was.
    pub fn poll_backend_state(
        &mut self,
        store: &mut XenStore<'_, H>,
    ) -> Result<XenbusState, Error> {
        let state = match store.read_xenbus_state(&self.device.backend) {
            Ok(state) => state,
            Err(error) if error.is_missing_node() => {
                self.go_down(DownReason::BackendGone);
                XenbusState::Closed
            }
            Err(error) if matches!(error.kind(), xenbus::ErrorKind::InvalidState { .. }) => {
                self.stats.errors += 1;
                return Err(error.into());
            }
            Err(error) => return Err(error.into()),
        };
        if state.is_closing() {
            if self.down.is_none() {
                self.go_down(DownReason::BackendClosed(state));
            } else {
                self.release();
            }
            if self.frontend_state != XenbusState::Closed {
                self.switch_state(store, XenbusState::Closed)?;
            }
        } else if self.down.is_some() && self.frontend_state == XenbusState::Connected {
            self.switch_state(store, XenbusState::Closing)?;
        }
        Ok(state)
    }

    /// Takes the link down (once) for `reason` and ends the grants we can.
    fn go_down(&mut self, reason: DownReason) {
        if self.down.is_some() {
            return;
        }
        log::error!(
            "netfront {}: {reason}; the interface is down",
            self.device.frontend
        );
        self.down = Some(reason);
        self.release();
        self.close_port();
        if !self.granted.is_empty() {
            log::info!(
                "netfront {}: the backend still maps {} of our pages; they stay granted (and \
                 unused) until it lets go",
                self.device.frontend,
                self.granted.len()
            );
        }
    }

    /// Ends every grant the backend does not map, keeping the others for a later call.
    fn release(&mut self) {
        end_grants(self.grants, &mut self.granted, &self.device.frontend);
    }

    /// Closes the event channel (once): nothing is signalled on it any more.
    fn close_port(&mut self) {
        if !self.port_closed {
            self.port_closed = true;
            if let Err(errno) = self.hypervisor.event_channel_close(self.port) {
                log::warn!(
                    "netfront {}: closing event channel {}: {errno}",
                    self.device.frontend,
                    self.port
                );
            }
        }
    }

    /// Counts (and logs, the first few) a backend protocol violation.
    fn violation(&mut self, violation: Violation) {
        self.stats.errors += 1;
        if self.stats.errors <= VIOLATIONS_LOGGED {
            log::warn!(
                "netfront {}: backend protocol violation: {violation}",
                self.device.frontend
            );
            if self.stats.errors == VIOLATIONS_LOGGED {
                log::warn!(
                    "netfront {}: further violations are only counted",
                    self.device.frontend
                );
            }
        }
    }

    /// A ring's indexes are corrupt: nothing in it can be trusted any more.
    fn ring_broken(&mut self, ring: &'static str, error: RingError) {
        self.stats.errors += 1;
        self.go_down(DownReason::RingBroken { ring, error });
    }

    /// Checks the RX response that returned buffer `expected`; the frame's offset and length
    /// if it is one to deliver into a buffer of `capacity` bytes.
    fn check_rx(
        &mut self,
        response: netif_rx_response,
        expected: u16,
        capacity: usize,
    ) -> Option<(usize, usize)> {
        match self.rx_continuation {
            RxContinuation::FrameStart => {}
            RxContinuation::ExtraInfo { then_data } => {
                // A `netif_extra_info` overlays the response: type, then flags, in `id`.
                let more_extra = (response.id >> 8) as u8 & XEN_NETIF_EXTRA_FLAG_MORE != 0;
                self.rx_continuation = match (more_extra, then_data) {
                    (true, _) => RxContinuation::ExtraInfo { then_data },
                    (false, true) => RxContinuation::Data,
                    (false, false) => RxContinuation::FrameStart,
                };
                return None;
            }
            RxContinuation::Data => {
                if response.flags & NETRXF_more_data == 0 {
                    self.rx_continuation = RxContinuation::FrameStart;
                }
                return None;
            }
        }
        let flags = response.flags;
        let extra = flags & NETRXF_extra_info != 0;
        let more = flags & NETRXF_more_data != 0;
        if extra || more || flags & NETRXF_gso_prefix != 0 {
            self.rx_continuation = match (extra, more) {
                (true, then_data) => RxContinuation::ExtraInfo { then_data },
                (false, true) => RxContinuation::Data,
                (false, false) => RxContinuation::FrameStart,
            };
            self.stats.rx_dropped += 1;
            self.violation(Violation::RxUnexpectedFlags { flags });
            return None;
        }
        if response.id != expected {
            self.stats.rx_dropped += 1;
            self.violation(Violation::RxIdMismatch {
                id: response.id,
                expected,
            });
            return None;
        }
        if response.status <= 0 {
            // NETIF_RSP_ERROR / NETIF_RSP_DROPPED (or an empty frame): the backend's choice.
            self.stats.rx_dropped += 1;
            return None;
        }
        let (offset, len) = (response.offset as usize, response.status as usize);
        if offset + len > PAGE {
            self.stats.rx_dropped += 1;
            self.violation(Violation::RxOutsidePage {
                offset: response.offset,
                len,
            });
            return None;
        }
        if len > capacity {
            self.stats.rx_dropped += 1;
            return None;
        }
        Some((offset, len))
    }

    /// Writes a request for `buffer` in the next RX slot (published by `flush`).
    fn repost_rx(&mut self, buffer: u16) {
        // Ids are ours and in range; checked all the same (no panic path in the image).
        let Some(gref) = self.rx_buffers.get(buffer as usize).map(|b| b.gref.0) else {
            self.stats.errors += 1;
            return;
        };
        let request = netif_rx_request {
            id: buffer,
            pad: 0,
            gref,
        };
        if self.rx.push_request(request).is_err() {
            // Cannot happen: the response just taken freed a slot.
            self.stats.errors += 1;
            return;
        }
        let slot = (self.rx_req_index & (self.rx.size() - 1)) as usize;
        if let Some(posted) = self.rx_posted.get_mut(slot) {
            *posted = buffer;
        }
        self.rx_req_index = self.rx_req_index.wrapping_add(1);
        self.rx_unpushed = true;
    }

    /// Takes every TX response, freeing the buffers they name.
    fn reclaim_tx(&mut self) {
        while self.down.is_none() {
            match self.tx.take_response() {
                Some(Ok(response)) => self.complete_tx(response),
                Some(Err(error)) => self.ring_broken("TX", error),
                None if self.tx.final_check_for_responses() => {}
                None => {
                    self.tx_work = false;
                    break;
                }
            }
        }
        if self.tx_in_flight > 0 && self.tx.free_requests() == self.tx.size() {
            // Every request pushed has been answered, yet these never were.
            self.violation(Violation::TxLostBuffers {
                count: self.tx_in_flight,
            });
            for (id, buffer) in self.tx_buffers.iter_mut().enumerate() {
                if buffer.in_flight {
                    buffer.in_flight = false;
                    self.tx_free.push(id as u16);
                }
            }
            self.tx_in_flight = 0;
        }
    }

    fn complete_tx(&mut self, response: netif_tx_response) {
        let id = response.id;
        match self.tx_buffers.get_mut(id as usize) {
            Some(buffer) if buffer.in_flight => {
                buffer.in_flight = false;
                self.tx_free.push(id);
                self.tx_in_flight -= 1;
            }
            _ => return self.violation(Violation::TxUnknownId { id }),
        }
        match response.status {
            NETIF_RSP_OKAY => {}
            NETIF_RSP_ERROR | NETIF_RSP_DROPPED => self.stats.tx_dropped += 1,
            // NETIF_RSP_NULL answers extra-info slots, which we never send.
            status => self.violation(Violation::TxUnexpectedStatus { id, status }),
        }
    }
}

impl<H: Hypervisor> NetDevice for Netfront<'_, H> {
    fn mac_address(&self) -> [u8; 6] {
        self.mac
    }

    fn receive(&mut self, buffer: &mut [u8]) -> Option<usize> {
        while self.down.is_none() && self.rx_work {
            let response = match self.rx.take_response() {
                Some(Ok(response)) => response,
                Some(Err(error)) => {
                    self.ring_broken("RX", error);
                    break;
                }
                // Empty: ask for an event on the next response, then look once more.
                None if self.rx.final_check_for_responses() => continue,
                None => {
                    self.rx_work = false;
                    break;
                }
            };
            let slot = (self.rx_rsp_index & (self.rx.size() - 1)) as usize;
            self.rx_rsp_index = self.rx_rsp_index.wrapping_add(1);
            let posted = self.rx_posted.get(slot).copied().unwrap_or(u16::MAX);
            let mut frame = self.check_rx(response, posted, buffer.len());
            // `check_rx` vouched for the buffer and the length; checked again without panics.
            match (frame, self.rx_buffers.get(posted as usize)) {
                (Some((offset, len)), Some(rx)) if len <= buffer.len() => {
                    rx.memory
                        .read_bytes(offset, buffer.get_mut(..len).unwrap_or_default());
                }
                _ => frame = None,
            }
            self.repost_rx(posted);
            if let Some((_, len)) = frame {
                self.stats.rx_frames += 1;
                return Some(len);
            }
        }
        None
    }

    fn can_transmit(&self) -> bool {
        self.down.is_none() && !self.tx_free.is_empty() && self.tx.free_requests() > 0
    }

    fn transmit(&mut self, frame: &[u8]) -> bool {
        if self.down.is_none() && (self.tx_free.is_empty() || self.tx.free_requests() == 0) {
            self.reclaim_tx();
        }
        let fits = !frame.is_empty() && frame.len() <= self.max_frame_len().min(TX_BUFFER_SIZE);
        if self.down.is_some() || !fits || self.tx.free_requests() == 0 {
            self.stats.tx_dropped += 1;
            return false;
        }
        let Some(id) = self.tx_free.pop() else {
            self.stats.tx_dropped += 1;
            return false;
        };
        let Some(buffer) = self.tx_buffers.get_mut(id as usize) else {
            self.stats.tx_dropped += 1;
            return false;
        };
        buffer.memory.write_bytes(0, frame);
        let request = netif_tx_request {
            gref: buffer.gref.0,
            offset: buffer.offset,
            flags: 0,
            id,
            size: frame.len() as u16,
        };
        if self.tx.push_request(request).is_err() {
            self.tx_free.push(id);
            self.stats.tx_dropped += 1;
            return false;
        }
        buffer.in_flight = true;
        self.tx_in_flight += 1;
        self.tx_unpushed = true;
        self.stats.tx_frames += 1;
        true
    }

    fn flush(&mut self) {
        if self.down.is_some() {
            return;
        }
        if self.tx_work {
            self.reclaim_tx();
            if self.down.is_some() {
                return;
            }
        }
        let mut notify = false;
        if self.rx_unpushed {
            self.rx_unpushed = false;
            notify |= self.rx.push_requests_and_check_notify().needed();
        }
        if self.tx_unpushed {
            self.tx_unpushed = false;
            notify |= self.tx.push_requests_and_check_notify().needed();
        }
        if notify && let Err(errno) = self.hypervisor.event_channel_send(self.port) {
            self.stats.errors += 1;
            log::warn!(
                "netfront {}: notifying the backend on port {}: {errno}",
                self.device.frontend,
                self.port
            );
        }
    }

    fn is_up(&self) -> bool {
        self.down.is_none()
    }

    fn stats(&self) -> DeviceStats {
        self.stats
    }
}

#[cfg(test)]
mod tests;
