//! `DF002 missing-arguments`: an instruction without the arguments it needs.

use crate::diagnostic::Diagnostic;
use crate::rules::{RuleContext, declare_rule, report_syntax_errors};
use crate::syntax::SyntaxErrorKind;

declare_rule! {
    /// ## What it flags
    /// An instruction with fewer arguments than the builder requires, such as `COPY app.py` with no
    /// destination, a bare `WORKDIR`, or `FROM` with no image.
    /// ## Why it matters
    /// The builder rejects the Dockerfile before running a single step.
    /// ## Example
    /// ```dockerfile
    /// COPY pyproject.toml
    /// ```
    /// Use instead:
    /// ```dockerfile
    /// COPY pyproject.toml ./
    /// ```
    pub(crate) static MISSING_ARGUMENTS = {
        code: "DF002",
        name: "missing-arguments",
        severity: Error,
        fix: None,
    };
}

pub(crate) fn check(ctx: &RuleContext<'_>, acc: &mut Vec<Diagnostic>) {
    report_syntax_errors(acc, ctx, &MISSING_ARGUMENTS, |kind| matches!(kind, SyntaxErrorKind::MissingArguments));
}
