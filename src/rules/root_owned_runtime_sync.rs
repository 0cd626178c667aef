//! `UV036 root-owned-runtime-sync`: a non-root container syncs an environment that root owns.

use crate::diagnostic::{Diagnostic, RelatedLocation};
use crate::rules::support_runtime::{runtime_truthy, syncing_runs};
use crate::rules::support_uv::Layout;
use crate::rules::{DiagnosticExt, RuleContext, declare_rule};
use crate::semantics::CommandOrigin;
use crate::syntax::{Args, Keyword};

declare_rule! {
    /// ## What it flags
    /// A final image that switches to a non-root `USER` and starts with a `uv run` that syncs,
    /// while the environment was built as root and nothing hands it over: no `COPY --chown`,
    /// no `chown`, no `UV_NO_CACHE` or `UV_CACHE_DIR` for the running container.
    /// ## Why it matters
    /// The sync at start writes to the environment, to uv.lock and to uv's cache in the user's
    /// home. With everything owned by root, the container fails with "Permission denied"
    /// before the app starts, or as soon as uv decides something needs installing.
    /// ## Example
    /// ```dockerfile
    /// COPY --from=builder /app /app
    /// USER app
    /// CMD ["uv", "run", "app"]
    /// ```
    /// Use instead:
    /// ```dockerfile
    /// COPY --from=builder --chown=app:app /app /app
    /// USER app
    /// CMD ["uv", "run", "--no-sync", "app"]
    /// ```
    pub(crate) static ROOT_OWNED_RUNTIME_SYNC = {
        code: "UV036",
        name: "root-owned-runtime-sync",
        severity: Warning,
        fix: None,
    };
}

pub(crate) fn check(ctx: &RuleContext<'_>, acc: &mut Vec<Diagnostic>) {
    let semantics = ctx.semantics;
    let Some(last) = semantics.final_stage() else { return };
    // Every finding is in the final image's stages, which are checked with the final stage or
    // not at all.
    if !ctx.in_focus(last.index) {
        return;
    }
    let runs = syncing_runs(ctx);
    if runs.is_empty() {
        return;
    }
    let layout = ctx.uv_layout();
    let end = last.instructions.end.saturating_sub(1);
    let Some(user) = ctx.user_at(end).map(str::to_owned) else { return };
    let chain = Layout::chain(semantics, last.index);
    let handed_over = chain.iter().any(|stage| {
        layout.copies.of(*stage).iter().any(|it| it.chown)
            || semantics.commands_in(*stage).iter().any(|site| {
                site.origin == CommandOrigin::Run
                    && (matches!(site.command.program_name(), Some("chown" | "chmod"))
                        || site.command.as_uv().is_some_and(|uv| uv.is("sync") || uv.is("venv"))
                            && ctx.user_at(site.instruction).is_some())
            })
    });
    if handed_over {
        return;
    }
    let user_instruction = chain.iter().find_map(|stage| {
        let stage = semantics.stages.get(*stage)?;
        stage.instructions.clone().rev().find(|idx| ctx.keyword_at(*idx) == Keyword::User)
    });
    for (site, uv) in runs {
        if runtime_truthy(ctx, site, "UV_NO_CACHE") || semantics.runtime_env(last.index, "UV_CACHE_DIR").is_some() {
            continue;
        }
        let range = uv.subcommand_range().unwrap_or(site.command.range);
        let mut diagnostic = ROOT_OWNED_RUNTIME_SYNC.report(
            range,
            format!(
                "the container runs as `{user}`, but the environment and uv's cache belong to root, so the sync \
                 `uv run` does at start fails with permission errors; copy with `--chown={user}` or add `--no-sync`"
            ),
        );
        if let Some(instruction) = user_instruction.and_then(|idx| ctx.parse.file.instructions.get(idx))
            && let Args::Words(words) = &instruction.args
            && let Some(word) = words.first()
        {
            diagnostic = diagnostic.with_related(RelatedLocation {
                path: None,
                text: None,
                range: word.range,
                message: "the user is switched here".to_owned(),
            });
        }
        acc.push(diagnostic);
    }
}
