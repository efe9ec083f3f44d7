//! The manifest (`Unikernel.toml`): reading, command-line overrides, and validation into a
//! [`Deployment`] (what xen-config needs).
//!
//! Overrides are applied to the TOML table before validation, so that an invalid override gets
//! the same error as the field it overrides (with "(from --option)" after the field's name).
//! Validation is by hand rather than through serde so that every error names its field, says
//! what was found and what would be valid.

use std::fmt;
use std::net::Ipv4Addr;
use std::path::{Path, PathBuf};
use xenolith_netstack::Ipv6Config;

use toml::{Table, Value};

use crate::Error;

/// The top-level tables a manifest may have.
const TABLES: &[&str] = &["unikernel", "network", "boot", "data", "run"];
/// The keys of `[unikernel]`.
const UNIKERNEL_KEYS: &[&str] = &[
    "name",
    "memory",
    "vcpus",
    "cmdline",
    "on_poweroff",
    "on_reboot",
    "on_crash",
];
/// The keys of `[[network]]`.
const NETWORK_KEYS: &[&str] = &["bridge", "mac", "ip", "gw", "ip6", "gw6"];
/// The keys of `[boot]`.
const BOOT_KEYS: &[&str] = &["module"];

/// Guest memory bounds in MiB.
const MEMORY_MIB: std::ops::RangeInclusive<i64> = 4..=1_048_576;
/// The kernel keeps this many bytes of its command line (kernel/rt `boot::MAX_CMDLINE`).
const MAX_CMDLINE: usize = 1024;

/// A manifest as read, plus the overrides applied to it; not yet validated.
#[derive(Clone, Debug)]
pub struct Manifest {
    /// How the manifest is named in messages and in the generated files.
    pub(crate) label: String,
    /// The manifest's folder: relative paths in it are relative to this.
    pub(crate) base: PathBuf,
    pub(crate) table: Table,
    /// Fields set by command-line options: field → option.
    overridden: Vec<(String, &'static str)>,
}

/// Command-line overrides of manifest fields (`None`: keep the manifest's value).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Overrides {
    /// `--name`: `[unikernel] name`.
    pub name: Option<String>,
    /// `--memory`: `[unikernel] memory` (MiB, as typed).
    pub memory: Option<String>,
    /// `--cmdline`: replaces `[unikernel] cmdline`.
    pub cmdline: Option<String>,
    /// `--on-poweroff`.
    pub on_poweroff: Option<String>,
    /// `--on-reboot`.
    pub on_reboot: Option<String>,
    /// `--on-crash`.
    pub on_crash: Option<String>,
    /// `--bridge`: `[[network]] bridge` (adds the interface if the manifest has none).
    pub bridge: Option<String>,
    /// `--mac`.
    pub mac: Option<String>,
    /// `--ip`.
    pub ip: Option<String>,
    /// `--gw`.
    pub gw: Option<String>,
    /// `--ip6`.
    pub ip6: Option<String>,
    /// `--gw6`.
    pub gw6: Option<String>,
    /// `--module`: `[boot] module`, already absolute or relative to the working directory.
    pub module: Option<PathBuf>,
}

/// A validated deployment: everything the configs need, checked.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Deployment {
    /// The domain name.
    pub name: String,
    /// Guest memory in MiB.
    pub memory_mib: u32,
    /// vCPUs (1).
    pub vcpus: u32,
    /// The manifest's extra command-line words (without the network words).
    pub cmdline: Option<String>,
    /// What Xen does when the guest powers off.
    pub on_poweroff: Action,
    /// ... when it asks for a reboot.
    pub on_reboot: Action,
    /// ... when it crashes.
    pub on_crash: Action,
    /// The network interface, if the app has one.
    pub network: Option<Network>,
    /// The boot module (absolute, or relative to the working directory if the manifest's
    /// folder was given relative).
    pub module: Option<PathBuf>,
    /// The build-time data: key → the paths it lists (checked to exist).
    pub data: Vec<(String, Vec<PathBuf>)>,
}

impl Deployment {
    /// The full guest command line: the network words, then the manifest's `cmdline`.
    pub fn command_line(&self) -> String {
        let mut words = Vec::new();
        if let Some(ip) = self.network.as_ref().and_then(|n| n.ip.as_ref()) {
            words.push(ip.to_string());
        }
        if let Some(ip6) = self.network.as_ref().and_then(|n| n.ip6.as_ref()) {
            words.push(ip6.words());
        }
        words.extend(self.cmdline.iter().cloned());
        words.join(" ")
    }
}

