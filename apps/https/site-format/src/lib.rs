//! `https-site-format`: the compiled site format, written on the host by [`SiteBuilder`] (the
//! https app's build.rs drives it), read in the guest by [`Site::from_compiled`].
//!
//! A compiled site is one blob holding every file of the site's root directory, with the
//! content type and the entity tag already computed, so that the guest only validates and
//! indexes it. All integers are big-endian.
//!
//! ```text
//! blob   = magic "XWWW" | version u16 (=1) | reserved u16 (=0) | file_count u32 | checksum u32
//!          | file * file_count
//! file   = path_len u16 | path | type_len u8 | content_type | etag_len u8 | etag
//!          | body_len u32 | body
//! ```
//!
//! - `checksum` is FNV-1a (32 bit) over every octet after the 16-octet header; the blob ends
//!   exactly after the last file (trailing octets are an error).
//! - `path` is the URL path of the file, percent-decoded, UTF-8: it starts with `/`, has no
//!   empty, `.` or `..` segment, no NUL, no control character, and no trailing `/`; paths are
//!   sorted strictly increasing by their octets (the guest finds a file by binary search).
//! - `content_type` is a `Content-Type` value (visible ASCII and spaces), chosen at build time
//!   from the file name's extension ([`content_type_for`]).
//! - `etag` is a strong entity tag, quotes included (RFC 9110 §8.8.3): the 64-bit FNV-1a hash
//!   of the body and its length, in hexadecimal. It changes whenever the content changes
//!   (collisions aside: it is a cache validator, not a security property).
//!
//! This crate is `no_std` and uses only `core` and `alloc`: the image gets it through the
//! `https` library (re-exported as `https::compiled`), the app's build script depends on it
//! directly (a build script cannot depend on the package it builds).
#![no_std]
#![forbid(unsafe_code)]

extern crate alloc;

use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;
use core::fmt;

/// The first four octets of a compiled site.
pub const MAGIC: [u8; 4] = *b"XWWW";
/// The format version this module writes and reads.
pub const VERSION: u16 = 1;
/// The fixed header: magic, version, reserved, file count, checksum.
pub const HEADER_LEN: usize = 16;
/// The longest path a site may hold, in octets.
pub const MAX_PATH: usize = 1024;

/// FNV-1a, 32 bit: the blob's checksum (catches truncation and bit rot, not tampering).
pub fn checksum(bytes: &[u8]) -> u32 {
    bytes.iter().fold(0x811c_9dc5u32, |hash, &b| {
        (hash ^ u32::from(b)).wrapping_mul(0x0100_0193)
    })
}

/// FNV-1a, 64 bit: the content hash behind the entity tags.
fn hash64(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325u64, |hash, &b| {
        (hash ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

/// The strong entity tag of a body, quotes included.
pub fn etag_for(body: &[u8]) -> String {
    format!("\"{:016x}-{:x}\"", hash64(body), body.len())
}

/// The `Content-Type` for a file name, from its extension (case-insensitive); text types
/// carry `charset=utf-8`. Unknown extensions are `application/octet-stream`.
pub fn content_type_for(path: &str) -> &'static str {
    let name = path.rsplit('/').next().unwrap_or(path);
    let extension = match name.rsplit_once('.') {
        Some((stem, extension)) if !stem.is_empty() => extension,
        _ => return "application/octet-stream",
    };
    const TYPES: &[(&str, &str)] = &[
        ("html", "text/html; charset=utf-8"),
        ("htm", "text/html; charset=utf-8"),
        ("css", "text/css; charset=utf-8"),
        ("js", "text/javascript; charset=utf-8"),
        ("mjs", "text/javascript; charset=utf-8"),
        ("json", "application/json"),
        ("txt", "text/plain; charset=utf-8"),
        ("md", "text/markdown; charset=utf-8"),
        ("csv", "text/csv; charset=utf-8"),
        ("xml", "application/xml"),
        ("svg", "image/svg+xml"),
        ("png", "image/png"),
        ("jpg", "image/jpeg"),
        ("jpeg", "image/jpeg"),
        ("gif", "image/gif"),
        ("webp", "image/webp"),
        ("avif", "image/avif"),
        ("ico", "image/x-icon"),
        ("woff", "font/woff"),
        ("woff2", "font/woff2"),
        ("ttf", "font/ttf"),
        ("otf", "font/otf"),
        ("pdf", "application/pdf"),
        ("wasm", "application/wasm"),
        ("map", "application/json"),
        ("mp4", "video/mp4"),
        ("webm", "video/webm"),
        ("mp3", "audio/mpeg"),
        ("ogg", "audio/ogg"),
        ("zip", "application/zip"),
        ("gz", "application/gzip"),
        ("tar", "application/x-tar"),
    ];
    TYPES
        .iter()
        .find(|(known, _)| known.eq_ignore_ascii_case(extension))
        .map_or("application/octet-stream", |(_, content_type)| content_type)
}

/// Why a path cannot be part of a site, or `None` if it can.
pub fn path_problem(path: &str) -> Option<&'static str> {
    if !path.starts_with('/') {
        return Some("it does not start with '/'");
    }
    if path.len() > MAX_PATH {
        return Some("it is longer than 1024 octets");
    }
    if path.bytes().any(|b| b.is_ascii_control()) {
        return Some("it holds a control character");
    }
    if path[1..]
        .split('/')
        .any(|segment| segment.is_empty() || segment == "." || segment == "..")
    {
        return Some("it has an empty, '.' or '..' segment (or ends with '/')");
    }
    None
}

/// Why a site could not be built.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum BuildError {
    /// A path is not usable as a URL path.
    BadPath {
        /// The path.
        path: String,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// The same path was added twice.
    Duplicate {
        /// The path.
        path: String,
    },
    /// A file is larger than 4 GiB - 1, or there are more than 2^32 - 1 files.
    TooLarge {
        /// The path.
        path: String,
    },
}

impl fmt::Display for BuildError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            BuildError::BadPath { path, reason } => write!(
                f,
                "{path:?} cannot be served: {reason}; rename the file or directory"
            ),
            BuildError::Duplicate { path } => write!(f, "{path:?} was added twice"),
            BuildError::TooLarge { path } => write!(
                f,
                "{path:?} is too large for a compiled site (files are limited to 4 GiB - 1)"
            ),
        }
    }
}

