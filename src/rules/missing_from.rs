//! `DF007 missing-from`: a Dockerfile without a FROM, or instructions before the first FROM.

use crate::diagnostic::Diagnostic;
use crate::rules::{RuleContext, declare_rule};
use crate::syntax::Keyword;
use crate::text::TextRange;

declare_rule! {
    /// ## What it flags
    /// A Dockerfile with no `FROM` instruction, or an instruction other than `ARG` before the
    /// first `FROM`.
    /// ## Why it matters
    /// Every build stage starts with `FROM`; only `ARG` may come before it. The builder rejects
    /// anything else.
    /// ## Example
    /// ```dockerfile
    /// WORKDIR /app
    /// FROM python:3.12-slim
    /// ```
    /// Use instead:
    /// ```dockerfile
    /// FROM python:3.12-slim
    /// WORKDIR /app
    /// ```
    pub(crate) static MISSING_FROM = {
        code: "DF007",
        name: "missing-from",
        severity: Error,
        fix: None,
    };
}

pub(crate) fn check(ctx: &RuleContext<'_>, acc: &mut Vec<Diagnostic>) {
    let instructions = &ctx.parse.file.instructions;
    let mut seen_from = false;
    for instruction in instructions {
        match instruction.keyword {
            Keyword::From => {
                seen_from = true;
                break;
            }
            // Unknown instructions already have their own error.
            Keyword::Arg | Keyword::Unknown => {}
            keyword => acc.push(MISSING_FROM.report(
                instruction.keyword_range,
                format!("`{}` before the first `FROM`; only `ARG` may come before it", keyword.as_str()),
            )),
        }
    }
    if !seen_from {
        let range = match instructions.first() {
            Some(first) => first.keyword_range,
            None => TextRange::empty(0),
        };
        acc.push(MISSING_FROM.report(range, "this Dockerfile has no `FROM` instruction"));
    }
}
