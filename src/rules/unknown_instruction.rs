//! `DF001 unknown-instruction`: a line that starts with a word that is not an instruction.

use crate::diagnostic::{Applicability, Diagnostic, Edit, Fix};
use crate::rules::{DiagnosticExt, RuleContext, declare_rule};
use crate::syntax::SyntaxErrorKind;

declare_rule! {
    /// ## What it flags
    /// A line whose first word is not a Dockerfile instruction, such as a typo (`FORM`, `COPPY`) or
    /// a shell command that lost the `RUN` in front of it.
    /// ## Why it matters
    /// The builder stops with "unknown instruction" before building anything.
    /// ## Example
    /// ```dockerfile
    /// FORM python:3.12-slim
    /// ```
    /// Use instead:
    /// ```dockerfile
    /// FROM python:3.12-slim
    /// ```
    /// ## Fix safety
    /// The suggested instruction is the closest known keyword; it may not be what was meant, so
    /// the fix is unsafe.
    pub(crate) static UNKNOWN_INSTRUCTION = {
        code: "DF001",
        name: "unknown-instruction",
        severity: Error,
        fix: Sometimes,
    };
}

pub(crate) fn check(ctx: &RuleContext<'_>, acc: &mut Vec<Diagnostic>) {
    for error in &ctx.parse.errors {
        let SyntaxErrorKind::UnknownInstruction { suggestion } = &error.kind else { continue };
        let mut diagnostic = UNKNOWN_INSTRUCTION.report(error.range, error.message.clone());
        if let Some(keyword) = suggestion {
            diagnostic = diagnostic.with_fix(Fix {
                title: format!("Replace with `{}`", keyword.as_str()),
                applicability: Applicability::Unsafe,
                edits: vec![Edit { path: None, range: error.range, new_text: keyword.as_str().to_owned() }],
            });
        }
        acc.push(diagnostic);
    }
}
