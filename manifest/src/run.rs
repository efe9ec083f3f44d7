//! `[run]`: how `scripts/run` boots the app on this machine — the ports it forwards from the
//! host's loopback, the Debian packages of the clients it suggests, what it prints, and what it
//! runs from dom0 under `--xen`. Nothing here reaches a deployment (xen-config ignores it).
//!
//! ```toml
//! [run]
//! forward = ["5353:53"]              # HOST:GUEST, TCP and UDP, on 127.0.0.1 (user networking)
//! clients = ["dig:bind9-dnsutils"]   # COMMAND:PACKAGE, installed if COMMAND is missing
//! try = ["dig @{host} -p {port:53} www.example.test   (and +tcp)"]
//! try6 = ["dig -6 @{host6} www.example.test"]   # printed too when the guest has IPv6 (--tap)
//! cmdline = "redirect_port={port:443}"   # extra command-line words under user networking
//! xen_ready = "serving [0-9]+ zone"  # console regex: the service is up (scripts/run --xen)
//! xen_try = ["dig @\"$GUEST_IP\" www.example.test A"]   # run in dom0 once it is up
//! xen_files = ["tls/cert.pem"]       # copied beside those commands in dom0
//! ```
//!
//! In `try` and `cmdline`, `scripts/run` fills in `{host}` (127.0.0.1, or the guest's address
//! with `--tap`), `{hostname}` (localhost, or the guest's address), `{port:N}` (the host port
//! forwarded to guest port N, or N with `--tap`) and `{dir}` (the app's folder); in `try6`,
//! `{host6}` is the guest's IPv6 address (QEMU's user networking has no IPv6 forwarding, so
//! these lines are printed with `--tap` only).

use std::path::PathBuf;

use toml::{Table, Value};

use crate::{Error, Manifest};

/// The keys of `[run]`.
pub(crate) const RUN_KEYS: &[&str] = &[
    "forward",
    "clients",
    "try",
    "try6",
    "cmdline",
    "xen_ready",
    "xen_try",
    "xen_files",
];

/// The `[run]` table, checked.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Run {
    /// Whether the app has a network (`[[network]]`): scripts/run gives it a NIC.
    pub network: bool,
    /// (host port, guest port) pairs.
    pub forward: Vec<(u16, u16)>,
    /// (command, Debian package) pairs.
    pub clients: Vec<(String, String)>,
    /// Lines to print: what to try.
    pub try_lines: Vec<String>,
    /// The same over IPv6 (printed with `--tap`).
    pub try6_lines: Vec<String>,
    /// Extra command-line words under user networking.
    pub cmdline: Option<String>,
    /// The console line (a regex) that says the service is up.
    pub xen_ready: Option<String>,
    /// Commands run in dom0 once the service is up.
    pub xen_try: Vec<String>,
    /// Files (absolute) copied beside those commands.
    pub xen_files: Vec<PathBuf>,
}

impl Run {
    /// The table as `KEY VALUE` lines, one item a line, for scripts (`manifest-run`).
    pub fn lines(&self) -> Vec<String> {
        let mut out = vec![format!("network {}", u8::from(self.network))];
        out.extend(self.forward.iter().map(|(h, g)| format!("forward {h}:{g}")));
        out.extend(self.clients.iter().map(|(c, p)| format!("client {c}:{p}")));
        out.extend(self.try_lines.iter().map(|t| format!("try {t}")));
        out.extend(self.try6_lines.iter().map(|t| format!("try6 {t}")));
        out.extend(self.cmdline.iter().map(|c| format!("cmdline {c}")));
        out.extend(self.xen_ready.iter().map(|r| format!("xen_ready {r}")));
        out.extend(self.xen_try.iter().map(|t| format!("xen_try {t}")));
        out.extend(
            self.xen_files
                .iter()
                .map(|f| format!("xen_file {}", f.display())),
        );
        out
    }
}

