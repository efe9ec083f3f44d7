//! Hosted mode: the stack and the apps as a Linux process, over a TAP interface.
//!
//! [`TapDevice`] is a [`NetDevice`] on `/dev/net/tun` (`IFF_TAP | IFF_NO_PI`: one Ethernet
//! frame per `read`/`write`, no header); [`HostMachine`] is the [`Machine`]: the clock is
//! `std::time::Instant`, idling is `poll(2)` on the TAP descriptor with the deadline as
//! timeout, and randomness comes from `/dev/urandom`.
//!
//! Opening a TAP interface needs `CAP_NET_ADMIN` (root), unless the interface was created
//! beforehand for the user (`ip tuntap add NAME mode tap user USER`). The host side of the
//! interface is an ordinary Linux interface: give it an address on the stack's subnet and
//! bring it up (`ip addr add 10.77.0.1/24 dev NAME; ip link set NAME up`).

mod sys;

use std::eprintln;
use std::format;
use std::fs::{File, OpenOptions};
use std::io::{self, Read, Write};
use std::os::fd::{AsFd, OwnedFd};
use std::os::unix::fs::OpenOptionsExt;
use std::string::{String, ToString};
use std::time::{Duration, Instant};

use crate::{DeviceStats, Machine, NetDevice};

/// A Linux TAP interface as a [`NetDevice`].
#[derive(Debug)]
pub struct TapDevice {
    file: File,
    name: String,
    mac: [u8; 6],
    stats: DeviceStats,
}

impl TapDevice {
    /// Attaches to the TAP interface `name` (created if it does not exist; it then disappears
    /// when the process ends). The stack gets the MAC address `mac`.
    pub fn open(name: &str, mac: [u8; 6]) -> io::Result<TapDevice> {
        let file = OpenOptions::new()
            .read(true)
            .write(true)
            .custom_flags(libc::O_NONBLOCK | libc::O_CLOEXEC)
            .open("/dev/net/tun")?;
        let name = sys::attach_tap(file.as_fd(), name)?;
        Ok(TapDevice {
            file,
            name,
            mac,
            stats: DeviceStats::default(),
        })
    }

    /// The interface's name, as the kernel knows it.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// A second descriptor for the interface, for [`HostMachine`] to wait on.
    pub fn wait_handle(&self) -> io::Result<OwnedFd> {
        self.file.as_fd().try_clone_to_owned()
    }
}

impl NetDevice for TapDevice {
    fn mac_address(&self) -> [u8; 6] {
        self.mac
    }

    fn receive(&mut self, buffer: &mut [u8]) -> Option<usize> {
        loop {
            return match self.file.read(buffer) {
                Ok(0) => None,
                Ok(len) => {
                    self.stats.rx_frames += 1;
                    Some(len)
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => None,
                Err(_) => {
                    self.stats.errors += 1;
                    None
                }
            };
        }
    }

    fn can_transmit(&self) -> bool {
        true
    }

    fn transmit(&mut self, frame: &[u8]) -> bool {
        match self.file.write(frame) {
            Ok(len) if len == frame.len() => {
                self.stats.tx_frames += 1;
                true
            }
            // Short write, full queue (the host side is down or not reading), or an error.
            _ => {
                self.stats.tx_dropped += 1;
                false
            }
        }
    }

    fn flush(&mut self) {}

    fn is_up(&self) -> bool {
        true
    }

    fn stats(&self) -> DeviceStats {
        self.stats
    }
}

/// The Linux [`Machine`]: monotonic clock, `poll(2)` on the TAP descriptor, `/dev/urandom`.
#[derive(Debug)]
pub struct HostMachine {
    start: Instant,
    tap: OwnedFd,
    urandom: File,
}

impl HostMachine {
    /// A machine that wakes up when `tap` has a frame; time zero is now.
    pub fn new(tap: &TapDevice) -> io::Result<HostMachine> {
        Ok(HostMachine {
            start: Instant::now(),
            tap: tap.wait_handle()?,
            urandom: File::open("/dev/urandom")?,
        })
    }
}

impl Machine for HostMachine {
    fn now(&self) -> Duration {
        self.start.elapsed()
    }

