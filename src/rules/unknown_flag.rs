//! `DF004 unknown-flag`: a flag the instruction does not accept.

use crate::diagnostic::{Applicability, Diagnostic, Edit, Fix};
use crate::rules::{DiagnosticExt, RuleContext, declare_rule};
use crate::syntax::SyntaxErrorKind;

declare_rule! {
    /// ## What it flags
    /// A `--flag` that the instruction does not know, for example `COPY --chwon=app:app` or
    /// `RUN --mounts=...`.
    /// ## Why it matters
    /// The builder rejects unknown flags, so the build fails at this line.
    /// ## Example
    /// ```dockerfile
    /// COPY --chwon=app:app . /app
    /// ```
    /// Use instead:
    /// ```dockerfile
    /// COPY --chown=app:app . /app
    /// ```
    /// ## Fix safety
    /// The replacement is the closest flag the instruction accepts; it may not be the intended
    /// one, so the fix is unsafe.
    pub(crate) static UNKNOWN_FLAG = {
        code: "DF004",
        name: "unknown-flag",
        severity: Error,
        fix: Sometimes,
    };
}

pub(crate) fn check(ctx: &RuleContext<'_>, acc: &mut Vec<Diagnostic>) {
    for error in &ctx.parse.errors {
        let SyntaxErrorKind::UnknownFlag { suggestion } = &error.kind else { continue };
        let mut diagnostic = UNKNOWN_FLAG.report(error.range, error.message.clone());
        if let Some(suggestion) = suggestion {
            let name_range = flag_name_range(ctx.text, error.range);
            diagnostic = diagnostic.with_fix(Fix {
                title: format!("Replace with `--{suggestion}`"),
                applicability: Applicability::Unsafe,
                edits: vec![Edit { path: None, range: name_range, new_text: format!("--{suggestion}") }],
            });
        }
        acc.push(diagnostic);
    }
}

/// The `--name` part of a flag's range, so the fix keeps the value.
fn flag_name_range(text: &str, flag: crate::text::TextRange) -> crate::text::TextRange {
    let Some(source) = text.get(flag.as_range()) else { return flag };
    let end = source.find('=').unwrap_or(source.len());
    crate::text::TextRange::new(flag.start, flag.start + end)
}
