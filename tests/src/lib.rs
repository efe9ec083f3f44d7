//! End-to-end test harness: build an app image, boot it under QEMU (TCG, PVH loader), capture
//! its serial console, and report how QEMU exited.
//!
//! Tests decide success or failure from QEMU's exit status, never from console text (the
//! runtime powers off through ACPI on success → status 0, and reports failure through
//! `isa-debug-exit` → status `(code << 1) | 1`). Console text is checked only for content.
#![forbid(unsafe_code)]

use std::io::Read;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

/// The workspace root.
pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("tests/ lives in the workspace")
        .to_path_buf()
}

/// Builds `package` for the host (an app's hosted mode, `cargo build --release -p PACKAGE`) and
/// returns the path of its program.
#[track_caller]
pub fn hosted_binary(package: &str) -> PathBuf {
    let root = workspace_root();
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let built = Command::new(cargo)
        .current_dir(&root)
        .args(["build", "--quiet", "--release", "-p", package])
        .status()
        .expect("cargo build");
    assert!(built.success(), "building the hosted {package} failed");
    root.join("target/release").join(package)
}

/// Exit status QEMU reports for each way a guest ends (defined once, in `xenolith_rt::exit`).
pub mod status {
    use xenolith_rt::exit::{Failure, QEMU_SUCCESS};
    /// Clean power-off.
    pub const SUCCESS: i32 = QEMU_SUCCESS;
    /// A panic.
    pub const PANIC: i32 = Failure::Panic.qemu_status();
    /// A CPU exception.
    pub const EXCEPTION: i32 = Failure::Exception.qemu_status();
    /// A bad boot handoff or configuration.
    pub const BOOT: i32 = Failure::Boot.qemu_status();
    /// The app returned an error.
    pub const APP: i32 = Failure::App.qemu_status();
}

static BUILT: OnceLock<Mutex<Vec<String>>> = OnceLock::new();

/// Builds `app` (release, `x86_64-unknown-none`) once per test process and returns its path.
pub fn image(app: &str) -> PathBuf {
    let built = BUILT.get_or_init(|| Mutex::new(Vec::new()));
    let mut built = built.lock().unwrap_or_else(|e| e.into_inner());
    let root = workspace_root();
    if !built.iter().any(|a| a == app) {
        let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
        let status = Command::new(cargo)
            .current_dir(&root)
            .args([
                "build",
                "--quiet",
                "--release",
                "--target",
                "x86_64-unknown-none",
                "-p",
                app,
            ])
            .status()
            .expect("run cargo build");
        assert!(status.success(), "building the {app} image failed");
        built.push(app.to_string());
    }
    root.join("target/x86_64-unknown-none/release").join(app)
}

/// A QEMU invocation.
#[derive(Clone, Debug)]
pub struct Qemu {
    kernel: PathBuf,
    machine: String,
    memory_mib: u32,
    append: Option<String>,
    initrd: Option<PathBuf>,
    extra: Vec<String>,
    exit_device: bool,
    tap_nic: bool,
    timeout: Duration,
}

/// How a run ended.
#[derive(Debug)]
pub struct Outcome {
    /// QEMU's exit status (`None` if it was killed at the timeout).
    pub status: Option<i32>,
    /// Everything the guest wrote to its serial console (with `\r` removed).
    pub console: String,
    /// What QEMU itself printed on stderr.
    pub stderr: String,
    /// Wall time from spawning QEMU to its exit.
    pub elapsed: Duration,
}

impl Outcome {
    /// Panics with the console unless QEMU exited with `expected`.
    #[track_caller]
    pub fn assert_status(&self, expected: i32) -> &Self {
        assert_eq!(
            self.status,
            Some(expected),
            "QEMU exit status (None = killed at timeout)\n--- console ---\n{}\n--- qemu stderr ---\n{}",
            self.console,
            self.stderr
        );
        self
    }

    /// Panics with the console unless it contains `text`.
    #[track_caller]
    pub fn assert_console(&self, text: &str) -> &Self {
        assert!(
            self.console.contains(text),
            "console lacks {text:?}\n--- console ---\n{}",
            self.console
        );
        self
    }

    /// The first console line that starts with `prefix`, without the prefix.
    pub fn line_after(&self, prefix: &str) -> Option<&str> {
        self.console.lines().find_map(|l| l.strip_prefix(prefix))
    }
}

impl Qemu {
    /// `qemu-system-x86_64 -M q35 -m 64 -kernel IMAGE` with TCG, serial on a pipe, no reboot,
    /// and the `isa-debug-exit` device: the command line `scripts/guest qemu` writes for every
    /// script and test.
    pub fn new(kernel: impl Into<PathBuf>) -> Self {
        Self {
            kernel: kernel.into(),
            machine: "q35".into(),
            memory_mib: 64,
            append: None,
            initrd: None,
            extra: Vec::new(),
            exit_device: true,
            tap_nic: false,
            timeout: Duration::from_secs(60),
        }
    }

    /// Machine type (`q35`, `pc`, `microvm`).
    pub fn machine(mut self, machine: &str) -> Self {
        self.machine = machine.into();
        self
    }

