//! netfront against a fake netback that plays the backend over the real shared pages: the
//! rings and buffers netfront allocated, reached through the grants it made (`io/netif.h`).

extern crate std;

use super::*;
use crate::abi::grant_table::{GTF_permit_access, GTF_reading, GTF_readonly, GTF_writing};
use crate::abi::io::netif::{NETIF_RSP_NULL, NETRXF_data_validated};
use crate::abi::io::ring::SRING_HEADER_SIZE;
use crate::testing::{Change, FakeXen, FakeXenstored, Peer};
use crate::types::DomId;
use alloc::collections::{BTreeMap, BTreeSet};
use alloc::rc::Rc;
use alloc::string::ToString;
use alloc::vec;
use core::cell::{Cell, RefCell, RefMut};
use core::sync::atomic::Ordering;

const FRONTEND: &str = "device/vif/0";
const BACKEND: &str = "/local/domain/0/backend/vif/7/0";
const MAC: &str = "00:16:3e:5a:01:02";
const GRANT_FRAMES: u32 = 4;

const REQ_PROD: usize = 0;
const REQ_EVENT: usize = 4;
const RSP_PROD: usize = 8;
const RSP_EVENT: usize = 12;

/// Guest frames → the pages the test allocator handed out: what Xen's p2m is to a backend.
type Frames = Rc<RefCell<BTreeMap<u64, SharedMemory>>>;

/// The backend's view of one shared ring (`struct name_back_ring`).
struct BackRing {
    memory: SharedMemory,
    entry: usize,
    req_cons: u32,
    rsp_prod_pvt: u32,
}

impl BackRing {
    const SIZE: u32 = 256;

    fn req_prod(&self) -> u32 {
        self.memory.load_u32(REQ_PROD, Ordering::SeqCst)
    }

    fn unconsumed_requests(&self) -> u32 {
        let pending = self.req_prod().wrapping_sub(self.req_cons);
        assert!(pending <= Self::SIZE, "the frontend overfilled the ring");
        pending
    }

    fn slot(&self, index: u32) -> usize {
        SRING_HEADER_SIZE + (index & (Self::SIZE - 1)) as usize * self.entry
    }

    fn read(&self, index: u32, len: usize) -> Vec<u8> {
        let mut bytes = vec![0; len];
        self.memory.read_bytes(self.slot(index), &mut bytes);
        bytes
    }

    fn write(&self, index: u32, bytes: &[u8]) {
        self.memory.write_bytes(self.slot(index), bytes);
    }

    /// `RING_PUSH_RESPONSES_AND_CHECK_NOTIFY`.
    fn push_responses(&mut self) -> bool {
        let old = self.memory.load_u32(RSP_PROD, Ordering::SeqCst);
        let new = self.rsp_prod_pvt;
        self.memory.store_u32(RSP_PROD, new, Ordering::SeqCst);
        let event = self.memory.load_u32(RSP_EVENT, Ordering::SeqCst);
        new.wrapping_sub(event) < new.wrapping_sub(old)
    }

    /// Asks for an event on the next request (`RING_FINAL_CHECK_FOR_REQUESTS`).
    fn arm_req_event(&self) {
        self.memory
            .store_u32(REQ_EVENT, self.req_cons.wrapping_add(1), Ordering::SeqCst);
    }
}

/// When the fake netback connects.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum ConnectOn {
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
struct RxRequest {
    index: u32,
    id: u16,
    gref: u32,
}

struct Connection {
    tx: BackRing,
    rx: BackRing,
    port: EventChannelPort,
    ring_refs: [u32; 2],
}

/// The backend domain (dom0's netback), over the real pages and grant entries.
struct FakeNetback {
    domid: DomId,
    grant_table: SharedMemory,
    frames: Frames,
    connect_on: ConnectOn,
    connection: Option<Connection>,
    /// Events the frontend sent us.
    kicks: u32,
    /// Events we sent the frontend and it has not yet been told about.
    notified: u32,
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

    /// Checks grant `gref` as Xen would for a map or copy by us, and returns its page.
    fn page(&self, gref: u32, write: bool) -> SharedMemory {
        let entry = self.entry(gref);
        let flags = self.grant_table.load_u16(entry, Ordering::SeqCst);
        let domid = self.grant_table.load_u16(entry + 2, Ordering::SeqCst);
        let frame = self.grant_table.load_u32(entry + 4, Ordering::SeqCst);
        assert_eq!(flags & 3, GTF_permit_access, "grant {gref} is not granted");
        assert_eq!(domid, self.domid.0, "grant {gref} is for another domain");
        assert!(
            !write || flags & GTF_readonly == 0,
            "grant {gref} is read-only"
        );
        *self
            .frames
            .borrow()
            .get(&u64::from(frame))
            .expect("granted frame is not guest memory")
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
        let tx = BackRing {
            memory: self.map(ring_refs[0]),
            entry: 12,
            req_cons: 0,
            rsp_prod_pvt: 0,
        };
        let rx = BackRing {
            memory: self.map(ring_refs[1]),
            entry: 8,
            req_cons: 0,
            rsp_prod_pvt: 0,
        };
        self.connection = Some(Connection {
            tx,
            rx,
            port: EventChannelPort(read("event-channel")),
            ring_refs,
        });
    }

    fn connection(&mut self) -> &mut Connection {
        self.connection.as_mut().expect("not connected")
    }

    // ---- RX (guest receive) ----

    /// The next posted RX request, consumed.
    fn rx_take_request(&mut self) -> RxRequest {
        let rx = &mut self.connection().rx;
        assert!(rx.unconsumed_requests() > 0, "no RX buffer posted");
        let index = rx.req_cons;
        let bytes = rx.read(index, 8);
        rx.req_cons += 1;
        RxRequest {
            index,
            id: u16::from_le_bytes([bytes[0], bytes[1]]),
            gref: u32::from_le_bytes(bytes[4..8].try_into().unwrap()),
        }
    }

