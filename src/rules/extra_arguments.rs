//! `DF003 extra-arguments`: arguments an instruction does not take.

use crate::diagnostic::Diagnostic;
use crate::rules::{RuleContext, declare_rule, report_syntax_errors};
use crate::syntax::SyntaxErrorKind;

declare_rule! {
    /// ## What it flags
    /// Words after the arguments an instruction accepts, such as `FROM python:3.12 builder` (missing
    /// `AS`) or two signals after `STOPSIGNAL`.
    /// ## Why it matters
    /// The builder rejects the instruction, or, for `FROM`, the stage name was meant but `AS` is
    /// missing.
    /// ## Example
    /// ```dockerfile
    /// FROM python:3.12-slim builder
    /// ```
    /// Use instead:
    /// ```dockerfile
    /// FROM python:3.12-slim AS builder
    /// ```
    pub(crate) static EXTRA_ARGUMENTS = {
        code: "DF003",
        name: "extra-arguments",
        severity: Error,
        fix: None,
    };
}

pub(crate) fn check(ctx: &RuleContext<'_>, acc: &mut Vec<Diagnostic>) {
    report_syntax_errors(acc, ctx, &EXTRA_ARGUMENTS, |kind| matches!(kind, SyntaxErrorKind::ExtraArguments));
}