    /// Guest memory in MiB.
    pub fn memory(mut self, mib: u32) -> Self {
        self.memory_mib = mib;
        self
    }

    /// Kernel command line.
    pub fn append(mut self, cmdline: &str) -> Self {
        self.append = Some(cmdline.into());
        self
    }

    /// A boot module.
    pub fn initrd(mut self, path: impl Into<PathBuf>) -> Self {
        self.initrd = Some(path.into());
        self
    }

    /// Extra QEMU arguments.
    pub fn arg(mut self, arg: &str) -> Self {
        self.extra.push(arg.into());
        self
    }

    /// Leaves out the `isa-debug-exit` device.
    pub fn without_exit_device(mut self) -> Self {
        self.exit_device = false;
        self
    }

    /// Kills QEMU after this long.
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// The QEMU command (inside `netns` if given), as `scripts/guest qemu --argv` writes it.
    pub fn command(&self, netns: Option<&NetNs>) -> Command {
        let script = workspace_root().join("scripts/guest");
        let mut guest = Command::new(&script);
        guest.args([
            "qemu",
            "--argv",
            "--machine",
            &self.machine,
            "--console",
            "stdio",
        ]);
        guest.args(["--memory", &self.memory_mib.to_string()]);
        if let Some(ns) = netns {
            guest.args(["--netns", ns.name()]);
        }
        if self.tap_nic {
            guest.args(["--tap", NETNS_TAP]);
        }
        if !self.exit_device {
            guest.arg("--no-exit-device");
        }
        if let Some(append) = &self.append {
            guest.args(["--append", append]);
        }
        if let Some(initrd) = &self.initrd {
            guest.arg("--initrd").arg(initrd);
        }
        guest.arg("--").arg(&self.kernel).args(&self.extra);
        let out = guest
            .stderr(Stdio::inherit())
            .output()
            .unwrap_or_else(|e| panic!("run {}: {e}", script.display()));
        assert!(out.status.success(), "{} qemu failed", script.display());
        let mut words = out
            .stdout
            .strip_suffix(b"\0")
            .expect("NUL-terminated words")
            .split(|&b| b == 0)
            .map(|word| std::ffi::OsStr::from_bytes(word).to_owned());
        let mut command = Command::new(words.next().expect("a program"));
        command.args(words);
        command
    }

    /// Runs QEMU to completion (or the timeout).
    pub fn run(&self) -> Outcome {
        let start = Instant::now();
        let mut child = self
            .command(None)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start qemu-system-x86_64 (is qemu-system-x86 installed? ./scripts/test installs it)");
        let mut stdout = child.stdout.take().expect("piped stdout");
        let mut stderr = child.stderr.take().expect("piped stderr");
        let out_reader = std::thread::spawn(move || {
            let mut buffer = Vec::new();
            let _ = stdout.read_to_end(&mut buffer);
            buffer
        });
        let err_reader = std::thread::spawn(move || {
            let mut buffer = Vec::new();
            let _ = stderr.read_to_end(&mut buffer);
            buffer
        });
        let status = loop {
            if let Some(status) = child.try_wait().expect("wait for qemu") {
                break status.code();
            }
            if start.elapsed() > self.timeout {
                let _ = child.kill();
                let _ = child.wait();
                break None;
            }
            std::thread::sleep(Duration::from_millis(5));
        };
        let elapsed = start.elapsed();
        let console =
            String::from_utf8_lossy(&out_reader.join().unwrap_or_default()).replace('\r', "");
        let stderr = String::from_utf8_lossy(&err_reader.join().unwrap_or_default()).into_owned();
        Outcome {
            status,
            console,
            stderr,
            elapsed,
        }
    }
}

