//! `DF010 invalid-syntax`: other instruction syntax the builder rejects.

use crate::diagnostic::Diagnostic;
use crate::rules::{RuleContext, declare_rule, report_syntax_errors};
use crate::syntax::SyntaxErrorKind;

declare_rule! {
    /// ## What it flags
    /// Instruction syntax the builder refuses that no more specific rule covers: an ENV pair
    /// without a value, a SHELL that is not a JSON array, `ONBUILD ONBUILD`, a misplaced `AS`.
    /// ## Why it matters
    /// The build stops at this instruction.
    /// ## Example
    /// ```dockerfile
    /// SHELL /bin/bash -c
    /// ```
    /// Use instead:
    /// ```dockerfile
    /// SHELL ["/bin/bash", "-c"]
    /// ```
    pub(crate) static INVALID_SYNTAX = {
        code: "DF010",
        name: "invalid-syntax",
        severity: Error,
        fix: None,
    };
}

pub(crate) fn check(ctx: &RuleContext<'_>, acc: &mut Vec<Diagnostic>) {
    report_syntax_errors(acc, ctx, &INVALID_SYNTAX, |kind| matches!(kind, SyntaxErrorKind::Invalid));
}
