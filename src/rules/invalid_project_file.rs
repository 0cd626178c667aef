//! `PY002 invalid-project-file`: a project file uv would fail to read.

use crate::diagnostic::{Diagnostic, RelatedLocation};
use crate::rules::{DiagnosticExt, RuleContext, declare_rule};
use crate::text::{LineIndex, PositionEncoding, TextRange};

declare_rule! {
    /// ## What it flags
    /// A pyproject.toml, .python-version or .dockerignore next to the Dockerfile that cannot be
    /// read or parsed: broken TOML, a `requires-python` that is not a valid version specifier, a
    /// value of the wrong type, a file that cannot be opened.
    /// ## Why it matters
    /// uv refuses to sync a project whose pyproject.toml it cannot parse, so the image fails to
    /// build; and berth cannot check the Dockerfile against a project it cannot read.
    /// ## Example
    /// ```toml
    /// [project]
    /// requires-python = "=>3.12"
    /// ```
    /// Use instead:
    /// ```toml
    /// [project]
    /// requires-python = ">=3.12"
    /// ```
    pub(crate) static INVALID_PROJECT_FILE = {
        code: "PY002",
        name: "invalid-project-file",
        severity: Error,
        fix: None,
    };
}

pub(crate) fn check(ctx: &RuleContext<'_>, acc: &mut Vec<Diagnostic>) {
    for problem in &ctx.project.problems {
        let file_name = problem
            .file
            .path
            .file_name()
            .map_or_else(|| problem.file.path.display().to_string(), |it| it.to_string_lossy().into_owned());
        let text = &problem.file.text;
        let index = LineIndex::new(text);
        let at = index.line_col(text, problem.range.start, PositionEncoding::Utf32);
        let message = format!("{file_name}:{}:{}: {}", at.line + 1, at.col + 1, problem.message);
        // The Dockerfile has no place for this, so the finding sits on the first line.
        let anchor = TextRange::new(0, first_line_end(ctx.text));
        acc.push(INVALID_PROJECT_FILE.report(anchor, message).with_related(RelatedLocation {
            path: Some(problem.file.path.clone()),
            text: Some(problem.file.text.clone()),
            range: problem.range,
            message: problem.message.clone(),
        }));
    }
}

fn first_line_end(text: &str) -> usize {
    text.find(['\n', '\r']).unwrap_or(text.len())
}
