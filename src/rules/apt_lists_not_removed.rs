//! `DF206 apt-lists-not-removed`: `apt-get update` without removing the package lists.

use crate::diagnostic::Diagnostic;
use crate::rules::support_df::{final_image_stages, has_cache_mount};
use crate::rules::{RuleContext, declare_rule};
use crate::semantics::{CommandOrigin, CommandSite};

declare_rule! {
    /// ## What it flags
    /// A `RUN` in a stage of the final image that runs `apt-get update` but does not delete
    /// `/var/lib/apt/lists/*` in the same `RUN` (and has no cache mount there).
    /// ## Why it matters
    /// The package lists take tens of megabytes and stay in the layer for good; they are stale
    /// by the next day anyway. Deleting them in a later `RUN` does not shrink the image.
    /// ## Example
    /// ```dockerfile
    /// RUN apt-get update && apt-get install -y --no-install-recommends curl
    /// ```
    /// Use instead:
    /// ```dockerfile
    /// RUN apt-get update && apt-get install -y --no-install-recommends curl \
    ///     && rm -rf /var/lib/apt/lists/*
    /// ```
    pub(crate) static APT_LISTS_NOT_REMOVED = {
        code: "DF206",
        name: "apt-lists-not-removed",
        severity: Info,
        fix: None,
        hadolint: "DL3009",
    };
}

pub(crate) fn check(ctx: &RuleContext<'_>, acc: &mut Vec<Diagnostic>) {
    let in_final = final_image_stages(ctx.semantics);
    // Only stages of the final image matter, and a RUN's commands never leave its stage.
    for stage in ctx.stages().filter(|it| in_final.get(it.index).copied().unwrap_or(false)) {
        check_stage(ctx, ctx.semantics.commands_in(stage.index), acc);
    }
}

/// Checks each RUN among `commands` (those of one stage, in order).
fn check_stage(ctx: &RuleContext<'_>, commands: &[CommandSite], acc: &mut Vec<Diagnostic>) {
    let mut idx = 0;
    while idx < commands.len() {
        let instruction = commands[idx].instruction;
        let end =
            commands[idx..].iter().position(|it| it.instruction != instruction).map_or(commands.len(), |it| idx + it);
        let group = &commands[idx..end];
        idx = end;
        let first = &group[0];
        if first.origin != CommandOrigin::Run {
            continue;
        }
        let update = group.iter().find_map(|site| {
            let name = site.command.program_name()?;
            let sub = site.command.args_after_program().iter().find(|it| !it.value.starts_with('-'))?;
            (matches!(name, "apt-get" | "apt") && sub.value == "update").then_some(site)
        });
        let Some(update) = update else { continue };
        let cleaned = group.iter().any(|site| {
            site.command.program_name() == Some("rm")
                && site.command.args_after_program().iter().any(|it| it.value.starts_with("/var/lib/apt/lists"))
        });
        let Some(inst) = ctx.parse.file.instructions.get(instruction) else { continue };
        if cleaned || has_cache_mount(inst, &["/var/lib/apt", "/var/cache/apt"]) {
            continue;
        }
        acc.push(APT_LISTS_NOT_REMOVED.report(
            update.command.range,
            "`apt-get update` leaves its package lists in the image; add `&& rm -rf /var/lib/apt/lists/*` to this RUN",
        ));
    }
}
