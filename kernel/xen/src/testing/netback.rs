//! A fake netback for netfront: the backend domain (dom0's netback) playing its side over the
//! real shared pages, the rings and buffers netfront allocated, reached through the grants it
//! made (`io/netif.h`). Netfront's unit tests (`netfront/tests.rs`) and the netfront fuzz
//! harness (fuzz/src/netfront.rs) both run against it.
//!
//! [`World`] puts it together: [`FakeXen`] with the netback as its peer, a grant table, and a
//! page allocator whose frames the netback can resolve (what Xen's p2m is to a backend), with
//! xenstore holding a vif's nodes. The netback follows the xenbus handshake on its own (it
//! connects when the frontend says Connected, or as [`ConnectOn`] says); everything on the rings
//! happens when the test says.
//!
//! It answers in two ways:
//! - checked ([`rx_take_request`](FakeNetback::rx_take_request),
//!   [`rx_respond`](FakeNetback::rx_respond), [`tx_take_requests`](FakeNetback::tx_take_requests),
//!   [`page`](FakeNetback::page), ...): what a well-behaved netback does, failing the test when
//!   the frontend does something a well-behaved one would not (a request missing, a ring
//!   overfilled, a buffer not granted as it should be);
//! - raw, for a hostile backend: the `try_` calls take what is there and say when something is
//!   off instead of failing, and [`BackRing::forge_response`] and [`BackRing::forge_index`]
//!   write any response or index, marking the ring [`forged`](BackRing::forged) (the frontend may
//!   then legitimately do odd things, such as post a request into a slot the backend has not
//!   consumed).

use crate::abi::grant_table::{GTF_permit_access, GTF_reading, GTF_readonly, GTF_writing};
use crate::abi::io::netif::{NETIF_RSP_OKAY, netif_tx_request};
use crate::abi::io::ring::SRING_HEADER_SIZE;
use crate::grant_table::GrantTable;
use crate::netfront::{Error, Netfront, SharedPages};
use crate::shared::SharedMemory;
use crate::testing::{FakeXen, FakeXenstored, Peer};
use crate::types::{DomId, EventChannelPort, Gfn};
use crate::xenstore::XenStore;
use alloc::collections::BTreeMap;
use alloc::format;
use alloc::rc::Rc;
use alloc::string::String;
use alloc::vec;
use alloc::vec::Vec;
use core::cell::{Cell, RefCell, RefMut};
use core::sync::atomic::Ordering;
use spin::Mutex;

/// Bytes in a page.
pub const PAGE: usize = SharedMemory::PAGE;
/// The frontend's xenstore directory (device 0).
pub const FRONTEND: &str = "device/vif/0";
/// The backend's xenstore directory (domain 7's vif 0, served by domain 0).
pub const BACKEND: &str = "/local/domain/0/backend/vif/7/0";
/// The MAC address in the frontend's `mac` node.
pub const MAC: &str = "00:16:3e:5a:01:02";
/// Frames of the grant table.
pub const GRANT_FRAMES: u32 = 4;
/// Slots in each ring (one page of 8- and 12-octet entries, rounded down to a power of two).
pub const RING_SIZE: u32 = 256;
/// More frames than one receive loop can take in one go from a 256-slot ring, with slack:
/// [`World::poll`] fails past it.
pub const MAX_FRAMES_PER_POLL: usize = 4 * RING_SIZE as usize;

/// Offsets of the shared ring's indexes (`struct name_sring`).
pub const REQ_PROD: usize = 0;
pub const REQ_EVENT: usize = 4;
pub const RSP_PROD: usize = 8;
pub const RSP_EVENT: usize = 12;

/// Guest frames → the pages the allocator handed out: what Xen's p2m is to a backend.
pub type Frames = Rc<RefCell<BTreeMap<u64, SharedMemory>>>;

/// A recognisable frame of `len` octets (`seed` says which).
pub fn frame(len: usize, seed: u8) -> Vec<u8> {
    (0..len)
        .map(|i| (i as u8).wrapping_mul(31).wrapping_add(seed))
        .collect()
}