/// One network interface (a Xen vif, netfront in the guest).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Network {
    /// The dom0 bridge, e.g. `xenbr0` (a Linux interface name).
    pub bridge: String,
    /// The MAC address.
    pub mac: Mac,
    /// The IPv4 configuration; `None`: the app's default (IPv4 is off when only `ip6` is
    /// set).
    pub ip: Option<IpConfig>,
    /// The IPv6 configuration (netstack's own type and parser); `None`: the app's default.
    pub ip6: Option<Ipv6Config>,
}

/// A MAC address.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Mac(pub [u8; 6]);

impl Mac {
    /// The stable generated MAC of interface `index` of domain `name`: Xen's OUI `00:16:3e`
    /// followed by three bytes of the 64-bit FNV-1a hash of `name`, a zero byte and `index`.
    /// The same name gives the same MAC on every machine and every run.
    pub fn generated(name: &str, index: u8) -> Mac {
        let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
        for byte in name.bytes().chain([0, index]) {
            hash ^= u64::from(byte);
            hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
        }
        let h = hash.to_be_bytes();
        Mac([0x00, 0x16, 0x3e, h[5], h[6], h[7]])
    }
}

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

/// The guest's IPv4 configuration, as netstack reads it from the command line.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum IpConfig {
    /// `ip=dhcp`.
    Dhcp,
    /// `ip=ADDRESS/PREFIX [gw=GATEWAY]`.
    Static {
        /// The address.
        address: Ipv4Addr,
        /// The prefix length.
        prefix: u8,
        /// The default gateway.
        gateway: Option<Ipv4Addr>,
    },
}

impl fmt::Display for IpConfig {
    /// The command-line words.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            IpConfig::Dhcp => write!(f, "ip=dhcp"),
            IpConfig::Static {
                address,
                prefix,
                gateway: None,
            } => write!(f, "ip={address}/{prefix}"),
            IpConfig::Static {
                address,
                prefix,
                gateway: Some(gateway),
            } => write!(f, "ip={address}/{prefix} gw={gateway}"),
        }
    }
}

/// What Xen does with a domain that powered off, rebooted or crashed (xl.cfg(5)).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Action {
    /// `destroy`.
    Destroy,
    /// `restart`.
    Restart,
    /// `rename-restart`.
    RenameRestart,
    /// `preserve`.
    Preserve,
    /// `coredump-destroy` (only `on_crash`: libvirt allows it nowhere else).
    CoredumpDestroy,
    /// `coredump-restart` (only `on_crash`).
    CoredumpRestart,
}

impl Action {
    /// The name in xl and in libvirt (they agree on every action validation accepts).
    pub fn as_str(self) -> &'static str {
        match self {
            Action::Destroy => "destroy",
            Action::Restart => "restart",
            Action::RenameRestart => "rename-restart",
            Action::Preserve => "preserve",
            Action::CoredumpDestroy => "coredump-destroy",
            Action::CoredumpRestart => "coredump-restart",
        }
    }
}

impl Manifest {
    /// Reads and parses `path`. `label` names it in messages (e.g. `apps/dns/Unikernel.toml`).
    pub fn read(path: &Path) -> Result<Manifest, Error> {
        let text = std::fs::read_to_string(path).map_err(|source| Error::Read {
            path: path.to_path_buf(),
            source,
        })?;
        let base = match path.parent() {
            Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
            _ => PathBuf::from("."),
        };
        Manifest::parse(&text, &path.display().to_string(), &base)
    }

    /// Parses manifest text; `base` is the folder relative paths are relative to.
    pub fn parse(text: &str, label: &str, base: &Path) -> Result<Manifest, Error> {
        let table: Table = text.parse().map_err(|e: toml::de::Error| Error::Toml {
            manifest: label.to_string(),
            message: e.to_string(),
        })?;
        Ok(Manifest {
            label: label.to_string(),
            base: base.to_path_buf(),
            table,
            overridden: Vec::new(),
        })
    }

    /// How the manifest is named.
    pub fn label(&self) -> &str {
        &self.label
    }

