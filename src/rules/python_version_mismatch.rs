//! `PY001 python-version-mismatch`: the base image's Python is not the one the project asks for.

use std::str::FromStr;

use crate::diagnostic::{Diagnostic, RelatedLocation, Severity};
use crate::project::PythonVersion;
use crate::rules::{DiagnosticExt, RuleContext, declare_rule};
use crate::semantics::{PythonSource, Semantics};

declare_rule! {
    /// ## What it flags
    /// A `FROM` whose image carries a Python that differs from the project's `.python-version`
    /// pin or falls outside `requires-python` in pyproject.toml. The image's Python is read from
    /// `python:X.Y…` tags and from `ghcr.io/astral-sh/uv:…pythonX.Y…` tags, after ARG defaults
    /// are substituted, following `FROM <stage>` chains.
    /// ## Why it matters
    /// uv honours the project's pin, not the image. When the image's interpreter does not match,
    /// `uv sync` quietly downloads a second CPython into `/root/.local/share/uv/python` (a bigger
    /// image, and a venv whose interpreter vanishes when only `.venv` is copied to a runtime
    /// stage), or fails outright when Python downloads are disabled.
    /// ## Example
    /// With `.python-version` containing `3.10`:
    /// ```dockerfile
    /// FROM python:3.12-slim
    /// ```
    /// Use instead:
    /// ```dockerfile
    /// FROM python:3.10-slim
    /// ```
    pub(crate) static PYTHON_VERSION_MISMATCH = {
        code: "PY001",
        name: "python-version-mismatch",
        severity: Warning,
        fix: None,
    };
}

pub(crate) fn check(ctx: &RuleContext<'_>, acc: &mut Vec<Diagnostic>) {
    let semantics = ctx.semantics;
    for stage in &semantics.stages {
        let Some(source) = semantics.python_source(stage.index) else { continue };
        let (source_stage, provided) = match &source {
            PythonSource::Python { stage, image } => (*stage, image.version),
            PythonSource::Uv { stage, image } => (*stage, image.python.map(|(major, minor)| (major, minor, None))),
        };
        // Report once, on the FROM that names the image, and only for stages that matter.
        if source_stage != stage.index || !stage_matters(semantics, stage.index) {
            continue;
        }
        let Some((major, minor, patch)) = provided else { continue };
        let Some(image) = &stage.image else { continue };
        let image_text = stage.image_expanded.as_deref().unwrap_or(&image.value);
        let provided_text = match patch {
            Some(patch) => format!("{major}.{minor}.{patch}"),
            None => format!("{major}.{minor}"),
        };

        let mut problems = Vec::new();
        let mut related = Vec::new();
        if let Some(pin_file) = &ctx.project.python_version
            && let (Some(pin), Some(request)) = (pin_file.version, &pin_file.request)
            && !pin_matches(pin, major, minor, patch)
        {
            problems.push(format!(".python-version pins {}", request.value));
            related.push(RelatedLocation {
                path: Some(pin_file.file.path.clone()),
                text: Some(pin_file.file.text.clone()),
                range: request.range,
                message: format!("the project pins Python {} here", request.value),
            });
        }
        if let Some(pyproject) = &ctx.project.pyproject
            && let (Some(specifiers), Some(written)) =
                (&pyproject.requires_python_specifiers, &pyproject.requires_python)
            && !specifiers_allow(specifiers, major, minor, patch)
        {
            problems.push(format!("requires-python is `{}`", written.value));
            related.push(RelatedLocation {
                path: Some(pyproject.file.path.clone()),
                text: Some(pyproject.file.text.clone()),
                range: written.range,
                message: format!("requires-python `{}` excludes Python {provided_text}", written.value),
            });
        }
        if problems.is_empty() {
            continue;
        }
        let downloads_off = python_downloads_disabled(semantics, stage.index);
        let consequence = if !runs_uv(semantics, stage.index) {
            "this stage would run the project on a Python it was not pinned to"
        } else if downloads_off {
            "uv will refuse to use it and, with Python downloads disabled, the build fails"
        } else {
            "uv will download a separate CPython instead of using the image's"
        };
        let message =
            format!("{image_text} provides Python {provided_text}, but {}; {consequence}", problems.join(" and "));
        let mut diagnostic = PYTHON_VERSION_MISMATCH.report(image.range, message);
        if downloads_off {
            diagnostic = diagnostic.with_severity(Severity::Error);
        }
        for it in related {
            diagnostic = diagnostic.with_related(it);
        }
        acc.push(diagnostic);
    }
}

/// A stage matters when it runs uv, is the final stage, or is the base of one that does.
fn stage_matters(semantics: &Semantics, stage: usize) -> bool {
    let last = semantics.stages.len().saturating_sub(1);
    inheritors(semantics, stage).any(|other| other == last || stage_runs_uv(semantics, other))
}

/// Whether uv runs in `stage` or in a stage built on it.
fn runs_uv(semantics: &Semantics, stage: usize) -> bool {
    inheritors(semantics, stage).any(|other| stage_runs_uv(semantics, other))
}

/// `stage` and every stage whose Python comes from it.
fn inheritors(semantics: &Semantics, stage: usize) -> impl Iterator<Item = usize> + '_ {
    semantics.stages.iter().map(|it| it.index).filter(move |&other| match semantics.python_source(other) {
        Some(PythonSource::Python { stage: source, .. } | PythonSource::Uv { stage: source, .. }) => source == stage,
        None => other == stage,
    })
}

fn stage_runs_uv(semantics: &Semantics, stage: usize) -> bool {
    semantics.commands_in(stage).any(|site| site.command.as_uv().is_some())
}

fn pin_matches(pin: PythonVersion, major: u64, minor: u64, patch: Option<u64>) -> bool {
    if pin.major != major {
        return false;
    }
    if pin.minor != minor {
        return false;
    }
    match (pin.patch, patch) {
        (Some(want), Some(have)) => want == have,
        _ => true,
    }
}

/// Whether some release of `major.minor` (or exactly `major.minor.patch`) satisfies the specifiers.
fn specifiers_allow(specifiers: &pep440_rs::VersionSpecifiers, major: u64, minor: u64, patch: Option<u64>) -> bool {
    let candidates: Vec<String> = match patch {
        Some(patch) => vec![format!("{major}.{minor}.{patch}")],
        None => vec![format!("{major}.{minor}.0"), format!("{major}.{minor}.1"), format!("{major}.{minor}.99")],
    };
    candidates
        .iter()
        .filter_map(|it| pep440_rs::Version::from_str(it).ok())
        .any(|version| specifiers.contains(&version))
}

fn python_downloads_disabled(semantics: &Semantics, stage: usize) -> bool {
    let value = |name: &str| semantics.build_var(stage, usize::MAX, name).and_then(|def| def.value.as_deref());
    let downloads_never = value("UV_PYTHON_DOWNLOADS").is_some_and(|it| {
        matches!(it.to_ascii_lowercase().as_str(), "never" | "0" | "false" | "no" | "n" | "f" | "off")
    });
    let system_only = value("UV_PYTHON_PREFERENCE").is_some_and(|it| it.eq_ignore_ascii_case("only-system"));
    let no_managed = value("UV_NO_MANAGED_PYTHON").is_some_and(super::is_truthy);
    downloads_never || system_only || no_managed
}
