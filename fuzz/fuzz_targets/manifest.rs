#![no_main]
//! Fuzz target `manifest`: see `xenolith_fuzz::manifest`.

libfuzzer_sys::fuzz_target!(|data: &[u8]| xenolith_fuzz::manifest::run(data));
