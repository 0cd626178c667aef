//! `PY001 python-version-mismatch`: the base image's Python is not the one the project asks for.

use crate::diagnostic::{Diagnostic, RelatedLocation, Severity};
use crate::rules::support_python::{DEFAULT_PYTHON_INSTALL_DIR, is_never, pin_met};
use crate::rules::{DiagnosticExt, RuleContext, declare_rule};
use crate::semantics::{PythonSource, Semantics, expand};

declare_rule! {
    /// ## What it flags
    /// A `FROM` whose image carries a Python that differs from the project's `.python-version`
    /// pin or falls outside `requires-python` in pyproject.toml. The image's Python is read from
    /// `python:X.Y…` tags and from `ghcr.io/astral-sh/uv:…pythonX.Y…` tags, after ARG defaults
    /// are substituted, following `FROM <stage>` chains. A patch pin such as `3.12.7` needs a tag
    /// naming that same patch release: `python:3.12-slim` moves on to newer patches, which do not
    /// meet an exact pin.
    /// ## Why it matters
    /// uv honours the project's pin, not the image. When the image's interpreter does not match,
    /// `uv sync` quietly downloads a second CPython into `/root/.local/share/uv/python` (or
    /// `UV_PYTHON_INSTALL_DIR`): a bigger image, and a venv whose interpreter vanishes when only
    /// `.venv` is copied to a runtime stage. With Python downloads disabled the build fails
    /// instead.
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
    for stage in ctx.stages() {
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
        // Only findings need the text.
        let provided_text = || match patch {
            Some(patch) => format!("{major}.{minor}.{patch}"),
            None => format!("{major}.{minor}"),
        };

        let mut problems = Vec::new();
        let mut related = Vec::new();
        // A patch pin the tag does not name is only probably unmet: the tag's current patch is
        // unknown, so it never escalates to an error.
        let mut certain = true;
        if let Some(pin_file) = &ctx.project.python_version
            && let (Some(pin), Some(request)) = (pin_file.version, &pin_file.request)
            && !pin_met(pin, major, minor, patch)
        {
            let patch_only = pin.major == major && pin.minor == minor && patch.is_none();
            if patch_only {
                certain = false;
                problems.push(format!(
                    ".python-version pins exactly {}, a patch release the `{major}.{minor}` tag does not promise",
                    request.value
                ));
            } else {
                problems.push(format!(".python-version pins {}", request.value));
            }
            related.push(RelatedLocation {
                path: Some(pin_file.file.path.clone()),
                text: Some(pin_file.file.text.clone()),
                range: request.range,
                message: format!("the project pins Python {} here", request.value),
            });
        }
        if let Some(pyproject) = &ctx.project.pyproject
            && let (Some(_), Some(written)) = (&pyproject.requires_python_specifiers, &pyproject.requires_python)
            && !ctx.project_specifiers_allow(major, minor, patch)
        {
            certain = true;
            problems.push(format!("requires-python is `{}`", written.value));
            related.push(RelatedLocation {
                path: Some(pyproject.file.path.clone()),
                text: Some(pyproject.file.text.clone()),
                range: written.range,
                message: format!("requires-python `{}` excludes Python {}", written.value, provided_text()),
            });
        }
        if problems.is_empty() {
            continue;
        }
        let downloads_off = python_downloads_disabled(ctx, stage.index);
        let consequence = if !facts.runs_uv(stage.index) {
            "this stage would run the project on a Python it was not pinned to".to_owned()
        } else if downloads_off {
            "uv will refuse to use it and, with Python downloads disabled, the build fails".to_owned()
        } else {
            let dir = install_dir(semantics, stage.index);
            format!("uv will download a separate CPython into {dir} instead of using the image's")
        };
        let message =
            format!("{image_text} provides Python {}, but {}; {consequence}", provided_text(), problems.join(" and "));
        let mut diagnostic = PYTHON_VERSION_MISMATCH.report(image.range, message);
        if downloads_off && certain && facts.runs_uv(stage.index) {
            diagnostic = diagnostic.with_severity(Severity::Error);
        }
        for it in related {
            diagnostic = diagnostic.with_related(it);
        }
        // Point at the ARG default that put the version into the image name.
        for reference in expand::references(&image.value, ctx.parse.file.escape) {
            let Some(def) = semantics.global_args.iter().rev().find(|def| def.name == reference.name) else {
                continue;
            };
            let Some(value) = &def.value else { continue };
            diagnostic = diagnostic.with_related(RelatedLocation {
                path: None,
                text: None,
                range: def.value_range.unwrap_or(def.name_range),
                message: format!("the image's Python comes from the default `{}={value}` here", def.name),
            });
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
        // A stage's Python comes from itself or a stage it builds on, so the stages that count
        // for a walked stage are walked too.
        for stage in ctx.stages() {
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

fn python_downloads_disabled(ctx: &RuleContext<'_>, stage: usize) -> bool {
    let value = |name: &str| ctx.build_var(stage, usize::MAX, name).and_then(|def| def.value.as_deref());
    let tool_uv = ctx.project.pyproject.as_ref().and_then(|it| it.tool_uv.as_ref());
    let project_never = tool_uv
        .and_then(|it| it.python_downloads.as_ref())
        .is_some_and(|it| is_never(it.value.trim_matches(['"', '\''])));
    let downloads_never = value("UV_PYTHON_DOWNLOADS").map_or(project_never, is_never);
    let system_only = value("UV_PYTHON_PREFERENCE").is_some_and(|it| it.eq_ignore_ascii_case("only-system"));
    let no_managed = value("UV_NO_MANAGED_PYTHON").is_some_and(super::is_truthy);
    downloads_never || system_only || no_managed
}

/// Where a download in `stage` lands, as its ENV says.
fn install_dir(semantics: &Semantics, stage: usize) -> String {
    let value = |name: &str| {
        semantics
            .build_var(stage, usize::MAX, name)
            .and_then(|def| def.value.as_deref().map(String::from))
            .filter(|it| !it.is_empty())
    };
    if let Some(dir) = value("UV_PYTHON_INSTALL_DIR") {
        return dir;
    }
    if let Some(data) = value("XDG_DATA_HOME") {
        return format!("{}/uv/python", data.trim_end_matches('/'));
    }
    DEFAULT_PYTHON_INSTALL_DIR.to_owned()
}
