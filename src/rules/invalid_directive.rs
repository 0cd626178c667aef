//! `DF009 invalid-directive`: a parser directive the builder rejects.

use crate::diagnostic::Diagnostic;
use crate::rules::{RuleContext, declare_rule, report_syntax_errors};
use crate::syntax::SyntaxErrorKind;

declare_rule! {
    /// ## What it flags
    /// A parser directive at the top of the file with an invalid value (an `escape` other than a
    /// backslash or a backtick) or given twice.
    /// ## Why it matters
    /// The builder refuses the file, or applies a different escape character than intended.
    /// ## Example
    /// ```dockerfile
    /// # escape=|
    /// ```
    /// Use instead:
    /// ```dockerfile
    /// # escape=`
    /// ```
    pub(crate) static INVALID_DIRECTIVE = {
        code: "DF009",
        name: "invalid-directive",
        severity: Error,
        fix: None,
    };
}

pub(crate) fn check(ctx: &RuleContext<'_>, acc: &mut Vec<Diagnostic>) {
    report_syntax_errors(acc, ctx, &INVALID_DIRECTIVE, |kind| matches!(kind, SyntaxErrorKind::InvalidDirective));
}
