//! `DF104 duplicate-stage-name`: two stages with the same name.

use crate::diagnostic::{Diagnostic, RelatedLocation};
use crate::rules::{DiagnosticExt, RuleContext, declare_rule};

declare_rule! {
    /// ## What it flags
    /// A `FROM ... AS name` whose name (compared without regard to case) was already given to an
    /// earlier stage.
    /// ## Why it matters
    /// `COPY --from=name`, `FROM name` and `--target name` can only mean one stage. With two
    /// stages of one name, which one a reference picks depends on the builder, and the other
    /// stage's work is silently ignored.
    /// ## Example
    /// ```dockerfile
    /// FROM python:3.12-slim AS build
    /// FROM python:3.12-slim AS build
    /// ```
    /// Use instead:
    /// ```dockerfile
    /// FROM python:3.12-slim AS build
    /// FROM python:3.12-slim AS runtime
    /// ```
    pub(crate) static DUPLICATE_STAGE_NAME = {
        code: "DF104",
        name: "duplicate-stage-name",
        severity: Warning,
        fix: None,
        hadolint: "DL3024",
        buildkit: "DuplicateStageName",
    };
}

pub(crate) fn check(ctx: &RuleContext<'_>, acc: &mut Vec<Diagnostic>) {
    let stages = &ctx.semantics.stages;
    for stage in ctx.stages() {
        let Some(name) = &stage.name else { continue };
        // The first stage of the name (after an edit, found by a scan of the names rather than
        // a map of the whole file's); only later stages are duplicates.
        let first = ctx.stage_named(&name.value);
        let Some(first) = first.filter(|first| *first < stage.index) else { continue };
        let Some(earlier) = stages.get(first).and_then(|it| it.name.as_ref()) else { continue };
        acc.push(
            DUPLICATE_STAGE_NAME
                .report(name.range, format!("stage name `{}` is already used by an earlier stage", name.value))
                .with_related(RelatedLocation {
                    path: None,
                    text: None,
                    range: earlier.range,
                    message: format!("`{}` is first defined here", earlier.value),
                }),
        );
    }
}