/// Collects files and writes a compiled site.
#[derive(Debug, Default)]
pub struct SiteBuilder {
    files: Vec<(String, Vec<u8>)>,
}

impl SiteBuilder {
    /// An empty site.
    pub fn new() -> SiteBuilder {
        SiteBuilder::default()
    }

    /// Adds the file served at `path` (e.g. `/css/site.css`).
    pub fn add(&mut self, path: &str, body: &[u8]) -> Result<(), BuildError> {
        if let Some(reason) = path_problem(path) {
            return Err(BuildError::BadPath {
                path: path.into(),
                reason,
            });
        }
        if u32::try_from(body.len()).is_err() || self.files.len() >= u32::MAX as usize {
            return Err(BuildError::TooLarge { path: path.into() });
        }
        if self.files.iter().any(|(known, _)| known == path) {
            return Err(BuildError::Duplicate { path: path.into() });
        }
        self.files.push((path.into(), body.to_vec()));
        Ok(())
    }

    /// The compiled site.
    pub fn finish(mut self) -> Vec<u8> {
        self.files
            .sort_by(|a, b| a.0.as_bytes().cmp(b.0.as_bytes()));
        let mut blob = Vec::new();
        blob.extend_from_slice(&MAGIC);
        blob.extend_from_slice(&VERSION.to_be_bytes());
        blob.extend_from_slice(&0u16.to_be_bytes());
        blob.extend_from_slice(&(self.files.len() as u32).to_be_bytes());
        blob.extend_from_slice(&0u32.to_be_bytes());
        for (path, body) in &self.files {
            let content_type = content_type_for(path);
            let etag = etag_for(body);
            // Lengths were checked by `add` and `path_problem`; types and tags are short.
            blob.extend_from_slice(&(path.len() as u16).to_be_bytes());
            blob.extend_from_slice(path.as_bytes());
            blob.push(content_type.len() as u8);
            blob.extend_from_slice(content_type.as_bytes());
            blob.push(etag.len() as u8);
            blob.extend_from_slice(etag.as_bytes());
            blob.extend_from_slice(&(body.len() as u32).to_be_bytes());
            blob.extend_from_slice(body);
        }
        let sum = checksum(&blob[HEADER_LEN..]);
        blob[12..16].copy_from_slice(&sum.to_be_bytes());
        blob
    }
}

/// Why a blob is not a usable compiled site.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LoadError {
    /// The blob does not start with the magic `XWWW`.
    Magic,
    /// The format version is not the one this server reads.
    Version(u16),
    /// The checksum does not match: the blob is truncated or damaged.
    Checksum,
    /// The blob ends in the middle of a file record.
    Truncated,
    /// Octets follow the last file.
    Trailing,
    /// A path is not a valid site path.
    BadPath(&'static str),
    /// Paths are not sorted strictly increasing (or one is repeated).
    Unsorted,
    /// A content type or entity tag has characters not allowed in a header value.
    BadHeaderValue,
}

impl fmt::Display for LoadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LoadError::Magic => write!(f, "it does not start with \"XWWW\": not a compiled site"),
            LoadError::Version(v) => write!(
                f,
                "it is format version {v}, this server reads version {VERSION}: rebuild the site"
            ),
            LoadError::Checksum => write!(f, "its checksum does not match: it is damaged"),
            LoadError::Truncated => write!(f, "it ends in the middle of a file: it is truncated"),
            LoadError::Trailing => write!(f, "octets follow the last file"),
            LoadError::BadPath(reason) => write!(f, "a file path is invalid: {reason}"),
            LoadError::Unsorted => write!(f, "the file paths are not sorted or not unique"),
            LoadError::BadHeaderValue => write!(
                f,
                "a content type or entity tag holds characters not allowed in a header"
            ),
        }
    }
}

