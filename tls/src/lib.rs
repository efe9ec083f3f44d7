//! TLS for unikernels: rustls's unbuffered API with a RustCrypto provider.
//!
//! Filled by the "TLS and HTTPS" capability (issue 7).
#![no_std]
#![forbid(unsafe_code)]
