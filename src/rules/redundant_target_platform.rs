//! `DF113 redundant-target-platform`: `FROM --platform=$TARGETPLATFORM`.

use crate::diagnostic::{Applicability, Diagnostic, Edit, Fix, Tag};
use crate::rules::{DiagnosticExt, RuleContext, declare_rule};
use crate::syntax::Keyword;
use crate::text::TextRange;

declare_rule! {
    /// ## What it flags
    /// `FROM --platform=$TARGETPLATFORM` (or `${TARGETPLATFORM}`).
    /// ## Why it matters
    /// Stages are built for the target platform anyway, so the flag changes nothing and only
    /// adds noise. (`--platform=$BUILDPLATFORM` is different and useful for cross-compiling.)
    /// ## Example
    /// ```dockerfile
    /// FROM --platform=$TARGETPLATFORM python:3.12-slim
    /// ```
    /// Use instead:
    /// ```dockerfile
    /// FROM python:3.12-slim
    /// ```
    /// ## Fix safety
    /// Removing the flag is safe: the stage keeps the same platform.
    pub(crate) static REDUNDANT_TARGET_PLATFORM = {
        code: "DF113",
        name: "redundant-target-platform",
        severity: Info,
        fix: Always,
        hadolint: "DL3065",
        buildkit: "RedundantTargetPlatform",
    };
}

pub(crate) fn check(ctx: &RuleContext<'_>, acc: &mut Vec<Diagnostic>) {
    for (_, instruction) in ctx.instructions_with(&[Keyword::From]) {
        let Some(flag) = instruction.flag("platform") else { continue };
        let Some(value) = &flag.value else { continue };
        if !matches!(value.value.as_str(), "$TARGETPLATFORM" | "${TARGETPLATFORM}") {
            continue;
        }
        // Remove the flag and the blanks after it.
        let rest = ctx.text.get(flag.range.end..).unwrap_or("");
        let blanks = rest.len() - rest.trim_start_matches([' ', '\t']).len();
        acc.push(
            REDUNDANT_TARGET_PLATFORM
                .report(
                    flag.range,
                    "`--platform=$TARGETPLATFORM` is the default for every stage; the flag has no effect",
                )
                .with_tag(Tag::Unnecessary)
                .with_fix(Fix {
                    title: "Remove `--platform`".to_owned(),
                    applicability: Applicability::Safe,
                    edits: vec![Edit {
                        path: None,
                        range: TextRange::new(flag.range.start, flag.range.end + blanks),
                        new_text: String::new(),
                    }],
                }),
        );
    }
}