/// An RX response's octets (`struct netif_rx_response`).
pub fn rx_response(id: u16, offset: u16, flags: u16, status: i16) -> [u8; 8] {
    let mut bytes = [0; 8];
    bytes[0..2].copy_from_slice(&id.to_le_bytes());
    bytes[2..4].copy_from_slice(&offset.to_le_bytes());
    bytes[4..6].copy_from_slice(&flags.to_le_bytes());
    bytes[6..8].copy_from_slice(&status.to_le_bytes());
    bytes
}

/// A TX response's octets (`struct netif_tx_response`).
pub fn tx_response(id: u16, status: i16) -> [u8; 4] {
    let mut bytes = [0; 4];
    bytes[..2].copy_from_slice(&id.to_le_bytes());
    bytes[2..].copy_from_slice(&status.to_le_bytes());
    bytes
}

/// The backend's view of one shared ring (`struct name_back_ring`).
#[derive(Debug)]
pub struct BackRing {
    pub memory: SharedMemory,
    /// Octets in a request slot.
    pub entry: usize,
    pub req_cons: u32,
    pub rsp_prod_pvt: u32,
    /// A raw response or index was written ([`forge_response`](Self::forge_response),
    /// [`forge_index`](Self::forge_index)): what the frontend does since need not be what a
    /// frontend does with an honest backend.
    pub forged: bool,
}

impl BackRing {
    const SIZE: u32 = RING_SIZE;

    fn new(memory: SharedMemory, entry: usize) -> BackRing {
        BackRing {
            memory,
            entry,
            req_cons: 0,
            rsp_prod_pvt: 0,
            forged: false,
        }
    }

    pub fn req_prod(&self) -> u32 {
        self.memory.load_u32(REQ_PROD, Ordering::SeqCst)
    }

    /// Requests published and not yet consumed; fails if the frontend overfilled the ring.
    pub fn unconsumed_requests(&self) -> u32 {
        let pending = self.req_prod().wrapping_sub(self.req_cons);
        assert!(pending <= Self::SIZE, "the frontend overfilled the ring");
        pending
    }

    fn slot(&self, index: u32) -> usize {
        SRING_HEADER_SIZE + (index & (Self::SIZE - 1)) as usize * self.entry
    }

    /// The `len` octets of slot `index`.
    pub fn read(&self, index: u32, len: usize) -> Vec<u8> {
        let mut bytes = vec![0; len];
        self.memory.read_bytes(self.slot(index), &mut bytes);
        bytes
    }

    /// Writes `bytes` into slot `index`.
    pub fn write(&self, index: u32, bytes: &[u8]) {
        self.memory.write_bytes(self.slot(index), bytes);
    }

    /// The next unconsumed request's index and octets, consumed; `None` when there is none,
    /// or when `req_prod` claims more than the ring holds.
    pub fn try_take_request(&mut self) -> Option<(u32, Vec<u8>)> {
        let pending = self.req_prod().wrapping_sub(self.req_cons);
        if pending == 0 || pending > Self::SIZE {
            return None;
        }
        let index = self.req_cons;
        let bytes = self.read(index, self.entry);
        self.req_cons = index.wrapping_add(1);
        Some((index, bytes))
    }

    /// Writes a response into the next response slot (unpublished).
    pub fn respond(&mut self, bytes: &[u8]) {
        self.write(self.rsp_prod_pvt, bytes);
        self.rsp_prod_pvt = self.rsp_prod_pvt.wrapping_add(1);
    }

    /// Writes any response into the next response slot (unpublished), answering no request.
    pub fn forge_response(&mut self, bytes: &[u8]) {
        self.forged = true;
        self.respond(bytes);
    }

    /// Writes `value` into the index at `field` ([`RSP_PROD`], [`REQ_EVENT`], ...); for
    /// `rsp_prod`, the next response goes after it.
    pub fn forge_index(&mut self, field: usize, value: u32) {
        self.forged = true;
        self.memory.store_u32(field, value, Ordering::SeqCst);
        if field == RSP_PROD {
            self.rsp_prod_pvt = value;
        }
    }

