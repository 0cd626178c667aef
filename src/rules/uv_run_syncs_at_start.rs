//! `UV030 uv-run-syncs-at-start`: the container starts with a `uv run` that syncs first.

use crate::diagnostic::{Applicability, Diagnostic};
use crate::rules::support_runtime::syncing_runs;
use crate::rules::support_uv::insert_flag_fix_in;
use crate::rules::{DiagnosticExt, RuleContext, declare_rule};

declare_rule! {
    /// ## What it flags
    /// A `CMD` or `ENTRYPOINT` of the final image that starts the app with `uv run` without
    /// `--no-sync` and without `UV_NO_SYNC` in the image's environment.
    /// ## Why it matters
    /// `uv run` locks and syncs the project before running the command. In a container that
    /// means checking (and possibly rewriting) uv.lock, perhaps reaching the package index, and
    /// writing into the environment at every start: slower starts, failures without network
    /// or with a read-only filesystem, and an environment that can differ from the one built.
    /// ## Example
    /// ```dockerfile
    /// CMD ["uv", "run", "uvicorn", "app:app"]
    /// ```
    /// Use instead:
    /// ```dockerfile
    /// CMD ["uv", "run", "--no-sync", "uvicorn", "app:app"]
    /// ```
    /// or put the environment's `bin` folder on `PATH` and start the app directly.
    /// ## Fix safety
    /// Adding `--no-sync` is unsafe: if the build did not install everything the command needs,
    /// the app now fails instead of installing it at start.
    pub(crate) static UV_RUN_SYNCS_AT_START = {
        code: "UV030",
        name: "uv-run-syncs-at-start",
        severity: Warning,
        fix: Always,
    };
}

pub(crate) fn check(ctx: &RuleContext<'_>, acc: &mut Vec<Diagnostic>) {
    for (site, uv) in syncing_runs(ctx) {
        let range = uv.subcommand_range().unwrap_or(site.command.range);
        let range = uv.program.range.cover(range);
        let fix = insert_flag_fix_in(ctx, uv, "--no-sync", Applicability::Unsafe);
        acc.push(
            UV_RUN_SYNCS_AT_START
                .report(
                    range,
                    "`uv run` syncs the project every time the container starts (lockfile check, possible downloads, \
                     writes to the environment); add `--no-sync` or set `UV_NO_SYNC=1`",
                )
                .with_fix(fix),
        );
    }
}
