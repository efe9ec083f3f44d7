//! `dns-zone`: turns RFC 1035 master files ("zone files") into the compiled zone set that the
//! `dns` server loads (`dns::Zones::from_compiled`).
//!
//! The syntax is RFC 1035 section 5: `$ORIGIN`, `$TTL` (RFC 2308), `$INCLUDE`, `@`, relative
//! names, omitted owner/TTL/class, parentheses, `;` comments, `"quoted strings"`, `\X` and
//! `\DDD` escapes, TTL units (`1h30m`), and the RFC 3597 generic form `TYPEnnn \# LEN HEX`.
//! Errors name the file and line and say what is wrong.
//!
//! Zones signed by `dnssec-signzone`, `ldns-signzone` or Knot compile as these tools write
//! them (the DNSSEC types in `rdata::dnssec`; a file without `$ORIGIN` is named by its SOA
//! owner), and are checked first (`dnssec`: NSEC/NSEC3 chain, an RRSIG by the zone on every
//! authoritative RRset, signature times against [`Options`]). The user's guide, with what is
//! and is not checked: docs/dns-zone.md.
//!
//! [`build_zones`] is the build step of a DNS image's `build.rs`: the zone files the app's
//! manifest lists (`[data] zones`) compiled into `$OUT_DIR/zones.bin`.
//!
//! ```text
//! let blob = dns_zone::compile(&[dns_zone::ZoneFile {
//!     path: "zones/example.test.zone".into(),
//!     origin: None,
//! }])?;
//! ```

use std::fmt;
use std::path::{Path, PathBuf};

use hickory_proto::serialize::txt::parse_ttl;

mod dnssec;
mod lexer;
mod manifest;
mod name;
mod rdata;

pub use manifest::build_zones;

use lexer::{Entry, Token};

// The compiled zone-set format, shared with the image (`dns::compiled`).
use dns_zone_format as compiled;

/// One zone file to compile: a zone of its own.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ZoneFile {
    /// The master file.
    pub path: PathBuf,
    /// The zone's name (its apex and the initial origin). Default: the file's first `$ORIGIN`
    /// if it comes before any record; else the owner of its SOA record if that is written as
    /// an absolute name (`example.test.`, as signers write it); else the file name without a
    /// `.signed` suffix, then without a `.zone` or `.db` suffix or a `db.` prefix
    /// (`example.test.zone`, `example.test.zone.signed` and `db.example.test` are
    /// `example.test.`).
    pub origin: Option<String>,
}

/// One problem, located.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    /// The file at fault (`None` for a problem of the whole zone set).
    pub file: Option<PathBuf>,
    /// The 1-based line, when the problem has one.
    pub line: Option<usize>,
    /// What is wrong.
    pub message: String,
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (&self.file, self.line) {
            (Some(file), Some(line)) => write!(f, "{}:{line}: {}", file.display(), self.message),
            (Some(file), None) => write!(f, "{}: {}", file.display(), self.message),
            (None, _) => write!(f, "{}", self.message),
        }
    }
}

/// Why zone files could not be compiled: every problem found (at least one), in file order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ZoneError {
    pub diagnostics: Vec<Diagnostic>,
}

impl ZoneError {
    fn one(file: Option<&Path>, line: Option<usize>, message: impl Into<String>) -> Self {
        ZoneError {
            diagnostics: vec![Diagnostic {
                file: file.map(Path::to_path_buf),
                line,
                message: message.into(),
            }],
        }
    }
}

impl fmt::Display for ZoneError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, d) in self.diagnostics.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            write!(f, "{d}")?;
        }
        Ok(())
    }
}

impl std::error::Error for ZoneError {}

/// A record as read from a zone file, in wire format.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record {
    /// Owner name, uncompressed wire format, original case.
    pub owner: Vec<u8>,
    pub rtype: u16,
    pub class: u16,
    pub ttl: u32,
    /// RDATA in uncompressed wire format (names in it keep their case).
    pub rdata: Vec<u8>,
    /// Where it was written (an `$INCLUDE`d file is named as itself).
    pub file: PathBuf,
    pub line: usize,
}

