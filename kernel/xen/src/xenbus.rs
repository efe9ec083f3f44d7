//! The frontend side of the xenbus handshake (`xen/include/public/io/xenbus.h`,
//! `docs/misc/xenstore-paths.pandoc`): device states, their transitions, and waiting for a
//! backend.
//!
//! A split device is two xenstore directories: the frontend's (ours, `device/<class>/<index>`,
//! relative to `/local/domain/<our id>`) with `backend` and `backend-id` nodes naming the other
//! end, and the backend's (`/local/domain/<backend id>/backend/<class>/<our id>/<index>`). Each
//! end publishes its [`XenbusState`] as a decimal number in its `state` node and watches the
//! other's. A frontend normally goes Initialising → Initialised (rings granted, details
//! written) → Connected, then Closing → Closed on the way down; the backend goes Initialising →
//! InitWait → Connected.
//!
//! Everything read from the backend's directory is untrusted: a state that is not one of the
//! nine numbers, a backend path that is not an absolute xenstore path or a backend id that is
//! not a domain is an [`Error`], never a panic.
//!
//! Waiting ([`XenStore::wait_for_xenbus_state`]) re-reads the backend's `state` each time the
//! guest wakes, and sleeps with [`Hypervisor::wait`]: the caller's watch on that node (see
//! [`XenStore::watch`]) is what makes xenstored wake us when it changes. The wait consumes no
//! watch events, so events for other watches (`control/shutdown`) stay queued for their owner.

use crate::hypervisor::{Errno, Hypervisor};
use crate::types::DomId;
use crate::xenstore::{self, XenStore};
use alloc::boxed::Box;
use alloc::format;
use alloc::string::String;
use core::fmt;
use core::str::FromStr;

/// Longest absolute xenstore path (`XENSTORE_ABS_PATH_MAX` in `io/xs_wire.h`).
const XENSTORE_ABS_PATH_MAX: usize = 3072;

/// A xenbus device state (`enum xenbus_state`), as published in a `state` node.
#[doc(alias = "xenbus_state")]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[repr(u32)]
pub enum XenbusState {
    /// `XenbusStateUnknown` (0): no state yet.
    Unknown = 0,
    /// `XenbusStateInitialising` (1): setting up.
    Initialising = 1,
    /// `XenbusStateInitWait` (2): early setup done, waiting for the peer or hotplug scripts.
    InitWait = 2,
    /// `XenbusStateInitialised` (3): details published, waiting for the peer to connect.
    Initialised = 3,
    /// `XenbusStateConnected` (4): up.
    Connected = 4,
    /// `XenbusStateClosing` (5): going down, because of an error or an unplug.
    Closing = 5,
    /// `XenbusStateClosed` (6): down.
    Closed = 6,
    /// `XenbusStateReconfiguring` (7): being reconfigured.
    Reconfiguring = 7,
    /// `XenbusStateReconfigured` (8): reconfiguration done.
    Reconfigured = 8,
}

/// A `state` value that is not a xenbus state.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InvalidState(pub String);

impl fmt::Display for InvalidState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} is not a xenbus state (a decimal number from 0 to 8)",
            crate::types::Quoted(&self.0)
        )
    }
}

impl XenbusState {
    /// The state with number `raw`, if there is one.
    pub fn from_raw(raw: u32) -> Option<XenbusState> {
        use XenbusState::*;
        Some(match raw {
            0 => Unknown,
            1 => Initialising,
            2 => InitWait,
            3 => Initialised,
            4 => Connected,
            5 => Closing,
            6 => Closed,
            7 => Reconfiguring,
            8 => Reconfigured,
            _ => return None,
        })
    }

    /// Parses the decimal value of a `state` node: ASCII digits only (no sign, no spaces), at
    /// most 10 of them, naming one of the nine states.
    pub fn parse(value: &str) -> Result<XenbusState, InvalidState> {
        let invalid = || {
            // Keep error messages short even for a hostile megabyte of garbage.
            InvalidState(crate::types::truncated(value, 32))
        };
        if value.is_empty() || value.len() > 10 || !value.bytes().all(|b| b.is_ascii_digit()) {
            return Err(invalid());
        }
        crate::types::decimal(value.as_bytes())
            .and_then(|raw| u32::try_from(raw).ok())
            .and_then(XenbusState::from_raw)
            .ok_or_else(invalid)
    }

