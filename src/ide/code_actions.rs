//! Code actions: the fixes rules attach to their diagnostics (plus those
//! [`rewrite`](crate::ide::rewrite) adds), a comment that suppresses a finding, refactorings at
//! the cursor, and "fix all" for every safe fix at once.

use crate::analysis::Analysis;
use crate::diagnostic::{Applicability, Diagnostic, Edit};
use crate::ide::rewrite::{self, Rewriter};
use crate::project::ProjectFacts;
use crate::semantics::Base;
use crate::semantics::image::parse_image_ref;
use crate::syntax::{Dockerfile, Keyword};
use crate::text::TextRange;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ActionKind {
    QuickFix,
    /// Every safe fix in the file (`source.fixAll`).
    FixAll,
    /// A rewrite offered where the cursor is, not tied to a finding (`refactor.rewrite`).
    Refactor,
    /// A refactoring that moves work into an instruction of its own (`refactor.extract`).
    Extract,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Action {
    pub title: String,
    pub kind: ActionKind,
    /// Index into the analysis' diagnostics this action resolves.
    pub diagnostic: Option<usize>,
    pub edits: Vec<Edit>,
    pub applicability: Applicability,
    /// The one obvious fix for its diagnostic.
    pub preferred: bool,
}

/// Every action for `range` of an analysed file: quick fixes (the rules' and berth's extra
/// ones), suppressions, refactorings whose anchor touches `range`, and fix-all. Quick fixes'
/// `diagnostic` indexes `analysis.diagnostics`.
pub fn actions(analysis: &Analysis, text: &str, project: &ProjectFacts, range: TextRange) -> Vec<Action> {
    actions_in(analysis, text, project, range, true)
}

/// Like [`actions`]; fix-all only when `include_fix_all` is set. Only the findings and
/// instructions that touch `range` are looked at, so the work grows with the range, not with the
/// file; fix-all needs every finding's fixes, which an editor asks for separately.
pub fn actions_in(
    analysis: &Analysis,
    text: &str,
    project: &ProjectFacts,
    range: TextRange,
    include_fix_all: bool,
) -> Vec<Action> {
    let rewriter = Rewriter::new(text, analysis, project);
    let mut acc = Vec::new();
    let file = &analysis.parse.file;
    let newline = line_break(text);
    for (idx, diagnostic) in analysis.diagnostics.iter().enumerate() {
        if touches(diagnostic.range, range) {
            push_fixes(&mut acc, idx, &rewrite::with_extras(&rewriter, diagnostic), file, text, newline);
        }
    }
    // Where the first edits differ the rewrites differ, so only those that share one are compared
    // in full (over a whole-file range there are hundreds of both).
    let first_edits: std::collections::HashSet<TextRange> =
        acc.iter().filter_map(|it| it.edits.first().map(|edit| edit.range)).collect();
    for refactor in rewrite::refactors(&rewriter, range) {
        // The same rewrite offered as a quick fix already is not repeated.
        let may_repeat = refactor.fix.edits.first().is_none_or(|edit| first_edits.contains(&edit.range));
        if may_repeat && acc.iter().any(|it| it.edits == refactor.fix.edits) {
            continue;
        }
        acc.push(Action {
            title: refactor.fix.title,
            kind: if refactor.extract { ActionKind::Extract } else { ActionKind::Refactor },
            diagnostic: None,
            edits: refactor.fix.edits,
            applicability: refactor.fix.applicability,
            preferred: false,
        });
    }
    // Fix-all comes last.
    if include_fix_all && let Some(fix_all) = fix_all(&rewrite::with_extra_fixes(analysis, text, project)) {
        acc.push(fix_all);
    }
    acc
}

fn touches(a: TextRange, b: TextRange) -> bool {
    a.start <= b.end && b.start <= a.end
}

/// The fixes of one finding, then the comment that suppresses it.
fn push_fixes(
    acc: &mut Vec<Action>,
    idx: usize,
    diagnostic: &Diagnostic,
    file: &Dockerfile,
    text: &str,
    newline: &str,
) {
    let single = diagnostic.fixes.len() == 1;
    for fix in &diagnostic.fixes {
        acc.push(Action {
            title: fix.title.clone(),
            kind: ActionKind::QuickFix,
            diagnostic: Some(idx),
            edits: fix.edits.clone(),
            applicability: fix.applicability,
            preferred: single && fix.applicability == Applicability::Safe,
        });
    }
    if let Some(edit) = suppression_edit(file, text, diagnostic, newline) {
        acc.push(Action {
            title: format!("Ignore {} for this instruction", diagnostic.code),
            kind: ActionKind::QuickFix,
            diagnostic: Some(idx),
            edits: vec![edit],
            applicability: Applicability::Safe,
            preferred: false,
        });
    }
}

/// An image reference that can be pinned to a digest: the image of a FROM, or the image of a
/// `COPY --from=<image>` (typically uv's).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PinTarget {
    /// The reference as written; the digest goes right after it.
    pub range: TextRange,
    /// The reference to look up (the written text: references with variables are not offered).
    pub reference: String,
}