    /// `RING_PUSH_RESPONSES_AND_CHECK_NOTIFY`.
    pub fn push_responses(&mut self) -> bool {
        let old = self.memory.load_u32(RSP_PROD, Ordering::SeqCst);
        let new = self.rsp_prod_pvt;
        self.memory.store_u32(RSP_PROD, new, Ordering::SeqCst);
        let event = self.memory.load_u32(RSP_EVENT, Ordering::SeqCst);
        new.wrapping_sub(event) < new.wrapping_sub(old)
    }

    /// Asks for an event on the next request (`RING_FINAL_CHECK_FOR_REQUESTS`).
    pub fn arm_req_event(&self) {
        self.memory
            .store_u32(REQ_EVENT, self.req_cons.wrapping_add(1), Ordering::SeqCst);
    }
}

/// When the fake netback connects.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ConnectOn {
    /// When the frontend says Connected (Linux's netback).
    FrontendConnected,
    /// When the frontend says Initialised (QEMU's backends).
    FrontendInitialised,
    /// Never: it stays in InitWait.
    Never,
    /// It goes to Closing instead.
    Refuse,
}

/// An RX request as the backend reads it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RxRequest {
    /// The slot it came in (and its response goes to).
    pub index: u32,
    pub id: u16,
    pub gref: u32,
}

/// The rings and event channel of a connected netback.
#[derive(Debug)]
pub struct Connection {
    pub tx: BackRing,
    pub rx: BackRing,
    pub port: EventChannelPort,
    /// The grants of the TX and RX ring pages, mapped.
    pub ring_refs: [u32; 2],
}

/// The backend domain (dom0's netback), over the real pages and grant entries.
#[derive(Debug)]
pub struct FakeNetback {
    pub domid: DomId,
    pub grant_table: SharedMemory,
    pub frames: Frames,
    pub connect_on: ConnectOn,
    pub connection: Option<Connection>,
    /// Events the frontend sent us.
    pub kicks: u32,
    /// Events we sent the frontend and it has not yet been told about.
    pub notified: u32,
}

impl Peer for FakeNetback {
    fn on_wait(&mut self, xs: &mut FakeXenstored) {
        let state_path = format!("{BACKEND}/state");
        let backend = xs.get(&state_path).map(String::from);
        let frontend = xs.get(&format!("{FRONTEND}/state")).map(String::from);
        if backend.as_deref() == Some("1") {
            // Hotplug done, features published.
            xs.external_write(&state_path, "2");
            return;
        }
        match (&self.connection, frontend.as_deref()) {
            (Some(_), Some("5" | "6")) => {
                let connection = self.connection.take().unwrap();
                for gref in connection.ring_refs {
                    self.unmap(gref);
                }
                xs.external_write(&state_path, "6");
            }
            (None, Some(state)) if backend.as_deref() == Some("2") => {
                let wanted = match self.connect_on {
                    ConnectOn::FrontendConnected | ConnectOn::Refuse => "4",
                    ConnectOn::FrontendInitialised => "3",
                    ConnectOn::Never => return,
                };
                if state != wanted && !(wanted == "3" && state == "4") {
                    return;
                }
                if self.connect_on == ConnectOn::Refuse {
                    xs.external_write(&state_path, "5");
                    return;
                }
                self.connect(xs);
                xs.external_write(&state_path, "4");
            }
            _ => {}
        }
    }

    fn on_event(&mut self, port: EventChannelPort) {
        let connection = self.connection.as_ref().expect("event before connecting");
        assert_eq!(port, connection.port);
        self.kicks += 1;
    }
}

impl FakeNetback {
    fn entry(&self, gref: u32) -> usize {
        gref as usize * 8
    }

