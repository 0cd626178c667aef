//! `PY011 nonexistent-python-tag`: a python image tag that the official image does not publish.

use crate::diagnostic::{Diagnostic, Severity};
use crate::rules::support_python::image_uses;
use crate::rules::{DiagnosticExt, RuleContext, declare_rule};

declare_rule! {
    /// ## What it flags
    /// An official `python` image tag that is not published: the variant and the release in the
    /// wrong order (`3.12-trixie-slim`; the image spells it `3.12-slim-trixie`), or a part that is
    /// not a variant or release the image is built for.
    /// ## Why it matters
    /// Pulling the image fails, so the build stops at this line. An unknown part is reported as
    /// a warning only, since it may be a release newer than berth knows.
    /// ## Example
    /// ```dockerfile
    /// FROM python:3.12-trixie-slim
    /// ```
    /// Use instead:
    /// ```dockerfile
    /// FROM python:3.12-slim-trixie
    /// ```
    pub(crate) static NONEXISTENT_PYTHON_TAG = {
        code: "PY011",
        name: "nonexistent-python-tag",
        severity: Error,
        fix: None,
    };
}

pub(crate) fn check(ctx: &RuleContext<'_>, acc: &mut Vec<Diagnostic>) {
    for use_ in image_uses(ctx) {
        let Some(image) = use_.python() else { continue };
        let Some(problem) = image.tag_problem() else { continue };
        let message = format!("python:{} is not a published python image tag: {problem}", image.tag);
        let mut diagnostic = NONEXISTENT_PYTHON_TAG.report(use_.tag_range(), message);
        // Only the swapped order is certain; an unknown word may be a release we do not know yet.
        if !is_swapped_order(&image.tag) {
            diagnostic = diagnostic.with_severity(Severity::Warning);
        }
        acc.push(diagnostic);
    }
}

fn is_swapped_order(tag: &str) -> bool {
    let parts: Vec<&str> = tag.split('-').collect();
    parts.windows(2).any(|pair| pair[1] == "slim" && (pair[0].starts_with("alpine") || is_codename(pair[0])))
}

fn is_codename(word: &str) -> bool {
    matches!(word, "forky" | "trixie" | "bookworm" | "bullseye" | "buster" | "stretch" | "jessie")
}
