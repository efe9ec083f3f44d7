#![no_main]
//! Fuzz target `tls_identity`: see `xenolith_fuzz::tls_identity`.

libfuzzer_sys::fuzz_target!(|data: &[u8]| xenolith_fuzz::tls_identity::run(data));
