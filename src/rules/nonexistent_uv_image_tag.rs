//! `UV103 nonexistent-uv-image-tag`: a uv image tag that was never published.

use crate::diagnostic::Diagnostic;
use crate::rules::support_python::report_uv_tag_problems;
use crate::rules::{RuleContext, declare_rule};
use crate::semantics::image::TagProblemKind;

declare_rule! {
    /// ## What it flags
    /// A `ghcr.io/astral-sh/uv` tag that was never published: parts in the wrong order
    /// (`python3.12-slim-trixie`; the uv images spell it `python3.12-trixie-slim`), a `v` before
    /// the version, a base the images are not built for, or a base that did not exist yet (or
    /// any more) at the named uv version.
    /// ## Why it matters
    /// Pulling the image fails, so the build stops at this line.
    /// ## Example
    /// ```dockerfile
    /// FROM ghcr.io/astral-sh/uv:0.12.5-python3.12-slim-trixie
    /// ```
    /// Use instead:
    /// ```dockerfile
    /// FROM ghcr.io/astral-sh/uv:0.12.5-python3.12-trixie-slim
    /// ```
    /// ## Fix safety
    /// The suggested tag is the closest published one; it is unsafe because the image it pulls
    /// is a guess at what was meant.
    pub(crate) static NONEXISTENT_UV_IMAGE_TAG = {
        code: "UV103",
        name: "nonexistent-uv-image-tag",
        severity: Error,
        fix: Sometimes,
    };
}

pub(crate) fn check(ctx: &RuleContext<'_>, acc: &mut Vec<Diagnostic>) {
    report_uv_tag_problems(ctx, acc, TagProblemKind::Nonexistent, &NONEXISTENT_UV_IMAGE_TAG);
}