/// A parsed zone file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Zone {
    /// The zone's apex, wire format.
    pub apex: Vec<u8>,
    /// The records in file order.
    pub records: Vec<Record>,
}

impl Zone {
    /// The apex in presentation form (`example.test.`).
    pub fn name(&self) -> String {
        name::to_text(&self.apex)
    }
}

/// The presentation form of a wire-format name.
pub fn name_to_text(wire: &[u8]) -> String {
    name::to_text(wire)
}

/// The zone set a hosted server serves: `builtin` (the set compiled into the program) when
/// `paths` is empty, else the zone files at `paths` compiled now (errors as `FILE:LINE: ...`).
pub fn compile_or_builtin(builtin: &[u8], paths: &[String]) -> Result<Vec<u8>, ZoneError> {
    if paths.is_empty() {
        return Ok(builtin.to_vec());
    }
    let files: Vec<ZoneFile> = paths
        .iter()
        .map(|path| ZoneFile {
            path: path.into(),
            origin: None,
        })
        .collect();
    compile(&files)
}

/// How zones are compiled: what the checks of signed zones compare signature times with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Options {
    /// Signatures that expire sooner than this many seconds after `now` are refused
    /// (`--sig-margin`; default [`DEFAULT_SIG_MARGIN`]).
    pub sig_margin: u64,
    /// "Now", in seconds since 1970. `None`: `SOURCE_DATE_EPOCH` if it is set, else the
    /// system clock when compiling ([`Options::now`]).
    pub now: Option<u64>,
}

/// The default `--sig-margin`: 3 days. A compiled image serves its signatures unchanged
/// until it is rebuilt, so they must outlive the time from build to deployment and the TTLs
/// caches keep them for. Three days is OpenDNSSEC's default refresh (`<Refresh>P3D`), the
/// signer NSD is usually paired with for pre-signed zones; it is longer than Knot's default
/// refresh (`rrsig-refresh`: propagation delay + the zone's largest TTL) and well inside the
/// validity the signers give by default (dnssec-signzone 30 days, ldns-signzone 4 weeks,
/// Knot 14 days), so a freshly signed zone passes.
pub const DEFAULT_SIG_MARGIN: u64 = 3 * 86400;

impl Default for Options {
    fn default() -> Self {
        Options {
            sig_margin: DEFAULT_SIG_MARGIN,
            now: None,
        }
    }
}

impl Options {
    /// "Now" for the signature checks: the given time, else `SOURCE_DATE_EPOCH` (so that a
    /// reproducible build of an old tree reaches the same verdict), else the system clock.
    pub fn now(&self) -> Result<u64, String> {
        if let Some(now) = self.now {
            return Ok(now);
        }
        if let Some(epoch) = std::env::var_os("SOURCE_DATE_EPOCH") {
            let text = epoch.to_string_lossy();
            return text.trim().parse().map_err(|_| {
                format!(
                    "SOURCE_DATE_EPOCH is '{text}', not a number of seconds since 1970; fix or unset it"
                )
            });
        }
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs())
            .map_err(|_| "the system clock is before 1970; set it".to_string())
    }
}

/// A duration as `--sig-margin` and the manifest take it: seconds (`3600`) or with units
/// `s`, `m`, `h`, `d`, `w`, combined (`3d`, `12h`, `1d12h`).
pub fn parse_duration(text: &str) -> Result<u64, String> {
    parse_ttl(text.trim())
        .map(u64::from)
        .map_err(|_| format!("'{text}' is not a duration (seconds, or like 3d, 12h, 1d12h)"))
}

/// Compiles zone files (each a zone) into one compiled zone set, with the default
/// [`Options`].
pub fn compile(files: &[ZoneFile]) -> Result<Vec<u8>, ZoneError> {
    compile_with(files, &Options::default())
}

