//! `PY006 venv-base-mismatch`: a venv copied into a stage whose base image has a different Python.

use crate::diagnostic::{Diagnostic, RelatedLocation};
use crate::rules::support_python::{
    CopiedVenv, copied_venvs, image_libc, image_python, image_without_python, installs_python, root_stage, stage_label,
};
use crate::rules::{DiagnosticExt, RuleContext, declare_rule};
use crate::semantics::image::{Libc, SystemPythonImage, system_python_image};
use crate::semantics::{Base, PythonSource};

declare_rule! {
    /// ## What it flags
    /// A `COPY --from=<stage>` that brings a virtual environment into a stage whose base image
    /// cannot run it: a different Python minor version (`python:3.12-slim` in the builder,
    /// `python:3.11-slim` at runtime), a different C library (Alpine's musl against Debian's
    /// glibc), an image with no Python at all (`debian:trixie-slim`, `scratch`), or one whose
    /// Python is its distribution's, under `/usr/bin` (Google's `gcr.io/distroless/python3-debian12`
    /// with Debian's 3.11, Chainguard's `cgr.dev/chainguard/python`). The uv images with Python
    /// are built on the official `python` images, so mixing the two is fine when the version and
    /// the C library agree.
    /// ## Why it matters
    /// The venv's `bin/python` is an absolute link to the builder's interpreter, such as
    /// `/usr/local/bin/python3.12`, and its compiled packages were built for that Python and that
    /// C library. In a stage that lacks the interpreter the link dangles and every entry point
    /// fails with `no such file or directory`; with another minor version or libc, imports of
    /// compiled modules fail.
    /// ## Example
    /// ```dockerfile
    /// FROM python:3.12-slim AS builder
    /// # ... uv sync ...
    /// FROM python:3.12-alpine
    /// COPY --from=builder /app/.venv /app/.venv
    /// ```
    /// Use instead:
    /// ```dockerfile
    /// FROM python:3.12-slim AS builder
    /// # ... uv sync ...
    /// FROM python:3.12-slim
    /// COPY --from=builder /app/.venv /app/.venv
    /// ```
    pub(crate) static VENV_BASE_MISMATCH = {
        code: "PY006",
        name: "venv-base-mismatch",
        severity: Error,
        fix: None,
    };
}

pub(crate) fn check(ctx: &RuleContext<'_>, acc: &mut Vec<Diagnostic>) {
    let semantics = ctx.semantics;
    if semantics.stages.len() < 2 {
        return;
    }
    for copied in copied_venvs(ctx) {
        // A venv on a uv-managed Python is PY005's business.
        if copied.venv.managed.is_some() {
            continue;
        }
        let Some(built) = semantics.python_source(copied.venv.stage) else { continue };
        let built_text = source_text(ctx, built);
        let Some((built_major, built_minor, _)) = image_python(built) else { continue };
        let mut advice = "use the builder's base image in this stage too".to_owned();
        let problem = match semantics.python_source(copied.stage) {
            Some(here) => {
                let here_text = source_text(ctx, here);
                let here_version = image_python(here);
                let (built_libc, here_libc) = (image_libc(built), image_libc(here));
                match here_version {
                    Some((major, minor, _)) if (major, minor) != (built_major, built_minor) => format!(
                        "it was built for Python {built_major}.{built_minor} ({built_text}), but this stage runs \
                         {here_text} with Python {major}.{minor}; the venv's python link and its compiled packages \
                         need {built_major}.{built_minor}"
                    ),
                    _ if is_known(built_libc) && is_known(here_libc) && built_libc != here_libc => format!(
                        "it was built on {} ({built_text}), but this stage runs {here_text} on {}; compiled packages \
                         and the interpreter path do not carry over",
                        libc_name(built_libc),
                        libc_name(here_libc)
                    ),
                    _ => continue,
                }
            }
            None => {
                let root = root_stage(semantics, copied.stage);
                let Some(root_stage) = semantics.stages.get(root) else { continue };
                let here_text = root_stage.image_expanded.as_deref().unwrap_or("scratch");
                if let Base::Image(reference) = &root_stage.base
                    && let Some(system) = system_python_image(reference)
                {
                    let built = Built { major: built_major, minor: built_minor, text: built_text };
                    let Some((problem, instead)) = system_python_problem(ctx, copied, &system, &built, here_text)
                    else {
                        continue;
                    };
                    advice = instead;
                    problem
                } else {
                    let without_python = match &root_stage.base {
                        Base::Scratch => true,
                        Base::Image(reference) => image_without_python(reference),
                        _ => false,
                    };
                    if !without_python || installs_python(ctx, copied.stage) {
                        continue;
                    }
                    format!(
                        "its python links to /usr/local/bin/python{built_major}.{built_minor} from {built_text}, but \
                         this stage's image {here_text} has no Python there"
                    )
                }
            }
        };
        let message = format!(
            "the venv {} copied from {} cannot run here: {problem}; {advice}",
            copied.venv.path,
            stage_label(semantics, copied.from)
        );
        let mut diagnostic = VENV_BASE_MISMATCH.report(copied.source_range, message);
        if let Some(image) = python_image_range(ctx, built) {
            diagnostic = diagnostic.with_related(RelatedLocation {
                path: None,
                text: None,
                range: image,
                message: "the venv's Python comes from this image".to_owned(),
            });
        }
        acc.push(diagnostic);
    }
}

