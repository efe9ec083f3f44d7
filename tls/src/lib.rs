//! TLS for unikernels: rustls's unbuffered (no_std) API with a RustCrypto provider, RDRAND
//! and the kernel's wallclock.
//!
//! - [`provider`]: the crypto provider (X25519 and P-256 key exchange; ECDSA P-256 and
//!   Ed25519 server keys; AES-GCM and ChaCha20-Poly1305; SHA-256/384), TLS 1.3 and 1.2;
//! - [`Identity`]: a certificate chain and key, checked to belong together, and its compiled
//!   form (embedded by an app's `build.rs`, or a boot module) — see [`identity`];
//! - [`TlsAcceptor`] / [`TlsStream`]: the server side over any [`Transport`], normally a
//!   netstack [`TcpStream`](xenolith_netstack::TcpStream);
//! - `kernel` (on `x86_64-unknown-none` only): RDRAND and the wallclock, and
//!   `kernel::acceptor`, which refuses to start without a working RDRAND.
//!
//! Randomness and time are passed in (a `&'static dyn SecureRandom`, an
//! `Arc<dyn TimeProvider>`), so everything here runs in host tests too.
//!
//! # Using it in an app
//!
//! Build time — `build.rs` (with `tls-keygen` as a build-dependency) turns the PEM files the
//! manifest names into the compiled form, failing the build on a bad or mismatched pair:
//!
//! ```ignore
//! let blob = tls_keygen::compile_pem_files(&cert_pem_path, &key_pem_path)
//!     .unwrap_or_else(|e| panic!("{e}"));
//! std::fs::write(out_dir.join("identity.bin"), blob)?;
//! ```
//!
//! Run time — check the identity (embedded, or a boot module), build the acceptor once,
//! accept connections with a timeout:
//!
//! ```ignore
//! static IDENTITY: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/identity.bin"));
//! let identity = xenolith_tls::Identity::from_compiled(module.unwrap_or(IDENTITY))?;
//! let acceptor = xenolith_tls::kernel::acceptor(&identity)?; // refuses without RDRAND
//! let listener = TcpListener::bind(&stack, 443, 4)?;
//! loop {
//!     let tcp = listener.accept().await;
//!     let acceptor = acceptor.clone();
//!     spawner.spawn(async move {
//!         let mut tls = match stack.timeout(HANDSHAKE_TIMEOUT, acceptor.accept(tcp)).await {
//!             Ok(Ok(tls)) => tls,
//!             _ => return, // count it; the peer got an alert when there was one to send
//!         };
//!         let n = tls.read(&mut buffer).await?;   // 0: the client sent close_notify
//!         tls.write_all(response).await?;
//!         tls.close().await?;                     // close_notify, then TCP FIN
//!     });
//! }
//! ```
//!
//! `tls-keygen --name example.test --ip 10.66.0.2 -o DIR` writes a self-signed `cert.pem`
//! and `key.pem` for trying it out, and with `--module` also `identity.bin` for a boot module.
#![no_std]
#![forbid(unsafe_code)]

extern crate alloc;
#[cfg(test)]
extern crate std;

mod acceptor;
mod error;
pub mod identity;
#[cfg(target_os = "none")]
pub mod kernel;
pub mod provider;
mod stream;

pub use acceptor::TlsAcceptor;
pub use error::Error;
pub use identity::Identity;
pub use stream::{INCOMING_LEN, TlsStream, Transport};

/// rustls, re-exported for the types in this crate's API (`SecureRandom`, `TimeProvider`,
/// `UnixTime`, `ProtocolVersion`, `CipherSuite`).
pub use rustls;
