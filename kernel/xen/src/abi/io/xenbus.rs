//! The xenbus device states that frontend and backend publish in xenstore.
//!
//! Mirrors `xen/include/public/io/xenbus.h` (Xen 4.17). Each end writes its state, as a decimal
//! number, to its `state` node and watches the other's; a frontend goes Initialising →
//! Initialised (rings granted, details written) → Connected once the backend is Connected, and
//! Closing → Closed on the way down. A state read from xenstore is untrusted: any other number
//! must be rejected.

/// A xenbus state (`enum xenbus_state`, typedef `XenbusState`).
#[doc(alias = "enum xenbus_state")]
pub type XenbusState = u32;

/// `XenbusStateUnknown`: no state yet.
pub const XenbusStateUnknown: XenbusState = 0;
/// `XenbusStateInitialising`: setting up.
pub const XenbusStateInitialising: XenbusState = 1;
/// `XenbusStateInitWait`: early setup done, waiting for the peer or hotplug scripts.
pub const XenbusStateInitWait: XenbusState = 2;
/// `XenbusStateInitialised`: waiting for the peer to connect.
pub const XenbusStateInitialised: XenbusState = 3;
/// `XenbusStateConnected`: up.
pub const XenbusStateConnected: XenbusState = 4;
/// `XenbusStateClosing`: closing, because of an error or an unplug.
pub const XenbusStateClosing: XenbusState = 5;
/// `XenbusStateClosed`: closed.
pub const XenbusStateClosed: XenbusState = 6;
/// `XenbusStateReconfiguring`: being reconfigured.
pub const XenbusStateReconfiguring: XenbusState = 7;
/// `XenbusStateReconfigured`: reconfiguration done.
pub const XenbusStateReconfigured: XenbusState = 8;

const _: () = {
    assert!(XenbusStateUnknown == 0 && XenbusStateConnected == 4);
    assert!(XenbusStateReconfigured == 8);
};