    /// The state's number.
    pub fn raw(self) -> u32 {
        self as u32
    }

    /// The C name without its `XenbusState` prefix.
    pub fn name(self) -> &'static str {
        use XenbusState::*;
        match self {
            Unknown => "Unknown",
            Initialising => "Initialising",
            InitWait => "InitWait",
            Initialised => "Initialised",
            Connected => "Connected",
            Closing => "Closing",
            Closed => "Closed",
            Reconfiguring => "Reconfiguring",
            Reconfigured => "Reconfigured",
        }
    }

    /// Whether the device is going or gone away (Closing or Closed).
    pub fn is_closing(self) -> bool {
        matches!(self, XenbusState::Closing | XenbusState::Closed)
    }

    /// How far along the setup path Unknown → Initialising → InitWait → Initialised →
    /// Connected the state is; `None` off that path.
    fn setup_step(self) -> Option<u32> {
        (self.raw() <= XenbusState::Connected.raw()).then_some(self.raw())
    }

    /// Whether a peer in this state has got at least as far as `target` on the setup path
    /// (Unknown → Initialising → InitWait → Initialised → Connected). Reconfiguring and
    /// Reconfigured count as Connected (the device is up and comes back to Connected);
    /// Closing and Closed reach nothing.
    pub fn has_reached(self, target: XenbusState) -> bool {
        let step = match self {
            XenbusState::Reconfiguring | XenbusState::Reconfigured => {
                XenbusState::Connected.setup_step()
            }
            state => state.setup_step(),
        };
        match (step, target.setup_step()) {
            (Some(step), Some(target)) => step >= target,
            _ => self == target,
        }
    }

    /// Whether a frontend may go from this state to `next`:
    ///
    /// - setting up: Unknown/Initialising → Initialising, Initialised or Connected;
    ///   Initialised → Connected;
    /// - reconfiguring: Connected → Reconfiguring → Reconfigured → Connected;
    /// - going down: any state but Closed → Closing; any state → Closed;
    /// - reconnecting: Closed → Initialising.
    ///
    /// Staying in a state is allowed (rewriting it is harmless). InitWait is a backend state
    /// and never a frontend's target.
    pub fn frontend_may_switch_to(self, next: XenbusState) -> bool {
        use XenbusState::*;
        self == next
            || matches!(
                (self, next),
                (
                    Unknown | Initialising,
                    Initialising | Initialised | Connected
                ) | (Initialised, Connected)
                    | (Connected, Reconfiguring)
                    | (Reconfiguring, Reconfigured)
                    | (Reconfigured, Connected)
                    | (Closed, Initialising)
                    | (_, Closed)
            )
            || (next == Closing && self != Closed)
    }

    /// The decimal value written to a `state` node.
    fn value(self) -> String {
        format!("{}", self.raw())
    }
}

impl FromStr for XenbusState {
    type Err = InvalidState;

    fn from_str(value: &str) -> Result<XenbusState, InvalidState> {
        XenbusState::parse(value)
    }
}

impl fmt::Display for XenbusState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({})", self.name(), self.raw())
    }
}

/// The two ends of a split device, as named by the frontend's directory.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct XenbusDevice {
    /// Our directory, e.g. `device/vif/0`.
    pub frontend: String,
    /// The backend's directory (an absolute path), e.g. `/local/domain/0/backend/vif/5/0`.
    pub backend: String,
    /// The backend's domain.
    pub backend_id: DomId,
}

impl XenbusDevice {
    /// The path of node `name` in our directory.
    pub fn frontend_node(&self, name: &str) -> String {
        format!("{}/{name}", self.frontend)
    }

