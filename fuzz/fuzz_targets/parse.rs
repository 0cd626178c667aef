//! Fuzz target `parse`; the checks live in [`berth_fuzz::parse_bytes`].
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| berth_fuzz::parse_bytes(data));
