#![no_main]
//! Fuzz target `dns_zones`: see `xenolith_fuzz::dns_zones`.

libfuzzer_sys::fuzz_target!(|data: &[u8]| xenolith_fuzz::dns_zones::run(data));