    /// Writes the response for `request` (unpublished); netback answers in the request's slot.
    fn rx_respond(&mut self, request: RxRequest, id: u16, offset: u16, flags: u16, status: i16) {
        let rx = &mut self.connection().rx;
        assert_eq!(rx.rsp_prod_pvt, request.index);
        let mut bytes = [0; 8];
        bytes[0..2].copy_from_slice(&id.to_le_bytes());
        bytes[2..4].copy_from_slice(&offset.to_le_bytes());
        bytes[4..6].copy_from_slice(&flags.to_le_bytes());
        bytes[6..8].copy_from_slice(&status.to_le_bytes());
        rx.write(request.index, &bytes);
        rx.rsp_prod_pvt += 1;
    }

    /// Copies `frame` into the next posted buffer at `offset` and answers (unpublished).
    fn rx_copy(&mut self, frame: &[u8], offset: u16) {
        let request = self.rx_take_request();
        self.page(request.gref, true)
            .write_bytes(offset as usize, frame);
        self.rx_respond(request, request.id, offset, 0, frame.len() as i16);
    }

    /// Publishes the RX responses, notifying the frontend if it asked.
    fn rx_publish(&mut self) {
        if self.connection().rx.push_responses() {
            self.notified += 1;
        }
    }

    /// Delivers `frames` at offset 0 and publishes them.
    fn rx_deliver(&mut self, frames: &[&[u8]]) {
        for frame in frames {
            self.rx_copy(frame, 0);
        }
        self.rx_publish();
    }

    /// The ids of every RX request posted and not yet consumed.
    fn rx_posted_ids(&mut self) -> Vec<u16> {
        let rx = &self.connection().rx;
        (0..rx.unconsumed_requests())
            .map(|i| {
                let bytes = rx.read(rx.req_cons + i, 2);
                u16::from_le_bytes([bytes[0], bytes[1]])
            })
            .collect()
    }

    // ---- TX (guest transmit) ----

    /// Every published TX request, consumed (and an event asked for on the next).
    fn tx_take_requests(&mut self) -> Vec<netif_tx_request> {
        let tx = &mut self.connection().tx;
        let mut requests = Vec::new();
        while tx.unconsumed_requests() > 0 {
            let b = tx.read(tx.req_cons, 12);
            let u16_at = |i: usize| u16::from_le_bytes([b[i], b[i + 1]]);
            requests.push(netif_tx_request {
                gref: u32::from_le_bytes(b[0..4].try_into().unwrap()),
                offset: u16_at(4),
                flags: u16_at(6),
                id: u16_at(8),
                size: u16_at(10),
            });
            tx.req_cons += 1;
        }
        tx.arm_req_event();
        requests
    }

    /// The frame a TX request points at (read through a read-only grant copy).
    fn tx_frame(&self, request: &netif_tx_request) -> Vec<u8> {
        assert!(request.offset as usize + request.size as usize <= PAGE);
        let mut frame = vec![0; request.size as usize];
        self.page(request.gref, false)
            .read_bytes(request.offset as usize, &mut frame);
        frame
    }

    /// Writes a TX response (unpublished).
    fn tx_respond(&mut self, id: u16, status: i16) {
        let tx = &mut self.connection().tx;
        let mut bytes = [0; 4];
        bytes[..2].copy_from_slice(&id.to_le_bytes());
        bytes[2..].copy_from_slice(&status.to_le_bytes());
        tx.write(tx.rsp_prod_pvt, &bytes);
        tx.rsp_prod_pvt += 1;
    }

    fn tx_publish(&mut self) {
        if self.connection().tx.push_responses() {
            self.notified += 1;
        }
    }

