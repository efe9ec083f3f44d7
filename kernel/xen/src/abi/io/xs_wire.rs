//! The xenstore wire protocol: message header, message types, error names, and the shared ring
//! page.
//!
//! Mirrors `xen/include/public/io/xs_wire.h` (Xen 4.17); the protocol is described in
//! `docs/misc/xenstore.txt`. A message is an [`xsd_sockmsg`] header followed by `len` bytes of
//! payload (at most [`XENSTORE_PAYLOAD_MAX`]), usually NUL-terminated strings. Requests go
//! through `req`, replies and watch events come back through `rsp` of the
//! [`xenstore_domain_interface`] page; both are byte rings of [`XENSTORE_RING_SIZE`] with
//! free-running indexes (slot = index & (size - 1)). An error reply has type [`XS_ERROR`] and
//! an errno name from [`XSD_ERRORS`] as payload.

use core::mem::{offset_of, size_of};

/// A message type (`enum xsd_sockmsg_type`); the wire field is a `u32`.
pub type xsd_sockmsg_type = u32;

/// `XS_CONTROL`: debug/control commands (`XS_DEBUG` before 4.9).
pub const XS_CONTROL: xsd_sockmsg_type = 0;
/// `XS_DEBUG`: old name of `XS_CONTROL`.
pub const XS_DEBUG: xsd_sockmsg_type = XS_CONTROL;
/// `XS_DIRECTORY`: list the children of a node.
pub const XS_DIRECTORY: xsd_sockmsg_type = 1;
/// `XS_READ`: read a node's value.
pub const XS_READ: xsd_sockmsg_type = 2;
/// `XS_GET_PERMS`: read a node's permissions.
pub const XS_GET_PERMS: xsd_sockmsg_type = 3;
/// `XS_WATCH`: watch a path (payload: path, token).
pub const XS_WATCH: xsd_sockmsg_type = 4;
/// `XS_UNWATCH`: remove a watch (payload: path, token).
pub const XS_UNWATCH: xsd_sockmsg_type = 5;
/// `XS_TRANSACTION_START`: begin a transaction; the reply is its id.
pub const XS_TRANSACTION_START: xsd_sockmsg_type = 6;
/// `XS_TRANSACTION_END`: commit ("T") or abort ("F") a transaction.
pub const XS_TRANSACTION_END: xsd_sockmsg_type = 7;
/// `XS_INTRODUCE`: introduce a domain (dom0 only).
pub const XS_INTRODUCE: xsd_sockmsg_type = 8;
/// `XS_RELEASE`: release a domain (dom0 only).
pub const XS_RELEASE: xsd_sockmsg_type = 9;
/// `XS_GET_DOMAIN_PATH`: the home path of a domain.
pub const XS_GET_DOMAIN_PATH: xsd_sockmsg_type = 10;
/// `XS_WRITE`: write a node's value (payload: path, NUL, value).
pub const XS_WRITE: xsd_sockmsg_type = 11;
/// `XS_MKDIR`: create a node.
pub const XS_MKDIR: xsd_sockmsg_type = 12;
/// `XS_RM`: remove a node and its children.
pub const XS_RM: xsd_sockmsg_type = 13;
/// `XS_SET_PERMS`: set a node's permissions.
pub const XS_SET_PERMS: xsd_sockmsg_type = 14;
/// `XS_WATCH_EVENT`: unsolicited watch notification (payload: path, token).
pub const XS_WATCH_EVENT: xsd_sockmsg_type = 15;
/// `XS_ERROR`: error reply (payload: an errno name).
pub const XS_ERROR: xsd_sockmsg_type = 16;
/// `XS_IS_DOMAIN_INTRODUCED`.
pub const XS_IS_DOMAIN_INTRODUCED: xsd_sockmsg_type = 17;
/// `XS_RESUME`.
pub const XS_RESUME: xsd_sockmsg_type = 18;
/// `XS_SET_TARGET`.
pub const XS_SET_TARGET: xsd_sockmsg_type = 19;
/// `XS_RESET_WATCHES`: drop all watches of the connection (20, `XS_RESTRICT`, was removed).
pub const XS_RESET_WATCHES: xsd_sockmsg_type = XS_SET_TARGET + 2;
/// `XS_DIRECTORY_PART`: list children in parts (large directories).
pub const XS_DIRECTORY_PART: xsd_sockmsg_type = 22;
/// `XS_TYPE_COUNT`: number of valid types.
pub const XS_TYPE_COUNT: xsd_sockmsg_type = 23;
/// `XS_INVALID`: guaranteed to remain an invalid type.
pub const XS_INVALID: xsd_sockmsg_type = 0xffff;

