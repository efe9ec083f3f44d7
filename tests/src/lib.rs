//! End-to-end test harness: build an app image, boot it under QEMU (TCG, PVH loader), capture
//! its serial console, and report how QEMU exited.
//!
//! Tests decide success or failure from QEMU's exit status, never from console text (the
//! runtime powers off through ACPI on success → status 0, and reports failure through
//! `isa-debug-exit` → status `(code << 1) | 1`). Console text is checked only for content.
#![forbid(unsafe_code)]

use std::io::Read;
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

/// Exit status QEMU reports for each runtime failure code (`kernel/rt/src/shutdown.rs`).
pub mod status {
    /// Clean power-off.
    pub const SUCCESS: i32 = 0;
    /// A panic.
    pub const PANIC: i32 = 3;
    /// A CPU exception.
    pub const EXCEPTION: i32 = 5;
    /// A bad boot handoff or configuration.
    pub const BOOT: i32 = 7;
    /// The app returned an error.
    pub const APP: i32 = 9;
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
    /// and the `isa-debug-exit` device.
    pub fn new(kernel: impl Into<PathBuf>) -> Self {
        Self {
            kernel: kernel.into(),
            machine: "q35".into(),
            memory_mib: 64,
            append: None,
            initrd: None,
            extra: Vec::new(),
            exit_device: true,
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

    /// The full argument list.
    pub fn args(&self) -> Vec<String> {
        let mut args: Vec<String> = [
            "-accel",
            "tcg",
            "-M",
            &self.machine,
            "-m",
            &self.memory_mib.to_string(),
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        args.extend(["-kernel".into(), self.kernel.display().to_string()]);
        args.extend(
            [
                "-display",
                "none",
                "-serial",
                "stdio",
                "-monitor",
                "none",
                "-no-reboot",
                "-nodefaults",
            ]
            .map(String::from),
        );
        if self.exit_device {
            args.extend(["-device", "isa-debug-exit,iobase=0xf4,iosize=0x04"].map(String::from));
        }
        if let Some(append) = &self.append {
            args.extend(["-append".into(), append.clone()]);
        }
        if let Some(initrd) = &self.initrd {
            args.extend(["-initrd".into(), initrd.display().to_string()]);
        }
        args.extend(self.extra.iter().cloned());
        args
    }

    /// Runs QEMU to completion (or the timeout).
    pub fn run(&self) -> Outcome {
        let start = Instant::now();
        let mut child = Command::new("qemu-system-x86_64")
            .args(self.args())
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
