//! `PY009 floating-python-tag`: the official python image named without a Python minor version.

use crate::diagnostic::{Applicability, Diagnostic, Edit, Fix};
use crate::knowledge::{self, PythonStatus};
use crate::project::ProjectFacts;
use crate::rules::support_python::{image_uses, project_minor};
use crate::rules::{DiagnosticExt, RuleContext, declare_rule};
use crate::text::TextRange;

declare_rule! {
    /// ## What it flags
    /// The official `python` image with no tag, `latest`, a bare major (`3`, `3-slim`) or only a
    /// variant (`slim`, `alpine`, `bookworm`), and no digest.
    /// ## Why it matters
    /// These tags follow the newest Python release: a rebuild months later silently moves the
    /// project to another Python minor version, with other wheels and other standard-library
    /// behaviour, and a venv built for one version no longer matches a stage built on another.
    /// ## Example
    /// With `.python-version` containing `3.12`:
    /// ```dockerfile
    /// FROM python:slim
    /// ```
    /// Use instead:
    /// ```dockerfile
    /// FROM python:3.12-slim
    /// ```
    /// ## Fix safety
    /// The fix names the version from `.python-version`, else the lower bound of
    /// `requires-python` (or, when that release is past its end of life, the oldest supported
    /// one the range allows), keeping the variant. It is unsafe: the image may move to an older
    /// Python than the floating tag gave.
    pub(crate) static FLOATING_PYTHON_TAG = {
        code: "PY009",
        name: "floating-python-tag",
        severity: Warning,
        fix: Sometimes,
        hadolint: "DL3006",
    };
}

pub(crate) fn check(ctx: &RuleContext<'_>, acc: &mut Vec<Diagnostic>) {
    let wanted = wanted_minor(ctx.project);
    for use_ in image_uses(ctx) {
        let Some(image) = use_.python() else { continue };
        if image.pinned_by_digest || image.version.is_some() || image.prerelease.is_some() {
            continue;
        }
        let tag_text = match &use_.reference().tag {
            Some(tag) => format!("tag `{}`", tag.value),
            None => "no tag (so `latest`)".to_owned(),
        };
        let advice = match wanted {
            Some(Wanted { minor: (major, minor), pinned }) => {
                let whose = if pinned { "the project's Python" } else { "a Python the project allows" };
                format!("name {whose}, as in `python:{}`", new_tag(&image.tag, major, minor))
            }
            // No project Python to go by: a supported release, in the variant already chosen.
            None => match supported_minor() {
                Some((major, minor)) => {
                    format!("name a Python version, as in `python:{}`", new_tag(&image.tag, major, minor))
                }
                None => "name a Python version".to_owned(),
            },
        };
        let message = format!(
            "{} has {tag_text}, which moves to each new Python release, so rebuilds can change the Python minor version; {advice}",
            use_.text()
        );
        let range = match &use_.reference().tag {
            Some(_) => use_.tag_range(),
            None => use_.source_range(use_.reference().range()),
        };
        let mut diagnostic = FLOATING_PYTHON_TAG.report(range, message);
        if let Some(Wanted { minor: (major, minor), .. }) = wanted
            && use_.is_exact()
        {
            let tag = new_tag(&image.tag, major, minor);
            let edit = match &use_.reference().tag {
                Some(_) => Edit { path: None, range: use_.tag_range(), new_text: tag.clone() },
                None => {
                    Edit { path: None, range: TextRange::empty(use_.tag_range().start), new_text: format!(":{tag}") }
                }
            };
            diagnostic = diagnostic.with_fix(Fix {
                title: format!("Use `python:{tag}`"),
                applicability: Applicability::Unsafe,
                edits: vec![edit],
            });
        }
        acc.push(diagnostic);
    }
}

/// The Python minor to name in the tag, and whether the project pins it (`.python-version`).
#[derive(Clone, Copy)]
struct Wanted {
    minor: (u64, u64),
    pinned: bool,
}

/// The project's pinned minor, else the lowest one `requires-python` allows; when that one is
/// past its end of life, the oldest supported release the range allows, so that the tag the
/// fix writes is not reported by `python-end-of-life` in turn.
fn wanted_minor(project: &ProjectFacts) -> Option<Wanted> {
    if let Some(pin) = project.python_version.as_ref().and_then(|it| it.version) {
        return Some(Wanted { minor: (pin.major, pin.minor), pinned: true });
    }
    let lowest = project_minor(project)?;
    if !knowledge::python_minor_end_of_life(lowest.0, lowest.1) {
        return Some(Wanted { minor: lowest, pinned: false });
    }
    let allows = |(major, minor): (u64, u64)| {
        project.requires_python().is_none_or(|specifiers| {
            format!("{major}.{minor}.0")
                .parse::<pep440_rs::Version>()
                .is_ok_and(|version| specifiers.contains(&version))
        })
    };
    let supported = knowledge::python_minors()
        .filter(|(row, _)| matches!(row.status, PythonStatus::Bugfix | PythonStatus::Security))
        .map(|(_, minor)| minor)
        .find(|&minor| minor > lowest && allows(minor));
    Some(Wanted { minor: supported.unwrap_or(lowest), pinned: false })
}

/// The Python minor the image tags of the moment are best named with when the project names
/// none: a release in its bugfix phase, as PY012 recommends.
fn supported_minor() -> Option<(u64, u64)> {
    knowledge::python_minors()
        .find(|(row, _)| row.status == PythonStatus::Bugfix && !row.is_end_of_life())
        .map(|(_, minor)| minor)
}

/// `slim` → `3.12-slim`, `3-alpine` → `3.12-alpine`, `latest` → `3.12`.
fn new_tag(tag: &str, major: u64, minor: u64) -> String {
    let mut parts: Vec<&str> = tag.split('-').filter(|it| !it.is_empty()).collect();
    if parts.first().is_some_and(|it| *it == "latest" || it.bytes().all(|b| b.is_ascii_digit())) {
        parts.remove(0);
    }
    let mut res = format!("{major}.{minor}");
    for part in parts {
        res.push('-');
        res.push_str(part);
    }
    res
}