    fn idle(&self, deadline: Option<Duration>) {
        let timeout = deadline.map(|deadline| deadline.saturating_sub(self.now()));
        if timeout == Some(Duration::ZERO) || sys::stop_requested() {
            return;
        }
        // A failed poll (EBADF, ENOMEM) would fail again at once: sleep a little instead of
        // spinning, and let the deadline logic go on.
        if sys::wait_readable(self.tap.as_fd(), timeout).is_err() {
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    fn random_u64(&self) -> u64 {
        let mut bytes = [0; 8];
        // /dev/urandom does not fail once open; fall back on the clock if it somehow does.
        match (&self.urandom).read_exact(&mut bytes) {
            Ok(()) => u64::from_ne_bytes(bytes),
            Err(_) => self.start.elapsed().as_nanos() as u64 ^ 0x9e37_79b9_7f4a_7c15,
        }
    }
}

/// A random locally administered unicast MAC address (from `/dev/urandom`, else the clock).
pub fn random_mac() -> [u8; 6] {
    use std::io::Read;
    let mut mac = [0u8; 6];
    let read = std::fs::File::open("/dev/urandom").and_then(|mut f| f.read_exact(&mut mac));
    if read.is_err() {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or(0);
        mac.copy_from_slice(&nanos.to_le_bytes()[..6]);
    }
    mac[0] = (mac[0] & 0xfe) | 0x02;
    mac
}

/// Installs a `log` backend that writes to standard error with the time since the first
/// message, at `Debug` when `verbose`, else `Info`. For hosted apps.
pub fn init_stderr_logger(verbose: bool) {
    // Fails only if a logger is already set; then that one stays.
    let _ = log::set_logger(&StderrLogger);
    log::set_max_level(if verbose {
        log::LevelFilter::Debug
    } else {
        log::LevelFilter::Info
    });
}

struct StderrLogger;

static START: std::sync::OnceLock<std::time::Instant> = std::sync::OnceLock::new();

impl log::Log for StderrLogger {
    fn enabled(&self, metadata: &log::Metadata<'_>) -> bool {
        metadata.level() <= log::max_level()
    }

    fn log(&self, record: &log::Record<'_>) {
        if self.enabled(record.metadata()) {
            let elapsed = START.get_or_init(std::time::Instant::now).elapsed();
            // The target is the module path; its crate is enough ("echo: serving ...").
            let target = record.target();
            let source = target.split("::").next().unwrap_or(target);
            std::eprintln!(
                "[{:>4}.{:03} {:<5}] {source}: {}",
                elapsed.as_secs(),
                elapsed.subsec_millis(),
                record.level(),
                record.args()
            );
        }
    }

    fn flush(&self) {}
}

/// The command-line options every hosted app shares, and what they set up: `--tap NAME`,
/// `--ip ADDR/PREFIX`, `--gw ADDR`, `--dhcp`, `--verbose`. An app's parser offers each
/// argument to [`NetOptions::take`] first and handles the rest itself.
#[derive(Debug, Default)]
pub struct NetOptions {
    tap: Option<String>,
    ip: Option<String>,
    gw: Option<String>,
    ip6: Option<String>,
    gw6: Option<String>,
    /// `--verbose` / `-v`: debug logging.
    pub verbose: bool,
}

/// The lines of an app's usage text for [`NetOptions`].
pub const NET_USAGE: &str = "\
  --tap NAME           TAP interface (default xtap0)
  --ip ADDR/PREFIX     static address, e.g. --ip 10.77.0.2/24
  --gw ADDR            default gateway on that subnet
  --dhcp               address from DHCP (where the app's default is not a static one)
  --ip6 ADDR/PREFIX    static IPv6 address, e.g. --ip6 fd00:77::2/64; `auto` (SLAAC, the
                       default) or `off`; --ip6 without --ip runs IPv6 only
  --gw6 ADDR           default IPv6 router (link-local, or on that prefix)
  --verbose            debug logging";

impl NetOptions {
    /// If `arg` is one of the shared options, takes it (and its value from `rest`): `Ok(true)`.
    /// `Ok(false)` for any other argument; an error if the value is missing.
    pub fn take(
        &mut self,
        arg: &str,
        rest: &mut impl Iterator<Item = String>,
    ) -> Result<bool, String> {
        let mut value = |name: &str| {
            rest.next()
                .ok_or_else(|| format!("{name} needs a value (see --help)"))
        };
        match arg {
            "--tap" => self.tap = Some(value("--tap")?),
            "--ip" => self.ip = Some(value("--ip")?),
            "--gw" => self.gw = Some(value("--gw")?),
            "--ip6" => self.ip6 = Some(value("--ip6")?),
            "--gw6" => self.gw6 = Some(value("--gw6")?),
            "--dhcp" => self.ip = Some("dhcp".into()),
            "--verbose" | "-v" => self.verbose = true,
            _ => return Ok(false),
        }
        Ok(true)
    }

    /// The stack's configuration (`default` without `--ip`); errors name the options.
    pub fn config(&self, default: crate::Config) -> Result<crate::Config, String> {
        crate::Config::from_lookup(
            |key| match key {
                "ip" => self.ip.as_deref(),
                "gw" => self.gw.as_deref(),
                "ip6" => self.ip6.as_deref(),
                "gw6" => self.gw6.as_deref(),
                _ => None,
            },
            default,
        )
        .map_err(|e| {
            // `ip6=VALUE` becomes `--ip6 VALUE`; a word named without a value (`gw6= cannot
            // ...`) becomes the bare option.
            let mut text = e.to_string();
            for (word, option) in [
                ("ip", "--ip"),
                ("gw", "--gw"),
                ("ip6", "--ip6"),
                ("gw6", "--gw6"),
            ] {
                text = text
                    .replace(&format!("{word}= "), &format!("{option} "))
                    .replace(&format!("{word}=,"), &format!("{option},"))
                    .replace(&format!("{word}="), &format!("{option} "));
            }
            text
        })
    }

    /// Installs the stderr logger (debug with `--verbose`) and opens the TAP interface (with
    /// a random MAC) and the host machine around it.
    pub fn open(&self) -> Result<(TapDevice, HostMachine), String> {
        init_stderr_logger(self.verbose);
        let name = self.tap.as_deref().unwrap_or("xtap0");
        let tap = TapDevice::open(name, random_mac()).map_err(|e| {
            format!("cannot open the TAP interface {name}: {e} (root or CAP_NET_ADMIN is needed)")
        })?;
        let machine =
            HostMachine::new(&tap).map_err(|e| format!("cannot set up the host machine: {e}"))?;
        Ok((tap, machine))
    }
}

/// Makes SIGINT (Ctrl-C) and SIGTERM request an orderly stop instead of killing the process:
/// [`stop_requested`] then says so, and the machine's `idle` returns at once.
pub fn catch_stop_signals() -> io::Result<()> {
    sys::catch_stop_signals()
}

/// Whether SIGINT or SIGTERM arrived since [`catch_stop_signals`].
pub fn stop_requested() -> bool {
    sys::stop_requested()
}

/// A hosted app's exit: success, or its error on standard error as `NAME: ERROR` and status 2.
pub fn exit(name: &str, result: Result<(), String>) -> std::process::ExitCode {
    match result {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("{name}: {message}");
            std::process::ExitCode::from(2)
        }
    }
}

#[cfg(test)]
mod net_options_tests {
    use super::*;
    use std::string::ToString;
    use std::vec::Vec;

    /// Feeds `words` through `take`; the words it did not take.
    fn parse(words: &[&str]) -> Result<(NetOptions, Vec<String>), String> {
        let mut options = NetOptions::default();
        let mut rest = Vec::new();
        let mut args = words.iter().map(|w| w.to_string());
        while let Some(arg) = args.next() {
            if !options.take(&arg, &mut args)? {
                rest.push(arg);
            }
        }
        Ok((options, rest))
    }

    #[test]
    fn shared_options_are_taken_and_others_left() {
        let (o, rest) = parse(&[
            "--tap",
            "t1",
            "--ip",
            "10.77.0.2/24",
            "--port",
            "9",
            "--gw",
            "10.77.0.1",
            "-v",
        ])
        .unwrap();
        assert_eq!(o.tap.as_deref(), Some("t1"));
        assert_eq!(o.ip.as_deref(), Some("10.77.0.2/24"));
        assert_eq!(o.gw.as_deref(), Some("10.77.0.1"));
        assert!(o.verbose);
        assert_eq!(rest, ["--port", "9"]);
        assert!(o.config(crate::Config::AUTO).is_ok());
        assert_eq!(parse(&["--dhcp"]).unwrap().0.ip.as_deref(), Some("dhcp"));
        assert!(parse(&["--ip"]).unwrap_err().contains("--ip needs a value"));
    }

    #[test]
    fn configuration_errors_name_the_options() {
        let (o, _) = parse(&["--ip", "10.77.0.2/40"]).unwrap();
        let error = o.config(crate::Config::AUTO).unwrap_err();
        assert!(error.contains("--ip "), "{error}");
        let (o, _) = parse(&["--ip", "10.77.0.2/24", "--gw", "10.1.0.1"]).unwrap();
        let error = o.config(crate::Config::AUTO).unwrap_err();
        assert!(error.contains("--gw "), "{error}");
        let (o, _) = parse(&["--ip6", "fd00::1", "--gw6", "fe80::1"]).unwrap();
        let error = o.config(crate::Config::AUTO).unwrap_err();
        assert!(
            error.starts_with("--ip6 fd00::1 has no prefix length"),
            "{error}"
        );
        let (o, _) = parse(&["--ip6", "auto", "--gw6", "fe80::1"]).unwrap();
        let error = o.config(crate::Config::AUTO).unwrap_err();
        assert!(
            error.starts_with("--gw6 cannot be combined with --ip6 auto"),
            "{error}"
        );
        let (o, _) = parse(&["--ip6", "fd00::2/64", "--gw6", "fe80::1"]).unwrap();
        let config = o.config(crate::Config::AUTO).unwrap();
        assert_eq!(config.ipv4, crate::Ipv4Config::Off);
    }

    #[test]
    fn macs_are_local_unicast() {
        for _ in 0..10 {
            assert_eq!(random_mac()[0] & 0x03, 0x02);
        }
    }
}
