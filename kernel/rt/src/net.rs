//! The network device for apps: netfront on Xen, virtio-net elsewhere.
//!
//! [`open`] finds and brings up the platform's NIC and returns it as a
//! `xenolith_device::NetDevice`. The wrappers here feed drivers what the runtime observes
//! (fired event channels and xenstore watch events for netfront; interrupts arrive through
//! the idle loop for virtio-net), so the stack only ever calls the trait.

use alloc::boxed::Box;
use core::fmt;
use xenolith_device::{DeviceStats, NetDevice};

/// Why no network device could be opened.
#[derive(Debug)]
pub enum Error {
    /// Netfront could not connect to its backend.
    Netfront(xenolith_xen::netfront::Error),
    /// No virtio-net device, or it could not be brought up.
    Virtio(alloc::string::String),
    /// The platform has no network device at all.
    NoDevice(&'static str),
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Netfront(e) => write!(f, "netfront: {e}"),
            Error::Virtio(e) => write!(f, "virtio-net: {e}"),
            Error::NoDevice(why) => write!(f, "no network device: {why}"),
        }
    }
}

/// A MAC address as `52:54:00:12:34:56`.
#[derive(Clone, Copy, Debug)]
pub struct Mac(pub [u8; 6]);

impl fmt::Display for Mac {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let m = self.0;
        write!(
            f,
            "{:02x}:{:02x}:{:02x}:{:02x}:{:02x}:{:02x}",
            m[0], m[1], m[2], m[3], m[4], m[5]
        )
    }
}

/// Opens the platform's network interface.
pub fn open() -> Result<Box<dyn NetDevice>, Error> {
    if let Some(platform) = crate::xen::platform() {
        return xen_netfront(platform).map(|nic| Box::new(nic) as Box<dyn NetDevice>);
    }
    crate::virtio::open_net().map_err(Error::Virtio)
}

use xenolith_xen::netfront::{Netfront, SharedPages};
use xenolith_xen::platform::Platform;

/// Netfront plus the event plumbing the runtime owns.
struct XenNet {
    netfront: Netfront<'static, Platform>,
    platform: &'static Platform,
}

fn xen_netfront(platform: &'static Platform) -> Result<XenNet, Error> {
    let store = crate::xen::xenstore().ok_or(Error::NoDevice("xenstore is not up"))?;
    let grants = crate::xen::grant_table().ok_or(Error::NoDevice("grant table is not up"))?;
    let alloc = |pages: usize| {
        let address = crate::paging::leak_pages(pages)?;
        // SAFETY: fresh, zeroed, identity-mapped heap pages leaked to the driver for good; they
        // are shared with the backend only through this wrapper.
        let memory = unsafe { xenolith_arch::shared::SharedMemory::new(address, pages * 4096) };
        SharedPages::identity_mapped(memory)
    };
    let netfront = Netfront::connect(platform, &mut store.lock(), grants, &alloc, 0)
        .map_err(Error::Netfront)?;
    // Netfront itself logs the connection, backend and MAC.
    Ok(XenNet { netfront, platform })
}

impl XenNet {
    /// Hands netfront its fired event channel and its watch events.
    ///
    /// The rings are checked on every stack poll, not only when the event channel fired: a
    /// notification the backend suppressed or that raced with `final_check_for_responses`
    /// must not stall the link, and looking costs two index reads. (The event channel still
    /// wakes the idle loop; smoltcp's timers keep polling while a transfer is active.)
    fn deliver_events(&mut self) {
        self.platform.take_event(self.netfront.port());
        self.netfront.handle_event();
        while let Some(event) = crate::xen::take_watch(self.netfront.watch_token()) {
            if let Some(store) = crate::xen::xenstore()
                && let Err(e) = self.netfront.handle_watch_event(&mut store.lock(), &event)
            {
                log::warn!("netfront: {e}");
            }
        }
    }
}

impl NetDevice for XenNet {
    fn mac_address(&self) -> [u8; 6] {
        self.netfront.mac_address()
    }
    fn max_frame_len(&self) -> usize {
        self.netfront.max_frame_len()
    }
    fn receive(&mut self, buffer: &mut [u8]) -> Option<usize> {
        self.deliver_events();
        self.netfront.receive(buffer)
    }
    fn can_transmit(&self) -> bool {
        self.netfront.can_transmit()
    }
    fn transmit(&mut self, frame: &[u8]) -> bool {
        self.netfront.transmit(frame)
    }
    fn flush(&mut self) {
        self.deliver_events();
        self.netfront.flush();
    }
    fn is_up(&self) -> bool {
        self.netfront.is_up()
    }
    fn stats(&self) -> DeviceStats {
        self.netfront.stats()
    }
}

/// The runtime as the executor's platform: the clock, sleeping until an interrupt, event
/// channel or deadline, and randomness. Each wake-up also honours a shutdown request (`xl
/// shutdown` / `xl reboot` on Xen, the ACPI power button elsewhere): the guest then powers off
/// or reboots, its shutdown reports first.
struct KernelPlatform;

impl xenolith_device::Machine for KernelPlatform {
    fn now(&self) -> core::time::Duration {
        crate::clock::now()
    }

    fn idle(&self, deadline: Option<core::time::Duration>) {
        crate::idle::until(deadline);
        if let Some(request) = crate::shutdown::poll_request() {
            crate::shutdown::honour(request);
        }
    }

    fn random_u64(&self) -> u64 {
        crate::random::u64()
    }
}

static PLATFORM: KernelPlatform = KernelPlatform;

/// The executor's platform.
pub fn platform() -> &'static dyn xenolith_device::Machine {
    &PLATFORM
}
