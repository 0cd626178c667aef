//! `DF105 reserved-stage-name`: a stage named `scratch` or `context`.

use crate::diagnostic::Diagnostic;
use crate::rules::{RuleContext, declare_rule};

declare_rule! {
    /// ## What it flags
    /// A stage named `scratch` or `context`.
    /// ## Why it matters
    /// `scratch` already means the empty image and `context` the build context, so
    /// `FROM scratch` or `COPY --from=context` become ambiguous.
    /// ## Example
    /// ```dockerfile
    /// FROM alpine AS scratch
    /// ```
    /// Use instead:
    /// ```dockerfile
    /// FROM alpine AS base
    /// ```
    pub(crate) static RESERVED_STAGE_NAME = {
        code: "DF105",
        name: "reserved-stage-name",
        severity: Warning,
        fix: None,
        hadolint: "DL3063",
        buildkit: "ReservedStageName",
    };
}

pub(crate) fn check(ctx: &RuleContext<'_>, acc: &mut Vec<Diagnostic>) {
    for stage in ctx.stages() {
        let Some(name) = &stage.name else { continue };
        let is = |reserved: &str| name.value.eq_ignore_ascii_case(reserved);
        let meaning = if is("scratch") {
            "the empty base image"
        } else if is("context") {
            "the build context"
        } else {
            continue;
        };
        acc.push(
            RESERVED_STAGE_NAME
                .report(name.range, format!("`{}` is reserved for {meaning} and should not name a stage", name.value)),
        );
    }
}
