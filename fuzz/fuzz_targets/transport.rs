//! Fuzz target `transport`; the checks live in [`berth_fuzz::transport_bytes`].
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| berth_fuzz::transport_bytes(data));