    /// Applies command-line overrides. A `--memory` that is not a number is an error here;
    /// every other check happens in [`validate`](Self::validate).
    pub fn apply(&mut self, o: &Overrides) -> Result<(), Error> {
        let strings = [
            ("name", &o.name, "--name"),
            ("cmdline", &o.cmdline, "--cmdline"),
            ("on_poweroff", &o.on_poweroff, "--on-poweroff"),
            ("on_reboot", &o.on_reboot, "--on-reboot"),
            ("on_crash", &o.on_crash, "--on-crash"),
        ];
        for (key, value, option) in strings {
            if let Some(value) = value {
                self.set("unikernel", key, Value::String(value.clone()), option)?;
            }
        }
        if let Some(memory) = &o.memory {
            let mib = memory.parse::<i64>().map_err(|_| {
                Error::Usage(format!(
                    "--memory takes a whole number of MiB, e.g. --memory 16; got {memory:?}"
                ))
            })?;
            self.set("unikernel", "memory", Value::Integer(mib), "--memory")?;
        }
        if let Some(module) = &o.module {
            let text = module
                .to_str()
                .ok_or_else(|| Error::Usage("--module: the path is not UTF-8".into()))?;
            self.set("boot", "module", Value::String(text.into()), "--module")?;
        }
        let network = [
            ("bridge", &o.bridge, "--bridge"),
            ("mac", &o.mac, "--mac"),
            ("ip", &o.ip, "--ip"),
            ("gw", &o.gw, "--gw"),
            ("ip6", &o.ip6, "--ip6"),
            ("gw6", &o.gw6, "--gw6"),
        ];
        for (key, value, option) in network {
            let Some(value) = value else { continue };
            let field = format!("[[network]] {key}");
            let interfaces = match self.table.get_mut("network") {
                Some(Value::Array(interfaces)) => interfaces,
                Some(_) => return Err(self.field("[[network]]", NETWORK_SHAPE.into())),
                None => {
                    if key != "bridge" {
                        return Err(self.field(
                            &format!("{field} (from {option})"),
                            "the manifest has no [[network]] interface to set it on: add one to the manifest, or pass --bridge BRIDGE to add one"
                                .to_string(),
                        ));
                    }
                    self.table.insert(
                        "network".into(),
                        Value::Array(vec![Value::Table(Table::new())]),
                    );
                    match self.table.get_mut("network") {
                        Some(Value::Array(interfaces)) => interfaces,
                        _ => unreachable!("just inserted"),
                    }
                }
            };
            match interfaces.first_mut() {
                Some(Value::Table(interface)) => {
                    interface.insert(key.into(), Value::String(value.clone()));
                    // A gateway belongs to the address it was written for: a new address
                    // without a new --gw drops the manifest's gateway.
                    if key == "ip" && o.gw.is_none() {
                        interface.remove("gw");
                    }
                    if key == "ip6" && o.gw6.is_none() {
                        interface.remove("gw6");
                    }
                }
                _ => return Err(self.field("[[network]]", NETWORK_SHAPE.into())),
            }
            self.overridden.push((field, option));
        }
        Ok(())
    }

    fn set(
        &mut self,
        table: &str,
        key: &str,
        value: Value,
        option: &'static str,
    ) -> Result<(), Error> {
        let entry = self
            .table
            .entry(table)
            .or_insert_with(|| Value::Table(Table::new()));
        let Value::Table(t) = entry else {
            return Err(self.field(&format!("[{table}]"), "must be a table".into()));
        };
        t.insert(key.into(), value);
        self.overridden.push((format!("[{table}] {key}"), option));
        Ok(())
    }

    /// An error about `field`, naming the option that set it if one did.
    pub(crate) fn field(&self, field: &str, problem: String) -> Error {
        let field = match self.overridden.iter().find(|(f, _)| f == field) {
            Some((_, option)) => format!("{field} (from {option})"),
            None => field.to_string(),
        };
        Error::Field {
            manifest: self.label.clone(),
            field,
            problem,
        }
    }

