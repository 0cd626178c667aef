//! `UV033 bytecode-compiled-at-start`: `UV_COMPILE_BYTECODE` in the image makes `uv run` compile at start.

use crate::diagnostic::{Diagnostic, RelatedLocation};
use crate::rules::support_runtime::syncing_runs;
use crate::rules::{DiagnosticExt, RuleContext, declare_rule};

declare_rule! {
    /// ## What it flags
    /// `UV_COMPILE_BYTECODE` switched on in the final image's environment while the container
    /// starts with a `uv run` that syncs (no `--no-sync`).
    /// ## Why it matters
    /// The variable is meant for the build. Left in the runtime environment, the sync that
    /// `uv run` does at every start compiles the environment's bytecode again, which can take
    /// many seconds before the app starts.
    /// ## Example
    /// ```dockerfile
    /// ENV UV_COMPILE_BYTECODE=1
    /// CMD ["uv", "run", "app"]
    /// ```
    /// Use instead:
    /// ```dockerfile
    /// ENV UV_COMPILE_BYTECODE=1
    /// CMD ["uv", "run", "--no-sync", "app"]
    /// ```
    pub(crate) static BYTECODE_COMPILED_AT_START = {
        code: "UV033",
        name: "bytecode-compiled-at-start",
        severity: Info,
        fix: None,
    };
}

pub(crate) fn check(ctx: &RuleContext<'_>, acc: &mut Vec<Diagnostic>) {
    for (site, uv) in syncing_runs(ctx) {
        let Some(stage) = site.stage else { continue };
        let Some(def) = ctx.semantics.runtime_env(stage, "UV_COMPILE_BYTECODE") else { continue };
        if !def.value.as_deref().is_some_and(crate::rules::is_truthy) {
            continue;
        }
        let range = uv.subcommand_range().unwrap_or(site.command.range);
        acc.push(
            BYTECODE_COMPILED_AT_START
                .report(
                    range,
                    "`UV_COMPILE_BYTECODE` is set in the image, so the sync `uv run` does at every start compiles \
                     bytecode again; add `--no-sync` or set the variable only for the build",
                )
                .with_related(RelatedLocation {
                    path: None,
                    text: None,
                    range: def.name_range,
                    message: "set for the running container here".to_owned(),
                }),
        );
    }
}