/// `XS_WRITE_NONE`: obsolete `XS_WRITE` flag string.
pub const XS_WRITE_NONE: &str = "NONE";
/// `XS_WRITE_CREATE`: obsolete `XS_WRITE` flag string.
pub const XS_WRITE_CREATE: &str = "CREATE";
/// `XS_WRITE_CREATE_EXCL`: obsolete `XS_WRITE` flag string.
pub const XS_WRITE_CREATE_EXCL: &str = "CREATE|EXCL";

/// `XS_WATCH_PATH`: index of the path in a watch event's payload.
pub const XS_WATCH_PATH: u32 = 0;
/// `XS_WATCH_TOKEN`: index of the token in a watch event's payload.
pub const XS_WATCH_TOKEN: u32 = 1;

/// One entry of the errno-name table carried by `XS_ERROR` replies.
///
/// In C, `errstring` is a `const char *` and the table is built with the host's `<errno.h>`;
/// here it is a `&str` and `errnum` holds the Linux (and Xen, `xen/errno.h`) value. Only the
/// string travels on the wire.
#[doc(alias = "struct xsd_errors")]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct xsd_errors {
    /// The errno value.
    pub errnum: i32,
    /// Its name, as sent in an `XS_ERROR` payload.
    pub errstring: &'static str,
}

/// The `xsd_errors` table, in the header's order (new errors are appended at the end).
#[doc(alias = "xsd_errors")]
pub const XSD_ERRORS: [xsd_errors; 16] = [
    xsd_errors {
        errnum: 22,
        errstring: "EINVAL",
    },
    xsd_errors {
        errnum: 13,
        errstring: "EACCES",
    },
    xsd_errors {
        errnum: 17,
        errstring: "EEXIST",
    },
    xsd_errors {
        errnum: 21,
        errstring: "EISDIR",
    },
    xsd_errors {
        errnum: 2,
        errstring: "ENOENT",
    },
    xsd_errors {
        errnum: 12,
        errstring: "ENOMEM",
    },
    xsd_errors {
        errnum: 28,
        errstring: "ENOSPC",
    },
    xsd_errors {
        errnum: 5,
        errstring: "EIO",
    },
    xsd_errors {
        errnum: 39,
        errstring: "ENOTEMPTY",
    },
    xsd_errors {
        errnum: 38,
        errstring: "ENOSYS",
    },
    xsd_errors {
        errnum: 30,
        errstring: "EROFS",
    },
    xsd_errors {
        errnum: 16,
        errstring: "EBUSY",
    },
    xsd_errors {
        errnum: 11,
        errstring: "EAGAIN",
    },
    xsd_errors {
        errnum: 106,
        errstring: "EISCONN",
    },
    xsd_errors {
        errnum: 7,
        errstring: "E2BIG",
    },
    xsd_errors {
        errnum: 1,
        errstring: "EPERM",
    },
];

/// Header of every xenstore message, followed by `len` payload bytes.
#[doc(alias = "struct xsd_sockmsg")]
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct xsd_sockmsg {
    /// `XS_*` message type.
    pub r#type: xsd_sockmsg_type,
    /// Request id, echoed in the reply.
    pub req_id: u32,
    /// Transaction id (0: none).
    pub tx_id: u32,
    /// Length of the payload that follows.
    pub len: u32,
}

/// A free-running index into a xenstore ring.
pub type XENSTORE_RING_IDX = u32;

/// `XENSTORE_RING_SIZE`: bytes in each of the `req` and `rsp` rings.
pub const XENSTORE_RING_SIZE: usize = 1024;

