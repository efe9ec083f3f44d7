//! The xenstore wire codec: encodes requests, validates and decodes replies.
//!
//! The message format is in `docs/misc/xenstore.txt` ("Wire protocol") and
//! `xen/include/public/io/xs_wire.h`: a 16-byte `xsd_sockmsg` header (type, request id,
//! transaction id, payload length; native byte order, little-endian on x86) followed by at most
//! `XENSTORE_PAYLOAD_MAX` bytes of payload. Arguments are NUL-terminated strings, except the
//! value of a `WRITE` and of a `READ` reply, which run to the end of the payload.
//!
//! Replies come from another domain: everything here returns a [`WireError`] for bytes that do
//! not follow the protocol, and never panics on them.

use crate::abi::io::xs_wire::{
    XENSTORE_PAYLOAD_MAX, XS_CONTROL, XS_DIRECTORY, XS_DIRECTORY_PART, XS_ERROR,
    XS_GET_DOMAIN_PATH, XS_GET_PERMS, XS_INTRODUCE, XS_IS_DOMAIN_INTRODUCED, XS_MKDIR, XS_READ,
    XS_RELEASE, XS_RESET_WATCHES, XS_RESUME, XS_RM, XS_SET_PERMS, XS_SET_TARGET,
    XS_TRANSACTION_END, XS_TRANSACTION_START, XS_UNWATCH, XS_WATCH, XS_WATCH_EVENT, XS_WRITE,
    XSD_ERRORS,
};
use crate::hypervisor::Errno;
use alloc::string::String;
use alloc::vec::Vec;
use core::fmt;

/// A transaction id handed out by xenstored (never 0, which means "no transaction").
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct TxId(u32);

impl TxId {
    /// The id, unless it is 0.
    pub fn new(id: u32) -> Option<TxId> {
        (id != 0).then_some(TxId(id))
    }

    /// The raw id.
    pub fn get(self) -> u32 {
        self.0
    }
}

impl fmt::Display for TxId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// A watch firing: `path` changed, and the watch was registered with `token`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WatchEvent {
    /// The node that changed (or the watched path itself, for the event sent on registration).
    pub path: String,
    /// The token given to `XS_WATCH`.
    pub token: String,
}

/// Bytes that do not follow the xenstore wire protocol.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WireError {
    /// Fewer than 16 bytes where a message header was expected.
    Truncated,
    /// A payload longer than `XENSTORE_PAYLOAD_MAX` (4096 bytes).
    PayloadTooLong(usize),
    /// A header with a message type that does not exist.
    UnknownType(u32),
    /// A path or token containing a NUL byte, which would split it in two on the wire.
    EmbeddedNul,
    /// A string that should end with a NUL byte does not.
    MissingNul,
    /// A string that is not UTF-8.
    NotUtf8,
    /// An `XS_ERROR` reply whose errno name is not in the `xsd_errors` table.
    UnknownErrorName,
    /// An `XS_TRANSACTION_START` reply that is not a non-zero decimal 32-bit id.
    BadTransactionId,
    /// An `XS_WATCH_EVENT` whose payload is not exactly a path and a token.
    BadWatchEvent,
    /// An acknowledgement whose payload is not `OK`.
    BadAck,
}

impl fmt::Display for WireError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            WireError::Truncated => write!(f, "a message header shorter than 16 bytes"),
            WireError::PayloadTooLong(len) => write!(
                f,
                "a {len}-byte payload, longer than the {XENSTORE_PAYLOAD_MAX} bytes \
                 the protocol allows"
            ),
            WireError::UnknownType(t) => write!(f, "unknown message type {}", *t),
            WireError::EmbeddedNul => write!(f, "a path or token contains a NUL byte"),
            WireError::MissingNul => write!(f, "a string is not NUL-terminated"),
            WireError::NotUtf8 => write!(f, "a string is not UTF-8"),
            WireError::UnknownErrorName => write!(f, "an error reply with an unknown errno name"),
            WireError::BadTransactionId => {
                write!(f, "a transaction id that is not a non-zero number")
            }
            WireError::BadWatchEvent => write!(f, "a watch event that is not a path and a token"),
            WireError::BadAck => write!(f, "an acknowledgement other than \"OK\""),
        }
    }
}

