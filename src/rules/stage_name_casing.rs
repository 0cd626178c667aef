//! `DF100 stage-name-casing`: a stage name with upper-case letters.

use crate::diagnostic::{Applicability, Diagnostic, Edit, Fix};
use crate::rules::{DiagnosticExt, RuleContext, declare_rule};

declare_rule! {
    /// ## What it flags
    /// A build stage named with upper-case letters (`FROM python:3.12 AS Builder`).
    /// ## Why it matters
    /// Docker matches stage names without regard to case, so `Builder` and `builder` are the same
    /// stage. Mixed spellings make the file harder to search and read, and BuildKit's build checks
    /// warn about them.
    /// ## Example
    /// ```dockerfile
    /// FROM python:3.12-slim AS Builder
    /// ```
    /// Use instead:
    /// ```dockerfile
    /// FROM python:3.12-slim AS builder
    /// ```
    /// ## Fix safety
    /// Lower-casing the name is safe: references to the stage match it case-insensitively.
    pub(crate) static STAGE_NAME_CASING = {
        code: "DF100",
        name: "stage-name-casing",
        severity: Info,
        fix: Always,
        buildkit: "StageNameCasing",
    };
}

pub(crate) fn check(ctx: &RuleContext<'_>, acc: &mut Vec<Diagnostic>) {
    for stage in ctx.stages() {
        let Some(name) = &stage.name else { continue };
        if !name.value.chars().any(|c| c.is_uppercase()) {
            continue;
        }
        let lower = name.value.as_str().to_lowercase();
        acc.push(
            STAGE_NAME_CASING
                .report(name.range, format!("stage name `{}` should be lower-case: `{lower}`", name.value))
                .with_fix(Fix {
                    title: format!("Rename to `{lower}`"),
                    applicability: Applicability::Safe,
                    edits: vec![Edit { path: None, range: name.range, new_text: lower }],
                }),
        );
    }
}
