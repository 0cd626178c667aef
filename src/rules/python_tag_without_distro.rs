//! `PY010 python-tag-without-distro`: a python image tag that leaves the operating system release open.

use crate::diagnostic::{Applicability, Diagnostic, Edit, Fix};
use crate::rules::support_python::image_uses;
use crate::rules::{DiagnosticExt, RuleContext, declare_rule};
use crate::semantics::image::PythonVariant;
use crate::text::TextRange;

declare_rule! {
    /// ## What it flags
    /// An official `python` image tag with a Python version but no operating system release:
    /// `python:3.12-slim`, `python:3.12`, `python:3.12-alpine`. Tags that are no longer rebuilt
    /// are left alone: those of a Python past its end of life (`python:3.9-slim`, reported by
    /// `python-end-of-life`) and those of a patch that a newer patch has replaced
    /// (`python:3.12.4-slim`).
    /// ## Why it matters
    /// Such tags follow the image maintainers' default release. In 2025 `3.12-slim` moved from
    /// Debian bookworm to trixie, changing system libraries, glibc and package names under
    /// Dockerfiles that did not change. Naming the release (`3.12-slim-trixie`) makes that move a
    /// deliberate edit.
    /// ## Example
    /// ```dockerfile
    /// FROM python:3.12-slim
    /// ```
    /// Use instead:
    /// ```dockerfile
    /// FROM python:3.12-slim-trixie
    /// ```
    /// ## Fix safety
    /// The fix names the current default release (trixie, alpine3.22). It is unsafe because an
    /// image cached from before the switch may have been another release.
    pub(crate) static PYTHON_TAG_WITHOUT_DISTRO = {
        code: "PY010",
        name: "python-tag-without-distro",
        severity: Info,
        fix: Sometimes,
    };
}

pub(crate) fn check(ctx: &RuleContext<'_>, acc: &mut Vec<Diagnostic>) {
    for use_ in image_uses(ctx) {
        let Some(image) = use_.python() else { continue };
        let Some((major, minor, patch)) = image.version else { continue };
        // The maintainers build only the newest patch of supported minors, so other tags stay
        // as they are; naming a release for them may also name a tag that was never built.
        let frozen = crate::knowledge::python_minor_end_of_life(major, minor)
            || crate::knowledge::python_minor(major, minor)
                .is_some_and(|known| patch.is_some_and(|patch| known.patch_superseded(patch)));
        if frozen
            || image.pinned_by_digest
            || image.distro.is_some()
            || image.prerelease.is_some()
            || image.tag_problem().is_some()
        {
            continue;
        }
        let (release, suffix) = match image.variant {
            PythonVariant::Full | PythonVariant::Slim => ("Debian release", "-trixie"),
            PythonVariant::Alpine => ("Alpine release", "3.22"),
            PythonVariant::Windows | PythonVariant::Other => continue,
        };
        // The list covers the whole file, and a file names the same image in every stage.
        if !ctx.wanted_at(use_.tag_range().start) {
            continue;
        }
        let message = format!(
            "python:{} follows whichever {release} the image maintainers make the default; name it, as in python:{}{suffix}",
            image.tag, image.tag
        );
        let mut diagnostic = PYTHON_TAG_WITHOUT_DISTRO.report(use_.tag_range(), message);
        if use_.is_exact() {
            diagnostic = diagnostic.with_fix(Fix {
                title: format!("Use `python:{}{suffix}`", image.tag),
                applicability: Applicability::Unsafe,
                edits: vec![Edit {
                    path: None,
                    range: TextRange::empty(use_.tag_range().end),
                    new_text: suffix.to_owned(),
                }],
            });
        }
        acc.push(diagnostic);
    }
}