    /// Checks every field and returns the deployment, or the first error found.
    pub fn validate(&self) -> Result<Deployment, Error> {
        self.known_keys(&self.table, "the manifest", TABLES, None)?;
        let unikernel = match self.table.get("unikernel") {
            Some(Value::Table(t)) => t,
            Some(_) => return Err(self.field("[unikernel]", "must be a table".into())),
            None => {
                return Err(self.field(
                    "[unikernel]",
                    "is missing: every manifest has [unikernel] with at least name and memory"
                        .into(),
                ));
            }
        };
        self.known_keys(
            unikernel,
            "[unikernel]",
            UNIKERNEL_KEYS,
            Some("[unikernel]"),
        )?;

        let name = self
            .string(unikernel, "unikernel", "name")?
            .ok_or_else(|| {
                self.field(
                    "[unikernel] name",
                    "is missing: name the domain, e.g. name = \"dns\"".into(),
                )
            })?;
        check_name(name).map_err(|p| self.field("[unikernel] name", p))?;

        let memory = self
            .integer(unikernel, "unikernel", "memory")?
            .ok_or_else(|| {
                self.field(
                    "[unikernel] memory",
                    "is missing: give the guest memory in MiB, e.g. memory = 16".into(),
                )
            })?;
        if !MEMORY_MIB.contains(&memory) {
            return Err(self.field(
                "[unikernel] memory",
                format!(
                    "must be a whole number of MiB from {} to {}, e.g. memory = 16; got {memory}",
                    MEMORY_MIB.start(),
                    MEMORY_MIB.end()
                ),
            ));
        }

        let vcpus = self.integer(unikernel, "unikernel", "vcpus")?.unwrap_or(1);
        if vcpus != 1 {
            return Err(self.field(
                "[unikernel] vcpus",
                format!("Xenolith runs on one vCPU: only vcpus = 1 is valid today; got {vcpus}"),
            ));
        }

        let cmdline = self
            .string(unikernel, "unikernel", "cmdline")?
            .map(|c| c.trim().to_string())
            .filter(|c| !c.is_empty());
        if let Some(c) = &cmdline {
            check_cmdline(c).map_err(|p| self.field("[unikernel] cmdline", p))?;
        }

        let on_poweroff = self.action(unikernel, "on_poweroff", Action::Destroy, false)?;
        let on_reboot = self.action(unikernel, "on_reboot", Action::Restart, false)?;
        let on_crash = self.action(unikernel, "on_crash", Action::Destroy, true)?;

        let network = self.network(name)?;
        if let (Some(c), Some(Network { ip: Some(_), .. })) = (&cmdline, &network)
            && let Some(word) = c
                .split(' ')
                .find(|w| w.starts_with("ip=") || w.starts_with("gw="))
        {
            return Err(self.field(
                "[unikernel] cmdline",
                format!(
                    "sets {word:?} while [[network]] ip sets the address too: keep it in [[network]] ip and gw only"
                ),
            ));
        }
        if let (Some(c), Some(Network { ip6: Some(_), .. })) = (&cmdline, &network)
            && let Some(word) = c
                .split(' ')
                .find(|w| w.starts_with("ip6=") || w.starts_with("gw6="))
        {
            return Err(self.field(
                "[unikernel] cmdline",
                format!(
                    "sets {word:?} while [[network]] ip6 sets the IPv6 address too: keep it in [[network]] ip6 and gw6 only"
                ),
            ));
        }

        let module = match self.table.get("boot") {
            None => None,
            Some(Value::Table(boot)) => {
                self.known_keys(boot, "[boot]", BOOT_KEYS, Some("[boot]"))?;
                match self.string(boot, "boot", "module")? {
                    None => None,
                    Some(m) => Some(self.existing_file("[boot] module", m)?),
                }
            }
            Some(_) => return Err(self.field("[boot]", "must be a table".into())),
        };

        let data = self.data()?;
        // Not part of a deployment, but a manifest with a bad [run] table is a bad manifest.
        self.run()?;
        let deployment = Deployment {
            name: name.to_string(),
            memory_mib: u32::try_from(memory).unwrap_or(u32::MAX),
            vcpus: 1,
            cmdline,
            on_poweroff,
            on_reboot,
            on_crash,
            network,
            module,
            data,
        };
        let total = deployment.command_line().len();
        if total > MAX_CMDLINE {
            return Err(self.field(
                "[unikernel] cmdline",
                format!(
                    "the guest command line would be {total} bytes; the kernel keeps {MAX_CMDLINE}: shorten it"
                ),
            ));
        }
        Ok(deployment)
    }

