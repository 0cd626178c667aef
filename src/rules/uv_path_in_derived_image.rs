//! `UV105 uv-path-in-derived-image`: `COPY --from` a uv image with an OS copies `/uv`, which only the bare images have.

use crate::diagnostic::{Applicability, Diagnostic, Edit, Fix};
use crate::rules::support_python::copies;
use crate::rules::{DiagnosticExt, RuleContext, declare_rule};

declare_rule! {
    /// ## What it flags
    /// `COPY --from=ghcr.io/astral-sh/uv:<tag> /uv …` (or `/uvx`) where the tag names an
    /// operating system or a Python (`python3.12-trixie-slim`, `alpine`, `0.12.5-debian`).
    /// ## Why it matters
    /// Only the bare uv images (`latest`, `X.Y`, `X.Y.Z`) hold `/uv` and `/uvx` at the root. The
    /// images built on an operating system keep uv in `/usr/local/bin`, so the COPY fails with
    /// "not found".
    /// ## Example
    /// ```dockerfile
    /// COPY --from=ghcr.io/astral-sh/uv:0.12.5-python3.12-trixie-slim /uv /bin/
    /// ```
    /// Use instead:
    /// ```dockerfile
    /// COPY --from=ghcr.io/astral-sh/uv:0.12.5 /uv /bin/
    /// ```
    /// ## Fix safety
    /// Copying `/usr/local/bin/uv` instead is unsafe only in that it changes a failing build into
    /// one that runs.
    pub(crate) static UV_PATH_IN_DERIVED_IMAGE = {
        code: "UV105",
        name: "uv-path-in-derived-image",
        severity: Error,
        fix: Sometimes,
    };
}

pub(crate) fn check(ctx: &RuleContext<'_>, acc: &mut Vec<Diagnostic>) {
    for copy in copies(ctx) {
        let Some(image) = copy.uv_image_copied_from() else { continue };
        if image.distroless {
            continue;
        }
        for crate::text::Spanned { value: source, range } in copy.sources.iter() {
            let name = match source {
                "/uv" | "uv" => "uv",
                "/uvx" | "uvx" => "uvx",
                _ => continue,
            };
            let message = format!(
                "the `{}` uv image keeps uv in /usr/local/bin, not at `/{name}`; copy /usr/local/bin/{name}, or use a bare uv image such as `{}`",
                image.tag,
                image.uv_version.as_deref().unwrap_or(crate::rules::support_python::KNOWN_UV_VERSION)
            );
            let mut diagnostic = UV_PATH_IN_DERIVED_IMAGE.report(range, message);
            let exact = ctx.text.get(range.as_range()) == Some(source);
            if exact {
                diagnostic = diagnostic.with_fix(Fix {
                    title: format!("Copy /usr/local/bin/{name}"),
                    applicability: Applicability::Unsafe,
                    edits: vec![Edit { path: None, range, new_text: format!("/usr/local/bin/{name}") }],
                });
            }
            acc.push(diagnostic);
        }
    }
}