/// Compiles zone files (each a zone) into one compiled zone set. Signed zones are checked
/// (see [`check_signed`]) before they are compiled.
pub fn compile_with(files: &[ZoneFile], options: &Options) -> Result<Vec<u8>, ZoneError> {
    let mut zones = Vec::new();
    let mut diagnostics = Vec::new();
    for file in files {
        match parse(file).and_then(|zone| check_signed(&zone, options).map(|()| zone)) {
            Ok(zone) => zones.push((file, zone)),
            Err(e) => diagnostics.extend(e.diagnostics),
        }
    }
    if !diagnostics.is_empty() {
        return Err(ZoneError { diagnostics });
    }
    build(&zones)
}

/// Checks zone files as `compile` does, without producing anything.
pub fn check(files: &[ZoneFile]) -> Result<(), ZoneError> {
    compile(files).map(|_| ())
}

/// Checks zone files as `compile_with` does, without producing anything.
pub fn check_with(files: &[ZoneFile], options: &Options) -> Result<(), ZoneError> {
    compile_with(files, options).map(|_| ())
}

/// The checks of a signed zone (nothing for an unsigned one): its NSEC or NSEC3 chain, that
/// every authoritative RRset is signed by the zone, and that the signatures are valid now and
/// for `options.sig_margin` more. What is and is not checked: docs/dns-zone.md, "Signed
/// zones". Every problem is reported at its line as `NAME: message`.
pub fn check_signed(zone: &Zone, options: &Options) -> Result<(), ZoneError> {
    if !dnssec::is_signed(zone) {
        return Ok(());
    }
    let file = zone.records.first().map(|r| r.file.as_path());
    let now = options.now().map_err(|e| ZoneError::one(file, None, e))?;
    let clock = dnssec::Clock {
        now,
        margin: options.sig_margin,
    };
    let problems = dnssec::check(zone, clock);
    if problems.is_empty() {
        return Ok(());
    }
    Err(ZoneError {
        diagnostics: problems
            .into_iter()
            .map(|(i, message)| Diagnostic {
                file: Some(zone.records[i].file.clone()),
                line: Some(zone.records[i].line),
                message,
            })
            .collect(),
    })
}

fn build(zones: &[(&ZoneFile, Zone)]) -> Result<Vec<u8>, ZoneError> {
    for (i, (file, zone)) in zones.iter().enumerate() {
        if let Some((other, _)) = zones[..i]
            .iter()
            .find(|(_, z)| name::eq(&z.apex, &zone.apex))
        {
            return Err(ZoneError::one(
                Some(&file.path),
                None,
                format!(
                    "zone {} is already defined by {}",
                    zone.name(),
                    other.path.display()
                ),
            ));
        }
    }
    let mut builder = compiled::ZoneSetBuilder::new();
    for (file, zone) in zones {
        builder.zone(&zone.apex).map_err(|e| {
            ZoneError::one(Some(&file.path), None, format!("zone {}: {e}", zone.name()))
        })?;
        for r in &zone.records {
            builder
                .record(&r.owner, r.rtype, r.class, r.ttl, &r.rdata)
                .map_err(|e| {
                    ZoneError::one(
                        Some(&r.file),
                        Some(r.line),
                        format!(
                            "{} {}: {e}",
                            name::to_text(&r.owner),
                            rdata::type_name(r.rtype)
                        ),
                    )
                })?;
        }
    }
    builder.finish().map_err(|e| ZoneError {
        diagnostics: vec![locate(zones, &e)],
    })
}