    pub(crate) fn known_keys(
        &self,
        table: &Table,
        what: &str,
        known: &[&str],
        prefix: Option<&str>,
    ) -> Result<(), Error> {
        if let Some(key) = table.keys().find(|k| !known.contains(&k.as_str())) {
            let valid: Vec<String> = match prefix {
                None => known.iter().map(|k| format!("[{k}]")).collect(),
                Some(_) => known.iter().map(|k| k.to_string()).collect(),
            };
            return Err(Error::Field {
                manifest: self.label.clone(),
                field: match prefix {
                    None => format!("[{key}]"),
                    Some(p) => format!("{p} {key}"),
                },
                problem: format!(
                    "is not a key of {what}: the keys are {} (see docs/manifest.md)",
                    valid.join(", ")
                ),
            });
        }
        Ok(())
    }

    pub(crate) fn string<'t>(
        &self,
        table: &'t Table,
        name: &str,
        key: &str,
    ) -> Result<Option<&'t str>, Error> {
        match table.get(key) {
            None => Ok(None),
            Some(Value::String(s)) => Ok(Some(s)),
            Some(other) => Err(self.field(
                &format!("[{name}] {key}"),
                format!(
                    "must be a string (in double quotes); got the {}",
                    other.type_str()
                ),
            )),
        }
    }

    fn integer(&self, table: &Table, name: &str, key: &str) -> Result<Option<i64>, Error> {
        match table.get(key) {
            None => Ok(None),
            Some(Value::Integer(i)) => Ok(Some(*i)),
            Some(other) => Err(self.field(
                &format!("[{name}] {key}"),
                format!(
                    "must be a whole number (no quotes); got the {}",
                    other.type_str()
                ),
            )),
        }
    }

    fn action(
        &self,
        unikernel: &Table,
        key: &str,
        default: Action,
        crash: bool,
    ) -> Result<Action, Error> {
        let Some(text) = self.string(unikernel, "unikernel", key)? else {
            return Ok(default);
        };
        let field = format!("[unikernel] {key}");
        let valid = if crash {
            "destroy, restart, rename-restart, preserve, coredump-destroy or coredump-restart"
        } else {
            "destroy, restart, rename-restart or preserve"
        };
        let action = match text {
            "destroy" => Action::Destroy,
            "restart" => Action::Restart,
            "rename-restart" => Action::RenameRestart,
            "preserve" => Action::Preserve,
            "coredump-destroy" if crash => Action::CoredumpDestroy,
            "coredump-restart" if crash => Action::CoredumpRestart,
            "coredump-destroy" | "coredump-restart" => {
                return Err(self.field(
                    &field,
                    format!(
                        "{text:?} is valid in xl but libvirt allows it only in on_crash: use {valid}"
                    ),
                ));
            }
            "soft-reset" => {
                return Err(self.field(
                    &field,
                    format!(
                        "\"soft-reset\" is for Xen-aware HVM guests (xl.cfg(5)), not a PVH unikernel: use {valid}"
                    ),
                ));
            }
            other => {
                return Err(self.field(&field, format!("must be {valid}; got {other:?}")));
            }
        };
        Ok(action)
    }

    fn network(&self, name: &str) -> Result<Option<Network>, Error> {
        let interfaces = match self.table.get("network") {
            None => return Ok(None),
            Some(Value::Array(a)) => a,
            Some(_) => return Err(self.field("[[network]]", NETWORK_SHAPE.into())),
        };
        match interfaces.len() {
            0 => return Ok(None),
            1 => {}
            n => {
                return Err(self.field(
                    "[[network]]",
                    format!(
                        "the manifest lists {n} interfaces, but the Xenolith kernel drives one: keep one [[network]] table"
                    ),
                ));
            }
        }
        let Value::Table(interface) = &interfaces[0] else {
            return Err(self.field("[[network]]", NETWORK_SHAPE.into()));
        };
        self.known_keys(interface, "[[network]]", NETWORK_KEYS, Some("[[network]]"))?;
        let bridge = self.string(interface, "[network]", "bridge")?.ok_or_else(|| {
            self.field(
                "[[network]] bridge",
                "is missing: name the dom0 bridge the interface joins, e.g. bridge = \"xenbr0\"".into(),
            )
        })?;
        check_bridge(bridge).map_err(|p| self.field("[[network]] bridge", p))?;
        let mac = match self.string(interface, "[network]", "mac")? {
            None => Mac::generated(name, 0),
            Some(text) => parse_mac(text).map_err(|p| self.field("[[network]] mac", p))?,
        };
        let ip = match self.string(interface, "[network]", "ip")? {
            None => None,
            Some(text) => Some(parse_ip(text).map_err(|p| self.field("[[network]] ip", p))?),
        };
        let ip = match (ip, self.string(interface, "[network]", "gw")?) {
            (ip, None) => ip,
            (
                Some(IpConfig::Static {
                    address, prefix, ..
                }),
                Some(gw),
            ) => {
                let gateway = check_gateway(address, prefix, gw)
                    .map_err(|p| self.field("[[network]] gw", p))?;
                Some(IpConfig::Static {
                    address,
                    prefix,
                    gateway: Some(gateway),
                })
            }
            (_, Some(_)) => {
                return Err(self.field(
                    "[[network]] gw",
                    "a gateway goes with a static address: set ip = \"ADDRESS/PREFIX\" too, or drop gw (DHCP brings its own)".into(),
                ));
            }
        };
        let gw6 = self.string(interface, "[network]", "gw6")?;
        let ip6 = match (self.string(interface, "[network]", "ip6")?, gw6) {
            (None, None) => None,
            (None, Some(_)) => {
                return Err(self.field(
                    "[[network]] gw6",
                    "an IPv6 router goes with a static IPv6 address: set ip6 = \"ADDRESS/PREFIX\" too, or drop gw6 (router advertisements bring their own)".into(),
                ));
            }
            (Some(text), gw6) => Some(Ipv6Config::from_words(text, gw6).map_err(|e| {
                use xenolith_netstack::Error as E;
                let key = match e {
                    E::InvalidGateway6(_)
                    | E::GatewayOffLink6 { .. }
                    | E::GatewayWithAuto
                    | E::GatewayWithoutAddress(_) => "gw6",
                    _ => "ip6",
                };
                // netstack's words (`ip6=`, `gw6=`) as the manifest's keys.
                let text = e
                    .to_string()
                    .replace("ip6=", "ip6 = ")
                    .replace("gw6=", "gw6 = ");
                self.field(&format!("[[network]] {key}"), text)
            })?),
        };
        Ok(Some(Network {
            bridge: bridge.to_string(),
            mac,
            ip,
            ip6,
        }))
    }

    fn data(&self) -> Result<Vec<(String, Vec<PathBuf>)>, Error> {
        let data = match self.table.get("data") {
            None => return Ok(Vec::new()),
            Some(Value::Table(t)) => t,
            Some(_) => return Err(self.field("[data]", "must be a table".into())),
        };
        let mut out = Vec::new();
        for (key, value) in data {
            // The zone compiler's setting, checked by the build (`Manifest::zone_sig_margin`).
            if key == crate::data::SIG_MARGIN {
                continue;
            }
            let field = format!("[data] {key}");
            let shape = || {
                self.field(
                    &field,
                    "must be a path or a list of paths (strings, relative to the manifest's folder)".into(),
                )
            };
            let texts: Vec<&str> = match value {
                Value::String(s) => vec![s.as_str()],
                Value::Array(items) => items
                    .iter()
                    .map(|v| v.as_str().ok_or_else(shape))
                    .collect::<Result<_, _>>()?,
                _ => return Err(shape()),
            };
            let mut paths = Vec::new();
            for text in texts {
                let path = self.base.join(text);
                if text.is_empty() || !path.exists() {
                    return Err(self.field(
                        &field,
                        format!(
                            "{text:?} does not exist (looked for {}): paths are relative to the manifest's folder",
                            path.display()
                        ),
                    ));
                }
                paths.push(path);
            }
            out.push((key.clone(), paths));
        }
        Ok(out)
    }

    pub(crate) fn existing_file(&self, field: &str, text: &str) -> Result<PathBuf, Error> {
        let path = self.base.join(text);
        if text.is_empty() || !path.is_file() {
            return Err(self.field(
                field,
                format!(
                    "{text:?} is not a file (looked for {}): paths are relative to the manifest's folder",
                    path.display()
                ),
            ));
        }
        Ok(path)
    }
}

