//! `UV061 invalid-uv-value`: a `UV_*` variable with a value outside what uv accepts.

use crate::diagnostic::{Applicability, Diagnostic};
use crate::knowledge::{UvEnvVar, ValueKind};
use crate::rules::support_env::{replace_fix, uv_settings};
use crate::rules::{DiagnosticExt, RuleContext, declare_rule};

declare_rule! {
    /// ## What it flags
    /// A uv variable with a fixed set of values (`UV_LINK_MODE`, `UV_PYTHON_DOWNLOADS`,
    /// `UV_PYTHON_PREFERENCE`, `UV_INDEX_STRATEGY`, `UV_RESOLUTION`, ...) or a number
    /// (`UV_CONCURRENT_DOWNLOADS`, `UV_HTTP_TIMEOUT`, ...) set to a value uv rejects.
    /// ## Why it matters
    /// uv stops with a parse error at every command that sees the variable, so the build fails.
    /// ## Example
    /// ```dockerfile
    /// ENV UV_PYTHON_DOWNLOADS=off
    /// ```
    /// Use instead:
    /// ```dockerfile
    /// ENV UV_PYTHON_DOWNLOADS=never
    /// ```
    /// ## Fix safety
    /// A fix is offered when the intended value is clear: the same word in another case
    /// (safe), or a synonym such as `off` for `never` (unsafe, as it is a guess).
    pub(crate) static INVALID_UV_VALUE = {
        code: "UV061",
        name: "invalid-uv-value",
        severity: Error,
        fix: Sometimes,
    };
}

pub(crate) fn check(ctx: &RuleContext<'_>, acc: &mut Vec<Diagnostic>) {
    for setting in uv_settings(ctx) {
        let Some(var) = setting.known else { continue };
        let (Some(value), Some(range)) = (setting.literal(), setting.value_range) else { continue };
        if value.is_empty()
            || !matches!(var.kind, ValueKind::Enum | ValueKind::Int | ValueKind::Secs | ValueKind::Bytes)
        {
            continue;
        }
        let Err(message) = var.accepts(value) else { continue };
        let mut diagnostic = INVALID_UV_VALUE.report(range, format!("{message}; uv stops with an error"));
        if let Some((replacement, applicability)) = closest_value(var, value) {
            diagnostic =
                diagnostic.with_fix(replace_fix(format!("Use `{replacement}`"), range, &replacement, applicability));
        }
        acc.push(diagnostic);
    }
}

/// The value the author most likely meant.
fn closest_value(var: &UvEnvVar, value: &str) -> Option<(String, Applicability)> {
    for known in &var.values {
        if known.value.eq_ignore_ascii_case(value) || known.aliases.iter().any(|it| it.eq_ignore_ascii_case(value)) {
            return Some((known.value.clone(), Applicability::Safe));
        }
    }
    let lowered = value.to_ascii_lowercase();
    let has = |name: &str| var.values.iter().any(|it| it.value == name);
    let synonym = match lowered.as_str() {
        "off" | "no" | "n" | "f" | "none" | "disabled" | "disable" if has("never") => "never",
        "on" | "yes" | "y" | "t" | "auto" | "enabled" | "enable" if has("automatic") => "automatic",
        "reflink" if has("clone") => "clone",
        "hard" | "hardlinks" | "hard-link" if has("hardlink") => "hardlink",
        "symlinks" | "soft" if has("symlink") => "symlink",
        "copies" | "cp" | "cpy" if has("copy") => "copy",
        _ => return None,
    };
    Some((synonym.to_owned(), Applicability::Unsafe))
}
