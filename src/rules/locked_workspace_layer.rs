//! `UV004 locked-workspace-layer`: `--locked` in a workspace's dependency layer that lacks the members.

use crate::diagnostic::{Applicability, Diagnostic, Edit, Fix, RelatedLocation};
use crate::rules::support_uv::is_within;
use crate::rules::{DiagnosticExt, RuleContext, declare_rule, uv_env_flag};
use crate::syntax::Keyword;

declare_rule! {
    /// ## What it flags
    /// `uv sync --locked --no-install-workspace` (or `--no-install-project`, or `UV_LOCKED`) in
    /// a uv workspace when only root-level files such as pyproject.toml and uv.lock have been
    /// copied or mounted so far, so the members' pyproject.toml files are missing.
    /// ## Why it matters
    /// To check that uv.lock is up to date, uv needs the metadata of every workspace member.
    /// Without the members it sees a workspace that does not match the lockfile and stops with an
    /// error. uv's Docker guide uses `--frozen` for this intermediate layer and leaves the check
    /// to the final sync, once the whole workspace is in place.
    /// ## Example
    /// ```dockerfile
    /// COPY pyproject.toml uv.lock ./
    /// RUN uv sync --locked --no-install-workspace
    /// ```
    /// Use instead:
    /// ```dockerfile
    /// COPY pyproject.toml uv.lock ./
    /// RUN uv sync --frozen --no-install-workspace
    /// ```
    /// ## Fix safety
    /// Replacing `--locked` with `--frozen` is unsafe: this layer no longer notices a stale
    /// lockfile, so a later sync with `--locked` must do that.
    pub(crate) static LOCKED_WORKSPACE_LAYER = {
        code: "UV004",
        name: "locked-workspace-layer",
        severity: Error,
        fix: Sometimes,
    };
}

pub(crate) fn check(ctx: &RuleContext<'_>, acc: &mut Vec<Diagnostic>) {
    let Some(pyproject) = &ctx.project.pyproject else { return };
    let Some(members) = pyproject.tool_uv.as_ref().and_then(|it| it.workspace_members.as_ref()) else { return };
    if members.is_empty() {
        return;
    }
    for (site, uv) in ctx.uv_commands() {
        if !uv.is("sync") || !(uv.has_flag("--no-install-workspace") || uv.has_flag("--no-install-project")) {
            continue;
        }
        let locked_flag = uv.flag("--locked");
        let locked_env = uv_env_flag(ctx, site, "UV_LOCKED");
        if locked_flag.is_none() && locked_env.is_none() {
            continue;
        }
        if uv.has_flag("--frozen") || uv_env_flag(ctx, site, "UV_FROZEN").is_some() {
            continue;
        }
        let Some(stage) = site.stage else { continue };
        let layout = ctx.uv_layout();
        // Only root-level files may have arrived: any folder, path or whole-context copy could
        // bring the members along.
        let only_root_files = |source: &str| {
            let clean = crate::rules::support_uv::without_dot_slashes(source);
            !clean.is_empty() && clean != "." && !clean.contains(['/', '$', '*', '?']) && clean.contains('.')
        };
        let Some(dir) = ctx.workdir_at(site.instruction).map(str::to_owned) else { continue };
        let copies_ok = layout.copies_before(ctx.semantics, stage, site.instruction).all(|event| {
            // Copies elsewhere (uv's binaries into /bin) cannot bring members into the project.
            let unrelated = event.dest.as_deref().is_some_and(|dest| !is_within(&dir, dest) && !is_within(dest, &dir));
            unrelated || (event.from.is_none() && event.sources.iter().all(|it| only_root_files(it.value)))
        });
        let instruction = ctx.parse.file.instructions.get(site.instruction);
        let mounts_ok = instruction.is_some_and(|it| it.keyword == Keyword::Run)
            && ctx.mounts_of(site.instruction).iter().all(|mount| {
                mount.kind != "bind" || (mount.from.is_none() && mount.source.as_deref().is_some_and(only_root_files))
            });
        if !copies_ok || !mounts_ok {
            continue;
        }
        let range = match locked_flag {
            Some(flag) => flag.word.range,
            None => uv.subcommand_range().unwrap_or(site.command.range),
        };
        let members_text = members.iter().map(|it| it.value.as_str()).collect::<Vec<_>>().join(", ");
        let mut diagnostic = LOCKED_WORKSPACE_LAYER
            .report(
                range,
                format!(
                    "`--locked` cannot check uv.lock here: the workspace members ({members_text}) are not in the image \
                     yet, so uv stops with an error; use `--frozen` for this dependency layer"
                ),
            )
            .with_related(RelatedLocation {
                path: Some(pyproject.file.path.clone()),
                text: Some(pyproject.file.text.clone()),
                range: members
                    .first()
                    .map_or(pyproject.tool_uv.as_ref().map(|it| it.range).unwrap_or_default(), |it| it.range),
                message: "the workspace members are declared here".to_owned(),
            });
        if let Some(flag) = locked_flag
            && flag.word.value == "--locked"
        {
            diagnostic = diagnostic.with_fix(Fix {
                title: "Replace `--locked` with `--frozen`".to_owned(),
                applicability: Applicability::Unsafe,
                edits: vec![Edit { path: None, range: flag.word.range, new_text: "--frozen".to_owned() }],
            });
        }
        acc.push(diagnostic);
    }
}
