//! The fuzz targets' harnesses: for each parser of untrusted bytes, what is done with an input
//! (`run`), and the seed inputs its corpus starts from (`seeds`).
//!
//! Each `fuzz_targets/NAME.rs` only calls `NAME::run`. The harnesses are plain Rust: `cargo
//! test` in this folder replays the committed corpus (`corpus/NAME/`) through them on stable,
//! and `cargo run --example seeds --features seeds` rewrites the
//! generated seeds (the feature brings the host tools that make some of them). What each target checks is no
//! panic, no hang and no unbounded allocation (libFuzzer's `-timeout` and `-rss_limit_mb`),
//! plus the few cheap properties its module names.
//!
//! Stateful code (netfront, virtio-net, the xenstore client) is sequence-fuzzed, as rust-vmm
//! does: the input is a list of actions of the other side (a backend, a device, xenstored)
//! and of the driver, decoded by [`Input`]; each module's [`Step`] (`Action`, `Event`)
//! documents its encoding.

pub mod boot;
pub mod dns_query;
pub mod dns_zones;
pub mod http_request;
pub mod manifest;
pub mod netfront;
pub mod tls_identity;
pub mod virtio_net;
pub mod xenstore;

/// Seed inputs: (name, bytes).
pub type Seeds = Vec<(String, Vec<u8>)>;

/// Every target's name and seed inputs, for `examples/seeds.rs`.
#[cfg(feature = "seeds")]
pub fn all_seeds() -> Vec<(&'static str, Seeds)> {
    vec![
        ("boot", boot::seeds()),
        ("dns_query", dns_query::seeds()),
        ("dns_zones", dns_zones::seeds()),
        ("http_request", http_request::seeds()),
        ("manifest", manifest::seeds()),
        ("netfront", netfront::seeds()),
        ("tls_identity", tls_identity::seeds()),
        ("virtio_net", virtio_net::seeds()),
        ("xenstore", xenstore::seeds()),
    ]
}

/// Every target's `run`, by name (for the corpus replay test).
pub fn runner(target: &str) -> Option<fn(&[u8])> {
    Some(match target {
        "boot" => boot::run,
        "dns_query" => dns_query::run,
        "dns_zones" => dns_zones::run,
        "http_request" => http_request::run,
        "manifest" => manifest::run,
        "netfront" => netfront::run,
        "tls_identity" => tls_identity::run,
        "virtio_net" => virtio_net::run,
        "xenstore" => xenstore::run,
        _ => return None,
    })
}

/// The folder of the repository (for example files).
pub fn repository() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("fuzz/ is inside the repository")
        .to_path_buf()
}

/// Reads an input as a stream of little-endian fields; past the end every field reads as 0
/// and [`is_empty`](Input::is_empty) is true, so any input decodes to something.
#[derive(Clone, Debug)]
pub struct Input<'a> {
    data: &'a [u8],
}

impl<'a> Input<'a> {
    /// An input over `data`.
    pub fn new(data: &'a [u8]) -> Self {
        Input { data }
    }

    /// Whether everything has been read.
    pub fn is_empty(&self) -> bool {
        self.data.is_empty()
    }

    /// The next byte.
    pub fn u8(&mut self) -> u8 {
        let (&first, rest) = self.data.split_first().unwrap_or((&0, &[]));
        self.data = rest;
        first
    }

    /// The next little-endian `u16`.
    pub fn u16(&mut self) -> u16 {
        u16::from_le_bytes([self.u8(), self.u8()])
    }

    /// The next little-endian `u32`.
    pub fn u32(&mut self) -> u32 {
        u32::from_le_bytes([self.u8(), self.u8(), self.u8(), self.u8()])
    }

    /// The next `len` bytes (fewer at the end).
    pub fn bytes(&mut self, len: usize) -> &'a [u8] {
        let (taken, rest) = self.data.split_at(len.min(self.data.len()));
        self.data = rest;
        taken
    }

    /// A byte string prefixed by its length (one byte).
    pub fn short_bytes(&mut self) -> &'a [u8] {
        let len = self.u8();
        self.bytes(usize::from(len))
    }

    /// Everything left.
    pub fn rest(&mut self) -> &'a [u8] {
        self.bytes(self.data.len())
    }
}

