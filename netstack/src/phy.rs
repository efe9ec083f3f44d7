//! The smoltcp `phy::Device` adapter over a [`NetDevice`]: frames are copied, as the trait
//! promises.
//!
//! smoltcp asks for tokens: `receive` hands out an RX token (a frame to parse) and a TX token
//! (for a reply, e.g. an ARP or ICMP echo reply), `transmit` a TX token alone. The adapter
//! copies the next frame out of the driver into its own buffer before handing out the RX
//! token, and a TX token lends smoltcp a buffer that is copied into the driver when the token
//! is consumed. Both buffers are allocated once, at the device's maximum frame length.

use alloc::boxed::Box;
use alloc::vec;
use alloc::vec::Vec;

use smoltcp::phy::{self, DeviceCapabilities, Medium};
use smoltcp::time::Instant;

use crate::NetDevice;

/// A [`NetDevice`] as smoltcp sees it.
pub(crate) struct Adapter {
    pub(crate) device: Box<dyn NetDevice>,
    rx_buffer: Vec<u8>,
    tx_buffer: Vec<u8>,
}

impl Adapter {
    pub(crate) fn new(device: Box<dyn NetDevice>) -> Adapter {
        let max = device.max_frame_len();
        Adapter {
            device,
            rx_buffer: vec![0; max],
            tx_buffer: vec![0; max],
        }
    }
}

impl phy::Device for Adapter {
    type RxToken<'a> = RxToken<'a>;
    type TxToken<'a> = TxToken<'a>;

    fn receive(&mut self, _timestamp: Instant) -> Option<(RxToken<'_>, TxToken<'_>)> {
        let len = self.device.receive(&mut self.rx_buffer)?;
        // A driver that claims more than it could have copied is buggy; drop the frame rather
        // than panic on the slice.
        let frame = self.rx_buffer.get(..len)?;
        Some((
            RxToken { frame },
            TxToken {
                device: &mut *self.device,
                buffer: &mut self.tx_buffer,
            },
        ))
    }

    fn transmit(&mut self, _timestamp: Instant) -> Option<TxToken<'_>> {
        if !self.device.can_transmit() {
            return None;
        }
        Some(TxToken {
            device: &mut *self.device,
            buffer: &mut self.tx_buffer,
        })
    }

    fn capabilities(&self) -> DeviceCapabilities {
        let mut caps = DeviceCapabilities::default();
        caps.medium = Medium::Ethernet;
        caps.max_transmission_unit = self.device.max_frame_len();
        // Checksums are computed and verified in software (smoltcp's default): no driver
        // offloads them yet.
        caps
    }
}

/// A received frame, already copied out of the driver.
pub(crate) struct RxToken<'a> {
    frame: &'a [u8],
}

impl phy::RxToken for RxToken<'_> {
    fn consume<R, F: FnOnce(&[u8]) -> R>(self, f: F) -> R {
        f(self.frame)
    }
}

/// Room for one frame; consuming the token copies it into the driver.
pub(crate) struct TxToken<'a> {
    device: &'a mut dyn NetDevice,
    buffer: &'a mut Vec<u8>,
}

impl phy::TxToken for TxToken<'_> {
    fn consume<R, F: FnOnce(&mut [u8]) -> R>(self, len: usize, f: F) -> R {
        if self.buffer.len() < len {
            self.buffer.resize(len, 0);
        }
        let frame = self.buffer.get_mut(..len).unwrap_or_default();
        let result = f(frame);
        // A full ring or a link that went down is counted by the driver; TCP retransmits and
        // DNS clients retry, as they would after a loss on the wire.
        let _sent = self.device.transmit(frame);
        result
    }
}
