//! `UV104 retired-uv-image-tag`: a uv image tag that no longer receives new releases.

use crate::diagnostic::Diagnostic;
use crate::rules::support_python::report_uv_tag_problems;
use crate::rules::{RuleContext, declare_rule};
use crate::semantics::image::TagProblemKind;

declare_rule! {
    /// ## What it flags
    /// A `ghcr.io/astral-sh/uv` tag that is no longer published for new releases: the
    /// `bookworm` variants and `alpine3.21` (last built for uv 0.9.30), the `python3.8` variants,
    /// and the `python3.14-rc` tags (frozen at uv 0.9.0).
    /// ## Why it matters
    /// The tag still pulls, but its uv and its operating system packages stopped receiving
    /// updates, so the image quietly ages while newer tags get fixes.
    /// ## Example
    /// ```dockerfile
    /// FROM ghcr.io/astral-sh/uv:python3.12-bookworm-slim
    /// ```
    /// Use instead:
    /// ```dockerfile
    /// FROM ghcr.io/astral-sh/uv:0.12.5-python3.12-trixie-slim
    /// ```
    /// ## Fix safety
    /// Moving to the maintained tag is unsafe: the operating system release (and so its
    /// packages) changes.
    pub(crate) static RETIRED_UV_IMAGE_TAG = {
        code: "UV104",
        name: "retired-uv-image-tag",
        severity: Warning,
        fix: Sometimes,
    };
}

pub(crate) fn check(ctx: &RuleContext<'_>, acc: &mut Vec<Diagnostic>) {
    report_uv_tag_problems(ctx, acc, TagProblemKind::Retired, &RETIRED_UV_IMAGE_TAG);
}