/// The images of FROM and `COPY --from` instructions touching `range` that name a tag of a
/// registry image (no digest yet, no variables, not a stage). Pure: looking the digest up is the
/// caller's business, and only when network access is on.
pub fn pin_targets(analysis: &Analysis, text: &str, range: TextRange) -> Vec<PinTarget> {
    let file = &analysis.parse.file;
    let stages = &analysis.semantics.stages;
    let first = file.instructions.partition_point(|it| it.range.end < range.start);
    let mut acc = Vec::new();
    for instruction in file.instructions[first..].iter().take_while(|it| it.range.start <= range.end) {
        let written = match instruction.keyword {
            Keyword::From => stages
                .iter()
                .find(|stage| stage.range.start == instruction.range.start)
                .filter(|stage| matches!(stage.base, Base::Image(_)))
                .and_then(|stage| stage.image.as_ref())
                .map(|image| (image.range, image.value.as_str())),
            Keyword::Copy | Keyword::Add => instruction
                .flag("from")
                .and_then(|flag| flag.value.as_ref())
                .filter(|value| !names_stage(stages, &value.value))
                .map(|value| (value.range, value.value.as_str())),
            _ => None,
        };
        let Some((at, reference)) = written else { continue };
        // Only a reference written plainly (no quotes, escapes or continuations) gets an edit
        // right after it.
        if text.get(at.as_range()) != Some(reference) {
            continue;
        }
        let Some(parsed) = parse_image_ref(reference) else { continue };
        if parsed.digest.is_some() {
            continue;
        }
        acc.push(PinTarget { range: at, reference: reference.to_owned() });
    }
    acc
}

/// True when `name` is a stage name or index (`COPY --from=builder`, `--from=0`).
fn names_stage(stages: &[crate::semantics::Stage], name: &str) -> bool {
    name.parse::<usize>().is_ok()
        || stages.iter().any(|stage| stage.name.as_ref().is_some_and(|it| it.value.eq_ignore_ascii_case(name)))
}

/// Actions for the diagnostics that touch `range`, plus fix-all when any safe fix exists.
pub fn code_actions(diagnostics: &[Diagnostic], file: &Dockerfile, text: &str, range: TextRange) -> Vec<Action> {
    let mut acc = Vec::new();
    let newline = line_break(text);
    for (idx, diagnostic) in diagnostics.iter().enumerate() {
        if touches(diagnostic.range, range) {
            push_fixes(&mut acc, idx, diagnostic, file, text, newline);
        }
    }
    if let Some(fix_all) = fix_all(diagnostics) {
        acc.push(fix_all);
    }
    acc
}