const NETWORK_SHAPE: &str =
    "must be an array of tables: write [[network]] (double brackets) followed by bridge = \"...\"";

/// Domain names: what xl, libvirt and file names all take.
fn check_name(name: &str) -> Result<(), String> {
    let ok = (1..=64).contains(&name.len())
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'-'))
        && !name.starts_with(['-', '.']);
    if ok {
        Ok(())
    } else {
        Err(format!(
            "must be 1 to 64 characters from A-Z a-z 0-9 _ . - (not starting with - or .), e.g. \"dns\"; got {name:?}"
        ))
    }
}

/// The guest command line: printable ASCII (the kernel's command-line parser splits on spaces
/// and takes double-quoted values).
fn check_cmdline(cmdline: &str) -> Result<(), String> {
    if let Some(c) = cmdline.chars().find(|c| !(' '..='~').contains(c)) {
        return Err(format!(
            "may hold only printable ASCII (space to ~); it holds {c:?}"
        ));
    }
    Ok(())
}

/// A Linux interface name: 1 to 15 bytes, no characters that xl's vif syntax uses.
fn check_bridge(name: &str) -> Result<(), String> {
    let ok = (1..=15).contains(&name.len())
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'-'));
    if !ok {
        return Err(format!(
            "must be a Linux interface name: 1 to 15 characters from A-Z a-z 0-9 _ . -, e.g. \"xenbr0\"; got {name:?}"
        ));
    }
    Ok(())
}