    /// The page behind grant `gref`, checked as Xen would for a map or copy by us (writable if
    /// `write`); what is wrong with the grant, if anything.
    pub fn grant(&self, gref: u32, write: bool) -> Result<SharedMemory, String> {
        let entry = self.entry(gref);
        if entry + 8 > self.grant_table.len() {
            return Err(format!("grant {gref} is outside the grant table"));
        }
        let flags = self.grant_table.load_u16(entry, Ordering::SeqCst);
        let domid = self.grant_table.load_u16(entry + 2, Ordering::SeqCst);
        let frame = self.grant_table.load_u32(entry + 4, Ordering::SeqCst);
        if flags & 3 != GTF_permit_access {
            return Err(format!("grant {gref} is not granted"));
        }
        if domid != self.domid.0 {
            return Err(format!("grant {gref} is for another domain"));
        }
        if write && flags & GTF_readonly != 0 {
            return Err(format!("grant {gref} is read-only"));
        }
        self.frames
            .borrow()
            .get(&u64::from(frame))
            .copied()
            .ok_or_else(|| format!("grant {gref}: granted frame is not guest memory"))
    }

    /// The page behind grant `gref`, which must be granted to us (writable if `write`).
    pub fn page(&self, gref: u32, write: bool) -> SharedMemory {
        self.grant(gref, write)
            .unwrap_or_else(|error| panic!("{error}"))
    }

    /// Maps a ring page: Xen marks the entry in use.
    fn map(&self, gref: u32) -> SharedMemory {
        let page = self.page(gref, true);
        let entry = self.entry(gref);
        let flags = self.grant_table.load_u16(entry, Ordering::SeqCst);
        self.grant_table
            .store_u16(entry, flags | GTF_reading | GTF_writing, Ordering::SeqCst);
        page
    }

    fn unmap(&self, gref: u32) {
        let entry = self.entry(gref);
        let flags = self.grant_table.load_u16(entry, Ordering::SeqCst);
        self.grant_table.store_u16(
            entry,
            flags & !(GTF_reading | GTF_writing),
            Ordering::SeqCst,
        );
    }

    fn connect(&mut self, xs: &FakeXenstored) {
        let read = |name: &str| -> u32 {
            xs.get(&format!("{FRONTEND}/{name}"))
                .unwrap_or_else(|| panic!("frontend did not write {name}"))
                .parse()
                .unwrap()
        };
        assert_eq!(read("request-rx-copy"), 1);
        assert_eq!(read("feature-rx-notify"), 1);
        let ring_refs = [read("tx-ring-ref"), read("rx-ring-ref")];
        self.connection = Some(Connection {
            tx: BackRing::new(self.map(ring_refs[0]), 12),
            rx: BackRing::new(self.map(ring_refs[1]), 8),
            port: EventChannelPort(read("event-channel")),
            ring_refs,
        });
    }

    /// The rings; fails if not connected.
    pub fn connection(&mut self) -> &mut Connection {
        self.connection.as_mut().expect("not connected")
    }

    // ---- RX (guest receive) ----

    /// The next posted RX request, consumed, if there is one.
    pub fn try_rx_take_request(&mut self) -> Option<RxRequest> {
        let (index, bytes) = self.connection().rx.try_take_request()?;
        Some(RxRequest {
            index,
            id: u16::from_le_bytes([bytes[0], bytes[1]]),
            gref: u32::from_le_bytes(bytes[4..8].try_into().unwrap()),
        })
    }

    /// The next posted RX request, consumed.
    pub fn rx_take_request(&mut self) -> RxRequest {
        assert!(
            self.connection().rx.unconsumed_requests() > 0,
            "no RX buffer posted"
        );
        self.try_rx_take_request().unwrap()
    }

    /// Writes the response for `request` (unpublished); netback answers in the request's slot.
    pub fn rx_respond(
        &mut self,
        request: RxRequest,
        id: u16,
        offset: u16,
        flags: u16,
        status: i16,
    ) {
        let rx = &mut self.connection().rx;
        assert_eq!(rx.rsp_prod_pvt, request.index);
        rx.respond(&rx_response(id, offset, flags, status));
    }

    /// Copies `frame` into the next posted buffer at `offset` and answers (unpublished).
    pub fn rx_copy(&mut self, frame: &[u8], offset: u16) {
        let request = self.rx_take_request();
        self.page(request.gref, true)
            .write_bytes(offset as usize, frame);
        self.rx_respond(request, request.id, offset, 0, frame.len() as i16);
    }

