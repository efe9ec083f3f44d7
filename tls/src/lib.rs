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
//!   `kernel::acceptor`, which refuses to start without a working RDRAND;
//! - `hosted` (feature `std`): `/dev/urandom` and the system clock, and `hosted::acceptor`,
//!   for an app's hosted mode (a Linux process over TAP).
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
//! and `key.pem` for trying it out, and with `--module` also `identity.bin` for a boot module;
//! `tls-keygen compile --cert C --key K -o FILE` compiles an existing pair. `tls/demo` is a
//! complete minimal image (build.rs, boot module, QEMU tests with `openssl s_client`).
//!
//! QEMU must offer RDRAND (`-cpu max`): its default CPU model has none, and the image then
//! stops with "TLS refuses to start without a working random number generator".
//!
//! # Cargo features and what they cost
//!
//! Measured on `tls/demo` (a TLS server and nothing else, release build, stripped), against
//! the echo image (runtime + netstack + TCP, 209,576 octets):
//!
//! | build | image | TLS share |
//! |---|---|---|
//! | default features minus `ed25519` (TLS 1.3 + 1.2, P-256 keys) | 574,120 | +364.5 KB |
//! | `tls12` off (TLS 1.3 only) | 545,448 | −28.7 KB |
//! | `ed25519` on | 590,504 | +16.4 KB |
//! | rustls's `logging` feature (never enabled) | 602,792 | +28.7 KB |
//!
//! - `tls12` (default): TLS 1.2 for older clients;
//! - `ed25519` (default): Ed25519 server keys;
//! - `std`: the `hosted` module.
//!
//! Nothing here is linked into an image that does not depend on this crate (the DNS image
//! is unchanged); an app that wants DNS over TLS opts in with a feature of its own.
#![no_std]
#![forbid(unsafe_code)]

extern crate alloc;
#[cfg(any(test, feature = "std"))]
extern crate std;

mod acceptor;
mod error;
#[cfg(feature = "std")]
pub mod hosted;
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
