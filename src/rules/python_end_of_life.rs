//! `PY012 python-end-of-life`: an official python image whose Python no longer gets fixes.

use crate::diagnostic::Diagnostic;
use crate::knowledge::{self, PythonStatus};
use crate::rules::support_python::{ImageUseKind, image_uses};
use crate::rules::{RuleContext, declare_rule};

declare_rule! {
    /// ## What it flags
    /// A stage built on the official `python` image for a Python past its end of life: 3.10
    /// and older, as of the release table berth carries (November 2026; 3.11 follows in
    /// October 2027).
    /// ## Why it matters
    /// CPython publishes no more releases for it, security fixes included, and the image
    /// maintainers stop building its tags, so the Debian or Alpine packages under the
    /// interpreter stop getting updates as well. Vulnerabilities found from then on stay in
    /// every image built from it.
    /// ## Example
    /// ```dockerfile
    /// FROM python:3.9-slim
    /// ```
    /// Use instead (with `requires-python` and `.python-version` moved along):
    /// ```dockerfile
    /// FROM python:3.13-slim-trixie
    /// ```
    pub(crate) static PYTHON_END_OF_LIFE = {
        code: "PY012",
        name: "python-end-of-life",
        severity: Warning,
        fix: None,
    };
}

pub(crate) fn check(ctx: &RuleContext<'_>, acc: &mut Vec<Diagnostic>) {
    for use_ in image_uses(ctx) {
        if use_.kind != ImageUseKind::From {
            continue;
        }
        let Some(image) = use_.python() else { continue };
        let Some((major, minor, _)) = image.version else { continue };
        if image.prerelease.is_some() || !knowledge::python_minor_end_of_life(major, minor) {
            continue;
        }
        if !ctx.wanted_at(use_.range.start) {
            continue;
        }
        let ended = match knowledge::python_minor(major, minor).and_then(|it| it.end_of_life.as_deref()) {
            Some(month) => format!("reached its end of life in {}", month_name(month)),
            None => "is past its end of life".to_owned(),
        };
        let supported = knowledge::python_versions()
            .versions
            .iter()
            .find(|it| it.status == PythonStatus::Bugfix && !it.is_end_of_life())
            .map(|it| format!("; move to a supported Python such as {}", it.minor))
            .unwrap_or_default();
        let message = format!(
            "Python {major}.{minor} {ended}: python:{} gets no more fixes, security ones included, and is no longer rebuilt, so its system packages age too{supported}",
            image.tag
        );
        acc.push(PYTHON_END_OF_LIFE.report(use_.tag_range(), message));
    }
}

/// `2025-10` as `October 2025`.
fn month_name(month: &str) -> String {
    const NAMES: [&str; 12] = [
        "January",
        "February",
        "March",
        "April",
        "May",
        "June",
        "July",
        "August",
        "September",
        "October",
        "November",
        "December",
    ];
    let named = month.split_once('-').and_then(|(year, month)| {
        let index = month.parse::<usize>().ok()?.checked_sub(1)?;
        Some(format!("{} {year}", NAMES.get(index)?))
    });
    named.unwrap_or_else(|| month.to_owned())
}
