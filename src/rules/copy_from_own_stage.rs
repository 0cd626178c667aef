//! `DF212 copy-from-own-stage`: `COPY --from` naming the stage it is in.

use crate::diagnostic::Diagnostic;
use crate::rules::{RuleContext, declare_rule};
use crate::syntax::Keyword;

declare_rule! {
    /// ## What it flags
    /// `COPY --from=<stage>` inside that same stage.
    /// ## Why it matters
    /// A stage cannot copy from itself: the builder reports a circular dependency and the build
    /// fails. Copy from the stage's files directly, or from an earlier stage.
    /// ## Example
    /// ```dockerfile
    /// FROM python:3.12-slim AS app
    /// COPY --from=app /app/.venv /venv
    /// ```
    /// Use instead:
    /// ```dockerfile
    /// FROM python:3.12-slim AS app
    /// RUN cp -r /app/.venv /venv
    /// ```
    pub(crate) static COPY_FROM_OWN_STAGE = {
        code: "DF212",
        name: "copy-from-own-stage",
        severity: Error,
        fix: None,
        hadolint: "DL3023",
    };
}

pub(crate) fn check(ctx: &RuleContext<'_>, acc: &mut Vec<Diagnostic>) {
    for stage in ctx.stages() {
        for (_, instruction) in ctx.instructions_with_in(&[Keyword::Copy], stage.instructions.clone()) {
            let Some(value) = instruction.flag("from").and_then(|it| it.value.as_ref()) else { continue };
            let own = match value.value.parse::<usize>() {
                Ok(index) => index == stage.index,
                Err(_) => stage.name.as_ref().is_some_and(|name| name.value.eq_ignore_ascii_case(&value.value)),
            };
            if own {
                acc.push(COPY_FROM_OWN_STAGE.report(
                    value.range,
                    format!(
                        "`--from={}` names the stage this COPY is in; the build fails with a circular dependency",
                        value.value
                    ),
                ));
            }
        }
    }
}
