//! `UV062 unknown-uv-variable`: a `UV_*` name uv does not read, close to one it does.

use crate::diagnostic::{Applicability, Diagnostic};
use crate::knowledge::closest_uv_env;
use crate::rules::support_env::{is_referenced, replace_fix, uv_settings_where};
use crate::rules::{DiagnosticExt, RuleContext, declare_rule};

declare_rule! {
    /// ## What it flags
    /// `ENV`, `ARG` or a command prefix setting a `UV_*` variable that uv does not know, when
    /// its name is close to one uv reads (`UV_COMPILE_BYTECODES`, `UV_NO_DEV_DEPS`). Names the
    /// Dockerfile reads itself, such as `ARG UV_VERSION` used in a `FROM`, are left alone.
    /// ## Why it matters
    /// uv ignores unknown variables without a word, so the setting silently has no effect: the
    /// cache stays in the image, bytecode is not compiled, the lockfile is not enforced.
    /// ## Example
    /// ```dockerfile
    /// ENV UV_COMPILE_BYTECODES=1
    /// ```
    /// Use instead:
    /// ```dockerfile
    /// ENV UV_COMPILE_BYTECODE=1
    /// ```
    /// ## Fix safety
    /// Renaming is unsafe: the setting starts to take effect, which changes the build.
    pub(crate) static UNKNOWN_UV_VARIABLE = {
        code: "UV062",
        name: "unknown-uv-variable",
        severity: Warning,
        fix: Always,
    };
}

pub(crate) fn check(ctx: &RuleContext<'_>, acc: &mut Vec<Diagnostic>) {
    // The rule walks the whole file on every edit (a `$NAME` anywhere makes the name the
    // author's own), where no other rule gathers every setting: then only the settings of
    // names uv does not read are gathered.
    let gathered;
    let settings = match ctx.uv_settings_if_built() {
        Some(all) => all,
        None => {
            gathered = uv_settings_where(ctx, |known| known.is_none());
            &gathered
        }
    };
    for setting in settings {
        if setting.known.is_some() || is_referenced(ctx.text, &setting.name) {
            continue;
        }
        let Some(suggestion) = closest_uv_env(&setting.name) else { continue };
        acc.push(
            UNKNOWN_UV_VARIABLE
                .report(
                    setting.name_range,
                    format!("uv does not read `{}`, so it has no effect; did you mean `{suggestion}`?", setting.name),
                )
                .with_fix(replace_fix(
                    format!("Rename to `{suggestion}`"),
                    setting.name_range,
                    suggestion,
                    Applicability::Unsafe,
                )),
        );
    }
}