    /// Publishes the RX responses, notifying the frontend if it asked.
    pub fn rx_publish(&mut self) {
        if self.connection().rx.push_responses() {
            self.notified += 1;
        }
    }

    /// Delivers `frames` at offset 0 and publishes them.
    pub fn rx_deliver(&mut self, frames: &[&[u8]]) {
        for frame in frames {
            self.rx_copy(frame, 0);
        }
        self.rx_publish();
    }

    /// The ids of every RX request posted and not yet consumed.
    pub fn rx_posted_ids(&mut self) -> Vec<u16> {
        let rx = &self.connection().rx;
        (0..rx.unconsumed_requests())
            .map(|i| {
                let bytes = rx.read(rx.req_cons + i, 2);
                u16::from_le_bytes([bytes[0], bytes[1]])
            })
            .collect()
    }

    // ---- TX (guest transmit) ----

    /// The next published TX request, consumed, if there is one.
    pub fn try_tx_take_request(&mut self) -> Option<netif_tx_request> {
        let (_, b) = self.connection().tx.try_take_request()?;
        let u16_at = |i: usize| u16::from_le_bytes([b[i], b[i + 1]]);
        Some(netif_tx_request {
            gref: u32::from_le_bytes(b[0..4].try_into().unwrap()),
            offset: u16_at(4),
            flags: u16_at(6),
            id: u16_at(8),
            size: u16_at(10),
        })
    }

    /// Every published TX request, consumed (and an event asked for on the next).
    pub fn tx_take_requests(&mut self) -> Vec<netif_tx_request> {
        let mut requests = Vec::new();
        while self.connection().tx.unconsumed_requests() > 0 {
            requests.push(self.try_tx_take_request().unwrap());
        }
        self.connection().tx.arm_req_event();
        requests
    }

    /// The frame a TX request points at (read through a read-only grant copy); what is wrong
    /// with the request, if anything.
    pub fn try_tx_frame(&self, request: &netif_tx_request) -> Result<Vec<u8>, String> {
        let (offset, size) = (usize::from(request.offset), usize::from(request.size));
        if offset + size > PAGE {
            return Err(format!("TX request {} runs past its page", request.id));
        }
        let mut frame = vec![0; size];
        self.grant(request.gref, false)?
            .read_bytes(offset, &mut frame);
        Ok(frame)
    }

    /// The frame a TX request points at, which must be in a page granted to us.
    pub fn tx_frame(&self, request: &netif_tx_request) -> Vec<u8> {
        self.try_tx_frame(request)
            .unwrap_or_else(|error| panic!("{error}"))
    }

    /// Writes a TX response (unpublished).
    pub fn tx_respond(&mut self, id: u16, status: i16) {
        self.connection().tx.respond(&tx_response(id, status));
    }

    /// Publishes the TX responses, notifying the frontend if it asked.
    pub fn tx_publish(&mut self) {
        if self.connection().tx.push_responses() {
            self.notified += 1;
        }
    }

    /// Sends every published frame on the wire and answers OKAY.
    pub fn tx_send_all(&mut self) -> Vec<Vec<u8>> {
        let requests = self.tx_take_requests();
        let frames = requests.iter().map(|r| self.tx_frame(r)).collect();
        for request in &requests {
            assert_eq!(request.flags, 0);
            self.tx_respond(request.id, NETIF_RSP_OKAY);
        }
        self.tx_publish();
        frames
    }
}

/// Everything a netfront needs: the hypervisor with xenstored and netback, a grant table and a
/// page allocator whose frames the netback can resolve. Xenstore holds device 0's nodes
/// ([`FRONTEND`], [`BACKEND`], [`MAC`], `feature-rx-copy`), both ends in state 1
/// (Initialising); a test changes them before connecting to try other setups.
#[derive(Debug)]
pub struct World {
    pub xen: FakeXen<FakeNetback>,
    pub grants: Mutex<GrantTable>,
    pub frames: Frames,
    pub next_gfn: Cell<u64>,
    /// Allocation calls left before the allocator says no.
    pub allocations_left: Cell<usize>,
}

impl Default for World {
    fn default() -> Self {
        World::new()
    }
}

