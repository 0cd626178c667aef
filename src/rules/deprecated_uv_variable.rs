//! `UV063 deprecated-uv-variable`: a `UV_*` variable uv has replaced.

use crate::diagnostic::{Applicability, Diagnostic, Tag};
use crate::knowledge::{uv_env, version_at_least};
use crate::rules::support_env::{replace_fix, uv_settings};
use crate::rules::{DiagnosticExt, RuleContext, declare_rule};

declare_rule! {
    /// ## What it flags
    /// A deprecated uv variable such as `UV_INDEX_URL`, `UV_EXTRA_INDEX_URL`,
    /// `UV_NATIVE_TLS`, `UV_REQUEST_TIMEOUT`, `UV_WORKING_DIRECTORY` or `UV_ISOLATED`.
    /// ## Why it matters
    /// uv still reads these for now but documents a replacement, and deprecated names are
    /// removed in later releases. Mixing old and new names also makes precedence hard to follow.
    /// ## Example
    /// ```dockerfile
    /// ENV UV_INDEX_URL=https://pypi.example.com/simple
    /// ```
    /// Use instead:
    /// ```dockerfile
    /// ENV UV_DEFAULT_INDEX=https://pypi.example.com/simple
    /// ```
    /// ## Fix safety
    /// Renaming is safe when the replacement means the same and the uv the Dockerfile installs
    /// is known to read it; otherwise (`UV_EXTRA_INDEX_URL`, `UV_ISOLATED`, or an older or
    /// unknown uv) it is unsafe.
    pub(crate) static DEPRECATED_UV_VARIABLE = {
        code: "UV063",
        name: "deprecated-uv-variable",
        severity: Info,
        fix: Sometimes,
    };
}

/// Deprecated names whose replacement reads the same values with the same meaning.
const EQUIVALENT: &[&str] = &["UV_INDEX_URL", "UV_NATIVE_TLS", "UV_REQUEST_TIMEOUT", "UV_WORKING_DIRECTORY"];

pub(crate) fn check(ctx: &RuleContext<'_>, acc: &mut Vec<Diagnostic>) {
    for setting in uv_settings(ctx) {
        let Some(var) = setting.known else { continue };
        let Some(replacement) = &var.deprecated else { continue };
        let layout = ctx.uv_layout();
        let pinned = setting.stage.and_then(|stage| layout.uv_version.get(stage).cloned().flatten());
        let since = uv_env(replacement).and_then(|it| it.since.clone());
        let supported = match (&pinned, &since) {
            (Some(pinned), Some(since)) => version_at_least(pinned, since),
            _ => false,
        };
        let applicability =
            if supported && EQUIVALENT.contains(&&*setting.name) { Applicability::Safe } else { Applicability::Unsafe };
        let too_old = matches!((&pinned, &since), (Some(pinned), Some(since)) if !version_at_least(pinned, since));
        let mut diagnostic = DEPRECATED_UV_VARIABLE
            .report(setting.name_range, format!("`{}` is deprecated; uv now reads `{replacement}`", setting.name))
            .with_tag(Tag::Deprecated);
        // The pinned uv predates the replacement: renaming would turn the setting off.
        if !too_old {
            diagnostic = diagnostic.with_fix(replace_fix(
                format!("Rename to `{replacement}`"),
                setting.name_range,
                replacement,
                applicability,
            ));
        }
        acc.push(diagnostic);
    }
}
