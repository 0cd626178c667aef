//! `PY007 venv-moved`: a venv copied from another stage to a different path.

use crate::diagnostic::{Applicability, Diagnostic, Edit, Fix, RelatedLocation, Severity};
use crate::rules::support_python::{copied_venvs, resolve_path, stage_label};
use crate::rules::{DiagnosticExt, RuleContext, declare_rule};
use crate::semantics::CommandOrigin;

declare_rule! {
    /// ## What it flags
    /// A `COPY --from=<stage>` that puts a virtual environment at another path than the one it
    /// was created at, such as `COPY --from=builder /app/.venv /opt/venv`, unless it was made
    /// relocatable (`uv venv --relocatable` or `UV_VENV_RELOCATABLE`).
    /// ## Why it matters
    /// The console scripts in a venv's `bin` (`uvicorn`, `gunicorn`, the project's own
    /// commands) start with a shebang holding the venv's absolute path, `#!/app/.venv/bin/python`.
    /// Moved elsewhere they fail with `no such file or directory`, even though `python -m …`
    /// still works.
    /// ## Example
    /// ```dockerfile
    /// COPY --from=builder /app/.venv /opt/venv
    /// ```
    /// Use instead:
    /// ```dockerfile
    /// COPY --from=builder /app/.venv /app/.venv
    /// ```
    /// ## Fix safety
    /// Copying to the original path is unsafe: `PATH` entries and commands that name the new
    /// path must be changed as well.
    pub(crate) static VENV_MOVED = {
        code: "PY007",
        name: "venv-moved",
        severity: Warning,
        fix: Sometimes,
    };
}

pub(crate) fn check(ctx: &RuleContext<'_>, acc: &mut Vec<Diagnostic>) {
    let semantics = ctx.semantics;
    if semantics.stages.len() < 2 {
        return;
    }
    for copied in copied_venvs(ctx) {
        if copied.venv.relocatable || copied.dest_path == copied.venv.path {
            continue;
        }
        let message = format!(
            "the venv made at {} in {} lands at {} here, but its console scripts still start with \
             `#!{}/bin/python` and fail to start; copy it to {}, or create it with `uv venv --relocatable`",
            copied.venv.path,
            stage_label(semantics, copied.from),
            copied.dest_path,
            copied.venv.path,
            copied.venv.path
        );
        let mut diagnostic = VENV_MOVED.report(copied.source_range, message).with_related(RelatedLocation {
            path: None,
            text: None,
            range: copied.venv.range,
            message: format!("the venv is created at {} here", copied.venv.path),
        });
        // Only `python …` entry points in this stage: the moved shebangs may never be used.
        let entry_points: Vec<_> = semantics
            .commands_in(copied.stage)
            .iter()
            .filter(|site| matches!(site.origin, CommandOrigin::Cmd | CommandOrigin::Entrypoint))
            .collect();
        if !entry_points.is_empty()
            && entry_points.iter().all(|site| site.command.program_name().is_some_and(|it| it.starts_with("python")))
        {
            diagnostic = diagnostic.with_severity(Severity::Info);
        }
        // The COPY names the venv itself: point the destination back at the original path.
        if let Some(copy) = ctx.parse.file.instructions.get(copied.instruction)
            && let crate::syntax::Args::Words(words) = &copy.args
            && let (Some(source), Some(dest)) = (words.iter().find(|it| it.range == copied.source_range), words.last())
            && resolve_path("/", &source.value) == copied.venv.path
            && words.len() == 2
            && dest.raw == dest.value
        {
            diagnostic = diagnostic.with_fix(Fix {
                title: format!("Copy the venv to {}", copied.venv.path),
                applicability: Applicability::Unsafe,
                edits: vec![Edit { path: None, range: dest.range, new_text: copied.venv.path.clone() }],
            });
        }
        acc.push(diagnostic);
    }
}
