//! `netfront`: the Xen network frontend (kernel/xen `netfront`) against a backend that writes
//! whatever the input says into the shared rings: sequence fuzzing, as rust-vmm does for its
//! virtqueues.
//!
//! The backend is the unit tests' fake netback (kernel/xen `testing::netback`). It connects
//! through xenstore as netback does (InitWait, then Connected once the frontend is; it maps the
//! rings through the real grant table), then each [`Action`] of the input is played: the
//! backend's answers (well-formed ones, and raw responses with any id, offset, flags and
//! status), its index updates (any value), its state changes in xenstore, and the driver's
//! receive, transmit, flush and event handling. Input: one setup byte (bits 0-1: 0 a normal
//! backend; 1 without `feature-rx-copy`; 2 one that refuses to connect; 3 a bad MAC), then
//! actions, each an opcode byte and its fields (see [`Action::decode`]).
//!
//! Properties: no panic (the fake Xen, xenstored and netback are strict: a grant of the wrong
//! kind, or a notification before the backend connected or on another port, fails); while the
//! backend has written nothing raw, every request's buffer is granted to it and a transmit
//! request stays inside its page; at most 322 grants; a bounded number of frames per receive
//! loop.

use xenolith_arch::shared::SharedMemory;
use xenolith_device::{DeviceStats, NetDevice};
use xenolith_xen::Hypervisor;
use xenolith_xen::netfront::Netfront;
use xenolith_xen::testing::FakeXen;
use xenolith_xen::testing::netback::{
    BACKEND, ConnectOn, FRONTEND, FakeNetback, PAGE, REQ_EVENT, RSP_PROD, World, frame,
    rx_response, tx_response,
};
use xenolith_xen::xenstore::XenStore;

use crate::{Encoder, Input, Step, sequence};

/// Two rings, 256 RX pages, 64 TX pages.
const MAX_GRANTS: usize = 322;

/// One step of the sequence.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Action {
    /// The backend writes an RX response with these fields in its next slot.
    RxRespond {
        id: u16,
        offset: u16,
        flags: u16,
        status: u16,
    },
    /// The backend takes the next RX request and copies a frame of `len` octets at `offset`
    /// into its buffer, answering as netback does.
    RxDeliver { len: u16, offset: u16 },
    /// The backend publishes its RX responses.
    RxPublish,
    /// The backend takes the next TX request and answers it with `status`.
    TxComplete { status: u16 },
    /// The backend writes a TX response with these fields in its next slot.
    TxRespond { id: u16, status: u16 },
    /// The backend publishes its TX responses.
    TxPublish,
    /// The backend writes `value` into a ring's `rsp_prod` or `req_event` (`which`: bit 0 the
    /// TX ring, bit 1 `req_event`).
    RingIndex { which: u8, value: u32 },
    /// The driver transmits a frame of `len` octets.
    Transmit { len: u16 },
    /// The runtime passes on the backend's events, receives every frame, then flushes.
    Poll,
    /// The driver flushes.
    Flush,
    /// The runtime says the event channel fired.
    Event,
    /// The backend's `state` node becomes `state` (0-7 as a number; others garbage).
    BackendState { state: u8 },
    /// The backend's `state` node is removed.
    BackendGone,
    /// The driver re-reads the backend's state.
    PollBackendState,
    /// Time passes: the backend reacts to xenstore.
    Wait,
}

impl Step for Action {
    fn decode(input: &mut Input<'_>) -> Action {
        match input.u8() % 15 {
            0 => Action::RxRespond {
                id: input.u16(),
                offset: input.u16(),
                flags: input.u16(),
                status: input.u16(),
            },
            1 => Action::RxDeliver {
                len: input.u16(),
                offset: input.u16(),
            },
            2 => Action::RxPublish,
            3 => Action::TxComplete {
                status: input.u16(),
            },
            4 => Action::TxRespond {
                id: input.u16(),
                status: input.u16(),
            },
            5 => Action::TxPublish,
            6 => Action::RingIndex {
                which: input.u8(),
                value: input.u32(),
            },
            7 => Action::Transmit { len: input.u16() },
            8 => Action::Poll,
            9 => Action::Flush,
            10 => Action::Event,
            11 => Action::BackendState { state: input.u8() },
            12 => Action::BackendGone,
            13 => Action::PollBackendState,
            _ => Action::Wait,
        }
    }

