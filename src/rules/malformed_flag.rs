//! `DF005 malformed-flag`: a flag with a missing, invalid or repeated value.

use crate::diagnostic::Diagnostic;
use crate::rules::{RuleContext, declare_rule, report_syntax_errors};
use crate::syntax::SyntaxErrorKind;

declare_rule! {
    /// ## What it flags
    /// A known flag whose value is missing or invalid: `--from=` with nothing after it, a
    /// `--mount` with an unknown type or option, `--network=offline`, a HEALTHCHECK duration
    /// without a unit, or a flag that may appear once given twice.
    /// ## Why it matters
    /// The builder refuses the instruction, so the build stops at this line.
    /// ## Example
    /// ```dockerfile
    /// RUN --mount=type=cahce,target=/root/.cache/uv uv sync --locked
    /// ```
    /// Use instead:
    /// ```dockerfile
    /// RUN --mount=type=cache,target=/root/.cache/uv uv sync --locked
    /// ```
    pub(crate) static MALFORMED_FLAG = {
        code: "DF005",
        name: "malformed-flag",
        severity: Error,
        fix: None,
    };
}

pub(crate) fn check(ctx: &RuleContext<'_>, acc: &mut Vec<Diagnostic>) {
    report_syntax_errors(acc, ctx, &MALFORMED_FLAG, |kind| matches!(kind, SyntaxErrorKind::MalformedFlag));
}
