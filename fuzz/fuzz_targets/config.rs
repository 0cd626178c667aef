//! Fuzz target `config`; the checks live in [`berth_fuzz::config_bytes`].
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| berth_fuzz::config_bytes(data));