/// Every safe fix of the file, skipping fixes whose edits overlap an earlier one.
pub fn fix_all(diagnostics: &[Diagnostic]) -> Option<Action> {
    let edits = non_overlapping_edits(diagnostics, |applicability| applicability == Applicability::Safe);
    if edits.is_empty() {
        return None;
    }
    Some(Action {
        title: "Fix all safe berth findings".to_owned(),
        kind: ActionKind::FixAll,
        diagnostic: None,
        edits,
        applicability: Applicability::Safe,
        preferred: false,
    })
}

/// The first fix of each diagnostic that `accept` allows, dropping any whose edits overlap edits
/// already taken (fixes are independent; applying overlapping ones together would garble text).
pub fn non_overlapping_edits(diagnostics: &[Diagnostic], accept: impl Fn(Applicability) -> bool) -> Vec<Edit> {
    select_fixes(diagnostics, accept).0
}

/// Like [`non_overlapping_edits`], also counting the fixes taken.
pub fn select_fixes(diagnostics: &[Diagnostic], accept: impl Fn(Applicability) -> bool) -> (Vec<Edit>, usize) {
    let mut taken: Vec<Edit> = Vec::new();
    let mut count = 0;
    for diagnostic in diagnostics {
        let Some(fix) = diagnostic.fixes.iter().find(|fix| accept(fix.applicability)) else { continue };
        let overlaps = fix.edits.iter().any(|edit| {
            taken.iter().any(|other| {
                other.path == edit.path
                    && (edit.range.start < other.range.end && other.range.start < edit.range.end
                        || edit.range == other.range)
            })
        });
        // Two findings can carry the same fix (one edit for both); apply it once.
        let same = fix.edits.iter().all(|edit| taken.contains(edit));
        if !overlaps && !same && !fix.edits.is_empty() {
            taken.extend(fix.edits.iter().cloned());
            count += 1;
        }
    }
    (taken, count)
}

/// A `# berth: ignore=CODE` line above the instruction holding the diagnostic, indented like it,
/// with the file's line ending.
/// The line break new lines get: CRLF when the file uses it anywhere.
fn line_break(text: &str) -> &'static str {
    if text.contains("\r\n") { "\r\n" } else { "\n" }
}

fn suppression_edit(file: &Dockerfile, text: &str, diagnostic: &Diagnostic, newline: &str) -> Option<Edit> {
    let (_, instruction) = super::instruction_at(file, diagnostic.range.start)?;
    let line_start = text.get(..instruction.range.start)?.rfind(['\n', '\r']).map_or(0, |it| it + 1);
    let indent = &text[line_start..instruction.range.start];
    if !indent.chars().all(|c| c == ' ' || c == '\t') {
        return None;
    }
    Some(Edit {
        path: None,
        range: TextRange::empty(line_start),
        new_text: format!("{indent}# berth: ignore={}{newline}", diagnostic.code),
    })
}

/// Applies edits of the Dockerfile itself (`path: None`) to `text`; edits of other files are
/// left out. Edits must not overlap.
pub fn apply_edits(text: &str, edits: &[Edit]) -> String {
    apply_edits_to(text, edits, None)
}

