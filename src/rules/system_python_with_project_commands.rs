//! `UV043 system-python-with-project-commands`: `UV_SYSTEM_PYTHON` where only `uv sync`/`uv run` use it.

use crate::diagnostic::{Diagnostic, Tag};
use crate::rules::support_pip::var_def_at;
use crate::rules::{DiagnosticExt, RuleContext, declare_rule, is_truthy};
use crate::text::TextRange;

declare_rule! {
    /// ## What it flags
    /// `UV_SYSTEM_PYTHON` switched on (by ENV, ARG or a `UV_SYSTEM_PYTHON=1` prefix) where the
    /// only uv commands that see it are project commands such as `uv sync` and `uv run`.
    /// ## Why it matters
    /// The variable only affects the `uv pip` interface. Project commands always install into
    /// the project environment (`.venv`, or `UV_PROJECT_ENVIRONMENT`), so the setting suggests
    /// packages land in the system Python when they do not.
    /// ## Example
    /// ```dockerfile
    /// ENV UV_SYSTEM_PYTHON=1
    /// RUN uv sync --locked
    /// ```
    /// Use instead:
    /// ```dockerfile
    /// ENV UV_PROJECT_ENVIRONMENT=/usr/local
    /// RUN uv sync --locked --inexact
    /// ```
    /// or keep the `.venv` and put its `bin` on `PATH`.
    pub(crate) static SYSTEM_PYTHON_WITH_PROJECT_COMMANDS = {
        code: "UV043",
        name: "system-python-with-project-commands",
        severity: Info,
        fix: None,
    };
}

/// Commands that never read `UV_SYSTEM_PYTHON`.
const PROJECT_COMMANDS: &[&str] = &["sync", "run", "lock", "export", "add", "remove", "tree", "version", "build"];

/// uv commands that do not touch Python environments at all (neither side of the question).
const NEUTRAL: &[&str] = &["", "cache clean", "cache dir", "cache prune", "self version", "help"];

/// One place the variable is switched on, and what the commands that see it are.
struct Setting {
    range: TextRange,
    project: bool,
    other: bool,
}

pub(crate) fn check(ctx: &RuleContext<'_>, acc: &mut Vec<Diagnostic>) {
    let mut settings: Vec<Setting> = Vec::new();
    for (site, uv) in ctx.uv_commands() {
        let subcommand = uv.subcommand();
        if NEUTRAL.contains(&subcommand) {
            continue;
        }
        let range = match site.command.assignments.iter().rev().find(|it| it.name == "UV_SYSTEM_PYTHON") {
            Some(assignment) if is_truthy(&assignment.value) => assignment.range,
            Some(_) => continue,
            None => match var_def_at(ctx.semantics, site, "UV_SYSTEM_PYTHON") {
                Some(def) if def.value.as_deref().is_some_and(is_truthy) => def.name_range,
                _ => continue,
            },
        };
        let project = PROJECT_COMMANDS.contains(&subcommand);
        match settings.iter_mut().rev().find(|it| it.range == range) {
            Some(setting) => {
                setting.project |= project;
                setting.other |= !project;
            }
            None => settings.push(Setting { range, project, other: !project }),
        }
    }
    for setting in settings {
        if !setting.project || setting.other {
            continue;
        }
        acc.push(
            SYSTEM_PYTHON_WITH_PROJECT_COMMANDS
                .report(
                    setting.range,
                    "`UV_SYSTEM_PYTHON` only affects `uv pip` commands; `uv sync` and `uv run` still install into \
                     the project environment, so this setting does nothing here",
                )
                .with_tag(Tag::Unnecessary),
        );
    }
}
