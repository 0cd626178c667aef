//! `UV066 insecure-uv-setting`: uv settings that weaken TLS, hash or archive checks.

use crate::diagnostic::Diagnostic;
use crate::knowledge::ValueKind;
use crate::rules::support_env::uv_settings;
use crate::rules::{RuleContext, declare_rule, is_truthy};

declare_rule! {
    /// ## What it flags
    /// Settings that switch off uv's safety checks: `UV_INSECURE_HOST` or
    /// `--allow-insecure-host` (no TLS verification), `UV_NO_VERIFY_HASHES` /
    /// `--no-verify-hashes`, `UV_INSECURE_NO_ZIP_VALIDATION`, `UV_SKIP_WHEEL_FILENAME_CHECK`,
    /// and an `unsafe-…` index strategy (`UV_INDEX_STRATEGY`, `--index-strategy`).
    /// ## Why it matters
    /// Each one lets a tampered or look-alike package into the image: a man in the middle can
    /// serve anything without TLS checks, unverified hashes make the lockfile's pins moot, and
    /// the unsafe index strategies let a public package shadow a private one of the same name.
    /// ## Example
    /// ```dockerfile
    /// ENV UV_INSECURE_HOST=pypi.internal.example
    /// ```
    /// Use instead: install the internal CA into the image and set `UV_SYSTEM_CERTS=1`.
    pub(crate) static INSECURE_UV_SETTING = {
        code: "UV066",
        name: "insecure-uv-setting",
        severity: Warning,
        fix: None,
    };
}

pub(crate) fn check(ctx: &RuleContext<'_>, acc: &mut Vec<Diagnostic>) {
    for setting in uv_settings(ctx) {
        let Some(var) = setting.known else { continue };
        let value = setting.value.as_deref().unwrap_or("");
        let problem = if setting.name == "UV_INDEX_STRATEGY" {
            value.starts_with("unsafe-").then(|| unsafe_strategy(value))
        } else if var.insecure {
            let on = match var.kind {
                ValueKind::Bool => is_truthy(value),
                _ => !value.trim().is_empty(),
            };
            on.then(|| format!("`{}` turns off a check uv makes on what it downloads ({})", setting.name, var.summary))
        } else {
            None
        };
        let Some(message) = problem else { continue };
        let range = setting.value_range.unwrap_or(setting.name_range);
        acc.push(INSECURE_UV_SETTING.report(range, message));
    }
    for (_, uv) in ctx.uv_commands() {
        for flag in &uv.flags {
            let message = match &*flag.name {
                "--allow-insecure-host" => {
                    "`--allow-insecure-host` skips TLS verification for that host, so anyone on the path can serve \
                     other packages"
                        .to_owned()
                }
                "--no-verify-hashes" => {
                    "`--no-verify-hashes` installs packages without checking their hashes against the lockfile or \
                     requirements"
                        .to_owned()
                }
                "--index-strategy" => match &flag.value {
                    Some(value) if value.text.starts_with("unsafe-") => unsafe_strategy(&value.text),
                    _ => continue,
                },
                _ => continue,
            };
            acc.push(INSECURE_UV_SETTING.report(flag.range, message));
        }
    }
}

fn unsafe_strategy(value: &str) -> String {
    format!(
        "the `{value}` index strategy lets a package from any index, including the public one, win over your \
         private index (dependency confusion); prefer `first-index` and pin packages to indexes"
    )
}
