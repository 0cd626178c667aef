//! `UV032 editable-mismatch-at-start`: a non-editable build started with an editable `uv run`.

use crate::diagnostic::{Applicability, Diagnostic, RelatedLocation};
use crate::rules::support_runtime::{image_syncs, runtime_truthy, syncing_runs};
use crate::rules::support_uv::insert_flag_fix_in;
use crate::rules::{DiagnosticExt, RuleContext, declare_rule, uv_env_flag};

declare_rule! {
    /// ## What it flags
    /// A start command `uv run` (without `--no-sync`) lacking `--no-editable` and
    /// `UV_NO_EDITABLE`, when the build installed the project with `--no-editable`.
    /// ## Why it matters
    /// `uv run` syncs with the project as an editable install, which differs from what the
    /// build installed. At every start uv rebuilds and reinstalls the project, which needs the
    /// source tree and the build backend in the image and slows the start down.
    /// ## Example
    /// ```dockerfile
    /// RUN uv sync --locked --no-editable
    /// CMD ["uv", "run", "app"]
    /// ```
    /// Use instead:
    /// ```dockerfile
    /// RUN uv sync --locked --no-editable
    /// CMD ["uv", "run", "--no-sync", "app"]
    /// ```
    /// ## Fix safety
    /// Adding `--no-editable` to `uv run` is unsafe: it still syncs, now without reinstalling
    /// the project; check that the runtime image has what the sync needs.
    pub(crate) static EDITABLE_MISMATCH_AT_START = {
        code: "UV032",
        name: "editable-mismatch-at-start",
        severity: Warning,
        fix: Always,
    };
}

pub(crate) fn check(ctx: &RuleContext<'_>, acc: &mut Vec<Diagnostic>) {
    let runs = syncing_runs(ctx);
    if runs.is_empty() {
        return;
    }
    let builds = image_syncs(ctx);
    let Some((build_site, build)) = builds
        .iter()
        .rev()
        .find(|(site, uv)| uv.has_flag("--no-editable") || uv_env_flag(ctx, site, "UV_NO_EDITABLE").is_some())
    else {
        return;
    };
    for (site, uv) in runs {
        if uv.has_flag("--no-editable") || runtime_truthy(ctx, site, "UV_NO_EDITABLE") {
            continue;
        }
        let range = uv.subcommand_range().unwrap_or(site.command.range);
        acc.push(
            EDITABLE_MISMATCH_AT_START
                .report(
                    range,
                    "the build installs the project without `--editable`, but this `uv run` wants an editable install \
                     and reinstalls the project at every start; add `--no-sync` (or `--no-editable`)",
                )
                .with_related(RelatedLocation {
                    path: None,
                    text: None,
                    range: build.flag("--no-editable").map_or(build_site.command.range, |it| it.word.range),
                    message: "the project is installed non-editable here".to_owned(),
                })
                .with_fix(insert_flag_fix_in(ctx, uv, "--no-editable", Applicability::Unsafe)),
        );
    }
}
