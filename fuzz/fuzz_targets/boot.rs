#![no_main]
//! Fuzz target `boot`: see `xenolith_fuzz::boot`.

libfuzzer_sys::fuzz_target!(|data: &[u8]| xenolith_fuzz::boot::run(data));
