//! Properties over random inputs built from the fixture Dockerfiles: incremental editing agrees
//! with building the document from scratch, and every code action applies cleanly.
//!
//! The checks are shared with the fuzz targets (fuzz/src/lib.rs); here proptest drives them with
//! few enough cases to keep a debug `cargo test` within seconds.

#[allow(dead_code)] // This test uses part of the shared harness; fuzz_regressions.rs uses the rest.
#[path = "../fuzz/src/lib.rs"]
mod harness;

use std::path::Path;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicUsize, Ordering};

use berth::analysis::{PreviousVersion, analyze};
use berth::project::ProjectFacts;
use berth::server::document::{Change, Document};
use berth::text::{LineCol, PositionEncoding, TextRange};
use proptest::prelude::*;
use proptest::test_runner::{Config, TestCaseError};

/// Every Dockerfile under tests/fixtures (the syntax samples and the workspaces).
fn fixtures() -> &'static [String] {
    static FIXTURES: OnceLock<Vec<String>> = OnceLock::new();
    FIXTURES.get_or_init(|| {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
        let mut found = Vec::new();
        let mut pending = vec![root];
        while let Some(dir) = pending.pop() {
            let Ok(entries) = std::fs::read_dir(&dir) else { continue };
            for entry in entries.flatten() {
                let path = entry.path();
                let name = entry.file_name().to_string_lossy().into_owned();
                if path.is_dir() {
                    pending.push(path);
                } else if (name == "Dockerfile" || name.ends_with(".Dockerfile"))
                    && let Ok(bytes) = std::fs::read(&path)
                {
                    found.push(String::from_utf8_lossy(&bytes).into_owned());
                }
            }
        }
        found.sort();
        assert!(found.len() > 50, "expected the fixture Dockerfiles, found {}", found.len());
        found
    })
}

/// Text an editor might insert: the harness' Dockerfile pieces (CRLF, continuations, heredoc
/// markers, non-ASCII) and short arbitrary strings.
fn insertion() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        4 => proptest::sample::select(harness::PIECES).prop_map(str::to_owned),
        1 => proptest::collection::vec(any::<char>(), 0..4).prop_map(|chars| chars.into_iter().collect()),
    ];
    proptest::collection::vec(piece, 0..4).prop_map(|pieces| pieces.concat())
}

#[derive(Clone, Debug)]
struct EditStep {
    range: Option<(LineCol, LineCol)>,
    text: String,
}

fn edit_step() -> impl Strategy<Value = EditStep> {
    let pos = (0u32..48, 0u32..72).prop_map(|(line, col)| LineCol { line, col });
    // Most edits are small, as typing makes them: the end near the start.
    let range = (pos, 0u32..3, 0u32..12).prop_map(|(start, lines, cols)| {
        let end = if lines == 0 {
            LineCol { line: start.line, col: start.col + cols }
        } else {
            LineCol { line: start.line + lines, col: cols }
        };
        (start, end)
    });
    let range = prop_oneof![20 => range.prop_map(Some), 1 => Just(None)];
    (range, insertion()).prop_map(|(range, text)| EditStep { range, text })
}

fn encoding() -> impl Strategy<Value = PositionEncoding> {
    prop_oneof![Just(PositionEncoding::Utf8), Just(PositionEncoding::Utf16), Just(PositionEncoding::Utf32)]
}

fn fixture() -> impl Strategy<Value = String> {
    proptest::sample::select(fixtures()).prop_map(|text| text.clone())
}

fn config(cases: u32) -> Config {
    Config { cases, failure_persistence: None, ..Config::default() }
}

/// After random edits (sent in batches, as didChange does), the document holds the same text as
/// the edits applied to a plain string, each version's parse and semantic model built from the
/// previous one's equal those built from scratch, and the analysis of the final text built from
/// the first equals that of a fresh document.
#[test]
fn incremental_edits_match_a_document_built_from_scratch() {
    let strategy = (fixture(), encoding(), proptest::collection::vec((edit_step(), any::<bool>()), 1..16));
    let mut runner = proptest::test_runner::TestRunner::new(config(256));
    let result = runner.run(&strategy, |(initial, encoding, steps)| {
        let mut doc = Document::new(&initial, 1, "dockerfile");
        let mut model = initial.clone();
        let mut built = harness::Model::of(&model, harness::sample_project(), harness::sample_settings());
        let mut built_text = model.clone();
        let mut batch: Vec<&EditStep> = Vec::new();
        for (idx, (step, ends_batch)) in steps.iter().enumerate() {
            batch.push(step);
            harness::apply_to_string(&mut model, step.range, &step.text, encoding);
            if *ends_batch || idx + 1 == steps.len() {
                let changes: Vec<Change<'_>> =
                    batch.iter().map(|step| Change { range: step.range, text: &step.text }).collect();
                doc.apply_changes(idx as i32 + 2, &changes, encoding);
                batch.clear();
                prop_assert_eq!(doc.text(), model.as_str(), "after step {}", idx);
                // The server builds each version's parse and model from the previous one's.
                built = harness::check_edited_model(
                    built,
                    &built_text,
                    &model,
                    harness::sample_project(),
                    harness::sample_settings(),
                );
                built_text.clone_from(&model);
            }
        }
        let fresh = Document::new(&model, 0, "dockerfile");
        // All the edits at once, as one version to the next.
        let settings = harness::sample_settings();
        let first = harness::Model::of(&initial, harness::sample_project(), settings);
        let previous = PreviousVersion {
            text: &initial,
            parse: first.parse,
            semantics: Some(first.semantics),
            findings: Some(first.findings),
        };
        let incremental = berth::analysis::analyze_edited(&doc.text(), previous, harness::sample_project(), settings);
        let scratch = berth::analysis::analyze_with(&fresh.text(), harness::sample_project(), settings);
        prop_assert_eq!(incremental.diagnostics, scratch.diagnostics);
        Ok(())
    });
    if let Err(err) = result {
        panic!("{err}");
    }
}

