//! `UV060 invalid-uv-boolean`: a boolean `UV_*` variable set to something uv cannot read.

use crate::diagnostic::Diagnostic;
use crate::knowledge::ValueKind;
use crate::rules::support_env::uv_settings;
use crate::rules::{RuleContext, declare_rule};

declare_rule! {
    /// ## What it flags
    /// A boolean uv variable (`UV_NO_CACHE`, `UV_COMPILE_BYTECODE`, `UV_FROZEN`, ...) set in
    /// `ENV`, `ARG` or before a command to a value that is not one of `1/0`, `true/false`,
    /// `yes/no`, `y/n`, `t/f`, `on/off`.
    /// ## Why it matters
    /// uv refuses to start when it cannot read a boolean variable, so every uv command that sees
    /// it fails, often far from the line that set it.
    /// ## Example
    /// ```dockerfile
    /// ENV UV_COMPILE_BYTECODE=enabled
    /// ```
    /// Use instead:
    /// ```dockerfile
    /// ENV UV_COMPILE_BYTECODE=1
    /// ```
    pub(crate) static INVALID_UV_BOOLEAN = {
        code: "UV060",
        name: "invalid-uv-boolean",
        severity: Error,
        fix: None,
    };
}

pub(crate) fn check(ctx: &RuleContext<'_>, acc: &mut Vec<Diagnostic>) {
    for setting in uv_settings(ctx) {
        let Some(var) = setting.known else { continue };
        // An empty value is commonly read as unset; stay quiet rather than guess.
        let (Some(value), Some(range)) = (setting.literal(), setting.value_range) else { continue };
        if var.kind != ValueKind::Bool || value.is_empty() {
            continue;
        }
        if let Err(message) = var.accepts(value) {
            acc.push(INVALID_UV_BOOLEAN.report(range, format!("{message}; uv stops with an error")));
        }
    }
}
