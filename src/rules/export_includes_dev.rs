//! `UV046 export-includes-dev`: `uv export` writes the dev dependencies too.

use crate::diagnostic::{Applicability, Diagnostic};
use crate::rules::support_uv::insert_flag_fix;
use crate::rules::{DiagnosticExt, RuleContext, declare_rule, uv_env_flag};

declare_rule! {
    /// ## What it flags
    /// `uv export` in a Dockerfile without `--no-dev` (or `UV_NO_DEV`), `--only-group`,
    /// `--no-default-groups`, or an explicit choice of groups such as `--all-groups`.
    /// ## Why it matters
    /// Like `uv sync`, `uv export` includes the `dev` group by default. The requirements file
    /// then pulls test and lint tools into the image that installs it.
    /// ## Example
    /// ```dockerfile
    /// RUN uv export --locked -o requirements.txt
    /// ```
    /// Use instead:
    /// ```dockerfile
    /// RUN uv export --locked --no-dev -o requirements.txt
    /// ```
    /// ## Fix safety
    /// Adding `--no-dev` is unsafe when the image really needs a dev dependency.
    pub(crate) static EXPORT_INCLUDES_DEV = {
        code: "UV046",
        name: "export-includes-dev",
        severity: Warning,
        fix: Always,
    };
}

const CHOSEN: &[&str] = &[
    "--no-dev",
    "--only-dev",
    "--dev",
    "--only-group",
    "--no-default-groups",
    "--all-groups",
    "--group",
    "--no-group",
    "--script",
];

pub(crate) fn check(ctx: &RuleContext<'_>, acc: &mut Vec<Diagnostic>) {
    for (site, uv) in ctx.uv_commands() {
        if !uv.is("export") || CHOSEN.iter().any(|it| uv.has_flag(it)) || uv_env_flag(ctx, site, "UV_NO_DEV").is_some()
        {
            continue;
        }
        let range = uv.subcommand_range().unwrap_or(site.command.range);
        acc.push(
            EXPORT_INCLUDES_DEV
                .report(range, "`uv export` includes the dev dependencies unless told otherwise; add `--no-dev`")
                .with_fix(insert_flag_fix(uv, "--no-dev", Applicability::Unsafe)),
        );
    }
}
