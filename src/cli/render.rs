//! Terminal and JSON rendering of findings, shared by `berth check` and the snapshot tests.

use std::path::Path;

use annotate_snippets::{AnnotationKind, Group, Level, Renderer, Snippet};

use crate::diagnostic::{Diagnostic, Severity};
use crate::text::{LineIndex, PositionEncoding};

/// One finding with its source line and a caret, rustc style.
pub fn render_human(path: &Path, text: &str, diagnostic: &Diagnostic, color: bool) -> String {
    let path_text = path.display().to_string();
    let level = level_of(diagnostic.severity);
    let span = clamp_span(text, diagnostic.range.start, diagnostic.range.end);
    let title = format!("{} [{}]", diagnostic.message, diagnostic.name);
    let mut groups = vec![
        level
            .primary_title(title.as_str())
            .id(diagnostic.code)
            .element(Snippet::source(text).path(path_text.as_str()).annotation(AnnotationKind::Primary.span(span))),
    ];
    let mut related_paths = Vec::new();
    for related in &diagnostic.related {
        related_paths.push(related.path.as_ref().map(|it| it.display().to_string()));
    }
    for (related, related_path) in diagnostic.related.iter().zip(&related_paths) {
        let source = related.text.as_deref().unwrap_or(text);
        let span = clamp_span(source, related.range.start, related.range.end);
        let snippet_path = related_path.as_deref().unwrap_or(path_text.as_str());
        groups.push(
            Group::with_title(Level::NOTE.secondary_title(related.message.as_str()))
                .element(Snippet::source(source).path(snippet_path).annotation(AnnotationKind::Context.span(span))),
        );
    }
    for fix in &diagnostic.fixes {
        let safety = match fix.applicability {
            crate::diagnostic::Applicability::Safe => "safe fix",
            crate::diagnostic::Applicability::Unsafe => "unsafe fix",
        };
        groups.push(Group::with_title(Level::HELP.secondary_title(format!("{} ({safety})", fix.title))));
    }
    let renderer = if color { Renderer::styled() } else { Renderer::plain() };
    renderer.render(&groups)
}

/// The JSON objects `berth check --format json` prints for the findings of one file. Lines and
/// columns are 1-based; columns count Unicode characters.
pub fn render_json_values(path: &Path, text: &str, diagnostics: &[Diagnostic]) -> Vec<serde_json::Value> {
    // One index per file: a file with thousands of findings must not be re-indexed for each.
    let index = LineIndex::new(text);
    diagnostics.iter().map(|diagnostic| json_value(path, text, &index, diagnostic)).collect()
}

fn json_value(path: &Path, text: &str, index: &LineIndex, diagnostic: &Diagnostic) -> serde_json::Value {
    let position = |offset: usize| {
        let at = index.line_col(text, offset, PositionEncoding::Utf32);
        serde_json::json!({ "line": at.line + 1, "column": at.col + 1 })
    };
    let related: Vec<serde_json::Value> = diagnostic
        .related
        .iter()
        .map(|related| {
            let source = related.text.as_deref().unwrap_or(text);
            let other_index = related.text.as_deref().map(LineIndex::new);
            let related_index = other_index.as_ref().unwrap_or(index);
            let at = |offset: usize| {
                let at = related_index.line_col(source, offset, PositionEncoding::Utf32);
                serde_json::json!({ "line": at.line + 1, "column": at.col + 1 })
            };
            serde_json::json!({
                "path": related.path.as_deref().unwrap_or(path).display().to_string(),
                "message": related.message,
                "start": at(related.range.start),
                "end": at(related.range.end),
            })
        })
        .collect();
    let fixes: Vec<serde_json::Value> = diagnostic
        .fixes
        .iter()
        .map(|fix| {
            serde_json::json!({
                "title": fix.title,
                "applicability": match fix.applicability {
                    crate::diagnostic::Applicability::Safe => "safe",
                    crate::diagnostic::Applicability::Unsafe => "unsafe",
                },
            })
        })
        .collect();
    serde_json::json!({
        "path": path.display().to_string(),
        "code": diagnostic.code,
        "name": diagnostic.name,
        "severity": diagnostic.severity.as_str(),
        "message": &*diagnostic.message,
        "start": position(diagnostic.range.start),
        "end": position(diagnostic.range.end),
        "url": crate::rules::doc_url(diagnostic.code),
        "related": related,
        "fixes": fixes,
    })
}

fn level_of(severity: Severity) -> Level<'static> {
    match severity {
        Severity::Error => Level::ERROR,
        Severity::Warning => Level::WARNING,
        Severity::Info => Level::INFO,
        Severity::Hint => Level::HELP,
    }
}

/// A span annotate-snippets can draw: on char boundaries, inside the text.
fn clamp_span(text: &str, start: usize, end: usize) -> std::ops::Range<usize> {
    let mut start = start.min(text.len());
    while !text.is_char_boundary(start) {
        start -= 1;
    }
    let mut end = end.clamp(start, text.len());
    while !text.is_char_boundary(end) {
        end += 1;
    }
    start..end
}
