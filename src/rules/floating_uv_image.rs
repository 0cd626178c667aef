//! `UV101 floating-uv-image`: Astral's uv image named without a uv version.

use crate::diagnostic::{Applicability, Diagnostic, Edit, Fix};
use crate::rules::support_python::{ImageUseKind, KNOWN_UV_VERSION, image_uses};
use crate::rules::{DiagnosticExt, RuleContext, declare_rule};
use crate::text::TextRange;

declare_rule! {
    /// ## What it flags
    /// `ghcr.io/astral-sh/uv` (or `astral/uv`) in `FROM`, `COPY --from` or `RUN --mount=from`
    /// with no tag, with `:latest`, or with a tag that names only a base (`python3.12-trixie-slim`)
    /// and no uv version, and no digest.
    /// ## Why it matters
    /// Such tags move with every uv release, several times a month. Two builds of the same
    /// commit then run different uv versions, whose resolver, defaults and flags differ, and a
    /// release can break a build that worked yesterday.
    /// ## Example
    /// ```dockerfile
    /// COPY --from=ghcr.io/astral-sh/uv:latest /uv /uvx /bin/
    /// ```
    /// Use instead:
    /// ```dockerfile
    /// COPY --from=ghcr.io/astral-sh/uv:0.12.5 /uv /uvx /bin/
    /// ```
    /// ## Fix safety
    /// Pinning is unsafe: the build switches to the named uv release, which may differ from the
    /// one `latest` gave so far.
    pub(crate) static FLOATING_UV_IMAGE = {
        code: "UV101",
        name: "floating-uv-image",
        severity: Warning,
        fix: Sometimes,
        hadolint: "DL3007",
    };
}

pub(crate) fn check(ctx: &RuleContext<'_>, acc: &mut Vec<Diagnostic>) {
    for use_ in image_uses(ctx) {
        // Only uv images; the official `python` image has its own pinning rule.
        let Some(image) = use_.uv() else { continue };
        // A tag that no longer exists or is frozen is UV103/UV104's business.
        if !image.floating || image.tag_problem().is_some() {
            continue;
        }
        let tag_text = match &use_.reference().tag {
            Some(tag) => format!("tag `{}`", tag.value),
            None => "no tag (so `latest`)".to_owned(),
        };
        let place = match use_.kind {
            ImageUseKind::From => "the base image",
            ImageUseKind::CopyFrom | ImageUseKind::MountFrom => "uv",
        };
        let message = format!(
            "{} has {tag_text}, which moves with every uv release, so {place} changes between builds; pin a version such as `{KNOWN_UV_VERSION}`",
            use_.text()
        );
        let range = match &use_.reference().tag {
            Some(_) => use_.tag_range(),
            None => use_.source_range(use_.reference().range()),
        };
        let mut diagnostic = FLOATING_UV_IMAGE.report(range, message);
        if use_.is_exact() && use_.reference().digest.is_none() {
            let (edit_range, new_text) = match &use_.reference().tag {
                None => (TextRange::empty(use_.tag_range().start), format!(":{KNOWN_UV_VERSION}")),
                Some(tag) if tag.value == "latest" => (use_.tag_range(), KNOWN_UV_VERSION.to_owned()),
                Some(_) => (TextRange::empty(use_.tag_range().start), format!("{KNOWN_UV_VERSION}-")),
            };
            diagnostic = diagnostic.with_fix(Fix {
                title: format!("Pin uv {KNOWN_UV_VERSION}"),
                applicability: Applicability::Unsafe,
                edits: vec![Edit { path: None, range: edit_range, new_text }],
            });
        }
        acc.push(diagnostic);
    }
}