/// The Python a venv was built with.
struct Built<'t> {
    major: u64,
    minor: u64,
    /// The builder's image, as written.
    text: &'t str,
}

/// What goes wrong when `copied` lands on an image with its distribution's Python under
/// `/usr/bin`, and what to do instead; `None` when nothing does.
fn system_python_problem(
    ctx: &RuleContext<'_>,
    copied: &CopiedVenv,
    system: &SystemPythonImage,
    built: &Built<'_>,
    here_text: &str,
) -> Option<(String, String)> {
    let Built { major: built_major, minor: built_minor, text: built_text } = *built;
    let distribution = system.distribution;
    let other_minor = system.python.filter(|it| *it != (built_major, built_minor));
    // With the venv's packages on PYTHONPATH the image's own Python runs them and the venv's
    // python link is never used; only the version must agree.
    let packages_only = ctx
        .semantics
        .runtime_env(copied.stage, "PYTHONPATH")
        .and_then(|it| it.value.as_deref())
        .is_some_and(|it| it.contains(copied.dest_path.as_str()));
    if packages_only {
        let (major, minor) = other_minor?;
        return Some((
            format!(
                "its packages were installed for Python {built_major}.{built_minor} ({built_text}), but {here_text} \
                 runs them with {distribution}'s Python {major}.{minor}"
            ),
            format!(
                "install the packages with Python {major}.{minor}, the one {distribution} ships, or run them on the \
                 builder's image"
            ),
        ));
    }
    let version = system.python.map(|(major, minor)| format!(" {major}.{minor}")).unwrap_or_default();
    let also = if other_minor.is_some() {
        format!(", and its compiled packages need {built_major}.{built_minor}")
    } else {
        String::new()
    };
    Some((
        format!(
            "its python links to /usr/local/bin/python{built_major}.{built_minor} from {built_text}, but {here_text} \
             has {distribution}'s Python{version} under /usr/bin, so the link dangles{also}"
        ),
        format!("create the venv with {distribution}'s own Python in the builder, or run it on the builder's image"),
    ))
}

fn is_known(libc: Libc) -> bool {
    matches!(libc, Libc::Glibc | Libc::Musl)
}

fn libc_name(libc: Libc) -> &'static str {
    match libc {
        Libc::Glibc => "glibc",
        Libc::Musl => "musl (Alpine)",
        Libc::Windows => "Windows",
        Libc::Unknown => "an unknown C library",
    }
}

fn source_stage(source: &PythonSource) -> usize {
    match source {
        PythonSource::Python { stage, .. } | PythonSource::Uv { stage, .. } => *stage,
    }
}

fn source_text<'c>(ctx: &'c RuleContext<'_>, source: &PythonSource) -> &'c str {
    ctx.semantics.stages.get(source_stage(source)).and_then(|it| it.image_expanded.as_deref()).unwrap_or_default()
}

fn python_image_range(ctx: &RuleContext<'_>, source: &PythonSource) -> Option<crate::text::TextRange> {
    ctx.semantics.stages.get(source_stage(source))?.image.as_ref().map(|it| it.range)
}