    fn encode(&self, e: &mut Encoder) {
        match *self {
            Action::RxRespond {
                id,
                offset,
                flags,
                status,
            } => {
                e.u8(0).u16(id).u16(offset).u16(flags).u16(status);
            }
            Action::RxDeliver { len, offset } => {
                e.u8(1).u16(len).u16(offset);
            }
            Action::RxPublish => {
                e.u8(2);
            }
            Action::TxComplete { status } => {
                e.u8(3).u16(status);
            }
            Action::TxRespond { id, status } => {
                e.u8(4).u16(id).u16(status);
            }
            Action::TxPublish => {
                e.u8(5);
            }
            Action::RingIndex { which, value } => {
                e.u8(6).u8(which).u32(value);
            }
            Action::Transmit { len } => {
                e.u8(7).u16(len);
            }
            Action::Poll => {
                e.u8(8);
            }
            Action::Flush => {
                e.u8(9);
            }
            Action::Event => {
                e.u8(10);
            }
            Action::BackendState { state } => {
                e.u8(11).u8(state);
            }
            Action::BackendGone => {
                e.u8(12);
            }
            Action::PollBackendState => {
                e.u8(13);
            }
            Action::Wait => {
                e.u8(14);
            }
        }
    }
}

/// Runs one input.
pub fn run(data: &[u8]) {
    let _ = play(data);
    // SAFETY: everything `play` built over test memory has been dropped.
    unsafe { SharedMemory::recycle_test_memory() };
}

/// Plays an input; the driver's counters at the end, if it started.
fn play(data: &[u8]) -> Option<DeviceStats> {
    let mut input = Input::new(data);
    let setup = input.u8() & 3;
    let world = World::with(if setup == 2 {
        ConnectOn::Refuse
    } else {
        ConnectOn::FrontendConnected
    });
    {
        let mut xs = world.xen.xenstored();
        if setup == 1 {
            xs.tree.remove(&format!("{BACKEND}/feature-rx-copy"));
        }
        if setup == 3 {
            xs.tree
                .insert(format!("{FRONTEND}/mac"), "ff:16:3e:5a:01:02".into());
        }
    }
    let mut store = world.store();
    let Ok(mut netfront) = world.connect(&mut store) else {
        return None;
    };
    let mut seed = 0u8;
    while !input.is_empty() {
        let action = Action::decode(&mut input);
        seed = seed.wrapping_add(1);
        act(&world, &mut store, &mut netfront, action, seed);
        assert!(netfront.grants_outstanding() <= MAX_GRANTS);
    }
    Some(netfront.stats())
}

fn act<'w>(
    world: &'w World,
    store: &mut XenStore<'w, FakeXen<FakeNetback>>,
    netfront: &mut Netfront<'w, FakeXen<FakeNetback>>,
    action: Action,
    seed: u8,
) {
    let up = netfront.is_up();
    let xen = &world.xen;
    // What the backend does, if it is connected.
    let backend = |f: &mut dyn FnMut(&mut FakeNetback)| {
        let mut netback = world.netback();
        if netback.connection.is_some() {
            f(&mut netback);
        }
    };
    match action {
        Action::RxRespond {
            id,
            offset,
            flags,
            status,
        } => backend(&mut |b| {
            let response = rx_response(id, offset, flags, status as i16);
            b.connection().rx.forge_response(&response);
        }),
        Action::RxDeliver { len, offset } => backend(&mut |b| {
            let Some(request) = b.try_rx_take_request() else {
                return;
            };
            let c = b.connection();
            if c.rx.forged && request.gref == c.ring_refs[0] {
                // A forged RX ring hands out forged requests, which may name the TX ring's
                // page: the frame written there is a forged TX ring.
                c.tx.forged = true;
            }
            let page = match b.grant(request.gref, true) {
                Ok(page) => page,
                Err(error) => {
                    // An honest exchange: the request is one the frontend wrote.
                    let honest = up && !b.connection().rx.forged;
                    assert!(!honest, "an RX request the backend cannot fill: {error}");
                    return;
                }
            };
            let offset = usize::from(offset) % PAGE;
            let len = usize::from(len).min(PAGE - offset);
            page.write_bytes(offset, &frame(len, seed));
            let response = rx_response(request.id, offset as u16, 0, len as i16);
            b.connection().rx.respond(&response);
        }),
        Action::RxPublish => backend(&mut |b| {
            b.rx_publish();
            b.connection().rx.arm_req_event();
        }),
        Action::TxComplete { status } => backend(&mut |b| {
            let Some(request) = b.try_tx_take_request() else {
                return;
            };
            if let Err(error) = b.try_tx_frame(&request) {
                let honest = up && !b.connection().tx.forged;
                assert!(!honest, "a TX request the backend cannot read: {error}");
                return;
            }
            b.tx_respond(request.id, status as i16);
        }),
        Action::TxRespond { id, status } => backend(&mut |b| {
            let response = tx_response(id, status as i16);
            b.connection().tx.forge_response(&response);
        }),
        Action::TxPublish => backend(&mut |b| {
            b.tx_publish();
            b.connection().tx.arm_req_event();
        }),
        Action::RingIndex { which, value } => backend(&mut |b| {
            let c = b.connection();
            let ring = if which & 1 == 0 { &mut c.rx } else { &mut c.tx };
            let field = if which & 2 == 0 { RSP_PROD } else { REQ_EVENT };
            ring.forge_index(field, value);
        }),
        Action::Transmit { len } => {
            let sent = netfront.transmit(&frame(usize::from(len) % 2100, seed));
            assert!(up || !sent, "a frame was accepted while the link is down");
        }
        Action::Poll => {
            world.poll(netfront);
        }
        Action::Flush => netfront.flush(),
        Action::Event => netfront.handle_event(),
        Action::BackendState { state } => {
            let value = if state < 8 {
                state.to_string()
            } else {
                format!("x{state}")
            };
            xen.xenstored()
                .external_write(&format!("{BACKEND}/state"), &value);
            dispatch_watches(store, netfront);
        }
        Action::BackendGone => {
            xen.xenstored().external_remove(&format!("{BACKEND}/state"));
            dispatch_watches(store, netfront);
        }
        Action::PollBackendState => {
            let _ = netfront.poll_backend_state(store);
        }
        Action::Wait => {
            xen.wait(xen.now_ns() + 1_000_000);
            dispatch_watches(store, netfront);
        }
    }
}

