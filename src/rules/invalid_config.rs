//! `DF012 invalid-config`: a berth configuration file with keys or values berth cannot use.

use crate::diagnostic::{Diagnostic, RelatedLocation};
use crate::rules::{DiagnosticExt, RuleContext, declare_rule};
use crate::text::{LineIndex, PositionEncoding, TextRange};

declare_rule! {
    /// ## What it flags
    /// A problem in the berth configuration that applies to this Dockerfile (`berth.toml` or
    /// `[tool.berth]` in pyproject.toml): an unknown key, a value of the wrong type, a rule
    /// code or name that no berth rule has, a severity or glob berth cannot read.
    /// ## Why it matters
    /// berth skips what it cannot understand and applies the rest, so a misspelt key or code
    /// silently does nothing: a rule you meant to turn off keeps reporting, or one you meant to
    /// turn on stays quiet.
    /// ## Example
    /// ```toml
    /// [tool.berth]
    /// ignroe = ["UV001"]
    /// severity = { DF001 = "loud" }
    /// ```
    /// Use instead:
    /// ```toml
    /// [tool.berth]
    /// ignore = ["UV001"]
    /// severity = { DF001 = "warning" }
    /// ```
    pub(crate) static INVALID_CONFIG = {
        code: "DF012",
        name: "invalid-config",
        severity: Warning,
        fix: None,
    };
}

pub(crate) fn check(ctx: &RuleContext<'_>, acc: &mut Vec<Diagnostic>) {
    let Some(config) = &ctx.settings.config else { return };
    if config.problems.is_empty() {
        return;
    }
    let file = &config.file;
    let file_name =
        file.path.file_name().map_or_else(|| file.path.display().to_string(), |it| it.to_string_lossy().into_owned());
    let index = LineIndex::new(&file.text);
    // The Dockerfile has no place for this, so the finding sits on the first line.
    let anchor = TextRange::new(0, ctx.text.find(['\n', '\r']).unwrap_or(ctx.text.len()));
    for problem in &config.problems {
        let at = index.line_col(&file.text, problem.range.start, PositionEncoding::Utf32);
        let message = format!("{file_name}:{}:{}: {}", at.line + 1, at.col + 1, problem.message);
        acc.push(INVALID_CONFIG.report(anchor, message).with_related(RelatedLocation {
            path: Some(file.path.clone()),
            text: Some(file.text.clone()),
            range: problem.range,
            message: problem.message.clone(),
        }));
    }
}