/// One file of a site.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct File<'a> {
    /// The URL path (percent-decoded).
    pub path: &'a str,
    /// The `Content-Type` value.
    pub content_type: &'a str,
    /// The strong entity tag, quotes included.
    pub etag: &'a str,
    /// The content.
    pub body: &'a [u8],
}

/// A validated compiled site, indexed by path.
#[derive(Clone, Debug)]
pub struct Site<'a> {
    files: Vec<File<'a>>,
}

/// A bounds-checked reader over the blob.
struct Reader<'a> {
    bytes: &'a [u8],
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], LoadError> {
        if self.bytes.len() < n {
            return Err(LoadError::Truncated);
        }
        let (head, rest) = self.bytes.split_at(n);
        self.bytes = rest;
        Ok(head)
    }

    fn u8(&mut self) -> Result<usize, LoadError> {
        Ok(usize::from(self.take(1)?[0]))
    }

    fn u16(&mut self) -> Result<usize, LoadError> {
        let b = self.take(2)?;
        Ok(usize::from(u16::from_be_bytes([b[0], b[1]])))
    }

    fn u32(&mut self) -> Result<usize, LoadError> {
        let b = self.take(4)?;
        usize::try_from(u32::from_be_bytes([b[0], b[1], b[2], b[3]]))
            .map_err(|_| LoadError::Truncated)
    }
}

/// Whether `value` may be sent as a header value: visible ASCII and spaces.
fn header_safe(value: &[u8]) -> bool {
    !value.is_empty() && value.iter().all(|&b| b == b' ' || b.is_ascii_graphic())
}

impl<'a> Site<'a> {
    /// Validates a compiled site and indexes it. Never panics, whatever the input.
    pub fn from_compiled(blob: &'a [u8]) -> Result<Site<'a>, LoadError> {
        if blob.len() < HEADER_LEN || blob[..4] != MAGIC {
            return Err(LoadError::Magic);
        }
        let version = u16::from_be_bytes([blob[4], blob[5]]);
        if version != VERSION {
            return Err(LoadError::Version(version));
        }
        let sum = u32::from_be_bytes([blob[12], blob[13], blob[14], blob[15]]);
        if checksum(&blob[HEADER_LEN..]) != sum {
            return Err(LoadError::Checksum);
        }
        let count = u32::from_be_bytes([blob[8], blob[9], blob[10], blob[11]]) as usize;
        let mut reader = Reader {
            bytes: &blob[HEADER_LEN..],
        };
        // Each record takes at least 8 octets: do not let a bogus count reserve memory.
        let mut files = Vec::with_capacity(count.min(reader.bytes.len() / 8));
        for _ in 0..count {
            let path_len = reader.u16()?;
            let path = core::str::from_utf8(reader.take(path_len)?)
                .map_err(|_| LoadError::BadPath("not UTF-8"))?;
            if let Some(reason) = path_problem(path) {
                return Err(LoadError::BadPath(reason));
            }
            let type_len = reader.u8()?;
            let content_type = reader.take(type_len)?;
            let etag_len = reader.u8()?;
            let etag = reader.take(etag_len)?;
            if !header_safe(content_type)
                || !header_safe(etag)
                || etag.len() < 2
                || etag[0] != b'"'
                || etag[etag.len() - 1] != b'"'
                || etag[1..etag.len() - 1].contains(&b'"')
            {
                return Err(LoadError::BadHeaderValue);
            }
            let body_len = reader.u32()?;
            let body = reader.take(body_len)?;
            if let Some(last) = files.last() {
                let last: &File<'_> = last;
                if last.path.as_bytes() >= path.as_bytes() {
                    return Err(LoadError::Unsorted);
                }
            }
            files.push(File {
                path,
                // Checked above: visible ASCII, hence UTF-8.
                content_type: core::str::from_utf8(content_type)
                    .map_err(|_| LoadError::BadHeaderValue)?,
                etag: core::str::from_utf8(etag).map_err(|_| LoadError::BadHeaderValue)?,
                body,
            });
        }
        if !reader.bytes.is_empty() {
            return Err(LoadError::Trailing);
        }
        Ok(Site { files })
    }

    /// The file served at `path` (percent-decoded), if any.
    pub fn get(&self, path: &[u8]) -> Option<&File<'a>> {
        self.files
            .binary_search_by(|file| file.path.as_bytes().cmp(path))
            .ok()
            .map(|i| &self.files[i])
    }

    /// Every file, sorted by path.
    pub fn files(&self) -> &[File<'a>] {
        &self.files
    }

    /// The total size of the bodies, in octets.
    pub fn total_bytes(&self) -> usize {
        self.files.iter().map(|f| f.body.len()).sum()
    }
}
