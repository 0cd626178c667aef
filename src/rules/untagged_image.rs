//! `DF203 untagged-image`: FROM an image without a tag or digest.

use crate::diagnostic::Diagnostic;
use crate::rules::support_images::is_python_or_uv_image;
use crate::rules::{RuleContext, declare_rule};
use crate::semantics::Base;
use crate::semantics::expand::has_references;

declare_rule! {
    /// ## What it flags
    /// `FROM debian` and the like: an image with neither a tag nor a digest. (The `python` and
    /// uv images have their own, more specific rules.)
    /// ## Why it matters
    /// Docker then pulls `latest`, which moves: two builds of the same commit can start from
    /// different images, and a new major release can break the build without any change here.
    /// ## Example
    /// ```dockerfile
    /// FROM debian
    /// ```
    /// Use instead:
    /// ```dockerfile
    /// FROM debian:bookworm-slim
    /// ```
    pub(crate) static UNTAGGED_IMAGE = {
        code: "DF203",
        name: "untagged-image",
        severity: Warning,
        fix: None,
        hadolint: "DL3006",
    };
}

pub(crate) fn check(ctx: &RuleContext<'_>, acc: &mut Vec<Diagnostic>) {
    for stage in ctx.stages() {
        let (Base::Image(image), Some(written)) = (&stage.base, &stage.image) else { continue };
        if has_references(&written.value) || is_python_or_uv_image(image) {
            continue;
        }
        if image.tag.is_none() && image.digest.is_none() {
            acc.push(UNTAGGED_IMAGE.report(
                written.range,
                format!(
                    "`{}` has no tag, so each build pulls whatever `latest` is at the time; pin a version",
                    written.value
                ),
            ));
        }
    }
}