/// One step of a sequence-fuzzed target: an action of the other side or of the driver, as the
/// input encodes it (an opcode byte, then its fields).
pub trait Step: Sized {
    /// Decodes the next step; any input decodes to one (past the end, every field reads 0).
    fn decode(input: &mut Input<'_>) -> Self;

    /// Encodes the step as [`decode`](Step::decode) reads it.
    fn encode(&self, e: &mut Encoder);
}

/// A sequence input for the seeds: the setup byte, then `steps`.
pub fn sequence<S: Step>(setup: u8, steps: &[S]) -> Vec<u8> {
    let mut e = Encoder::default();
    e.u8(setup).steps(steps);
    e.finish()
}

/// Builds inputs for [`Input`]: the seeds' encoder.
#[derive(Clone, Debug, Default)]
pub struct Encoder(pub Vec<u8>);

impl Encoder {
    /// Appends a byte.
    pub fn u8(&mut self, value: u8) -> &mut Self {
        self.0.push(value);
        self
    }

    /// Appends a little-endian `u16`.
    pub fn u16(&mut self, value: u16) -> &mut Self {
        self.0.extend_from_slice(&value.to_le_bytes());
        self
    }

    /// Appends a little-endian `u32`.
    pub fn u32(&mut self, value: u32) -> &mut Self {
        self.0.extend_from_slice(&value.to_le_bytes());
        self
    }

    /// Appends bytes as they are.
    pub fn bytes(&mut self, bytes: &[u8]) -> &mut Self {
        self.0.extend_from_slice(bytes);
        self
    }

    /// Appends a byte string prefixed by its length (at most 255 bytes).
    pub fn short_bytes(&mut self, bytes: &[u8]) -> &mut Self {
        let len = bytes.len().min(255);
        self.0.push(len as u8);
        self.0.extend_from_slice(&bytes[..len]);
        self
    }

    /// Appends `steps`, each as [`Step::encode`] writes it.
    pub fn steps<S: Step>(&mut self, steps: &[S]) -> &mut Self {
        for step in steps {
            step.encode(self);
        }
        self
    }

    /// The input.
    pub fn finish(&mut self) -> Vec<u8> {
        std::mem::take(&mut self.0)
    }
}

/// Sets a compiled blob's `total_len` (octets 8..12) and FNV-1a checksum (octets 12..16, over
/// everything after the 16-octet header), both big-endian: the layout the compiled zone set
/// and the compiled identity share. Without this the fuzzer's mutations would almost all stop
/// at the checksum.
pub fn fix_blob_header(blob: &mut [u8], fix_len: bool, fix_checksum: bool) {
    if blob.len() < 16 {
        return;
    }
    if fix_len {
        let len = u32::try_from(blob.len()).unwrap_or(u32::MAX);
        blob[8..12].copy_from_slice(&len.to_be_bytes());
    }
    if fix_checksum {
        let sum = blob[16..].iter().fold(0x811c_9dc5u32, |hash, &b| {
            (hash ^ u32::from(b)).wrapping_mul(0x0100_0193)
        });
        blob[12..16].copy_from_slice(&sum.to_be_bytes());
    }
}

/// A network driver harness's seeds do what they are named for (the harness is not stuck
/// before the driver): `traffic` starts the driver and carries frames both ways, and the driver
/// counts what `misbehaving` does wrong. `play` gives the driver's counters, if it started.
#[cfg(test)]
fn check_seeds_carry_traffic(
    seeds: &Seeds,
    play: impl Fn(&[u8]) -> Option<xenolith_device::DeviceStats>,
) {
    let input = |name: &str| &seeds.iter().find(|(n, _)| n == name).unwrap().1;
    let stats = play(input("traffic")).expect("the driver starts");
    assert!(stats.rx_frames >= 5 && stats.tx_frames >= 5, "{stats:?}");
    let stats = play(input("misbehaving")).expect("the driver starts");
    assert!(stats.errors > 0, "{stats:?}");
}
