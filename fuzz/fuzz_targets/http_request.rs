#![no_main]
//! Fuzz target `http_request`: see `xenolith_fuzz::http_request`.

libfuzzer_sys::fuzz_target!(|data: &[u8]| xenolith_fuzz::http_request::run(data));
