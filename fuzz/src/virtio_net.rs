//! `virtio_net`: the virtio-net driver (kernel/virtio) against a device that writes whatever
//! the input says into the used rings: sequence fuzzing, as rust-vmm does for its virtqueues.
//!
//! The device is the unit tests' fake (QEMU's register layout, strict about what the driver
//! does: a descriptor out of range, a buffer outside DMA memory, a receive buffer the device
//! may not write fails). Input: one setup byte (bits 0-3: the receive queue's maximum size
//! from [`QUEUE_SIZES`], bits 4-6 the transmit queue's, bit 7 MSI-X), then actions, each an
//! opcode byte and its fields (see [`Action::decode`]): the device's answers, well-formed or
//! raw (any descriptor id, any length, any `used.idx`), `DEVICE_NEEDS_RESET`, and the driver's
//! receive, transmit and flush.
//!
//! Properties: no panic; a received frame fits the caller's buffer; a bounded number of frames
//! per receive loop; nothing is accepted for transmission once the device has failed.

use xenolith_arch::shared::SharedMemory;
use xenolith_device::{DeviceStats, NetDevice};
use xenolith_virtio::VirtioNet;
use xenolith_virtio::testing::{FakeNet, FakePci, FakePlatform, FakeRegisters};

use crate::{Encoder, Input, Step, sequence};

/// Maximum queue sizes a device may offer (the driver takes a power of two up to 256).
pub const QUEUE_SIZES: [u16; 16] = [
    256, 1024, 64, 16, 8, 4, 2, 1, 0, 3, 100, 255, 257, 512, 32768, 65535,
];
/// `DEVICE_NEEDS_RESET` in the device status.
const DEVICE_NEEDS_RESET: u8 = 0x40;
/// `DRIVER_OK` in the device status.
const DRIVER_OK: u8 = 0x04;

/// One step of the sequence.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Action {
    /// The device takes the next receive buffer and writes a frame of `len` octets (at most
    /// what fits) behind a header, answering as QEMU does.
    Deliver { len: u16 },
    /// The device takes the next receive buffer and answers it with `len` octets written,
    /// writing nothing.
    CompleteRx { len: u32 },
    /// The device writes a used element (`id`, `len`) into queue `queue & 1` and publishes it.
    PushUsed { queue: u8, id: u32, len: u32 },
    /// The device sets queue `queue & 1`'s `used.idx`.
    UsedIndex { queue: u8, index: u16 },
    /// The device sets queue `queue & 1`'s `used.flags` (bit 0: no notifications).
    UsedFlags { queue: u8, flags: u16 },
    /// The device sends every available transmit buffer.
    ProcessTx,
    /// The device says it needs a reset.
    NeedsReset,
    /// The driver receives every frame.
    Receive,
    /// The driver transmits a frame of `len` octets.
    Transmit { len: u16 },
    /// The driver flushes.
    Flush,
    /// The runtime asks what there is to do.
    Query,
}

impl Step for Action {
    fn decode(input: &mut Input<'_>) -> Action {
        match input.u8() % 11 {
            0 => Action::Deliver { len: input.u16() },
            1 => Action::CompleteRx { len: input.u32() },
            2 => Action::PushUsed {
                queue: input.u8(),
                id: input.u32(),
                len: input.u32(),
            },
            3 => Action::UsedIndex {
                queue: input.u8(),
                index: input.u16(),
            },
            4 => Action::UsedFlags {
                queue: input.u8(),
                flags: input.u16(),
            },
            5 => Action::ProcessTx,
            6 => Action::NeedsReset,
            7 => Action::Receive,
            8 => Action::Transmit { len: input.u16() },
            9 => Action::Flush,
            _ => Action::Query,
        }
    }

