//! `UV042 pip-sync-system`: `uv pip sync --system` prunes the image's own packages.

use crate::diagnostic::Diagnostic;
use crate::rules::{RuleContext, declare_rule, uv_env_flag};

declare_rule! {
    /// ## What it flags
    /// `uv pip sync` into the system Python (`--system` or `UV_SYSTEM_PYTHON`).
    /// ## Why it matters
    /// `pip sync` makes the environment match the requirements exactly and uninstalls
    /// everything else. In the system interpreter that includes packages the base image or an
    /// earlier step installed (pip itself, setuptools, tools the image relies on).
    /// ## Example
    /// ```dockerfile
    /// RUN uv pip sync --system requirements.txt
    /// ```
    /// Use instead:
    /// ```dockerfile
    /// RUN uv pip install --system -r requirements.txt
    /// ```
    pub(crate) static PIP_SYNC_SYSTEM = {
        code: "UV042",
        name: "pip-sync-system",
        severity: Warning,
        fix: None,
    };
}

pub(crate) fn check(ctx: &RuleContext<'_>, acc: &mut Vec<Diagnostic>) {
    for (site, uv) in ctx.uv_commands() {
        if !uv.is("pip sync") || uv.has_flag("--dry-run") {
            continue;
        }
        let range = match uv.flag("--system") {
            Some(flag) => flag.word.range,
            None if uv_env_flag(ctx, site, "UV_SYSTEM_PYTHON").is_some() => {
                uv.subcommand_range().unwrap_or(site.command.range)
            }
            None => continue,
        };
        acc.push(PIP_SYNC_SYSTEM.report(
            range,
            "`uv pip sync` into the system Python uninstalls every package not in the requirements, including the \
             base image's own; use `uv pip install`, or a virtual environment",
        ));
    }
}