/// A fresh temporary directory under `target/test-tmp`, removed by the caller if it wishes.
pub fn temp_dir(name: &str) -> PathBuf {
    let dir = workspace_root()
        .join("target/test-tmp")
        .join(format!("{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("create temp dir");
    dir
}

/// A private network namespace with a TAP device `xtap0` (10.66.0.1/24 and fd00:66::1/64 on
/// the host side), for
/// guests that need a real network without touching the machine's own. Removed on drop.
#[derive(Debug)]
pub struct NetNs {
    name: String,
}

/// The host side's address on the test TAP device.
pub const NETNS_HOST_IP: &str = "10.66.0.1";
/// The guest's address on the test network.
pub const NETNS_GUEST_IP: &str = "10.66.0.2";
/// The host side's IPv6 address on the test TAP device.
pub const NETNS_HOST_IP6: &str = "fd00:66::1";
/// The guest's IPv6 address on the test network.
pub const NETNS_GUEST_IP6: &str = "fd00:66::2";
/// The TAP device in the namespace.
pub const NETNS_TAP: &str = "xtap0";

impl NetNs {
    /// Creates `xl-<tag>-<pid>` with `lo` up and `xtap0` configured (`scripts/guest netns-up`).
    pub fn new(tag: &str) -> NetNs {
        let ns = NetNs {
            name: format!("xl-{tag}-{}", std::process::id()),
        };
        ns.guest("netns-up");
        ns
    }

    fn guest(&self, action: &str) {
        let script = workspace_root().join("scripts/guest");
        let out = Command::new(&script)
            .args([action, &self.name])
            .output()
            .unwrap_or_else(|e| panic!("run {}: {e}", script.display()));
        assert!(
            out.status.success(),
            "scripts/guest {action} {}: {}",
            self.name,
            String::from_utf8_lossy(&out.stderr)
        );
    }

    /// The namespace's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// A command that runs inside the namespace.
    pub fn command(&self, program: &str) -> Command {
        let mut command = Command::new("ip");
        command.args(["netns", "exec", &self.name, program]);
        command
    }

    /// Runs `program args` in the namespace and returns (success, stdout + stderr).
    pub fn run(&self, program: &str, args: &[&str]) -> (bool, String) {
        let out = self
            .command(program)
            .args(args)
            .output()
            .expect("run a command in the namespace");
        let mut text = String::from_utf8_lossy(&out.stdout).into_owned();
        text.push_str(&String::from_utf8_lossy(&out.stderr));
        (out.status.success(), text)
    }
}

/// A DHCP server (dnsmasq) on a namespace's TAP device, leasing 10.66.0.50-60 with
/// 10.66.0.1 as the router; stopped on drop.
#[derive(Debug)]
pub struct DhcpServer(std::process::Child);

impl DhcpServer {
    pub fn start(ns: &NetNs) -> DhcpServer {
        let child = ns
            .command("dnsmasq")
            .args([
                "--no-daemon",
                "--conf-file=/dev/null",
                &format!("--interface={NETNS_TAP}"),
                "--bind-interfaces",
                "--port=0",
                "--dhcp-range=10.66.0.50,10.66.0.60,255.255.255.0,2m",
                &format!("--dhcp-option=option:router,{NETNS_HOST_IP}"),
                "--dhcp-leasefile=/dev/null",
            ])
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("start dnsmasq (./scripts/test installs it)");
        DhcpServer(child)
    }
}

impl Drop for DhcpServer {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// The address a guest logged as its DHCP lease (`DHCP: address A/P`), if it did.
pub fn leased_address(console: &str) -> Option<String> {
    console
        .lines()
        .find_map(|l| l.split("DHCP: address ").nth(1))
        .and_then(|rest| rest.split('/').next())
        .map(str::to_string)
}

impl Drop for NetNs {
    fn drop(&mut self) {
        // Not `guest()`: a panic while a failed test unwinds would abort the whole run.
        let _ = Command::new(workspace_root().join("scripts/guest"))
            .args(["netns-down", &self.name])
            .output();
    }
}

/// A guest that keeps running while the test talks to it.
#[derive(Debug)]
pub struct RunningGuest {
    child: std::process::Child,
    console: std::sync::Arc<Mutex<String>>,
    started: Instant,
}

impl RunningGuest {
    /// Waits until the console contains `text`; returns the time since QEMU started.
    #[track_caller]
    pub fn wait_for(&mut self, text: &str, timeout: Duration) -> Duration {
        let deadline = Instant::now() + timeout;
        loop {
            if self.console().contains(text) {
                return self.started.elapsed();
            }
            if let Ok(Some(status)) = self.child.try_wait() {
                panic!(
                    "guest exited ({status}) before printing {text:?}\n--- console ---\n{}",
                    self.console()
                );
            }
            if Instant::now() > deadline {
                panic!(
                    "{text:?} not printed within {timeout:?}\n--- console ---\n{}",
                    self.console()
                );
            }
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    /// The console so far.
    pub fn console(&self) -> String {
        self.console
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .replace('\r', "")
    }

    /// Whether QEMU is still running.
    pub fn is_running(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(None))
    }

    /// Stops QEMU and returns the console.
    pub fn stop(mut self) -> String {
        let _ = self.child.kill();
        let _ = self.child.wait();
        self.console()
    }
}

impl Drop for RunningGuest {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Qemu {
    /// Starts QEMU (optionally inside `netns`) and returns at once.
    pub fn spawn(&self, netns: Option<&NetNs>) -> RunningGuest {
        let mut child = self
            .command(netns)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("start qemu-system-x86_64");
        let mut stdout = child.stdout.take().expect("piped stdout");
        let console = std::sync::Arc::new(Mutex::new(String::new()));
        let sink = console.clone();
        std::thread::spawn(move || {
            let mut buffer = [0u8; 4096];
            while let Ok(n) = stdout.read(&mut buffer) {
                if n == 0 {
                    break;
                }
                sink.lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .push_str(&String::from_utf8_lossy(&buffer[..n]));
            }
        });
        RunningGuest {
            child,
            console,
            started: Instant::now(),
        }
    }

    /// A virtio-net NIC on the namespace's TAP device `xtap0`.
    pub fn tap_nic(mut self) -> Self {
        self.tap_nic = true;
        self
    }
}

/// Path of a client script in `tests/clients/`.
pub fn client(name: &str) -> PathBuf {
    workspace_root().join("tests/clients").join(name)
}
