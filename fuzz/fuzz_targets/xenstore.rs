#![no_main]
//! Fuzz target `xenstore`: see `xenolith_fuzz::xenstore`.

libfuzzer_sys::fuzz_target!(|data: &[u8]| xenolith_fuzz::xenstore::run(data));