impl World {
    /// A netback that connects as Linux's does.
    pub fn new() -> World {
        World::with(ConnectOn::FrontendConnected)
    }

    pub fn with(connect_on: ConnectOn) -> World {
        let grant_table = SharedMemory::for_test(GRANT_FRAMES as usize * PAGE);
        let frames = Frames::default();
        let netback = FakeNetback {
            domid: DomId(0),
            grant_table,
            frames: frames.clone(),
            connect_on,
            connection: None,
            kicks: 0,
            notified: 0,
        };
        let world = World {
            xen: FakeXen::new(netback),
            grants: Mutex::new(GrantTable::new(grant_table, GRANT_FRAMES).unwrap()),
            frames,
            next_gfn: Cell::new(0x1000),
            allocations_left: Cell::new(usize::MAX),
        };
        {
            let mut xs = world.xen.xenstored();
            for (path, value) in [
                (format!("{FRONTEND}/backend"), BACKEND),
                (format!("{FRONTEND}/backend-id"), "0"),
                (format!("{FRONTEND}/mac"), MAC),
                (format!("{FRONTEND}/state"), "1"),
                (
                    format!("{BACKEND}/frontend"),
                    "/local/domain/7/device/vif/0",
                ),
                (format!("{BACKEND}/feature-rx-copy"), "1"),
                (format!("{BACKEND}/state"), "1"),
            ] {
                xs.tree.insert(path, value.into());
            }
        }
        world
    }

    /// The page allocator netfront is given: zeroed pages the netback can find by frame.
    pub fn alloc(&self, pages: usize) -> Option<SharedPages> {
        let left = self.allocations_left.get();
        if left == 0 {
            return None;
        }
        self.allocations_left.set(left - 1);
        let memory = SharedMemory::for_test(pages * PAGE);
        let gfn = Gfn(self.next_gfn.get());
        self.next_gfn.set(gfn.0 + pages as u64);
        let mut frames = self.frames.borrow_mut();
        for i in 0..pages {
            frames.insert(gfn.0 + i as u64, memory.slice(i * PAGE, PAGE));
        }
        Some(SharedPages { memory, gfn })
    }

    /// A xenstore client on the ring page.
    pub fn store(&self) -> XenStore<'_, FakeXen<FakeNetback>> {
        self.xen.client()
    }

    /// Connects netfront to device 0.
    pub fn connect<'w>(
        &'w self,
        store: &mut XenStore<'w, FakeXen<FakeNetback>>,
    ) -> Result<Netfront<'w, FakeXen<FakeNetback>>, Error> {
        Netfront::connect(
            &self.xen,
            store,
            &self.grants,
            &|pages| self.alloc(pages),
            0,
        )
    }

    pub fn netback(&self) -> RefMut<'_, FakeNetback> {
        self.xen.peer()
    }

    pub fn available_grants(&self) -> usize {
        self.grants.lock().available()
    }

    /// What the runtime does when the event channel fired: tell netfront. Whether it fired.
    pub fn deliver_events(&self, netfront: &mut Netfront<'_, FakeXen<FakeNetback>>) -> bool {
        let fired = core::mem::take(&mut self.netback().notified) > 0;
        if fired {
            netfront.handle_event();
        }
        fired
    }

    /// A runtime poll: events, every received frame, then flush. Fails if a frame is empty or
    /// larger than the buffer, or if receiving does not stop ([`MAX_FRAMES_PER_POLL`]).
    pub fn poll(&self, netfront: &mut Netfront<'_, FakeXen<FakeNetback>>) -> Vec<Vec<u8>> {
        use xenolith_device::NetDevice;
        self.deliver_events(netfront);
        let mut frames = Vec::new();
        let mut buffer = [0; 1514];
        while let Some(len) = netfront.receive(&mut buffer) {
            assert!((1..=buffer.len()).contains(&len), "received {len} octets");
            frames.push(buffer[..len].to_vec());
            assert!(frames.len() <= MAX_FRAMES_PER_POLL, "receive does not stop");
        }
        netfront.flush();
        frames
    }
}