    /// The path of node `name` in the backend's directory.
    pub fn backend_node(&self, name: &str) -> String {
        format!("{}/{name}", self.backend)
    }
}

/// What went wrong in a xenbus exchange ([`ErrorKind`], boxed so that it fits in a register:
/// it is returned through every `?` of the Xen path, and allocated only when something failed).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Error(Box<ErrorKind>);

/// What went wrong in a xenbus exchange. Each variant names the xenstore path involved.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ErrorKind {
    /// A xenstore request failed (the error names the operation and path).
    Xenstore(xenstore::Error),
    /// A `state` node holds something that is not a xenbus state.
    InvalidState {
        /// The node.
        path: String,
        /// Why its value was refused.
        value: InvalidState,
    },
    /// The frontend's `backend` node is not an absolute xenstore path.
    InvalidBackendPath {
        /// The `backend` node.
        path: String,
        /// Its value (at most 64 characters of it).
        value: String,
    },
    /// The frontend's `backend-id` node does not name a domain.
    InvalidBackendId {
        /// The `backend-id` node.
        path: String,
        /// Its value.
        value: u64,
    },
    /// A frontend state change the protocol does not allow.
    InvalidTransition {
        /// The `state` node.
        path: String,
        /// The current state.
        from: XenbusState,
        /// The refused next state.
        to: XenbusState,
    },
    /// The backend went to Closing or Closed while we waited for it.
    BackendClosed {
        /// The backend's `state` node.
        path: String,
        /// The state it reached.
        state: XenbusState,
        /// The state we were waiting for.
        wanted: XenbusState,
    },
    /// The backend did not reach the state in time.
    Timeout {
        /// The backend's `state` node.
        path: String,
        /// The state we were waiting for.
        wanted: XenbusState,
        /// The state it was stuck in (`None`: its `state` node did not exist).
        state: Option<XenbusState>,
        /// How long we waited, in nanoseconds.
        waited_ns: u64,
    },
}

impl Error {
    /// What went wrong.
    pub fn kind(&self) -> &ErrorKind {
        &self.0
    }

    /// Whether this is xenstore saying the node does not exist (`ENOENT`).
    pub fn is_missing_node(&self) -> bool {
        matches!(&*self.0, ErrorKind::Xenstore(e) if e.errno() == Some(Errno::ENOENT))
    }
}

impl From<ErrorKind> for Error {
    #[cold]
    #[inline(never)]
    fn from(kind: ErrorKind) -> Self {
        Error(Box::new(kind))
    }
}

impl From<xenstore::Error> for Error {
    fn from(error: xenstore::Error) -> Self {
        ErrorKind::Xenstore(error).into()
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&*self.0, f)
    }
}

impl fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ErrorKind::Xenstore(error) => fmt::Display::fmt(error, f),
            ErrorKind::InvalidState { path, value } => {
                write!(f, "{} = {}: the peer is broken", *path, *value)
            }
            ErrorKind::InvalidBackendPath { path, value } => write!(
                f,
                "{path} = {} is not an absolute xenstore path: check the device's configuration",
                crate::types::Quoted(value)
            ),
            ErrorKind::InvalidBackendId { path, value } => write!(
                f,
                "{path} = {value} is not a domain id: check the device's configuration"
            ),
            ErrorKind::InvalidTransition { path, from, to } => {
                write!(
                    f,
                    "{}: a frontend cannot go from {} to {}",
                    *path, *from, *to
                )
            }
            ErrorKind::BackendClosed {
                path,
                state,
                wanted,
            } => write!(
                f,
                "the backend went to {state} (in {path}) while we waited for {wanted}: \
                 it refused the connection or is being unplugged; see the backend domain's logs"
            ),
            ErrorKind::Timeout {
                path,
                wanted,
                state,
                waited_ns,
            } => {
                write!(
                    f,
                    "the backend did not reach {wanted} within {} ms: ",
                    waited_ns / 1_000_000
                )?;
                match state {
                    Some(state) => write!(f, "{} stayed at {}", *path, *state)?,
                    None => write!(f, "{} does not exist", *path)?,
                }
                write!(
                    f,
                    " (is the backend driver loaded and its hotplug script working?)"
                )
            }
        }
    }
}

