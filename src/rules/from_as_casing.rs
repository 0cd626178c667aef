//! `DF101 from-as-casing`: the `AS` of a FROM is not written in the same case as `FROM`.

use crate::diagnostic::{Applicability, Diagnostic, Edit, Fix};
use crate::rules::support_df::{keyword_text, words};
use crate::rules::{DiagnosticExt, RuleContext, declare_rule};
use crate::syntax::Keyword;

declare_rule! {
    /// ## What it flags
    /// `FROM image as name` or `from image AS name`: the `AS` keyword in a different case from
    /// the `FROM` keyword.
    /// ## Why it matters
    /// Both spellings work, but mixing them makes the file inconsistent; BuildKit's build checks
    /// warn about it.
    /// ## Example
    /// ```dockerfile
    /// FROM python:3.12-slim as builder
    /// ```
    /// Use instead:
    /// ```dockerfile
    /// FROM python:3.12-slim AS builder
    /// ```
    /// ## Fix safety
    /// Changing the case of a keyword is safe.
    pub(crate) static FROM_AS_CASING = {
        code: "DF101",
        name: "from-as-casing",
        severity: Info,
        fix: Always,
        buildkit: "FromAsCasing",
    };
}

pub(crate) fn check(ctx: &RuleContext<'_>, acc: &mut Vec<Diagnostic>) {
    for (_, instruction) in ctx.instructions_with(&[Keyword::From]) {
        let Some(as_word) = words(instruction).get(1) else { continue };
        if !as_word.value.eq_ignore_ascii_case("as") {
            continue;
        }
        let from = keyword_text(ctx, instruction);
        // The same tests as comparing with the upper- and lower-cased text, without making them.
        let wanted = if !from.bytes().any(|it| it.is_ascii_lowercase()) {
            "AS"
        } else if !from.bytes().any(|it| it.is_ascii_uppercase()) {
            "as"
        } else {
            continue;
        };
        if as_word.raw == wanted {
            continue;
        }
        acc.push(
            FROM_AS_CASING
                .report(
                    as_word.range,
                    format!("`{}` does not match the case of `{from}`; write `{wanted}`", as_word.raw),
                )
                .with_fix(Fix {
                    title: format!("Write `{wanted}`"),
                    applicability: Applicability::Safe,
                    edits: vec![Edit { path: None, range: as_word.range, new_text: wanted.to_owned() }],
                }),
        );
    }
}
