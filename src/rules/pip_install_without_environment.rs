//! `UV040 pip-install-without-environment`: `uv pip install` with no environment to install into.

use crate::diagnostic::{Diagnostic, RelatedLocation};
use crate::rules::support_pip::{EnvFacts, EnvKind, found_from, path_dirs, var_at};
use crate::rules::support_uv::is_within;
use crate::rules::{DiagnosticExt, RuleContext, declare_rule};
use crate::semantics::CommandOrigin;

declare_rule! {
    /// ## What it flags
    /// `uv pip install` or `uv pip sync` in a RUN where uv has no environment to use: no
    /// `--system` (or `UV_SYSTEM_PYTHON`), `--python`, `--target` or `--prefix`, no
    /// `VIRTUAL_ENV` or `CONDA_PREFIX`, no virtual environment on `PATH`, and no `.venv` in the
    /// working directory or its parents made by an earlier `uv venv` or `uv sync`.
    /// ## Why it matters
    /// Unlike pip, uv refuses to install into an interpreter it merely found on `PATH`. Without
    /// an environment the step stops with "No virtual environment found". A `uv venv /opt/venv`
    /// alone does not help: uv only looks for `.venv` folders, `VIRTUAL_ENV` and `PATH`.
    /// ## Example
    /// ```dockerfile
    /// FROM python:3.12-slim-trixie
    /// COPY --from=ghcr.io/astral-sh/uv:0.12.5 /uv /bin/
    /// RUN uv venv /opt/venv
    /// RUN uv pip install -r requirements.txt
    /// ```
    /// Use instead:
    /// ```dockerfile
    /// FROM python:3.12-slim-trixie
    /// COPY --from=ghcr.io/astral-sh/uv:0.12.5 /uv /bin/
    /// ENV VIRTUAL_ENV=/opt/venv PATH="/opt/venv/bin:$PATH"
    /// RUN uv venv /opt/venv
    /// RUN uv pip install -r requirements.txt
    /// ```
    pub(crate) static PIP_INSTALL_WITHOUT_ENVIRONMENT = {
        code: "UV040",
        name: "pip-install-without-environment",
        severity: Error,
        fix: None,
    };
}

/// Flags that name the target interpreter or folder themselves.
const TARGETING: &[&str] = &["--system", "--python", "--target", "--prefix", "--directory", "--help"];

/// Variables that choose the interpreter (any value: unknown ones count as set).
const TARGETING_VARS: &[&str] = &["UV_SYSTEM_PYTHON", "UV_PYTHON", "VIRTUAL_ENV", "CONDA_PREFIX"];

pub(crate) fn check(ctx: &RuleContext<'_>, acc: &mut Vec<Diagnostic>) {
    let mut facts: Option<EnvFacts> = None;
    for (site, uv) in ctx.uv_commands() {
        if site.origin != CommandOrigin::Run || !matches!(uv.subcommand(), "pip install" | "pip sync") {
            continue;
        }
        if TARGETING.iter().any(|it| uv.has_flag(it)) {
            continue;
        }
        if TARGETING_VARS.iter().any(|it| var_at(ctx, site, it).is_some()) {
            continue;
        }
        let Some(stage) = site.stage else { continue };
        let facts = facts.get_or_insert_with(|| EnvFacts::new(ctx));
        if !facts.base_of(stage).is_known() || facts.shell_changed_before(site) {
            continue;
        }
        let Some(cwd) = facts.workdir_at(site.instruction) else { continue };
        let Some(dirs) = path_dirs(ctx, facts, site) else { continue };
        // A folder on PATH beyond the standard ones may well be an environment's `bin`.
        if dirs.iter().any(|it| !crate::rules::support_pip::DEFAULT_PATH.contains(&it.as_str())) {
            continue;
        }
        let mut made_elsewhere = None;
        let mut found = false;
        for event in facts.events_before(site) {
            let Some(path) = &event.path else {
                found = true;
                break;
            };
            let hit = match event.kind {
                EnvKind::Venv => found_from(path, cwd),
                EnvKind::Project => {
                    found_from(path, cwd)
                        || event.dir.as_deref().is_none_or(|dir| is_within(cwd, dir) || is_within(dir, cwd))
                }
                EnvKind::Copied => is_within(cwd, path) || is_within(path, cwd),
                EnvKind::Removed => false,
            };
            if hit {
                found = true;
                break;
            }
            if event.kind == EnvKind::Venv {
                made_elsewhere = Some((path.clone(), event.range));
            }
        }
        if found {
            continue;
        }
        let range = uv.subcommand_range().unwrap_or(site.command.range);
        let subcommand = uv.subcommand();
        let mut diagnostic = match &made_elsewhere {
            Some((path, _)) => PIP_INSTALL_WITHOUT_ENVIRONMENT.report(
                range,
                format!(
                    "`uv {subcommand}` in {cwd} finds no environment: uv does not look in {path} unless \
                     `VIRTUAL_ENV` names it or its `bin` is on PATH; set `ENV VIRTUAL_ENV={path}`"
                ),
            ),
            None => PIP_INSTALL_WITHOUT_ENVIRONMENT.report(
                range,
                format!(
                    "`uv {subcommand}` in {cwd} finds no virtual environment and will stop; create one with \
                     `uv venv` or install into the image's Python with `--system`"
                ),
            ),
        };
        if let Some((path, venv_range)) = made_elsewhere {
            diagnostic = diagnostic.with_related(RelatedLocation {
                path: None,
                text: None,
                range: venv_range,
                message: format!("the environment at {path} is created here"),
            });
        }
        acc.push(diagnostic);
    }
}