/// A fixture with a few random edits, and a random range to ask for code actions in.
fn action_case() -> impl Strategy<Value = (String, usize, usize)> {
    let edits = proptest::collection::vec(edit_step(), 0..3);
    (fixture(), edits, any::<u16>(), 0usize..200).prop_map(|(mut text, edits, start, len)| {
        for edit in edits {
            harness::apply_to_string(&mut text, edit.range, &edit.text, PositionEncoding::Utf16);
        }
        (text, usize::from(start), len)
    })
}

/// Every fix of every diagnostic and every code action offered for a random range has edits
/// inside the text they were computed for, on character boundaries and disjoint, and the fixed
/// Dockerfile parses and analyses without a panic.
#[test]
fn every_code_action_applies_cleanly() {
    let checked = AtomicUsize::new(0);
    let mut runner = proptest::test_runner::TestRunner::new(config(96));
    let result = runner.run(&action_case(), |(text, start, len)| {
        let project = harness::sample_project();
        let analysis = analyze(&text, project);
        let start = floor_char_boundary(&text, start % (text.len() + 1));
        let end = floor_char_boundary(&text, (start + len).min(text.len()));
        let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            harness::check_diagnostics(&text, &analysis, project);
            for action in berth::ide::code_actions::actions(&analysis, &text, project, TextRange::new(start, end)) {
                harness::check_edits(&text, project, &action.edits, &action.title);
                if !action.edits.is_empty() {
                    checked.fetch_add(1, Ordering::Relaxed);
                }
            }
        }));
        outcome.map_err(|panic| TestCaseError::fail(panic_message(&panic)))
    });
    if let Err(err) = result {
        panic!("{err}");
    }
    // The fixtures are full of findings with fixes; a run that checked none tested nothing.
    assert!(checked.into_inner() > 50, "too few code actions with edits were checked");
}

/// The properties above must be able to fail: an edit that splits a character is caught.
#[test]
fn the_edit_check_rejects_an_edit_inside_a_character() {
    let text = "RUN é\n";
    let edit = berth::diagnostic::Edit { path: None, range: TextRange::new(5, 5), new_text: "x".to_owned() };
    let outcome = std::panic::catch_unwind(|| harness::check_edits(text, &ProjectFacts::default(), &[edit], "split"));
    assert!(outcome.is_err(), "an edit at byte 5 of `RUN é` splits `é` and must be rejected");
}

/// The string model of LSP positions clamps like the document does.
#[test]
fn the_string_model_clamps_like_the_lsp_rules() {
    let text = "ab\r\ncd\rx🐍y\n";
    let at = |line, col, encoding| harness::model_offset(text, LineCol { line, col }, encoding);
    assert_eq!(at(0, 9, PositionEncoding::Utf16), 2, "a column past the end stops before \\r\\n");
    assert_eq!(at(1, 1, PositionEncoding::Utf16), 5);
    assert_eq!(at(2, 2, PositionEncoding::Utf16), 8, "the low surrogate snaps to the start of 🐍");
    assert_eq!(at(2, 3, PositionEncoding::Utf16), 12);
    assert_eq!(at(2, 3, PositionEncoding::Utf8), 8, "inside the UTF-8 sequence of 🐍");
    assert_eq!(at(9, 0, PositionEncoding::Utf16), text.len(), "a line past the end is the end");
    assert_eq!(at(3, 0, PositionEncoding::Utf16), text.len(), "the empty last line");
}

fn floor_char_boundary(text: &str, mut offset: usize) -> usize {
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    offset
}

fn panic_message(panic: &Box<dyn std::any::Any + Send>) -> String {
    panic
        .downcast_ref::<String>()
        .cloned()
        .or_else(|| panic.downcast_ref::<&str>().map(|it| (*it).to_owned()))
        .unwrap_or_else(|| "a panic without a message".to_owned())
}
