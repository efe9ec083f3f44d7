//! How a guest ends, as the outside world sees it: the one definition of the failure codes,
//! used by the runtime (`shutdown::fail`) and by the tests that read QEMU's exit status.
//!
//! | platform | success | failure |
//! |---|---|---|
//! | Xen | `SCHEDOP_shutdown(poweroff)` | `SCHEDOP_shutdown(crash)`, so `on_crash` applies |
//! | QEMU & co. | ACPI S5 → QEMU exits 0 | `isa-debug-exit` (port 0xf4) with the code → QEMU exits `(code << 1) \| 1` |

/// Why the guest failed; the value is what goes to QEMU's `isa-debug-exit` device.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub enum Failure {
    /// A Rust panic.
    Panic = 1,
    /// A CPU exception.
    Exception = 2,
    /// The boot handoff or the configuration was unusable.
    Boot = 3,
    /// The application returned an error.
    App = 4,
}

impl Failure {
    /// Every failure, in code order.
    pub const ALL: [Failure; 4] = [
        Failure::Panic,
        Failure::Exception,
        Failure::Boot,
        Failure::App,
    ];

    /// QEMU's exit status for this failure (`isa-debug-exit` exits with `(code << 1) | 1`).
    pub const fn qemu_status(self) -> i32 {
        ((self as i32) << 1) | 1
    }
}

/// QEMU's exit status after a clean power-off.
pub const QEMU_SUCCESS: i32 = 0;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn qemu_statuses_as_documented() {
        let statuses: [i32; 4] = Failure::ALL.map(Failure::qemu_status);
        assert_eq!(statuses, [3, 5, 7, 9]);
    }
}
