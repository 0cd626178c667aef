//! Suppression comments, end to end through analysis: berth's own, hadolint's and BuildKit's,
//! plus the hints about berth's comments (unknown codes, unused suppressions and their fix).

use berth::config::{Options, Settings};
use berth::diagnostic::{Applicability, Diagnostic, Tag};
use berth::project::ProjectFacts;

/// Rules that fire on these small snippets for reasons unrelated to suppressions (no uv binary
/// copied in, a tag without a distro, uv's cache, bytecode and cache-mount link mode, consecutive RUNs); turned off so each assertion
/// lists only what it is about. Suppression bookkeeping still sees every finding.
const UNRELATED: [&str; 6] = ["PY010", "UV100", "UV015", "UV018", "DF214", "UV012"];

fn quiet(options: &Options) -> Options {
    let mut options = options.clone();
    options.ignore.extend(UNRELATED.iter().map(|it| (*it).to_owned()));
    options
}

fn analyze(text: &str) -> Vec<Diagnostic> {
    analyze_with(text, &Options::default())
}

fn analyze_with(text: &str, options: &Options) -> Vec<Diagnostic> {
    let options = quiet(options);
    let settings = Settings::resolve(None, &[&options], None);
    berth::analysis::analyze_with(text, &ProjectFacts::default(), &settings).diagnostics
}

/// `CODE@line:text` for each finding, lines counted from 1.
fn summary(text: &str, diagnostics: &[Diagnostic]) -> Vec<String> {
    diagnostics
        .iter()
        .map(|it| {
            let line = text[..it.range.start].matches('\n').count() + 1;
            format!("{}@{line}:{}", it.code, &text[it.range.start..it.range.end])
        })
        .collect()
}

fn apply_fix(text: &str, diagnostic: &Diagnostic) -> String {
    let fix = &diagnostic.fixes[0];
    let mut edits = fix.edits.clone();
    edits.sort_by_key(|it| std::cmp::Reverse(it.range.start));
    let mut out = text.to_owned();
    for edit in edits {
        out.replace_range(edit.range.start..edit.range.end, &edit.new_text);
    }
    out
}

const UNLOCKED: &str = "FROM python:3.12-slim\nRUN uv sync\nRUN uv sync --no-dev\n";

#[test]
fn without_suppressions_both_syncs_are_flagged() {
    assert_eq!(summary(UNLOCKED, &analyze(UNLOCKED)), ["UV001@2:uv sync", "UV001@3:uv sync"]);
}

#[test]
fn ignore_covers_the_next_instruction_only() {
    let text = "FROM python:3.12-slim\n# berth: ignore=UV001\nRUN uv sync\nRUN uv sync --no-dev\n";
    assert_eq!(summary(text, &analyze(text)), ["UV001@4:uv sync"]);
}

#[test]
fn names_work_like_codes_and_lists_take_spaces() {
    let text = "FROM python:3.12-slim\n# berth: ignore = DF001, unlocked-uv-sync\nRUN uv sync\n";
    let diagnostics = analyze(text);
    // DF001 has nothing to suppress on that instruction, so only that code is unused.
    assert_eq!(summary(text, &diagnostics), ["DF014@2:DF001"]);
    let fixed = apply_fix(text, &diagnostics[0]);
    assert_eq!(fixed, "FROM python:3.12-slim\n# berth: ignore = unlocked-uv-sync\nRUN uv sync\n");
    assert_eq!(summary(&fixed, &analyze(&fixed)), Vec::<String>::new());
}

#[test]
fn ignore_covers_continuation_lines_and_heredoc_bodies() {
    let text = "FROM python:3.12-slim\n# berth: ignore=UV001\nRUN --mount=type=cache,target=/root/.cache/uv \\\n    uv sync\n# berth: ignore=UV001\nRUN <<EOF\nset -e\nuv sync\nEOF\nRUN uv sync\n";
    assert_eq!(summary(text, &analyze(text)), ["UV001@10:uv sync"]);
}

#[test]
fn ignore_file_covers_the_whole_file_from_anywhere() {
    let text = "FROM python:3.12-slim\nRUN uv sync\nRUN uv sync --no-dev\n# berth: ignore-file=UV001\nRUN true\n";
    assert_eq!(summary(text, &analyze(text)), Vec::<String>::new());
}