/// Where the zone-wide problem `e` (found when the zone set is finished) was written.
fn locate(zones: &[(&ZoneFile, Zone)], e: &compiled::BuildError) -> Diagnostic {
    use compiled::BuildError as E;
    let same = |wire: &[u8], text: &str| compiled::name::to_text(wire).eq_ignore_ascii_case(text);
    let records = || zones.iter().flat_map(|(_, z)| &z.records);
    let at = |r: &Record, message: String| Diagnostic {
        file: Some(r.file.clone()),
        line: Some(r.line),
        message,
    };
    let found = match e {
        E::CnameAndOtherData { owner, rtype } => {
            let cname = records().find(|r| r.rtype == 5 && same(&r.owner, owner));
            let other = records().find(|r| r.rtype == *rtype && same(&r.owner, owner));
            cname.map(|c| match other {
                Some(o) if o.file == c.file => at(
                    c,
                    format!(
                        "{e} (the {} record: line {})",
                        rdata::type_name(o.rtype),
                        o.line
                    ),
                ),
                Some(o) => at(
                    c,
                    format!(
                        "{e} (the {} record: {}:{})",
                        rdata::type_name(o.rtype),
                        o.file.display(),
                        o.line
                    ),
                ),
                None => at(c, e.to_string()),
            })
        }
        E::MultipleAlias { owner, rtype } => records()
            .filter(|r| r.rtype == *rtype && same(&r.owner, owner))
            .nth(1)
            .map(|r| at(r, e.to_string())),
        E::BelowDname { owner, .. } | E::SoaNotAtApex { owner } | E::Denial { owner, .. } => {
            records()
                .find(|r| same(&r.owner, owner))
                .map(|r| at(r, e.to_string()))
        }
        E::MissingSoa { apex } | E::MultipleSoa { apex } | E::MissingApexNs { apex } => zones
            .iter()
            .find(|(_, z)| same(&z.apex, apex))
            .map(|(f, _)| Diagnostic {
                file: Some(f.path.clone()),
                line: None,
                message: e.to_string(),
            }),
        _ => None,
    };
    found.unwrap_or_else(|| Diagnostic {
        file: match zones {
            [(file, _)] => Some(file.path.clone()),
            _ => None,
        },
        line: None,
        message: e.to_string(),
    })
}

/// The origin a zone file gets when none is given: see [`ZoneFile::origin`].
fn default_origin(path: &Path, entries: &[Entry]) -> Result<String, String> {
    for entry in entries {
        let t = &entry.tokens;
        if entry.blank_start || !t[0].text.starts_with('$') {
            break;
        }
        if t[0].text.eq_ignore_ascii_case("$ORIGIN") && t.len() >= 2 {
            return Ok(t[1].text.clone());
        }
    }
    if let Some(owner) = soa_owner(entries) {
        return Ok(owner);
    }
    let file_name = path
        .file_name()
        .and_then(|n| n.to_str())
        .ok_or("cannot tell the zone's name from the file name; give it with --origin")?;
    // `example.test.zone.signed` (dnssec-signzone's default) is `example.test.zone`.
    let file_name = file_name.strip_suffix(".signed").unwrap_or(file_name);
    let stem = file_name
        .strip_suffix(".zone")
        .or_else(|| file_name.strip_suffix(".db"))
        .or_else(|| file_name.strip_prefix("db."))
        .unwrap_or(file_name);
    Ok(stem.to_string())
}

/// The owner of the file's first SOA record, if it is written as an absolute name: signers
/// (`dnssec-signzone`, `ldns-signzone`, Knot) write every owner in full and no `$ORIGIN`.
fn soa_owner(entries: &[Entry]) -> Option<String> {
    let mut owner: Option<&str> = None;
    for entry in entries {
        let t = &entry.tokens;
        if !entry.blank_start && !t[0].quoted && t[0].text.starts_with('$') {
            continue;
        }
        let fields = if entry.blank_start {
            &t[..]
        } else {
            owner = Some(&t[0].text);
            &t[1..]
        };
        // [TTL] [class] type, in either order (RFC 1035 §5.1).
        let is_soa = fields
            .iter()
            .take(3)
            .take_while(|f| !f.quoted)
            .find(|f| !is_ttl_like(&f.text) && class_code(&f.text).is_none())
            .is_some_and(|f| f.text.eq_ignore_ascii_case("SOA"));
        if is_soa {
            return owner
                .filter(|o| o.ends_with('.') && !o.ends_with("\\."))
                .map(String::from);
        }
    }
    None
}

