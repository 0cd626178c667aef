//! `UV017 venv-in-build-context`: `COPY .` while `.dockerignore` lets a local `.venv` in.

use crate::diagnostic::{Applicability, Diagnostic, Edit, Fix, RelatedLocation};
use crate::rules::{DiagnosticExt, RuleContext, declare_rule};
use crate::text::TextRange;

declare_rule! {
    /// ## What it flags
    /// The first `COPY . …` or `ADD . …` of a Python project whose `.dockerignore` does not
    /// exclude `.venv`, or that has no `.dockerignore` at all. A Dockerfile with no Python
    /// image and no uv, pip or Python command (a front end beside the project) is left alone.
    /// ## Why it matters
    /// A virtual environment on the developer's machine is built for that machine: its
    /// interpreter links and compiled extensions do not fit the image. Copied in, it overwrites
    /// or mixes with the environment uv built in the image, and it bloats the build context.
    /// ## Example
    /// ```dockerfile
    /// COPY . .
    /// ```
    /// with a `.dockerignore` that lacks `.venv`.
    ///
    /// Use instead: add `.venv` to `.dockerignore`.
    /// ## Fix safety
    /// Adding `.venv` to an existing `.dockerignore` is safe for builds that create their
    /// environment with uv.
    pub(crate) static VENV_IN_BUILD_CONTEXT = {
        code: "UV017",
        name: "venv-in-build-context",
        severity: Info,
        fix: Sometimes,
    };
}

pub(crate) fn check(ctx: &RuleContext<'_>, acc: &mut Vec<Diagnostic>) {
    if ctx.project.pyproject.is_none() || ctx.is_project_file_excluded(".venv") || !builds_python(ctx) {
        return;
    }
    let layout = ctx.uv_layout();
    let whole = layout.copies.all().filter(|event| event.from.is_none()).find_map(|event| {
        event.sources.iter().find(|source| {
            let clean = crate::rules::support_uv::without_dot_slashes(source.value);
            ctx.project.is_whole_project_source(clean)
        })
    });
    let Some(source) = whole else { return };
    // Patterns are written from the context, which may be a folder above the project.
    let venv = ctx.project.in_context(".venv");
    let what = match crate::rules::support_uv::without_dot_slashes(source.value).trim_end_matches('/') {
        "" | "." => "the whole build context",
        _ => "the project's folder",
    };
    let Some(ignore) = &ctx.project.dockerignore else {
        acc.push(VENV_IN_BUILD_CONTEXT.report(
            source.range,
            format!(
                "this copies {what}, and without a .dockerignore a local .venv comes along; create a .dockerignore that \
                 lists {venv}"
            ),
        ));
        return;
    };
    let text = &ignore.file.text;
    let new_text = if text.is_empty() || text.ends_with('\n') { format!("{venv}\n") } else { format!("\n{venv}\n") };
    let diagnostic = VENV_IN_BUILD_CONTEXT
        .report(
            source.range,
            format!(
                "this copies {what}, and .dockerignore does not exclude {venv}, so a local virtual environment comes \
                 along; add {venv} to .dockerignore"
            ),
        )
        .with_related(RelatedLocation {
            path: Some(ignore.file.path.clone()),
            text: Some(text.clone()),
            range: TextRange::empty(0),
            message: ".dockerignore has no pattern for .venv".to_owned(),
        })
        .with_fix(Fix {
            title: "Add `.venv` to .dockerignore".to_owned(),
            applicability: Applicability::Safe,
            edits: vec![Edit { path: Some(ignore.file.path.clone()), range: TextRange::empty(text.len()), new_text }],
        });
    acc.push(diagnostic);
}

/// Whether the file has anything to do with Python: a Python or uv image, or a command that runs
/// uv, pip or Python. A Node or Go image next to a pyproject.toml (a web front end in the same
/// repository) is not this project's build, and its context is usually a folder of its own.
fn builds_python(ctx: &RuleContext<'_>) -> bool {
    ctx.semantics.stages.iter().any(|stage| stage.python.is_some())
        || ctx.semantics.commands.iter().any(|site| {
            site.command.program_name().is_some_and(|program| {
                matches!(program, "uv" | "uvx" | "pip" | "pip3" | "python" | "python3" | "poetry" | "pdm" | "pipx")
                    || program.starts_with("python3.")
            })
        })
}
