#![no_main]
//! Fuzz target `virtio_net`: see `xenolith_fuzz::virtio_net`.

libfuzzer_sys::fuzz_target!(|data: &[u8]| xenolith_fuzz::virtio_net::run(data));