impl<H: Hypervisor> XenStore<'_, H> {
    /// Reads the frontend directory `frontend` (e.g. `device/vif/0`): its `backend` path and
    /// `backend-id`, both checked.
    // Out of line: 80 bytes smaller than inlined into `Netfront::connect`.
    #[inline(never)]
    pub fn xenbus_device(&mut self, frontend: &str) -> Result<XenbusDevice, Error> {
        let backend_path = format!("{frontend}/backend");
        let backend = self.read(&backend_path)?;
        if !backend.starts_with('/')
            || backend.len() > XENSTORE_ABS_PATH_MAX
            || backend.ends_with('/')
            // (Bytes, not `str::contains`: the substring search is 1 KB of image.)
            || backend.as_bytes().windows(2).any(|pair| pair == b"//")
            || !backend.bytes().all(|b| b.is_ascii_graphic())
        {
            return Err(ErrorKind::InvalidBackendPath {
                path: backend_path,
                value: crate::types::truncated(&backend, 64),
            }
            .into());
        }
        let id_path = format!("{frontend}/backend-id");
        let id = self.read_u64(&id_path)?;
        let Some(backend_id) = u32::try_from(id).ok().and_then(DomId::new) else {
            return Err(ErrorKind::InvalidBackendId {
                path: id_path,
                value: id,
            }
            .into());
        };
        Ok(XenbusDevice {
            frontend: frontend.into(),
            backend,
            backend_id,
        })
    }

    /// The state published in `directory/state`.
    pub fn read_xenbus_state(&mut self, directory: &str) -> Result<XenbusState, Error> {
        let path = format!("{directory}/state");
        let value = self.read(&path)?;
        XenbusState::parse(&value).map_err(|value| ErrorKind::InvalidState { path, value }.into())
    }

    /// Publishes `state` in `directory/state`, without checking the transition.
    pub fn write_xenbus_state(&mut self, directory: &str, state: XenbusState) -> Result<(), Error> {
        let path = format!("{directory}/state");
        Ok(self.write(&path, &state.value())?)
    }

    /// Moves our frontend `directory` from state `from` to `to`, if a frontend may
    /// ([`XenbusState::frontend_may_switch_to`]).
    pub fn switch_xenbus_state(
        &mut self,
        directory: &str,
        from: XenbusState,
        to: XenbusState,
    ) -> Result<(), Error> {
        if !from.frontend_may_switch_to(to) {
            return Err(ErrorKind::InvalidTransition {
                path: format!("{directory}/state"),
                from,
                to,
            }
            .into());
        }
        self.write_xenbus_state(directory, to)
    }

    /// Waits until the peer whose directory is `directory` has reached `target`
    /// ([`XenbusState::has_reached`]), and returns the state it is in.
    ///
    /// Fails with [`ErrorKind::BackendClosed`] as soon as the peer is Closing or Closed, and with
    /// [`ErrorKind::Timeout`] (naming the state it was stuck in) once `hypervisor.now_ns()` passes
    /// `deadline_ns`. A missing `state` node counts as not there yet; a garbage one is an
    /// error. The caller must watch `directory/state` first, or changes only show when
    /// something else wakes the guest.
    pub fn wait_for_xenbus_state(
        &mut self,
        hypervisor: &H,
        directory: &str,
        target: XenbusState,
        deadline_ns: u64,
    ) -> Result<XenbusState, Error> {
        let start = hypervisor.now_ns();
        loop {
            let state = match self.read_xenbus_state(directory) {
                Ok(state) => Some(state),
                Err(error) if error.is_missing_node() => None,
                Err(error) => return Err(error),
            };
            match state {
                Some(state) if state.has_reached(target) => return Ok(state),
                Some(state) if state.is_closing() => {
                    return Err(ErrorKind::BackendClosed {
                        path: format!("{directory}/state"),
                        state,
                        wanted: target,
                    }
                    .into());
                }
                _ => {}
            }
            let now = hypervisor.now_ns();
            if now >= deadline_ns {
                return Err(ErrorKind::Timeout {
                    path: format!("{directory}/state"),
                    wanted: target,
                    state,
                    waited_ns: now.saturating_sub(start),
                }
                .into());
            }
            hypervisor.wait(deadline_ns);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{FakeXen, FakeXenstored, Peer, TICK_NS};
    use XenbusState::*;
    use alloc::string::ToString;
    use alloc::vec::Vec;

    const ALL: [XenbusState; 9] = [
        Unknown,
        Initialising,
        InitWait,
        Initialised,
        Connected,
        Closing,
        Closed,
        Reconfiguring,
        Reconfigured,
    ];
    const BACKEND: &str = "/local/domain/0/backend/vif/7/0";

    #[test]
    fn states_round_trip_through_their_numbers() {
        for (raw, state) in ALL.into_iter().enumerate() {
            assert_eq!(state.raw(), raw as u32);
            assert_eq!(XenbusState::from_raw(raw as u32), Some(state));
            assert_eq!(XenbusState::parse(&state.value()), Ok(state));
            assert_eq!(state.value().parse::<XenbusState>(), Ok(state));
            // The C enum agrees.
            assert_eq!(
                state.raw(),
                [
                    crate::abi::io::xenbus::XenbusStateUnknown,
                    crate::abi::io::xenbus::XenbusStateInitialising,
                    crate::abi::io::xenbus::XenbusStateInitWait,
                    crate::abi::io::xenbus::XenbusStateInitialised,
                    crate::abi::io::xenbus::XenbusStateConnected,
                    crate::abi::io::xenbus::XenbusStateClosing,
                    crate::abi::io::xenbus::XenbusStateClosed,
                    crate::abi::io::xenbus::XenbusStateReconfiguring,
                    crate::abi::io::xenbus::XenbusStateReconfigured,
                ][raw]
            );
        }
        assert_eq!(XenbusState::from_raw(9), None);
        assert_eq!(Connected.to_string(), "Connected (4)");
    }

    #[test]
    fn garbage_states_are_errors_not_panics() {
        for garbage in [
            "",
            "9",
            "-1",
            "+4",
            " 4",
            "4 ",
            "4\n",
            "0x4",
            "four",
            "4294967296",
            "99999999999999999999",
            "٤",
            "4\0",
        ] {
            let error = XenbusState::parse(garbage).unwrap_err();
            assert!(
                error.to_string().contains("is not a xenbus state"),
                "{error}"
            );
        }
        // Leading zeros are still the number.
        assert_eq!(XenbusState::parse("04"), Ok(Connected));
        let long = "7".repeat(100_000);
        assert_eq!(XenbusState::parse(&long).unwrap_err().0.len(), 32);
    }

    #[test]
    fn frontend_transitions() {
        let allowed = [
            (Initialising, Initialised),
            (Initialising, Connected),
            (Unknown, Initialising),
            (Initialised, Connected),
            (Connected, Closing),
            (Connected, Closed),
            (Closing, Closed),
            (Closed, Initialising),
            (Connected, Reconfiguring),
            (Reconfiguring, Reconfigured),
            (Reconfigured, Connected),
            (Initialised, Closing),
            (Connected, Connected),
        ];
        for (from, to) in allowed {
            assert!(from.frontend_may_switch_to(to), "{from} -> {to}");
        }
        let refused = [
            (Connected, Initialised),
            (Connected, Initialising),
            (Closed, Connected),
            (Closed, Closing),
            (Closing, Connected),
            (Initialising, InitWait),
            (Initialised, Initialising),
            (Initialising, Reconfiguring),
        ];
        for (from, to) in refused {
            assert!(!from.frontend_may_switch_to(to), "{from} -> {to}");
        }
    }

    #[test]
    fn reaching_a_state() {
        assert!(Connected.has_reached(InitWait));
        assert!(InitWait.has_reached(InitWait));
        assert!(Initialised.has_reached(InitWait));
        assert!(Reconfiguring.has_reached(Connected));
        assert!(!Initialising.has_reached(InitWait));
        assert!(!Unknown.has_reached(Initialising));
        assert!(!Closing.has_reached(InitWait));
        assert!(!Closed.has_reached(Connected));
        assert!(Closed.has_reached(Closed));
    }

    fn frontend_tree(xen: &FakeXen<impl Peer>) {
        let mut xs = xen.xenstored();
        xs.tree
            .insert("device/vif/0/backend".into(), BACKEND.into());
        xs.tree.insert("device/vif/0/backend-id".into(), "0".into());
        xs.tree.insert("device/vif/0/state".into(), "1".into());
    }

    #[test]
    fn reads_the_device_and_checks_it() {
        let xen = FakeXen::new(());
        frontend_tree(&xen);
        let mut store = xen.client();
        let device = store.xenbus_device("device/vif/0").unwrap();
        assert_eq!(
            device,
            XenbusDevice {
                frontend: "device/vif/0".into(),
                backend: BACKEND.into(),
                backend_id: DomId(0),
            }
        );
        assert_eq!(device.backend_node("state"), format!("{BACKEND}/state"));
        assert_eq!(store.read_xenbus_state(&device.frontend), Ok(Initialising));

        for bad in ["", "relative/path", "/a//b", "/a/", "/a b", "/a\u{e9}"] {
            xen.xenstored()
                .tree
                .insert("device/vif/0/backend".into(), bad.into());
            let error = store.xenbus_device("device/vif/0").unwrap_err();
            assert!(
                matches!(error.kind(), ErrorKind::InvalidBackendPath { .. }),
                "{bad:?}: {error:?}"
            );
        }
        xen.xenstored()
            .tree
            .insert("device/vif/0/backend".into(), BACKEND.into());
        for (bad, expected) in [("32752", Some(32752)), ("70000", Some(70000)), ("x", None)] {
            xen.xenstored()
                .tree
                .insert("device/vif/0/backend-id".into(), bad.into());
            let error = store.xenbus_device("device/vif/0").unwrap_err();
            match expected {
                Some(value) => assert_eq!(
                    *error.kind(),
                    ErrorKind::InvalidBackendId {
                        path: "device/vif/0/backend-id".into(),
                        value
                    }
                ),
                None => assert!(matches!(error.kind(), ErrorKind::Xenstore(_)), "{error:?}"),
            }
        }
        let error = store.xenbus_device("device/vif/1").unwrap_err();
        assert!(error.is_missing_node());
        assert_eq!(
            error.to_string(),
            "xenstore read of device/vif/1/backend failed: ENOENT (-2)"
        );
    }

    #[test]
    fn garbage_in_a_state_node_is_an_error() {
        let xen = FakeXen::new(());
        xen.xenstored()
            .tree
            .insert(format!("{BACKEND}/state"), "connected".into());
        let error = xen.client().read_xenbus_state(BACKEND).unwrap_err();
        assert_eq!(
            error.to_string(),
            format!(
                "{BACKEND}/state = \"connected\" is not a xenbus state (a decimal number from 0 to 8): the peer is broken"
            )
        );
    }

    #[test]
    fn switching_state_checks_the_transition() {
        let xen = FakeXen::new(());
        frontend_tree(&xen);
        let mut store = xen.client();
        store
            .switch_xenbus_state("device/vif/0", Initialising, Initialised)
            .unwrap();
        assert_eq!(xen.xenstored().get("device/vif/0/state"), Some("3"));
        let error = store
            .switch_xenbus_state("device/vif/0", Closed, Connected)
            .unwrap_err();
        assert_eq!(
            error.to_string(),
            "device/vif/0/state: a frontend cannot go from Closed (6) to Connected (4)"
        );
        assert_eq!(xen.xenstored().get("device/vif/0/state"), Some("3"));
    }

    /// A backend that moves through `script` one step per guest wait.
    struct Scripted {
        script: Vec<&'static str>,
    }

    impl Peer for Scripted {
        fn on_wait(&mut self, xenstored: &mut FakeXenstored) {
            if !self.script.is_empty() {
                let state = self.script.remove(0);
                xenstored.external_write(&format!("{BACKEND}/state"), state);
            }
        }
    }

    fn waiting(script: Vec<&'static str>) -> FakeXen<Scripted> {
        FakeXen::new(Scripted { script })
    }

    #[test]
    fn waits_through_the_backend_states() {
        let xen = waiting(alloc::vec!["1", "2", "2", "4"]);
        let mut store = xen.client();
        store.watch(&format!("{BACKEND}/state"), "be").unwrap();
        let deadline = xen.now_ns() + 100 * TICK_NS;
        assert_eq!(
            store.wait_for_xenbus_state(&xen, BACKEND, InitWait, deadline),
            Ok(InitWait)
        );
        assert_eq!(xen.waits.get(), 2);
        assert_eq!(
            store.wait_for_xenbus_state(&xen, BACKEND, Connected, deadline),
            Ok(Connected)
        );
        // Already there: no wait.
        let waits = xen.waits.get();
        assert_eq!(
            store.wait_for_xenbus_state(&xen, BACKEND, InitWait, deadline),
            Ok(Connected)
        );
        assert_eq!(xen.waits.get(), waits);
        // The watch events are left for whoever dispatches them.
        let mut events = 0;
        while let Some(event) = store.poll_watch().unwrap() {
            assert_eq!(event.token, "be");
            events += 1;
        }
        assert_eq!(events, 5, "registration + 4 writes");
    }

    #[test]
    fn closing_backend_fails_the_wait() {
        let xen = waiting(alloc::vec!["2", "5"]);
        let mut store = xen.client();
        let deadline = xen.now_ns() + 100 * TICK_NS;
        let error = store
            .wait_for_xenbus_state(&xen, BACKEND, Connected, deadline)
            .unwrap_err();
        assert_eq!(
            *error.kind(),
            ErrorKind::BackendClosed {
                path: format!("{BACKEND}/state"),
                state: Closing,
                wanted: Connected
            }
        );
        assert!(error.to_string().contains("went to Closing (5)"), "{error}");
    }

    #[test]
    fn timeout_names_the_state_the_backend_was_stuck_in() {
        let xen = waiting(alloc::vec!["2"]);
        let mut store = xen.client();
        let start = xen.now_ns();
        let deadline = start + 50 * TICK_NS;
        let error = store
            .wait_for_xenbus_state(&xen, BACKEND, Connected, deadline)
            .unwrap_err();
        assert_eq!(
            *error.kind(),
            ErrorKind::Timeout {
                path: format!("{BACKEND}/state"),
                wanted: Connected,
                state: Some(InitWait),
                waited_ns: 50 * TICK_NS,
            }
        );
        assert_eq!(xen.now_ns(), deadline);
        assert_eq!(
            error.to_string(),
            format!(
                "the backend did not reach Connected (4) within 500 ms: {BACKEND}/state stayed at \
                 InitWait (2) (is the backend driver loaded and its hotplug script working?)"
            )
        );
        // No backend at all.
        let xen = waiting(Vec::new());
        let error = xen
            .client()
            .wait_for_xenbus_state(&xen, BACKEND, InitWait, xen.now_ns() + TICK_NS)
            .unwrap_err();
        assert!(matches!(
            error.kind(),
            ErrorKind::Timeout { state: None, .. }
        ));
        assert!(error.to_string().contains("does not exist"), "{error}");
    }

    #[test]
    fn garbage_while_waiting_is_an_error() {
        let xen = waiting(alloc::vec!["2", "banana"]);
        let mut store = xen.client();
        let deadline = xen.now_ns() + 100 * TICK_NS;
        let error = store
            .wait_for_xenbus_state(&xen, BACKEND, Connected, deadline)
            .unwrap_err();
        assert!(matches!(error.kind(), ErrorKind::InvalidState { .. }));
    }
}
