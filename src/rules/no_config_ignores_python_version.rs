//! `UV069 no-config-ignores-python-version`: `UV_NO_CONFIG` also turns off `.python-version`.

use crate::diagnostic::{Diagnostic, RelatedLocation};
use crate::rules::support_pip::{var_at, var_def_at};
use crate::rules::{DiagnosticExt, RuleContext, declare_rule, is_truthy};
use crate::text::TextRange;

declare_rule! {
    /// ## What it flags
    /// `UV_NO_CONFIG` switched on (by ENV, ARG or a `UV_NO_CONFIG=1` prefix) for uv commands that
    /// choose a Python (`uv sync`, `uv run`, `uv venv`, `uv python install`, ...) in a project
    /// that has a `.python-version` file.
    /// ## Why it matters
    /// Besides `uv.toml` and `[tool.uv]`, `UV_NO_CONFIG` makes uv skip `.python-version`. The
    /// pinned interpreter is then not requested, and uv may pick (or download) another one.
    /// ## Example
    /// ```dockerfile
    /// ENV UV_NO_CONFIG=1
    /// RUN uv sync --locked
    /// ```
    /// Use instead:
    /// ```dockerfile
    /// ENV UV_PYTHON=3.12
    /// RUN uv sync --locked
    /// ```
    pub(crate) static NO_CONFIG_IGNORES_PYTHON_VERSION = {
        code: "UV069",
        name: "no-config-ignores-python-version",
        severity: Info,
        fix: None,
    };
}

/// Commands that read `.python-version` when choosing an interpreter.
const CHOOSE_PYTHON: &[&str] =
    &["sync", "run", "venv", "lock", "add", "remove", "export", "python install", "python find", "tool run"];

pub(crate) fn check(ctx: &RuleContext<'_>, acc: &mut Vec<Diagnostic>) {
    let Some(pin_file) = &ctx.project.python_version else { return };
    let Some(request) = &pin_file.request else { return };
    let mut reported: Vec<TextRange> = Vec::new();
    for (site, uv) in ctx.uv_commands() {
        if !CHOOSE_PYTHON.contains(&uv.subcommand())
            || uv.has_flag("--python")
            || var_at(ctx, site, "UV_PYTHON").is_some()
        {
            continue;
        }
        let range = match site.command.assignments.iter().rev().find(|it| it.name == "UV_NO_CONFIG") {
            Some(assignment) if is_truthy(&assignment.value) => assignment.range,
            Some(_) => continue,
            None => match var_def_at(ctx.semantics, site, "UV_NO_CONFIG") {
                Some(def) if def.value.as_deref().is_some_and(is_truthy) => def.name_range,
                _ => continue,
            },
        };
        if reported.last() == Some(&range) || reported.contains(&range) {
            continue;
        }
        reported.push(range);
        acc.push(
            NO_CONFIG_IGNORES_PYTHON_VERSION
                .report(
                    range,
                    format!(
                        "`UV_NO_CONFIG` also makes uv skip .python-version, so the pinned `{}` is not requested; set \
                         `UV_PYTHON` or pass `--python` if the pin should still apply",
                        request.value
                    ),
                )
                .with_related(RelatedLocation {
                    path: Some(pin_file.file.path.clone()),
                    text: Some(pin_file.file.text.clone()),
                    range: request.range,
                    message: "the ignored pin".to_owned(),
                }),
        );
    }
}