/// Reads and checks one zone file (and what it `$INCLUDE`s).
pub fn parse(file: &ZoneFile) -> Result<Zone, ZoneError> {
    let path = file.path.as_path();
    let text = read(path, None)?;
    let entries =
        lexer::entries(&text).map_err(|e| ZoneError::one(Some(path), Some(e.line), e.message))?;
    let (origin_text, how) = match &file.origin {
        Some(o) => (o.clone(), "given"),
        None => (
            default_origin(path, &entries).map_err(|e| ZoneError::one(Some(path), None, e))?,
            "default",
        ),
    };
    let origin_abs = if origin_text.ends_with('.') {
        origin_text
    } else {
        format!("{origin_text}.")
    };
    let apex = name::parse(&origin_abs, name::ROOT).map_err(|e| {
        ZoneError::one(
            Some(path),
            None,
            format!("the {how} zone name is not valid: {e}"),
        )
    })?;

    let mut reader = Reader {
        apex: apex.clone(),
        records: Vec::new(),
        diagnostics: Vec::new(),
        default_ttl: None,
        last_ttl: None,
        last_owner: None,
        class: None,
        depth: 0,
    };
    reader.read_entries(path, &entries, apex.clone());
    let mut zone = Zone {
        apex,
        records: reader.records,
    };
    let mut diagnostics = reader.diagnostics;
    if diagnostics.is_empty() {
        check_zone(path, &mut zone, &mut diagnostics);
    }
    if diagnostics.is_empty() {
        Ok(zone)
    } else {
        Err(ZoneError { diagnostics })
    }
}

/// Zone-wide rules that the reader cannot see record by record.
fn check_zone(path: &Path, zone: &mut Zone, diagnostics: &mut Vec<Diagnostic>) {
    let soas: Vec<&Record> = zone.records.iter().filter(|r| r.rtype == 6).collect();
    match soas.as_slice() {
        [] => diagnostics.push(Diagnostic {
            file: Some(path.to_path_buf()),
            line: None,
            message: format!("zone {} has no SOA record at its apex", zone.name()),
        }),
        [_] => {}
        [_, second, ..] => diagnostics.push(Diagnostic {
            file: Some(second.file.clone()),
            line: Some(second.line),
            message: format!("a second SOA record for zone {}", zone.name()),
        }),
    }
}

const MAX_INCLUDE_DEPTH: usize = 16;

fn read(path: &Path, from: Option<(&Path, usize)>) -> Result<String, ZoneError> {
    let bytes = std::fs::read(path).map_err(|e| match from {
        None => ZoneError::one(Some(path), None, format!("cannot read the zone file: {e}")),
        Some((file, line)) => ZoneError::one(
            Some(file),
            Some(line),
            format!("cannot read $INCLUDE file {}: {e}", path.display()),
        ),
    })?;
    String::from_utf8(bytes).map_err(|e| {
        let valid = &e.as_bytes()[..e.utf8_error().valid_up_to()];
        let line = valid.iter().filter(|&&b| b == b'\n').count() + 1;
        ZoneError::one(
            Some(path),
            Some(line),
            "the file is not valid UTF-8 (write other octets as \\DDD escapes)",
        )
    })
}

struct Reader {
    apex: Vec<u8>,
    records: Vec<Record>,
    diagnostics: Vec<Diagnostic>,
    /// `$TTL`.
    default_ttl: Option<u32>,
    /// The last explicit TTL (RFC 1035's default when there is no `$TTL`).
    last_ttl: Option<u32>,
    last_owner: Option<Vec<u8>>,
    /// The zone's class: the first record's.
    class: Option<u16>,
    depth: usize,
}

