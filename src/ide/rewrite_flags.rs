//! Small fixes for findings whose rules attach none: conflicting uv flags, boolean values uv
//! rejects, and a missing .dockerignore.

use super::Rewriter;
use crate::diagnostic::{Applicability, Diagnostic, Edit, Fix};
use crate::semantics::shell::UvFlag;
use crate::text::TextRange;

/// UV003: remove either of the two flags (the finding is on the second, the related location
/// on the first).
pub(super) fn drop_conflicting(rw: &Rewriter<'_>, diagnostic: &Diagnostic) -> Vec<Fix> {
    let Some(site) = rw
        .semantics()
        .commands
        .iter()
        .find(|site| !site.exec_form && site.command.range.contains_range(diagnostic.range))
    else {
        return Vec::new();
    };
    let Some(uv) = site.command.as_uv() else { return Vec::new() };
    let mut ranges = vec![diagnostic.range];
    ranges.extend(diagnostic.related.iter().filter(|it| it.path.is_none()).map(|it| it.range));
    let mut acc = Vec::new();
    for range in ranges {
        let Some(flag) = uv.flags.iter().find(|flag| flag.word.range == range) else { continue };
        if let Some(fix) = remove_flag(rw, flag) {
            acc.push(fix);
        }
    }
    acc
}

fn remove_flag(rw: &Rewriter<'_>, flag: &UvFlag<'_>) -> Option<Fix> {
    // `-qU` holds two flags in one word; removing the word would drop both.
    let written = flag.word.value.as_str();
    if !(written.starts_with("--") || written.len() == 2) {
        return None;
    }
    let before = rw.text.get(..flag.range.start)?;
    let start = before.trim_end_matches([' ', '\t']).len();
    // Keep the space when the flag starts a line after a continuation.
    let start = if before[..start].ends_with(['\n', '\r']) { flag.range.start } else { start };
    Some(Fix {
        title: format!("Remove `{}`", rw.text.get(flag.range.as_range())?),
        applicability: Applicability::Unsafe,
        edits: vec![Edit { path: None, range: TextRange::new(start, flag.range.end), new_text: String::new() }],
    })
}

/// UV060: a common spelling of yes/no that uv does not accept, rewritten as `1` or `0`.
pub(super) fn fix_boolean(rw: &Rewriter<'_>, diagnostic: &Diagnostic) -> Vec<Fix> {
    let Some(written) = rw.text.get(diagnostic.range.as_range()) else { return Vec::new() };
    let value = written.trim_matches(['"', '\'']).trim().to_ascii_lowercase();
    let replacement = match value.as_str() {
        "enable" | "enabled" | "active" | "always" | "ja" | "si" | "oui" | "yes please" => "1",
        "disable" | "disabled" | "inactive" | "none" | "never" | "nein" | "non" => "0",
        other => match crate::knowledge::boolish(other) {
            Some(true) => "1",
            Some(false) => "0",
            None => return Vec::new(),
        },
    };
    vec![Fix {
        title: format!("Use `{replacement}`"),
        applicability: Applicability::Unsafe,
        edits: vec![Edit { path: None, range: diagnostic.range, new_text: replacement.to_owned() }],
    }]
}

/// UV017 without a .dockerignore: create one that excludes `.venv`.
pub(super) fn create_dockerignore(rw: &Rewriter<'_>, diagnostic: &Diagnostic) -> Vec<Fix> {
    if !diagnostic.fixes.is_empty() || rw.project.dockerignore.is_some() {
        return Vec::new();
    }
    let Some(context) = &rw.project.context else { return Vec::new() };
    vec![Fix {
        title: "Create .dockerignore excluding `.venv`".to_owned(),
        applicability: Applicability::Safe,
        edits: vec![Edit {
            path: Some(context.join(".dockerignore")),
            range: TextRange::empty(0),
            new_text: format!("{}\n", rw.project.in_context(".venv")),
        }],
    }]
}