/// The name of message type `msg_type` (`XS_READ`, ...), if it is a known type.
pub fn type_name(msg_type: u32) -> Option<&'static str> {
    Some(match msg_type {
        XS_CONTROL => "XS_CONTROL",
        XS_DIRECTORY => "XS_DIRECTORY",
        XS_READ => "XS_READ",
        XS_GET_PERMS => "XS_GET_PERMS",
        XS_WATCH => "XS_WATCH",
        XS_UNWATCH => "XS_UNWATCH",
        XS_TRANSACTION_START => "XS_TRANSACTION_START",
        XS_TRANSACTION_END => "XS_TRANSACTION_END",
        XS_INTRODUCE => "XS_INTRODUCE",
        XS_RELEASE => "XS_RELEASE",
        XS_GET_DOMAIN_PATH => "XS_GET_DOMAIN_PATH",
        XS_WRITE => "XS_WRITE",
        XS_MKDIR => "XS_MKDIR",
        XS_RM => "XS_RM",
        XS_SET_PERMS => "XS_SET_PERMS",
        XS_WATCH_EVENT => "XS_WATCH_EVENT",
        XS_ERROR => "XS_ERROR",
        XS_IS_DOMAIN_INTRODUCED => "XS_IS_DOMAIN_INTRODUCED",
        XS_RESUME => "XS_RESUME",
        XS_SET_TARGET => "XS_SET_TARGET",
        XS_RESET_WATCHES => "XS_RESET_WATCHES",
        XS_DIRECTORY_PART => "XS_DIRECTORY_PART",
        _ => return None,
    })
}

/// The name xenstored uses for `errno` (`EISDIR`, ...), or `Errno`'s own name for one not in
/// the `xsd_errors` table.
pub fn errno_name(errno: Errno) -> &'static str {
    XSD_ERRORS
        .iter()
        .find(|e| e.errnum == errno.0)
        .map_or(errno.name(), |e| e.errstring)
}

/// A message header (`struct xsd_sockmsg`), validated.
#[doc(alias = "xsd_sockmsg")]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Header {
    /// The `XS_*` message type: a known type (see [`type_name`]).
    pub msg_type: u32,
    /// The request id, echoed by the reply.
    pub req_id: u32,
    /// The transaction id (0: none).
    pub tx_id: u32,
    /// The payload length: at most `XENSTORE_PAYLOAD_MAX`.
    pub len: u32,
}

impl Header {
    /// Size of a header on the wire.
    pub const LEN: usize = 16;

    /// Parses and validates the header at the start of `bytes`.
    pub fn parse(bytes: &[u8]) -> Result<Header, WireError> {
        let field = |i: usize| {
            bytes
                .get(4 * i..4 * i + 4)
                .and_then(|b| b.try_into().ok())
                .map(u32::from_le_bytes)
                .ok_or(WireError::Truncated)
        };
        let header = Header {
            msg_type: field(0)?,
            req_id: field(1)?,
            tx_id: field(2)?,
            len: field(3)?,
        };
        if type_name(header.msg_type).is_none() {
            return Err(WireError::UnknownType(header.msg_type));
        }
        if header.len as usize > XENSTORE_PAYLOAD_MAX {
            return Err(WireError::PayloadTooLong(header.len as usize));
        }
        Ok(header)
    }

    /// The header's wire bytes.
    pub fn to_bytes(&self) -> [u8; Header::LEN] {
        let mut bytes = [0; Header::LEN];
        for (chunk, value) in
            bytes
                .chunks_exact_mut(4)
                .zip([self.msg_type, self.req_id, self.tx_id, self.len])
        {
            chunk.copy_from_slice(&value.to_le_bytes());
        }
        bytes
    }
}

