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
    let project_has_python = ctx.project.python_version.as_ref().is_some_and(|it| it.version.is_some())
        || ctx.project.pyproject.as_ref().is_some_and(|it| it.requires_python_specifiers.is_some());
    if !project_has_python {
        return;
    }
    let facts = StageFacts::new(ctx);
    for stage in &semantics.stages {
        let Some(source) = semantics.python_source(stage.index) else { continue };
        let (source_stage, provided) = match source {
            PythonSource::Python { stage, image } => (*stage, image.version),
            PythonSource::Uv { stage, image } => (*stage, image.python.map(|(major, minor)| (major, minor, None))),
        };
        // Report once, on the FROM that names the image, and only for stages that matter.
        if source_stage != stage.index || !facts.matters(stage.index) {
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
        let consequence = if !facts.runs_uv(stage.index) {
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

/// Facts about every stage, computed in one pass so the rule stays linear in the file's size.
struct StageFacts {
    /// Per stage naming a Python image: whether it matters (uv runs in it or in a stage built
    /// on it, or one of those is the final stage).
    matters: Vec<bool>,
    /// Per stage naming a Python image: whether uv runs in it or in a stage built on it.
    runs_uv: Vec<bool>,
}

impl StageFacts {
    fn new(ctx: &RuleContext<'_>) -> StageFacts {
        let semantics = ctx.semantics;
        let count = semantics.stages.len();
        let mut facts = StageFacts { matters: vec![false; count], runs_uv: vec![false; count] };
        let mut own_uv = vec![false; count];
        for (site, _) in ctx.uv_commands() {
            if let Some(slot) = site.stage.and_then(|stage| own_uv.get_mut(stage)) {
                *slot = true;
            }
        }
        for stage in &semantics.stages {
            let source = match &stage.python {
                Some(PythonSource::Python { stage: source, .. } | PythonSource::Uv { stage: source, .. }) => *source,
                None => stage.index,
            };
            let runs_uv = own_uv[stage.index];
            let Some(slot) = facts.matters.get_mut(source) else { continue };
            *slot |= runs_uv || stage.index + 1 == count;
            facts.runs_uv[source] |= runs_uv;
        }
        facts
    }

    fn matters(&self, stage: usize) -> bool {
        self.matters.get(stage).copied().unwrap_or(false)
    }

    fn runs_uv(&self, stage: usize) -> bool {
        self.runs_uv.get(stage).copied().unwrap_or(false)
    }
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