    fn encode(&self, e: &mut Encoder) {
        match *self {
            Action::Deliver { len } => {
                e.u8(0).u16(len);
            }
            Action::CompleteRx { len } => {
                e.u8(1).u32(len);
            }
            Action::PushUsed { queue, id, len } => {
                e.u8(2).u8(queue).u32(id).u32(len);
            }
            Action::UsedIndex { queue, index } => {
                e.u8(3).u8(queue).u16(index);
            }
            Action::UsedFlags { queue, flags } => {
                e.u8(4).u8(queue).u16(flags);
            }
            Action::ProcessTx => {
                e.u8(5);
            }
            Action::NeedsReset => {
                e.u8(6);
            }
            Action::Receive => {
                e.u8(7);
            }
            Action::Transmit { len } => {
                e.u8(8).u16(len);
            }
            Action::Flush => {
                e.u8(9);
            }
            Action::Query => {
                e.u8(10);
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

/// Whether the device may use queue `queue` now (the fake refuses otherwise).
fn live(device: &FakeNet, queue: usize) -> bool {
    let q = &device.queues[queue];
    device.status & DRIVER_OK != 0 && q.enabled && q.size > 0
}

/// Plays an input; the driver's counters at the end, if it started.
fn play(data: &[u8]) -> Option<DeviceStats> {
    let mut input = Input::new(data);
    let setup = input.u8();
    let pci = FakePci::with_qemu_virtio_net(setup & 0x80 != 0);
    let platform = FakePlatform::new();
    {
        let mut device = platform.device.borrow_mut();
        device.queues[0].max_size = QUEUE_SIZES[usize::from(setup & 0xf)];
        device.queues[1].max_size = QUEUE_SIZES[usize::from((setup >> 4) & 7)];
        // The transmit queue is answered by the input, not on notification.
        device.process_tx_on_notify = false;
    }
    let Ok(mut net) = VirtioNet::<FakeRegisters>::probe(&pci, &platform, 42) else {
        return None;
    };
    if setup & 0x80 != 0 {
        let _ = net.enable_msix(&pci, 0x40, 0);
    }
    let (rx_size, _) = net.queue_sizes();
    let mut seed = 0u8;
    while !input.is_empty() {
        let action = Action::decode(&mut input);
        seed = seed.wrapping_add(1);
        let device = &platform.device;
        match action {
            Action::Deliver { len } => {
                let mut device = device.borrow_mut();
                if live(&device, 0) {
                    let len = usize::from(len) % 2037;
                    let frame: Vec<u8> = (0..len).map(|i| (i as u8) ^ seed).collect();
                    device.deliver(&frame);
                }
            }
            Action::CompleteRx { len } => {
                let mut device = device.borrow_mut();
                if live(&device, 0)
                    && let Some((head, ..)) = device.pop_avail(0)
                {
                    device.push_used(0, u32::from(head), len);
                }
            }
            Action::PushUsed { queue, id, len } => {
                let mut device = device.borrow_mut();
                if live(&device, usize::from(queue & 1)) {
                    device.push_used(u16::from(queue & 1), id, len);
                }
            }
            Action::UsedIndex { queue, index } => {
                let mut device = device.borrow_mut();
                if live(&device, usize::from(queue & 1)) {
                    device.set_used_idx(u16::from(queue & 1), index);
                }
            }
            Action::UsedFlags { queue, flags } => {
                let mut device = device.borrow_mut();
                if live(&device, usize::from(queue & 1)) {
                    device.set_used_flags(u16::from(queue & 1), flags);
                }
            }
            Action::ProcessTx => {
                let mut device = device.borrow_mut();
                if live(&device, 1) {
                    device.process_tx();
                }
            }
            Action::NeedsReset => device.borrow_mut().status |= DEVICE_NEEDS_RESET,
            Action::Receive => {
                let mut buffer = [0; 1514];
                let mut frames = 0;
                while let Some(len) = net.receive(&mut buffer) {
                    assert!((1..=buffer.len()).contains(&len));
                    frames += 1;
                    assert!(
                        frames <= 4 * usize::from(rx_size.max(1)),
                        "receive does not stop"
                    );
                }
            }
            Action::Transmit { len } => {
                let failed = net.failure().is_some();
                let frame: Vec<u8> = (0..usize::from(len) % 2100).map(|i| i as u8).collect();
                let sent = net.transmit(&frame);
                assert!(!(failed && sent), "a frame was accepted by a failed device");
            }
            Action::Flush => net.flush(),
            Action::Query => {
                let _ = (
                    net.has_work(),
                    net.can_transmit(),
                    net.is_up(),
                    net.link_up(),
                );
            }
        }
    }
    Some(net.stats())
}

/// Traffic both ways, queue sizes, misbehaving answers and a reset.
pub fn seeds() -> Vec<(String, Vec<u8>)> {
    use Action::*;
    let mut traffic = Vec::new();
    for i in 0..8u16 {
        traffic.push(Deliver { len: 60 + 180 * i });
        traffic.push(Transmit { len: 42 + 200 * i });
    }
    traffic.extend([Query, Receive, Flush, ProcessTx, Query, Flush, Receive]);
    let mut seeds = vec![
        ("traffic".to_string(), sequence(0x80, &traffic)),
        ("traffic-small-queues".to_string(), sequence(0x55, &traffic)),
    ];
    let mut full = Vec::new();
    for _ in 0..70 {
        full.push(Transmit { len: 100 });
    }
    full.extend([Flush, Query, ProcessTx, Query, Flush, Transmit { len: 60 }]);
    seeds.push(("tx-full".to_string(), sequence(0x23, &full)));
    let bad = [
        Flush,
        PushUsed {
            queue: 0,
            id: 300,
            len: 60,
        },
        PushUsed {
            queue: 0,
            id: 1,
            len: 5,
        },
        PushUsed {
            queue: 0,
            id: 2,
            len: 5000,
        },
        CompleteRx { len: 12 },
        CompleteRx { len: 0xffff_ffff },
        Receive,
        Transmit { len: 100 },
        Flush,
        PushUsed {
            queue: 1,
            id: 0,
            len: 0,
        },
        PushUsed {
            queue: 1,
            id: 0,
            len: 0,
        },
        Flush,
        UsedIndex {
            queue: 0,
            index: 1000,
        },
        Receive,
        Transmit { len: 60 },
        Flush,
    ];
    seeds.push(("misbehaving".to_string(), sequence(0x80, &bad)));
    let reset = [
        Deliver { len: 60 },
        NeedsReset,
        Flush,
        Receive,
        Transmit { len: 60 },
        Query,
    ];
    seeds.push(("needs-reset".to_string(), sequence(0x80, &reset)));
    seeds.push((
        "odd-sizes".to_string(),
        sequence(
            0xa9,
            &[
                Deliver { len: 60 },
                Receive,
                Transmit { len: 60 },
                Flush,
                ProcessTx,
                Flush,
            ],
        ),
    ));
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