/// Applies the edits whose `path` is `path` (`None`: the Dockerfile) to `text`.
pub fn apply_edits_to(text: &str, edits: &[Edit], path: Option<&std::path::Path>) -> String {
    let mut own: Vec<&Edit> = edits.iter().filter(|edit| edit.path.as_deref() == path).collect();
    own.sort_by_key(|edit| (edit.range.start, edit.range.end));
    let mut out = String::with_capacity(text.len());
    let mut cursor = 0;
    for edit in own {
        let start = edit.range.start.clamp(cursor, text.len());
        let end = edit.range.end.clamp(start, text.len());
        if !text.is_char_boundary(start) || !text.is_char_boundary(end) {
            continue;
        }
        out.push_str(&text[cursor..start]);
        out.push_str(&edit.new_text);
        cursor = end;
    }
    out.push_str(&text[cursor..]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::project::ProjectFacts;

    fn analyse(text: &str) -> crate::analysis::Analysis {
        let project = ProjectFacts { uv_lock: Some("uv.lock".into()), ..ProjectFacts::default() };
        crate::analysis::analyze(text, &project)
    }

    #[test]
    fn quick_fix_for_an_unlocked_sync_applies_and_clears_the_finding() {
        let text = "FROM python:3.12-slim\nRUN uv sync --no-dev\n";
        let analysis = analyse(text);
        let unlocked = analysis.diagnostics.iter().position(|it| it.code == "UV001").expect("UV001");
        let range = analysis.diagnostics[unlocked].range;
        let actions = code_actions(&analysis.diagnostics, &analysis.parse.file, text, range);
        let fix = actions.iter().find(|it| it.title == "Add `--locked`").expect("the fix");
        let fixed = apply_edits(text, &fix.edits);
        assert_eq!(fixed, "FROM python:3.12-slim\nRUN uv sync --locked --no-dev\n");
        let again = analyse(&fixed);
        assert!(again.diagnostics.iter().all(|it| it.code != "UV001"), "{:?}", again.diagnostics);
        let suppress = actions.iter().find(|it| it.title == "Ignore UV001 for this instruction").expect("suppression");
        assert_eq!(
            apply_edits(text, &suppress.edits),
            "FROM python:3.12-slim\n# berth: ignore=UV001\nRUN uv sync --no-dev\n"
        );
    }

    #[test]
    fn pin_targets_are_registry_images_without_digests() {
        let digest = "a".repeat(64);
        let text = format!(
            "ARG V=3.12\nFROM python:3.12-slim AS build\nCOPY --from=ghcr.io/astral-sh/uv:0.12.5 /uv /bin/\n\
             FROM build\nCOPY --from=build /app /app\nCOPY --from=0 /app /b\nFROM python@sha256:{digest}\n\
             FROM python:${{V}}\nFROM scratch\nFROM \"python:3\"\n"
        );
        let analysis = analyse(&text);
        let all = pin_targets(&analysis, &text, TextRange::new(0, text.len()));
        let written: Vec<_> = all.iter().map(|it| it.reference.as_str()).collect();
        assert_eq!(written, ["python:3.12-slim", "ghcr.io/astral-sh/uv:0.12.5"]);
        for target in &all {
            assert_eq!(&text[target.range.as_range()], target.reference);
        }
        let uv_line = text.find("COPY --from=ghcr").expect("uv line");
        let only_uv = pin_targets(&analysis, &text, TextRange::empty(uv_line + 3));
        assert_eq!(only_uv.len(), 1);
        assert_eq!(only_uv[0].reference, "ghcr.io/astral-sh/uv:0.12.5");
        let last_line = text.len() - 2;
        assert!(pin_targets(&analysis, &text, TextRange::empty(last_line)).is_empty());
    }

    #[test]
    fn overlapping_fixes_are_not_combined() {
        let edit =
            |start, end, text: &str| Edit { path: None, range: TextRange::new(start, end), new_text: text.to_owned() };
        let fix = |edits| crate::diagnostic::Fix { title: "t".to_owned(), applicability: Applicability::Safe, edits };
        let diagnostic = |fixes| Diagnostic {
            code: "X",
            name: "x",
            severity: crate::diagnostic::Severity::Warning,
            range: TextRange::new(0, 1),
            message: "".into(),
            related: Vec::new(),
            tags: Vec::new(),
            fixes,
        };
        let diagnostics = [
            diagnostic(vec![fix(vec![edit(0, 4, "a")])]),
            diagnostic(vec![fix(vec![edit(2, 6, "b")])]),
            diagnostic(vec![fix(vec![edit(6, 6, "c")])]),
        ];
        let edits = non_overlapping_edits(&diagnostics, |_| true);
        assert_eq!(edits.len(), 2);
        assert_eq!(apply_edits("0123456789", &edits), "a45c6789");
    }
}
