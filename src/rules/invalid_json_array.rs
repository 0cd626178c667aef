//! `DF008 invalid-json-array`: exec-form text that is not valid JSON and so runs as shell form.

use crate::diagnostic::Diagnostic;
use crate::rules::{RuleContext, declare_rule, report_syntax_errors};
use crate::syntax::SyntaxErrorKind;

declare_rule! {
    /// ## What it flags
    /// Arguments that look like an exec-form JSON array but are not valid JSON: single quotes,
    /// a trailing comma, unquoted words.
    /// ## Why it matters
    /// The builder does not reject them: it silently runs the text through `/bin/sh -c` as shell
    /// form, so `CMD ['python', 'app.py']` tries to run a program named `[python,`.
    /// ## Example
    /// ```dockerfile
    /// CMD ['uvicorn', 'app.main:app']
    /// ```
    /// Use instead:
    /// ```dockerfile
    /// CMD ["uvicorn", "app.main:app"]
    /// ```
    pub(crate) static INVALID_JSON_ARRAY = {
        code: "DF008",
        name: "invalid-json-array",
        severity: Warning,
        fix: None,
    };
}

pub(crate) fn check(ctx: &RuleContext<'_>, acc: &mut Vec<Diagnostic>) {
    report_syntax_errors(acc, ctx, &INVALID_JSON_ARRAY, |kind| matches!(kind, SyntaxErrorKind::InvalidJsonArray));
}
