//! netfront against the fake netback of `testing::netback`, which plays the backend over the
//! real shared pages: the rings and buffers netfront allocated, reached through the grants it
//! made (`io/netif.h`).

extern crate std;

use super::*;
use crate::abi::grant_table::{GTF_permit_access, GTF_readonly};
use crate::abi::io::netif::{NETIF_RSP_NULL, NETRXF_data_validated};
use crate::testing::netback::{
    BACKEND, ConnectOn, FRONTEND, FakeNetback, REQ_PROD, RSP_PROD, World, frame,
};
use crate::testing::{Change, FakeXen};
use crate::types::DomId;
use alloc::collections::BTreeSet;
use alloc::string::ToString;
use core::sync::atomic::Ordering;

/// What the runtime does with xenstore watch events: every one is netfront's, and handled.
fn dispatch_watches(
    store: &mut XenStore<'_, FakeXen<FakeNetback>>,
    netfront: &mut Netfront<'_, FakeXen<FakeNetback>>,
) {
    while let Some(event) = store.poll_watch().unwrap() {
        assert!(netfront.handle_watch_event(store, &event).unwrap());
    }
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
            error.kind(),
            ErrorKind::Xenbus(error) if matches!(error.kind(), xenbus::ErrorKind::Timeout {
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
        Error::from(xenbus::Error::from(xenbus::ErrorKind::BackendClosed {
            path: format!("{BACKEND}/state"),
            state: XenbusState::Closing,
            wanted: XenbusState::Connected,
        }))
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
            *error.kind(),
            ErrorKind::InvalidMac {
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
        *error.kind(),
        ErrorKind::MissingBackendFeature {
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
        assert!(
            matches!(error.kind(), ErrorKind::Allocation { .. }),
            "{error:?}"
        );
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
        netback.connection().rx.forge_index(RSP_PROD, 257);
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
    dispatch_watches(&mut store, &mut netfront);
    assert_eq!(
        world.xen.xenstored().get(&format!("{FRONTEND}/state")),
        Some("5")
    );
    world.xen.step();
    dispatch_watches(&mut store, &mut netfront);
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
    dispatch_watches(&mut store, &mut netfront);
    assert!(netfront.is_up());
    assert!(netfront.transmit(&frame(60, 0)));
    netfront.flush();

    world
        .xen
        .xenstored()
        .external_write(&format!("{BACKEND}/state"), "5");
    dispatch_watches(&mut store, &mut netfront);
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
    dispatch_watches(&mut store, &mut netfront);
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
    dispatch_watches(&mut store, &mut netfront);
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
        matches!(error.kind(), ErrorKind::Xenbus(error)
            if matches!(error.kind(), xenbus::ErrorKind::InvalidState { .. })),
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

#[test]
fn errors_fit_a_register_and_keep_their_text() {
    use crate::xenstore;
    use core::mem::size_of;
    // Boxed, so that every `?` on the Xen path moves one pointer (they were 64 bytes).
    assert_eq!(size_of::<xenstore::Error>(), 8);
    assert_eq!(size_of::<xenbus::Error>(), 8);
    assert_eq!(size_of::<Error>(), 8);
    assert_eq!(size_of::<Result<(), Error>>(), 8);

    let missing = xenstore::Error::new(
        "read",
        "device/vif/0/mac",
        xenstore::ErrorKind::Xenstore(Errno::ENOENT),
    );
    assert_eq!(missing.op(), "read");
    assert_eq!(missing.path(), "device/vif/0/mac");
    assert_eq!(missing.errno(), Some(Errno::ENOENT));
    assert_eq!(
        Error::from(missing).to_string(),
        "netfront: xenstore read of device/vif/0/mac failed: ENOENT (-2)"
    );
    let timeout = xenstore::Error::new("watch poll", "", xenstore::ErrorKind::Timeout);
    assert_eq!(
        xenbus::Error::from(timeout).to_string(),
        "xenstore watch poll failed: xenstored did not answer in time \
         (is xenstored running, and this domain introduced to it?)"
    );
    let closed = xenbus::Error::from(xenbus::ErrorKind::BackendClosed {
        path: "backend/vif/1/0/state".into(),
        state: XenbusState::Closed,
        wanted: XenbusState::Connected,
    });
    assert_eq!(
        Error::from(closed).to_string(),
        "netfront: the backend went to Closed (6) (in backend/vif/1/0/state) while we waited \
         for Connected (4): it refused the connection or is being unplugged; see the backend \
         domain's logs"
    );
    assert_eq!(
        Error::from(ErrorKind::Allocation {
            what: "the TX ring",
            pages: 1
        })
        .to_string(),
        "netfront: no memory for the TX ring (1 pages): give the guest more memory"
    );
    assert_eq!(
        Error::from(ErrorKind::EventChannel {
            op: "EVTCHNOP_unmask",
            errno: Errno::EINVAL
        })
        .to_string(),
        "netfront: EVTCHNOP_unmask failed: EINVAL (-22)"
    );
}
