//! `UV031 dev-dependencies-at-start`: the build leaves out dev dependencies, the start command adds them back.

use crate::diagnostic::{Applicability, Diagnostic, RelatedLocation};
use crate::rules::support_runtime::{image_syncs, runtime_truthy, syncing_runs};
use crate::rules::support_uv::insert_flag_fix_in;
use crate::rules::{DiagnosticExt, RuleContext, declare_rule, uv_env_flag};

declare_rule! {
    /// ## What it flags
    /// A start command `uv run` (without `--no-sync`) that would install the `dev` group, when
    /// the build's `uv sync` left it out with `--no-dev`, `--only-group`,
    /// `--no-default-groups` or `UV_NO_DEV` set only for the build.
    /// ## Why it matters
    /// `uv run` syncs with the default groups, which include `dev`. The container therefore
    /// downloads and installs test and lint tools at every start, which is slow, needs network
    /// access, and puts development packages into production.
    /// ## Example
    /// ```dockerfile
    /// RUN uv sync --locked --no-dev
    /// CMD ["uv", "run", "app"]
    /// ```
    /// Use instead:
    /// ```dockerfile
    /// ENV UV_NO_DEV=1
    /// RUN uv sync --locked
    /// CMD ["uv", "run", "app"]
    /// ```
    /// ## Fix safety
    /// Adding `--no-dev` to `uv run` is unsafe when the app really needs a dev package.
    pub(crate) static DEV_DEPENDENCIES_AT_START = {
        code: "UV031",
        name: "dev-dependencies-at-start",
        severity: Warning,
        fix: Always,
    };
}

const EXCLUDE_DEV: &[&str] = &["--no-dev", "--only-group", "--no-default-groups", "--no-group", "--only-dev"];

pub(crate) fn check(ctx: &RuleContext<'_>, acc: &mut Vec<Diagnostic>) {
    let runs = syncing_runs(ctx);
    if runs.is_empty() {
        return;
    }
    let builds = image_syncs(ctx);
    let Some((build_site, build)) = builds.iter().rev().find(|(site, uv)| {
        EXCLUDE_DEV.iter().any(|flag| uv.has_flag(flag)) || uv_env_flag(ctx, site, "UV_NO_DEV").is_some()
    }) else {
        return;
    };
    for (site, uv) in runs {
        if EXCLUDE_DEV.iter().any(|flag| uv.has_flag(flag)) || runtime_truthy(ctx, site, "UV_NO_DEV") {
            continue;
        }
        let range = uv.subcommand_range().unwrap_or(site.command.range);
        let build_range = build.subcommand_range().unwrap_or(build_site.command.range);
        acc.push(
            DEV_DEPENDENCIES_AT_START
                .report(
                    range,
                    "the build leaves out the dev dependencies, but this `uv run` syncs the default groups and \
                     installs them when the container starts; add `--no-dev` or set `ENV UV_NO_DEV=1`",
                )
                .with_related(RelatedLocation {
                    path: None,
                    text: None,
                    range: build_range,
                    message: "the build excludes the dev dependencies here".to_owned(),
                })
                .with_fix(insert_flag_fix_in(ctx, uv, "--no-dev", Applicability::Unsafe)),
        );
    }
}