impl Manifest {
    /// The `[run]` table (all of it optional), checked.
    pub fn run(&self) -> Result<Run, Error> {
        let network = self.table.contains_key("network");
        let table = match self.table.get("run") {
            None => {
                return Ok(Run {
                    network,
                    ..Run::default()
                });
            }
            Some(Value::Table(t)) => t,
            Some(_) => return Err(self.field("[run]", "must be a table".into())),
        };
        self.known_keys(table, "[run]", RUN_KEYS, Some("[run]"))?;
        let mut run = Run {
            network,
            ..Run::default()
        };
        for text in self.lines_of(table, "forward")? {
            let pair = text
                .split_once(':')
                .and_then(|(h, g)| Some((port(h)?, port(g)?)));
            let Some(pair) = pair else {
                return Err(self.field(
                    "[run] forward",
                    format!("{text:?} is not HOST:GUEST with two ports from 1 to 65535"),
                ));
            };
            run.forward.push(pair);
        }
        for text in self.lines_of(table, "clients")? {
            let pair = text.split_once(':').filter(|(command, package)| {
                !command.is_empty()
                    && !command.contains(char::is_whitespace)
                    && !package.is_empty()
                    && package
                        .chars()
                        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || "+-.".contains(c))
            });
            let Some((command, package)) = pair else {
                return Err(self.field(
                    "[run] clients",
                    format!(
                        "{text:?} is not COMMAND:PACKAGE (a command name and a Debian package name)"
                    ),
                ));
            };
            run.clients.push((command.into(), package.into()));
        }
        run.try_lines = self.lines_of(table, "try")?;
        run.try6_lines = self.lines_of(table, "try6")?;
        run.cmdline = self.line(table, "cmdline")?;
        run.xen_ready = self.line(table, "xen_ready")?;
        run.xen_try = self.lines_of(table, "xen_try")?;
        for text in self.lines_of(table, "xen_files")? {
            run.xen_files
                .push(self.existing_file("[run] xen_files", &text)?);
        }
        Ok(run)
    }

    /// A one-line string at `[run] key`.
    fn line(&self, table: &Table, key: &str) -> Result<Option<String>, Error> {
        match self.string(table, "run", key)? {
            None => Ok(None),
            Some(text) => Ok(Some(self.one_line(key, text)?)),
        }
    }

    /// A list of one-line strings at `[run] key`.
    fn lines_of(&self, table: &Table, key: &str) -> Result<Vec<String>, Error> {
        let shape = || {
            self.field(
                &format!("[run] {key}"),
                "must be a list of strings: [\"...\", \"...\"]".into(),
            )
        };
        match table.get(key) {
            None => Ok(Vec::new()),
            Some(Value::Array(items)) => items
                .iter()
                .map(|v| {
                    v.as_str()
                        .ok_or_else(shape)
                        .and_then(|t| self.one_line(key, t))
                })
                .collect(),
            Some(_) => Err(shape()),
        }
    }

    fn one_line(&self, key: &str, text: &str) -> Result<String, Error> {
        if text.trim().is_empty() || text.chars().any(char::is_control) {
            return Err(self.field(
                &format!("[run] {key}"),
                format!("{text:?} must be one line of text, without control characters"),
            ));
        }
        Ok(text.to_string())
    }
}

fn port(text: &str) -> Option<u16> {
    text.parse().ok().filter(|&p| p != 0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    fn run(text: &str) -> Result<Run, String> {
        let base = Path::new(env!("CARGO_MANIFEST_DIR"));
        Manifest::parse(text, "test.toml", base)
            .and_then(|m| m.run())
            .map_err(|e| e.to_string())
    }

    #[test]
    fn a_full_table() {
        let r = run(r#"
[unikernel]
name = "t"
memory = 8
[[network]]
bridge = "xenbr0"
[run]
forward = ["5353:53", "8853:853"]
clients = ["dig:bind9-dnsutils", "kdig:knot-dnsutils"]
try = ["dig @{host} -p {port:53} x"]
cmdline = "redirect_port={port:443}"
xen_ready = "serving [0-9]+"
xen_try = ['dig @"$GUEST_IP" x']
xen_files = ["Cargo.toml"]
"#)
        .unwrap();
        assert!(r.network);
        assert_eq!(r.forward, [(5353, 53), (8853, 853)]);
        assert_eq!(r.clients[1], ("kdig".into(), "knot-dnsutils".into()));
        assert_eq!(r.lines()[0], "network 1");
        assert!(r.lines().contains(&"forward 8853:853".to_string()));
        assert!(
            r.lines()
                .contains(&"xen_try dig @\"$GUEST_IP\" x".to_string())
        );
        assert!(r.xen_files[0].is_absolute() || r.xen_files[0].exists());
    }

    #[test]
    fn no_table_is_fine_and_says_whether_there_is_a_network() {
        let r = run("[unikernel]\nname = \"t\"\nmemory = 8\n").unwrap();
        assert_eq!(r, Run::default());
        assert_eq!(r.lines(), ["network 0"]);
    }

    #[test]
    fn bad_values_name_the_field() {
        for (table, expect) in [
            (
                "forward = [\"5353\"]",
                "[run] forward: \"5353\" is not HOST:GUEST",
            ),
            ("forward = [\"0:53\"]", "[run] forward"),
            ("forward = [\"70000:53\"]", "[run] forward"),
            (
                "forward = \"5353:53\"",
                "[run] forward: must be a list of strings",
            ),
            (
                "clients = [\"dig\"]",
                "[run] clients: \"dig\" is not COMMAND:PACKAGE",
            ),
            ("clients = [\"dig:Bind9 Utils\"]", "[run] clients"),
            ("try = [\"a\\nb\"]", "[run] try: \"a\\nb\" must be one line"),
            ("cmdline = 3", "[run] cmdline: must be a string"),
            (
                "xen_files = [\"no-such-file\"]",
                "[run] xen_files: \"no-such-file\" is not a file",
            ),
            ("colour = \"red\"", "[run] colour: is not a key of [run]"),
        ] {
            let text = format!("[unikernel]\nname = \"t\"\nmemory = 8\n[run]\n{table}\n");
            let error = run(&text).unwrap_err();
            assert!(error.contains(expect), "{table}: {error}");
        }
        let error = run("run = 1\n[unikernel]\nname = \"t\"\nmemory = 8\n").unwrap_err();
        assert!(error.contains("[run]: must be a table"), "{error}");
    }
}
