//! `UV068 venv-over-existing-path`: `uv venv P` where P already holds an environment.

use crate::diagnostic::{Applicability, Diagnostic, RelatedLocation, Severity};
use crate::rules::support_pip::{EnvFacts, EnvKind, var_at};
use crate::rules::support_uv::{insert_flag_fix_in, is_within};
use crate::rules::{DiagnosticExt, RuleContext, declare_rule, is_truthy};
use crate::semantics::CommandOrigin;

declare_rule! {
    /// ## What it flags
    /// `uv venv P` without `--clear` or `--allow-existing` (or `UV_VENV_CLEAR`) when an earlier
    /// step already put an environment at P: another `uv venv`, a `uv sync` or `uv run` that
    /// made the project's `.venv` there, or a COPY of an environment to that path. It is an
    /// error when the stage's uv is 0.10 or newer, and a warning when the version is unknown.
    /// ## Why it matters
    /// Since uv 0.10, `uv venv` refuses to replace an existing environment unless told to, so
    /// the build stops. Older versions replaced it silently, dropping what was installed.
    /// ## Example
    /// ```dockerfile
    /// RUN uv sync --locked
    /// RUN uv venv
    /// ```
    /// Use instead:
    /// ```dockerfile
    /// RUN uv sync --locked
    /// RUN uv venv --clear
    /// ```
    /// ## Fix safety
    /// Adding `--clear` is unsafe: it deletes the packages installed in the existing
    /// environment (`--allow-existing` keeps them).
    pub(crate) static VENV_OVER_EXISTING_PATH = {
        code: "UV068",
        name: "venv-over-existing-path",
        severity: Error,
        fix: Always,
    };
}

pub(crate) fn check(ctx: &RuleContext<'_>, acc: &mut Vec<Diagnostic>) {
    let mut facts: Option<EnvFacts> = None;
    for (site, uv) in ctx.uv_commands() {
        if site.origin != CommandOrigin::Run || !uv.is("venv") {
            continue;
        }
        if ["--clear", "--allow-existing", "--help"].iter().any(|it| uv.has_flag(it)) {
            continue;
        }
        if var_at(ctx, site, "UV_VENV_CLEAR").is_some_and(|it| is_truthy(&it) || it.contains('$')) {
            continue;
        }
        let Some(stage) = site.stage else { continue };
        let facts = facts.get_or_insert_with(|| EnvFacts::new(ctx));
        let version = facts.uv_version.get(stage).copied().flatten();
        if version.is_some_and(|(major, minor, _)| (major, minor) < (0, 10)) {
            continue;
        }
        let events = facts.events_before(site);
        // The event this command itself made says where it puts the environment.
        let own = facts.events.get(stage).and_then(|events| {
            events.iter().find(|it| {
                it.instruction == site.instruction && it.offset == site.command.range.start && it.kind == EnvKind::Venv
            })
        });
        let Some(path) = own.and_then(|it| it.path.as_deref()) else { continue };
        let mut existing = None;
        for event in events {
            let Some(other) = event.path.as_deref() else { continue };
            match event.kind {
                EnvKind::Removed if is_within(path, other) => existing = None,
                EnvKind::Venv | EnvKind::Project | EnvKind::Copied if event.sure && other == path => {
                    existing = Some(event)
                }
                _ => {}
            }
        }
        let Some(existing) = existing else { continue };
        let how = match existing.kind {
            EnvKind::Venv => "an earlier `uv venv`",
            EnvKind::Project => "the project sync",
            _ => "an earlier COPY",
        };
        let range =
            uv.positionals.first().map_or_else(|| uv.subcommand_range().unwrap_or(site.command.range), |it| it.range);
        let (severity, consequence) = match version {
            Some((major, minor, patch)) => (
                Severity::Error,
                format!(
                    "uv {major}.{minor}{} refuses to replace it",
                    patch.map(|it| format!(".{it}")).unwrap_or_default()
                ),
            ),
            None => (Severity::Warning, "uv 0.10 and newer refuse to replace it".to_owned()),
        };
        acc.push(
            VENV_OVER_EXISTING_PATH
                .report(
                    range,
                    format!(
                        "{path} already holds an environment made by {how}, and {consequence}; add `--clear` to \
                         start over or `--allow-existing` to keep it"
                    ),
                )
                .with_severity(severity)
                .with_related(RelatedLocation {
                    path: None,
                    text: None,
                    range: existing.range,
                    message: format!("{path} is created here"),
                })
                .with_fix(insert_flag_fix_in(ctx, uv, "--clear", Applicability::Unsafe)),
        );
    }
}
