//! `DF204 latest-tag`: FROM an image tagged `latest`.

use crate::diagnostic::Diagnostic;
use crate::rules::support_images::is_python_or_uv_image;
use crate::rules::{RuleContext, declare_rule};
use crate::semantics::Base;
use crate::semantics::expand::has_references;

declare_rule! {
    /// ## What it flags
    /// `FROM image:latest` without a digest. (The `python` and uv images have their own, more
    /// specific rules.)
    /// ## Why it matters
    /// `latest` moves with every release: the same Dockerfile builds on a different base from
    /// one day to the next, and nothing records which one was used.
    /// ## Example
    /// ```dockerfile
    /// FROM debian:latest
    /// ```
    /// Use instead:
    /// ```dockerfile
    /// FROM debian:bookworm-slim
    /// ```
    pub(crate) static LATEST_TAG = {
        code: "DF204",
        name: "latest-tag",
        severity: Warning,
        fix: None,
        hadolint: "DL3007",
    };
}

pub(crate) fn check(ctx: &RuleContext<'_>, acc: &mut Vec<Diagnostic>) {
    for stage in ctx.stages() {
        let (Base::Image(image), Some(written)) = (&stage.base, &stage.image) else { continue };
        if has_references(&written.value) || is_python_or_uv_image(image) || image.digest.is_some() {
            continue;
        }
        let Some(tag) = &image.tag else { continue };
        if tag.value != "latest" {
            continue;
        }
        let range = if written.range.len() == written.value.len() {
            crate::text::TextRange::new(written.range.start + tag.range.start, written.range.start + tag.range.end)
        } else {
            written.range
        };
        acc.push(
            LATEST_TAG
                .report(range, format!("`{}` follows whatever is released next; pin a version tag", written.value)),
        );
    }
}