/// A request this client sends, with its arguments.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Request<'a> {
    /// `XS_READ path`: the node's value.
    Read(&'a str),
    /// `XS_DIRECTORY path`: the node's children.
    Directory(&'a str),
    /// `XS_RM path`: remove the node and its children.
    Remove(&'a str),
    /// `XS_MKDIR path`: create the node (and its parents) with an empty value.
    Mkdir(&'a str),
    /// `XS_WRITE path value`: set the node's value, creating it (and its parents).
    Write {
        /// The node.
        path: &'a str,
        /// The new value (sent without a NUL).
        value: &'a str,
    },
    /// `XS_WATCH path token`: report changes under `path`, tagged with `token`.
    Watch {
        /// The watched path.
        path: &'a str,
        /// The tag of the events.
        token: &'a str,
    },
    /// `XS_UNWATCH path token`: remove a watch.
    Unwatch {
        /// The watched path.
        path: &'a str,
        /// The tag the watch was registered with.
        token: &'a str,
    },
    /// `XS_TRANSACTION_START`: the reply is a new transaction id.
    TransactionStart,
    /// `XS_TRANSACTION_END T|F`: commit or abort the transaction of the header's `tx_id`.
    TransactionEnd {
        /// Commit (`T`) rather than abort (`F`).
        commit: bool,
    },
}

impl Request<'_> {
    /// The `XS_*` message type.
    pub fn msg_type(&self) -> u32 {
        match self {
            Request::Read(_) => XS_READ,
            Request::Directory(_) => XS_DIRECTORY,
            Request::Remove(_) => XS_RM,
            Request::Mkdir(_) => XS_MKDIR,
            Request::Write { .. } => XS_WRITE,
            Request::Watch { .. } => XS_WATCH,
            Request::Unwatch { .. } => XS_UNWATCH,
            Request::TransactionStart => XS_TRANSACTION_START,
            Request::TransactionEnd { .. } => XS_TRANSACTION_END,
        }
    }

    /// A short name for error messages ("read", "transaction end", ...).
    pub fn name(&self) -> &'static str {
        match self {
            Request::Read(_) => "read",
            Request::Directory(_) => "directory",
            Request::Remove(_) => "rm",
            Request::Mkdir(_) => "mkdir",
            Request::Write { .. } => "write",
            Request::Watch { .. } => "watch",
            Request::Unwatch { .. } => "unwatch",
            Request::TransactionStart => "transaction start",
            Request::TransactionEnd { .. } => "transaction end",
        }
    }

    /// The path the request is about ("" for transaction requests).
    pub fn path(&self) -> &str {
        match *self {
            Request::Read(path)
            | Request::Directory(path)
            | Request::Remove(path)
            | Request::Mkdir(path)
            | Request::Write { path, .. }
            | Request::Watch { path, .. }
            | Request::Unwatch { path, .. } => path,
            Request::TransactionStart | Request::TransactionEnd { .. } => "",
        }
    }

    /// The complete message: header and payload.
    pub fn encode(&self, req_id: u32, tx: Option<TxId>) -> Result<Vec<u8>, WireError> {
        // (argument, NUL-terminated?) pairs.
        let arguments: [(&[u8], bool); 2] = match *self {
            Request::Read(path)
            | Request::Directory(path)
            | Request::Remove(path)
            | Request::Mkdir(path) => [(path.as_bytes(), true), (b"", false)],
            Request::Write { path, value } => [(path.as_bytes(), true), (value.as_bytes(), false)],
            Request::Watch { path, token } | Request::Unwatch { path, token } => {
                [(path.as_bytes(), true), (token.as_bytes(), true)]
            }
            Request::TransactionStart => [(b"", true), (b"", false)],
            Request::TransactionEnd { commit } => {
                [(if commit { b"T" } else { b"F" }, true), (b"", false)]
            }
        };
        let mut payload = Vec::new();
        for (argument, terminated) in arguments {
            if terminated {
                if argument.contains(&0) {
                    return Err(WireError::EmbeddedNul);
                }
                payload.extend_from_slice(argument);
                payload.push(0);
            } else {
                payload.extend_from_slice(argument);
            }
        }
        if payload.len() > XENSTORE_PAYLOAD_MAX {
            return Err(WireError::PayloadTooLong(payload.len()));
        }
        let header = Header {
            msg_type: self.msg_type(),
            req_id,
            tx_id: tx.map_or(0, TxId::get),
            len: payload.len() as u32,
        };
        let mut message = Vec::with_capacity(Header::LEN + payload.len());
        message.extend_from_slice(&header.to_bytes());
        message.extend_from_slice(&payload);
        Ok(message)
    }
}

/// The NUL-terminated strings of `payload` (empty for an empty payload).
fn strings(payload: &[u8]) -> Result<Vec<&str>, WireError> {
    let Some(body) = payload.strip_suffix(&[0]) else {
        return if payload.is_empty() {
            Ok(Vec::new())
        } else {
            Err(WireError::MissingNul)
        };
    };
    body.split(|&b| b == 0)
        .map(|s| core::str::from_utf8(s).map_err(|_| WireError::NotUtf8))
        .collect()
}

/// The value of an `XS_READ` reply: the whole payload, as UTF-8.
pub fn parse_value(payload: &[u8]) -> Result<String, WireError> {
    core::str::from_utf8(payload)
        .map(String::from)
        .map_err(|_| WireError::NotUtf8)
}

/// The errno of an `XS_ERROR` reply (`ENOENT\0`).
pub fn parse_error(payload: &[u8]) -> Result<Errno, WireError> {
    let name = payload.strip_suffix(&[0]).ok_or(WireError::MissingNul)?;
    XSD_ERRORS
        .iter()
        .find(|e| e.errstring.as_bytes() == name)
        .map(|e| Errno(e.errnum))
        .ok_or(WireError::UnknownErrorName)
}

/// The child names of an `XS_DIRECTORY` reply (`a\0b\0`). A node without children comes as
/// an empty payload or as a lone NUL; empty names are skipped.
pub fn parse_directory(payload: &[u8]) -> Result<Vec<String>, WireError> {
    Ok(strings(payload)?
        .into_iter()
        .filter(|name| !name.is_empty())
        .map(String::from)
        .collect())
}

/// An `XS_WATCH_EVENT` (`path\0token\0`).
pub fn parse_watch_event(payload: &[u8]) -> Result<WatchEvent, WireError> {
    match strings(payload)?[..] {
        [path, token] => Ok(WatchEvent {
            path: path.into(),
            token: token.into(),
        }),
        _ => Err(WireError::BadWatchEvent),
    }
}

/// The id of an `XS_TRANSACTION_START` reply (`42\0`).
pub fn parse_transaction_id(payload: &[u8]) -> Result<TxId, WireError> {
    let digits = payload.strip_suffix(&[0]).ok_or(WireError::MissingNul)?;
    if digits.is_empty() || !digits.iter().all(u8::is_ascii_digit) {
        return Err(WireError::BadTransactionId);
    }
    crate::types::decimal(digits)
        .and_then(|id| u32::try_from(id).ok())
        .and_then(TxId::new)
        .ok_or(WireError::BadTransactionId)
}

/// The acknowledgement of a request that returns nothing (`OK\0`; `OK` is accepted too).
pub fn parse_ack(payload: &[u8]) -> Result<(), WireError> {
    match payload {
        b"OK\0" | b"OK" => Ok(()),
        _ => Err(WireError::BadAck),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::vec;

    fn header_bytes(msg_type: u32, req_id: u32, tx_id: u32, len: u32) -> Vec<u8> {
        [msg_type, req_id, tx_id, len]
            .iter()
            .flat_map(|v| v.to_le_bytes())
            .collect()
    }

    fn message(msg_type: u32, req_id: u32, tx_id: u32, payload: &[u8]) -> Vec<u8> {
        let mut bytes = header_bytes(msg_type, req_id, tx_id, payload.len() as u32);
        bytes.extend_from_slice(payload);
        bytes
    }

    #[test]
    fn requests_encode_as_the_protocol_says() {
        let tx = TxId::new(9);
        let cases: [(Request<'_>, Option<TxId>, Vec<u8>); 9] = [
            (Request::Read("a/b"), None, message(XS_READ, 1, 0, b"a/b\0")),
            (
                Request::Directory("d"),
                tx,
                message(XS_DIRECTORY, 1, 9, b"d\0"),
            ),
            (Request::Remove("r"), None, message(XS_RM, 1, 0, b"r\0")),
            (Request::Mkdir("m"), None, message(XS_MKDIR, 1, 0, b"m\0")),
            (
                Request::Write {
                    path: "p",
                    value: "v1",
                },
                tx,
                message(XS_WRITE, 1, 9, b"p\0v1"),
            ),
            (
                Request::Watch {
                    path: "p",
                    token: "t",
                },
                None,
                message(XS_WATCH, 1, 0, b"p\0t\0"),
            ),
            (
                Request::Unwatch {
                    path: "p",
                    token: "t",
                },
                None,
                message(XS_UNWATCH, 1, 0, b"p\0t\0"),
            ),
            (
                Request::TransactionStart,
                None,
                message(XS_TRANSACTION_START, 1, 0, b"\0"),
            ),
            (
                Request::TransactionEnd { commit: true },
                tx,
                message(XS_TRANSACTION_END, 1, 9, b"T\0"),
            ),
        ];
        for (request, tx, expected) in cases {
            assert_eq!(request.encode(1, tx), Ok(expected), "{request:?}");
        }
        assert_eq!(
            Request::TransactionEnd { commit: false }.encode(7, tx),
            Ok(message(XS_TRANSACTION_END, 7, 9, b"F\0"))
        );
        // The header of a real `xenstore-read name` (type 2, id 0, no tx, 5 bytes).
        assert_eq!(
            Request::Read("name").encode(0, None).unwrap(),
            [
                2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 5, 0, 0, 0, b'n', b'a', b'm', b'e', 0
            ]
        );
    }

    #[test]
    fn requests_that_cannot_be_framed_are_refused() {
        assert_eq!(
            Request::Read("a\0b").encode(1, None),
            Err(WireError::EmbeddedNul)
        );
        assert_eq!(
            Request::Watch {
                path: "p",
                token: "t\0"
            }
            .encode(1, None),
            Err(WireError::EmbeddedNul)
        );
        // A value may hold NUL bytes: it runs to the end of the payload.
        assert!(
            Request::Write {
                path: "p",
                value: "a\0b"
            }
            .encode(1, None)
            .is_ok()
        );
        let long = "x".repeat(4095);
        assert_eq!(
            Request::Write {
                path: "p",
                value: &long
            }
            .encode(1, None),
            Err(WireError::PayloadTooLong(4097))
        );
        assert_eq!(
            Request::Read(&long).encode(1, None).map(|m| m.len()),
            Ok(16 + 4096)
        );
    }

    #[test]
    fn headers_are_validated() {
        let header = Header {
            msg_type: XS_READ,
            req_id: 3,
            tx_id: 4,
            len: 4096,
        };
        assert_eq!(Header::parse(&header.to_bytes()), Ok(header));
        assert_eq!(
            header.to_bytes().to_vec(),
            header_bytes(XS_READ, 3, 4, 4096)
        );
        assert_eq!(
            Header::parse(&header_bytes(XS_READ, 3, 4, 4097)),
            Err(WireError::PayloadTooLong(4097))
        );
        assert_eq!(
            Header::parse(&header_bytes(20, 3, 4, 0)),
            Err(WireError::UnknownType(20))
        );
        assert_eq!(
            Header::parse(&header_bytes(23, 3, 4, 0)),
            Err(WireError::UnknownType(23))
        );
        assert_eq!(
            Header::parse(&header_bytes(XS_READ, 0, 0, 0)[..15]),
            Err(WireError::Truncated)
        );
    }

    #[test]
    fn error_replies() {
        assert_eq!(parse_error(b"ENOENT\0"), Ok(Errno::ENOENT));
        assert_eq!(parse_error(b"EAGAIN\0"), Ok(Errno::EAGAIN));
        assert_eq!(parse_error(b"EISDIR\0"), Ok(Errno(21)));
        assert_eq!(parse_error(b"ENOENT"), Err(WireError::MissingNul));
        assert_eq!(parse_error(b"EWHAT\0"), Err(WireError::UnknownErrorName));
        assert_eq!(parse_error(b"ENOENT\0\0"), Err(WireError::UnknownErrorName));
        assert_eq!(errno_name(Errno(21)), "EISDIR");
        assert_eq!(errno_name(Errno::ETIMEDOUT), "ETIMEDOUT");
    }

    #[test]
    fn directory_replies() {
        assert_eq!(
            parse_directory(b"0\0vif\0backend-id\0").unwrap(),
            ["0", "vif", "backend-id"]
        );
        assert_eq!(parse_directory(b""), Ok(vec![]));
        assert_eq!(parse_directory(b"\0"), Ok(vec![]));
        assert_eq!(parse_directory(b"a\0b"), Err(WireError::MissingNul));
        assert_eq!(parse_directory(b"a\0\xff\0"), Err(WireError::NotUtf8));
    }

    #[test]
    fn watch_events() {
        assert_eq!(
            parse_watch_event(b"control/shutdown\0shutdown\0"),
            Ok(WatchEvent {
                path: "control/shutdown".into(),
                token: "shutdown".into()
            })
        );
        assert_eq!(parse_watch_event(b"p\0"), Err(WireError::BadWatchEvent));
        assert_eq!(
            parse_watch_event(b"p\0t\0x\0"),
            Err(WireError::BadWatchEvent)
        );
        assert_eq!(parse_watch_event(b"p\0t"), Err(WireError::MissingNul));
        assert_eq!(parse_watch_event(b""), Err(WireError::BadWatchEvent));
    }

    #[test]
    fn transaction_ids_and_acks() {
        assert_eq!(parse_transaction_id(b"42\0"), Ok(TxId(42)));
        assert_eq!(parse_transaction_id(b"4294967295\0"), Ok(TxId(u32::MAX)));
        for bad in [
            &b"0\0"[..],
            b"\0",
            b"-1\0",
            b"+1\0",
            b"1 \0",
            b"4294967296\0",
            b"1\0\0",
        ] {
            assert_eq!(
                parse_transaction_id(bad),
                Err(WireError::BadTransactionId),
                "{bad:?}"
            );
        }
        assert_eq!(parse_transaction_id(b"42"), Err(WireError::MissingNul));
        assert_eq!(parse_ack(b"OK\0"), Ok(()));
        assert_eq!(parse_ack(b"OK"), Ok(()));
        assert_eq!(parse_ack(b"KO\0"), Err(WireError::BadAck));
        assert_eq!(
            parse_value(b"00:16:3e:00:00:01"),
            Ok("00:16:3e:00:00:01".into())
        );
        assert_eq!(parse_value(b"\xc3"), Err(WireError::NotUtf8));
    }

    /// Random and truncated bytes into every decoder: errors are fine, panics are not.
    #[test]
    fn garbage_in_never_panics() {
        let mut state = 0x2545_f491_4f6c_dd1d_u64;
        let mut next = move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        let fixtures: [&[u8]; 6] = [
            b"ENOENT\0",
            b"a\0b\0c\0",
            b"path\0token\0",
            b"123\0",
            b"OK\0",
            &header_bytes(XS_WATCH_EVENT, 1, 0, 11),
        ];
        let mut inputs: Vec<Vec<u8>> = Vec::new();
        for fixture in fixtures {
            for end in 0..=fixture.len() {
                inputs.push(fixture[..end].to_vec());
            }
        }
        const ALPHABET: &[u8] = b"\x00\x00\x00019aEOKNT/\xff\xc3\x80";
        for _ in 0..20_000 {
            let len = (next() % 40) as usize;
            inputs.push(
                (0..len)
                    .map(|_| {
                        let r = next();
                        if r & 1 == 0 {
                            ALPHABET[(r >> 8) as usize % ALPHABET.len()]
                        } else {
                            (r >> 8) as u8
                        }
                    })
                    .collect(),
            );
        }
        let mut accepted = 0;
        for input in &inputs {
            let results = [
                Header::parse(input).is_ok(),
                parse_value(input).is_ok(),
                parse_error(input).is_ok(),
                parse_directory(input).is_ok(),
                parse_watch_event(input).is_ok(),
                parse_transaction_id(input).is_ok(),
                parse_ack(input).is_ok(),
            ];
            accepted += results.iter().filter(|&&ok| ok).count();
        }
        // The fixtures' complete forms (at least) decode.
        assert!(accepted > fixtures.len());
    }
}