fn parse_mac(text: &str) -> Result<Mac, String> {
    let wrong = || {
        format!(
            "must be six two-digit hex octets separated by colons, unicast (first octet even) and not all zero, e.g. \"00:16:3e:12:34:56\" (or leave mac out for a stable generated one); got {text:?}"
        )
    };
    let parts: Vec<&str> = text.split(':').collect();
    if parts.len() != 6 {
        return Err(wrong());
    }
    let mut mac = [0u8; 6];
    for (byte, part) in mac.iter_mut().zip(parts) {
        if part.len() != 2 || !part.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(wrong());
        }
        *byte = u8::from_str_radix(part, 16).map_err(|_| wrong())?;
    }
    if mac[0] & 1 != 0 || mac == [0; 6] {
        return Err(wrong());
    }
    Ok(Mac(mac))
}

/// `dhcp` or `ADDRESS/PREFIX`, with netstack's rules (netstack/src/config.rs).
fn parse_ip(text: &str) -> Result<IpConfig, String> {
    if text == "dhcp" {
        return Ok(IpConfig::Dhcp);
    }
    let wrong = || {
        format!("must be \"dhcp\" or an IPv4 ADDRESS/PREFIX such as \"10.0.0.2/24\"; got {text:?}")
    };
    let (address, prefix) = text.split_once('/').ok_or_else(wrong)?;
    let address: Ipv4Addr = address.parse().map_err(|_| wrong())?;
    let plain = !prefix.is_empty()
        && prefix.len() <= 2
        && prefix.bytes().all(|b| b.is_ascii_digit())
        && (prefix == "0" || !prefix.starts_with('0'));
    let prefix: u8 = prefix
        .parse()
        .ok()
        .filter(|p| plain && *p <= 32)
        .ok_or_else(wrong)?;
    if unusable(address, prefix) {
        return Err(format!(
            "{text:?} is not usable by a host: not 0.0.0.0, loopback, multicast, broadcast, nor the subnet's network or broadcast address"
        ));
    }
    Ok(IpConfig::Static {
        address,
        prefix,
        gateway: None,
    })
}

fn mask(prefix: u8) -> u32 {
    if prefix == 0 {
        0
    } else {
        u32::MAX << (32 - prefix)
    }
}

fn unusable(address: Ipv4Addr, prefix: u8) -> bool {
    let a = u32::from(address);
    let m = mask(prefix);
    address.is_unspecified()
        || address.is_loopback()
        || address.is_multicast()
        || address.is_broadcast()
        || (prefix < 31 && (a & !m == 0 || a | m == u32::MAX))
}

fn check_gateway(address: Ipv4Addr, prefix: u8, text: &str) -> Result<Ipv4Addr, String> {
    let gateway: Ipv4Addr = text
        .parse()
        .map_err(|_| format!("must be an IPv4 address such as \"10.0.0.1\"; got {text:?}"))?;
    let m = mask(prefix);
    if u32::from(gateway) & m != u32::from(address) & m
        || gateway == address
        || unusable(gateway, prefix)
    {
        return Err(format!(
            "{gateway} is not another host on {address}/{prefix}: the gateway must be inside the interface's subnet"
        ));
    }
    Ok(gateway)
}
