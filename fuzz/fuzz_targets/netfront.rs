#![no_main]
//! Fuzz target `netfront`: see `xenolith_fuzz::netfront`.

libfuzzer_sys::fuzz_target!(|data: &[u8]| xenolith_fuzz::netfront::run(data));