    /// Sends every published frame on the wire and answers OKAY.
    fn tx_send_all(&mut self) -> Vec<Vec<u8>> {
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

/// Everything a test needs: the hypervisor with xenstored and netback, a grant table and a page
/// allocator whose frames the netback can resolve.
struct World {
    xen: FakeXen<FakeNetback>,
    grants: Mutex<GrantTable>,
    frames: Frames,
    next_gfn: Cell<u64>,
    /// Allocation calls left before the allocator says no.
    allocations_left: Cell<usize>,
}

impl World {
    fn new() -> World {
        World::with(ConnectOn::FrontendConnected)
    }

    fn with(connect_on: ConnectOn) -> World {
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

    fn alloc(&self, pages: usize) -> Option<SharedPages> {
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

    fn store(&self) -> XenStore<'_, FakeXen<FakeNetback>> {
        self.xen.client()
    }

    fn connect<'w>(
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

    fn netback(&self) -> RefMut<'_, FakeNetback> {
        self.xen.peer()
    }

    fn available_grants(&self) -> usize {
        self.grants.lock().available()
    }

    /// What the runtime does when the event channel fired: tell netfront.
    fn deliver_events(&self, netfront: &mut Netfront<'_, FakeXen<FakeNetback>>) -> bool {
        let fired = core::mem::take(&mut self.netback().notified) > 0;
        if fired {
            netfront.handle_event();
        }
        fired
    }

    /// A runtime poll: events, every received frame, then flush.
    fn poll(&self, netfront: &mut Netfront<'_, FakeXen<FakeNetback>>) -> Vec<Vec<u8>> {
        self.deliver_events(netfront);
        let mut frames = Vec::new();
        let mut buffer = [0; 1514];
        while let Some(len) = netfront.receive(&mut buffer) {
            frames.push(buffer[..len].to_vec());
        }
        netfront.flush();
        frames
    }

    /// What the runtime does with xenstore watch events.
    fn dispatch_watches(
        &self,
        store: &mut XenStore<'_, FakeXen<FakeNetback>>,
        netfront: &mut Netfront<'_, FakeXen<FakeNetback>>,
    ) {
        while let Some(event) = store.poll_watch().unwrap() {
            assert!(netfront.handle_watch_event(store, &event).unwrap());
        }
    }
}

/// A recognisable frame of `len` bytes.
fn frame(len: usize, seed: u8) -> Vec<u8> {
    (0..len)
        .map(|i| (i as u8).wrapping_mul(31).wrapping_add(seed))
        .collect()
}

// ---- handshake ----

#[test]
fn handshake_reaches_connected() {
    let world = World::new();
    let mut store = world.store();
    let available = world.available_grants();
    let netfront = world.connect(&mut store).unwrap();
    assert!(netfront.is_up());
    assert_eq!(netfront.mac_address(), [0x00, 0x16, 0x3e, 0x5a, 0x01, 0x02]);
    assert_eq!(netfront.device().backend, BACKEND);
    assert_eq!(netfront.device().backend_id, DomId(0));
    // Two rings, 256 RX pages, 64 TX pages.
    assert_eq!(netfront.grants_outstanding(), 2 + 256 + 64);
    assert_eq!(world.available_grants(), available - 322);
    assert_eq!(
        world.xen.allocated.borrow().as_slice(),
        [(netfront.port(), DomId(0))]
    );

    let xs = world.xen.xenstored();
    let node = |name: &str| xs.get(&format!("{FRONTEND}/{name}")).map(String::from);
    assert_eq!(node("event-channel"), Some(netfront.port().to_string()));
    assert_eq!(node("request-rx-copy").as_deref(), Some("1"));
    assert_eq!(node("feature-rx-notify").as_deref(), Some("1"));
    assert_eq!(node("feature-sg").as_deref(), Some("0"));
    assert_eq!(node("feature-gso-tcpv4").as_deref(), Some("0"));
    assert_eq!(node("feature-no-csum-offload").as_deref(), Some("1"));
    assert_eq!(node("state").as_deref(), Some("4"));
    assert_eq!(xs.get(&format!("{BACKEND}/state")), Some("4"));
    // The details and Initialised arrive in one transaction, then Connected on its own.
    let ours: Vec<&Change> = xs
        .changes
        .iter()
        .filter(|c| c.path.starts_with(FRONTEND))
        .collect();
    assert_eq!(ours.len(), 10);
    let committed = ours[0].tx;
    assert_ne!(committed, 0);
    assert!(ours[..9].iter().all(|c| c.tx == committed));
    assert_eq!(ours[8].path, format!("{FRONTEND}/state"));
    assert_eq!(ours[8].value.as_deref(), Some("3"));
    assert_eq!((ours[9].tx, ours[9].value.as_deref()), (0, Some("4")));
    assert_eq!(xs.commits, 1);
    assert_eq!(
        xs.watched(),
        [(format!("{BACKEND}/state"), "xenolith-netfront-0".into())]
    );
    drop(xs);

    // Every RX buffer is posted, once each, in a writable grant.
    let mut netback = world.netback();
    let ids = netback.rx_posted_ids();
    assert_eq!(ids, (0..256).collect::<Vec<u16>>());
    let request = netback.rx_take_request();
    let _ = netback.page(request.gref, true);
}

#[test]
fn handshake_retries_a_conflicting_transaction() {
    let world = World::new();
    world.xen.xenstored().eagain_commits = 2;
    let mut store = world.store();
    let netfront = world.connect(&mut store).unwrap();
    assert!(netfront.is_up());
    let xs = world.xen.xenstored();
    assert_eq!(xs.commits, 1);
    let writes = xs
        .changes
        .iter()
        .filter(|c| c.path == format!("{FRONTEND}/tx-ring-ref"))
        .count();
    assert_eq!(writes, 1, "the aborted attempts wrote nothing");
}

#[test]
fn backend_that_connects_on_initialised() {
    let world = World::with(ConnectOn::FrontendInitialised);
    let mut store = world.store();
    let mut netfront = world.connect(&mut store).unwrap();
    world.netback().rx_deliver(&[&frame(60, 1)]);
    assert_eq!(world.poll(&mut netfront), [frame(60, 1)]);
}

#[test]
fn timeout_names_the_state_the_backend_is_stuck_in() {
    let world = World::with(ConnectOn::Never);
    let mut store = world.store();
    let available = world.available_grants();
    let start = world.xen.now_ns();
    let error = world.connect(&mut store).unwrap_err();
    assert!(
        matches!(
            error,
            Error::Xenbus(xenbus::Error::Timeout {
                state: Some(XenbusState::InitWait),
                wanted: XenbusState::Connected,
                ..
            })
        ),
        "{error:?}"
    );
    assert_eq!(world.xen.now_ns() - start, CONNECT_TIMEOUT_NS);
    let text = error.to_string();
    assert!(
        text.starts_with("netfront: the backend did not reach Connected (4) within "),
        "{text}"
    );
    assert!(
        text.contains(&format!("{BACKEND}/state stayed at InitWait (2)")),
        "{text}"
    );
    // Everything is given back: grants, event channel, watch; we said Closed.
    assert_eq!(world.available_grants(), available);
    assert_eq!(world.xen.closed.borrow().len(), 1);
    let xs = world.xen.xenstored();
    assert!(xs.watched().is_empty());
    assert_eq!(xs.get(&format!("{FRONTEND}/state")), Some("6"));
}

#[test]
fn backend_closing_during_the_handshake_is_an_error() {
    let world = World::with(ConnectOn::Refuse);
    let mut store = world.store();
    let error = world.connect(&mut store).unwrap_err();
    assert_eq!(
        error,
        Error::Xenbus(xenbus::Error::BackendClosed {
            path: format!("{BACKEND}/state"),
            state: XenbusState::Closing,
            wanted: XenbusState::Connected,
        })
    );
    assert!(error.to_string().contains("went to Closing (5)"), "{error}");
}

#[test]
fn missing_device_is_a_clear_error() {
    let world = World::new();
    let mut store = world.store();
    let error = Netfront::connect(
        &world.xen,
        &mut store,
        &world.grants,
        &|n| world.alloc(n),
        3,
    )
    .unwrap_err();
    assert_eq!(
        error.to_string(),
        "netfront: xenstore read of device/vif/3/backend failed: ENOENT (-2)"
    );
}

#[test]
fn bad_mac_is_refused() {
    for bad in [
        "",
        "00:16:3e:5a:01",
        "00:16:3e:5a:01:02:03",
        "01:16:3e:5a:01:02",
        "zz:16:3e:5a:01:02",
    ] {
        let world = World::new();
        world
            .xen
            .xenstored()
            .tree
            .insert(format!("{FRONTEND}/mac"), bad.into());
        let mut store = world.store();
        let error = world.connect(&mut store).unwrap_err();
        assert_eq!(
            error,
            Error::InvalidMac {
                path: format!("{FRONTEND}/mac"),
                value: bad.into()
            }
        );
        assert!(error.to_string().contains("fix the vif's mac= setting"));
    }
}

#[test]
fn mac_parsing() {
    assert_eq!(
        parse_mac("00:16:3E:ff:0a:b1"),
        Some([0, 0x16, 0x3e, 0xff, 0x0a, 0xb1])
    );
    for bad in [
        "00:16:3e:ff:0a",
        "00:16:3e:ff:0a:b1:",
        "0:16:3e:ff:0a:b1",
        "000:16:3e:ff:0a:b",
        "+0:16:3e:ff:0a:b1",
        "00-16-3e-ff-0a-b1",
        "ff:ff:ff:ff:ff:ff",
        "00:00:00:00:00:00",
        "00:16:3e:ff:0a:b\u{e9}",
    ] {
        assert_eq!(parse_mac(bad), None, "{bad}");
    }
    assert_eq!(
        Mac([0, 0x16, 0x3e, 1, 2, 0xab]).to_string(),
        "00:16:3e:01:02:ab"
    );
}

#[test]
fn backend_without_rx_copy_is_refused() {
    let world = World::new();
    world
        .xen
        .xenstored()
        .tree
        .remove(&format!("{BACKEND}/feature-rx-copy"));
    let mut store = world.store();
    let error = world.connect(&mut store).unwrap_err();
    assert_eq!(
        error,
        Error::MissingBackendFeature {
            path: format!("{BACKEND}/feature-rx-copy")
        }
    );
    assert!(world.xen.xenstored().watched().is_empty());
}

#[test]
fn failed_allocation_gives_back_the_grants() {
    for allowed in 0..4 {
        let world = World::new();
        world.allocations_left.set(allowed);
        let available = world.available_grants();
        let mut store = world.store();
        let error = world.connect(&mut store).unwrap_err();
        assert!(matches!(error, Error::Allocation { .. }), "{error:?}");
        assert!(error.to_string().contains("give the guest more memory"));
        assert_eq!(world.available_grants(), available);
        assert!(world.xen.allocated.borrow().is_empty());
    }
}

#[test]
fn event_channel_failure_is_reported() {
    let world = World::new();
    world.xen.alloc_error.set(Some(Errno::ENOSPC));
    let available = world.available_grants();
    let mut store = world.store();
    let error = world.connect(&mut store).unwrap_err();
    assert_eq!(
        error.to_string(),
        "netfront: EVTCHNOP_alloc_unbound failed: ENOSPC (-28)"
    );
    assert_eq!(world.available_grants(), available);
}

#[test]
fn a_closed_device_is_reopened() {
    let world = World::new();
    world
        .xen
        .xenstored()
        .tree
        .insert(format!("{FRONTEND}/state"), "6".into());
    let mut store = world.store();
    assert!(world.connect(&mut store).unwrap().is_up());
    let xs = world.xen.xenstored();
    let states: Vec<&str> = xs
        .changes
        .iter()
        .filter(|c| c.path == format!("{FRONTEND}/state"))
        .filter_map(|c| c.value.as_deref())
        .collect();
    assert_eq!(states, ["1", "3", "4"]);
}

// ---- RX ----

#[test]
fn receives_frames_of_various_sizes() {
    let world = World::new();
    let mut store = world.store();
    let mut netfront = world.connect(&mut store).unwrap();
    // Nothing yet: cheap, and rsp_event armed.
    assert_eq!(world.poll(&mut netfront), Vec::<Vec<u8>>::new());
    let sizes_and_offsets = [
        (14, 0),
        (60, 0),
        (64, 2),
        (100, 100),
        (1000, 3000),
        (1514, 4096 - 1514),
    ];
    {
        let mut netback = world.netback();
        for (i, &(len, offset)) in sizes_and_offsets.iter().enumerate() {
            netback.rx_copy(&frame(len, i as u8), offset);
        }
        netback.rx_publish();
        assert_eq!(netback.notified, 1, "the frontend asked for an event");
    }
    let expected: Vec<Vec<u8>> = sizes_and_offsets
        .iter()
        .enumerate()
        .map(|(i, &(len, _))| frame(len, i as u8))
        .collect();
    assert_eq!(world.poll(&mut netfront), expected);
    let stats = netfront.stats();
    assert_eq!((stats.rx_frames, stats.rx_dropped, stats.errors), (6, 0, 0));
    // The buffers are back: all 256 posted, each once.
    let mut ids = world.netback().rx_posted_ids();
    ids.sort_unstable();
    assert_eq!(ids, (0..256).collect::<Vec<u16>>());
}

#[test]
fn rx_buffers_are_recycled_across_many_laps_of_the_ring() {
    let world = World::new();
    let mut store = world.store();
    let mut netfront = world.connect(&mut store).unwrap();
    let mut grefs = BTreeSet::new();
    let mut received = 0;
    for round in 0..40u8 {
        {
            let mut netback = world.netback();
            for i in 0..100 {
                let request = netback.rx_take_request();
                grefs.insert(request.gref);
                let data = frame(60 + i, round);
                netback.page(request.gref, true).write_bytes(0, &data);
                netback.rx_respond(
                    request,
                    request.id,
                    0,
                    NETRXF_data_validated,
                    data.len() as i16,
                );
            }
            netback.rx_publish();
        }
        let frames = world.poll(&mut netfront);
        assert_eq!(frames.len(), 100);
        for (i, data) in frames.iter().enumerate() {
            assert_eq!(*data, frame(60 + i, round));
        }
        received += frames.len();
    }
    assert_eq!(received, 4000);
    assert_eq!(grefs.len(), 256, "the same 256 grants, reused");
    assert_eq!(netfront.stats().rx_frames, 4000);
    assert_eq!(netfront.stats().errors, 0);
}

#[test]
fn receive_without_an_event_touches_nothing_and_no_response_is_missed() {
    let world = World::new();
    let mut store = world.store();
    let mut netfront = world.connect(&mut store).unwrap();
    let mut buffer = [0; 1514];
    // Drain: rsp_event is armed for the next response.
    assert_eq!(netfront.receive(&mut buffer), None);
    // A frame arrives: the backend must notify (rsp_event asked for it).
    world.netback().rx_deliver(&[&frame(100, 7)]);
    assert_eq!(world.netback().notified, 1);
    // Until the runtime says the port fired, receive does not look.
    assert_eq!(netfront.receive(&mut buffer), None);
    assert!(world.deliver_events(&mut netfront));
    assert_eq!(netfront.receive(&mut buffer), Some(100));
    // Drained: rsp_event is re-armed before the last look.
    assert_eq!(netfront.receive(&mut buffer), None);
    // A frame published while we are not looking is announced.
    world.netback().rx_deliver(&[&frame(50, 8)]);
    assert_eq!(world.netback().notified, 1);
    assert_eq!(netfront.receive(&mut buffer), None, "not yet told");
    assert!(world.deliver_events(&mut netfront));
    assert_eq!(netfront.receive(&mut buffer), Some(50));
    assert_eq!(buffer[..50], frame(50, 8)[..]);
    // While the frontend is still draining it needs no event: it will look anyway.
    world.netback().rx_deliver(&[&frame(10, 1), &frame(11, 2)]);
    assert!(!world.deliver_events(&mut netfront));
    assert_eq!(netfront.receive(&mut buffer), Some(10));
    assert_eq!(netfront.receive(&mut buffer), Some(11));
    assert_eq!(netfront.receive(&mut buffer), None);
    // Dry again: the next frame is announced.
    world.netback().rx_deliver(&[&frame(12, 3)]);
    assert!(world.deliver_events(&mut netfront));
    assert_eq!(netfront.receive(&mut buffer), Some(12));
    assert_eq!(netfront.receive(&mut buffer), None);
}

#[test]
fn frame_larger_than_the_stacks_buffer_is_dropped() {
    let world = World::new();
    let mut store = world.store();
    let mut netfront = world.connect(&mut store).unwrap();
    world
        .netback()
        .rx_deliver(&[&frame(2000, 1), &frame(70, 2)]);
    assert_eq!(world.poll(&mut netfront), [frame(70, 2)]);
    let stats = netfront.stats();
    assert_eq!((stats.rx_dropped, stats.errors), (1, 0));
}

// ---- TX ----

#[test]
fn transmit_round_trip() {
    let world = World::new();
    let mut store = world.store();
    let mut netfront = world.connect(&mut store).unwrap();
    let frames: Vec<Vec<u8>> = [14, 60, 600, 1514]
        .iter()
        .enumerate()
        .map(|(i, &len)| frame(len, i as u8))
        .collect();
    assert!(netfront.can_transmit());
    for data in &frames {
        assert!(netfront.transmit(data));
    }
    // Not visible until flush.
    assert!(world.netback().tx_take_requests().is_empty());
    netfront.flush();
    assert_eq!(world.netback().kicks, 1, "the backend asked for an event");
    let sent = world.netback().tx_send_all();
    assert_eq!(sent, frames);
    assert_eq!(netfront.stats().tx_frames, 4);
    // The completion event reclaims the buffers.
    world.poll(&mut netfront);
    assert_eq!(netfront.tx_in_flight, 0);
    assert_eq!(netfront.tx_free.len(), TX_BUFFERS);
    // Again, many times round the ring.
    for round in 0..10u8 {
        for i in 0..100 {
            assert!(netfront.transmit(&frame(100 + i, round)));
        }
        world.poll(&mut netfront);
        let sent = world.netback().tx_send_all();
        assert_eq!(sent.len(), 100);
        assert_eq!(sent[99], frame(199, round));
        world.poll(&mut netfront);
    }
    let stats = netfront.stats();
    assert_eq!(
        (stats.tx_frames, stats.tx_dropped, stats.errors),
        (1004, 0, 0)
    );
}

#[test]
fn tx_buffers_are_read_only_to_the_backend() {
    let world = World::new();
    let mut store = world.store();
    let mut netfront = world.connect(&mut store).unwrap();
    assert!(netfront.transmit(&frame(60, 0)));
    netfront.flush();
    let request = world.netback().tx_take_requests()[0];
    let gref = request.gref;
    let flags = world
        .netback()
        .grant_table
        .load_u16(gref as usize * 8, Ordering::SeqCst);
    assert_eq!(flags, GTF_permit_access | GTF_readonly);
}

#[test]
fn transmit_refuses_what_does_not_fit() {
    let world = World::new();
    let mut store = world.store();
    let mut netfront = world.connect(&mut store).unwrap();
    assert!(!netfront.transmit(&[]));
    assert!(!netfront.transmit(&frame(1515, 0)));
    assert!(!netfront.transmit(&frame(5000, 0)));
    assert!(netfront.transmit(&frame(1514, 0)));
    assert_eq!(netfront.stats().tx_dropped, 3);
    assert_eq!(netfront.stats().tx_frames, 1);
}

#[test]
fn transmit_when_every_buffer_is_in_flight() {
    let world = World::new();
    let mut store = world.store();
    let mut netfront = world.connect(&mut store).unwrap();
    for i in 0..TX_BUFFERS {
        assert!(netfront.transmit(&frame(60, i as u8)));
    }
    assert!(!netfront.can_transmit());
    assert!(!netfront.transmit(&frame(60, 0)));
    assert_eq!(netfront.stats().tx_dropped, 1);
    netfront.flush();
    let sent = world.netback().tx_send_all();
    assert_eq!(sent.len(), TX_BUFFERS);
    // Without waiting for the event, transmit reclaims what has completed.
    assert!(netfront.transmit(&frame(60, 1)));
    assert_eq!(netfront.tx_free.len(), TX_BUFFERS - 1);
}

#[test]
fn tx_error_statuses_free_the_buffer() {
    let world = World::new();
    let mut store = world.store();
    let mut netfront = world.connect(&mut store).unwrap();
    for i in 0..3 {
        assert!(netfront.transmit(&frame(60, i)));
    }
    netfront.flush();
    {
        let mut netback = world.netback();
        let requests = netback.tx_take_requests();
        netback.tx_respond(requests[0].id, NETIF_RSP_ERROR);
        netback.tx_respond(requests[1].id, NETIF_RSP_DROPPED);
        // NULL answers extra-info slots, which we never send.
        netback.tx_respond(requests[2].id, NETIF_RSP_NULL);
        netback.tx_publish();
    }
    world.poll(&mut netfront);
    let stats = netfront.stats();
    assert_eq!((stats.tx_dropped, stats.errors), (2, 1));
    assert_eq!(netfront.tx_free.len(), TX_BUFFERS);
}

#[test]
fn flush_notifies_only_when_the_backend_asked() {
    let world = World::new();
    let mut store = world.store();
    let mut netfront = world.connect(&mut store).unwrap();
    assert!(netfront.transmit(&frame(60, 0)));
    netfront.flush();
    assert_eq!(world.netback().kicks, 1);
    // The backend is busy: it does not ask for the next requests.
    assert!(netfront.transmit(&frame(60, 1)));
    netfront.flush();
    assert_eq!(world.netback().kicks, 1);
    // It catches up and asks again.
    world.netback().tx_send_all();
    assert!(netfront.transmit(&frame(60, 2)));
    netfront.flush();
    assert_eq!(world.netback().kicks, 2);
    // Nothing new: no event.
    netfront.flush();
    assert_eq!(world.netback().kicks, 2);
}

// ---- a hostile backend ----

/// Connects, then runs `attack` with the netback, then checks the frontend survived, counted
/// `errors` protocol violations and `rx_dropped` drops, and still receives and sends.
fn survives(
    attack: impl FnOnce(&mut FakeNetback),
    errors: u64,
    rx_dropped: u64,
    expected: &[Vec<u8>],
) {
    let world = World::new();
    let mut store = world.store();
    let mut netfront = world.connect(&mut store).unwrap();
    world.poll(&mut netfront);
    attack(&mut world.netback());
    assert_eq!(world.poll(&mut netfront), expected);
    let stats = netfront.stats();
    assert!(netfront.is_up());
    assert_eq!((stats.errors, stats.rx_dropped), (errors, rx_dropped));

    // Valid traffic still flows, and every buffer is posted exactly once.
    world.netback().rx_deliver(&[&frame(300, 9)]);
    assert_eq!(world.poll(&mut netfront), [frame(300, 9)]);
    let mut ids = world.netback().rx_posted_ids();
    ids.sort_unstable();
    assert_eq!(ids, (0..256).collect::<Vec<u16>>());
    assert!(netfront.transmit(&frame(80, 3)));
    netfront.flush();
    assert_eq!(world.netback().tx_send_all(), [frame(80, 3)]);
}

#[test]
fn rx_response_with_a_wrong_id_is_dropped() {
    survives(
        |netback| {
            let request = netback.rx_take_request();
            netback.rx_respond(request, request.id + 1, 0, 0, 60);
            netback.rx_copy(&frame(61, 1), 0);
            netback.rx_publish();
        },
        1,
        1,
        &[frame(61, 1)],
    );
}

#[test]
fn rx_response_for_a_buffer_never_posted_is_dropped() {
    survives(
        |netback| {
            for id in [256, 300, 0xffff] {
                let request = netback.rx_take_request();
                netback.rx_respond(request, id, 0, 0, 60);
            }
            netback.rx_publish();
        },
        3,
        3,
        &[],
    );
}

#[test]
fn duplicate_rx_response_for_a_completed_buffer_is_dropped() {
    survives(
        |netback| {
            let first = netback.rx_take_request();
            netback.page(first.gref, true).write_bytes(0, &frame(40, 1));
            netback.rx_respond(first, first.id, 0, 0, 40);
            // The next slot claims the buffer just completed.
            let second = netback.rx_take_request();
            netback.rx_respond(second, first.id, 0, 0, 40);
            netback.rx_publish();
        },
        1,
        1,
        &[frame(40, 1)],
    );
}

#[test]
fn rx_offset_and_length_past_the_page_are_dropped() {
    survives(
        |netback| {
            for (offset, len) in [
                (4000, 200),
                (0, 4097),
                (4095, 2),
                (u16::MAX, 1),
                (0, i16::MAX),
            ] {
                let request = netback.rx_take_request();
                netback.rx_respond(request, request.id, offset, 0, len);
            }
            // Exactly the end of the page is fine.
            let request = netback.rx_take_request();
            netback
                .page(request.gref, true)
                .write_bytes(4096 - 100, &frame(100, 5));
            netback.rx_respond(request, request.id, 4096 - 100, 0, 100);
            netback.rx_publish();
        },
        5,
        5,
        &[frame(100, 5)],
    );
}

#[test]
fn rx_error_statuses_are_dropped_without_blame() {
    survives(
        |netback| {
            for status in [NETIF_RSP_ERROR, NETIF_RSP_DROPPED, -100, i16::MIN, 0] {
                let request = netback.rx_take_request();
                netback.rx_respond(request, request.id, 0, 0, status);
            }
            netback.rx_publish();
        },
        0,
        5,
        &[],
    );
}

#[test]
fn rx_fragments_and_extra_info_are_dropped_with_their_slots() {
    survives(
        |netback| {
            // A two-slot frame (more_data).
            let r = netback.rx_take_request();
            netback.rx_respond(r, r.id, 0, NETRXF_more_data, 1000);
            let r = netback.rx_take_request();
            netback.rx_respond(r, r.id, 0, 0, 500);
            // A frame with two extra-info slots (the first says MORE), then a data fragment.
            let r = netback.rx_take_request();
            netback.rx_respond(r, r.id, 0, NETRXF_extra_info | NETRXF_more_data, 100);
            let r = netback.rx_take_request();
            // type GSO, flags MORE: in the id's bytes.
            let extra_id = u16::from_le_bytes([1, XEN_NETIF_EXTRA_FLAG_MORE]);
            netback.rx_respond(r, extra_id, 0x0102, 0x0304, 0x0506);
            let r = netback.rx_take_request();
            netback.rx_respond(r, u16::from_le_bytes([2, 0]), 0, NETRXF_more_data, -7);
            let r = netback.rx_take_request();
            netback.rx_respond(r, r.id, 0, 0, 20);
            // A GSO prefix slot on its own.
            let r = netback.rx_take_request();
            netback.rx_respond(r, r.id, 0, NETRXF_gso_prefix, 30);
            // A good frame after all that.
            netback.rx_copy(&frame(90, 4), 0);
            netback.rx_publish();
        },
        3,
        3,
        &[frame(90, 4)],
    );
}

#[test]
fn rx_fragment_continuation_split_across_polls() {
    let world = World::new();
    let mut store = world.store();
    let mut netfront = world.connect(&mut store).unwrap();
    {
        let mut netback = world.netback();
        let r = netback.rx_take_request();
        netback.rx_respond(r, r.id, 0, NETRXF_more_data, 1000);
        netback.rx_publish();
    }
    assert!(world.poll(&mut netfront).is_empty());
    {
        // The rest of the dropped frame: its last slot looks like a whole frame but is not.
        let mut netback = world.netback();
        let r = netback.rx_take_request();
        netback.rx_respond(r, r.id, 0, NETRXF_more_data, 1000);
        let r = netback.rx_take_request();
        netback.page(r.gref, true).write_bytes(0, &frame(64, 0));
        netback.rx_respond(r, r.id, 0, 0, 64);
        netback.rx_copy(&frame(65, 1), 0);
        netback.rx_publish();
    }
    assert_eq!(world.poll(&mut netfront), [frame(65, 1)]);
    assert_eq!(netfront.stats().rx_dropped, 1);
    assert_eq!(netfront.stats().errors, 1);
}

#[test]
fn rx_rsp_prod_past_what_was_posted_takes_the_link_down() {
    let world = World::new();
    let mut store = world.store();
    let mut netfront = world.connect(&mut store).unwrap();
    world.poll(&mut netfront);
    let available = world.available_grants();
    {
        let mut netback = world.netback();
        netback.rx_copy(&frame(60, 0), 0);
        // 256 posted, 257 answered.
        let rx = &netback.connection().rx;
        rx.memory.store_u32(RSP_PROD, 257, Ordering::SeqCst);
        netback.notified += 1;
    }
    assert!(world.poll(&mut netfront).is_empty());
    assert!(!netfront.is_up());
    assert!(matches!(
        netfront.down_reason(),
        Some(DownReason::RingBroken { ring: "RX", .. })
    ));
    assert_eq!(netfront.stats().errors, 1);
    // The backend still maps the two rings; every buffer grant was ended.
    assert_eq!(netfront.grants_outstanding(), 2);
    assert_eq!(world.available_grants(), available + 320);
    assert_eq!(world.xen.closed.borrow().as_slice(), [netfront.port()]);
    // Nothing touches the rings any more; nothing panics.
    let rx_page = world.netback().connection().rx.memory;
    let before = rx_page.load_u32(REQ_PROD, Ordering::SeqCst);
    netfront.handle_event();
    assert_eq!(netfront.receive(&mut [0; 1514]), None);
    assert!(!netfront.can_transmit());
    assert!(!netfront.transmit(&frame(60, 0)));
    netfront.flush();
    assert_eq!(rx_page.load_u32(REQ_PROD, Ordering::SeqCst), before);
    assert_eq!(netfront.stats().tx_dropped, 1);
    assert_eq!(netfront.stats().errors, 1);
    // On the next watch event we tell the backend, which lets go of the rings.
    world.dispatch_watches(&mut store, &mut netfront);
    assert_eq!(
        world.xen.xenstored().get(&format!("{FRONTEND}/state")),
        Some("5")
    );
    world.xen.step();
    world.dispatch_watches(&mut store, &mut netfront);
    assert_eq!(
        world.xen.xenstored().get(&format!("{FRONTEND}/state")),
        Some("6")
    );
    assert_eq!(netfront.grants_outstanding(), 0);
}

#[test]
fn tx_rsp_prod_past_what_was_pushed_takes_the_link_down() {
    let world = World::new();
    let mut store = world.store();
    let mut netfront = world.connect(&mut store).unwrap();
    assert!(netfront.transmit(&frame(60, 0)));
    netfront.flush();
    {
        let mut netback = world.netback();
        netback.tx_take_requests();
        netback.tx_respond(0, NETIF_RSP_OKAY);
        netback.tx_respond(1, NETIF_RSP_OKAY);
        netback.tx_publish();
    }
    world.poll(&mut netfront);
    assert!(matches!(
        netfront.down_reason(),
        Some(DownReason::RingBroken { ring: "TX", .. })
    ));
    assert!(!netfront.transmit(&frame(60, 0)));
    assert_eq!(netfront.stats().errors, 1);
}

#[test]
fn tx_responses_for_unknown_or_completed_ids_are_ignored() {
    let world = World::new();
    let mut store = world.store();
    let mut netfront = world.connect(&mut store).unwrap();
    assert!(netfront.transmit(&frame(60, 0)));
    assert!(netfront.transmit(&frame(60, 1)));
    netfront.flush();
    {
        let mut netback = world.netback();
        let requests = netback.tx_take_requests();
        // The first answered twice, the second never.
        netback.tx_respond(requests[0].id, NETIF_RSP_OKAY);
        netback.tx_respond(requests[0].id, NETIF_RSP_OKAY);
        netback.tx_publish();
    }
    world.poll(&mut netfront);
    // The duplicate is counted; the lost buffer is reclaimed since nothing is outstanding.
    assert_eq!(netfront.stats().errors, 2);
    assert_eq!(netfront.tx_in_flight, 0);
    assert_eq!(netfront.tx_free.len(), TX_BUFFERS);

    // A response for a buffer never sent, and one far out of range.
    assert!(netfront.transmit(&frame(60, 2)));
    assert!(netfront.transmit(&frame(60, 3)));
    netfront.flush();
    {
        let mut netback = world.netback();
        let requests = netback.tx_take_requests();
        netback.tx_respond(requests[0].id, NETIF_RSP_OKAY);
        netback.tx_respond(100, NETIF_RSP_OKAY);
        netback.tx_publish();
    }
    world.poll(&mut netfront);
    // The unknown id is counted, and the unanswered buffer reclaimed (and counted).
    assert_eq!(netfront.stats().errors, 4);
    assert_eq!(netfront.tx_free.len(), TX_BUFFERS);
    assert!(netfront.transmit(&frame(60, 4)));
    netfront.flush();
    {
        let mut netback = world.netback();
        netback.tx_take_requests();
        netback.tx_respond(0xffff, NETIF_RSP_OKAY);
        netback.tx_publish();
    }
    world.poll(&mut netfront);
    assert!(netfront.is_up());
    assert_eq!(netfront.stats().errors, 6);
    assert_eq!(netfront.stats().tx_dropped, 0);

    // No buffer is ever handed out twice: fill them all and check the ids are distinct.
    let mut free: Vec<u16> = netfront.tx_free.clone();
    free.sort_unstable();
    free.dedup();
    assert_eq!(free.len(), netfront.tx_free.len(), "a buffer freed twice");
    let mut sent = 0;
    while netfront.transmit(&frame(60, 5)) {
        sent += 1;
    }
    assert_eq!(sent, TX_BUFFERS);
    netfront.flush();
    let ids: BTreeSet<u16> = world
        .netback()
        .tx_take_requests()
        .iter()
        .map(|r| r.id)
        .collect();
    assert_eq!(ids.len(), TX_BUFFERS);
}

// ---- the backend going away ----

#[test]
fn backend_closing_takes_the_link_down() {
    let world = World::new();
    let mut store = world.store();
    let mut netfront = world.connect(&mut store).unwrap();
    let available = world.available_grants();
    world.dispatch_watches(&mut store, &mut netfront);
    assert!(netfront.is_up());
    assert!(netfront.transmit(&frame(60, 0)));
    netfront.flush();

    world
        .xen
        .xenstored()
        .external_write(&format!("{BACKEND}/state"), "5");
    world.dispatch_watches(&mut store, &mut netfront);
    assert!(!netfront.is_up());
    assert_eq!(
        netfront.down_reason(),
        Some(&DownReason::BackendClosed(XenbusState::Closing))
    );
    // We said Closed; the rings stay granted while the backend maps them.
    assert_eq!(
        world.xen.xenstored().get(&format!("{FRONTEND}/state")),
        Some("6")
    );
    assert_eq!(netfront.grants_outstanding(), 2);
    assert_eq!(world.available_grants(), available + 320);
    assert_eq!(world.xen.closed.borrow().as_slice(), [netfront.port()]);

    // Nothing panics, nothing is sent.
    netfront.handle_event();
    assert_eq!(netfront.receive(&mut [0; 1514]), None);
    assert!(!netfront.transmit(&frame(60, 0)));
    netfront.flush();

    // The backend unmaps and closes: the last grants end.
    world.xen.step();
    assert_eq!(
        world.xen.xenstored().get(&format!("{BACKEND}/state")),
        Some("6")
    );
    world.dispatch_watches(&mut store, &mut netfront);
    assert_eq!(netfront.grants_outstanding(), 0);
    assert_eq!(world.available_grants(), available + 322);
    assert_eq!(world.xen.closed.borrow().len(), 1, "closed once");
}

#[test]
fn backend_state_node_removed_takes_the_link_down() {
    let world = World::new();
    let mut store = world.store();
    let mut netfront = world.connect(&mut store).unwrap();
    world
        .xen
        .xenstored()
        .external_remove(&format!("{BACKEND}/state"));
    world.dispatch_watches(&mut store, &mut netfront);
    assert_eq!(netfront.down_reason(), Some(&DownReason::BackendGone));
    assert_eq!(
        netfront.poll_backend_state(&mut store),
        Ok(XenbusState::Closed)
    );
}

#[test]
fn garbage_backend_state_is_counted_not_fatal() {
    let world = World::new();
    let mut store = world.store();
    let mut netfront = world.connect(&mut store).unwrap();
    world
        .xen
        .xenstored()
        .external_write(&format!("{BACKEND}/state"), "upside down");
    let error = netfront.poll_backend_state(&mut store).unwrap_err();
    assert!(
        matches!(error, Error::Xenbus(xenbus::Error::InvalidState { .. })),
        "{error:?}"
    );
    assert!(netfront.is_up());
    assert_eq!(netfront.stats().errors, 1);
}

#[test]
fn other_watch_events_are_not_ours() {
    let world = World::new();
    let mut store = world.store();
    let mut netfront = world.connect(&mut store).unwrap();
    let event = WatchEvent {
        path: "control/shutdown".into(),
        token: "xenolith-control".into(),
    };
    assert_eq!(netfront.handle_watch_event(&mut store, &event), Ok(false));
    assert_eq!(netfront.watch_token(), "xenolith-netfront-0");
}

/// A backend writing random responses, indexes within bounds, interleaved with real traffic:
/// nothing panics, and while the link is up every RX buffer stays posted exactly once.
#[test]
fn random_backend_responses_never_break_the_driver() {
    let mut state = 0x2545_f491_4f6c_dd1d_u64;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    for _ in 0..20 {
        let world = World::new();
        let mut store = world.store();
        let mut netfront = world.connect(&mut store).unwrap();
        for _ in 0..30 {
            {
                let mut netback = world.netback();
                let count = next() % 20;
                for _ in 0..count {
                    let r = netback.rx_take_request();
                    let (id, offset, flags, status) = match next() % 4 {
                        0 => (r.id, 0, 0, 60),
                        _ => (next() as u16, next() as u16, next() as u16, next() as i16),
                    };
                    netback.rx_respond(r, id, offset, flags, status);
                }
                netback.rx_publish();
            }
            for _ in 0..next() % 10 {
                netfront.transmit(&frame((next() % 1600) as usize, 0));
            }
            netfront.flush();
            {
                let mut netback = world.netback();
                let requests = netback.tx_take_requests();
                for request in &requests {
                    let id = if next() % 3 == 0 {
                        next() as u16
                    } else {
                        request.id
                    };
                    netback.tx_respond(id, next() as i16 % 3 - 1);
                }
                netback.tx_publish();
            }
            world.poll(&mut netfront);
            assert!(netfront.is_up());
            let mut ids = world.netback().rx_posted_ids();
            ids.sort_unstable();
            assert_eq!(ids, (0..256).collect::<Vec<u16>>());
        }
        // Real traffic still works (the first two frames may end a dropped frame's slots).
        world
            .netback()
            .rx_deliver(&[&frame(97, 1), &frame(98, 1), &frame(99, 1)]);
        let frames = world.poll(&mut netfront);
        assert_eq!(frames.last(), Some(&frame(99, 1)));
    }
}
