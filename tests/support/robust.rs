//! Shared pieces of the robustness and security tests: peak memory of the server, a clean stderr,
//! and one request of every kind the server answers.

// Each test crate uses a different subset of this module.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::support::TestServer;

/// The peak resident set size of process `pid` in KiB (`VmHWM` in `/proc/<pid>/status`);
/// `None` where /proc is not available.
pub fn peak_rss_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|line| line.starts_with("VmHWM:"))?;
    line.trim_start_matches("VmHWM:").trim().trim_end_matches("kB").trim().parse().ok()
}

/// Fails when the server's peak memory so far is above `ceiling_mib`, or when it logged a panic.
/// Call it before `shutdown`, while the process still exists.
pub fn assert_healthy(server: &TestServer, ceiling_mib: u64) {
    if let Some(peak) = peak_rss_kib(server.pid()) {
        assert!(peak < ceiling_mib * 1024, "peak memory {} MiB is above {ceiling_mib} MiB", peak / 1024);
    }
    let stderr = server.stderr();
    assert!(!stderr.contains("panicked"), "the server panicked:\n{stderr}");
}

/// Fails when more than `limit` passed since `started` (a hang fails through the client's
/// timeouts; this catches work that is slow but finishes).
pub fn assert_within(started: Instant, limit: Duration, what: &str) {
    let elapsed = started.elapsed();
    assert!(elapsed < limit, "{what} took {elapsed:?}, more than {limit:?}");
}

/// One request of every kind the server answers about a document, at `(line, character)`,
/// with ranges from there to `end`.
pub fn every_request(uri: &str, at: (u32, u32), end: (u32, u32)) -> Vec<(&'static str, Value)> {
    let doc = json!({ "uri": uri });
    let position = json!({ "line": at.0, "character": at.1 });
    let range = crate::support::range(at, end);
    let at_position = json!({ "textDocument": doc, "position": position });
    vec![
        ("textDocument/hover", at_position.clone()),
        ("textDocument/completion", at_position.clone()),
        ("textDocument/signatureHelp", at_position.clone()),
        ("textDocument/definition", at_position.clone()),
        ("textDocument/documentHighlight", at_position.clone()),
        ("textDocument/prepareRename", at_position.clone()),
        (
            "textDocument/references",
            json!({ "textDocument": doc, "position": position, "context": { "includeDeclaration": true } }),
        ),
        ("textDocument/rename", json!({ "textDocument": doc, "position": position, "newName": "renamed" })),
        ("textDocument/codeAction", json!({ "textDocument": doc, "range": range, "context": { "diagnostics": [] } })),
        ("textDocument/documentSymbol", json!({ "textDocument": doc })),
        ("textDocument/foldingRange", json!({ "textDocument": doc })),
        ("textDocument/semanticTokens/full", json!({ "textDocument": doc })),
        ("textDocument/semanticTokens/range", json!({ "textDocument": doc, "range": range })),
        ("textDocument/documentLink", json!({ "textDocument": doc })),
        ("textDocument/inlayHint", json!({ "textDocument": doc, "range": range })),
        ("textDocument/diagnostic", json!({ "textDocument": doc })),
    ]
}

/// Every `{line, character}` position in `value` (a response or notification), recursively.
pub fn positions_in(value: &Value) -> Vec<(u64, u64)> {
    let mut acc = Vec::new();
    let mut stack = vec![value];
    while let Some(value) = stack.pop() {
        match value {
            Value::Array(items) => stack.extend(items),
            Value::Object(fields) => {
                if let (Some(line), Some(character)) =
                    (fields.get("line").and_then(Value::as_u64), fields.get("character").and_then(Value::as_u64))
                {
                    acc.push((line, character));
                }
                stack.extend(fields.values());
            }
            _ => {}
        }
    }
    acc
}

/// Fails unless every position in `value` is a valid UTF-16 position in `text`: an existing line,
/// a column within it, and never between the two halves of a surrogate pair.
pub fn assert_positions_valid(text: &str, value: &Value, what: &str) {
    // Per line: its length in UTF-16 units, and the columns that fall inside a surrogate pair.
    let mut lengths = Vec::new();
    let mut inside_pairs = std::collections::HashSet::new();
    for (line, line_text) in text.split('\n').enumerate() {
        let mut units = 0u64;
        for ch in line_text.trim_end_matches('\r').chars() {
            if ch.len_utf16() == 2 {
                inside_pairs.insert((line as u64, units + 1));
            }
            units += ch.len_utf16() as u64;
        }
        lengths.push(units);
    }
    for (line, character) in positions_in(value) {
        let Some(&length) = lengths.get(line as usize) else {
            panic!("{what}: line {line} does not exist ({} lines) in {}", lengths.len(), truncated(value));
        };
        assert!(character <= length, "{what}: {line}:{character} is past the line end ({length})");
        assert!(!inside_pairs.contains(&(line, character)), "{what}: {line}:{character} is inside a surrogate pair");
    }
}

fn truncated(value: &Value) -> String {
    value.to_string().chars().take(300).collect()
}

/// A copy of the berth binary `program` in `folder`, executable by every user: tests that run
/// the server unprivileged cannot count on reaching the build folder.
pub fn reachable_copy(program: &Path, folder: &Path) -> PathBuf {
    use std::os::unix::fs::PermissionsExt;
    let copy = folder.join("berth");
    std::fs::copy(program, &copy).expect("copy the berth binary");
    std::fs::set_permissions(&copy, std::fs::Permissions::from_mode(0o755)).expect("make the copy executable");
    copy
}