/// What the runtime does with xenstore watch events.
fn dispatch_watches<'w>(
    store: &mut XenStore<'w, FakeXen<FakeNetback>>,
    netfront: &mut Netfront<'w, FakeXen<FakeNetback>>,
) {
    for _ in 0..64 {
        match store.poll_watch() {
            Ok(Some(event)) => {
                let _ = netfront.handle_watch_event(store, &event);
            }
            _ => break,
        }
    }
}

/// Traffic both ways, a lap of the RX ring, misbehaving answers, and going down.
pub fn seeds() -> Vec<(String, Vec<u8>)> {
    use Action::*;
    let mut seeds = Vec::new();
    let mut traffic = vec![Poll];
    for i in 0..6u16 {
        traffic.push(RxDeliver {
            len: 60 + 100 * i,
            offset: 2 * i,
        });
        traffic.push(Transmit { len: 60 + 200 * i });
    }
    traffic.extend([
        RxPublish,
        Poll,
        TxComplete { status: 0 },
        TxComplete { status: 0 },
        TxPublish,
        Poll,
    ]);
    traffic.extend([
        TxComplete { status: 0xffff },
        TxComplete { status: 0xfffe },
        TxComplete { status: 0 },
        TxPublish,
        Event,
        Flush,
        Poll,
    ]);
    seeds.push(("traffic".to_string(), sequence(0, &traffic)));

    let mut lap = Vec::new();
    for _ in 0..3 {
        for _ in 0..100 {
            lap.push(RxDeliver {
                len: 1514,
                offset: 0,
            });
        }
        lap.extend([RxPublish, Poll]);
    }
    seeds.push(("rx-laps".to_string(), sequence(0, &lap)));

    let bad = [
        Poll,
        RxRespond {
            id: 300,
            offset: 0,
            flags: 0,
            status: 60,
        },
        RxRespond {
            id: 1,
            offset: 4000,
            flags: 0,
            status: 200,
        },
        RxRespond {
            id: 2,
            offset: 0,
            flags: 0x4,
            status: 60,
        },
        RxRespond {
            id: 3,
            offset: 0,
            flags: 0x8,
            status: 60,
        },
        RxRespond {
            id: 4,
            offset: 0,
            flags: 0,
            status: 0xffff,
        },
        RxDeliver {
            len: 2000,
            offset: 0,
        },
        RxPublish,
        Poll,
        Transmit { len: 100 },
        Flush,
        TxRespond { id: 9, status: 0 },
        TxRespond {
            id: 0x7f,
            status: 0,
        },
        TxRespond {
            id: 0x7f,
            status: 3,
        },
        TxPublish,
        Poll,
    ];
    seeds.push(("misbehaving".to_string(), sequence(0, &bad)));

    let broken = [
        Poll,
        RingIndex {
            which: 0,
            value: 1000,
        },
        Event,
        Poll,
        Transmit { len: 60 },
        BackendState { state: 5 },
        Wait,
        PollBackendState,
    ];
    seeds.push(("broken-ring".to_string(), sequence(0, &broken)));

    let closing = [
        Transmit { len: 60 },
        Flush,
        BackendState { state: 5 },
        Wait,
        BackendState { state: 6 },
        BackendState { state: 9 },
        BackendGone,
        Poll,
    ];
    seeds.push(("backend-closes".to_string(), sequence(0, &closing)));
    seeds.push(("no-rx-copy".to_string(), sequence(1, &[Poll])));
    seeds.push(("refused".to_string(), sequence(2, &[Poll])));
    seeds
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seeds_carry_traffic() {
        crate::check_seeds_carry_traffic(&seeds(), play);
    }
}
