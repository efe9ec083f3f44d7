//! `https`: a static web server's protocol logic, for the Xenolith HTTPS unikernel.
//!
//! `no_std` + `alloc`, no unsafe code, no I/O: everything here is host-testable, and never
//! panics whatever the input. The pieces:
//! - [`compiled`]: the compiled site format (every file of the manifest's `[data] root`,
//!   with its content type and entity tag), written by build.rs and validated at boot;
//! - [`request`]: the HTTP/1.1 request head parser, with limits;
//! - [`response`]: what to answer (a file, a redirect to HTTPS, an error page) and the
//!   response head;
//! - [`Session`]: one connection's exchange, octets in and responses out, pipelining included.
//!
//! The server (src/server.rs in the binary) does the I/O, the timeouts and the connection
//! limit, over any byte stream: plain TCP today, TLS when it plugs in.
//!
//! ```
//! use https::compiled::{Site, SiteBuilder};
//! use https::{Handler, Limits, Session, Step};
//!
//! let mut builder = SiteBuilder::new();
//! builder.add("/index.html", b"<h1>hi</h1>")?;
//! let blob = builder.finish();
//! let site = Site::from_compiled(&blob).expect("a valid blob");
//!
//! let mut session = Session::new(Limits::default());
//! let request = b"GET / HTTP/1.1\r\nHost: example.test\r\n\r\n";
//! session.read_buffer()[..request.len()].copy_from_slice(request);
//! session.received(request.len());
//! let Step::Reply(reply) = session.next(&Handler::Site(&site)) else { panic!() };
//! assert_eq!(reply.status, 200);
//! assert_eq!(reply.body(), b"<h1>hi</h1>");
//! # Ok::<(), https::compiled::BuildError>(())
//! ```
#![no_std]
#![forbid(unsafe_code)]

extern crate alloc;

/// The compiled site format: the `https-site-format` crate (apps/https/site-format), which
/// build.rs uses to write it.
pub use https_site_format as compiled;
pub mod request;
pub mod response;
mod session;

#[cfg(test)]
mod tests;

pub use request::Limits;
pub use response::{Handler, Reply};
pub use session::{Session, Step};