/// The class mnemonics (and `CLASSnnn`).
fn class_code(text: &str) -> Option<u16> {
    let upper = text.to_ascii_uppercase();
    match upper.as_str() {
        "IN" => Some(1),
        "CH" | "CS" => Some(if upper == "CH" { 3 } else { 2 }),
        "HS" => Some(4),
        _ => upper
            .strip_prefix("CLASS")
            .filter(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
            .and_then(|n| n.parse().ok()),
    }
}

fn is_ttl_like(text: &str) -> bool {
    text.as_bytes().first().is_some_and(u8::is_ascii_digit)
}

impl Reader {
    fn error(&mut self, file: &Path, line: usize, message: impl Into<String>) {
        self.diagnostics.push(Diagnostic {
            file: Some(file.to_path_buf()),
            line: Some(line),
            message: message.into(),
        });
    }

    /// Reads the entries of one file with `origin` as the initial `$ORIGIN`.
    fn read_entries(&mut self, path: &Path, entries: &[Entry], mut origin: Vec<u8>) {
        for entry in entries {
            if let Err((line, message)) = self.entry(path, entry, &mut origin) {
                self.error(path, line, message);
            }
        }
    }

    fn entry(
        &mut self,
        path: &Path,
        entry: &Entry,
        origin: &mut Vec<u8>,
    ) -> Result<(), (usize, String)> {
        let tokens = &entry.tokens;
        let first = &tokens[0];
        if !entry.blank_start && !first.quoted && first.text.starts_with('$') {
            return self.directive(path, entry, origin);
        }
        let mut rest = &tokens[..];
        let owner = if entry.blank_start {
            self.last_owner.clone().ok_or((
                entry.line,
                "the line starts with a blank (meaning: same owner as the previous record) but there is no previous record".to_string(),
            ))?
        } else {
            rest = &tokens[1..];
            let owner = name::parse(&first.text, origin)
                .map_err(|e| (first.line, format!("owner name: {e}")))?;
            self.last_owner = Some(owner.clone());
            owner
        };
        // [TTL] [class] type, TTL and class in either order (RFC 1035 section 5.1).
        let mut ttl = None;
        let mut class = None;
        let (rtype, type_token) = loop {
            let Some((t, more)) = rest.split_first() else {
                return Err((entry.line, "missing record type".into()));
            };
            rest = more;
            if t.quoted {
                return Err((
                    t.line,
                    format!("expected a TTL, class or type, found \"{}\"", t.text),
                ));
            }
            if is_ttl_like(&t.text) && ttl.is_none() {
                let v = parse_ttl(&t.text).map_err(|_| {
                    (
                        t.line,
                        format!("'{}' is not a valid TTL (like 3600 or 1h30m)", t.text),
                    )
                })?;
                ttl = Some(v);
                continue;
            }
            if class.is_none()
                && let Some(c) = class_code(&t.text)
            {
                class = Some(c);
                continue;
            }
            match rdata::type_code(&t.text) {
                Some(code) => break (code, t),
                None => {
                    return Err((
                        t.line,
                        format!(
                            "unknown record type '{}' (use TYPEnnn \\# LENGTH HEX for types without a mnemonic)",
                            t.text
                        ),
                    ));
                }
            }
        };
        let class = class.unwrap_or(self.class.unwrap_or(1));
        match self.class {
            None => self.class = Some(class),
            Some(zone_class) if zone_class != class => {
                return Err((
                    type_token.line,
                    format!(
                        "class {} differs from the zone's class {}",
                        class_text(class),
                        class_text(zone_class)
                    ),
                ));
            }
            Some(_) => {}
        }
        let ttl = match ttl {
            Some(v) => {
                self.last_ttl = Some(v);
                v
            }
            None => self.default_ttl.or(self.last_ttl).ok_or((
                entry.line,
                "no TTL: give one on the record or set a default with $TTL".to_string(),
            ))?,
        };
        let data =
            rdata::encode(rtype, rest, origin, type_token.line).map_err(|e| (e.line, e.message))?;
        if !name::is_at_or_below(&owner, &self.apex) {
            return Err((
                entry.line,
                format!(
                    "{} is outside the zone {} (a zone file holds only its own names)",
                    name::to_text(&owner),
                    name::to_text(&self.apex)
                ),
            ));
        }
        if rtype == 6 && !name::eq(&owner, &self.apex) {
            return Err((
                entry.line,
                format!(
                    "SOA record at {}, not at the zone apex {} (set the zone's name with $ORIGIN or --origin)",
                    name::to_text(&owner),
                    name::to_text(&self.apex)
                ),
            ));
        }
        self.records.push(Record {
            owner,
            rtype,
            class,
            ttl,
            rdata: data,
            file: path.to_path_buf(),
            line: entry.line,
        });
        Ok(())
    }

    fn directive(
        &mut self,
        path: &Path,
        entry: &Entry,
        origin: &mut Vec<u8>,
    ) -> Result<(), (usize, String)> {
        let tokens = &entry.tokens;
        let word = tokens[0].text.to_ascii_uppercase();
        let line = entry.line;
        let arg = |i: usize, what: &str| {
            tokens
                .get(i)
                .ok_or_else(|| (line, format!("{word} needs {what}")))
        };
        match word.as_str() {
            "$ORIGIN" => {
                let t = arg(1, "a domain name")?;
                *origin =
                    name::parse(&t.text, origin).map_err(|e| (t.line, format!("$ORIGIN: {e}")))?;
                extra(tokens, 2)
            }
            "$TTL" => {
                let t = arg(1, "a TTL")?;
                let v = parse_ttl(&t.text).map_err(|_| {
                    (
                        t.line,
                        format!("$TTL '{}' is not a valid TTL (like 3600 or 1h30m)", t.text),
                    )
                })?;
                self.default_ttl = Some(v);
                extra(tokens, 2)
            }
            "$INCLUDE" => {
                let t = arg(1, "a file name")?;
                let include_origin = match tokens.get(2) {
                    Some(o) => name::parse(&o.text, origin)
                        .map_err(|e| (o.line, format!("$INCLUDE origin: {e}")))?,
                    None => origin.clone(),
                };
                extra(tokens, 3)?;
                if self.depth >= MAX_INCLUDE_DEPTH {
                    return Err((
                        line,
                        format!("$INCLUDE nested more than {MAX_INCLUDE_DEPTH} deep"),
                    ));
                }
                let included = Path::new(&t.text);
                let included = if included.is_absolute() {
                    included.to_path_buf()
                } else {
                    path.parent().unwrap_or(Path::new(".")).join(included)
                };
                let text = read(&included, Some((path, line)))
                    .map_err(|e| (line, e.diagnostics[0].message.clone()))?;
                match lexer::entries(&text) {
                    Ok(entries) => {
                        self.depth += 1;
                        // The included file's $ORIGIN changes do not leak back (RFC 1035 5.1).
                        self.read_entries(&included, &entries, include_origin);
                        self.depth -= 1;
                    }
                    Err(e) => self.error(&included, e.line, e.message),
                }
                Ok(())
            }
            "$GENERATE" => Err((line, "$GENERATE (a BIND extension) is not supported".into())),
            _ => Err((line, format!("unknown directive {}", tokens[0].text))),
        }
    }
}

fn extra(tokens: &[Token], allowed: usize) -> Result<(), (usize, String)> {
    match tokens.get(allowed) {
        None => Ok(()),
        Some(t) => Err((
            t.line,
            format!("unexpected '{}' after {}", t.text, tokens[0].text),
        )),
    }
}

fn class_text(class: u16) -> String {
    match class {
        1 => "IN".into(),
        2 => "CS".into(),
        3 => "CH".into(),
        4 => "HS".into(),
        n => format!("CLASS{n}"),
    }
}
