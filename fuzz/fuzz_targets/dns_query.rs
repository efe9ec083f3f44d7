#![no_main]
//! Fuzz target `dns_query`: see `xenolith_fuzz::dns_query`.

libfuzzer_sys::fuzz_target!(|data: &[u8]| xenolith_fuzz::dns_query::run(data));
