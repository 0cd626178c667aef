//! Replays the kept fuzz inputs (tests/fixtures/fuzz/<target>/) through the same entry points the
//! cargo-fuzz targets call, so crashes the fuzzers found stay fixed in plain `cargo test`.
//!
//! Each folder holds the reproducers of crashes that were fixed plus a few inputs that reached
//! code the seed corpus did not; see fuzz/README.md for how they were chosen.

#[allow(dead_code)] // This test uses the byte entry points; properties.rs uses the rest.
#[path = "../fuzz/src/lib.rs"]
mod harness;

use std::path::{Path, PathBuf};

fn inputs(target: &str) -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/fuzz").join(target);
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|err| panic!("{}: {err}", dir.display()))
        .filter_map(|entry| entry.ok().map(|entry| entry.path()))
        .filter(|path| path.is_file())
        .collect();
    files.sort();
    assert!(!files.is_empty(), "no kept inputs in {}", dir.display());
    files
}

/// Runs `entry` on every kept input of `target`, naming the input that fails.
fn replay(target: &str, entry: fn(&[u8])) {
    for path in inputs(target) {
        let data = std::fs::read(&path).unwrap_or_else(|err| panic!("{}: {err}", path.display()));
        if std::panic::catch_unwind(|| entry(&data)).is_err() {
            panic!("fuzz input {} fails again", path.display());
        }
    }
}

#[test]
fn parse_inputs() {
    replay("parse", harness::parse_bytes);
}

#[test]
fn analysis_inputs() {
    replay("analysis", harness::analysis_bytes);
}

#[test]
fn edit_inputs() {
    replay("edits", harness::edits_bytes);
}

#[test]
fn config_inputs() {
    replay("config", harness::config_bytes);
}

#[test]
fn transport_inputs() {
    replay("transport", harness::transport_bytes);
}
