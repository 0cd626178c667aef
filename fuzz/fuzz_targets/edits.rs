//! Fuzz target `edits`; the checks live in [`berth_fuzz::edits_bytes`].
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| berth_fuzz::edits_bytes(data));
