//! Fuzz target `analysis`; the checks live in [`berth_fuzz::analysis_bytes`].
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| berth_fuzz::analysis_bytes(data));
