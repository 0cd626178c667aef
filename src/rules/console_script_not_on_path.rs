//! `PY008 console-script-not-on-path`: the container starts a venv's console script by name, but the venv is not on PATH.

use crate::diagnostic::Diagnostic;
use crate::rules::support_python::{copied_venvs, resolve_path};
use crate::rules::{RuleContext, declare_rule};
use crate::semantics::CommandOrigin;

/// Console scripts that come from Python packages, never from the base image.
const KNOWN_SCRIPTS: &[&str] = &[
    "uvicorn",
    "gunicorn",
    "fastapi",
    "flask",
    "celery",
    "daphne",
    "hypercorn",
    "granian",
    "streamlit",
    "django-admin",
    "alembic",
    "waitress-serve",
    "jupyter",
    "jupyter-lab",
    "dagster",
    "prefect",
    "airflow",
    "pytest",
    "dramatiq",
    "rq",
    "huey_consumer",
    "litestar",
    "panel",
    "gradio",
    "chainlit",
    "mkdocs",
];

/// Directories on PATH when no ENV changes it (the python and Debian images' default).
const DEFAULT_PATH: &str = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

declare_rule! {
    /// ## What it flags
    /// A final-stage `CMD` or `ENTRYPOINT` that starts a well-known console script by its bare
    /// name (`uvicorn`, `gunicorn`, `fastapi`, `celery`…) when the stage holds a virtual
    /// environment (synced there or copied from a builder) whose `bin` folder is not on `PATH`,
    /// and nothing in the stage installs that program elsewhere.
    /// ## Why it matters
    /// `uv sync` installs the project's scripts into the venv's `bin`, not into `/usr/local/bin`.
    /// Without that folder on `PATH` the container fails at start with `executable file not
    /// found in $PATH`.
    /// ## Example
    /// ```dockerfile
    /// COPY --from=builder /app/.venv /app/.venv
    /// CMD ["uvicorn", "main:app"]
    /// ```
    /// Use instead:
    /// ```dockerfile
    /// COPY --from=builder /app/.venv /app/.venv
    /// ENV PATH="/app/.venv/bin:$PATH"
    /// CMD ["uvicorn", "main:app"]
    /// ```
    pub(crate) static CONSOLE_SCRIPT_NOT_ON_PATH = {
        code: "PY008",
        name: "console-script-not-on-path",
        severity: Warning,
        fix: None,
    };
}

pub(crate) fn check(ctx: &RuleContext<'_>, acc: &mut Vec<Diagnostic>) {
    let semantics = ctx.semantics;
    let Some(last) = semantics.final_stage() else { return };
    let stage = last.index;
    if !ctx.in_focus(stage) {
        return;
    }
    // The command that starts the container: ENTRYPOINT when there is one, else CMD.
    let starts: Vec<_> = semantics.commands_in(stage).iter().filter(|site| !site.command.words.is_empty()).collect();
    let has_entrypoint = starts.iter().any(|site| site.origin == CommandOrigin::Entrypoint);
    let wanted = if has_entrypoint { CommandOrigin::Entrypoint } else { CommandOrigin::Cmd };
    let Some(last_instruction) = starts.iter().filter(|site| site.origin == wanted).map(|site| site.instruction).max()
    else {
        return;
    };
    let sites: Vec<_> = starts.iter().filter(|site| site.instruction == last_instruction).collect();
    // `. .venv/bin/activate && uvicorn …` puts the venv on PATH itself.
    if sites.iter().any(|site| matches!(site.command.program_name(), Some("." | "source"))) {
        return;
    }
    let layout = ctx.py_layout();
    let mut venvs: Vec<String> = layout.venvs_in(semantics, stage).into_iter().map(|it| it.path).collect();
    venvs.extend(copied_venvs(ctx).iter().filter(|it| it.stage == stage).map(|it| it.dest_path.clone()));
    if venvs.is_empty() {
        return;
    }
    let workdir = layout.workdir(semantics, stage, usize::MAX);
    let path = semantics.runtime_env(stage, "PATH").and_then(|def| def.value.clone());
    let path = path.as_deref().unwrap_or(DEFAULT_PATH);
    let entries: Vec<String> =
        path.split(':').filter(|it| !it.is_empty()).map(|it| resolve_path(workdir, it)).collect();
    if venvs.iter().any(|venv| entries.iter().any(|entry| *entry == format!("{}/bin", venv.trim_end_matches('/')))) {
        return;
    }
    for site in sites {
        let Some(program) = site.command.program() else { continue };
        let name = program.value.as_str();
        if !KNOWN_SCRIPTS.contains(&name) {
            continue;
        }
        // Installed some other way (`pip install gunicorn`, `uv tool install`, apt), in a
        // stage the final one is built on or copies from (or one those copy from, and so on).
        let installed_elsewhere = ctx.commands().any(|(_, other)| {
            other.origin == CommandOrigin::Run
                && other.stage.is_some_and(|it| ctx.same_component(it, stage))
                && other.command.words.iter().any(|word| {
                    word.value == name
                        || word.value.strip_prefix(name).is_some_and(|rest| rest.starts_with(['=', '<', '>', '~', '[']))
                })
        });
        if installed_elsewhere {
            continue;
        }
        let venv = &venvs[0];
        let message = format!(
            "`{name}` is installed in the venv at {venv}, but {venv}/bin is not on PATH, so the container fails to \
             start; add `ENV PATH=\"{venv}/bin:$PATH\"` or run `{venv}/bin/{name}`"
        );
        acc.push(CONSOLE_SCRIPT_NOT_ON_PATH.report(program.range, message));
    }
}