/// The xenstore ring page shared with xenstored (`HVM_PARAM_STORE_PFN`).
///
/// The guest produces into `req` (advancing `req_prod`) and consumes from `rsp` (advancing
/// `rsp_cons`); xenstored does the opposite.
#[doc(alias = "struct xenstore_domain_interface")]
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct xenstore_domain_interface {
    /// Requests to xenstored.
    pub req: [u8; XENSTORE_RING_SIZE],
    /// Replies and watch events from xenstored.
    pub rsp: [u8; XENSTORE_RING_SIZE],
    /// Consumer index of `req` (written by xenstored).
    pub req_cons: XENSTORE_RING_IDX,
    /// Producer index of `req` (written by the guest).
    pub req_prod: XENSTORE_RING_IDX,
    /// Consumer index of `rsp` (written by the guest).
    pub rsp_cons: XENSTORE_RING_IDX,
    /// Producer index of `rsp` (written by xenstored).
    pub rsp_prod: XENSTORE_RING_IDX,
    /// `XENSTORE_SERVER_FEATURE_*` bits supported by xenstored.
    pub server_features: u32,
    /// `XENSTORE_CONNECTED` or `XENSTORE_RECONNECT`.
    pub connection: u32,
    /// `XENSTORE_ERROR_*` (if `XENSTORE_SERVER_FEATURE_ERROR`).
    pub error: u32,
}

/// `XENSTORE_PAYLOAD_MAX`: largest payload of one message.
pub const XENSTORE_PAYLOAD_MAX: usize = 4096;
/// `XENSTORE_ABS_PATH_MAX`: longest absolute path.
pub const XENSTORE_ABS_PATH_MAX: usize = 3072;
/// `XENSTORE_REL_PATH_MAX`: longest relative path.
pub const XENSTORE_REL_PATH_MAX: usize = 2048;

/// `XENSTORE_SERVER_FEATURE_RECONNECTION`: the ring can be reconnected.
pub const XENSTORE_SERVER_FEATURE_RECONNECTION: u32 = 1;
/// `XENSTORE_SERVER_FEATURE_ERROR`: the `error` field is present.
pub const XENSTORE_SERVER_FEATURE_ERROR: u32 = 2;
/// `XENSTORE_CONNECTED`: steady state.
pub const XENSTORE_CONNECTED: u32 = 0;
/// `XENSTORE_RECONNECT`: reconnection in progress.
pub const XENSTORE_RECONNECT: u32 = 1;
/// `XENSTORE_ERROR_NONE`.
pub const XENSTORE_ERROR_NONE: u32 = 0;
/// `XENSTORE_ERROR_COMM`: communication problem.
pub const XENSTORE_ERROR_COMM: u32 = 1;
/// `XENSTORE_ERROR_RINGIDX`: invalid ring index.
pub const XENSTORE_ERROR_RINGIDX: u32 = 2;
/// `XENSTORE_ERROR_PROTO`: protocol violation (payload too long).
pub const XENSTORE_ERROR_PROTO: u32 = 3;

const _: () = {
    assert!(size_of::<xsd_sockmsg>() == 16);
    assert!(offset_of!(xsd_sockmsg, req_id) == 4);
    assert!(offset_of!(xsd_sockmsg, tx_id) == 8);
    assert!(offset_of!(xsd_sockmsg, len) == 12);
    assert!(XENSTORE_RING_SIZE.is_power_of_two());
    assert!(size_of::<xenstore_domain_interface>() == 2076);
    assert!(offset_of!(xenstore_domain_interface, rsp) == 1024);
    assert!(offset_of!(xenstore_domain_interface, req_cons) == 2048);
    assert!(offset_of!(xenstore_domain_interface, req_prod) == 2052);
    assert!(offset_of!(xenstore_domain_interface, rsp_cons) == 2056);
    assert!(offset_of!(xenstore_domain_interface, rsp_prod) == 2060);
    assert!(offset_of!(xenstore_domain_interface, server_features) == 2064);
    assert!(offset_of!(xenstore_domain_interface, connection) == 2068);
    assert!(offset_of!(xenstore_domain_interface, error) == 2072);
};