#[test]
fn unknown_codes_get_a_hint_with_a_suggestion() {
    let text = "FROM python:3.12-slim\n# berth: ignore=UV01,UV001\nRUN uv sync\n";
    let diagnostics = analyze(text);
    assert_eq!(summary(text, &diagnostics), ["DF013@2:UV01"]);
    let hint = &diagnostics[0];
    assert_eq!(hint.severity, berth::diagnostic::Severity::Hint);
    assert_eq!(hint.name, "unknown-suppression-code");
    assert_eq!(&*hint.message, "`UV01` is not a berth rule code or name; did you mean `UV001` (unlocked-uv-sync)?");
}

#[test]
fn unreadable_berth_comments_are_flagged_and_prose_is_not() {
    let text = "# berth: ignroe=UV001\n# berth: ignore\n# berth: this stage builds the venv\nFROM python:3.12-slim\n";
    let diagnostics = analyze(text);
    assert_eq!(summary(text, &diagnostics), ["DF013@1:ignroe", "DF013@2:ignore"]);
    assert!(diagnostics[0].message.contains("`# berth: ignore=CODE`"), "{}", diagnostics[0].message);
}

#[test]
fn an_unused_suppression_is_a_hint_with_a_safe_removal() {
    let text = "FROM python:3.12-slim\n# berth: ignore=UV001\nRUN uv sync --locked\n";
    let diagnostics = analyze(text);
    assert_eq!(summary(text, &diagnostics), ["DF014@2:# berth: ignore=UV001"]);
    let hint = &diagnostics[0];
    assert_eq!(hint.tags, [Tag::Unnecessary]);
    assert_eq!(&*hint.message, "this suppression is unused: no `UV001` finding on the next instruction");
    assert_eq!(hint.fixes[0].applicability, Applicability::Safe);
    assert_eq!(apply_fix(text, hint), "FROM python:3.12-slim\nRUN uv sync --locked\n");

    // At the very end of a file without a final line break, the break before it goes.
    let text = "FROM python:3.12-slim\r\n# berth: ignore-file=UV001";
    let diagnostics = analyze(text);
    assert_eq!(summary(text, &diagnostics), ["DF014@2:# berth: ignore-file=UV001"]);
    assert_eq!(&*diagnostics[0].message, "this suppression is unused: no `UV001` finding in this file");
    assert_eq!(apply_fix(text, &diagnostics[0]), "FROM python:3.12-slim");
}

#[test]
fn the_hints_themselves_can_be_silenced_file_wide() {
    let text = "# berth: ignore-file=unused-suppression\nFROM python:3.12-slim\n# berth: ignore=UV001\nRUN true\n";
    assert_eq!(summary(text, &analyze(text)), Vec::<String>::new());
}

#[test]
fn hadolint_comments_suppress_the_corresponding_rules() {
    let options = Options { trusted_registries: Some(vec!["ghcr.io".to_owned()]), ..Options::default() };
    let text = "FROM python:3.12-slim AS a\nFROM python:3.13-slim AS b\n";
    assert_eq!(summary(text, &analyze_with(text, &options)), ["DF015@1:python:3.12-slim", "DF015@2:python:3.13-slim"]);

    let text = "# hadolint ignore=DL3026\nFROM python:3.12-slim AS a\nFROM python:3.13-slim AS b\n";
    assert_eq!(summary(text, &analyze_with(text, &options)), ["DF015@3:python:3.13-slim"]);

    let text = "FROM python:3.12-slim AS a\n# hadolint global ignore=DL3008,DL3026\nFROM python:3.13-slim AS b\n";
    assert_eq!(summary(text, &analyze_with(text, &options)), Vec::<String>::new());
}

#[test]
fn other_tools_codes_are_not_berths_business() {
    // DL3008 has no berth counterpart here and JSONArgsRecommended has nothing to skip: no hints,
    // and the comments suppress nothing else.
    let text = "# check=skip=JSONArgsRecommended,NoSuchCheck\nFROM python:3.12-slim\n# hadolint ignore=DL3008,XX9999\nRUN uv sync\n";
    assert_eq!(summary(text, &analyze(text)), ["UV001@4:uv sync"]);
    let text = "# check=skip=all\nFROM python:3.12-slim\nRUN uv sync\n";
    assert_eq!(summary(text, &analyze(text)), ["UV001@3:uv sync"], "UV001 has no BuildKit counterpart");
}

#[test]
fn a_suppression_with_no_instruction_after_it_is_unused() {
    let text = "FROM python:3.12-slim\nRUN uv sync\n# berth: ignore=UV001\n";
    assert_eq!(summary(text, &analyze(text)), ["UV001@2:uv sync", "DF014@3:# berth: ignore=UV001"]);
}
