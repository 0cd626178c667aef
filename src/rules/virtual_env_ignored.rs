//! `UV045 virtual-env-ignored`: `VIRTUAL_ENV` names another environment than `uv sync`/`uv run` use.

use crate::diagnostic::{Applicability, Diagnostic, RelatedLocation};
use crate::rules::support_pip::{EnvFacts, EnvKind, var_at, var_def_at};
use crate::rules::support_uv::{insert_flag_fix_in, resolve};
use crate::rules::{DiagnosticExt, RuleContext, declare_rule};
use crate::semantics::{CommandOrigin, VarKind};
use crate::syntax::Keyword;

declare_rule! {
    /// ## What it flags
    /// `ENV VIRTUAL_ENV=X` followed by `uv sync` or `uv run` without `--active`, when X is not
    /// the project environment (`.venv` in the project folder, or `UV_PROJECT_ENVIRONMENT`).
    /// ## Why it matters
    /// Project commands ignore `VIRTUAL_ENV` unless told otherwise: uv prints a warning and
    /// installs into the project's `.venv`. The environment the image activates through
    /// `VIRTUAL_ENV` (and usually `PATH`) stays empty, and the application fails to import its
    /// dependencies.
    /// ## Example
    /// ```dockerfile
    /// ENV VIRTUAL_ENV=/opt/venv PATH="/opt/venv/bin:$PATH"
    /// WORKDIR /app
    /// RUN uv sync --locked
    /// ```
    /// Use instead:
    /// ```dockerfile
    /// ENV UV_PROJECT_ENVIRONMENT=/opt/venv PATH="/opt/venv/bin:$PATH"
    /// WORKDIR /app
    /// RUN uv sync --locked
    /// ```
    /// ## Fix safety
    /// Adding `--active` is unsafe: packages go to another folder than before.
    pub(crate) static VIRTUAL_ENV_IGNORED = {
        code: "UV045",
        name: "virtual-env-ignored",
        severity: Warning,
        fix: Always,
    };
}

pub(crate) fn check(ctx: &RuleContext<'_>, acc: &mut Vec<Diagnostic>) {
    let mut facts: Option<EnvFacts> = None;
    for (site, uv) in ctx.uv_commands() {
        let sync = uv.is("sync");
        if !sync && !uv.is("run") {
            continue;
        }
        if site.command.assignments.iter().any(|it| it.name == "VIRTUAL_ENV") {
            continue;
        }
        let Some(def) = var_def_at(ctx.semantics, site, "VIRTUAL_ENV") else { continue };
        if def.kind != VarKind::Env {
            continue;
        }
        let Some(value) = def.value.as_deref().filter(|it| !it.is_empty() && !it.contains('$')) else { continue };
        if ["--active", "--no-active", "--no-project", "--script", "--isolated", "--directory", "--project"]
            .iter()
            .any(|it| uv.has_flag(it))
        {
            continue;
        }
        // `uv run script.py` may run a script with its own inline metadata, outside the project.
        if uv.run_command().and_then(|it| it.first()).is_some_and(|it| it.value.ends_with(".py")) {
            continue;
        }
        let facts = facts.get_or_insert_with(|| EnvFacts::new(ctx));
        if site.origin == CommandOrigin::Run && facts.shell_changed_before(site) {
            continue;
        }
        let Some(stage) = site.stage else { continue };
        let workdir = match site.origin {
            CommandOrigin::Run => facts.workdir_at(site.instruction),
            // The container starts in the stage's last WORKDIR.
            _ => ctx
                .semantics
                .stages
                .get(stage)
                .and_then(|it| it.instructions.end.checked_sub(1))
                .and_then(|it| facts.workdir_at(it)),
        };
        let Some(workdir) = workdir else { continue };
        let Some(active) = resolve(workdir, value) else { continue };
        let project_env = match var_at(ctx, site, "UV_PROJECT_ENVIRONMENT") {
            Some(env) => match resolve(workdir, &env) {
                Some(path) => path,
                None => continue,
            },
            None => match resolve(workdir, ".venv") {
                Some(path) => path,
                None => continue,
            },
        };
        if active == project_env {
            continue;
        }
        // `uv run` outside a project uses the active environment; only speak when the project
        // is known to be there (an earlier `uv sync` in this folder, or a copied pyproject.toml).
        if !sync && !project_present(ctx, facts, site, workdir) {
            continue;
        }
        let range = uv.subcommand_range().unwrap_or(site.command.range);
        let subcommand = uv.subcommand();
        acc.push(
            VIRTUAL_ENV_IGNORED
                .report(
                    range,
                    format!(
                        "`uv {subcommand}` ignores VIRTUAL_ENV={value} and uses the project environment \
                         {project_env}; add `--active`, or set `UV_PROJECT_ENVIRONMENT={value}`"
                    ),
                )
                .with_related(RelatedLocation {
                    path: None,
                    text: None,
                    range: def.value_range.unwrap_or(def.name_range),
                    message: format!("VIRTUAL_ENV is set to {value} here"),
                })
                .with_fix(insert_flag_fix_in(ctx, uv, "--active", Applicability::Unsafe)),
        );
    }
}

/// Whether the project is in `workdir` when `site` runs: an earlier `uv sync` there, or a
/// COPY of `pyproject.toml` (or the whole context) into it.
fn project_present(
    ctx: &RuleContext<'_>,
    facts: &EnvFacts,
    site: &crate::semantics::CommandSite,
    workdir: &str,
) -> bool {
    let synced = facts
        .events_before(site)
        .iter()
        .any(|event| event.kind == EnvKind::Project && event.dir.as_deref() == Some(workdir));
    if synced {
        return true;
    }
    let Some(stage) = site.stage else { return false };
    facts.chain(stage).any(|idx| {
        let Some(stage) = ctx.semantics.stages.get(idx) else { return false };
        ctx.instructions_with_in(&[Keyword::Copy], stage.instructions.clone()).any(|(instruction_idx, instruction)| {
            if instruction.flag("from").is_some() {
                return false;
            }
            if site.origin == CommandOrigin::Run && instruction_idx >= site.instruction {
                return false;
            }
            let crate::syntax::Args::Words(words) = &instruction.args else { return false };
            let Some((dest, sources)) = words.split_last() else { return false };
            let lands = facts.workdir_at(instruction_idx).and_then(|dir| resolve(dir, &dest.value));
            lands.as_deref() == Some(workdir)
                && sources
                    .iter()
                    .any(|it| matches!(it.value.trim_end_matches('/'), "." | "pyproject.toml" | "./pyproject.toml"))
        })
    })
}
